#!/usr/bin/python3
"""GEOSEARCH throughput of Basalt and of redis-server 7.0 side by side, one core each;
run through bench/geo. What the figures mean: docs/benchmarks.md, "GEO search".

Both servers are started here on free loopback ports, pinned to SERVER_CORE (Basalt
--threads 1), and get the same POINTS points (seeded, uniform over about 100 x 100 km around Berlin, ~10
per km^2 at the default), loaded with GEOADD in batches. Then, for each query below,
redis-benchmark pinned to CLIENT_CORE runs it N times (-c 50, -P 1 and -P 16), Basalt
then Redis, for ROUNDS alternating rounds; the report shows the median ops/s. Before
timing, each query's reply is fetched from both servers and must be identical (a
benchmark of a wrong answer is worthless); the number of results is printed with it.

Environment (all optional): BASALT_SERVER (build/basalt-server), REDIS_SERVER,
REDIS_BENCHMARK, POINTS (100000), ROUNDS (3), N_P16 (100000), N_P1 (20000),
SERVER_CORE (0), CLIENT_CORE (1).
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # No __pycache__ in bench/ from importing compare.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (bench/compare.py: processes, servers, RESP client)
from compare import PROCS, Conn, EnvInt, EnvStr, Log, Median, Pinned, Server  # noqa: E402

QUERIES = [
    ("radius 1 km ASC (39 results)",
     "GEOSEARCH geo FROMLONLAT 13.4 52.5 BYRADIUS 1 km ASC"),
    ("radius 2 km, COUNT 10 WITHDIST",
     "GEOSEARCH geo FROMLONLAT 13.4 52.5 BYRADIUS 2 km COUNT 10 ASC WITHDIST"),
    ("box 4x4 km, COUNT 20 ANY",
     "GEOSEARCH geo FROMLONLAT 13.4 52.5 BYBOX 4 4 km COUNT 20 ANY"),
    ("member, radius 2 km WITHCOORD (133 results)",
     "GEOSEARCH geo FROMMEMBER p7 BYRADIUS 2 km WITHCOORD"),
]

def Load(port, points):
    rnd = random.Random(42)
    c = Conn(port)
    batch = ["GEOADD", "geo"]
    for i in range(points):
        # Uniform over about 100 x 100 km around Berlin: ~10 points per km^2.
        lon, lat = rnd.uniform(12.66, 14.14), rnd.uniform(52.05, 52.95)
        batch += ["%.6f" % lon, "%.6f" % lat, "p%d" % i]
        if len(batch) >= 3000:
            c.Call(*batch)
            batch = ["GEOADD", "geo"]
    if len(batch) > 2:
        c.Call(*batch)
    n = c.Call("ZCARD", "geo")
    c.Close()
    return n


def RunOnce(benchmark, port, command, pipeline, n, cpus):
    argv = Pinned(cpus, [benchmark, "-h", "127.0.0.1", "-p", str(port), "-n", str(n),
                         "-P", str(pipeline), "-c", "50", "--csv"] + command.split(" "))
    proc = PROCS.Spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=900)
    finally:
        PROCS.Stop(proc)
    lines = out.decode(errors="replace").strip().splitlines()
    if proc.returncode != 0 or len(lines) < 2:
        raise RuntimeError("redis-benchmark failed: %s" % (out + err).decode(errors="replace"))
    return float(lines[-1].split(",")[1].strip('"'))


def main():
    basalt = os.path.abspath(EnvStr("BASALT_SERVER", os.path.join(compare.REPO, "build",
                                                                  "basalt-server")))
    redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
    benchmark = EnvStr("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
    points = EnvInt("POINTS", 100_000)
    rounds = EnvInt("ROUNDS", 3)
    n = {16: EnvInt("N_P16", 100_000), 1: EnvInt("N_P1", 20_000)}
    server_core, client_core = EnvStr("SERVER_CORE", "0"), EnvStr("CLIENT_CORE", "1")
    def OnSignal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, OnSignal)  # so that the servers are stopped below
    workdir = tempfile.mkdtemp(prefix="basalt-bench-geo-")
    servers = [Server("Basalt", basalt, workdir, server_core, threads=1),
               Server("Redis 7.0", redis, workdir, server_core)]
    try:
        for srv in servers:
            srv.Start()
            Log("%s: %d points loaded" % (srv.label, Load(srv.port, points)))
        for _, q in QUERIES:
            replies = []
            for srv in servers:
                c = Conn(srv.port)
                replies.append(c.Call(*q.split(" ")))
                c.Close()
            if replies[0] != replies[1]:
                raise RuntimeError("replies differ for %s" % q)
            Log("%s -> %d results, identical on both" % (q, len(replies[0])))
        rows = []
        for label, q in QUERIES:
            for p in (16, 1):
                samples = {srv.label: [] for srv in servers}
                for rnd in range(rounds):
                    for srv in servers:
                        rps = RunOnce(benchmark, srv.port, q, p, n[p], client_core)
                        samples[srv.label].append(rps)
                        Log("%s -P %d round %d %s: %.0f ops/s" % (label, p, rnd + 1, srv.label,
                                                                 rps))
                b, r = Median(samples["Basalt"]), Median(samples["Redis 7.0"])
                rows.append("| %s | %d | %s | %s | %.2f |" % (label, p, "{:,.0f}".format(b),
                                                              "{:,.0f}".format(r), b / r))
        print("POINTS=%d, %d rounds, medians; server pinned to core %s (Basalt --threads 1),"
              " redis-benchmark -c 50 to core %s\n" % (points, rounds, server_core, client_core))
        print("| Query | -P | Basalt ops/s | Redis ops/s | Basalt/Redis |")
        print("|---|---|---|---|---|")
        print("\n".join(rows))
    finally:
        for srv in servers:
            srv.Stop()
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
