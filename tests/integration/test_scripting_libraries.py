"""Real libraries built on Lua scripting, installed from npm, running a real workload.

Each workload is a Node.js script in tests/interop/scripting (see its header for what it
does and checks); it prints one JSON line ({"ok": ..., "checks": [...], ...}) and exits 0
only if every check held:
  bullmq_workload.js     BullMQ: jobs added, processed with concurrency, by priority,
                         delayed, retried with backoff, failed for good; job counts;
                         QueueEvents over the events stream; obliterate
  beequeue_workload.js   Bee-Queue (through its own client, node_redis 3): jobs added
                         (also pipelined), a stalled job recovered, processed with
                         concurrency and none twice, delayed, retried with backoff, failed
                         for good, progress and job events over pub/sub, checkHealth,
                         removeOnSuccess, removeJob, destroy
  ratelimit_workload.js  rate-limiter-flexible (RateLimiterRedis): limits enforced under
                         concurrent consumes, the window, penalty, reward, get, delete,
                         blockDuration
  redlock_workload.js    Redlock: mutual exclusion of 10 workers around a GET/SET counter,
                         multi-resource locks, extend, automatic extension, expiry, the
                         release of an expired lock
Every workload runs against the server under test (Basalt) and against redis-server, which
shows the workloads themselves are right. Against Basalt a workload is skipped while Basalt
lacks a command it needs (needs_commands; BullMQ's scripts also write streams, while
Bee-Queue is lists, sets, sorted sets and hashes only).

Skipped, with the reason, when node or the npm packages are missing (a failure under
CI=true): scripts/install-deps runs `npm ci` in tests/interop/scripting and only warns when
the npm registry is unreachable.
"""

import json
import os
import shutil
import subprocess

import pytest

import servers
from helpers import missing_dependency

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD_DIR = os.path.join(os.path.dirname(HERE), 'interop', 'scripting')
# The workload's own watchdog; the test waits a little longer for the process itself.
SECONDS = int(60 * servers.TIME_SCALE)

# name -> (script, npm package, commands the server needs beyond the basic ones)
WORKLOADS = {
    'bullmq': ('bullmq_workload.js', 'bullmq',
               ('EVAL', 'EVALSHA', 'XADD', 'XREAD', 'XTRIM', 'BZPOPMIN')),
    'bee-queue': ('beequeue_workload.js', 'bee-queue', ('EVALSHA', 'SCRIPT', 'BRPOPLPUSH')),
    'rate-limiter-flexible': ('ratelimit_workload.js', 'rate-limiter-flexible',
                              ('EVAL', 'EVALSHA')),
    'redlock': ('redlock_workload.js', 'redlock', ('EVAL', 'EVALSHA', 'SCRIPT')),
}


def cases():
    for name, (_, _, commands) in WORKLOADS.items():
        yield pytest.param(name, 'basalt', id=name + '-basalt',
                           marks=pytest.mark.needs_commands(*commands))
        yield pytest.param(name, 'redis', id=name + '-redis')


def node_or_skip(package):
    node = shutil.which('node')
    if node is None:
        missing_dependency('node not installed (scripts/install-deps installs nodejs)')
    for pkg in (package, 'ioredis'):
        if not os.path.isfile(os.path.join(WORKLOAD_DIR, 'node_modules', pkg, 'package.json')):
            missing_dependency('%s not installed in tests/interop/scripting (scripts/install-deps '
                               'runs `npm ci` there; it warned if the npm registry was '
                               'unreachable)' % pkg)
    return node


def run_workload(node, script, port):
    """Runs one workload against 127.0.0.1:port; returns (returncode, result, stderr)."""
    cmd = [node, script, '127.0.0.1', str(port), '--seconds', str(SECONDS)]
    try:
        p = subprocess.run(cmd, cwd=WORKLOAD_DIR, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=SECONDS + 15)
    except subprocess.TimeoutExpired as e:
        raise AssertionError('%s did not exit within %ds (its own watchdog failed)\nstdout: %s'
                             % (script, SECONDS + 15, (e.stdout or b'')[-2000:]))
    stderr = p.stderr.decode('utf-8', 'replace')[-3000:]
    lines = p.stdout.decode('utf-8', 'replace').strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else None
    except ValueError:
        result = None
    assert isinstance(result, dict), '%s printed no JSON result (exit %s)\nstdout: %r\n' \
        'stderr: %s' % (script, p.returncode, lines[-5:], stderr)
    return p.returncode, result, stderr


def describe(result, stderr):
    failed = [c for c in result.get('checks', []) if not c.get('ok')]
    text = '%s %s (ioredis %s, node %s)\n' % (result.get('library'), result.get('version'),
                                               result.get('ioredis'), result.get('node'))
    for c in failed:
        text += '  FAILED %s: got %s' % (c['what'], json.dumps(c.get('got')))
        if 'want' in c:
            text += ', want %s' % json.dumps(c['want'])
        text += '\n'
    if result.get('error'):
        text += 'error: %s\n' % result['error']
    if stderr.strip():
        text += 'stderr: %s\n' % stderr
    return text


@pytest.mark.parametrize('workload,impl', list(cases()))
def test_scripting_library_workload(request, workload, impl):
    script, package, _ = WORKLOADS[workload]
    node = node_or_skip(package)
    # The client fixture FLUSHes the shared server and, after the test, fails it with the
    # server's log if the server died during the workload.
    request.getfixturevalue('basalt' if impl == 'basalt' else 'oracle')
    srv = request.getfixturevalue('basalt_server' if impl == 'basalt' else 'oracle_server')

    code, result, stderr = run_workload(node, script, srv.port)

    assert code == 0 and result['ok'], 'workload failed (exit %s):\n%s' % (
        code, describe(result, stderr))
    assert result['checks'] and all(c['ok'] for c in result['checks'])
    assert result['library'] == package
    # The essentials, restated here so that a workload that checked less would show.
    if workload == 'bullmq':
        assert result['counts'] == {'wait': 0, 'prioritized': 0, 'delayed': 0, 'active': 0,
                                    'completed': result['jobs'] - 1, 'failed': 1}
        assert result['delayedWaitMs'] >= 300
        assert len(result['retryGapsMs']) == 2
    elif workload == 'bee-queue':
        jobs = result['jobs']
        assert result['health']['after'] == {'waiting': 0, 'active': 0, 'succeeded': jobs - 1,
                                             'failed': 1, 'delayed': 0, 'newestJob': jobs - 1}
        assert result['health']['before']['delayed'] == 1
        assert result['delayedWaitMs'] >= 300
        assert len(result['retryGapsMs']) == 2
        assert result['maxConcurrent'] > 1
    elif workload == 'rate-limiter-flexible':
        allowed = [b for b in result['burst'] if b['allowed']]
        assert len(allowed) == 5 and len(result['burst']) == 8
        assert all(b['msBeforeNext'] > 0 for b in result['burst'] if not b['allowed'])
    else:
        assert result['counter'] == 50
