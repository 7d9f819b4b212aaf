"""FENCE <ms> (Basalt): the failover fence on a replica.

A Basalt sentinel sends it to every replica right after winning an election,
before reading their offsets (docs/failover.md, "The fence"). The replica
stops applying its primary's stream at once, does not reconnect until
REPLICAOF, a promotion or the time passes, and keeps its replication id and
offset, so afterwards it continues partially, never with a full sync.
"""
import time

import pytest
import redis

import servers
from helpers import TRANSIENT_ERRORS, repl_info, wait_for

SCALE = servers.TIME_SCALE


@pytest.fixture
def pair():
    binary = servers.basalt_binary()
    with servers.start_server(binary) as primary:
        with servers.start_server(binary, '--replicaof', primary.host,
                                  str(primary.port)) as replica:
            wait_up(replica)
            yield primary, replica


def wait_up(replica):
    wait_for(lambda: repl_info(replica)['master_link_status'] == 'up', 20 * SCALE,
             'the replica link', retry_on=TRANSIENT_ERRORS)


def offset(node):
    return int(repl_info(node)['slave_repl_offset'])


def syncs(primary):
    st = primary.client().info('stats')
    return int(st['sync_full']), int(st['sync_partial_ok'])


def test_fenced_replica_stops_applying_and_continues_partially(pair):
    primary, replica = pair
    p, r = primary.client(), replica.client()
    p.set('before', 1)
    wait_for(lambda: r.get('before') == '1', 10 * SCALE, 'the first write to arrive')
    full, partial = syncs(primary)
    assert r.execute_command('FENCE', 60000) == 'OK'
    frozen = offset(replica)
    for i in range(100):
        p.set('during:%d' % i, i)
    time.sleep(1.5 * SCALE)  # Past the link thread's 1 s retry: it must not reconnect.
    assert repl_info(replica)['master_link_status'] == 'down'
    assert offset(replica) == frozen
    assert r.get('during:0') is None
    # Re-pointed at the same primary: it reconnects and continues partially.
    assert r.execute_command('REPLICAOF', primary.host, primary.port) == 'OK'
    wait_up(replica)
    wait_for(lambda: r.get('during:99') == '99', 10 * SCALE, 'the fenced writes to arrive')
    assert syncs(primary) == (full, partial + 1)
    assert 'FENCE' in replica.log_text()


def test_fence_expires_and_zero_lifts_it(pair):
    primary, replica = pair
    r = replica.client()
    full, partial = syncs(primary)
    assert r.execute_command('FENCE', 500) == 'OK'
    primary.client().set('k', 'v')
    wait_for(lambda: r.get('k') == 'v', 10 * SCALE, 'the replica back after the fence expired')
    assert r.execute_command('FENCE', 60000) == 'OK'
    assert r.execute_command('FENCE', 0) == 'OK'
    primary.client().set('k2', 'v')
    wait_for(lambda: r.get('k2') == 'v', 10 * SCALE, 'the replica back after FENCE 0')
    assert syncs(primary) == (full, partial + 2)


def test_fence_errors(pair):
    primary, replica = pair
    with pytest.raises(redis.ResponseError, match='only valid on a replica'):
        primary.client().execute_command('FENCE', 1000)
    with pytest.raises(redis.ResponseError, match='not an integer'):
        replica.client().execute_command('FENCE', 'soon')
    with pytest.raises(redis.ResponseError, match='wrong number of arguments'):
        replica.client().execute_command('FENCE')


def test_promotion_lifts_the_fence(pair):
    primary, replica = pair
    r = replica.client()
    assert r.execute_command('FENCE', 60000) == 'OK'
    assert r.execute_command('REPLICAOF', 'NO', 'ONE') == 'OK'
    assert r.set('now', 'writable')
    assert repl_info(replica)['role'] == 'master'
