"""Persistence: RDB and AOF files shared with Redis 7.0, snapshots, DUMP/RESTORE.

Interop runs both ways against Debian's redis-server: a dataset with every
type and encoding, TTLs, binary keys and several databases is written by one
and loaded by the other, and the contents compared key by key (value, type,
encoding, expire time). Crash and disk-fault tests live in
test_persistence_faults.py.
"""
import os
import shutil
import subprocess
import threading
import time

import pytest

from servers import oracle_binary

DBS = (0, 1, 9)
DEBUG = ('--enable-debug-command', 'yes')


def populate(c, db_seed=0):
    """Every type and encoding Redis 7.0 has, with TTLs and binary keys."""
    p = c.pipeline(transaction=False)
    # Strings: int, embstr, raw, long compressible, binary, negative, big int.
    p.set(b'int', b'12345')
    p.set(b'negint', b'-987654321')
    p.set(b'bigint', b'9223372036854775807')
    p.set(b'embstr', b'hello world')
    p.set(b'raw', b'x' * 100)
    p.set(b'compressible', b'abc' * 2000)
    p.set(b'bin\x00key\xff', bytes(range(256)))
    p.set(b'float', b'3.14159')
    p.set(b'ttl-str', b'v', px=3600 * 1000)
    p.set(b'empty', b'')
    # Lists: small, with >8KB nodes, with a huge element, numeric elements.
    p.rpush(b'list-small', b'a', b'b', b'1', b'-2', b'300000')
    p.rpush(b'list-big', *[b'elem-%d' % i for i in range(3000)])
    p.rpush(b'list-huge-elem', b'y' * 20000, b'small', b'z' * 9000)
    # Sets: intset, hashtable of strings, big intset-turned-hashtable.
    p.sadd(b'set-int', 1, 2, 3, -5, 100000, 2 ** 40)
    p.sadd(b'set-str', b'a', b'b', b'c\x00d')
    p.sadd(b'set-big', *range(1000))
    # Sorted sets: listpack, skiplist, inf and fractional scores.
    p.zadd(b'zset-small', {b'a': 1, b'b': 2.5, b'c': -3, b'd': float('inf'), b'e': float('-inf')})
    p.zadd(b'zset-big', {b'm%d' % i: i / 7 for i in range(500)})
    p.zadd(b'zset-longmember', {b'q' * 100: 1, b'r': 2})
    # Hashes: listpack, hashtable (many fields, long value).
    p.hset(b'hash-small', mapping={b'f1': b'v1', b'f2': b'12', b'f3': b''})
    p.hset(b'hash-big', mapping={b'field%d' % i: b'value%d' % i for i in range(600)})
    p.hset(b'hash-longval', mapping={b'a': b'b' * 100})
    # HyperLogLog, sparse and dense.
    p.pfadd(b'hll-sparse', *[b'e%d' % i for i in range(50)])
    p.pfadd(b'hll-dense', *[b'e%d' % i for i in range(5000)])
    # Expires on collections.
    p.hset(b'hash-ttl', b'f', b'v')
    p.pexpire(b'hash-ttl', 7200 * 1000)
    p.execute()
    for db in DBS[1:]:
        c.execute_command('SELECT', db)
        c.set(b'db-%d' % db, b'value-%d' % db)
        c.rpush(b'list-db%d' % db, b'x', b'y')
        c.zadd(b'z-db%d' % db, {b'm': db})
        c.execute_command('SELECT', 0)


def snapshot(c):
    """The whole dataset as comparable Python values (per db, per key)."""
    out = {}
    for db in range(16):
        c.execute_command('SELECT', db)
        keys = sorted(c.scan_iter(count=1000))
        if not keys:
            continue
        rows = {}
        for k in keys:
            t = c.type(k)
            if t == b'string':
                v = c.get(k)
            elif t == b'list':
                v = c.lrange(k, 0, -1)
            elif t == b'set':
                v = sorted(c.smembers(k))
            elif t == b'zset':
                v = c.zrange(k, 0, -1, withscores=True)
            elif t == b'hash':
                v = sorted(c.hgetall(k).items())
            else:
                v = None
            enc = c.object('encoding', k)
            rows[k] = (t, enc, v, c.execute_command('PEXPIRETIME', k))
        out[db] = rows
    c.execute_command('SELECT', 0)
    return out


def bclient(srv):
    return srv.client(decode_responses=False)


def test_rdb_from_redis_loads_into_basalt(make_server):
    redis = make_server(binary=oracle_binary())
    rc = bclient(redis)
    populate(rc)
    want = snapshot(rc)
    assert rc.save()
    basalt = make_server()
    basalt.stop()
    shutil.copy(os.path.join(redis.dir, 'dump.rdb'), os.path.join(basalt.dir, 'dump.rdb'))
    basalt.start()
    assert snapshot(bclient(basalt)) == want


def test_rdb_from_basalt_loads_into_redis_and_passes_check(make_server):
    basalt = make_server()
    bc = bclient(basalt)
    populate(bc)
    want = snapshot(bc)
    assert bc.save()
    path = os.path.join(basalt.dir, 'dump.rdb')
    check = subprocess.run(['redis-check-rdb', path], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and 'RDB looks OK' in check.stdout, check.stdout + check.stderr
    redis = make_server(binary=oracle_binary())
    redis.stop()
    shutil.copy(path, os.path.join(redis.dir, 'dump.rdb'))
    redis.start()
    assert snapshot(bclient(redis)) == want


def test_rdb_uncompressed_and_without_checksum(make_server):
    basalt = make_server('--rdbcompression', 'no', '--rdbchecksum', 'no')
    bc = bclient(basalt)
    populate(bc)
    want = snapshot(bc)
    assert bc.save()
    path = os.path.join(basalt.dir, 'dump.rdb')
    with open(path, 'rb') as f:
        data = f.read()
    assert data.endswith(b'\xff' + b'\x00' * 8)      # no checksum
    assert b'abc' * 2000 in data                     # stored as is
    redis = make_server(binary=oracle_binary())
    redis.stop()
    shutil.copy(path, os.path.join(redis.dir, 'dump.rdb'))
    redis.start()
    assert snapshot(bclient(redis)) == want
    basalt.restart()
    assert snapshot(bclient(basalt)) == want


def test_basalt_restart_keeps_everything(make_server):
    basalt = make_server(*DEBUG)
    bc = bclient(basalt)
    populate(bc)
    want = snapshot(bc)
    digest = bc.execute_command('DEBUG', 'DIGEST')
    assert digest != b'0' * 40
    bc.save()
    basalt.restart()
    bc = bclient(basalt)
    assert snapshot(bc) == want
    assert bc.execute_command('DEBUG', 'DIGEST') == digest


def test_debug_reload_and_digests(make_server):
    basalt = make_server(*DEBUG)
    bc = bclient(basalt)
    assert bc.execute_command('DEBUG', 'DIGEST') == b'0' * 40
    populate(bc)
    want = snapshot(bc)
    digest = bc.execute_command('DEBUG', 'DIGEST')
    values = bc.execute_command('DEBUG', 'DIGEST-VALUE', 'hash-big', 'nokey', 'list-big')
    assert values[1] == b'0' * 40 and values[0] != values[2]
    assert bc.execute_command('DEBUG', 'RELOAD') == b'OK'
    assert snapshot(bc) == want
    assert bc.execute_command('DEBUG', 'DIGEST') == digest
    assert bc.execute_command('DEBUG', 'DIGEST-VALUE', 'hash-big', 'nokey', 'list-big') == values
    # Any change moves the digest; undoing it restores it.
    bc.hset('hash-big', 'field1', 'other')
    assert bc.execute_command('DEBUG', 'DIGEST') != digest
    bc.hset('hash-big', 'field1', 'value1')
    assert bc.execute_command('DEBUG', 'DIGEST') == digest
    # NOSAVE reloads the file as it is on disk.
    bc.set('after-save', '1')
    assert bc.execute_command('DEBUG', 'RELOAD', 'NOSAVE') == b'OK'
    assert bc.get('after-save') is None


def test_dump_restore_both_ways(make_server):
    basalt = make_server()
    redis = make_server(binary=oracle_binary())
    bc, rc = bclient(basalt), bclient(redis)
    populate(bc)
    populate(rc)
    keys = sorted(k for k in rc.scan_iter(count=1000))
    for k in keys:
        # Redis → Basalt
        payload = rc.dump(k)
        ttl = rc.pttl(k)
        assert bc.restore(b'r-' + k, max(ttl, 0), payload) == b'OK'
        # Basalt → Redis
        payload = bc.dump(k)
        assert rc.restore(b'b-' + k, max(ttl, 0), payload) == b'OK'
    for k in keys:
        assert bc.type(b'r-' + k) == rc.type(k)
        assert rc.type(b'b-' + k) == bc.type(k)
        assert bc.dump(b'r-' + k) is not None
        # A restored value dumps to a payload the other side restores identically.
        assert bc.object('encoding', b'r-' + k) == rc.object('encoding', k)
        assert rc.object('encoding', b'b-' + k) == bc.object('encoding', k)
    sb, sr = snapshot(bc), snapshot(rc)
    for k in keys:
        assert sb[0][b'r-' + k][:3] == sr[0][k][:3]
        assert sr[0][b'b-' + k][:3] == sb[0][k][:3]


@pytest.mark.parametrize('target', ['basalt', 'redis'])
def test_restore_options_and_errors(make_server, target):
    srv = make_server() if target == 'basalt' else make_server(binary=oracle_binary())
    c = bclient(srv)
    c.rpush('src', 'a', 'b')
    payload = c.dump('src')
    assert c.dump('missing') is None

    def err(*args):
        with pytest.raises(Exception) as e:
            c.execute_command('RESTORE', *args)
        return str(e.value)

    assert err('src', 0, payload) == 'BUSYKEY Target key name already exists.'
    assert err('dst', -1, payload) == 'Invalid TTL value, must be >= 0'
    assert err('dst', 'x', payload) == 'value is not an integer or out of range'
    assert err('dst', 0, b'garbage') == 'DUMP payload version or checksum are wrong'
    bad = bytearray(payload)
    bad[1] ^= 0xFF
    assert err('dst', 0, bytes(bad)) == 'DUMP payload version or checksum are wrong'
    # A newer RDB version than 10 is refused.
    newer = bytearray(payload)
    newer[-10] = 11
    assert err('dst', 0, bytes(newer)) == 'DUMP payload version or checksum are wrong'
    assert err('dst', 0, payload, 'BOGUS') == 'syntax error'
    assert err('dst', 0, payload, 'IDLETIME', -1) == 'Invalid IDLETIME value, must be >= 0'
    assert err('dst', 0, payload, 'FREQ', 256) == 'Invalid FREQ value, must be >= 0 and <= 255'
    assert err('dst', 0, payload, 'IDLETIME', 1, 'FREQ', 1) == 'syntax error'
    assert c.restore('dst', 0, payload) == b'OK'
    assert c.lrange('dst', 0, -1) == [b'a', b'b']
    assert c.restore('dst', 5000, payload, replace=True) == b'OK'
    assert 0 < c.pttl('dst') <= 5000
    at = int(time.time() * 1000) + 60000
    assert c.restore('abs', at, payload, absttl=True) == b'OK'
    assert c.execute_command('PEXPIRETIME', 'abs') == at
    # An absolute time in the past: OK, and the key is not there (a replaced one is deleted).
    assert c.restore('dst', 1, payload, replace=True, absttl=True) == b'OK'
    assert c.exists('dst') == 0
    assert c.restore('idle', 0, payload, idletime=1000) == b'OK'
    assert c.object('idletime', 'idle') >= 1000


def test_bgsave_is_point_in_time(make_server):
    """Writes during a slow BGSAVE do not reach the snapshot; the start does."""
    n = 2000
    basalt = make_server(*DEBUG, '--rdb-key-save-delay', '1000', threads=2)
    c = bclient(basalt)
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set(b'k%d' % i, b'old%d' % i)
    p.rpush(b'list', *range(100))
    p.hset(b'hash', mapping={b'f%d' % i: i for i in range(50)})
    p.execute()
    c.select(2)
    c.set(b'db2key', b'old')
    c.select(0)
    # Keys nobody touches keep the walk going (1 ms each) while the writers run.
    c.mset({b'untouched%d' % i: b'u' for i in range(5000)})
    assert c.bgsave() in (True, b'Background saving started')
    assert c.info('persistence')['rdb_bgsave_in_progress'] == 1
    # While it runs: overwrite, delete, add, modify collections in place,
    # expire, rename, flush another db — from several connections.
    def writer(lo, hi):
        w = bclient(basalt)
        for i in range(lo, hi):
            if i % 4 == 0:
                w.set(b'k%d' % i, b'new%d' % i)
            elif i % 4 == 1:
                w.delete(b'k%d' % i)
            elif i % 4 == 2:
                w.append(b'k%d' % i, b'-appended')
            else:
                w.pexpire(b'k%d' % i, 1)
            w.set(b'added%d' % i, b'x')
    threads = [threading.Thread(target=writer, args=(j * n // 4, (j + 1) * n // 4))
               for j in range(4)]
    for t in threads:
        t.start()
    c.rpush(b'list', b'pushed')
    c.lpop(b'list')
    c.hset(b'hash', b'f1', b'changed')
    c.hdel(b'hash', b'f2')
    c.rename(b'k0', b'renamed')
    c.select(2)
    c.flushdb()
    c.select(0)
    for t in threads:
        t.join()
    assert c.info('persistence')['rdb_bgsave_in_progress'] == 1, 'the save ended too soon'
    deadline = time.time() + 120
    while c.info('persistence')['rdb_bgsave_in_progress'] and time.time() < deadline:
        time.sleep(0.1)
    info = c.info('persistence')
    assert info['rdb_bgsave_in_progress'] == 0 and info['rdb_last_bgsave_status'] == 'ok'
    # Load the file into a fresh server: exactly the dataset at the start.
    fresh = make_server()
    fresh.stop()
    shutil.copy(os.path.join(basalt.dir, 'dump.rdb'), os.path.join(fresh.dir, 'dump.rdb'))
    fresh.start()
    f = bclient(fresh)
    assert f.dbsize() == n + 2 + 5000
    got = f.mget([b'k%d' % i for i in range(n)])
    assert got == [b'old%d' % i for i in range(n)]
    assert f.ttl(b'k3') == -1
    assert f.exists(b'renamed', b'added5') == 0
    assert f.lrange(b'list', 0, -1) == [str(i).encode() for i in range(100)]
    assert f.hget(b'hash', b'f1') == b'1' and f.hget(b'hash', b'f2') == b'2'
    f.select(2)
    assert f.get(b'db2key') == b'old'


def test_swapdb_during_bgsave(make_server):
    basalt = make_server('--rdb-key-save-delay', '2000')
    c = bclient(basalt)
    c.select(0)
    c.mset({b'a%d' % i: b'db0' for i in range(300)})
    c.select(1)
    c.mset({b'b%d' % i: b'db1' for i in range(300)})
    c.select(0)
    c.bgsave()
    c.swapdb(0, 1)
    c.set(b'a1', b'after')
    while c.info('persistence')['rdb_bgsave_in_progress']:
        time.sleep(0.05)
    fresh = make_server()
    fresh.stop()
    shutil.copy(os.path.join(basalt.dir, 'dump.rdb'), os.path.join(fresh.dir, 'dump.rdb'))
    fresh.start()
    f = bclient(fresh)
    assert f.get(b'a1') == b'db0' and f.get(b'b1') is None and f.dbsize() == 300
    f.select(1)
    assert f.get(b'b1') == b'db1' and f.dbsize() == 300


def test_save_commands_and_info(make_server):
    basalt = make_server('--rdb-key-save-delay', '20000')
    c = basalt.client()
    before = c.lastsave()
    c.mset({'k%d' % i: 'v' for i in range(200)})
    assert c.info('persistence')['rdb_changes_since_last_save'] >= 1
    assert c.execute_command('BGSAVE') in (True, 'Background saving started')
    with pytest.raises(Exception, match='Background save already in progress'):
        c.execute_command('BGSAVE')
    with pytest.raises(Exception, match='Background save already in progress'):
        c.execute_command('BGSAVE', 'SCHEDULE')
    with pytest.raises(Exception, match='Background save already in progress'):
        c.execute_command('SAVE')
    with pytest.raises(Exception, match='syntax error'):
        c.execute_command('BGSAVE', 'NOW')
    info = c.info('persistence')
    assert info['rdb_bgsave_in_progress'] == 1 and info['rdb_current_bgsave_time_sec'] >= 0
    c.config_set('rdb-key-save-delay', 0)
    while c.info('persistence')['rdb_bgsave_in_progress']:
        time.sleep(0.05)
    info = c.info('persistence')
    assert info['rdb_last_bgsave_status'] == 'ok' and info['rdb_saves'] >= 1
    assert info['rdb_changes_since_last_save'] == 0
    assert c.lastsave() >= before
    assert c.execute_command('SAVE') in (True, 'OK')
    with pytest.raises(Exception, match='not allowed'):
        c.execute_command('MULTI')
        c.execute_command('SAVE')
    c.execute_command('DISCARD')


def test_save_rules_trigger_bgsave(make_server):
    basalt = make_server('--save', '1 3')
    c = basalt.client()
    c.set('a', 1)
    c.set('b', 2)
    time.sleep(1.5)
    assert c.info('persistence')['rdb_saves'] == 0   # 2 changes < 3
    c.set('c', 3)
    deadline = time.time() + 15
    while c.info('persistence')['rdb_saves'] == 0 and time.time() < deadline:
        time.sleep(0.1)
    assert c.info('persistence')['rdb_saves'] >= 1
    assert os.path.exists(os.path.join(basalt.dir, 'dump.rdb'))
    assert '3 changes in 1 seconds. Saving...' in basalt.log_text()


def test_shutdown_save_and_sigterm_with_save_rules(make_server):
    basalt = make_server()
    c = basalt.client()
    c.set('k', 'v1')
    try:
        c.shutdown(save=True)
    except Exception:
        pass
    basalt.proc.wait(timeout=30)
    assert os.path.exists(os.path.join(basalt.dir, 'dump.rdb'))
    basalt.start()
    assert basalt.client().get('k') == 'v1'
    # SIGTERM saves when save rules exist (the harness passes --save "", so add one).
    os.unlink(os.path.join(basalt.dir, 'dump.rdb'))
    basalt.extra_args += ['--save', '3600 1']
    basalt.restart()
    basalt.client().set('k', 'v2')
    basalt.stop()
    basalt.start()
    assert basalt.client().get('k') == 'v2'
    # SHUTDOWN NOSAVE does not.
    basalt.client().set('k', 'v3')
    try:
        basalt.client().shutdown(nosave=True)
    except Exception:
        pass
    basalt.proc.wait(timeout=30)
    basalt.start()
    assert basalt.client().get('k') == 'v2'


def aof_check(path):
    manifest = os.path.join(path, 'appendonlydir', 'appendonly.aof.manifest')
    r = subprocess.run(['redis-check-aof', manifest], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and 'valid' in r.stdout, r.stdout + r.stderr


def assert_redis_starts_from_aof_of(make_server, basalt, want):
    """Stops basalt and starts redis-server on a copy of its AOF directory."""
    redis = make_server('--appendonly', 'yes', binary=oracle_binary())
    redis.stop()
    shutil.rmtree(os.path.join(redis.dir, 'appendonlydir'), ignore_errors=True)
    basalt.stop()
    shutil.copytree(os.path.join(basalt.dir, 'appendonlydir'),
                    os.path.join(redis.dir, 'appendonlydir'))
    redis.start()
    assert snapshot(bclient(redis)) == want


def test_aof_files_and_restart(make_server):
    basalt = make_server('--appendonly', 'yes', threads=2)
    d = os.path.join(basalt.dir, 'appendonlydir')
    assert sorted(os.listdir(d)) == ['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof',
                                     'appendonly.aof.manifest']
    with open(os.path.join(d, 'appendonly.aof.manifest')) as f:
        assert f.read() == ('file appendonly.aof.1.base.rdb seq 1 type b\n'
                            'file appendonly.aof.1.incr.aof seq 1 type i\n')
    c = bclient(basalt)
    populate(c)
    c.incr(b'counter')
    tx = c.pipeline(transaction=True)
    tx.incr(b'counter')
    tx.lpush(b'list-small', b'tx')
    tx.execute()
    want = snapshot(c)
    time.sleep(0.2)
    aof_check(basalt.dir)
    basalt.restart()
    assert snapshot(bclient(basalt)) == want
    # Redis 7.0 starts from Basalt's AOF directory with the same data.
    assert_redis_starts_from_aof_of(make_server, basalt, want)


def test_aof_rewrite_under_writes(make_server):
    basalt = make_server('--appendonly', 'yes', '--rdb-key-save-delay', '200', threads=2)
    c = bclient(basalt)
    c.mset({b'k%d' % i: b'v%d' % i for i in range(2000)})
    stop = threading.Event()
    acked = []

    def writer():
        w = bclient(basalt)
        i = 0
        while not stop.is_set():
            w.set(b'w%d' % i, b'%d' % i)
            w.incr(b'wc')
            acked.append(i)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    assert c.execute_command('BGREWRITEAOF') in (True, b'Background append only file rewriting started')
    with pytest.raises(Exception, match='already in progress'):
        c.execute_command('BGREWRITEAOF')
    assert c.execute_command('BGSAVE', 'SCHEDULE') in (True, b'Background saving scheduled')
    deadline = time.time() + 120
    while c.info('persistence')['aof_rewrite_in_progress'] and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join()
    info = c.info('persistence')
    assert info['aof_last_bgrewrite_status'] == 'ok' and info['aof_rewrites'] == 1
    d = os.path.join(basalt.dir, 'appendonlydir')
    assert sorted(os.listdir(d)) == ['appendonly.aof.2.base.rdb', 'appendonly.aof.2.incr.aof',
                                     'appendonly.aof.manifest']
    time.sleep(0.2)
    aof_check(basalt.dir)
    want = snapshot(c)
    assert len(acked) > 0
    basalt.restart()
    c = bclient(basalt)
    assert snapshot(c) == want
    assert int(c.get(b'wc')) == len(acked)


def test_config_set_appendonly_at_runtime(make_server):
    basalt = make_server()
    c = bclient(basalt)
    populate(c)
    assert c.config_set('appendonly', 'yes')
    deadline = time.time() + 60
    while time.time() < deadline:
        info = c.info('persistence')
        if info['aof_enabled'] and not info['aof_rewrite_in_progress'] and info['aof_rewrites']:
            break
        time.sleep(0.05)
    c.set(b'after-enable', b'1')
    want = snapshot(c)
    time.sleep(0.2)
    aof_check(basalt.dir)
    basalt.extra_args += ['--appendonly', 'yes']
    basalt.restart()
    c = bclient(basalt)
    assert snapshot(c) == want
    assert c.config_set('appendonly', 'no')
    assert c.info('persistence')['aof_enabled'] == 0
    with pytest.raises(Exception, match='only possible while appendonly is on'):
        c.execute_command('BGREWRITEAOF')


def test_redis_aof_directory_loads_into_basalt(make_server):
    redis = make_server('--appendonly', 'yes', binary=oracle_binary())
    rc = bclient(redis)
    populate(rc)
    rc.execute_command('BGREWRITEAOF')
    while rc.info('persistence')['aof_rewrite_in_progress']:
        time.sleep(0.05)
    # Incremental commands after the rewrite, as Redis writes them.
    rc.incr(b'counter')
    rc.rpush(b'list-small', b'more')
    rc.expire(b'int', 1000)
    tx = rc.pipeline(transaction=True)
    tx.hset(b'hash-small', b'f9', b'v9')
    tx.srem(b'set-str', b'a')
    tx.execute()
    want = snapshot(rc)
    redis.stop()
    basalt = make_server('--appendonly', 'yes')
    basalt.stop()
    shutil.rmtree(os.path.join(basalt.dir, 'appendonlydir'))
    shutil.copytree(os.path.join(redis.dir, 'appendonlydir'),
                    os.path.join(basalt.dir, 'appendonlydir'))
    basalt.start()
    got = snapshot(bclient(basalt))
    # A relative EXPIRE replayed later lands a little later: compare the rest exactly.
    assert abs(got[0][b'int'][3] - want[0][b'int'][3]) < 60000
    got[0][b'int'] = want[0][b'int']
    assert got == want


def test_flushall_saves_when_rules_exist(make_server):
    basalt = make_server('--save', '3600 1')
    c = basalt.client()
    c.set('a', '1')
    c.save()
    c.flushall()
    basalt.proc.kill()
    basalt.proc.wait()
    basalt.start()
    assert basalt.client().dbsize() == 0


@pytest.mark.parametrize('binary', ['basalt', 'redis'])
def test_access_data_survives_restart(make_server, binary):
    """Under LRU/LFU policies the RDB carries IDLE/FREQ per key, both ways."""
    kw = {} if binary == 'basalt' else {'binary': oracle_binary()}
    lru = make_server('--maxmemory-policy', 'allkeys-lru', **kw)
    c = lru.client()
    c.set('src', 'v')
    payload = c.dump('src')
    c.restore('idle', 0, payload, idletime=5000)
    c.save()
    target = make_server('--maxmemory-policy', 'allkeys-lru')
    target.stop()
    shutil.copy(os.path.join(lru.dir, 'dump.rdb'), os.path.join(target.dir, 'dump.rdb'))
    target.start()
    assert target.client().object('idletime', 'idle') >= 5000
    lfu = make_server('--maxmemory-policy', 'allkeys-lfu', **kw)
    c = lfu.client()
    c.restore('hot', 0, payload, frequency=200)
    assert c.object('freq', 'hot') == 200
    c.save()
    target = make_server('--maxmemory-policy', 'allkeys-lfu')
    target.stop()
    shutil.copy(os.path.join(lfu.dir, 'dump.rdb'), os.path.join(target.dir, 'dump.rdb'))
    target.start()
    assert target.client().object('freq', 'hot') == 200


def test_aof_base_without_rdb_preamble(make_server):
    basalt = make_server('--appendonly', 'yes', '--aof-use-rdb-preamble', 'no')
    c = bclient(basalt)
    populate(c)
    c.execute_command('BGREWRITEAOF')
    deadline = time.time() + 60
    while time.time() < deadline:
        info = c.info('persistence')
        if not info['aof_rewrite_in_progress'] and info['aof_rewrites']:
            break
        time.sleep(0.05)
    c.set(b'after', b'1')
    want = snapshot(c)
    d = os.path.join(basalt.dir, 'appendonlydir')
    assert 'appendonly.aof.2.base.aof' in os.listdir(d)
    with open(os.path.join(d, 'appendonly.aof.2.base.aof'), 'rb') as f:
        assert f.read(1) == b'*'   # commands, not an RDB
    time.sleep(0.2)
    aof_check(basalt.dir)
    basalt.restart()
    assert snapshot(bclient(basalt)) == want
    assert_redis_starts_from_aof_of(make_server, basalt, want)
