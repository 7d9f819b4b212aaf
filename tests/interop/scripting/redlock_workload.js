#!/usr/bin/env node
// Redlock (v5: acquire, extend and release are Lua scripts run by EVALSHA, EVAL after a
// NOSCRIPT) against the server at HOST:PORT as its single lock node.
//
//   node redlock_workload.js HOST PORT [--seconds N]
//
// Mutual exclusion: 10 workers, each with its own connection and Redlock, take the same
// lock 5 times each and, holding it, increment a counter the unsafe way (GET, sleep, SET):
// the counter must end at 50, the number of acquisitions, and no two workers may ever hold
// the lock at once (checked in the process as well). Then: a lock on several resources
// excludes a lock on any of them; extend moves the key's expiry; using() extends its lock
// automatically while the routine runs; a lock left to expire can be acquired by another;
// releasing the expired lock fails with an ExecutionError, as the library documents
// (release "will fail with an error if it is unable to release the lock on a quorum of
// nodes"), and leaves the new holder's lock in place. Prints one JSON result line (see
// common.js).
'use strict';

const Redis = require('ioredis');
const {default: Redlock, ExecutionError, ResourceLockedError} = require('redlock');
const {run, sleep, redisOptions} = require('./common');

const WORKERS = 10;
const ROUNDS = 5;

// Retries for the contended lock: 10 workers each holding it for ~10 ms.
const CONTENDED = {retryCount: 400, retryDelay: 10, retryJitter: 5};
const NO_RETRY = {retryCount: 0};

// acquire() that resolves to null when the resources are locked by someone else (an
// ExecutionError whose votes against are all ResourceLockedError); anything else throws.
async function tryAcquire(redlock, resources, duration) {
  try {
    return await redlock.acquire(resources, duration, NO_RETRY);
  } catch (err) {
    if (err instanceof ExecutionError && await lockedOnly(err)) return null;
    throw err;
  }
}

// An ExecutionError's attempts are promises of each attempt's votes.
async function lockedOnly(err) {
  const attempts = await Promise.all(err.attempts);
  return attempts.length > 0 && attempts.every((a) => a.votesAgainst.size > 0 &&
    [...a.votesAgainst.values()].every((e) => e instanceof ResourceLockedError));
}

async function mutualExclusion(opts, report, prefix) {
  const lockKey = prefix + ':lock:counter';
  const counterKey = prefix + ':counter';
  const clients = [];
  const redlocks = [];
  for (let i = 0; i < WORKERS; i++) {
    const c = new Redis(redisOptions(opts, 'redlock-' + i));
    clients.push(c);
    redlocks.push(new Redlock([c], CONTENDED));
  }
  try {
    const errors = [];
    redlocks.forEach((r) => r.on('error', (err) => {
      // Contention shows up here as ResourceLockedError; anything else is the server.
      if (!(err instanceof ResourceLockedError)) errors.push(String(err));
    }));
    let holders = 0;
    let overlaps = 0;
    let acquisitions = 0;
    let totalAttempts = 0;
    await clients[0].set(counterKey, '0');
    await Promise.all(redlocks.map(async (redlock, w) => {
      const c = clients[w];
      for (let round = 0; round < ROUNDS; round++) {
        const lock = await redlock.acquire([lockKey], 2000);
        acquisitions++;
        totalAttempts += lock.attempts.length;
        holders++;
        if (holders > 1) overlaps++;
        try {
          const v = Number(await c.get(counterKey));
          await sleep(5 + Math.floor(Math.random() * 5));
          await c.set(counterKey, String(v + 1));
        } finally {
          holders--;
          await lock.release();
        }
      }
    }));
    const counter = Number(await clients[0].get(counterKey));
    report.equal('acquisitions', acquisitions, WORKERS * ROUNDS);
    report.equal('counter after the GET/sleep/SET increments under the lock', counter,
                 acquisitions);
    report.equal('times two workers held the lock at once', overlaps, 0);
    report.equal('server errors seen by redlock', errors, []);
    report.equal('lock key after the last release', await clients[0].exists(lockKey), 0);
    report.set('counter', counter);
    report.set('acquireAttempts', totalAttempts);
    report.check('the lock was contended (some acquisitions retried)',
                 totalAttempts > acquisitions, totalAttempts);
    await clients[0].del(counterKey);
  } finally {
    for (const c of clients) c.disconnect();
  }
}

async function lifecycle(opts, report, prefix) {
  const a = new Redis(redisOptions(opts, 'redlock-a'));
  const b = new Redis(redisOptions(opts, 'redlock-b'));
  const ra = new Redlock([a], {retryCount: 0});
  const rb = new Redlock([b], {retryCount: 0});
  ra.on('error', () => {});
  rb.on('error', () => {});
  const k = (name) => prefix + ':' + name;
  try {
    // Several resources: all or nothing.
    const multi = await ra.acquire([k('r1'), k('r2')], 5000);
    report.equal('a multi-resource lock sets every key', [await a.get(k('r1')),
                                                          await a.get(k('r2'))],
                 [multi.value, multi.value]);
    report.equal('a lock overlapping it is refused', await tryAcquire(rb, [k('r2'), k('r3')],
                                                                      5000), null);
    report.equal('the refused lock set none of its keys', await a.exists(k('r3')), 0);
    await multi.release();
    report.equal('release deletes every key', await a.exists(k('r1'), k('r2')), 0);
    const after = await tryAcquire(rb, [k('r2'), k('r3')], 5000);
    report.check('once released the overlapping lock is granted', after !== null, after);
    if (after) await after.release();

    // extend: the key's expiry moves; the lock object is replaced.
    const short = await ra.acquire([k('ext')], 1000);
    const pttlBefore = await a.pttl(k('ext'));
    const extended = await short.extend(5000);
    const pttlAfter = await a.pttl(k('ext'));
    report.check('PTTL before extend within 1000 ms', pttlBefore > 0 && pttlBefore <= 1000,
                 pttlBefore);
    report.check('PTTL after extend above 1000 ms', pttlAfter > 1000 && pttlAfter <= 5000,
                 pttlAfter);
    report.check('extend keeps the lock value', extended.value === short.value &&
                 (await a.get(k('ext'))) === short.value);
    report.equal('another cannot take an extended lock', await tryAcquire(rb, [k('ext')], 1000),
                 null);
    let extendOld = null;
    try {
      await short.extend(1000);
    } catch (err) {
      extendOld = err instanceof ExecutionError ? 'ExecutionError' : String(err);
    }
    report.equal('extending the replaced lock object fails', extendOld, 'ExecutionError');
    await extended.release();

    // using(): automatic extension while the routine runs past the lock's duration.
    let contested = 'not tried';
    let aborted = false;
    // Extended when 1000 ms are left, so a busy machine has a second to do it.
    await ra.using([k('auto')], 1500, {automaticExtensionThreshold: 1000}, async (signal) => {
      await sleep(2500);
      aborted = signal.aborted;
      contested = await tryAcquire(rb, [k('auto')], 1000);
    });
    report.equal('using() kept its lock past the duration', contested, null);
    report.equal('using() signal not aborted', aborted, false);
    report.equal('using() released its lock at the end', await a.exists(k('auto')), 0);

    // Expiry: a lock nobody releases expires, and another may take it.
    const expiring = await ra.acquire([k('exp')], 500);
    report.equal('a held lock is refused to another', await tryAcquire(rb, [k('exp')], 5000),
                 null);
    await sleep(600);
    report.equal('the expired lock key is gone', await a.exists(k('exp')), 0);
    const taken = await tryAcquire(rb, [k('exp')], 5000);
    report.check('the expired lock is acquirable by another', taken !== null, taken);
    let releaseExpired = null;
    try {
      await ra.release(expiring, NO_RETRY);
      releaseExpired = 'resolved';
    } catch (err) {
      releaseExpired = err instanceof ExecutionError && await lockedOnly(err) ?
        'ExecutionError' : String(err);
    }
    report.equal('releasing the expired lock', releaseExpired, 'ExecutionError');
    report.equal('the new holder keeps its lock', await a.get(k('exp')), taken && taken.value);
    let extendExpired = null;
    try {
      await expiring.extend(1000);
    } catch (err) {
      extendExpired = err instanceof ExecutionError ? err.message : String(err);
    }
    report.equal('extending the expired lock', extendExpired,
                 'Cannot extend an already-expired lock.');
    if (taken) await taken.release();
    report.equal('keys left', await a.keys(prefix + ':*'), []);
  } finally {
    a.disconnect();
    b.disconnect();
  }
}

// An ExecutionError only says no quorum was reached; the server's replies are in its votes.
async function explain(err) {
  if (!(err instanceof ExecutionError)) return err;
  const attempts = await Promise.all(err.attempts);
  const reasons = new Set();
  for (const a of attempts) {
    for (const e of a.votesAgainst.values()) reasons.add(e.name + ': ' + e.message);
  }
  err.message += ' Votes against: ' + JSON.stringify([...reasons]);
  return err;
}

async function workload(opts, report) {
  const prefix = 'basalt-it-redlock-' + process.pid + '-' + Date.now();
  // The first EVALSHA of each script gets NOSCRIPT and redlock falls back to EVAL: flush
  // the script cache so that this path runs here too.
  const admin = new Redis(redisOptions(opts, 'redlock-admin'));
  try {
    report.equal('SCRIPT FLUSH', await admin.script('FLUSH'), 'OK');
  } finally {
    admin.disconnect();
  }
  try {
    await mutualExclusion(opts, report, prefix);
    await lifecycle(opts, report, prefix);
  } catch (err) {
    throw await explain(err);
  }
}

run('redlock', workload);
