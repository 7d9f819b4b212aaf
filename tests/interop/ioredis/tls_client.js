// ioredis over TLS: connects to --port with the given certificates, writes and
// reads back keys (one by one and pipelined), and prints one JSON line with
// what it saw. Used by tests/integration/test_tls.py.
//
//   node tls_client.js --port P --ca ca.crt --cert client.crt --key client.key
'use strict';

const fs = require('fs');
const Redis = require('ioredis');

function arg(name) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const tls = {ca: fs.readFileSync(arg('ca')), checkServerIdentity: () => undefined};
  if (arg('cert')) {
    tls.cert = fs.readFileSync(arg('cert'));
    tls.key = fs.readFileSync(arg('key'));
  }
  const r = new Redis({host: '127.0.0.1', port: Number(arg('port')), tls,
                       maxRetriesPerRequest: 1, retryStrategy: () => null});
  const out = {};
  out.ping = await r.ping();
  await r.set('ioredis:k', 'hello');
  out.get = await r.get('ioredis:k');
  const p = r.pipeline();
  for (let i = 0; i < 1000; i++) p.set('ioredis:p' + i, String(i));
  for (let i = 0; i < 1000; i++) p.get('ioredis:p' + i);
  const res = await p.exec();
  out.pipelined_ok = res.slice(1000).every(([err, v], i) => err === null && v === String(i));
  const big = 'z'.repeat(1 << 20);
  await r.set('ioredis:big', big);
  out.big_ok = (await r.get('ioredis:big')) === big;
  console.log(JSON.stringify(out));
  r.disconnect();
}

main().catch((e) => {
  console.log(JSON.stringify({error: String(e)}));
  process.exit(1);
});
