"""Differential tests of the generic keyspace commands against redis-server.

Replies must match byte for byte in RESP2 and RESP3, except KEYS (compared as
a multiset) and SCAN (checked for completeness, not cursor bytes).
"""

import time

import pytest

from diff import unordered

BIN_KEY = b'k\x00\r\n\xff'


def future_s(delta=1000):
    return int(time.time()) + delta


def test_del_unlink_exists(differ):
    differ([
        'DEL missing',
        'MSET a 1 b 2 c 3 d 4',
        'EXISTS a',
        'EXISTS a b missing',
        'EXISTS a a a',
        'DEL a b missing',
        'DEL a',
        'EXISTS a b c',
        'UNLINK c missing',
        'UNLINK c',
        'EXISTS c d',
        'DEL d d',
        ['SET', BIN_KEY, 'v'],
        ['SET', '', 'v'],
        ['EXISTS', BIN_KEY, ''],
        ['DEL', BIN_KEY, ''],
        ['EXISTS', BIN_KEY, ''],
        'DEL',
        'UNLINK',
        'EXISTS',
        'DBSIZE',
    ])


def test_type(differ):
    differ([
        'TYPE missing',
        'SET s v',
        'TYPE s',
        'SET n 12',
        'TYPE n',
        'TYPE',
        'TYPE s n',
    ])


@pytest.mark.needs_commands('hset', 'rpush', 'sadd', 'zadd')
def test_type_other_types(differ):
    differ([
        'RPUSH l a',
        'SADD st a',
        'HSET h f v',
        'ZADD z 1 a',
        'TYPE l',
        'TYPE st',
        'TYPE h',
        'TYPE z',
    ])


def test_expire_basic(differ):
    t = future_s()
    differ([
        'EXPIRE missing 100',
        'SET k v',
        'TTL k',
        'PTTL k',
        'EXPIRETIME k',
        'PEXPIRETIME k',
        'TTL missing',
        'PTTL missing',
        'EXPIRETIME missing',
        'PEXPIRETIME missing',
        'EXPIRE k 100',
        'TTL k',
        'PEXPIRE k 200000',
        'TTL k',
        'EXPIREAT k %d' % t,
        'EXPIRETIME k',
        'PEXPIREAT k %d' % (t * 1000 + 555),
        'PEXPIRETIME k',
        'EXPIRETIME k',
        'PERSIST k',
        'PERSIST k',
        'TTL k',
        'PERSIST missing',
        'expire k 50',
        'TTL k',
        # Zero, negative and past times delete the key.
        'EXPIRE k 0',
        'EXISTS k',
        'SET k v',
        'EXPIRE k -100',
        'EXISTS k',
        'SET k v',
        'PEXPIRE k -1',
        'EXISTS k',
        'SET k v',
        'EXPIREAT k 1',
        'EXISTS k',
        'SET k v',
        'PEXPIREAT k 1000',
        'EXISTS k',
        'SET k v',
        'EXPIREAT k 0',
        'EXISTS k',
        'SET k v',
        'EXPIREAT k -5',
        'EXISTS k',
        'SET k v',
        'PEXPIREAT k -9223372036854775808',
        'EXISTS k',
        # Errors.
        'SET k v',
        'EXPIRE k abc',
        'EXPIRE k 1.5',
        ['EXPIRE', 'k', ''],
        'EXPIRE k 9223372036854775807',
        'EXPIRE k 9223372036854775',
        'EXPIRE k 9223372036854776',
        'EXPIRE k -9223372036854775808',
        'EXPIRE k -9223372036854775',
        'EXPIRE k 9223372036854775808',
        'PEXPIRE k 9223372036854775807',
        'PEXPIRE k -9223372036854775808',
        'EXPIREAT k 9223372036854775807',
        'EXPIREAT k -9223372036854775808',
        'PEXPIREAT k 9223372036854775807',
        'PEXPIRETIME k',
        'PERSIST k',
        'PEXPIREAT k 9223372036854775806',
        'PEXPIRETIME k',
        'PERSIST k',
        'EXISTS k',
        'EXPIRE k',
        'EXPIRE',
        'PEXPIRE k',
        'EXPIREAT k',
        'PEXPIREAT k',
        'TTL',
        'TTL a b',
        'PTTL',
        'EXPIRETIME',
        'PEXPIRETIME a b',
        'PERSIST',
        'PERSIST a b',
        'TTL k',
    ])


def test_expire_flags(differ):
    differ([
        'SET k v',
        # No TTL counts as an infinite TTL for GT/LT.
        'EXPIRE k 100 XX',
        'TTL k',
        'EXPIRE k 100 GT',
        'TTL k',
        'EXPIRE k 100 NX',
        'TTL k',
        'EXPIRE k 200 NX',
        'TTL k',
        'EXPIRE k 200 XX',
        'TTL k',
        'EXPIRE k 100 GT',
        'TTL k',
        'EXPIRE k 300 GT',
        'TTL k',
        'EXPIRE k 400 LT',
        'TTL k',
        'EXPIRE k 50 LT',
        'TTL k',
        'PERSIST k',
        'EXPIRE k 50 LT',
        'TTL k',
        'PEXPIRE k 60000 GT',
        'TTL k',
        'PEXPIRE k 40000 xx lt',
        'TTL k',
        'EXPIREAT k %d GT' % future_s(10),
        'TTL k',
        'PEXPIREAT k %d NX' % (future_s(10) * 1000),
        'TTL k',
        'EXPIRE missing 10 XX',
        'EXPIRE missing 10 NX',
        'EXPIRE missing 10 GT',
        'EXPIRE missing 10 LT',
        # Past times with flags.
        'EXPIRE k -1 NX',
        'EXISTS k',
        'EXPIRE k -1 GT',
        'EXISTS k',
        'EXPIRE k -1 LT',
        'EXISTS k',
        'SET k v',
        'EXPIRE k 0 XX',
        'EXISTS k',
        # Invalid combinations.
        'SET k v',
        'EXPIRE k 10 NX XX',
        'EXPIRE k 10 GT LT',
        'EXPIRE k 10 NX GT',
        'EXPIRE k 10 NX LT',
        'EXPIRE k 10 XX GT',
        'EXPIRE k 10 FOO',
        'EXPIRE k 10 NX NX',
        'PEXPIRE k 10 GT LT',
        'EXPIREAT k 10 NX XX',
        'PEXPIREAT k 10 GT LT',
        'EXPIRE k abc NX',
        'TTL k',
    ])


@pytest.mark.needs_commands('rpush')
def test_expire_other_types(differ):
    differ([
        'RPUSH l a',
        'EXPIRE l 100',
        'TTL l',
        'PERSIST l',
        'TTL l',
    ])


def test_rename(differ):
    differ([
        'RENAME missing x',
        'RENAMENX missing x',
        'SET a 1',
        'RENAME a b',
        'EXISTS a b',
        'GET b',
        'RENAME b b',
        'GET b',
        'RENAMENX b b',
        'SET c 3',
        'RENAMENX b c',
        'RENAMENX b d',
        'MGET b c d',
        'SET e 5 EX 100',
        'RENAME e f',
        'TTL f',
        'SET g 7',
        'RENAME g f',
        'TTL f',
        'GET f',
        'SET h 8 EX 100',
        'RENAME f h',
        'TTL h',
        ['RENAME', 'h', BIN_KEY],
        ['GET', BIN_KEY],
        ['RENAME', BIN_KEY, ''],
        ['GET', ''],
        'RENAME a',
        'RENAME',
        'RENAME a b c',
        'RENAMENX a',
        'DBSIZE',
    ])


def test_copy(differ):
    differ([
        'COPY missing x',
        'SET a 1',
        'COPY a b',
        'GET b',
        'COPY a b',
        'SET a 2',
        'COPY a b REPLACE',
        'GET b',
        'COPY a a',
        'COPY a a REPLACE',
        'SET t v EX 100',
        'COPY t t2',
        'TTL t2',
        'COPY a c DB 1',
        'EXISTS c',
        'SELECT 1',
        'GET c',
        'COPY c c DB 1',
        'COPY c a DB 0',
        'COPY c a DB 0 REPLACE',
        'SELECT 0',
        'GET a',
        'COPY a x DB 16',
        'COPY a x DB -1',
        'COPY a x DB abc',
        'COPY a x DB',
        'COPY a x FOO',
        'COPY a x REPLACE REPLACE',
        'COPY a x DB 1 DB 2',
        'COPY a',
        'COPY',
        'DBSIZE',
    ])


@pytest.mark.needs_commands('lrange', 'rpush')
def test_copy_other_types(differ):
    differ([
        'RPUSH l a b',
        'COPY l l2',
        'TYPE l2',
        'LRANGE l2 0 -1',
        'RPUSH l c',
        'LRANGE l2 0 -1',
    ])


def test_keys_patterns(differ):
    differ([
        'MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 h*llo 6 foo 7 h?llo 8',
        ['SET', BIN_KEY, 'v'],
        ['SET', '', 'v'],
        unordered('KEYS *'),
        unordered('KEYS h?llo'),
        unordered('KEYS h*llo'),
        unordered('KEYS h[ae]llo'),
        unordered('KEYS h[^e]llo'),
        unordered('KEYS h[a-e]llo'),
        unordered('KEYS h[e-a]llo'),
        unordered('KEYS h\\*llo'),
        unordered('KEYS h\\?llo'),
        unordered('KEYS H*'),
        unordered('KEYS *o'),
        unordered('KEYS f*'),
        unordered('KEYS nomatch*'),
        unordered('KEYS [fh]*'),
        unordered('KEYS h[a-'),
        unordered('KEYS ***'),
        unordered(['KEYS', b'k\x00*']),
        unordered(['KEYS', '']),
        'KEYS',
        'KEYS a b',
    ])


def test_randomkey_touch(differ):
    differ([
        'RANDOMKEY',
        'SET only v',
        'RANDOMKEY',
        'TOUCH only',
        'TOUCH only missing only',
        'TOUCH missing',
        'TOUCH',
        'RANDOMKEY extra',
        'DEL only',
        'RANDOMKEY',
    ])


def test_select_swapdb_move(differ):
    differ([
        'SELECT 0',
        'SELECT 15',
        'SELECT 16',
        'SELECT -1',
        'SELECT abc',
        'SELECT 1.5',
        ['SELECT', ''],
        'SELECT 9223372036854775808',
        'SELECT',
        'SELECT 1 2',
        'SELECT 1',
        'SET k db1',
        'DBSIZE',
        'SELECT 0',
        'GET k',
        'DBSIZE',
        'SET k db0',
        'SWAPDB 0 1',
        'GET k',
        'SELECT 1',
        'GET k',
        'SWAPDB 1 1',
        'GET k',
        'SWAPDB 0 16',
        'SWAPDB -1 0',
        'SWAPDB a 0',
        'SWAPDB 0 b',
        'SWAPDB 0',
        'SWAPDB',
        'SELECT 0',
        'MOVE k 1',
        'MOVE k 2',
        'GET k',
        'SELECT 2',
        'GET k',
        'SET k other',
        'SELECT 1',
        'SET k v EX 100',
        'MOVE k 2',
        'SELECT 0',
        'SET m v EX 100',
        'MOVE m 3',
        'SELECT 3',
        'TTL m',
        'MOVE m 3',
        'MOVE missing 4',
        'MOVE m 16',
        'MOVE m -1',
        'MOVE m abc',
        'MOVE m',
        'MOVE',
        'SELECT 0',
        'DBSIZE',
    ])


def test_dbsize_flush(differ):
    differ([
        'DBSIZE',
        'MSET a 1 b 2 c 3',
        'DBSIZE',
        'SELECT 1',
        'MSET a 1 b 2',
        'DBSIZE',
        'FLUSHDB',
        'DBSIZE',
        'SET x 1',
        'SELECT 0',
        'DBSIZE',
        'FLUSHDB ASYNC',
        'DBSIZE',
        'SET a 1',
        'FLUSHDB SYNC',
        'DBSIZE',
        'FLUSHDB FOO',
        'FLUSHDB SYNC ASYNC',
        'FLUSHALL FOO',
        'FLUSHALL SYNC ASYNC',
        'DBSIZE extra',
        'SELECT 1',
        'DBSIZE',
        'FLUSHALL',
        'DBSIZE',
        'SET y 2',
        'FLUSHALL ASYNC',
        'DBSIZE',
        'SET y 2',
        'FLUSHALL SYNC',
        'DBSIZE',
        'flushall',
    ])


def scan_all(client, match=None, count=None, _type=None):
    seen = []
    cursor = 0
    calls = 0
    while True:
        cursor, keys = client.scan(cursor, match=match, count=count, _type=_type)
        assert isinstance(cursor, int) and cursor >= 0
        seen.extend(keys)
        calls += 1
        assert calls < 100000, 'SCAN did not terminate'
        if cursor == 0:
            return seen, calls


@pytest.mark.parametrize('count', [None, 1, 7, 1000])
def test_scan_completeness(basalt, count):
    keys = {'key:%d' % i for i in range(1500)}
    pipe = basalt.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, 'v')
    pipe.execute()
    seen, calls = scan_all(basalt, count=count)
    # SCAN may return a key more than once, but never miss one.
    assert set(seen) == keys
    assert len(seen) < 2 * len(keys)
    if count == 1000:
        assert calls < 50


def test_scan_match_type(basalt):
    pipe = basalt.pipeline(transaction=False)
    for i in range(300):
        pipe.set('s:%d' % i, i)
        pipe.set('t:%d' % i, i)
    pipe.execute()
    seen, _ = scan_all(basalt, match='s:*', count=50)
    assert set(seen) == {'s:%d' % i for i in range(300)}
    seen, _ = scan_all(basalt, match='t:1?', count=10)
    assert set(seen) == {'t:%d' % i for i in range(10, 20)}
    seen, _ = scan_all(basalt, match='nomatch*')
    assert seen == []
    seen, _ = scan_all(basalt, _type='string', count=100)
    assert len(set(seen)) == 600
    seen, _ = scan_all(basalt, _type='list')
    assert seen == []
    seen, _ = scan_all(basalt, match='s:1*', _type='STRING')
    assert set(seen) == {'s:%d' % i for i in range(300) if str(i).startswith('1')}


@pytest.mark.needs_commands('rpush')
def test_scan_other_types(basalt):
    basalt.rpush('l1', 'a')
    basalt.rpush('l2', 'a')
    basalt.set('s', 'v')
    seen, _ = scan_all(basalt, _type='list')
    assert sorted(seen) == ['l1', 'l2']


def test_scan_binary_keys(basalt_server):
    with basalt_server.raw() as c:
        assert c.command('FLUSHALL') == b'+OK\r\n'
        keys = {b'', b'\x00', b'a\r\nb', b'\xff\xfe', b'plain'}
        for k in keys:
            assert c.command('SET', k, 'v') == b'+OK\r\n'
        seen = set()
        cursor = b'0'
        while True:
            cursor, batch = c.call('SCAN', cursor, 'COUNT', '2')
            seen.update(batch)
            if cursor == b'0':
                break
        assert seen == keys


def test_scan_errors(differ):
    differ([
        'SET a 1',
        'SCAN abc',
        'SCAN 0 COUNT 0',
        'SCAN 0 COUNT -1',
        'SCAN 0 COUNT abc',
        'SCAN 0 COUNT',
        'SCAN 0 MATCH',
        'SCAN 0 TYPE',
        'SCAN 0 FOO bar',
        'SCAN 0 MATCH a COUNT 1 FOO',
        'SCAN 18446744073709551616',
        'SCAN',
    ])


def test_db_index_outside_int_range(differ):
    """Found by test_diff_grammar: a DB index beyond a C int has its own error
    (SELECT, MOVE, COPY DB), and SWAPDB names the argument."""
    differ([
        'SET k v',
        'SELECT 9223372036854775807',
        'SELECT -2147483649',
        'SELECT 2147483648',
        'SELECT 16',
        'MOVE k 99999999999',
        'MOVE k -99999999999',
        'MOVE k 16',
        'COPY k k2 DB 99999999999',
        'COPY k k2 DB 16',
        'SWAPDB 99999999999 0',
        'SWAPDB 0 99999999999',
        'SWAPDB -9223372036854775808 0',
        'SWAPDB -1 9223372036854775807',
        'SWAPDB -1 0',
        'SWAPDB 0 16',
        'MULTI', 'SWAPDB 0 x', 'SELECT 2147483648', 'EXEC',
    ])
