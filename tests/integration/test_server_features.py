"""Run-time re-binding (CONFIG SET port/bind), SLOWLOG, and maxmemory eviction.

Each test runs against the server under test; where Redis defines exact reply
bytes, the same steps also run against the oracle and the replies must match.
"""

import time

import pytest

from helpers import info_int
from resp_client import RawClient
from servers import free_port, oracle_binary


def test_config_set_port_rebinds(make_server):
    srv = make_server()
    new_port = free_port()
    with srv.raw() as c:
        assert c.command('CONFIG', 'SET', 'port', str(new_port)) == b'+OK\r\n'
        # The connection that asked survives the re-bind.
        assert c.command('PING') == b'+PONG\r\n'
    with RawClient(port=new_port) as c2:
        assert c2.command('PING') == b'+PONG\r\n'
        assert c2.call('CONFIG', 'GET', 'port') == [b'port', str(new_port).encode()]
    with pytest.raises(OSError):
        RawClient(port=srv.port, timeout=2).command('PING')
    # Move back so the fixture can stop it through its known port.
    with RawClient(port=new_port) as c3:
        assert c3.command('CONFIG', 'SET', 'port', str(srv.port)) == b'+OK\r\n'


def test_config_set_port_in_use_is_refused(make_server):
    srv = make_server()
    other = make_server()
    with srv.raw() as c:
        reply = c.command('CONFIG', 'SET', 'port', str(other.port))
        assert reply == (b"-ERR CONFIG SET failed (possibly related to argument 'port') - "
                         b"Unable to listen on this port. Check server logs.\r\n")
        assert c.call('CONFIG', 'GET', 'port') == [b'port', str(srv.port).encode()]
    # The old listener is back after the rollback.
    with srv.raw() as c:
        assert c.command('PING') == b'+PONG\r\n'


def slowlog_shape(srv):
    with srv.raw() as c:
        assert c.command('CONFIG', 'SET', 'slowlog-log-slower-than', '0') == b'+OK\r\n'
        c.command('SLOWLOG', 'RESET')
        c.command('SET', 'k', 'x' * 300)
        c.command('AUTH', 'secret')
        c.command('MSET', *(['a', 'b'] * 20))
        entries = c.call('SLOWLOG', 'GET', '3')
        errors = [c.command('SLOWLOG', 'GET', '-2'), c.command('SLOWLOG', 'NOPE'),
                  c.command('SLOWLOG', 'LEN', 'x')]
        length = c.call('SLOWLOG', 'LEN')
        c.command('CONFIG', 'SET', 'slowlog-max-len', '1')
        trimmed = c.call('SLOWLOG', 'LEN')
        c.command('SLOWLOG', 'RESET')
        after_reset = c.call('SLOWLOG', 'GET')
        # The RESET itself is logged after the log was emptied.
        assert len(after_reset) <= 1
    args = [e[3] for e in entries]
    for e in entries:
        assert len(e) == 6 and isinstance(e[0], int) and isinstance(e[2], int)
        assert e[4].startswith(b'127.0.0.1:')
    return args, errors, length >= 4, trimmed


def test_slowlog_matches_oracle(make_server):
    basalt = slowlog_shape(make_server())
    oracle = slowlog_shape(make_server(binary=oracle_binary()))
    assert basalt == oracle
    args = basalt[0]
    assert args[0][-1] == b'... (10 more arguments)' and len(args[0]) == 32
    assert args[1] == [b'AUTH', b'(redacted)']
    assert args[2][2] == b'x' * 128 + b'... (172 more bytes)'


def fill(c, n, value_size=200, prefix='key'):
    value = 'v' * value_size
    for start in range(0, n, 500):
        cmds = []
        for i in range(start, min(n, start + 500)):
            cmds.append(('SET', '%s:%d' % (prefix, i), value))
        replies = c.pipeline_commands(cmds) if hasattr(c, 'pipeline_commands') else None
        if replies is None:
            payload = b''.join(_encode(*cmd) for cmd in cmds)
            c.send(payload)
            c.read_replies(len(cmds))


def _encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


@pytest.mark.parametrize('policy', ['allkeys-lru', 'allkeys-lfu', 'allkeys-random'])
def test_maxmemory_evicts_to_stay_under_limit(make_server, policy):
    srv = make_server('--maxmemory-policy', policy)
    with srv.raw() as c:
        base = info_int(c, 'memory', 'used_memory')
        limit = base + 4 * 1024 * 1024
        assert c.command('CONFIG', 'SET', 'maxmemory', str(limit)) == b'+OK\r\n'
        fill(c, 60000)  # ~15 MB of data into a 4 MB allowance
        # The cron may go on evicting for a moment; read once it has settled.
        prev = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = (c.call('DBSIZE'), info_int(c, 'stats', 'evicted_keys'))
            if now == prev:
                break
            prev = now
        keys, evicted = prev
        used = info_int(c, 'memory', 'used_memory')
        assert evicted > 0
        assert keys + evicted == 60000
        # Within the limit, give or take what one round may overshoot.
        assert used <= limit + 1024 * 1024, (used, limit)


def test_volatile_ttl_evicts_only_keys_with_ttl(make_server):
    srv = make_server('--maxmemory-policy', 'volatile-ttl')
    with srv.raw() as c:
        base = info_int(c, 'memory', 'used_memory')
        fill(c, 2000, prefix='keep')
        limit = info_int(c, 'memory', 'used_memory') + 2 * 1024 * 1024
        assert c.command('CONFIG', 'SET', 'maxmemory', str(limit)) == b'+OK\r\n'
        value = 'v' * 200
        for start in range(0, 30000, 500):
            payload = b''.join(_encode('SET', 'tmp:%d' % i, value, 'EX', '1000')
                               for i in range(start, start + 500))
            c.send(payload)
            c.read_replies(500)
        assert info_int(c, 'stats', 'evicted_keys') > 0
        # No key without a TTL was evicted.
        assert c.call('EXISTS', *['keep:%d' % i for i in range(2000)]) == 2000
        assert base > 0


def oom_steps(srv):
    with srv.raw() as c:
        c.command('SET', 'before', 'x')
        assert c.command('CONFIG', 'SET', 'maxmemory', '1') == b'+OK\r\n'
        replies = [c.command('SET', 'k', 'v'), c.command('GET', 'before'),
                   c.command('DEL', 'before'), c.command('INCR', 'n')]
        c.command('CONFIG', 'SET', 'maxmemory', '0')
        replies.append(c.command('SET', 'k', 'v'))
    return replies


def test_noeviction_refuses_denyoom_commands_like_redis(make_server):
    basalt = oom_steps(make_server())
    oracle = oom_steps(make_server(binary=oracle_binary()))
    assert basalt == oracle
    assert basalt[0].startswith(b"-OOM command not allowed when used memory > 'maxmemory'")
