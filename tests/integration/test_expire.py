"""Key expiry: lazy expiry on access, the active expiry cycle, DEBUG
SET-ACTIVE-EXPIRE, and the expiry counters in INFO.
"""

import re
import time

import pytest

import servers
from helpers import info, wait_for
from resp_client import RawClient

DEBUG_ARGS = ('--enable-debug-command', 'local')


@pytest.fixture(scope='module')
def debug_server(basalt_bin):
    """A server that allows DEBUG (off by default in Redis 7)."""
    yield from servers.server_fixture(basalt_bin, *DEBUG_ARGS)


@pytest.fixture
def active_expire_off(debug_server):
    """A client of debug_server with the active expiry cycle turned off."""
    c = debug_server.client()
    c.flushall()
    assert c.execute_command('DEBUG', 'SET-ACTIVE-EXPIRE', '0') == 'OK'
    yield c
    c.execute_command('DEBUG', 'SET-ACTIVE-EXPIRE', '1')
    c.close()


def expired_keys(client):
    return int(client.info('stats')['expired_keys'])


def keyspace_line(client, db=0):
    """The raw 'dbN:' value of INFO keyspace (redis-py would parse it)."""
    port = client.connection_pool.connection_kwargs['port']
    with RawClient(port) as rc:
        return info(rc, 'keyspace').get('db%d' % db)


def test_lazy_expiry_on_access(active_expire_off):
    c = active_expire_off
    before = expired_keys(c)
    c.set('a', '1', px=50)
    c.set('b', '1', px=50)
    c.set('c', '1', px=50)
    c.set('keep', '1')
    time.sleep(0.2)
    # Nobody touched them and the active cycle is off: still counted.
    assert c.dbsize() == 4
    assert c.get('a') is None
    assert c.dbsize() == 3
    assert c.exists('b') == 0
    assert c.ttl('c') == -2
    assert c.dbsize() == 1
    assert expired_keys(c) - before == 3
    assert c.get('keep') == '1'


def test_expired_keys_invisible_before_deletion(active_expire_off):
    c = active_expire_off
    for i in range(20):
        c.set('gone:%d' % i, 'v', px=30)
    c.set('stay', 'v')
    time.sleep(0.15)
    assert c.keys('*') == ['stay']
    seen = set()
    cursor = 0
    while True:
        cursor, keys = c.scan(cursor, count=100)
        seen.update(keys)
        if cursor == 0:
            break
    assert seen == {'stay'}
    assert c.mget('gone:1', 'stay') == [None, 'v']
    assert c.randomkey() == 'stay'
    assert c.set('gone:2', 'new', nx=True)
    assert c.ttl('gone:2') == -1
    assert c.incr('gone:3') == 1
    assert c.append('gone:4', 'x') == 1


def test_active_expiry_removes_untouched_keys(basalt):
    before = expired_keys(basalt)
    pipe = basalt.pipeline(transaction=False)
    for i in range(1000):
        pipe.set('ae:%d' % i, 'v', px=100)
    pipe.set('persistent', 'v')
    pipe.execute()
    assert wait_for(lambda: basalt.dbsize() == 1, 5 * servers.TIME_SCALE,
                    raise_on_timeout=False), (
        'active expiry left %d keys after 5s' % (basalt.dbsize() - 1))
    assert expired_keys(basalt) - before == 1000
    assert basalt.get('persistent') == 'v'
    assert keyspace_line(basalt) == 'keys=1,expires=0,avg_ttl=0'


def test_active_expiry_in_other_db(basalt):
    basalt.execute_command('SELECT', '7')
    try:
        for i in range(50):
            basalt.set('x:%d' % i, 'v', px=50)
        assert wait_for(lambda: basalt.dbsize() == 0, 5 * servers.TIME_SCALE,
                        raise_on_timeout=False)
    finally:
        basalt.execute_command('SELECT', '0')


def test_set_active_expire_off_stops_cycle(active_expire_off):
    c = active_expire_off
    pipe = c.pipeline(transaction=False)
    for i in range(200):
        pipe.set('off:%d' % i, 'v', px=50)
    pipe.execute()
    time.sleep(1.0)
    assert c.dbsize() == 200
    assert keyspace_line(c).startswith('keys=200,expires=200,')
    assert c.execute_command('DEBUG', 'SET-ACTIVE-EXPIRE', '1') == 'OK'
    assert wait_for(lambda: c.dbsize() == 0, 5 * servers.TIME_SCALE,
                    raise_on_timeout=False)


def test_keyspace_expires_count(basalt):
    c = basalt
    for i in range(10):
        c.set('k:%d' % i, 'v')
    for i in range(4):
        c.expire('k:%d' % i, 1000)
    line = keyspace_line(c)
    m = re.fullmatch(r'keys=10,expires=4,avg_ttl=(\d+)', line)
    assert m, line
    c.persist('k:0')
    assert keyspace_line(c).startswith('keys=10,expires=3,')
    c.set('k:1', 'overwritten')
    assert keyspace_line(c).startswith('keys=10,expires=2,')
    c.delete('k:2')
    assert keyspace_line(c).startswith('keys=9,expires=1,')
    c.getex('k:5', ex=100)
    assert keyspace_line(c).startswith('keys=9,expires=2,')
    c.rename('k:5', 'k:renamed')
    assert keyspace_line(c).startswith('keys=9,expires=2,')
    c.flushall()
    assert keyspace_line(c) is None


def test_expire_overwrite_semantics(basalt):
    c = basalt
    c.set('k', 'v', ex=100)
    c.set('k', 'v2')
    assert c.ttl('k') == -1
    c.set('k', 'v', ex=100)
    c.incr('n')
    c.expire('n', 100)
    c.incr('n')
    assert c.ttl('n') == 100
    c.set('k', 'v', px=100)
    time.sleep(0.25)
    assert c.get('k') is None


def test_expired_keys_counter_for_past_expire(basalt):
    """EXPIRE with a time in the past deletes; Redis counts it as a deletion, not an
    expiry, so only check that the key is gone and the counter did not go down."""
    before = expired_keys(basalt)
    basalt.set('k', 'v')
    assert basalt.expire('k', -1)
    assert basalt.exists('k') == 0
    assert expired_keys(basalt) >= before
