"""Sentinel mode: commands, discovery, events, failover, config file, clients.

Real processes on 127.0.0.1 (sentinel_util.py): a primary with replicas and
sentinels watching it as 'mymaster'. Every test runs for each pair (sentinel
implementation, data-node implementation) of the matrix; `make test` runs
(basalt, basalt), (basalt, redis) and (redis, basalt). SENTINEL_IMPL and/or
DATA_IMPL in the environment narrow the matrix to that one pair (e.g.
SENTINEL_IMPL=redis to check the tests against redis-sentinel);
SENTINEL_LONG=1 adds the (redis, redis) control pair.

The differential tests (test_diff_*) run one Basalt sentinel and one
redis-sentinel side by side on the same data nodes and compare replies
that must match: field names and their order, fixed values, error texts
byte for byte. Values that vary (times, run ids) are checked for shape.

Message formats checked here are those redis-sentinel 7.0.15 publishes, e.g.
'+switch-master' 'mymaster 127.0.0.1 6379 127.0.0.1 6380' and, for a
replica, 'slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379'.
"""
import os
import re
import signal
import time

import pytest
import redis
import redis.sentinel

import helpers
import servers
import sentinel_util as su
from helpers import TRANSIENT_ERRORS, link_up, parse_info, repl_info, wait_for
from repl_util import crash
from resp_client import RespError
from sentinel_util import CONVERT_TIMEOUT, MASTER, Topology, as_dict
from servers import ServerProcess

LONG = os.environ.get('SENTINEL_LONG') == '1'
HEX40 = re.compile(r'^[0-9a-f]{40}$')


def _matrix():
    env_s, env_d = os.environ.get('SENTINEL_IMPL'), os.environ.get('DATA_IMPL')
    if env_s or env_d:
        combos = [(env_s or 'basalt', env_d or 'basalt')]
    else:
        combos = [('basalt', 'basalt'), ('basalt', 'redis'), ('redis', 'basalt')]
        if LONG:
            combos.append(('redis', 'redis'))
    return [pytest.param(c, id='sentinel_%s-data_%s' % c) for c in combos]


MATRIX = _matrix()


# --- helpers -----------------------------------------------------------------

def dec(v):
    """A raw parsed reply with bytes turned into str (errors stay RespError)."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [dec(x) for x in v]
    if isinstance(v, RespError):
        return RespError(v.message.decode() if isinstance(v.message, bytes) else v.message)
    return v


def q(srv, *args):
    """One command on a fresh raw connection; the decoded reply."""
    return dec(su.raw_call(srv, *args))


def raw(srv, *args):
    """One command on a fresh raw connection; the reply's bytes."""
    with srv.raw() as c:
        return c.command(*args)


def err(srv, *args):
    """The error text a command gets (fails if it succeeds)."""
    reply = q(srv, *args)
    assert isinstance(reply, RespError), '%r replied %r, not an error' % (args, reply)
    return reply.message


def master_state(s):
    return as_dict(q(s, 'SENTINEL', 'MASTER', MASTER))


def replicas_state(s):
    return [as_dict(r) for r in q(s, 'SENTINEL', 'REPLICAS', MASTER)]


def sentinels_state(s):
    return [as_dict(r) for r in q(s, 'SENTINEL', 'SENTINELS', MASTER)]


def slave_msg(node, master_addr):
    """The text of an event about a replica: 'slave ip:port ip port @ name mip mport'."""
    return 'slave %s:%d %s %d @ %s %s %d' % (node.host, node.port, node.host, node.port, MASTER,
                                             master_addr[0], master_addr[1])


def master_msg(addr):
    return 'master %s %s %d' % (MASTER, addr[0], addr[1])


def start_topology(combo, **kw):
    s_kind, d_kind = combo
    topo = Topology(sentinel_impl=s_kind, data_impl=d_kind, **kw)
    error = None
    try:
        topo.start()
    except (servers.ServerStartError, AssertionError) as e:
        error = str(e)
    if error:
        pytest.fail('topology did not come up: %s' % error, pytrace=False)
    return topo


@pytest.fixture
def topologies():
    """Factory: topologies(combo, **Topology kw) -> a started Topology,
    closed after the test (a crash fails the test)."""
    made = []

    def make(combo, **kw):
        made.append(start_topology(combo, **kw))
        return made[-1]
    yield make
    problems = []
    for t in made:
        try:
            t.close()
        except AssertionError as e:
            problems.append(str(e))
    if problems:
        pytest.fail('\n'.join(problems), pytrace=False)


@pytest.fixture(scope='module', params=MATRIX)
def topo(request):
    """A shared primary + 2 replicas + 3 sentinels for the command tests
    (which must leave it as they found it)."""
    t = start_topology(request.param, replicas=2, sentinels=3)
    t.combo = request.param
    yield t
    try:
        t.close()
    except AssertionError as e:
        pytest.fail(str(e), pytrace=False)


# --- basic commands ---------------------------------------------------------------

def test_ping_role_and_unknown_commands(topo):
    for s in topo.sentinels:
        assert raw(s, 'PING') == b'+PONG\r\n'
        assert q(s, 'ROLE') == ['sentinel', [MASTER]]
        # A sentinel has no data commands.
        assert err(s, 'GET', 'x') == "ERR unknown command 'GET', with args beginning with: 'x' "
        assert err(s, 'SET', 'a', 'b').startswith("ERR unknown command 'SET'")
        assert err(s, 'FLUSHALL').startswith("ERR unknown command 'FLUSHALL'")


def test_info_sentinel_section(topo):
    p = topo.primary
    for s in topo.sentinels:
        info = s.info('sentinel')
        assert info['sentinel_masters'] == '1'
        assert info['sentinel_tilt'] == '0'
        for field in ('sentinel_tilt_since_seconds', 'sentinel_running_scripts',
                      'sentinel_scripts_queue_length', 'sentinel_simulate_failure_flags'):
            assert field in info, field
        assert info['master0'] == 'name=%s,status=ok,address=%s:%d,slaves=2,sentinels=3' % (
            MASTER, p.host, p.port)
        server = s.info('server')
        assert server['redis_mode'] == 'sentinel'
        assert int(server['tcp_port']) == s.port
        assert server['config_file'] == s.conf_path


def test_masters_and_master(topo):
    p = topo.primary
    for s in topo.sentinels:
        masters = q(s, 'SENTINEL', 'MASTERS')
        assert len(masters) == 1
        m = as_dict(masters[0])
        assert list(m) == list(master_state(s))
        assert m['name'] == MASTER
        assert (m['ip'], int(m['port'])) == (p.host, p.port)
        assert m['runid'] == helpers.info(p, 'server')['run_id']
        assert m['flags'] == 'master'
        assert m['role-reported'] == 'master'
        assert m['num-slaves'] == '2'
        assert m['num-other-sentinels'] == '2'
        assert m['quorum'] == '2'
        assert m['down-after-milliseconds'] == '2000'
        assert m['failover-timeout'] == '10000'
        assert m['parallel-syncs'] == '1'
        assert m['config-epoch'] == '0'
        for f in ('last-ping-sent', 'last-ok-ping-reply', 'last-ping-reply', 'info-refresh',
                  'role-reported-time', 'link-pending-commands', 'link-refcount'):
            assert re.fullmatch(r'\d+', m[f]), (f, m[f])


def test_replicas_and_slaves_alias(topo):
    p = topo.primary
    want = sorted((r.host, r.port) for r in topo.replicas)
    for s in topo.sentinels:
        reps = replicas_state(s)
        assert sorted((r['ip'], int(r['port'])) for r in reps) == want
        for r in reps:
            assert r['name'] == '%s:%s' % (r['ip'], r['port'])
            assert r['flags'] == 'slave'
            assert r['role-reported'] == 'slave'
            assert r['master-link-status'] == 'ok'
            assert (r['master-host'], int(r['master-port'])) == (p.host, p.port)
            assert r['slave-priority'] == '100'
            assert HEX40.match(r['runid']), r['runid']
            assert re.fullmatch(r'\d+', r['slave-repl-offset'])
        slaves = [as_dict(r) for r in q(s, 'SENTINEL', 'SLAVES', MASTER)]
        assert [r['name'] for r in slaves] == [r['name'] for r in reps]
        assert list(slaves[0]) == list(reps[0])


def test_discovery_of_other_sentinels(topo):
    ids = {s.port: s.myid() for s in topo.sentinels}
    assert len(set(ids.values())) == 3
    for s in topo.sentinels:
        assert HEX40.match(ids[s.port])
        others = sentinels_state(s)
        assert sorted(int(o['port']) for o in others) == sorted(p for p in ids if p != s.port)
        for o in others:
            assert o['ip'] == '127.0.0.1'
            assert o['runid'] == ids[int(o['port'])]
            assert o['name'] == o['runid']
            assert o['flags'] == 'sentinel'
            assert o['voted-leader'] == '?'
            assert re.fullmatch(r'\d+', o['last-hello-message'])


def test_get_master_addr_by_name(topo):
    for s in topo.sentinels:
        assert q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER) == [
            topo.primary.host, str(topo.primary.port)]
        assert raw(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nope') == b'*-1\r\n'


def test_ckquorum(topo):
    s = topo.sentinels[0]
    assert raw(s, 'SENTINEL', 'CKQUORUM', MASTER) == (
        b'+OK 3 usable Sentinels. Quorum and failover authorization can be reached\r\n')
    assert err(s, 'SENTINEL', 'CKQUORUM', 'nope') == 'ERR No such master with that name'


def test_is_master_down_by_addr_and_votes(topo):
    p, s = topo.primary, topo.sentinels[-1]
    # Not down; '*' asks for no vote.
    assert q(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, p.port, 0, '*') == [0, '*', 0]
    # An address nobody monitors: not down either.
    assert q(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, 1, 0, '*') == [0, '*', 0]
    # A vote request in a new epoch is granted to the first asker only.
    with su.EventCollector(s) as ev:
        a, b = 'a' * 40, 'b' * 40
        assert q(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, p.port, 100, a) == [0, a, 100]
        assert q(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, p.port, 100, b) == [0, a, 100]
        # An older epoch does not change the vote either.
        assert q(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, p.port, 50, b) == [0, a, 100]
        ev.wait('+new-epoch', lambda m: m == '100')
        ev.wait('+vote-for-leader', lambda m: m == '%s 100' % a)
    assert err(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host, 'x', 0, '*') == (
        'ERR value is not an integer or out of range')
    assert err(s, 'SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', p.host) == (
        "ERR wrong number of arguments for 'sentinel|is-master-down-by-addr' command")
    # The epoch spreads to the other sentinels through hello messages.
    for other in topo.sentinels:
        def saved():
            assert q(other, 'SENTINEL', 'FLUSHCONFIG') == 'OK'
            return 'sentinel current-epoch 100' in other.config_lines('sentinel current-epoch')
        wait_for(saved, what='current-epoch 100 on sentinel %d' % other.port,
                 retry_on=TRANSIENT_ERRORS)


def test_config_get_set(topo):
    s = topo.sentinels[0]
    assert q(s, 'SENTINEL', 'CONFIG', 'GET', '*') == [
        'resolve-hostnames', 'no', 'announce-hostnames', 'no', 'announce-ip', '',
        'announce-port', '0', 'sentinel-user', '', 'sentinel-pass', '']
    assert q(s, 'SENTINEL', 'CONFIG', 'GET', 'nonexistent') == []
    assert q(s, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'yes') == 'OK'
    assert q(s, 'SENTINEL', 'CONFIG', 'GET', 'resolve*') == ['resolve-hostnames', 'yes']
    assert 'sentinel resolve-hostnames yes' in s.config_lines()
    assert q(s, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'no') == 'OK'
    assert q(s, 'SENTINEL', 'CONFIG', 'GET', 'resolve-hostnames') == ['resolve-hostnames', 'no']
    assert err(s, 'SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'maybe') == (
        "ERR Invalid value 'maybe' to SENTINEL CONFIG SET 'resolve-hostnames'")
    assert err(s, 'SENTINEL', 'CONFIG', 'SET', 'nonsense', '1') == (
        "ERR Invalid argument 'nonsense' to SENTINEL CONFIG SET")
    assert err(s, 'SENTINEL', 'CONFIG', 'FOO') == (
        'ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.')


def test_info_cache(topo):
    s = topo.sentinels[0]
    reply = q(s, 'SENTINEL', 'INFO-CACHE', MASTER)
    assert reply[0] == MASTER and len(reply) == 2
    entries = reply[1]
    assert len(entries) == 3  # The primary, then its replicas.
    run_ids = []
    for age, text in entries:
        assert isinstance(age, int) and age >= 0
        info = parse_info(text)
        run_ids.append(info['run_id'])
    assert parse_info(entries[0][1])['role'] == 'master'
    assert all(parse_info(t)['role'] == 'slave' for _, t in entries[1:])
    want = {helpers.info(n, 'server')['run_id'] for n in topo.data_nodes}
    assert set(run_ids) == want
    assert q(s, 'SENTINEL', 'INFO-CACHE', 'nope') == []
    # Unknown names are skipped.
    assert q(s, 'SENTINEL', 'INFO-CACHE', MASTER, 'nope')[0] == MASTER


def test_set_options(topo):
    s = topo.sentinels[1]
    with su.EventCollector(s) as ev:
        assert q(s, 'SENTINEL', 'SET', MASTER, 'quorum', '3', 'parallel-syncs', '2') == 'OK'
        m = master_state(s)
        assert (m['quorum'], m['parallel-syncs']) == ('3', '2')
        assert 'sentinel parallel-syncs %s 2' % MASTER in s.config_lines()
        assert 'sentinel monitor %s %s %d 3' % (MASTER, topo.primary.host, topo.primary.port) \
            in s.config_lines()
        ev.wait('+set', lambda msg: msg == '%s quorum 3' % master_msg(topo.addr(topo.primary)))
        ev.wait('+set', lambda msg: msg == '%s parallel-syncs 2' %
                master_msg(topo.addr(topo.primary)))
    assert err(s, 'SENTINEL', 'SET', MASTER, 'quorum', '0') == (
        "ERR Invalid argument '0' for SENTINEL SET 'quorum'")
    assert err(s, 'SENTINEL', 'SET', MASTER, 'down-after-milliseconds', 'abc') == (
        "ERR Invalid argument 'abc' for SENTINEL SET 'down-after-milliseconds'")
    assert err(s, 'SENTINEL', 'SET', MASTER, 'bogus', '1') == (
        "ERR Unknown option or number of arguments for SENTINEL SET 'bogus'")
    assert err(s, 'SENTINEL', 'SET', 'nope', 'quorum', '1') == 'ERR No such master with that name'
    assert err(s, 'SENTINEL', 'SET', MASTER, 'quorum') == (
        "ERR wrong number of arguments for 'sentinel|set' command")
    assert q(s, 'SENTINEL', 'SET', MASTER, 'quorum', '2', 'parallel-syncs', '1') == 'OK'
    m = master_state(s)
    assert (m['quorum'], m['parallel-syncs']) == ('2', '1')


def test_monitor_and_remove(topo):
    s = topo.sentinels[2]
    port = servers.free_port()  # Nothing listens there.
    with su.EventCollector(s, channels=['+monitor', '-monitor']) as ev:
        assert q(s, 'SENTINEL', 'MONITOR', 'other', '127.0.0.1', port, 1) == 'OK'
        ev.wait('+monitor', lambda m: m == 'master other 127.0.0.1 %d quorum 1' % port)
        assert sorted(as_dict(m)['name'] for m in q(s, 'SENTINEL', 'MASTERS')) == [
            MASTER, 'other']
        assert q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'other') == ['127.0.0.1', str(port)]
        assert 'sentinel monitor other 127.0.0.1 %d 1' % port in s.config_lines()
        assert s.info()['sentinel_masters'] == '2'
        assert q(s, 'ROLE')[0] == 'sentinel'
        assert sorted(q(s, 'ROLE')[1]) == [MASTER, 'other']
        assert err(s, 'SENTINEL', 'MONITOR', 'other', '127.0.0.1', port, 1) == (
            'ERR Duplicate master name.')
        assert q(s, 'SENTINEL', 'REMOVE', 'other') == 'OK'
        ev.wait('-monitor', lambda m: m == 'master other 127.0.0.1 %d' % port)
    assert [as_dict(m)['name'] for m in q(s, 'SENTINEL', 'MASTERS')] == [MASTER]
    assert not any(' other ' in ln for ln in s.config_lines('sentinel'))
    assert err(s, 'SENTINEL', 'MONITOR', 'x', '127.0.0.1', port, 0) == (
        'ERR Quorum must be 1 or greater.')
    assert err(s, 'SENTINEL', 'MONITOR', 'x', 'localhost', port, 1) == (
        'ERR Invalid IP address or hostname specified')
    assert err(s, 'SENTINEL', 'MONITOR', 'x', '127.0.0.1', 99999, 1) == 'ERR Invalid port number.'
    assert err(s, 'SENTINEL', 'REMOVE', 'nope') == 'ERR No such master with that name'


def test_flushconfig_and_myid(topo):
    for s in topo.sentinels:
        myid = s.myid()
        assert q(s, 'SENTINEL', 'FLUSHCONFIG') == 'OK'
        lines = s.config_lines('sentinel')
        assert 'sentinel myid %s' % myid in lines
        for r in topo.replicas:
            assert 'sentinel known-replica %s %s %d' % (MASTER, r.host, r.port) in lines
        for o in topo.sentinels:
            if o is not s:
                assert 'sentinel known-sentinel %s %s %d %s' % (
                    MASTER, o.host, o.port, o.myid()) in lines
        assert any(ln.startswith('sentinel current-epoch ') for ln in lines)


def test_errors(topo):
    s = topo.sentinels[0]
    assert err(s, 'SENTINEL', 'FOO') == "ERR unknown subcommand 'FOO'. Try SENTINEL HELP."
    assert err(s, 'SENTINEL') == "ERR wrong number of arguments for 'sentinel' command"
    for sub in ('MASTER', 'REPLICAS', 'SLAVES', 'SENTINELS', 'GET-MASTER-ADDR-BY-NAME',
                'CKQUORUM', 'FAILOVER', 'REMOVE', 'RESET'):
        assert err(s, 'SENTINEL', sub) == (
            "ERR wrong number of arguments for 'sentinel|%s' command" % sub.lower()), sub
    assert err(s, 'SENTINEL', 'MASTER', 'a', 'b') == (
        "ERR wrong number of arguments for 'sentinel|master' command")
    for sub in ('MASTER', 'REPLICAS', 'SLAVES', 'SENTINELS', 'CKQUORUM', 'FAILOVER', 'REMOVE'):
        assert err(s, 'SENTINEL', sub, 'nope') == 'ERR No such master with that name', sub
    assert raw(s, 'SENTINEL', 'RESET', 'nope') == b':0\r\n'
    # Still serving after all that.
    assert raw(s, 'PING') == b'+PONG\r\n'


def test_reset_rediscovers(topo):
    # Last of the module's tests: the sentinel forgets, then learns again.
    s = topo.sentinels[0]
    with su.EventCollector(s) as ev:
        assert q(s, 'SENTINEL', 'RESET', 'zz*') == 0
        assert q(s, 'SENTINEL', 'RESET', 'my*') == 1
        ev.wait('+reset-master', lambda m: m == master_msg(topo.addr(topo.primary)))
    topo.wait_discovered()
    m = master_state(s)
    assert (m['num-slaves'], m['num-other-sentinels']) == ('2', '2')


# --- differential: Basalt's sentinel against redis-sentinel ---------------------

@pytest.fixture(scope='module')
def mixed():
    """One Basalt sentinel and one redis-sentinel watching the same data nodes
    (DATA_IMPL): each sees the other, so their views must match."""
    t = start_topology(('basalt', su.data_impl()), replicas=1, sentinels=2,
                       sentinel_impls=['basalt', 'redis'])
    yield t
    try:
        t.close()
    except AssertionError as e:
        pytest.fail(str(e), pytrace=False)


# Fields whose values must be the same in both sentinels' replies.
STABLE_MASTER = ('name', 'ip', 'port', 'runid', 'flags', 'link-refcount', 'down-after-milliseconds',
                 'role-reported', 'config-epoch', 'num-slaves', 'num-other-sentinels', 'quorum',
                 'failover-timeout', 'parallel-syncs')
STABLE_REPLICA = ('name', 'ip', 'port', 'runid', 'flags', 'down-after-milliseconds',
                  'role-reported', 'master-link-status', 'master-host', 'master-port',
                  'slave-priority', 'replica-announced')


def _pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def test_diff_master_replicas_sentinels_fields(mixed):
    b, r = mixed.sentinels
    mb, mr = q(b, 'SENTINEL', 'MASTER', MASTER), q(r, 'SENTINEL', 'MASTER', MASTER)
    assert [k for k, _ in _pairs(mb)] == [k for k, _ in _pairs(mr)]
    for f in STABLE_MASTER:
        assert as_dict(mb)[f] == as_dict(mr)[f], f
    assert [k for k, _ in _pairs(q(b, 'SENTINEL', 'MASTERS')[0])] == [k for k, _ in _pairs(mr)]
    rb, rr = q(b, 'SENTINEL', 'REPLICAS', MASTER), q(r, 'SENTINEL', 'REPLICAS', MASTER)
    assert len(rb) == len(rr) == 1
    assert [k for k, _ in _pairs(rb[0])] == [k for k, _ in _pairs(rr[0])]
    for f in STABLE_REPLICA:
        assert as_dict(rb[0])[f] == as_dict(rr[0])[f], f
    sb, sr = q(b, 'SENTINEL', 'SENTINELS', MASTER), q(r, 'SENTINEL', 'SENTINELS', MASTER)
    assert [k for k, _ in _pairs(sb[0])] == [k for k, _ in _pairs(sr[0])]
    # Each lists the other.
    assert as_dict(sb[0])['runid'] == r.myid() and as_dict(sr[0])['runid'] == b.myid()
    for f in ('ip', 'flags', 'down-after-milliseconds', 'voted-leader', 'voted-leader-epoch'):
        assert as_dict(sb[0])[f] == as_dict(sr[0])[f], f


DIFF_BYTES = [
    ('PING',),
    ('ROLE',),
    ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER),
    ('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nope'),
    ('SENTINEL', 'CKQUORUM', MASTER),
    ('SENTINEL', 'CONFIG', 'GET', '*'),
    ('SENTINEL', 'CONFIG', 'GET', 'announce-*'),
    ('SENTINEL', 'CONFIG', 'GET', 'nonexistent'),
    ('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', '1', '0', '*'),
    ('SENTINEL', 'INFO-CACHE', 'nope'),
    ('SENTINEL', 'RESET', 'nope'),
    # Errors, byte for byte.
    ('SENTINEL',),
    ('SENTINEL', 'FOO'),
    ('SENTINEL', 'foo', 'bar'),
    ('SENTINEL', 'MASTER'),
    ('SENTINEL', 'MASTER', 'a', 'b'),
    ('SENTINEL', 'MASTER', 'nope'),
    ('SENTINEL', 'REPLICAS', 'nope'),
    ('SENTINEL', 'SLAVES', 'nope'),
    ('SENTINEL', 'SENTINELS', 'nope'),
    ('SENTINEL', 'CKQUORUM', 'nope'),
    ('SENTINEL', 'FAILOVER', 'nope'),
    ('SENTINEL', 'REMOVE', 'nope'),
    ('SENTINEL', 'SET', 'nope', 'quorum', '1'),
    ('SENTINEL', 'SET', MASTER, 'quorum'),
    ('SENTINEL', 'SET', MASTER, 'quorum', '0'),
    ('SENTINEL', 'SET', MASTER, 'quorum', 'x'),
    ('SENTINEL', 'SET', MASTER, 'down-after-milliseconds', '-5'),
    ('SENTINEL', 'SET', MASTER, 'failover-timeout', '0'),
    ('SENTINEL', 'SET', MASTER, 'parallel-syncs', 'y'),
    ('SENTINEL', 'SET', MASTER, 'bogus', '1'),
    ('SENTINEL', 'MONITOR', MASTER, '127.0.0.1', '1', '1'),
    ('SENTINEL', 'MONITOR', 'x', '127.0.0.1', '1', '0'),
    ('SENTINEL', 'MONITOR', 'x', 'localhost', '1', '1'),
    ('SENTINEL', 'MONITOR', 'x', '127.0.0.1', '99999', '1'),
    ('SENTINEL', 'MONITOR', 'x', '127.0.0.1', 'p', '1'),
    ('SENTINEL', 'MONITOR', 'x', '127.0.0.1', '1'),
    ('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', 'x', '0', '*'),
    ('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1', '1', 'e', '*'),
    ('SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', '127.0.0.1'),
    ('SENTINEL', 'CONFIG', 'FOO'),
    ('SENTINEL', 'CONFIG', 'GET'),
    ('SENTINEL', 'CONFIG', 'SET', 'resolve-hostnames', 'maybe'),
    ('SENTINEL', 'CONFIG', 'SET', 'nonsense', '1'),
    ('SENTINEL', 'CONFIG', 'SET', 'announce-port', 'abc'),
    ('GET', 'x'),
    ('SET', 'a', 'b'),
    ('KEYS', '*'),
    ('REPLICAOF', 'NO', 'ONE'),
]


@pytest.mark.parametrize('cmd', DIFF_BYTES, ids=lambda c: ' '.join(c)[:60])
def test_diff_reply_bytes(mixed, cmd):
    b, r = mixed.sentinels
    assert raw(b, *cmd) == raw(r, *cmd)


def test_diff_info(mixed):
    b, r = mixed.sentinels
    ib, ir = b.info('sentinel'), r.info('sentinel')
    assert list(ib) == list(ir)
    assert ib['master0'] == ir['master0']
    headers = [[ln for ln in q(x, 'INFO').splitlines() if ln.startswith('#')] for x in (b, r)]
    assert headers[0] == headers[1]
    assert b.info('server')['redis_mode'] == 'sentinel'


def test_diff_hello3(mixed):
    b, r = mixed.sentinels
    replies = []
    for s in (b, r):
        with s.raw() as c:
            replies.append(c.call('HELLO', '3'))
    keys = [[k for k, _ in rep] for rep in replies]
    assert keys[0] == keys[1]
    assert dict(replies[0])[b'mode'] == b'sentinel'


def test_diff_event_formats_on_set(mixed):
    """Both publish the same +set event text for the same change."""
    texts = []
    for s in mixed.sentinels:
        with su.EventCollector(s, channels=['+set']) as ev:
            assert q(s, 'SENTINEL', 'SET', MASTER, 'down-after-milliseconds', '1500') == 'OK'
            texts.append(ev.wait('+set'))
            assert q(s, 'SENTINEL', 'SET', MASTER, 'down-after-milliseconds', '2000') == 'OK'
    assert texts[0] == texts[1] == '%s down-after-milliseconds 1500' % master_msg(
        mixed.addr(mixed.primary))


# --- failover ---------------------------------------------------------------------

def _assert_event_formats(collectors, topo, old_addr, new):
    """Checks the messages of one failover across all sentinels' collectors."""
    new_addr = topo.addr(new)
    all_events = [e for c in collectors for e in c.events]
    by_channel = {}
    for ch, msg in all_events:
        by_channel.setdefault(ch, []).append(msg)
    old_master = master_msg(old_addr)
    assert old_master in by_channel.get('+sdown', []), by_channel.get('+sdown')
    odown = re.compile(r'^%s #quorum (\d+)/2$' % re.escape(old_master))
    assert any(odown.match(m) and int(odown.match(m).group(1)) >= 2
               for m in by_channel.get('+odown', [])), by_channel.get('+odown')
    assert by_channel.get('+new-epoch') and all(
        re.fullmatch(r'\d+', m) for m in by_channel['+new-epoch'])
    for ch in ('+try-failover', '+elected-leader', '+failover-state-select-slave',
               '+failover-state-reconf-slaves', '+failover-end'):
        assert old_master in by_channel.get(ch, []), (ch, by_channel.get(ch))
    votes = by_channel.get('+vote-for-leader', [])
    assert votes and all(re.fullmatch(r'[0-9a-f]{40} \d+', v) for v in votes), votes
    promoted = slave_msg(new, old_addr)
    for ch in ('+selected-slave', '+failover-state-send-slaveof-noone',
               '+failover-state-wait-promotion', '+promoted-slave'):
        assert promoted in by_channel.get(ch, []), (ch, by_channel.get(ch))
    others = [r for r in topo.data_nodes if r is not new and topo.addr(r) != old_addr]
    for r in others:
        for ch in ('+slave-reconf-sent', '+slave-reconf-done'):
            assert slave_msg(r, old_addr) in by_channel.get(ch, []), (ch, by_channel.get(ch))
    switch = 'mymaster %s %d %s %d' % (old_addr + new_addr)
    for c in collectors:  # Every sentinel announces the switch.
        assert switch in c.messages('+switch-master'), (c.sentinel.port, c.events)
    # After the switch the old primary is listed as a replica of the new one.
    assert slave_msg(topo.node_at(old_addr), new_addr) in by_channel.get('+slave', [])
    # The sentinels that were not the leader learnt the new config from it.
    leaders = [c for c in collectors if old_master in c.messages('+elected-leader')]
    assert leaders
    for c in collectors:
        if c not in leaders:
            assert any(re.fullmatch(r'sentinel [0-9a-f]{40} \S+ \d+ @ %s' % re.escape(
                old_master[len('master '):]), m) for m in c.messages('+config-update-from')), \
                c.events


@pytest.mark.parametrize('combo', MATRIX)
def test_automatic_failover(topologies, combo):
    """kill -9 of the primary: events, data, config files, the old primary
    returning as a replica, a restarted sentinel's memory, redis-py's client."""
    topo = topologies(combo, replicas=2, sentinels=3)
    old, replicas = topo.primary, topo.replicas
    old_addr = topo.addr(old)
    collectors = [su.EventCollector(s) for s in topo.sentinels]
    sub = su.EventCollector(topo.sentinels[1], channels=['+switch-master'])
    client = redis.sentinel.Sentinel(topo.sentinel_addrs(), socket_timeout=2,
                                     decode_responses=True)
    try:
        assert client.discover_master(MASTER) == old_addr
        assert sorted(client.discover_slaves(MASTER)) == sorted(
            topo.addr(r) for r in topo.replicas)
        m = client.master_for(MASTER, socket_timeout=2)
        for i in range(100):
            m.set('k%d' % i, i)
        assert m.wait(2, 10000) == 2
        crash(old)
        new = topo.wait_failover(old_addr)
        assert new in replicas
        for i in range(100):
            assert new.client().get('k%d' % i) == str(i)
        # redis-py's client reconnects through the sentinels to the new primary.
        wait_for(lambda: m.set('after', 'x'), what='redis-py master_for to write again',
                 retry_on=TRANSIENT_ERRORS)
        assert new.client().get('after') == 'x'
        assert client.discover_master(MASTER) == topo.addr(new)
        sub.wait('+switch-master')
        assert sub.events == [('+switch-master', 'mymaster %s %d %s %d' % (
            old_addr + topo.addr(new)))]
        for c in collectors:
            c.wait('+switch-master')
        _assert_event_formats(collectors, topo, old_addr, new)

        # Config files: the new address and what each sentinel learnt.
        for s in topo.sentinels:
            def rewritten():
                lines = s.config_lines('sentinel')
                return ('sentinel monitor %s %s %d 2' % ((MASTER,) + topo.addr(new)) in lines
                        and any(ln.startswith('sentinel current-epoch ') and
                                int(ln.split()[-1]) >= 1 for ln in lines))
            wait_for(rewritten, what='sentinel %d config rewritten' % s.port,
                     retry_on=TRANSIENT_ERRORS)
            lines = s.config_lines('sentinel')
            for r in [old] + [r for r in topo.replicas if r is not new]:
                assert 'sentinel known-replica %s %s %d' % (MASTER, r.host, r.port) in lines

        # The old primary, now listed as a replica, is down; it comes back empty,
        # as a primary, and is turned into a replica.
        convert = slave_msg(old, topo.addr(new))
        for c in collectors:
            c.wait('+sdown', lambda msg: msg == convert)
        old.restart()
        wait_for(lambda: link_up(old, new), CONVERT_TIMEOUT,
                 'old primary %d to replicate from %d' % (old.port, new.port),
                 retry_on=TRANSIENT_ERRORS,
                 detail=lambda: (repl_info(old), [c.events[-8:] for c in collectors]))
        wait_for(lambda: old.client().get('after') == 'x', what='old primary resynced',
                 retry_on=TRANSIENT_ERRORS)
        assert any(convert in c.messages('+convert-to-slave') for c in collectors), \
            [c.events[-10:] for c in collectors]
        for c in collectors:
            c.wait('-sdown', lambda msg: msg == convert)
        topo.wait_discovered(replicas=[r for r in topo.data_nodes if r is not new])

        # A restarted sentinel remembers: stop the others first, so that nothing it
        # reports can have been learnt again from hello messages.
        s0 = topo.sentinels[0]
        myid = s0.myid()
        for c in collectors + [sub]:
            c.close()
        collectors = []
        for s in topo.sentinels[1:]:
            s.stop()
        s0.stop()
        s0.start()
        assert s0.myid() == myid
        assert topo.master_addr(s0) == topo.addr(new)
        mst = master_state(s0)
        assert int(mst['config-epoch']) >= 1
        assert sorted(int(o['port']) for o in sentinels_state(s0)) == sorted(
            s.port for s in topo.sentinels[1:])
        assert sorted(int(r['port']) for r in replicas_state(s0)) == sorted(
            r.port for r in topo.data_nodes if r is not new)
    finally:
        for c in collectors:
            c.close()


@pytest.mark.parametrize('combo', MATRIX)
def test_manual_failover_skips_priority_zero(topologies, combo):
    """SENTINEL FAILOVER promotes a replica without agreement; a replica with
    replica-priority 0 is never chosen."""
    topo = topologies(combo, replicas=2, sentinels=2,
                      node_args={1: ['--replica-priority', '0']})
    old = topo.primary
    zero, eligible = topo.data_nodes[1], topo.data_nodes[2]
    s = topo.sentinels[0]
    prio = {int(r['port']): r['slave-priority'] for r in replicas_state(s)}
    assert prio == {zero.port: '0', eligible.port: '100'}
    with su.EventCollector(s) as ev:
        assert q(s, 'SENTINEL', 'FAILOVER', MASTER) == 'OK'
        assert err(s, 'SENTINEL', 'FAILOVER', MASTER) == 'INPROG Failover already in progress'
        new = topo.wait_failover(topo.addr(old), followers=[zero])
        assert new is eligible
        ev.wait('+switch-master', lambda msg: msg == 'mymaster %s %d %s %d' % (
            topo.addr(old) + topo.addr(new)))
        # A manual failover needs no quorum: no +odown.
        assert '+odown' not in ev.channels()
        ev.wait('+failover-end')
    # The old primary was alive all along; it is turned into a replica too.
    wait_for(lambda: link_up(old, new), CONVERT_TIMEOUT,
             'old primary %d to replicate from %d' % (old.port, new.port),
             retry_on=TRANSIENT_ERRORS, detail=lambda: repl_info(old))


@pytest.mark.parametrize('combo', MATRIX)
def test_no_good_replica(topologies, combo):
    topo = topologies(combo, replicas=1, sentinels=1, quorum=1,
                      node_args={1: ['--replica-priority', '0']})
    s = topo.sentinels[0]
    wait_for(lambda: replicas_state(s)[0]['slave-priority'] == '0', what='priority seen',
             retry_on=TRANSIENT_ERRORS)
    with su.EventCollector(s) as ev:
        assert err(s, 'SENTINEL', 'FAILOVER', MASTER) == (
            'NOGOODSLAVE No suitable replica to promote')
        time.sleep(0.5)
        assert '+switch-master' not in ev.channels()
    assert topo.master_addr() == topo.addr(topo.primary)


def _run_id(srv):
    return helpers.info(srv, 'server')['run_id']


@pytest.mark.parametrize('combo', MATRIX)
def test_most_advanced_replica_chosen(topologies, combo):
    """Between two replicas of equal priority, the one with the larger
    replication offset wins although the other has the smaller run id (the
    last tie-breaker)."""
    # The sentinel starts after the replicas diverged, so that its first INFO
    # of each already shows the offsets (a running one refreshes every 10 s).
    topo = topologies(combo, replicas=2, sentinels=0, quorum=1)
    old = topo.primary
    a, b = sorted(topo.replicas, key=_run_id, reverse=True)  # b: the smaller run id.
    pc = old.client()
    for i in range(50):
        pc.set('early%d' % i, 'x' * 100)
    assert pc.wait(2, 10000) == 2
    # b stops following (its offset stays behind); a gets more writes.
    assert b.client().execute_command('REPLICAOF', '127.0.0.1', servers.free_port()) == 'OK'
    for i in range(200):
        pc.set('late%d' % i, 'y' * 100)
    assert pc.wait(1, 10000) >= 1
    # b is no longer in the primary's INFO: the sentinel learns it from its config.
    topo.monitor_extra = ['known-replica %s %d' % (b.host, b.port)]
    s = topo.add_sentinel()
    topo.wait_discovered(replicas=[a, b], links_ok=False)

    def offsets():
        return {int(r['port']): int(r['slave-repl-offset']) for r in replicas_state(s)}
    wait_for(lambda: offsets()[a.port] > offsets()[b.port], what='offsets seen by the sentinel',
             retry_on=TRANSIENT_ERRORS)
    assert q(s, 'SENTINEL', 'FAILOVER', MASTER) == 'OK'
    new = topo.wait_failover(topo.addr(old), followers=[b])
    assert new is a, 'promoted %d (run id %s, offset %d), not %d (offset %d)' % (
        new.port, _run_id(new), offsets().get(new.port, -1), a.port, offsets().get(a.port, -1))
    assert new.client().get('late199') == 'y' * 100
    wait_for(lambda: b.client().get('late199') == 'y' * 100, what='lagging replica caught up',
             retry_on=TRANSIENT_ERRORS)


# --- start-up variants, hostnames, TILT ------------------------------------------

SENTINEL_KINDS = [pytest.param(k, id='sentinel_' + k) for k in ('basalt', 'redis')]


def test_invoked_as_basalt_sentinel(tmp_path):
    """A binary named basalt-sentinel runs in sentinel mode (port from its conf)."""
    if not servers.target_is_basalt():
        pytest.skip('Basalt-only: the basalt-sentinel program name')
    primary = ServerProcess(su.data_binary('basalt')).start()
    try:
        link = tmp_path / 'basalt-sentinel'
        os.symlink(servers.basalt_binary(), str(link))
        s = su.SentinelProcess(str(link), [su.Monitor(MASTER, '127.0.0.1', primary.port, 1)])
        s.command_line = lambda: [str(link), s.conf_path]  # no --sentinel
        s.start()
        try:
            assert q(s, 'ROLE') == ['sentinel', [MASTER]]
            assert q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER) == [
                '127.0.0.1', str(primary.port)]
            assert helpers.info(s, 'server')['redis_mode'] == 'sentinel'
        finally:
            s.stop()
            s.cleanup()
    finally:
        primary.stop()
        primary.cleanup()


@pytest.mark.parametrize('kind', SENTINEL_KINDS)
@pytest.mark.parametrize('announce', ['no', 'yes'])
def test_resolve_and_announce_hostnames(kind, announce):
    """With resolve-hostnames yes a primary may be named; announce-hostnames
    decides whether replies and the saved file show the name or its address."""
    primary = ServerProcess(su.data_binary()).start()
    s = su.launch_sentinel(
        su.sentinel_binary(kind), [su.Monitor(MASTER, 'localhost', primary.port, 1)],
        ['sentinel resolve-hostnames yes', 'sentinel announce-hostnames %s' % announce])
    try:
        shown = '127.0.0.1' if announce == 'no' else 'localhost'
        assert q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER) == [shown, str(primary.port)]
        assert as_dict(q(s, 'SENTINEL', 'MASTER', MASTER))['ip'] == shown
        wait_for(lambda: 'flags' in as_dict(q(s, 'SENTINEL', 'MASTER', MASTER)) and
                 'disconnected' not in as_dict(q(s, 'SENTINEL', 'MASTER', MASTER))['flags'],
                 what='the sentinel connected to the primary by name', retry_on=TRANSIENT_ERRORS)
        assert 'sentinel monitor %s %s %d 1' % (MASTER, shown, primary.port) in \
            s.config_lines('sentinel monitor')
    finally:
        s.stop()
        s.cleanup()
        primary.stop()
        primary.cleanup()


@pytest.mark.parametrize('kind', SENTINEL_KINDS)
def test_tilt_after_the_sentinel_was_stopped(kind):
    """A sentinel whose timer stalls (here: SIGSTOP for 3 s) enters TILT and
    announces it, instead of trusting its stale timings."""
    primary = ServerProcess(su.data_binary()).start()
    s = su.launch_sentinel(su.sentinel_binary(kind),
                           [su.Monitor(MASTER, '127.0.0.1', primary.port, 1)])
    try:
        with su.EventCollector(s) as events:
            time.sleep(0.5)
            assert s.info()['sentinel_tilt'] == '0'
            s.proc.send_signal(signal.SIGSTOP)
            time.sleep(3)
            s.proc.send_signal(signal.SIGCONT)
            events.wait('+tilt', timeout=10 * servers.TIME_SCALE)
            assert events.messages('+tilt') == ['#tilt mode entered']
        info = s.info()
        assert info['sentinel_tilt'] == '1'
        assert int(info['sentinel_tilt_since_seconds']) >= 0
        # In TILT nothing is judged down, even a primary that is gone.
        primary.stop()
        time.sleep(2)
        assert 's_down' not in as_dict(q(s, 'SENTINEL', 'MASTER', MASTER))['flags']
    finally:
        s.stop()
        s.cleanup()
        primary.cleanup()


@pytest.mark.parametrize('kind', SENTINEL_KINDS)
def test_auth_pass_reaches_password_protected_nodes(kind):
    """auth-pass: the sentinel authenticates to a primary and replica that
    require a password, reads their INFO (run ids), and can fail them over."""
    secret = 's3cret pass'
    primary = ServerProcess(su.data_binary(), ['--requirepass', secret],
                            password=secret).start()
    replica = ServerProcess(su.data_binary(), [
        '--requirepass', secret, '--masterauth', secret,
        '--replicaof', '127.0.0.1', str(primary.port)], password=secret).start()
    s = su.launch_sentinel(su.sentinel_binary(kind), [su.Monitor(
        MASTER, '127.0.0.1', primary.port, 1, extra=['auth-pass "%s"' % secret])])
    try:
        def discovered():
            m = master_state(s)
            reps = replicas_state(s)
            return (m['runid'] and 'disconnected' not in m['flags'] and len(reps) == 1 and
                    reps[0]['runid'] and reps[0]['master-link-status'] == 'ok')
        wait_for(discovered, what='the sentinel reading INFO through AUTH',
                 retry_on=TRANSIENT_ERRORS)
        assert master_state(s)['runid'] == primary.client().info('server')['run_id']
        assert q(s, 'SENTINEL', 'FAILOVER', MASTER) == 'OK'
        wait_for(lambda: q(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER) ==
                 ['127.0.0.1', str(replica.port)], what='failover to the replica',
                 retry_on=TRANSIENT_ERRORS)
        wait_for(lambda: replica.client().info('replication')['role'] == 'master',
                 what='the replica promoted', retry_on=TRANSIENT_ERRORS)
    finally:
        s.stop()
        s.cleanup()
        for srv in (replica, primary):
            srv.stop()
            srv.cleanup()


@pytest.mark.parametrize('kind', SENTINEL_KINDS)
def test_announce_ip_and_port(kind):
    """announce-ip / announce-port: what a sentinel puts in its hello
    messages, hence the address the other sentinels list for it."""
    primary = ServerProcess(su.data_binary()).start()
    announced_port = servers.free_port()
    mon = [su.Monitor(MASTER, '127.0.0.1', primary.port, 1)]
    a = su.launch_sentinel(su.sentinel_binary(kind), mon)
    b = su.launch_sentinel(su.sentinel_binary(kind), mon, [
        'sentinel announce-ip 127.0.0.1', 'sentinel announce-port %d' % announced_port])
    try:
        b_id = b.myid()

        def listed():
            return [(x['ip'], x['port']) for x in sentinels_state(a) if x['runid'] == b_id]
        assert wait_for(listed, what='sentinel b in a\'s list', retry_on=TRANSIENT_ERRORS) == [
            ('127.0.0.1', str(announced_port))]
        assert q(b, 'SENTINEL', 'CONFIG', 'GET', 'announce-port') == [
            'announce-port', str(announced_port)]
        # And a's own (default) announcement is its real port, as b lists it.
        a_id = a.myid()
        wait_for(lambda: [(x['ip'], x['port']) for x in sentinels_state(b)
                          if x['runid'] == a_id] == [('127.0.0.1', str(a.port))],
                 what='sentinel a in b\'s list', retry_on=TRANSIENT_ERRORS)
    finally:
        for srv in (b, a):
            srv.stop()
            srv.cleanup()
        primary.stop()
        primary.cleanup()
