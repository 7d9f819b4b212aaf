"""The Kubernetes manifests (deploy/kubernetes) and the container entrypoint
(deploy/docker/entrypoint.sh) that renders the pods' config files.

1. `kubectl kustomize` renders the base and every overlay. Errors fail; so does
   any warning other than kustomize 5's deprecation of `bases:` and
   `patchesStrategicMerge:`, which the manifests keep so that kubectl 1.20's
   kustomize 2 reads them too (docs/operations.md).
2. The rendered objects are checked for structure: kinds known, names valid,
   selectors matching the pod labels, every container with requests and a
   memory limit and the restricted security context, PDBs with
   maxUnavailable 1, probes on ports the containers declare, StatefulSets
   pointing at headless Services, every ConfigMap, Secret and PVC a pod uses
   rendered too (or named in the pod's basalt.io/requires-secrets
   annotation: provided by the operator), Services and NetworkPolicies on
   declared ports.
3. The configs really run. The entrypoint renders the data node's and the
   sentinel's files from the rendered ConfigMaps, with the environment the
   StatefulSets give the pods (the downward API faked: pod name, namespace,
   memory limit, CPU request); only ports, bind address, directory and the
   names of peers are rewritten to local ones. The server under test
   ($BASALT_SERVER) runs them, and every httpGet probe of the StatefulSets
   must answer 200 on its port (readyz of a primary and of a sentinel that
   reaches it included); pod 1, started from its own rendered file, must
   become a replica of the primary the sentinel names (primary discovery)
   and ready. The overlays' configs must be accepted as well: sync and
   production (a lone primary under min-replicas-ack is not ready), and tls
   as in the pods, TLS only, the sentinel watching the primary over TLS
   and the data node's primary discovery asking it over TLS.
   The entrypoint keeps the role across restarts as documented.

KUBECTL_COMPAT=/path/to/kubectl renders everything with a second kubectl too
(e.g. Debian's kubernetes-client 1.20, extracted with `apt-get download
kubernetes-client; dpkg-deb -x ...`), which must produce the same objects.
"""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request

import pytest

from helpers import missing_dependency, wait_for, wait_link_up
from kube_render import (ENTRYPOINT, KUSTOMIZE_ROOT, NAMESPACE,
                         find as _find,
                         kubectl as _kubectl, one as _one, pod_env as _pod_env,
                         port_number as _port_number,
                         quantity as _quantity, render as _render,
                         statefulset as _statefulset, templates as _templates)
from servers import free_port, start_server

OVERLAYS = ['base', 'overlays/sync', 'overlays/tls', 'overlays/production',
            'overlays/backup', 'overlays/monitoring']
# Add-ons render only their own objects; they are checked together with the base.
ADDONS = {'overlays/backup', 'overlays/monitoring'}
KNOWN_KINDS = {
    ('v1', 'ConfigMap'), ('v1', 'Service'), ('v1', 'PersistentVolumeClaim'),
    ('v1', 'Namespace'), ('apps/v1', 'StatefulSet'), ('policy/v1', 'PodDisruptionBudget'),
    ('networking.k8s.io/v1', 'NetworkPolicy'), ('batch/v1', 'CronJob'),
    ('monitoring.coreos.com/v1', 'ServiceMonitor'),
}
DNS1123 = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')


# --- rendering ---------------------------------------------------------------------

@pytest.fixture(scope='module')
def rendered():
    kubectl = _kubectl()
    return {o: _render(kubectl, o) for o in OVERLAYS}


def _with_base(rendered, overlay):
    objs = list(rendered[overlay])
    if overlay in ADDONS:
        objs += rendered['base']
    return objs


# --- 1. rendering --------------------------------------------------------------------

def test_every_kustomization_renders(rendered):
    for overlay, objs in rendered.items():
        assert objs, '%s rendered nothing' % overlay
    kinds = {o['kind'] for o in rendered['base']}
    assert {'StatefulSet', 'Service', 'ConfigMap', 'PodDisruptionBudget',
            'NetworkPolicy'} <= kinds
    assert _find(rendered['overlays/backup'], 'CronJob')
    assert _find(rendered['overlays/monitoring'], 'ServiceMonitor')
    # Nothing else lives under deploy/kubernetes that the test would not render.
    dirs = sorted(os.path.relpath(d, KUSTOMIZE_ROOT) for d, _, files in os.walk(KUSTOMIZE_ROOT)
                  if 'kustomization.yaml' in files)
    assert dirs == sorted(OVERLAYS)


def _normalized(objs):
    """Objects as comparable JSON: ConfigMap hash suffixes (their algorithm
    differs between kustomize versions) and empty label/annotation maps
    (kustomize 2 adds them) removed."""
    def scrub(v):
        if isinstance(v, dict):
            return {k: scrub(x) for k, x in v.items() if not (k in ('labels', 'annotations')
                                                               and x == {})}
        if isinstance(v, list):
            return [scrub(x) for x in v]
        if isinstance(v, str):
            return re.sub(r'^(basalt(-sentinel)?-config)-[a-z0-9]{10}$', r'\1', v)
        return v
    return sorted(json.dumps(scrub(o), sort_keys=True) for o in objs)


def test_compat_kubectl_renders_the_same(rendered):
    compat = os.environ.get('KUBECTL_COMPAT')
    if not compat:
        pytest.skip('KUBECTL_COMPAT not set (a second kubectl, e.g. 1.20, to compare with)')
    for overlay in OVERLAYS:
        other = _render(compat, overlay)
        assert _normalized(other) == _normalized(rendered[overlay]), overlay


# --- 2. structure --------------------------------------------------------------------

def _pod_template(obj):
    if obj['kind'] == 'StatefulSet':
        return obj['spec']['template']
    if obj['kind'] == 'CronJob':
        return obj['spec']['jobTemplate']['spec']['template']
    return None


def _workloads(objs):
    return [o for o in objs if _pod_template(o) is not None]


def _matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _probes(container):
    return {k: container[k] for k in ('startupProbe', 'livenessProbe', 'readinessProbe')
            if k in container}


def test_objects_well_formed(rendered):
    for overlay, objs in rendered.items():
        seen = set()
        for o in objs:
            key = (o.get('apiVersion'), o.get('kind'))
            assert key in KNOWN_KINDS, '%s: unknown kind %s' % (overlay, key)
            name = o.get('metadata', {}).get('name')
            assert name and DNS1123.match(name) and len(name) <= 63, (overlay, name)
            ident = (o['kind'], o['metadata'].get('namespace'), name)
            assert ident not in seen, '%s: %s twice' % (overlay, ident)
            seen.add(ident)
            assert o['metadata'].get('labels', {}).get('app.kubernetes.io/name') == 'basalt' or \
                o['kind'] in ('ConfigMap', 'Namespace'), '%s: %s without labels' % (overlay, ident)
        if overlay == 'overlays/production':
            for o in objs:
                if o['kind'] != 'Namespace':
                    assert o['metadata'].get('namespace') == 'basalt', o['metadata']


def test_workloads(rendered):
    for overlay in OVERLAYS:
        objs = _with_base(rendered, overlay)
        for w in _workloads(rendered[overlay]):
            where = '%s %s/%s' % (overlay, w['kind'], w['metadata']['name'])
            tpl = _pod_template(w)
            labels = tpl['metadata']['labels']
            spec = tpl['spec']
            if w['kind'] == 'StatefulSet':
                assert w['spec']['selector']['matchLabels'].items() <= labels.items(), where
                _check_statefulset(objs, w, where)
            assert spec.get('automountServiceAccountToken') is False, where
            assert spec.get('enableServiceLinks') is False, where
            psc = spec['securityContext']
            assert psc.get('runAsNonRoot') is True and psc.get('runAsUser') == 10001, where
            assert psc.get('fsGroup') == 10001, where
            assert psc.get('seccompProfile', {}).get('type') == 'RuntimeDefault', where
            volumes = {v['name']: v for v in spec.get('volumes', [])}
            claim_templates = {t['metadata']['name'] for t in w['spec'].get('volumeClaimTemplates', [])}
            for c in spec['containers']:
                cw = '%s container %s' % (where, c['name'])
                assert c['image'].split('/')[-1].startswith('basalt:'), cw
                res = c.get('resources', {})
                assert {'cpu', 'memory'} <= set(res.get('requests', {})), cw
                assert 'memory' in res.get('limits', {}), cw
                sc = c['securityContext']
                assert sc.get('allowPrivilegeEscalation') is False, cw
                assert sc.get('readOnlyRootFilesystem') is True, cw
                assert 'ALL' in sc.get('capabilities', {}).get('drop', []), cw
                assert sc.get('runAsNonRoot') is True, cw
                assert sc.get('seccompProfile', {}).get('type') == 'RuntimeDefault', cw
                mounts = {m['mountPath']: m['name'] for m in c.get('volumeMounts', [])}
                # A read-only root needs a writable /tmp.
                assert '/tmp' in mounts and 'emptyDir' in volumes.get(mounts['/tmp'], {}), cw
                for m in c.get('volumeMounts', []):
                    assert m['name'] in volumes or m['name'] in claim_templates, \
                        '%s mounts undeclared volume %s' % (cw, m['name'])
                for probe in _probes(c).values():
                    action = probe.get('httpGet') or probe.get('tcpSocket')
                    if action:
                        _port_number(tpl, action['port'])
                for e in c.get('env', []):
                    ref = e.get('valueFrom', {})
                    if 'configMapKeyRef' in ref:
                        _check_ref(objs, tpl, 'ConfigMap', ref['configMapKeyRef'], cw)
                    if 'secretKeyRef' in ref:
                        _check_ref(objs, tpl, 'Secret', ref['secretKeyRef'], cw)
            for v in volumes.values():
                if 'configMap' in v:
                    _check_ref(objs, tpl, 'ConfigMap', v['configMap'], where)
                if 'secret' in v:
                    _check_ref(objs, tpl, 'Secret', {'name': v['secret']['secretName'],
                                                     'optional': v['secret'].get('optional')},
                               where)
                if 'persistentVolumeClaim' in v:
                    claim = v['persistentVolumeClaim']['claimName']
                    assert _find(objs, 'PersistentVolumeClaim', claim), \
                        '%s uses PVC %s, which is not rendered' % (where, claim)
            ann = tpl['metadata'].get('annotations', {})
            if ann.get('prometheus.io/scrape') == 'true':
                assert int(ann['prometheus.io/port']) == _port_number(tpl, 'metrics'), where


def _check_ref(objs, tpl, kind, ref, where):
    if ref.get('optional'):
        return
    if _find(objs, kind, ref['name']):
        return
    provided = tpl['metadata'].get('annotations', {}).get('basalt.io/requires-%ss' % kind.lower(),
                                                           '')
    assert ref['name'] in provided.split(','), (
        '%s uses %s %s, which is neither rendered, optional nor listed in basalt.io/requires-%ss'
        % (where, kind, ref['name'], kind.lower()))


def _check_statefulset(objs, sts, where):
    spec = sts['spec']
    tpl = spec['template']
    labels = tpl['metadata']['labels']
    svc = _one(objs, 'Service', spec['serviceName'])
    assert svc['spec'].get('clusterIP') == 'None', '%s: serviceName is not headless' % where
    assert svc['spec'].get('publishNotReadyAddresses') is True, where
    assert _matches(svc['spec']['selector'], labels), where
    assert spec.get('podManagementPolicy') == 'Parallel', where
    assert spec.get('volumeClaimTemplates'), where
    assert spec['replicas'] == 3, where
    pspec = tpl['spec']
    terms = pspec['affinity']['podAntiAffinity']['preferredDuringSchedulingIgnoredDuringExecution']
    assert any(t['podAffinityTerm']['topologyKey'] == 'kubernetes.io/hostname' and
               _matches(t['podAffinityTerm']['labelSelector']['matchLabels'], labels)
               for t in terms), where
    assert any(t['topologyKey'] == 'topology.kubernetes.io/zone' and
               t['whenUnsatisfiable'] == 'ScheduleAnyway' and
               _matches(t['labelSelector']['matchLabels'], labels)
               for t in pspec['topologySpreadConstraints']), where
    for c in pspec['containers']:
        probes = _probes(c)
        assert set(probes) == {'startupProbe', 'livenessProbe', 'readinessProbe'}, where
        for p in probes.values():
            assert 'httpGet' in p, where
        if labels.get('app.kubernetes.io/component') == 'data':
            s = probes['startupProbe']
            assert s['failureThreshold'] * s['periodSeconds'] >= 3600, \
                '%s: startupProbe allows less than an hour for a long load' % where
            assert probes['livenessProbe']['httpGet']['path'] == '/healthz', where
            assert probes['readinessProbe']['httpGet']['path'] == '/readyz', where
            env = {e['name']: e for e in c['env']}
            mem = env['BASALT_MEMORY_LIMIT_BYTES']['valueFrom']['resourceFieldRef']
            assert mem['resource'] == 'limits.memory' and mem['containerName'] == c['name'], where


def test_services_pdbs_policies(rendered):
    for overlay in OVERLAYS:
        objs = _with_base(rendered, overlay)
        workloads = _workloads(objs)

        def selected(selector):
            return [w for w in workloads if _matches(selector, _pod_template(w)['metadata']['labels'])]

        for svc in _find(rendered[overlay], 'Service'):
            where = '%s Service %s' % (overlay, svc['metadata']['name'])
            pods = selected(svc['spec']['selector'])
            assert pods, '%s selects no pods' % where
            for p in svc['spec']['ports']:
                for w in pods:
                    _port_number(_pod_template(w), p.get('targetPort', p['port']))
        for pdb in _find(rendered[overlay], 'PodDisruptionBudget'):
            where = '%s PDB %s' % (overlay, pdb['metadata']['name'])
            assert pdb['spec'].get('maxUnavailable') == 1, where
            assert 'minAvailable' not in pdb['spec'], where
            assert len(selected(pdb['spec']['selector']['matchLabels'])) == 1, where
        for np in _find(rendered[overlay], 'NetworkPolicy'):
            where = '%s NetworkPolicy %s' % (overlay, np['metadata']['name'])
            pods = selected(np['spec']['podSelector']['matchLabels'])
            assert len(pods) == 1, where
            tpl = _pod_template(pods[0])
            for rule in np['spec']['ingress']:
                assert rule['from'], where
                for p in rule['ports']:
                    _port_number(tpl, p['port'])
        if overlay == 'base':
            sts = {w['metadata']['name'] for w in _find(objs, 'StatefulSet')}
            pdbs = [p['spec']['selector']['matchLabels'] for p in _find(objs, 'PodDisruptionBudget')]
            assert sts == {'basalt', 'basalt-sentinel'}
            assert len(pdbs) == 2
            assert len(_find(objs, 'NetworkPolicy')) == 2
        for sm in _find(rendered[overlay], 'ServiceMonitor'):
            targets = [s for s in _find(objs, 'Service')
                       if _matches(sm['spec']['selector']['matchLabels'], s['metadata']['labels'])]
            assert {s['metadata']['name'] for s in targets} == {'basalt-headless',
                                                                'basalt-sentinel-headless'}
            for ep in sm['spec']['endpoints']:
                for s in targets:
                    assert ep['port'] in [p['name'] for p in s['spec']['ports']]
            assert all(s['metadata']['labels'].get(sm['spec']['jobLabel']) == 'basalt'
                       for s in targets), 'the alert rules expect job="basalt"'


def test_backup_cronjob(rendered):
    cj = _one(rendered['overlays/backup'], 'CronJob', 'basalt-backup')
    tpl = _pod_template(cj)
    assert cj['spec']['concurrencyPolicy'] == 'Forbid'
    # The NetworkPolicy admits it to the data nodes' 6379.
    assert tpl['metadata']['labels'].get('basalt.io/client') == 'true'
    c = tpl['spec']['containers'][0]
    assert c['args'] == ['basalt-backup']
    env = {e['name']: e.get('value') for e in c['env']}
    assert env['BASALT_BACKUP_HOST'] == 'basalt'  # the client Service
    _one(rendered['base'], 'Service', 'basalt')
    assert _one(rendered['overlays/production'], 'CronJob', 'basalt-backup')


# --- 3. the configs run --------------------------------------------------------------

def _entrypoint(mode, objs, sts_name, ordinal, workdir, **extra_env):
    """Runs the entrypoint's render-<mode> for pod <sts_name>-<ordinal> into
    workdir/data-<ordinal>; returns (path, text)."""
    sts, container = _statefulset(objs, sts_name)
    pod = '%s-%d' % (sts_name, ordinal)
    data_dir = os.path.join(workdir, 'data-%s' % pod)
    os.makedirs(data_dir, exist_ok=True)
    env = {'PATH': os.environ['PATH']}
    env.update(_pod_env(container, pod))
    env.update(BASALT_TEMPLATE_DIR=_templates(objs, sts, os.path.join(workdir, 'tpl-' + sts_name)),
               BASALT_DATA_DIR=data_dir)
    env.update(extra_env)
    p = subprocess.run(['/bin/sh', ENTRYPOINT, 'render-' + mode], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert p.returncode == 0, p.stderr.decode()
    assert not p.stderr.strip() or b'keeping' in p.stderr, p.stderr.decode()
    path = p.stdout.decode().strip()
    assert path == os.path.join(data_dir, mode == 'server' and 'basalt.conf' or 'sentinel.conf')
    with open(path) as f:
        return path, f.read()


def _directives(text):
    """The config's lines as [(directive, rest)], comments and blanks left out."""
    out = []
    for ln in text.splitlines():
        ln = ln.strip()
        if ln and not ln.startswith('#'):
            d, _, rest = ln.partition(' ')
            out.append((d.lower(), rest.strip()))
    return out


def _value(text, directive):
    vals = [rest for d, rest in _directives(text) if d == directive]
    return vals[-1] if vals else None


def _rewrite(path, replacements, drop=()):
    """Rewrites the file's lines: a line starting with a key of replacements
    (e.g. 'port', 'sentinel monitor') gets the value; lines starting with an
    item of drop are removed."""
    with open(path) as f:
        lines = f.read().splitlines()
    out = []
    for ln in lines:
        s = ln.strip()
        if any(s.startswith(d + ' ') for d in drop):
            continue
        for key, value in replacements.items():
            if s.startswith(key + ' '):
                ln = '%s %s' % (key, value)
        out.append(ln)
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


def _http_get(port, path):
    try:
        with urllib.request.urlopen('http://127.0.0.1:%d%s' % (port, path), timeout=5) as r:
            return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode().strip()


def _check_probes(srv_template, port_map, what):
    """GETs every httpGet probe of the container on its (remapped) port: 200."""
    container = srv_template['spec']['containers'][0]
    for kind, probe in _probes(container).items():
        get = probe['httpGet']
        port = port_map[_port_number(srv_template, get['port'])]
        status, body = _http_get(port, get['path'])
        assert status == 200, '%s %s %s: %d %s' % (what, kind, get['path'], status, body)


@pytest.fixture
def workdir(tmp_path):
    return str(tmp_path)


@pytest.mark.basalt_only('the metrics endpoint and primary discovery are Basalt-only')
def test_entrypoint_data_node_and_sentinel_run_with_their_probes(rendered, basalt_bin, workdir):
    objs = rendered['base']
    data_port, data_metrics = free_port(), free_port()
    sentinel_port, sentinel_metrics = free_port(), free_port()

    # basalt-0, as the pod would get it.
    conf, text = _entrypoint('server', objs, 'basalt', 0, workdir)
    fqdn = 'basalt-0.basalt-headless.%s.svc.cluster.local' % NAMESPACE
    assert _value(text, 'replica-announce-ip') == fqdn
    assert _value(text, 'replicaof') is None  # pod 0 starts as the primary
    # 90 % of the 1Gi limit the downward API passes.
    limit = _quantity(_statefulset(objs, 'basalt')[1]['resources']['limits']['memory'])
    assert int(_value(text, 'maxmemory')) == int(limit * 0.9)
    sentinels = ' '.join('basalt-sentinel-%d.basalt-sentinel-headless.%s.svc.cluster.local:26379'
                         % (i, NAMESPACE) for i in range(3))
    assert _value(text, 'primary-discovery-sentinels') == '"%s"' % sentinels
    assert _value(text, 'primary-discovery-name') == 'mymaster'
    assert '@' not in ''.join(rest for _, rest in _directives(text)), 'placeholder left'

    # The sentinel of pod basalt-sentinel-0.
    sconf, stext = _entrypoint('sentinel', objs, 'basalt-sentinel', 0, workdir)
    assert _value(stext, 'sentinel') is not None
    lines = [rest for d, rest in _directives(stext) if d == 'sentinel']
    assert 'monitor mymaster %s 6379 2' % fqdn in lines
    assert 'resolve-hostnames yes' in lines and 'announce-hostnames yes' in lines
    assert ('announce-ip basalt-sentinel-0.basalt-sentinel-headless.%s.svc.cluster.local'
            % NAMESPACE) in lines

    # Run both locally: ports, bind, dir and the peers' names rewritten.
    sdir = os.path.dirname(sconf)
    _rewrite(sconf, {'port': sentinel_port, 'bind': '127.0.0.1', 'dir': sdir,
                     'metrics-port': sentinel_metrics, 'metrics-bind': '127.0.0.1',
                     'sentinel monitor': 'mymaster 127.0.0.1 %d 2' % data_port,
                     'sentinel announce-ip': '127.0.0.1',
                     'sentinel announce-port': sentinel_port})
    _rewrite(conf, {'port': data_port, 'bind': '127.0.0.1', 'dir': os.path.dirname(conf),
                    'metrics-port': data_metrics, 'metrics-bind': '127.0.0.1',
                    'replica-announce-ip': '127.0.0.1',
                    'primary-discovery-sentinels': '"127.0.0.1:%d"' % sentinel_port})

    data_sts = _one(objs, 'StatefulSet', 'basalt')['spec']['template']
    sentinel_sts = _one(objs, 'StatefulSet', 'basalt-sentinel')['spec']['template']
    with start_server(basalt_bin, '--metrics-port', sentinel_metrics, '--metrics-bind',
                      '127.0.0.1', '--sentinel', port=sentinel_port, config_file=sconf) as sentinel:
        with start_server(basalt_bin, '--metrics-port', data_metrics, '--metrics-bind',
                          '127.0.0.1', port=data_port, config_file=conf) as node:
            with node.raw() as c:
                assert c.call('CONFIG', 'GET', 'maxmemory')[1] == str(int(limit * 0.9)).encode()
                assert c.call('CONFIG', 'GET', 'appendonly')[1] == b'yes'
                assert c.call('SET', 'k', 'v') == b'OK'
            _check_probes(data_sts, {6379: data_port, 9121: data_metrics}, 'data node')
            # The sentinel: its probes, and /readyz once it reaches the primary.
            _check_probes(sentinel_sts, {26379: sentinel_port, 9121: sentinel_metrics},
                          'sentinel')
            wait_for(lambda: _http_get(sentinel_metrics, '/readyz')[0] == 200, 10,
                     'the sentinel ready (watching a reachable primary)',
                     detail=lambda: _http_get(sentinel_metrics, '/readyz'))
            with sentinel.raw() as c:
                assert c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster') == \
                    [b'127.0.0.1', str(data_port).encode()]
            assert 'name this node as the primary' in node.log_text()

            # Pod 1's first start: its replicaof names basalt-0's DNS name, which
            # does not resolve here; primary discovery makes it a replica of
            # the primary the sentinel names, and it becomes ready.
            rconf, rtext = _entrypoint('server', objs, 'basalt', 1, workdir)
            assert _value(rtext, 'replicaof') == '%s 6379' % fqdn
            replica_port, replica_metrics = free_port(), free_port()
            _rewrite(rconf, {'port': replica_port, 'bind': '127.0.0.1',
                             'dir': os.path.dirname(rconf), 'metrics-port': replica_metrics,
                             'metrics-bind': '127.0.0.1', 'replica-announce-ip': '127.0.0.1',
                             'primary-discovery-sentinels': '"127.0.0.1:%d"' % sentinel_port})
            with start_server(basalt_bin, port=replica_port, config_file=rconf) as replica:
                wait_link_up(replica, primary=node)
                wait_for(lambda: _http_get(replica_metrics, '/readyz')[0] == 200, 10,
                         'the replica ready', detail=lambda: _http_get(replica_metrics, '/readyz'))
                _check_probes(data_sts, {6379: replica_port, 9121: replica_metrics}, 'replica')
                with replica.raw() as c:
                    assert c.call('GET', 'k') == b'v'


def test_entrypoint_roles_across_restarts(rendered, workdir):
    objs = rendered['base']
    primary = 'basalt-0.basalt-headless.%s.svc.cluster.local' % NAMESPACE
    # First start of pod 1: a replica of pod 0's DNS name.
    conf, text = _entrypoint('server', objs, 'basalt', 1, workdir)
    assert _value(text, 'replicaof') == '%s 6379' % primary
    assert _value(text, 'replica-announce-ip') == \
        'basalt-1.basalt-headless.%s.svc.cluster.local' % NAMESPACE
    # A sentinel re-pointed it (CONFIG REWRITE): the next start keeps that.
    other = 'basalt-2.basalt-headless.%s.svc.cluster.local 6379' % NAMESPACE
    _rewrite(conf, {'replicaof': other})
    _, text = _entrypoint('server', objs, 'basalt', 1, workdir)
    assert [r for d, r in _directives(text) if d == 'replicaof'] == [other]
    # Promoted (CONFIG REWRITE dropped replicaof): it restarts without one.
    _rewrite(conf, {}, drop=('replicaof',))
    _, text = _entrypoint('server', objs, 'basalt', 1, workdir)
    assert _value(text, 'replicaof') is None
    # Pod 0's first start has none either.
    _, text = _entrypoint('server', objs, 'basalt', 0, workdir)
    assert _value(text, 'replicaof') is None
    # A sentinel's file is its state: a second start keeps it as it is.
    sconf, stext = _entrypoint('sentinel', objs, 'basalt-sentinel', 2, workdir)
    with open(sconf, 'a') as f:
        f.write('sentinel myid 0123456789012345678901234567890123456789\n')
    _, again = _entrypoint('sentinel', objs, 'basalt-sentinel', 2, workdir)
    assert again.endswith('sentinel myid 0123456789012345678901234567890123456789\n')


def test_entrypoint_refuses_a_pod_without_ordinal(rendered, workdir):
    env = {'PATH': os.environ['PATH'], 'POD_NAME': 'basalt', 'BASALT_DATA_DIR': workdir,
           'BASALT_TEMPLATE_DIR': workdir}
    p = subprocess.run(['/bin/sh', ENTRYPOINT, 'render-server'], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    assert p.returncode != 0 and b'ordinal' in p.stderr


def _openssl_cert(d):
    """A self-signed certificate (its own CA) for the TLS overlay's paths."""
    if shutil.which('openssl') is None:
        missing_dependency('needs openssl (scripts/install-deps installs it)')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                    'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=basalt',
                    '-keyout', os.path.join(d, 'tls.key'), '-out', os.path.join(d, 'tls.crt')],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.copy(os.path.join(d, 'tls.crt'), os.path.join(d, 'ca.crt'))


def _local_configs(objs, workdir, data_port, sentinel_port, **env):
    """The rendered configs of basalt-0 and basalt-sentinel-0, rewritten to
    run here: bind 127.0.0.1, their own dirs and metrics ports, the sentinel
    monitoring the data node at 127.0.0.1:data_port and the data node asking
    the sentinel at 127.0.0.1:sentinel_port. Returns (conf, text, sconf,
    stext, data_metrics, sentinel_metrics)."""
    data_metrics, sentinel_metrics = free_port(), free_port()
    conf, text = _entrypoint('server', objs, 'basalt', 0, workdir, **env)
    sconf, stext = _entrypoint('sentinel', objs, 'basalt-sentinel', 0, workdir, **env)
    common = {'bind': '127.0.0.1', 'metrics-bind': '127.0.0.1'}
    _rewrite(conf, dict(common, dir=os.path.dirname(conf), **{
        'metrics-port': data_metrics, 'replica-announce-ip': '127.0.0.1',
        'primary-discovery-sentinels': '"127.0.0.1:%d"' % sentinel_port}))
    _rewrite(sconf, dict(common, dir=os.path.dirname(sconf), **{
        'metrics-port': sentinel_metrics,
        'sentinel monitor': 'mymaster 127.0.0.1 %d 2' % data_port,
        'sentinel announce-ip': '127.0.0.1'}), drop=('sentinel announce-port',))
    return conf, text, sconf, stext, data_metrics, sentinel_metrics


@pytest.mark.basalt_only('the metrics endpoint and primary discovery are Basalt-only')
@pytest.mark.parametrize('overlay', ['overlays/sync', 'overlays/production'])
def test_overlay_configs_are_accepted(rendered, basalt_bin, workdir, overlay):
    data_port, sentinel_port = free_port(), free_port()
    conf, _, sconf, _, data_metrics, sentinel_metrics = _local_configs(
        rendered[overlay], workdir, data_port, sentinel_port)
    with start_server(basalt_bin, '--sentinel', port=sentinel_port, config_file=sconf), \
            start_server(basalt_bin, port=data_port, config_file=conf) as node:
        with node.raw() as c:
            assert c.call('CONFIG', 'GET', 'min-replicas-ack')[1] == b'1'
            if overlay == 'overlays/production':
                assert c.call('CONFIG', 'GET', 'log-format')[1] == b'logfmt'
        # Alone, a primary under min-replicas-ack refuses writes: not ready.
        status, body = _http_get(data_metrics, '/readyz')
        assert status == 503 and 'writes refused' in body, (status, body)
        assert _http_get(data_metrics, '/healthz')[0] == 200
        assert _http_get(sentinel_metrics, '/healthz')[0] == 200


@pytest.mark.basalt_only('TLS directives, the metrics endpoint and primary discovery')
def test_tls_overlay_runs_tls_only(rendered, basalt_bin, workdir):
    """The tls overlay as it runs in the pods: no plain port on the data node
    nor on the sentinel (`port 0`; a unix socket lets the launcher PING), the
    sentinel watching the primary over TLS and ready, both answering TLS with
    the Secret's certificate, and the data node's primary discovery asking the
    sentinel on its TLS port."""
    data_tls, sentinel_tls = free_port(), free_port()
    # The pods' own port numbers (@DATA_PORT@, @SENTINEL_PORT@) become local free ones.
    conf, text, sconf, _, data_metrics, sentinel_metrics = _local_configs(
        rendered['overlays/tls'], workdir, data_tls, sentinel_tls,
        BASALT_DATA_PORT_NUM=str(data_tls), BASALT_SENTINEL_PORT_NUM=str(sentinel_tls))
    assert _value(text, 'port') == '0' and _value(text, 'tls-port') == str(data_tls)
    certs = os.path.join(workdir, 'tls')
    os.makedirs(certs)
    _openssl_cert(certs)
    paths = {key: os.path.join(certs, os.path.basename(_value(text, key)))
             for key in ('tls-cert-file', 'tls-key-file', 'tls-ca-cert-file')}
    _rewrite(conf, paths)
    _rewrite(sconf, paths)
    ca = paths['tls-ca-cert-file']
    sock, ssock = os.path.join(workdir, 'd.sock'), os.path.join(workdir, 's.sock')
    # Primary discovery waits primary-discovery-timeout for an answer: 2 s here.
    with start_server(basalt_bin, '--port', 0, '--unixsocket', ssock, '--sentinel', port=0,
                      config_file=sconf), \
            start_server(basalt_bin, '--port', 0, '--unixsocket', sock,
                         '--primary-discovery-timeout', 2, port=0, config_file=conf) as node:
        with node.raw() as c:
            assert c.call('CONFIG', 'GET', 'tls-replication')[1] == b'yes'
        assert _tls_ping(data_tls, ca) == b'+PONG\r\n'
        assert _tls_ping(sentinel_tls, ca) == b'+PONG\r\n'
        _check_probes(_one(rendered['overlays/tls'], 'StatefulSet', 'basalt')['spec']['template'],
                      {9121: data_metrics}, 'data node')
        wait_for(lambda: _http_get(sentinel_metrics, '/readyz')[0] == 200, 10,
                 'the sentinel ready (watching the primary over TLS)',
                 detail=lambda: _http_get(sentinel_metrics, '/readyz'))
        log = node.log_text()
    assert 'name this node as the primary' in log, log


def _tls_ping(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    with socket.create_connection(('127.0.0.1', port), timeout=5) as raw:
        with ctx.wrap_socket(raw) as tls:
            tls.sendall(b'*1\r\n$4\r\nPING\r\n')
            return tls.recv(64)
