"""Functions in RDB and AOF files, against redis-server: libraries survive a
restart from the RDB and from the AOF, an RDB written by redis-server with
libraries loads into Basalt and the other way round (redis-check-rdb accepts
Basalt's), and the script cache, which is not persisted, is empty after a
restart on both.

FUNCTION LIST WITHCODE after the restart is compared between the servers
(unordered: several libraries), and FCALL must work.
"""

import os
import shutil
import subprocess
import time

import pytest

from servers import oracle_binary

pytestmark = pytest.mark.needs_commands('function', 'fcall')

LIBS = [
    '#!lua name=plib1\nredis.register_function("pf1", function(keys, args) '
    'return redis.call("SET", keys[1], args[1]) end)',
    '#!lua name=plib2\nredis.register_function{function_name = "pf2", flags = {"no-writes"}, '
    'description = "reads", callback = function(keys) return redis.call("GET", keys[1]) end}',
]


def populate(c):
    for code in LIBS:
        assert c.command('FUNCTION', 'LOAD', code).startswith(b'$')
    assert c.command('FCALL', 'pf1', '1', 'k', 'v') == b'+OK\r\n'
    assert c.command('SCRIPT', 'LOAD', 'return 1').startswith(b'$40')


def after_restart(srv):
    with srv.raw() as c:
        listing = c.call('FUNCTION', 'LIST', 'WITHCODE')
        replies = [c.command('FCALL', 'pf1', '1', 'k2', 'v2'),
                   c.command('FCALL_RO', 'pf2', '1', 'k'),
                   c.command('SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'),
                   c.command('FUNCTION', 'STATS')]
    return sorted(repr(x) for x in listing), replies


def test_functions_survive_rdb_restart(make_server, oracle_bin):
    out = []
    for binary in (None, oracle_bin):
        srv = make_server(binary=binary)
        with srv.raw() as c:
            populate(c)
            assert c.command('SAVE') == b'+OK\r\n'
        srv.stop()
        srv.start()
        out.append(after_restart(srv))
    assert out[0] == out[1]


def test_functions_survive_aof_restart(make_server, oracle_bin):
    out = []
    for binary in (None, oracle_bin):
        srv = make_server('--appendonly', 'yes', '--appendfsync', 'always', binary=binary)
        with srv.raw() as c:
            populate(c)
            c.command('FUNCTION', 'DELETE', 'plib2')
            c.command('FUNCTION', 'LOAD', LIBS[1])
        srv.stop()
        srv.start()
        out.append(after_restart(srv))
    assert out[0] == out[1]


def test_functions_survive_aof_rewrite(make_server, oracle_bin):
    out = []
    for binary in (None, oracle_bin):
        srv = make_server('--appendonly', 'yes', '--appendfsync', 'always', binary=binary)
        with srv.raw() as c:
            populate(c)
            assert c.command('BGREWRITEAOF').startswith(b'+')
            for _ in range(200):
                info = c.call('INFO', 'persistence')
                if b'aof_rewrite_in_progress:0' in info and b'aof_rewrite_scheduled:0' in info:
                    break
                time.sleep(0.05)
        srv.stop()
        srv.start()
        out.append(after_restart(srv))
    assert out[0] == out[1]


def test_rdb_with_functions_from_redis_loads_into_basalt(make_server):
    redis = make_server(binary=oracle_binary())
    with redis.raw() as c:
        populate(c)
        assert c.command('SAVE') == b'+OK\r\n'
    redis.stop()
    redis.start()
    want = after_restart(redis)
    basalt = make_server()
    basalt.stop()
    shutil.copy(os.path.join(redis.dir, 'dump.rdb'), os.path.join(basalt.dir, 'dump.rdb'))
    basalt.start()
    assert after_restart(basalt) == want


def test_rdb_with_functions_from_basalt_loads_into_redis(make_server):
    basalt = make_server()
    with basalt.raw() as c:
        populate(c)
        assert c.command('SAVE') == b'+OK\r\n'
    basalt.stop()
    basalt.start()
    want = after_restart(basalt)
    path = os.path.join(basalt.dir, 'dump.rdb')
    check = subprocess.run(['redis-check-rdb', path], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and 'RDB looks OK' in check.stdout, check.stdout + check.stderr
    redis = make_server(binary=oracle_binary())
    redis.stop()
    shutil.copy(path, os.path.join(redis.dir, 'dump.rdb'))
    redis.start()
    assert after_restart(redis) == want
