"""FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]: the coordinated
handoff from a primary to one of its replicas (Redis 6.2+).

- Every error text, differential against redis-server 7.0.15: on a standalone
  server through the `differ` fixture, and with replicas (FORCE without
  TIMEOUT/TO, a target that is not a replica, a failover already in progress,
  REPLICAOF / SYNC / PSYNC while failing over, PSYNC ... FAILOVER on a primary
  and on a replica of another id) by running one scenario on each server and
  comparing the replies.
- The handoff itself: a primary with two replicas and a writer that writes
  all along; every acknowledged write is on the new primary, the old primary
  follows it partially, the second replica continues partially (no full sync
  anywhere); TO a given replica and to whichever catches up; TIMEOUT without
  FORCE gives up and writes resume; FORCE hands over anyway; ABORT.
- Interop both ways: a Basalt primary hands over to a redis-server replica,
  a redis-server primary hands over to a Basalt replica.

Every server in a scenario runs $BASALT_SERVER unless it says redis, so with
BASALT_SERVER=/usr/bin/redis-server the file checks itself against Redis.
"""
import threading
import time

from helpers import info_int, online_replicas, repl_info, wait_for, wait_link_up
from repl_util import (TIMEOUT, FakeReplica, assert_identical, pause, resume, start,
                       sync_stats)
from resp_client import RawClient
from sentinel_util import MASTER, EventCollector, Topology, as_dict, sentinel_cmd
from test_persistence import bclient


def failover_state(srv):
    return repl_info(srv)['master_failover_state']


def role(srv):
    return repl_info(srv)['role']


def wait_state(srv, state):
    wait_for(lambda: failover_state(srv) == state, TIMEOUT,
             'master_failover_state:%s on %d' % (state, srv.port),
             detail=lambda: repl_info(srv))


def wait_handed_over(old, new):
    """new is a primary, old its replica with the link up, the failover over."""
    wait_for(lambda: role(new) == 'master', TIMEOUT, 'port %d promoted' % new.port,
             detail=lambda: (repl_info(new), repl_info(old)))
    wait_link_up(old, primary=new)
    wait_state(old, 'no-failover')


def topology(make_server, primary_kind, *replica_kinds):
    primary = start(make_server, primary_kind)
    replicas = [start(make_server, k, replicaof=primary) for k in replica_kinds]
    wait_link_up(*replicas, primary=primary)
    # Online: a valid FAILOVER TO target (Basalt: once it acknowledged its sync).
    wait_for(lambda: online_replicas(primary) == len(replicas), TIMEOUT, 'replicas online',
             detail=lambda: repl_info(primary))
    return primary, replicas


class Writer:
    """Writes SET fo:<i> <i> to one server until stopped; remembers which
    writes were acknowledged (+OK) and counts the refused ones (READONLY once
    the server turned replica)."""

    def __init__(self, srv):
        self.srv = srv
        self.acked = []
        self.refused = 0
        self.stop = threading.Event()
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            c = RawClient(self.srv.port, timeout=TIMEOUT)
            i = 0
            while not self.stop.is_set():
                c.send_command('SET', 'fo:%d' % i, str(i))
                reply = c.read_reply()
                if reply == b'+OK\r\n':
                    self.acked.append(i)
                elif reply.startswith(b'-READONLY'):
                    self.refused += 1
                else:
                    self.errors.append(reply)
                i += 1
        except Exception as e:  # Reported by finish(); the test fails there.
            self.errors.append(repr(e))

    def __enter__(self):
        self.thread.start()
        wait_for(lambda: len(self.acked) >= 50 or self.errors, TIMEOUT, 'writer started')
        return self

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=TIMEOUT)
        assert not self.errors, self.errors

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=TIMEOUT)
        return False


def assert_all_acked_present(srv, acked):
    c = bclient(srv)
    p = c.pipeline(transaction=False)
    for i in acked:
        p.get('fo:%d' % i)
    got = p.execute()
    missing = [i for i, v in zip(acked, got) if v != str(i).encode()]
    assert not missing, '%d of %d acknowledged writes missing on %d: %r' % (
        len(missing), len(acked), srv.port, missing[:10])


# --- error texts ---------------------------------------------------------------

def test_errors_standalone(differ):
    differ([
        'FAILOVER ABORT',
        'FAILOVER TO',
        'FAILOVER TO 127.0.0.1',
        'FAILOVER TO 127.0.0.1 x',
        'FAILOVER TO 127.0.0.1 x BOGUS',
        'FAILOVER TO 127.0.0.1 5 TIMEOUT',
        'FAILOVER TIMEOUT 0',
        'FAILOVER TIMEOUT -5',
        'FAILOVER TIMEOUT x',
        'FAILOVER TIMEOUT 99999999999999999999',
        'FAILOVER TIMEOUT 0 ABORT',
        'FAILOVER TIMEOUT 5 TIMEOUT 6',
        'FAILOVER TIMEOUT 5 ABORT',
        'FAILOVER BOGUS',
        'failover abort abort',
        'FAILOVER ABORT TIMEOUT 5',
        'FAILOVER ABORT TIMEOUT 0',
        'FAILOVER ABORT FORCE',
        'FAILOVER FORCE FORCE',
        'FAILOVER TO 127.0.0.1 1 TO 127.0.0.1 2',
        # Past parsing: a standalone server has no replica to hand over to.
        'FAILOVER',
        'FAILOVER FORCE',
        'FAILOVER TO 127.0.0.1 1',
        'FAILOVER TO 127.0.0.1 1 FORCE',
        'FAILOVER TO 127.0.0.1 1 TIMEOUT 10 FORCE',
        'FAILOVER TIMEOUT 100',
        # PSYNC ... FAILOVER is for replicas only (nothing is synced).
        'PSYNC 0123456789012345678901234567890123456789 1 FAILOVER',
        'PSYNC x 1 failover',
        ['EVAL', "return redis.call('FAILOVER')", '0'],
        'MULTI',
        'FAILOVER ABORT',
        'EXEC',
    ])


def error_scenario(make_server, kind):
    """Error replies of a primary with a replica that never catches up (a
    socket that acknowledges once) and of an ordinary replica, in order."""
    primary = start(make_server, kind)
    out = []
    c = RawClient(primary.port, timeout=TIMEOUT)

    def run(*args, client=c):
        client.send_command(*args)
        reply = client.read_reply()
        out.append((' '.join(str(a) for a in args), reply))
        return reply

    fake = FakeReplica(primary)
    wait_for(lambda: info_int(primary, 'replication', 'connected_slaves') == 1, TIMEOUT,
             'the fake replica counted')
    for args in (['FAILOVER', 'FORCE'], ['FAILOVER', 'TIMEOUT', '100', 'FORCE'],
                 ['FAILOVER', 'TO', '127.0.0.1', '1', 'FORCE'],
                 ['FAILOVER', 'TO', '127.0.0.1', '1'],
                 ['FAILOVER', 'TO', '127.0.0.2', '0'],
                 ['FAILOVER', 'TO', '127.0.0.1', '1', 'TIMEOUT', '10', 'FORCE'],
                 ['FAILOVER', 'ABORT'], ['SET', 'k', 'v']):
        run(*args)
    assert failover_state(primary) == 'no-failover'
    # The fake replica never acknowledges the SET: the failover waits.
    assert run('FAILOVER', 'TIMEOUT', '60000') == b'+OK\r\n'
    assert failover_state(primary) == 'waiting-for-sync'
    assert role(primary) == 'master'
    # Where the field sits in INFO replication: between the replicas and the ids.
    keys = list(repl_info(primary))
    at = keys.index('master_failover_state')
    out.append(('INFO replication order', (keys[at - 1][:5], keys[at + 1])))
    for args in (['FAILOVER'], ['FAILOVER', 'FORCE'], ['FAILOVER', 'TO', '127.0.0.1', '1'],
                 ['FAILOVER', 'TIMEOUT', '0'], ['FAILOVER', 'ABORT', 'TIMEOUT', '5'],
                 ['REPLICAOF', '127.0.0.1', '1'], ['REPLICAOF', 'NO', 'ONE'],
                 ['PSYNC', 'x' * 40, '1', 'FAILOVER'], ['GET', 'k']):
        run(*args)
    with RawClient(primary.port, timeout=TIMEOUT) as other:
        run('PSYNC', '?', '-1', client=other)
    with RawClient(primary.port, timeout=TIMEOUT) as other:
        run('SYNC', client=other)
    # Writes wait (as under CLIENT PAUSE WRITE) and go through after ABORT.
    writer = RawClient(primary.port, timeout=TIMEOUT)
    writer.send_command('SET', 'k2', 'v2')
    run('FAILOVER', 'ABORT')
    out.append(('paused SET', writer.read_reply()))
    assert failover_state(primary) == 'no-failover'
    for args in (['FAILOVER', 'ABORT'], ['GET', 'k2']):
        run(*args)
    fake.close()

    replica = start(make_server, kind, replicaof=primary)
    wait_link_up(replica, primary=primary)
    r = RawClient(replica.port, timeout=TIMEOUT)
    for args in (['FAILOVER'], ['FAILOVER', 'ABORT'], ['FAILOVER', 'TIMEOUT', '0'],
                 ['FAILOVER', 'TO', '127.0.0.1', '1', 'TIMEOUT', '5', 'FORCE'],
                 ['FAILOVER', 'FORCE'], ['PSYNC', '0' * 40, '1', 'FAILOVER']):
        run(*args, client=r)
    assert role(replica) == 'slave'
    return out


def test_errors_with_replicas(make_server):
    got = error_scenario(make_server, 'basalt')
    want = error_scenario(make_server, 'redis')
    assert got == want


def pause_scenario(make_server, kind):
    """What MULTI/EXEC, scripts and blocked clients get while a FAILOVER
    waits (as under CLIENT PAUSE WRITE): reads and read-only scripts run,
    writes, scripts that may write and an EXEC holding a write wait until
    the failover ends (here by ABORT)."""
    primary = start(make_server, kind)
    fake = FakeReplica(primary)  # never acknowledges what follows
    wait_for(lambda: info_int(primary, 'replication', 'connected_slaves') == 1, TIMEOUT,
             'the fake replica counted')
    out = []

    def client(*cmds):
        c = RawClient(primary.port, timeout=TIMEOUT)
        for args in cmds:
            c.send_command(*args)
            out.append((' '.join(args), c.read_reply()))
        return c

    writer_multi = client(('MULTI',), ('SET', 'q', '1'))
    reader_multi = client(('MULTI',), ('GET', 'q'))
    blocked = client()
    blocked.send_command('BLPOP', 'list', '0')
    wait_for(lambda: info_int(primary, 'clients', 'blocked_clients') == 1, TIMEOUT,
             'BLPOP blocked')
    c = client(('SET', 'k', 'v'), ('FAILOVER', 'TIMEOUT', '60000'))
    assert failover_state(primary) == 'waiting-for-sync'
    writer_multi.send_command('EXEC')
    script = RawClient(primary.port, timeout=TIMEOUT)
    script.send_command('EVAL', "return redis.call('SET', 'e', '1')", '0')
    pusher = RawClient(primary.port, timeout=TIMEOUT)
    pusher.send_command('LPUSH', 'list', 'x')
    # These run during the pause (their replies arrive now).
    reader_multi.send_command('EXEC')
    out.append(('read-only EXEC', reader_multi.read_reply()))
    client(('EVAL_RO', "return redis.call('GET', 'k')", '0'), ('GET', 'q'), ('GET', 'e'),
           ('LLEN', 'list'))
    assert failover_state(primary) == 'waiting-for-sync'
    c.send_command('FAILOVER', 'ABORT')
    out.append(('FAILOVER ABORT', c.read_reply()))
    for name, conn in (('EXEC with a write', writer_multi), ('EVAL', script),
                       ('LPUSH', pusher), ('BLPOP', blocked)):
        out.append((name, conn.read_reply()))
    client(('GET', 'q'), ('GET', 'e'), ('LLEN', 'list'))
    fake.close()
    return out


def test_pause_semantics_during_failover(make_server):
    got = pause_scenario(make_server, 'basalt')
    want = pause_scenario(make_server, 'redis')
    assert got == want


# --- the handoff ----------------------------------------------------------------

def test_failover_to_replica_loses_no_acknowledged_write(make_server):
    primary, (target, other) = topology(make_server, 'basalt', 'basalt', 'basalt')
    bclient(primary).set('before', '1')
    wait_for(lambda: bclient(other).get('before') == b'1', TIMEOUT, 'replicated')
    full_before = [sync_stats(s)[0] for s in (primary, target, other)]
    partial_target = sync_stats(target)[1]
    partial_primary = sync_stats(primary)[1]
    with Writer(primary) as w:
        assert bclient(primary).execute_command(
            'FAILOVER', 'TO', '127.0.0.1', str(target.port)) in (b'OK', 'OK')
        wait_handed_over(primary, target)
        # The writer gets READONLY from the old primary from here on.
        wait_for(lambda: w.refused > 0, TIMEOUT, 'writes refused by the old primary')
        w.finish()
    assert len(w.acked) >= 50
    assert role(primary) == 'slave'
    assert_all_acked_present(target, w.acked)
    # The old primary continued partially from the new one; the other replica,
    # disconnected by the change of id, reconnected and continued partially too.
    assert sync_stats(target)[1] > partial_target
    wait_link_up(other)
    assert_identical(target, primary)
    wait_for(lambda: sync_stats(primary)[1] > partial_primary, TIMEOUT,
             'the other replica continued partially', detail=lambda: sync_stats(primary))
    wait_for(lambda: bclient(other).get('fo:%d' % w.acked[-1]) is not None, TIMEOUT,
             'the other replica has the last write')
    assert_all_acked_present(other, w.acked)
    assert [sync_stats(s)[0] for s in (primary, target, other)] == full_before
    # The new primary takes writes; they reach both.
    bclient(target).set('after', 'x')
    wait_for(lambda: bclient(other).get('after') == b'x', TIMEOUT, 'new writes reach the chain')
    assert failover_state(target) == 'no-failover'


def test_failover_without_target_picks_a_synced_replica(make_server):
    primary, replicas = topology(make_server, 'basalt', 'basalt', 'basalt')
    c = bclient(primary)
    for i in range(100):
        c.set('k%d' % i, i)
    assert c.execute_command('FAILOVER') in (b'OK', 'OK')
    wait_for(lambda: any(role(r) == 'master' for r in replicas), TIMEOUT, 'a replica promoted')
    new = next(r for r in replicas if role(r) == 'master')
    wait_handed_over(primary, new)
    assert bclient(new).get('k99') == b'99'
    assert_identical(new, primary)


def test_timeout_without_force_aborts_and_resumes(make_server):
    primary, (replica,) = topology(make_server, 'basalt', 'basalt')
    pause(replica)
    try:
        c = bclient(primary)
        c.set('k', 'v')
        assert c.execute_command('FAILOVER', 'TO', '127.0.0.1', str(replica.port),
                                 'TIMEOUT', '500') in (b'OK', 'OK')
        # A write sent now waits for the failover to end.
        w = RawClient(primary.port, timeout=TIMEOUT)
        w.send_command('SET', 'during', '1')
        wait_state(primary, 'no-failover')
        assert w.read_reply() == b'+OK\r\n'
        assert role(primary) == 'master'
        assert c.get('during') == b'1'
    finally:
        resume(replica)
    wait_link_up(replica, primary=primary)
    assert_identical(primary, replica)


def test_abort_resumes_writes(make_server):
    primary, (replica,) = topology(make_server, 'basalt', 'basalt')
    pause(replica)
    try:
        c = bclient(primary)
        c.set('k', 'v')
        assert c.execute_command('FAILOVER', 'TO', '127.0.0.1', str(replica.port)) in (b'OK', 'OK')
        assert failover_state(primary) == 'waiting-for-sync'
        w = RawClient(primary.port, timeout=TIMEOUT)
        w.send_command('INCR', 'n')
        # Blocked, MULTI and scripts behave as under CLIENT PAUSE WRITE: reads go on.
        assert c.get('k') == b'v'
        assert c.execute_command('FAILOVER', 'ABORT') in (b'OK', 'OK')
        assert w.read_reply() == b':1\r\n'
        assert failover_state(primary) == 'no-failover'
        assert role(primary) == 'master'
    finally:
        resume(replica)
    wait_link_up(replica, primary=primary)
    assert_identical(primary, replica)


def test_force_hands_over_after_timeout(make_server):
    primary, (replica,) = topology(make_server, 'basalt', 'basalt')
    c = bclient(primary)
    c.set('synced', '1')
    wait_for(lambda: bclient(replica).get('synced') == b'1', TIMEOUT, 'replicated')
    pause(replica)
    try:
        # Not acknowledged by the replica before the timeout (it may still
        # read it from its socket once resumed).
        c.set('unacked', '1')
        assert c.execute_command('FAILOVER', 'TO', '127.0.0.1', str(replica.port),
                                 'TIMEOUT', '300', 'FORCE') in (b'OK', 'OK')
        wait_state(primary, 'failover-in-progress')
        assert role(primary) == 'slave'
    finally:
        resume(replica)
    wait_handed_over(primary, replica)
    # FORCE: handed over although the target had not caught up; the old
    # primary follows the new one's data (partially or by a full sync).
    assert_identical(replica, primary)
    assert bclient(primary).get('synced') == b'1'
    assert failover_state(replica) == 'no-failover'


# --- interop --------------------------------------------------------------------

def _interop(make_server, primary_kind, replica_kind):
    primary, (replica,) = topology(make_server, primary_kind, replica_kind)
    full_before = sync_stats(replica)[0]
    with Writer(primary) as w:
        assert bclient(primary).execute_command(
            'FAILOVER', 'TO', '127.0.0.1', str(replica.port), 'TIMEOUT', '20000') in (b'OK', 'OK')
        wait_handed_over(primary, replica)
        wait_for(lambda: w.refused > 0, TIMEOUT, 'writes refused by the old primary')
        w.finish()
    assert_all_acked_present(replica, w.acked)
    assert_identical(replica, primary)
    # The old primary continued partially: the new one served no full sync.
    assert sync_stats(replica)[0] == full_before
    bclient(replica).set('after', 'x')
    wait_for(lambda: bclient(primary).get('after') == b'x', TIMEOUT, 'the old primary follows')


def test_interop_basalt_primary_to_redis_replica(make_server):
    _interop(make_server, 'basalt', 'redis')


def test_interop_redis_primary_to_basalt_replica(make_server):
    _interop(make_server, 'redis', 'basalt')


# --- sentinel -------------------------------------------------------------------

def test_sentinel_does_not_fail_over_during_failover_wait():
    """A sentinel watching a primary that runs FAILOVER starts no failover of
    its own while the wait is shorter than down-after-milliseconds.

    As with redis-sentinel, the sentinel does not read master_failover_state:
    the paused primary still answers PING and INFO, but the sentinel's hello
    PUBLISH waits for the pause like any write, so a wait longer than
    down-after makes the primary look down to it (the same with Redis).
    """
    down_after = 2000
    with Topology(replicas=1, sentinels=1, quorum=1, down_after=down_after) as topo:
        sentinel = topo.sentinels[0]
        events = EventCollector(sentinel)
        try:
            primary, replica = topo.primary, topo.replicas[0]
            wait_for(lambda: online_replicas(primary) == 1, TIMEOUT, 'replica online')
            pause(replica)
            try:
                c = bclient(primary)
                c.set('k', 'v')
                assert c.execute_command('FAILOVER', 'TO', '127.0.0.1', str(replica.port),
                                         'TIMEOUT', '500') in (b'OK', 'OK')
                started = time.monotonic()
                wait_state(primary, 'no-failover')
            finally:
                resume(replica)
            assert role(primary) == 'master'

            # Past down-after since the FAILOVER, with the sentinel hearing
            # from the primary again.
            def watched_long_enough():
                m = as_dict(sentinel_cmd(sentinel, 'MASTER', MASTER))
                return (time.monotonic() - started > 1.5 * down_after / 1000 and
                        int(m['last-ping-reply']) < down_after / 2)
            wait_for(watched_long_enough, TIMEOUT, 'the sentinel watching the primary')
            m = as_dict(sentinel_cmd(sentinel, 'MASTER', MASTER))
            assert m['flags'] == 'master', m
            bad = [(ch, msg) for ch, msg in events.events
                   if ch in ('+odown', '+try-failover', '+switch-master') or
                   (ch == '+sdown' and msg.startswith('master'))]
            assert not bad, events.events
            assert topo.master_addr() == topo.addr(primary)
        finally:
            events.close()
