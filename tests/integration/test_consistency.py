"""The online consistency check (docs/consistency.md): CONSISTENCY START /
RESULT / REPORT and scripts/basalt-check, between a Basalt primary and its
replicas, under a concurrent write load.
"""
import http.client
import json
import os
import subprocess
import sys
import threading
import time

import pytest
import redis

from helpers import online_replicas, wait_for, wait_link_up, wait_synced
from servers import free_port, oracle_binary

CHECK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     'scripts', 'basalt-check')


def run_check(primary, *extra, timeout=120):
    p = subprocess.run([sys.executable, CHECK, '-p', str(primary.port), '--json', *extra],
                       capture_output=True, text=True, timeout=timeout)
    assert p.stdout, p.stderr
    return p.returncode, json.loads(p.stdout)


def populate(c, n=20000):
    c.execute_command('DEBUG', 'POPULATE', n, 'key', 16)
    for i in range(200):
        c.hset('h:%d' % i, mapping={'a': i, 'b': 'x' * (i % 7)})
        c.rpush('l:%d' % i, *range(i % 11 + 1))
        c.sadd('s:%d' % i, *range(i % 5 + 1))
        c.zadd('z:%d' % i, {'m%d' % j: j * 1.5 for j in range(i % 4 + 1)})
        c.set('t:%d' % i, i, px=3600000 + i)
    c.execute_command('SELECT', 3)
    c.set('db3-key', 'v')
    c.execute_command('SELECT', 0)


def start_nodes(make_server, replicas=2, oracle_replicas=0, metrics_port=None):
    extra = ('--metrics-port', str(metrics_port)) if metrics_port else ()
    primary = make_server('--enable-debug-command', 'local', *extra, threads=2)
    populate(primary.client())
    reps = [make_server('--replicaof', '127.0.0.1', str(primary.port), threads=2)
            for _ in range(replicas)]
    reps += [make_server('--replicaof', '127.0.0.1', str(primary.port), binary=oracle_binary())
             for _ in range(oracle_replicas)]
    wait_link_up(*reps, primary=primary)
    wait_for(lambda: online_replicas(primary) == len(reps), what='replicas online')
    wait_synced(primary, *reps)
    return primary, reps


class Writer:
    """A client writing (and timing its writes) until stopped."""

    def __init__(self, srv, prefix=''):
        self.p = prefix
        self.c = srv.client()
        self.stop = threading.Event()
        self.count = 0
        self.max_latency = 0.0
        self.t = threading.Thread(target=self.run)

    def run(self):
        i = 0
        while not self.stop.is_set():
            t0 = time.perf_counter()
            self.c.set(self.p + 'key:%d' % (i % 30000), 'w%d' % i)
            self.max_latency = max(self.max_latency, time.perf_counter() - t0)
            if i % 5 == 0:
                self.c.hset(self.p + 'h:%d' % (i % 300), 'f', i)
                self.c.incr(self.p + 'counter')
                self.c.delete(self.p + 'key:%d' % ((i * 7) % 30000))
                self.c.pexpire(self.p + 't:%d' % (i % 200), 3600000 + i)
            i += 1
        self.count = i

    def __enter__(self):
        self.t.start()
        time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()


def test_healthy_replicas_under_writes_have_no_difference(make_server):
    primary, reps = start_nodes(make_server)
    with Writer(primary) as w:
        for _ in range(2):
            rc, report = run_check(primary)
            assert rc == 0, report
            assert report['status'] == 'ok'
            assert report['differing_ranges'] == 0
            assert report['keys'] > 20000
            assert [r['status'] for r in report['replicas']] == ['ok', 'ok']
            for r in report['replicas']:
                assert r['offset'] == report['offset']
                assert r['keys'] == report['keys']
    assert w.count > 100
    info = primary.client().info('consistency')
    assert info['consistency_last_check_status'] == 'ok'
    assert info['consistency_last_check_replicas_checked'] == 2
    assert info['consistency_last_success_time'] > 0
    rinfo = reps[0].client().info('consistency')
    assert rinfo['consistency_digest_passes'] >= 2
    assert rinfo['consistency_last_pass_state'] == 'done'


class PipelinedWriter(Writer):
    """Pipelines mixing list pushes with string writes, the load under which
    value digests once came out wrong (an uninitialized XXH3 state on the
    stack: the digest depended on what had run on the thread before)."""

    def run(self):
        i = 0
        while not self.stop.is_set():
            p = self.c.pipeline(transaction=False)
            for _ in range(20):
                i += 1
                p.lpush('l:%d' % (i % 50), i)
                p.set('key:%d' % (i % 5000), i)
            p.execute()
        self.count = i


def test_no_difference_under_pipelined_mixed_writes(make_server):
    primary, reps = start_nodes(make_server, replicas=1)
    with PipelinedWriter(primary):
        for _ in range(4):
            rc, report = run_check(primary)
            assert rc == 0, report
            assert report['differing_ranges'] == 0


def test_changed_deleted_and_extra_keys_found_down_to_the_key(make_server):
    primary, reps = start_nodes(make_server)
    bad = reps[1].client()
    bad.config_set('replica-read-only', 'no')
    bad.set('key:17', 'drifted')
    bad.delete('h:5')
    bad.set('only-here', '1')
    bad.pexpire('t:9', 999999999)  # same value, another TTL
    with Writer(primary, prefix='w'):  # off the keys changed above
        rc, report = run_check(primary)
    assert rc == 1, report
    assert report['status'] == 'differences'
    good, drifted = report['replicas']
    assert good['status'] == 'ok'
    assert drifted['status'] == 'differences'
    found = {(k['key'], k['difference']) for k in drifted['differing_keys']}
    assert ('h:5', 'missing on replica') in found
    assert ('only-here', 'only on replica') in found
    assert ('t:9', 'different value or ttl') in found
    assert ('key:17', 'different value or ttl') in found
    assert len(found) == 4, found
    info = primary.client().info('consistency')
    assert info['consistency_last_check_status'] == 'differences'
    assert info['consistency_last_check_differing_keys'] == 4


def metric(port, name):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    try:
        conn.request('GET', '/metrics')
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    for line in text.splitlines():
        if line.startswith(name + ' '):
            return float(line.split()[1])
    return None


def test_outcome_in_metrics(make_server):
    mport = free_port()
    primary, reps = start_nodes(make_server, replicas=1, metrics_port=mport)
    assert metric(mport, 'basalt_consistency_check_differences') is None
    assert run_check(primary)[0] == 0
    assert metric(mport, 'basalt_consistency_check_differences') == 0
    assert metric(mport, 'basalt_consistency_check_last_success_timestamp_seconds') > 0
    assert metric(mport, 'basalt_consistency_checks_total') == 1
    bad = reps[0].client()
    bad.config_set('replica-read-only', 'no')
    bad.set('key:1', 'drifted')
    bad.set('key:2', 'drifted')
    assert run_check(primary)[0] == 1
    assert metric(mport, 'basalt_consistency_check_differences') == 2
    assert metric(mport, 'basalt_consistency_check_differing_ranges') >= 1


def test_changed_value_without_writes(make_server):
    primary, reps = start_nodes(make_server, replicas=1)
    bad = reps[0].client()
    bad.config_set('replica-read-only', 'no')
    bad.set('key:17', 'drifted')
    rc, report = run_check(primary)
    assert rc == 1, report
    keys = report['replicas'][0]['differing_keys']
    assert keys == [{'db': 0, 'key': 'key:17', 'difference': 'different value or ttl'}]


def test_repair_makes_the_drifted_replica_full_sync(make_server):
    primary, reps = start_nodes(make_server, replicas=1)
    bad = reps[0].client()
    bad.config_set('replica-read-only', 'no')
    bad.set('key:3', 'drifted')
    bad.delete('key:4')
    full_before = primary.client().info('stats')['sync_full']
    rc, report = run_check(primary, '--repair')
    assert rc == 1, report
    assert report['replicas'][0]['repair'] == 'full sync requested'
    wait_for(lambda: primary.client().info('stats')['sync_full'] > full_before,
             what='a full sync')
    wait_link_up(*reps, primary=primary)
    wait_synced(primary, *reps)
    rc, report = run_check(primary)
    assert rc == 0, report
    assert bad.get('key:4') is not None


def test_redis_server_replica_refuses_the_check_and_keeps_streaming(make_server):
    primary, reps = start_nodes(make_server, replicas=1, oracle_replicas=1)
    c = primary.client()
    with pytest.raises(redis.ResponseError, match='not Basalt'):
        c.execute_command('CONSISTENCY', 'START')
    rc, report = run_check(primary)
    assert rc == 2
    assert 'not Basalt' in report['error']
    # The redis-server replica never saw a marker and goes on replicating.
    c.set('after-check', 'yes')
    wait_synced(primary, *reps)
    assert reps[1].client().get('after-check') == 'yes'
    assert reps[1].client().info('stats')['total_error_replies'] == 0


def test_marker_only_from_the_primary_stream(make_server):
    primary = make_server()
    c = primary.client()
    with pytest.raises(redis.ResponseError, match='replication stream'):
        c.execute_command('CONSISTENCY', 'MARK', '1-1', '4096')
    with pytest.raises(redis.ResponseError, match='out of bounds'):
        c.execute_command('CONSISTENCY', 'START', 'RANGES', '5000')
    # No replicas: a pass on the primary alone.
    started = c.execute_command('CONSISTENCY', 'START')
    check_id = started[1]
    wait_for(lambda: c.execute_command('CONSISTENCY', 'RESULT', check_id)[3] == 'done')
    assert c.execute_command('CONSISTENCY', 'RESULT', 'nope') is None


def test_replica_refuses_start(make_server):
    primary, reps = start_nodes(make_server, replicas=1)
    with pytest.raises(redis.ResponseError, match='runs on a primary'):
        reps[0].client().execute_command('CONSISTENCY', 'START')


def test_redis_server_replica_behind_a_basalt_replica_refuses_the_check(make_server):
    """A Basalt replica forwards the marker to its own replicas: with a
    redis-server one chained below, the primary learns it from the replica's
    ACKs (BASALT-FOREIGN) and refuses, as for a direct one."""
    primary, reps = start_nodes(make_server, replicas=1)
    chained = make_server('--replicaof', '127.0.0.1', str(reps[0].port), binary=oracle_binary())
    wait_link_up(chained, primary=reps[0])
    c = primary.client()

    def refused():
        try:
            c.execute_command('CONSISTENCY', 'START')
        except redis.ResponseError as e:
            return 'have replicas below them that are not Basalt' in str(e)
        return False
    # (The count travels with the replica's next ACK, within a cron tick: a
    # check started in between still sends its marker down.)
    wait_for(refused, what='the chained redis-server replica to be reported')
    errors_before = chained.client().info('stats')['total_error_replies']
    rc, report = run_check(primary)
    assert rc == 2 and '127.0.0.1:%d (1)' % reps[0].port in report['error'], report
    c.set('after-refusal', 'yes')
    wait_for(lambda: chained.client().get('after-refusal') == 'yes',
             what='the chain to keep replicating')
    assert chained.client().info('stats')['total_error_replies'] == errors_before
    # Detached: the check runs again.
    chained.client().execute_command('REPLICAOF', 'NO', 'ONE')
    wait_for(lambda: not refused(), what='the report to clear')
