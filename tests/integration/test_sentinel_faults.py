"""Sentinel fault drills with lost-write accounting.

Each drill runs 1 primary, 2 replicas and 3 sentinels (quorum 2,
down-after-milliseconds 1000), a writer going through redis-py's
sentinel-aware client (sentinel_drill.DrillWriter), and one fault:

  kill9           kill -9 of the primary; restarted (empty) once failed over
  sigstop         SIGSTOP of the primary; SIGCONT once failed over
  sentinel        kill -9 of a sentinel, then of the primary while it is down;
                  both restarted once the two others have failed over
  partition       each process in its own network namespace (netns.py); the
                  primary is cut from the replicas and sentinels, not from the
                  clients; healed once failed over
  partition_from_sentinels
                  the same, but cut from the sentinels only: it keeps its
                  replicas until the elected sentinel fences them

After the failover, the recovery and the old primary's return as a replica
of the new one, replication settles and every acknowledged write is read
back from the final primary. In synchronous mode (Basalt's
--min-replicas-ack 1) none may be missing, and the old primary acknowledges
no write sent after the fault began (so never one after the new primary's
first). In asynchronous mode loss is allowed: the drill prints what was lost
and asserts only that it ran. Both modes also set min-replicas-to-write 1 /
min-replicas-max-lag 2.

Implementations: SENTINEL_IMPL and DATA_IMPL ('basalt', the default, or
'redis'; see sentinel_util). redis-server has no synchronous mode, so with
DATA_IMPL=redis only the asynchronous drills run. SENTINEL_DRILL_ROUNDS
(default 1) repeats the fault in the same topology (each round fails the
current primary over again) for a longer soak; between rounds the sentinels
get a few quiet seconds, or a fault right after a failover can make
redis-sentinel fail over twice (a live primary failed over while another
replica still acknowledges its writes, which sync mode cannot save).

Every drill prints a one-line summary per round (pytest -s shows it).
"""
import os
import signal
import time

import pytest

import netns
import sentinel_util
import servers
from helpers import TRANSIENT_ERRORS, repl_info, wait_for
from sentinel_drill import (MAX_LAG, DrillWriter, account, node_args, replica_offsets,
                            sentinels_quiet, wait_settled, wait_stable)
from sentinel_util import CONVERT_TIMEOUT, TIMEOUT, EventCollector, Topology

ROUNDS = int(os.environ.get('SENTINEL_DRILL_ROUNDS', '1'))
SCALE = servers.TIME_SCALE
# Writes acknowledged before the fault, and by the new primary, before moving on.
ACKS_BEFORE = 200
ACKS_AFTER = 100

MODES = [pytest.param('sync', id='sync'), pytest.param('async', id='async')]


@pytest.fixture(autouse=True)
def _drill_timeout():
    """More time per test than conftest's default when soaking several rounds
    (conftest's own fixture turns the alarm off afterwards)."""
    if ROUNDS > 1:
        signal.alarm(int((60 + 60 * ROUNDS) * SCALE))
    yield


def skip_unsupported(mode):
    if mode == 'sync' and sentinel_util.data_impl() != 'basalt':
        pytest.skip('redis-server data nodes have no synchronous mode (min-replicas-ack)')


def topology(mode, **kw):
    return Topology(replicas=2, sentinels=3, quorum=2, down_after=1000, failover_timeout=10000,
                    data_args=node_args(mode), **kw)


# --- faults -------------------------------------------------------------------------
# Each fault(topo, old, ctx) breaks the current primary `old` and returns, once
# the fault is complete (process gone or stopped, rules in place), a function
# that undoes it after the failover.

def kill9(topo, old, ctx):
    old.proc.kill()
    old.proc.wait(timeout=30)
    # Back on its port and dir, empty (no persistence): the sentinels must turn
    # it into a replica of the new primary.
    return old.start


def stopped(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().rsplit(')', 1)[1].split()[0] in ('T', 't')


def sigstop(topo, old, ctx):
    os.kill(old.proc.pid, signal.SIGSTOP)
    wait_for(lambda: stopped(old.proc.pid), TIMEOUT, 'process %d stopped' % old.proc.pid,
             retry_on=TRANSIENT_ERRORS)

    def undo():
        os.kill(old.proc.pid, signal.SIGCONT)
    return undo


def sentinel_and_primary(topo, old, ctx):
    """A sentinel dies first; the two others (still a majority) fail over."""
    victim = topo.sentinels[ctx['round'] % len(topo.sentinels)]
    victim.proc.kill()
    victim.proc.wait(timeout=30)
    undo_primary = kill9(topo, old, ctx)

    def undo():
        victim.start()  # From the config file it rewrote before dying.
        undo_primary()
        new = topo.addr(topo.primary)
        wait_for(lambda: topo.master_addr(victim) == new, TIMEOUT,
                 'the restarted sentinel %d to learn the new primary %s:%d' % (
                     (victim.port,) + new), retry_on=TRANSIENT_ERRORS)
    return undo


def partition(topo, old, ctx):
    net = ctx['net']
    name = ctx['node_names'][topo.data_nodes.index(old)]
    net.isolate(name)  # From every other node; the client side still reaches it.
    return net.heal


def partition_from_sentinels(topo, old, ctx):
    net = ctx['net']
    name = ctx['node_names'][topo.data_nodes.index(old)]
    net.isolate(name, from_nodes=ctx['sentinel_names'])  # Replicas and clients still reach it.
    return net.heal


def diagnosis(topo, old):
    """What the old primary and the sentinels say, with their logs' tails."""
    out = []
    for label, srv in [('old primary', old), ('new primary', topo.primary)]:
        try:
            out.append('%s %s:%d: %s' % (label, srv.host, srv.port, repl_info(srv)))
        except Exception as e:  # Diagnostics only.
            out.append('%s: %r' % (label, e))
        out.append(srv.log_tail(30))
    for s in topo.sentinels:
        out.append('sentinel %s:%d log:\n%s' % (s.host, s.port, s.log_tail(60)))
    return '\n'.join(out)


# --- one round ----------------------------------------------------------------------

def drill_round(topo, fault, mode, rnd, ctx, context=None):
    """Writes through the sentinels, applies fault to the current primary,
    waits for the failover, undoes the fault, waits for the old primary to
    replicate from the new one and for replication to settle; accounts."""
    old = topo.primary
    old_addr = topo.addr(old)
    assert topo.master_addr() == old_addr
    ctx['round'] = rnd
    # Events from a sentinel this round's fault does not kill.
    events = EventCollector(topo.sentinels[(rnd + 1) % len(topo.sentinels)], '+*')
    writer = DrillWriter(topo.sentinel_addrs(), prefix='r%d' % rnd, context=context)
    with events, writer:
        writer.wait_acks(ACKS_BEFORE, what='writes acknowledged before the fault')
        undo = fault(topo, old, ctx)
        # Writes sent from now on cannot be acknowledged by the old primary in sync
        # mode: it is dead, stopped or cut from every replica.
        fault_at = time.monotonic()
        offsets = replica_offsets(topo, [n for n in topo.data_nodes if n is not old])
        new = topo.wait_failover(old_addr)
        new_addr = topo.addr(new)
        writer.wait_acks(ACKS_AFTER, node=new_addr,
                         what='writes acknowledged by the new primary %s:%d' % new_addr)
        undo()
        try:
            # Normally `new`; another node if the sentinels failed over once more.
            final = wait_stable(topo, CONVERT_TIMEOUT)
        except AssertionError as e:
            raise AssertionError('the old primary %s:%d did not come back as a replica: %s\n%s' % (
                old_addr + (e, diagnosis(topo, old))))
        # Still writing once everything is back.
        writer.wait_acks(ACKS_AFTER, after=time.monotonic(), what='writes after the recovery')
    wait_settled(topo)
    report = account('%s %s data=%s sentinel=%s round %d' % (
        fault.__name__, mode, topo.data_kind, '/'.join(sorted(set(topo.sentinel_kinds))), rnd),
        writer, final.client(), old_addr, new_addr, fault_at, offsets)
    print(report.summary())
    switches = [m for c, m in events.events if c == '+switch-master']
    downs = [m for c, m in events.events if c == '+sdown' and m.startswith('master ')]
    if len(switches) != 1 or final is not new:
        print('  %d failovers in this round (one expected): %s; +sdown of masters: %s' % (
            len(switches), switches, downs) + (' (event collector: %r)' % events.error
                                                 if events.error else ''))
    overlap = report.split.overlap
    print('  two writable primaries for %.3fs (bound: min-replicas-max-lag %ds)%s' % (
        overlap, MAX_LAG, '' if overlap <= MAX_LAG else ' EXCEEDED'))
    assert report.split.new_first is not None
    if mode == 'sync':
        assert not report.lost, '%d acknowledged writes lost, e.g. %r\n%s\n%s\n%s\n%s' % (
            len(report.lost), report.lost[:5], report.summary(), diagnosis(topo, old),
            'Failovers seen this round: %s; +sdown of masters: %s' % (switches, downs),
            'The sentinels promoted a replica that was behind the other one.'
            if report.promoted_most_advanced() is False else
            'The promoted replica was the most advanced one.')
        # Cut from the sentinels only, the old primary keeps its replicas and
        # may acknowledge writes until the leader's fence; they must survive.
        assert ctx.get('replicas_reachable') or not report.split.after_fault, (
            'the old primary acknowledged %d writes sent after the fault, e.g. %r\n%s' % (
                len(report.split.after_fault), report.split.after_fault[:3], report.summary()))
        assert not report.split.after_new, report.summary()
    return writer


def check_all(topo, writers):
    """Every round's acknowledged writes, read from the final primary; the data
    nodes all hold the same number of keys."""
    c = topo.primary.client()
    reports = [account('all rounds', w, c, ('', 0), ('', 0), 0.0) for w in writers]
    lost = sum(len(r.lost) for r in reports)
    sizes = {'%s:%d' % topo.addr(n): n.client().dbsize() for n in topo.data_nodes}
    assert len(set(sizes.values())) == 1, 'data nodes differ after settling: %s' % sizes
    return lost


def between_rounds(topo):
    """Lets the sentinels settle before the next fault: every one knows the
    whole topology again and sees the primary up with no failover running,
    for a few seconds. Without this pause a fault right after a failover
    sometimes meets sentinels still busy with the last one, which then fail
    over a second time (seen with redis-sentinel)."""
    topo.wait_discovered()
    wait_for(lambda: sentinels_quiet(topo), TIMEOUT, 'the sentinels to be quiet',
             retry_on=TRANSIENT_ERRORS)
    time.sleep(3 * SCALE)
    wait_for(lambda: sentinels_quiet(topo), TIMEOUT, 'the sentinels to be quiet',
             retry_on=TRANSIENT_ERRORS)
    wait_stable(topo)


def run_drill(fault, mode, **kw):
    skip_unsupported(mode)
    ctx = kw.pop('ctx', {})
    context = kw.pop('context', None)
    with topology(mode, **kw) as topo:
        writers = []
        for rnd in range(ROUNDS):
            writers.append(drill_round(topo, fault, mode, rnd, ctx, context))
            if rnd + 1 < ROUNDS:
                between_rounds(topo)
        lost = check_all(topo, writers)
        print('[%s %s] %d rounds, %d acknowledged writes lost in total' % (
            fault.__name__, mode, ROUNDS, lost))
        if mode == 'sync':
            assert lost == 0


# --- the drills ---------------------------------------------------------------------

@pytest.mark.parametrize('mode', MODES)
def test_kill9_primary(mode):
    run_drill(kill9, mode)


@pytest.mark.parametrize('mode', MODES)
def test_sigstop_primary(mode):
    run_drill(sigstop, mode)


@pytest.mark.parametrize('mode', MODES)
def test_sentinel_crash_and_restart(mode):
    run_drill(sentinel_and_primary, mode)


@pytest.fixture
def net():
    netns.skip_unless_available()
    n = netns.Net(['d0', 'd1', 'd2', 's0', 's1', 's2'])
    yield n
    n.close()
    assert netns.our_leftovers() == []


@pytest.mark.parametrize('mode', MODES)
def test_partition_primary_from_replicas_and_sentinels(mode, net):
    data_names, sentinel_names = ['d0', 'd1', 'd2'], ['s0', 's1', 's2']
    data_factory, sentinel_factory = sentinel_util.netns_factories(net, data_names,
                                                                   sentinel_names)
    run_drill(partition, mode, ctx={'net': net, 'node_names': data_names},
              context=net.client_side, data_factory=data_factory,
              sentinel_factory=sentinel_factory)


@pytest.mark.parametrize('mode', MODES)
def test_partition_primary_from_sentinels_only(mode, net):
    """The case the fence is for (docs/failover.md): the sentinels lose the
    primary while its replicas do not, so it goes on streaming to them and,
    in synchronous mode, acknowledging writes until the elected sentinel
    fences the replicas. Every write acknowledged before that must be on the
    promoted replica."""
    data_names, sentinel_names = ['d0', 'd1', 'd2'], ['s0', 's1', 's2']
    data_factory, sentinel_factory = sentinel_util.netns_factories(net, data_names,
                                                                   sentinel_names)
    run_drill(partition_from_sentinels, mode,
              ctx={'net': net, 'node_names': data_names, 'sentinel_names': sentinel_names,
                   'replicas_reachable': True},
              context=net.client_side, data_factory=data_factory,
              sentinel_factory=sentinel_factory)
