#!/usr/bin/env node
// ioredis doing client-side caching the RESP2 way: one connection subscribes to
// __redis__:invalidate, another turns CLIENT TRACKING on with REDIRECT to it and reads
// keys into a local cache, a third writes them. Driven by tests/integration/test_tracking.py.
//
//   node tracking_client.js --port 6379
//
// Prints one JSON object on stdout:
//   {"invalidated":["k1","k2"],"cache":{"k3":"v3"},"flush":true}
// invalidated: the keys the subscriber heard about, in order; cache: what is left in the
// local cache after dropping them; flush: the null message FLUSHALL sends arrived.
'use strict';

const Redis = require('ioredis');

async function main() {
  const i = process.argv.indexOf('--port');
  const port = Number(process.argv[i + 1]);
  const sub = new Redis({port, host: '127.0.0.1', lazyConnect: true});
  const reader = new Redis({port, host: '127.0.0.1', lazyConnect: true});
  const writer = new Redis({port, host: '127.0.0.1', lazyConnect: true});
  await Promise.all([sub.connect(), reader.connect(), writer.connect()]);
  await writer.flushall();
  await writer.mset('k1', 'v1', 'k2', 'v2', 'k3', 'v3');

  const subId = await sub.client('ID');
  const invalidated = [];
  let flush = false;
  let notify = null;
  sub.on('message', (channel, message) => {
    // ioredis turns the message into a string: the array of keys joined by
    // commas (keys here have none), and a flush (a null bulk) into ''.
    if (Array.isArray(message)) {
      for (const k of message) invalidated.push(String(k));
    } else if (message === null || message === '') {
      flush = true;
    } else {
      for (const k of String(message).split(',')) invalidated.push(k);
    }
    if (notify) notify();
  });
  await sub.subscribe('__redis__:invalidate');

  await reader.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(subId));
  const cache = {};
  for (const k of ['k1', 'k2', 'k3']) cache[k] = await reader.get(k);

  const waitFor = async (pred) => {
    const deadline = Date.now() + 10000;
    while (!pred() && Date.now() < deadline) {
      await new Promise((resolve) => { notify = resolve; setTimeout(resolve, 200); });
    }
  };
  await writer.set('k1', 'new');
  await writer.del('k2');
  await waitFor(() => invalidated.length >= 2);
  for (const k of invalidated) delete cache[k];
  await writer.flushall();
  await waitFor(() => flush);

  process.stdout.write(JSON.stringify({invalidated, cache, flush}) + '\n');
  sub.disconnect();
  reader.disconnect();
  writer.disconnect();
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({error: String(e)}) + '\n');
  process.exit(1);
});
