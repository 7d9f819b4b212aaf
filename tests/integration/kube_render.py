"""Reading the Kubernetes manifests (deploy/kubernetes) as the cluster would:
kustomize rendering, the objects, a pod's environment and its ConfigMap
templates. Shared by test_deploy.py (which checks them) and k8s_harness.py
(which runs them).
"""

import os
import re
import shutil
import subprocess

import yaml

from helpers import missing_dependency

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
KUSTOMIZE_ROOT = os.path.join(REPO, 'deploy', 'kubernetes')
ENTRYPOINT = os.path.join(REPO, 'deploy', 'docker', 'entrypoint.sh')
ALLOWED_WARNING = re.compile(r"^# Warning: '(bases|patchesStrategicMerge)' is deprecated\.")
NAMESPACE = 'shop'  # The namespace the rendered pods are given.


def kubectl():
    path = shutil.which('kubectl')
    if path is None:
        missing_dependency('kubectl not installed (scripts/install-deps installs kubernetes-client)')
    return path


def render(kubectl_path, overlay):
    """The objects `kubectl kustomize deploy/kubernetes/<overlay>` renders;
    any warning but the known deprecations fails."""
    p = subprocess.run([kubectl_path, 'kustomize', os.path.join(KUSTOMIZE_ROOT, overlay)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode()
    assert p.returncode == 0, '%s kustomize %s failed:\n%s' % (kubectl_path, overlay, err)
    unexpected = [ln for ln in err.splitlines() if ln.strip() and not ALLOWED_WARNING.match(ln)]
    assert not unexpected, '%s kustomize %s warned:\n%s' % (kubectl_path, overlay,
                                                           '\n'.join(unexpected))
    return [d for d in yaml.safe_load_all(p.stdout) if d]


def find(objs, kind, name=None):
    return [o for o in objs if o['kind'] == kind and (name is None or o['metadata']['name'] == name)]


def one(objs, kind, name):
    found = find(objs, kind, name)
    assert len(found) == 1, 'expected one %s %s, found %d' % (kind, name, len(found))
    return found[0]


def quantity(q):
    """A Kubernetes quantity ('1Gi', '512M', '100m', '2') as a float."""
    q = str(q)
    units = {'Ki': 2**10, 'Mi': 2**20, 'Gi': 2**30, 'Ti': 2**40, 'k': 1e3, 'M': 1e6, 'G': 1e9,
             'T': 1e12, 'm': 1e-3}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[:-len(u)]) * f
    return float(q)


def pod_env(container, pod_name, namespace=NAMESPACE):
    """The container's environment as the kubelet would give it to pod_name."""
    env = {}
    res = container['resources']
    for e in container.get('env', []):
        if 'value' in e:
            env[e['name']] = e['value']
            continue
        src = e['valueFrom']
        if 'fieldRef' in src:
            env[e['name']] = {'metadata.name': pod_name,
                              'metadata.namespace': namespace}[src['fieldRef']['fieldPath']]
        elif 'resourceFieldRef' in src:
            kind, _, what = src['resourceFieldRef']['resource'].partition('.')
            value = quantity(res[kind][what]) / quantity(src['resourceFieldRef'].get('divisor', 1))
            env[e['name']] = str(int(-(-value // 1)))  # rounded up, as the kubelet does
        else:
            raise AssertionError('unexpected env source %r' % src)
    return env


def container_ports(template):
    """{port name or number: the port's entry} over a pod template's containers."""
    ports = {}
    for c in template['spec']['containers']:
        for p in c.get('ports', []):
            ports[p['containerPort']] = p
            if 'name' in p:
                ports[p['name']] = p
    return ports


def port_number(template, port):
    """A probe's or Service's port (a name or a number) -> the container port."""
    ports = container_ports(template)
    assert port in ports, 'port %r is not a declared container port (%s)' % (
        port, sorted(map(str, ports)))
    return ports[port]['containerPort']


def statefulset(objs, name):
    """(the StatefulSet, its first container)."""
    sts = one(objs, 'StatefulSet', name)
    return sts, sts['spec']['template']['spec']['containers'][0]


def templates(objs, sts, into):
    """Writes the ConfigMap mounted at /etc/basalt by sts into the directory into."""
    spec = sts['spec']['template']['spec']
    container = spec['containers'][0]
    vol = [m['name'] for m in container['volumeMounts'] if m['mountPath'] == '/etc/basalt'][0]
    cm_name = [v for v in spec['volumes'] if v['name'] == vol][0]['configMap']['name']
    os.makedirs(into, exist_ok=True)
    for key, text in one(objs, 'ConfigMap', cm_name)['data'].items():
        with open(os.path.join(into, key), 'w') as f:
            f.write(text)
    return into
