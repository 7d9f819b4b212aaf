"""The `rename-command` directive, compared with redis-server 7.0.15.

A renamed command answers to its new name only; renamed to "" it is gone.
COMMAND INFO and INFO commandstats still call it by its own name, ACL rules
name it by its own name (Redis keeps the original table for them), and what
is propagated is the command as the client typed it, so a replica or an AOF
needs the same renames (as with Redis).
"""

import os
import shutil
import tempfile

import pytest

from diff import Differ
from helpers import wait_for, wait_link_up
from repl_util import start
from servers import run_until_exit, server_fixture

RENAMES = ('--rename-command', 'config', 'xconfig',
           '--rename-command', 'FLUSHDB', '',
           '--rename-command', 'get', 'G2',
           # Chained: SET -> s1 -> s2.
           '--rename-command', 'set', 's1',
           '--rename-command', 's1', 's2')


@pytest.fixture(scope='module')
def renamed_basalt(basalt_bin):
    yield from server_fixture(basalt_bin, *RENAMES)


@pytest.fixture(scope='module')
def renamed_oracle(oracle_bin):
    yield from server_fixture(oracle_bin, *RENAMES)


@pytest.fixture(params=[2, 3], ids=['resp2', 'resp3'])
def renamed_differ(request, renamed_basalt, renamed_oracle):
    return Differ(renamed_basalt, renamed_oracle, resp=request.param)


def test_renamed_commands_answer_as_redis(renamed_differ):
    renamed_differ([
        's2 a 1',
        'g2 a',
        'G2 a',
        'get a',
        'set a 2',
        's1 a 2',
        'xconfig get maxmemory-policy',
        'XCONFIG GET maxmemory-policy',
        'config get maxmemory-policy',
        'flushdb',
        'FLUSHDB async',
        # (COMMAND INFO xconfig: subcommands come in hash order in Redis;
        # test_renamed_command_stats_use_the_original_name checks its name.)
        'COMMAND INFO config',
        'COMMAND INFO g2 s2 get set s1',
        'COMMAND INFO flushdb',
        'COMMAND GETKEYS g2 a',
        'COMMAND GETKEYS get a',
        # MULTI: an unknown name aborts the transaction, a renamed one queues.
        'MULTI', 's2 b 1', 'g2 b', 'EXEC',
        'MULTI', 'get b', 'g2 b', 'EXEC',
        # Scripts see the same table.
        ['EVAL', "return redis.call('g2', 'b')", '0'],
        ['EVAL', "return redis.pcall('get', 'b')", '0'],
        ['EVAL', "return redis.pcall('flushdb')", '0'],
        # ACL rules keep the original names; DRYRUN runs against the live table.
        'ACL SETUSER u on nopass +config|get',
        'ACL SETUSER u +xconfig',
        'ACL SETUSER u +g2',
        'ACL GETUSER u',
        'ACL SETUSER u +get -set',
        'ACL DRYRUN u xconfig get port',
        'ACL DRYRUN u config get port',
        'ACL DRYRUN u g2 a',
        'ACL DRYRUN u s2 a 1',
        'ACL DELUSER u',
    ])


def test_renamed_command_stats_use_the_original_name(renamed_basalt):
    c = renamed_basalt.client()
    c.execute_command('XCONFIG', 'RESETSTAT')
    # COMMAND LIST / COUNT: a command renamed to "" is gone, the others keep
    # their own names.
    with renamed_basalt.raw() as r:
        names = r.call('COMMAND', 'LIST')
        assert b'flushdb' not in names and b'config' in names and b'set' in names
        assert b'xconfig' not in names and b's2' not in names
        assert r.call('COMMAND', 'COUNT') == len([n for n in names if b'|' not in n])
        assert r.command('COMMAND', 'INFO', 'XCONFIG').startswith(b'*1\r\n*10\r\n$6\r\nconfig\r\n')
    c.execute_command('S2', 'k', 'v')
    assert c.execute_command('G2', 'k') == 'v'
    stats = c.info('commandstats')
    assert stats['cmdstat_get']['calls'] == 1
    assert stats['cmdstat_set']['calls'] == 1
    assert 'cmdstat_g2' not in stats and 'cmdstat_s2' not in stats


def write_conf(d, text):
    path = os.path.join(d, 'r.conf')
    with open(path, 'w') as f:
        f.write(text)
    return path


@pytest.mark.parametrize('lines,reason', [
    ('rename-command nosuch x', 'No such command in rename-command'),
    ('rename-command get set', 'Target command name already exists'),
    ('rename-command get ""\nrename-command get x', 'No such command in rename-command'),
    ('rename-command get', 'Bad directive or wrong number of arguments'),
])
def test_bad_rename_stops_start_up_as_redis(basalt_bin, oracle_bin, lines, reason):
    d = tempfile.mkdtemp(prefix='basalt-rename-')
    try:
        path = write_conf(d, 'port 0\n' + lines + '\n')
        last = lines.split('\n')[-1]
        for binary in (basalt_bin, oracle_bin):
            rc, out = run_until_exit(binary, config_file=path)
            assert rc == 1, (binary, out)
            assert 'at line %d' % (1 + len(lines.split('\n'))) in out, (binary, out)
            assert ">>> '%s'" % last in out or ">>> 'rename-command" in out, (binary, out)
            assert reason in out, (binary, out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_subcommand_cannot_be_renamed(basalt_bin):
    # (redis-server 7.0.15 aborts on an assertion here.)
    rc, out = run_until_exit(basalt_bin, '--rename-command', 'config|get', 'x')
    assert rc == 1 and 'No such command in rename-command' in out, out


def test_long_new_name(make_server):
    name = 'x' * 80
    srv = make_server('--rename-command', 'get', name)
    c = srv.client()
    c.set('k', 'v')
    assert c.execute_command(name, 'k') == 'v'
    assert c.execute_command(name.upper(), 'k') == 'v'


def test_config_rewrite_keeps_rename_lines(make_server):
    d = tempfile.mkdtemp(prefix='basalt-rename-')
    try:
        path = write_conf(d, 'rename-command config xconfig\nrename-command flushall ""\n')
        srv = make_server(config_file=path)
        c = srv.client()
        assert c.execute_command('XCONFIG', 'SET', 'maxmemory', '1mb') == 'OK'
        assert c.execute_command('XCONFIG', 'REWRITE') == 'OK'
        text = open(path).read()
        assert 'rename-command config xconfig' in text
        assert 'rename-command flushall ""' in text
        assert 'maxmemory 1mb' in text
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize('kinds', [('basalt', 'redis'), ('redis', 'basalt'), ('basalt', 'basalt')],
                         ids=['basalt-redis', 'redis-basalt', 'basalt-basalt'])
def test_renamed_writes_replicate_between_peers_with_the_same_renames(make_server, kinds):
    """The command goes to replicas as typed (Redis's behaviour), so peers
    configured with the same renames stay identical."""
    args = ('--rename-command', 'set', 's2', '--rename-command', 'del', 'd2')
    primary = start(make_server, kinds[0], *args)
    replica = start(make_server, kinds[1], *args, replicaof=primary)
    wait_link_up(replica, primary=primary)
    pc, rc = primary.client(), replica.client()
    pc.execute_command('S2', 'k1', 'v1')
    pc.execute_command('S2', 'k2', 'v2')
    pc.execute_command('D2', 'k2')
    pc.execute_command('S2', 'last', 'x')
    wait_for(lambda: rc.execute_command('GET', 'last') == 'x', what='the writes on the replica')
    assert rc.execute_command('GET', 'k1') == 'v1'
    assert rc.execute_command('EXISTS', 'k2') == 0
    assert rc.execute_command('DBSIZE') == 2
