"""Differential tests of the command metadata against redis-server.

COMMAND INFO: for every command and subcommand both servers have, the key
specifications (element 9: notes, flags, begin_search, find_keys) must be
byte-identical to redis-server's, in RESP2 and RESP3. The other elements
(arity, flags, first/last/step, ACL categories, tips, subcommand names) are
compared too; the differences Basalt knows about are listed in
KNOWN_DIFFERENCES, and each must still be a real difference (so the list
shrinks as they are fixed).

COMMAND GETKEYS and COMMAND GETKEYSANDFLAGS: a corpus of invocations of every
keyed command (and the error cases), in RESP2 and RESP3. Groups whose
commands Basalt does not implement yet are skipped (needs_commands) and run
as soon as they exist. A seeded random mix of argument lists (keys, numkeys
values, the keywords key searches look for) covers every command both
servers have.
"""

import random

import pytest

from diff import _elements
from resp_client import RawClient
from servers import target_is_basalt

# (command or subcommand, element) pairs where Basalt's COMMAND INFO differs
# from redis-server 7.0.15's, known and reported; element is one of ELEMENTS.
# Subcommands: Basalt may lack some (COMMAND LIST tells), never add one.
KNOWN_DIFFERENCES = set()

ELEMENTS = ['name', 'arity', 'flags', 'first_key', 'last_key', 'step', 'acl', 'tips',
            'key_specs', 'subcommands']


def _connect(srv, resp):
    c = RawClient(srv.port, timeout=30)
    if resp == 3:
        assert c.command('HELLO', '3').startswith(b'%')
    return c


def _names(srv):
    with _connect(srv, 2) as c:
        return {n.decode() if isinstance(n, bytes) else n for n in c.call('COMMAND', 'LIST')}


def _info_elements(conn, name):
    """COMMAND INFO name, split into its ten raw elements (None if unknown)."""
    raw = conn.command('COMMAND', 'INFO', name)
    _, outer = _elements(raw)
    assert outer is not None and len(outer) == 1, raw[:200]
    if outer[0] in (b'$-1\r\n', b'*-1\r\n', b'_\r\n'):
        return None
    _, items = _elements(outer[0])
    assert items is not None and len(items) == 10, outer[0][:200]
    return items


def _subcommand_names(raw):
    """The names of the subcommands in a raw 'subcommands' element."""
    _, subs = _elements(raw)
    return sorted(_elements(s)[1][0] for s in subs)


@pytest.fixture(scope='module')
def common_names(basalt_server, oracle_server):
    names = sorted(_names(basalt_server) & _names(oracle_server))
    assert len(names) > 100
    return names


@pytest.mark.parametrize('resp', [2, 3])
def test_command_info_key_specs_identical(basalt_server, oracle_server, common_names, resp):
    mismatches = []
    with _connect(basalt_server, resp) as cb, _connect(oracle_server, resp) as co:
        for name in common_names:
            eb, eo = _info_elements(cb, name), _info_elements(co, name)
            assert eb is not None and eo is not None, name
            if eb[8] != eo[8]:
                mismatches.append('%s:\n  basalt: %r\n  oracle: %r' % (name, eb[8], eo[8]))
    assert not mismatches, '%d commands differ:\n%s' % (len(mismatches), '\n'.join(mismatches))


@pytest.mark.parametrize('resp', [2, 3])
def test_command_info_other_elements(basalt_server, oracle_server, common_names, resp):
    found = {}
    with _connect(basalt_server, resp) as cb, _connect(oracle_server, resp) as co:
        for name in common_names:
            eb, eo = _info_elements(cb, name), _info_elements(co, name)
            for i, what in enumerate(ELEMENTS):
                if what == 'key_specs':
                    continue
                if what == 'subcommands':
                    # Subcommands Basalt lacks are missing commands, not
                    # metadata differences; one Redis lacks is a difference.
                    a, b = _subcommand_names(eb[i]), _subcommand_names(eo[i])
                    a = sorted(set(a) - set(b))
                    b = []
                else:
                    a, b = eb[i], eo[i]
                if a != b:
                    found[(name, what)] = (a, b)
    new = {k: v for k, v in found.items() if k not in KNOWN_DIFFERENCES}
    assert not new, 'COMMAND INFO differences not in KNOWN_DIFFERENCES:\n' + '\n'.join(
        '%s %s: basalt %r oracle %r' % (k[0], k[1], v[0], v[1]) for k, v in sorted(new.items()))
    if target_is_basalt():
        gone = sorted(set(KNOWN_DIFFERENCES) - set(found))
        assert not gone, 'fixed, remove from KNOWN_DIFFERENCES: %r' % gone


E = b''  # an empty argument

# (commands the group needs, invocations); each invocation is run as
# COMMAND GETKEYS ... and COMMAND GETKEYSANDFLAGS ...
CORPUS = {
    'errors': ((), [
        [], ['nosuchcommand', 'a'], ['get'], ['get', 'a', 'b'], ['ping'], ['PING', 'x'],
        ['object'], ['object', 'nosuch', 'k'], ['object', 'help'], ['config', 'get', 'x'],
        ['publish', 'ch', 'm'], ['scan', '0'], ['multi'], ['client', 'list'],
    ]),
    'strings': (('set', 'get', 'mset', 'getex', 'lcs'), [
        ['set', 'k', 'v'], ['SET', 'k', 'v', 'GET'], ['set', 'k', 'v', 'EX', '10', 'get'],
        ['set', 'k', 'v', 'gets'], ['set', 'k', 'get', 'v'], ['get', 'k'], ['getex', 'k'],
        ['getdel', 'k'], ['append', 'k', 'v'], ['incrby', 'k', '1'], ['setrange', 'k', '0', 'v'],
        ['mset', 'a', '1', 'b', '2'], ['mset', 'a', '1', 'b'], ['msetnx', 'a', '1', 'b', '2'],
        ['mget', 'a', 'b', 'c'], ['lcs', 'a', 'b', 'LEN'], ['strlen', E], ['psetex', 'k', '1', 'v'],
    ]),
    'bitops': (('bitop', 'bitfield', 'bitfield_ro'), [
        ['bitop', 'AND', 'd', 'a', 'b'], ['bitop', 'NOT', 'd', 'a'],
        ['bitfield', 'k', 'GET', 'u8', '0'], ['bitfield', 'k', 'SET', 'u8', '0', '1'],
        ['bitfield', 'k', 'INCRBY', 'u8', '0', '1'], ['bitfield', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
        ['bitfield', 'k', 'GET', 'u8'], ['bitfield', 'k'], ['bitfield', 'k', 'get', 'u8', '0', 'set'],
        ['bitfield_ro', 'k', 'GET', 'u8', '0'], ['bitcount', 'k'], ['setbit', 'k', '1', '1'],
        ['bitpos', 'k', '1'],
    ]),
    'keys': (('del', 'copy', 'object', 'memory', 'touch', 'rename', 'restore'), [
        ['del', 'a', 'b', 'c'], ['unlink', 'a'], ['exists', 'a', 'a'], ['touch', 'a', 'b'],
        ['rename', 'a', 'b'], ['renamenx', 'a', 'b'], ['copy', 'a', 'b', 'DB', '1'],
        ['move', 'a', '1'], ['expire', 'a', '1'], ['ttl', 'a'], ['type', 'a'], ['dump', 'a'],
        ['restore', 'a', '0', 'x'], ['object', 'encoding', 'k'], ['OBJECT', 'FREQ', 'k'],
        ['object', 'idletime', 'k'], ['object', 'refcount', 'k'], ['memory', 'usage', 'k'],
        ['MEMORY', 'usage', 'k', 'SAMPLES', '5'], ['watch', 'a', 'b'], ['persist', 'a'],
    ]),
    'migrate': (('migrate',), [
        ['migrate', 'h', '1', 'k', '0', '100'],
        ['migrate', 'h', '1', E, '0', '100', 'KEYS', 'a', 'b'],
        ['migrate', 'h', '1', E, '0', '100', 'COPY', 'REPLACE', 'keys', 'a'],
        ['migrate', 'h', '1', E, '0', '100', 'AUTH', 'pw', 'KEYS', 'a', 'b'],
        ['migrate', 'h', '1', E, '0', '100', 'AUTH2', 'u', 'pw', 'KEYS', 'a'],
        ['migrate', 'h', '1', 'k', '0', '100', 'KEYS', 'a'],
        ['migrate', 'h', '1', 'k', '0', '100', 'COPY'],
        ['migrate', 'h', '1', E, '0', '100', 'KEYS'],
        ['migrate', 'h', '1', E, '0', '100', 'AUTH', 'keys', 'keys', 'a'],
    ]),
    'lists': (('lpush', 'lmove', 'blmove', 'lmpop', 'blmpop'), [
        ['lpush', 'l', 'a'], ['rpoplpush', 'a', 'b'], ['lmove', 'a', 'b', 'LEFT', 'RIGHT'],
        ['blpop', 'a', 'b', '0'], ['brpop', 'a', '0'], ['brpoplpush', 'a', 'b', '0'],
        ['blmove', 'a', 'b', 'left', 'left', '0'], ['lmpop', '2', 'a', 'b', 'LEFT'],
        ['lmpop', '1', 'a', 'LEFT', 'COUNT', '2'], ['lmpop', '0', 'a', 'LEFT'],
        ['lmpop', '3', 'a', 'b', 'LEFT'], ['lmpop', 'x', 'a', 'LEFT'], ['lmpop', '-1', 'a', 'LEFT'],
        ['blmpop', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '2'], ['blmpop', '0', '5', 'a', 'b', 'LEFT'],
        ['lrange', 'l', '0', '-1'], ['linsert', 'l', 'BEFORE', 'a', 'b'],
    ]),
    'sets': (('sadd', 'sintercard', 'smove', 'sinterstore'), [
        ['sadd', 's', 'm'], ['sinter', 'a', 'b'], ['sinterstore', 'd', 'a', 'b'],
        ['sunionstore', 'd', 'a'], ['sdiff', 'a', 'b'], ['smove', 'a', 'b', 'm'],
        ['sintercard', '2', 'a', 'b'], ['sintercard', '2', 'a', 'b', 'LIMIT', '1'],
        ['sintercard', '3', 'a', 'b'], ['sintercard', '0', 'a'], ['sintercard', '1x', 'a'],
        ['smismember', 's', 'a', 'b'],
    ]),
    'zsets': (('zadd', 'zunionstore', 'zinter', 'zintercard', 'zmpop', 'bzmpop', 'zrangestore'), [
        ['zadd', 'z', '1', 'a'], ['zunionstore', 'd', '2', 'a', 'b'],
        ['zunionstore', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'], ['zunionstore', 'd', '3', 'a', 'b'],
        ['zinterstore', 'd', '0', 'a'], ['zdiffstore', 'd', '2abc', 'a', 'b'],
        ['zdiffstore', 'd', '1', 'a'], ['zunion', '2', 'a', 'b', 'WITHSCORES'],
        ['zinter', '1', 'a'], ['zdiff', '2', 'a', 'b'], ['zdiff', '3', 'a', 'b'],
        ['zintercard', '2', 'a', 'b', 'LIMIT', '1'], ['zintercard', 'x', 'a'],
        ['zmpop', '1', 'a', 'MIN'], ['zmpop', '2', 'a', 'b', 'MAX', 'COUNT', '3'],
        ['bzmpop', '0', '2', 'a', 'b', 'MAX'], ['bzpopmin', 'a', 'b', '0'],
        ['zrangestore', 'd', 's', '0', '-1'], ['zrange', 'z', '0', '-1'], ['zscore', 'z', 'm'],
    ]),
    'hashes': (('hset',), [
        ['hset', 'h', 'f', 'v'], ['hgetall', 'h'], ['hincrby', 'h', 'f', '1'], ['hmget', 'h', 'a'],
    ]),
    'hll': (('pfadd', 'pfmerge'), [
        ['pfadd', 'k', 'a'], ['pfcount', 'a', 'b'], ['pfmerge', 'd', 'a', 'b'],
    ]),
    'sort': (('sort', 'sort_ro'), [
        ['sort', 'k'], ['sort', 'k', 'STORE', 'd'], ['sort', 'k', 'BY', 'w', 'GET', 'g', 'STORE', 'd'],
        ['sort', 'k', 'LIMIT', '0', '1', 'store', 'd'], ['sort', 'k', 'STORE', 'a', 'STORE', 'b'],
        ['sort', 'k', 'GET', 'store', 'STORE', 'd'], ['sort', 'k', 'STORE'],
        ['sort', 'k', 'LIMIT', 'store', 'x', 'd'], ['sort', 'k', 'by', 'store', 'alpha'],
        ['sort_ro', 'k'], ['sort_ro', 'k', 'BY', 'w', 'GET', '#'],
    ]),
    'scripting': (('eval', 'evalsha', 'eval_ro', 'evalsha_ro'), [
        ['eval', 'return 1', '0'], ['eval', 'return 1', '2', 'a', 'b'],
        ['eval', 'return 1', '2', 'a', 'b', 'c', 'd'], ['EVAL', 'return 1', '3', 'a', 'b'],
        ['eval', 'return 1', '-1'], ['eval', 'return 1', 'x'], ['eval', 'return 1', '1x', 'a'],
        ['evalsha', 'a' * 40, '1', 'a'], ['eval_ro', 'return 1', '1', 'a'],
        ['evalsha_ro', 'a' * 40, '2', 'a', 'b'],
    ]),
    'functions': (('fcall', 'fcall_ro'), [
        ['fcall', 'f', '1', 'a'], ['fcall', 'f', '0'], ['fcall_ro', 'f', '2', 'a', 'b', 'c'],
        ['fcall', 'f', '2', 'a'], ['function', 'list'],
    ]),
    'pubsub': (('spublish', 'ssubscribe'), [
        ['spublish', 'ch', 'm'], ['ssubscribe', 'a', 'b'], ['sunsubscribe', 'a'],
        ['subscribe', 'a'],
    ]),
    'streams': (('xadd', 'xread', 'xreadgroup', 'xgroup', 'xinfo', 'xautoclaim'), [
        ['xadd', 's', '*', 'f', 'v'], ['xrange', 's', '-', '+'], ['xlen', 's'],
        ['xread', 'STREAMS', 'a', 'b', '0', '0'], ['xread', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 'a', '0'],
        ['xread', 'STREAMS', 'a', 'b', '0'], ['xread', 'streams', 'streams', 'streams', '0', '0'],
        ['xread', 'COUNT', 'streams', 'STREAMS', 'a', '0'], ['xread', 'STREAMS'],
        ['xreadgroup', 'GROUP', 'g', 'c', 'STREAMS', 'a', '>'],
        ['xreadgroup', 'GROUP', 'g', 'c', 'COUNT', '1', 'NOACK', 'STREAMS', 'a', 'b', '>', '>'],
        ['xreadgroup', 'GROUP', 'streams', 'streams', 'STREAMS', 'a', '>'],
        ['xgroup', 'create', 's', 'g', '$'], ['xinfo', 'stream', 's'], ['xack', 's', 'g', '1-1'],
        ['xautoclaim', 's', 'g', 'c', '0', '0'], ['xtrim', 's', 'MAXLEN', '1'],
    ]),
    'geo': (('geoadd', 'georadius', 'georadiusbymember', 'geosearchstore', 'georadius_ro'), [
        ['geoadd', 'g', '0', '0', 'm'], ['georadius', 'g', '0', '0', '1', 'km'],
        ['georadius', 'g', '0', '0', '1', 'km', 'STORE', 'd'],
        ['georadius', 'g', '0', '0', '1', 'km', 'storedist', 'd'],
        ['georadius', 'g', '0', '0', '1', 'km', 'STORE', 'd1', 'STOREDIST', 'd2'],
        ['georadius', 'g', '0', '0', '1', 'km', 'STORE'],
        ['georadius', 'g', '0', '0', '1', 'km', 'COUNT', '1', 'store', 'd'],
        ['georadiusbymember', 'g', 'm', '1', 'km', 'STORE', 'd'],
        ['georadiusbymember', 'g', 'm', '1', 'km'], ['georadius_ro', 'g', '0', '0', '1', 'km'],
        ['geosearchstore', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
        ['geopos', 'g', 'm'], ['geodist', 'g', 'a', 'b'],
    ]),
}


@pytest.mark.parametrize('group', [
    pytest.param(g, marks=pytest.mark.needs_commands(*need)) if need else g
    for g, (need, _) in CORPUS.items()])
def test_getkeys(differ, group):
    script = []
    for args in CORPUS[group][1]:
        script.append(['COMMAND', 'GETKEYS'] + list(args))
        script.append(['COMMAND', 'GETKEYSANDFLAGS'] + list(args))
    differ(script)


def test_getkeys_subcommand_errors(differ):
    differ([
        'COMMAND GETKEYS',
        'COMMAND GETKEYSANDFLAGS',
        'COMMAND GETKEYSANDFLAGS get',
        'COMMAND INFO command|getkeysandflags',
        'COMMAND INFO sort sort_ro set bitfield nosuch object|nosuch',
    ])


# Tokens the random invocations are drawn from: keys, numbers (valid and
# invalid numkeys), and the keywords the key searches look for.
RANDOM_TOKENS = ['k', 'a', 'b', '0', '1', '2', '3', '-1', 'x', 'STORE', 'GET', 'BY', 'LIMIT',
                 'STREAMS', 'KEYS', 'WEIGHTS', 'get', 'store', 'AUTH', 'COUNT', 'LEFT', '']


def test_getkeys_random(differ, common_names):
    """Seeded random argument lists for every command both servers have."""
    rnd = random.Random(7)
    script = []
    for name in common_names:
        for _ in range(15):
            args = name.split('|') + [rnd.choice(RANDOM_TOKENS) for _ in range(rnd.randint(0, 8))]
            script.append(['COMMAND', 'GETKEYS'] + args)
            script.append(['COMMAND', 'GETKEYSANDFLAGS'] + args)
    differ(script)
