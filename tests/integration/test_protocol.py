"""The wire protocol: inline commands, pipelining, fragmentation, protocol errors,
bulk limits, large binary values and RESP3 reply types.
"""

import os
import threading
import time

import pytest

from diff import skip_value
from resp_client import encode_command

MB = 1024 * 1024


SENTINEL = encode_command('ECHO', 'sentinel-4f1d')
SENTINEL_REPLY = b'$13\r\nsentinel-4f1d\r\n'


def _exchange(srv, data, timeout=5.0, sentinel=True):
    """Sends data then (if sentinel) a sentinel ECHO on a fresh connection.

    Returns (bytes received before the sentinel's reply, closed?). Reading
    stops at the sentinel's reply, at a close, or after timeout.
    """
    with srv.raw() as c:
        c.send(data + SENTINEL if sentinel else data)
        got = b''
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got += c.read_available(0.05)
            if c.closed_by_peer or got.endswith(SENTINEL_REPLY):
                break
        if got.endswith(SENTINEL_REPLY):
            return got[:-len(SENTINEL_REPLY)], False
        return got, c.closed_by_peer


INLINE_CASES = [
    b'PING\r\n',
    b'PING\n',
    b'ping hello\r\n',
    b'SET k "hello world"\r\nGET k\r\n',
    b'SET k \'single quoted\'\r\nGET k\r\n',
    b'ECHO "a\\x41\\n\\t\\r\\\\\\"b"\r\n',
    b"ECHO 'it\\'s'\r\n",
    b'ECHO ""\r\n',
    b'ECHO "\\xff\\x00"\r\n',
    b'SET   spaced    value   \r\nGET spaced\r\n',
    b'\r\n\r\nPING\r\n',
    b'   \r\nPING\r\n',
    b'MSET a 1 b 2\r\nMGET a b c\r\n',
    b'GET\r\n',
    b'NOSUCHCMD a "b c"\r\n',
    b'PING\r\n*1\r\n$4\r\nPING\r\nPING\r\n',
    b'ECHO "\\q"\r\n',
    b'ECHO "\\x4"\r\n',
    b'ECHO "\\xZZ"\r\n',
]


@pytest.mark.parametrize('data', INLINE_CASES, ids=range(len(INLINE_CASES)))
def test_inline_commands(basalt_server, oracle_server, data):
    replies = []
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            c.command('FLUSHALL')
        replies.append(_exchange(srv, data))
    assert replies[0] == replies[1], 'basalt %r\noracle %r' % (replies[0], replies[1])
    assert not replies[1][1]


PROTOCOL_ERRORS = [
    b'*abc\r\n',
    b'*1\r\nfoo\r\n',
    b'*2\r\n$4\r\nECHO\r\n:1\r\n',
    b'*1\r\n$abc\r\n',
    b'*1\r\n$-1\r\n',
    b'*1\r\n$-5\r\n',
    b'*1\r\n$2147483648\r\n',
    b'*1\r\n$536870913\r\n',
    b'*1\r\n$9223372036854775808\r\n',
    b'*2147483648\r\n',
    b'*99999999999999999999\r\n',
    b'SET "a\r\n',
    b'SET a "b\r\n',
    b"SET 'a\r\n",
    b'ECHO "a"b\r\n',
    b'x' * 70000,
    b'*' + b'1' * 70000,
    b'*1\r\n$' + b'1' * 70000,
    # Valid commands before the bad one are answered first.
    b'PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\n',
    b'*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\nPING\r\n',
]


@pytest.mark.parametrize('data', PROTOCOL_ERRORS, ids=range(len(PROTOCOL_ERRORS)))
def test_protocol_errors(basalt_server, oracle_server, data):
    # An over-long line must not be completed by the sentinel's CRLF.
    sentinel = len(data) < 60000
    got_b, closed_b = _exchange(basalt_server, data, sentinel=sentinel)
    got_o, closed_o = _exchange(oracle_server, data, sentinel=sentinel)
    assert b'Protocol error' in got_o and closed_o
    assert got_b == got_o, 'basalt %r\noracle %r' % (got_b, got_o)
    assert closed_b, 'connection must be closed after a protocol error'
    # The server is fine afterwards.
    with basalt_server.raw() as c:
        assert c.command('PING') == b'+PONG\r\n'


HTTP_REQUESTS = [
    b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n',
    b'POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
    b'PING\r\nhost: example\r\n',
]


@pytest.mark.parametrize('data', HTTP_REQUESTS, ids=range(len(HTTP_REQUESTS)))
def test_http_request_drops_connection(basalt_server, oracle_server, data):
    # Redis answers nothing, not even the replies of the commands before the
    # POST/Host: line, and closes (a possible cross-protocol attack).
    got_b, closed_b = _exchange(basalt_server, data)
    got_o, closed_o = _exchange(oracle_server, data)
    assert (got_o, closed_o) == (b'', True)
    assert (got_b, closed_b) == (got_o, closed_o)
    with basalt_server.raw() as c:
        assert c.command('PING') == b'+PONG\r\n'


def test_long_inline_request_in_one_read(basalt_server, oracle_server):
    # A complete inline line longer than 64 KB is executed by Redis 7.0 when
    # its newline arrives with it; only a line still without its newline past
    # 64 KB is a protocol error (PROTOCOL_ERRORS above).
    data = b'ECHO ' + b'a' * 70000 + b'\r\n'
    got_b, closed_b = _exchange(basalt_server, data)
    got_o, closed_o = _exchange(oracle_server, data)
    assert got_o == b'$70000\r\n' + b'a' * 70000 + b'\r\n' and not closed_o
    assert (got_b, closed_b) == (got_o, closed_o)


def test_huge_declared_bulk_is_not_an_error_yet(basalt_server, oracle_server):
    """A bulk of exactly proto-max-bulk-len waits for data; nothing is replied."""
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            c.send(b'*2\r\n$4\r\nECHO\r\n$536870912\r\nabc')
            assert c.read_available(0.3) == b''
            assert not c.closed_by_peer
        with srv.raw() as c:
            assert c.command('PING') == b'+PONG\r\n'


def test_proto_max_bulk_len(make_server, oracle_bin):
    srvs = [make_server('--proto-max-bulk-len', '1mb'),
            make_server('--proto-max-bulk-len', '1mb', binary=oracle_bin)]
    results = []
    for srv in srvs:
        with srv.raw() as c:
            assert c.command('CONFIG', 'GET', 'proto-max-bulk-len') == (
                b'*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n')
            ok = c.command('SET', 'k', b'v' * MB)
            strlen = c.command('STRLEN', 'k')
            append = c.command('APPEND', 'k', 'x')
            setrange = c.command('SETRANGE', 'k2', str(MB), 'x')
        got = _exchange(srv, b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n' % (MB + 1))
        results.append((ok, strlen, append, setrange, got))
    assert results[0] == results[1], results
    assert results[1][4] == (b'-ERR Protocol error: invalid bulk length\r\n', True)


def test_pipeline_10k(basalt_server):
    n = 10000
    cmds = []
    for i in range(n):
        if i % 3 == 0:
            cmds.append(encode_command('SET', 'p:%d' % i, str(i)))
        elif i % 3 == 1:
            cmds.append(encode_command('INCR', 'p:counter'))
        else:
            cmds.append(encode_command('GET', 'p:%d' % (i - 2)))
    data = b''.join(cmds)
    with basalt_server.raw(timeout=30) as c:
        c.command('FLUSHALL')
        sender = threading.Thread(target=c.send, args=(data,))
        sender.start()
        replies = c.read_replies(n)
        sender.join()
        counter = 0
        for i, r in enumerate(replies):
            if i % 3 == 0:
                assert r == b'+OK\r\n', (i, r)
            elif i % 3 == 1:
                counter += 1
                assert r == b':%d\r\n' % counter, (i, r)
            else:
                v = str(i - 2).encode()
                assert r == b'$%d\r\n%s\r\n' % (len(v), v), (i, r)
        assert c.read_available(0.1) == b''
        assert c.command('DBSIZE') == b':%d\r\n' % (len(range(0, n, 3)) + 1)


def test_command_split_into_tiny_sends(basalt_server, oracle_server):
    value = bytes(range(256)) * 4
    data = (encode_command('SET', 'split', value) + b'GET split\r\n' +
            encode_command('ECHO', b'') + b'ECHO "x y"\r\n')
    results = []
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            for i in range(0, len(data), 3):
                c.send(data[i:i + 3])
            results.append(c.read_replies(4))
    assert results[0] == results[1]
    assert results[0][1] == b'$1024\r\n' + value + b'\r\n'
    with basalt_server.raw() as c:
        # Byte by byte, checking that nothing is answered before the end.
        cmd = encode_command('SET', 'bytewise', 'value')
        for i in range(len(cmd) - 1):
            c.send(cmd[i:i + 1])
        assert c.read_available(0.05) == b''
        c.send(cmd[-1:])
        assert c.read_reply() == b'+OK\r\n'


@pytest.mark.parametrize('size', [0, 1, 100 * 1024, 3 * MB, 8 * MB])
def test_binary_values(basalt_server, size):
    value = os.urandom(size)
    with basalt_server.raw(timeout=30) as c:
        assert c.command('SET', b'bin\x00key', value) == b'+OK\r\n'
        assert c.command('STRLEN', b'bin\x00key') == b':%d\r\n' % size
        assert c.command('GET', b'bin\x00key') == b'$%d\r\n%s\r\n' % (size, value)
        if size:
            assert c.command('APPEND', b'bin\x00key', b'\r\n') == b':%d\r\n' % (size + 2)
            mid = size // 2
            got = c.command('GETRANGE', b'bin\x00key', str(mid), str(mid + 9))
            expected = (value + b'\r\n')[mid:mid + 10]
            assert got == b'$%d\r\n%s\r\n' % (len(expected), expected)
        assert c.command('DEL', b'bin\x00key') == b':1\r\n'


def test_many_large_args(basalt_server):
    vals = [os.urandom(200 * 1024) for _ in range(10)]
    with basalt_server.raw(timeout=30) as c:
        args = ['MSET']
        for i, v in enumerate(vals):
            args += ['big:%d' % i, v]
        assert c.command(*args) == b'+OK\r\n'
        got = c.call('MGET', *['big:%d' % i for i in range(10)])
        assert got == vals
        c.command('FLUSHALL')


def test_resp3_types(differ):
    if differ.resp != 3:
        pytest.skip('RESP3 only')
    differ([
        'GET missing',
        'MGET missing a',
        'SET a 1',
        'INCRBYFLOAT f 1.5',
        'INCRBYFLOAT f 0.25',
        'EXISTS a',
        'CONFIG GET maxmemory',
        'OBJECT ENCODING missing',
        skip_value('HELLO 3'),
        skip_value('HELLO'),
        skip_value('HELLO 2'),
        'GET missing',
        'INCRBYFLOAT f 1',
    ])


def test_resp3_wire_types(basalt_server):
    with basalt_server.raw() as c:
        c.command('FLUSHALL')
        assert c.command('HELLO', '3').startswith(b'%7\r\n$6\r\nserver\r\n')
        assert c.command('GET', 'missing') == b'_\r\n'
        assert c.command('MGET', 'missing') == b'*1\r\n_\r\n'
        assert c.command('INCRBYFLOAT', 'f', '2.5') == b'$3\r\n2.5\r\n'
        assert c.command('CONFIG', 'GET', 'hz').startswith(b'%1\r\n')
        assert c.command('HELLO', '2').startswith(b'*14\r\n')
        assert c.command('GET', 'missing') == b'$-1\r\n'
        assert c.command('INCRBYFLOAT', 'f', '0.5') == b'$1\r\n3\r\n'
