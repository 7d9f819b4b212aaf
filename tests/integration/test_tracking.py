"""Client-side caching: CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO.

Most tests are differential and need several connections: a scenario is a
list of steps, each naming the connection it runs on, played on Basalt and on
redis-server 7.0.15; every reply and every invalidation message (RESP3 push,
or RESP2 `message` on __redis__:invalidate) is recorded in the order it is
read, and the two transcripts must be byte-identical. A scenario ends by
sending PING on every connection and recording what arrives before PONG:
an invalidation for a write that completed must reach a connection before
the reply to a command it sends afterwards, so nothing depends on timing.

Client ids differ between the servers: `rid('name')` in a step stands for
that connection's id, and ids in GETREDIR / TRACKINGINFO replies and in
tracking-redir-broken pushes are replaced by the connection's name.

Then behaviour that cannot be compared byte for byte: expiry, eviction under
maxmemory, tracking-table-max-keys (both pick keys at random), readers and
writers on different worker threads (--threads 4), clients closing with keys
tracked, INFO and CLIENT LIST fields.
"""

import re
import threading
import time

import pytest

from helpers import info_int, wait_for
from resp_client import Push, RawClient
from servers import target_is_basalt

PING = b'*1\r\n$4\r\nPING\r\n'


class rid:
    """A step argument standing for the id of connection `name`."""

    def __init__(self, name):
        self.name = name


def _is_push(raw):
    return raw.startswith(b'>') or raw.startswith(b'*3\r\n$7\r\nmessage\r\n')


def _is_pong(raw):
    return raw in (b'+PONG\r\n', b'*2\r\n$4\r\npong\r\n$0\r\n\r\n')


class Scenario:
    """Plays steps on one server and keeps the transcript."""

    def __init__(self, port):
        self.port = port
        self.clients = {}
        self.ids = {}
        self.transcript = []

    def client(self, name):
        if name not in self.clients:
            c = RawClient(self.port)
            c.send_command('CLIENT', 'ID')
            self.ids[name] = int(c.read_reply()[1:-2])
            self.clients[name] = c
        return self.clients[name]

    def normalize(self, raw):
        for name, i in self.ids.items():
            for label in (b'tracking-redir-broken', b'redirect', b'id'):
                raw = raw.replace(b'$%d\r\n%s\r\n:%d\r\n' % (len(label), label, i),
                                  b'$%d\r\n%s\r\n:<%s>\r\n' % (len(label), label,
                                                                   name.encode()))
        return raw

    def run(self, steps):
        for step in steps:
            name, what = step[0], step[1]
            c = self.client(name)
            if what == 'READ':
                # One invalidation that must come without any command sent.
                self.transcript.append((name, 'read', self.normalize(c.read_reply())))
                continue
            if isinstance(what, tuple) and what[0] == 'SLEEP':
                time.sleep(what[1])
                continue
            if what == 'CLOSE':
                c.close()
                del self.clients[name]
                continue
            args = what.split(' ') if isinstance(what, str) else list(what)
            shown = ['<%s>' % a.name if isinstance(a, rid) else a for a in args]
            args = [str(self.ids[a.name]) if isinstance(a, rid) else a for a in args]
            c.send_command(*args)
            getredir = [str(a).lower() for a in args[:2]] == ['client', 'getredir']
            while True:
                raw = c.read_reply()
                if _is_push(raw):
                    self.transcript.append((name, 'push', self.normalize(raw)))
                    continue
                if getredir and raw != b':-1\r\n' and raw != b':0\r\n':
                    raw = self.normalize(b'$8\r\nredirect\r\n' + raw)
                self.transcript.append((name, ' '.join(map(str, shown)), self.normalize(raw)))
                break
        self.sync()
        return self.transcript

    def sync(self):
        for name in sorted(self.clients):
            c = self.clients[name]
            c.send(PING)
            while True:
                raw = c.read_reply()
                if _is_pong(raw):
                    break
                self.transcript.append((name, 'before PING', self.normalize(raw)))

    def close(self):
        for c in self.clients.values():
            c.close()


def play(port, steps):
    s = Scenario(port)
    try:
        RawClient(port).command('FLUSHALL')
        return s.run(steps)
    finally:
        s.close()


def check(basalt_server, oracle_server, steps):
    want = play(oracle_server.port, steps)
    got = play(basalt_server.port, steps)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, 'entry %d differs:\n basalt: %r\n redis:  %r\n(transcript %r)' % (
            i, g, w, want)
    assert len(got) == len(want), 'basalt %r\nredis %r' % (got, want)
    return got


def resp3(name):
    return (name, 'HELLO 3')


# ---------------------------------------------------------------- replies


def test_option_errors_and_info(differ):
    differ([
        'CLIENT TRACKING on PREFIX a',
        'CLIENT TRACKING on OPTIN OPTOUT',
        'CLIENT TRACKING on BCAST OPTIN',
        'CLIENT TRACKING on BCAST OPTOUT',
        'CLIENT TRACKING on REDIRECT 999999',
        'CLIENT TRACKING on REDIRECT x',
        'CLIENT TRACKING on REDIRECT 0',
        'CLIENT TRACKING maybe',
        'CLIENT TRACKING on FOO',
        'CLIENT TRACKING on PREFIX',
        'CLIENT TRACKING on REDIRECT',
        'CLIENT TRACKING',
        'CLIENT CACHING yes',
        'CLIENT CACHING no',
        'CLIENT CACHING yes extra',
        'CLIENT GETREDIR',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING off',
        'CLIENT TRACKING on BCAST PREFIX ab PREFIX a',
        'CLIENT TRACKING on BCAST PREFIX a PREFIX a',
        'CLIENT TRACKING on BCAST PREFIX a PREFIX b',
        'CLIENT TRACKING on BCAST PREFIX abc',
        'CLIENT TRACKING on BCAST PREFIX a',
        'CLIENT TRACKING on BCAST PREFIX c',
        'CLIENT TRACKING on',
        'CLIENT TRACKING on OPTIN',
        'CLIENT TRACKINGINFO',
        'CLIENT GETREDIR',
        'CLIENT CACHING yes',
        'CLIENT TRACKING off',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING on bcast',
        'CLIENT TRACKING on BCAST PREFIX x',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING off',
        'CLIENT TRACKING on OPTIN',
        'CLIENT CACHING no',
        'CLIENT CACHING maybe',
        'CLIENT CACHING yes',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING on OPTOUT',
        'CLIENT TRACKING on OPTIN NOLOOP',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING off',
        'CLIENT TRACKING on OPTOUT',
        'CLIENT CACHING yes',
        'CLIENT CACHING no',
        'CLIENT TRACKINGINFO',
        'GET x',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING on',
        'CLIENT TRACKINGINFO',
        'CLIENT TRACKING off',
        'CLIENT TRACKING off',
        'CLIENT GETREDIR',
    ])


def test_config_directive(differ):
    differ([
        'CONFIG GET tracking-table-max-keys',
        'CONFIG SET tracking-table-max-keys 10',
        'CONFIG GET tracking-table-max-keys',
        'CONFIG SET tracking-table-max-keys -1',
        'CONFIG SET tracking-table-max-keys 1000000',
    ])


def test_redirect_ids(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        ('r', 'PING'),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('r'), 'REDIRECT', rid('r')]),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('r')]),
        ('a', 'CLIENT GETREDIR'),
        ('a', 'CLIENT TRACKINGINFO'),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('a')]),   # itself: allowed
        ('a', 'CLIENT GETREDIR'),
        ('a', 'CLIENT TRACKING on'),  # no REDIRECT: back to none
        ('a', 'CLIENT GETREDIR'),
    ])


# ---------------------------------------------------------------- default mode


def test_default_mode_resp3(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('a', 'CLIENT TRACKING on'),
        ('a', 'GET k'),
        ('b', 'SET k 1'),          # a hears about k
        ('a', 'GET k'),
        ('a', 'SET k 2'),          # its own write: the message follows the reply
        ('a', 'GET k'),
        ('b', 'SET k 3'),
        ('b', 'SET k 4'),          # forgotten after one message: no second one
        ('a', 'MGET m1 m2 m3'),
        ('b', 'MSET m1 1 m2 2'),   # one message per key
        ('a', 'HGET h f'),
        ('a', 'LRANGE l 0 -1'),
        ('a', 'ZSCORE z m'),
        ('a', 'SMEMBERS s'),
        ('a', 'EXISTS e1 e2'),
        ('b', 'HSET h f v'),
        ('b', 'RPUSH l x'),
        ('b', 'ZADD z 1 m'),
        ('b', 'SADD s x'),
        ('b', 'SET e2 v'),
        ('a', 'GET other'),
        ('b', 'SELECT 1'),
        ('b', 'SET other v'),      # keys are names, whatever the database
        ('b', 'SELECT 0'),
        ('a', 'STRLEN n'),
        ('b', 'DEL n'),            # nothing to delete: no change, no message
        ('b', 'SET n v'),
        ('a', 'GET w'),
        ('b', 'SET w v'),          # a write command on a key a only wrote before
        ('a', 'SET w2 v'),
        ('b', 'SET w2 x'),         # a never read w2
        ('a', 'GETRANGE r 0 1'),
        ('b', 'APPEND r x'),
        ('a', 'GET bin\x00key'),
        ('b', 'SET bin\x00key v'),
        ('a', 'CLIENT TRACKING off'),
        ('a', 'GET k'),
        ('b', 'SET k 5'),          # tracking off: k was not remembered
        ('a', 'CLIENT TRACKING on'),
        ('a', 'GET k'),
        ('a', 'RESET'),            # turns tracking off
        ('a', 'CLIENT TRACKINGINFO'),
        ('b', 'SET k 6'),
    ])


def test_own_write_order_in_pipeline(basalt_server, oracle_server):
    got = []
    for srv in (oracle_server, basalt_server):
        RawClient(srv.port).command('FLUSHALL')
        with RawClient(srv.port) as a:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on')
            a.command('GET', 'k')
            a.send(b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n')
            out = [a.read_reply() for _ in range(3)]
            a.send(PING)
            out.append(a.read_reply())
            got.append(out)
    assert got[0] == [b'+OK\r\n', b'>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n', b'_\r\n',
                      b'+PONG\r\n']
    assert got[1] == got[0]


def test_noloop_default_mode(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('a', 'CLIENT TRACKING on NOLOOP'),
        ('a', 'GET n1'),
        ('a', 'SET n1 x'),    # own write: no message
        ('a', 'GET n1'),
        ('b', 'SET n1 y'),    # another client's: a message
        ('a', 'CLIENT TRACKINGINFO'),
    ])


def test_resp2_without_redirect_gets_nothing(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        ('a', 'CLIENT TRACKING on'),
        ('a', 'GET k'),
        ('b', 'SET k 1'),
        ('a', 'GET k'),
        ('b', 'FLUSHALL'),
        ('a', 'CLIENT GETREDIR'),
    ])


# ---------------------------------------------------------------- flushes


def test_flushdb_flushall(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        resp3('bc'),
        ('a', 'CLIENT TRACKING on'),
        ('bc', 'CLIENT TRACKING on BCAST PREFIX zz NOLOOP'),
        ('a', 'GET k'),
        ('b', 'SET k 1'),
        ('b', 'SELECT 3'),
        ('b', 'FLUSHDB'),          # another database, empty: every tracking client hears
        ('a', 'GET k'),
        ('b', 'SET k 2'),          # the table was emptied: nothing
        ('a', 'GET k'),
        ('b', 'FLUSHALL'),
        ('bc', 'FLUSHALL'),        # NOLOOP does not hide a flush
        ('a', 'FLUSHDB'),          # its own flush: after the reply
        ('b', 'FLUSHALL ASYNC'),
    ])


def test_flush_resp2_redirect(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        ('r', 'SUBSCRIBE __redis__:invalidate'),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('r')]),
        ('a', 'GET k'),
        ('b', 'SET k 1'),
        ('b', 'FLUSHALL'),
    ])


# ---------------------------------------------------------------- redirect


def test_redirect_resp2_and_resp3(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        ('r', 'SUBSCRIBE __redis__:invalidate'),
        ('n', 'PING'),
        resp3('p'),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('r')]),
        ('a', 'GET k'),
        ('b', 'SET k 1'),            # RESP2 message to r
        ('a', 'GET k'),
        ('a', 'SET k 2'),            # its own write, redirected
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('n')]),
        ('a', 'GET k'),
        ('b', 'SET k 3'),            # n: RESP2 and not subscribed, nothing
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('p')]),
        ('a', 'GET k'),
        ('b', 'SET k 4'),            # p: a RESP3 push
        ('a', 'CLIENT GETREDIR'),
    ])


def test_redirect_broken(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('r', 'PING'),
        ('a', ['CLIENT', 'TRACKING', 'on', 'REDIRECT', rid('r')]),
        ('a', 'GET k'),
        ('a', 'GET j'),
        ('r', 'CLOSE'),
        ('b', 'PING'),
        ('b', 'SET k 1'),            # a hears tracking-redir-broken
        ('a', 'CLIENT TRACKINGINFO'),
        ('b', 'FLUSHALL'),           # again
        ('a', 'CLIENT TRACKING on'),  # re-enabling clears the broken state
        ('a', 'CLIENT TRACKINGINFO'),
    ])


def test_redirect_broken_flag_in_client_list(make_server):
    srv = make_server()
    a, r = RawClient(srv.port), RawClient(srv.port)
    rid_ = r.call('CLIENT', 'ID')
    a.command('HELLO', '3')
    assert a.command('CLIENT', 'TRACKING', 'on', 'REDIRECT', str(rid_)) == b'+OK\r\n'
    info = a.call('CLIENT', 'INFO').decode()
    assert ' flags=t ' in info and ' redir=%d ' % rid_ in info
    a.command('GET', 'k')
    r.close()
    b = RawClient(srv.port)
    wait_for(lambda: b'id=%d ' % rid_ not in b.call('CLIENT', 'LIST'), what='redirect client gone')
    b.command('SET', 'k', 'v')
    assert a.read_reply() == b'>2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n' % rid_
    info = a.call('CLIENT', 'INFO').decode()
    assert ' flags=tR ' in info
    a.command('CLIENT', 'TRACKING', 'off')
    a.command('CLIENT', 'TRACKING', 'on', 'BCAST')
    info = a.call('CLIENT', 'INFO').decode()
    assert ' flags=tB ' in info and ' redir=0 ' in info
    a.command('CLIENT', 'TRACKING', 'off')
    info = a.call('CLIENT', 'INFO').decode()
    assert ' flags=N ' in info and ' redir=-1 ' in info


# ---------------------------------------------------------------- BCAST


def test_bcast(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        resp3('all'),
        ('a', 'CLIENT TRACKING on BCAST PREFIX a PREFIX b NOLOOP'),
        ('all', 'CLIENT TRACKING on BCAST'),
        ('b', 'MSET a1 1 b1 2 c1 3 a0 4'),   # one message per prefix, keys sorted
        ('a', 'MSET a1 1 b1 2 c1 3 a0 4'),   # NOLOOP: a hears nothing, all does
        ('all', 'SET a5 x'),                 # all's own write comes after its reply
        ('b', 'DEL a1 zz'),
        ('b', 'EXPIRE b1 100'),
        ('a', 'GET a1'),                     # reads track nothing in BCAST mode
        ('a', 'CLIENT TRACKINGINFO'),
        ('a', 'CLIENT TRACKING on BCAST PREFIX c'),
        ('b', 'SET c2 x'),
        ('a', 'CLIENT TRACKING off'),
        ('b', 'SET a2 x'),
    ])


def test_bcast_pipelined_batch(basalt_server, oracle_server):
    got = []
    for srv in (oracle_server, basalt_server):
        RawClient(srv.port).command('FLUSHALL')
        with RawClient(srv.port) as a, RawClient(srv.port) as b:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'a')
            # Three writes in one batch: one message with both keys, sorted.
            b.send(b''.join(b'*3\r\n$3\r\nSET\r\n$2\r\n%s\r\n$1\r\n3\r\n' % k
                            for k in (b'az', b'aa', b'az')))
            assert [b.read_reply() for _ in range(3)] == [b'+OK\r\n'] * 3
            a.send(PING)
            got.append([a.read_reply(), a.read_reply()])
    assert got[0] == [b'>2\r\n$10\r\ninvalidate\r\n*2\r\n$2\r\naa\r\n$2\r\naz\r\n', b'+PONG\r\n']
    assert got[1] == got[0]


# ---------------------------------------------------------------- OPTIN / OPTOUT


def test_optin_optout(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('a', 'CLIENT TRACKING on OPTIN'),
        ('a', 'GET o1'),                  # not tracked
        ('a', 'CLIENT CACHING yes'),
        ('a', 'GET o2'),                  # tracked
        ('a', 'GET o3'),                  # CACHING applied to one command only
        ('b', 'MSET o1 1 o2 2 o3 3'),
        ('a', 'CLIENT CACHING yes'),
        ('a', 'CLIENT TRACKINGINFO'),     # a CLIENT command keeps it
        ('a', 'MULTI'),
        ('a', 'GET o1'),
        ('a', 'GET o3'),
        ('a', 'EXEC'),                    # the whole transaction is tracked
        ('a', 'GET o2'),
        ('b', 'MSET o1 1 o2 2 o3 3'),
        ('a', 'CLIENT CACHING yes'),
        ('a', 'NOSUCHCOMMAND'),           # even a rejected command uses it up
        ('a', 'GET o1'),
        ('b', 'SET o1 x'),
        ('a', 'CLIENT TRACKING off'),
        ('a', 'CLIENT TRACKING on OPTOUT'),
        ('a', 'GET o1'),                  # tracked
        ('a', 'CLIENT CACHING no'),
        ('a', 'GET o2'),                  # not tracked
        ('a', 'GET o3'),                  # tracked again
        ('b', 'MSET o1 1 o2 2 o3 3'),
    ])


# ---------------------------------------------------------------- writers


def test_multi_exec_and_scripts(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('a', 'CLIENT TRACKING on'),
        ('a', 'GET st'),
        ('a', 'GET s1'),
        ('b', 'MULTI'),
        ('b', 'SET st 1'),
        ('b', 'INCR st'),
        ('b', 'EXEC'),                     # one message for st
        ('b', ['EVAL', "return redis.call('set', KEYS[1], 'z')", '1', 's1']),
        ('a', ['EVAL', "return redis.call('get', KEYS[1])", '1', 's2']),   # tracked
        ('a', ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 's3']),
        ('b', 'MSET s2 1 s3 1'),
        ('a', 'MULTI'),
        ('a', 'GET t1'),
        ('a', 'SET t1 v'),
        ('a', 'EXEC'),                     # its own write in EXEC: after the reply
        ('b', 'SET t1 w'),
        ('a', 'GET r1'),
        ('b', 'RENAME r1 r2'),             # no such key: an error, no message
        ('b', 'SET r1 v'),
        ('a', 'GET r1'),
        ('a', 'GET r2'),
        ('b', 'RENAME r1 r2'),             # both names change
    ])


def test_swapdb_copy_move(basalt_server, oracle_server):
    check(basalt_server, oracle_server, [
        resp3('a'),
        ('a', 'CLIENT TRACKING on'),
        ('a', 'GET sw'),
        ('b', 'SELECT 1'),
        ('b', 'SET sw 1'),
        ('b', 'SELECT 0'),
        ('b', 'SWAPDB 0 1'),     # Redis 7.0 invalidates nothing on SWAPDB
        ('b', 'SWAPDB 0 1'),
        ('b', 'SET sw 2'),
        ('a', 'GET cp'),
        ('b', 'SET src 1'),
        ('b', 'COPY src cp'),
        ('a', 'GET mv'),
        ('b', 'SELECT 2'),
        ('b', 'SET mv 1'),
        ('b', 'MOVE mv 0'),
        ('b', 'SELECT 0'),
    ])


def test_lazy_expiry(make_server, oracle_bin):
    # Active expiry off: a key expires when it is next looked up.
    steps = [
        resp3('a'),
        ('b', 'DEBUG SET-ACTIVE-EXPIRE 0'),
        ('a', 'CLIENT TRACKING on'),
        ('b', 'SET ex 1 PX 100'),
        ('b', 'SET ex2 1 PX 100'),
        ('a', 'GET ex'),
        ('a', 'GET ex2'),
        ('b', ('SLEEP', 0.3)),   # lets the TTLs pass; nothing is timed
        ('b', 'GET ex'),         # expires now: a hears
        ('a', 'GET ex2'),        # its own lookup expires it: after the reply
    ]
    servers = [make_server('--enable-debug-command', 'yes', binary=b)
               for b in (None, oracle_bin)]
    check(servers[0], servers[1], steps)


def test_active_expiry(basalt_server, oracle_server):
    for srv in (oracle_server, basalt_server):
        RawClient(srv.port).command('FLUSHALL')
        with RawClient(srv.port) as a, RawClient(srv.port) as b:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on')
            assert b.command('SET', 'ex', '1', 'PX', '50') == b'+OK\r\n'
            assert a.command('GET', 'ex') == b'$1\r\n1\r\n'
            # Nobody touches the key: the expiry cycle deletes it and the
            # message arrives by itself (read with the socket's timeout).
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nex\r\n'
        # BCAST: the SET is one change and the expiry cycle's deletion another.
        with RawClient(srv.port) as a, RawClient(srv.port) as b:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'bx')
            assert b.command('SET', 'bx1', '1', 'PX', '50') == b'+OK\r\n'
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nbx1\r\n'
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n*1\r\n$3\r\nbx1\r\n'


# ---------------------------------------------------------------- limits


def _reads_then_count(port, nkeys, max_keys):
    """Tracks nkeys keys with the table limited to max_keys; returns the keys
    invalidated (by the limit) and INFO's tracking_total_keys after."""
    with RawClient(port) as a, RawClient(port) as admin:
        admin.command('FLUSHALL')
        assert admin.command('CONFIG', 'SET', 'tracking-table-max-keys', '0') == b'+OK\r\n'
        a.command('HELLO', '3')
        a.command('CLIENT', 'TRACKING', 'on')
        for i in range(nkeys):
            a.command('GET', 'lim:%d' % i)
        assert info_int(admin, 'stats', 'tracking_total_keys') == nkeys
        admin.command('CONFIG', 'SET', 'tracking-table-max-keys', str(max_keys))
        # The limit is applied before the next command of any client.
        a.send(PING)
        evicted = []
        while True:
            raw = a.read_reply()
            if raw == b'+PONG\r\n':
                break
            m = re.match(rb'>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$\d+\r\n(.*)\r\n$', raw, re.S)
            assert m, raw
            evicted.append(m.group(1))
        total = info_int(admin, 'stats', 'tracking_total_keys')
        admin.command('CONFIG', 'SET', 'tracking-table-max-keys', '1000000')
        a.command('CLIENT', 'TRACKING', 'off')
        return evicted, total


def test_table_max_keys(basalt_server, oracle_server):
    for srv in (oracle_server, basalt_server):
        evicted, total = _reads_then_count(srv.port, 10, 3)
        assert len(evicted) == 7 and len(set(evicted)) == 7, (srv, evicted)
        assert all(k.startswith(b'lim:') for k in evicted)
        assert total == 3


def test_eviction_invalidates(make_server, oracle_bin):
    for binary in (None, oracle_bin):
        srv = make_server('--maxmemory-policy', 'allkeys-random', binary=binary)
        with RawClient(srv.port) as a, RawClient(srv.port) as b:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on')
            for i in range(20):
                b.command('SET', 'ev:%d' % i, 'x' * 1000)
                a.command('GET', 'ev:%d' % i)
            used = info_int(b, 'memory', 'used_memory')
            b.command('CONFIG', 'SET', 'maxmemory', str(used + 100000))
            # Fill past the limit: random keys go, tracked ones among them.
            for i in range(400):
                b.command('SET', 'fill:%d' % i, 'y' * 1000)
            b.command('CONFIG', 'SET', 'maxmemory', '0')
            gone = {i for i in range(20) if b.command('EXISTS', 'ev:%d' % i) == b':0\r\n'}
            assert gone, 'nothing tracked was evicted'
            a.send(PING)
            heard = set()
            while True:
                raw = a.read_reply()
                if raw == b'+PONG\r\n':
                    break
                m = re.match(rb'>2\r\n\$10\r\ninvalidate\r\n\*1\r\n\$\d+\r\nev:(\d+)\r\n$', raw)
                assert m, raw
                heard.add(int(m.group(1)))
            assert heard == gone


# ---------------------------------------------------------------- INFO


def test_info_fields(basalt_server, oracle_server):
    results = []
    for srv in (oracle_server, basalt_server):
        RawClient(srv.port).command('FLUSHALL')
        with RawClient(srv.port) as a, RawClient(srv.port) as b, \
                RawClient(srv.port) as c, RawClient(srv.port) as admin:
            base = info_int(admin, 'clients', 'tracking_clients')
            a.command('CLIENT', 'TRACKING', 'on')
            b.command('CLIENT', 'TRACKING', 'on')
            c.command('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'p:', 'PREFIX', 'q:')
            a.command('MGET', 'i1', 'i2', 'i3')
            b.command('GET', 'i1')
            row = [info_int(admin, 'clients', 'tracking_clients')]
            row += [info_int(admin, 'stats', f) for f in ('tracking_total_keys',
                                                          'tracking_total_items',
                                                          'tracking_total_prefixes')]
            row[0] -= base
            admin.command('SET', 'i1', 'v')
            row += [info_int(admin, 'stats', 'tracking_total_keys'), info_int(admin, 'stats', 'tracking_total_items')]
            c.command('CLIENT', 'TRACKING', 'off')
            a.command('CLIENT', 'TRACKING', 'off')
            row += [info_int(admin, 'clients', 'tracking_clients') - base,
                    info_int(admin, 'stats', 'tracking_total_prefixes')]
            b.command('CLIENT', 'TRACKING', 'off')
            admin.command('FLUSHALL')
            row.append(info_int(admin, 'stats', 'tracking_total_keys'))
        results.append(row)
    assert results[0] == [3, 3, 4, 2, 2, 2, 1, 0, 0]
    assert results[1] == results[0]


# ---------------------------------------------------------------- threads


def call_noting_pushes(client, heard, *args):
    """Sends one command and returns its reply (parsed); the keys of the
    invalidation pushes that come before it are added to `heard` (a set, or
    a list of events ('inv', key) in arrival order)."""
    client.send_command(*args)
    while True:
        v = client.read_value()
        if isinstance(v, Push):
            assert v[0] == b'invalidate', v
            if isinstance(heard, list):
                heard.extend(('inv', k) for k in v[1])
            else:
                heard.update(v[1])
            continue
        return v


@pytest.mark.basalt_only('worker threads')
def test_readers_and_writers_on_different_threads(make_server):
    srv = make_server(threads=4)
    nreaders, nkeys, nwriters = 12, 40, 4
    readers = [RawClient(srv.port) for _ in range(nreaders)]
    writers = [RawClient(srv.port) for _ in range(nwriters)]
    try:
        for i, r in enumerate(readers):
            r.command('HELLO', '3')
            if i % 3 == 2:
                r.command('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'mt:')
            else:
                r.command('CLIENT', 'TRACKING', 'on')
                for k in range(nkeys):
                    assert call_noting_pushes(r, set(), 'GET', 'mt:%d' % k) is None

        def write(w, part):
            for k in range(part, nkeys, nwriters):
                assert w.command('SET', 'mt:%d' % k, 'v') == b'+OK\r\n'

        threads = [threading.Thread(target=write, args=(w, i)) for i, w in enumerate(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Every write has been answered: each reader's invalidations arrive
        # before the reply to its next command.
        for i, r in enumerate(readers):
            heard = set()
            assert call_noting_pushes(r, heard, 'PING') in ('PONG', b'PONG')
            assert heard == {b'mt:%d' % k for k in range(nkeys)}, i
        admin = RawClient(srv.port)
        assert info_int(admin, 'stats', 'tracking_total_keys') == 0
        assert info_int(admin, 'clients', 'tracking_clients') == nreaders
        # Reads and writes racing on the same keys: whatever the interleaving,
        # each reader hears of every key after its last read of it, once a
        # write follows that read.
        stop = threading.Event()

        def churn(w):
            n = 0
            while not stop.is_set():
                w.command('INCR', 'race:%d' % (n % 8))
                n += 1

        threads = [threading.Thread(target=churn, args=(w,)) for w in writers]
        racers = [r for i, r in enumerate(readers) if i % 3 != 2][:4]  # default mode
        events = {id(r): [] for r in racers}
        for t in threads:
            t.start()
        try:
            for _ in range(5):
                for r in racers:
                    for k in range(8):
                        call_noting_pushes(r, events[id(r)], 'GET', 'race:%d' % k)
                        events[id(r)].append(('read', b'race:%d' % k))
        finally:
            stop.set()
            for t in threads:
                t.join()
        for k in range(8):
            admin.command('INCR', 'race:%d' % k)
        for r in racers:
            ev = events[id(r)]
            assert call_noting_pushes(r, ev, 'PING') in ('PONG', b'PONG')
            for k in range(8):
                key = b'race:%d' % k
                last_read = max(i for i, e in enumerate(ev) if e == ('read', key))
                assert ('inv', key) in ev[last_read + 1:], (key, ev)
        admin.close()
    finally:
        for c in readers + writers:
            c.close()


def test_clients_closing_with_keys_tracked(make_server):
    srv = make_server(threads=2) if target_is_basalt() else make_server()
    admin = RawClient(srv.port)
    base = info_int(admin, 'clients', 'tracking_clients')
    for round_ in range(3):
        clients = [RawClient(srv.port) for _ in range(20)]
        for i, c in enumerate(clients):
            c.command('HELLO', '3')
            if i % 5 == 0:
                c.command('CLIENT', 'TRACKING', 'on', 'BCAST', 'PREFIX', 'cl%d:' % i)
            else:
                c.command('CLIENT', 'TRACKING', 'on')
            for k in range(10):
                c.command('GET', 'cl:%d' % k)
        for c in clients:
            c.close()
        wait_for(lambda: info_int(admin, 'clients', 'tracking_clients') == base, what='tracking clients gone')
        assert info_int(admin, 'stats', 'tracking_total_prefixes') == 0
        # Writes to the keys the closed clients read find nobody to tell, and
        # clear the table.
        for k in range(10):
            assert admin.command('SET', 'cl:%d' % k, 'v') == b'+OK\r\n'
        assert info_int(admin, 'stats', 'tracking_total_keys') == 0
    admin.close()


def test_redis_py_resp2_redirect(basalt_server, oracle_server):
    """redis-py (RESP2): a pub/sub connection receives the invalidations of a
    tracking connection redirected to it."""
    import redis
    for srv in (oracle_server, basalt_server):
        r = redis.Redis(port=srv.port)
        r.flushall()
        p = r.pubsub()
        p.subscribe('__redis__:invalidate')
        assert p.get_message(timeout=5)['type'] == 'subscribe'
        # The id of the pub/sub connection: CLIENT LIST by its subscription.
        lines = r.client_list()
        pid = [c['id'] for c in lines if c['sub'] == '1'][0]
        tracked = redis.Redis(port=srv.port, single_connection_client=True)
        assert tracked.execute_command('CLIENT', 'TRACKING', 'on', 'REDIRECT', pid)
        tracked.get('cached')
        r.set('cached', 'new')
        m = p.get_message(timeout=5)
        assert m['type'] == 'message' and m['channel'] == b'__redis__:invalidate'
        assert m['data'] == [b'cached']
        tracked.close()
        p.close()
        r.close()


def test_replica_applying_the_stream_invalidates(make_server, oracle_bin):
    """A tracking client of a replica hears about keys its primary's stream
    changes (Basalt and redis-server pairs)."""
    from helpers import wait_link_up, wait_synced
    for binary in (None, oracle_bin):
        primary = make_server(binary=binary)
        replica = make_server('--replicaof', '127.0.0.1', str(primary.port), binary=binary)
        wait_link_up(replica)
        with RawClient(primary.port) as p, RawClient(replica.port) as a:
            p.command('SET', 'rk', '1')
            wait_synced(primary, replica)
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on')
            assert a.command('GET', 'rk') == b'$1\r\n1\r\n'
            p.command('SET', 'rk', '2')
            # Read with the socket's timeout: the replica applies the write
            # whenever it arrives.
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\nrk\r\n'
            assert a.command('GET', 'rk') == b'$1\r\n2\r\n'
            p.command('FLUSHALL')
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n_\r\n'


def test_ioredis_resp2_redirect(basalt_server, oracle_server):
    """ioredis (Node.js): a local cache kept by a tracking connection whose
    invalidations go to a subscriber (tests/interop/ioredis/tracking_client.js)."""
    import json
    import os
    import shutil
    import subprocess
    from helpers import missing_dependency
    client_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              'interop', 'ioredis')
    node = shutil.which('node')
    if node is None:
        missing_dependency('node not installed (scripts/install-deps installs nodejs)')
    if not os.path.isfile(os.path.join(client_dir, 'node_modules', 'ioredis', 'package.json')):
        missing_dependency('ioredis not installed in tests/interop/ioredis (scripts/install-deps '
                           'runs `npm ci` there)')
    for srv in (oracle_server, basalt_server):
        out = subprocess.run([node, 'tracking_client.js', '--port', str(srv.port)],
                             cwd=client_dir, capture_output=True, text=True, timeout=60)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        assert result == {'invalidated': ['k1', 'k2'], 'cache': {'k3': 'v3'}, 'flush': True}, \
            (srv.binary if hasattr(srv, 'binary') else srv, out.stdout, out.stderr)


def test_debug_reload_is_a_flush(make_server, oracle_bin):
    servers = [make_server('--enable-debug-command', 'yes', binary=b) for b in (None, oracle_bin)]
    check(servers[0], servers[1], [
        resp3('a'),
        ('a', 'CLIENT TRACKING on'),
        ('b', 'SET k v'),
        ('a', 'GET k'),
        ('b', 'DEBUG RELOAD'),
        ('a', 'GET k'),
    ])


def test_full_sync_is_a_flush(make_server, oracle_bin):
    """A replica that (re)syncs in full empties its dataset first: its
    tracking clients get the flush message."""
    from helpers import wait_link_up
    for binary in (None, oracle_bin):
        p1 = make_server(binary=binary)
        p2 = make_server(binary=binary)
        replica = make_server('--replicaof', '127.0.0.1', str(p1.port), binary=binary)
        wait_link_up(replica)
        with RawClient(replica.port) as a, RawClient(replica.port) as admin:
            a.command('HELLO', '3')
            a.command('CLIENT', 'TRACKING', 'on')
            a.command('GET', 'k')
            assert admin.command('REPLICAOF', '127.0.0.1', str(p2.port)).startswith(b'+OK')
            assert a.read_reply() == b'>2\r\n$10\r\ninvalidate\r\n_\r\n'
