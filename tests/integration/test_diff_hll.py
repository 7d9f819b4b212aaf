"""Differential tests of the HyperLogLog commands against redis-server.

An HLL is a string in Redis's own format, so beyond the replies the tests
compare the stored bytes (GET) after every kind of update: the sparse encoding,
the switch to dense past hll-sparse-max-bytes (3000), PFMERGE results, the
cached cardinality in the header. Redis-built values are SET into both servers
and must then behave identically; corrupt values must fail the same way.
"""

import random
import struct

import pytest

HEADER_SPARSE = b'HYLL\x01\x00\x00\x00'
INVALID_CACHE = b'\x00' * 7 + b'\x80'
DENSE_SIZE = 16 + 12288


def sparse(body, card=None):
    """A sparse HLL with the given opcode body; cache invalid unless card is given."""
    cache = INVALID_CACHE if card is None else struct.pack('<Q', card)
    return HEADER_SPARSE + cache + body


def elements(prefix, n, start=0):
    return ['%s:%d' % (prefix, i) for i in range(start, start + n)]


def test_pfadd_pfcount_basic(differ):
    differ([
        'PFADD h a b c',
        'GET h',
        'PFADD h a',
        'PFADD h a b c',
        'PFCOUNT h',
        'GET h',
        'PFCOUNT h',
        'PFADD h d',
        'GET h',
        'PFCOUNT h',
        'PFADD empty',
        'GET empty',
        'PFADD empty',
        'PFCOUNT empty',
        'GET empty',
        'PFCOUNT nokey',
        'EXISTS nokey',
        ['PFADD', 'bin', b'\x00\xff\r\n', b'', b'x' * 1000],
        ['GET', 'bin'],
        ['PFCOUNT', 'bin'],
        'OBJECT ENCODING h',
        'TYPE h',
        'STRLEN h',
        'PFADD',
        'PFCOUNT',
        'PFADD x y extra args are elements',
        'PFCOUNT x',
        'pfadd lower a',
        'PfCount lower',
    ])


def test_pfadd_sparse_to_dense_bytes(differ):
    """Grows one HLL past hll-sparse-max-bytes, comparing its bytes as it goes."""
    script = []
    rnd = random.Random(7)
    n = 0
    while n < 4000:
        k = rnd.choice([1, 2, 5, 20, 50])
        script.append(['PFADD', 'h'] + elements('e', k, n))
        n += k
        if rnd.random() < 0.3:
            script.append('GET h')
            script.append('PFDEBUG ENCODING h')
        if rnd.random() < 0.1:
            script.append('PFCOUNT h')
    script += ['GET h', 'PFCOUNT h', 'GET h', 'PFDEBUG ENCODING h', 'OBJECT ENCODING h']
    differ(script)


def test_pfadd_repeated_and_random_elements(differ):
    rnd = random.Random(11)
    script = []
    for key in ('small', 'mid', 'big'):
        space = {'small': 50, 'mid': 2000, 'big': 100000}[key]
        for _ in range(150):
            eles = ['r%d' % rnd.randint(0, space) for _ in range(rnd.randint(1, 8))]
            script.append(['PFADD', key] + eles)
            if rnd.random() < 0.15:
                script.append(['GET', key])
        script += [['PFCOUNT', key], ['GET', key]]
    script.append('PFCOUNT small mid big')
    differ(script)


def test_pfcount_cache_and_union(differ):
    differ([
        ['PFADD', 'a'] + elements('x', 300),
        ['PFADD', 'b'] + elements('x', 300, 150),
        'GET a',
        'PFCOUNT a b',
        # The union does not touch the caches.
        'GET a',
        'GET b',
        'PFCOUNT a',
        'GET a',
        'PFCOUNT a a',
        'PFCOUNT a nokey',
        'PFCOUNT nokey1 nokey2',
        'PFCOUNT nokey a b nokey',
        'PFADD a x:1',
        'GET a',
        'PFADD a newone',
        'GET a',
        'PFCOUNT a',
    ])


def test_pfcount_large_cardinalities(differ):
    script = []
    for i, n in enumerate([1, 10, 100, 1000, 5000, 20000]):
        key = 'k%d' % i
        for start in range(0, n, 1000):
            script.append(['PFADD', key] + elements('card', min(1000, n - start), start))
        script += [['PFCOUNT', key], ['GET', key]]
    script.append(['PFCOUNT'] + ['k%d' % i for i in range(6)])
    differ(script)


def test_pfmerge(differ):
    differ([
        ['PFADD', 's1'] + elements('m', 100),
        ['PFADD', 's2'] + elements('m', 100, 50),
        ['PFADD', 'd1'] + elements('m', 5000),
        'PFDEBUG ENCODING d1',
        # Sparse inputs only: the result stays sparse.
        'PFMERGE dst s1 s2',
        'GET dst',
        'PFDEBUG ENCODING dst',
        'PFCOUNT dst',
        'GET dst',
        # The destination is one of the inputs.
        'PFMERGE dst s1',
        'GET dst',
        # A dense input makes the result dense.
        'PFMERGE dst2 s1 d1',
        'GET dst2',
        'PFDEBUG ENCODING dst2',
        'PFCOUNT dst2',
        'PFMERGE s1 d1',
        'GET s1',
        # Destination only, missing sources, missing destination.
        'PFMERGE only',
        'GET only',
        'EXISTS only',
        'PFMERGE only nokey',
        'GET only',
        'PFMERGE fresh nokey1 nokey2',
        'GET fresh',
        'PFMERGE self self',
        'GET self',
        'PFMERGE s2 s2 s2',
        'GET s2',
        'PFMERGE',
        'PFCOUNT dst dst2 s1 s2',
    ])


def test_pfmerge_sparse_growth_to_dense(differ):
    """Sparse inputs whose union outgrows the sparse limit while being applied."""
    script = []
    for i in range(6):
        script.append(['PFADD', 'src%d' % i] + elements('g%d' % i, 400))
    script += [
        'PFMERGE dest src0 src1',
        'GET dest',
        'PFDEBUG ENCODING dest',
        'PFMERGE dest src2 src3 src4 src5',
        'GET dest',
        'PFDEBUG ENCODING dest',
        'PFCOUNT dest',
    ]
    differ(script)


def test_pfmerge_high_register_values(differ):
    # Values above 32 do not fit a sparse VAL opcode: merging one forces dense.
    regs = bytearray(12288)
    regs[0] = 40  # register 0 = 40 (low 6 bits of byte 0)
    dense = b'HYLL\x00\x00\x00\x00' + INVALID_CACHE + bytes(regs)
    differ([
        ['SET', 'd', dense],
        'PFCOUNT d',
        'GET d',
        'PFADD s a',
        'PFMERGE s d',
        'GET s',
        'PFDEBUG ENCODING s',
        'PFDEBUG GETREG s',
    ])


def test_wrong_types(differ):
    differ([
        'RPUSH list a',
        'SADD set a',
        'SET str hello',
        'SET num 12345',
        ['SET', 'short', b'HYLL'],
        ['SET', 'badmagic', b'HYLX\x01\x00\x00\x00' + INVALID_CACHE + b'\x7f\xff'],
        ['SET', 'badenc', b'HYLL\x02\x00\x00\x00' + INVALID_CACHE + b'\x7f\xff'],
        ['SET', 'shortdense', b'HYLL\x00\x00\x00\x00' + INVALID_CACHE + b'\x00' * 12287],
        ['SET', 'longdense', b'HYLL\x00\x00\x00\x00' + INVALID_CACHE + b'\x00' * 12289],
        'PFADD list x',
        'PFADD set x',
        'PFADD str x',
        'PFADD num x',
        'PFADD short x',
        'PFADD badmagic x',
        'PFADD badenc x',
        'PFADD shortdense x',
        'PFADD longdense x',
        'PFCOUNT list',
        'PFCOUNT str',
        'PFCOUNT num',
        'PFCOUNT short',
        'PFCOUNT list str',
        'PFCOUNT nokey str',
        'PFCOUNT str list',
        'PFMERGE list',
        'PFMERGE str',
        'PFMERGE ok list',
        'EXISTS ok',
        'PFMERGE ok str',
        'PFDEBUG ENCODING list',
        'PFDEBUG ENCODING str',
        'PFDEBUG GETREG badenc',
        'GET str',
        'OBJECT ENCODING str',
        'OBJECT ENCODING num',
        'LRANGE list 0 -1',
    ])


def test_corrupt_sparse_values(differ):
    too_few = sparse(b'\x7f\x00')            # XZERO 16129: registers missing
    too_many = sparse(b'\x7f\xff\x80')       # 16385 registers
    header_only = sparse(b'')
    truncated = sparse(b'\x7f')              # XZERO missing its second byte
    cached = sparse(b'\x7f\x00', card=42)    # corrupt, but the cache is valid
    odd_header = b'HYLL\x01\xaa\xbb\xcc' + INVALID_CACHE + b'\x7f\xff'
    differ([
        ['SET', 'few', too_few],
        ['SET', 'many', too_many],
        ['SET', 'hdr', header_only],
        ['SET', 'trunc', truncated],
        ['SET', 'cached', cached],
        ['SET', 'odd', odd_header],
        'PFCOUNT few',
        'PFCOUNT many',
        'PFCOUNT hdr',
        'PFCOUNT trunc',
        'PFCOUNT cached',
        'GET cached',
        'PFCOUNT cached few',
        'PFCOUNT few cached',
        'PFMERGE out few',
        'EXISTS out',
        'PFMERGE out many',
        'PFMERGE out cached',
        'PFDEBUG DECODE few',
        'PFDEBUG DECODE many',
        'PFDEBUG DECODE hdr',
        'PFDEBUG DECODE trunc',
        'PFDEBUG GETREG few',
        'PFDEBUG TODENSE many',
        'PFDEBUG TODENSE hdr',
        'PFDEBUG ENCODING few',
        # Registers inside the covered range update; the missing tail does not.
        'PFADD few a',
        'GET few',
        'PFADD few a b c d e f g h i j k l m n o p',
        'GET few',
        # Too many registers: the update finds its run, counting still fails.
        'PFADD many a',
        'GET many',
        'PFCOUNT many',
        'PFADD hdr a',
        'PFADD trunc a',
        'GET trunc',
        'PFADD cached a',
        'GET cached',
        'PFCOUNT cached',
        # Unused header bytes are kept, through updates and conversion.
        'PFADD odd a',
        'GET odd',
        'PFCOUNT odd',
        'PFDEBUG TODENSE odd',
        'GET odd',
        'PFCOUNT odd',
    ])


def test_dense_register_values_above_51(differ):
    regs = bytearray(12288)
    rnd = random.Random(3)
    for i in range(len(regs)):
        regs[i] = rnd.randrange(256)
    dense = b'HYLL\x00\x00\x00\x00' + INVALID_CACHE + bytes(regs)
    differ([
        ['SET', 'd', dense],
        'PFCOUNT d',
        'GET d',
        'PFADD d a b c',
        'PFCOUNT d',
        'PFMERGE m d',
        'PFCOUNT m',
        'GET m',
    ])


def test_redis_built_values(differ, oracle_server):
    """Values built by redis-server, loaded into both servers, then updated."""
    c = oracle_server.client(decode_responses=False)
    c.flushall()
    c.pfadd('sp', *elements('rb', 200))
    c.pfadd('sp2', *elements('rb2', 30))
    c.pfadd('de', *elements('rb', 6000))
    c.pfcount('sp2')  # with a valid cache
    built = {k: c.get(k) for k in ('sp', 'sp2', 'de')}
    c.close()
    assert built['de'][4] == 0 and built['sp'][4] == 1
    script = [['SET', k, v] for k, v in built.items()]
    script += [
        'OBJECT ENCODING sp2',
        'PFCOUNT sp2',
        'OBJECT ENCODING sp2',
        'PFCOUNT sp',
        'PFCOUNT de',
        'PFCOUNT sp de sp2',
        ['PFADD', 'sp'] + elements('more', 100),
        'GET sp',
        ['PFADD', 'de'] + elements('more', 100),
        'GET de',
        'PFMERGE sp2 sp',
        'GET sp2',
        'PFMERGE sp2 de',
        'GET sp2',
        'PFCOUNT sp2',
        'PFDEBUG GETREG sp',
        'PFDEBUG ENCODING sp',
        'GET sp',
    ]
    differ(script)


def test_object_encoding_and_ttl(differ):
    differ([
        'PFADD h a b',
        'OBJECT ENCODING h',
        'PFCOUNT h',
        'SET copy placeholder',
        'COPY h copy REPLACE',
        'OBJECT ENCODING copy',
        'PFCOUNT copy h',
        'OBJECT ENCODING copy',
        'PFCOUNT copy',
        'OBJECT ENCODING copy',
        'EXPIRE h 100',
        'PFADD h c',
        'TTL h',
        'PFCOUNT h',
        'TTL h',
        'PFMERGE h copy',
        'TTL h',
        'PFDEBUG TODENSE h',
        'TTL h',
        'GET h',
    ])


def test_pfdebug(differ):
    differ([
        'PFADD h a b c',
        'PFDEBUG ENCODING h',
        'PFDEBUG DECODE h',
        'pfdebug decode h',
        'PFDEBUG Encoding h',
        'PFDEBUG GETREG h',
        'PFDEBUG ENCODING h',
        'GET h',
        'PFDEBUG DECODE h',
        'PFDEBUG TODENSE h',
        'PFADD h2 a',
        'PFDEBUG TODENSE h2',
        'GET h2',
        'PFDEBUG GETREG h2',
        'PFDEBUG NOPE h',
        'PFDEBUG NOPE nokey',
        'PFDEBUG GETREG nokey',
        'PFDEBUG DECODE nokey',
        'PFDEBUG',
        'PFDEBUG GETREG',
        'PFDEBUG GETREG h extra',
        # Short zero runs (ZERO opcodes) decode as lower-case z.
        ['SET', 'z', sparse(b'\x00\x80\x7f\xfd')],
        'PFDEBUG DECODE z',
        'PFCOUNT z',
    ])


def test_pfselftest(differ):
    differ([
        'PFSELFTEST',
        'PFSELFTEST extra',
    ])


def test_command_keys(differ):
    differ([
        'COMMAND GETKEYS PFADD k a b',
        'COMMAND GETKEYS PFCOUNT a b c',
        'COMMAND GETKEYS PFMERGE d s1 s2',
        'COMMAND GETKEYS PFDEBUG GETREG k',
    ])


def test_command_info(basalt_server, oracle_server):
    names = ('pfadd', 'pfcount', 'pfmerge', 'pfdebug', 'pfselftest')
    with basalt_server.raw() as b, oracle_server.raw() as o:
        for name in names:
            eb = b.call('COMMAND', 'INFO', name)[0]
            eo = o.call('COMMAND', 'INFO', name)[0]
            assert eb is not None, name
            assert eb[:2] == eo[:2], name
            assert sorted(eb[2]) == sorted(eo[2]), (name, 'flags')
            assert eb[3:6] == eo[3:6], (name, 'keys')
            assert sorted(eb[6]) == sorted(eo[6]), (name, 'acl categories')


def _changes(client):
    return int(client.info('persistence')['rdb_changes_since_last_save'])


def _stats(client):
    s = client.info('stats')
    return s['keyspace_hits'], s['keyspace_misses']


@pytest.mark.parametrize('command', [
    ['PFADD', 'h', 'a', 'b', 'c', 'd'],     # created + 4 new elements: 5 changes
    ['PFADD', 'h', 'a', 'b'],               # nothing new: no change
    ['PFADD', 'h', 'a', 'zz', 'yy'],
    ['PFADD', 'new'],
    ['PFCOUNT', 'h'],                        # refreshes the cache: a change
    ['PFCOUNT', 'h'],                        # cache valid: none
    ['PFCOUNT', 'h', 'new'],
    ['PFMERGE', 'm', 'h', 'nokey'],
    ['PFMERGE', 'm'],
    ['PFDEBUG', 'ENCODING', 'm'],
    ['PFDEBUG', 'GETREG', 'm'],              # converts to dense: a change
    ['PFDEBUG', 'GETREG', 'm'],
    ['PFDEBUG', 'TODENSE', 'h'],
    ['PFCOUNT', 'nokey'],
])
def test_dirty_and_hit_counters(basalt_server, oracle_server, command):
    """Changes counted (what PFCOUNT/PFDEBUG propagate) and keyspace hits/misses."""
    results = []
    for srv in (basalt_server, oracle_server):
        c = srv.client()
        c.flushall()
        c.pfadd('h', 'a', 'b', 'c', 'd')
        c.pfadd('new')
        c.pfmerge('m', 'h')
        c.config_resetstat()
        setup = ({'PFADD h a b c d': ['DEL h']}).get(' '.join(command), [])
        for s in setup:
            c.execute_command(*s.split())
        before = _changes(c)
        c.execute_command(*command)
        results.append((_changes(c) - before, _stats(c)))
        c.close()
    assert results[0] == results[1]


def test_random_mixed_workload(differ):
    rnd = random.Random(2024)
    keys = ['k%d' % i for i in range(5)]
    script = []
    for _ in range(400):
        op = rnd.random()
        key = rnd.choice(keys)
        if op < 0.6:
            eles = ['w%d' % rnd.randint(0, rnd.choice([30, 3000, 10 ** 6]))
                    for _ in range(rnd.randint(1, 30))]
            script.append(['PFADD', key] + eles)
        elif op < 0.75:
            script.append(['PFCOUNT'] + rnd.sample(keys, rnd.randint(1, 3)))
        elif op < 0.85:
            script.append(['PFMERGE', key] + rnd.sample(keys, rnd.randint(0, 3)))
        else:
            script.append(['GET', key])
    script += [['GET', k] for k in keys]
    differ(script)
