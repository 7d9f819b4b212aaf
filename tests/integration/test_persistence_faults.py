"""Crash and disk-fault tests for persistence: kill -9 under load with the AOF,
truncated and corrupt AOF/RDB files at start-up, failing saves (-MISCONF), a
full disk, and the -LOADING state while a dataset loads.

Every test runs against the server under test; they also pass against
redis-server 7.0.15 (BASALT_SERVER=/usr/bin/redis-server), which is how the
expectations were checked.

Writers use RawClient (one request, one reply, never a hidden retry), so a
write counts as acknowledged exactly when its reply arrived.
"""

import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

import helpers
import servers
from helpers import parse_info, wait_for
from resp_client import ConnectionClosed, RawClient, RespError
from servers import ServerStartError, is_basalt

T = servers.TIME_SCALE
REDIS_CHECK_AOF = '/usr/bin/redis-check-aof'
MISCONF_RDB = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
               "persist to disk. Commands that may modify the data set are disabled, because this "
               "instance is configured to report errors during writes if RDB snapshotting fails "
               "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
               "about the RDB error.")


# --- helpers -------------------------------------------------------------------


def aof_dir(data_dir):
    return os.path.join(data_dir, 'appendonlydir')


def manifest_path(data_dir):
    return os.path.join(aof_dir(data_dir), 'appendonly.aof.manifest')


def last_incr_file(data_dir):
    """Path of the last incr file named in the manifest."""
    with open(manifest_path(data_dir)) as f:
        lines = f.read().splitlines()
    names = []
    for line in lines:
        parts = line.split()
        fields = dict(zip(parts[0::2], parts[1::2]))
        if fields.get('type') == 'i':
            names.append(fields['file'])
    assert names, 'no incr file in manifest: %r' % (lines,)
    return os.path.join(aof_dir(data_dir), names[-1])


def kill9(srv):
    srv.proc.kill()
    srv.proc.wait(timeout=30)


def shutdown(srv):
    """A clean stop through SHUTDOWN; asserts the process exits with status 0."""
    with srv.raw() as c:
        c.send_command('SHUTDOWN')
        try:
            reply = c.read_reply()
        except (ConnectionClosed, OSError):
            reply = None
    assert reply is None, 'SHUTDOWN replied %r' % (reply,)
    srv.proc.wait(timeout=30 * T)
    assert srv.proc.returncode == 0, srv.log_tail()


def start_fails(srv):
    """Starts srv expecting it to exit during start-up; returns its new log text."""
    mark = len(srv.log_text())
    with pytest.raises(ServerStartError):
        srv.start()
    log = srv.log_text()[mark:]
    rc = srv.proc.returncode
    assert rc is not None and rc > 0, 'expected a clean non-zero exit, got %r\n%s' % (rc, log)
    assert 'Ready to accept connections' not in log, log
    return log


def bgsave_and_wait(srv):
    """Runs BGSAVE (waiting out any save already running); returns the final status."""
    deadline = time.monotonic() + 60 * T
    with srv.raw() as c:
        while True:
            wait_for(lambda: helpers.info(srv, 'persistence')['rdb_bgsave_in_progress'] == '0',
                     60 * T, 'the running BGSAVE to end')
            reply = c.call('BGSAVE')
            if not (isinstance(reply, RespError) and b'in progress' in reply.message):
                break
            assert time.monotonic() < deadline, 'BGSAVE kept answering %r' % (reply,)
        assert reply == b'Background saving started', reply
    wait_for(lambda: helpers.info(srv, 'persistence')['rdb_bgsave_in_progress'] == '0', 60 * T,
             'BGSAVE to end')
    return helpers.info(srv, 'persistence')['rdb_last_bgsave_status']


def fetch_all(client, keys):
    values = {}
    keys = list(keys)
    for i in range(0, len(keys), 500):
        chunk = keys[i:i + 500]
        for k, v in zip(chunk, client.mget(chunk)):
            values[k] = v
    return values


# --- 1. appendfsync always: kill -9 under load ---------------------------------


class Writer(threading.Thread):
    """One connection doing SET (unique keys), RPUSH and INCR until the server dies.

    Records a write only after its reply arrived; `in_flight` is the write whose
    reply never came (it may or may not have been applied).
    """

    def __init__(self, srv, tid, rnd, seed):
        super().__init__(daemon=True)
        self.srv, self.tid, self.rnd = srv, tid, rnd
        self.rand = random.Random(seed)
        self.sets = {}
        self.pushed = []
        self.incrs = 0
        self.in_flight = None
        self.errors = []

    def run(self):
        try:
            conn = self.srv.raw()
        except OSError as e:
            if self.srv.alive():  # Not yet connected when the kill came: no error.
                self.errors.append('connect: %r' % (e,))
            return
        n = 0
        with conn:
            while True:
                n += 1
                op = self.rand.choice(('set', 'set', 'rpush', 'incr'))
                if op == 'set':
                    key = 't%d:r%d:k%d' % (self.tid, self.rnd, n)
                    value = '%d-%d-%d-%s' % (self.tid, self.rnd, n, 'x' * self.rand.randint(1, 64))
                    args = ('SET', key, value)
                elif op == 'rpush':
                    value = 'e%d:%d:%d' % (self.tid, self.rnd, n)
                    args = ('RPUSH', 'list:%d' % self.tid, value)
                else:
                    args = ('INCR', 'ctr:%d' % self.tid)
                self.in_flight = args
                try:
                    reply = conn.call(*args)
                except (ConnectionClosed, OSError):
                    return
                if not (reply == b'OK' if op == 'set' else type(reply) is int):
                    self.errors.append('%r -> %r' % (args, reply))
                    return
                self.in_flight = None
                if op == 'set':
                    self.sets[key] = value
                elif op == 'rpush':
                    self.pushed.append(value)
                else:
                    self.incrs += 1


@pytest.mark.parametrize('policy', ['always', 'everysec', 'no'])
def test_aof_kill9_under_load_loses_no_acked_write(make_server, policy):
    # Every policy writes the AOF before replying (as Redis does), so killing
    # the process loses nothing acknowledged; the policies differ only in
    # what a crash of the machine loses (fsync).
    srv = make_server('--appendonly', 'yes', '--appendfsync', policy, threads=2)
    seed = random.randrange(1 << 30)
    rand = random.Random(seed)
    nthreads = 4
    lists = {t: [] for t in range(nthreads)}   # Verified content so far.
    counters = {t: 0 for t in range(nthreads)}
    acked_sets = {}
    # `make soak-persistence` raises the count (CRASH_ROUNDS).
    for rnd in range(int(os.environ.get('CRASH_ROUNDS', '6'))):
        writers = [Writer(srv, t, rnd, rand.randrange(1 << 30)) for t in range(nthreads)]
        for w in writers:
            w.start()
        time.sleep(rand.uniform(0.5, 1.5))
        kill9(srv)
        for w in writers:
            w.join(timeout=30 * T)
            assert not w.is_alive(), 'writer %d hung after the kill' % w.tid
        for w in writers:
            assert not w.errors, 'seed %d round %d writer %d: %s' % (seed, rnd, w.tid, w.errors)
        srv.start()
        c = srv.client()
        for w in writers:
            acked_sets.update(w.sets)
            t = w.tid
            got = c.lrange('list:%d' % t, 0, -1)
            want = lists[t] + w.pushed
            assert got[:len(want)] == want, (
                'seed %d round %d: list:%d lost acked elements (acked %d, have %d)' % (
                    seed, rnd, t, len(want), len(got)))
            assert len(got) <= len(want) + 1, (
                'seed %d round %d: list:%d has %d elements beyond the acked ones: %r' % (
                    seed, rnd, t, len(got) - len(want), got[len(want):]))
            if len(got) == len(want) + 1:
                assert w.in_flight is not None and w.in_flight[0] == 'RPUSH'
                assert got[-1] == w.in_flight[2]
            lists[t] = got
            ctr = int(c.get('ctr:%d' % t) or 0)
            low = counters[t] + w.incrs
            assert low <= ctr <= low + 1, (
                'seed %d round %d: ctr:%d is %d, %d INCRs were acked' % (seed, rnd, t, ctr, low))
            if ctr == low + 1:
                assert w.in_flight is not None and w.in_flight[0] == 'INCR'
            counters[t] = ctr
        have = fetch_all(c, acked_sets)
        missing = sorted(k for k, v in acked_sets.items() if have[k] != v)
        assert not missing, 'seed %d round %d: %d acked SETs lost or wrong, e.g. %s' % (
            seed, rnd, len(missing), missing[:5])
        c.close()
    assert len(acked_sets) > 100 and sum(counters.values()) > 10, 'the load was too light'


def test_writes_acked_right_after_first_aof_start_survive_kill(make_server):
    # The first start with appendonly yes creates the base and incr files while
    # clients may already be connected: anything acknowledged then must be in them.
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always')
    kill9(srv)
    shutil.rmtree(aof_dir(srv.dir))
    # Connect as soon as the port opens, before the AOF files exist.
    srv.start(wait=False)
    deadline = time.monotonic() + 30 * T
    acked = []
    while not acked:
        assert time.monotonic() < deadline, 'server never accepted a write'
        try:
            with RawClient(srv.port, timeout=10 * T) as c:
                for i in range(300):
                    reply = c.call('SET', 'early:%d' % i, 'v%d' % i)
                    if isinstance(reply, RespError) and reply.message.startswith(b'LOADING'):
                        time.sleep(0.001)
                        break
                    assert reply == b'OK', reply
                    acked.append('early:%d' % i)
        except OSError:
            time.sleep(0.001)
    srv.wait_ready()
    kill9(srv)
    srv.start()
    c = srv.client()
    have = fetch_all(c, acked)
    lost = [k for k in acked if have[k] is None]
    assert not lost, '%d of %d acked writes lost, first %s' % (len(lost), len(acked), lost[:5])


@pytest.mark.parametrize('policy', ['always', 'everysec'])
def test_replica_acknowledges_only_what_its_aof_holds(make_server, policy):
    # WAIT (and synchronous mode) count a replica's acknowledgement; the
    # replica writes its AOF before the ACK leaves, so killing it right after
    # loses nothing it acknowledged.
    for rnd in range(4):
        primary = make_server()
        replica = make_server('--appendonly', 'yes', '--appendfsync', policy,
                              '--replicaof', '127.0.0.1', str(primary.port))
        helpers.wait_link_up(replica, primary=primary)
        c = primary.client()
        n = 0
        for batch in range(20):
            pipe = c.pipeline(transaction=False)
            for _ in range(100):
                n += 1
                pipe.set('k:%d' % n, n)
            pipe.execute()
            assert c.execute_command('WAIT', 1, 5000) == 1
        kill9(replica)
        kill9(primary)
        replica.start()
        got = replica.client().dbsize()
        assert got == n, 'round %d: the replica acknowledged %d keys and kept %d' % (rnd, n, got)


# --- 2. appendfsync everysec: kill -9 ----------------------------------------------


def test_aof_everysec_kill9_keeps_writes_older_than_the_fsync_window(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'everysec', threads=2)
    rand = random.Random()
    for rnd in range(2):
        acked = []  # (ack time, key, value), appended by the writers.
        errors = []
        lock = threading.Lock()

        def write(tid):
            try:
                conn = srv.raw()
            except OSError:
                return
            with conn:
                n = 0
                while True:
                    n += 1
                    key, value = 'r%d:w%d:%d' % (rnd, tid, n), 'v%d' % n
                    try:
                        reply = conn.call('SET', key, value)
                    except (ConnectionClosed, OSError):
                        return
                    if reply != b'OK':
                        errors.append('SET %s -> %r' % (key, reply))
                        return
                    with lock:
                        acked.append((time.monotonic(), key, value))

        threads = [threading.Thread(target=write, args=(t,), daemon=True) for t in range(2)]
        for t in threads:
            t.start()
        time.sleep(rand.uniform(2.5, 3.5))
        kill_time = time.monotonic()
        kill9(srv)
        for t in threads:
            t.join(timeout=30 * T)
        assert not errors, errors
        old = [(k, v) for at, k, v in acked if at <= kill_time - 1.5]
        assert len(old) > 50, 'too few writes before the window: %d' % len(old)
        srv.start()
        c = srv.client()
        have = fetch_all(c, [k for _, k, _ in acked])
        lost = [k for k, v in old if have[k] != v]
        assert not lost, 'round %d: %d writes acked >1.5s before kill -9 lost, e.g. %s' % (
            rnd, len(lost), lost[:5])
        wrong = [k for _, k, v in acked if have[k] is not None and have[k] != v]
        assert not wrong, wrong[:5]
        c.close()


def test_sigterm_is_a_clean_shutdown_that_flushes_the_aof(make_server):
    # Service managers stop servers with SIGTERM: redis-server then writes and
    # fsyncs what is left of the AOF and exits 0, so everysec loses nothing.
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'everysec')
    with srv.raw() as c:
        for i in range(300):
            assert c.call('SET', 'k%d' % i, 'v%d' % i) == b'OK'
    mark = len(srv.log_text())
    srv.stop()
    assert srv.proc.returncode == 0, 'SIGTERM: exit status %r' % (srv.proc.returncode,)
    assert 'ready to exit' in srv.log_text()[mark:]
    srv.start()
    assert srv.client().dbsize() == 300


# --- 3. truncated AOF tail ------------------------------------------------------------


def write_then_truncate_aof(srv, count=50, chop=5):
    """Writes count SETs, stops cleanly and chops `chop` bytes off the last incr file.

    Returns (path, bytes after the chop, offset where the cut command starts).
    """
    with srv.raw() as c:
        for i in range(count):
            assert c.call('SET', 'k%d' % i, 'value-%d' % i) == b'OK'
    shutdown(srv)
    path = last_incr_file(srv.dir)
    with open(path, 'rb') as f:
        data = f.read()
    last = data.rindex(b'*3\r\n$3\r\nSET\r\n')
    assert data[last:].endswith(b'value-%d\r\n' % (count - 1)), data[last:]
    data = data[:-chop]
    with open(path, 'wb') as f:
        f.write(data)
    return path, data, last


def test_truncated_aof_tail_loads_with_aof_load_truncated_yes(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always')
    path, _, last = write_then_truncate_aof(srv)
    mark = len(srv.log_text())
    srv.start()
    log = srv.log_text()[mark:]
    name = os.path.basename(path)
    assert re.search(r'short read while loading the AOF file .*%s' % re.escape(name), log), log
    assert re.search(r'Truncating the AOF .*%s at offset %d\b' % (re.escape(name), last), log), log
    c = srv.client()
    values = c.mget(['k%d' % i for i in range(50)])
    assert values == ['value-%d' % i for i in range(49)] + [None]
    assert os.path.getsize(path) == last
    shutdown(srv)
    if not os.access(REDIS_CHECK_AOF, os.X_OK):
        helpers.missing_dependency('redis-check-aof not installed (package redis-tools)')
    check = subprocess.run([REDIS_CHECK_AOF, manifest_path(srv.dir)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'All AOF files and manifest are valid' in check.stdout, check.stdout


def test_truncated_aof_tail_refused_with_aof_load_truncated_no(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always',
                      '--aof-load-truncated', 'no')
    path, data, _ = write_then_truncate_aof(srv)
    log = start_fails(srv)
    name = os.path.basename(path)
    assert re.search(r'Unexpected end of file reading the append only file .*%s' %
                     re.escape(name), log), log
    if is_basalt(srv.binary):
        # Redis 7.0 names only the file here; Basalt adds where the cut command starts.
        assert re.search(r'%s at offset \d+' % re.escape(name), log), log
    with open(path, 'rb') as f:
        assert f.read() == data, 'a refused start must not modify the AOF'


# --- 4. corrupt files stop start-up -------------------------------------------------


def saved_rdb(srv):
    """Saves 200 keys with incompressible-in-place digit values; returns the RDB bytes."""
    c = srv.client()
    p = c.pipeline(transaction=False)
    for i in range(200):
        p.set('key:%03d' % i, ('%03d' % i) * 100)
    p.execute()
    assert c.save()
    c.close()
    srv.stop()
    with open(os.path.join(srv.dir, 'dump.rdb'), 'rb') as f:
        return f.read()


def replace_file(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def test_rdb_with_flipped_byte_is_refused(make_server):
    srv = make_server('--rdbcompression', 'no')
    good = saved_rdb(srv)
    # A digit inside a value, so only the checksum can tell.
    pos = len(good) // 2
    while not good[pos - 2:pos + 3].isdigit():
        pos += 1
    bad = good[:pos] + bytes([good[pos] ^ 0x01]) + good[pos + 1:]
    path = os.path.join(srv.dir, 'dump.rdb')
    replace_file(path, bad)
    log = start_fails(srv)
    assert 'dump.rdb' in log, log
    assert re.search(r'checksum|CRC', log, re.I), log
    assert re.search(r'offset \d+', log), log
    with open(path, 'rb') as f:
        assert f.read() == bad


def test_rdb_cut_short_is_refused(make_server):
    srv = make_server('--rdbcompression', 'no')
    good = saved_rdb(srv)
    bad = good[:len(good) // 2]
    path = os.path.join(srv.dir, 'dump.rdb')
    replace_file(path, bad)
    log = start_fails(srv)
    assert 'dump.rdb' in log, log
    assert re.search(r'unexpected (end of file|EOF)|short read', log, re.I), log
    assert re.search(r'offset \d+', log), log
    with open(path, 'rb') as f:
        assert f.read() == bad


def test_aof_with_garbage_line_in_the_middle_is_refused(make_server):
    # aof-load-truncated (default yes) must not apply to a bad command mid-file.
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always')
    with srv.raw() as c:
        for i in range(200):
            assert c.call('SET', 'key:%03d' % i, 'v%d' % i) == b'OK'
    shutdown(srv)
    path = last_incr_file(srv.dir)
    with open(path, 'rb') as f:
        good = f.read()
    starts = [m.start() for m in re.finditer(rb'\*3\r\n\$3\r\nSET\r\n', good)]
    cut = starts[len(starts) // 2]
    bad = good[:cut] + b'this is not a command\r\n' + good[cut:]
    replace_file(path, bad)
    log = start_fails(srv)
    name = os.path.basename(path)
    assert re.search(r'Bad file format reading the append only file .*%s' % re.escape(name),
                     log), log
    if is_basalt(srv.binary):
        # Redis 7.0 names only the file; Basalt adds the offset of the bad line.
        assert re.search(r'%s at offset %d\b' % (re.escape(name), cut), log), log
    with open(path, 'rb') as f:
        assert f.read() == bad, 'a refused start must not modify the AOF'


# --- 5. failing RDB saves: -MISCONF -------------------------------------------------


@pytest.mark.parametrize('target', ['under_test', 'redis'])
def test_failed_bgsave_refuses_writes_until_a_save_succeeds(request, make_server, target):
    binary = request.getfixturevalue('basalt_bin' if target == 'under_test' else 'oracle_bin')
    srv = make_server('--save', '1 1', '--stop-writes-on-bgsave-error', 'yes',
                      '--enable-protected-configs', 'yes', binary=binary)
    with srv.raw() as c:
        assert c.call('SET', 'a', '1') == b'OK'
        # Saved now, nothing is dirty: no automatic save can race with the steps below.
        assert bgsave_and_wait(srv) == 'ok'
        dump = os.path.join(srv.dir, 'dump.rdb')
        os.unlink(dump)
        gone = tempfile.mkdtemp(prefix='basalt-it-gone-')
        assert c.call('CONFIG', 'SET', 'dir', gone) == b'OK'
        # The server's working directory vanishes: creating the temp RDB fails.
        os.rmdir(gone)
        assert bgsave_and_wait(srv) == 'err'
        for args in (('SET', 'b', '2'), ('DEL', 'a'), ('PING',)):
            reply = c.call(*args)
            assert isinstance(reply, RespError), (args, reply)
            assert reply.message.decode() == MISCONF_RDB, (args, reply)
        assert c.call('GET', 'a') == b'1'
        assert c.call('CONFIG', 'SET', 'dir', srv.dir) == b'OK'
        assert bgsave_and_wait(srv) == 'ok'
        assert os.path.exists(dump)
        assert c.call('SET', 'b', '3') == b'OK'
        assert c.call('PING') == b'PONG'
        assert c.call('MGET', 'a', 'b') == [b'1', b'3']


# --- 6. full disk (tmpfs) -------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason='mounting a tmpfs needs root')
def test_full_disk_refuses_writes_then_recovers(make_server):
    mnt = tempfile.mkdtemp(prefix='basalt-it-tmpfs-')
    mounted = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        os.rmdir(mnt)
        pytest.skip('cannot mount a tmpfs: ' + mounted.stderr.strip())
    srv = None
    try:
        # Freeing the filler must make room for everything the AOF buffered
        # after the disk filled (writes are acked until the AOF thread, every
        # few ms, sees the error), so it is large.
        filler = os.path.join(mnt, 'filler')
        with open(filler, 'wb') as f:
            f.write(b'\0' * (4 * 1024 * 1024))
        srv = make_server('--dir', mnt, '--appendonly', 'yes', '--appendfsync', 'everysec')
        c = srv.client()
        small = {'small:%d' % i: str(i) for i in range(10)}
        c.mset(small)
        assert c.save()
        dump = os.path.join(mnt, 'dump.rdb')
        with open(dump, 'rb') as f:
            good_dump = f.read()

        acked, refused, reply = {}, None, None
        deadline = time.monotonic() + 60 * T
        with srv.raw() as rc:
            for i in range(100000):
                assert time.monotonic() < deadline, 'writes never failed on a full disk'
                key, value = 'big:%d' % i, ('%06d' % i) * 2000
                reply = rc.call('SET', key, value)
                if reply != b'OK':
                    refused = key
                    break
                acked[key] = value
        assert isinstance(reply, RespError) and reply.message.startswith(b'MISCONF'), reply
        assert len(acked) > 10
        wait_for(lambda: helpers.info(srv, 'persistence')['aof_last_write_status'] == 'err', 30 * T,
                 'aof_last_write_status:err')
        with srv.raw() as rc:
            for args in (('SET', 'x', '1'), ('PING',)):
                r = rc.call(*args)
                assert isinstance(r, RespError) and r.message.startswith(b'MISCONF'), (args, r)
            assert rc.call('GET', 'small:1') == b'1'

        # A snapshot that cannot be written must leave the previous dump intact.
        assert bgsave_and_wait(srv) == 'err'
        with open(dump, 'rb') as f:
            assert f.read() == good_dump
        assert not [n for n in os.listdir(mnt) if n.startswith('temp-')], os.listdir(mnt)

        os.unlink(filler)
        wait_for(lambda: helpers.info(srv, 'persistence')['aof_last_write_status'] == 'ok', 30 * T,
                 'aof_last_write_status:ok after freeing space')
        with srv.raw() as rc:
            assert rc.call('SET', 'after', 'recovery') == b'OK'
            assert rc.call('PING') == b'PONG'
        c.close()

        shutdown(srv)
        srv.start()
        c = srv.client()
        have = fetch_all(c, list(acked) + list(small))
        lost = [k for k, v in list(acked.items()) + list(small.items()) if have[k] != v]
        assert not lost, '%d acked keys lost after restart, e.g. %s' % (len(lost), lost[:5])
        assert c.get('after') == 'recovery'
        assert c.exists(refused) == 0, 'a write refused with MISCONF was applied'
        c.close()
    finally:
        if srv is not None:
            srv.stop(check=False)
        if subprocess.run(['umount', mnt]).returncode != 0:
            subprocess.run(['umount', '-l', mnt])
        os.rmdir(mnt)


# --- 7. LOADING -----------------------------------------------------------------------


def value_of(i, size):
    return ('v%d:' % i).ljust(size, 'x')


def loading_server(make_server, value_size):
    """A server restarted on a 3000-key RDB with key-load-delay 1000 (1 ms per key).

    Returns (srv, observations): each observation is (GET reply bytes, INFO
    persistence dict), polled until GET answers with the value.
    """
    basalt_bin = servers.basalt_binary()
    # Both servers report progress every 2 MB read (redis-server also serves
    # clients only then: loading-process-events-interval-bytes); with a small
    # RDB, redis-server needs a small interval to answer at all while loading.
    small = 3000 * value_size < (2 << 20)
    extra = ('--loading-process-events-interval-bytes', '1024') if (
        small and not is_basalt(basalt_bin)) else ()
    srv = make_server('--rdbcompression', 'no', *extra)
    c = srv.client()
    p = c.pipeline(transaction=False)
    for i in range(3000):
        p.set('key:%d' % i, value_of(i, value_size))
    p.execute()
    assert c.save()
    c.close()
    srv.stop()
    srv.extra_args += ['--key-load-delay', '1000']
    srv.start(wait=False)
    observations = []
    want = b'$%d\r\n%s\r\n' % (value_size, value_of(7, value_size).encode())
    deadline = time.monotonic() + 60 * T
    while time.monotonic() < deadline:
        assert srv.proc.poll() is None, 'server exited while loading:\n' + srv.log_tail()
        try:
            with RawClient(srv.port, timeout=10 * T) as rc:
                got = rc.command('GET', 'key:7')
                info = parse_info(rc.call('INFO', 'persistence'))
        except OSError:
            time.sleep(0.05)
            continue
        observations.append((got, info))
        if got == want:
            return srv, observations
        time.sleep(0.1)
    raise AssertionError('load did not finish: %r' % (observations[-3:],))


def test_loading_answers_loading_until_the_dataset_is_in(make_server):
    srv, observations = loading_server(make_server, 8)
    during = [(g, i) for g, i in observations if i.get('loading') == '1']
    assert len(during) >= 3, 'load too short to watch: %r' % (observations[:3],)
    for got, info in during:
        assert got.startswith(b'-LOADING '), got
        assert 'loading_loaded_perc' in info and 'loading_total_bytes' in info, info
    assert observations[-1][1]['loading'] == '0'
    with srv.raw() as rc:
        reply = rc.command('PING')
        assert reply == b'+PONG\r\n', reply
    c = srv.client()
    assert c.dbsize() == 3000
    values = fetch_all(c, ['key:%d' % i for i in range(3000)])
    assert all(values['key:%d' % i] == value_of(i, 8) for i in range(3000))


def test_loading_reports_progress(make_server):
    # 3000 x 2 KB: a 6 MB RDB, so the 2 MB progress steps fall inside the load.
    _, observations = loading_server(make_server, 2048)
    during = [i for _, i in observations if i.get('loading') == '1']
    assert during, 'never saw loading:1'
    percents = [float(i['loading_loaded_perc']) for i in during]
    assert any(0 < p < 100 for p in percents), [
        (i['loading_loaded_bytes'], i['loading_loaded_perc']) for i in during]
    assert percents == sorted(percents), percents
    assert all(int(i['loading_total_bytes']) > 6_000_000 for i in during)
