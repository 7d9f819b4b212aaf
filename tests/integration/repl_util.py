"""Shared helpers for the replication interop and fault tests.

Tests run pairs (or triples) of servers in the roles primary / replica, each
either Debian's redis-server 7.0 ('redis') or the server under test ('basalt',
$BASALT_SERVER). A (redis, redis) control runs only with REPL_CONTROL=1: it
shows that a test expects what Redis itself does, and stays out of `make test`.
With BASALT_SERVER=/usr/bin/redis-server every role is redis, which validates
the whole file the same way.

Also here: sync counters, data comparison, background writers, and
FakeReplica, a raw socket that performs the replica handshake and records the
command stream a primary sends. Polling, INFO parsing and link checks are in
helpers.py.

Not thread-safe except Writers, which owns its threads and clients.
"""
import os
import signal
import socket
import threading
import time

import pytest

import servers
from helpers import info, info_int, wait_for, wait_synced
from resp_client import Incomplete, RawClient, encode_command, parse_reply
from servers import basalt_binary, is_basalt, oracle_binary
from test_persistence import bclient, snapshot

CONTROL = os.environ.get('REPL_CONTROL') == '1'
TIMEOUT = 20 * servers.TIME_SCALE
DEBUG = ('--enable-debug-command', 'yes')


def roles(*combos, control):
    """pytest params for role tuples; the all-redis control only with REPL_CONTROL=1."""
    params = [pytest.param(c, id='-'.join(c)) for c in combos]
    if CONTROL:
        params.append(pytest.param(control, id='-'.join(control) + '-control'))
    return params


PAIRS = roles(('redis', 'basalt'), ('basalt', 'redis'), ('basalt', 'basalt'),
              control=('redis', 'redis'))


def binary_of(kind):
    assert kind in ('redis', 'basalt'), kind
    return oracle_binary() if kind == 'redis' else basalt_binary()


def start(make_server, kind, *args, replicaof=None, **kw):
    """Starts a server of the given kind with DEBUG enabled.

    redis-server (in either role, also when it stands in for Basalt) gets
    repl-diskless-sync-delay 0: its default 5 s wait for more replicas would
    only slow the tests down. Basalt gets two threads so that replication
    runs beside concurrent clients.
    """
    binary = binary_of(kind)
    full = list(DEBUG)
    if not is_basalt(binary):
        full += ['--repl-diskless-sync-delay', '0']
    else:
        kw.setdefault('threads', 2)
    if replicaof is not None:
        full += ['--replicaof', '127.0.0.1', str(replicaof.port)]
    full += [str(a) for a in args]
    return make_server(*full, binary=binary, **kw)


def same_binary(a, b):
    return a.binary == b.binary


# --- observing servers -------------------------------------------------------

def sync_stats(srv):
    """(sync_full, sync_partial_ok, sync_partial_err) from INFO stats."""
    s = info(srv, 'stats')
    return int(s['sync_full']), int(s['sync_partial_ok']), int(s['sync_partial_err'])


def assert_identical(primary, *replicas):
    """Same data (every key, type, encoding, value, expire time), same offset,
    same DEBUG DIGEST when both run the same binary."""
    offset = wait_synced(primary, *replicas)
    want = snapshot(bclient(primary))
    for r in replicas:
        got = snapshot(bclient(r))
        if got != want:
            raise AssertionError('replica %d differs from primary %d: %s' % (
                r.port, primary.port, describe_diff(want, got)))
        if same_binary(primary, r):
            assert (bclient(r).execute_command('DEBUG', 'DIGEST') ==
                    bclient(primary).execute_command('DEBUG', 'DIGEST'))
    assert info_int(primary, 'replication', 'master_repl_offset') >= offset
    return offset


def describe_diff(want, got, limit=5):
    out = []
    for db in sorted(set(want) | set(got)):
        a, b = want.get(db, {}), got.get(db, {})
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                out.append('db%d %r: primary %r / replica %r' % (
                    db, k, _short(a.get(k)), _short(b.get(k))))
                if len(out) >= limit:
                    return '; '.join(out) + ' ...'
    return '; '.join(out)


def _short(v):
    s = repr(v)
    return s if len(s) < 200 else s[:200] + '...'


# --- processes ---------------------------------------------------------------

def pause(srv):
    """SIGSTOP, and returns only once every thread of the process has
    stopped: on a loaded machine a thread can otherwise run on for a moment
    (answer a GETACK, say) after kill() has returned."""
    os.kill(srv.proc.pid, signal.SIGSTOP)

    def all_stopped():
        task_dir = '/proc/%d/task' % srv.proc.pid
        try:
            for tid in os.listdir(task_dir):
                with open('%s/%s/stat' % (task_dir, tid)) as f:
                    # The state follows the parenthesised command name.
                    if f.read().rsplit(')', 1)[1].split()[0] not in ('T', 't'):
                        return False
        except FileNotFoundError:
            return True  # the process (or a thread) is gone: nothing runs
        return True
    wait_for(all_stopped, 10, 'every thread of pid %d stopped' % srv.proc.pid)


def resume(srv):
    os.kill(srv.proc.pid, signal.SIGCONT)


def crash(srv):
    """kill -9; the fixture then finds an exited process and no crash signal."""
    srv.proc.kill()
    srv.proc.wait(timeout=30)


# --- writing -----------------------------------------------------------------

def write_bulk(srv, prefix, n, size=1000, db=0):
    """n keys of `size` bytes each in db, pipelined; returns the bytes written."""
    c = bclient(srv)
    c.execute_command('SELECT', db)
    p = c.pipeline(transaction=False)
    for i in range(n):
        p.set(b'%s:%d' % (prefix.encode(), i), bytes([97 + i % 26]) * size)
    p.execute()
    return n * size


class Writers:
    """Background writers (a varied mix of commands) until the block ends.

        with Writers(primary) as w:
            ...  # w.count() is how many rounds ran so far
    """

    def __init__(self, srv, n=2):
        self.srv = srv
        self.n = n
        self.stop = threading.Event()
        self.rounds = [0] * n
        self.errors = []
        self.threads = []

    def _run(self, idx):
        try:
            c = bclient(self.srv)
            d1 = self.srv.client(decode_responses=False, db=1)
            i = 0
            while not self.stop.is_set():
                k = b'w%d:%d' % (idx, i)
                c.set(k, b'v%d' % i)
                c.rpush(b'w%d-list' % idx, i)
                c.incr(b'w-counter')
                c.hset(b'hash-small', b'w%d' % idx, i)
                c.zadd(b'zset-big', {b'w%d' % idx: i})
                c.sadd(b'set-int', i)
                if i % 5 == 0:
                    c.set(b'w%d-ttl:%d' % (idx, i), b'x', ex=3600)
                    c.delete(b'w%d:%d' % (idx, i - 5))
                if i % 7 == 0:
                    p = c.pipeline(transaction=True)
                    p.incr(b'w-multi')
                    p.lpush(b'w-multi-list', i)
                    p.execute()
                if i % 3 == 0:
                    d1.append(b'w-db1-%d' % idx, b'.')
                i += 1
                self.rounds[idx] = i
        except Exception as e:  # Reported by __exit__; the test fails there.
            self.errors.append(repr(e))

    def count(self):
        return sum(self.rounds)

    def __enter__(self):
        for i in range(self.n):
            t = threading.Thread(target=self._run, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)
        if exc[0] is None:
            assert not self.errors, 'writer failed: %s' % self.errors
            assert self.count() > 0, 'writers never ran'
        return False


# --- a replica made of a socket -------------------------------------------------

class FakeReplica:
    """Connects to a primary as a replica would, then records the stream.

    Handshake: REPLCONF listening-port 0, REPLCONF capa eof capa psync2,
    PSYNC <replid> <offset> (default ? -1). On +FULLRESYNC it skips the RDB
    payload (disk format $<len> or diskless $EOF:<mark>); on +CONTINUE the
    stream follows at once. Then it acknowledges its offset periodically and
    parses the stream: commands() is what arrived so far as lists of bytes,
    offset the replication offset of the last byte processed, reply the PSYNC
    reply line.
    """

    def __init__(self, primary, replid='?', offset=-1, timeout=10.0):
        c = RawClient(primary.port, timeout=timeout)
        # The handshake replies go through RawClient; after it, the payload and the
        # stream are read here from the same socket and buffer.
        self.sock, self.buf, self.timeout = c.sock, c.buf, timeout
        self.cmds = []
        assert c.call('REPLCONF', 'listening-port', '0') == b'OK'
        assert c.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2') == b'OK'
        self.sock.sendall(encode_command('PSYNC', replid, str(offset)))
        self.reply = self._line()
        words = self.reply.split()
        if words[0] == b'+CONTINUE':
            self.replid = words[1] if len(words) > 1 else replid
            self.offset = int(offset) - 1
        else:
            assert words[0] == b'+FULLRESYNC' and len(words) == 3, self.reply
            self.replid, self.offset = words[1], int(words[2])
            self._skip_payload()
        self.last_ack = 0.0
        self._ack()

    def _ack(self):
        # A Redis primary ignores an ACK that arrives before it has marked the
        # transfer done and starts streaming on the next one: ACK as a real
        # replica does, periodically.
        self.sock.sendall(encode_command('REPLCONF', 'ACK', str(self.offset)))
        self.last_ack = time.monotonic()

    def _recv(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError('primary closed the replication link')
        self.buf += chunk

    def _line(self):
        """Next line, skipping the bare newlines a primary sends as keep-alive."""
        while True:
            while self.buf[:1] == b'\n':
                del self.buf[:1]
            end = self.buf.find(b'\r\n')
            if end >= 0:
                line = bytes(self.buf[:end])
                del self.buf[:end + 2]
                return line
            self._recv()

    def _skip_payload(self):
        head = self._line()
        assert head.startswith(b'$'), head
        if head.startswith(b'$EOF:'):
            mark = head[5:]
            assert len(mark) == 40, head
            while True:
                at = self.buf.find(mark)
                if at >= 0:
                    del self.buf[:at + 40]
                    return
                self._recv()
        n = int(head[1:])
        while len(self.buf) < n:
            self._recv()
        del self.buf[:n]

    def poll(self, seconds=0.2):
        """Reads whatever arrives within `seconds`; returns commands() so far."""
        deadline = time.monotonic() + seconds
        while True:
            self._parse()
            if time.monotonic() - self.last_ack > 0.25:
                self._ack()
            left = deadline - time.monotonic()
            if left <= 0:
                return self.cmds
            self.sock.settimeout(min(left, 0.25))
            try:
                self._recv()
            except socket.timeout:
                pass
            finally:
                self.sock.settimeout(self.timeout)

    def _parse(self):
        while self.buf:
            if self.buf[:1] == b'\n':  # Keep-alive, not part of the offset.
                del self.buf[:1]
                continue
            try:
                value, end = parse_reply(self.buf, 0)
            except Incomplete:
                return
            del self.buf[:end]
            self.offset += end
            self.cmds.append(value)

    def commands(self):
        return self.cmds

    def wait_command(self, pred, timeout=TIMEOUT, what='command'):
        def find():
            for cmd in self.poll(0.1):
                if pred(cmd):
                    return (cmd,)  # A tuple: the command itself may be falsy.
            return None
        return wait_for(find, timeout, '%s in the stream' % what, interval=0,
                        detail=lambda: 'got %r' % (self.cmds[-20:],))[0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- files -------------------------------------------------------------------

def rdb_aux(path):
    """The AUX fields (opcode 0xFA) at the start of an RDB file, as {str: str}."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:5] == b'REDIS', data[:9]
    pos = 9
    out = {}

    def string():
        nonlocal pos
        b = data[pos]
        pos += 1
        kind = b >> 6
        if kind == 0:
            n = b & 0x3F
        elif kind == 1:
            n = ((b & 0x3F) << 8) | data[pos]
            pos += 1
        elif b == 0x80:
            n = int.from_bytes(data[pos:pos + 4], 'big')
            pos += 4
        elif b == 0x81:
            n = int.from_bytes(data[pos:pos + 8], 'big')
            pos += 8
        else:
            width = {0xC0: 1, 0xC1: 2, 0xC2: 4}[b]  # Integers; aux values are never LZF.
            v = int.from_bytes(data[pos:pos + width], 'little', signed=True)
            pos += width
            return str(v)
        s = data[pos:pos + n]
        pos += n
        return s.decode('latin-1')

    while data[pos] == 0xFA:
        pos += 1
        k = string()
        out[k] = string()
    return out
