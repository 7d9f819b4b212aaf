"""Replication faults: dropped links, stopped and restarted replicas and primaries.

Each test runs over (primary, replica) pairs of 'redis' and 'basalt'
(repl_util.PAIRS; the all-redis control runs with REPL_CONTROL=1) and asserts
what redis-server does in the same situation: a replica whose missing part of
the stream is still in the primary's backlog continues with +CONTINUE
(sync_partial_ok on the primary), one that fell further behind gets a full
sync, and in every case the replica ends with the primary's data and offset.
"""
import os

import pytest

from helpers import info_int, link_up, repl_info, wait_for, wait_link_up, wait_synced
from repl_util import (PAIRS, Writers, assert_identical, pause, rdb_aux, resume, start, sync_stats,
                       write_bulk)
from test_persistence import bclient, populate


# repl-timeout must exceed the primary's PING period, or an idle link times out.
FAST_TIMEOUT = ('--repl-timeout', '2', '--repl-ping-replica-period', '1')


def setup_pair(make_server, kinds, primary_args=(), replica_args=()):
    primary = start(make_server, kinds[0], *primary_args)
    pc = bclient(primary)
    populate(pc)
    replica = start(make_server, kinds[1], *replica_args, replicaof=primary)
    wait_link_up(replica)
    wait_synced(primary, replica)
    assert sync_stats(primary) == (1, 0, 0)
    return primary, replica


def wait_partial(primary, before, what):
    full, ok, _ = before
    wait_for(lambda: sync_stats(primary)[1] == ok + 1, what='sync_partial_ok after ' + what)
    assert sync_stats(primary)[0] == full, 'a full sync happened after ' + what


@pytest.mark.parametrize('kinds', PAIRS)
def test_client_kill_master_resyncs_partially(make_server, kinds):
    primary, replica = setup_pair(make_server, kinds)
    before = sync_stats(primary)
    with Writers(primary, n=1) as w:
        wait_for(lambda: w.count() > 50, what='writes before the drop')
        assert replica.client().execute_command('CLIENT', 'KILL', 'TYPE', 'master') == 1
        wait_partial(primary, before, 'CLIENT KILL TYPE master')
        mark = w.count()
        wait_for(lambda: w.count() > mark + 100, what='writes after the resync')
    assert sync_stats(primary)[2] == before[2]
    wait_link_up(replica)
    assert_identical(primary, replica)
    assert info_int(primary, 'replication', 'connected_slaves') == 1


@pytest.mark.parametrize('beyond', [False, True], ids=['in-backlog', 'beyond-backlog'])
@pytest.mark.parametrize('kinds', PAIRS)
def test_link_dropped_by_primary_while_replica_stopped(make_server, kinds, beyond):
    """The primary drops a stopped replica (CLIENT KILL TYPE replica); what was
    written meanwhile decides: within repl-backlog-size (16kb) partial, beyond it
    a full sync, counted as sync_partial_err because the replica asked for PSYNC."""
    primary, replica = setup_pair(make_server, kinds, ('--repl-backlog-size', '16kb'))
    before = sync_stats(primary)
    assert repl_info(primary)['repl_backlog_size'] == str(16 * 1024)
    pause(replica)
    try:
        kind = 'slave' if beyond else 'replica'   # Both names are accepted.
        assert primary.client().execute_command('CLIENT', 'KILL', 'TYPE', kind) == 1
        wait_for(lambda: info_int(primary, 'replication', 'connected_slaves') == 0,
                 what='replica dropped')
        # 8 KB fit in the backlog, 100 KB do not.
        write_bulk(primary, 'while-stopped', 100 if beyond else 8, size=1000)
        write_bulk(primary, 'db3', 3, size=10, db=3)
    finally:
        resume(replica)
    if beyond:
        wait_for(lambda: sync_stats(primary)[0] == before[0] + 1, what='a full sync')
        assert sync_stats(primary)[1:] == (before[1], before[2] + 1)
    else:
        wait_partial(primary, before, 'a drop within the backlog')
    wait_link_up(replica)
    assert_identical(primary, replica)


@pytest.mark.parametrize('kinds', PAIRS)
def test_replica_stopped_past_repl_timeout(make_server, kinds):
    """SIGSTOP a replica longer than repl-timeout: the primary drops it; after
    SIGCONT it continues partially since the backlog still covers it."""
    primary, replica = setup_pair(make_server, kinds, FAST_TIMEOUT, FAST_TIMEOUT)
    before = sync_stats(primary)
    pause(replica)
    try:
        write_bulk(primary, 'before-timeout', 20, size=100)
        wait_for(lambda: info_int(primary, 'replication', 'connected_slaves') == 0, timeout=15,
                 what='the primary to drop the silent replica after repl-timeout')
        write_bulk(primary, 'after-timeout', 20, size=100)
    finally:
        resume(replica)
    wait_partial(primary, before, 'SIGSTOP/SIGCONT past repl-timeout')
    wait_link_up(replica)
    assert_identical(primary, replica)
    assert info_int(primary, 'replication', 'connected_slaves') == 1


@pytest.mark.parametrize('kinds', PAIRS)
def test_primary_stopped_past_repl_timeout(make_server, kinds):
    """SIGSTOP the primary longer than repl-timeout: the replica declares the
    link down; after SIGCONT it continues partially."""
    primary, replica = setup_pair(make_server, kinds, FAST_TIMEOUT, FAST_TIMEOUT)
    write_bulk(primary, 'before-stop', 20, size=100)
    wait_synced(primary, replica)
    before = sync_stats(primary)
    pause(primary)
    try:
        wait_for(lambda: not link_up(replica), timeout=15,
                 what='the replica to give up on the silent primary after repl-timeout')
        assert int(repl_info(replica)['master_link_down_since_seconds']) >= 0
    finally:
        resume(primary)
    write_bulk(primary, 'after-stop', 20, size=100)
    wait_partial(primary, before, 'the primary was stopped past repl-timeout')
    wait_link_up(replica)
    assert_identical(primary, replica)


@pytest.mark.parametrize('kinds', PAIRS)
def test_replica_restart_resumes_from_its_rdb(make_server, kinds):
    """A replica shut down with save points writes repl-id/repl-offset into
    dump.rdb; started again with --replicaof it continues partially."""
    primary, replica = setup_pair(make_server, kinds, (), ('--save', '3600 1'))
    write_bulk(primary, 'before-restart', 50, size=100)
    offset = wait_synced(primary, replica)
    before = sync_stats(primary)
    replica.client().shutdown()
    replica.proc.wait(timeout=30)
    assert replica.proc.returncode == 0
    aux = rdb_aux(os.path.join(replica.dir, 'dump.rdb'))
    assert aux.get('repl-id') == repl_info(primary)['master_replid'], aux
    # At least what was synced; more if the primary sent a PING meanwhile.
    assert offset <= int(aux.get('repl-offset', -1)) <= info_int(primary, 'replication',
                                                                  'master_repl_offset')
    write_bulk(primary, 'while-down', 30, size=100)
    replica.start()
    wait_partial(primary, before, 'the replica restart')
    wait_link_up(replica)
    assert_identical(primary, replica)


@pytest.mark.parametrize('kinds', PAIRS)
def test_primary_restart_with_aof(make_server, kinds):
    """The primary restarts from its AOF; the replica reconnects by itself and
    ends with the primary's data, then follows new writes."""
    primary, replica = setup_pair(make_server, kinds, ('--appendonly', 'yes'))
    with Writers(primary, n=1) as w:
        wait_for(lambda: w.count() > 200, what='writes before the restart')
    want = assert_identical(primary, replica)
    assert want > 0
    primary.stop()
    wait_for(lambda: not link_up(replica), what='the replica to see the primary gone')
    primary.start()
    wait_link_up(replica)
    assert_identical(primary, replica)
    pc = bclient(primary)
    pc.set(b'after-restart', b'1')
    pc.lpush(b'list-small', b'after')
    assert_identical(primary, replica)
    assert replica.client().get('after-restart') == '1'
