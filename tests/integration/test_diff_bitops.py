"""Differential tests of the bitmap commands against redis-server.

SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO: every script runs on
Basalt and on the oracle, in RESP2 and RESP3, and the reply bytes must match.
Besides the replies, the tests compare what Redis 7.0 does around them: the
encoding of the strings they create or modify, keyspace hits/misses, the dirty
counter (whether a write is propagated) and keyspace notifications.
"""

import random
import time

import pytest

from helpers import info_int

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63

TYPE_ERR_ARGS = ['u64', 'i65', 'i0', 'u0', 'I8', 'U8', 'x8', 'i', '', 'i08', 'i+8', 'i-8']


def test_setbit_getbit(differ):
    differ([
        'SETBIT k 7 1',
        'GET k',
        'GETBIT k 7',
        'GETBIT k 6',
        'GETBIT k 8',
        'GETBIT k 100000',
        'SETBIT k 7 1',
        'SETBIT k 7 0',
        'GET k',
        'STRLEN k',
        'SETBIT k 100 1',
        'STRLEN k',
        'GET k',
        'GETBIT k 100',
        'SETBIT k 0 1',
        'GET k',
        'GETBIT nokey 0',
        'GETBIT nokey 4294967295',
        'EXISTS nokey',
        # Offsets: strict non-negative integers below 2^32 (512 MB of bits).
        'SETBIT k -1 1',
        'SETBIT k abc 1',
        'SETBIT k 1.5 1',
        'SETBIT k +1 1',
        'SETBIT k 01 1',
        ['SETBIT', 'k', '', '1'],
        'SETBIT k 4294967296 1',
        'SETBIT k 18446744073709551616 1',
        'SETBIT k #1 1',
        'GETBIT k -1',
        'GETBIT k abc',
        'GETBIT k 4294967296',
        # Bit values: 0 or 1 only; the offset is checked first.
        'SETBIT k 0 2',
        'SETBIT k 0 -1',
        'SETBIT k 0 abc',
        'SETBIT k 0 01',
        ['SETBIT', 'k', '0', ''],
        'SETBIT k -1 2',
        'SETBIT k 4294967296 abc',
        # Arity.
        'SETBIT k 0',
        'SETBIT k 0 1 1',
        'GETBIT k',
        'GETBIT k 0 0',
        'SETBIT',
        'GETBIT',
        'getbit k 0',
        'setbit k 0 0',
        'GET k',
    ])


def test_setbit_on_existing_values(differ):
    differ([
        'SET n 123',
        'OBJECT ENCODING n',
        'GETBIT n 2',
        'OBJECT ENCODING n',
        'SETBIT n 7 0',
        'GET n',
        'OBJECT ENCODING n',
        'SET n -5',
        'SETBIT n 0 1',
        'GET n',
        'SET e abc',
        'OBJECT ENCODING e',
        'SETBIT e 6 1',
        'GET e',
        'OBJECT ENCODING e',
        'SET e abc',
        # Even a SETBIT that changes nothing turns the value into a raw string.
        'SETBIT e 1 1',
        'OBJECT ENCODING e',
        'GET e',
        'SETBIT fresh 0 0',
        'OBJECT ENCODING fresh',
        'GET fresh',
        'SET big ' + 'x' * 60,
        'OBJECT ENCODING big',
        'SETBIT big 500 1',
        'STRLEN big',
        'GET big',
        'APPEND big tail',
        'GET big',
        ['SET', 'empty', ''],
        'SETBIT empty 3 1',
        'GET empty',
        'SET t v EX 100',
        'SETBIT t 0 1',
        'TTL t',
        'GET t',
    ])


@pytest.mark.needs_commands('rpush', 'hset')
def test_wrong_type(differ):
    differ([
        'RPUSH l a',
        'HSET h f v',
        'SETBIT l 0 1',
        'SETBIT l abc 1',
        'SETBIT l 0 5',
        'GETBIT l 0',
        'GETBIT l abc',
        'BITCOUNT l',
        'BITCOUNT l 0 1',
        'BITCOUNT l a b',
        'BITCOUNT l 1',
        'BITPOS l 1',
        'BITPOS l 2',
        'BITPOS l a',
        'BITPOS l 1 a',
        'BITFIELD l GET u8 0',
        'BITFIELD_RO l GET u8 0',
        'BITFIELD l SET u8 0 1',
        'BITFIELD l SET u8 a 1',
        'BITFIELD l INCRBY u8 0 1 OVERFLOW',
        'BITFIELD_RO l SET u8 0 1',
        'BITFIELD l',
        'SET s foo',
        'BITOP AND d s l',
        'BITOP AND d l s',
        'BITOP NOT d h',
        'EXISTS d',
        # The destination may hold any type: BITOP replaces it.
        'BITOP OR h s',
        'TYPE h',
        'GET h',
        'BITOP OR l nokey',
        'TYPE l',
        'LLEN l',
    ])


def test_bitcount(differ):
    differ([
        'BITCOUNT nokey',
        # A missing key answers 0 whatever the range arguments (Redis 7.0).
        'BITCOUNT nokey a b',
        'BITCOUNT nokey 1',
        'BITCOUNT nokey 1 2 3',
        'BITCOUNT nokey 1 2 bit',
        ['SET', 's', b'\xff\xf0\x00\x0f\x01\x80\xaa'],
        'BITCOUNT s',
        'BITCOUNT s 0 -1',
        'BITCOUNT s 0 0',
        'BITCOUNT s 1 1',
        'BITCOUNT s -1 -1',
        'BITCOUNT s -2 -1',
        'BITCOUNT s 2 1',
        'BITCOUNT s -1 -2',
        'BITCOUNT s -100 -200',
        'BITCOUNT s -200 -100',
        'BITCOUNT s -100 100',
        'BITCOUNT s 100 200',
        'BITCOUNT s 0 -1 BYTE',
        'BITCOUNT s 0 -1 BIT',
        'BITCOUNT s 5 30 BIT',
        'BITCOUNT s 5 5 bit',
        'BITCOUNT s 4 5 bit',
        'BITCOUNT s -9 -3 BIT',
        'BITCOUNT s -3 -9 BIT',
        'BITCOUNT s 0 9223372036854775807 bit',
        'BITCOUNT s -9223372036854775808 9223372036854775807',
        'BITCOUNT s 0 1 BiT',
        'BITCOUNT s 0 1 bYtE',
        # Errors: integers first, then the unit keyword; other arities are syntax errors.
        'BITCOUNT s 0',
        'BITCOUNT s 0 1 2 3',
        'BITCOUNT s a 1',
        'BITCOUNT s 0 b',
        'BITCOUNT s a b bat',
        'BITCOUNT s 0 1 bat',
        'BITCOUNT s 0 1 bit x',
        'BITCOUNT s 9223372036854775808 1',
        'BITCOUNT',
        'SET n 255',
        'BITCOUNT n',
        'BITCOUNT n 1 1 bit',
        ['SET', 'empty', ''],
        'BITCOUNT empty',
        'BITCOUNT empty 0 -1',
        'BITCOUNT empty 0 -1 bit',
        'BITCOUNT empty 0 0',
    ])


def test_bitpos(differ):
    differ([
        'BITPOS nokey 0',
        'BITPOS nokey 1',
        'BITPOS nokey 0 5 10',
        'BITPOS nokey 1 a',
        'BITPOS nokey 0 1 2 3 4 5',
        'BITPOS nokey 2',
        'BITPOS nokey a',
        'BITPOS nokey -1',
        ['SET', 'f', b'\xff\xff\xff'],
        'BITPOS f 0',
        'BITPOS f 1',
        'BITPOS f 0 1',
        'BITPOS f 0 0 -1',
        'BITPOS f 0 3 BIT',
        'BITPOS f 0 3 -1 BIT',
        'BITPOS f 0 23 BIT',
        'BITPOS f 0 24 BIT',
        'BITPOS f 0 -3 BIT',
        'BITPOS f 0 5',
        'BITPOS f 1 5',
        ['SET', 'z', b'\x00\x00\x00'],
        'BITPOS z 1',
        'BITPOS z 0',
        'BITPOS z 1 1',
        'BITPOS z 0 2',
        'BITPOS z 0 -1 -1 bit',
        ['SET', 's', b'\x00\xff\xf0\x0f\x00\x01'],
        'BITPOS s 1',
        'BITPOS s 0',
        'BITPOS s 1 2',
        'BITPOS s 0 1',
        'BITPOS s 0 1 1',
        'BITPOS s 0 1 2',
        'BITPOS s 1 -1',
        'BITPOS s 1 -20 -30',
        'BITPOS s 0 -20 -30',
        'BITPOS s 1 3 2',
        'BITPOS s 1 9 BIT',
        'BITPOS s 1 9 20 BIT',
        'BITPOS s 0 9 20 BIT',
        'BITPOS s 0 8 15 BIT',
        'BITPOS s 0 8 15 bYtE',
        'BITPOS s 1 47 47 bit',
        'BITPOS s 1 -9223372036854775808 9223372036854775807 bit',
        ['SET', 'empty', ''],
        'BITPOS empty 0',
        'BITPOS empty 1',
        'BITPOS empty 0 0',
        'BITPOS empty 0 0 -1 bit',
        'SET n 12',
        'BITPOS n 1',
        'BITPOS n 0 1',
        # Errors: bit first (even before the key), then start, unit, end.
        'BITPOS s 2',
        'BITPOS s a',
        'BITPOS s 1 a',
        'BITPOS s 1 0 a',
        'BITPOS s 1 0 a bat',
        'BITPOS s 1 a 0 bat',
        'BITPOS s 1 0 1 bat',
        'BITPOS s 1 0 1 bit 5',
        'BITPOS s 3 a b c d e',
        'BITPOS s',
        'BITPOS',
    ])


def _random_value(rnd, n):
    style = rnd.randrange(5)
    if style == 0:
        return bytes(rnd.randrange(256) for _ in range(n))
    if style == 1:
        return b'\x00' * n
    if style == 2:
        return b'\xff' * n
    out = bytearray(b'\xff' if style == 3 else b'\x00') * n
    for _ in range(rnd.randrange(3)):
        if n:
            out[rnd.randrange(n)] = rnd.randrange(256)
    return bytes(out)


def _random_index(rnd, n):
    r = rnd.randrange(6)
    if r == 0:
        return rnd.randrange(-n - 3, n + 3)
    if r == 1:
        return rnd.randrange(-8 * n - 10, 8 * n + 10)
    if r == 2:
        return rnd.choice([0, -1, n - 1, n, 8 * n - 1, 8 * n, -8 * n, -8 * n - 1])
    return rnd.randrange(-2 * n - 2, 2 * n + 2)


def test_bitcount_bitpos_random(differ):
    rnd = random.Random(7)
    script = []
    for i in range(40):
        n = rnd.choice([0, 1, 2, 3, 7, 8, 9, 16, 17, 33])
        script.append(['SET', 'r', _random_value(rnd, n)])
        for _ in range(12):
            a, b = _random_index(rnd, n), _random_index(rnd, n)
            unit = rnd.choice([[], ['BIT'], ['BYTE']])
            bit = rnd.randrange(2)
            script.append(['BITCOUNT', 'r', a, b] + unit)
            script.append(['BITPOS', 'r', bit, a, b] + unit)
            if not unit:
                script.append(['BITPOS', 'r', bit, a])
        script.append(['BITPOS', 'r', 0])
        script.append(['BITPOS', 'r', 1])
    differ(script)


def test_bitop(differ):
    differ([
        ['SET', 'a', b'\xff\x0f\xf0abc'],
        ['SET', 'b', b'\x0f\xff'],
        'SET c 12345',
        'BITOP AND d a b',
        'GET d',
        'OBJECT ENCODING d',
        'BITOP OR d a b',
        'GET d',
        'BITOP XOR d a b c',
        'GET d',
        'BITOP NOT d a',
        'GET d',
        'BITOP NOT d c',
        'GET d',
        'BITOP and d a',
        'GET d',
        'BITOP Or d b b b',
        'GET d',
        # An int-encoded source is read as its text; the result is a raw string.
        'BITOP OR d c',
        'GET d',
        'OBJECT ENCODING d',
        'BITOP AND d b',
        'OBJECT ENCODING d',
        'BITOP AND d a nokey',
        'GET d',
        'STRLEN d',
        'BITOP OR d nokey a',
        'GET d',
        'BITOP XOR d a a',
        'GET d',
        # The destination can be a source.
        'BITOP XOR a a b',
        'GET a',
        'BITOP NOT a a',
        'GET a',
        # An empty result deletes the destination (and its TTL goes with SET).
        'SET t v EX 100',
        'BITOP OR t b',
        'TTL t',
        'BITOP OR t nokey',
        'EXISTS t',
        'BITOP AND t nokey nokey2',
        'EXISTS t',
        'BITOP NOT t nokey',
        'EXISTS t',
        ['SET', 'empty', ''],
        'BITOP OR t empty',
        'EXISTS t',
        # Errors.
        'BITOP NOT d a b',
        'BITOP NOT d',
        'BITOP FOO d a',
        'BITOP AND d',
        'BITOP AND',
        'BITOP',
        'BITOP ANDX d a',
    ])


def test_bitop_large(differ):
    rnd = random.Random(3)
    x = bytes(rnd.randrange(256) for _ in range(3000))
    y = bytes(rnd.randrange(256) for _ in range(2501))
    differ([
        ['SET', 'x', x],
        ['SET', 'y', y],
        'BITOP AND d x y',
        'GET d',
        'BITOP OR d y x',
        'GET d',
        'BITOP XOR d x y x',
        'GET d',
        'BITOP NOT d y',
        'GET d',
        'BITCOUNT d',
        'BITPOS d 0 100',
    ])


def test_bitfield_basic(differ):
    differ([
        'BITFIELD k',
        'EXISTS k',
        'BITFIELD k GET u8 0',
        'EXISTS k',
        'BITFIELD k SET u8 0 255',
        'GET k',
        'OBJECT ENCODING k',
        'BITFIELD k GET u8 0 GET i8 0 GET u4 0 GET i4 4 GET u1 7 GET i1 7',
        'BITFIELD k SET i8 #1 -2 GET u8 8 GET i16 #0 GET u16 0',
        'GET k',
        'BITFIELD k INCRBY u8 0 1 INCRBY u8 0 1 GET u8 0',
        'BITFIELD k INCRBY i8 #1 -126 INCRBY i8 #1 -1 INCRBY i8 #1 -1',
        'BITFIELD k OVERFLOW SAT INCRBY i8 #1 -100 OVERFLOW WRAP INCRBY i8 #1 -100',
        'BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000 INCRBY u8 0 -1000 GET u8 0',
        'BITFIELD k overflow fail set u8 0 300 overflow sat set u8 0 300',
        'GET k',
        'BITFIELD k SET u4 3 15 GET u8 0 GET u3 5 SET u2 7 1',
        'GET k',
        'BITFIELD k SET i64 0 -1 GET u63 0 GET u63 1 GET i64 0 GET i64 1',
        'BITFIELD k SET i64 3 -9223372036854775808 GET i64 3',
        'BITFIELD k SET u63 64 9223372036854775807 GET u63 64 GET i64 64',
        'GET k',
        'STRLEN k',
        'BITFIELD k INCRBY i64 #0 9223372036854775807 INCRBY i64 #0 1',
        'BITFIELD k OVERFLOW SAT INCRBY i64 #0 9223372036854775807 INCRBY i64 #0 1',
        'BITFIELD k OVERFLOW SAT INCRBY i64 #0 -9223372036854775808 INCRBY i64 #0 -1',
        'BITFIELD k OVERFLOW FAIL INCRBY i64 #0 -1 INCRBY i64 #0 1',
        'bitfield k get u8 0 set u8 0 1 incrby u8 0 1 overflow wrap',
        # Reading beyond the end is zero; BITFIELD grows the string only for writes.
        'BITFIELD k GET u8 1000 GET i64 99999',
        'STRLEN k',
        'BITFIELD k SET u8 1000 1 GET u8 1000',
        'STRLEN k',
        'BITFIELD k SET i64 #100 1',
        'STRLEN k',
        # Large SET/INCRBY arguments.
        'BITFIELD k SET i8 0 9223372036854775807 SET i8 0 -9223372036854775808',
        'BITFIELD k SET u8 0 9223372036854775808',
        'BITFIELD k INCRBY u8 0 9223372036854775807 INCRBY u8 0 -9223372036854775808',
    ])


def test_bitfield_ro(differ):
    differ([
        ['SET', 'k', b'\x12\x34\x56\x78'],
        'BITFIELD_RO k',
        'BITFIELD_RO k GET u8 0 GET i16 #1 GET u4 28 GET i64 0',
        'BITFIELD_RO k get u8 0 OVERFLOW SAT GET u8 0',
        'BITFIELD_RO nokey GET u8 0',
        'EXISTS nokey',
        'BITFIELD_RO k SET u8 0 1',
        'BITFIELD_RO k GET u8 0 SET u8 0 1',
        'BITFIELD_RO k INCRBY u8 0 1',
        'BITFIELD_RO k SET x8 0 1',
        'BITFIELD_RO k SET u8 0 a',
        'BITFIELD_RO k GET u8',
        'BITFIELD_RO k GET u64 0',
        'BITFIELD_RO k FOO',
        'BITFIELD_RO',
        'GET k',
        'SET n 42',
        'BITFIELD_RO n GET u8 0 GET u8 8',
        'OBJECT ENCODING n',
        'BITFIELD n GET u8 0',
        'OBJECT ENCODING n',
    ])


def test_bitfield_errors(differ):
    script = ['SET k abc']
    for t in TYPE_ERR_ARGS:
        script.append(['BITFIELD', 'k', 'GET', t, '0'])
        script.append(['BITFIELD', 'k', 'SET', t, '0', '1'])
    script += [
        'BITFIELD k GET i8 #a',
        'BITFIELD k GET i8 #',
        'BITFIELD k GET i8 +5',
        'BITFIELD k GET u8 -1',
        'BITFIELD k GET u8 #-1',
        'BITFIELD k GET u8 1.5',
        'BITFIELD k GET u8 4294967295',
        'BITFIELD k GET u8 4294967296',
        'BITFIELD k GET u8 #536870911',
        'BITFIELD k GET u8 #536870912',
        'BITFIELD k GET i64 #67108863',
        'BITFIELD k GET i64 #67108864',
        # "#N" times the width wraps in 64 bits, as in Redis.
        'BITFIELD k GET i64 #2305843009213693952',
        'BITFIELD k GET i64 #144115188075855872',
        'BITFIELD k GET i8 #9223372036854775807',
        'BITFIELD k GET u8 0 GeT',
        'BITFIELD k GET u8 0 foo',
        'BITFIELD k GET u8',
        'BITFIELD k GET',
        'BITFIELD k OVERFLOW',
        'BITFIELD k OVERFLOW foo GET u8 0',
        'BITFIELD k GET u8 0 OVERFLOW foo',
        'BITFIELD k OVERFLOW SAT',
        'BITFIELD k SET u8 0',
        'BITFIELD k SET u8 0 a',
        'BITFIELD k SET u8 0 1.5',
        'BITFIELD k SET u8 0 9223372036854775808',
        'BITFIELD k INCRBY u8 0 a',
        'BITFIELD k INCRBY u8 0',
        'BITFIELD k SET u8 a 1',
        'BITFIELD k SET u8 #1 a',
        'BITFIELD k SET x8 a a',
        # Errors come from parsing everything first: no operation runs.
        'BITFIELD k SET u8 0 0 GET u8 0 SET u8 8 a',
        'BITFIELD k SET u8 0 0 FOO',
        'GET k',
        'BITFIELD',
        'BITFIELD nokey SET u8 0 1 GET x8 0',
        'EXISTS nokey',
    ]
    differ(script)


def test_bitfield_overflow_edges(differ):
    script = []
    for ov in ('WRAP', 'SAT', 'FAIL'):
        for t in ('i1', 'u1', 'i7', 'u7', 'i8', 'u8', 'i32', 'u32', 'i63', 'u63', 'i64'):
            for v in (0, 1, -1, 127, 128, -128, -129, 255, 256, 2 ** 31, -2 ** 31 - 1,
                      2 ** 62, -2 ** 62 - 1, INT64_MAX, INT64_MIN, INT64_MIN + 127,
                      INT64_MIN + 128, INT64_MIN + 2 ** 62):
                script.append(['BITFIELD', 'k', 'OVERFLOW', ov, 'SET', t, '3', v, 'GET', t, '3'])
            for start in (0, 1, -1, 100, -100, INT64_MAX, INT64_MIN):
                for incr in (0, 1, -1, 200, -200, 2 ** 40, -2 ** 40, INT64_MAX, INT64_MIN):
                    script.append(['BITFIELD', 'k', 'OVERFLOW', 'WRAP', 'SET', t, '3', start,
                                   'OVERFLOW', ov, 'INCRBY', t, '3', incr])
    script.append('GET k')
    differ(script)


def test_bitfield_random(differ):
    rnd = random.Random(11)
    script = [['SET', 'k', bytes(rnd.randrange(256) for _ in range(20))]]
    for _ in range(300):
        args = ['BITFIELD', 'k']
        for _ in range(rnd.randrange(1, 5)):
            sign = rnd.choice('iu')
            bits = rnd.randrange(1, 65 if sign == 'i' else 64)
            t = '%s%d' % (sign, bits)
            off = (str(rnd.randrange(0, 180)) if rnd.randrange(3)
                   else '#%d' % rnd.randrange(0, 4))
            op = rnd.randrange(4)
            if op == 0:
                args += ['GET', t, off]
            elif op == 1:
                args += ['SET', t, off, rnd.choice([rnd.randrange(-2 ** 63, 2 ** 63),
                                                    rnd.randrange(-300, 300)])]
            elif op == 2:
                args += ['INCRBY', t, off, rnd.choice([rnd.randrange(-2 ** 63, 2 ** 63),
                                                       rnd.randrange(-300, 300)])]
            else:
                args += ['OVERFLOW', rnd.choice(['WRAP', 'SAT', 'FAIL'])]
        script.append(args)
    script.append('GET k')
    differ(script)


def test_bitfield_creates_raw_strings(differ):
    differ([
        'SET n 123',
        'BITFIELD n GET u8 0',
        'OBJECT ENCODING n',
        'BITFIELD n OVERFLOW FAIL SET u8 0 300',
        'OBJECT ENCODING n',
        'GET n',
        'SET e abc',
        'BITFIELD e OVERFLOW FAIL SET u8 0 300',
        'OBJECT ENCODING e',
        'BITFIELD m OVERFLOW FAIL SET u8 0 300',
        'EXISTS m',
        'GET m',
        'OBJECT ENCODING m',
        'BITFIELD m2 SET u4 0 1',
        'OBJECT ENCODING m2',
        'GET m2',
        'SET t v EX 100',
        'BITFIELD t SET u8 8 1',
        'TTL t',
        'GET t',
    ])


@pytest.fixture
def small_bulk_len(basalt_server, oracle_server):
    """proto-max-bulk-len at its 1 MB minimum on both servers, restored after."""
    servers_ = (basalt_server, oracle_server)
    for s in servers_:
        with s.raw() as c:
            assert c.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb') in ('OK', b'OK')
    yield
    for s in servers_:
        with s.raw() as c:
            c.call('CONFIG', 'SET', 'proto-max-bulk-len', '536870912')


def test_offset_limit_follows_proto_max_bulk_len(differ, small_bulk_len):
    differ([
        'SETBIT k 8388608 1',
        'GETBIT k 8388608',
        'SETBIT k 8388607 1',
        'STRLEN k',
        'GETBIT k 8388607',
        'BITCOUNT k',
        'BITPOS k 1',
        'BITPOS k 1 -1 -1 bit',
        # A field may run up to 8 bytes past the limit: no length error.
        'BITFIELD k2 SET i64 8388607 1',
        'STRLEN k2',
        'BITFIELD k2 SET i64 8388608 1',
        'BITFIELD k3 SET i64 #131071 1',
        'STRLEN k3',
        'BITFIELD k3 GET i64 #131072',
        'BITFIELD k3 GET u8 #1048575',
        'BITFIELD k3 GET u8 #1048576',
        'BITOP NOT k4 k2',
        'STRLEN k4',
        'BITCOUNT k4',
        'DEL k k2 k3 k4',
    ])


def _deltas(server, field_section, field, script):
    out = []
    with server.raw() as c:
        c.call('FLUSHALL')
        for args in script:
            before = info_int(server, field_section, field)
            c.call(*args.split(' '))
            out.append((args, info_int(server, field_section, field) - before))
    return out


def _compare_deltas(basalt_server, oracle_server, section, field, script):
    got = _deltas(basalt_server, section, field, script)
    want = _deltas(oracle_server, section, field, script)
    assert got == want


# Whether a write counts as a change (and so is propagated to replicas/AOF):
# SETBIT and BITFIELD only when the string was created, grown or altered.
DIRTY_SCRIPT = [
    'SETBIT k 0 0',
    'SETBIT k 0 0',
    'SETBIT k 0 1',
    'SETBIT k 0 1',
    'SETBIT k 100 0',
    'SET n 123',
    'SETBIT n 0 0',
    'GETBIT n 0',
    'BITFIELD x SET i8 0 0',
    'BITFIELD x SET i8 0 0',
    'BITFIELD x SET i8 0 256',
    'BITFIELD x SET i8 0 1',
    'BITFIELD x INCRBY i8 0 0',
    'BITFIELD x OVERFLOW SAT INCRBY i8 0 1000',
    'BITFIELD x OVERFLOW SAT INCRBY i8 0 1000',
    'BITFIELD x SET i8 0 127 SET i8 0 127 SET i8 0 0',
    'BITFIELD x SET i8 1000 0',
    'BITFIELD m2 SET u8 0 44 SET u8 0 45',
    'BITFIELD m6 SET i8 0 5 SET i8 0 6 SET i8 0 7',
    'BITFIELD m6 SET i8 0 5 SET i8 0 6 SET i8 0 7 SET i8 100 1',
    'BITFIELD m6 INCRBY i8 0 0 INCRBY i8 0 0 INCRBY i8 0 1',
    'BITFIELD m7 INCRBY i8 0 0 INCRBY i8 0 0 INCRBY i8 0 0',
    'BITFIELD m6 GET u8 0',
    'BITFIELD m6 OVERFLOW FAIL INCRBY u8 0 1000',
    'BITFIELD_RO m6 GET u8 0',
    'BITOP AND d m6 nokey',
    'BITOP AND d nokey',
    'BITOP AND d nokey',
    'BITCOUNT m6',
    'BITPOS m6 1',
]


def test_dirty_counter(basalt_server, oracle_server):
    _compare_deltas(basalt_server, oracle_server, 'persistence', 'rdb_changes_since_last_save',
                    DIRTY_SCRIPT)


@pytest.mark.basalt_only('Redis neither propagates nor counts this change')
def test_bitfield_failed_write_creating_key_is_propagated(basalt_server):
    # All writes failed under OVERFLOW FAIL but the key was created: Basalt
    # propagates the command so replicas and the AOF get the key too.
    with basalt_server.raw() as c:
        c.call('FLUSHALL')
        before = info_int(basalt_server, 'persistence', 'rdb_changes_since_last_save')
        c.call('BITFIELD', 'nk', 'OVERFLOW', 'FAIL', 'SET', 'u8', '0', '1000')
        after = info_int(basalt_server, 'persistence', 'rdb_changes_since_last_save')
        assert c.call('EXISTS', 'nk') == 1
        assert after - before == 1


def test_keyspace_hits_misses(basalt_server, oracle_server):
    script = [
        'SETBIT k 0 1',
        'GETBIT k 0',
        'GETBIT nokey 0',
        'BITCOUNT k',
        'BITCOUNT nokey',
        'BITPOS k 1',
        'BITPOS nokey 1',
        'BITPOS nokey 2',
        'BITFIELD k GET u8 0',
        'BITFIELD nokey GET u8 0',
        'BITFIELD_RO k GET u8 0',
        'BITFIELD k SET u8 0 1',
        'BITOP AND d k nokey',
        'BITOP OR d k k',
    ]
    for field in ('keyspace_hits', 'keyspace_misses'):
        _compare_deltas(basalt_server, oracle_server, 'stats', field, script)


NOTIFY_SCRIPT = [
    'SETBIT k 0 1',
    'SETBIT k 0 1',
    'SETBIT k 100 0',
    'GETBIT k 0',
    'BITFIELD k SET u8 0 1',
    'BITFIELD k SET u8 0 1',
    'BITFIELD k INCRBY u8 0 1 GET u8 0',
    'BITFIELD k GET u8 0',
    'BITOP AND d k nokey',
    'BITOP AND d nokey',
    'BITOP AND d nokey',
    'SET a 1',
    'BITOP OR a a',
    'BITOP NOT e k',
]


def _notifications(server, script):
    sub = server.client()
    cmd = server.client()
    try:
        cmd.flushall()
        cmd.config_set('notify-keyspace-events', 'KEA')
        p = sub.pubsub()
        p.psubscribe('__keyevent@0__:*')
        deadline = time.time() + 5
        while time.time() < deadline:
            m = p.get_message(timeout=0.1)
            if m and m['type'] == 'psubscribe':
                break
        out = []
        for line in script:
            cmd.execute_command(*line.split(' '))
            cmd.execute_command('PING')
            events = []
            while True:
                m = p.get_message(timeout=0.1)
                if m is None:
                    break
                if m['type'] == 'pmessage':
                    events.append((m['channel'].split(':', 1)[1], m['data']))
            out.append((line, events))
        p.close()
        return out
    finally:
        cmd.config_set('notify-keyspace-events', '')
        cmd.close()
        sub.close()


@pytest.mark.needs_commands('psubscribe')
def test_keyspace_notifications(basalt_server, oracle_server):
    assert _notifications(basalt_server, NOTIFY_SCRIPT) == \
        _notifications(oracle_server, NOTIFY_SCRIPT)


def test_command_info(basalt_server, oracle_server):
    names = ['setbit', 'getbit', 'bitcount', 'bitpos', 'bitop', 'bitfield', 'bitfield_ro']
    with basalt_server.raw() as b, oracle_server.raw() as o:
        eb = b.call('COMMAND', 'INFO', *names)
        eo = o.call('COMMAND', 'INFO', *names)
    for x, y in zip(eb, eo):
        assert x is not None
        assert x[:6] == y[:6] or (x[:2] == y[:2] and sorted(x[2]) == sorted(y[2])
                                  and x[3:6] == y[3:6])
        assert sorted(x[6]) == sorted(y[6])
