"""Pub/Sub and keyspace notifications, compared with redis-server 7.0.15.

Each scenario runs on Basalt and on the oracle with the same steps over raw
connections; the bytes each connection receives must be identical.
"""

import socket
import time

import pytest

from resp_client import RawClient


def drain(conn, settle=0.1):
    """Everything the connection received until it has been quiet a while."""
    data = b''
    while True:
        chunk = conn.read_available(settle)
        if not chunk:
            return data
        data += chunk


def scenario(srv, steps, nconns=2):
    """steps: (conn index, args) or ('drain', idx) or ('sleep', s)."""
    conns = [srv.raw() for _ in range(nconns)]
    try:
        conns[0].command('FLUSHALL')
        conns[0].command('CONFIG', 'SET', 'notify-keyspace-events', '')
        out = []
        for idx, args in steps:
            if idx == 'drain':
                out.append(drain(conns[args]))
            elif idx == 'sleep':
                time.sleep(args)
            elif idx == 'send':
                conns[args[0]].send_command(*args[1:])
            else:
                out.append(conns[idx].command(*args))
        return out
    finally:
        for c in conns:
            c.close()


SCENARIOS = {
    'subscribe_publish': [
        ('send', (0, 'SUBSCRIBE', 'news', 'sport')), ('drain', 0),
        (1, ['PUBLISH', 'news', 'hello']), (1, ['PUBLISH', 'nobody', 'x']), ('drain', 0),
        ('send', (0, 'UNSUBSCRIBE', 'news')), ('drain', 0),
        ('send', (0, 'UNSUBSCRIBE')), ('drain', 0),
        ('send', (0, 'UNSUBSCRIBE')), ('drain', 0),
    ],
    'patterns': [
        ('send', (0, 'PSUBSCRIBE', 'n*', 'x?z')), ('drain', 0),
        (1, ['PUBLISH', 'news', 'p1']), (1, ['PUBLISH', 'xyz', 'p2']), ('drain', 0),
        (1, ['PUBSUB', 'NUMPAT']),
        ('send', (0, 'PUNSUBSCRIBE', 'x?z')), ('drain', 0),
        ('send', (0, 'PUNSUBSCRIBE')), ('drain', 0),
    ],
    'both_channel_and_pattern': [
        ('send', (0, 'SUBSCRIBE', 'ch')), ('drain', 0),
        ('send', (0, 'PSUBSCRIBE', 'c*')), ('drain', 0),
        (1, ['PUBLISH', 'ch', 'twice']), ('drain', 0),
    ],
    'subscribed_mode_resp2': [
        ('send', (0, 'SUBSCRIBE', 'a')), ('drain', 0),
        ('send', (0, 'GET', 'k')), ('drain', 0),
        ('send', (0, 'PING')), ('drain', 0),
        ('send', (0, 'PING', 'hi')), ('drain', 0),
        ('send', (0, 'RESET')), ('drain', 0),
        (0, ['GET', 'k']),
    ],
    'resp3_push': [
        ('send', (0, 'HELLO', '3')), ('drain', 0),
        ('send', (0, 'SUBSCRIBE', 'a')), ('drain', 0),
        (0, ['SET', 'k', 'v']),
        (1, ['PUBLISH', 'a', 'm']), ('drain', 0),
        (0, ['PING']),
        ('send', (0, 'UNSUBSCRIBE')), ('drain', 0),
    ],
    'shard_channels': [
        ('send', (0, 'SSUBSCRIBE', 's1', 's2')), ('drain', 0),
        (1, ['SPUBLISH', 's1', 'sm']), (1, ['PUBLISH', 's1', 'not-shard']), ('drain', 0),
        # Listing order is unspecified (hash order), so list one at a time.
        (1, ['PUBSUB', 'SHARDCHANNELS', 's1']), (1, ['PUBSUB', 'SHARDNUMSUB', 's1', 'zz']),
        ('send', (0, 'SUNSUBSCRIBE', 's2')), ('drain', 0),
        ('send', (0, 'SUNSUBSCRIBE')), ('drain', 0),
    ],
    'introspection': [
        ('send', (0, 'SUBSCRIBE', 'alpha')), ('drain', 0),
        (1, ['PUBSUB', 'CHANNELS']), (1, ['PUBSUB', 'CHANNELS', 'a*']),
        (1, ['PUBSUB', 'CHANNELS', 'zz*']), (1, ['PUBSUB', 'NUMSUB', 'alpha', 'beta']),
        (1, ['PUBSUB', 'NUMSUB']), (1, ['PUBSUB', 'NUMPAT']), (1, ['PUBSUB', 'FOO']),
        (1, ['PUBSUB', 'CHANNELS', 'a', 'b']), (1, ['PUBLISH', 'a']), (1, ['SUBSCRIBE']),
    ],
    'keyspace_notifications': [
        (1, ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']),
        (1, ['CONFIG', 'GET', 'notify-keyspace-events']),
        ('send', (0, 'PSUBSCRIBE', '__key*__:*')), ('drain', 0),
        (1, ['SET', 'k', 'v']), (1, ['SET', 'k', 'v', 'EX', '100']), (1, ['APPEND', 'k', 'x']),
        (1, ['INCR', 'n']), (1, ['INCRBYFLOAT', 'n', '1.5']), (1, ['EXPIRE', 'k', '50']),
        (1, ['PERSIST', 'k']), (1, ['RENAME', 'k', 'k2']), (1, ['DEL', 'k2', 'n', 'none']),
        (1, ['MSET', 'a', '1', 'b', '2']), (1, ['SETRANGE', 'a', '3', 'zz']),
        (1, ['GETDEL', 'b']), (1, ['SET', 'e', 'v', 'PX', '30']), ('sleep', 0.3),
        (1, ['GET', 'e']), ('drain', 0),
    ],
    'keyspace_new_with_A': [
        (1, ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']),
        ('send', (0, 'PSUBSCRIBE', '__keyevent@*')), ('drain', 0),
        (1, ['SET', 'fresh', 'v']), (1, ['SET', 'fresh', 'v2']), (1, ['RPUSH', 'l', 'a']),
        ('drain', 0),
    ],
    'keyspace_new_class': [
        (1, ['CONFIG', 'SET', 'notify-keyspace-events', 'En$']),
        ('send', (0, 'PSUBSCRIBE', '__keyevent@*')), ('drain', 0),
        (1, ['SET', 'fresh', 'v']), (1, ['SET', 'fresh', 'v2']), (1, ['RENAME', 'fresh', 'f2']),
        (1, ['HSET', 'h', 'a', '1']), ('drain', 0),
    ],
    'keyspace_keymiss': [
        (1, ['CONFIG', 'SET', 'notify-keyspace-events', 'KEm']),
        ('send', (0, 'PSUBSCRIBE', '__key*')), ('drain', 0),
        (1, ['GET', 'nope']), (1, ['SET', 'x', '1']), (1, ['GET', 'x']), (1, ['MGET', 'x', 'y']),
        (1, ['HGET', 'h', 'f']), (1, ['LRANGE', 'l', '0', '-1']), (1, ['SISMEMBER', 's', 'm']),
        (1, ['ZSCORE', 'z', 'm']), (1, ['STRLEN', 'q']), (1, ['SET', 'x', '2']),
        ('drain', 0),
    ],
    'keyspace_classes': [
        (1, ['CONFIG', 'SET', 'notify-keyspace-events', 'Eg']),
        ('send', (0, 'PSUBSCRIBE', '*')), ('drain', 0),
        (1, ['SET', 'k', 'v']), (1, ['DEL', 'k']), (1, ['EXPIRE', 'nokey', '10']),
        ('drain', 0),
    ],
}


@pytest.mark.parametrize('name', sorted(SCENARIOS))
def test_pubsub_scenarios_match_oracle(basalt_server, oracle_server, name):
    steps = SCENARIOS[name]
    got = scenario(basalt_server, steps)
    want = scenario(oracle_server, steps)
    if name == 'resp3_push':
        got, want = got[1:], want[1:]  # HELLO's reply carries the connection id
    assert got == want


def test_fanout_across_threads(make_server):
    srv = make_server(threads=2)
    subs = [srv.raw() for _ in range(16)]
    try:
        for s in subs:
            s.command('SUBSCRIBE', 'fan')
        with srv.raw() as pub:
            for i in range(50):
                assert pub.call('PUBLISH', 'fan', 'm%d' % i) == 16
        for s in subs:
            data = b''
            deadline = time.monotonic() + 5
            while data.count(b'message') < 50 and time.monotonic() < deadline:
                data += s.read_available(0.2)
            assert data.count(b'$7\r\nmessage\r\n') == 50
            assert data.endswith(b'$3\r\nm49\r\n')
    finally:
        for s in subs:
            s.close()


def test_slow_subscriber_is_disconnected(make_server):
    """A subscriber that never reads is dropped at the pubsub output limit."""
    srv = make_server()
    slow = socket.create_connection(('127.0.0.1', srv.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.sendall(b'*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n')
    time.sleep(0.2)
    payload = 'x' * 65536
    with srv.raw() as pub:
        for _ in range(800):  # 50 MB, past the 32 MB hard limit
            pub.command('PUBLISH', 'slow', payload)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if pub.call('PUBSUB', 'NUMSUB', 'slow')[1] == 0:
                break
            time.sleep(0.1)
        assert pub.call('PUBSUB', 'NUMSUB', 'slow')[1] == 0
        assert pub.command('PING') == b'+PONG\r\n'
    slow.close()
