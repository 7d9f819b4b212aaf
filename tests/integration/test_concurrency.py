"""Concurrent clients on a multi-threaded server (--threads 2 for Basalt):
atomic read-modify-write and atomic multi-key commands.
"""

import threading
import time

import pytest

import servers
from resp_client import encode_command

THREADS = 4


@pytest.fixture(scope='module')
def mt_server(basalt_bin):
    yield from servers.server_fixture(basalt_bin, threads=2)


def run_threads(target, n):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:  # Report in the main thread.
            errors.append(e)
    ts = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert not any(t.is_alive() for t in ts), 'worker threads hung'
    if errors:
        raise errors[0]


def test_concurrent_incr_exact(mt_server):
    keys = ['ctr:%d' % i for i in range(5)]
    rounds, batch = 40, 50

    def worker(i):
        with mt_server.raw(timeout=30) as c:
            for r in range(rounds):
                data = b''.join(encode_command('INCR', keys[(r + j) % len(keys)])
                                for j in range(batch))
                c.send(data)
                for reply in c.read_replies(batch):
                    assert reply.startswith(b':'), reply

    with mt_server.raw() as c:
        c.command('DEL', *keys)
    run_threads(worker, THREADS)
    with mt_server.raw() as c:
        values = [int(v) for v in c.call('MGET', *keys)]
    assert sum(values) == THREADS * rounds * batch
    # Every worker spreads its INCRs evenly over the keys.
    assert values == [THREADS * rounds * batch // len(keys)] * len(keys)


def test_concurrent_incrby_and_decrby(mt_server):
    r = mt_server.client()
    r.delete('acct')

    def worker(i):
        c = mt_server.client()
        p = c.pipeline(transaction=False)
        for j in range(1000):
            if i % 2:
                p.incrby('acct', 3)
            else:
                p.decrby('acct', 2)
        p.execute()
        c.close()
    run_threads(worker, THREADS)
    assert int(r.get('acct')) == (THREADS // 2) * 1000 * 3 - (THREADS - THREADS // 2) * 1000 * 2
    r.close()


def test_concurrent_append_and_setnx(mt_server):
    r = mt_server.client()
    r.delete('log')
    for k in range(100):
        r.delete('lock:%d' % k)
    winners = [0] * THREADS

    def worker(i):
        c = mt_server.client()
        p = c.pipeline(transaction=False)
        for j in range(500):
            p.append('log', str(i))
        p.execute()
        for k in range(100):
            if c.setnx('lock:%d' % k, i):
                winners[i] += 1
        c.close()
    run_threads(worker, THREADS)
    log = r.get('log')
    assert len(log) == THREADS * 500
    for i in range(THREADS):
        assert log.count(str(i)) == 500
    assert sum(winners) == 100, winners
    r.close()


def test_mset_mget_atomic(mt_server):
    """Readers never see a half-applied MSET across keys (keys hash to different shards)."""
    keys = ['atom:{%d}:%d' % (i * 7919, i) for i in range(12)]
    r = mt_server.client()
    r.mset({k: 'init' for k in keys})
    stop = time.monotonic() + 2.0
    torn = []
    counts = {'reads': 0, 'writes': 0}

    def writer(i):
        c = mt_server.client()
        seq = 0
        while time.monotonic() < stop:
            v = 'w%d-%d' % (i, seq)
            c.mset({k: v for k in keys})
            seq += 1
        counts['writes'] += seq
        c.close()

    def reader(i):
        c = mt_server.client()
        n = 0
        while time.monotonic() < stop:
            vals = c.mget(keys)
            n += 1
            if len(set(vals)) != 1:
                torn.append(vals)
                break
        counts['reads'] += n
        c.close()

    def role(i):
        (writer if i % 2 == 0 else reader)(i)
    run_threads(role, THREADS)
    assert not torn, 'MGET saw a half-applied MSET: %r' % (torn[0],)
    assert counts['writes'] > 10 and counts['reads'] > 10, counts
    r.close()


def test_msetnx_all_or_nothing(mt_server):
    """Concurrent MSETNX on overlapping key sets: each key is set by exactly one
    winner and every winner's keys all carry its value."""
    r = mt_server.client()
    keys = ['nx:%d' % i for i in range(6)]
    r.delete(*keys)
    results = {}

    def worker(i):
        c = mt_server.client()
        # Worker i claims keys i..i+2 (wrapping), so neighbours overlap.
        mine = [keys[(i + j) % len(keys)] for j in range(3)]
        results[i] = (mine, c.msetnx({k: 'w%d' % i for k in mine}))
        c.close()
    run_threads(worker, len(keys))
    values = dict(zip(keys, r.mget(keys)))
    for i, (mine, won) in results.items():
        if won:
            assert all(values[k] == 'w%d' % i for k in mine), (i, values)
        else:
            assert not any(values[k] == 'w%d' % i for k in mine), (i, values)
    assert any(won for _, won in results.values())
    r.close()


def test_many_connections(mt_server):
    """Connections spread over worker threads all see the same keyspace."""
    conns = [mt_server.raw() for _ in range(40)]
    try:
        for i, c in enumerate(conns):
            assert c.command('SET', 'conn:%d' % i, str(i)) == b'+OK\r\n'
        for i, c in enumerate(conns):
            j = (i * 7 + 3) % len(conns)
            assert c.command('GET', 'conn:%d' % j) == b'$%d\r\n%d\r\n' % (len(str(j)), j)
    finally:
        for c in conns:
            c.close()


@pytest.mark.basalt_only('the threads directive is Basalt\'s own')
def test_threads_directive(mt_server):
    c = mt_server.client()
    assert c.config_get('threads') == {'threads': '2'}
    c.close()
