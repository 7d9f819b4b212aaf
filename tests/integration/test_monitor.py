"""MONITOR: the lines a monitoring client receives, compared with redis-server.

The same commands run on a Basalt server (several worker threads) and on the
oracle, each watched by a MONITOR connection over a raw socket. Lines are
compared after the timestamp is checked for its format and removed, and each
client's address is replaced by a name the test gives it (its own port is
known from its socket). Covers argument quoting, MULTI/EXEC (and EXECABORT,
DISCARD), scripts (`[db lua]`, EVAL shown before the commands it calls),
credentials redacted (AUTH, HELLO AUTH), commands never shown (admin ones
such as CONFIG and CLIENT LIST, unknown commands, arity errors, queued
commands), a blocked command shown once, what a monitor itself may send,
RESET, unix-socket clients, CLIENT LIST's O flag, and delivery across worker
threads in each client's command order.
"""

import re
import threading

import pytest

from helpers import info_int, wait_for
from resp_client import RawClient

LINE = re.compile(rb'^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$')


def monitor(srv, timeout=10.0):
    m = RawClient(srv.port, timeout=timeout)
    assert m.command('MONITOR') == b'+OK\r\n'
    return m


def read_until(m, marker):
    """Monitor lines (raw, without CRLF) up to and including one containing marker."""
    lines = []
    while True:
        raw = m.read_reply()
        assert raw.startswith(b'+') and raw.endswith(b'\r\n'), raw
        lines.append(raw[:-2])
        if marker in raw:
            return lines


def normalize(lines, names):
    """[db source] args, with each address replaced by its name in `names`."""
    out = []
    for line in lines:
        g = LINE.match(line)
        assert g, 'not a MONITOR line: %r' % line
        src = g.group(4).decode()
        out.append('[%s %s] %s' % (g.group(3).decode(), names.get(src, src),
                                   g.group(5).decode('latin-1')))
    return out


def addr_of(client):
    host, port = client.sock.getsockname()[:2]
    return '%s:%d' % (host, port)


FUNC = ("#!lua name=monlib\n"
        "redis.register_function('monf', function(k, a) return redis.call('get', k[1]) end)")

SCRIPT = [
    ('SET', 'k', b'a"b\\c\n\r\t\x07\x08\x01\xff \xc3\xa9 \x00end'),
    ('GET', 'k'),
    ('SET', 'num', '12345'),
    ('MULTI',), ('SET', 'x', '1'), ('INCR', 'x'), ('EXEC',),
    ('MULTI',), ('SET', 'only-one-arg'), ('EXEC',),
    ('MULTI',), ('GET', 'q'), ('DISCARD',),
    ('EVAL', "redis.call('set', KEYS[1], 'v'); return redis.pcall('get', 'nokey')", '1', 'lk'),
    ('EVAL', "redis.call('select', '5'); return redis.call('set', 'a', 'b')", '0'),
    ('FUNCTION', 'LOAD', 'REPLACE', FUNC), ('FCALL', 'monf', '1', 'lk'),
    ('MULTI',), ('EVAL', "return redis.call('get', 'q')", '0'), ('EXEC',),
    ('AUTH', 'secret'), ('AUTH', 'user', 'secret'),
    ('HELLO', '3', 'AUTH', 'default', 'pw'), ('HELLO', '2', 'SETNAME', 'n1'), ('HELLO', '2'),
    ('CONFIG', 'SET', 'maxmemory', '0'), ('CONFIG', 'GET', 'maxmemory'),
    ('NOSUCHCOMMAND', 'a'), ('GET',), ('CLIENT', 'SETNAME', 'mon-test'), ('CLIENT', 'LIST'),
    ('CLIENT', 'ID'), ('SLOWLOG', 'LEN'), ('PING',), ('ECHO', 'x y'),
    ('SELECT', '3'), ('SET', 'y', '2'), ('LPUSH', 'y', 'z'), ('SELECT', '0'),
    ('FUNCTION', 'DELETE', 'monlib'),
]


def run_script(srv):
    """Runs SCRIPT (plus a blocked BLPOP) under a monitor; the normalized lines."""
    m = monitor(srv)
    c = RawClient(srv.port)
    names = {addr_of(c): 'client'}
    for cmd in SCRIPT:
        c.command(*cmd)
    # A blocked command is shown when it is called, not again when served.
    c.send_command('BLPOP', 'blist', '0')
    wait_for(lambda: info_int(srv, 'clients', 'blocked_clients') == 1, what='BLPOP blocked')
    pusher = RawClient(srv.port)
    names[addr_of(pusher)] = 'pusher'
    assert pusher.command('RPUSH', 'blist', 'v') == b':1\r\n'
    assert c.read_reply() == b'*2\r\n$5\r\nblist\r\n$1\r\nv\r\n'
    c.command('ECHO', 'end-marker')
    lines = normalize(read_until(m, b'end-marker'), names)
    for conn in (c, pusher, m):
        conn.close()
    return [line for line in lines if ' client] ' in line or ' pusher] ' in line or
            ' lua] ' in line]


@pytest.fixture
def servers_pair(make_server, oracle_bin):
    basalt = make_server(threads=3)
    oracle = make_server(binary=oracle_bin)
    return basalt, oracle


def test_lines_match_redis(servers_pair):
    basalt, oracle = servers_pair
    got = run_script(basalt)
    want = run_script(oracle)
    assert got == want
    # Sanity: the script exercised what it claims to.
    assert '[0 client] "SET" "k" "a\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\xff \\xc3\\xa9 \\x00end"' in got
    assert '[5 lua] "set" "a" "b"' in got
    assert '[0 client] "AUTH" "(redacted)" "(redacted)"' in got
    assert not any('CONFIG' in line or 'NOSUCH' in line for line in got)


def test_timestamp_is_wall_clock(make_server):
    import time
    srv = make_server()
    m = monitor(srv)
    with RawClient(srv.port) as c:
        before = time.time()
        c.command('PING')
        line = m.read_reply()
        after = time.time()
    g = LINE.match(line[:-2])
    assert g, line
    ts = int(g.group(1)) + int(g.group(2)) / 1e6
    assert before - 1 <= ts <= after + 1
    m.close()


def monitor_client_session(srv):
    """What a monitor may send, and RESET."""
    m = monitor(srv)
    out = [m.command('PING')]
    out.append(m.read_reply())  # its own PING, as a line
    out.append(m.command('GET', 'k'))
    out.append(m.command('DBSIZE'))
    out.append(m.command('PUBLISH', 'c', 'x'))
    m.send_command('MONITOR')  # already monitoring: no reply at all
    out.append(m.command('ECHO', 'hi'))
    out.append(m.read_reply())
    out.append(m.command('RESET'))
    with RawClient(srv.port) as c:
        c.command('SET', 'after-reset', '1')
    out.append(m.command('PING'))  # no more lines
    m.close()
    return [LINE.sub(rb'+TS [\3 ADDR] \5', o[:-2]) if o.startswith(b'+1') else o for o in out]


def test_monitor_client_commands_match_redis(servers_pair):
    basalt, oracle = servers_pair
    assert monitor_client_session(basalt) == monitor_client_session(oracle)


def test_monitor_inside_multi_refused(servers_pair):
    for srv in servers_pair:
        with RawClient(srv.port) as c:
            assert c.command('MULTI') == b'+OK\r\n'
            assert c.command('MONITOR') == b'+QUEUED\r\n'
            assert c.command('EXEC') == \
                b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
            assert c.command('PING') == b'+PONG\r\n'  # still a normal client


def test_client_list_flag_and_connected_clients(servers_pair):
    for srv in servers_pair:
        with RawClient(srv.port) as c:
            before = info_int(srv, 'clients', 'connected_clients')
            m = monitor(srv)
            r = srv.client()
            lines = r.execute_command('CLIENT', 'LIST').splitlines()
            mine = [line for line in lines if ('addr=%s ' % addr_of(m)) in line]
            assert len(mine) == 1 and ' flags=O ' in mine[0], lines
            assert info_int(srv, 'clients', 'connected_clients') >= before + 1
            # Lines of commands fed before RESET (the INFO above) may come
            # first: read up to RESET's own reply.
            m.send_command('RESET')
            read_until(m, b'RESET')
            lines = r.execute_command('CLIENT', 'LIST').splitlines()
            mine = [line for line in lines if ('addr=%s ' % addr_of(m)) in line]
            assert ' flags=N ' in mine[0], mine
            r.close()
            m.close()
            del c


def test_unix_socket_source(make_server, oracle_bin, tmp_path):
    results = []
    for i, binary in enumerate([None, oracle_bin]):
        path = str(tmp_path / ('s%d.sock' % i))
        srv = make_server('--unixsocket', path, '--unixsocketperm', '700', binary=binary)
        m = monitor(srv)
        with RawClient(unix_path=path) as u:
            u.command('SET', 'via', 'unix')
        line = read_until(m, b'"via"')[-1]
        m.close()
        results.append(line.split(b'] ', 1)[0].split(b' ', 1)[1].replace(path.encode(), b'P'))
    assert results[0] == results[1] == b'[0 unix:P'


def test_many_threads_every_line_in_client_order(make_server):
    """Clients spread over 4 workers, monitors on several of them: each
    monitor gets every line, and each client's lines in its command order."""
    srv = make_server(threads=4)
    monitors = [monitor(srv, timeout=30) for _ in range(3)]
    n_clients, n_cmds = 6, 200
    clients = [RawClient(srv.port, timeout=30) for _ in range(n_clients)]
    names = {addr_of(c): 'c%d' % i for i, c in enumerate(clients)}

    def work(i, c):
        # Pipelined in batches: many commands per loop iteration.
        for start in range(0, n_cmds, 50):
            batch = b''.join(
                b'*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' % (
                    len(k), k, len(v), v)
                for k, v in ((b'k%d' % i, b'%d' % j) for j in range(start, start + 50)))
            c.send(batch)
            for _ in range(50):
                assert c.read_reply() == b'+OK\r\n'

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with RawClient(srv.port) as done:
        done.command('ECHO', 'all-done')
    for m in monitors:
        lines = normalize(read_until(m, b'all-done'), names)
        for i in range(n_clients):
            mine = [line for line in lines if line.startswith('[0 c%d]' % i)]
            assert mine == ['[0 c%d] "SET" "k%d" "%d"' % (i, i, j) for j in range(n_cmds)]
        m.close()
    for c in clients:
        c.close()


def test_replica_shows_primary_stream(make_server):
    primary = make_server()
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port))
    r = replica.client()
    wait_for(lambda: r.info('replication').get('master_link_status') == 'up', what='link up')
    m = monitor(replica)
    p = primary.client()
    p.set('from-primary', 'v1')
    line = [ln for ln in read_until(m, b'"from-primary"') if b'from-primary' in ln][0]
    g = LINE.match(line)
    assert g and g.group(4) == ('127.0.0.1:%d' % primary.port).encode()
    assert g.group(5) == b'"set" "from-primary" "v1"' or g.group(5) == \
        b'"SET" "from-primary" "v1"'
    m.close()
    p.close()
    r.close()
