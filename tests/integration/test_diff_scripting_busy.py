"""Differential scripting tests that need two connections, against
redis-server: long-running scripts and functions (BUSY replies, SCRIPT KILL /
FUNCTION KILL, FUNCTION STATS while a function runs, UNKILLABLE ended by
SHUTDOWN NOSAVE), and scripts seen from another client (WATCH invalidation,
keyspace notifications).

Each scenario runs on Basalt and on the oracle and every reply is compared.
For the busy ones busy-reply-threshold is lowered to 100 ms (on the shared
servers with CONFIG SET, restored afterwards; on dedicated servers for the
scenarios that end with SHUTDOWN NOSAVE). The looping scripts burn a core for
well under a second each.
"""

import time

import pytest

from diff import SKIP_VALUE, Step, compare, shape

pytestmark = pytest.mark.needs_commands('eval', 'script')

LOOP = 'local i = 0 while true do i = i + 1 end'
LOOP_LIB = ('#!lua name=loops\n'
            'redis.register_function("loop", function() local i = 0 while true do i = i + 1 end end)\n'
            'redis.register_function{function_name = "roloop", flags = {"no-writes"}, '
            'callback = function() local i = 0 while true do i = i + 1 end end}\n'
            'redis.register_function("writeloop", function() redis.call("SET", "w", 1) '
            'while true do end end)')
WAIT = 0.4  # longer than busy-reply-threshold (100 ms)


def run_scenario(srv, steps, setup=()):
    """steps: (conn, action, args[, 'skip']) with action 'call' (send and read),
    'send' (send only), 'recv' (read the pending reply) or ('sleep', seconds).
    Returns [(step description, reply, mode)]."""
    out = []
    # BUSY replies come at once: a short timeout keeps a hung server from
    # eating the whole test time limit.
    with srv.raw(timeout=3) as c0, srv.raw(timeout=3) as c1:
        conns = (c0, c1)
        for args in setup:
            c0.command(*args)
        for st in steps:
            if st[0] == 'sleep':
                time.sleep(st[1])
                continue
            idx, action, args = st[0], st[1], st[2]
            mode = SKIP_VALUE if len(st) > 3 and st[3] == 'skip' else 'exact'
            c = conns[idx]
            if action == 'send':
                c.send_command(*args)
                continue
            try:
                if action == 'call':
                    c.send_command(*args)
                reply = c.read_reply()
            except Exception as e:  # noqa: BLE001 - a closed connection is a result
                reply = ('<%s>' % type(e).__name__).encode()
            out.append(('c%d %s %r' % (idx, action, args), reply, mode))
    return out


def assert_same(got, want):
    assert len(got) == len(want)
    for (desc, rb, mode), (_, ro, _) in zip(got, want):
        step = Step([], mode)
        if not compare(step, rb, ro):
            extra = ''
            if mode == SKIP_VALUE:
                try:
                    extra = '\n  shapes: %s vs %s' % (shape(rb), shape(ro))
                except Exception:  # noqa: BLE001
                    pass
            raise AssertionError('mismatch at %s\n  basalt: %r\n  oracle: %r%s'
                                 % (desc, rb, ro, extra))


@pytest.fixture
def busy_servers(basalt, oracle, basalt_server, oracle_server):
    """The shared servers with busy-reply-threshold 100 (restored after).
    (basalt / oracle: the guards that restart a server a test left broken.)"""
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            r = c.command('CONFIG', 'SET', 'busy-reply-threshold', '100')
            assert r == b'+OK\r\n', (srv.binary, r)
            c.command('FUNCTION', 'FLUSH')
            c.command('FLUSHALL')
    yield basalt_server, oracle_server
    for srv in (basalt_server, oracle_server):
        restore_or_restart(srv)


def restore_or_restart(srv):
    """Puts the threshold back; a server still busy (a script nobody could
    kill) or not answering is restarted so the next tests start clean."""
    try:
        with srv.raw(timeout=3) as c:
            if c.command('PING') == b'+PONG\r\n':
                c.command('CONFIG', 'SET', 'busy-reply-threshold', '5000')
                c.command('FUNCTION', 'FLUSH')
                return
    except Exception:  # noqa: BLE001 - any failure means restart
        pass
    srv.restart()


def both(servers, steps, setup=()):
    b, o = servers
    want = run_scenario(o, steps, setup)
    got = run_scenario(b, steps, setup)
    assert_same(got, want)


def test_script_kill(busy_servers):
    both(busy_servers, [
        (1, 'call', ['SCRIPT', 'KILL']),
        (0, 'send', ['EVAL', LOOP, '0']),
        ('sleep', WAIT),
        (1, 'call', ['PING']),
        (1, 'call', ['GET', 'k']),
        (1, 'call', ['SET', 'k', 'v']),
        (1, 'call', ['EVAL', 'return 1', '0']),
        (1, 'call', ['FUNCTION', 'KILL']),
        (1, 'call', ['FUNCTION', 'STATS']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (0, 'recv', []),
        (1, 'call', ['PING']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (0, 'call', ['EVAL', 'return 1', '0']),
    ])


def test_script_kill_of_read_only_script(busy_servers):
    both(busy_servers, [
        (0, 'send', ['EVAL_RO', LOOP, '0']),
        ('sleep', WAIT),
        (1, 'call', ['GET', 'k']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (0, 'recv', []),
        (0, 'send', ['EVAL', '#!lua flags=no-writes\n' + LOOP, '0']),
        ('sleep', WAIT),
        (1, 'call', ['GET', 'k']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (0, 'recv', []),
        (1, 'call', ['PING']),
    ])


@pytest.mark.needs_commands('function', 'fcall')
def test_function_kill(busy_servers):
    both(busy_servers, [
        (0, 'call', ['FUNCTION', 'LOAD', LOOP_LIB]),
        (0, 'send', ['FCALL', 'loop', '0']),
        ('sleep', WAIT),
        (1, 'call', ['PING']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (1, 'call', ['FUNCTION', 'STATS'], 'skip'),
        (1, 'call', ['FUNCTION', 'KILL']),
        (0, 'recv', []),
        (1, 'call', ['PING']),
        (1, 'call', ['FUNCTION', 'KILL']),
        (0, 'send', ['FCALL_RO', 'roloop', '0']),
        ('sleep', WAIT),
        (1, 'call', ['GET', 'k']),
        (1, 'call', ['FUNCTION', 'STATS'], 'skip'),
        (1, 'call', ['FUNCTION', 'KILL']),
        (0, 'recv', []),
        (0, 'call', ['FUNCTION', 'STATS']),
        (0, 'call', ['FUNCTION', 'FLUSH']),
    ])


@pytest.mark.needs_commands('function', 'fcall')
def test_function_stats_of_running_function(busy_servers):
    """FUNCTION STATS names the running function and its command; only the
    duration differs."""
    b, o = busy_servers
    steps = [
        (0, 'call', ['FUNCTION', 'LOAD', LOOP_LIB]),
        (0, 'send', ['FCALL', 'loop', '2', 'key1', 'key2', 'arg1']),
        ('sleep', WAIT),
        (1, 'call', ['FUNCTION', 'STATS']),
        (1, 'call', ['FUNCTION', 'KILL']),
        (0, 'recv', []),
        (0, 'call', ['FUNCTION', 'FLUSH']),
    ]
    got, want = run_scenario(b, steps), run_scenario(o, steps)
    # Compare FUNCTION STATS with the duration_ms value blanked out.

    def blank(reply):
        i = reply.find(b'duration_ms\r\n:')
        if i < 0:
            return reply
        j = reply.index(b'\r\n', i + len(b'duration_ms\r\n:'))
        return reply[:i] + b'duration_ms\r\n:N' + reply[j:]
    got = [(d, blank(r), m) for d, r, m in got]
    want = [(d, blank(r), m) for d, r, m in want]
    assert_same(got, want)


@pytest.fixture
def dedicated_pair(make_server, oracle_bin):
    b = make_server('--busy-reply-threshold', '100')
    o = make_server('--busy-reply-threshold', '100', binary=oracle_bin)
    return b, o


def test_unkillable_script_and_shutdown_nosave(dedicated_pair):
    """A script that wrote cannot be killed; SHUTDOWN NOSAVE ends the server."""
    both(dedicated_pair, [
        (0, 'send', ['EVAL', "redis.call('SET', 'k', 'v') " + LOOP, '0']),
        ('sleep', WAIT),
        (1, 'call', ['GET', 'k']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (1, 'call', ['FUNCTION', 'KILL']),
        (1, 'call', ['SHUTDOWN']),
        (1, 'call', ['SHUTDOWN', 'NOSAVE']),
        (0, 'recv', []),
    ])


@pytest.mark.needs_commands('function', 'fcall')
def test_unkillable_function_and_shutdown_nosave(dedicated_pair):
    both(dedicated_pair, [
        (0, 'call', ['FUNCTION', 'LOAD', LOOP_LIB]),
        (0, 'send', ['FCALL', 'writeloop', '0']),
        ('sleep', WAIT),
        (1, 'call', ['FUNCTION', 'KILL']),
        (1, 'call', ['SCRIPT', 'KILL']),
        (1, 'call', ['SHUTDOWN', 'NOSAVE']),
        (0, 'recv', []),
    ])


# --- Other two-connection scenarios: WATCH and keyspace notifications ----------


@pytest.fixture
def two_conn_servers(basalt, oracle, basalt_server, oracle_server):
    yield basalt_server, oracle_server
    for srv in (basalt_server, oracle_server):
        restore_or_restart(srv)
        if srv.alive():
            with srv.raw(timeout=3) as c:
                c.command('CONFIG', 'SET', 'notify-keyspace-events', '')


def test_script_write_aborts_watchers(two_conn_servers):
    """A key written by another client's script counts as modified for WATCH;
    a script that only reads does not; a script run inside the watcher's own
    transaction executes."""
    both(two_conn_servers, [
        (0, 'call', ['SET', 'k', '1']),
        (0, 'call', ['WATCH', 'k']),
        (1, 'call', ['EVAL', "return redis.call('GET', 'k')", '0']),
        (0, 'call', ['MULTI']),
        (0, 'call', ['EVAL', "return redis.call('INCR', 'k')", '0']),
        (0, 'call', ['EXEC']),
        (0, 'call', ['WATCH', 'k']),
        (1, 'call', ['EVAL', "return redis.call('INCR', 'k')", '0']),
        (0, 'call', ['MULTI']),
        (0, 'call', ['EVAL', "return redis.call('INCR', 'k')", '0']),
        (0, 'call', ['EXEC']),
        (0, 'call', ['GET', 'k']),
        (0, 'call', ['WATCH', 'k']),
        (1, 'call', ['EVAL', "redis.call('SET', 'k', 'tmp') redis.call('DEL', 'k')", '0']),
        (0, 'call', ['MULTI']),
        (0, 'call', ['PING']),
        (0, 'call', ['EXEC']),
        (0, 'call', ['WATCH', 'k']),
        (1, 'call', ['EVAL', "redis.call('DEL', 'nokey')", '0']),
        (0, 'call', ['MULTI']),
        (0, 'call', ['PING']),
        (0, 'call', ['EXEC']),
    ], setup=[['FLUSHALL']])


def test_keyspace_notifications_from_scripts(two_conn_servers):
    """Commands run by scripts and functions notify like the same commands
    sent by a client, in order; a failing script still notifies what it did."""
    steps = [
        (0, 'call', ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']),
        (1, 'call', ['PSUBSCRIBE', '__key*@0__:*']),
        (0, 'call', ['EVAL', "redis.call('SET', 'a', 1) redis.call('INCR', 'a') "
                     "redis.call('RPUSH', 'l', 'x') redis.call('EXPIRE', 'a', 100) "
                     "redis.call('DEL', 'l')", '0']),
        (0, 'call', ['EVAL', "redis.call('SET', 'b', 1) redis.call('INCR', 'nonnum') "
                     "error('stop')", '0']),
        (0, 'call', ['SET', 'nonnum', 'x']),
        (0, 'call', ['EVAL', "redis.call('SET', 'c', 1) return redis.call('INCR', 'nonnum')",
                     '0']),
        (0, 'call', ['EVAL', "return redis.call('GET', 'a')", '0']),
        (0, 'call', ['PING']),
    ]
    # One pmessage per event (keyspace and keyevent for each of the 9 writes:
    # set/incrby/rpush/expire/del, set/incrby, set, set), then PING as an end
    # marker: an extra event would be read in its place.
    steps += [(1, 'recv', [])] * 18
    steps += [(1, 'call', ['PING'])]
    both(two_conn_servers, steps, setup=[['FLUSHALL']])


def test_publish_from_scripts(two_conn_servers):
    """PUBLISH is allowed in scripts (not read-only ones); subscribers get the
    messages in order, also from a script that fails afterwards, and the
    script sees the receiver count."""
    steps = [
        (1, 'call', ['SUBSCRIBE', 'ch']),
        (0, 'call', ['EVAL', "return {redis.call('PUBLISH', 'ch', 'one'), "
                     "redis.call('PUBLISH', 'nobody', 'x'), redis.call('PUBLISH', 'ch', 'two')}",
                     '0']),
        (0, 'call', ['EVAL', "redis.call('PUBLISH', 'ch', 'three') error('after publish')", '0']),
        (0, 'call', ['EVAL_RO', "return redis.call('PUBLISH', 'ch', 'ro')", '0']),
        (0, 'call', ['EVAL', "#!lua flags=no-writes\nreturn redis.call('PUBLISH', 'ch', 'nw')",
                     '0']),
        # one, two, three (read-only scripts may not PUBLISH: it may replicate),
        # then PING as the end marker.
        (1, 'recv', []), (1, 'recv', []), (1, 'recv', []),
        (1, 'call', ['PING']),
    ]
    both(two_conn_servers, steps, setup=[['FLUSHALL']])
