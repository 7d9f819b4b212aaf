#!/usr/bin/env node
// rate-limiter-flexible's RateLimiterRedis (ioredis) against the server at HOST:PORT. Each
// consume/penalty/reward is one EVALSHA of the library's script (SET NX EX, INCRBY, PTTL,
// EXPIRE in Lua); get is MULTI GET PTTL; block and blockDuration are MULTI SET EX PTTL;
// delete is DEL.
//
//   node ratelimit_workload.js HOST PORT [--seconds N]
//
// A limiter of 5 points per 2 s: 8 concurrent consumes of one key from 4 connections let
// exactly 5 through and reject 3 with msBeforeNext in (0, 2000]; another key is unaffected;
// after the 2 s window the key is allowed again. penalty and reward move the consumed
// points, get reads them (null for a key never used), delete removes the key. A second
// limiter with blockDuration blocks a key that went over its points for that long. Prints
// one JSON result line (see common.js).
'use strict';

const Redis = require('ioredis');
const {RateLimiterRedis, RateLimiterRes} = require('rate-limiter-flexible');
const {run, sleep, redisOptions, ready} = require('./common');

const POINTS = 5;
const DURATION_S = 2;
const CLIENTS = 4;

// consume() resolves with a RateLimiterRes when allowed and rejects with one when the
// limit is hit; any other rejection is an error of the store (the server) and is thrown.
async function consume(limiter, key) {
  try {
    return {allowed: true, res: await limiter.consume(key)};
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return {allowed: false, res: rejection};
    throw rejection;
  }
}

function summary(res) {
  return res && {consumed: res.consumedPoints, remaining: res.remainingPoints,
                 msBeforeNext: res.msBeforeNext};
}

async function workload(opts, report) {
  const prefix = 'basalt-it-rl-' + process.pid + '-' + Date.now();
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    // enableOfflineQueue: false is what the library's documentation recommends for ioredis.
    clients.push(new Redis(redisOptions(opts, 'ratelimit-' + i, {enableOfflineQueue: false})));
  }
  try {
    await Promise.all(clients.map(ready));
    const limiters = clients.map((storeClient) => new RateLimiterRedis({
      storeClient, keyPrefix: prefix, points: POINTS, duration: DURATION_S}));
    const limiter = limiters[0];
    const redis = clients[0];

    // 8 concurrent consumes of one key, spread over the connections.
    const burst = await Promise.all(Array.from({length: 8}, (_, i) =>
      consume(limiters[i % CLIENTS], 'user-1')));
    const allowed = burst.filter((r) => r.allowed);
    const rejected = burst.filter((r) => !r.allowed);
    report.equal('allowed of 8 concurrent consumes', allowed.length, POINTS);
    report.equal('rejected of 8 concurrent consumes', rejected.length, 8 - POINTS);
    report.equal('consumedPoints of the allowed ones',
                 allowed.map((r) => r.res.consumedPoints).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    report.equal('consumedPoints of the rejected ones',
                 rejected.map((r) => r.res.consumedPoints).sort((a, b) => a - b), [6, 7, 8]);
    report.check('rejected ones have 0 < msBeforeNext <= 2000',
                 rejected.every((r) => r.res.msBeforeNext > 0 &&
                                r.res.msBeforeNext <= DURATION_S * 1000),
                 rejected.map((r) => r.res.msBeforeNext));
    report.check('rejected ones have remainingPoints 0',
                 rejected.every((r) => r.res.remainingPoints === 0),
                 rejected.map((r) => r.res.remainingPoints));
    const pttl = await redis.pttl(prefix + ':user-1');
    report.check('the key expires within the window', pttl > 0 && pttl <= DURATION_S * 1000,
                 pttl);

    const other = await consume(limiters[1], 'user-2');
    report.check('another key is unaffected', other.allowed && other.res.consumedPoints === 1 &&
                 other.res.remainingPoints === POINTS - 1, summary(other.res));

    const got = await limiter.get('user-1');
    report.equal('get of the exhausted key', got && got.consumedPoints, 8);
    report.equal('get of a key never used', await limiter.get('nobody'), null);

    // penalty and reward on the fresh key user-2 (1 point consumed).
    const penalized = await limiter.penalty('user-2', 2);
    report.equal('penalty 2 -> consumed', penalized.consumedPoints, 3);
    const rewarded = await limiter.reward('user-2', 1);
    report.equal('reward 1 -> consumed', rewarded.consumedPoints, 2);
    const afterReward = await consume(limiters[2], 'user-2');
    report.check('consume after penalty and reward', afterReward.allowed &&
                 afterReward.res.consumedPoints === 3 && afterReward.res.remainingPoints === 2,
                 summary(afterReward.res));

    report.equal('delete of an existing key', await limiter.delete('user-2'), true);
    report.equal('delete of a deleted key', await limiter.delete('user-2'), false);
    report.equal('get after delete', await limiter.get('user-2'), null);
    const fresh = await consume(limiter, 'user-2');
    report.check('consume after delete starts over',
                 fresh.allowed && fresh.res.consumedPoints === 1, summary(fresh.res));

    // blockDuration: going over the points blocks the key for 3 s (SET EX in a MULTI),
    // longer than the 1 s window.
    const blocking = new RateLimiterRedis({storeClient: redis, keyPrefix: prefix + '-block',
                                           points: 2, duration: 1, blockDuration: 3});
    const b = [];
    for (let i = 0; i < 3; i++) b.push(await consume(blocking, 'ip-1'));
    report.equal('blockDuration limiter: allowed, allowed, rejected',
                 b.map((r) => r.allowed), [true, true, false]);
    report.check('the rejection reports the block duration',
                 b[2].res.msBeforeNext > 2000 && b[2].res.msBeforeNext <= 3000,
                 b[2].res.msBeforeNext);
    const blockTtl = await redis.pttl(prefix + '-block:ip-1');
    report.check('the blocked key lives for the block duration',
                 blockTtl > 2000 && blockTtl <= 3000, blockTtl);

    // After the 2 s window, user-1 is allowed again.
    const windowEnds = Date.now() + Math.max(...rejected.map((r) => r.res.msBeforeNext));
    await sleep(Math.max(0, windowEnds - Date.now()) + 100);
    const again = await consume(limiters[3], 'user-1');
    report.check('allowed again after the window', again.allowed &&
                 again.res.consumedPoints === 1, summary(again.res));
    const stillBlocked = await consume(blocking, 'ip-1');
    report.check('the blocked key is still blocked after its 1 s window',
                 !stillBlocked.allowed, summary(stillBlocked.res));

    report.set('burst', burst.map((r) => Object.assign({allowed: r.allowed}, summary(r.res))));
    await redis.del(prefix + ':user-1', prefix + ':user-2', prefix + '-block:ip-1');
  } finally {
    for (const c of clients) c.disconnect();
  }
}

run('rate-limiter-flexible', workload);
