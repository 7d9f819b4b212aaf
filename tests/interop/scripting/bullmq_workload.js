#!/usr/bin/env node
// BullMQ (a job queue made of Lua scripts: addJob, moveToActive, moveToFinished,
// retryJob, moveStalledJobsToWait, promote of delayed jobs, obliterate, ...) running a
// real workload against the server at HOST:PORT.
//
//   node bullmq_workload.js HOST PORT [--seconds N]
//
// First, priorities: a queue gets prioritized jobs (priorities 5, 1, 4, 2, 3) and two plain
// ones before a Worker with concurrency 1 starts; it must take the plain ones first, then
// the others by priority. (With concurrency above 1 the order jobs are popped in is not the
// order their processors start in, so only concurrency 1 shows the server's order.)
// Then the main run: a queue gets, before any worker runs, plain jobs, a job delayed by
// 300 ms, a job with attempts: 3 whose processor fails its first two attempts (fixed
// backoff of 100 ms), and a job with attempts: 2 that always fails. A Worker with
// concurrency 4 processes them, and a QueueEvents follows the events stream (XREAD BLOCK).
// Checked: every job but the failing one completed with its return value; the delayed one
// not before its delay; the retried one completed on its third attempt, the attempts at
// least the backoff apart; the failing one ended in 'failed' after 2 attempts with its
// error; getJobCounts() and the completed/failed events agree; obliterate() leaves no key
// of either queue behind.
// Prints one JSON result line (see common.js).
'use strict';

const Redis = require('ioredis');
const {Queue, QueueEvents, Worker} = require('bullmq');
const {run, sleep, redisOptions} = require('./common');

const PLAIN = 6;
const PRIORITIES = [5, 1, 4, 2, 3];
const DELAY_MS = 300;
const BACKOFF_MS = 100;

async function priorities(opts, report, connection, prefix, inspect) {
  const name = 'basalt-it-prio-' + process.pid + '-' + Date.now();
  const queue = new Queue(name, {connection, prefix});
  let worker = null;
  try {
    for (const p of PRIORITIES) await queue.add('prio', {p}, {priority: p});
    await queue.add('plain', {p: 0});
    await queue.add('plain', {p: 0});
    report.equal('getJobCounts of the priority queue',
                 await queue.getJobCounts('wait', 'prioritized'),
                 {wait: 2, prioritized: PRIORITIES.length});
    const started = [];
    worker = new Worker(name, async (job) => {
      started.push(job.data.p);
    }, {connection, prefix, concurrency: 1});
    const deadline = Date.now() + 10000;
    while (started.length < PRIORITIES.length + 2 && Date.now() < deadline) await sleep(20);
    report.equal('jobs started plain first, then by priority', started,
                 [0, 0, ...[...PRIORITIES].sort((a, b) => a - b)]);
    await worker.close();
    worker = null;
    await queue.obliterate({force: true});
    report.equal('keys left after obliterate (priority queue)',
                 (await inspect.keys(prefix + ':' + name + ':*')).sort(), []);
    // A clean close is part of the workload: its errors propagate.
    await queue.close();
  } finally {
    // After a failure: close without waiting for running jobs, ignoring errors.
    if (worker) await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
  }
}

async function jobRun(opts, report, connection, prefix, inspect) {
  const name = 'basalt-it-' + process.pid + '-' + Date.now();
  const queue = new Queue(name, {connection, prefix});
  const events = new QueueEvents(name, {connection, prefix});
  let worker = null;
  try {
    await queue.waitUntilReady();
    await events.waitUntilReady();

    const eventCounts = {completed: 0, failed: 0, delayed: 0};
    events.on('completed', () => eventCounts.completed++);
    events.on('failed', () => eventCounts.failed++);
    events.on('delayed', () => eventCounts.delayed++);

    // Everything is queued before the worker starts.
    const jobs = {plain: [], delayed: null, retried: null, failing: null};
    for (let i = 0; i < PLAIN; i++) {
      jobs.plain.push(await queue.add('plain', {kind: 'plain', i}));
    }
    // The delay runs from some moment inside add(): it cannot end before addCalled + delay.
    const addCalled = Date.now();
    jobs.delayed = await queue.add('delayed', {kind: 'delayed'}, {delay: DELAY_MS});
    jobs.retried = await queue.add('retried', {kind: 'retried'},
                                   {attempts: 3, backoff: {type: 'fixed', delay: BACKOFF_MS}});
    jobs.failing = await queue.add('failing', {kind: 'failing'},
                                   {attempts: 2, backoff: {type: 'fixed', delay: 50}});
    const total = PLAIN + 3;

    const before = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active',
                                            'completed', 'failed');
    report.equal('getJobCounts before the worker runs', before,
                 {wait: PLAIN + 2, prioritized: 0, delayed: 1, active: 0, completed: 0,
                  failed: 0});

    const attemptTimes = {};  // job id -> start time of each attempt
    let delayedStartedAt = null;
    let running = 0;
    let maxRunning = 0;
    worker = new Worker(name, async (job) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        (attemptTimes[job.id] = attemptTimes[job.id] || []).push(Date.now());
        const kind = job.data.kind;
        if (kind === 'delayed') delayedStartedAt = Date.now();
        await sleep(20);
        if (kind === 'retried' && attemptTimes[job.id].length < 3) {
          throw new Error('transient failure ' + attemptTimes[job.id].length);
        }
        if (kind === 'failing') throw new Error('permanent failure');
        return {kind, id: job.id};
      } finally {
        running--;
      }
    }, {connection, prefix, concurrency: 4, autorun: false});
    const workerFailures = [];
    worker.on('failed', (job, err) => workerFailures.push({id: job && job.id,
                                                           message: err.message}));
    worker.on('error', (err) => report.check('no worker error', false, String(err)));
    worker.run();

    // Done when every job is completed or failed (the counters come from Lua scripts too).
    const deadline = Date.now() + 20000;
    let counts;
    for (;;) {
      counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active',
                                        'completed', 'failed');
      if (counts.completed + counts.failed >= total &&
          counts.wait + counts.prioritized + counts.delayed + counts.active === 0) break;
      if (Date.now() > deadline) {
        report.check('all jobs finished within 20 s', false, counts);
        break;
      }
      await sleep(50);
    }
    report.equal('getJobCounts after the run', counts,
                 {wait: 0, prioritized: 0, delayed: 0, active: 0, completed: total - 1,
                  failed: 1});
    report.check('the worker ran jobs concurrently', maxRunning > 1, maxRunning);

    const completedIds = [...jobs.plain, jobs.delayed, jobs.retried];
    for (const j of completedIds) {
      const job = await queue.getJob(j.id);
      const state = job ? await job.getState() : 'missing';
      report.equal('job ' + j.id + ' (' + j.name + ') completed', state, 'completed');
      if (job) {
        report.equal('job ' + j.id + ' return value', job.returnvalue,
                     {kind: j.data.kind, id: j.id});
      }
    }

    const delayedJob = await queue.getJob(jobs.delayed.id);
    const waited = delayedStartedAt === null ? null : delayedStartedAt - addCalled;
    report.check('the delayed job started no sooner than its delay', waited !== null &&
                 waited >= DELAY_MS, waited, '>= ' + DELAY_MS);
    report.check('processedOn of the delayed job is after timestamp + delay',
                 delayedJob && delayedJob.processedOn >= delayedJob.timestamp + DELAY_MS,
                 delayedJob && {timestamp: delayedJob.timestamp,
                                processedOn: delayedJob.processedOn});

    const retried = await queue.getJob(jobs.retried.id);
    const times = attemptTimes[jobs.retried.id] || [];
    report.equal('the retried job was run 3 times', times.length, 3);
    report.equal('attemptsMade of the retried job', retried && retried.attemptsMade, 3);
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    report.check('retries at least the backoff apart', gaps.length === 2 &&
                 gaps.every((g) => g >= BACKOFF_MS), gaps, '>= ' + BACKOFF_MS + ' each');

    const failing = await queue.getJob(jobs.failing.id);
    report.equal('the always failing job ended in failed',
                 failing ? await failing.getState() : 'missing', 'failed');
    report.equal('failedReason of the failing job', failing && failing.failedReason,
                 'permanent failure');
    report.equal('attemptsMade of the failing job', failing && failing.attemptsMade, 2);
    report.equal('the failing job was run 2 times', (attemptTimes[jobs.failing.id] || []).length,
                 2);
    const failedJobs = await queue.getFailed();
    report.equal('getFailed() lists the failing job', failedJobs.map((j) => j.id),
                 [jobs.failing.id]);
    // One failed event per failed attempt: 2 of the retried job, 2 of the failing one.
    report.equal('worker failed events', workerFailures.map((f) => f.id).sort(),
                 [jobs.retried.id, jobs.retried.id, jobs.failing.id, jobs.failing.id].sort());

    // The events stream (XADD by the scripts, XREAD BLOCK by QueueEvents) lags a little.
    const evDeadline = Date.now() + 5000;
    while ((eventCounts.completed < total - 1 || eventCounts.failed < 1) &&
           Date.now() < evDeadline) {
      await sleep(50);
    }
    report.equal('QueueEvents completed/failed', {completed: eventCounts.completed,
                                                  failed: eventCounts.failed},
                 {completed: total - 1, failed: 1});
    report.check('QueueEvents saw delayed events', eventCounts.delayed >= 1,
                 eventCounts.delayed);

    await worker.close();
    worker = null;
    await queue.obliterate({force: true});
    const left = await inspect.keys(prefix + ':' + name + ':*');
    report.equal('keys left after obliterate', left.sort(), []);
    report.set('jobs', total);
    report.set('counts', counts);
    report.set('delayedWaitMs', waited);
    report.set('retryGapsMs', gaps);
    report.set('maxConcurrent', maxRunning);
    await events.close();
    await queue.close();
  } finally {
    // After a failure: close without waiting for running jobs, ignoring errors (a second
    // close() of a closed queue or QueueEvents is a no-op).
    if (worker) await worker.close(true).catch(() => {});
    await events.close().catch(() => {});
    await queue.close().catch(() => {});
  }
}

async function workload(opts, report) {
  const prefix = 'bull';
  // BullMQ requires maxRetriesPerRequest: null on the connections a Worker blocks on.
  const connection = redisOptions(opts, 'bullmq', {maxRetriesPerRequest: null});
  const inspect = new Redis(redisOptions(opts, 'bullmq-inspect'));
  try {
    await priorities(opts, report, connection, prefix, inspect);
    await jobRun(opts, report, connection, prefix, inspect);
  } finally {
    inspect.disconnect();
  }
}

run('bullmq', workload);
