"""acl-replicate-users: replicas carry the primary's ACL users, so a promoted
replica accepts the same credentials (docs/replication.md).

With the Basalt-only directive on, the primary puts every change of a user
(ACL SETUSER, DELUSER, LOAD, CONFIG SET requirepass) in the replication
stream as `ACL SETUSER <name> resetpass resetkeys resetchannels
clearselectors -@all <rules>` / `ACL DELUSER <name>` (not in
the AOF), and its whole user set at the start of every replica's stream (full
or partial sync). A redis-server replica applies the same commands.
"""
import os

import pytest
import redis

from helpers import wait_for, wait_link_up, wait_synced
from servers import oracle_binary, target_is_basalt

pytestmark = pytest.mark.skipif(not target_is_basalt(),
                                reason='acl-replicate-users is Basalt-only')

ALICE = ['alice', 'on', '>alice-pw', '~app:*', '%R~ro:*', '&news', '+@read', '+set',
         '(~other:* +get)']


def users(srv):
    return sorted(srv.client().acl_list())


def replicaof(replica, primary):
    replica.client().execute_command('REPLICAOF', '127.0.0.1', str(primary.port))
    wait_link_up(replica, primary=primary)


def same_users(primary, replica):
    wait_for(lambda: users(replica) == users(primary), what='the replica holding the users',
             detail=lambda: (users(primary), users(replica)))


@pytest.mark.parametrize('replica_kind', ['basalt', 'redis'])
def test_replicas_carry_the_users_and_a_promoted_replica_accepts_them(make_server,
                                                                      replica_kind):
    primary = make_server('--acl-replicate-users', 'yes', '--appendonly', 'yes')
    p = primary.client()
    p.execute_command('ACL', 'SETUSER', *ALICE)  # before the replica exists
    binary = None if replica_kind == 'basalt' else oracle_binary()
    replica = make_server(binary=binary)
    replicaof(replica, primary)
    same_users(primary, replica)  # the full sync carried them

    # Each kind of change follows.
    p.execute_command('ACL', 'SETUSER', 'bob', 'on', '>bob-pw', 'allkeys', '+@all')
    same_users(primary, replica)
    p.execute_command('ACL', 'SETUSER', 'alice', '-set', 'resetchannels')
    same_users(primary, replica)
    p.execute_command('ACL', 'DELUSER', 'bob')
    same_users(primary, replica)
    assert 'bob' not in replica.client().acl_users()

    # The promoted replica accepts alice's password and enforces her rules.
    replica.client().execute_command('REPLICAOF', 'NO', 'ONE')
    a = redis.Redis(port=replica.port, username='alice', password='alice-pw',
                    decode_responses=True)
    with pytest.raises(redis.exceptions.NoPermissionError):
        a.set('app:1', 'x')  # -set
    assert a.get('app:1') is None
    assert a.get('other:1') is None  # the selector came along
    with pytest.raises(redis.exceptions.NoPermissionError):
        a.get('elsewhere')

    # The users travel in the stream only: nothing in the primary's AOF.
    aof_dir = os.path.join(primary.dir, 'appendonlydir')
    for name in os.listdir(aof_dir):
        with open(os.path.join(aof_dir, name), 'rb') as f:
            assert b'SETUSER' not in f.read().upper(), name


def test_requirepass_and_acl_load_follow(make_server, tmp_path):
    aclfile = tmp_path / 'users.acl'
    aclfile.write_text('user default on nopass ~* &* +@all\nuser carol on >c1 ~* +@all\n')
    primary = make_server('--acl-replicate-users', 'yes', '--aclfile', str(aclfile))
    replica = make_server()
    replicaof(replica, primary)
    same_users(primary, replica)
    # ACL LOAD: carol goes, dave comes.
    aclfile.write_text('user default on nopass ~* &* +@all\nuser dave on >d1 ~* +@all\n')
    primary.client().execute_command('ACL', 'LOAD')
    same_users(primary, replica)
    assert sorted(replica.client().acl_users()) == ['dave', 'default']
    # CONFIG SET requirepass changes the default user: replicated too. The
    # test's clients then need the password.
    primary.client().config_set('requirepass', 'now-a-password')
    wait_for(lambda: _needs_password(replica), what='the replica requiring the password')
    r = redis.Redis(port=replica.port, password='now-a-password', decode_responses=True)
    assert r.ping()


def _needs_password(srv):
    try:
        redis.Redis(port=srv.port).ping()
    except redis.exceptions.AuthenticationError:
        return True
    return False


def test_partial_resync_resends_the_users(make_server):
    primary = make_server('--acl-replicate-users', 'yes')
    primary.client().execute_command('ACL', 'SETUSER', *ALICE)
    replica = make_server()
    replicaof(replica, primary)
    same_users(primary, replica)
    full = int(primary.client().info('stats')['sync_full'])
    # A change made on the replica alone is undone at the next sync.
    replica.client().execute_command('ACL', 'DELUSER', 'alice')
    replica.client().client_kill_filter(_type='master')
    wait_link_up(replica, primary=primary)
    same_users(primary, replica)
    stats = primary.client().info('stats')
    assert int(stats['sync_full']) == full and int(stats['sync_partial_ok']) >= 1


def test_off_by_default(make_server):
    primary = make_server()
    assert primary.client().config_get('acl-replicate-users') == {'acl-replicate-users': 'no'}
    primary.client().execute_command('ACL', 'SETUSER', *ALICE)
    replica = make_server()
    replicaof(replica, primary)
    primary.client().set('marker', '1')
    wait_synced(primary, replica)
    assert replica.client().get('marker') == '1'
    assert replica.client().acl_users() == ['default']
