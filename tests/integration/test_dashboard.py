"""The shipped Prometheus alert rules and Grafana dashboard
(deploy/prometheus/basalt-alerts.yml, deploy/grafana/basalt-dashboard.json;
docs/observability.md, "Dashboard and alerts").

- `promtool check rules` passes on the rules.
- The dashboard is valid JSON, and every panel (rows aside: layout only) has
  at least one target expression.
- Every metric name a rule expression or a dashboard query uses is published
  by Basalt: scraped from a running primary with a replica attached (the
  union of both nodes' /metrics: a replica's link figures exist only on a
  replica), except PROMETHEUS_OWN and NOT_YET_EXPORTED below, each with its
  reason.
"""

import json
import os
import re
import subprocess

import pytest
import yaml

from helpers import missing_dependency, online_replicas, wait_for, wait_link_up
import servers
from test_consistency import run_check
from test_metrics import PROMTOOL, basalt_metrics, parse_exposition, start_basalt

pytestmark = pytest.mark.basalt_only('the metrics endpoint is Basalt\'s own')

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
RULES = os.path.join(ROOT, 'deploy', 'prometheus', 'basalt-alerts.yml')
DASHBOARD = os.path.join(ROOT, 'deploy', 'grafana', 'basalt-dashboard.json')
T = servers.TIME_SCALE

# Series Prometheus makes itself for every scrape target, not the target's.
PROMETHEUS_OWN = {
    'up': 'Prometheus\'s health of the scrape itself (1 when the target answered)',
}
# Names the rules use for figures another change publishes (none now).
NOT_YET_EXPORTED = {}

# PromQL (and Grafana's label_values) words that are not metric names.
PROMQL_WORDS = {
    'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
    'offset', 'bool', 'inf', 'nan', 'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar',
    'topk', 'bottomk', 'quantile', 'count_values', 'group',
}
# Label-name lists: by (...), without (...), on (...), ignoring (...),
# group_left (...), group_right (...).
LABEL_LIST_RE = re.compile(r'\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)')
IDENT_RE = re.compile(r'(?<![\w.:$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?')


def metric_names(expr):
    """The metric names in a PromQL expression: identifiers that are not
    functions (followed by '('), keywords, label names ({...}, by (...)),
    durations ([5m]), strings, numbers or Grafana variables ($instance)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    e = re.sub(r'\$\{[^}]*\}|\$\w+', ' ', e)
    e = re.sub(r'\{[^}]*\}', ' ', e)
    e = re.sub(r'\[[^\]]*\]', ' ', e)
    e = LABEL_LIST_RE.sub(' ', e)
    names = set()
    for m in IDENT_RE.finditer(e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in PROMQL_WORDS:
            continue
        names.add(word)
    return names


def test_metric_name_tokenizer():
    assert metric_names('up{job="basalt"} == 0 or redis_up == 0') == {'up', 'redis_up'}
    assert metric_names(
        'histogram_quantile(0.99, sum by (instance, le) (rate(x_bucket{instance=~"$instance"}'
        '[$__rate_interval]))) > 1e-3') == {'x_bucket'}
    assert metric_names('a - on (instance) group_right b > 100 * 1024') == {'a', 'b'}
    assert metric_names('rate(a_total[5m]) / (rate(b_total[5m]) + 1.5e6)') == {'a_total',
                                                                                'b_total'}


def rule_expressions():
    with open(RULES) as f:
        doc = yaml.safe_load(f)
    out = []
    for group in doc['groups']:
        for rule in group['rules']:
            out.append(('rule %s' % (rule.get('alert') or rule.get('record')), rule['expr']))
    return out


def panels(dashboard):
    for p in dashboard['panels']:
        yield p
        for inner in p.get('panels', []):  # a collapsed row holds its panels
            yield inner


def dashboard_expressions(dashboard):
    out = []
    for p in panels(dashboard):
        for t in p.get('targets', []):
            out.append(('panel %r' % p['title'], t['expr']))
    for a in dashboard.get('annotations', {}).get('list', []):
        if a.get('expr'):
            out.append(('annotation %r' % a['name'], a['expr']))
    for v in dashboard.get('templating', {}).get('list', []):
        q = v.get('query')
        q = q.get('query') if isinstance(q, dict) else q
        m = re.fullmatch(r'label_values\(\s*(.*?)\s*,\s*\w+\s*\)', q or '')
        if m:  # label_values(<series selector>, <label>): the selector's names
            out.append(('variable %r' % v['name'], m.group(1)))
    return out


def test_rules_pass_promtool():
    if not os.access(PROMTOOL, os.X_OK):
        missing_dependency('promtool (Debian package prometheus) is not installed')
    r = subprocess.run([PROMTOOL, 'check', 'rules', RULES], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    assert r.returncode == 0, r.stdout.decode()
    assert 'SUCCESS' in r.stdout.decode(), r.stdout.decode()


def test_dashboard_is_valid():
    with open(DASHBOARD) as f:
        d = json.load(f)
    assert d.get('schemaVersion', 0) >= 36, d.get('schemaVersion')
    names = [v['name'] for v in d['templating']['list']]
    assert 'datasource' in names and 'instance' in names, names
    count = 0
    for p in panels(d):
        if p['type'] == 'row':
            assert not p.get('targets'), 'row %r carries queries' % p['title']
            continue
        count += 1
        exprs = [t.get('expr', '').strip() for t in p.get('targets', [])]
        assert exprs and all(exprs), 'panel %r has no target expression' % p['title']
        assert p['datasource']['uid'] == '${datasource}', p['title']
    assert count >= 12, count
    titles = ' '.join(p['title'].lower() for p in panels(d))
    for needed in ('up', 'ops/s', 'hit rate', 'memory', 'evict', 'clients', 'p99',
                   'replica lag', 'offsets', 'link', 'role changes', 'persistence', 'worker'):
        assert needed in titles, needed


@pytest.fixture
def published_names(make_server):
    """Every sample and family name a Basalt primary with a replica attached
    publishes, both nodes together."""
    p = start_basalt(make_server, '--min-replicas-ack', '1')
    r = start_basalt(make_server, '--replicaof', '127.0.0.1', str(p.port))
    wait_link_up(r, primary=p)
    wait_for(lambda: online_replicas(p) == 1, 10 * T, 'replica online')
    c = p.client()
    c.set('k', 'v')  # a command in the latency histograms
    c.get('k')
    # The consistency figures appear once a check was recorded.
    rc, report = run_check(p)
    assert rc == 0, report
    names = set()
    for srv in (p, r):
        for family, fam in parse_exposition(basalt_metrics(srv)).items():
            names.add(family)
            names.update(name for name, _, _ in fam['samples'])
    return names


def test_every_queried_metric_is_published(published_names):
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    exprs = rule_expressions() + dashboard_expressions(dashboard)
    assert len(exprs) > 20, exprs
    missing = []
    used = set()
    for where, expr in exprs:
        for name in sorted(metric_names(expr)):
            used.add(name)
            if name in published_names or name in PROMETHEUS_OWN:
                continue
            if name in NOT_YET_EXPORTED:
                continue
            missing.append('%s: %s' % (where, name))
    assert not missing, '\n'.join(missing)
    # An exception that has landed is no longer one.
    landed = sorted(n for n in NOT_YET_EXPORTED if n in published_names)
    assert not landed, 'published now, drop from NOT_YET_EXPORTED: %s' % landed
    # The tokenizer found what the files are about.
    for name in ('redis_up', 'basalt_command_latency_seconds_bucket', 'basalt_role_changes_total',
                 'redis_master_link_up', 'basalt_worker_commands_total'):
        assert name in used, name
