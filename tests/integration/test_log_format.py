"""Logs for operators: `log-format logfmt` and `log-timestamp-format` (the
names and line layout of Valkey 8.1), and the events a log pipeline keys on
(event=role_change | failover | resync | persistence_error | write_refused |
sentinel) with their fields. The legacy format stays redis-server's line.
"""

import os
import re
import time

import pytest

from helpers import wait_for, wait_link_up

pytestmark = pytest.mark.basalt_only('log-format is newer than Redis 7.0 (Valkey 8.1)')

PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|[^ "]*)')
LEGACY = re.compile(r'^\d+:[MSXC] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.*#-] ')
ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$')


def parse_logfmt(line):
    """One logfmt line -> list of (key, value), values unquoted; None if the
    line is not logfmt from start to end."""
    pairs, pos = [], 0
    while pos < len(line):
        m = PAIR.match(line, pos)
        if m is None:
            return None
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\(.)', lambda e: {'n': '\n', 'r': '\r', 't': '\t'}.get(
                e.group(1), e.group(1)), v[1:-1])
        pairs.append((m.group(1), v))
        pos = m.end()
        if pos < len(line):
            if line[pos] != ' ':
                return None
            pos += 1
    return pairs


def records(srv):
    """Every logfmt line of the server's log as a dict (the log must hold
    nothing else)."""
    out = []
    for line in srv.log_text().splitlines():
        pairs = parse_logfmt(line)
        assert pairs is not None, 'not a logfmt line: %r' % line
        assert [k for k, _ in pairs[:5]] == ['pid', 'role', 'timestamp', 'level', 'message'], line
        out.append(dict(pairs))
    return out


def events(srv, name, **match):
    return [r for r in records(srv) if r.get('event') == name
            and all(r.get(k) == v for k, v in match.items())]


def wait_event(srv, name, **match):
    wait_for(lambda: events(srv, name, **match),
             what='a log line event=%s %s' % (name, match))
    return events(srv, name, **match)[-1]


LOGFMT = ('--log-format', 'logfmt', '--log-timestamp-format', 'iso8601')


def test_logfmt_lines_and_timestamp_formats(make_server):
    # (always-show-logo: the logo is left out in logfmt.)
    srv = make_server(*LOGFMT, '--always-show-logo', 'yes')
    # (PING may answer before main logs that it is ready.)
    wait_for(lambda: any(r['message'] == 'Ready to accept connections' for r in records(srv)),
             what='the ready line')
    recs = records(srv)
    assert recs and all(r['pid'] == str(srv.proc.pid) for r in recs)
    assert all(r['role'] == 'master' for r in recs)
    assert all(ISO.match(r['timestamp']) for r in recs), recs[0]
    assert {r['level'] for r in recs} <= {'debug', 'verbose', 'notice', 'warning'}
    c = srv.client()
    assert c.config_get('log-format') == {'log-format': 'logfmt'}
    c.config_set('log-timestamp-format', 'milliseconds')
    c.config_set('loglevel', 'verbose')
    before_ms = int(time.time() * 1000)
    c.execute_command('BGSAVE')
    wait_for(lambda: any('Background saving terminated' in r['message']
                         for r in records(srv)), what='the BGSAVE to end')
    rec = [r for r in records(srv) if 'Background saving terminated' in r['message']][-1]
    assert before_ms - 1000 <= int(rec['timestamp']) <= int(time.time() * 1000) + 1000
    # Back to redis-server's line: the next lines are legacy ones.
    c.config_set('log-format', 'legacy')
    c.config_set('log-timestamp-format', 'legacy')
    c.execute_command('BGSAVE')
    wait_for(lambda: LEGACY.match(srv.log_text().splitlines()[-1] or '')
             and 'Background saving terminated' in srv.log_text().splitlines()[-1],
             what='a legacy line for the second BGSAVE')
    with pytest.raises(Exception):
        c.config_set('log-format', 'json')


def test_role_change_and_resync_events(make_server):
    primary = make_server(*LOGFMT)
    replica = make_server(*LOGFMT, '--replicaof', '127.0.0.1', str(primary.port))
    wait_link_up(replica, primary=primary)
    rc = wait_event(replica, 'role_change', to='replica')
    assert (rc['from'], rc['cause'], rc['primary']) == \
        ('master', 'config', '127.0.0.1:%d' % primary.port)
    full = wait_event(replica, 'resync', side='replica', kind='full')
    assert full['primary'] == '127.0.0.1:%d' % primary.port and len(full['replid']) == 40
    full = wait_event(primary, 'resync', side='primary', kind='full')
    assert full['reason'] == 'the replica has no history', full
    assert full['replica'] == '127.0.0.1:%d' % replica.port
    # A dropped link continues partially, and both sides say so.
    primary.client().set('k', 'v')
    assert replica.client().execute_command('CLIENT', 'KILL', 'TYPE', 'master') == 1
    wait_event(replica, 'resync', side='replica', kind='partial')
    part = wait_event(primary, 'resync', side='primary', kind='partial')
    assert part['replica'] == '127.0.0.1:%d' % replica.port and int(part['offset']) > 0
    # Promotion.
    replica.client().execute_command('REPLICAOF', 'NO', 'ONE')
    promo = wait_event(replica, 'role_change', to='master')
    assert promo['from'] == 'replica' and len(promo['replid']) == 40
    # The old primary follows it: its id is unknown there, so a full sync
    # with the reason in the primary's (now the replica's) log.
    primary.client().execute_command('REPLICAOF', '127.0.0.1', str(replica.port))
    wait_event(primary, 'role_change', to='replica', cause='replicaof')
    wait_link_up(primary, primary=replica)
    last = events(replica, 'resync', side='primary')[-1]
    assert last['replica'] == '127.0.0.1:%d' % primary.port
    assert last['kind'] == 'partial' or last['reason'], last


def test_failover_events(make_server):
    primary = make_server(*LOGFMT)
    replica = make_server(*LOGFMT, '--replicaof', '127.0.0.1', str(primary.port))
    wait_link_up(replica, primary=primary)
    assert primary.client().execute_command('FAILOVER') == 'OK'
    wait_event(primary, 'failover', step='complete')
    steps = [r['step'] for r in events(primary, 'failover')]
    assert steps == ['requested', 'handover', 'complete'], steps
    assert events(primary, 'failover')[1]['target'] == '127.0.0.1:%d' % replica.port
    wait_event(replica, 'role_change', to='master', cause='failover')
    wait_event(primary, 'role_change', to='replica', cause='failover')


def test_persistence_error_and_refused_write_events(make_server):
    srv = make_server(*LOGFMT, '--dbfilename', 'blocked.rdb')
    c = srv.client()
    # dbfilename names a directory: the rename at the end of the save fails
    # (even for root).
    os.mkdir(os.path.join(srv.dir, 'blocked.rdb'))
    c.execute_command('BGSAVE')
    err = wait_event(srv, 'persistence_error', kind='bgsave')
    assert err['level'] == 'warning' and err['error'], err
    # Refused writes: one line per reason at most every 10 s, with a count.
    c.config_set('stop-writes-on-bgsave-error', 'no')
    c.config_set('min-replicas-to-write', 1)
    for _ in range(3):
        with pytest.raises(Exception, match='NOREPLICAS'):
            c.set('k', 'v')
    ref = wait_event(srv, 'write_refused', reason='NOREPLICAS')
    assert (ref['count'], ref['command']) == ('1', 'set'), ref
    assert len(events(srv, 'write_refused')) == 1


def test_legacy_format_is_unchanged(make_server):
    srv = make_server()
    wait_for(lambda: 'Ready to accept connections' in srv.log_text(), what='the ready line')
    lines = [l for l in srv.log_text().splitlines() if LEGACY.match(l)]
    assert any(l.endswith('Ready to accept connections') for l in lines), lines
    assert not any('event=' in l for l in lines)
