"""Differential tests of the list commands against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical. Covers LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP
LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP: every
option, the error paths, lists spanning many nodes (small
list-max-listpack-size values), OBJECT ENCODING, and keyspace events.
"""

import random

import pytest


BIN = b'\x00\x01\r\n\xfe\xff'


def test_push_basic(differ):
    differ([
        'LPUSH l a',
        'LPUSH l b c',
        'RPUSH l d e f',
        'LRANGE l 0 -1',
        'LLEN l',
        'TYPE l',
        'OBJECT ENCODING l',
        'LPUSHX l x y',
        'RPUSHX l z',
        'LRANGE l 0 -1',
        'LPUSHX nokey a',
        'RPUSHX nokey a b',
        'EXISTS nokey',
        ['RPUSH', 'bin', BIN, b'', BIN * 50],
        ['LRANGE', 'bin', 0, -1],
        ['LPUSH', BIN, BIN],
        ['LRANGE', BIN, 0, -1],
        'rpush lower a',
        'RpUsH lower b',
        'LRANGE lower 0 -1',
        'LPUSH',
        'LPUSH l',
        'RPUSH l',
        'LPUSHX l',
        'RPUSHX',
        'LLEN',
        'LLEN l extra',
        'SET s v',
        'LPUSH s a',
        'RPUSH s a',
        'LPUSHX s a',
        'RPUSHX s a',
        'LLEN s',
        'LLEN nokey',
        'GET s',
    ])


def test_pop(differ):
    differ([
        'RPUSH l a b c d e f g',
        'LPOP l',
        'RPOP l',
        'LPOP l 2',
        'RPOP l 2',
        'LPOP l 0',
        'RPOP l 0',
        'LRANGE l 0 -1',
        'LPOP l 10',
        'EXISTS l',
        'LPOP l',
        'RPOP l',
        'LPOP l 1',
        'RPOP l 0',
        'LPOP nokey',
        'RPOP nokey',
        'LPOP nokey 0',
        'LPOP nokey 3',
        'RPOP nokey 1',
        'LPOP nokey -1',
        'LPOP nokey abc',
        'RPUSH l a b c',
        'LPOP l -1',
        'RPOP l -5',
        'LPOP l abc',
        'LPOP l 1.5',
        'LPOP l 00',
        'LPOP l +1',
        'LPOP l 9223372036854775808',
        'LPOP l 9223372036854775807',
        'EXISTS l',
        'RPUSH l a',
        'LPOP l 1 2',
        'RPOP l 1 2 3',
        'LPOP',
        'RPOP',
        'SET s v',
        'LPOP s',
        'RPOP s',
        'LPOP s 0',
        'LPOP s 2',
        'LPOP s -1',
        'RPUSH one x',
        'RPOP one',
        'EXISTS one',
    ])


def test_lmpop(differ):
    differ([
        'RPUSH l1 a b c d',
        'RPUSH l2 x y',
        'LMPOP 1 l1 LEFT',
        'LMPOP 1 l1 RIGHT',
        'LMPOP 2 nokey l2 left',
        'LMPOP 3 nokey l1 l2 RIGHT COUNT 10',
        'LMPOP 2 l1 l2 LEFT count 5',
        'EXISTS l1 l2',
        'LMPOP 1 nokey LEFT',
        'LMPOP 2 nokey1 nokey2 RIGHT COUNT 2',
        'LMPOP 0 l1 LEFT',
        'LMPOP -1 l1 LEFT',
        'LMPOP abc l1 LEFT',
        'LMPOP 1.0 l1 LEFT',
        'LMPOP 2 l1 LEFT',
        'LMPOP 3 l1 LEFT',
        'LMPOP 9223372036854775807 l1 LEFT',
        'LMPOP 9223372036854775808 l1 LEFT',
        'LMPOP 1 l1 MIDDLE',
        'LMPOP 1 l1 MIDDLE COUNT 0',
        'LMPOP 1 l1 LEFT COUNT 0',
        'LMPOP 1 l1 LEFT COUNT -1',
        'LMPOP 1 l1 LEFT COUNT abc',
        'LMPOP 1 l1 LEFT COUNT 9223372036854775808',
        'LMPOP 1 l1 LEFT COUNT',
        'LMPOP 1 l1 LEFT COUNT 1 COUNT 2',
        'LMPOP 1 l1 LEFT junk',
        'LMPOP 1 l1 LEFT COUNT 1 junk',
        'LMPOP 1 l1 LEFT LEFT',
        'LMPOP 1 l1',
        'LMPOP 1',
        'LMPOP',
        'RPUSH l1 a b c',
        'SET s v',
        'LMPOP 2 l1 s LEFT COUNT 9223372036854775807',
        'RPUSH l1 a b c',
        'LMPOP 2 s l1 LEFT',
        'LMPOP 2 nokey s LEFT',
        'LMPOP 2 l1 s RIGHT',
        'LRANGE l1 0 -1',
        ['LMPOP', '2', BIN, 'l1', 'LEFT'],
        ['RPUSH', BIN, 'v'],
        ['LMPOP', '2', BIN, 'l1', 'LEFT'],
    ])


def test_lrange_lindex(differ):
    differ([
        'RPUSH l a b c d e f g',
        'LRANGE l 0 -1',
        'LRANGE l 0 0',
        'LRANGE l -1 -1',
        'LRANGE l 2 4',
        'LRANGE l -3 -1',
        'LRANGE l -100 100',
        'LRANGE l 5 2',
        'LRANGE l -1 -2',
        'LRANGE l 7 10',
        'LRANGE l 6 100',
        'LRANGE l -9223372036854775808 9223372036854775807',
        'LRANGE l 9223372036854775807 -9223372036854775808',
        'LRANGE l 2 -3',
        'LRANGE l a b',
        'LRANGE l 0 b',
        'LRANGE l 0',
        'LRANGE l 0 1 2',
        'LRANGE nokey 0 -1',
        'LRANGE nokey a b',
        'LINDEX l 0',
        'LINDEX l 6',
        'LINDEX l 7',
        'LINDEX l -1',
        'LINDEX l -7',
        'LINDEX l -8',
        'LINDEX l 9223372036854775807',
        'LINDEX l -9223372036854775808',
        'LINDEX l 9223372036854775808',
        'LINDEX l a',
        'LINDEX l 1.0',
        'LINDEX nokey 0',
        'LINDEX nokey a',
        'LINDEX l',
        'SET s v',
        'LRANGE s 0 -1',
        'LRANGE s a b',
        'LINDEX s 0',
        'LINDEX s a',
    ])


def test_lset(differ):
    differ([
        'RPUSH l a b c',
        'LSET l 0 A',
        'LSET l -1 C',
        'LSET l 1 ' + 'x' * 300,
        'LRANGE l 0 -1',
        'LSET l 1 y',
        'LRANGE l 0 -1',
        'LSET l 3 x',
        'LSET l -4 x',
        'LSET l a x',
        'LSET l 9223372036854775807 x',
        'LSET l -9223372036854775808 x',
        ['LSET', 'l', '0', b''],
        ['LSET', 'l', '2', BIN],
        'LRANGE l 0 -1',
        'LSET nokey 0 x',
        'LSET nokey a x',
        'SET s v',
        'LSET s 0 x',
        'LSET s a x',
        'LSET l 0',
        'LSET l 0 x y',
    ])


def test_linsert(differ):
    differ([
        'RPUSH l a b c a b c a',
        'LINSERT l BEFORE a X',
        'LINSERT l after b Y',
        'LINSERT l AFTER a Z',
        'LINSERT l before c ' + 'v' * 200,
        'LRANGE l 0 -1',
        'LINSERT l BEFORE nothere x',
        'LINSERT l AFTER nothere x',
        'LINSERT l MIDDLE a x',
        'LINSERT l BEFOREX a x',
        'LINSERT nokey BEFORE a x',
        'LINSERT nokey MIDDLE a x',
        'EXISTS nokey',
        ['LINSERT', 'l', 'AFTER', b'', 'empty-pivot'],
        ['RPUSH', 'l', b''],
        ['LINSERT', 'l', 'AFTER', b'', 'after-empty'],
        'LRANGE l 0 -1',
        'SET s v',
        'LINSERT s BEFORE a x',
        'LINSERT s MIDDLE a x',
        'LINSERT l BEFORE a',
        'LINSERT l BEFORE a x y',
    ])


def test_lrem(differ):
    differ([
        'RPUSH l a b c a b c a b c a',
        'LREM l 1 a',
        'LRANGE l 0 -1',
        'LREM l -1 a',
        'LRANGE l 0 -1',
        'LREM l 0 b',
        'LRANGE l 0 -1',
        'LREM l 0 zz',
        'LREM l 100 c',
        'LRANGE l 0 -1',
        'LREM l -9223372036854775808 a',
        'EXISTS l',
        'RPUSH l x y x y x',
        'LREM l -2 x',
        'LRANGE l 0 -1',
        'LREM l 9223372036854775807 y',
        'LREM l 0 x',
        'EXISTS l',
        'LREM nokey 0 a',
        'LREM nokey a a',
        'RPUSH l a',
        'LREM l a a',
        'LREM l 1.5 a',
        'LREM l 9223372036854775808 a',
        'SET s v',
        'LREM s 0 a',
        'LREM s a a',
        'LREM l 0',
    ])


def test_ltrim(differ):
    differ([
        'RPUSH l a b c d e f g h',
        'LTRIM l 1 -2',
        'LRANGE l 0 -1',
        'LTRIM l -100 100',
        'LRANGE l 0 -1',
        'LTRIM l 0 -1',
        'LTRIM l 1 1',
        'LRANGE l 0 -1',
        'LTRIM l 5 1',
        'EXISTS l',
        'RPUSH l a b c',
        'LTRIM l 1 0',
        'EXISTS l',
        'RPUSH l a b c',
        'LTRIM l 3 10',
        'EXISTS l',
        'RPUSH l a b c',
        'LTRIM l -1 -1',
        'LRANGE l 0 -1',
        'LTRIM l -9223372036854775808 9223372036854775807',
        'LRANGE l 0 -1',
        'LTRIM l a 1',
        'LTRIM l 0 b',
        'LTRIM nokey 0 1',
        'LTRIM nokey a 1',
        'EXISTS nokey',
        'SET s v',
        'LTRIM s 0 1',
        'LTRIM s a 1',
        'LTRIM l 0',
    ])


def test_lpos(differ):
    differ([
        'RPUSH l a b c a b c a',
        'LPOS l a',
        'LPOS l c',
        'LPOS l zz',
        'LPOS l a RANK 1',
        'LPOS l a RANK 2',
        'LPOS l a RANK 3',
        'LPOS l a RANK 4',
        'LPOS l a RANK -1',
        'LPOS l a RANK -2',
        'LPOS l a RANK -3',
        'LPOS l a RANK -4',
        'LPOS l a RANK 0',
        'LPOS l a RANK -9223372036854775808',
        'LPOS l a RANK -9223372036854775808 COUNT 0',
        'LPOS l a RANK 9223372036854775807',
        'LPOS l a RANK abc',
        'LPOS l a RANK 9223372036854775808',
        'LPOS l a COUNT 0',
        'LPOS l a COUNT 1',
        'LPOS l a COUNT 2',
        'LPOS l a COUNT 100',
        'LPOS l a COUNT 2 RANK -1',
        'LPOS l a COUNT 0 RANK 2',
        'LPOS l a COUNT -1',
        'LPOS l a COUNT abc',
        'LPOS l zz COUNT 0',
        'LPOS l zz COUNT 1',
        'LPOS l a MAXLEN 3',
        'LPOS l a MAXLEN 1',
        'LPOS l b MAXLEN 1',
        'LPOS l a MAXLEN 3 COUNT 0',
        'LPOS l a MAXLEN 3 COUNT 0 RANK -1',
        'LPOS l a MAXLEN 3 RANK 2',
        'LPOS l a MAXLEN 0 COUNT 0',
        'LPOS l a MAXLEN -1',
        'LPOS l a MAXLEN abc',
        'LPOS l a RANK',
        'LPOS l a COUNT',
        'LPOS l a MAXLEN',
        'LPOS l a junk 1',
        'LPOS l a RANK 1 RANK 2',
        'LPOS l a COUNT 1 COUNT 0',
        'LPOS l a rank 1 count 1 maxlen 1',
        'LPOS l a RANK 0 COUNT -1',
        'LPOS l a COUNT -1 RANK 0',
        'LPOS l a MAXLEN -1 RANK 0',
        'LPOS nokey a',
        'LPOS nokey a COUNT 0',
        'LPOS nokey a COUNT 1',
        'LPOS nokey a RANK -1',
        'LPOS nokey a RANK 0',
        'LPOS nokey a junk',
        'SET s v',
        'LPOS s a',
        'LPOS s a COUNT 0',
        'LPOS s a RANK 0',
        'LPOS l',
        ['RPUSH', 'b', BIN, b'', BIN],
        ['LPOS', 'b', BIN, 'COUNT', '0'],
        ['LPOS', 'b', b''],
    ])


def test_lmove_rpoplpush(differ):
    differ([
        'RPUSH l a b c d e',
        'LMOVE l d LEFT RIGHT',
        'LMOVE l d left left',
        'LMOVE l d RIGHT RIGHT',
        'LMOVE l d right LEFT',
        'LRANGE l 0 -1',
        'LRANGE d 0 -1',
        'LMOVE l l LEFT RIGHT',
        'LRANGE l 0 -1',
        'LMOVE l l RIGHT LEFT',
        'LMOVE l l LEFT LEFT',
        'LMOVE l l RIGHT RIGHT',
        'LRANGE l 0 -1',
        'LMOVE l d UP LEFT',
        'LMOVE l d LEFT DOWN',
        'LMOVE nokey d UP LEFT',
        'LMOVE nokey d LEFT LEFT',
        'EXISTS nokey',
        'SET s v',
        'LMOVE l s LEFT LEFT',
        'LMOVE s l LEFT LEFT',
        'LMOVE s s LEFT LEFT',
        'LMOVE nokey s LEFT LEFT',
        'LRANGE l 0 -1',
        'RPOPLPUSH l d',
        'RPOPLPUSH l l',
        'RPOPLPUSH nokey d',
        'RPOPLPUSH l s',
        'RPOPLPUSH s l',
        'RPOPLPUSH nokey s',
        'LRANGE l 0 -1',
        'LRANGE d 0 -1',
        'RPUSH one x',
        'LMOVE one one LEFT RIGHT',
        'RPOPLPUSH one one',
        'LRANGE one 0 -1',
        'LMOVE one two LEFT RIGHT',
        'EXISTS one',
        'LRANGE two 0 -1',
        'RPOPLPUSH two three',
        'EXISTS two',
        'LRANGE three 0 -1',
        ['LMOVE', 'three', BIN, 'LEFT', 'LEFT'],
        ['LRANGE', BIN, 0, -1],
        'LMOVE l d LEFT',
        'RPOPLPUSH l',
        'RPOPLPUSH l d x',
    ])


def test_encoding_and_many_nodes(differ):
    """Lists spanning many nodes; Redis 7.0 always reports "quicklist"."""
    script = ['OBJECT ENCODING nokey']
    for fill in ('-2', '1', '3', '-1', '128', '-5', '0'):
        script += [
            'CONFIG SET list-max-listpack-size ' + fill,
            'DEL l',
            'RPUSH l a',
            'OBJECT ENCODING l',
        ]
        for i in range(40):
            script.append(['RPUSH', 'l', 'e%d' % i, 'x' * (i * 37 % 300)])
            script.append(['LPUSH', 'l', 'f%d' % i])
        script += [
            'OBJECT ENCODING l',
            'LLEN l',
            'LRANGE l 0 -1',
            'LRANGE l 30 60',
            'LRANGE l -50 -20',
            'LINDEX l 41',
            'LINDEX l -41',
            'LSET l 50 ' + 'y' * 5000,
            'LSET l 51 z',
            'LINSERT l BEFORE e10 ' + 'w' * 3000,
            'LINSERT l AFTER e20 small',
            'LRANGE l 0 -1',
            'LREM l 0 ' + 'x' * (5 * 37 % 300),
            'LREM l -3 zz',
            'LREM l -2 z',
            'LPOS l e10',
            'LPOS l small RANK -1',
            'LTRIM l 5 -5',
            'LRANGE l 0 -1',
            'LPOP l 7',
            'RPOP l 7',
            'LMPOP 1 l RIGHT COUNT 3',
            'LRANGE l 0 -1',
            'OBJECT ENCODING l',
        ]
    script += ['CONFIG SET list-max-listpack-size -2', 'CONFIG GET list-max-listpack-size',
               'CONFIG GET list-max-ziplist-size']
    try:
        differ(script)
    finally:
        differ(['CONFIG SET list-max-listpack-size -2'])


def test_big_list_ranges(differ):
    script = ['RPUSH big ' + ' '.join('v%d' % i for i in range(3000))]
    for start, stop in ((0, 9), (1490, 1510), (-10, -1), (2990, 5000), (-3000, -2990),
                        (100, 2900)):
        script.append('LRANGE big %d %d' % (start, stop))
    for i in (0, 1, 1499, 1500, 2999, -1, -1500, -3000, 3000):
        script.append('LINDEX big %d' % i)
    script += ['LSET big 1500 mid', 'LINDEX big 1500', 'LPOS big mid', 'LPOS big v2999 RANK -1',
               'LPOS big v5 MAXLEN 5', 'LPOS big v5 MAXLEN 6', 'LTRIM big 1000 1999',
               'LLEN big', 'LRANGE big 0 4', 'LRANGE big -5 -1']
    differ(script)


def test_random_ops(differ):
    """A seeded random mix of list commands on a few keys."""
    rng = random.Random(7)
    vals = ['a', 'b', 'c', '', 'x' * 100, 'y' * 2000]
    keys = ['k1', 'k2', 'k3']
    script = ['CONFIG SET list-max-listpack-size 4']
    for _ in range(600):
        k = rng.choice(keys)
        k2 = rng.choice(keys)
        v = rng.choice(vals)
        n = rng.randint(-4, 6)
        op = rng.randrange(16)
        if op < 3:
            script.append([rng.choice(['LPUSH', 'RPUSH']), k] +
                          [rng.choice(vals) for _ in range(rng.randint(1, 4))])
        elif op == 3:
            script.append([rng.choice(['LPOP', 'RPOP']), k] +
                          ([str(rng.randint(0, 4))] if rng.random() < 0.5 else []))
        elif op == 4:
            script.append(['LRANGE', k, str(n), str(rng.randint(-4, 10))])
        elif op == 5:
            script.append(['LINDEX', k, str(n)])
        elif op == 6:
            script.append(['LSET', k, str(n), v])
        elif op == 7:
            script.append(['LINSERT', k, rng.choice(['BEFORE', 'AFTER']), rng.choice(vals), v])
        elif op == 8:
            script.append(['LREM', k, str(n), v])
        elif op == 9:
            script.append(['LTRIM', k, str(n), str(rng.randint(-4, 10))])
        elif op == 10:
            script.append(['LPOS', k, v, 'RANK', str(n or 1), 'COUNT', str(rng.randint(0, 3))])
        elif op == 11:
            script.append(['LMOVE', k, k2, rng.choice(['LEFT', 'RIGHT']),
                           rng.choice(['LEFT', 'RIGHT'])])
        elif op == 12:
            script.append(['RPOPLPUSH', k, k2])
        elif op == 13:
            script.append(['LMPOP', '2', k, k2, rng.choice(['LEFT', 'RIGHT']), 'COUNT',
                           str(rng.randint(1, 3))])
        elif op == 14:
            script.append(['LLEN', k])
        else:
            script.append(['LRANGE', k, '0', '-1'])
    script += [['LRANGE', k, '0', '-1'] for k in keys]
    script.append('CONFIG SET list-max-listpack-size -2')
    try:
        differ(script)
    finally:
        differ(['CONFIG SET list-max-listpack-size -2'])


def test_large_elements(differ):
    big = b'B' * (1 << 20)
    mid = b'M' * 70000  # larger than the largest node limit (64 KiB)
    differ([
        'CONFIG SET list-max-listpack-size -1',
        ['RPUSH', 'l', 'a', big, 'b', mid, 'c'],
        ['LRANGE', 'l', 0, -1],
        ['LSET', 'l', 0, mid],
        ['LINSERT', 'l', 'AFTER', 'b', big],
        ['LINSERT', 'l', 'BEFORE', 'b', 'small'],
        ['LPOS', 'l', big, 'COUNT', 0],
        ['LREM', 'l', 1, big],
        ['LRANGE', 'l', 0, -1],
        ['LMOVE', 'l', 'm', 'RIGHT', 'LEFT'],
        ['LMOVE', 'l', 'm', 'LEFT', 'LEFT'],
        ['LRANGE', 'm', 0, -1],
        ['LTRIM', 'l', 1, -2],
        ['LRANGE', 'l', 0, -1],
        'CONFIG SET list-max-listpack-size -2',
    ])


def test_copy_rename_list(differ):
    differ([
        'RPUSH l a b c',
        'COPY l l2',
        'RPUSH l d',
        'LPOP l2',
        'LRANGE l 0 -1',
        'LRANGE l2 0 -1',
        'RENAME l2 l3',
        'LRANGE l3 0 -1',
        'OBJECT ENCODING l3',
        'EXISTS l2',
    ])


@pytest.mark.needs_commands('sadd', 'hset')
def test_wrongtype_other_collections(differ):
    differ([
        'SADD st m',
        'HSET h f v',
        'LPUSH st a',
        'LRANGE h 0 -1',
        'LMOVE st h LEFT LEFT',
        'RPUSH l a',
        'LMOVE l st LEFT LEFT',
        'LRANGE l 0 -1',
        'LMPOP 2 h l LEFT',
        'TYPE l',
    ])


def test_command_getkeys(differ):
    differ([
        'COMMAND GETKEYS LPUSH k a b',
        'COMMAND GETKEYS RPUSHX k a',
        'COMMAND GETKEYS LPOP k 2',
        'COMMAND GETKEYS LLEN k',
        'COMMAND GETKEYS LRANGE k 0 1',
        'COMMAND GETKEYS LINSERT k BEFORE a b',
        'COMMAND GETKEYS LPOS k a RANK 1',
        'COMMAND GETKEYS LMOVE a b LEFT RIGHT',
        'COMMAND GETKEYS RPOPLPUSH a b',
        'COMMAND GETKEYS LMPOP 2 a b LEFT',
        'COMMAND GETKEYS LMPOP 1 a RIGHT COUNT 3',
        'COMMAND GETKEYS LLEN',
    ])


def test_command_info_fields(basalt_server, oracle_server):
    """Arity, flags, first/last/step and ACL categories as Redis reports them
    (key specs are compared separately once COMMAND INFO prints them)."""
    names = ['lpush', 'rpush', 'lpushx', 'rpushx', 'lpop', 'rpop', 'llen', 'lrange', 'lindex',
             'lset', 'linsert', 'lrem', 'ltrim', 'lpos', 'lmove', 'rpoplpush', 'lmpop']
    for n in names:
        with basalt_server.raw() as b, oracle_server.raw() as o:
            ib = b.call('COMMAND', 'INFO', n)[0]
            io = o.call('COMMAND', 'INFO', n)[0]
        assert ib[:8] == io[:8], n


def _events(srv, script, setup=()):
    """Runs script on srv and returns the keyevent notifications it caused."""
    with srv.raw() as cfg:
        old = cfg.call('CONFIG', 'GET', 'notify-keyspace-events')[1]
        cfg.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
        try:
            with srv.raw() as sub, srv.raw() as c:
                c.call('FLUSHALL')
                for step in setup:
                    c.call(*step.split(' '))
                sub.call('PSUBSCRIBE', '__keyevent@0__:*')
                for step in script:
                    c.call(*step.split(' '))
                # A marker event after the script: everything before it arrived.
                c.call('SET', 'end-marker', '1')
                out = []
                while True:
                    msg = sub.read_value()
                    channel, key = msg[2].decode(), msg[3].decode()
                    if key == 'end-marker':
                        break
                    out.append((channel.split(':', 1)[1], key))
                return out
        finally:
            cfg.call('CONFIG', 'SET', 'notify-keyspace-events', old)


@pytest.mark.needs_commands('psubscribe')
def test_keyspace_events(basalt_server, oracle_server):
    script = [
        'RPUSH l a b c d e',
        'LPUSH l z',
        'LPUSHX nokey a',
        'RPUSHX l y',
        'LPOP l',
        'LPOP l 0',
        'LPOP l 2',
        'RPOP l 1',
        'LMPOP 2 nokey l RIGHT',
        'LMPOP 1 l LEFT COUNT 1',
        'RPUSH l a b c',
        'LTRIM l 0 -1',
        'LTRIM l 0 1',
        'LREM l 0 zz',
        'LREM l 0 a',
        'LSET l 0 q',
        'LINSERT l before nothere x',
        'LINSERT l after q r',
        'LMOVE l d left right',
        'RPOPLPUSH l d',
        'LMOVE d d left right',
        'RPOPLPUSH d d',
        'LMOVE d l2 right left',
        'LPOP d 5',
        'LPOP l2 100',
        'RPUSH t a',
        'LREM t 0 a',
        'RPUSH t a',
        'LTRIM t 1 0',
        'RPUSH t a b',
        'LMPOP 1 t LEFT COUNT 5',
    ]
    eb = _events(basalt_server, script)
    eo = _events(oracle_server, script)
    assert eb == eo
    assert ('lpush', 'd') in eo  # sanity: the script produced events


def test_keyspace_hits_misses(basalt_server, oracle_server):
    """Only the read commands count keyspace hits and misses."""
    script = ['LPOP nokey', 'RPOP nokey 2', 'LMPOP 1 nokey LEFT', 'LMOVE nokey d LEFT LEFT',
              'LSET nokey 0 a', 'LINSERT nokey BEFORE a b', 'LREM nokey 0 a', 'LTRIM nokey 0 1',
              'LPUSHX nokey a', 'LLEN nokey', 'LRANGE nokey 0 1', 'LINDEX nokey 0',
              'LPOS nokey a', 'RPUSH l a', 'LLEN l', 'LPOS l a', 'LINDEX l 0', 'LRANGE l 0 1',
              'LPOP l']

    def stats(srv):
        with srv.raw() as c:
            c.call('FLUSHALL')
            c.call('CONFIG', 'RESETSTAT')
            for step in script:
                c.call(*step.split(' '))
            info = c.call('INFO', 'stats').decode()
        return [line for line in info.split('\r\n') if line.startswith('keyspace_')]

    sb, so = stats(basalt_server), stats(oracle_server)
    assert sb == so
    assert 'keyspace_hits:4' in so and 'keyspace_misses:4' in so


def test_watch_touched_by_list_writes(basalt_server, oracle_server):
    """A list write invalidates WATCH; a no-op (LPOP on a missing key) does not."""
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c, srv.raw() as other:
            c.call('FLUSHALL')
            c.call('RPUSH', 'l', 'a', 'b')
            c.call('WATCH', 'l')
            other.call('LMOVE', 'l', 'd', 'LEFT', 'RIGHT')
            c.call('MULTI')
            c.call('LLEN', 'l')
            assert c.call('EXEC') is None, srv
            c.call('WATCH', 'nokey')
            other.call('LPOP', 'nokey')
            c.call('MULTI')
            c.call('LLEN', 'nokey')
            assert c.call('EXEC') == [0], srv


def test_expired_list_is_gone(differ):
    differ([
        'RPUSH l a b',
        'PEXPIREAT l 1',
        'LLEN l',
        'LPOP l',
        'RPUSH l c',
        'LRANGE l 0 -1',
        'TTL l',
    ])


def test_blmpop_checks_timeout_last(differ):
    """Found by test_diff_grammar: BLMPOP/BZMPOP read numkeys, keys, side and
    COUNT before the timeout."""
    differ([
        'BLMPOP x 1 k LEFT COUNT 0',
        'BLMPOP x 1 k BOGUS',
        'BLMPOP x 0 k LEFT',
        'BLMPOP x 1 k LEFT COUNT 1',
        'BLMPOP BOGUS 0.01 2 k2 k1 RIGHT',
        'BZMPOP x 1 k MIN COUNT 0',
        'BZMPOP x 1 k BOGUS',
        'BZMPOP x 1 k MIN',
        'BLMPOP -1 1 k LEFT',
    ])
