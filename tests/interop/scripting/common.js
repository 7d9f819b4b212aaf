// What the workloads of tests/integration/test_scripting_libraries.py share: arguments,
// the one JSON result line, checks that record what they compared, and a watchdog.
//
//   node <workload>.js HOST PORT [--seconds N]
//
// A workload prints exactly one JSON object on stdout, {"ok": true|false, "library": ...,
// "checks": [...], ...}, and exits 0 only if every check held. A check that fails does not
// stop the workload (later checks still run and are reported), but the exit code is then 1;
// an exception (a command the server rejected, a library error) ends it with exit code 2 and
// the error in "error". The watchdog (--seconds, default 60) ends a hung workload the same
// way, so the script never outlives the test that started it.
'use strict';

const fs = require('fs');
const path = require('path');

// The installed version of an npm package (redlock's "exports" hides its package.json
// from require()).
function versionOf(name) {
  const file = path.join(__dirname, 'node_modules', name, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

function parseArgs(argv) {
  if (argv.length < 2) {
    throw new Error('usage: node <workload>.js HOST PORT [--seconds N]');
  }
  const opts = {host: argv[0], port: Number(argv[1]), seconds: 60};
  for (let i = 2; i < argv.length; i += 2) {
    if (argv[i] === '--seconds' && argv[i + 1] !== undefined) {
      opts.seconds = Number(argv[i + 1]);
    } else {
      throw new Error('unknown argument ' + argv[i]);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0) throw new Error('bad port ' + argv[1]);
  return opts;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function errorText(err) {
  if (err && err.stack) return String(err.stack);
  return String(err && err.message ? err.message : err);
}

// Collects checks and prints the result once. Each check is {what, ok, got, want}.
class Report {
  constructor(library) {
    this.result = {ok: true, library, version: versionOf(library),
                   ioredis: versionOf('ioredis'), node: process.version, checks: []};
    this.printed = false;
  }

  // Records `what`; ok is the outcome, got/want are shown when it fails.
  check(what, ok, got, want) {
    const entry = {what, ok: Boolean(ok)};
    if (!ok) {
      entry.got = got;
      if (want !== undefined) entry.want = want;
      this.result.ok = false;
    }
    this.result.checks.push(entry);
    return Boolean(ok);
  }

  equal(what, got, want) {
    return this.check(what, JSON.stringify(got) === JSON.stringify(want), got, want);
  }

  set(name, value) {
    this.result[name] = value;
  }

  fail(err) {
    this.result.ok = false;
    this.result.error = errorText(err);
  }

  print() {
    if (this.printed) return;
    this.printed = true;
    process.stdout.write(JSON.stringify(this.result) + '\n');
  }
}

// Runs body(opts, report) and exits: 0 if every check held, 1 if one failed, 2 on an
// exception or the watchdog. cleanup(), if given, runs in every case (errors ignored).
function run(library, body) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(errorText(err) + '\n');
    process.exit(2);
  }
  const report = new Report(library);
  const watchdog = setTimeout(() => {
    report.fail(new Error('workload did not finish within ' + opts.seconds + ' s'));
    report.print();
    process.exit(2);
  }, opts.seconds * 1000);
  let code = 0;
  body(opts, report)
      .then(() => {
        code = report.result.ok ? 0 : 1;
      })
      .catch((err) => {
        report.fail(err);
        code = 2;
      })
      .finally(() => {
        clearTimeout(watchdog);
        report.print();
        // Exit at once: a library timer or a connection still closing must not keep a
        // finished workload alive.
        process.exit(code);
      });
}

// Redis connection options for ioredis: no reconnect storm against a server that went away
// (a dead server must fail the workload, not hang it), and a name in CLIENT LIST.
function redisOptions(opts, name, extra) {
  return Object.assign({
    host: opts.host,
    port: opts.port,
    connectionName: name,
    connectTimeout: 5000,
    retryStrategy: (times) => (times > 5 ? null : 100 * times),
  }, extra || {});
}

// Resolves once an ioredis client is ready (needed before commands when enableOfflineQueue
// is false); rejects if it ends first.
function ready(client) {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('end', () => reject(new Error('connection ended before it was ready')));
  });
}

module.exports = {run, sleep, redisOptions, ready, errorText, versionOf};
