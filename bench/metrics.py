#!/usr/bin/python3
"""Cost of Basalt's metrics endpoint; run through bench/metrics.
What the figures mean: docs/observability.md, "Cost".

One basalt-server (--threads THREADS, no persistence) on free loopback ports
with metrics-port set. KEYS keys are written and COMMANDS distinct commands are
called (with no arguments, so each is refused for its arity and appears in
INFO commandstats, hence in redis_commands_*{cmd}, without doing anything).

1. Scrape cost: SCRAPES sequential GET /metrics, the median and p90 wall time
   of one (the client's view: connect, render, transfer, close).
2. Data-path impact: redis-benchmark PING (-c 4, PINGS requests, --csv) with
   nothing else going on, then while one thread scrapes /metrics back to back;
   ROUNDS alternating rounds, the median of each round's p50 and p99.

Environment (all optional): BASALT_SERVER (build/basalt-server),
REDIS_BENCHMARK (redis-benchmark), THREADS (2), KEYS (1000), COMMANDS (100),
SCRAPES (50), PINGS (200000), ROUNDS (3).
"""

import csv
import http.client
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.environ.get('BASALT_SERVER', os.path.join(HERE, '..', 'build', 'basalt-server'))
BENCH = os.environ.get('REDIS_BENCHMARK', 'redis-benchmark')
THREADS = int(os.environ.get('THREADS', '2'))
KEYS = int(os.environ.get('KEYS', '1000'))
COMMANDS = int(os.environ.get('COMMANDS', '100'))
SCRAPES = int(os.environ.get('SCRAPES', '50'))
PINGS = int(os.environ.get('PINGS', '200000'))
ROUNDS = int(os.environ.get('ROUNDS', '3'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def scrape(port):
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=10)
    conn.request('GET', '/metrics')
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 200, r.status
    return time.perf_counter() - t0, body


def ping_latency(port):
    out = subprocess.run([BENCH, '-p', str(port), '-t', 'ping', '-c', '4', '-n', str(PINGS),
                          '--csv', '--precision', '3'], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    rows = {r['test']: r for r in csv.DictReader(io.StringIO(out))}
    row = rows['PING_MBULK']
    return float(row['p50_latency_ms']), float(row['p99_latency_ms']), float(row['rps'])


def main():
    port, mport = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix='bench-metrics-')
    proc = subprocess.Popen([SERVER, '--port', str(port), '--bind', '127.0.0.1', '--dir', tmp,
                             '--save', '', '--threads', str(THREADS), '--metrics-port', str(mport),
                             '--logfile', os.path.join(tmp, 'log')])
    try:
        c = redis.Redis(port=port)
        for _ in range(200):
            try:
                c.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        p = c.pipeline(transaction=False)
        for i in range(KEYS):
            p.set('key:%d' % i, 'v%d' % i)
        p.execute()
        names = []
        for name, info in c.command().items():  # redis-py: {name: {'arity': ...}}
            name = name.decode() if isinstance(name, bytes) else name
            if abs(int(info['arity'])) >= 2 and '|' not in name:
                names.append(name)
        names = sorted(names)[:COMMANDS]
        for n in names:
            try:
                c.execute_command(n)
            except redis.ResponseError:
                pass
        times, body = [], b''
        for _ in range(SCRAPES):
            t, body = scrape(mport)
            times.append(t)
        times.sort()
        series = sum(1 for line in body.split(b'\n') if line and not line.startswith(b'#'))
        families = body.count(b'# TYPE ')
        print('basalt-server %s, --threads %d, %d keys, %d commands in commandstats, %d cores'
              % (SERVER, THREADS, KEYS, len(names), os.cpu_count()))
        print('scrape: %d bytes, %d families, %d series' % (len(body), families, series))
        print('scrape time over %d scrapes: median %.2f ms, p90 %.2f ms, min %.2f ms'
              % (SCRAPES, statistics.median(times) * 1e3, times[int(len(times) * 0.9)] * 1e3,
                 times[0] * 1e3))

        idle, busy = [], []
        scrapes_done = [0]
        for _ in range(ROUNDS):
            idle.append(ping_latency(port))
            stop = threading.Event()

            def scraper():
                while not stop.is_set():
                    scrape(mport)
                    scrapes_done[0] += 1
            th = threading.Thread(target=scraper)
            th.start()
            try:
                busy.append(ping_latency(port))
            finally:
                stop.set()
                th.join()

        def summary(rows):
            return 'p50 %.3f ms, p99 %.3f ms, %.0f req/s' % (
                statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows),
                statistics.median(r[2] for r in rows))
        print('PING (redis-benchmark -c 4 -n %d, median of %d rounds)' % (PINGS, ROUNDS))
        print('  no scraping:           ' + summary(idle))
        print('  scraping back to back: ' + summary(busy) + ' (%d scrapes)' % scrapes_done[0])
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
