#!/usr/bin/env node
// Bee-Queue (a job queue whose job creation, delayed-job promotion, stall detection and
// removal are Lua scripts run by EVALSHA after SCRIPT EXISTS / SCRIPT LOAD; workers take
// jobs with BRPOPLPUSH, finish them in a MULTI, and events travel over pub/sub) running a
// real workload against the server at HOST:PORT, through its own client, node_redis 3.
//
//   node beequeue_workload.js HOST PORT [--seconds N]
//
// The main queue (activateDelayedJobs, stallInterval 2 s) first gets plain jobs (saveAll:
// pipelined EVALSHAs) and a job with an id of its own (saved twice: the script refuses the
// second with nil). A worker that took the oldest job and died is simulated (RPOPLPUSH
// waiting -> active by hand): two checkStalledJobs() a stallInterval apart put the job back
// in waiting. Then, still before any worker runs: a job delayed by 300 ms (delayUntil), a
// job with retries(2) and a fixed backoff of 100 ms whose processor fails its first two
// attempts, a job with retries(2) that always fails, a job that reports its progress, and
// a job that runs for 1.5 stallIntervals. process() with concurrency 4 runs everything,
// with a stall check every stallInterval / 2. Checked: checkHealth() before and after; no
// job was run twice (ids recorded) except the retried ones, which ran 3 times; the long
// job was never taken for stalled; the delayed job did not run before its time; the
// retries at least the backoff apart; the job events (progress, retrying, failed,
// succeeded) over pub/sub; the stored jobs as a second Queue (no worker, no cache) reads
// them; removeJob(). A second queue with removeOnSuccess keeps no succeeded job but keeps
// the failed one. Both queues are closed (close() waits for running jobs) and destroy()ed;
// no key of either is left behind.
// Prints one JSON result line (see common.js).
'use strict';

const Redis = require('ioredis');
const Queue = require('bee-queue');
const path = require('path');
const {run, sleep, redisOptions, versionOf} = require('./common');

const PLAIN = 6;
const DELAY_MS = 300;
const BACKOFF_MS = 100;
const STALL_INTERVAL_MS = 2000;
const CONCURRENCY = 4;
const PREFIX = 'bq';

// node_redis 3 options (Bee-Queue creates its own clients from them): no reconnect storm
// against a server that went away.
function beeRedis(opts) {
  return {
    host: opts.host,
    port: opts.port,
    connect_timeout: 5000,
    retry_strategy: (o) => (o.attempt > 5 ? new Error('gave up reconnecting') : 100 * o.attempt),
  };
}

function queueSettings(opts, extra) {
  return Object.assign({
    prefix: PREFIX,
    redis: beeRedis(opts),
    // The default (5 s) is fine for real work; 2 s keeps the stall check of the workload
    // short. Running jobs are kept out of the stall check every stallInterval / 2.
    stallInterval: STALL_INTERVAL_MS,
    // Delayed jobs due within this many ms of each other are raised together.
    delayedDebounce: 50,
  }, extra || {});
}

// Waits until checkHealth() says every job finished; returns the last counts.
async function drained(queue, total, report, what) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const h = await queue.checkHealth();
    if (h.waiting + h.active + h.delayed === 0 && h.succeeded + h.failed >= total) return h;
    if (Date.now() > deadline) {
      report.check(what + ': all jobs finished within 20 s', false, h);
      return h;
    }
    await sleep(50);
  }
}

async function mainQueue(opts, report, inspect) {
  const name = 'basalt-it-bq-' + process.pid + '-' + Date.now();
  const key = (k) => PREFIX + ':' + name + ':' + k;
  const queue = new Queue(name, queueSettings(opts, {activateDelayedJobs: true}));
  // A second process's view: no worker, no events, no job cache; reads what is stored.
  const viewer = new Queue(name, queueSettings(opts, {isWorker: false, getEvents: false,
                                                      storeJobs: false}));
  const queueErrors = [];
  queue.on('error', (err) => queueErrors.push(String(err)));
  viewer.on('error', (err) => queueErrors.push(String(err)));
  try {
    await queue.ready();
    await viewer.ready();
    report.equal('checkHealth of the new queue', await queue.checkHealth(),
                 {waiting: 0, active: 0, succeeded: 0, failed: 0, delayed: 0, newestJob: 0});

    // Everything is queued before the worker starts.
    const plain = Array.from({length: PLAIN}, (_, i) => queue.createJob({kind: 'plain', i}));
    const saveErrors = await queue.saveAll(plain);
    report.equal('saveAll errors', saveErrors.size, 0);
    report.equal('ids given by saveAll', plain.map((j) => j.id),
                 Array.from({length: PLAIN}, (_, i) => String(i + 1)));

    const custom = await queue.createJob({kind: 'custom'}).setId('custom-1').save();
    report.equal('id of a job saved with its own id', custom.id, 'custom-1');
    const duplicate = await queue.createJob({kind: 'duplicate'}).setId('custom-1').save();
    report.equal('a second job with the same id is not created', duplicate.id, null);

    // A worker that took the oldest job and died: the job sits in active, nobody works on
    // it. The first stall check marks what is active; one a stallInterval later (the
    // stallBlock key, SET PX NX, refuses an earlier one) puts it back in waiting.
    const stalledEvents = [];
    queue.on('stalled', (id) => stalledEvents.push(id));
    const taken = await inspect.rpoplpush(key('waiting'), key('active'));
    report.equal('the simulated dead worker took the oldest job', taken, plain[0].id);
    report.equal('first stall check resets nothing', await queue.checkStalledJobs(), 0);
    report.equal('stall check within stallInterval is a no-op',
                 await queue.checkStalledJobs(), 0);
    report.equal('stalling set after the first check', await inspect.smembers(key('stalling')),
                 [plain[0].id]);
    await sleep(STALL_INTERVAL_MS + 50);
    report.equal('stall check a stallInterval later resets the job',
                 await queue.checkStalledJobs(), 1);
    report.equal('stalled events', stalledEvents, [plain[0].id]);
    report.equal('active list after the stall check', await inspect.lrange(key('active'), 0, -1),
                 []);
    // LPUSH: a job that stalled goes to the end of the line.
    report.equal('the stalled job is back in waiting, last in line',
                 await inspect.lindex(key('waiting'), 0), plain[0].id);

    const delayUntil = Date.now() + DELAY_MS;
    const delayed = await queue.createJob({kind: 'delayed'}).delayUntil(delayUntil).save();
    const retried = await queue.createJob({kind: 'retried'}).retries(2)
        .backoff('fixed', BACKOFF_MS).save();
    const failing = await queue.createJob({kind: 'failing'}).retries(2)
        .backoff('fixed', 50).save();
    const progress = await queue.createJob({kind: 'progress'}).save();
    // Runs for longer than stallInterval: the worker keeps it out of the stall checks.
    const long = await queue.createJob({kind: 'long'}).save();
    const all = [...plain, custom, delayed, retried, failing, progress, long];
    const total = all.length;
    const succeeding = all.filter((j) => j !== failing);

    // Job events, from the workers' PUBLISHes (in _finishJob's MULTI and reportProgress).
    const jobEvents = {};
    const record = (job, event, data) =>
      (jobEvents[job.id] = jobEvents[job.id] || []).push(data === undefined ? event :
                                                        [event, data]);
    for (const job of all) {
      job.on('succeeded', (result) => record(job, 'succeeded', result));
      job.on('retrying', (err) => record(job, 'retrying', err.message));
      job.on('failed', (err) => record(job, 'failed', err.message));
      job.on('progress', (p) => record(job, 'progress', p));
    }
    const queueEvents = {succeeded: 0, retrying: 0, failed: 0};
    queue.on('job succeeded', () => queueEvents.succeeded++);
    queue.on('job retrying', () => queueEvents.retrying++);
    queue.on('job failed', () => queueEvents.failed++);

    const healthBefore = await queue.checkHealth();
    report.equal('checkHealth before the worker runs', healthBefore,
                 {waiting: total - 1, active: 0, succeeded: 0, failed: 0, delayed: 1,
                  newestJob: total - 1});
    // LPUSHed, taken from the right: the next job is last.
    report.equal('getJobs waiting',
                 (await viewer.getJobs('waiting', {start: 0, end: -1})).map((j) => j.id),
                 [long, progress, failing, retried, plain[0], custom, ...plain.slice(1).reverse()]
                     .map((j) => j.id));
    report.equal('getJobs delayed', (await viewer.getJobs('delayed')).map((j) => j.id),
                 [delayed.id]);

    // From now on, a stall check every stallInterval / 2, as a worker should run them.
    queue.checkStalledJobs(STALL_INTERVAL_MS / 2);

    const starts = {};  // job id -> start time of each run
    let running = 0;
    let maxRunning = 0;
    const workerEvents = {succeeded: 0, retrying: 0, failed: 0, fatal: 0};
    queue.on('succeeded', () => workerEvents.succeeded++);
    queue.on('retrying', () => workerEvents.retrying++);
    queue.on('failed', () => workerEvents.failed++);
    queue.on('failed:fatal', () => workerEvents.fatal++);
    queue.process(CONCURRENCY, async (job) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        const runs = (starts[job.id] = starts[job.id] || []);
        runs.push(Date.now());
        const kind = job.data.kind;
        await sleep(30);
        if (kind === 'retried' && runs.length < 3) {
          throw new Error('transient failure ' + runs.length);
        }
        if (kind === 'failing') throw new Error('permanent failure');
        if (kind === 'long') await sleep(STALL_INTERVAL_MS * 1.5);
        if (kind === 'progress') {
          await job.reportProgress(50);
          await sleep(10);
          await job.reportProgress({done: 100});
        }
        return {kind, id: job.id};
      } finally {
        running--;
      }
    });

    const healthAfter = await drained(queue, total, report, 'main queue');
    report.equal('checkHealth after the run', healthAfter,
                 {waiting: 0, active: 0, succeeded: total - 1, failed: 1, delayed: 0,
                  newestJob: total - 1});
    report.check('the worker ran jobs concurrently', maxRunning > 1, maxRunning);
    report.check('no more than the concurrency at once', maxRunning <= CONCURRENCY, maxRunning);

    const runCounts = {};
    for (const j of all) runCounts[j.id] = (starts[j.id] || []).length;
    const wantRuns = {};
    for (const j of all) wantRuns[j.id] = j === retried || j === failing ? 3 : 1;
    report.equal('runs per job (no job run twice, retried ones 3 times)', runCounts, wantRuns);

    const delayedStart = starts[delayed.id] ? starts[delayed.id][0] : null;
    report.check('the delayed job did not run before its time',
                 delayedStart !== null && delayedStart >= delayUntil,
                 delayedStart === null ? null : delayedStart - delayUntil, '>= 0');
    const times = starts[retried.id] || [];
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    report.check('retries at least the backoff apart', gaps.length === 2 &&
                 gaps.every((g) => g >= BACKOFF_MS), gaps, '>= ' + BACKOFF_MS + ' each');

    // The events lag a little behind the MULTIs that publish them, and the
    // worker's own events behind the job promises: wait for both (the check
    // below compares what was counted at that moment).
    const evDeadline = Date.now() + 5000;
    while ((queueEvents.succeeded < total - 1 || queueEvents.failed < 1 ||
            (workerEvents.succeeded || 0) < total - 1 || (workerEvents.retrying || 0) < 4 ||
            (workerEvents.failed || 0) < 5 || (workerEvents.fatal || 0) < 1) &&
           Date.now() < evDeadline) {
      await sleep(50);
    }
    report.equal('queue job events (pub/sub)', queueEvents,
                 {succeeded: total - 1, retrying: 4, failed: 1});
    report.equal('worker events', workerEvents,
                 {succeeded: total - 1, retrying: 4, failed: 5, fatal: 1});
    report.equal('events of the progress job', jobEvents[progress.id],
                 [['progress', 50], ['progress', {done: 100}],
                  ['succeeded', {kind: 'progress', id: progress.id}]]);
    report.equal('events of the retried job', jobEvents[retried.id],
                 [['retrying', 'transient failure 1'], ['retrying', 'transient failure 2'],
                  ['succeeded', {kind: 'retried', id: retried.id}]]);
    report.equal('events of the failing job', jobEvents[failing.id],
                 [['retrying', 'permanent failure'], ['retrying', 'permanent failure'],
                  ['failed', 'permanent failure']]);
    report.equal('events of the plain jobs', plain.map((j) => jobEvents[j.id]),
                 plain.map((j) => [['succeeded', {kind: 'plain', id: j.id}]]));

    // What is stored, as another process sees it.
    for (const j of succeeding) {
      const stored = await viewer.getJob(j.id);
      report.equal('stored status of job ' + j.id + ' (' + j.data.kind + ')',
                   stored && stored.status, 'succeeded');
    }
    const storedProgress = await viewer.getJob(progress.id);
    report.equal('stored progress', storedProgress && storedProgress.progress, {done: 100});
    const storedFailing = await viewer.getJob(failing.id);
    report.equal('stored failing job', storedFailing && {
      status: storedFailing.status, retries: storedFailing.options.retries,
      stacktraces: storedFailing.options.stacktraces.length},
                 {status: 'failed', retries: 0, stacktraces: 3});
    report.equal('getJobs failed', (await viewer.getJobs('failed')).map((j) => j.id),
                 [failing.id]);
    report.equal('getJobs succeeded',
                 (await viewer.getJobs('succeeded')).map((j) => j.id).sort(),
                 succeeding.map((j) => j.id).sort());
    report.equal('job.isInSet', [await storedFailing.isInSet('failed'),
                                 await storedFailing.isInSet('succeeded')], [true, false]);

    report.equal('stalled events after the workers started', stalledEvents, [plain[0].id]);
    await viewer.removeJob(custom.id);
    report.equal('getJob after removeJob', await viewer.getJob(custom.id), null);
    report.equal('checkHealth after removeJob', (await queue.checkHealth()).succeeded,
                 total - 2);

    // A clean close is part of the workload: its errors propagate. The queue closes first
    // (its stall checks would write the stallBlock key again); the viewer, a queue of the
    // same name, destroys the keys.
    await queue.close();
    await viewer.destroy();
    await viewer.close();
    report.equal('queue errors', queueErrors, []);
    report.set('health', {before: healthBefore, after: healthAfter});
    report.set('jobs', total);
    report.set('delayedWaitMs',
               delayedStart === null ? null : delayedStart - (delayUntil - DELAY_MS));
    report.set('retryGapsMs', gaps);
    report.set('maxConcurrent', maxRunning);
    report.equal('keys left after destroy and close (main queue)',
                 (await inspect.keys(key('*'))).sort(), []);
  } finally {
    // After a failure: close, ignoring errors (a second close() returns the first one's).
    await queue.close(1000).catch(() => {});
    await viewer.close(1000).catch(() => {});
  }
}

// removeOnSuccess: a succeeded job leaves nothing behind; a failed one (removeOnFailure
// false) stays.
async function removeOnSuccessQueue(opts, report, inspect) {
  const name = 'basalt-it-bq-ros-' + process.pid + '-' + Date.now();
  const key = (k) => PREFIX + ':' + name + ':' + k;
  const queue = new Queue(name, queueSettings(opts, {removeOnSuccess: true}));
  const queueErrors = [];
  queue.on('error', (err) => queueErrors.push(String(err)));
  try {
    await queue.ready();
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push(await queue.createJob({ok: true, i}).save());
    const bad = await queue.createJob({ok: false}).save();
    const succeeded = [];
    queue.on('job succeeded', (id) => succeeded.push(id));
    const started = [];
    queue.process(2, async (job) => {
      started.push(job.id);
      await sleep(10);
      if (!job.data.ok) throw new Error('bad job');
      return job.data.i;
    });
    const health = await drained(queue, 1, report, 'removeOnSuccess queue');
    // drained() cannot count removed jobs: wait for their events too.
    const deadline = Date.now() + 5000;
    while (succeeded.length < jobs.length && Date.now() < deadline) await sleep(20);
    report.equal('removeOnSuccess: checkHealth', health,
                 {waiting: 0, active: 0, succeeded: 0, failed: 1, delayed: 0, newestJob: 5});
    report.equal('removeOnSuccess: jobs run once each', started.sort(),
                 [...jobs, bad].map((j) => j.id).sort());
    report.equal('removeOnSuccess: succeeded events', succeeded.sort(),
                 jobs.map((j) => j.id).sort());
    report.equal('removeOnSuccess: stored jobs', await inspect.hkeys(key('jobs')), [bad.id]);
    const stored = await queue.getJob(jobs[0].id);
    report.equal('removeOnSuccess: a succeeded job is gone', stored, null);
    await queue.destroy();
    await queue.close();
    report.equal('removeOnSuccess: queue errors', queueErrors, []);
    report.equal('keys left after destroy and close (removeOnSuccess queue)',
                 (await inspect.keys(key('*'))).sort(), []);
  } finally {
    await queue.close(1000).catch(() => {});
  }
}

async function workload(opts, report) {
  // Bee-Queue's own node_redis 3 (nested under bee-queue: BullMQ names redis >= 5 as an
  // optional peer).
  const nodeRedis = path.relative(path.join(__dirname, 'node_modules'), path.dirname(
      require.resolve('redis/package.json', {paths: [require.resolve('bee-queue')]})));
  report.set('node_redis', versionOf(nodeRedis));
  const inspect = new Redis(redisOptions(opts, 'beequeue-inspect'));
  try {
    await mainQueue(opts, report, inspect);
    await removeOnSuccessQueue(opts, report, inspect);
  } finally {
    inspect.disconnect();
  }
}

run('bee-queue', workload);
