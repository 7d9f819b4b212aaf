"""Client limits and access: maxclients, idle timeout, unix sockets, requirepass."""

import os
import shutil
import socket
import tempfile
import time

import pytest

from helpers import info, wait_for
from resp_client import RawClient, RespMap


@pytest.fixture
def sock_dir():
    d = tempfile.mkdtemp(prefix='basalt-sock-')
    yield d
    shutil.rmtree(d, ignore_errors=True)


def wait_connected(raw, n, timeout=5.0):
    """True once INFO clients reports n connected clients (raw included), False
    if it does not within timeout."""
    return wait_for(lambda: info(raw, 'clients').get('connected_clients') == str(n), timeout,
                    interval=0.02, raise_on_timeout=False)


def test_maxclients(make_server):
    srv = make_server('--maxclients', '5')
    conns = [srv.raw()]
    # The start-up PING connection may not be reaped yet: wait until we are alone.
    assert wait_connected(conns[0], 1)
    conns += [srv.raw() for _ in range(4)]
    try:
        for c in conns:
            assert c.command('PING') == b'+PONG\r\n'
        with srv.raw() as sixth:
            # The refusal is sent without waiting for a request.
            assert sixth.read_reply() == b'-ERR max number of clients reached\r\n'
            assert sixth.wait_closed(5)
        for c in conns:
            assert c.command('PING') == b'+PONG\r\n'
        # Freeing a slot lets a new client in.
        conns.pop().close()
        assert wait_connected(conns[0], 4)
        with srv.raw() as again:
            assert again.command('PING') == b'+PONG\r\n'
        stats = conns[0].call('INFO', 'stats').decode()
        assert 'rejected_connections:1\r\n' in stats
    finally:
        for c in conns:
            c.close()


def test_idle_timeout(make_server):
    srv = make_server('--timeout', '1')
    with srv.raw() as idle, srv.raw() as busy:
        assert idle.command('PING') == b'+PONG\r\n'
        assert busy.command('PING') == b'+PONG\r\n'
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 5:
            assert busy.command('PING') == b'+PONG\r\n'
            if idle.wait_closed(0.25):
                closed = True
                break
        elapsed = time.monotonic() - t0
        assert closed, 'idle client not closed within 5s with timeout 1'
        assert elapsed >= 0.9, 'closed after %.2fs, before the timeout' % elapsed
        assert busy.command('PING') == b'+PONG\r\n'


def test_timeout_zero_keeps_idle_clients(make_server):
    srv = make_server('--timeout', '0', '--hz', '100')
    with srv.raw() as c:
        assert c.command('PING') == b'+PONG\r\n'
        assert not c.wait_closed(1.5)
        assert c.command('PING') == b'+PONG\r\n'


def test_unixsocket(make_server, sock_dir):
    path = os.path.join(sock_dir, 'basalt.sock')
    srv = make_server('--unixsocket', path, '--unixsocketperm', '700')
    assert os.path.exists(path)
    with RawClient(unix_path=path) as c:
        assert c.command('PING') == b'+PONG\r\n'
        assert c.command('SET', 'k', 'v') == b'+OK\r\n'
        info = c.call('CLIENT', 'INFO').decode()
        assert ' flags=U ' in info, info
    with srv.raw() as c:
        assert c.command('GET', 'k') == b'$1\r\nv\r\n'
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o700)


def test_unixsocket_only(make_server, sock_dir):
    path = os.path.join(sock_dir, 'only.sock')
    srv = make_server('--unixsocket', path, port=0)
    c = srv.client()
    assert c.ping()
    assert c.config_get('port') == {'port': '0'}
    c.set('k', 'v')
    assert c.get('k') == 'v'
    c.close()


def _script(srv, cmds):
    with srv.raw() as c:
        return [c.command(*cmd) for cmd in cmds]


AUTH_SCRIPT = [
    ['PING'],
    ['GET', 'k'],
    ['CLIENT', 'ID'],
    ['AUTH', 'wrong'],
    ['AUTH', 'default', 'wrong'],
    ['AUTH', 'nouser', 'secret'],
    ['AUTH', 'x', 'y', 'z'],
    ['AUTH'],
    ['HELLO', '3'],
    ['HELLO', '2', 'SETNAME', 'x'],
    ['HELLO', '3', 'AUTH', 'default', 'wrong'],
    ['HELLO', '2', 'AUTH', 'nouser', 'secret'],
    ['GET', 'k'],
    ['AUTH', 'secret'],
    ['SET', 'k', 'v'],
    ['GET', 'k'],
    ['AUTH', 'wrong'],
    ['GET', 'k'],
    ['AUTH', 'default', 'secret'],
    ['GET', 'k'],
]


def test_requirepass(make_server, oracle_bin):
    srv = make_server('--requirepass', 'secret', password='secret')
    orc = make_server('--requirepass', 'secret', password='secret', binary=oracle_bin)
    got, want = _script(srv, AUTH_SCRIPT), _script(orc, AUTH_SCRIPT)
    for cmd, b, o in zip(AUTH_SCRIPT, got, want):
        assert b == o, '%s: basalt %r, oracle %r' % (cmd, b, o)
    assert want[0] == b'-NOAUTH Authentication required.\r\n'
    assert want[3] == b'-WRONGPASS invalid username-password pair or user is disabled.\r\n'
    # A failed AUTH after a good one does not log the client out.
    assert want[-3] == b'$1\r\nv\r\n'


def test_requirepass_hello_auth(make_server):
    srv = make_server('--requirepass', 'secret', password='secret')
    with srv.raw() as c:
        m = c.call('HELLO', '3', 'AUTH', 'default', 'secret', 'SETNAME', 'me')
        assert isinstance(m, RespMap) and m.to_dict()[b'proto'] == 3
        assert c.command('GET', 'missing') == b'_\r\n'
        assert c.command('CLIENT', 'GETNAME') == b'$2\r\nme\r\n'
    with srv.raw() as c:
        assert c.command('HELLO', '2', 'AUTH', 'default', 'secret').startswith(b'*14\r\n')
        assert c.command('PING') == b'+PONG\r\n'
    # redis-py with the password works.
    r = srv.client()
    assert r.ping()
    r.close()


def test_requirepass_quit_and_reset(make_server, oracle_bin):
    for binary in (None, oracle_bin):
        srv = make_server('--requirepass', 'secret', password='secret', binary=binary)
        with srv.raw() as c:
            assert c.command('AUTH', 'secret') == b'+OK\r\n'
            assert c.command('RESET') == b'+RESET\r\n'
            # RESET logs the client out again.
            assert c.command('GET', 'k') == b'-NOAUTH Authentication required.\r\n'
            assert c.command('QUIT') == b'+OK\r\n'
            assert c.wait_closed(5)


@pytest.mark.parametrize('data', [b'*20\r\n', b'*2\r\n$100000\r\n'])
def test_unauthenticated_request_limits(make_server, oracle_bin, data):
    """Before AUTH, Redis 7 refuses big multibulk counts and bulk lengths."""
    results = []
    for binary in (None, oracle_bin):
        srv = make_server('--requirepass', 'secret', password='secret', binary=binary)
        with srv.raw() as c:
            c.send(data)
            got = c.read_available(0.3)
            if not c.closed_by_peer:
                c.wait_closed(2)
                got += bytes(c.buf)
            results.append((got, c.closed_by_peer))
    assert results[0] == results[1]
    assert results[1][1]


def listening_addresses(pid):
    """(ip, port) of every TCP socket in LISTEN state owned by process pid."""
    inodes = set()
    fd_dir = '/proc/%d/fd' % pid
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if link.startswith('socket:['):
            inodes.add(link[8:-1])
    out = []
    for table, v6 in (('/proc/net/tcp', False), ('/proc/net/tcp6', True)):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != '0A' or inode not in inodes:
                continue
            hexip, hexport = local.split(':')
            if v6:
                ip = socket.inet_ntop(socket.AF_INET6, bytes.fromhex(hexip))
            else:
                ip = socket.inet_ntoa(bytes.fromhex(hexip)[::-1])
            out.append((ip, int(hexport, 16)))
    return out


def test_only_loopback(make_server, oracle_bin):
    """Test servers listen on 127.0.0.1 only, never on a wildcard address."""
    for binary in (None, oracle_bin):
        srv = make_server(binary=binary)
        addrs = listening_addresses(srv.proc.pid)
        assert ('127.0.0.1', srv.port) in addrs, addrs
        assert all(ip == '127.0.0.1' for ip, _ in addrs), addrs
        c = srv.client()
        assert c.config_get('bind') == {'bind': '127.0.0.1'}
        c.close()
