"""Differential tests of what scripts and functions write to the AOF (the
same stream replicas get), against redis-server: effects replication (the
commands a script ran, wrapped in MULTI/EXEC), redis.set_repl flags,
read-only and failing scripts, SELECT and EXPIRE inside scripts, and the
FUNCTION commands themselves.

Each scenario runs on a fresh Basalt and a fresh redis-server with
appendonly yes and appendfsync always; the commands in the incr AOF files
must be the same. Only absolute times are used, so both write the same bytes.
"""

import hashlib
import os

import pytest

from resp_client import parse_reply

pytestmark = pytest.mark.needs_commands('eval')


def aof_commands(srv, script):
    replies = []
    with srv.raw() as c:
        for args in script:
            replies.append(c.command(*args))
    d = os.path.join(srv.dir, 'appendonlydir')
    data = b''
    for name in sorted(os.listdir(d)):
        if name.endswith('.incr.aof'):
            with open(os.path.join(d, name), 'rb') as f:
                data += f.read()
    commands, pos = [], 0
    while pos < len(data):
        value, pos = parse_reply(data, pos)
        commands.append([bytes(a).lower() if i == 0 else bytes(a) for i, a in enumerate(value)])
    return replies, commands


def compare_aof(make_server, oracle_bin, script):
    args = ('--appendonly', 'yes', '--appendfsync', 'always')
    got_replies, got = aof_commands(make_server(*args), script)
    want_replies, want = aof_commands(make_server(*args, binary=oracle_bin), script)
    assert got_replies == want_replies
    assert got == want


def ev(body, *args, numkeys=0):
    return ['EVAL', body, str(numkeys)] + list(args)


def ev_ro(body, *args, numkeys=0):
    return ['EVAL_RO', body, str(numkeys)] + list(args)


def test_script_effects_in_aof(make_server, oracle_bin):
    compare_aof(make_server, oracle_bin, [
        ev("return redis.call('SET', KEYS[1], ARGV[1])", 'a', '1', numkeys=1),
        ev("redis.call('SET', 'b', 1) redis.call('INCR', 'b') return redis.call('GET', 'b')"),
        ev("return redis.call('GET', 'a')"),                       # read only: nothing
        ev("return 1"),
        ev("redis.call('SET', 'c', 1) error('after a write')"),    # the write stays
        ev("redis.call('SET', 'd', 1) redis.call('INCR', 'a') redis.call('LPUSH', 'a', 'x')"),
        ev("return redis.pcall('LPUSH', 'a', 'x')"),               # failed: nothing
        ev("redis.call('DEL', 'nokey')"),                          # no-op write: nothing
        ev("redis.call('SET', 'e', 'v', 'EXAT', 4000000000)"),
        ev("redis.call('EXPIREAT', 'a', 4000000001)"),
        ev("redis.call('SELECT', 3) redis.call('SET', 'in3', 1) redis.call('SELECT', 0) "
           "redis.call('SET', 'in0', 1)"),
        ev("redis.call('SELECT', 5) redis.call('SET', 'in5', 1)"),
        ['SET', 'after', '1'],                                     # back in the client's db
        ev("redis.call('INCRBYFLOAT', 'f', '1.5')"),
        ev("redis.call('HSET', 'h', 'x', 1) redis.call('HINCRBYFLOAT', 'h', 'x', '0.5')"),
        ev_ro("return redis.call('GET', 'a')"),
        ev("#!lua flags=no-writes\nreturn redis.call('GET', 'a')"),
        ['SCRIPT', 'LOAD', "return redis.call('SET', 'sha', 1)"],
        ['EVALSHA', hashlib.sha1(b"return redis.call('SET', 'sha', 1)").hexdigest(), '0'],
        ev("redis.call('FLUSHDB')"),
    ])


def test_set_repl_all_and_none_in_aof(make_server, oracle_bin):
    compare_aof(make_server, oracle_bin, [
        ev("redis.set_repl(redis.REPL_NONE) redis.call('SET', 'none', 1)"),
        ev("redis.set_repl(redis.REPL_ALL) redis.call('SET', 'all', 1)"),
        ev("redis.call('SET', 'x1', 1) redis.set_repl(redis.REPL_NONE) "
           "redis.call('SET', 'x2', 1) redis.set_repl(redis.REPL_ALL) redis.call('SET', 'x3', 1)"),
        ev("redis.set_repl(redis.REPL_NONE) redis.call('SET', 'y1', 1) redis.call('DEL', 'all')"),
        ev("redis.replicate_commands() redis.call('SET', 'rc', 1)"),
        ['MGET', 'none', 'all', 'x1', 'x2', 'x3', 'y1'],
    ])


def test_set_repl_none_then_all_in_aof(make_server, oracle_bin):
    # (REPL_AOF / REPL_REPLICA alone are refused by Basalt, a documented
    # difference: test_diff_scripting_libs.py::test_redis_set_repl_aof_or_replica_only.)
    compare_aof(make_server, oracle_bin, [
        ev("redis.set_repl(redis.REPL_NONE) redis.call('SET', 'y1', 1) "
           "redis.set_repl(redis.REPL_ALL) redis.call('SET', 'y2', 1)"),
        ['MGET', 'y1', 'y2'],
    ])


def test_scripts_in_multi_in_aof(make_server, oracle_bin):
    compare_aof(make_server, oracle_bin, [
        ['MULTI'],
        ev("redis.call('SET', 'm1', 1)"),
        ['SET', 'm2', '2'],
        ev("redis.call('SET', 'm3', 1) redis.call('SET', 'm4', 1)"),
        ev("return redis.call('GET', 'm1')"),
        ['EXEC'],
        ['MULTI'],
        ev("return redis.call('GET', 'm1')"),
        ['EXEC'],
    ])


@pytest.mark.needs_commands('function', 'fcall')
def test_functions_in_aof(make_server, oracle_bin):
    lib = ('#!lua name=aoflib\n'
           'redis.register_function("w", function(keys, args) '
           'return redis.call("SET", keys[1], args[1]) end)\n'
           'redis.register_function{function_name = "r", flags = {"no-writes"}, '
           'callback = function(keys) return redis.call("GET", keys[1]) end}\n'
           'redis.register_function("nr", function(keys) redis.set_repl(redis.REPL_NONE) '
           'return redis.call("SET", keys[1], "nr") end)')
    compare_aof(make_server, oracle_bin, [
        ['FUNCTION', 'LOAD', lib],
        ['FUNCTION', 'LOAD', lib],                                   # error: not logged
        ['FUNCTION', 'LOAD', 'REPLACE', lib],
        ['FCALL', 'w', '1', 'k', 'v'],
        ['FCALL', 'r', '1', 'k'],
        ['FCALL_RO', 'r', '1', 'k'],
        ['FCALL', 'nr', '1', 'k2'],
        ['FUNCTION', 'DELETE', 'aoflib'],
        ['FUNCTION', 'DELETE', 'aoflib'],                            # error: not logged
        ['FUNCTION', 'LOAD', lib],
        ['FUNCTION', 'FLUSH'],
        ['FUNCTION', 'FLUSH', 'ASYNC'],
        ['FUNCTION', 'LOAD', lib],
        ['FUNCTION', 'RESTORE', b'\n\x00]\x9b\\@\x0f\x7f\xa2\xda', 'FLUSH'],  # empty payload
        ['SCRIPT', 'FLUSH'],
    ])
