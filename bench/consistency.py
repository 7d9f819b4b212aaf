#!/usr/bin/python3
"""Cost of the online consistency check on a large dataset.

One primary and REPLICAS Basalt replicas (--threads THREADS, no persistence)
on loopback ports 30000-30999; the primary gets KEYS keys (DEBUG POPULATE,
100-byte values), the replicas sync, then a writer client SETs in a loop
(one request at a time) while scripts/basalt-check runs ROUNDS times. Printed:
the check's wall time, each node's digest pass time, how long the start
instant held writes (instant_usec), and the writer's SET latency (max, p99.9,
p50) during the checks next to the same writer without a check running.
Figures: docs/consistency.md, "Figures".

Environment (all optional): BASALT_SERVER (build/basalt-server), KEYS
(1000000), REPLICAS (2), THREADS (2), ROUNDS (3), BASE_SECONDS (3).
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ.get('BASALT_SERVER', os.path.join(HERE, '..', 'build', 'basalt-server'))
CHECK = os.path.join(HERE, '..', 'scripts', 'basalt-check')
KEYS = int(os.environ.get('KEYS', '1000000'))
REPLICAS = int(os.environ.get('REPLICAS', '2'))
THREADS = int(os.environ.get('THREADS', '2'))
ROUNDS = int(os.environ.get('ROUNDS', '3'))
BASE_SECONDS = float(os.environ.get('BASE_SECONDS', '3'))


def start(port, tmp, *extra):
    d = os.path.join(tmp, str(port))
    os.makedirs(d)
    proc = subprocess.Popen([SERVER, '--port', str(port), '--bind', '127.0.0.1', '--dir', d,
                             '--save', '', '--enable-debug-command', 'local', '--threads', str(THREADS),
                             '--logfile', os.path.join(d, 'log'), *extra])
    c = redis.Redis(port=port)
    for _ in range(300):
        try:
            c.ping()
            return proc, c
        except redis.ConnectionError:
            time.sleep(0.05)
    raise SystemExit('server on port %d did not start' % port)


class Writer:
    def __init__(self, port):
        self.c = redis.Redis(port=port)
        self.lat = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run)

    def run(self):
        i = 0
        while not self.stop.is_set():
            k = 'key:%d' % random.randrange(KEYS)
            t0 = time.perf_counter()
            self.c.set(k, 'w%d' % i)
            self.lat.append(time.perf_counter() - t0)
            i += 1

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.t.join()

    def summary(self):
        lat = sorted(self.lat)
        pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000
        return 'SETs %d, p50 %.3f ms, p99.9 %.3f ms, max %.2f ms' % (
            len(lat), pick(0.5), pick(0.999), lat[-1] * 1000)


def main():
    base = 30000 + random.randrange(0, 900)
    tmp = tempfile.mkdtemp(prefix='bench-consistency-')
    procs = []
    try:
        p, pc = start(base, tmp)
        procs.append(p)
        t0 = time.time()
        pc.execute_command('DEBUG', 'POPULATE', KEYS, 'key', 100)
        print('populated %d keys in %.1f s' % (KEYS, time.time() - t0))
        reps = []
        for i in range(REPLICAS):
            rp, rc = start(base + 1 + i, tmp, '--replicaof', '127.0.0.1', str(base))
            procs.append(rp)
            reps.append(rc)
        def synced():
            off = pc.info('replication')['master_repl_offset']
            return all(r.info('replication').get('master_link_status') == 'up' and
                       r.info('replication')['master_repl_offset'] == off for r in reps)
        while not synced():
            time.sleep(0.2)
        print('%d replicas synced' % REPLICAS)
        with Writer(base) as w:
            time.sleep(BASE_SECONDS)
        print('writer alone:        ' + w.summary())
        with Writer(base) as w:
            for r in range(ROUNDS):
                t0 = time.time()
                out = subprocess.run([sys.executable, CHECK, '-p', str(base), '--json'],
                                     capture_output=True, text=True)
                took = time.time() - t0
                rep = json.loads(out.stdout)
                passes = [rep.get('primary_pass_ms')]
                print('check %d: status %s, %d keys, %d ranges, tool wall %.2f s, primary pass '
                      '%s ms, writes held at the instant %s us, replicas %s' % (
                          r + 1, rep['status'], rep.get('keys', 0), rep.get('ranges_compared', 0),
                          took, rep.get('primary_pass_ms'), rep.get('instant_usec'),
                          [(e['replica'], e['status']) for e in rep.get('replicas', [])]))
        print('writer during checks: ' + w.summary())
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
