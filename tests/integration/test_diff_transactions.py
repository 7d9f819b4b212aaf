"""Differential tests of MULTI / EXEC / DISCARD / WATCH / UNWATCH.

Single-connection scripts go through the differ (RESP2 and RESP3, bytes
compared). WATCH scenarios need a second connection that touches the key;
they run the same steps on Basalt and on the oracle and compare every reply.
"""

import time

import pytest


def test_multi_exec_basics(differ):
    differ([
        'MULTI',
        'SET a 1',
        'INCR a',
        'GET a',
        'EXEC',
        'EXEC',
        'DISCARD',
        'MULTI',
        'MULTI',
        'WATCH a',
        'PING',
        'DISCARD',
        'GET a',
    ])


def test_queue_time_errors_abort(differ):
    differ([
        'SET k v',
        'MULTI',
        'SET k v2',
        'NOSUCHCOMMAND x',
        'GET',
        'EXEC',
        'GET k',
        'MULTI',
        'SET k v3',
        'GET k extra',
        'EXEC',
        'GET k',
    ])


def test_runtime_errors_do_not_abort(differ):
    differ([
        'SET s notanumber',
        'MULTI',
        'INCR s',
        'SET t 1',
        'INCR t',
        'INCRBYFLOAT s 1.5',
        'EXEC',
        'GET t',
    ])


@pytest.mark.needs_commands('lpush')
def test_wrongtype_inside_exec(differ):
    differ([
        'SET s v',
        'MULTI',
        'LPUSH s x',
        'SET t 1',
        'EXEC',
        'GET t',
    ])


def test_select_inside_multi(differ):
    differ([
        'MULTI',
        'SELECT 2',
        'SET k in2',
        'SELECT 0',
        'SET k in0',
        'EXEC',
        'GET k',
        'SELECT 2',
        'GET k',
        'SELECT 0',
    ])


def test_exec_with_keyless_and_multi_key_commands(differ):
    differ([
        'MSET a 1 b 2 c 3',
        'MULTI',
        'DBSIZE',
        'MGET a b c',
        'DEL a b',
        'RENAME c d',
        'KEYS *',
        'EXEC',
        'MULTI',
        'FLUSHALL',
        'SET x 1',
        'EXEC',
        'DBSIZE',
    ])


def run_watch_scenario(srv, steps):
    """steps: (conn_index, args) pairs on two connections; returns the replies."""
    with srv.raw() as c0, srv.raw() as c1:
        conns = (c0, c1)
        c0.command('FLUSHALL')
        out = []
        for idx, args in steps:
            if idx == 'sleep':
                time.sleep(args)
                continue
            out.append(conns[idx].command(*args))
        return out


WATCH_SCENARIOS = {
    'touched_by_other': [
        (0, ['SET', 'k', '1']), (0, ['WATCH', 'k']), (1, ['SET', 'k', '2']),
        (0, ['MULTI']), (0, ['SET', 'k', '3']), (0, ['EXEC']), (0, ['GET', 'k'])],
    'untouched': [
        (0, ['SET', 'k', '1']), (0, ['WATCH', 'k']), (1, ['SET', 'other', '2']),
        (0, ['MULTI']), (0, ['SET', 'k', '3']), (0, ['EXEC']), (0, ['GET', 'k'])],
    'touched_by_self': [
        (0, ['WATCH', 'k']), (0, ['SET', 'k', 'mine']),
        (0, ['MULTI']), (0, ['GET', 'k']), (0, ['EXEC'])],
    'unwatch': [
        (0, ['WATCH', 'k']), (1, ['SET', 'k', '2']), (0, ['UNWATCH']),
        (0, ['MULTI']), (0, ['GET', 'k']), (0, ['EXEC'])],
    'flushall_existing_key': [
        (0, ['SET', 'k', '1']), (0, ['WATCH', 'k']), (1, ['FLUSHALL']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'flushall_missing_key': [
        (0, ['WATCH', 'nokey']), (1, ['FLUSHALL']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'expired_watched_key': [
        (0, ['SET', 'k', '1', 'PX', '50']), (0, ['WATCH', 'k']), ('sleep', 0.2),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'delete_by_other': [
        (0, ['SET', 'k', '1']), (0, ['WATCH', 'k']), (1, ['DEL', 'k']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'expire_by_other': [
        (0, ['SET', 'k', '1']), (0, ['WATCH', 'k']), (1, ['EXPIRE', 'k', '100']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'watch_is_reset_after_exec': [
        (0, ['WATCH', 'k']), (0, ['MULTI']), (0, ['PING']), (0, ['EXEC']),
        (1, ['SET', 'k', 'x']), (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'discard_unwatches': [
        (0, ['WATCH', 'k']), (0, ['MULTI']), (0, ['DISCARD']), (1, ['SET', 'k', 'x']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    'swapdb_touches': [
        (1, ['SELECT', '1']), (1, ['SET', 'k', 'in1']), (0, ['WATCH', 'k']),
        (1, ['SWAPDB', '0', '1']), (0, ['MULTI']), (0, ['PING']), (0, ['EXEC']),
        (1, ['FLUSHALL'])],
    'flushall_several_watched': [
        (0, ['MSET', 'a', '1', 'b', '2']), (0, ['WATCH', 'a', 'b', 'nokey']), (1, ['FLUSHALL']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC']),
        (0, ['WATCH', 'nokey', 'other']), (1, ['FLUSHALL']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
    # Inside EXEC a background save or rewrite is only scheduled.
    'bgsave_in_multi_is_scheduled': [
        (0, ['MULTI']), (0, ['BGSAVE']), (0, ['EXEC'])],
    'save_and_shutdown_refused_in_multi': [
        (0, ['MULTI']), (0, ['SAVE']), (0, ['EXEC']),
        (0, ['MULTI']), (0, ['SHUTDOWN']), (0, ['EXEC']),
        (0, ['MULTI']), (0, ['CONFIG', 'SET', 'maxmemory', 'x']), (0, ['SET', 'a', '1']),
        (0, ['EXEC']), (0, ['GET', 'a'])],
    'resp3_aborted_exec_is_null': [
        (0, ['HELLO', '3']), (0, ['WATCH', 'k']), (1, ['SET', 'k', 'x']),
        (0, ['MULTI']), (0, ['PING']), (0, ['EXEC'])],
}


@pytest.mark.parametrize('name', sorted(WATCH_SCENARIOS))
def test_watch_scenarios_match_oracle(basalt_server, oracle_server, name):
    steps = WATCH_SCENARIOS[name]
    got = run_watch_scenario(basalt_server, steps)
    want = run_watch_scenario(oracle_server, steps)
    if name == 'resp3_aborted_exec_is_null':
        # HELLO's reply carries the server's own id; compare from WATCH on.
        got, want = got[1:], want[1:]
    assert got == want


def test_exec_is_atomic_across_threads(make_server):
    """Concurrent EXECs of INCR pairs on a 2-thread server never interleave."""
    import threading
    srv = make_server(threads=2)
    errors = []

    def worker():
        try:
            with srv.raw() as c:
                for _ in range(300):
                    c.command('MULTI')
                    c.command('INCR', 'a')
                    c.command('INCR', 'b')
                    reply = c.call('EXEC')
                    if reply[0] != reply[1]:
                        errors.append(reply)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    with srv.raw() as c:
        c.command('FLUSHALL')
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    with srv.raw() as c:
        assert c.call('MGET', 'a', 'b') == [b'1200', b'1200']


def client_list_fields(srv, queue_after_touch):
    """CLIENT LIST's flags=, multi= and multi-mem= of a client in MULTI, seen
    from another connection (another worker thread on Basalt)."""
    import re
    with srv.raw() as c0, srv.raw() as c1:
        c0.command('FLUSHALL')
        c0.command('CLIENT', 'SETNAME', 'txn')
        out = []
        if queue_after_touch:
            c0.command('WATCH', 'k')
            c1.command('SET', 'k', '1')
        c0.command('MULTI')
        c0.command('SET', 'a', 'b')
        c0.command('GET', 'a')
        listing = c1.call('CLIENT', 'LIST').decode()
        line = [l for l in listing.split('\n') if 'name=txn' in l][0]
        out.append(re.findall(r'\b(?:flags|multi|multi-mem)=\S+', line))
        out.append(c0.command('EXEC'))
        listing = c1.call('CLIENT', 'LIST').decode()
        line = [l for l in listing.split('\n') if 'name=txn' in l][0]
        out.append(re.findall(r'\b(?:flags|multi|multi-mem)=\S+', line))
        return out


@pytest.mark.parametrize('touched', [False, True])
def test_client_list_shows_multi_state(basalt_server, oracle_server, touched):
    got = client_list_fields(basalt_server, touched)
    want = client_list_fields(oracle_server, touched)
    assert want[0][1] == ('multi=0' if touched else 'multi=2')
    assert got == want
