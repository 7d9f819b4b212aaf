"""DEBUG subcommands, MEMORY STATS/DOCTOR, LOLWUT and list-compress-depth,
against redis-server where the replies are deterministic.

DEBUG runs on a pair of servers started with `--enable-debug-command local`.
DEBUG POPULATE, PROTOCOL, ERROR, LOG, CHANGE-REPL-ID, SLEEP, SET-ACTIVE-EXPIRE,
LISTPACK, QUICKLIST, QUICKLIST-PACKED-THRESHOLD, SET-DISABLE-DENY-SCRIPTS and
their errors are compared byte for byte in RESP2 and RESP3. MEMORY STATS is
compared for its field names, order and types (the values are each server's
own), and checked for figures that add up; INFO memory has Redis's fields.
"""

import re

import pytest

import servers
from diff import Differ
from helpers import info_sections, wait_for

def test_debug_populate(debug_differ):
    debug_differ([
        'DEBUG POPULATE 3',
        'GET key:0', 'GET key:2', 'GET key:3', 'DBSIZE',
        'DEBUG POPULATE 2 p 12',
        'GET p:0', 'STRLEN p:1',
        'DEBUG POPULATE 2 q 3',
        'GET q:1',
        'SET key:5 mine',
        'DEBUG POPULATE 7',
        'GET key:5', 'GET key:6', 'DBSIZE',
        'DEBUG POPULATE 0',
        'DEBUG POPULATE -1',
        'DEBUG POPULATE abc',
        'DEBUG POPULATE 2 x -5',
        'DEBUG POPULATE 2 x abc',
        'DEBUG POPULATE',
        'DEBUG POPULATE 1 a 1 extra',
        'SELECT 2', 'DEBUG POPULATE 2 other', 'DBSIZE', 'SELECT 0', 'EXISTS other:0',
    ])


def test_debug_protocol(debug_differ):
    debug_differ(['DEBUG PROTOCOL %s' % t for t in (
        'string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib',
        'push', 'verbatim', 'true', 'false', 'STRING', 'nosuch')] + ['DEBUG PROTOCOL', 'PING'])


def test_debug_misc_replies(debug_differ):
    debug_differ([
        'DEBUG CHANGE-REPL-ID',
        'DEBUG CHANGE-REPL-ID x',
        'DEBUG LOG hello-from-test',
        'DEBUG LOG',
        'DEBUG ERROR my-error',
        'DEBUG ERROR',
        'DEBUG SLEEP 0',
        'DEBUG SLEEP 0.01',
        'DEBUG SLEEP abc',
        'DEBUG SET-ACTIVE-EXPIRE 0',
        'DEBUG SET-ACTIVE-EXPIRE 1',
        'DEBUG SET-ACTIVE-EXPIRE',
        'DEBUG QUICKLIST-PACKED-THRESHOLD 100',
        'DEBUG QUICKLIST-PACKED-THRESHOLD 1k',
        'DEBUG QUICKLIST-PACKED-THRESHOLD 0',
        'DEBUG QUICKLIST-PACKED-THRESHOLD abc',
        'DEBUG QUICKLIST-PACKED-THRESHOLD -1',
        'DEBUG QUICKLIST-PACKED-THRESHOLD 4gb',
        'DEBUG SET-DISABLE-DENY-SCRIPTS 0',
        'DEBUG NOSUCH',
        'DEBUG JMAP',
        'DEBUG DICT-RESIZING 1',
        'RPUSH l a b c',
        'HSET h f v',
        'DEBUG LISTPACK l',
        'DEBUG LISTPACK h',
        'DEBUG LISTPACK missing',
        'DEBUG QUICKLIST l',
        'DEBUG QUICKLIST l 1',
        'DEBUG QUICKLIST h',
        'DEBUG QUICKLIST missing',
        'DEBUG OBJECT missing',
    ])


def test_debug_set_disable_deny_scripts(debug_differ):
    debug_differ([
        "EVAL \"return redis.call('debug', 'sleep', '0')\" 0",
        'DEBUG SET-DISABLE-DENY-SCRIPTS 1',
        "EVAL \"return redis.call('debug', 'sleep', '0')\" 0",
        'DEBUG SET-DISABLE-DENY-SCRIPTS 0',
        "EVAL \"return redis.call('debug', 'sleep', '0')\" 0",
    ])


def test_debug_change_repl_id_changes_ids(debug_basalt):
    c = debug_basalt.client()
    before = c.info('replication')
    assert c.execute_command('DEBUG', 'CHANGE-REPL-ID') in (True, 'OK', b'OK')
    after = c.info('replication')
    assert after['master_replid'] != before['master_replid']
    assert str(after['master_replid2']).strip('0') == ''  # redis-py reads 000... as 0
    c.close()


def test_debug_log_reaches_server_log(debug_basalt):
    c = debug_basalt.client()
    c.execute_command('DEBUG', 'LOG', 'marker-7d1e')
    wait_for(lambda: 'DEBUG LOG: marker-7d1e' in debug_basalt.log_text(), what='log line')
    c.close()


def test_debug_object_of_a_list(debug_basalt, debug_oracle):
    fields = []
    for srv in (debug_basalt, debug_oracle):
        c = srv.client()
        c.delete('ol')
        c.rpush('ol', *range(10))
        line = c.execute_command('DEBUG', 'OBJECT', 'ol')
        line = line.decode() if isinstance(line, bytes) else line
        fields.append([kv.split(':')[0] for kv in line.split(' ')[2:]])
        c.close()
    assert fields[0] == fields[1]


@pytest.mark.basalt_only
def test_debug_help_lists_what_it_answers(debug_basalt):
    c = debug_basalt.client()
    lines = c.execute_command('DEBUG', 'HELP')
    names = {ln.split(' ')[0] for ln in lines if not ln.startswith(' ')}
    for sub in ('POPULATE', 'PROTOCOL', 'CHANGE-REPL-ID', 'LOG', 'SLEEP', 'OBJECT', 'RELOAD'):
        assert sub in names, names
    c.close()


@pytest.mark.basalt_only
def test_debug_crash_subcommands_refused(debug_basalt):
    with debug_basalt.raw() as c:
        for sub in ('SEGFAULT', 'PANIC', 'ASSERT', 'OOM', 'RESTART', 'CRASH-AND-RECOVER'):
            assert c.command('DEBUG', sub) == \
                b'-ERR DEBUG %s is not supported by Basalt\r\n' % sub.encode()
        assert c.command('PING') == b'+PONG\r\n'


# --- MEMORY ------------------------------------------------------------------

STATS_NUMS = ('peak.allocated', 'total.allocated', 'startup.allocated', 'overhead.total',
              'keys.count', 'dataset.bytes')


def memory_stats(srv, resp=2):
    with srv.raw() as c:
        if resp == 3:
            c.command('HELLO', '3')
        raw = c.command('MEMORY', 'STATS')
        value = c.call('MEMORY', 'STATS')
    return raw, value


def stats_dict(value):
    if hasattr(value, 'to_dict'):
        return value.to_dict()
    return dict(zip(value[0::2], value[1::2]))


def test_memory_stats_shape_matches_redis(debug_basalt, debug_oracle):
    for srv in (debug_basalt, debug_oracle):
        c = srv.client()
        c.flushall()
        c.execute_command('DEBUG', 'POPULATE', '1000')
        c.execute_command('SELECT', '3')
        c.set('in-db-3', 'v', ex=100)
        c.close()
    for resp in (2, 3):
        ours = stats_dict(memory_stats(debug_basalt, resp)[1])
        theirs = stats_dict(memory_stats(debug_oracle, resp)[1])
        assert list(ours) == list(theirs)
        for k in ours:
            assert type(ours[k]) == type(theirs[k]), (k, ours[k], theirs[k])
        db0 = stats_dict(ours[b'db.0'])
        assert list(db0) == list(stats_dict(theirs[b'db.0']))
        assert db0[b'overhead.hashtable.main'] > 0
        assert stats_dict(ours[b'db.3'])[b'overhead.hashtable.expires'] > 0


@pytest.mark.basalt_only
def test_memory_stats_figures_add_up(debug_basalt):
    c = debug_basalt.client()
    c.flushall()
    c.execute_command('DEBUG', 'POPULATE', '20000', 'key', '100')
    s = {k.decode(): v for k, v in stats_dict(memory_stats(debug_basalt)[1]).items()}
    assert s['keys.count'] == 20000
    assert s['total.allocated'] > s['startup.allocated'] > 0
    assert s['peak.allocated'] >= s['total.allocated']
    parts = (s['startup.allocated'] + s['replication.backlog'] + s['clients.slaves'] +
             s['clients.normal'] + s['aof.buffer'] + s['lua.caches'] + s['functions.caches'] +
             stats_dict(s['db.0'])[b'overhead.hashtable.main'] +
             stats_dict(s['db.0'])[b'overhead.hashtable.expires'])
    assert s['overhead.total'] == parts
    assert s['dataset.bytes'] == s['total.allocated'] - s['overhead.total']
    # 20000 values of 100 bytes: the dataset holds at least that.
    assert s['dataset.bytes'] >= 20000 * 100
    assert s['keys.bytes-per-key'] >= 100
    assert 0 < float(s['dataset.percentage']) <= 100
    # INFO memory reports the same figures (taken a moment apart).
    mem = info_sections(debug_basalt, 'memory')['memory']
    assert int(mem['used_memory_startup']) == s['startup.allocated']
    assert abs(int(mem['used_memory_dataset']) - s['dataset.bytes']) < 1 << 20
    c.flushall()
    c.close()


def test_info_memory_fields_match_redis(debug_basalt, debug_oracle):
    ours = list(info_sections(debug_basalt, 'memory')['memory'])
    theirs = list(info_sections(debug_oracle, 'memory')['memory'])
    assert ours == theirs
    mem = info_sections(debug_basalt, 'memory')['memory']
    assert re.fullmatch(r'\d+\.\d\d%', mem['used_memory_peak_perc'])
    assert re.fullmatch(r'\d+\.\d\d%', mem['used_memory_dataset_perc'])
    if servers.target_is_basalt():
        # (Redis updates it from its cron, so it can read 0 there.)
        assert int(mem['mem_clients_normal']) > 0


def test_memory_doctor_and_help(debug_basalt, debug_oracle):
    for resp, prefix in ((2, b'$'), (3, b'=')):
        for srv in (debug_basalt, debug_oracle):
            with srv.raw() as c:
                if resp == 3:
                    c.command('HELLO', '3')
                assert c.command('MEMORY', 'DOCTOR').startswith(prefix)
    c = debug_basalt.client()
    help_lines = c.execute_command('MEMORY', 'HELP')
    assert {'DOCTOR', 'STATS', 'USAGE <key> [SAMPLES <count>]'} <= set(help_lines)
    c.close()


def test_memory_errors_match(debug_differ):
    debug_differ(['MEMORY STATS x', 'MEMORY DOCTOR x', 'MEMORY NOSUCH', 'MEMORY'])


# --- LOLWUT --------------------------------------------------------------------

@pytest.mark.basalt_only
def test_lolwut(debug_basalt, debug_oracle):
    for resp, head in ((2, b'$'), (3, b'=')):
        for srv in (debug_basalt, debug_oracle):
            with srv.raw() as c:
                if resp == 3:
                    c.command('HELLO', '3')
                assert c.command('LOLWUT').startswith(head)
                assert c.command('LOLWUT', 'VERSION', 'abc') == \
                    b'-ERR value is not an integer or out of range\r\n'
                assert c.command('LOLWUT', 'VERSION', '6', 'x') == \
                    b'-ERR value is not an integer or out of range\r\n'
    c = debug_basalt.client()
    plain = c.execute_command('LOLWUT')
    assert re.fullmatch(r'Basalt ver\. \d+\.\d+\.\d+\n', plain)
    art = c.execute_command('LOLWUT', 'VERSION', '6', '10', '3')
    assert art.endswith(plain) and art.count('\n') > 6
    assert c.execute_command('LOLWUT', 'VERSION', '6', '10', '3') == art  # deterministic
    c.close()


# --- list-compress-depth -----------------------------------------------------------

def test_list_compress_depth_saves_memory(make_server):
    srv = make_server()
    c = srv.client()
    c.config_set('list-compress-depth', 0)
    for i in range(0, 100000, 1000):
        c.rpush('plain', *['job:%d:pending' % j for j in range(i, i + 1000)])
    c.config_set('list-compress-depth', 1)
    for i in range(0, 100000, 1000):
        c.rpush('packed', *['job:%d:pending' % j for j in range(i, i + 1000)])
    plain, packed = c.memory_usage('plain'), c.memory_usage('packed')
    print('MEMORY USAGE 100k-element list: depth 0 %d bytes, depth 1 %d bytes' % (plain, packed))
    assert packed * 2 < plain
    assert c.object('encoding', 'packed') == 'quicklist'
    assert c.lrange('packed', 0, -1) == c.lrange('plain', 0, -1)
    assert c.lindex('packed', 50000) == 'job:50000:pending'
    assert c.lrem('packed', 1, 'job:60000:pending') == 1
    c.linsert('packed', 'BEFORE', 'job:70000:pending', 'inserted')
    assert c.lindex('packed', 69999) == 'inserted'
    c.lset('packed', 20000, 'changed')
    assert c.lindex('packed', 20000) == 'changed'
    # The list created at depth 0 keeps its depth (as Redis): still uncompressed.
    assert c.memory_usage('plain') == plain
    c.close()


def test_compressed_list_survives_reload_and_redis_reads_it(make_server, oracle_bin, tmp_path):
    srv = make_server('--list-compress-depth', '2', '--enable-debug-command', 'local')
    c = srv.client()
    items = ['value-%06d-%s' % (i, 'x' * (i % 50)) for i in range(20000)]
    for i in range(0, len(items), 500):
        c.rpush('L', *items[i:i + 500])
    assert c.execute_command('DEBUG', 'RELOAD') in (True, 'OK')
    assert c.lrange('L', 0, -1) == items
    c.save()
    rdb = srv.dir + '/dump.rdb'
    c.close()
    # redis-server loads the file Basalt wrote.
    import shutil
    shutil.copy(rdb, str(tmp_path / 'dump.rdb'))
    orc = make_server('--dir', str(tmp_path), '--dbfilename', 'dump.rdb', binary=oracle_bin)
    o = orc.client()
    assert o.llen('L') == len(items)
    assert o.lrange('L', 0, -1) == items
    o.close()


# Lists with small nodes and compression on, driven through the commands and
# compared with redis-server configured the same way.
COMPRESSED_ARGS = ('--list-compress-depth', '1', '--list-max-listpack-size', '4',
                   '--enable-debug-command', 'local')


@pytest.fixture(scope='module')
def cl_basalt(basalt_bin):
    yield from servers.server_fixture(basalt_bin, *COMPRESSED_ARGS)


@pytest.fixture(scope='module')
def cl_oracle(oracle_bin):
    yield from servers.server_fixture(oracle_bin, *COMPRESSED_ARGS)


@pytest.fixture(params=[2, 3], ids=['resp2', 'resp3'])
def cl(request, cl_basalt, cl_oracle):
    return Differ(cl_basalt, cl_oracle, resp=request.param)


def elem(i):
    return 'element-%04d-%s' % (i, 'abc' * (i % 7))


def test_compressed_list_commands_match_redis(cl):
    import random
    rng = random.Random(7)
    script = [['RPUSH', 'L'] + [elem(i) for i in range(200)],
              'CONFIG GET list-compress-depth', 'OBJECT ENCODING L']
    for _ in range(300):
        op = rng.randrange(12)
        i = rng.randrange(-220, 220)
        if op == 0:
            script.append(['LINDEX', 'L', str(i)])
        elif op == 1:
            script.append(['LSET', 'L', str(i), elem(rng.randrange(1000))])
        elif op == 2:
            script.append(['LINSERT', 'L', rng.choice(['BEFORE', 'AFTER']),
                           elem(rng.randrange(200)), elem(rng.randrange(1000))])
        elif op == 3:
            script.append(['LREM', 'L', str(rng.randrange(-2, 3)), elem(rng.randrange(200))])
        elif op == 4:
            script.append(['LPUSH', 'L', elem(rng.randrange(1000)), elem(rng.randrange(1000))])
        elif op == 5:
            script.append(['RPOP', 'L', str(rng.randrange(1, 4))])
        elif op == 6:
            script.append(['LPOS', 'L', elem(rng.randrange(200)), 'RANK', str(rng.choice([1, -1]))])
        elif op == 7:
            script.append(['LRANGE', 'L', str(i), str(i + rng.randrange(30))])
        elif op == 8:
            script.append(['LMOVE', 'L', 'M', rng.choice(['LEFT', 'RIGHT']),
                           rng.choice(['LEFT', 'RIGHT'])])
        elif op == 9:
            script.append(['LTRIM', 'L', str(rng.randrange(3)), str(-1 - rng.randrange(3))])
        elif op == 10:
            script.append(['RPUSH', 'L'] + [elem(rng.randrange(1000)) for _ in range(10)])
        else:
            script.append(['LLEN', 'L'])
    script += ['LRANGE L 0 -1', 'LRANGE M 0 -1', 'DEBUG RELOAD', 'LRANGE L 0 -1', 'LLEN L',
               'COPY L L2', 'LRANGE L2 0 -1']
    cl(script)
