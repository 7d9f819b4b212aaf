"""Differential tests of scripts and functions on a replica whose link to its
primary is down, against redis-server: READONLY for writes (inside a script,
or up front for shebang scripts that may write), EVAL_RO and no-writes
scripts allowed, then with replica-serve-stale-data no: MASTERDOWN unless the
script is allow-stale, and "Can not execute the command on a stale replica"
for stale-unsafe commands inside an allow-stale script.

Each side is a dedicated server started with --replicaof pointing at a free
port nobody listens on. Replies are compared byte for byte, step by step.
"""

import pytest

from diff import describe
from servers import free_port

pytestmark = pytest.mark.needs_commands('eval')

FUNC_LIB = '#!lua name=rlib\nredis.register_function("rf", function() return 1 end)'

STEPS = [
    ['GET', 'k'],
    ['SET', 'k', 'v'],
    ['EVAL', 'return 1', '0'],
    ['EVAL', "return redis.call('GET', 'k')", '0'],
    ['EVAL', "return redis.call('SET', 'k', 'v')", '0'],
    ['EVAL', "return redis.pcall('SET', 'k', 'v')", '0'],
    ['EVAL', "#!lua\nreturn 1", '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('GET', 'k')", '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('SET', 'k', 'v')", '0'],
    ['EVAL_RO', "return redis.call('GET', 'k')", '0'],
    ['EVAL_RO', "return redis.call('SET', 'k', 'v')", '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn 1", '0'],
    ['SCRIPT', 'LOAD', 'return 1'],
    ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ['FUNCTION', 'LOAD', FUNC_LIB],
    ['FCALL', 'rf', '0'],
    ['CONFIG', 'SET', 'replica-serve-stale-data', 'no'],
    ['GET', 'k'],
    ['EVAL', 'return 1', '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn 1", '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.call('GET', 'k')", '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.pcall('GET', 'k')", '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.call('DBSIZE')", '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn type(redis.call('INFO', 'server'))",
     '0'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.call('PING')", '0'],
    ['EVAL', "#!lua flags=allow-stale\nreturn 1", '0'],
    ['EVAL_RO', 'return 1', '0'],
    ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
    ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
    ['CONFIG', 'SET', 'replica-serve-stale-data', 'yes'],
    ['EVAL', "#!lua flags=no-writes,allow-stale\nreturn redis.call('DBSIZE')", '0'],
]


def run(srv, steps):
    out = []
    with srv.raw(timeout=5) as c:
        for args in steps:
            out.append(c.command(*args))
    return out


@pytest.fixture
def replicas(make_server, oracle_bin):
    dead = str(free_port())
    b = make_server('--replicaof', '127.0.0.1', dead)
    o = make_server('--replicaof', '127.0.0.1', dead, binary=oracle_bin)
    return b, o


def compare(got, want, steps):
    """Every differing step is listed (each step is independent enough)."""
    diffs = ['at %s\n  basalt: %r\n  oracle: %r' % (describe(args), g, w)
             for args, g, w in zip(steps, got, want) if g != w]
    assert not diffs, '%d differing steps:\n' % len(diffs) + '\n'.join(diffs)


def test_scripts_on_a_disconnected_replica(replicas):
    b, o = replicas
    compare(run(b, STEPS), run(o, STEPS), STEPS)


@pytest.mark.needs_commands('function', 'fcall', 'fcall_ro')
def test_functions_on_a_disconnected_replica(replicas):
    """Functions loaded before the server became a replica: FCALL of a
    function that writes is READONLY, FCALL_RO / no-writes ones run, and
    allow-stale decides under replica-serve-stale-data no."""
    b, o = replicas
    lib = ('#!lua name=rlib\n'
           'redis.register_function("w", function() return redis.call("SET", "k", "v") end)\n'
           'redis.register_function{function_name = "r", flags = {"no-writes"}, '
           'callback = function() return redis.call("GET", "k") end}\n'
           'redis.register_function{function_name = "s", flags = {"no-writes", "allow-stale"}, '
           'callback = function() return redis.call("GET", "k") end}\n'
           'redis.register_function{function_name = "s2", flags = {"no-writes", "allow-stale"}, '
           'callback = function() return 2 end}')
    steps = [
        ['REPLICAOF', 'NO', 'ONE'],
        ['FUNCTION', 'LOAD', lib],
        ['REPLICAOF', '127.0.0.1', str(free_port())],
        ['FCALL', 'w', '0'],
        ['FCALL', 'r', '0'],
        ['FCALL_RO', 'r', '0'],
        ['FCALL', 's', '0'],
        ['FUNCTION', 'DELETE', 'rlib'],
        ['FUNCTION', 'FLUSH'],
        ['CONFIG', 'SET', 'replica-serve-stale-data', 'no'],
        ['FCALL', 'r', '0'],
        ['FCALL', 's', '0'],
        ['FCALL', 's2', '0'],
        ['FCALL_RO', 's2', '0'],
        ['FUNCTION', 'LIST'],
        ['FUNCTION', 'STATS'],
    ]
    compare(run(b, steps), run(o, steps), steps)
