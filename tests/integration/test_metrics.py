"""Basalt's metrics and health endpoint (metrics-port; docs/observability.md).

- Name parity: redis-server and Basalt are put in the same state (keys in two
  databases, commands and errors, a replica attached to each); Debian's
  prometheus-redis-exporter scrapes redis-server (primary and replica), Basalt
  serves /metrics itself; every exporter family (name, type, label names) is in
  Basalt's output, except EXCLUDED below, each with its reason.
- Values for a handful of metrics, against the exporter's for redis-server.
- Format: every sample belongs to the preceding # TYPE family, no series twice;
  `promtool check metrics` finds nothing in Basalt's output it does not find in
  the exporter's (its naming lints on the exporter's own names).
- /healthz; /readyz while LOADING and while a replica is in full sync, and after.
- Abuse: slowloris, a 1 MB header, garbage, more connections than the cap,
  while a PING/SET loop and scrapes keep succeeding.
"""

import http.client
import os
import random
import re
import socket
import subprocess
import threading
import time

import pytest
import redis

import repl_util
import sentinel_util as su
import servers
from helpers import info_text, missing_dependency, online_replicas, wait_for, wait_link_up, wait_synced

pytestmark = pytest.mark.basalt_only('the metrics endpoint is Basalt\'s own')

EXPORTER = '/usr/bin/prometheus-redis-exporter'
PROMTOOL = '/usr/bin/promtool'
T = servers.TIME_SCALE

# Exporter families Basalt does not publish, and why.
EXCLUDED = {
    'redis_target_scrape_request_errors_total':
        'counts the exporter\'s failed scrapes of its target; without an exporter in between '
        'there is no such scrape',
    'redis_last_key_groups_scrape_duration_milliseconds':
        'times the exporter\'s optional key-group scan (--check-key-groups), an exporter feature',
}
EXCLUDED_PREFIXES = {
    'redis_exporter_': 'the exporter\'s own build information and scrape timings',
    'go_': 'the Go runtime of the exporter process',
    'process_': 'CPU, memory and file descriptors of the exporter process, not of the server',
    'promhttp_': 'the exporter\'s HTTP handler statistics',
}


# --- HTTP and the exposition format --------------------------------------------------

def http_get(port, path, timeout=10 * T, method='GET'):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request(method, path)
        r = conn.getresponse()
        return r.status, r.read().decode()
    finally:
        conn.close()


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$')
LABEL_RE = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"\s*(?:,|$)')
TYPES = ('counter', 'gauge', 'summary', 'histogram', 'untyped')


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        assert m, 'bad label set {%s}' % text
        assert m.group(1) not in labels, 'label %s twice in {%s}' % (m.group(1), text)
        labels[m.group(1)] = m.group(2)
        pos = m.end()
    return labels


def parse_exposition(text):
    """Text format 0.0.4 -> {family: {'type', 'help', 'samples': [(name, labels, value)]}}.

    Asserts: every sample follows the # TYPE of its family (a summary's _sum and
    _count included), one TYPE and HELP per family, no series twice, values
    parse as floats, the text ends with a newline."""
    assert text.endswith('\n'), 'exposition does not end with a newline'
    families, series, current = {}, set(), None
    for line in text.split('\n')[:-1]:
        if line.startswith('# HELP '):
            name = line.split(' ', 3)[2]
            assert 'help' not in families.get(name, {}), 'HELP twice for ' + name
            families.setdefault(name, {'samples': []})['help'] = line
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            assert len(parts) == 4 and parts[3] in TYPES, line
            name = parts[2]
            fam = families.setdefault(name, {'samples': []})
            assert 'type' not in fam, 'TYPE twice for ' + name
            fam['type'], current = parts[3], name
            continue
        if line.startswith('#') or not line:
            continue
        m = SAMPLE_RE.match(line)
        assert m, 'bad sample line %r' % line
        name, labels = m.group(1), parse_labels(m.group(2) or '')
        float(m.group(3))
        assert current is not None, 'sample before any TYPE: %r' % line
        allowed = {current}
        if families[current]['type'] in ('summary', 'histogram'):
            allowed |= {current + '_sum', current + '_count', current + '_bucket'}
        assert name in allowed, 'sample %r outside its family (after TYPE %s)' % (line, current)
        key = (name, frozenset(labels.items()))
        assert key not in series, 'series twice: %r' % line
        series.add(key)
        families[current]['samples'].append((name, labels, float(m.group(3))))
    for name, fam in families.items():
        assert 'type' in fam, 'no TYPE for ' + name
    return families


def label_sets(fam):
    return {frozenset(labels) for _, labels, _ in fam['samples']}


def value(families, family, **labels):
    for name, ls, v in families[family]['samples']:
        if name == family and ls == {k: str(x) for k, x in labels.items()}:
            return v
    raise AssertionError('no %s%r in %r' % (family, labels, families[family]['samples']))


def excluded(name, basalt_info):
    if name in EXCLUDED:
        return EXCLUDED[name]
    for prefix, why in EXCLUDED_PREFIXES.items():
        if name.startswith(prefix):
            return why
    return None


def exporter_scrape(redis_port):
    """The exporter's /metrics for redis-server on redis_port (one scrape)."""
    if not os.access(EXPORTER, os.X_OK):
        missing_dependency('prometheus-redis-exporter is not installed (scripts/install-deps)')
    port = servers.free_port()
    proc = subprocess.Popen([EXPORTER, '--redis.addr=redis://127.0.0.1:%d' % redis_port,
                             '--web.listen-address=127.0.0.1:%d' % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def scrape():
            status, body = http_get(port, '/metrics', timeout=5 * T)
            return body if status == 200 and '\nredis_up 1\n' in body else None
        return wait_for(scrape, 20 * T, 'the exporter to scrape port %d' % redis_port,
                        retry_on=(OSError, http.client.HTTPException))
    finally:
        proc.terminate()
        proc.wait(10)


# --- servers ---------------------------------------------------------------------------

def start_basalt(make_server, *args, **kw):
    mport = servers.free_port()
    srv = make_server('--metrics-port', str(mport), *args, **kw)
    srv.metrics_port = mport
    return srv


def build_state(srv):
    """The same keys, commands and errors on either server."""
    c = srv.client()
    for i in range(20):
        c.set('k%d' % i, i)
    c.expire('k0', 1000)
    for _ in range(7):
        c.incrby('counter', 3)
    c.get('missing')
    c.get('k1')
    with pytest.raises(Exception):
        c.lpush('k1', 'x')  # WRONGTYPE
    with pytest.raises(Exception):
        c.execute_command('NOSUCHCOMMAND')  # ERR
    c1 = srv.client(db=1)
    for i in range(5):
        c1.set('d1:%d' % i, i)
    c.close()
    c1.close()


@pytest.fixture
def pair(make_server, oracle_bin):
    """(redis primary, redis replica, Basalt primary, Basalt replica), same state."""
    rp = make_server(binary=oracle_bin)
    rr = make_server('--replicaof', '127.0.0.1', str(rp.port), binary=oracle_bin)
    bp = start_basalt(make_server)
    br = start_basalt(make_server, '--replicaof', '127.0.0.1', str(bp.port))
    for p in (rp, bp):
        build_state(p)
    wait_link_up(rr, primary=rp)
    wait_link_up(br, primary=bp)
    wait_synced(rp, rr)
    wait_synced(bp, br)
    # The slaveN lines show the replica online once its first ACK arrived.
    for p in (rp, bp):
        wait_for(lambda: online_replicas(p) == 1, 10 * T, 'replica online')
    return rp, rr, bp, br


def basalt_metrics(srv):
    status, body = http_get(srv.metrics_port, '/metrics')
    assert status == 200, body
    return body


# --- parity, values, format ---------------------------------------------------------

def test_exporter_name_parity(pair):
    rp, rr, bp, br = pair
    basalt_info = info_text(bp, 'everything').decode()
    report = []
    for role, redis_srv, basalt_srv in (('primary', rp, bp), ('replica', rr, br)):
        want = parse_exposition(exporter_scrape(redis_srv.port))
        got = parse_exposition(basalt_metrics(basalt_srv))
        for name, fam in sorted(want.items()):
            why = excluded(name, basalt_info)
            if why:
                assert name not in got, name
                continue
            if name not in got:
                report.append('%s: %s missing' % (role, name))
                continue
            if got[name]['type'] != fam['type']:
                report.append('%s: %s is %s, exporter %s' % (role, name, got[name]['type'],
                                                              fam['type']))
            if label_sets(got[name]) != label_sets(fam):
                report.append('%s: %s labels %s, exporter %s' % (
                    role, name, sorted(map(sorted, label_sets(got[name]))),
                    sorted(map(sorted, label_sets(fam)))))
    assert not report, '\n'.join(report)


def test_values_match_the_state(pair):
    rp, rr, bp, br = pair
    want = parse_exposition(exporter_scrape(rp.port))
    got = parse_exposition(basalt_metrics(bp))
    for fam, labels in (('redis_db_keys', {'db': 'db0'}), ('redis_db_keys', {'db': 'db1'}),
                        ('redis_db_keys', {'db': 'db15'}),
                        ('redis_db_keys_expiring', {'db': 'db0'}),
                        ('redis_commands_total', {'cmd': 'incrby'}),
                        ('redis_errors_total', {'err': 'WRONGTYPE'}),
                        ('redis_connected_slaves', {}), ('redis_up', {}), ('redis_aof_enabled', {}),
                        ('redis_rdb_last_bgsave_status', {})):
        assert value(got, fam, **labels) == value(want, fam, **labels), (fam, labels)
    assert value(got, 'redis_db_keys', db='db0') == 21
    assert value(got, 'redis_db_keys', db='db1') == 5
    assert value(got, 'redis_commands_total', cmd='incrby') == 7
    assert value(got, 'redis_connected_slaves') == 1
    assert value(got, 'redis_keyspace_misses_total') >= 1
    assert value(got, 'redis_memory_used_bytes') > 0
    [(_, info, _)] = got['redis_instance_info']['samples']
    assert info['role'] == 'master' and info['tcp_port'] == str(bp.port), info
    [(_, slave, lag)] = got['redis_connected_slave_lag_seconds']['samples']
    assert slave == {'slave_ip': '127.0.0.1', 'slave_port': str(br.port),
                     'slave_state': 'online'}, slave
    # Basalt's own: per worker thread.
    workers = int(value(got, 'basalt_worker_threads'))
    assert workers >= 1
    assert len(got['basalt_worker_connections']['samples']) == workers
    assert sum(v for _, _, v in got['basalt_worker_commands_total']['samples']) >= 7
    assert {l['mode'] for _, l, _ in got['basalt_worker_cpu_seconds_total']['samples']} == {
        'user', 'system'}
    replica = parse_exposition(basalt_metrics(br))
    assert value(replica, 'redis_master_link_up', master_host='127.0.0.1',
                 master_port=bp.port) == 1
    assert value(replica, 'redis_db_keys', db='db1') == 5


def promtool_problems(text):
    r = subprocess.run([PROMTOOL, 'check', 'metrics'], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = r.stdout.decode()
    assert 'error while linting' not in out, out  # the text did not parse
    return {line.strip() for line in out.splitlines() if line.strip()}


def test_format_is_valid(pair):
    rp, rr, bp, br = pair
    body = basalt_metrics(bp)
    families = parse_exposition(body)
    assert len(families) > 100, sorted(families)
    if not os.access(PROMTOOL, os.X_OK):
        missing_dependency('promtool (Debian package prometheus) is not installed')
    exporter_lints = promtool_problems(exporter_scrape(rp.port))
    ours = promtool_problems(body) | promtool_problems(basalt_metrics(br))
    assert ours <= exporter_lints, sorted(ours - exporter_lints)


def test_sentinel_name_parity(make_server, oracle_bin):
    """A redis-sentinel and a Basalt sentinel watch the same redis-server primary
    (with a replica); the exporter scrapes the former, Basalt serves the latter."""
    primary = make_server(binary=oracle_bin)
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port), binary=oracle_bin)
    wait_link_up(replica, primary=primary)
    mport = servers.free_port()
    monitor = su.Monitor('mymaster', '127.0.0.1', primary.port, quorum=1, down_after=5000)
    sentinels = []
    try:
        theirs = su.launch_sentinel(oracle_bin, [monitor])
        sentinels.append(theirs)
        ours = su.launch_sentinel(servers.basalt_binary(), [monitor],
                                  options=['metrics-port %d' % mport])
        sentinels.append(ours)
        for s in sentinels:
            wait_for(lambda: len(su.sentinel_cmd(s, 'REPLICAS', 'mymaster')) == 1 and
                     len(su.sentinel_cmd(s, 'SENTINELS', 'mymaster')) == 1,
                     20 * T, 'sentinel %d to see the replica and the other sentinel' % s.port)
        want = parse_exposition(exporter_scrape(theirs.port))
        status, body = http_get(mport, '/metrics')
        assert status == 200, body
        got = parse_exposition(body)
        report = []
        for name, fam in sorted(want.items()):
            if excluded(name, ''):
                continue
            if name not in got:
                report.append('%s missing' % name)
            elif (got[name]['type'], label_sets(got[name])) != (fam['type'], label_sets(fam)):
                report.append('%s: %s %s, exporter %s %s' % (
                    name, got[name]['type'], label_sets(got[name]), fam['type'],
                    label_sets(fam)))
        assert not report, '\n'.join(report)
        for fam in ('redis_sentinel_master_ok_slaves', 'redis_sentinel_master_ok_sentinels',
                    'redis_sentinel_master_slaves', 'redis_sentinel_masters'):
            assert [v for _, _, v in got[fam]['samples']] == \
                [v for _, _, v in want[fam]['samples']], fam
        assert http_get(mport, '/readyz') == (200, 'ok\n')
        assert http_get(mport, '/healthz') == (200, 'ok\n')
    finally:
        for s in sentinels:
            s.stop()
            s.cleanup()


# --- probes ----------------------------------------------------------------------------

def test_healthz_and_routing(make_server):
    srv = start_basalt(make_server, threads=3)
    assert http_get(srv.metrics_port, '/healthz') == (200, 'ok\n')
    assert http_get(srv.metrics_port, '/readyz') == (200, 'ok\n')
    assert http_get(srv.metrics_port, '/nope')[0] == 404
    assert http_get(srv.metrics_port, '/metrics', method='POST')[0] == 405
    conn = http.client.HTTPConnection('127.0.0.1', srv.metrics_port, timeout=10)
    conn.request('HEAD', '/metrics')
    r = conn.getresponse()
    assert r.status == 200 and r.getheader('Content-Type').startswith('text/plain; version=0.0.4')
    assert r.read() == b''
    conn.close()
    c = srv.client()
    assert c.config_get('metrics-port') == {'metrics-port': str(srv.metrics_port)}
    assert c.config_get('metrics-bind') == {'metrics-bind': '127.0.0.1'}
    assert c.config_get('readyz-max-lag') == {'readyz-max-lag': '30'}
    with pytest.raises(Exception, match='immutable'):
        c.config_set('metrics-port', '1')


def test_healthz_fails_while_a_worker_is_stuck(make_server):
    """A script that runs 3 s holds its worker: /healthz says which one, then
    recovers; /metrics keeps answering meanwhile."""
    srv = start_basalt(make_server, threads=2)
    busy = ("local s = tonumber(redis.call('TIME')[1]) "
            "while tonumber(redis.call('TIME')[1]) < s + 3 do end return 1")
    done = []
    runner = threading.Thread(
        target=lambda: done.append(srv.client(socket_timeout=30 * T).eval(busy, 0)), daemon=True)
    runner.start()
    seen = []

    def stuck():
        seen.append(http_get(srv.metrics_port, '/healthz'))
        return seen[-1][0] == 503
    wait_for(stuck, 10 * T, '/healthz to fail', detail=lambda: seen[-3:])
    assert re.fullmatch(r'event loop of worker [01] did not respond within 1000 ms\n',
                        seen[-1][1]), seen[-1]
    assert http_get(srv.metrics_port, '/metrics')[0] == 200
    runner.join(30 * T)
    assert done == [1]
    assert http_get(srv.metrics_port, '/healthz') == (200, 'ok\n')


def poll_probe(port, until, timeout=60 * T):
    """Polls /readyz until `until(status, body)`; returns every (status, body) seen."""
    seen = []

    def probe():
        try:
            seen.append(http_get(port, '/readyz', timeout=5 * T))
        except (OSError, http.client.HTTPException) as e:
            seen.append((None, repr(e)))
            return False
        return until(*seen[-1])
    wait_for(probe, timeout, '/readyz', interval=0.05, detail=lambda: seen[-5:])
    return seen


def test_readyz_while_loading(make_server):
    srv = start_basalt(make_server, '--enable-debug-command', 'yes')
    c = srv.client()
    c.execute_command('DEBUG', 'POPULATE', '3000', 'key', '10')
    c.save()
    srv.stop()
    srv.extra_args += ['--key-load-delay', '1000']  # about 3 s of loading
    srv.start(wait=False)
    seen = poll_probe(srv.metrics_port, lambda s, b: s == 200)
    assert (503, 'loading\n') in seen, seen[:10]
    assert srv.client().dbsize() == 3000
    assert http_get(srv.metrics_port, '/healthz') == (200, 'ok\n')


def test_readyz_while_replica_in_full_sync(make_server):
    primary = start_basalt(make_server, '--enable-debug-command', 'yes',
                           '--repl-diskless-sync-delay', '0')
    c = primary.client()
    c.execute_command('DEBUG', 'POPULATE', '3000', 'key', '10')
    # 1 ms per key: loading the primary's snapshot takes about 3 s. REPLICAOF
    # after the start: the launcher waits for PING, which -LOADING fails.
    replica = start_basalt(make_server, '--key-load-delay', '1000')
    replica.client().replicaof('127.0.0.1', primary.port)
    seen = poll_probe(replica.metrics_port, lambda s, b: s == 200)
    reasons = {b for s, b in seen if s == 503}
    assert 'replica in full sync\n' in reasons, seen[:10]
    assert reasons <= {'replica in full sync\n', 'master_link_down\n'}, reasons
    assert replica.client().dbsize() == 3000
    # Lag beyond readyz-max-lag (seconds since the primary was last heard).
    replica.client().config_set('readyz-max-lag', 0)
    seen = poll_probe(replica.metrics_port, lambda s, b: s == 503, timeout=30 * T)
    assert re.fullmatch(r'replica lag \d+ s > readyz-max-lag 0 s\n', seen[-1][1]), seen[-1]
    replica.client().config_set('readyz-max-lag', 30)
    assert http_get(replica.metrics_port, '/readyz') == (200, 'ok\n')
    # The link goes down: not ready, with the reason.
    primary.stop()
    seen = poll_probe(replica.metrics_port, lambda s, b: s == 503, timeout=30 * T)
    assert seen[-1] == (503, 'master_link_down\n'), seen[-3:]


def test_readyz_replica_without_its_primary(make_server):
    srv = start_basalt(make_server, '--replicaof', '127.0.0.1', str(servers.free_port()))
    assert http_get(srv.metrics_port, '/readyz') == (503, 'master_link_down\n')
    assert http_get(srv.metrics_port, '/healthz') == (200, 'ok\n')


# --- abuse ---------------------------------------------------------------------------

# A PING/SET loop in its own process (not a thread of the test: the test's own
# threads would hold the GIL and make the loop look slow). It prints "ready",
# runs until a line arrives on its stdin, then prints "ops errors
# slowest_seconds first_error".
DATA_PATH_LOOP = r"""
import select, sys, time, redis
c = redis.Redis(port=int(sys.argv[1]), socket_timeout=float(sys.argv[2]))
c.ping()
print('ready', flush=True)
ops, errors, slowest, first = 0, 0, 0.0, ''
while not select.select([sys.stdin], [], [], 0)[0]:
    t0 = time.monotonic()
    try:
        assert c.ping() and c.set('loop', ops)
    except Exception as e:
        errors += 1
        first = first or repr(e)
    slowest = max(slowest, time.monotonic() - t0)
    ops += 1
print(ops, errors, slowest, first.replace(' ', '_') or '-')
"""


class DataPathLoop:
    def __init__(self, srv):
        self.proc = subprocess.Popen(
            ['/usr/bin/python3', '-c', DATA_PATH_LOOP, str(srv.port), str(5 * T)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline() == 'ready\n'

    def stop(self):
        """Stops the loop; returns (ops, errors, slowest seconds, first error)."""
        time.sleep(0.5)  # some more round trips after the abuse, as well
        out, _ = self.proc.communicate('stop\n', timeout=60)
        ops, errors, slowest, first = out.split()
        return int(ops), int(errors), float(slowest), first


def open_socket(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=10 * T)
    return s


def read_reply(s):
    data = b''
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def test_abuse_does_not_disturb_scrapes_or_the_data_path(make_server):
    srv = start_basalt(make_server, threads=2)
    port = srv.metrics_port
    loop = DataPathLoop(srv)
    try:
        # Slowloris: five clients sending a header a byte at a time, never ending it.
        loris = [open_socket(port) for _ in range(5)]
        for s in loris:
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ')
        stop_loris = threading.Event()

        def drip():
            while not stop_loris.is_set():
                for s in loris:
                    try:
                        s.send(b'a')
                    except OSError:
                        pass
                time.sleep(0.1)
        dripper = threading.Thread(target=drip, daemon=True)
        dripper.start()

        # A 1 MB header: 431 (or a close), never a hang.
        big = open_socket(port)
        sender = threading.Thread(target=lambda: _send_quietly(
            big, b'GET /metrics HTTP/1.1\r\nX-Big: ' + b'a' * (1 << 20) + b'\r\n\r\n'),
            daemon=True)
        sender.start()
        reply = read_reply(big)
        assert reply == b'' or reply.startswith(b'HTTP/1.1 431 '), reply[:100]
        big.close()

        # Garbage: 400 (or a close).
        rnd = random.Random(16)
        for _ in range(3):
            g = open_socket(port)
            _send_quietly(g, bytes(rnd.randrange(256) for _ in range(4096)))
            reply = read_reply(g)
            assert reply == b'' or reply.startswith(b'HTTP/1.1 400 '), reply[:100]
            g.close()

        # More idle connections than the cap (64): scrapes still get through.
        idle = [open_socket(port) for _ in range(80)]

        # Scrapes keep working meanwhile, each quickly.
        for _ in range(10):
            t0 = time.monotonic()
            status, body = http_get(port, '/metrics', timeout=5 * T)
            assert status == 200 and '\nredis_up 1\n' in body
            assert time.monotonic() - t0 < 2 * T
        assert http_get(port, '/healthz') == (200, 'ok\n')

        # The slowloris connections are closed: pushed out by newer connections
        # past the cap, or at the request deadline (5 s).
        t0 = time.monotonic()
        for s in loris:
            s.settimeout(15 * T)
            assert read_reply(s) in (b'',), 'slowloris connection answered'
        assert time.monotonic() - t0 < 10 * T
        stop_loris.set()
        dripper.join()
        for s in loris + idle:
            s.close()
    finally:
        ops, errors, slowest, first_error = loop.stop()
    assert errors == 0, (errors, first_error)
    assert ops > 100, ops
    assert slowest < 1.0 * T, slowest
    assert srv.client().ping()
    assert http_get(port, '/metrics')[0] == 200


def test_unfinished_request_is_closed_at_its_deadline(make_server):
    srv = start_basalt(make_server)
    s = open_socket(srv.metrics_port)
    t0 = time.monotonic()
    s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')  # never finished
    s.settimeout(20 * T)
    assert read_reply(s) == b''
    elapsed = time.monotonic() - t0
    assert 4.5 <= elapsed < 10 * T, elapsed
    s.close()
    assert http_get(srv.metrics_port, '/healthz') == (200, 'ok\n')


def _send_quietly(s, data):
    try:
        s.sendall(data)
    except OSError:
        pass  # The server closed first: fine, it answered or dropped us.


# --- Basalt's own: latency histograms, synchronous replication, role changes ----------

def histogram_series(families, family, cmd):
    """(buckets {le: count}, sum, count) of one command's histogram."""
    assert families[family]['type'] == 'histogram', families[family]['type']
    buckets, total, count = {}, None, None
    for name, labels, v in families[family]['samples']:
        if labels.get('cmd') != cmd:
            continue
        if name == family + '_bucket':
            buckets[labels['le']] = v
        elif name == family + '_sum':
            total = v
        elif name == family + '_count':
            count = v
    return buckets, total, count


def test_command_latency_histogram(make_server):
    srv = start_basalt(make_server)
    c = srv.client()
    fam = 'basalt_command_latency_seconds'
    before = parse_exposition(basalt_metrics(srv))
    assert not any(l.get('cmd') == 'hset' for _, l, _ in before.get(fam, {'samples': []})[
        'samples']), 'a command never called has no series'
    for i in range(37):
        c.hset('h', 'f%d' % i, i)
    got = parse_exposition(basalt_metrics(srv))
    buckets, total, count = histogram_series(got, fam, 'hset')
    assert count == 37, (count, buckets)
    assert buckets['+Inf'] == 37
    bounds = sorted((float(le), v) for le, v in buckets.items())
    assert len(bounds) == 22, bounds  # 1 us .. 2^20 us, +Inf
    assert bounds[0][0] == 1e-06 and bounds[-2][0] == 1.048576, bounds
    counts = [v for _, v in bounds]
    assert counts == sorted(counts), 'buckets are cumulative: %r' % bounds
    assert 0 < total < 37 * 1.0, total
    # Same samples as INFO latencystats and commandstats.
    assert value(got, 'redis_commands_total', cmd='hset') == 37


def test_sync_replication_and_role_change_counters(make_server):
    p = start_basalt(make_server, '--min-replicas-ack', '1', '--min-replicas-ack-timeout',
                     str(int(300 * T)))
    r = start_basalt(make_server, '--replicaof', '127.0.0.1', str(p.port))
    wait_link_up(r, primary=p)
    wait_for(lambda: online_replicas(p) == 1, 10 * T, 'replica online')
    c = p.client()

    def figures(srv):
        f = parse_exposition(basalt_metrics(srv))
        return (value(f, 'basalt_sync_replication_acked_writes_total'),
                value(f, 'basalt_sync_replication_timeouts_total'),
                value(f, 'basalt_replicas_write_refusals_total', reason='min-replicas-ack'),
                value(f, 'basalt_sync_replication_wait_seconds_total'),
                value(f, 'basalt_role_changes_total'))

    assert figures(p) == (0, 0, 0, 0, 0)
    for i in range(5):
        c.set('k%d' % i, i)  # each reply waits for the replica's acknowledgement
    acked, timeouts, refused, waited, changes = figures(p)
    assert (acked, timeouts, refused, changes) == (5, 0, 0, 0)
    # A replica that stops acknowledging: the held write times out.
    repl_util.pause(r)
    try:
        with pytest.raises(redis.ResponseError, match='NOREPLICAS'):
            c.set('late', 1)
    finally:
        repl_util.resume(r)
    acked, timeouts, refused, waited2, _ = figures(p)
    assert (acked, timeouts, refused) == (5, 1, 0)
    assert waited2 >= waited + 0.25 * T, (waited, waited2)
    # More replicas asked for than are online: refused before applying.
    c.config_set('min-replicas-ack', 2)
    with pytest.raises(redis.ResponseError, match='NOREPLICAS'):
        c.set('refused', 1)
    assert figures(p)[2] == 1
    # /readyz asks the same question without counting a refusal.
    assert http_get(p.metrics_port, '/readyz')[0] == 503
    assert figures(p)[2] == 1
    # A promotion counts as a role change on the promoted node only.
    c.config_set('min-replicas-ack', 0)
    r.client().replicaof('no', 'one')
    assert figures(r)[4] == 1
    assert figures(p)[4] == 0
    r.client().replicaof('127.0.0.1', str(p.port))
    assert figures(r)[4] == 2


def test_shard_lock_wait_counters(make_server):
    """A script holding its key's shard for ~1 s while a client on the other
    worker thread asks for the same key: the wait is counted and timed."""
    srv = start_basalt(make_server, threads=2)

    def figures():
        f = parse_exposition(basalt_metrics(srv))
        return (value(f, 'basalt_shard_lock_waits_total'),
                value(f, 'basalt_shard_lock_wait_seconds_total'))
    waits0, secs0 = figures()
    busy = ("local s = redis.call('TIME') local t0 = s[1] * 1000000 + s[2] "
            "while true do local n = redis.call('TIME') "
            "if n[1] * 1000000 + n[2] - t0 > 1000000 then break end end "
            "return redis.call('SET', KEYS[1], 'done')")
    holder = srv.client(socket_timeout=30 * T)
    other = srv.client(socket_timeout=30 * T)
    # One connection per worker: connections go to the least loaded one.
    assert holder.ping() and other.ping()
    runner = threading.Thread(target=lambda: holder.eval(busy, 1, 'hot'), daemon=True)
    runner.start()
    time.sleep(0.2 * T)
    assert other.get('hot') == 'done'  # it waited for the script
    runner.join(30 * T)
    waits, secs = figures()
    assert waits > waits0, (waits0, waits)
    # (A client command meeting a script's shard is put back and retried:
    # each attempt counts, the time between attempts does not.)
    assert secs > secs0, (secs0, secs)
