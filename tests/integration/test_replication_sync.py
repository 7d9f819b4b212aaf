"""Replica acknowledgements on the primary: WAIT, min-replicas-to-write, the
replica output-buffer limit, repl-timeout, and Basalt's synchronous
replication (min-replicas-ack), which loses no acknowledged write when the
primary dies and its replica is promoted.

Where Redis 7.0 defines the behaviour the primary runs both as the server
under test and as redis-server (parameter `primary`), with Debian's
redis-server as the replica unless said otherwise; the replies must be the
same. Replicas are paused with SIGSTOP to make them miss acknowledgements.
SYNC_ROUNDS sets the rounds of the kill -9 test (default 3).
"""
import contextlib
import os
import random
import threading
import time

import pytest
import redis

import servers
from helpers import online_replicas, repl_info, wait_for, wait_link_up
from repl_util import pause, resume
from servers import basalt_binary, oracle_binary, start_server
from test_persistence import bclient, snapshot

NOREPLICAS = 'NOREPLICAS Not enough good replicas to write.'
SCALE = servers.TIME_SCALE


def timeout_error(needed, ms):
    return ('NOREPLICAS Write applied locally but not acknowledged by %d replica(s) within %d ms; '
            'it may be lost on failover' % (needed, ms))


def binary(kind):
    return oracle_binary() if kind == 'redis' else basalt_binary()


BOTH_PRIMARIES = [pytest.param('target', id='primary-target'),
                  pytest.param('redis', id='primary-redis')]


def replicate(make_server, primary, kind='redis', *args):
    """Starts a replica of `primary` and waits until the primary streams to it."""
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port), *args,
                          binary=binary(kind))
    wait_link_up(replica)
    wait_for(lambda: online_replicas(primary) >= 1, what='replica online on the primary')
    return replica


@contextlib.contextmanager
def stopped(srv):
    """The server's process is stopped (SIGSTOP) inside the block."""
    pause(srv)
    try:
        yield
    finally:
        resume(srv)


def error_text(fn, *args):
    try:
        fn(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError('no error from %r' % (args,))


def accepted(c, key, value):
    """True if SET key value succeeds, False if it is refused."""
    try:
        return bool(c.set(key, value))
    except redis.ResponseError:
        return False


def timed(fn, *args):
    t = time.monotonic()
    r = fn(*args)
    return r, time.monotonic() - t


# --- WAIT ------------------------------------------------------------------

def test_wait_arguments_and_no_replicas(differ):
    differ([
        'WAIT', 'WAIT 1', 'WAIT 1 2 3',
        'WAIT a 0', 'WAIT 0 a', 'WAIT a a', 'WAIT 0 -1', 'WAIT -1 -1', 'WAIT 1 1.5',
        'WAIT 1 99999999999999999999', 'WAIT 99999999999999999999 0',
        'WAIT 0 0', 'WAIT -1 0', 'WAIT 1 10', 'WAIT 3 1',
        'SET k v', 'WAIT 0 0', 'WAIT 1 10',
        # Inside a transaction WAIT never blocks.
        'MULTI', 'WAIT 1 0', 'SET k v2', 'WAIT 5 0', 'GET k', 'EXEC',
        'MULTI', 'WAIT 0 100', 'EXEC',
    ])


@pytest.mark.parametrize('primary_kind', BOTH_PRIMARIES)
def test_wait_blocks_and_client_unblock(make_server, primary_kind):
    primary = make_server(binary=binary(primary_kind))
    a = primary.raw()
    b = primary.client()
    cid = a.call('CLIENT', 'ID')
    # No replica: WAIT 1 0 waits for ever, and holds back the pipeline.
    a.send_command('WAIT', '1', '0')
    a.send_command('PING')
    time.sleep(0.2)
    line = [l for l in b.execute_command('CLIENT', 'LIST').splitlines()
            if l.startswith('id=%d ' % cid)][0]
    assert ' flags=b ' in line and ' cmd=wait ' in line
    assert a.read_available(0.1) == b''
    assert b.execute_command('CLIENT', 'UNBLOCK', cid) == 1
    assert a.read_reply() == b':0\r\n'
    assert a.read_reply() == b'+PONG\r\n'
    a.send_command('WAIT', '1', '0')
    time.sleep(0.1)
    assert b.execute_command('CLIENT', 'UNBLOCK', cid, 'ERROR') == 1
    assert a.read_reply() == b'-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n'
    # A timeout answers how many acknowledged (none).
    r, took = timed(a.command, 'WAIT', '1', '300')
    assert r == b':0\r\n' and took >= 0.29
    a.close()


@pytest.mark.parametrize('primary_kind,replica_kind', [
    pytest.param('target', 'redis', id='target-redis'),
    pytest.param('redis', 'redis', id='redis-redis'),
    pytest.param('target', 'target', id='target-target'),
])
def test_wait_with_a_replica(make_server, primary_kind, replica_kind):
    primary = make_server(binary=binary(primary_kind))
    replica = replicate(make_server, primary, replica_kind)
    c = primary.client()
    c.set('k', 'v')
    r, took = timed(c.wait, 1, 5000)
    assert r == 1 and took < 2 * SCALE
    # More than there are: the whole timeout, then the count.
    r, took = timed(c.wait, 2, 300)
    assert r == 1 and 0.29 <= took < 3 * SCALE
    assert c.wait(0, 0) == 1
    w = primary.raw()
    with stopped(replica):
        c.set('k', 'v2')
        r, took = timed(c.wait, 1, 500)
        assert r == 0 and took >= 0.49
        # WAIT 1 0 waits until the replica is back.
        assert w.command('SET', 'k2', 'x') == b'+OK\r\n'
        w.send_command('WAIT', '1', '0')
        assert w.read_available(0.3) == b''
    assert w.read_reply() == b':1\r\n'
    w.close()
    assert replica.client().get('k') == 'v2'
    # A client that wrote nothing waits for nothing.
    assert primary.client().wait(1, 0) == 1


def test_wait_on_a_replica_is_refused(make_server):
    primary = make_server(binary=oracle_binary())
    replica = replicate(make_server, primary, 'target')
    assert error_text(replica.client().wait, 0, 0) == (
        'WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a '
        'replica is configured to be writable (which is not the default) writes to replicas are '
        'just local and are not propagated.')


# --- min-replicas-to-write -------------------------------------------------

@pytest.mark.parametrize('primary_kind', BOTH_PRIMARIES)
def test_min_replicas_to_write_refusal_and_recovery(make_server, primary_kind):
    primary = make_server('--min-replicas-to-write', '1', '--min-replicas-max-lag', '2',
                          binary=binary(primary_kind))
    c = primary.client()
    assert error_text(c.set, 'k', 'v') == NOREPLICAS
    replica = replicate(make_server, primary)
    wait_for(lambda: accepted(c, 'k', 'v'), what='writes accepted with a good replica')
    with stopped(replica):
        # Past max-lag without an ACK the replica is no longer good.
        attempts = [0]

        def refused():
            attempts[0] += 1
            try:
                c.set('try:%d' % attempts[0], 'x')
                return False
            except redis.ResponseError as e:
                assert str(e) == NOREPLICAS
                return True
        wait_for(refused, timeout=10 * SCALE, what='NOREPLICAS')
        assert c.get('try:%d' % attempts[0]) is None
        raw = primary.raw()
        assert raw.command('PUBLISH', 'ch', 'm') == b':0\r\n'
        assert raw.command('PING') == b'+PONG\r\n'
        # Queueing a write fails the transaction; reads queue and run.
        assert raw.command('MULTI') == b'+OK\r\n'
        assert raw.command('SET', 'k', 'v3') == b'-' + NOREPLICAS.encode() + b'\r\n'
        assert raw.command('GET', 'k') == b'+QUEUED\r\n'
        assert raw.command('EXEC') == (b'-EXECABORT Transaction discarded because of previous '
                                       b'errors.\r\n')
        assert raw.command('MULTI') == b'+OK\r\n'
        assert raw.command('GET', 'k') == b'+QUEUED\r\n'
        assert raw.command('EXEC') == b'*1\r\n$1\r\nv\r\n'
        # min-replicas-max-lag 0 turns the check off.
        c.config_set('min-replicas-max-lag', 0)
        assert c.set('k', 'v4')
        c.config_set('min-replicas-max-lag', 2)
        raw.close()
    wait_for(lambda: accepted(c, 'k', 'v5'), timeout=10 * SCALE, what='writes accepted again')
    assert c.config_get('min-replicas-to-write') == {'min-replicas-to-write': '1'}
    wait_for(lambda: replica.client().get('k') == 'v5', what='replica caught up')


@pytest.mark.parametrize('primary_kind', BOTH_PRIMARIES)
def test_exec_refused_when_replicas_went_missing_after_queueing(make_server, primary_kind):
    primary = make_server(binary=binary(primary_kind))
    replicate(make_server, primary)
    raw = primary.raw()
    assert raw.command('MULTI') == b'+OK\r\n'
    assert raw.command('SET', 'k', 'v') == b'+QUEUED\r\n'
    primary.client().config_set('min-replicas-to-write', 2)
    assert raw.command('EXEC') == (b'-EXECABORT Transaction discarded because of: NOREPLICAS Not '
                                   b'enough good replicas to write.\r\n')
    assert primary.client().get('k') is None
    raw.close()


# --- Dropping replicas -----------------------------------------------------

@pytest.mark.parametrize('primary_kind', BOTH_PRIMARIES)
def test_replica_silent_past_repl_timeout_is_dropped(make_server, primary_kind):
    primary = make_server('--repl-timeout', '2', binary=binary(primary_kind))
    replica = replicate(make_server, primary)
    c = bclient(primary)
    c.set(b'before', b'1')
    with stopped(replica):
        wait_for(lambda: repl_info(primary)['connected_slaves'] == '0', timeout=10 * SCALE,
                 what='primary drops the silent replica')
        c.set(b'during', b'2')
    wait_for(lambda: online_replicas(primary) == 1, timeout=20 * SCALE, what='replica back')
    off = int(repl_info(primary)['master_repl_offset'])
    wait_for(lambda: int(repl_info(replica)['master_repl_offset']) >= off, what='replica caught up')
    assert snapshot(bclient(replica)) == snapshot(c)


@pytest.mark.parametrize('primary_kind', BOTH_PRIMARIES)
def test_replica_over_output_limit_is_dropped_and_resyncs(make_server, primary_kind):
    primary = make_server(binary=binary(primary_kind))
    replica = replicate(make_server, primary)
    c = bclient(primary)
    c.config_set('client-output-buffer-limit', 'replica 1mb 0 0')
    assert 'slave 1048576 0 0' in primary.client().config_get('client-output-buffer-limit')[
        'client-output-buffer-limit']
    value = b'x' * (1 << 20)
    with stopped(replica):
        # Far more than the kernel's socket buffers hold: the rest waits in
        # the primary, past the limit.
        for i in range(40):
            c.set(b'big:%d' % (i % 8), value)
        wait_for(lambda: repl_info(primary)['connected_slaves'] == '0', timeout=10 * SCALE,
                 what='replica dropped for its output buffer')
    c.config_set('client-output-buffer-limit', 'replica 256mb 64mb 60')
    wait_for(lambda: online_replicas(primary) == 1, timeout=20 * SCALE, what='replica back')
    off = int(repl_info(primary)['master_repl_offset'])
    wait_for(lambda: int(repl_info(replica)['master_repl_offset']) >= off, what='replica caught up')
    assert snapshot(bclient(replica)) == snapshot(c)


# --- Synchronous replication (Basalt) --------------------------------------

@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_config(make_server):
    primary = make_server()
    c = primary.client()
    assert c.config_get('min-replicas-ack*') == {'min-replicas-ack': '0',
                                                 'min-replicas-ack-timeout': '1000'}
    c.config_set('min-replicas-ack', 2)
    c.config_set('min-replicas-ack-timeout', 50)
    assert c.config_get('min-replicas-ack*') == {'min-replicas-ack': '2',
                                                 'min-replicas-ack-timeout': '50'}
    assert 'argument must be between 1 and' in error_text(c.config_set,
                                                          'min-replicas-ack-timeout', 0)
    assert 'argument must be between 0 and' in error_text(c.config_set, 'min-replicas-ack', -1)


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_refuses_writes_before_applying_without_enough_replicas(make_server):
    primary = make_server('--min-replicas-ack', '1')
    c = primary.client()
    assert error_text(c.set, 'k', 'v') == NOREPLICAS
    assert error_text(c.incr, 'n') == NOREPLICAS
    assert c.get('k') is None and c.get('n') is None
    assert c.ping()
    raw = primary.raw()
    assert raw.command('MULTI') == b'+OK\r\n'
    assert raw.command('SET', 'k', 'v') == b'-' + NOREPLICAS.encode() + b'\r\n'
    assert raw.command('EXEC').startswith(b'-EXECABORT')
    raw.close()
    replica = replicate(make_server, primary)
    wait_for(lambda: accepted(c, 'k', 'v'), what='writes accepted with the replica online')
    assert replica.client().get('k') == 'v'
    # Two needed, one online: refused again.
    c.config_set('min-replicas-ack', 2)
    assert error_text(c.set, 'k', 'v2') == NOREPLICAS
    assert c.get('k') == 'v'


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
@pytest.mark.parametrize('replica_kind', ['redis', 'target'])
def test_sync_acknowledged_writes_are_on_the_replica(make_server, replica_kind):
    primary = make_server('--min-replicas-ack', '1', threads=2)
    replica = replicate(make_server, primary, replica_kind)
    c = primary.client()
    rc = replica.client()
    for i in range(200):
        assert c.set('k:%d' % i, i)
        # Acknowledged means applied by the replica: it is there already.
        assert rc.get('k:%d' % i) == str(i)
    # Transactions: the EXEC reply waits too.
    p = c.pipeline(transaction=True)
    p.incr('ctr').rpush('list', 'a', 'b').get('k:1')
    assert p.execute() == [1, 2, '1']
    assert rc.lrange('list', 0, -1) == ['a', 'b'] and rc.get('ctr') == '1'
    # Pipelined writes from several clients at once.
    errors = []

    def writer(n):
        try:
            w = primary.client()
            p = w.pipeline(transaction=False)
            for j in range(100):
                p.set('w%d:%d' % (n, j), j)
            assert all(p.execute())
            assert replica.client().get('w%d:99' % n) == '99'
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_timeout_replaces_only_write_replies(make_server):
    primary = make_server('--min-replicas-ack', '1', '--min-replicas-ack-timeout', '400')
    replica = replicate(make_server, primary)
    c = primary.client()
    c.set('r', 'before')
    with stopped(replica):
        err, took = timed(error_text, c.set, 'k', 'v')
        assert err == timeout_error(1, 400)
        assert 0.39 <= took < 3 * SCALE
        # Applied here all the same: the error says it is not known to be replicated.
        assert c.get('k') == 'v'
        # Reads after a held write wait behind it (order), but keep their replies.
        p = c.pipeline(transaction=False)
        p.set('a', 1).get('a').incr('n').get('r').ping()
        out = p.execute(raise_on_error=False)
        assert [str(x) for x in (out[0], out[2])] == [timeout_error(1, 400)] * 2
        assert out[1] == '1' and out[3] == 'before' and out[4] is True
        # Another connection's reads do not wait.
        hold = primary.raw()
        hold.send_command('SET', 'held', '1')
        r, took = timed(primary.client().get, 'r')
        assert r == 'before' and took < 0.3
        assert hold.read_reply() == b'-' + timeout_error(1, 400).encode() + b'\r\n'
        hold.close()
        # EXEC with writes: its whole reply becomes the error.
        raw = primary.raw()
        raw.command('MULTI')
        raw.command('SET', 'm', '1')
        raw.command('GET', 'm')
        assert raw.command('EXEC') == b'-' + timeout_error(1, 400).encode() + b'\r\n'
        raw.command('MULTI')
        raw.command('GET', 'm')
        assert raw.command('EXEC') == b'*1\r\n$1\r\n1\r\n'
        raw.close()
        assert c.get('m') == '1'
    wait_for(lambda: accepted(c, 'after', 'x'), what='writes acknowledged again')
    assert replica.client().get('after') == 'x'
    assert replica.client().get('k') == 'v'


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_with_appendfsync_always(make_server):
    primary = make_server('--min-replicas-ack', '1', '--appendonly', 'yes',
                          '--appendfsync', 'always')
    replica = replicate(make_server, primary)
    c = primary.client()
    for i in range(50):
        assert c.set('k:%d' % i, i)
        assert replica.client().get('k:%d' % i) == str(i)
    p = c.pipeline(transaction=True)
    p.set('t', 1).incr('t')
    assert p.execute() == [True, 2]


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_kill9_primary_and_promote_loses_no_acknowledged_write():
    rounds = int(os.environ.get('SYNC_ROUNDS', '3'))
    for rnd in range(rounds):
        with start_server(basalt_binary(), '--min-replicas-ack', '1',
                          '--min-replicas-ack-timeout', '3000', threads=2) as primary:
            with start_server(basalt_binary(), '--replicaof', '127.0.0.1', str(primary.port),
                              threads=2) as replica:
                wait_link_up(replica)
                wait_for(lambda: online_replicas(primary) == 1, what='replica online')
                acked, counters = kill_under_load(primary, writers=4)
                rc = replica.client(decode_responses=False)
                assert rc.execute_command('REPLICAOF', 'NO', 'ONE')
                assert len(acked) > 50, 'too few writes acknowledged: %d' % len(acked)
                keys = sorted(acked)
                got = []
                for i in range(0, len(keys), 500):
                    got += rc.mget(keys[i:i + 500])
                missing = [k for k, g in zip(keys, got) if g != acked[k]]
                assert not missing, 'round %d: %d acknowledged writes lost, e.g. %r' % (
                    rnd, len(missing), missing[:5])
                for key, value in counters.items():
                    assert int(rc.get(key) or 0) >= value, (rnd, key)
                # The promoted replica takes writes.
                assert rc.set(b'after-promotion', b'1')


def kill_under_load(primary, writers):
    """Writers SET unique keys and INCR counters; the primary gets SIGKILL
    mid-way. Returns (key -> value of every acknowledged SET, counter -> last
    acknowledged INCR result)."""
    acked = {}
    counters = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n):
        c = primary.client(decode_responses=False, socket_timeout=10)
        ctr = b'ctr:%d' % n
        i = 0
        while not stop.is_set():
            key, value = b'w%d:%d' % (n, i), b'v%d' % i
            i += 1
            try:
                c.set(key, value)
                with lock:
                    acked[key] = value
                v = c.incr(ctr)
                with lock:
                    counters[ctr] = v
            except redis.ResponseError:
                continue  # not acknowledged: no promise made
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    time.sleep(0.5 + random.random())
    primary.proc.kill()
    primary.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    return acked, counters
