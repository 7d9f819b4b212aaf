"""LATENCY (LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP), the
latency monitor's settings and INFO latencystats, against redis-server.

The replies whose values are each server's own (timestamps, durations,
histogram buckets) are compared by shape and checked for what both servers
must agree on: the event names, the per-second sampling, RESET's counts, the
`calls` of LATENCY HISTOGRAM, the fields and format of INFO latencystats.
Errors, HELP and the empty replies are compared byte for byte, in RESP2 and
RESP3. The servers allow DEBUG (DEBUG SLEEP makes a slow command).
"""

import re
import threading
import time

import pytest
import redis

from diff import skip_value, unordered_pairs
from helpers import info_sections, wait_for


@pytest.fixture
def pair(debug_basalt, debug_oracle):
    """The two servers with the latency state and settings of a fresh start."""
    servers = (debug_basalt, debug_oracle)
    for srv in servers:
        c = srv.client()
        c.config_set('latency-monitor-threshold', 0)
        c.config_set('latency-tracking', 'yes')
        c.config_set('latency-tracking-info-percentiles', '50 99 99.9')
        c.execute_command('LATENCY', 'RESET')
        c.config_resetstat()
        c.close()
    yield servers
    for srv in servers:
        c = srv.client()
        c.config_set('latency-monitor-threshold', 0)
        c.config_set('latency-tracking', 'yes')
        c.config_set('latency-tracking-info-percentiles', '50 99 99.9')
        c.execute_command('LATENCY', 'RESET')
        c.close()


def both(pair, fn):
    return [fn(srv) for srv in pair]


def test_latency_errors_help_and_empty_replies(pair, debug_differ):
    debug_differ([
        'LATENCY',
        'LATENCY HELP',
        'LATENCY help',
        'LATENCY HELP extra',
        'LATENCY NOSUCH',
        'LATENCY NOSUCH a b',
        'LATENCY LATEST extra',
        'LATENCY DOCTOR extra',
        'LATENCY HISTORY',
        'LATENCY HISTORY a b',
        'LATENCY GRAPH',
        'LATENCY GRAPH a b',
        'LATENCY LATEST',
        'LATENCY HISTORY command',
        'LATENCY HISTORY nosuch',
        'LATENCY GRAPH command',
        'LATENCY GRAPH nosuch',
        'LATENCY RESET',
        'LATENCY RESET command nosuch',
        'LATENCY HISTOGRAM nosuch',
        'LATENCY HISTOGRAM nosuch|sub config|nosuch',
        # Monitoring off and nothing recorded: the same kind of reply (a
        # verbatim string in RESP3, the text differs).
        skip_value('LATENCY DOCTOR'),
    ])


def test_latency_commands_in_command_info(pair, debug_differ):
    # (LATENCY itself lists its subcommands in Redis's hash order, which varies
    # per process: test_diff_command_info.py compares it unordered.)
    debug_differ([
        'COMMAND INFO latency|latest latency|history latency|reset latency|graph',
        'COMMAND INFO latency|doctor latency|histogram latency|help',
    ])


def test_latency_monitor_threshold_setting(pair, debug_differ):
    debug_differ([
        'CONFIG GET latency-monitor-threshold',
        'CONFIG SET latency-monitor-threshold 25',
        'CONFIG GET latency-monitor-threshold',
        'CONFIG SET latency-monitor-threshold -1',
        'CONFIG SET latency-monitor-threshold abc',
        'CONFIG SET latency-monitor-threshold 9223372036854775807',
        'CONFIG GET latency-monitor-threshold',
        'CONFIG SET latency-monitor-threshold 0',
        unordered_pairs('CONFIG GET latency-*'),
    ])


def test_latency_tracking_percentiles_setting(pair, debug_differ):
    debug_differ([
        'CONFIG GET latency-tracking-info-percentiles',
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 50.5 100 99.99999'],
        'CONFIG GET latency-tracking-info-percentiles',
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', ''],
        'CONFIG GET latency-tracking-info-percentiles',
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 abc'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '101'],
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '-1'],
        'CONFIG GET latency-tracking-info-percentiles',
        ['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9'],
        'CONFIG SET latency-tracking no',
        'CONFIG GET latency-tracking',
        'CONFIG SET latency-tracking yes',
    ])


def _slow_samples(pair, sleeps):
    """DEBUG SLEEP each duration (s) on both servers, same order."""
    for srv in pair:
        c = srv.client()
        for s in sleeps:
            c.execute_command('DEBUG', 'SLEEP', s)
        c.close()


def test_latest_and_history_after_debug_sleep(pair, debug_differ):
    both(pair, lambda s: s.client().config_set('latency-monitor-threshold', 20))
    start = int(time.time())
    _slow_samples(pair, ['0.03'])
    debug_differ([
        skip_value('LATENCY LATEST'),
        skip_value('LATENCY HISTORY command'),
        'LATENCY HISTORY fast-command',
    ])
    for srv in pair:
        c = srv.client()
        latest = c.execute_command('LATENCY', 'LATEST')
        assert [e[0] for e in latest] == ['command'], (srv, latest)
        name, ts, last, worst = latest[0]
        assert start <= ts <= time.time() + 1
        assert 30 <= last < 1000 and worst == last
        history = c.execute_command('LATENCY', 'HISTORY', 'command')
        assert len(history) == 1 and history[0][0] == ts and history[0][1] == last
        c.close()


def test_one_sample_per_second_keeps_the_worst(pair):
    for srv in pair:
        c = srv.client()
        c.config_set('latency-monitor-threshold', 20)
        # Two slow commands inside one second: one sample, the larger one.
        while time.time() % 1 > 0.5:
            time.sleep(0.05)
        c.execute_command('DEBUG', 'SLEEP', '0.06')
        c.execute_command('DEBUG', 'SLEEP', '0.03')
        history = c.execute_command('LATENCY', 'HISTORY', 'command')
        assert len(history) == 1, (srv, history)
        assert 60 <= history[0][1] < 1000
        # The next second gets a sample of its own; max stays the worst.
        time.sleep(1.0 - time.time() % 1 + 0.05)
        c.execute_command('DEBUG', 'SLEEP', '0.025')
        history = c.execute_command('LATENCY', 'HISTORY', 'command')
        assert len(history) == 2, (srv, history)
        assert history[1][0] > history[0][0] and 25 <= history[1][1] < 60
        latest = c.execute_command('LATENCY', 'LATEST')
        assert latest[0][2] == history[1][1] and latest[0][3] == history[0][1]
        c.close()


def test_threshold_gates_recording(pair):
    for srv in pair:
        c = srv.client()
        c.execute_command('DEBUG', 'SLEEP', '0.03')  # threshold 0: monitoring off
        assert c.execute_command('LATENCY', 'LATEST') == []
        c.config_set('latency-monitor-threshold', 500)
        c.execute_command('DEBUG', 'SLEEP', '0.03')  # under the threshold
        assert c.execute_command('LATENCY', 'LATEST') == []
        c.config_set('latency-monitor-threshold', 10)
        c.execute_command('DEBUG', 'SLEEP', '0.03')
        assert [e[0] for e in c.execute_command('LATENCY', 'LATEST')] == ['command']
        c.close()


def test_reset_counts(pair, debug_differ):
    both(pair, lambda s: s.client().config_set('latency-monitor-threshold', 20))
    _slow_samples(pair, ['0.03'])
    debug_differ([
        'LATENCY RESET nosuch',
        'LATENCY RESET command command nosuch',
        'LATENCY LATEST',
        'LATENCY HISTORY command',
        'LATENCY RESET',
    ])
    _slow_samples(pair, ['0.03'])
    debug_differ(['LATENCY RESET', 'LATENCY LATEST'])


def test_graph_structure(pair, debug_differ):
    both(pair, lambda s: s.client().config_set('latency-monitor-threshold', 20))
    _slow_samples(pair, ['0.03'])
    debug_differ([skip_value('LATENCY GRAPH command'), 'LATENCY GRAPH fast-command'])
    graphs = both(pair, lambda s: s.client().execute_command('LATENCY', 'GRAPH', 'command'))
    for g in graphs:
        lines = g.split('\n')
        assert re.fullmatch(r'command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)',
                            lines[0]), g
        assert lines[1] == '-' * 80
        # Four chart rows, a blank row, the age label ("0s" / "1s") written
        # downwards, one column for the one sample.
        assert len(lines[2]) == 1 and lines[5] in ('_', '#', 'o', '|')
        assert lines[6] == ' ' and lines[7].isdigit() and lines[8] == 's'
        assert lines[-1] == ''


def test_doctor_structure(pair, debug_differ):
    doctors = both(pair, lambda s: s.client().execute_command('LATENCY', 'DOCTOR'))
    for d in doctors:  # off, nothing recorded: both say how to turn it on
        assert 'latency-monitor-threshold' in d, d
    both(pair, lambda s: s.client().config_set('latency-monitor-threshold', 20))
    doctors = both(pair, lambda s: s.client().execute_command('LATENCY', 'DOCTOR'))
    assert 'command' not in doctors[0] and 'command' not in doctors[1]
    _slow_samples(pair, ['0.03'])
    debug_differ([skip_value('LATENCY DOCTOR')])
    doctors = both(pair, lambda s: s.client().execute_command('LATENCY', 'DOCTOR'))
    for d in doctors:
        # A numbered entry for the event, with its count, average and worst.
        assert re.search(r'^1\. command: 1 latency spike', d, re.M), d
        assert 'slowlog' in d.lower()


def _histogram(srv, *commands):
    c = srv.client()
    reply = c.execute_command('LATENCY', 'HISTOGRAM', *commands)
    c.close()
    if isinstance(reply, list):  # RESP2 flat pairs
        reply = dict(zip(reply[0::2], reply[1::2]))
    out = {}
    for name, body in reply.items():
        if isinstance(body, list):
            body = dict(zip(body[0::2], body[1::2]))
        hist = body['histogram_usec']
        if isinstance(hist, list):
            hist = dict(zip(hist[0::2], hist[1::2]))
        out[name] = (body['calls'], hist)
    return out


def test_histogram_shapes_and_calls(pair, debug_differ):
    for srv in pair:
        c = srv.client()
        for _ in range(5):
            c.ping()
        c.set('a', 'b')
        c.get('a')
        c.config_get('maxmemory')
        c.close()
    debug_differ([
        skip_value('LATENCY HISTOGRAM set'),
        skip_value('LATENCY HISTOGRAM get'),
        'LATENCY HISTOGRAM nosuch',
    ])
    for srv in pair:
        h = _histogram(srv, 'ping', 'SET', 'get', 'nosuch', 'config|get')
        assert list(h) == ['ping', 'set', 'get', 'config|get'], (srv, h)
        assert h['ping'][0] == 5 and h['set'][0] == 1 and h['get'][0] == 1
        for calls, hist in h.values():
            keys = list(hist)
            counts = [hist[k] for k in keys]
            assert keys == sorted(keys) and counts == sorted(counts) and counts[-1] == calls
            # Power-of-two steps (Redis's keys: 1, 2, 4, 8, 16, 33, 66, ...).
            # One step per power of two of nanoseconds, named by the step's
            # highest value in microseconds: 1, 2, 4, 8, 16, 33, 66, ..., 1056.
            for k in keys:
                assert any(abs(k - 1.032 * 2 ** e) <= 1 for e in range(21)), k
        # A container stands for its subcommands.
        subs = set(_histogram(srv, 'config'))
        assert 'config|get' in subs and all(n.startswith('config|') for n in subs), subs
    # Everything: the same commands on both (the LATENCY calls so far included).
    names = both(pair, lambda s: set(_histogram(s)))
    assert names[0] == names[1] and {'ping', 'set', 'get'} <= names[0]


def test_histogram_repeats_and_resetstat(pair):
    for srv in pair:
        raw = srv.raw()
        raw.call('PING')
        reply = raw.call('LATENCY', 'HISTOGRAM', 'ping', 'ping')
        assert reply[0::2] == [b'ping', b'ping']
        raw.call('CONFIG', 'RESETSTAT')
        assert raw.call('LATENCY', 'HISTOGRAM', 'ping') == []
        raw.close()


def test_info_latencystats(pair):
    fmt = r'p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}'
    fields = []
    for srv in pair:
        c = srv.client()
        c.ping()
        c.set('k', 'v')
        c.config_get('maxmemory')
        c.close()
        sections = info_sections(srv, 'latencystats')
        assert list(sections) == ['latencystats']
        stats = sections['latencystats']
        for k, v in stats.items():
            assert k.startswith('latency_percentiles_usec_') and re.fullmatch(fmt, v), (k, v)
        fields.append(set(stats))
    assert fields[0] == fields[1]
    assert {'latency_percentiles_usec_ping', 'latency_percentiles_usec_set',
            'latency_percentiles_usec_config|get'} <= fields[0]


def test_info_latencystats_sections_and_percentiles(pair):
    for srv in pair:
        c = srv.client()
        c.ping()
        assert 'latencystats' not in info_sections(srv)
        assert 'latencystats' not in info_sections(srv, 'default')
        for arg in ('all', 'everything'):
            assert 'latencystats' in info_sections(srv, arg), arg
        c.config_set('latency-tracking-info-percentiles', '0 50.5 100')
        stats = info_sections(srv, 'latencystats')['latencystats']
        assert re.fullmatch(r'p0=\d+\.\d{3},p50\.5=\d+\.\d{3},p100=\d+\.\d{3}',
                            stats['latency_percentiles_usec_ping'])
        p0, p50, p100 = [float(x.split('=')[1])
                         for x in stats['latency_percentiles_usec_ping'].split(',')]
        assert p0 <= p50 <= p100
        c.config_set('latency-tracking-info-percentiles', '')
        stats = info_sections(srv, 'latencystats')['latencystats']
        assert stats['latency_percentiles_usec_ping'] == ''
        # Tracking off: the section is empty and no call is counted.
        c.config_set('latency-tracking', 'no')
        assert info_sections(srv, 'latencystats')['latencystats'] == {}
        before = _histogram(srv, 'ping')['ping'][0]
        c.ping()
        assert _histogram(srv, 'ping')['ping'][0] == before
        c.config_set('latency-tracking', 'yes')
        c.close()


def test_samples_from_every_worker_are_recorded(make_server):
    """Commands run on both worker threads all reach the histograms and the
    latency monitor."""
    srv = make_server('--threads', '2', '--enable-debug-command', 'local')
    c = srv.client()
    assert c.info('server')['worker_threads'] == 2
    c.config_set('latency-monitor-threshold', 20)
    # New connections go to the worker with the fewest, so eight open
    # connections are spread over both workers.
    clients = [srv.client() for _ in range(8)]
    for k in clients:
        k.ping()
    pings = _histogram(srv, 'ping')['ping'][0]  # the start-up check's PING too
    errors = []

    def work(k, i):
        try:
            for _ in range(50):
                k.ping()
            k.execute_command('DEBUG', 'SLEEP', '0.03' if i % 2 else '0.06')
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k, i)) for i, k in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    h = _histogram(srv, 'ping', 'debug')
    assert h['ping'][0] == pings + 8 * 50 and h['debug'][0] == 8
    stats = info_sections(srv, 'latencystats')['latencystats']
    assert 'latency_percentiles_usec_debug' in stats
    latest = c.execute_command('LATENCY', 'LATEST')
    assert [e[0] for e in latest] == ['command']
    assert latest[0][3] >= 60
    history = c.execute_command('LATENCY', 'HISTORY', 'command')
    assert 1 <= len(history) <= 8 and max(s[1] for s in history) >= 60
    for k in clients:
        k.close()
    c.close()


def _event_names(srv):
    c = srv.client()
    names = {e[0] for e in c.execute_command('LATENCY', 'LATEST')}
    c.close()
    return names


def test_expire_cycle_and_eviction_events(pair):
    """The active expiry cycle and eviction report Redis's event names."""
    script = "for i=0,tonumber(ARGV[1])-1 do redis.call('pexpire','key:'..i,1) end"
    for srv in pair:
        c = srv.client()
        c.flushall()
        c.config_set('latency-monitor-threshold', 1)
        c.execute_command('DEBUG', 'POPULATE', 200000)
        c.eval(script, 0, 200000)
        wait_for(lambda: c.dbsize() == 0, what='keys expired', timeout=30)
        wait_for(lambda: 'expire-cycle' in _event_names(srv), what='expire-cycle', timeout=10)
        # Eviction without a time budget: one call evicts down to the limit.
        c.execute_command('DEBUG', 'POPULATE', 200000)
        c.config_set('maxmemory-eviction-tenacity', 100)
        c.config_set('maxmemory-policy', 'allkeys-random')
        used = c.info('memory')['used_memory']
        c.config_set('maxmemory', used * 3 // 4)
        try:
            try:
                c.set('trigger', 'x')
            except redis.exceptions.ResponseError as e:
                # Evicting may not bring the allocator's figure under the
                # limit at once; the eviction ran all the same.
                assert str(e).startswith('OOM'), e
            wait_for(lambda: 'eviction-cycle' in _event_names(srv), what='eviction-cycle',
                     timeout=10)
        finally:
            c.config_set('maxmemory', 0)
            c.config_set('maxmemory-policy', 'noeviction')
            c.config_set('maxmemory-eviction-tenacity', 10)
            c.flushall()
        c.close()
