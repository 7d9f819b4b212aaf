"""Differential tests of the hash commands against redis-server 7.0.15.

Every `differ` script runs on Basalt and on the oracle, in RESP2 and RESP3, and
the reply bytes must be identical. Small hashes (listpack encoding) keep
insertion order in both servers, so their HGETALL/HKEYS/HVALS/HSCAN replies are
compared exactly; big ones (hashtable) are compared as multisets. HRANDFIELD is
random: scripts compare the shape of its replies, and separate tests check
membership, uniqueness and counts on each server.
"""

import pytest

from diff import skip_value, unordered, unordered_pairs

BIN = b'\x00\x01\r\n\xfe\xff'
L64 = 'x' * 64
L65 = 'y' * 65


def _set_limits(srv, entries, value):
    with srv.raw() as c:
        assert c.command('CONFIG', 'SET', 'hash-max-listpack-entries', str(entries)) == b'+OK\r\n'
        assert c.command('CONFIG', 'SET', 'hash-max-listpack-value', str(value)) == b'+OK\r\n'


@pytest.fixture
def restore_limits(basalt_server, oracle_server):
    """Puts the default thresholds back after a test that changes them (512 is
    redis-server 7.0.15's built-in default, though its sample redis.conf says 128)."""
    yield
    for srv in (basalt_server, oracle_server):
        _set_limits(srv, 512, 64)


# Runs first in the module, before any test changes the thresholds.
def test_default_thresholds(differ):
    fields = []
    for i in range(512):
        fields += ['f%d' % i, 'v%d' % i]
    differ([
        'CONFIG GET hash-max-listpack-entries',
        'CONFIG GET hash-max-listpack-value',
        ['HSET', 'h', *fields],
        'OBJECT ENCODING h',
        'HLEN h',
        'HSET h f0 again',
        'OBJECT ENCODING h',
        'HSET h f512 v',
        'OBJECT ENCODING h',
        ['HSET', 'v', 'a', L64],
        'OBJECT ENCODING v',
        ['HSET', 'v', L64, 'a'],
        'OBJECT ENCODING v',
        ['HSET', 'v', 'b', L65],
        'OBJECT ENCODING v',
        ['HSET', 'w', L65, 'a'],
        'OBJECT ENCODING w',
    ])


def test_hset_hget_basic(differ):
    differ([
        'HGET h f',
        'HSET h f v',
        'HGET h f',
        'HSET h f v2 g w',
        'HGET h f',
        'HGET h g',
        'HGET h nofield',
        'HSET h a 1 b 2 a 3',
        'HGET h a',
        'HLEN h',
        'hset h lower case',
        'HgEt h lower',
        ['HSET', 'h', '', ''],
        ['HGET', 'h', ''],
        ['HSTRLEN', 'h', ''],
        ['HSET', BIN, BIN, b'v' + BIN],
        ['HGET', BIN, BIN],
        ['HSTRLEN', BIN, BIN],
        ['HEXISTS', BIN, BIN],
        'HEXISTS h f',
        'HEXISTS h nofield',
        'HEXISTS nokey f',
        'HSTRLEN h f',
        'HSTRLEN h nofield',
        'HSTRLEN nokey f',
        'HSET h n 12345',
        'HSTRLEN h n',
        'HSET h neg -17',
        'HSTRLEN h neg',
        'HLEN h',
        'HLEN nokey',
        'TYPE h',
        'OBJECT ENCODING h',
        # Arity and odd argument counts.
        'HSET',
        'HSET h',
        'HSET h f',
        'HSET h f v g',
        'HGET h',
        'HGET h f extra',
        'HLEN',
        'HLEN h extra',
        'HEXISTS h',
        'HSTRLEN h',
        'HLEN h',
    ])


def test_hmset_hsetnx_hmget(differ):
    differ([
        'HMSET h a 1 b 2',
        'HMSET h a 10 c 3',
        'HMGET h a b c d',
        'HMGET nokey a b',
        'HMGET h a',
        'HMSET h a',
        'HMSET h a 1 b',
        'HMSET h',
        'HMGET h',
        'HSETNX h a 100',
        'HGET h a',
        'HSETNX h z 26',
        'HGET h z',
        'HSETNX newkey f v',
        'HGETALL newkey',
        'HSETNX h z',
        'HSETNX h z 1 2',
        'HGETALL h',
        'HLEN h',
    ])


def test_hgetall_hkeys_hvals(differ):
    differ([
        'HGETALL nokey',
        'HKEYS nokey',
        'HVALS nokey',
        'HSET h z 1 y 2 x 3 w 4',
        'HGETALL h',
        'HKEYS h',
        'HVALS h',
        'HSET h y 22',
        'HDEL h x',
        'HSET h x 33',
        'HGETALL h',
        'HKEYS h',
        'HVALS h',
        ['HSET', 'b', BIN, '', '', BIN],
        'HGETALL b',
        'HGETALL',
        'HGETALL h extra',
        'HKEYS',
        'HVALS h extra',
    ])


def test_hdel(differ):
    differ([
        'HDEL nokey f',
        'HSET h a 1 b 2 c 3 d 4',
        'HDEL h a',
        'HDEL h a',
        'HDEL h b b c nofield',
        'HGETALL h',
        'HLEN h',
        'HDEL h d',
        'EXISTS h',
        'TYPE h',
        'HLEN h',
        'HGETALL h',
        'HSET h a 1',
        'HDEL h nofield',
        'EXISTS h',
        'HDEL h',
        'HDEL',
    ])


def test_hincrby(differ):
    differ([
        'HINCRBY h f 1',
        'HINCRBY h f 10',
        'HINCRBY h f -100',
        'HGET h f',
        'HINCRBY h f 0',
        'HINCRBY h g -5',
        'HINCRBY newkey f 7',
        'HGETALL newkey',
        'HSET h max 9223372036854775807 min -9223372036854775808',
        'HINCRBY h max 1',
        'HINCRBY h max 0',
        'HINCRBY h max -1',
        'HINCRBY h min -1',
        'HINCRBY h min 1',
        'HINCRBY h big 9223372036854775807',
        'HINCRBY h big 1',
        'HINCRBY h small -9223372036854775808',
        'HINCRBY h small -1',
        'HINCRBY h small 9223372036854775807',
        # Not integers: the increment, then the stored value.
        'HINCRBY h f x',
        'HINCRBY h f 1.5',
        'HINCRBY h f +1',
        'HINCRBY h f 9223372036854775808',
        'HINCRBY h f 01',
        'HSET h s abc d 1.5 z 007 p +1 n -0 sp 1',
        'HINCRBY h s 1',
        'HINCRBY h d 1',
        'HINCRBY h z 1',
        'HINCRBY h p 1',
        'HINCRBY h n 1',
        ['HSET', 'h', 'sp', ' 1'],
        'HINCRBY h sp 1',
        ['HSET', 'h', 'empty', ''],
        'HINCRBY h empty 1',
        'HINCRBY nokey2 f x',
        'EXISTS nokey2',
        'HINCRBY h f',
        'HINCRBY h f 1 2',
        'HGETALL h',
    ])


def test_hincrbyfloat(differ):
    differ([
        'HINCRBYFLOAT h f 1',
        'HINCRBYFLOAT h f 0.1',
        'HINCRBYFLOAT h f 0.2',
        'HINCRBYFLOAT h f -1.3',
        'HINCRBYFLOAT h f -0.0',
        'HINCRBYFLOAT h f 1.5e3',
        'HINCRBYFLOAT h f 1E-3',
        'HINCRBYFLOAT h f 0x10',
        'HINCRBYFLOAT h f +2',
        'HINCRBYFLOAT h f .5',
        'HINCRBYFLOAT h f 5.',
        'HINCRBYFLOAT h g 1.23456789012345678',
        'HINCRBYFLOAT h g 1e-20',
        'HINCRBYFLOAT h tiny 1e-20',
        'HINCRBYFLOAT h neg -3.5',
        'HINCRBYFLOAT h zero -0',
        'HINCRBYFLOAT h big 1e308',
        'HINCRBYFLOAT h big 1e308',
        'HINCRBYFLOAT h huge 1e400',
        'OBJECT ENCODING h',
        'HINCRBYFLOAT h huge -1e400',
        'HSET h i 10 e 1e3 x 0x10 s abc d 5.000 in inf',
        'HINCRBYFLOAT h i 0.5',
        'HINCRBYFLOAT h e 1',
        'HINCRBYFLOAT h x 1',
        'HINCRBYFLOAT h s 1',
        'HINCRBYFLOAT h d 1',
        'HINCRBYFLOAT h in 1',
        ['HSET', 'h', 'empty', ''],
        'HINCRBYFLOAT h empty 1',
        'HINCRBYFLOAT h i abc',
        'HINCRBYFLOAT h i nan',
        'HINCRBYFLOAT h i inf',
        'HINCRBYFLOAT h i -inf',
        'HINCRBYFLOAT h i 1e5000',
        'HINCRBYFLOAT newkey f inf',
        'EXISTS newkey',
        'HINCRBYFLOAT newkey f 2.5',
        'HGETALL newkey',
        'HINCRBYFLOAT h i',
        'HINCRBYFLOAT h i 1 2',
        'HGET h i',
    ])


def test_wrongtype(differ):
    differ([
        'SET s v',
        'HSET s f v',
        'HMSET s f v',
        'HSETNX s f v',
        'HGET s f',
        'HMGET s f',
        'HGETALL s',
        'HKEYS s',
        'HVALS s',
        'HDEL s f',
        'HLEN s',
        'HEXISTS s f',
        'HSTRLEN s f',
        'HINCRBY s f 1',
        'HINCRBYFLOAT s f 1',
        'HRANDFIELD s',
        'HRANDFIELD s 2',
        'HRANDFIELD s 2 WITHVALUES',
        'HSCAN s 0',
        # Argument errors come before the type check where Redis parses first.
        'HINCRBY s f x',
        'HINCRBYFLOAT s f x',
        'HRANDFIELD s x',
        'HSCAN s x',
        'GET s',
        'HSET h f v',
        'GET h',
        'INCR h',
        'APPEND h x',
        'STRLEN h',
    ])


@pytest.mark.needs_commands('rpush', 'sadd', 'zadd')
def test_wrongtype_collections(differ):
    differ([
        'RPUSH l a',
        'SADD st a',
        'ZADD z 1 a',
        'HSET l f v',
        'HGET st f',
        'HGETALL z',
        'HSET h f v',
        'RPUSH h a',
        'SADD h a',
        'ZADD h 1 a',
    ])


def test_encoding_conversions(differ, restore_limits):
    differ([
        'CONFIG SET hash-max-listpack-entries 3',
        'CONFIG SET hash-max-listpack-value 8',
        'HSET h a 1 b 2 c 3',
        'OBJECT ENCODING h',
        'HSET h a 11',
        'OBJECT ENCODING h',
        'HSETNX h a 123456789',
        'OBJECT ENCODING h',
        'HSET h d 4',
        'OBJECT ENCODING h',
        'HDEL h a b c',
        'OBJECT ENCODING h',
        'HGETALL h',
        # Value and field length limits, inclusive.
        'HSET v f 12345678',
        'HSET v 12345678 f',
        'OBJECT ENCODING v',
        'HSET v g 123456789',
        'OBJECT ENCODING v',
        'HSET w 123456789 g',
        'OBJECT ENCODING w',
        'HMSET x a 1 b 123456789',
        'OBJECT ENCODING x',
        # HSETNX converts only when it sets.
        'HSET y a 1',
        'HSETNX y a 123456789',
        'OBJECT ENCODING y',
        'HSETNX y b 123456789',
        'OBJECT ENCODING y',
        'HSETNX y2 123456789 v',
        'OBJECT ENCODING y2',
        # HINCRBY / HINCRBYFLOAT convert on long fields, long results and counts.
        'HSET i a 1',
        'HINCRBY i 123456789 1',
        'OBJECT ENCODING i',
        'HSET j a 1',
        'HINCRBYFLOAT j 123456789 1.5',
        'OBJECT ENCODING j',
        'HSET k a 1',
        'HINCRBYFLOAT k a 0.123456789',
        'OBJECT ENCODING k',
        'HSET m a 1 b 2 c 3',
        'HINCRBY m d 1',
        'OBJECT ENCODING m',
        'HSET n a 1 b 2 c 3',
        'HINCRBYFLOAT n d 1.5',
        'OBJECT ENCODING n',
        'HSET o a 1 b 2',
        'HSETNX o c 3',
        'OBJECT ENCODING o',
        'HSETNX o d 4',
        'OBJECT ENCODING o',
        # A failed HSET (odd arguments) changes nothing.
        'HSET p a 1',
        'HSET p a 1 123456789 2 x',
        'OBJECT ENCODING p',
        'HGETALL p',
        # Zero limits: every hash is a hashtable.
        'CONFIG SET hash-max-listpack-entries 0',
        'HSET q a 1',
        'OBJECT ENCODING q',
        'CONFIG SET hash-max-listpack-entries 128',
        'CONFIG SET hash-max-listpack-value 0',
        'HSET r a 1',
        'OBJECT ENCODING r',
        ['HSET', 'r2', '', ''],
        'OBJECT ENCODING r2',
        # Raising the limits does not convert back.
        'CONFIG SET hash-max-listpack-value 64',
        'HSET r b 2',
        'OBJECT ENCODING r',
        'HSET legacy a 1',
        'CONFIG SET hash-max-ziplist-entries 1',
        'CONFIG GET hash-max-listpack-entries',
        'HSET legacy b 2',
        'OBJECT ENCODING legacy',
    ])


def _big_hash_cmd(key, n, prefix='field', value_prefix='value'):
    args = ['HSET', key]
    for i in range(n):
        args += ['%s:%d' % (prefix, i), '%s:%d' % (value_prefix, i)]
    return args


def test_big_hash(differ):
    script = [
        _big_hash_cmd('big', 1000),
        'OBJECT ENCODING big',
        'HLEN big',
        'HGET big field:0',
        'HGET big field:999',
        'HGET big field:1000',
        'HMGET big field:1 field:500 nofield field:998',
        'HEXISTS big field:123',
        'HSTRLEN big field:123',
        unordered_pairs('HGETALL big'),
        unordered('HKEYS big'),
        unordered('HVALS big'),
        'HSET big field:0 changed',
        'HGET big field:0',
        'HINCRBY big counter 5',
        'HINCRBYFLOAT big fcounter 2.5',
        'HSETNX big field:1 x',
        'HSETNX big newfield x',
        'HLEN big',
    ]
    # Delete most fields: the encoding stays hashtable.
    dels = ['HDEL', 'big'] + ['field:%d' % i for i in range(0, 1000, 2)]
    script += [dels, 'HLEN big', unordered_pairs('HGETALL big'), 'OBJECT ENCODING big']
    dels = ['HDEL', 'big'] + ['field:%d' % i for i in range(1, 1000, 2)]
    script += [dels, 'HLEN big', unordered_pairs('HGETALL big'),
               'HDEL big counter fcounter newfield', 'EXISTS big']
    differ(script)


def test_hash_with_generic_commands(differ):
    differ([
        'HSET h a 1 b 2',
        'EXPIRE h 100',
        'HSET h c 3',
        'TTL h',
        'HDEL h a',
        'TTL h',
        'HINCRBY h b 1',
        'TTL h',
        'RENAME h h2',
        'HGETALL h2',
        'TYPE h2',
        'COPY h2 h3',
        'HSET h2 a 100',
        'HGETALL h3',
        'HGETALL h2',
        'OBJECT ENCODING h3',
        skip_value('MEMORY USAGE h2'),
        'EXISTS h2 h3',
        'DEL h2',
        'EXISTS h2',
        'HGETALL h3',
        'SELECT 1',
        'HSET h a 1',
        'SELECT 0',
        'MOVE h3 1',
        'SELECT 1',
        'HGETALL h3',
        'HGETALL h',
        'FLUSHDB',
        'SELECT 0',
    ])


@pytest.mark.needs_commands('multi', 'exec')
def test_hash_in_transaction(differ):
    differ([
        'MULTI',
        'HSET h a 1',
        'HINCRBY h a 5',
        'HINCRBYFLOAT h a 0.5',
        'HGET h a',
        'EXEC',
        'MULTI',
        'HSET h a 1',
        'HINCRBY h a x',
        'HGETALL h',
        'EXEC',
    ])


# --- HRANDFIELD ---------------------------------------------------------------

def test_hrandfield_shapes(differ):
    differ([
        'HRANDFIELD nokey',
        'HRANDFIELD nokey 3',
        'HRANDFIELD nokey -3',
        'HRANDFIELD nokey 3 WITHVALUES',
        'HRANDFIELD nokey 0',
        'HSET h a 1 b 2 c 3 d 4 e 5',
        skip_value('HRANDFIELD h'),
        'HRANDFIELD h 0',
        'HRANDFIELD h 0 WITHVALUES',
        skip_value('HRANDFIELD h 1'),
        skip_value('HRANDFIELD h 3'),
        skip_value('HRANDFIELD h 3 WITHVALUES'),
        skip_value('HRANDFIELD h 3 withvalues'),
        skip_value('HRANDFIELD h -3'),
        skip_value('HRANDFIELD h -20'),
        skip_value('HRANDFIELD h -20 WITHVALUES'),
        # count >= size: the whole listpack, in order.
        'HRANDFIELD h 5',
        'HRANDFIELD h 6 WITHVALUES',
        'HRANDFIELD h 100',
        'HRANDFIELD h 9223372036854775807',
        'HRANDFIELD h 4611686018427387903 WITHVALUES',
        # Errors.
        'HRANDFIELD h x',
        'HRANDFIELD h 1.5',
        'HRANDFIELD h 3 VALUES',
        'HRANDFIELD h 3 WITHVALUES x',
        'HRANDFIELD h x WITHVALUES',
        'HRANDFIELD nokey 3 bad',
        'HRANDFIELD h -9223372036854775808',
        'HRANDFIELD h -9223372036854775808 bad',
        'HRANDFIELD h 9223372036854775807 bad',
        'HRANDFIELD h -4611686018427387904 WITHVALUES',
        'HRANDFIELD h 4611686018427387904 WITHVALUES',
        'HRANDFIELD h 9223372036854775808',
        'HRANDFIELD',
        _big_hash_cmd('big', 600),
        'OBJECT ENCODING big',
        skip_value('HRANDFIELD big'),
        skip_value('HRANDFIELD big 5'),
        skip_value('HRANDFIELD big 150 WITHVALUES'),
        skip_value('HRANDFIELD big 250'),
        skip_value('HRANDFIELD big 599'),
        skip_value('HRANDFIELD big -800 WITHVALUES'),
        unordered('HRANDFIELD big 600'),
        unordered('HRANDFIELD big 1000'),
    ])


def _pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def _check_hrandfield(c, big):
    n = 1000 if big else 20
    ref = {'f%d' % i: 'v%d' % i for i in range(n)}
    c.hset('h', mapping=ref)
    assert c.object('encoding', 'h') == ('hashtable' if big else 'listpack')
    for _ in range(20):
        assert c.hrandfield('h') in ref
    for count in (1, 2, n // 3, n // 3 + 1, n // 2, n - 1, n, n + 1, 10 * n):
        got = c.hrandfield('h', count)
        assert len(got) == min(count, n)
        assert len(set(got)) == len(got), 'positive count returned duplicates'
        assert set(got) <= set(ref)
        pairs = _pairs(c.hrandfield('h', count, withvalues=True))
        assert len(pairs) == min(count, n)
        assert len({f for f, _ in pairs}) == len(pairs)
        assert all(ref[f] == v for f, v in pairs)
    for count in (1, 5, n, 3 * n):
        got = c.hrandfield('h', -count)
        assert len(got) == count and set(got) <= set(ref)
        pairs = _pairs(c.hrandfield('h', -count, withvalues=True))
        assert len(pairs) == count and all(ref[f] == v for f, v in pairs)
    # Repeats allowed and the draw spreads over the hash.
    many = c.hrandfield('h', -20 * n)
    assert len(set(many)) > n * 0.9
    # Positive counts are fair enough that every field shows up over many calls.
    seen = set()
    for _ in range(1000):
        seen.update(c.hrandfield('h', 5))
    if big:
        assert len(seen) > n * 0.95  # 993 expected from a uniform draw
    else:
        assert seen == set(ref)


@pytest.mark.parametrize('big', [False, True], ids=['listpack', 'hashtable'])
def test_hrandfield_membership(basalt, oracle, big):
    for c in (basalt, oracle):
        _check_hrandfield(c, big)


def test_hrandfield_resp3_pairs(raw_basalt, raw_oracle):
    """RESP3 WITHVALUES replies are arrays of [field, value] pairs."""
    for make in (raw_basalt, raw_oracle):
        c = make()
        c.call('HELLO', '3')
        c.call('FLUSHALL')
        c.call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3')
        for count, expected in (('2', 2), ('-5', 5), ('10', 3)):
            reply = c.call('HRANDFIELD', 'h', count, 'WITHVALUES')
            assert len(reply) == expected
            for pair in reply:
                assert isinstance(pair, list) and len(pair) == 2
                assert {b'a': b'1', b'b': b'2', b'c': b'3'}[pair[0]] == pair[1]


# --- HSCAN --------------------------------------------------------------------

def test_hscan_small(differ):
    differ([
        'HSCAN nokey 0',
        'HSCAN nokey 0 bad options',
        'HSCAN nokey x',
        'HSET h a 1 b 2 ab 3 ba 4',
        'HSCAN h 0',
        'HSCAN h 0 COUNT 1',
        'HSCAN h 123',
        'HSCAN h -1',
        'HSCAN h +5',
        ['HSCAN', 'h', ''],
        'HSCAN h 18446744073709551615',
        'HSCAN h 0 MATCH a*',
        'HSCAN h 0 match *a',
        'HSCAN h 0 MATCH * COUNT 100',
        'HSCAN h 0 MATCH nothing',
        'HSCAN h 0 MATCH a* MATCH b*',
        'HSCAN h 0 COUNT 5 COUNT 1',
        # Errors.
        'HSCAN h 18446744073709551616',
        'HSCAN h 0x1',
        'HSCAN h 1.0',
        'HSCAN h abc',
        ['HSCAN', 'h', ' 1'],
        'HSCAN h 0 COUNT 0',
        'HSCAN h 0 COUNT -1',
        'HSCAN h 0 COUNT x',
        'HSCAN h 0 COUNT 9223372036854775808',
        'HSCAN h 0 COUNT',
        'HSCAN h 0 MATCH',
        'HSCAN h 0 TYPE string',
        'HSCAN h 0 NOVALUES',
        'HSCAN h 0 bad',
        'HSCAN h',
        'HSCAN',
    ])


def _full_scan(c, key, count=None, match=None, during=None):
    """Iterates HSCAN to the end; returns {field: value} and the number of calls."""
    cursor, out, calls = 0, {}, 0
    while True:
        kw = {}
        if count is not None:
            kw['count'] = count
        if match is not None:
            kw['match'] = match
        cursor, page = c.hscan(key, cursor, **kw)
        for f, v in page.items():
            out[f] = v
        calls += 1
        if during is not None:
            during(calls)
        if cursor == 0:
            return out, calls
        assert calls < 100000, 'HSCAN does not terminate'


def test_hscan_big(basalt, oracle):
    ref = {'field:%d' % i: 'value:%d' % i for i in range(2000)}
    for c in (basalt, oracle):
        c.hset('big', mapping=ref)
        assert c.object('encoding', 'big') == 'hashtable'
        for count in (None, 1, 7, 100, 5000):
            got, calls = _full_scan(c, 'big', count=count)
            assert got == ref
            if count == 1:
                assert calls > 100
        got, _ = _full_scan(c, 'big', match='field:1*', count=50)
        assert got == {f: v for f, v in ref.items() if f.startswith('field:1')}
        got, _ = _full_scan(c, 'big', match='nomatch*')
        assert got == {}


def test_hscan_while_resizing(basalt, oracle):
    """Fields present for the whole scan are returned, while the hash grows
    and shrinks between calls."""
    for c in (basalt, oracle):
        stable = {'stable:%d' % i: str(i) for i in range(1000)}
        c.hset('h', mapping=stable)

        def grow(calls):
            if calls == 3:
                c.hset('h', mapping={'tmp:%d' % i: 'x' for i in range(5000)})
            if calls == 30:
                c.hdel('h', *['tmp:%d' % i for i in range(5000)])

        got, _ = _full_scan(c, 'h', count=20, during=grow)
        assert set(stable) <= set(got)
        assert all(got[f] == v for f, v in stable.items())
        c.delete('h')


# --- Keyspace events, statistics, command metadata ----------------------------

def _collect_events(make, script):
    sub, cmd = make(), make()
    cmd.call('FLUSHALL')
    cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
    try:
        sub.call('PSUBSCRIBE', '__key*@0__:*')
        for step in script:
            cmd.call(*step.split(' '))
        cmd.call('SET', 'end-marker', '1')
        events = []
        while True:
            msg = sub.read_value()
            events.append((msg[2], msg[3]))
            if msg[2].endswith(b':end-marker') and msg[3] == b'set':
                break
        return events
    finally:
        cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '')


def test_keyspace_events(raw_basalt, raw_oracle):
    script = [
        'HSET h a 1 b 2',
        'HMSET h c 3',
        'HSETNX h a 1',
        'HSETNX h d 4',
        'HINCRBY h n 5',
        'HINCRBYFLOAT h x 1.5',
        'HDEL h nofield',
        'HDEL h a b',
        'HDEL h c d n x',
        'HGET h a',
        'HSET s f v',
        'SET str v',
        'HSET str f v',
    ]
    assert _collect_events(raw_basalt, script) == _collect_events(raw_oracle, script)


def _stats(c):
    info = c.info('stats')
    return info['keyspace_hits'], info['keyspace_misses']


def test_keyspace_hits_and_misses(basalt, oracle):
    results = []
    for c in (basalt, oracle):
        c.hset('h', mapping={'a': '1', 'b': '2'})
        c.config_resetstat()
        c.hget('h', 'a')
        c.hget('h', 'zz')
        c.hget('nokey', 'a')
        c.hmget('h', 'a', 'b')
        c.hlen('nokey')
        c.hexists('h', 'a')
        c.hstrlen('h', 'a')
        c.hgetall('h')
        c.hkeys('nokey')
        c.hvals('h')
        c.hrandfield('h')
        c.hrandfield('nokey', 2)
        c.hscan('h', 0)
        c.hscan('nokey', 0)
        c.hset('h', 'c', '3')
        c.hincrby('h', 'n', 1)
        c.hdel('h', 'c')
        results.append(_stats(c))
    assert results[0] == results[1]


HASH_COMMANDS = ['hset', 'hsetnx', 'hmset', 'hget', 'hmget', 'hgetall', 'hdel', 'hlen',
                 'hexists', 'hkeys', 'hvals', 'hincrby', 'hincrbyfloat', 'hstrlen',
                 'hrandfield', 'hscan']


def test_command_info(raw_basalt, raw_oracle):
    b, o = raw_basalt(), raw_oracle()
    for name in HASH_COMMANDS:
        eb = b.call('COMMAND', 'INFO', name)[0]
        eo = o.call('COMMAND', 'INFO', name)[0]
        assert eb is not None, 'Basalt lacks %s' % name
        # name, arity, flags, first/last/step, ACL categories, tips
        assert eb[:8] == eo[:8], name
