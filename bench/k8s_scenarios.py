#!/usr/bin/python3
"""The membership scenarios of a Kubernetes deployment, Basalt and Redis side by
side: what each loses and how long writes stop. Run through bench/k8s_scenarios
(`make bench-k8s`).

Both systems run 1 primary, 2 replicas and 3 sentinels on 127.0.0.1 (the tests'
harness, tests/integration/sentinel_util.py), `appendonly yes`, sentinels at
down-after-milliseconds 5000 (the deployment's), as a user deploys each:

  Redis   redis-server 7.0 + redis-sentinel 7.0, as users run them today
          (appendfsync everysec; no min-replicas-to-write);
  Basalt  the deploy/kubernetes settings: synchronous mode (min-replicas-ack 1),
          primary-discovery-sentinels, shutdown-handover yes.

Scenarios, each on fresh processes:

  planned    SIGTERM of the primary (kubectl delete pod) under a write load
             through redis-py's Sentinel client: acknowledged writes lost, the
             longest time without an acknowledged write.
  stale      the primary is killed, failed over, and its pod comes back with
             its old config and data (a primary recreated, maybe under a new
             IP): a client that still holds the old address writes to it for
             STALE_S seconds; writes it acknowledged that the final primary
             does not hold are lost (a second writable primary).
  empty      the primary's pod comes back at once on an empty volume, before
             the sentinels noticed (within down-after): keys lost once the
             replicas have settled.

Environment: BASALT_SERVER, REDIS_ORACLE (redis-server), SYSTEMS=redis,basalt,
SCENARIOS=planned,stale,empty, KEYS (1000), STALE_S (8). Prints markdown.
"""
import os
import shutil
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))
os.environ.setdefault('BASALT_SERVER', os.path.join(HERE, '..', 'build', 'basalt-server'))

import redis  # noqa: E402

from helpers import TRANSIENT_ERRORS, repl_info, wait_for  # noqa: E402
from sentinel_drill import DrillWriter, account, wait_settled, wait_stable  # noqa: E402
from sentinel_util import Topology  # noqa: E402

DOWN_AFTER_MS = 5000
KEYS = int(os.environ.get('KEYS', '1000'))
STALE_S = float(os.environ.get('STALE_S', '8'))


def log(msg):
    print('[k8s-scenarios %s] %s' % (time.strftime('%H:%M:%S'), msg), file=sys.stderr, flush=True)


def data_args(kind):
    args = ['--appendonly', 'yes', '--appendfsync', 'everysec']
    if kind == 'basalt':
        args += ['--min-replicas-ack', '1', '--min-replicas-ack-timeout', '2000',
                 '--shutdown-handover', 'yes']
    return args


def topology(kind):
    return Topology(replicas=2, sentinels=3, quorum=2, down_after=DOWN_AFTER_MS,
                    failover_timeout=20000, data_impl=kind, sentinel_impl=kind,
                    data_args=data_args(kind))


def enable_discovery(topo, kind):
    """Basalt: every data node asks the sentinels at start-up (as the
    manifests configure it); also on restarts, through extra_args."""
    if kind != 'basalt':
        return
    sentinels = ' '.join('%s:%d' % a for a in topo.sentinel_addrs())
    for n in topo.data_nodes:
        n.client().config_set('primary-discovery-sentinels', sentinels)
        n.extra_args += ['--primary-discovery-sentinels', sentinels]


def preload(topo):
    c = topo.primary.client()
    pipe = c.pipeline(transaction=False)
    for i in range(KEYS):
        pipe.set('key:%d' % i, i)
    pipe.execute()
    c.execute_command('WAIT', 2, 5000)


def wipe(node):
    for name in os.listdir(node.dir):
        if name == 'server.log':
            continue
        path = os.path.join(node.dir, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def largest_gap(acks, after):
    times = sorted(a.acked for a in acks if a.acked >= after)
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def planned(kind):
    with topology(kind) as topo:
        enable_discovery(topo, kind)
        old = topo.primary
        old_addr = topo.addr(old)
        with DrillWriter(topo.sentinel_addrs(), prefix='planned') as w:
            w.wait_acks(300)
            t0 = time.monotonic()
            old.proc.terminate()
            old.proc.wait(timeout=60)
            new = topo.wait_failover(old_addr, timeout=60)
            w.wait_acks(200, node=topo.addr(new), timeout=60)
            gap = largest_gap(w.acks(), t0 - 1)
        old.start()
        wait_stable(topo, 60)
        wait_settled(topo)
        report = account('planned', w, topo.primary.client(), old_addr, topo.addr(new), t0)
        return {'lost': len(report.lost), 'acked': len(report.acks), 'gap_s': gap}


def stale(kind):
    with topology(kind) as topo:
        enable_discovery(topo, kind)
        preload(topo)
        old = topo.primary
        old_addr = topo.addr(old)
        old.proc.kill()
        old.proc.wait(timeout=30)
        topo.wait_failover(old_addr, timeout=60)
        old.start()
        role = repl_info(old)['role']
        acked = 0
        c = redis.Redis(host=old.host, port=old.port, socket_timeout=2)
        end = time.monotonic() + STALE_S
        i = 0
        while time.monotonic() < end:
            try:
                if c.set('stale:%d' % i, i):
                    acked += 1
            except redis.RedisError:
                pass
            i += 1
            time.sleep(0.005)
        final = wait_stable(topo, 120)
        wait_settled(topo)
        fc = final.client()
        present = sum(1 for j in range(i) if fc.exists('stale:%d' % j))
        return {'role_on_return': role, 'attempted': i, 'acked': acked,
                'lost': acked - present}


def empty(kind):
    with topology(kind) as topo:
        enable_discovery(topo, kind)
        preload(topo)
        old = topo.primary
        old.proc.kill()
        old.proc.wait(timeout=30)
        wipe(old)
        old.ready_timeout = 60
        old.start()
        final = wait_stable(topo, 120)
        wait_settled(topo)
        left = final.client().dbsize()
        return {'keys_before': KEYS, 'keys_after': left, 'lost': KEYS - left,
                'primary_after': 'the emptied node' if final is old else 'a replica'}


SCENARIOS = {'planned': planned, 'stale': stale, 'empty': empty}


def main():
    systems = [s.strip() for s in os.environ.get('SYSTEMS', 'redis,basalt').split(',') if s]
    scenarios = [s.strip() for s in os.environ.get('SCENARIOS', 'planned,stale,empty').split(',')
                 if s]
    results = {}
    for sc in scenarios:
        for kind in systems:
            log('%s: %s' % (sc, kind))
            results[(sc, kind)] = SCENARIOS[sc](kind)
            log('%s: %s: %s' % (sc, kind, results[(sc, kind)]))
    print('| scenario | system | result |')
    print('|---|---|---|')
    for (sc, kind), r in results.items():
        print('| %s | %s | %s |' % (sc, kind, ', '.join(
            '%s %s' % (k, ('%.3f' % v) if isinstance(v, float) else v) for k, v in r.items())))


if __name__ == '__main__':
    main()
