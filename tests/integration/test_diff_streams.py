"""Differential tests of the stream commands against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical. Covers XADD (NOMKSTREAM, MAXLEN/MINID with = and
~, LIMIT, explicit, "ms-*" and edge IDs, errors), XRANGE/XREVRANGE (COUNT,
exclusive ranges), XLEN, XDEL, XTRIM, XREAD (COUNT, $, several streams),
XGROUP (CREATE MKSTREAM ENTRIESREAD, SETID, DESTROY, CREATECONSUMER,
DELCONSUMER, HELP), XREADGROUP (">" and history, NOACK, COUNT), XACK,
XPENDING (summary, extended, IDLE, consumer), XCLAIM (options), XAUTOCLAIM
(COUNT, JUSTID, deleted IDs), XINFO STREAM [FULL] / GROUPS / CONSUMERS / HELP,
XSETID, TYPE / OBJECT ENCODING, and the generic key commands on streams.

Automatic IDs and times differ between servers, so scripts use explicit IDs;
replies holding idle times or delivery times are compared by shape only.
"""

from diff import skip_value

MAXID = '18446744073709551615-18446744073709551615'


def test_xadd_ids_and_errors(differ):
    differ([
        'XADD s 1-1 a 1',
        'XADD s 1-1 a 1',
        'XADD s 1-0 a 1',
        'XADD s 1-* b 2',
        'XADD s 2-* c 3',
        'XADD s 3 d 4',
        'XADD s 0-0 a 1',
        'XADD s2 0-0 a 1',
        'XADD s2 0 a 1',
        'XADD s2 0-* a 1',
        'XADD s x a 1',
        'XADD s 1-x a 1',
        'XADD s -1 a 1',
        'XADD s 18446744073709551616-0 a 1',
        'XADD s 1--1 a 1',
        'XADD s 5-1 a',
        'XADD s 5-1 a 1 b',
        'XADD s 5-1',
        'XADD s',
        'XADD s MAXLEN',
        'XADD s MAXLEN 5',
        'XADD s NOMKSTREAM',
        'XADD nokey NOMKSTREAM 1-1 a 1',
        'EXISTS nokey',
        'XADD s nomkstream 9-9 f v',
        'XADD s ' + MAXID + ' f v',
        'XADD s 10-* f v',
        'XADD s * f v',
        'XLEN s',
        'XSETID s2 ' + MAXID,
        'XADD s2 * f v',
        'XADD s2 18446744073709551615-* f v',
        'SET str x',
        'XADD str 1-1 a 1',
        'XLEN str',
        'TYPE s',
        'OBJECT ENCODING s',
        'XRANGE s - +',
    ])


def test_xadd_trimming(differ):
    script = ['CONFIG SET stream-node-max-entries 10']
    for i in range(1, 41):
        script.append('XADD s %d-0 f %d' % (i, i))
    script += [
        'XLEN s',
        'XADD s MAXLEN ~ 15 41-0 f v',
        'XLEN s',
        'XADD s MAXLEN = 15 42-0 f v',
        'XLEN s',
        'XADD s MAXLEN 10 43-0 f v',
        'XLEN s',
        'XADD s MINID 40 44-0 f v',
        'XRANGE s - +',
        'XADD s MINID ~ 43 45-0 f v',
        'XADD s MAXLEN ~ 0 LIMIT 1 46-0 f v',
        'XADD s MAXLEN 0 LIMIT 1 47-0 f v',
        'XADD s LIMIT 10 48-0 f v',
        'XADD s MAXLEN 1 MINID 1 49-0 f v',
        'XADD s MAXLEN -1 49-0 f v',
        'XADD s MAXLEN x 49-0 f v',
        'XADD s MAXLEN ~ x 49-0 f v',
        'XADD s MINID x 49-0 f v',
        'XADD s MAXLEN ~ 1 LIMIT -1 49-0 f v',
        'XADD s MAXLEN ~ 1 LIMIT x 49-0 f v',
        'XLEN s',
        'XTRIM s MAXLEN 2',
        'XRANGE s - +',
        'XTRIM s MINID 48',
        'XTRIM s MAXLEN ~ 0',
        'XTRIM s',
        'XTRIM s FOO 1',
        'XTRIM s MAXLEN 1 FOO',
        'XTRIM s LIMIT 1',
        'XTRIM s MAXLEN 1 LIMIT 5',
        'XTRIM nokey MAXLEN 1',
        'XTRIM s MAXLEN 0',
        'XLEN s',
        'EXISTS s',
        'CONFIG SET stream-node-max-entries 100',
    ]
    differ(script)


def test_xrange_xrevrange(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD s 1-1 b 2 c 3',
        'XADD s 2-0 d 4',
        'XADD s 3-5 e 5',
        'XRANGE s - +',
        'XRANGE s 1 1',
        'XRANGE s 1-1 +',
        'XRANGE s (1-0 (3-5',
        'XRANGE s - + COUNT 2',
        'XRANGE s - + COUNT 0',
        'XRANGE s - + COUNT -1',
        'XRANGE s - + COUNT x',
        'XRANGE s - + FOO 1',
        'XRANGE s - + COUNT',
        'XRANGE s x +',
        'XRANGE s - x',
        'XRANGE s (- +',
        'XRANGE s ( +',
        'XRANGE s (' + MAXID + ' +',
        'XRANGE s - (0-0',
        'XRANGE s 5 1',
        'XREVRANGE s + -',
        'XREVRANGE s + - COUNT 1',
        'XREVRANGE s (3-5 (1-0',
        'XREVRANGE s 2 1',
        'XRANGE nokey - +',
        'XREVRANGE nokey + -',
        'XRANGE s',
        'SET str x',
        'XRANGE str - +',
    ])


def test_xdel_xlen(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD s 2-0 b 2',
        'XADD s 3-0 c 3',
        'XDEL s 2-0 9-9',
        'XDEL s 2-0',
        'XDEL s x',
        'XDEL s 1-0 x',
        'XLEN s',
        'XRANGE s - +',
        'XDEL s 1-0 3-0',
        'XLEN s',
        'EXISTS s',
        'XDEL nokey 1-0',
        'XLEN nokey',
        'XINFO STREAM s',
    ])


def test_xread(differ):
    differ([
        'XADD a 1-0 f 1',
        'XADD a 2-0 f 2',
        'XADD b 5-0 g 1',
        'XREAD STREAMS a 0',
        'XREAD COUNT 1 STREAMS a b 0 0',
        'XREAD STREAMS a b 1-0 5-0',
        'XREAD STREAMS a b $ $',
        'XREAD STREAMS a nokey 0 0',
        'XREAD COUNT 0 STREAMS a 0',
        'XREAD COUNT -5 STREAMS a 0',
        'XREAD STREAMS a',
        'XREAD STREAMS a b 0',
        'XREAD COUNT x STREAMS a 0',
        'XREAD BLOCK x STREAMS a 0',
        'XREAD BLOCK -1 STREAMS a 0',
        'XREAD FOO STREAMS a 0',
        'XREAD STREAMS a >',
        'XREAD STREAMS a x',
        'XREAD GROUP g c STREAMS a 0',
        'XREAD NOACK STREAMS a 0',
        'XREAD COUNT 1',
        'XREAD BLOCK 10 STREAMS a $',
        'XREAD STREAMS a ' + MAXID,
        'SET str x',
        'XREAD STREAMS str 0',
        'XREAD STREAMS a str 0 0',
    ])


def test_xgroup(differ):
    differ([
        'XGROUP CREATE s g $',
        'XGROUP CREATE s g $ MKSTREAM',
        'XGROUP CREATE s g $ MKSTREAM',
        'XADD s 1-0 f v',
        'XADD s 2-0 f v',
        'XGROUP CREATE s g2 0',
        'XGROUP CREATE s g3 1-0 ENTRIESREAD 1',
        'XGROUP CREATE s g4 0 ENTRIESREAD -1',
        'XGROUP CREATE s g5 0 ENTRIESREAD -2',
        'XGROUP CREATE s g5 0 ENTRIESREAD x',
        'XGROUP CREATE s g5 x',
        'XGROUP CREATE s g5 - ',
        'XGROUP CREATE s g5 0 FOO',
        'XGROUP CREATE s g5 0 MKSTREAM ENTRIESREAD 3 MKSTREAM',
        'XGROUP CREATE s g6 0 MKSTREAM ENTRIESREAD 3 FOO',
        'XINFO GROUPS s',
        'XGROUP SETID s g 1-0',
        'XGROUP SETID s g $ ENTRIESREAD 2',
        'XGROUP SETID s g - ENTRIESREAD 0',
        'XGROUP SETID s g 1 ENTRIESREAD',
        'XGROUP SETID s g 1 FOO 1',
        'XGROUP SETID s g x',
        'XGROUP SETID s nog 0',
        'XGROUP SETID nokey g 0',
        'XINFO GROUPS s',
        'XGROUP CREATECONSUMER s g c1',
        'XGROUP CREATECONSUMER s g c1',
        'XGROUP CREATECONSUMER s nog c1',
        'XGROUP CREATECONSUMER nokey g c1',
        'XGROUP DELCONSUMER s g c1',
        'XGROUP DELCONSUMER s g c1',
        'XGROUP DELCONSUMER s nog c1',
        'XGROUP DESTROY s g',
        'XGROUP DESTROY s g',
        'XGROUP DESTROY nokey g',
        'XGROUP HELP',
        'XGROUP',
        'XGROUP FOO',
        'XGROUP CREATE s',
        'XGROUP DESTROY s g x',
        'SET str x',
        'XGROUP CREATE str g 0',
        'XINFO GROUPS s',
    ])


def test_xreadgroup_and_xack(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD s 2-0 b 2',
        'XADD s 3-0 c 3',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g c1 COUNT 1 STREAMS s >',
        'XREADGROUP GROUP g c2 STREAMS s >',
        'XREADGROUP GROUP g c2 STREAMS s >',
        'XREADGROUP GROUP g c1 STREAMS s 0',
        'XREADGROUP GROUP g c2 COUNT 1 STREAMS s 0',
        'XREADGROUP GROUP g c2 STREAMS s 2-0',
        'XREADGROUP GROUP g c3 STREAMS s 0',
        'XINFO GROUPS s',
        'XACK s g 1-0 2-0 9-0',
        'XACK s g 1-0',
        'XACK s g x',
        'XACK s nog 1-0',
        'XACK nokey g x',
        'XDEL s 3-0',
        'XREADGROUP GROUP g c2 STREAMS s 0',
        'XADD s 4-0 d 4',
        'XREADGROUP GROUP g c3 NOACK STREAMS s >',
        'XPENDING s g',
        'XINFO GROUPS s',
        'XREADGROUP GROUP g c1 STREAMS s $',
        'XREADGROUP GROUP g c1 STREAMS s',
        'XREADGROUP GROUP nog c1 STREAMS s >',
        'XREADGROUP GROUP g c1 STREAMS nokey >',
        'XREADGROUP STREAMS s >',
        'XREADGROUP GROUP g STREAMS s >',
        'XREADGROUP GROUP g c1 STREAMS s x',
        'XREADGROUP GROUP g c1 BLOCK 10 STREAMS s >',
        'XGROUP SETID s g 0',
        'XREADGROUP GROUP g c4 STREAMS s >',
        'XPENDING s g',
    ])


def test_xpending(differ):
    differ([
        'XPENDING nokey g',
        'XADD s 1-0 a 1',
        'XADD s 2-0 b 2',
        'XADD s 3-0 c 3',
        'XGROUP CREATE s g 0',
        'XPENDING s g',
        'XPENDING s nog',
        'XREADGROUP GROUP g alice COUNT 2 STREAMS s >',
        'XREADGROUP GROUP g bob STREAMS s >',
        'XPENDING s g',
        skip_value('XPENDING s g - + 10'),
        skip_value('XPENDING s g - + 10 bob'),
        'XPENDING s g - + 10 nobody',
        skip_value('XPENDING s g (1-0 + 1'),
        skip_value('XPENDING s g IDLE 0 - + 10'),
        'XPENDING s g IDLE 999999999 - + 10',
        'XPENDING s g - + 0',
        skip_value('XPENDING s g - + -3'),
        'XPENDING s g - +',
        'XPENDING s g IDLE 1 - +',
        'XPENDING s g IDLE x - + 1',
        'XPENDING s g - + x',
        'XPENDING s g x + 1',
        'XPENDING s g (' + MAXID + ' + 1',
        'XPENDING s g - (0-0 1',
        skip_value('XPENDING s g - + 1 bob extra'),
    ])


def test_xclaim(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD s 2-0 b 2',
        'XADD s 3-0 c 3',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g alice STREAMS s >',
        'XCLAIM s g bob 0 1-0',
        'XCLAIM s g bob 0 2-0 JUSTID',
        'XCLAIM s g bob 999999999 3-0',
        'XCLAIM s g bob 0 9-0',
        'XCLAIM s g bob 0 9-0 FORCE',
        'XCLAIM s g bob 0 3-0 RETRYCOUNT 5 IDLE 1000 JUSTID',
        'XPENDING s g',
        'XDEL s 2-0',
        'XCLAIM s g carol 0 2-0 1-0 JUSTID',
        'XPENDING s g',
        'XADD s 4-0 d 4',
        'XCLAIM s g carol 0 4-0 FORCE JUSTID',
        'XCLAIM s g carol 0 4-0 LASTID 10-0 JUSTID',
        'XINFO GROUPS s',
        'XCLAIM s g carol 0 4-0 TIME 1 JUSTID',
        # Idle times at the ends of the range (the subtraction from now wraps).
        'XCLAIM s g carol 0 4-0 IDLE -9223372036854775808 JUSTID',
        'XCLAIM s g carol 0 4-0 IDLE 9223372036854775807 JUSTID',
        'XCLAIM s g carol x 1-0',
        'XCLAIM s g carol 0 1-0 IDLE x',
        'XCLAIM s g carol 0 1-0 TIME x',
        'XCLAIM s g carol 0 1-0 RETRYCOUNT x',
        'XCLAIM s g carol 0 1-0 LASTID x',
        'XCLAIM s g carol 0 1-0 FOO',
        'XCLAIM s g carol 0 1-0 IDLE',
        'XCLAIM s nog carol 0 1-0',
        'XCLAIM nokey g carol 0 1-0',
        'XCLAIM s g carol 0',
        ['XCLAIM', 's', 'g', '', '0', '1-0', '4-0', 'FORCE', 'JUSTID'],
        ['XREADGROUP', 'GROUP', 'g', '', 'STREAMS', 's', '0'],
        'XPENDING s g',
        ['XACK', 's', 'g', '1-0'],
        'XPENDING s g',
        'XINFO CONSUMERS s nog',
    ])


def test_xautoclaim(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD s 2-0 b 2',
        'XADD s 3-0 c 3',
        'XADD s 4-0 d 4',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g alice STREAMS s >',
        'XAUTOCLAIM s g bob 0 0 COUNT 1',
        'XAUTOCLAIM s g bob 0 (1-0 COUNT 1 JUSTID',
        'XDEL s 3-0',
        'XAUTOCLAIM s g bob 0 0',
        'XAUTOCLAIM s g bob 999999999 0',
        'XAUTOCLAIM s g bob 0 - JUSTID',
        'XPENDING s g',
        'XAUTOCLAIM s g bob 0 0 COUNT 0',
        'XAUTOCLAIM s g bob 0 0 COUNT x',
        'XAUTOCLAIM s g bob x 0',
        'XAUTOCLAIM s g bob 0 x',
        'XAUTOCLAIM s g bob 0 (' + MAXID,
        'XAUTOCLAIM s g bob 0 0 FOO',
        'XAUTOCLAIM s nog bob 0 0',
        'XAUTOCLAIM nokey g bob 0 0',
    ])


def test_xinfo(differ):
    differ([
        'XINFO STREAM nokey',
        'XADD s 1-0 a 1',
        'XINFO STREAM s',
        'XADD s 2-0 b 2 c 3',
        'XADD s 3-0 a 4',
        'XDEL s 2-0',
        'XINFO STREAM s',
        'XGROUP CREATE s g 0',
        'XGROUP CREATE s g2 $',
        'XINFO STREAM s',
        'XINFO GROUPS s',
        'XREADGROUP GROUP g c COUNT 1 STREAMS s >',
        skip_value('XINFO STREAM s FULL'),
        skip_value('XINFO STREAM s FULL COUNT 1'),
        skip_value('XINFO STREAM s FULL COUNT 0'),
        skip_value('XINFO CONSUMERS s g'),
        'XINFO GROUPS s',
        'XINFO STREAM s FOO',
        'XINFO STREAM s FULL COUNT',
        'XINFO STREAM s FULL FOO 1',
        'XINFO STREAM s FULL COUNT x',
        'XINFO GROUPS nokey',
        'XINFO CONSUMERS nokey g',
        'XINFO CONSUMERS s nog',
        'XINFO HELP',
        'XINFO FOO',
        'XINFO',
        'XTRIM s MAXLEN 0',
        'XINFO STREAM s',
        'XINFO GROUPS s',
        'SET str x',
        'XINFO STREAM str',
    ])


def test_xinfo_many_nodes(differ):
    script = ['CONFIG SET stream-node-max-entries 3']
    for i in range(1, 30):
        script.append('XADD s %d-%d f v' % (i * 1000, i))
    script += ['XINFO STREAM s', 'XDEL s 1000-1 2000-2 3000-3', 'XINFO STREAM s',
               'XTRIM s MAXLEN ~ 10', 'XINFO STREAM s',
               'CONFIG SET stream-node-max-entries 100']
    differ(script)


def test_xsetid_and_lag(differ):
    differ([
        'XSETID nokey 1-0',
        'XADD s 1-0 a 1',
        'XADD s 2-0 a 1',
        'XSETID s 1-0',
        'XSETID s 2-0',
        'XSETID s 5-0 ENTRIESADDED 1',
        'XSETID s 5-0 ENTRIESADDED -1',
        'XSETID s 5-0 ENTRIESADDED 10 MAXDELETEDID 6-0',
        'XSETID s 5-0 ENTRIESADDED 10 MAXDELETEDID 4-0',
        'XSETID s 3-0 MAXDELETEDID x',
        'XSETID s 3-0 FOO 1',
        'XSETID s x',
        'XSETID s 4-0',
        'XINFO STREAM s',
        'XGROUP CREATE s g 0',
        'XGROUP CREATE s g1 1-0 ENTRIESREAD 1',
        'XINFO GROUPS s',
        'XADD s 6-0 a 1',
        'XREADGROUP GROUP g c STREAMS s >',
        'XINFO GROUPS s',
        'XDEL s 6-0',
        'XINFO GROUPS s',
        'XADD s 7-0 a 1',
        'XINFO GROUPS s',
    ])


def test_generic_key_commands(differ):
    differ([
        'XADD s 1-0 a 1',
        'XGROUP CREATE s g 0',
        'COPY s s2',
        'XRANGE s2 - +',
        'XINFO GROUPS s2',
        'RENAME s2 s3',
        'TYPE s3',
        'SET str x',
        'DEL s',
        'SCAN 0 TYPE stream',
        'EXPIRE s3 100',
        'TTL s3',
        'OBJECT ENCODING s3',
        'DEL s3',
        'EXISTS s3',
    ])


def test_resp3_shapes(differ):
    differ([
        'XADD s 1-0 a 1',
        'XADD t 1-0 b 2',
        'XREAD STREAMS s t 0 0',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g c STREAMS s >',
        'XINFO STREAM s',
        'XINFO GROUPS s',
    ], resp=3)


def test_many_fields_and_binary(differ):
    big = ['XADD', 'b', '1-0']
    for i in range(500):
        big += ['f%d' % i, b'\x00\r\n' * (i % 5)]
    differ([
        big,
        ['XRANGE', 'b', '-', '+'],
        ['XADD', 'b', '2-0', b'', b''],
        ['XADD', 'b', '3-0', 'x' * 5000, 'y' * 70000],
        ['XRANGE', 'b', '2', '+'],
        'XLEN b',
    ])


STREAM_COMMANDS = ['xadd', 'xrange', 'xrevrange', 'xlen', 'xdel', 'xtrim', 'xread',
                   'xreadgroup', 'xack', 'xpending', 'xclaim', 'xautoclaim', 'xsetid', 'xinfo',
                   'xgroup']


def test_command_info(raw_basalt, raw_oracle):
    b, o = raw_basalt(), raw_oracle()
    for name in STREAM_COMMANDS:
        eb = b.call('COMMAND', 'INFO', name)[0]
        eo = o.call('COMMAND', 'INFO', name)[0]
        assert eb is not None, 'Basalt lacks %s' % name
        # name, arity, flags, first/last/step, ACL categories, tips, key specs
        assert eb[:9] == eo[:9], name
        subs_b = sorted(s[:9] for s in eb[9]) if len(eb) > 9 else []
        subs_o = sorted(s[:9] for s in eo[9]) if len(eo) > 9 else []
        assert subs_b == subs_o, name
    for args in (['XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0'],
                 ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'a', '>'],
                 ['XINFO', 'STREAM', 'k'], ['XGROUP', 'CREATE', 'k', 'g', '$']):
        assert b.call('COMMAND', 'GETKEYS', *args) == o.call('COMMAND', 'GETKEYS', *args)


def test_node_limits_and_dump_bytes(differ):
    """Nodes close where Redis's close (stream-node-max-bytes counts listpack
    bytes), so XINFO's radix-tree-keys and the DUMP payload are identical."""
    script = ['CONFIG SET stream-node-max-bytes 300', 'CONFIG SET stream-node-max-entries 0']
    for i in range(1, 60):
        value = ('x' * (i * 7 % 90)) if i % 3 else str(i * 1000003 - 5000000)
        fields = 'f %s' % value if i % 4 else 'g %s other -12' % value
        script.append('XADD s %d-%d %s' % (i, i % 5, fields))
    script += ['XINFO STREAM s', 'XDEL s 3-3 10-0', 'XTRIM s MAXLEN ~ 40', 'XINFO STREAM s',
               'DUMP s',
               'CONFIG SET stream-node-max-bytes 4096', 'CONFIG SET stream-node-max-entries 7']
    for i in range(1, 30):
        script.append('XADD t %d-0 a %d b %s' % (i, i, 'y' * i))
    script += ['XINFO STREAM t', 'DUMP t', 'CONFIG SET stream-node-max-entries 100']
    differ(script)


def test_xreadgroup_unbalanced_error(differ):
    """Found by test_diff_grammar: Redis 7.0 answers XREAD's text for XREADGROUP."""
    differ([
        'XADD s 1-1 f v',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g c STREAMS s s >',
        'XREADGROUP GROUP g c COUNT 1 NOACK STREAMS s 0 0',
        'XREAD STREAMS s s 0',
    ])


def test_xgroup_checks_options_key_then_arity(differ):
    """Found by test_diff_grammar: XGROUP CREATE/SETID parse their options,
    then look at the key (and SETID's group), and only then count arguments."""
    differ([
        'XGROUP CREATE k1 g1 1-1 MKSTREAM MKSTREAM ENTRIESREAD 1.5',
        'XGROUP CREATE kq g 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM MKSTREAM',
        'EXISTS kq',
        'XGROUP CREATE kq g2 0 MKSTREAM ENTRIESREAD 1 ENTRIESREAD 2',
        'XGROUP CREATE kq g2 0 ENTRIESREAD 1 ENTRIESREAD 2',
        'XGROUP SETID kq g 0 ENTRIESREAD 1 ENTRIESREAD 2',
        'XGROUP SETID kq g 0 ENTRIESREAD 1 ENTRIESREAD',
        'XGROUP SETID kq g 0 MKSTREAM',
        'XADD s 1-1 f v',
        'XGROUP CREATE s g 0',
        'XGROUP CREATE s g 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM',
        'XGROUP SETID s nogroup 0 ENTRIESREAD 1 ENTRIESREAD 2',
        'XGROUP SETID s g 0 ENTRIESREAD 1 ENTRIESREAD 2',
        'XGROUP SETID s g 0 ENTRIESREAD x ENTRIESREAD 2',
        'SET str v',
        'XGROUP CREATE str g 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM',
        'XGROUP SETID str g 0 ENTRIESREAD 1 ENTRIESREAD 2',
    ])


def test_xsetid_below_current_max_deleted(differ):
    """Found by test_diff_grammar: Redis 7.0's XSETID checks the top item and a
    MAXDELETEDID argument, not the stream's current max_deleted_entry_id."""
    differ([
        'XADD s 1-1 a 1',
        'XADD s 2-1 a 1',
        'XDEL s 2-1',
        'XSETID s 0-1',
        'XSETID s 1-5',
        'XINFO STREAM s',
        'XSETID s 2-0',
        'XDEL s 1-1',
        'XSETID s 0-1',
        'XSETID s 2-0 MAXDELETEDID 3-0 ENTRIESADDED 5',
        'XSETID s 2-1 ENTRIESADDED 1',
        'XSETID s 1-1 MAXDELETEDID 0-0 ENTRIESADDED 5',
        'XINFO STREAM s',
    ])


def test_xreadgroup_same_key_twice(differ):
    """Found by test_diff_grammar: with a key named twice with '>', Redis
    serves the occurrences in turn and leaves out one that gets nothing."""
    differ([
        'XADD s 1-1 a 1',
        'XADD s 2-1 b 2',
        'XADD s 3-1 c 3',
        'XGROUP CREATE s g 0',
        'XREADGROUP GROUP g c STREAMS s s > >',
        'XADD s 4-1 d 4',
        'XADD s 5-1 e 5',
        'XADD s 6-1 f 6',
        'XREADGROUP GROUP g c COUNT 2 STREAMS s s > >',
        'XREADGROUP GROUP g c COUNT 1 STREAMS s s s > > >',
        'XREADGROUP GROUP g c STREAMS s s > 0',
        'XREADGROUP GROUP g c STREAMS s s 0 >',
        'XADD s 7-1 g 7',
        'XREADGROUP GROUP g c2 NOACK STREAMS s s > >',
        'XPENDING s g',
        'XREAD STREAMS s s 5-1 6-1',
    ])
