"""Offline tests of the test suite's own RESP reader and diff comparisons (no server)."""

import socket
import threading

import pytest

from diff import UNORDERED, UNORDERED_PAIRS, SKIP_VALUE, Step, compare, shape
from resp_client import (Incomplete, ProtocolViolation, Push, RawClient, RespError, RespMap,
                         RespSet, Verbatim, encode_command, parse_reply)

REPLIES = [
    (b'+OK\r\n', b'OK'),
    (b'-ERR bad\r\n', RespError(b'ERR bad')),
    (b':-42\r\n', -42),
    (b'$3\r\na\r\n\r\n', b'a\r\n'),
    (b'$0\r\n\r\n', b''),
    (b'$-1\r\n', None),
    (b'*-1\r\n', None),
    (b'*0\r\n', []),
    (b'*2\r\n:1\r\n*1\r\n$1\r\nx\r\n', [1, [b'x']]),
    (b'_\r\n', None),
    (b',3.5\r\n', 3.5),
    (b',inf\r\n', float('inf')),
    (b'#t\r\n', True),
    (b'#f\r\n', False),
    (b'!5\r\nERR x\r\n', RespError(b'ERR x')),
    (b'=8\r\ntxt:abcd\r\n', b'abcd'),
    (b'(123456789012345678901234567890\r\n', 123456789012345678901234567890),
    (b'%1\r\n$1\r\nk\r\n:1\r\n', [(b'k', 1)]),
    (b'~2\r\n:1\r\n:2\r\n', [1, 2]),
    (b'>2\r\n$7\r\nmessage\r\n$1\r\nx\r\n', [b'message', b'x']),
    (b'|1\r\n$3\r\nttl\r\n:5\r\n$1\r\nv\r\n', b'v'),
    (b'$?\r\n;2\r\nab\r\n;1\r\nc\r\n;0\r\n', b'abc'),
    (b'*?\r\n:1\r\n:2\r\n.\r\n', [1, 2]),
    (b'%?\r\n$1\r\na\r\n:1\r\n.\r\n', [(b'a', 1)]),
]


@pytest.mark.parametrize('raw,value', REPLIES, ids=range(len(REPLIES)))
def test_parse_complete_and_incremental(raw, value):
    v, end = parse_reply(raw + b'+NEXT\r\n')
    assert end == len(raw)
    assert v == value
    for cut in range(len(raw)):
        with pytest.raises(Incomplete):
            parse_reply(raw[:cut])


def test_parse_types():
    assert isinstance(parse_reply(b'%0\r\n')[0], RespMap)
    assert isinstance(parse_reply(b'~0\r\n')[0], RespSet)
    assert isinstance(parse_reply(b'>0\r\n')[0], Push)
    v = parse_reply(b'=7\r\nmkd:## \r\n')[0]
    assert isinstance(v, Verbatim) and v.format == b'mkd' and v == b'## '


@pytest.mark.parametrize('bad', [b'?x\r\n', b':abc\r\n', b'$3\r\nabcXY', b'#x\r\n', b'_x\r\n',
                                 b'*-2\r\n'])
def test_parse_violations(bad):
    with pytest.raises(ProtocolViolation):
        parse_reply(bad)


def test_encode_command():
    assert encode_command('SET', b'k\x00', 5) == b'*3\r\n$3\r\nSET\r\n$2\r\nk\x00\r\n$1\r\n5\r\n'


def test_compare_modes():
    a = b'*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n'
    b = b'*3\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n'
    assert compare(Step([], UNORDERED), a, b)
    assert not compare(Step([]), a, b)
    assert not compare(Step([], UNORDERED), a, b'*2\r\n$1\r\na\r\n$1\r\nb\r\n')
    p1 = b'*4\r\n$1\r\nk\r\n$1\r\n1\r\n$1\r\nj\r\n$1\r\n2\r\n'
    p2 = b'*4\r\n$1\r\nj\r\n$1\r\n2\r\n$1\r\nk\r\n$1\r\n1\r\n'
    p3 = b'*4\r\n$1\r\nj\r\n$1\r\n1\r\n$1\r\nk\r\n$1\r\n2\r\n'
    assert compare(Step([], UNORDERED_PAIRS), p1, p2)
    assert not compare(Step([], UNORDERED_PAIRS), p1, p3)
    assert compare(Step([], SKIP_VALUE), b':5\r\n', b':7\r\n')
    assert not compare(Step([], SKIP_VALUE), b':5\r\n', b'$1\r\n5\r\n')
    assert shape(b'*2\r\n$2\r\n10\r\n$1\r\n5\r\n') == '*2[$,$]'
    assert shape(b'-ERR x\r\n') == 'err:ERR'


def test_raw_client_reads_one_reply_at_a_time():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def serve():
        conn, _ = srv.accept()
        conn.recv(100)
        data = b'+OK\r\n$5\r\nhello\r\n*2\r\n:1\r\n_\r\n'
        for i in range(len(data)):
            conn.sendall(data[i:i + 1])
        conn.close()
    t = threading.Thread(target=serve)
    t.start()
    with RawClient(port, timeout=5) as c:
        c.send(b'PING\r\n')
        assert c.read_reply() == b'+OK\r\n'
        assert c.read_reply() == b'$5\r\nhello\r\n'
        assert c.read_value() == [1, None]
        assert c.wait_closed(5)
    t.join()
    srv.close()
