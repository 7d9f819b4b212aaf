"""Replication interop: Basalt and Debian's redis-server 7.0 as each other's primary and replica.

Every test runs over role combinations (primary, replica[, replica]) of
'redis' and 'basalt' (see repl_util.PAIRS; the all-redis control runs with
REPL_CONTROL=1). What is asserted is what redis-server does in the same role,
so each test also passes with BASALT_SERVER=/usr/bin/redis-server.

Covered here: full sync (disk and diskless from a Redis primary) under
concurrent writers, replica chains, promotion of a replica with its siblings
continuing partially (also with REPLICAOF inside MULTI as Sentinel sends it),
read-only and stale-data replies of a replica, expiry driven by the primary,
and INFO replication field names. Link faults are in test_replication_faults.py.
"""
import os
import time

import pytest

import repl_util as ru
import servers
from helpers import (info, info_int, link_up, repl_info, slave_line, wait_for, wait_link_up,
                     wait_synced)
from repl_util import (PAIRS, FakeReplica, Writers, assert_identical, crash, roles, start,
                       sync_stats, write_bulk)
from resp_client import RespError
from servers import free_port
from test_persistence import bclient, populate

READONLY = "READONLY You can't write against a read only replica."
MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."

# Basalt always syncs diskless; a Redis primary is tried both ways.
FULL_SYNC = [
    pytest.param(('redis', 'basalt'), 'no', id='redis-basalt-disk'),
    pytest.param(('redis', 'basalt'), 'yes', id='redis-basalt-diskless'),
    pytest.param(('basalt', 'redis'), None, id='basalt-redis'),
    pytest.param(('basalt', 'basalt'), None, id='basalt-basalt'),
]
if ru.CONTROL:
    FULL_SYNC += [
        pytest.param(('redis', 'redis'), 'no', id='redis-redis-disk-control'),
        pytest.param(('redis', 'redis'), 'yes', id='redis-redis-diskless-control'),
    ]


def err(srv, *args):
    """The whole error line a command gets, prefix included (None if no error)."""
    with srv.raw() as c:
        reply = c.call(*args)
    return reply.message.decode() if isinstance(reply, RespError) else None


def mutate(pc):
    """Writes of every kind a replica must follow after its sync."""
    pc.expire(b'int', 100)
    pc.delete(b'raw')
    pc.lpop(b'list-big')
    pc.hdel(b'hash-big', b'field7')
    pc.zincrby(b'zset-small', 2, b'a')
    pc.srem(b'set-big', 5)
    pc.persist(b'ttl-str')
    pc.rename(b'embstr', b'embstr-renamed')
    pc.execute_command('SELECT', 9)
    pc.flushdb()
    pc.execute_command('SELECT', 1)
    pc.set(b'db1-late', b'x', px=600000)
    pc.execute_command('SELECT', 0)


@pytest.mark.parametrize('kinds,diskless', FULL_SYNC)
def test_full_sync_under_writes(make_server, kinds, diskless):
    pk, rk = kinds
    extra = ('--repl-diskless-sync', diskless) if diskless else ()
    primary = start(make_server, pk, *extra)
    pc = bclient(primary)
    populate(pc)
    with Writers(primary, n=2) as w:
        # The replica syncs while the writers run: the snapshot plus the
        # stream from its offset must add up to the primary's dataset.
        replica = start(make_server, rk, replicaof=primary)
        wait_link_up(replica)
        at_link_up = w.count()
        wait_for(lambda: w.count() > at_link_up + 200, what='writes after the link came up')
    mutate(pc)
    assert sync_stats(primary)[0] == 1
    assert_identical(primary, replica)
    pi, ri = repl_info(primary), repl_info(replica)
    assert ri['master_replid'] == pi['master_replid']
    assert pi['connected_slaves'] == '1'
    slave = slave_line(pi['slave0'])
    assert slave['ip'] == '127.0.0.1' and slave['port'] == str(replica.port)
    assert slave['state'] == 'online'
    wait_for(lambda: slave_line(repl_info(primary)['slave0'])['offset'] ==
             repl_info(primary)['master_repl_offset'], what='REPLCONF ACK of the final offset')
    rc = replica.client()
    assert rc.execute_command('ROLE')[:4] == ['slave', '127.0.0.1', primary.port, 'connected']


@pytest.mark.parametrize('kinds', roles(('redis', 'basalt', 'redis'), ('basalt', 'redis', 'basalt'),
                                        ('basalt', 'basalt', 'basalt'),
                                        control=('redis', 'redis', 'redis')))
def test_chain_of_replicas(make_server, kinds):
    """P -> R1 -> R2: R1 passes P's stream on unchanged, so all share replid and offset."""
    primary = start(make_server, kinds[0])
    pc = bclient(primary)
    populate(pc)
    r1 = start(make_server, kinds[1], replicaof=primary)
    wait_link_up(r1)
    r2 = start(make_server, kinds[2], replicaof=r1)
    wait_link_up(r2)
    with Writers(primary, n=1) as w:
        wait_for(lambda: w.count() > 300, what='writes through the chain')
    mutate(pc)
    assert_identical(primary, r1, r2)
    replid = repl_info(primary)['master_replid']
    assert repl_info(r1)['master_replid'] == replid and repl_info(r2)['master_replid'] == replid
    r1i = repl_info(r1)
    assert r1i['role'] == 'slave' and r1i['connected_slaves'] == '1'
    assert slave_line(r1i['slave0'])['port'] == str(r2.port)
    assert repl_info(r2)['master_port'] == str(r1.port)
    # The middle replica is still read-only.
    assert err(r1, 'SET', 'x', '1') == READONLY


PROMOTION = [
    pytest.param(('redis', 'basalt', 'basalt'), False, id='redis-basalt-basalt'),
    pytest.param(('basalt', 'basalt', 'redis'), True, id='basalt-basalt-redis-multi'),
    pytest.param(('basalt', 'redis', 'basalt'), False, id='basalt-redis-basalt'),
    pytest.param(('redis', 'basalt', 'redis'), True, id='redis-basalt-redis-multi'),
    pytest.param(('basalt', 'basalt', 'basalt'), True, id='basalt-basalt-basalt-multi'),
]
if ru.CONTROL:
    PROMOTION += [pytest.param(('redis', 'redis', 'redis'), False, id='redis-redis-redis-control'),
                  pytest.param(('redis', 'redis', 'redis'), True,
                               id='redis-redis-redis-multi-control')]


def replicaof(srv, *target, sentinel_style):
    """REPLICAOF alone, or wrapped in MULTI/EXEC with SLAVEOF as Sentinel sends it."""
    if not sentinel_style:
        assert srv.client().execute_command('REPLICAOF', *target) == 'OK'
        return
    with srv.raw() as r:
        assert r.call('MULTI') == b'OK'
        assert r.call('SLAVEOF', *target) == b'QUEUED'
        assert r.call('CLIENT', 'KILL', 'TYPE', 'pubsub') == b'QUEUED'
        assert r.call('EXEC') == [b'OK', 0]


@pytest.mark.parametrize('kinds,sentinel_style', PROMOTION)
def test_promotion_siblings_continue_partially(make_server, kinds, sentinel_style):
    primary = start(make_server, kinds[0])
    pc = bclient(primary)
    populate(pc)
    r1 = start(make_server, kinds[1], replicaof=primary)
    r2 = start(make_server, kinds[2], replicaof=primary)
    wait_link_up(r1, r2)
    mutate(pc)
    synced_at = assert_identical(primary, r1, r2)
    old_replid = repl_info(primary)['master_replid']
    crash(primary)
    wait_for(lambda: not link_up(r1) and not link_up(r2), what='links down')
    # The primary may have sent a PING after the check above: both got it.
    old_offset = info_int(r1, 'replication', 'master_repl_offset')
    assert old_offset >= synced_at
    assert info_int(r2, 'replication', 'master_repl_offset') == old_offset

    replicaof(r1, 'NO', 'ONE', sentinel_style=sentinel_style)
    i1 = repl_info(r1)
    assert i1['role'] == 'master'
    assert i1['master_replid2'] == old_replid
    assert i1['master_replid'] != old_replid and len(i1['master_replid']) == 40
    assert int(i1['second_repl_offset']) == old_offset + 1
    assert int(i1['master_repl_offset']) == old_offset
    assert r1.client().execute_command('ROLE')[0] == 'master'
    before = sync_stats(r1)

    replicaof(r2, '127.0.0.1', str(r1.port), sentinel_style=sentinel_style)
    wait_link_up(r2)
    wait_for(lambda: sync_stats(r1)[1] == before[1] + 1, what='sync_partial_ok on the new primary')
    assert sync_stats(r1)[0] == before[0], 'the sibling needed a full sync'
    assert repl_info(r2)['master_replid'] == i1['master_replid']
    # The new primary takes writes and its replica follows.
    r1c = bclient(r1)
    r1c.set(b'after-promotion', b'1')
    r1c.rpush(b'list-small', b'new')
    r1c.delete(b'zset-big')
    assert_identical(r1, r2)
    assert r2.client().get('after-promotion') == '1'
    assert err(r2, 'SET', 'x', '1') == READONLY


@pytest.mark.parametrize('kind', ['basalt'] + (['redis'] if ru.CONTROL else []))
def test_replica_read_only_and_stale_data(make_server, kind):
    """With the link down: writes get READONLY; with replica-serve-stale-data no
    data commands (even PING) get MASTERDOWN while INFO, ROLE and CONFIG work."""
    # Nothing listens on this port, so the link never comes up.
    replica = start(make_server, kind, '--replicaof', '127.0.0.1', str(free_port()))
    c = replica.client()
    assert err(replica, 'SET', 'k', 'v') == READONLY
    assert err(replica, 'INCR', 'n') == READONLY
    assert c.get('k') is None   # Stale data is served by default.
    i = repl_info(replica)
    assert i['role'] == 'slave' and i['master_link_status'] == 'down'
    assert i['slave_read_only'] == '1'
    assert c.config_set('replica-serve-stale-data', 'no')
    assert err(replica, 'GET', 'k') == MASTERDOWN
    assert err(replica, 'PING') == MASTERDOWN
    assert err(replica, 'DBSIZE') == MASTERDOWN
    assert err(replica, 'SET', 'k', 'v') == READONLY
    assert c.execute_command('ECHO', 'x') == 'x'
    assert repl_info(replica)['role'] == 'slave'
    assert c.execute_command('ROLE')[0] == 'slave'
    assert c.config_get('replica-serve-stale-data') == {'replica-serve-stale-data': 'no'}
    assert c.config_set('replica-serve-stale-data', 'yes')
    assert c.dbsize() == 0
    # replica-read-only no: local writes are allowed.
    assert c.config_set('replica-read-only', 'no')
    assert repl_info(replica)['slave_read_only'] == '0'
    assert c.set('k', 'v') and c.get('k') == 'v'
    # REPLICAOF NO ONE makes it a writable primary again.
    assert c.config_set('replica-read-only', 'yes')
    assert c.execute_command('REPLICAOF', 'NO', 'ONE') == 'OK'
    assert c.set('k', 'w') and repl_info(replica)['role'] == 'master'


@pytest.mark.parametrize('kinds', PAIRS)
def test_replica_leaves_expiry_to_the_primary(make_server, kinds):
    """A replica hides a key whose time has passed but does not delete it; the
    primary's deletion arrives in the stream as DEL."""
    primary = start(make_server, kinds[0])
    replica = start(make_server, kinds[1], replicaof=primary)
    wait_link_up(replica)
    pc, rc = primary.client(), replica.client()
    # A Redis primary may start streaming only at the replica's next ACK
    # (up to 1 s after the sync): wait for that before timing anything.
    pc.set('marker', 'm')
    wait_for(lambda: rc.get('marker') == 'm', what='the stream to start')
    pc.delete('marker')
    assert pc.execute_command('DEBUG', 'SET-ACTIVE-EXPIRE', '0') == 'OK'
    stream = FakeReplica(primary)
    ttl_ms = int(300 * servers.TIME_SCALE)
    try:
        t0 = time.monotonic()
        pc.set('short', 'v', px=ttl_ms)
        pc.set('long', 'v', px=600000)
        pc.set('lazy', 'v')
        pc.pexpire('lazy', ttl_ms)
        wait_synced(primary, replica)
        assert rc.dbsize() == 3
        assert time.monotonic() - t0 < ttl_ms / 1200, 'too slow to test expiry timing'
        time.sleep(ttl_ms / 1000 + 0.1)
        # Logically expired on the replica: reads miss it, but it is still stored.
        assert rc.get('short') is None and rc.exists('short') == 0
        assert rc.pttl('short') == -2
        assert sorted(rc.keys('*')) == ['long']
        time.sleep(0.3)
        assert rc.dbsize() == 3, 'the replica deleted expired keys by itself'
        # A read on the primary expires 'lazy' there; the replica gets DEL.
        assert pc.get('lazy') is None
        wait_for(lambda: rc.dbsize() == 2, what='the primary\'s DEL of the lazily expired key')
        # The primary's active cycle deletes 'short'.
        assert pc.execute_command('DEBUG', 'SET-ACTIVE-EXPIRE', '1') == 'OK'
        wait_for(lambda: rc.dbsize() == 1, what='the primary\'s DEL of the actively expired key')
        for key in (b'lazy', b'short'):
            stream.wait_command(lambda c: c == [b'DEL', key], what='DEL %r' % key)
        assert not any(c[0].upper() in (b'PEXPIRE', b'EXPIRE') for c in stream.commands()), \
            'relative expiry in the stream: %r' % stream.commands()
        assert rc.ttl('long') > 500
        assert int(info(replica, 'stats')['expired_keys']) == 0
        wait_synced(primary, replica)
    finally:
        stream.close()


@pytest.mark.parametrize('kind', ['basalt'] + (['redis'] if ru.CONTROL else []))
def test_psync_replies_on_the_wire(make_server, kind):
    """What a primary answers to PSYNC, seen from a socket: +CONTINUE <replid>
    and the missed commands for an offset in the backlog, +FULLRESYNC for an
    unknown replid, an offset ahead of the primary or one the backlog lost."""
    primary = start(make_server, kind, '--repl-backlog-size', '16kb')
    pc = bclient(primary)
    populate(pc)
    first = FakeReplica(primary)
    try:
        assert first.reply.startswith(b'+FULLRESYNC ') and len(first.replid) == 40
        assert first.replid == repl_info(primary)['master_replid'].encode()
        pc.set(b'one', b'1')
        first.wait_command(lambda c: c == [b'SET', b'one', b'1'], what='SET one')
        wait_for(lambda: first.poll(0.05) is not None and
                 first.offset == info_int(primary, 'replication', 'master_repl_offset'),
                 what='the fake replica at the primary offset')
    finally:
        first.close()
    replid, offset = first.replid, first.offset
    pc.set(b'two', b'2')
    pc.rpush(b'list-small', b'three')
    second = FakeReplica(primary, replid, offset + 1)
    try:
        assert second.reply == b'+CONTINUE ' + replid
        second.wait_command(lambda c: c == [b'RPUSH', b'list-small', b'three'], what='RPUSH')
        assert [b'SET', b'two', b'2'] in second.commands()
        assert [b'SET', b'one', b'1'] not in second.commands()
        wait_for(lambda: second.poll(0.05) is not None and
                 second.offset == info_int(primary, 'replication', 'master_repl_offset'),
                 what='the continued stream at the primary offset')
    finally:
        second.close()
    assert sync_stats(primary) == (1, 1, 0)
    now = info_int(primary, 'replication', 'master_repl_offset')
    for bad in (('f' * 40, now + 1), (replid.decode(), now + 1000)):
        f = FakeReplica(primary, *bad)
        f.close()
        assert f.reply.startswith(b'+FULLRESYNC '), (bad, f.reply)
    write_bulk(primary, 'overflow', 40, size=1000)
    f = FakeReplica(primary, replid.decode(), offset + 1)
    f.close()
    assert f.reply.startswith(b'+FULLRESYNC ')
    assert sync_stats(primary) == (4, 1, 3)


def _replica_fields(srv):
    return set(repl_info(srv))


@pytest.mark.parametrize('kind', ['basalt'] + (['redis'] if ru.CONTROL else []))
def test_info_replication_fields_match_redis(make_server, kind):
    """A replica and a primary of the kind under test report the same INFO
    replication fields as redis-server in the same role and state."""
    primary = start(make_server, 'redis')
    theirs = start(make_server, 'redis', replicaof=primary)
    ours = start(make_server, kind, replicaof=primary)
    wait_link_up(theirs, ours)
    wait_synced(primary, theirs, ours)
    assert _replica_fields(ours) == _replica_fields(theirs)
    for name in ('role', 'master_host', 'master_port', 'master_link_status', 'slave_read_only',
                 'master_sync_in_progress', 'connected_slaves', 'master_replid',
                 'slave_priority', 'replica_announced', 'master_replid2', 'second_repl_offset',
                 'repl_backlog_active'):
        assert repl_info(ours)[name] == repl_info(theirs)[name], name
    # Offsets are compared in a loop: the primary may PING between two reads.
    offsets = ('master_repl_offset', 'slave_repl_offset', 'slave_read_repl_offset')

    def same_offsets():
        want = repl_info(primary)['master_repl_offset']
        a, b = repl_info(ours), repl_info(theirs)
        role = ours.client().execute_command('ROLE')
        return (all(a[f] == b[f] == want for f in offsets) and role[4] == int(want) and
                repl_info(primary)['master_repl_offset'] == want)
    wait_for(same_offsets, what='the same offsets in INFO and ROLE')
    ri = ours.client().execute_command('ROLE')
    assert ri[:4] == ['slave', '127.0.0.1', primary.port, 'connected']
    # Link down: master_link_down_since_seconds appears on both.
    crash(primary)
    wait_for(lambda: not link_up(ours) and not link_up(theirs), what='links down')
    assert _replica_fields(ours) == _replica_fields(theirs)
    assert 'master_link_down_since_seconds' in repl_info(ours)
    # Primary side: a primary of our kind with a redis replica, against a
    # redis primary with a redis replica.
    p_ours = start(make_server, kind)
    p_theirs = start(make_server, 'redis')
    r_ours = start(make_server, 'redis', replicaof=p_ours)
    r_theirs = start(make_server, 'redis', replicaof=p_theirs)
    wait_link_up(r_ours, r_theirs)
    a, b = repl_info(p_ours), repl_info(p_theirs)
    assert set(a) == set(b)
    assert set(slave_line(a['slave0'])) == set(slave_line(b['slave0']))
    assert a['role'] == 'master' and a['connected_slaves'] == '1'
    for field in ('sync_full', 'sync_partial_ok', 'sync_partial_err'):
        assert field in info(p_ours, 'stats')
    assert sync_stats(p_ours) == (1, 0, 0) == sync_stats(p_theirs)


@pytest.mark.parametrize('pair', PAIRS)
def test_publish_reaches_subscribers_of_replicas_but_not_the_aof(make_server, pair):
    # Redis replicates PUBLISH, so a subscriber on a replica hears what is
    # published on the primary; Basalt keeps it out of its AOF.
    pk, rk = pair
    primary = start(make_server, pk, '--appendonly', 'yes')
    replica = start(make_server, rk, replicaof=primary)
    wait_link_up(replica)
    sub = replica.client().pubsub()
    sub.subscribe('__sentinel__:hello')
    assert sub.get_message(timeout=5)['type'] == 'subscribe'
    primary.client().publish('__sentinel__:hello', '127.0.0.1,26379,abc,0,mymaster')
    msg = None
    deadline = time.time() + ru.TIMEOUT
    while msg is None and time.time() < deadline:
        msg = sub.get_message(timeout=1)
    assert msg is not None and msg['data'] == '127.0.0.1,26379,abc,0,mymaster'
    sub.close()
    if servers.is_basalt(ru.binary_of(pk)):
        aof_dir = os.path.join(primary.dir, 'appendonlydir')
        text = b''.join(open(os.path.join(aof_dir, f), 'rb').read()
                        for f in os.listdir(aof_dir) if f.endswith('.aof'))
        assert b'PUBLISH' not in text.upper()
