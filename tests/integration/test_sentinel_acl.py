"""Sentinels under least-privilege ACL users on the data nodes.

docs/sentinel.md lists the rules a data node's user for sentinels needs
(src/sentinel/sentinel_internal.h, kSentinelAclRules). These tests give the
sentinel exactly those rules (and the replicas a user allowed only to
replicate) and fail over; a user missing +slaveof must not stop failovers
silently: Basalt's sentinel logs the refusal with the rules it needs.

Data nodes are Basalt and redis-server (the rules hold for both); sentinels
are Basalt's and redis-sentinel for the positive case.
"""
import threading

import pytest
import redis

import sentinel_util as su
from helpers import TRANSIENT_ERRORS, wait_for
from sentinel_util import MASTER, as_dict
from servers import ServerProcess, basalt_binary, is_basalt, oracle_binary, target_is_basalt

ADMIN_PASS = 'admin-pw'
SENTINEL_PASS = 'sentinel-pw'
REPL_PASS = 'repl-pw'
# The documented minimal rules (docs/sentinel.md), password aside.
SENTINEL_RULES = ('on >%s allchannels +multi +slaveof +ping +exec +subscribe +config|rewrite '
                  '+role +publish +info +client|setname +client|kill +script|kill'
                  % SENTINEL_PASS)
REPLICA_RULES = 'on >%s +psync +replconf +ping' % REPL_PASS


def q(srv, *args):
    return su.raw_call(srv, *args)


def sentinel_q(s, *args):
    def dec(v):
        if isinstance(v, bytes):
            return v.decode()
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v
    return dec(su.raw_call(s, *args))


def data_node(binary, sentinel_rules, replica_of=None):
    if is_basalt(binary):
        sentinel_rules += ' +fence'  # Basalt's failover fence (docs/sentinel.md)
    args = ['--requirepass', ADMIN_PASS,
            '--user', 'sentinel', *sentinel_rules.split(),
            '--user', 'replicator', *REPLICA_RULES.split()]
    if replica_of is not None:
        args += ['--masteruser', 'replicator', '--masterauth', REPL_PASS,
                 '--replicaof', '127.0.0.1', str(replica_of.port)]
    return ServerProcess(binary, args, password=ADMIN_PASS).start()


def nodes(binary, sentinel_rules, replicas=2):
    """A primary and its replicas, linked as user replicator."""
    primary = data_node(binary, sentinel_rules)
    reps = [data_node(binary, sentinel_rules, replica_of=primary) for _ in range(replicas)]
    for r in reps:
        wait_for(lambda: r.client().info('replication')['master_link_status'] == 'up',
                 what='a replica linked as user replicator', retry_on=TRANSIENT_ERRORS)
    return primary, reps


def watch(kind, primary):
    return su.launch_sentinel(su.sentinel_binary(kind), [su.Monitor(
        MASTER, '127.0.0.1', primary.port, 1,
        extra=['auth-user sentinel', 'auth-pass %s' % SENTINEL_PASS])])


def discovered(s, n):
    m = as_dict(sentinel_q(s, 'SENTINEL', 'MASTER', MASTER))
    reps = [as_dict(r) for r in sentinel_q(s, 'SENTINEL', 'REPLICAS', MASTER)]
    return (m['runid'] and 'disconnected' not in m['flags'] and len(reps) == n and
            all(r['runid'] and r['master-link-status'] == 'ok' for r in reps))


def sentinel_clients(srv):
    """The users of the sentinel's connections on a data node."""
    lines = srv.client().client_list()
    return sorted({c['user'] for c in lines if c['name'].startswith('sentinel-')})


DATA_KINDS = [pytest.param('basalt', id='data_basalt'), pytest.param('redis', id='data_redis')]
SENTINEL_KINDS = [pytest.param('basalt', id='sentinel_basalt'),
                  pytest.param('redis', id='sentinel_redis')]


@pytest.mark.parametrize('data', DATA_KINDS)
@pytest.mark.parametrize('kind', SENTINEL_KINDS)
def test_failover_with_the_minimal_sentinel_user(kind, data):
    if data == 'redis' and kind == 'redis':
        pytest.skip('no Basalt process in the pair')
    binary = basalt_binary() if data == 'basalt' else oracle_binary()
    primary, reps = nodes(binary, SENTINEL_RULES)
    s = watch(kind, primary)
    try:
        wait_for(lambda: discovered(s, 2), what='the sentinel reading INFO as user sentinel',
                 retry_on=TRANSIENT_ERRORS)
        # Every connection of the sentinel is logged in as the restricted user.
        wait_for(lambda: sentinel_clients(primary) == ['sentinel'],
                 what='the sentinel connected as user sentinel', retry_on=TRANSIENT_ERRORS)
        assert sentinel_q(s, 'SENTINEL', 'FAILOVER', MASTER) == 'OK'
        ports = {r.port: r for r in reps}
        addr = wait_for(lambda: (lambda a: a if int(a[1]) in ports else None)(
            sentinel_q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER)),
            what='the failover to a replica', retry_on=TRANSIENT_ERRORS)
        promoted = ports[int(addr[1])]
        other = next(r for r in reps if r is not promoted)
        wait_for(lambda: promoted.client().info('replication')['role'] == 'master',
                 what='the replica promoted (MULTI, SLAVEOF NO ONE, CONFIG REWRITE, '
                 'CLIENT KILL, EXEC as user sentinel)', retry_on=TRANSIENT_ERRORS)
        # The other replica is re-pointed to the new primary and replicates
        # from it as user replicator.
        wait_for(lambda: other.client().info('replication').get('master_port') == promoted.port
                 and other.client().info('replication')['master_link_status'] == 'up',
                 what='the other replica re-pointed', retry_on=TRANSIENT_ERRORS)
        promoted.client().set('after', '1')
        wait_for(lambda: other.client().get('after') == '1', what='replication after failover',
                 retry_on=TRANSIENT_ERRORS)
        # Nothing the sentinel sent was refused.
        for srv in (primary, *reps):
            assert [e for e in srv.client().acl_log() if e['username'] == 'sentinel'] == []
    finally:
        s.stop()
        s.cleanup()
        for srv in (*reps, primary):
            srv.stop()
            srv.cleanup()


def test_missing_rule_is_logged_not_silent():
    if not target_is_basalt():
        pytest.skip("Basalt's sentinel log line")
    rules = SENTINEL_RULES.replace(' +slaveof', '')
    primary, (replica,) = nodes(basalt_binary(), rules, replicas=1)
    s = watch('basalt', primary)
    try:
        wait_for(lambda: discovered(s, 1), what='the sentinel reading INFO as user sentinel',
                 retry_on=TRANSIENT_ERRORS)
        assert sentinel_q(s, 'SENTINEL', 'FAILOVER', MASTER) == 'OK'
        wait_for(lambda: 'refused SLAVEOF from this sentinel: NOPERM' in s.log_text(),
                 what='the refusal in the sentinel log')
        line = next(l for l in s.log_text().splitlines() if 'refused SLAVEOF' in l)
        assert '127.0.0.1:%d' % replica.port in line
        assert '+slaveof' in line and 'docs/sentinel.md' in line
        # The replica was not promoted, and the data node logged the denial.
        assert replica.client().info('replication')['role'] == 'slave'
        log = replica.client().acl_log()
        assert any(e['username'] == 'sentinel' and e['object'] == 'slaveof' for e in log)
    finally:
        s.stop()
        s.cleanup()
        for srv in (replica, primary):
            srv.stop()
            srv.cleanup()


@pytest.mark.parametrize('kind', SENTINEL_KINDS)
def test_busy_script_is_killed_by_the_sentinel(kind):
    """A script that keeps the primary BUSY past down-after gets SCRIPT KILL
    from the sentinel (user sentinel: +script|kill), as redis-sentinel does."""
    primary, reps = nodes(basalt_binary(), SENTINEL_RULES, replicas=0)
    s = su.launch_sentinel(su.sentinel_binary(kind), [su.Monitor(
        MASTER, '127.0.0.1', primary.port, 1, down_after=1000,
        extra=['auth-user sentinel', 'auth-pass %s' % SENTINEL_PASS])])
    outcome = {}

    def busy():
        try:
            outcome['reply'] = primary.client().eval('while true do end', 0)
        except redis.ResponseError as e:
            outcome['error'] = str(e)
    t = threading.Thread(target=busy, daemon=True)
    try:
        wait_for(lambda: discovered(s, 0), what='the sentinel connected',
                 retry_on=TRANSIENT_ERRORS)
        t.start()
        t.join(20)
        assert not t.is_alive(), 'the script was not killed'
        assert 'Script killed by user' in outcome.get('error', ''), outcome
        assert primary.client().ping()
    finally:
        if t.is_alive():
            try:
                primary.client().script_kill()
            except redis.RedisError:
                pass
        s.stop()
        s.cleanup()
        primary.stop()
        primary.cleanup()
