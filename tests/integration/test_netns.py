"""The network-namespace harness (netns.py) and a first partition drill.

A primary and a replica, each in its own namespace on a private bridge: cut
the primary from the replica (not from clients), the replica's link goes
down after repl-timeout while clients keep writing to the primary; heal, and
the replica catches up to identical data. Runs with Basalt and, to check the
test itself, with redis-server. Skipped where namespaces cannot be made
(not root, no iproute2 / iptables).
"""
import os
import time

import pytest

import netns
import servers
from helpers import link_up, repl_info, wait_for
from servers import basalt_binary, oracle_binary

TIMEOUT = 15 * servers.TIME_SCALE
REPL_ARGS = ('--repl-timeout', '2', '--repl-ping-replica-period', '1')


@pytest.fixture
def net_factory():
    netns.skip_unless_available()
    made = []

    def make(nodes):
        made.append(netns.Net(nodes))
        return made[-1]

    yield make
    for net in made:
        net.close()
    assert netns.our_leftovers() == []


def reachable(net, from_node, srv):
    """True if from_node opens a connection to srv and gets PONG within 1 s."""
    rc, out = net[from_node].run(['timeout', '1', '/usr/bin/redis-cli', '-h', srv.host,
                                  '-p', srv.port, 'ping'], timeout=5)
    return rc == 0 and out.strip() == 'PONG'


def test_net_cut_and_heal(net_factory):
    net = net_factory(['a', 'b', 'c'])
    addresses = [n.address for n in net.nodes.values()] + [net.client_address]
    assert len(set(addresses)) == 4
    assert all(a.startswith('10.213.') for a in addresses)
    srv = net['a'].server(oracle_binary()).start()
    try:
        assert reachable(net, 'b', srv) and reachable(net, 'c', srv)
        net.isolate('a', ['b'])
        assert net.cuts == [('a', 'b')]
        assert not reachable(net, 'b', srv)
        assert reachable(net, 'c', srv)
        assert srv.client().ping()  # The client side is never cut.
        net.isolate('a')
        assert net.cuts == [('a', 'b'), ('a', 'c')]
        assert not reachable(net, 'c', srv)
        net.heal()
        assert net.cuts == []
        assert reachable(net, 'b', srv) and reachable(net, 'c', srv)
    finally:
        srv.stop()
        srv.cleanup()
    names = net.namespaces()
    net.close()
    assert not any(os.path.exists('/run/netns/' + n) for n in names)


def test_close_kills_leftover_processes(net_factory):
    net = net_factory(1)
    proc = net['n0'].popen(['sleep', '60'])
    net.close()
    assert proc.wait(timeout=5) == -9
    assert netns.our_leftovers() == []


@pytest.mark.parametrize('kind', ['basalt', 'redis'])
def test_replica_link_survives_partition(net_factory, kind):
    binary = basalt_binary() if kind == 'basalt' else oracle_binary()
    net = net_factory(['primary', 'replica'])
    primary = net['primary'].server(binary, *REPL_ARGS)
    replica = net['replica'].server(binary, *REPL_ARGS, '--replicaof', primary.host,
                                    primary.port)
    started = []
    try:
        for srv in (primary, replica):
            srv.start()
            started.append(srv)
        pc, rc = primary.client(), replica.client()
        wait_for(lambda: link_up(replica), TIMEOUT, 'the link up')

        for i in range(100):
            pc.set('before:%d' % i, i)
        wait_for(lambda: rc.get('before:99') == '99', TIMEOUT, 'the writes on the replica')

        net.isolate('primary', ['replica'])
        written = []

        def write():
            key = 'during:%d' % len(written)
            assert pc.set(key, len(written)) is True
            written.append(key)

        cut_at = time.monotonic()
        wait_for(lambda: repl_info(replica).get('master_link_status') == 'down', TIMEOUT,
                 'the link down', between=write)
        down_after = time.monotonic() - cut_at
        # repl-timeout is 2 s: not before about that, and not much later.
        assert 1.0 < down_after < 10 * servers.TIME_SCALE, down_after
        assert written, 'no write accepted by the cut-off primary'
        assert rc.get(written[-1]) is None
        assert reachable(net, 'replica', primary) is False

        net.heal()
        wait_for(lambda: link_up(replica), TIMEOUT, 'the link up again')
        pc.set('after', 'heal')
        wait_for(lambda: rc.get('after') == 'heal', TIMEOUT, 'the replica to catch up')
        keys = sorted(pc.keys('*'))
        assert sorted(rc.keys('*')) == keys
        assert len(keys) == 100 + len(written) + 1
        assert rc.mget(keys) == pc.mget(keys)
    finally:
        for srv in reversed(started):
            srv.stop(check=False)
    crashes = [srv.check_crash() for srv in started]
    for srv in (primary, replica):
        srv.cleanup()  # Kept on disk if it crashed.
    assert crashes == [None] * len(started)


@pytest.mark.parametrize('kind', ['basalt', 'redis'])
def test_protected_mode_follows_the_default_users_password(net_factory, kind):
    """protected-mode: a client that is not on loopback is refused while the
    default user needs no password, whether the password comes from
    requirepass or from ACL rules (Redis 7.0's rule); loopback always gets in."""
    binary = basalt_binary() if kind == 'basalt' else oracle_binary()
    net = net_factory(['node'])
    srv = net['node'].server(binary, '--bind', net['node'].address, '127.0.0.1')
    srv.start()
    try:
        def local(*args):
            rc, out = net['node'].run(['/usr/bin/redis-cli', '--no-auth-warning', '-h',
                                       '127.0.0.1', '-p', srv.port, *args])
            assert rc == 0, out
            return out.strip()

        def remote_first_reply(*cmd):
            c = net.raw(srv.host, srv.port)
            try:
                return c.command(*cmd)
            finally:
                c.close()

        assert local('CONFIG', 'SET', 'protected-mode', 'yes') == 'OK'
        assert remote_first_reply('PING').startswith(b'-DENIED ')
        # A password for the default user through ACL rules opens the door.
        assert local('ACL', 'SETUSER', 'default', '>acl-pw') == 'OK'
        assert remote_first_reply('PING').startswith(b'-NOAUTH')
        assert remote_first_reply('AUTH', 'acl-pw') == b'+OK\r\n'
        # nopass again: refused again.
        assert local('--user', 'default', '--pass', 'acl-pw', 'ACL', 'SETUSER', 'default',
                     'nopass') == 'OK'
        assert remote_first_reply('PING').startswith(b'-DENIED ')
        # requirepass works the same way; loopback is never refused.
        assert local('CONFIG', 'SET', 'requirepass', 'rp') == 'OK'
        assert remote_first_reply('AUTH', 'rp') == b'+OK\r\n'
        assert local('-a', 'rp', 'CONFIG', 'SET', 'requirepass', '') == 'OK'
        assert remote_first_reply('PING').startswith(b'-DENIED ')
        assert local('PING') == 'PONG'
    finally:
        srv.stop(check=False)
    assert srv.check_crash() is None
    srv.cleanup()
