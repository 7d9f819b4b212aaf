"""ACL behaviour beyond single replies: a permission matrix (users x commands
x keys x channels, directly, inside MULTI/EXEC and from scripts), compared
with redis-server; the aclfile with ACL SAVE / ACL LOAD round trips and
failures (all or nothing); `user` directives in the config file, their
conflict with `aclfile`, CONFIG REWRITE of users; connections closed when
their user is deleted or its channel rights are revoked; CLIENT KILL USER
and CLIENT LIST user=.
"""

import itertools
import os

import pytest
import redis

from helpers import wait_for
from servers import is_basalt, run_until_exit

USERS = {
    'reader': ['on', '>pw', '-@all', '+@read', '+@connection', '~r:*', '~shared:*'],
    'writer': ['on', '>pw', '-@all', '+@write', '+@connection', '%W~w:*', '~shared:*'],
    'rw': ['on', '>pw', '+@all', '-@dangerous', '%R~r:*', '%W~w:*', '~shared:*', '&news.*'],
    'selector': ['on', '>pw', '-@all', '+get', '~r:*', '(+set ~w:*)', '(+publish &alerts)'],
    'pubsub': ['on', '>pw', '-@all', '+publish', '+subscribe', '+psubscribe', '&news.*',
               '&alerts'],
    'none': ['on', '>pw', '-@all'],
}

COMMANDS = [
    ['GET', '{k}'], ['SET', '{k}', 'v'], ['APPEND', '{k}', 'x'], ['EXISTS', '{k}'],
    ['DEL', '{k}'], ['LPUSH', '{k}l', 'a'], ['LRANGE', '{k}l', '0', '-1'],
    ['HSET', '{k}h', 'f', 'v'], ['HGET', '{k}h', 'f'], ['INCR', '{k}n'], ['STRLEN', '{k}'],
    ['COPY', '{k}', 'w:copy'], ['RENAME', '{k}', '{k}2'], ['MGET', '{k}', 'shared:x'],
    ['PUBLISH', '{c}', 'm'], ['FLUSHDB'], ['CONFIG', 'GET', 'maxmemory'], ['PING'],
    ['DBSIZE'], ['KEYS', 'zz*'],
]
KEYS = ['r:1', 'w:1', 'shared:1', 'other']
CHANNELS = ['news.today', 'alerts', 'other']


def _norm(v):
    if isinstance(v, Exception):
        return 'ERR:' + str(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def _run(srv, user, cmd, via):
    c = srv.client(username=user, password='pw')
    try:
        if via == 'direct':
            return _norm(_try(lambda: c.execute_command(*cmd)))
        if via == 'multi':
            p = c.pipeline(transaction=True)
            p.execute_command(*cmd)
            return _norm(_try(lambda: p.execute(raise_on_error=False)))
        script = 'return redis.pcall(%s)' % ','.join("'%s'" % a for a in cmd)
        return _norm(_try(lambda: c.eval(script, 0)))
    finally:
        c.close()


def _try(fn):
    try:
        return fn()
    except redis.ResponseError as e:
        return e
    except Exception as e:  # noqa: BLE001 - compared as text
        return e


def _setup(srv):
    c = srv.client()
    for name, rules in USERS.items():
        c.execute_command('ACL', 'SETUSER', name, *rules)
    # Scripts and MULTI need their commands too.
    for name in USERS:
        c.execute_command('ACL', 'SETUSER', name, '+eval', '+multi', '+exec')
    c.close()


def _reset(srv):
    c = srv.client()
    c.execute_command('ACL', 'DELUSER', *USERS)
    c.execute_command('ACL', 'LOG', 'RESET')
    c.flushall()
    c.close()


@pytest.mark.parametrize('via', ['direct', 'multi', 'script'])
def test_permission_matrix(basalt_server, oracle_server, via):
    for srv in (basalt_server, oracle_server):
        _setup(srv)
    try:
        mismatches = []
        for user, cmd, key, chan in itertools.product(USERS, COMMANDS, KEYS, CHANNELS):
            if '{c}' not in ' '.join(cmd) and chan != CHANNELS[0]:
                continue  # channels only matter for PUBLISH
            if '{k}' not in ' '.join(cmd) and key != KEYS[0]:
                continue
            args = [a.replace('{k}', key).replace('{c}', chan) for a in cmd]
            for srv in (basalt_server, oracle_server):
                srv.client().flushall()
            a = _run(basalt_server, user, args, via)
            b = _run(oracle_server, user, args, via)
            if a != b:
                mismatches.append((user, args, a, b))
        assert not mismatches, '\n'.join(map(repr, mismatches[:20]))
        logs = [len(srv.client().execute_command('ACL', 'LOG', '1000'))
                for srv in (basalt_server, oracle_server)]
        assert logs[0] == logs[1] and logs[0] > 0
    finally:
        for srv in (basalt_server, oracle_server):
            _reset(srv)


def test_delete_user_closes_its_connections(basalt_server):
    admin = basalt_server.client()
    admin.execute_command('ACL', 'SETUSER', 'gone', 'on', '>pw', '+@all', '~*')
    victim = basalt_server.client(username='gone', password='pw')
    other = basalt_server.client()
    assert victim.ping() and other.ping()
    listing = admin.execute_command('CLIENT', 'LIST')
    assert 'user=gone' in listing
    assert admin.execute_command('ACL', 'DELUSER', 'gone') == 1
    wait_for(lambda: 'user=gone' not in admin.execute_command('CLIENT', 'LIST'),
             what="the deleted user's connection to close")
    victim.connection_pool.disconnect()
    with pytest.raises(redis.ResponseError, match='WRONGPASS'):
        victim.ping()
    assert other.ping()
    admin.close()


def test_client_kill_user(basalt_server):
    admin = basalt_server.client()
    admin.execute_command('ACL', 'SETUSER', 'kk', 'on', '>pw', '+@all', '~*')
    conns = [basalt_server.client(username='kk', password='pw') for _ in range(3)]
    for c in conns:
        c.ping()
    assert admin.execute_command('CLIENT', 'KILL', 'USER', 'kk') == 3
    wait_for(lambda: 'user=kk' not in admin.execute_command('CLIENT', 'LIST'),
             what='killed connections to go')
    admin.execute_command('ACL', 'DELUSER', 'kk')
    admin.close()


def _acl_server(make_server, binary, path, extra=()):
    return make_server('--aclfile', path, *extra, binary=binary)


@pytest.mark.parametrize('impl', ['basalt', 'oracle'])
def test_aclfile_save_load_round_trip(make_server, basalt_bin, oracle_bin, tmp_path, impl):
    binary = basalt_bin if impl == 'basalt' else oracle_bin
    path = str(tmp_path / 'users.acl')
    with open(path, 'w') as f:
        f.write('user default on nopass ~* &* +@all\n'
                'user alice on >a1 ~a:* &chat +@read -@dangerous\n')
    srv = _acl_server(make_server, binary, path)
    c = srv.client()
    assert c.execute_command('ACL', 'USERS') == ['alice', 'default']
    listed = c.execute_command('ACL', 'LIST')
    c.execute_command('ACL', 'SETUSER', 'bob', 'on', '>b', '+acl|whoami', '(~x +set)')
    assert c.execute_command('ACL', 'SAVE') == 'OK'
    text = open(path).read()
    assert text.count('\n') == 3 and 'user bob on #' in text and '(~x resetchannels' in text
    c.execute_command('ACL', 'DELUSER', 'bob')
    assert c.execute_command('ACL', 'LOAD') == 'OK'
    assert c.execute_command('ACL', 'USERS') == ['alice', 'bob', 'default']
    assert c.execute_command('ACL', 'LIST')[0] == listed[0]
    b = srv.client(username='bob', password='b')
    assert b.execute_command('ACL', 'WHOAMI') == 'bob'
    # A broken file changes nothing, and says why.
    with open(path, 'w') as f:
        f.write('user carol on +nocmd\nbogus line\n')
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command('ACL', 'LOAD')
    assert ":1: Error in applying operation '+nocmd'" in str(e.value)
    assert ':2 should start with user keyword' in str(e.value)
    assert c.execute_command('ACL', 'USERS') == ['alice', 'bob', 'default']
    # LOAD drops connections whose user disappeared.
    with open(path, 'w') as f:
        f.write('user default on nopass ~* &* +@all\n')
    assert c.execute_command('ACL', 'LOAD') == 'OK'
    assert c.execute_command('ACL', 'USERS') == ['default']
    wait_for(lambda: 'user=bob' not in c.execute_command('CLIENT', 'LIST'),
             what='the connection of a user ACL LOAD removed to close')
    os.remove(path)
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command('ACL', 'LOAD')
    assert "Error loading ACLs, opening file '" in str(e.value)


def test_aclfile_load_errors_match_oracle(make_server, basalt_bin, oracle_bin, tmp_path):
    out = []
    for binary in (basalt_bin, oracle_bin):
        path = str(tmp_path / ('u-%d.acl' % len(out)))
        open(path, 'w').write('user default on nopass ~* &* +@all\n')
        srv = _acl_server(make_server, binary, path)
        c = srv.client()
        errs = []
        for text in ['user a on %X~b\n', 'user a\nuser a\n', 'nouser x\n', 'user\n',
                     'user a (+get\n', 'user a <nopass\n', 'user a #abc\n',
                     'user a allkeys ~x\n', '\n\nuser a on\n   \nuser b on >x +get\n',
                     'user a b\tc\n', 'user a on +nocmd +@x %X~y <z\nuser b +@y\n']:
            open(path, 'w').write(text)
            try:
                errs.append(c.execute_command('ACL', 'LOAD'))
            except redis.ResponseError as e:
                errs.append(str(e).replace(path, 'FILE'))
        errs.append(c.execute_command('ACL', 'LIST'))
        out.append(errs)
    assert out[0] == out[1]


def test_user_directives_and_rewrite(make_server, basalt_bin, tmp_path):
    conf = tmp_path / 'basalt.conf'
    conf.write_text('user app on >secret ~app:* +@all -@dangerous\n'
                    'user default on nopass ~* &* +@all\n')
    srv = make_server(config_file=str(conf))
    c = srv.client()
    assert c.execute_command('ACL', 'USERS') == ['app', 'default']
    app = srv.client(username='app', password='secret')
    assert app.set('app:1', 'v')
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.set('other', 'v')
    c.execute_command('ACL', 'SETUSER', 'late', 'on', '>l', '+get')
    assert c.execute_command('CONFIG', 'REWRITE') == 'OK'
    text = conf.read_text()
    assert 'user late on #' in text and 'user app on #' in text
    assert text.count('user default on nopass') == 1


@pytest.mark.parametrize('impl', ['basalt', 'oracle'])
def test_user_directive_and_aclfile_conflict(basalt_bin, oracle_bin, tmp_path, impl):
    binary = basalt_bin if impl == 'basalt' else oracle_bin
    acl = tmp_path / 'u.acl'
    acl.write_text('user default on nopass ~* &* +@all\n')
    conf = tmp_path / 'c.conf'
    conf.write_text('user app on >x +@all\naclfile %s\n' % acl)
    rc, out = run_until_exit(binary, config_file=str(conf))
    assert rc == 1, out
    assert 'please define either an ACL file or declare users directly in your redis.conf' in out


@pytest.mark.parametrize('impl', ['basalt', 'oracle'])
def test_bad_aclfile_stops_startup(basalt_bin, oracle_bin, tmp_path, impl):
    binary = basalt_bin if impl == 'basalt' else oracle_bin
    acl = tmp_path / 'u.acl'
    acl.write_text('user default on nopass ~* &* +@all\nuser x on +nocmd\n')
    rc, out = run_until_exit(binary, '--aclfile', str(acl))
    assert rc == 1, out
    assert 'Aborting Redis startup because of ACL errors' in out


def _subscriber(srv, user, *subs):
    r = srv.raw()
    r.command('AUTH', user, 'pw')
    for kind, name in subs:
        r.command(kind, name)
    return r


def test_revoked_channels_drop_subscribers(basalt_server, oracle_server):
    """ACL SETUSER closes the user's connections subscribed to a channel (or
    pattern) the new rules refuse, and only those; compared with Redis."""
    outcome = {}
    for name, srv in (('basalt', basalt_server), ('oracle', oracle_server)):
        admin = srv.client()
        admin.execute_command('ACL', 'SETUSER', 'sub', 'on', '>pw', '+@all', '~*', '&*')
        admin.execute_command('ACL', 'SETUSER', 'other', 'on', '>pw', '+@all', '~*', '&*')
        a = _subscriber(srv, 'sub', ('SUBSCRIBE', 'news.1'))
        b = _subscriber(srv, 'sub', ('SUBSCRIBE', 'sports'))
        c = _subscriber(srv, 'sub', ('PSUBSCRIBE', 'news.*'))
        d = _subscriber(srv, 'sub', ('PSUBSCRIBE', 'n*'))
        e = _subscriber(srv, 'other', ('SUBSCRIBE', 'sports'))
        admin.execute_command('ACL', 'SETUSER', 'sub', 'resetchannels', '&news.*')

        def users():
            return sorted(line.split(' user=')[1].split(' ')[0]
                          + ':' + line.split(' sub=')[1].split(' ')[0]
                          + ':' + line.split(' psub=')[1].split(' ')[0]
                          for line in admin.execute_command('CLIENT', 'LIST').splitlines()
                          if ' user=sub ' in line or ' user=other ' in line)
        wait_for(lambda: len(users()) == 3, what='revoked subscribers to be closed')
        outcome[name] = users()
        pub = admin.execute_command('PUBLISH', 'news.1', 'm')
        outcome[name + '-published'] = pub
        for r in (a, b, c, d, e):
            r.close()
        admin.execute_command('ACL', 'DELUSER', 'sub', 'other')
        admin.close()
    assert outcome['basalt'] == outcome['oracle'] == ['other:1:0', 'sub:0:1', 'sub:1:0']
    assert outcome['basalt-published'] == outcome['oracle-published'] == 2


def _client_users(admin):
    """'user:sub' for every connection but the admin's own, sorted."""
    out = []
    for line in admin.execute_command('CLIENT', 'LIST').splitlines():
        if ' cmd=client|list ' in line:
            continue
        out.append(line.split(' user=')[1].split(' ')[0] + ':'
                   + line.split(' sub=')[1].split(' ')[0])
    return sorted(out)


@pytest.mark.basalt_only('redis-server 7.0 closes every non-default connection on ACL LOAD')
def test_acl_load_closes_changed_and_removed_users_only(make_server, tmp_path):
    """ACL LOAD closes the connections of users it removed or changed; those
    of unchanged users stay; the default user's stay, except subscribers to
    channels its new rules refuse (docs/compatibility.md, ACL)."""
    path = str(tmp_path / 'users.acl')
    users = ('user default on nopass ~* &* +@all\n'
             'user same on >pw ~* &* +@all\n'
             'user changed on >pw ~* &* +@all\n'
             'user removed on >pw ~* &* +@all\n')
    open(path, 'w').write(users)
    srv = make_server('--aclfile', path)
    admin = srv.client()
    keep = [_subscriber(srv, 'same'), _subscriber(srv, 'changed'), _subscriber(srv, 'removed')]
    d1, d2 = srv.raw(), srv.raw()
    d1.command('SUBSCRIBE', 'news')
    d2.command('SUBSCRIBE', 'alerts')
    assert _client_users(admin) == ['changed:0', 'default:1', 'default:1', 'removed:0',
                                    'same:0']
    open(path, 'w').write('user default on nopass ~* resetchannels &alerts +@all\n'
                          'user same on >pw ~* &* +@all\n'
                          'user changed on >pw ~* &* +@all -flushall\n')
    assert admin.execute_command('ACL', 'LOAD') == 'OK'
    wait_for(lambda: _client_users(admin) == ['default:1', 'same:0'],
             what='the connections of changed and removed users, and the revoked '
                  'subscriber, to close')
    assert keep[0].command('PING') == b'+PONG\r\n'
    for r in keep + [d1, d2]:
        r.close()


@pytest.mark.basalt_only('max-auth-failures-per-connection is Basalt\'s own')
def test_auth_failure_limit_closes_the_connection(make_server):
    srv = make_server('--requirepass', 'secret', '--max-auth-failures-per-connection', '3')
    admin = srv.client(password='secret')

    def stats():
        st = admin.info('stats')
        return st['acl_access_denied_auth'], st['auth_failure_limit_disconnections']
    assert stats() == (0, 0)
    with srv.raw() as c:
        for attempt in range(3):
            assert c.command('AUTH', 'wrong').startswith(b'-WRONGPASS'), attempt
        # The third failure closed the connection.
        with pytest.raises(Exception):
            c.command('AUTH', 'secret')
    assert stats() == (3, 1)
    # HELLO AUTH counts too; a success in between does not reset the count.
    with srv.raw() as c:
        assert c.command('HELLO', '2', 'AUTH', 'default', 'x').startswith(b'-WRONGPASS')
        assert c.command('AUTH', 'secret') == b'+OK\r\n'
        assert c.command('AUTH', 'nope', 'x').startswith(b'-WRONGPASS')
        assert c.command('PING') == b'+PONG\r\n'
        assert c.command('AUTH', 'y').startswith(b'-WRONGPASS')
        with pytest.raises(Exception):
            c.command('PING')
    assert stats() == (6, 2)
    # 0 (the default) never closes; the limit can change at runtime.
    admin.config_set('max-auth-failures-per-connection', 0)
    with srv.raw() as c:
        for _ in range(10):
            assert c.command('AUTH', 'wrong').startswith(b'-WRONGPASS')
        assert c.command('AUTH', 'secret') == b'+OK\r\n'
    assert stats() == (16, 2)


@pytest.mark.basalt_only('Redis 7.0 has no acl_access_denied_* fields (7.2 does)')
def test_acl_denied_counters_in_info(make_server):
    srv = make_server()
    admin = srv.client()
    admin.execute_command('ACL', 'SETUSER', 'u', 'on', '>pw', '-@all', '+get', '+publish',
                          '~k*', '&ch')
    u = srv.client(username='u', password='pw')
    for call in (lambda: u.set('k', 'v'), lambda: u.get('other'),
                 lambda: u.get('other2'), lambda: u.publish('nope', 'm')):
        with pytest.raises(redis.exceptions.NoPermissionError):
            call()
    st = admin.info('stats')
    assert (st['acl_access_denied_cmd'], st['acl_access_denied_key'],
            st['acl_access_denied_channel']) == (1, 2, 1)
