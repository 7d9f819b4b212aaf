"""Blocking list and sorted-set commands, compared with redis-server 7.0.15.

Scenarios use several connections: some block, others push. Every reply a
connection receives is compared byte for byte with the oracle's.
"""

import threading
import time

import pytest

pytestmark = pytest.mark.needs_commands('lpush', 'zadd')


def read_within(conn, timeout=2.0):
    deadline = time.monotonic() + timeout
    data = b''
    while time.monotonic() < deadline:
        data += conn.read_available(0.05)
        if data:
            # A reply may arrive in pieces: wait until quiet.
            more = conn.read_available(0.05)
            while more:
                data += more
                more = conn.read_available(0.05)
            return data
    return data


def scenario(srv, steps, nconns=3):
    conns = [srv.raw() for _ in range(nconns)]
    try:
        conns[0].command('FLUSHALL')
        out = []
        for step in steps:
            op = step[0]
            if op == 'send':          # ('send', conn, args...) without reading
                conns[step[1]].send_command(*step[2:])
                time.sleep(0.05)
            elif op == 'read':        # ('read', conn)
                out.append(read_within(conns[step[1]]))
            elif op == 'sleep':
                time.sleep(step[1])
            else:                     # (conn, args...) request/reply
                out.append(conns[op].command(*step[1:]))
        return out
    finally:
        for c in conns:
            c.close()


SCENARIOS = {
    'immediate': [
        (0, 'RPUSH', 'l', 'a', 'b'), (0, 'BLPOP', 'none', 'l', '0'), (0, 'BRPOP', 'l', '0'),
        (0, 'EXISTS', 'l'), (0, 'BLPOP', 'l', '0.01')],
    'wake_by_push': [
        ('send', 1, 'BLPOP', 'q', '0'), (0, 'RPUSH', 'q', 'x', 'y'), ('read', 1),
        (0, 'LRANGE', 'q', '0', '-1')],
    'fifo_order': [
        ('send', 1, 'BLPOP', 'q', '0'), ('send', 2, 'BLPOP', 'q', '0'),
        (0, 'RPUSH', 'q', 'first'), ('read', 1), (0, 'RPUSH', 'q', 'second'), ('read', 2)],
    'fifo_two_elements': [
        ('send', 1, 'BRPOP', 'q', '0'), ('send', 2, 'BRPOP', 'q', '0'),
        (0, 'RPUSH', 'q', 'a', 'b'), ('read', 1), ('read', 2), (0, 'EXISTS', 'q')],
    'timeout': [
        (0, 'BLPOP', 'q', '0.1'), (0, 'BRPOPLPUSH', 'q', 'd', '0.1'),
        (0, 'BZPOPMIN', 'z', '0.1'), (0, 'BLMPOP', '0.1', '1', 'q', 'LEFT'),
        (0, 'BZMPOP', '0.1', '1', 'z', 'MIN')],
    'inside_multi': [
        (0, 'MULTI'), (0, 'BLPOP', 'q', '0'), (0, 'BZPOPMAX', 'z', '0'),
        (0, 'BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0'), (0, 'EXEC')],
    'errors': [
        (0, 'SET', 's', 'v'), (0, 'BLPOP', 's', '0'), (0, 'BLPOP', 'q', '-1'),
        (0, 'BLPOP', 'q', 'abc'), (0, 'BLMPOP', '0', '0', 'q', 'LEFT'),
        (0, 'BLMPOP', '0', '1', 'q', 'UP'), (0, 'BLMPOP', '0', '1', 'q', 'LEFT', 'COUNT', '0'),
        (0, 'BLMPOP', '0', '2', 'q', 'LEFT'), (0, 'BZPOPMIN', 's', '0'),
        (0, 'BLMOVE', 'q', 'd', 'UP', 'LEFT', '0'), (0, 'BZMPOP', '0', '1', 'z', 'UP')],
    'blmove_wakes': [
        ('send', 1, 'BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0'),
        (0, 'LPUSH', 'src', 'v1'), ('read', 1), (0, 'LRANGE', 'dst', '0', '-1'),
        (0, 'EXISTS', 'src')],
    'blmpop_count': [
        ('send', 1, 'BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '5'),
        (0, 'RPUSH', 'b', '1', '2', '3'), ('read', 1)],
    'bzpopmin_wakes': [
        ('send', 1, 'BZPOPMIN', 'z', '0'), (0, 'ZADD', 'z', '2', 'two', '1', 'one'),
        ('read', 1), (0, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES')],
    'bzmpop_wakes': [
        ('send', 1, 'BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2'),
        (0, 'ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'), ('read', 1)],
    'wake_on_rename': [
        ('send', 1, 'BLPOP', 'target', '0'), (0, 'RPUSH', 'tmp', 'moved'),
        (0, 'RENAME', 'tmp', 'target'), ('read', 1)],
    'pipeline_waits_behind_blocked': [
        ('send', 1, 'BLPOP', 'q', '0'), ('send', 1, 'PING'), (0, 'RPUSH', 'q', 'v'),
        ('read', 1)],
    'unblock': [
        ('send', 1, 'BLPOP', 'q', '0'), (0, 'CLIENT', 'UNBLOCK', '999999'), ('read', 1)],
    # A key that ends the transaction as another type does not answer the
    # woken client (no WRONGTYPE): it waits on and is served later.
    'multi_push_then_retype': [
        ('send', 1, 'BLPOP', 'l', '0'),
        (0, 'MULTI'), (0, 'LPUSH', 'l', 'x'), (0, 'DEL', 'l'), (0, 'SET', 'l', 's'), (0, 'EXEC'),
        (0, 'DEL', 'l'), (0, 'RPUSH', 'l', 'later'), ('read', 1)],
    'multi_push_retype_other_key_served': [
        ('send', 1, 'BLPOP', 'a', 'b', '0'),
        (0, 'MULTI'), (0, 'RPUSH', 'a', 'v'), (0, 'DEL', 'a'), (0, 'SET', 'a', 's'),
        (0, 'RPUSH', 'b', 'w'), (0, 'EXEC'), ('read', 1), (0, 'GET', 'a')],
    'bzpop_retyped_waits': [
        ('send', 1, 'BZPOPMIN', 'z', '0'),
        (0, 'MULTI'), (0, 'ZADD', 'z', '1', 'a'), (0, 'DEL', 'z'), (0, 'RPUSH', 'z', 'l'),
        (0, 'EXEC'), (0, 'DEL', 'z'), (0, 'ZADD', 'z', '2', 'b'), ('read', 1)],
    'blmove_source_retyped_waits': [
        ('send', 1, 'BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0'),
        (0, 'MULTI'), (0, 'RPUSH', 's', 'v'), (0, 'DEL', 's'), (0, 'SET', 's', 'x'), (0, 'EXEC'),
        (0, 'DEL', 's'), (0, 'RPUSH', 's', 'ok'), ('read', 1), (0, 'LRANGE', 'd', '0', '-1')],
    'blmove_destination_retyped_errors': [
        ('send', 1, 'BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0'),
        (0, 'SET', 'd', 'x'), (0, 'RPUSH', 's', 'v'), ('read', 1), (0, 'LRANGE', 's', '0', '-1')],
    'swapdb_wakes_blocked': [
        (0, 'SELECT', '1'), (0, 'RPUSH', 'l', 'from1'), (0, 'ZADD', 'z', '1', 'm'),
        (0, 'SELECT', '0'),
        ('send', 1, 'BLPOP', 'l', '0'), ('send', 2, 'BZPOPMAX', 'z', '0'),
        (0, 'SWAPDB', '0', '1'), ('read', 1), ('read', 2), (0, 'EXISTS', 'l', 'z')],
    'brpoplpush_wake_touches_watch': [
        (2, 'WATCH', 'dst', 'src'), ('send', 1, 'BRPOPLPUSH', 'src', 'dst', '0'),
        (0, 'RPUSH', 'src', 'v'), ('read', 1),
        (2, 'MULTI'), (2, 'PING'), (2, 'EXEC')],
}


@pytest.mark.parametrize('name', sorted(SCENARIOS))
def test_blocking_scenarios_match_oracle(basalt_server, oracle_server, name):
    steps = SCENARIOS[name]
    assert scenario(basalt_server, steps) == scenario(oracle_server, steps)


def unblock_steps(srv, reason):
    with srv.raw() as blocked, srv.raw() as other:
        other.command('FLUSHALL')
        cid = blocked.call('CLIENT', 'ID')
        blocked.send_command('BLPOP', 'q', '0')
        time.sleep(0.1)
        info = other.call('INFO', 'clients').decode()
        args = ['CLIENT', 'UNBLOCK', str(cid)] + ([reason] if reason else [])
        r = other.command(*args)
        return info.count('blocked_clients:1'), r, read_within(blocked), other.command(*args)


@pytest.mark.parametrize('reason', [None, 'TIMEOUT', 'ERROR'])
def test_client_unblock_matches_oracle(basalt_server, oracle_server, reason):
    assert unblock_steps(basalt_server, reason) == unblock_steps(oracle_server, reason)


def test_wake_across_threads_and_fifo(make_server):
    """Waiters on both worker threads are served in blocking order."""
    srv = make_server(threads=2)
    waiters = [srv.raw() for _ in range(6)]
    try:
        for i, w in enumerate(waiters):
            w.send_command('BLPOP', 'jobs', '5')
            time.sleep(0.05)
        with srv.raw() as p:
            p.command('RPUSH', 'jobs', *['job%d' % i for i in range(6)])
        for i, w in enumerate(waiters):
            assert read_within(w) == b'*2\r\n$4\r\njobs\r\n$4\r\njob%d\r\n' % i
    finally:
        for w in waiters:
            w.close()


def test_concurrent_producers_consumers_lose_nothing(make_server):
    srv = make_server(threads=2)
    got = []
    lock = threading.Lock()

    def consumer():
        with srv.raw() as c:
            while True:
                r = c.call('BLPOP', 'work', '1')
                if r is None:
                    return
                with lock:
                    got.append(r[1])

    def producer(base):
        with srv.raw() as c:
            for i in range(500):
                c.command('RPUSH', 'work', 'item%d' % (base + i))

    cons = [threading.Thread(target=consumer) for _ in range(4)]
    prods = [threading.Thread(target=producer, args=(k * 1000,)) for k in range(3)]
    for t in cons + prods:
        t.start()
    for t in cons + prods:
        t.join()
    assert sorted(got) == sorted(b'item%d' % (k * 1000 + i) for k in range(3) for i in range(500))
