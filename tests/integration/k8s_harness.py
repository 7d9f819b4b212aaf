"""A local stand-in for the Kubernetes cluster that runs deploy/kubernetes.

It plays the parts of the cluster that decide whether a Basalt deployment
keeps its data, and runs everything else exactly as shipped:

    manifests    `kubectl kustomize` of an overlay (synchronous mode by
                 default); the StatefulSets' replica counts, environment
                 (downward API included), ConfigMap templates, readiness
                 probes and grace periods are read from the rendered objects
    pods         one network namespace each (netns.Net), so every pod has its
                 own address and uses the real ports (6379, 26379, 9121); the
                 process is the container's: deploy/docker/entrypoint.sh
                 rendering the config from the templates, then basalt-server
    addresses    a pod that is deleted or rescheduled comes back with a new
                 address (Net.readdress), as pods do
    DNS          the headless Services' names (basalt-1.basalt-headless.shop.
                 svc.cluster.local) in every namespace's /etc/hosts, updated
                 when an address changes (Net.set_hosts); the test process
                 resolves them through the same table
    volumes      a directory per pod that survives its restarts (the PVC), or
                 is wiped to play a lost volume
    machines     pods are spread over three machines, one data node and one
                 sentinel each (the anti-affinity); a drain evicts through
                 the PodDisruptionBudgets' rule (maxUnavailable 1: refused
                 while another pod of the set is not ready) and reschedules
                 elsewhere

What it changes, all documented in docs/operations.md ("Testing without a
cluster"): down-after-milliseconds (5000 in the base) through one more
sentinel-*.conf fragment, so that scenarios are short; pods write their logs
to files in the work directory.

kind='redis' runs the same pods with redis-server and redis-sentinel 7.0
instead, as the baseline of bench/k8s_harness_compare.py: the entrypoint
renders the same files, and a wrapper drops the directives Redis does not
have (the probes' port, primary discovery, the handover, synchronous mode,
threads) before it execs Redis. Readiness is then what Redis charts probe:
PING, and a replica's link up.

Checking (Cluster.check): every write a client was told succeeded is still
there on the final primary and every replica, including the probes that
write straight to every pod every 100 ms; and those probes show the pods
taking writes one after the other, never taking turns.
"""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import redis
import redis.sentinel

import netns
from helpers import wait_for
from kube_render import (ENTRYPOINT, NAMESPACE, kubectl, pod_env, port_number, render,
                         statefulset, templates)

DATA_STS = 'basalt'
SENTINEL_STS = 'basalt-sentinel'
HEADLESS = {DATA_STS: 'basalt-headless', SENTINEL_STS: 'basalt-sentinel-headless'}
DOMAIN = 'cluster.local'
MASTER_NAME = 'mymaster'
ERRORS = (redis.exceptions.RedisError, OSError)

# kind='redis': the "binary" the entrypoint execs. It removes Basalt's own
# directives from the rendered file (in place: Redis's CONFIG REWRITE writes
# to it) and execs redis-server, or redis-sentinel for a sentinel.conf.
REDIS_WRAPPER = r"""#!/bin/sh
set -eu
conf=$1
shift
sed -i -E '/^[[:space:]]*(metrics-port|metrics-bind|readyz-max-lag|primary-discovery-[a-z]+|shutdown-handover|threads|min-replicas-ack|min-replicas-ack-timeout)[[:space:]]/d' "$conf"
case "$conf" in
  *sentinel.conf) exec "$REDIS_SENTINEL_BIN" "$conf" "$@" ;;
  *) exec "$REDIS_SERVER_BIN" "$conf" "$@" ;;
esac
"""

_active = []  # Clusters whose names the test process resolves (the getaddrinfo hook).
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kw):
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and host.endswith('.svc.' + DOMAIN):
        for cluster in reversed(_active):  # The newest deployment first.
            address = cluster.resolve(host)
            if address:
                return _real_getaddrinfo(address, *args, **kw)
        raise socket.gaierror(socket.EAI_NONAME, 'unknown pod name %s' % host)
    return _real_getaddrinfo(host, *args, **kw)


class Pod:
    """One pod of a StatefulSet: a stable name, a volume, a changing address."""

    def __init__(self, cluster, sts_obj, ordinal, template_dir):
        sts = sts_obj['metadata']['name']
        pod_template = sts_obj['spec']['template']
        container = pod_template['spec']['containers'][0]
        self.cluster = cluster
        self.sts = sts
        self.ordinal = ordinal
        self.name = '%s-%d' % (sts, ordinal)
        self.fqdn = '%s.%s.%s.svc.%s' % (self.name, HEADLESS[sts], NAMESPACE, DOMAIN)
        self.env = pod_env(container, self.name)
        self.grace = pod_template['spec'].get('terminationGracePeriodSeconds', 30)
        self.template_dir = template_dir
        self.volume = os.path.join(cluster.workdir, 'pv-' + self.name)
        os.makedirs(self.volume, exist_ok=True)
        self.log_path = os.path.join(cluster.workdir, self.name + '.log')
        ready = container['readinessProbe']['httpGet']
        self.ready_path = ready['path']
        self.metrics_port = port_number(pod_template, ready['port'])
        if sts == DATA_STS:
            self.port = int(self.env.get('BASALT_DATA_PORT_NUM', 6379))
        else:
            self.port = int(self.env.get('BASALT_SENTINEL_PORT_NUM', 26379))
        self.machine = None
        self.proc = None
        self.starts = 0

    @property
    def node(self):
        return self.cluster.net[self.name]

    @property
    def address(self):
        return self.node.address

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        assert not self.running, '%s already runs' % self.name
        env = {'PATH': os.environ['PATH']}
        # Sanitizer builds (make test-asan/test-tsan) read their options here.
        env.update({k: v for k, v in os.environ.items() if k.endswith('SAN_OPTIONS')})
        env.update(self.env)
        env.update(BASALT_TEMPLATE_DIR=self.template_dir, BASALT_DATA_DIR=self.volume,
                   BASALT_SERVER_BIN=self.cluster.binary,
                   BASALT_SENTINEL_BIN='/nonexistent/basalt-sentinel')
        if self.cluster.kind == 'redis':
            env.update(BASALT_SERVER_BIN=self.cluster.wrapper,
                       BASALT_SENTINEL_BIN=self.cluster.wrapper,
                       REDIS_SERVER_BIN=self.cluster.binary,
                       REDIS_SENTINEL_BIN=self.cluster.sentinel_binary)
        mode = 'server' if self.sts == DATA_STS else 'sentinel'
        self.starts += 1
        with open(self.log_path, 'ab') as log:
            log.write(b'\n=== start %d at %s as %s\n' % (self.starts, self.address.encode(),
                                                       mode.encode()))
            log.flush()
            self.proc = self.node.popen(['/bin/sh', ENTRYPOINT, mode], env=env,
                                        stdin=subprocess.DEVNULL, stdout=log,
                                        stderr=subprocess.STDOUT)

    def terminate(self, grace=None):
        """What the kubelet does to a deleted pod: SIGTERM, then SIGKILL after
        the grace period. Returns the exit status (negative: a signal)."""
        if not self.running:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(self.grace if grace is None else grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def kill(self):
        """The process (or its machine) dies at once."""
        if self.running:
            self.proc.kill()
            self.proc.wait(10)

    def wipe_volume(self):
        shutil.rmtree(self.volume)
        os.makedirs(self.volume)

    def ready(self):
        """The readiness probe, as the kubelet sends it: GET on the pod's address."""
        if not self.running:
            return False
        if self.cluster.kind == 'redis':
            return self._redis_ready()
        try:
            with self.cluster.net.connect(self.address, self.metrics_port, timeout=1.0) as s:
                s.sendall(b'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' % (self.ready_path.encode(),
                                                                     self.address.encode()))
                head = s.recv(64)
            return head.split(b' ')[1:2] == [b'200']
        except OSError:
            return False

    def _redis_ready(self):
        try:
            c = self.client(1.0)
            if not c.ping():
                return False
            if self.sts == DATA_STS:
                r = c.info('replication')
                return r.get('role') == 'master' or r.get('master_link_status') == 'up'
            return True
        except ERRORS:
            return False

    def client(self, timeout=2.0):
        return self.cluster.net.redis(self.address, self.port, socket_timeout=timeout,
                                      socket_connect_timeout=timeout, decode_responses=True)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, 'rb') as f:
                return b''.join(f.readlines()[-lines:]).decode('utf-8', 'replace')
        except OSError as e:
            return str(e)

    def __repr__(self):
        return 'Pod(%s at %s)' % (self.name, self.address)


class Cluster:
    """The deployment of one overlay on three machines; see the module comment.

    Use as a context manager. cluster.data / cluster.sentinels are lists of
    Pods in ordinal order; cluster.pod('basalt-1') finds one.
    """

    def __init__(self, workdir, binary, overlay='overlays/sync', down_after_ms=2000,
                 kind='basalt', sentinel_binary=None):
        netns.skip_unless_available()
        self.workdir = workdir
        self.binary = binary
        self.kind = kind
        if kind == 'redis':
            self.sentinel_binary = sentinel_binary or shutil.which('redis-sentinel')
            self.wrapper = os.path.join(workdir, 'redis-pod')
            with open(self.wrapper, 'w') as f:
                f.write(REDIS_WRAPPER)
            os.chmod(self.wrapper, 0o755)
        objs = render(kubectl(), overlay)
        self.pods = {}
        self.events = []  # (time, text): what the cluster did, for failure messages.
        self._lock = threading.Lock()
        self._eviction_lock = threading.Lock()
        layout = []
        for sts_name in (DATA_STS, SENTINEL_STS):
            sts, _ = statefulset(objs, sts_name)
            tpl = templates(objs, sts, os.path.join(workdir, 'tpl-' + sts_name))
            layout.append((sts, tpl))
        with open(os.path.join(layout[1][1], 'sentinel-zz-harness.conf'), 'w') as f:
            f.write('# k8s_harness: shorter failure detection than the base, for short drills.\n'
                    'sentinel down-after-milliseconds %s %d\n' % (MASTER_NAME, down_after_ms))
        self.down_after_ms = down_after_ms
        names = ['%s-%d' % (s['metadata']['name'], i) for s, _ in layout
                 for i in range(s['spec']['replicas'])]
        self.net = netns.Net(names)
        try:
            for sts, tpl in layout:
                for i in range(sts['spec']['replicas']):
                    pod = Pod(self, sts, i, tpl)
                    self.pods[pod.name] = pod
            self.data = [p for p in self.pods.values() if p.sts == DATA_STS]
            self.sentinels = [p for p in self.pods.values() if p.sts == SENTINEL_STS]
            # Three machines; the anti-affinity keeps one pod of each set on each.
            self.machines = {'machine-%d' % i: set() for i in range(len(self.data))}
            for i, pod in enumerate(self.data):
                self._place(pod, 'machine-%d' % i)
            for i, pod in enumerate(self.sentinels):
                self._place(pod, 'machine-%d' % ((i + 1) % len(self.data)))
            self.cordoned = set()
            self.publish_dns()
            _active.append(self)
            socket.getaddrinfo = _getaddrinfo
        except BaseException:
            self.net.close()
            raise

    # --- the cluster's own parts ----------------------------------------------------

    def event(self, text):
        with self._lock:
            self.events.append((time.monotonic(), text))

    def _place(self, pod, machine):
        if pod.machine:
            self.machines[pod.machine].discard(pod.name)
        pod.machine = machine
        self.machines[machine].add(pod.name)

    def publish_dns(self):
        self.net.set_hosts({p.fqdn: p.address for p in self.pods.values()})

    def resolve(self, name):
        for p in self.pods.values():
            if p.fqdn == name:
                return p.address
        return None

    def pod(self, name):
        return self.pods[name]

    def start_all(self, pods=None):
        for pod in pods or self.pods.values():
            pod.start()

    def wait_ready(self, pods=None, timeout=60):
        pods = list(pods or self.pods.values())
        wait_for(lambda: all(p.ready() for p in pods), timeout,
                 'pods ready: %s' % ', '.join(p.name for p in pods),
                 detail=lambda: '\n'.join('%s ready=%s\n%s' % (p.name, p.ready(), p.log_tail(15))
                                          for p in pods))

    def recreate(self, pod, new_address=True, machine=None):
        """The StatefulSet controller's replacement of a pod that is gone: same
        name and volume, a new address (published in DNS), started."""
        assert not pod.running
        if machine:
            self._place(pod, machine)
        if new_address:
            old = pod.address
            self.net.readdress(pod.name)
            self.publish_dns()
            self.event('%s recreated: %s -> %s on %s' % (pod.name, old, pod.address, pod.machine))
        pod.start()

    def delete_pod(self, pod, new_address=True):
        """`kubectl delete pod`: graceful termination, then the replacement."""
        self.event('delete %s' % pod.name)
        status = pod.terminate()
        self.event('%s exited with %s' % (pod.name, status))
        self.recreate(pod, new_address)
        return status

    def evict(self, pod):
        """The eviction API with the PodDisruptionBudget (maxUnavailable 1):
        refused (False) while another pod of the set is not ready."""
        others = [p for p in self.pods.values() if p.sts == pod.sts and p is not pod]
        with self._eviction_lock:  # The API server's check-and-set on the budget.
            unready = [p.name for p in others if not p.ready()]
            if unready:
                self.event('eviction of %s refused by the disruption budget (%s not ready)'
                           % (pod.name, ', '.join(unready)))
                return False
            self.event('evict %s' % pod.name)
            status = pod.terminate()
        self.event('%s exited with %s' % (pod.name, status))
        return True

    def drain(self, machine, retry_interval=0.5, timeout=120):
        """`kubectl drain`: cordon, then evict every pod on the machine,
        retrying refused evictions; each evicted pod is rescheduled on an
        uncordoned machine without a pod of its set, with a new address.
        Returns the number of refusals."""
        self.cordoned.add(machine)
        self.event('cordon %s' % machine)
        refusals = 0
        pending = sorted(self.machines[machine])
        deadline = time.monotonic() + timeout
        while pending:
            assert time.monotonic() < deadline, 'drain of %s stuck: %s' % (machine, pending)
            for name in list(pending):
                pod = self.pods[name]
                if not self.evict(pod):
                    refusals += 1
                    continue
                pending.remove(name)
                self.recreate(pod, machine=self._schedule(pod))
            if pending:
                time.sleep(retry_interval)
        return refusals

    def uncordon(self, machine):
        self.cordoned.discard(machine)

    def _schedule(self, pod):
        def same_set(m):
            return sum(1 for n in self.machines[m] if self.pods[n].sts == pod.sts and n != pod.name)
        candidates = sorted((same_set(m), m) for m in self.machines if m not in self.cordoned)
        assert candidates, 'no schedulable machine for %s' % pod.name
        return candidates[0][1]

    # --- what the sentinels say ---------------------------------------------------

    def sentinel_answers(self):
        """{sentinel pod name: primary fqdn or None} from GET-MASTER-ADDR-BY-NAME."""
        out = {}
        for s in self.sentinels:
            try:
                r = s.client(1.0).execute_command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME',
                                                   MASTER_NAME)
                out[s.name] = r[0] if r else None
            except ERRORS:
                out[s.name] = None
        return out

    def primary(self, timeout=60, other_than=None):
        """The data pod every sentinel names, which is running and says it is
        a primary; waits until there is one (and it is not other_than)."""
        def agreed():
            names = set(self.sentinel_answers().values())
            if len(names) != 1 or None in names:
                return None
            name = names.pop()
            pod = next((p for p in self.data if p.fqdn == name and p is not other_than), None)
            try:
                if pod and pod.running and pod.client(1.0).execute_command('ROLE')[0] == 'master':
                    return pod
            except ERRORS:
                pass
            return None
        return wait_for(agreed, timeout, 'the sentinels agree on a running primary',
                        detail=self.describe)

    def describe(self):
        lines = ['sentinels: %r' % self.sentinel_answers()]
        for p in self.data:
            try:
                r = p.client(1.0).info('replication')
                role = '%s offset=%s of=%s link=%s' % (
                    r.get('role'), r.get('master_repl_offset'), r.get('master_host', '-'),
                    r.get('master_link_status', '-'))
            except ERRORS as e:
                role = 'unreachable: %s' % e
            lines.append('%s (%s, %s): %s' % (p.name, p.address, p.machine, role))
        t0 = self.events[0][0] if self.events else 0
        lines += ['  %.2f %s' % (t - t0, text) for t, text in self.events[-30:]]
        for p in self.data:
            lines.append('--- %s log tail\n%s' % (p.name, p.log_tail(25)))
        return '\n'.join(lines)

    def converged(self, timeout=60):
        """Waits until the sentinels agree on a primary and every other data
        pod replicates from it with the same offset; returns the primary."""
        def settled():
            primary = self.primary(timeout=10)
            pinfo = primary.client(2.0).info('replication')
            for p in self.data:
                if p is primary:
                    continue
                r = p.client(2.0).info('replication')
                if (r.get('role') != 'slave' or r.get('master_link_status') != 'up'
                        or r.get('master_host') not in (primary.fqdn, primary.address)
                        or r.get('slave_repl_offset') != pinfo.get('master_repl_offset')):
                    return None
            return primary
        return wait_for(settled, timeout, 'replicas in step with the primary',
                        retry_on=ERRORS + (AssertionError,), detail=self.describe, interval=0.2)

    def sentinels_know_everyone(self, timeout=60):
        """Waits until every sentinel knows both replicas and the other
        sentinels, as in a deployment that has run for a while (a replica the
        sentinels have not seen yet is not re-pointed at a failover)."""
        want_replicas = len(self.data) - 1
        want_sentinels = len(self.sentinels) - 1

        def known():
            for s in self.sentinels:
                flat = s.client(1.0).execute_command('SENTINEL', 'MASTER', MASTER_NAME)
                m = dict(zip(flat[::2], flat[1::2]))
                if (int(m['num-slaves']) < want_replicas
                        or int(m['num-other-sentinels']) < want_sentinels):
                    return False
            return True
        wait_for(known, timeout, 'the sentinels know every replica and sentinel',
                 retry_on=ERRORS, detail=self.describe, interval=0.2)

    # --- teardown --------------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        for pod in self.pods.values():
            pod.kill()
        if self in _active:
            _active.remove(self)
        if not _active:
            socket.getaddrinfo = _real_getaddrinfo
        self.net.close()


class Writer(threading.Thread):
    """An application writing through redis-py's Sentinel client (by the
    sentinels' names, from the client side): SET w:<n> n in a loop, retrying
    on errors; remembers what was acknowledged and the longest gap."""

    def __init__(self, cluster, interval=0.005):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.interval = interval
        self.acked = []  # n of each acknowledged SET w:<n>
        self.ack_times = []
        self.errors = 0
        self.stopped_at = None
        self.stop_event = threading.Event()

    def run(self):
        with self.cluster.net.client_side():
            sentinel = redis.sentinel.Sentinel(
                [(s.fqdn, s.port) for s in self.cluster.sentinels],
                sentinel_kwargs={'socket_timeout': 0.5, 'socket_connect_timeout': 0.5},
                socket_timeout=1.5, socket_connect_timeout=0.5)
            master = sentinel.master_for(MASTER_NAME)
            n = 0
            while not self.stop_event.is_set():
                n += 1
                try:
                    master.set('w:%d' % n, n)
                    self.acked.append(n)
                    self.ack_times.append(time.monotonic())
                except ERRORS:
                    self.errors += 1
                    time.sleep(0.05)
                time.sleep(self.interval)

    def longest_gap(self, since=0.0):
        """The longest time without an acknowledged write from `since` until
        the writer stopped (or now)."""
        end = self.stopped_at or time.monotonic()
        times = [since] + [t for t in self.ack_times if t >= since] + [end]
        return max(b - a for a, b in zip(times, times[1:]))

    def stop(self):
        self.stop_event.set()
        self.join(10)
        if self.stopped_at is None:
            self.stopped_at = time.monotonic()


class Probes(threading.Thread):
    """Every 100 ms, SET probe:<pod>:<n> straight to every data pod at its
    current address: which pods acknowledge a write, and when."""

    def __init__(self, cluster, interval=0.1):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.interval = interval
        self.acks = []  # (time, pod name, key)
        self.stop_event = threading.Event()
        self._lock = threading.Lock()

    def _probe(self, pod):
        conn, address, n = None, None, 0
        while not self.stop_event.is_set():
            n += 1
            try:
                if conn is None or address != pod.address:
                    address = pod.address
                    conn = self.cluster.net.raw(address, pod.port, timeout=1.5)
                key = 'probe:%s:%d' % (pod.name, n)
                if conn.call('SET', key, '1') == b'OK':
                    with self._lock:
                        self.acks.append((time.monotonic(), pod.name, key))
            except Exception:  # noqa: BLE001 - any failure is "not acknowledged"
                conn = None
            self.stop_event.wait(self.interval)

    def run(self):
        threads = [threading.Thread(target=self._probe, args=(p,), daemon=True)
                   for p in self.cluster.data]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def runs(self):
        """The pods that acknowledged writes, in order, repeats merged:
        ['basalt-0', 'basalt-2'] for one switch."""
        out = []
        for _, name, _ in sorted(self.acks):
            if not out or out[-1] != name:
                out.append(name)
        return out

    def stop(self):
        self.stop_event.set()
        self.join(10)


def missing_keys(client, keys, chunk=500):
    missing = []
    for i in range(0, len(keys), chunk):
        part = keys[i:i + chunk]
        for k, v in zip(part, client.mget(part)):
            if v is None:
                missing.append(k)
    return missing


def check(cluster, writer, probes, max_primaries):
    """After a scenario: the cluster converges, no acknowledged write (the
    application's or a probe's) is missing on any data pod, and no more than
    max_primaries pods took writes, one after the other. Returns the primary."""
    writer.stop()
    probes.stop()
    primary = cluster.converged()
    keys = ['w:%d' % n for n in writer.acked] + [k for _, _, k in probes.acks]
    assert writer.acked, 'the application never got a write acknowledged'
    sizes = {}
    for pod in cluster.data:
        c = pod.client(5.0)
        lost = missing_keys(c, keys)
        assert not lost, '%s lacks %d acknowledged writes, e.g. %s\n%s' % (
            pod.name, len(lost), lost[:5], cluster.describe())
        sizes[pod.name] = c.dbsize()
    if len(set(sizes.values())) != 1:
        keysets = {p.name: set(p.client(5.0).keys('*')) for p in cluster.data}
        union = set().union(*keysets.values())
        diff = {name: sorted(union - ks)[:10] for name, ks in keysets.items()}
        raise AssertionError('data pods differ: %r; missing per pod: %r\n%s'
                             % (sizes, diff, cluster.describe()))
    runs = probes.runs()
    assert 1 <= len(runs) <= max_primaries, 'writes acknowledged by %r (at most %d primaries ' \
        'one after the other expected)\n%s' % (runs, max_primaries, cluster.describe())
    return primary
