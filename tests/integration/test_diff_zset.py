"""Differential tests of the sorted-set commands against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical. Covers ZADD (NX XX GT LT CH INCR) ZINCRBY ZREM
ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZRANGE (BYSCORE BYLEX REV
LIMIT WITHSCORES) ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK/SCORE/LEX ZPOPMIN ZPOPMAX ZMPOP
ZRANDMEMBER ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE ZINTERCARD
ZSCAN: options, error paths, score and range parsing, both encodings and the
conversions between them (OBJECT ENCODING), keyspace events, hit/miss and
dirty counters, and a seeded random mix of everything.

Lex-range commands are only run on sets whose members all have the same
score: on other sets Redis's result depends on its skiplist's random levels.
"""

import random

import pytest

from diff import skip_value, unordered_pairs
from helpers import info_int

BIN = b'\x00\x01\r\n\xfe\xff'
DEFAULT_LIMITS = ['CONFIG SET zset-max-listpack-entries 128',
                  'CONFIG SET zset-max-listpack-value 64']


def limits(entries, value):
    return ['CONFIG SET zset-max-listpack-entries %d' % entries,
            'CONFIG SET zset-max-listpack-value %d' % value]


def run_with_limits(differ, script):
    """Runs a script that changes the listpack limits, restoring them after."""
    try:
        differ(script + DEFAULT_LIMITS)
    finally:
        differ(DEFAULT_LIMITS)


def test_zadd_basic(differ):
    differ([
        'ZADD z 1 a',
        'ZADD z 2 b 3 c',
        'ZADD z 1 a',
        'ZADD z 5 a',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZCARD z',
        'TYPE z',
        'OBJECT ENCODING z',
        'ZADD z 1 x 2 x 3 x',
        'ZSCORE z x',
        ['ZADD', 'bin', 1, BIN, 2, b'', 3, BIN * 40],
        ['ZRANGE', 'bin', 0, -1, 'WITHSCORES'],
        ['ZSCORE', 'bin', b''],
        ['ZADD', BIN, 1, BIN],
        ['ZSCORE', BIN, BIN],
        'zadd lower 1 a',
        'ZaDd lower Ch 2 a',
        'ZADD',
        'ZADD z',
        'ZADD z 1',
        'ZADD z 1 a 2',
        'ZADD z nx',
        'ZADD z ch 1',
        'ZADD z foo 1 a',
        'ZADD z 1 a bar',
        'SET s v',
        'ZADD s 1 a',
        'ZADD s x a',
        'ZADD s 1 a 2',
        'GET s',
    ])


def test_zadd_flags(differ):
    differ([
        'ZADD z NX 1 a',
        'ZADD z NX 2 a 3 b',
        'ZADD z XX 10 a 20 nope',
        'ZADD z XX CH 10 a 20 b',
        'ZADD z CH 10 a 30 b 40 c',
        'ZADD z GT 5 a 50 b',
        'ZADD z GT CH 5 a 50 b 1 newgt',
        'ZADD z LT CH 5 a 60 b 1 newlt',
        'ZADD z XX GT CH 100 a 1 b 1 nope',
        'ZADD z XX LT CH 100 a 1 b',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZADD z INCR 1 a',
        'ZADD z INCR -1.5 zz',
        'ZADD z NX INCR 1 a',
        'ZADD z NX INCR 1 fresh',
        'ZADD z XX INCR 1 nope',
        'ZADD z XX INCR 1 a',
        'ZADD z GT INCR -1 a',
        'ZADD z GT INCR 1 a',
        'ZADD z LT INCR 1 a',
        'ZADD z LT INCR -1 a',
        'ZADD z LT INCR 0 a',
        'ZADD z INCR 0 a',
        'ZADD z CH INCR 1 a',
        'ZADD nokey XX 1 a',
        'ZADD nokey XX INCR 1 a',
        'ZADD nokey XX CH 1 a 2 b',
        'EXISTS nokey',
        'ZADD newgt GT 1 a',
        'ZADD newlt LT INCR 3 a',
        'ZRANGE z 0 -1 WITHSCORES',
        # Errors and the order in which they win.
        'ZADD z NX XX 1 a',
        'ZADD z nx gt 1 a',
        'ZADD z nx lt 1 a',
        'ZADD z gt lt 1 a',
        'ZADD z INCR 1 a 2 b',
        'ZADD z xx nx incr 1 a 2 b',
        'ZADD z xx nx incr 1 a 2',
        'ZADD z nx gt incr 1 a 2 b',
        'ZADD z xx lt incr 1 a 2 b',
        'ZADD z incr x a',
        'ZADD z 1 a x b',
        'ZADD z NX',
        'ZADD z INCR',
    ])


def test_score_parsing(differ):
    differ([
        'ZADD z inf a',
        'ZADD z -inf b',
        'ZADD z +inf c',
        'ZADD z -INF d',
        'ZADD z infinity e',
        'ZADD z -Infinity f',
        'ZADD z 1e-310 g',
        'ZADD z 0x10 h',
        'ZADD z 1e308 i',
        'ZADD z -1.5e-3 j',
        'ZADD z .5 k',
        'ZADD z 5. l',
        'ZADD z 00012 m',
        'ZADD z 0.1 n',
        'ZADD z 123456789012345678 o',
        'ZADD z 4611686018427387904 p',
        'ZADD z 4611686018427388928 q',
        'ZADD z -0 r',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZSCORE z g',
        'ZADD z nan x',
        'ZADD z NaN x',
        'ZADD z 1e400 x',
        'ZADD z -1e400 x',
        'ZADD z 1e-400 x',
        ['ZADD', 'z', '', 'x'],
        ['ZADD', 'z', ' 1', 'x'],
        ['ZADD', 'z', '1 ', 'x'],
        ['ZADD', 'z', '1\x00', 'x'],
        'ZADD z 1a x',
        'ZADD z abc x',
        'ZADD z ++1 x',
        'ZINCRBY z 1e400 x',
        'ZINCRBY z nan x',
        'EXISTS x',
        'ZCARD z',
    ])


def test_zincrby(differ):
    differ([
        'ZINCRBY z 1 a',
        'ZINCRBY z 2.5 a',
        'ZINCRBY z -10 a',
        'ZINCRBY z 0 a',
        'ZINCRBY z 0.1 b',
        'ZINCRBY z 0.2 b',
        'ZINCRBY z inf c',
        'ZINCRBY z inf c',
        'ZINCRBY z -inf c',
        'ZSCORE z c',
        'ZADD z INCR -inf c',
        'ZINCRBY z -0 d',
        'ZSCORE z d',
        'ZINCRBY z 1e308 e',
        'ZINCRBY z 1e308 e',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZINCRBY z abc a',
        'ZINCRBY z 1',
        'ZINCRBY z 1 a b',
        'SET s v',
        'ZINCRBY s 1 a',
    ])


def test_zrem_zcard_zscore_zmscore(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZREM z a',
        'ZREM z a',
        'ZREM z b nope c b',
        'ZCARD z',
        'ZREM nokey a',
        'ZREM z d',
        'EXISTS z',
        'ZCARD z',
        'ZADD z 1.5 a 2 b',
        'ZSCORE z a',
        'ZSCORE z nope',
        'ZSCORE nokey a',
        'ZMSCORE z a nope b',
        'ZMSCORE nokey a b',
        'ZMSCORE z a',
        'ZREM z',
        'ZCARD',
        'ZCARD z x',
        'ZSCORE z',
        'ZSCORE z a b',
        'ZMSCORE z',
        'SET s v',
        'ZREM s a',
        'ZCARD s',
        'ZSCORE s a',
        'ZMSCORE s a',
    ])


def test_zrank(differ):
    differ([
        'ZADD z 1 a 2 b 2 c 3 d',
        'ZRANK z a',
        'ZRANK z c',
        'ZRANK z d',
        'ZREVRANK z a',
        'ZREVRANK z c',
        'ZRANK z nope',
        'ZREVRANK z nope',
        'ZRANK nokey a',
        'ZREVRANK nokey a',
        'ZRANK z',
        'ZRANK z a withscore',
        'SET s v',
        'ZRANK s a',
        'ZREVRANK s a',
    ])


def test_zcount_zlexcount(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d -inf ninf inf pinf',
        'ZCOUNT z 1 2',
        'ZCOUNT z (1 2',
        'ZCOUNT z (1 (2',
        'ZCOUNT z 2 1',
        'ZCOUNT z (2 2',
        'ZCOUNT z -inf +inf',
        'ZCOUNT z (-inf (+inf',
        'ZCOUNT z -1e400 1e400',
        'ZCOUNT z ( (',
        ['ZCOUNT', 'z', '', ''],
        ['ZCOUNT', 'z', ' 1', ' 3'],
        ['ZCOUNT', 'z', '(', '5'],
        ['ZCOUNT', 'z', '1\x00x', '3'],
        'ZCOUNT z 0x1 0x3',
        'ZCOUNT z a 2',
        'ZCOUNT z 1 b',
        'ZCOUNT z nan 2',
        'ZCOUNT z [1 2',
        'ZCOUNT z 1 2)',
        'ZCOUNT nokey 1 2',
        'ZCOUNT nokey a b',
        'ZADD l 0 a 0 b 0 c 0 d 0 e',
        'ZLEXCOUNT l - +',
        'ZLEXCOUNT l + -',
        'ZLEXCOUNT l - -',
        'ZLEXCOUNT l + +',
        'ZLEXCOUNT l [a [c',
        'ZLEXCOUNT l (a [c',
        'ZLEXCOUNT l (a (c',
        'ZLEXCOUNT l [c [a',
        'ZLEXCOUNT l [b [b',
        'ZLEXCOUNT l (b [b',
        'ZLEXCOUNT l [ [',
        'ZLEXCOUNT l ( +',
        'ZLEXCOUNT l - [',
        'ZLEXCOUNT l a b',
        'ZLEXCOUNT l - +a',
        'ZLEXCOUNT l -a +',
        ['ZLEXCOUNT', 'l', '', '+'],
        'ZLEXCOUNT nokey - +',
        'ZLEXCOUNT nokey a b',
        'SET s v',
        'ZCOUNT s 1 2',
        'ZCOUNT s a 2',
        'ZLEXCOUNT s - +',
        'ZLEXCOUNT s a +',
        'ZCOUNT z 1',
        'ZLEXCOUNT z -',
    ])


def test_zrange_by_rank(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d 5 e',
        'ZRANGE z 0 -1',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZRANGE z 1 3',
        'ZRANGE z -2 -1',
        'ZRANGE z -100 100',
        'ZRANGE z 3 1',
        'ZRANGE z 5 10',
        'ZRANGE z -1 -2',
        'ZRANGE z 0 0 withscores',
        'ZRANGE z 0 -1 REV',
        'ZRANGE z 0 1 REV WITHSCORES',
        'ZRANGE z -2 -1 rev',
        'ZRANGE z 0 -1 WITHSCORES WITHSCORES',
        'ZREVRANGE z 0 -1',
        'ZREVRANGE z 1 2 WITHSCORES',
        'ZREVRANGE z -1 -1',
        'ZRANGE nokey 0 -1',
        'ZRANGE z a 1',
        'ZRANGE z 0 b',
        'ZRANGE z 0 1.5',
        'ZRANGE z 0 -1 REV REV',
        'ZRANGE z 0 -1 foo',
        'ZRANGE z 0 -1 LIMIT 0 1',
        'ZRANGE z 0 -1 LIMIT 0 1 WITHSCORES',
        'ZRANGE z 0 -1 LIMIT 0',
        'ZRANGE z 0 -1 LIMIT x 1',
        'ZRANGE nokey a b',
        'ZREVRANGE z 0 1 BYSCORE',
        'ZREVRANGE z 0 1 REV',
        'ZREVRANGE z 0 1 LIMIT 0 1',
        'ZREVRANGE z 0 1 withscores x',
        'ZRANGE z 0',
        'ZREVRANGE z',
        'SET s v',
        'ZRANGE s 0 -1',
        'ZREVRANGE s 0 -1',
        'ZRANGE s a b',
    ])


def test_zrange_by_score(differ):
    differ([
        'ZADD z -inf ninf 1 a 2 b 2 bb 3 c 4 d 5 e inf pinf',
        'ZRANGE z 1 3 BYSCORE',
        'ZRANGE z (1 3 BYSCORE WITHSCORES',
        'ZRANGE z (1 (3 BYSCORE',
        'ZRANGE z -inf +inf BYSCORE',
        'ZRANGE z 3 1 BYSCORE',
        'ZRANGE z 3 1 BYSCORE REV',
        'ZRANGE z +inf -inf BYSCORE REV WITHSCORES',
        'ZRANGE z (3 (1 BYSCORE REV',
        'ZRANGE z -inf +inf BYSCORE LIMIT 1 3',
        'ZRANGE z -inf +inf BYSCORE LIMIT 1 -1',
        'ZRANGE z -inf +inf BYSCORE LIMIT 0 0',
        'ZRANGE z -inf +inf BYSCORE LIMIT -1 3',
        'ZRANGE z -inf +inf BYSCORE LIMIT 100 3',
        'ZRANGE z +inf -inf BYSCORE REV LIMIT 2 2 WITHSCORES',
        'ZRANGE z 2 2 BYSCORE',
        'ZRANGE z (2 2 BYSCORE',
        'ZRANGE z 0 -1 BYSCORE',
        'ZRANGEBYSCORE z 1 3',
        'ZRANGEBYSCORE z 1 3 WITHSCORES',
        'ZRANGEBYSCORE z -inf +inf LIMIT 2 2',
        'ZRANGEBYSCORE z -inf +inf WITHSCORES LIMIT 2 2',
        'ZRANGEBYSCORE z -inf +inf LIMIT 2 2 WITHSCORES',
        'ZREVRANGEBYSCORE z 3 1',
        'ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 1 2',
        'ZREVRANGEBYSCORE z 1 3',
        'ZRANGEBYSCORE nokey 1 2',
        'ZRANGEBYSCORE z a 2',
        'ZRANGEBYSCORE z 1 b',
        'ZRANGE z x y BYSCORE',
        'ZRANGEBYSCORE z 1 2 LIMIT',
        'ZRANGEBYSCORE z 1 2 LIMIT 1',
        'ZRANGEBYSCORE z 1 2 LIMIT a 1',
        'ZRANGEBYSCORE z 1 2 LIMIT 1 b',
        'ZRANGEBYSCORE z 1 2 BYSCORE',
        'ZRANGEBYSCORE z 1 2 BYLEX',
        'ZRANGEBYSCORE z 1 2 REV',
        'ZRANGEBYSCORE z 1 2 withscores foo',
        'ZREVRANGEBYSCORE z 2 1 REV',
        'ZRANGE z 0 -1 BYSCORE BYLEX',
        'ZRANGE z 0 -1 BYSCORE BYSCORE',
        'ZRANGE z 1 2 BYSCORE LIMIT 0 1 LIMIT 1 1',
        'ZRANGE z a b BYSCORE LIMIT x 1',
        'SET s v',
        'ZRANGEBYSCORE s 1 2',
        'ZRANGEBYSCORE s a 2',
    ])


def test_zrange_by_lex(differ):
    differ([
        'ZADD z 0 a 0 b 0 c 0 d 0 e 0 ab 0 ba',
        'ZADD z 0 ' + 'x' * 100,
        ['ZADD', 'z', 0, b''],
        'ZRANGE z [a (c BYLEX',
        'ZRANGE z - + BYLEX',
        'ZRANGE z + - BYLEX',
        'ZRANGE z + - BYLEX REV',
        'ZRANGE z [c [a BYLEX REV',
        'ZRANGE z (c [a BYLEX REV LIMIT 1 2',
        'ZRANGE z - + BYLEX LIMIT 2 3',
        'ZRANGE z - + BYLEX LIMIT 2 -1',
        'ZRANGE z - + BYLEX LIMIT -1 3',
        'ZRANGE z [b [b BYLEX',
        'ZRANGE z (b [b BYLEX',
        'ZRANGE z [ + BYLEX',
        'ZRANGE z ( (a BYLEX',
        'ZRANGEBYLEX z - [c',
        'ZRANGEBYLEX z (a + LIMIT 0 2',
        'ZREVRANGEBYLEX z + -',
        'ZREVRANGEBYLEX z [c - LIMIT 1 1',
        'ZREVRANGEBYLEX z - +',
        'ZRANGEBYLEX nokey - +',
        'ZRANGE z [a (c BYLEX WITHSCORES',
        'ZRANGEBYLEX z - + WITHSCORES',
        'ZRANGEBYLEX z a b',
        'ZRANGEBYLEX z - b',
        'ZRANGEBYLEX z +x -',
        'ZRANGE z 0 1 BYLEX',
        'ZRANGE nokey 0 1 BYLEX',
        'ZRANGEBYLEX z - + LIMIT 1',
        'ZRANGEBYLEX z - + BYLEX',
        'ZRANGEBYLEX z - + BYSCORE',
        'SET s v',
        'ZRANGEBYLEX s - +',
        'ZRANGE s - + BYLEX',
    ])


def test_zrangestore(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d 5 e',
        'ZRANGESTORE d z 0 -1',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZRANGESTORE d z 1 2',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZRANGESTORE d z 0 1 REV',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZRANGESTORE d z (1 4 BYSCORE LIMIT 1 2',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZRANGESTORE d z 4 1 BYSCORE REV',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZADD lex 0 a 0 b 0 c',
        'ZRANGESTORE d lex [b + BYLEX',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZRANGESTORE d lex + - BYLEX REV LIMIT 0 1',
        'ZRANGE d 0 -1 WITHSCORES',
        'EXPIRE d 100',
        'ZRANGESTORE d z 0 0',
        'TTL d',
        'ZRANGESTORE d z 10 20',
        'EXISTS d',
        'ZRANGESTORE d z 10 20',
        'ZRANGESTORE d nokey 0 -1',
        'SET d v',
        'ZRANGESTORE d z 0 1',
        'TYPE d',
        'ZRANGESTORE z z 1 2',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZRANGESTORE d z 0 -1 WITHSCORES',
        'ZRANGESTORE d z 0 -1 BYSCORE WITHSCORES',
        'ZRANGESTORE d z 0 -1 LIMIT 0 1',
        'ZRANGESTORE d z a b',
        'ZRANGESTORE d z a b BYSCORE',
        'ZRANGESTORE d z a b BYLEX',
        'ZRANGESTORE d z 0',
        'SET s v',
        'ZRANGESTORE d s 0 -1',
        'ZRANGESTORE s z 0 -1',
        'TYPE s',
    ])


def test_zremrange(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f',
        'ZREMRANGEBYRANK z 0 0',
        'ZREMRANGEBYRANK z -1 -1',
        'ZREMRANGEBYRANK z 5 10',
        'ZREMRANGEBYRANK z 2 1',
        'ZREMRANGEBYRANK z -100 0',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZREMRANGEBYSCORE z (3 4',
        'ZREMRANGEBYSCORE z 10 20',
        'ZREMRANGEBYSCORE z 4 3',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZREMRANGEBYSCORE z -inf +inf',
        'EXISTS z',
        'ZADD l 0 a 0 b 0 c 0 d',
        'ZREMRANGEBYLEX l (a [c',
        'ZREMRANGEBYLEX l + -',
        'ZRANGE l 0 -1',
        'ZREMRANGEBYLEX l - +',
        'EXISTS l',
        'ZADD z 1 a 2 b',
        'ZREMRANGEBYRANK z 0 -1',
        'EXISTS z',
        'ZREMRANGEBYRANK nokey 0 1',
        'ZREMRANGEBYSCORE nokey 0 1',
        'ZREMRANGEBYLEX nokey - +',
        'ZREMRANGEBYRANK nokey a 1',
        'ZREMRANGEBYRANK z a 1',
        'ZREMRANGEBYRANK z 0 b',
        'ZREMRANGEBYSCORE z a 1',
        'ZREMRANGEBYLEX z a b',
        'ZREMRANGEBYRANK z 0',
        'ZREMRANGEBYLEX z - + x',
        'SET s v',
        'ZREMRANGEBYRANK s 0 1',
        'ZREMRANGEBYSCORE s 0 1',
        'ZREMRANGEBYLEX s - +',
    ])


def test_zpop(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d 5 e 6 f',
        'ZPOPMIN z',
        'ZPOPMAX z',
        'ZPOPMIN z 1',
        'ZPOPMAX z 1',
        'ZPOPMIN z 0',
        'ZPOPMAX z 0',
        'ZPOPMIN z 3',
        'EXISTS z',
        'ZPOPMIN z',
        'ZPOPMIN nokey',
        'ZPOPMIN nokey 3',
        'ZADD z 1 a 2 b 3 c',
        'ZPOPMAX z 9223372036854775807',
        'EXISTS z',
        'ZPOPMIN z -1',
        'ZPOPMIN z a',
        'ZPOPMIN z 1.5',
        'ZPOPMIN nokey -1',
        'ZPOPMIN z 1 2',
        'ZPOPMAX',
        'SET s v',
        'ZPOPMIN s',
        'ZPOPMAX s 0',
        'ZPOPMIN s -1',
    ])


def test_zmpop(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZADD y 10 x',
        'ZMPOP 1 z MIN',
        'ZMPOP 1 z MAX COUNT 2',
        'ZMPOP 2 nokey z min COUNT 10',
        'EXISTS z',
        'ZMPOP 2 z y MAX',
        'EXISTS y',
        'ZMPOP 2 z y MAX',
        'ZMPOP 1 nokey MIN COUNT 2',
        'ZADD z 1 a',
        'SET s v',
        'ZMPOP 2 s z MIN',
        'ZMPOP 2 z s MIN',
        'ZMPOP 0 z MIN',
        'ZMPOP -1 z MIN',
        'ZMPOP a z MIN',
        'ZMPOP 1 z',
        'ZMPOP 1 z foo',
        'ZMPOP 2 z MIN',
        'ZMPOP 1 z MIN COUNT',
        'ZMPOP 1 z MIN COUNT 0',
        'ZMPOP 1 z MIN COUNT -1',
        'ZMPOP 1 z MIN COUNT a',
        'ZMPOP 1 z MIN COUNT 1 COUNT 2',
        'ZMPOP 1 z MIN foo 1',
        'ZMPOP 1 z MIN COUNT 1 extra',
    ])


def test_zrandmember(differ):
    differ([
        'ZADD z 1 a 2 b 3 c 4 d 5 e',
        skip_value('ZRANDMEMBER z'),
        'ZRANDMEMBER z 0',
        'ZRANDMEMBER z 0 WITHSCORES',
        'ZRANDMEMBER z 5',
        'ZRANDMEMBER z 100',
        'ZRANDMEMBER z 100 WITHSCORES',
        'ZRANDMEMBER z 9223372036854775807',
        'ZRANDMEMBER z 4611686018427387903 withscores',
        skip_value('ZRANDMEMBER z 3'),
        skip_value('ZRANDMEMBER z 2 WITHSCORES'),
        skip_value('ZRANDMEMBER z -3'),
        skip_value('ZRANDMEMBER z -8 WITHSCORES'),
        skip_value('ZRANDMEMBER z -1'),
        'ZRANDMEMBER nokey',
        'ZRANDMEMBER nokey 3',
        'ZRANDMEMBER nokey -3 WITHSCORES',
        'ZRANDMEMBER z a',
        'ZRANDMEMBER z 1.5',
        'ZRANDMEMBER z 1 foo',
        'ZRANDMEMBER z 1 withscores foo',
        'ZRANDMEMBER z 2 2',
        'ZRANDMEMBER nokey 1 foo',
        'ZRANDMEMBER z -9223372036854775808',
        'ZRANDMEMBER z 9223372036854775807 withscores',
        'ZRANDMEMBER z -9223372036854775807 withscores',
        'ZRANDMEMBER z 4611686018427387904 withscores',
        'ZRANDMEMBER z -4611686018427387904 withscores',
        'ZRANDMEMBER nokey 9223372036854775807 withscores',
        'SET s v',
        'ZRANDMEMBER s',
        'ZRANDMEMBER s 0',
        'ZRANDMEMBER s 1 WITHSCORES',
    ])


def test_zrandmember_values(basalt_server):
    """Random picks come from the set, distinct for a positive count."""
    with basalt_server.raw() as c:
        c.call('FLUSHALL')
        for enc_members in (10, 300):
            c.call('DEL', 'z')
            members = {('m%d' % i).encode(): i for i in range(enc_members)}
            args = []
            for m, s in members.items():
                args += [str(s), m]
            c.call('ZADD', 'z', *args)
            for count in (1, 3, enc_members // 3 + 1, enc_members - 1):
                got = c.call('ZRANDMEMBER', 'z', str(count))
                assert len(got) == count and len(set(got)) == count
                assert all(m in members for m in got)
            got = c.call('ZRANDMEMBER', 'z', '-50', 'WITHSCORES')
            assert len(got) == 100
            for m, s in zip(got[0::2], got[1::2]):
                assert members[m] == int(s)
            assert c.call('ZRANDMEMBER', 'z') in members


def test_set_operations(differ):
    differ([
        'ZADD z1 1 a 2 b 3 c',
        'ZADD z2 10 b 20 c 30 d',
        'ZADD z3 5 c',
        'SADD st a c x',
        'ZUNION 2 z1 z2',
        'ZUNION 2 z1 z2 WITHSCORES',
        'ZUNION 2 z1 z2 WEIGHTS 2 -1 WITHSCORES',
        'ZUNION 2 z1 z2 AGGREGATE MIN WITHSCORES',
        'ZUNION 2 z1 z2 AGGREGATE max WITHSCORES',
        'ZUNION 3 z1 z2 st WITHSCORES',
        'ZUNION 2 z1 nokey WITHSCORES',
        'ZUNION 1 nokey',
        'ZINTER 2 z1 z2 WITHSCORES',
        'ZINTER 3 z1 z2 z3 WITHSCORES',
        'ZINTER 2 z1 st WITHSCORES',
        'ZINTER 2 z1 z2 WEIGHTS 1 0.5 AGGREGATE MAX WITHSCORES',
        'ZINTER 2 z1 nokey',
        'ZDIFF 2 z1 z2 WITHSCORES',
        'ZDIFF 2 z2 z1',
        'ZDIFF 3 z2 z1 z3 WITHSCORES',
        'ZDIFF 2 st z1 WITHSCORES',
        'ZDIFF 2 nokey z1',
        'ZDIFF 1 z1 WITHSCORES',
        'ZUNIONSTORE d 2 z1 z2',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZUNIONSTORE d 2 z1 z2 WEIGHTS 1 2 AGGREGATE SUM',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZINTERSTORE d 2 z1 z2 AGGREGATE MIN',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZDIFFSTORE d 2 z1 z2',
        'ZRANGE d 0 -1 WITHSCORES',
        'ZINTERSTORE d 2 z1 nokey',
        'EXISTS d',
        'ZINTERSTORE d 2 z1 nokey',
        'EXPIRE z3 100',
        'ZUNIONSTORE z3 2 z3 z1',
        'TTL z3',
        'ZRANGE z3 0 -1 WITHSCORES',
        'ZDIFFSTORE z1 2 z1 z1',
        'EXISTS z1',
        'SET s v',
        'ZUNIONSTORE s 1 z2',
        'TYPE s',
        'ZUNIONSTORE st 1 z2',
        'TYPE st',
    ])


def test_set_operation_scores(differ):
    differ([
        'ZADD i 0 a inf b -inf c 1 d',
        'ZUNION 1 i WEIGHTS 0 WITHSCORES',
        'ZUNION 1 i WEIGHTS -1 WITHSCORES',
        'ZUNION 2 i i WEIGHTS 1 -1 WITHSCORES',
        'ZUNION 2 i i WEIGHTS 1 -1 AGGREGATE MAX WITHSCORES',
        'ZUNION 2 i i WEIGHTS 1 -1 AGGREGATE MIN WITHSCORES',
        'ZINTER 2 i i WEIGHTS 1 -1 WITHSCORES',
        'ZINTER 2 i i WEIGHTS inf 0 WITHSCORES',
        'ZINTER 2 i i WEIGHTS inf 0 AGGREGATE MIN WITHSCORES',
        'ZINTER 2 i i WEIGHTS inf 0 AGGREGATE MAX WITHSCORES',
        'ZINTER 3 i i i WEIGHTS 0 1 0 WITHSCORES',
        'ZUNION 1 i WEIGHTS 0x10 WITHSCORES',
        'ZUNION 1 i WEIGHTS 1e-310 WITHSCORES',
        # The float sum follows Redis's order: smallest inputs first.
        'ZADD a 0.1 x',
        'ZADD b 0.2 x 1 f1',
        'ZADD c 0.3 x 1 f1 2 f2',
        'ZADD b2 0.2 x',
        'ZADD c2 0.3 x',
        'ZUNION 3 c b a WITHSCORES',
        'ZUNION 3 a b c WITHSCORES',
        'ZINTER 3 c b a WITHSCORES',
        'ZUNION 3 c2 b2 a WITHSCORES',
        'ZUNION 3 a b2 c2 WITHSCORES',
        'ZINTER 3 c2 b2 a WITHSCORES',
        'ZINTER 3 a c2 b2 WITHSCORES',
    ])


def test_set_operation_errors(differ):
    differ([
        'ZADD z 1 a 2 b',
        'SET s v',
        'ZUNION 0 z',
        'ZUNION -1 z',
        'ZUNION a z',
        'ZUNION 2 z',
        'ZUNION 1 z z',
        'ZUNION 1 z WEIGHTS',
        'ZUNION 1 z WEIGHTS a',
        'ZUNION 1 z WEIGHTS nan',
        'ZUNION 1 z WEIGHTS 1e400',
        ['ZUNION', 1, 'z', 'WEIGHTS', ''],
        'ZUNION 1 z WEIGHTS 1 2',
        'ZUNION 2 z z WEIGHTS 1',
        'ZUNION 1 z AGGREGATE',
        'ZUNION 1 z AGGREGATE foo',
        'ZUNION 1 z AGGREGATE sum AGGREGATE min WITHSCORES',
        'ZUNION 1 z WEIGHTS 2 WEIGHTS 3 WITHSCORES',
        'ZUNION 1 z WITHSCORES WITHSCORES',
        'ZUNION 1 z foo',
        'ZUNION 2 z s',
        'ZUNION 2 nokey s',
        'ZUNION 2 z s WEIGHTS a',
        'ZUNION 1 s foo',
        'ZINTER 0 z',
        'ZINTER 2 z s',
        'ZINTER 2 nokey s',
        'ZDIFF 0 z',
        'ZDIFF 1 z WEIGHTS 1',
        'ZDIFF 1 z AGGREGATE sum',
        'ZDIFF 2 z s',
        'ZUNIONSTORE d 0 z',
        'ZUNIONSTORE d -1 z',
        'ZUNIONSTORE d a z',
        'ZUNIONSTORE d 2 z',
        'ZUNIONSTORE d 1 z WITHSCORES',
        'ZUNIONSTORE d 2 z s',
        'ZINTERSTORE d 0 z',
        'ZINTERSTORE d 1 z foo',
        'ZDIFFSTORE d 0 z',
        'ZDIFFSTORE d 1 z WEIGHTS 1',
        'ZDIFFSTORE d 2 z s',
        'EXISTS d',
        'ZUNION 1',
        'ZUNIONSTORE d 1',
        'ZDIFFSTORE d',
    ])


def test_zintercard(differ):
    differ([
        'ZADD z1 1 a 2 b 3 c 4 d',
        'ZADD z2 1 b 2 c 3 d 4 e',
        'SADD st c d x',
        'ZINTERCARD 1 z1',
        'ZINTERCARD 2 z1 z2',
        'ZINTERCARD 3 z1 z2 st',
        'ZINTERCARD 2 z1 nokey',
        'ZINTERCARD 2 z1 z2 LIMIT 0',
        'ZINTERCARD 2 z1 z2 LIMIT 1',
        'ZINTERCARD 2 z1 z2 LIMIT 100',
        'ZINTERCARD 2 z1 z2 limit 1 limit 2',
        'SET s v',
        'ZINTERCARD 0 z1',
        'ZINTERCARD -1 z1',
        'ZINTERCARD a z1',
        'ZINTERCARD 1',
        'ZINTERCARD 2 z1',
        'ZINTERCARD 1 z1 LIMIT',
        'ZINTERCARD 1 z1 LIMIT -1',
        'ZINTERCARD 1 z1 LIMIT a',
        'ZINTERCARD 1 z1 foo',
        'ZINTERCARD 1 z1 WEIGHTS 1',
        'ZINTERCARD 1 z1 WITHSCORES',
        'ZINTERCARD 2 z1 s',
        'ZINTERCARD 2 nokey s',
        'ZINTERCARD 2 z1 s LIMIT a',
    ])


def test_zscan_listpack(differ):
    differ([
        'ZADD z 0.1 a 1e300 b inf c -0 d 1.5 e -3 f 123456789012345678 g 1e-310 h 3.0e5 i',
        'ZADD z 4611686018427387904 j 4611686018427388928 k -4611686018427387904 l',
        'ZSCAN z 0',
        'ZSCAN z 0 COUNT 1',
        'ZSCAN z 7 COUNT 1',
        'ZSCAN z 0 MATCH [a-e]',
        'ZSCAN z 0 MATCH * COUNT 2',
        'ZSCAN z 0 match nothing*',
        'ZSCAN z 0 COUNT 1 COUNT 2 MATCH a MATCH b',
        ['ZSCAN', 'z', ''],
        'ZSCAN z +5',
        'ZSCAN z -1',
        'ZSCAN z 18446744073709551615',
        'ZSCAN nokey 0',
        'ZSCAN nokey 0 COUNT 0',
        'ZSCAN nokey x',
        'ZSCAN z x',
        'ZSCAN z 1.5',
        ['ZSCAN', 'z', ' 1'],
        'ZSCAN z 18446744073709551616',
        'ZSCAN z 0 COUNT 0',
        'ZSCAN z 0 COUNT -1',
        'ZSCAN z 0 COUNT a',
        'ZSCAN z 0 COUNT',
        'ZSCAN z 0 MATCH',
        'ZSCAN z 0 TYPE zset',
        'ZSCAN z 0 NOVALUES',
        'ZSCAN z 0 foo bar',
        'SET s v',
        'ZSCAN s 0',
        'ZSCAN s x',
        'ZSCAN s 0 COUNT 0',
    ])


def _full_zscan(srv, key, resp, count):
    with srv.raw() as c:
        if resp == 3:
            c.call('HELLO', '3')
        cursor, seen = b'0', {}
        for _ in range(100000):
            reply = c.call('ZSCAN', key, cursor, 'COUNT', str(count))
            cursor, items = reply
            for m, s in zip(items[0::2], items[1::2]):
                seen[m] = s
            if cursor == b'0':
                return seen
    raise AssertionError('ZSCAN did not finish')


@pytest.mark.parametrize('resp', [2, 3])
def test_zscan_skiplist(basalt_server, oracle_server, resp):
    """Hash-table scans return everything once the cursor comes back to 0,
    with scores printed as %.17g (unlike the listpack's integer form)."""
    args = []
    for i in range(500):
        args += [repr(i / 7.0), 'm%d' % i]
    args += ['-0', 'negzero', '123456789012345678', 'big', 'inf', 'pinf', '1e18', 'e18']
    results = []
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            c.call('FLUSHALL')
            c.call('ZADD', 'z', *args)
            assert c.call('OBJECT', 'ENCODING', 'z') == b'skiplist'
        results.append(_full_zscan(srv, 'z', resp, 17))
    assert results[0] == results[1]
    assert results[1][b'negzero'] == b'-0' and results[1][b'big'] == b'1.2345678901234568e+17'


def test_encoding_thresholds(differ):
    long = 'x' * 65
    run_with_limits(differ, [
        'ZADD z 1 a',
        'OBJECT ENCODING z',
        'ZADD z 1 ' + 'y' * 64,
        'OBJECT ENCODING z',
        'ZADD z 1 ' + long,
        'OBJECT ENCODING z',
        'ZREM z ' + long,
        'OBJECT ENCODING z',
        'ZADD first 1 ' + long,
        'OBJECT ENCODING first',
        'ZADD big ' + ' '.join('%d m%d' % (i, i) for i in range(128)),
        'OBJECT ENCODING big',
        'ZADD big 1000 m1000',
        'OBJECT ENCODING big',
        'ZADD big2 ' + ' '.join('%d m%d' % (i, i) for i in range(129)),
        'OBJECT ENCODING big2',
        'ZRANGESTORE d big 0 9',
        'OBJECT ENCODING d',
        'ZUNIONSTORE d 1 big',
        'OBJECT ENCODING d',
        'ZINTERSTORE d 2 big z',
        'OBJECT ENCODING d',
    ] + limits(2, 64) + [
        'ZADD w 1 a 1 a 1 a',
        'OBJECT ENCODING w',
        'ZADD w2 1 a 2 b',
        'OBJECT ENCODING w2',
        'ZADD w2 3 c',
        'OBJECT ENCODING w2',
        'ZREM w2 a b',
        'OBJECT ENCODING w2',
        'ZRANGESTORE w3 w2 0 -1',
        'OBJECT ENCODING w3',
        'ZADD w4 1 a 2 b 3 c',
        'ZRANGESTORE w5 w4 0 0',
        'OBJECT ENCODING w5',
        'ZRANGESTORE w5 w4 -inf inf BYSCORE',
        'OBJECT ENCODING w5',
        'ZUNIONSTORE w6 1 w4',
        'OBJECT ENCODING w6',
        'ZUNIONSTORE w7 2 w2 w2',
        'OBJECT ENCODING w7',
        'ZINTERSTORE w8 2 w4 w2',
        'OBJECT ENCODING w8',
        'ZDIFFSTORE w9 1 w4',
        'OBJECT ENCODING w9',
        'ZDIFFSTORE w9 2 w4 w2',
        'OBJECT ENCODING w9',
        'ZPOPMIN w4 2',
        'OBJECT ENCODING w4',
    ] + limits(0, 64) + [
        'ZADD v 1 a',
        'OBJECT ENCODING v',
        'ZUNIONSTORE v2 1 v',
        'OBJECT ENCODING v2',
        'ZRANGESTORE v3 v 0 -1',
        'OBJECT ENCODING v3',
    ] + limits(128, 0) + [
        'ZADD u 1 a',
        'OBJECT ENCODING u',
        ['ZADD', 'u2', 1, ''],
        'OBJECT ENCODING u2',
        unordered_pairs('CONFIG GET zset-max-listpack-*'),
        unordered_pairs('CONFIG GET zset-max-ziplist-*'),
    ])


def test_negative_zero(differ):
    """Redis's listpack keeps -0 as 0; its skiplist keeps the sign."""
    run_with_limits(differ, [
        'ZADD z -0 a',
        'ZSCORE z a',
        'ZADD z INCR -0 b',
        'ZSCORE z b',
        'ZADD z 1 ' + 'x' * 100,
        'ZADD z -0 c',
        'ZINCRBY z -0 d',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZADD y -0 a',
        'ZSCAN y 0',
        'ZRANGESTORE y2 y 0 -1',
        'ZSCORE y2 a',
        'ZUNION 1 z WEIGHTS -1 WITHSCORES',
        'ZUNIONSTORE u 1 z WEIGHTS -1',
        'ZRANGE u 0 -1 WITHSCORES',
    ] + limits(2, 64) + [
        'ZADD src -0 a -0 b -0 c 1 d',
        'ZRANGE src 0 -1 WITHSCORES',
        'ZRANGESTORE d1 src 0 -1',
        'ZRANGE d1 0 -1 WITHSCORES',
        'ZRANGESTORE d2 src -inf inf BYSCORE',
        'ZRANGE d2 0 -1 WITHSCORES',
        'ZRANGESTORE d3 src 0 2',
        'ZRANGE d3 0 -1 WITHSCORES',
        'ZRANGESTORE d5 src inf -inf BYSCORE REV',
        'ZRANGE d5 0 -1 WITHSCORES',
        'ZRANGESTORE d6 src 0 -1 REV',
        'ZRANGE d6 0 -1 WITHSCORES',
        'ZUNIONSTORE d7 1 src',
        'ZRANGE d7 0 -1 WITHSCORES',
        'ZRANGESTORE d8 src -inf inf BYSCORE LIMIT 0 1',
        'ZRANGE d8 0 -1 WITHSCORES',
    ] + limits(128, 3) + [
        'ZADD src2 -0 a -0 b -0 longmember',
        'ZRANGESTORE e1 src2 0 -1',
        'ZRANGE e1 0 -1 WITHSCORES',
        'ZRANGESTORE e2 src2 -inf inf BYSCORE',
        'ZRANGE e2 0 -1 WITHSCORES',
        'ZRANGESTORE e3 src2 0 1',
        'ZRANGE e3 0 -1 WITHSCORES',
    ])


def test_big_skiplist(differ):
    """Rank and range queries on a 2000-member skiplist."""
    add = ['ZADD', 'big']
    for i in range(2000):
        add += [str((i * 7919) % 1000 / 4.0), 'm%04d' % i]
    script = [add, 'OBJECT ENCODING big', 'ZCARD big']
    for m in ('m0000', 'm0999', 'm1999', 'm1234', 'nope'):
        script += ['ZRANK big ' + m, 'ZREVRANK big ' + m, 'ZSCORE big ' + m]
    script += [
        'ZRANGE big 0 9 WITHSCORES',
        'ZRANGE big 995 1004',
        'ZRANGE big -10 -1 WITHSCORES',
        'ZRANGE big 0 4 REV',
        'ZRANGE big 100 105 REV WITHSCORES',
        'ZCOUNT big 10 20',
        'ZCOUNT big (10 (20',
        'ZCOUNT big -inf +inf',
        'ZRANGE big 100 (100.5 BYSCORE WITHSCORES',
        'ZRANGE big 200 100 BYSCORE REV LIMIT 3 4 WITHSCORES',
        'ZRANGEBYSCORE big (249 +inf',
        'ZREVRANGEBYSCORE big 0.5 -inf',
        'ZREMRANGEBYRANK big 0 99',
        'ZREMRANGEBYRANK big -100 -1',
        'ZREMRANGEBYSCORE big 50 60',
        'ZCARD big',
        'ZRANGE big 0 4 WITHSCORES',
        'ZRANGE big -5 -1 WITHSCORES',
        'ZRANK big m0500',
        'ZPOPMIN big 3',
        'ZPOPMAX big 3',
        'ZMPOP 1 big MIN COUNT 2',
        'ZRANGESTORE d big 500 -1',
        'ZCARD d',
        'OBJECT ENCODING d',
        'ZRANGE d 0 2 WITHSCORES',
        'ZUNIONSTORE u 2 big d WEIGHTS 1 2',
        'ZRANGE u 1000 1010 WITHSCORES',
        'ZINTERCARD 2 big d',
        'ZINTERCARD 2 big d LIMIT 7',
        'ZRANDMEMBER big 5000',
    ]
    lex = ['ZADD', 'lex'] + sum([['0', 'k%04d' % i] for i in range(1500)], [])
    script += [
        lex,
        'ZLEXCOUNT lex [k0100 (k0200',
        'ZRANGE lex [k0100 (k0110 BYLEX',
        'ZRANGE lex (k1400 - BYLEX REV LIMIT 5 5',
        'ZREMRANGEBYLEX lex [k0500 [k0999',
        'ZLEXCOUNT lex - +',
        'ZRANGEBYLEX lex (k0498 [k1002',
    ]
    differ(script)


def test_wrongtype_other_collections(differ):
    differ([
        'RPUSH l a',
        'HSET h f v',
        'SADD st a',
        'ZADD l 1 a',
        'ZSCORE h a',
        'ZRANGE st 0 -1',
        'ZPOPMIN l',
        'ZUNION 2 l h',
        'ZINTERCARD 1 h',
        'ZMPOP 1 h MIN',
        'ZRANGESTORE d l 0 -1',
        'ZSCAN h 0',
        'ZRANDMEMBER l',
        'TYPE l',
    ])


def test_expired_zset_is_gone(differ):
    differ([
        'ZADD z 1 a 2 b',
        'PEXPIREAT z 1',
        'ZCARD z',
        'ZPOPMIN z',
        'ZADD z 3 c',
        'ZRANGE z 0 -1 WITHSCORES',
        'TTL z',
        'ZADD y 1 a',
        'PEXPIREAT y 1',
        'ZUNIONSTORE d 2 y z',
        'ZRANGE d 0 -1',
    ])


def test_copy_rename_zset(differ):
    differ([
        'ZADD z 1 a 2 b',
        'ZADD big ' + ' '.join('%d m%d' % (i, i) for i in range(200)),
        'COPY z z2',
        'COPY big big2',
        'ZADD z2 3 c',
        'ZRANGE z 0 -1 WITHSCORES',
        'ZRANGE z2 0 -1 WITHSCORES',
        'ZREM big2 m0',
        'ZCARD big',
        'ZCARD big2',
        'OBJECT ENCODING big2',
        'RENAME z z3',
        'ZRANGE z3 0 -1 WITHSCORES',
        'EXISTS z',
    ])


def _random_script(rng, entries, value):
    keys = ['k1', 'k2', 'k3', 'k4']
    lkeys = ['L1', 'L2']
    pool = ['a', 'b', 'c', 'd', 'e', 'ab', 'abc', 'b\x00', 'longmember', 'x' * 20, '', 'Z']

    def mem():
        return rng.choice(pool + ['m%d' % rng.randint(0, 40)])

    def score():
        return rng.choice(['0', '-0', '1', '2', '1.5', '-3', 'inf', '-inf', '0.1', '1e308',
                           str(rng.randint(-10, 10)), '%.3f' % rng.uniform(-5, 5)])

    def sbound():
        s = score()
        if s in ('inf', '-inf'):
            return rng.choice([s, '+inf', '(' + s])
        return rng.choice(['', '(']) + s

    def lbound():
        return rng.choice(['-', '+', '[' + mem(), '(' + mem()])

    def idx():
        return str(rng.randint(-8, 8))

    def range_opts():
        o = []
        if rng.random() < 0.3:
            o.append('REV')
        if rng.random() < 0.3:
            o += ['LIMIT', str(rng.randint(-1, 3)), str(rng.randint(-1, 4))]
        return o

    def ws():
        return ['WITHSCORES'] if rng.random() < 0.5 else []

    def lex_step():
        k = rng.choice(lkeys)
        t = rng.randrange(10)
        if t < 3:
            return ['ZADD', k] + sum([['0', mem()] for _ in range(rng.randint(1, 4))], [])
        if t == 3:
            return ['ZREM', k, mem()]
        if t == 4:
            return ['ZLEXCOUNT', k, lbound(), lbound()]
        if t == 5:
            return ['ZRANGE', k, lbound(), lbound(), 'BYLEX'] + range_opts()
        if t == 6:
            return [rng.choice(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), k, lbound(), lbound()]
        if t == 7:
            return ['ZREMRANGEBYLEX', k, lbound(), lbound()]
        if t == 8:
            return ['ZRANGESTORE', rng.choice(lkeys), k, lbound(), lbound(), 'BYLEX'] + range_opts()
        return ['ZRANGE', k, '0', '-1']

    def step():
        if rng.random() < 0.2:
            return lex_step()
        k = rng.choice(keys)
        t = rng.randrange(24)
        if t < 5:
            flags = [f for f in ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'] if rng.random() < 0.12]
            pairs = []
            for _ in range(1 if 'INCR' in flags else rng.randint(1, 6)):
                pairs += [score(), mem()]
            return ['ZADD', k] + flags + pairs
        if t == 5:
            return ['ZINCRBY', k, score(), mem()]
        if t == 6:
            return ['ZREM', k] + [mem() for _ in range(rng.randint(1, 3))]
        if t == 7:
            return rng.choice([['ZCARD', k], ['ZSCORE', k, mem()], ['ZMSCORE', k, mem(), mem()],
                               [rng.choice(['ZRANK', 'ZREVRANK']), k, mem()]])
        if t == 8:
            return ['ZCOUNT', k, sbound(), sbound()]
        if t == 9:
            return ['ZRANGE', k, idx(), idx()] + (['REV'] if rng.random() < .3 else []) + ws()
        if t == 10:
            return ['ZRANGE', k, sbound(), sbound(), 'BYSCORE'] + range_opts() + ws()
        if t == 11:
            return ([rng.choice(['ZRANGEBYSCORE', 'ZREVRANGEBYSCORE']), k, sbound(), sbound()] +
                    ws() + (['LIMIT', str(rng.randint(0, 3)), str(rng.randint(-1, 3))]
                            if rng.random() < .3 else []))
        if t == 12:
            return ['ZREVRANGE', k, idx(), idx()] + ws()
        if t == 13:
            return ['ZREMRANGEBYRANK', k, idx(), idx()]
        if t == 14:
            return ['ZREMRANGEBYSCORE', k, sbound(), sbound()]
        if t == 15:
            return ([rng.choice(['ZPOPMIN', 'ZPOPMAX']), k] +
                    ([str(rng.randint(0, 4))] if rng.random() < .6 else []))
        if t == 16:
            return (['ZMPOP', '2', k, rng.choice(keys), rng.choice(['MIN', 'MAX'])] +
                    (['COUNT', str(rng.randint(1, 4))] if rng.random() < .5 else []))
        if t in (17, 18):
            ks = [rng.choice(keys) for _ in range(rng.randint(1, 3))]
            store = t == 18
            op = rng.choice(['ZUNION', 'ZINTER', 'ZDIFF'])
            cmd = ([op + 'STORE', rng.choice(keys)] if store else [op]) + [str(len(ks))] + ks
            if op != 'ZDIFF' and rng.random() < .4:
                cmd += ['WEIGHTS'] + [rng.choice(['1', '2', '-1', '0', '0.5', 'inf']) for _ in ks]
            if op != 'ZDIFF' and rng.random() < .4:
                cmd += ['AGGREGATE', rng.choice(['SUM', 'MIN', 'MAX'])]
            if not store and rng.random() < .5:
                cmd += ['WITHSCORES']
            return cmd
        if t == 19:
            ks = [rng.choice(keys) for _ in range(rng.randint(1, 3))]
            return (['ZINTERCARD', str(len(ks))] + ks +
                    (['LIMIT', str(rng.randint(0, 3))] if rng.random() < .5 else []))
        if t == 20:
            if rng.random() < 0.5:
                return ['ZRANGESTORE', rng.choice(keys), k, idx(), idx()]
            return (['ZRANGESTORE', rng.choice(keys), k, sbound(), sbound(), 'BYSCORE'] +
                    range_opts())
        if t == 21:
            return ['OBJECT', 'ENCODING', k]
        if t == 22:
            # Deterministic: the count exceeds any set's size here.
            return ['ZRANDMEMBER', k, '100'] + ws()
        return ['ZRANGE', k, '0', '-1', 'WITHSCORES']

    script = limits(entries, value)
    script += [step() for _ in range(500)]
    script += [['ZRANGE', k, '0', '-1', 'WITHSCORES'] for k in keys + lkeys]
    script += [['OBJECT', 'ENCODING', k] for k in keys + lkeys]
    return script


@pytest.mark.parametrize('entries,value,seed', [(128, 64, 1), (4, 8, 2), (0, 64, 3), (16, 3, 4)])
def test_random_ops(differ, entries, value, seed):
    """A seeded random mix of every command on a few keys, both encodings."""
    run_with_limits(differ, _random_script(random.Random(seed), entries, value))


def test_command_getkeys(differ):
    differ([
        'COMMAND GETKEYS ZADD k 1 a',
        'COMMAND GETKEYS ZRANGE k 0 1',
        'COMMAND GETKEYS ZRANGESTORE d s 0 1',
        'COMMAND GETKEYS ZUNION 2 a b WEIGHTS 1 2',
        'COMMAND GETKEYS ZINTER 1 a',
        'COMMAND GETKEYS ZDIFF 3 a b c',
        'COMMAND GETKEYS ZUNIONSTORE d 2 a b',
        'COMMAND GETKEYS ZINTERSTORE d 1 a AGGREGATE MIN',
        'COMMAND GETKEYS ZDIFFSTORE d 2 a b',
        'COMMAND GETKEYS ZINTERCARD 2 a b LIMIT 1',
        'COMMAND GETKEYS ZMPOP 2 a b MIN',
        'COMMAND GETKEYS ZMPOP 1 a MAX COUNT 2',
        'COMMAND GETKEYS ZSCAN k 0',
    ])


ZSET_COMMANDS = [
    'zadd', 'zincrby', 'zrem', 'zcard', 'zscore', 'zmscore', 'zrank', 'zrevrank', 'zcount',
    'zlexcount', 'zrange', 'zrangestore', 'zrangebyscore', 'zrevrangebyscore', 'zrangebylex',
    'zrevrangebylex', 'zrevrange', 'zremrangebyrank', 'zremrangebyscore', 'zremrangebylex',
    'zpopmin', 'zpopmax', 'zmpop', 'zrandmember', 'zunion', 'zinter', 'zdiff', 'zunionstore',
    'zinterstore', 'zdiffstore', 'zintercard', 'zscan']


def test_command_info_fields(basalt_server, oracle_server):
    """Arity, flags, first/last/step, ACL categories, tips and key specs as
    Redis reports them."""
    with basalt_server.raw() as b, oracle_server.raw() as o:
        for n in ZSET_COMMANDS:
            ib = b.call('COMMAND', 'INFO', n)[0]
            io = o.call('COMMAND', 'INFO', n)[0]
            assert ib is not None, n
            assert ib == io, n


def _events(srv, script):
    """Runs script on srv and returns the keyevent notifications it caused."""
    with srv.raw() as cfg:
        old = cfg.call('CONFIG', 'GET', 'notify-keyspace-events')[1]
        cfg.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
        try:
            with srv.raw() as sub, srv.raw() as c:
                c.call('FLUSHALL')
                sub.call('PSUBSCRIBE', '__keyevent@0__:*')
                for step in script:
                    c.call(*step.split(' '))
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
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZADD z 1 a',
        'ZADD z XX 1 nope',
        'ZADD z INCR 1 a',
        'ZADD z GT INCR -1 a',
        'ZINCRBY z 1 a',
        'ZINCRBY z 0 a',
        'ZREM z a nope',
        'ZREM z nope',
        'ZREMRANGEBYRANK z 0 0',
        'ZREMRANGEBYRANK z 5 9',
        'ZREMRANGEBYSCORE z 3 3',
        'ZREMRANGEBYSCORE z 10 20',
        'ZREMRANGEBYLEX z - +',
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZPOPMIN z',
        'ZPOPMIN z 0',
        'ZPOPMAX z 5',
        'ZPOPMAX z',
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZMPOP 1 z MIN',
        'ZMPOP 1 z MAX COUNT 10',
        'ZMPOP 1 z MAX COUNT 10',
        'ZADD z 1 a 2 b 3 c 4 d',
        'ZRANGESTORE d z 0 1',
        'ZRANGESTORE d z 0 1',
        'ZRANGESTORE d nokey 0 1',
        'ZRANGESTORE d nokey 0 1',
        'ZUNIONSTORE d 1 z',
        'ZINTERSTORE d 1 z',
        'ZDIFFSTORE d 1 z',
        'ZDIFFSTORE d 2 z z',
        'ZDIFFSTORE d 2 z z',
        'SET s v',
        'ZUNIONSTORE s 1 z',
        'ZREM z a b c d',
    ]
    eb = _events(basalt_server, script)
    eo = _events(oracle_server, script)
    assert eb == eo
    assert ('zpopmax', 'z') in eo and ('zrangestore', 'd') in eo


def test_keyspace_hits_misses(basalt_server, oracle_server):
    """Read commands (ZUNIONSTORE's sources included) count hits and misses;
    write commands do not."""
    script = ['ZSCORE z a', 'ZSCORE nokey a', 'ZSCORE s a', 'ZMSCORE z a b', 'ZCARD nokey',
              'ZRANK z a', 'ZREVRANK nokey a', 'ZCOUNT z 0 1', 'ZLEXCOUNT nokey - +',
              'ZRANGE z 0 -1', 'ZRANGEBYSCORE nokey 0 1', 'ZREVRANGEBYLEX z + -',
              'ZRANGESTORE d z 0 -1', 'ZRANGESTORE d nokey 0 -1', 'ZRANDMEMBER z',
              'ZRANDMEMBER nokey 2', 'ZSCAN z 0', 'ZSCAN nokey 0', 'ZUNION 2 z nokey',
              'ZINTER 2 z st', 'ZDIFF 2 z nokey', 'ZINTERCARD 2 z nokey',
              'ZUNIONSTORE d 2 z nokey', 'ZINTERSTORE d 2 z nokey', 'ZDIFFSTORE d 2 z nokey',
              'ZADD z 1 b', 'ZADD nokey XX 1 b', 'ZINCRBY z 1 b', 'ZREM nokey a', 'ZREM z b',
              'ZREMRANGEBYRANK nokey 0 1', 'ZPOPMIN nokey', 'ZPOPMAX z 0',
              'ZMPOP 2 nokey z MIN']

    def stats(srv):
        with srv.raw() as c:
            c.call('FLUSHALL')
            c.call('ZADD', 'z', '1', 'a')
            c.call('SET', 's', 'v')
            c.call('SADD', 'st', 'a')
            out = []
            for step in script:
                h0 = info_int(c, 'stats', 'keyspace_hits')
                m0 = info_int(c, 'stats', 'keyspace_misses')
                c.call(*step.split(' '))
                out.append((step, info_int(c, 'stats', 'keyspace_hits') - h0,
                            info_int(c, 'stats', 'keyspace_misses') - m0))
            return out

    assert stats(basalt_server) == stats(oracle_server)


def test_dirty_counter(basalt_server, oracle_server):
    """rdb_changes_since_last_save grows by one per member changed."""
    script = ['ZADD z 1 a 2 b 3 c 4 d', 'ZADD z 1 a 5 b 6 c', 'ZADD z CH 1 a 5 b 7 c',
              'ZADD z 1 a', 'ZINCRBY z 1 a', 'ZINCRBY z 0 a', 'ZREM z a b nope',
              'ZREMRANGEBYRANK z 0 0', 'ZADD z 1 a 2 b 3 c 4 d', 'ZREMRANGEBYSCORE z 1 2',
              'ZREMRANGEBYLEX z - +', 'ZADD z 1 a 2 b 3 c 4 d', 'ZPOPMIN z', 'ZPOPMAX z 2',
              'ZPOPMIN z 0', 'ZADD z 1 a 2 b 3 c 4 d', 'ZMPOP 1 z MIN COUNT 3',
              'ZADD z 1 a 2 b 3 c 4 d', 'ZRANGESTORE d z 0 -1', 'ZRANGESTORE d nokey 0 1',
              'ZRANGESTORE d nokey 0 1', 'ZUNIONSTORE d 1 z', 'ZINTERSTORE d 1 z',
              'ZDIFFSTORE d 1 z', 'ZDIFFSTORE d 2 z z', 'ZDIFFSTORE d 2 z z', 'ZREM z a b c d']

    def deltas(srv):
        with srv.raw() as c:
            c.call('FLUSHALL')
            out = []
            for step in script:
                before = info_int(c, 'persistence', 'rdb_changes_since_last_save')
                c.call(*step.split(' '))
                out.append((step, info_int(c, 'persistence', 'rdb_changes_since_last_save')
                            - before))
            return out

    assert deltas(basalt_server) == deltas(oracle_server)


def _resp_len(*args):
    out = b'*%d\r\n' % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b'$%d\r\n%s\r\n' % (len(a), a)
    return len(out)


@pytest.mark.basalt_only('checks the write log through master_repl_offset')
def test_propagation(basalt_server):
    """What reaches the write log, measured by the offset it adds: writes
    as sent, ZMPOP as ZPOPMIN/ZPOPMAX key <popped>, nothing for no-ops."""
    cases = [
        (['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'], 'same'),
        (['ZADD', 'z', 'NX', '1', 'a'], None),
        (['ZADD', 'z', 'GT', 'INCR', '-1', 'a'], None),
        (['ZINCRBY', 'z', '0', 'a'], None),
        (['ZINCRBY', 'z', '2', 'b'], 'same'),
        (['ZPOPMIN', 'z'], 'same'),
        (['ZPOPMAX', 'z', '1'], 'same'),
        (['ZPOPMIN', 'z', '0'], None),
        (['ZPOPMIN', 'nokey'], None),
        (['ZADD', 'z', '1', 'a', '4', 'd'], 'same'),
        (['ZMPOP', '2', 'nokey', 'z', 'MAX', 'COUNT', '10'], ['ZPOPMAX', 'z', '4']),
        (['ZMPOP', '1', 'z', 'MIN'], None),
        (['ZADD', 'z', '1', 'a', '2', 'b'], 'same'),
        (['ZRANGESTORE', 'd', 'z', '0', '0'], 'same'),
        (['ZRANGESTORE', 'd', 'nokey', '0', '0'], 'same'),
        (['ZRANGESTORE', 'd', 'nokey', '0', '0'], None),
        (['ZUNIONSTORE', 'd', '1', 'z'], 'same'),
        (['ZINTERSTORE', 'd', '2', 'z', 'nokey'], 'same'),
        (['ZINTERSTORE', 'd', '2', 'z', 'nokey'], None),
        (['ZREMRANGEBYRANK', 'z', '5', '9'], None),
        (['ZREMRANGEBYSCORE', 'z', '2', '2'], 'same'),
        (['ZREM', 'z', 'nope'], None),
        (['ZREM', 'z', 'a', 'nope'], 'same'),
        (['ZUNION', '1', 'z'], None),
    ]
    with basalt_server.raw() as c:
        c.call('FLUSHALL')
        c.call('SET', 'warm', 'up')  # the SELECT for db 0 goes in before the cases
        for cmd, expect in cases:
            before = info_int(c, 'replication', 'master_repl_offset')
            c.call(*cmd)
            delta = info_int(c, 'replication', 'master_repl_offset') - before
            want = 0 if expect is None else _resp_len(*(cmd if expect == 'same' else expect))
            assert delta == want, (cmd, delta, want)


def test_zrange_limit_minus_one_by_rank(differ):
    """Found by test_diff_grammar: LIMIT <offset> -1 means no limit, so a
    rank range accepts it (and ignores the offset)."""
    differ([
        'ZADD z 1 a 2 b 3 c',
        'ZRANGE z 0 -1 LIMIT 1 -1',
        'ZRANGE z 0 -1 REV LIMIT 5 -1',
        'ZRANGE z 0 -1 LIMIT 0 -2',
        'ZRANGE z 1 + REV LIMIT 10 -1',
        'ZRANGESTORE d z 0 -1 LIMIT 1 -1',
        'ZRANGE d 0 -1',
        'HSET h a 1',
        'ZRANGE h 0 10 LIMIT 2 -1',
        'ZRANGE h 0 10 LIMIT 2 3',
    ])


def test_lex_range_outside_first_and_last(differ):
    """Found by test_diff_grammar: with different scores the members are not
    in lexicographic order; Redis treats a range as empty unless the last
    member is above min and the first below max."""
    differ([
        'ZADD z 1 a 2 b 2 c 10 1',
        'ZLEXCOUNT z [b +',
        'ZRANGEBYLEX z [b +',
        'ZREVRANGEBYLEX z + [b',
        'ZRANGE z [b + BYLEX',
        'ZRANGE z - (a BYLEX',
        'ZLEXCOUNT z - [0',
        'ZREMRANGEBYLEX z [b +',
        'ZCARD z',
        'ZADD y 1 b 2 a',
        'ZRANGEBYLEX y - [a',
        'ZRANGEBYLEX y [b +',
        'ZREMRANGEBYLEX y - [a',
        'ZRANGE y 0 -1',
    ])
