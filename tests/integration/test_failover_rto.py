"""Recovery time of an unplanned failover, the way a user deploys it.

Three data nodes in synchronous mode (--min-replicas-ack 1) with the
deployment's `repl-diskless-sync-delay 5` (Redis's default; the other drills
set it to 0), three sentinels at down-after-milliseconds 1000, and a writer
following the primary through redis-py's Sentinel client. Each round kills
the primary with SIGKILL and measures, from the kill:

  - when every sentinel answers GET-MASTER-ADDR-BY-NAME with the new primary;
  - when the writer gets its first acknowledgement from the new primary (the
    recovery time an application sees);
  - whether the sibling replica continued partially on the promoted one.

In synchronous mode the new primary acknowledges nothing until a replica is
attached to it, so a sibling that waited out the diskless-sync delay for a
full resync used to hold every write for 5 s more (issue 17, part 0). Every
round, the first after start included, must recover within RTO_BOUND (RTO_ROUNDS
rounds, default 3; `make soak-k8s` runs more). The
bound is looser than the 2 s target (docs/benchmarks.md has the measured
figures, from bench/failover) so that a loaded CI machine does not fail it,
yet far below the 5 s the delay would add.
"""
import os
import time

import pytest

import servers
from helpers import TRANSIENT_ERRORS, wait_for
from sentinel_drill import DrillWriter, sentinels_quiet, sync_args, wait_stable
from sentinel_util import Topology

SCALE = servers.TIME_SCALE
DOWN_AFTER_MS = 1000
RTO_BOUND = 3.0 * SCALE
ROUNDS = int(os.environ.get('RTO_ROUNDS', '3'))
DEPLOYED = ['--repl-diskless-sync-delay', '5', '--enable-debug-command', 'yes']


def topology(**kw):
    return Topology(replicas=2, sentinels=3, quorum=2, down_after=DOWN_AFTER_MS,
                    failover_timeout=10000, data_args=sync_args() + DEPLOYED, **kw)


def sentinel_switch_times(topo, old_addr, t0, deadline):
    """Seconds from t0 until each sentinel names a primary other than old_addr."""
    switched = {}
    while len(switched) < len(topo.sentinels) and time.monotonic() < deadline:
        for i, s in enumerate(topo.sentinels):
            if i in switched:
                continue
            try:
                addr = topo.master_addr(s)
            except TRANSIENT_ERRORS:
                continue
            if addr and tuple(addr) != tuple(old_addr):
                switched[i] = time.monotonic() - t0
        time.sleep(0.01)
    return switched


def full_syncs(node):
    return int(node.client().info('stats')['sync_full'])


def kill_and_measure(topo, rnd, before_kill=None):
    """One round: returns (seconds to the first ack by the new primary,
    per-sentinel switch seconds, full syncs the new primary served)."""
    old = topo.primary
    old_addr = topo.addr(old)
    with DrillWriter(topo.sentinel_addrs(), prefix='rto%d' % rnd, threads=2) as w:
        w.wait_acks(200, what='writes before the kill')
        if before_kill:
            before_kill(topo)
        syncs = {n.port: full_syncs(n) for n in topo.data_nodes if n is not old}
        t0 = time.monotonic()
        old.proc.kill()
        old.proc.wait(timeout=30)
        switched = sentinel_switch_times(topo, old_addr, t0, t0 + 20 * SCALE)
        new = topo.wait_failover(old_addr)
        new_addr = topo.addr(new)
        w.wait_acks(50, node=new_addr, what='writes acknowledged by the new primary')
        first = min(a.acked for a in w.acks() if a.node == new_addr) - t0
        served = full_syncs(new) - syncs[new.port]
    print('round %d: first write acknowledged by the new primary %.3f s after the kill; '
          'sentinels switched at %s s; full syncs served by the new primary: %d' % (
              rnd, first, sorted(round(v, 3) for v in switched.values()), served))
    assert len(switched) == len(topo.sentinels), 'sentinels still naming the old primary: %s' % (
        switched,)
    return old, first, switched, served


def restart_old(topo, old):
    old.start()
    wait_stable(topo)
    wait_for(lambda: sentinels_quiet(topo), 60 * SCALE, 'the sentinels to be quiet',
             retry_on=TRANSIENT_ERRORS)
    time.sleep(2 * SCALE)


def test_every_round_recovers_within_the_bound():
    with topology() as topo:
        for rnd in range(ROUNDS):
            old, first, switched, served = kill_and_measure(topo, rnd)
            assert first <= RTO_BOUND, 'round %d: recovery took %.3f s (bound %.1f s)' % (
                rnd, first, RTO_BOUND)
            # Every sentinel answers the new primary to the clients that ask it,
            # the leader included, by the time writes flow again.
            assert max(switched.values()) <= first + 0.5 * SCALE, switched
            # The sibling continued partially on the promoted replica.
            assert served == 0, 'round %d: the sibling took a full sync' % rnd
            if rnd + 1 < ROUNDS:
                restart_old(topo, old)


def test_sibling_needing_a_full_sync_does_not_hold_writes():
    """The sibling cannot continue (its history was replaced with DEBUG
    CHANGE-REPL-ID, as when it is behind or diverged): the promoted replica
    must start its snapshot at once, not after repl-diskless-sync-delay,
    since in synchronous mode writes wait for that replica."""
    with topology(node_args={1: ['--replica-priority', '10']}) as topo:
        def diverge(t):
            t.data_nodes[2].client().execute_command('DEBUG', 'CHANGE-REPL-ID')
        _, first, _, served = kill_and_measure(topo, 0, before_kill=diverge)
        assert served == 1, 'the diverged sibling should have needed a full sync'
        assert first <= RTO_BOUND, 'recovery took %.3f s (bound %.1f s)' % (first, RTO_BOUND)


@pytest.mark.parametrize('min_acks', [0, 1])
def test_diskless_delay_is_kept_unless_writes_wait(min_acks):
    """Outside synchronous mode (or with enough replicas online) the delay is
    kept as configured, as in Redis."""
    args = ['--repl-diskless-sync-delay', '2', '--min-replicas-ack', str(min_acks)]
    binary = servers.basalt_binary()
    with servers.start_server(binary, *args) as primary:
        with servers.start_server(binary, '--replicaof', primary.host, str(primary.port)) as replica:
            t0 = time.monotonic()
            wait_for(lambda: replica.client().info('replication')['master_link_status'] == 'up',
                     30 * SCALE, 'the replica to sync', retry_on=TRANSIENT_ERRORS)
            took = time.monotonic() - t0
            log = primary.log_text()
            if min_acks:
                assert 'delaying it by repl-diskless-sync-delay' not in log, log
            else:
                assert 'delaying it by repl-diskless-sync-delay' in log, log
                assert took >= 1.5, took
