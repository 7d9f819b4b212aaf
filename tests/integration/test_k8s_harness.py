"""The Kubernetes scenarios of docs/operations.md, played by k8s_harness on
the shipped manifests (the synchronous overlay) and entrypoint: pods in
network namespaces with stable names and changing addresses.

Every scenario runs an application writing through redis-py's Sentinel
client and probes writing straight to every data pod, and ends with
k8s_harness.check: no acknowledged write missing on any data pod, and the
pods that acknowledged writes did so one after the other.

Short here; `make soak-k8s` repeats them (K8S_SOAK_ROUNDS).
"""

import os
import re
import threading
import time

import pytest

from k8s_harness import Cluster, Probes, Writer, check

pytestmark = pytest.mark.basalt_only('the deployment runs Basalt data nodes and sentinels')

ROUNDS = int(os.environ.get('K8S_SOAK_ROUNDS', '1'))


def _fresh(workdir, binary):
    c = Cluster(workdir, binary)
    try:
        c.start_all()
        c.wait_ready()
        c.converged()
        c.sentinels_know_everyone()
    except BaseException:
        c.close()
        raise
    return c


@pytest.fixture(scope='module')
def shared(tmp_path_factory, basalt_bin):
    """One deployment for the module (starting one takes ~10 s: the sentinels
    learn the replicas at their 10 s INFO period); a scenario that leaves it
    unsettled gets the next one a fresh deployment."""
    holder = {'binary': basalt_bin, 'factory': tmp_path_factory}
    holder['cluster'] = _fresh(str(tmp_path_factory.mktemp('k8s')), basalt_bin)
    yield holder
    holder['cluster'].close()


@pytest.fixture
def cluster(shared):
    c = shared['cluster']
    try:
        c.events.clear()
        c.wait_ready(timeout=30)
        c.converged(timeout=30)
        c.sentinels_know_everyone(timeout=30)
    except AssertionError:
        c.close()
        c = shared['cluster'] = _fresh(str(shared['factory'].mktemp('k8s')), shared['binary'])
    return c


def _load(cluster, seconds=1.0):
    writer, probes = Writer(cluster), Probes(cluster)
    writer.start()
    probes.start()
    time.sleep(seconds)
    assert writer.acked, 'no write acknowledged before the scenario\n' + cluster.describe()
    return writer, probes


def _log_size(pod):
    return os.path.getsize(pod.log_path)


def _assert_handed_over(pod, log_from):
    """The switch was the pod's handover at SIGTERM (in its log from byte
    log_from on), not a failover after down-after. How long writes stopped
    is a figure of bench/k8s_harness_compare.py, not a test's."""
    with open(pod.log_path, 'rb') as f:
        f.seek(log_from)
        log = f.read().decode('utf-8', 'replace')
    assert re.search(r'shutdown-handover: [23] of 3 sentinels name', log), pod.log_tail()


def _role(pod):
    return pod.client(2.0).execute_command('ROLE')[0]


def _rejoined_then_check(cluster, pod, writer, probes):
    """The former primary pod is back, ready and a replica; then check()."""
    cluster.wait_ready([pod])
    assert _role(pod) == 'slave'
    time.sleep(0.5)
    check(cluster, writer, probes, max_primaries=2)


@pytest.mark.parametrize('round_', range(ROUNDS))
def test_primary_pod_deleted_comes_back_with_a_new_address_as_a_replica(cluster, round_):
    writer, probes = _load(cluster)
    old = cluster.primary()
    old_address = old.address
    log_from = _log_size(old)
    status = cluster.delete_pod(old)  # SIGTERM: the handover, then a new address
    assert status == 0, 'the primary exited with %s\n%s' % (status, old.log_tail())
    assert old.address != old_address
    new = cluster.primary()
    assert new is not old
    _rejoined_then_check(cluster, old, writer, probes)
    _assert_handed_over(old, log_from)


@pytest.mark.parametrize('round_', range(ROUNDS))
def test_primary_machine_lost_pod_rescheduled_with_a_new_address(cluster, round_):
    writer, probes = _load(cluster)
    old = cluster.primary()
    cluster.event('kill -9 %s (its machine died)' % old.name)
    old.kill()
    # The sentinels fail over after down-after; the pod comes back elsewhere
    # only later (the node controller's timeout), with its volume.
    new = cluster.primary()
    assert new is not old
    spare = next(m for m in cluster.machines if m != old.machine)
    cluster.recreate(old, machine=spare)
    _rejoined_then_check(cluster, old, writer, probes)


@pytest.mark.parametrize('round_', range(ROUNDS))
def test_all_pods_restarted_at_once_with_new_addresses(cluster, round_):
    writer, probes = _load(cluster)
    before = cluster.primary()
    cluster.event('every pod killed')
    for pod in cluster.pods.values():
        pod.kill()
    for pod in cluster.pods.values():
        cluster.net.readdress(pod.name)
    cluster.publish_dns()
    cluster.event('every pod started with a new address')
    cluster.start_all()
    cluster.wait_ready(timeout=90)
    after = cluster.primary()
    # The sentinels kept their state: the primary is the one they knew.
    assert after is before, (before, after)
    time.sleep(0.5)
    check(cluster, writer, probes, max_primaries=2)


@pytest.mark.parametrize('round_', range(ROUNDS))
def test_primary_restarted_with_an_empty_volume(cluster, round_):
    writer, probes = _load(cluster)
    old = cluster.primary()
    cluster.event('kill -9 %s, volume lost' % old.name)
    old.kill()
    old.wipe_volume()
    cluster.recreate(old)  # at once: the sentinels still name it the primary
    cluster.primary(other_than=old)  # a replica, with the data, is promoted
    _rejoined_then_check(cluster, old, writer, probes)
    with open(old.log_path) as f:
        assert 'it has no data' in f.read(), 'the empty-primary guard did not act'


@pytest.mark.parametrize('round_', range(ROUNDS))
def test_rolling_upgrade_under_write_load(cluster, round_):
    """docs/operations.md, "Upgrade", with the handover: each replica deleted
    and awaited ready in turn, then the primary deleted (it hands over)."""
    writer, probes = _load(cluster)
    primary = cluster.primary()
    starts = {p.name: p.starts for p in cluster.data}
    for pod in cluster.data:
        if pod is primary:
            continue
        assert cluster.delete_pod(pod) == 0, pod.log_tail()
        cluster.wait_ready([pod])
        info = pod.client().info('replication')
        assert info['master_link_status'] == 'up'
        assert cluster.primary() is primary  # replicas first: no switch yet
    log_from = _log_size(primary)
    assert cluster.delete_pod(primary) == 0, primary.log_tail()
    assert cluster.primary() is not primary
    cluster.wait_ready()
    assert all(p.starts == starts[p.name] + 1 for p in cluster.data)
    time.sleep(0.5)
    check(cluster, writer, probes, max_primaries=2)
    _assert_handed_over(primary, log_from)


@pytest.fixture
def fresh_cluster(tmp_path, basalt_bin):
    c = _fresh(str(tmp_path), basalt_bin)
    yield c
    c.close()


def test_node_drains_respect_the_disruption_budget(fresh_cluster):
    """Two machines drained at once (a cluster upgrade): the budgets let one
    data pod and one sentinel go at a time, so the second drain waits until
    the first one's pods are ready again elsewhere. A fresh deployment: the
    pods start one of each set per machine."""
    cluster = fresh_cluster
    writer, probes = _load(cluster)
    primary = cluster.primary()
    first = primary.machine
    second = next(m for m in cluster.machines if m != first)
    results = {}

    def drain(machine):
        results[machine] = cluster.drain(machine)
    threads = [threading.Thread(target=drain, args=(m,)) for m in (first, second)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(240)
    assert len(results) == 2, 'a drain did not finish\n' + cluster.describe()
    cluster.uncordon(first)
    cluster.uncordon(second)
    assert sum(results.values()) > 0, 'no eviction was refused: the budget was never tested'
    cluster.wait_ready()
    for m in (first, second):
        assert not cluster.machines[m], '%s still runs %s' % (m, cluster.machines[m])
    time.sleep(0.5)
    check(cluster, writer, probes, max_primaries=3)
