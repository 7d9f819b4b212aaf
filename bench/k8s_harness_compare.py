#!/usr/bin/python3
"""The Kubernetes harness scenarios (tests/integration/k8s_harness.py), Basalt
and Redis + Sentinel side by side on the same pods, names and addresses:
what each loses and how long writes stop. Part of `make bench-k8s`.

Both run the shipped manifests' synchronous overlay through the same
entrypoint; for Redis a wrapper drops the directives Redis lacks (primary
discovery, the handover, synchronous mode: Redis runs as users run it, with
appendfsync everysec and no min-replicas) and readiness is PING plus a
replica's link. down-after-milliseconds is 2000 for both (the harness's).

Each scenario runs on a fresh deployment with an application writing through
redis-py's Sentinel client and probes writing to every data pod every 100 ms.
Afterwards, once the sentinels agree and the replicas caught up (or 30 s),
'lost' counts the acknowledged writes (application and probes) missing on
the primary the sentinels name; 'primaries' lists the pods that acknowledged
writes, in order; 'gap' is the longest time without an acknowledged
application write from the scenario's start.

Environment: BASALT_SERVER, REDIS_ORACLE (redis-server), SYSTEMS=redis,basalt,
SCENARIOS (names below, comma-separated). Prints markdown. Needs root (network
namespaces).
"""
import os
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
os.environ.setdefault('BASALT_SERVER', os.path.join(HERE, '..', 'build', 'basalt-server'))

from k8s_harness import ERRORS, Cluster, Probes, Writer, missing_keys  # noqa: E402


def log(msg):
    print('[k8s-harness %s] %s' % (time.strftime('%H:%M:%S'), msg), file=sys.stderr, flush=True)


def quietly(fn, *args, **kw):
    """Runs a bounded wait of the harness; a time-out is a finding, not an error."""
    try:
        return fn(*args, **kw)
    except (AssertionError,) + ERRORS as e:
        log('  (%s: %s)' % (getattr(fn, '__name__', fn), str(e).splitlines()[0][:160]))
        return None


def deleted_primary(c):
    old = c.primary()
    c.delete_pod(old)
    quietly(c.wait_ready, [old], timeout=60)


def machine_lost(c):
    old = c.primary()
    old.kill()
    quietly(c.primary, timeout=30, other_than=old)
    c.recreate(old, machine=next(m for m in c.machines if m != old.machine))
    quietly(c.wait_ready, [old], timeout=60)


def all_restarted(c):
    for pod in c.pods.values():
        pod.kill()
    for pod in c.pods.values():
        c.net.readdress(pod.name)
    c.publish_dns()
    c.start_all()
    quietly(c.wait_ready, timeout=60)


def empty_volume(c):
    old = c.primary()
    old.kill()
    old.wipe_volume()
    c.recreate(old)
    quietly(c.wait_ready, [old], timeout=60)
    time.sleep(c.down_after_ms / 1000.0 + 3)  # whatever the sentinels do, they do it by now


def rolling_upgrade(c):
    primary = c.primary()
    for pod in c.data:
        if pod is not primary:
            c.delete_pod(pod)
            quietly(c.wait_ready, [pod], timeout=60)
    c.delete_pod(primary)
    quietly(c.wait_ready, timeout=60)


def two_drains(c):
    first = c.primary().machine
    second = next(m for m in c.machines if m != first)
    threads = [threading.Thread(target=quietly, args=(c.drain, m)) for m in (first, second)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(240)
    quietly(c.wait_ready, timeout=60)


SCENARIOS = [
    ('deleted_primary', 'primary pod deleted, back with a new address', deleted_primary),
    ('machine_lost', "primary's machine lost, pod rescheduled after the failover", machine_lost),
    ('all_restarted', 'every pod killed, all back at once with new addresses', all_restarted),
    ('empty_volume', 'primary back at once on an empty volume', empty_volume),
    ('rolling_upgrade', 'rolling upgrade: replicas, then the primary', rolling_upgrade),
    ('two_drains', 'two machines drained at once (budgets: 1 pod per set)', two_drains),
]


def settled_primary(c, timeout=30):
    """The pod the sentinels agree on once replicas caught up; else the pod
    they name; else None."""
    got = quietly(c.converged, timeout=timeout)
    if got:
        return got
    names = set(c.sentinel_answers().values()) - {None}
    return next((p for p in c.data if p.fqdn in names and p.running), None)


def run(kind, binary, name, fn):
    workdir = tempfile.mkdtemp(prefix='k8s-%s-%s-' % (kind, name))
    c = Cluster(workdir, binary, kind=kind)
    try:
        c.start_all()
        c.wait_ready(timeout=60)
        c.converged()
        c.sentinels_know_everyone()
        writer, probes = Writer(c), Probes(c)
        writer.start()
        probes.start()
        time.sleep(1.0)
        t0 = time.monotonic()
        fn(c)
        time.sleep(1.0)
        writer.stop()
        probes.stop()
        gap = writer.longest_gap(since=t0)
        primary = settled_primary(c)
        keys = ['w:%d' % n for n in writer.acked] + [k for _, _, k in probes.acks]
        lost = len(missing_keys(primary.client(5.0), keys)) if primary else None
        return {'acked': len(keys), 'lost': lost, 'gap': gap, 'runs': probes.runs(),
                'settled': primary is not None}
    finally:
        c.close()


def main():
    systems = os.environ.get('SYSTEMS', 'redis,basalt').split(',')
    wanted = os.environ.get('SCENARIOS', ','.join(n for n, _, _ in SCENARIOS)).split(',')
    binaries = {'basalt': os.environ['BASALT_SERVER'],
                'redis': os.environ.get('REDIS_ORACLE', '/usr/bin/redis-server')}
    results = {}
    for name, _, fn in SCENARIOS:
        if name not in wanted:
            continue
        for kind in systems:
            log('%s on %s' % (name, kind))
            results[(name, kind)] = run(kind, binaries[kind], name, fn)
            log('  %r' % (results[(name, kind)],))
    print('| scenario | ' + ' | '.join('%s: lost / acknowledged, longest gap, primaries' % k
                                       for k in systems) + ' |')
    print('|---|' + '---|' * len(systems))
    for name, text, _ in SCENARIOS:
        if name not in wanted:
            continue
        cells = []
        for kind in systems:
            r = results[(name, kind)]
            lost = 'not settled' if r['lost'] is None else '%d' % r['lost']
            cells.append('%s / %d, %.2f s, %s' % (lost, r['acked'], r['gap'],
                                                  ' → '.join(x.split('-')[-1] for x in r['runs'])))
        print('| %s | %s |' % (text, ' | '.join(cells)))


if __name__ == '__main__':
    main()
