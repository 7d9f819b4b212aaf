#!/usr/bin/env node
// ioredis as an application uses it with Sentinel: `new Redis({sentinels, name})`, then a
// steady stream of writes and reads that has to follow a failover on its own.
// Driven by tests/integration/test_sentinel_ioredis.py.
//
//   node sentinel_client.js --sentinels 127.0.0.1:26380,127.0.0.1:26381 --name mymaster \
//       [--prefix k] [--interval-ms 20] [--max-seconds 120] [--failover-detector yes|no]
//
// Prints one JSON object per line on stdout:
//   {"event":"start","ioredis":"5.9.3","node":"v20..."}
//   {"event":"ready","port":6380}                      each time the connection is (re)made
//   {"event":"write","i":7,"port":6380,"ok":true}      SET prefix:i i, then GET prefix:i
//   {"event":"error","i":8,"message":"..."}            a command that failed (it is not retried)
//   {"event":"switch","from":6380,"to":6381}          first write acknowledged by another node
//   {"event":"end"}                                    ioredis gave up the connection for good
//   {"event":"done","writes":n,"errors":m,"ports":[...]}
// "port" is the remote port of the socket that carried the write, so it names the node that
// acknowledged it. It stops when stdin closes (the test's signal), on SIGTERM, or after
// --max-seconds, so it never outlives a test that died.
'use strict';

const Redis = require('ioredis');

function parseArgs(argv) {
  const opts = {prefix: 'ioredis', intervalMs: 20, maxSeconds: 120, name: 'mymaster',
                failoverDetector: true};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error('missing value for ' + key);
    if (key === '--sentinels') {
      opts.sentinels = value.split(',').map((hp) => {
        const at = hp.lastIndexOf(':');
        return {host: hp.slice(0, at), port: Number(hp.slice(at + 1))};
      });
    } else if (key === '--name') {
      opts.name = value;
    } else if (key === '--prefix') {
      opts.prefix = value;
    } else if (key === '--interval-ms') {
      opts.intervalMs = Number(value);
    } else if (key === '--max-seconds') {
      opts.maxSeconds = Number(value);
    } else if (key === '--failover-detector') {
      opts.failoverDetector = value === 'yes';
    } else {
      throw new Error('unknown argument ' + key);
    }
  }
  if (!opts.sentinels || opts.sentinels.length === 0) throw new Error('--sentinels is required');
  return opts;
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function remotePort(redis) {
  return redis.stream && redis.stream.remotePort ? redis.stream.remotePort : null;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  emit({event: 'start', ioredis: require('ioredis/package.json').version,
        node: process.version});
  let stopping = false;
  const redis = new Redis({
    sentinels: opts.sentinels,
    name: opts.name,
    // Short waits so that a failover shows up within the test's time, not ioredis's
    // defaults (up to 2 s between reconnects).
    sentinelRetryStrategy: (times) => Math.min(times * 50, 500),
    retryStrategy: (times) => Math.min(times * 50, 500),
    // Subscribe to +switch-master on the sentinels and reconnect at once. Without it ioredis
    // moves only when the old primary drops its connection, which after a SENTINEL FAILOVER
    // happens when a sentinel demotes it, seconds after the switch. Off for a crashed
    // primary: there the connection drops anyway, and ioredis 5.9.3 has a race where a
    // +switch-master that arrives while it is between sentinels in its reconnect loop ends
    // the client for good ("Connection is closed.").
    failoverDetector: opts.failoverDetector,
    // A write that reaches a demoted primary gets -READONLY: reconnect (asking the sentinels
    // again) and resend it, as the ioredis documentation recommends for failovers.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    connectTimeout: 2000,
    maxRetriesPerRequest: 20,
  });
  redis.on('ready', () => emit({event: 'ready', port: remotePort(redis)}));
  redis.on('end', () => { if (!stopping) emit({event: 'end'}); });
  redis.on('error', () => {});  // Reported per command below; a connection error is retried.

  const stop = () => { stopping = true; };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  const deadline = Date.now() + opts.maxSeconds * 1000;

  let writes = 0;
  let errors = 0;
  let lastPort = null;
  const ports = new Set();
  for (let i = 0; !stopping && Date.now() < deadline; i++) {
    const key = opts.prefix + ':' + i;
    try {
      await redis.set(key, String(i));
      // Read the port right after the reply, before another reconnect can change it.
      const port = remotePort(redis);
      const got = await redis.get(key);
      const ok = got === String(i);
      writes++;
      emit({event: 'write', i, port, ok});
      if (port !== null) {
        if (lastPort !== null && port !== lastPort) {
          emit({event: 'switch', from: lastPort, to: port});
        }
        lastPort = port;
        ports.add(port);
      }
    } catch (err) {
      errors++;
      emit({event: 'error', i, message: String(err && err.message ? err.message : err)});
    }
    await sleep(opts.intervalMs);
  }
  emit({event: 'done', writes, errors, ports: Array.from(ports)});
  redis.disconnect();
  process.stdin.pause();
}

main().catch((err) => {
  emit({event: 'fatal', message: String(err && err.stack ? err.stack : err)});
  process.exit(2);
});
