#!/usr/bin/python3
"""Side-by-side replication benchmark of Basalt and redis-server 7.0; run through
bench/replication.

What it measures and why is written in docs/benchmarks.md (section "Replication").
Every figure comes from a primary and one replica of the same server, started here
and stopped here: the primary pinned to PRIMARY_CORE (0), the replica to
REPLICA_CORE (1), redis-benchmark, the Python client and this driver (which samples
INFO and /proc) to CLIENT_CORE (1). Four sections:

  throughput  redis-benchmark -t set,incr -c 50 at -P 16 and -P 1 against a primary
              with a replica attached and against one without; alternating rounds,
              medians; the ratio with/without per server and Basalt/Redis.
  lag         redis-benchmark -t set -P 16 -c 50 at full speed on the primary for
              LAG_SECONDS while two threads read INFO replication every SAMPLE_MS:
              the primary's master_repl_offset and the replica's slave_repl_offset.
              Lag in bytes, and in time: how long after the primary had offset O the
              replica had applied it (median, p99, max).
  fullsync    SYNC_KEYS keys loaded into a primary (redis-cli --pipe), then a fresh,
              empty replica gets REPLICAOF: time until master_link_status:up and an
              equal DBSIZE, and the peak memory of both meanwhile.
  syncrepl    Basalt's synchronous replication (min-replicas-ack 1) against its
              asynchronous default, with redis-benchmark and with a small Python
              client that can also send `WAIT 1 0` after each batch of writes, the
              closest thing Redis has (run against both servers). Skipped with a
              note when the Basalt binary has no min-replicas-ack directive.

Progress goes to stderr; the markdown report to stdout and, with --write-docs,
between the `<!-- bench:replication-NAME:begin -->` / `...:end -->` markers of
docs/benchmarks.md. Helpers (RESP client, process registry with PR_SET_PDEATHSIG,
redis-benchmark runner, key loader, memory sampler, formatting) come from
bench/compare.py and bench/persistence.py.

Environment (all optional): BASALT_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI,
QUICK=1, ROUNDS, N_P16, N_P1, KEYSPACE, LAG_ROUNDS, LAG_SECONDS, LAG_KEYSPACE,
SAMPLE_MS, SYNC_KEYS, FULLSYNC_ROUNDS, ACK_TIMEOUT_MS, TEST_SECONDS, BASALT_THREADS,
PRIMARY_CORE, REPLICA_CORE, CLIENT_CORE, SECTIONS, WRITE_DOCS=1, DOCS_FILE, JSON_OUT.

`replication.py --client ...` is the Python load client of the syncrepl section
(run as a child process pinned to CLIENT_CORE; standard library only).
"""

import argparse
import bisect
import datetime
import json
import math
import os
import random
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types

sys.dont_write_bytecode = True  # No __pycache__ in bench/ from importing compare.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (bench/compare.py: process, RESP, benchmark and report helpers)
import persistence  # noqa: E402  (bench/persistence.py: servers with arguments, memory)
from compare import (PROCS, Conn, EnvBool, EnvInt, EnvStr, Fmt, Log, Median,  # noqa: E402
                     Pinned, Ratio, RespError, Table)
from persistence import Fresh, Mib, PServer, Rss, Secs  # noqa: E402

REPO = compare.REPO
ALL_SECTIONS = ("throughput", "lag", "fullsync", "syncrepl")
KINDS = ("Basalt", "Redis")
TESTS = ("SET", "INCR")
PIPELINES = (16, 1)
CLIENTS = 50
VALUE_SIZE = 32
MIB = 2**20


# ----------------------------------------------------------------------------- settings

class Settings:
    def __init__(self, args):
        self.basalt = os.path.abspath(
            EnvStr("BASALT_SERVER", os.path.join(REPO, "build", "basalt-server")))
        self.basalt_bin = self.basalt  # Run() points this at a private copy.
        self.redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
        self.benchmark = EnvStr("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
        self.cli = EnvStr("REDIS_CLI", "/usr/bin/redis-cli")
        self.quick = EnvBool("QUICK", False)
        # throughput (and the redis-benchmark part of syncrepl).
        self.rounds = EnvInt("ROUNDS", 2 if self.quick else 5)
        self.n = {16: EnvInt("N_P16", 200_000 if self.quick else 1_000_000),
                  1: EnvInt("N_P1", 20_000 if self.quick else 100_000)}
        self.keyspace = EnvInt("KEYSPACE", 100_000)
        self.clients = CLIENTS
        self.value_size = VALUE_SIZE  # compare.RunBench / LoadKeys read these
        # lag.
        self.lag_rounds = EnvInt("LAG_ROUNDS", 1 if self.quick else 3)
        self.lag_seconds = float(EnvStr("LAG_SECONDS", "4" if self.quick else "10"))
        self.lag_keyspace = EnvInt("LAG_KEYSPACE", 1_000_000)
        self.sample_ms = float(EnvStr("SAMPLE_MS", "10"))
        self.catchup_timeout = 300.0
        # fullsync.
        self.sync_keys = EnvInt("SYNC_KEYS", 500_000 if self.quick else 10_000_000)
        self.fullsync_rounds = EnvInt("FULLSYNC_ROUNDS", 1 if self.quick else 2)
        # syncrepl.
        self.ack_rounds = EnvInt("ROUNDS", 1 if self.quick else 3)
        self.ack_timeout_ms = EnvInt("ACK_TIMEOUT_MS", 1000)
        self.test_seconds = float(EnvStr("TEST_SECONDS", "1.5" if self.quick else "3"))
        self.basalt_threads = EnvInt("BASALT_THREADS", 1)
        self.primary_core = EnvStr("PRIMARY_CORE", "0")
        self.replica_core = EnvStr("REPLICA_CORE", "1")
        self.client_core = EnvStr("CLIENT_CORE", "1")
        sections = args.sections or EnvStr("SECTIONS", "")
        self.sections = ([x.strip() for x in sections.split(",") if x.strip()]
                         if sections else list(ALL_SECTIONS))
        for name in self.sections:
            if name not in ALL_SECTIONS:
                raise SystemExit("unknown section %r (known: %s)"
                                 % (name, ", ".join(ALL_SECTIONS)))
        self.write_docs = args.write_docs or EnvBool("WRITE_DOCS", False)
        self.default_docs = os.path.join(REPO, "docs", "benchmarks.md")
        self.docs_file = os.path.abspath(EnvStr("DOCS_FILE", self.default_docs))
        self.json_out = args.json or EnvStr("JSON_OUT", "")
        self.basalt_is_basalt = "basalt" in os.path.basename(self.basalt).lower()

    def Binary(self, kind):
        return self.basalt_bin if kind == "Basalt" else self.redis

    def Threads(self, kind):
        return self.basalt_threads if kind == "Basalt" else None


def PrimaryArgs(extra=()):
    # Both primaries stream a full sync's snapshot straight to the socket (the default
    # of both, spelled out).
    return ["--appendonly", "no", "--repl-diskless-sync", "yes"] + list(extra)


def StartServer(s, kind, workdir, name, core, extra):
    srv = PServer(kind, s.Binary(kind), Fresh(workdir, name), core, s.Threads(kind), extra)
    srv.Start()
    return srv


def StartPrimary(s, kind, workdir, name, extra=()):
    """A primary whose full syncs start at once. Both servers wait repl-diskless-sync-delay
    (5 s by default) for more replicas to share a diskless transfer; 0 here, so that the
    full-sync figure is the transfer and not a timer. Set at run time because a Basalt
    build older than the directive refuses any value but 5 at start-up: then the
    primary keeps the delay, and SYNC_DELAY_NOTES says so."""
    srv = StartServer(s, kind, workdir, name, s.primary_core, PrimaryArgs(extra))
    try:
        srv.conn.Call("CONFIG", "SET", "repl-diskless-sync-delay", "0")
    except RespError as e:
        SYNC_DELAY_NOTES[kind] = str(e)
    return srv


SYNC_DELAY_NOTES = {}  # server kind -> why CONFIG SET repl-diskless-sync-delay 0 failed


def StopServer(srv):
    srv.Stop()
    shutil.rmtree(srv.data_dir, ignore_errors=True)


# ----------------------------------------------------------------------------- replication

def Offset(srv, field):
    return srv.InfoInt("replication", field)


def WaitInSync(primary, replica, timeout=300.0, poll=0.005):
    """Waits until the replica's link is up and it has applied the primary's current
    offset; returns the seconds it took."""
    start = time.perf_counter()
    deadline = start + timeout
    while True:
        target = Offset(primary, "master_repl_offset")
        try:
            info = replica.Info("replication")
        except RespError as e:  # A Redis replica loading the snapshot says -LOADING.
            if not str(e).startswith("LOADING"):
                raise
            info = {}
        if (info.get("master_link_status") == "up" and info.get("master_sync_in_progress") == "0"
                and int(info.get("slave_repl_offset", "-1")) >= target):
            return time.perf_counter() - start
        if time.perf_counter() > deadline:
            raise RuntimeError("%s replica not in sync after %.0f s (primary offset %d, replica "
                               "%s)" % (replica.label, timeout, target, info))
        time.sleep(poll)


def Attach(primary, replica):
    reply = replica.conn.Call("REPLICAOF", "127.0.0.1", str(primary.port))
    if not str(reply).startswith("OK"):
        raise RuntimeError("%s: REPLICAOF replied %r" % (replica.label, reply))
    return WaitInSync(primary, replica)


def ExpectSameSize(primary, replica, what):
    WaitInSync(primary, replica)
    p, r = primary.DbSize(), replica.DbSize()
    if p != r or not p:
        raise RuntimeError("%s: DBSIZE primary %r, replica %r after %s" % (primary.label, p, r,
                                                                            what))
    return p


class Pair:
    """A primary and its replica of one server kind, attached and in sync."""

    def __init__(self, s, kind, workdir, name, primary_extra=()):
        self.kind = kind
        self.primary = StartPrimary(s, kind, workdir, name + "-primary", primary_extra)
        self.replica = None
        try:
            self.replica = StartServer(s, kind, workdir, name + "-replica", s.replica_core,
                                       ["--appendonly", "no"])
            self.attach_s = Attach(self.primary, self.replica)
        except BaseException:
            self.Stop()
            raise

    def Stop(self):
        for srv in (self.replica, self.primary):
            if srv is not None:
                StopServer(srv)


# ----------------------------------------------------------------------------- throughput

def RunWrites(s, port, pipeline, n, tests="set,incr", expect=TESTS):
    return compare.RunBench(s, port, ["-t", tests], pipeline, n, s.client_core, expect,
                            value_size=s.value_size, timeout=1800)


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def CpuSeconds(pid):
    """User + system CPU time of every thread of `pid` so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def CpuShares(procs, run):
    """Runs run(); returns its result and the CPU each of `procs` (label -> PServer) used
    meanwhile, as a share of one core over the wall time."""
    before = {k: CpuSeconds(p.pid) for k, p in procs.items()}
    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    return result, {k: (CpuSeconds(p.pid) - before[k]) / wall for k, p in procs.items()}


def SectionThroughput(s, workdir, results):
    pairs, alone = {}, {}
    try:
        for kind in KINDS:
            pairs[kind] = Pair(s, kind, workdir, "tp-%s" % kind.lower())
            alone[kind] = StartPrimary(s, kind, workdir, "tp-%s-alone" % kind.lower())
        samples, catchup, cpu = {}, {}, {}
        for rnd in range(1, s.rounds + 1):
            for p in PIPELINES:
                for kind in KINDS:
                    for mode in ("alone", "replica"):
                        srv = alone[kind] if mode == "alone" else pairs[kind].primary
                        if mode == "replica":
                            # The replica must not still be applying the last run's writes.
                            WaitInSync(srv, pairs[kind].replica)
                        procs = {"primary": srv}
                        if mode == "replica":
                            procs["replica"] = pairs[kind].replica
                        rows, shares = CpuShares(procs, lambda: RunWrites(s, srv.port, p,
                                                                          s.n[p]))
                        key = "%s|%s|%d" % (kind, mode, p)
                        samples.setdefault(key, []).append(rows)
                        cpu.setdefault(key, []).append(shares)
                        extra = ""
                        if mode == "replica":
                            c = WaitInSync(srv, pairs[kind].replica)
                            catchup.setdefault(key, []).append(c)
                            extra = ", replica in sync %.0f ms after the run" % (c * 1000)
                            if rnd == 1:
                                ExpectSameSize(srv, pairs[kind].replica, "the writes")
                        elif rnd == 1 and not srv.DbSize():
                            raise RuntimeError("%s: no keys after redis-benchmark's SETs" % kind)
                        Log("throughput round %d/%d %-6s %-7s -P %-2d SET %9.0f  INCR %9.0f; CPU "
                            "%s%s" % (rnd, s.rounds, kind, mode, p, rows["SET"]["rps"],
                                      rows["INCR"]["rps"], ", ".join(
                                          "%s %.0f%%" % (k, v * 100) for k, v in shares.items()),
                                      extra))
        out = {"argv": {}, "catchup": catchup, "cpu": cpu}
        for key, runs in samples.items():
            out[key] = {t: {"rps": Median([r[t]["rps"] for r in runs]),
                            "p50": Median([r[t]["p50"] for r in runs]),
                            "p99": Median([r[t]["p99"] for r in runs]),
                            "all_rps": [r[t]["rps"] for r in runs]} for t in TESTS}
        for kind in KINDS:
            out["argv"][kind] = {"primary": pairs[kind].primary.argv,
                                 "replica": pairs[kind].replica.argv,
                                 "alone": alone[kind].argv}
        results["throughput"] = out
    finally:
        for kind in KINDS:
            if kind in pairs:
                pairs[kind].Stop()
            if kind in alone:
                StopServer(alone[kind])


# ----------------------------------------------------------------------------- lag

class OffsetSampler(threading.Thread):
    """Reads one integer field of INFO replication every `interval` seconds on a
    connection of its own; keeps (time, value) with the time taken halfway through
    the call, the best estimate of when the server read the value."""

    def __init__(self, port, field, interval):
        super().__init__(daemon=True)
        self.conn = Conn(port, timeout=30.0)
        self.pattern = re.compile(rb"(?:^|\n)%s:(-?\d+)" % re.escape(field.encode()))
        self.field = field
        self.interval = interval
        self.samples = []
        self.calls = 0
        self.done = threading.Event()
        self.error = None

    def run(self):
        next_at = time.perf_counter()
        try:
            while not self.done.is_set():
                t0 = time.perf_counter()
                try:
                    text = self.conn.Call("INFO", "replication")
                except RespError as e:
                    if not str(e).startswith("LOADING"):
                        raise
                    text = b""
                t1 = time.perf_counter()
                self.calls += 1
                m = self.pattern.search(text or b"")
                if m:
                    self.samples.append(((t0 + t1) / 2, int(m.group(1))))
                # A slow reply delays the next sample instead of causing a burst.
                next_at = max(next_at + self.interval, t1)
                self.done.wait(max(0.0, next_at - time.perf_counter()))
        except Exception as e:  # Reported by Stop(): a dead sampler must fail the round.
            self.error = e
        finally:
            self.conn.Close()

    def Latest(self):
        return self.samples[-1][1] if self.samples else -1

    def Stop(self):
        self.done.set()
        self.join()
        if self.error is not None:
            raise RuntimeError("sampler of %s failed: %s" % (self.field, self.error))


def Percentile(values, q):
    """Nearest-rank percentile; None for no values."""
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[max(0, math.ceil(q / 100.0 * len(values)) - 1)]


def Crossing(times, offsets, target):
    """When the series (times, nondecreasing offsets) reached `target`: interpolated
    linearly between the two samples around it; None if it never did."""
    j = bisect.bisect_left(offsets, target)
    if j == len(offsets):
        return None
    if j == 0 or offsets[j] == offsets[j - 1]:
        return times[j]
    frac = (target - offsets[j - 1]) / (offsets[j] - offsets[j - 1])
    return times[j - 1] + frac * (times[j] - times[j - 1])


def ValueAt(times, values, t):
    """The series' value at time t, interpolated linearly (clamped at the ends)."""
    j = bisect.bisect_left(times, t)
    if j == 0:
        return values[0]
    if j == len(times):
        return values[-1]
    frac = (t - times[j - 1]) / (times[j] - times[j - 1]) if times[j] > times[j - 1] else 1.0
    return values[j - 1] + frac * (values[j] - values[j - 1])


def LagStats(psamples, rsamples, t_from, t_to):
    """Lag in time (per primary sample in [t_from, t_to]: when the replica reached the
    offset the primary had then) and in bytes (per replica sample in the window: the
    primary's interpolated offset then minus the replica's)."""
    rt = [t for t, _ in rsamples]
    ro = []
    for _, o in rsamples:  # A resync may restart the series: keep it nondecreasing.
        ro.append(max(o, ro[-1]) if ro else o)
    pt = [t for t, _ in psamples]
    po = [o for _, o in psamples]
    time_lags, unreached = [], 0
    for t, o in psamples:
        if t_from <= t <= t_to:
            when = Crossing(rt, ro, o)
            if when is None:
                unreached += 1
            else:
                time_lags.append(max(0.0, when - t))
    byte_lags = [max(0.0, ValueAt(pt, po, t) - o) for t, o in zip(rt, ro) if t_from <= t <= t_to]
    stats = {"unreached": unreached, "time_samples": len(time_lags),
             "byte_samples": len(byte_lags)}
    for name, values, scale in (("time_ms", time_lags, 1000.0), ("bytes", byte_lags, 1.0)):
        stats[name] = {"p50": Percentile(values, 50), "p99": Percentile(values, 99),
                       "max": max(values) if values else None}
        stats[name] = {k: None if v is None else v * scale for k, v in stats[name].items()}
    return stats


def StartSetLoad(s, port):
    argv = Pinned(s.client_core, [s.benchmark, "-h", "127.0.0.1", "-p", str(port),
                                  "-t", "set", "-r", str(s.lag_keyspace), "-n", "2000000000",
                                  "-d", str(s.value_size), "-P", "16", "-c", str(s.clients),
                                  "-q"])
    return PROCS.Spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def OneLag(s, pair):
    primary, replica = pair.primary, pair.replica
    WaitInSync(primary, replica)
    full0 = primary.InfoInt("stats", "sync_full")
    cmds0 = primary.InfoInt("stats", "total_commands_processed")
    interval = s.sample_ms / 1000.0
    ps = OffsetSampler(primary.port, "master_repl_offset", interval)
    rs = OffsetSampler(replica.port, "slave_repl_offset", interval)
    ps.start()
    rs.start()
    try:
        time.sleep(0.2)
        t_start = time.perf_counter()
        load = StartSetLoad(s, primary.port)
        try:
            time.sleep(s.lag_seconds)
            if load.poll() is not None:
                raise RuntimeError("%s: the write load exited early: %s"
                                   % (pair.kind, load.stderr.read().decode(errors="replace")))
            t_stop = time.perf_counter()
        finally:
            PROCS.Stop(load)
        final = Offset(primary, "master_repl_offset")
        cmds1 = primary.InfoInt("stats", "total_commands_processed")
        own = ps.calls + 2
        deadline = time.perf_counter() + s.catchup_timeout
        while rs.Latest() < final and time.perf_counter() < deadline and rs.is_alive():
            time.sleep(0.005)
        time.sleep(0.05)  # A few samples past the catch-up.
    finally:
        ps.Stop()
        rs.Stop()
    full1 = primary.InfoInt("stats", "sync_full")
    rt = [t for t, _ in rs.samples]
    ro = [o for _, o in rs.samples]
    reached = Crossing(rt, ro, final)
    stats = LagStats(ps.samples, rs.samples, t_start + 0.5, t_stop)
    p_window = [(t, o) for t, o in ps.samples if t_start <= t <= t_stop]
    stream_rate = ((p_window[-1][1] - p_window[0][1]) / (p_window[-1][0] - p_window[0][0])
                   if len(p_window) > 1 else None)
    gaps = [b[0] - a[0] for a, b in zip(ps.samples, ps.samples[1:])]
    gaps_r = [b[0] - a[0] for a, b in zip(rs.samples, rs.samples[1:])]
    stats.update({
        "seconds": t_stop - t_start,
        "writes_per_s": (cmds1 - cmds0 - own) / (t_stop - t_start),
        "stream_bytes_per_s": stream_rate,
        "catchup_ms": None if reached is None else max(0.0, reached - t_stop) * 1000,
        "final_offset": final, "full_resyncs": full1 - full0,
        "primary_samples": len(ps.samples), "replica_samples": len(rs.samples),
        "primary_gap_ms": {"p50": Percentile(gaps, 50) * 1000, "max": max(gaps) * 1000},
        "replica_gap_ms": {"p50": Percentile(gaps_r, 50) * 1000, "max": max(gaps_r) * 1000},
    })
    if reached is None:
        raise RuntimeError("%s: the replica did not reach the primary's offset %d within %.0f "
                           "s after the load stopped (last seen %d); %d full resyncs"
                           % (pair.kind, final, s.catchup_timeout, rs.Latest(),
                              stats["full_resyncs"]))
    return stats


def SectionLag(s, workdir, results):
    pairs = {}
    try:
        for kind in KINDS:
            pairs[kind] = Pair(s, kind, workdir, "lag-%s" % kind.lower())
        runs = {kind: [] for kind in KINDS}
        for rnd in range(1, s.lag_rounds + 1):
            for kind in KINDS:
                r = OneLag(s, pairs[kind])
                runs[kind].append(r)
                Log("lag round %d/%d %-6s %.0f SET/s, %.1f MB/s; lag ms p50 %s p99 %s max %s; "
                    "KiB p50 %s p99 %s max %s; caught up %s ms after; %d full resyncs"
                    % (rnd, s.lag_rounds, kind, r["writes_per_s"],
                       (r["stream_bytes_per_s"] or 0) / 1e6, Fmt(r["time_ms"]["p50"], 1),
                       Fmt(r["time_ms"]["p99"], 1), Fmt(r["time_ms"]["max"], 1),
                       Fmt(Kib(r["bytes"]["p50"]), 1), Fmt(Kib(r["bytes"]["p99"]), 1),
                       Fmt(Kib(r["bytes"]["max"]), 1), Fmt(r["catchup_ms"], 1),
                       r["full_resyncs"]))
        for kind in KINDS:
            ExpectSameSize(pairs[kind].primary, pairs[kind].replica, "the write load")
        results["lag"] = {"runs": runs,
                          "argv": {k: {"primary": pairs[k].primary.argv,
                                       "replica": pairs[k].replica.argv} for k in KINDS}}
    finally:
        for pair in pairs.values():
            pair.Stop()


def Kib(value):
    return None if value is None else value / 1024.0


# ----------------------------------------------------------------------------- fullsync

def Sampled(srv, with_fork_children):
    # persistence.MemorySample reads VmRSS of a process labelled "Basalt", and the Pss of
    # the process plus its fork children otherwise (a Redis primary forks for the sync).
    return types.SimpleNamespace(label="Redis" if with_fork_children else "Basalt",
                                 pid=srv.pid)


def OneFullSync(s, kind, primary, workdir):
    # Each replica's default load path: Redis stores the transfer in a file first
    # (repl-diskless-load disabled). Basalt's default is the same since the directive
    # became real; the published figures are of its socket load, so it is asked for
    # (on-empty-db: the replica is fresh).
    extra = ["--appendonly", "no"]
    if kind == "Basalt":
        extra += ["--repl-diskless-load", "on-empty-db"]
    replica = StartServer(s, kind, workdir, "fullsync-replica-%s" % kind.lower(),
                          s.replica_core, extra)
    try:
        fork = kind == "Redis"
        p_before = persistence.MemorySample(Sampled(primary, fork))
        r_before = Rss(replica.pid)
        interval = 0.02
        psam = persistence.MemorySampler(Sampled(primary, fork), interval)
        rsam = persistence.MemorySampler(Sampled(replica, False), interval)
        psam.start()
        rsam.start()
        try:
            t0 = time.perf_counter()
            reply = replica.conn.Call("REPLICAOF", "127.0.0.1", str(primary.port))
            if not str(reply).startswith("OK"):
                raise RuntimeError("%s: REPLICAOF replied %r" % (kind, reply))
            deadline = t0 + 3600
            saw_sync = saw_loading = False
            t_sync = None
            while True:
                try:
                    info = replica.Info("replication")
                except RespError as e:
                    if not str(e).startswith("LOADING"):
                        raise
                    saw_loading = True
                    info = {}
                if info.get("master_sync_in_progress") == "1" and not saw_sync:
                    saw_sync, t_sync = True, time.perf_counter()
                if (info.get("master_link_status") == "up"
                        and info.get("master_sync_in_progress") == "0"):
                    t_up = time.perf_counter()
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError("%s: replica not up an hour after REPLICAOF" % kind)
                time.sleep(0.01)
            while True:
                try:
                    size = replica.DbSize()
                except RespError as e:
                    if not str(e).startswith("LOADING"):
                        raise
                    size = None
                if size == s.sync_keys:
                    t_equal = time.perf_counter()
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError("%s: replica DBSIZE %r, want %d" % (kind, size,
                                                                          s.sync_keys))
                time.sleep(0.01)
        finally:
            psam.Stop()
            rsam.Stop()
        base = p_before["total"] if kind == "Basalt" else p_before["parent_pss"]
        r_after = Rss(replica.pid)
        return {"seconds": t_equal - t0, "up_s": t_up - t0,
                "sync_seen_s": None if t_sync is None else t_sync - t0,
                "saw_loading": saw_loading, "primary_before": base,
                "primary_peak": max(psam.peak, base), "primary_extra": max(psam.peak, base) - base,
                "fork_child_seen": psam.peak_children > 0, "replica_before": r_before,
                "replica_peak": max(rsam.peak, r_after), "replica_after": r_after,
                "samples": psam.samples, "argv": replica.argv}
    finally:
        StopServer(replica)


def SectionFullSync(s, workdir, results):
    out = {"runs": {}, "fill_s": {}, "argv": {}}
    # One server kind at a time: at 10M keys a primary and its replica hold ~2-3 GB.
    for kind in KINDS:
        primary = StartPrimary(s, kind, workdir, "fullsync-primary-%s" % kind.lower())
        try:
            out["argv"][kind] = primary.argv
            fill = compare.LoadKeys(s, primary.port, s.sync_keys, s.client_core)
            persistence.ExpectDbSize(primary, s.sync_keys, "loading %d keys" % s.sync_keys)
            out["fill_s"][kind] = fill
            Log("fullsync %s: %d keys loaded in %.1f s, primary RSS %.0f MiB"
                % (kind, s.sync_keys, fill, Rss(primary.pid) / MIB))
            runs = []
            for rnd in range(1, s.fullsync_rounds + 1):
                r = OneFullSync(s, kind, primary, workdir)
                runs.append(r)
                Log("fullsync round %d/%d %-6s %.2f s to an equal DBSIZE (link up %.2f s); "
                    "primary peak %.0f MiB (+%.0f), replica peak %.0f MiB%s"
                    % (rnd, s.fullsync_rounds, kind, r["seconds"], r["up_s"],
                       r["primary_peak"] / MIB, r["primary_extra"] / MIB,
                       r["replica_peak"] / MIB,
                       ", fork child seen" if r["fork_child_seen"] else ""))
            out["runs"][kind] = runs
        finally:
            StopServer(primary)
    out["delay_notes"] = dict(SYNC_DELAY_NOTES)
    results["fullsync"] = out


# ----------------------------------------------------------------------------- syncrepl

WAIT_CMD = b"*3\r\n$4\r\nWAIT\r\n$1\r\n1\r\n$1\r\n0\r\n"


def ClientMain(argv):
    """The Python load client: CONNS connections, each sending a batch of PIPELINE
    SETs (plus one `WAIT 1 0` in mode set+wait) and the next batch only once every
    reply of the last has arrived, for SECONDS. Prints one JSON line.

    With --lockstep (what the syncrepl section uses) the connections go in rounds:
    the next batches leave only once every connection's batch is answered. Running
    free, this client measured mostly its own scheduling: on a core shared with the
    replica (and other work), each of its many separate wake-ups can wait for a time
    slice, which made it ~3x slower than in rounds, and slower on plain SETs than on
    SET + WAIT, whose replies come in bursts."""
    parser = argparse.ArgumentParser(prog="replication.py --client")
    parser.add_argument("--client", action="store_true")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=("set", "set+wait"), required=True)
    parser.add_argument("--pipeline", type=int, required=True)
    parser.add_argument("--conns", type=int, default=CLIENTS)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--keyspace", type=int, default=100_000)
    parser.add_argument("--value-size", type=int, default=VALUE_SIZE)
    parser.add_argument("--lockstep", action="store_true",
                        help="rounds: every connection sends its batch, then all wait until "
                        "every reply of the round is in")
    a = parser.parse_args(argv)
    value = b"x" * a.value_size
    rng = random.Random(5)
    batches = []
    for _ in range(1024):  # Pre-rendered: the client's cost per batch is a send.
        cmds = []
        for _ in range(a.pipeline):
            key = b"key:%012d" % rng.randrange(a.keyspace)
            cmds.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
                        % (len(key), key, len(value), value))
        if a.mode == "set+wait":
            cmds.append(WAIT_CMD)
        batches.append(b"".join(cmds))
    wait = a.mode == "set+wait"
    lines_per_batch = a.pipeline + (1 if wait else 0)
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(a.conns):
        sock = socket.create_connection(("127.0.0.1", a.port), timeout=10.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        st = {"sock": sock, "carry": b"", "left": 0, "sent": 0.0, "next": i}
        sel.register(sock, selectors.EVENT_READ, st)
        conns.append(st)

    def Send(st, now):
        data = batches[st["next"] % len(batches)]
        st["next"] += 1
        st["left"] = lines_per_batch
        st["sent"] = now
        view = memoryview(data)
        while view:  # A batch is ~1 KB: the socket buffer takes it at once.
            try:
                view = view[st["sock"].send(view):]
            except BlockingIOError:
                time.sleep(0.0001)

    latencies, ops, errors, wait_zero = [], 0, 0, 0
    idle = []  # --lockstep: connections done with this round's batch
    error_sample = None
    start = time.perf_counter()
    end = start + a.seconds
    last_done = start
    for st in conns:
        Send(st, time.perf_counter())
    active = len(conns)
    while active:
        events = sel.select(timeout=1.0)
        now = time.perf_counter()
        if now > end + 30:
            break  # Replies stopped coming: reported as unfinished.
        for key, _ in events:
            st = key.data
            data = st["sock"].recv(262144)
            if not data:
                raise SystemExit("connection closed by the server")
            buf = st["carry"] + data
            cut = buf.rfind(b"\r\n")
            if cut < 0:
                st["carry"] = buf
                continue
            done, st["carry"] = buf[:cut + 2], buf[cut + 2:]
            # Every reply here is one line: +OK, :<n>, or -<error>.
            n = done.count(b"\r\n")
            if b"-" in done:
                errors += done.startswith(b"-") + done.count(b"\r\n-")
                if error_sample is None:
                    at = done.find(b"-")
                    error_sample = done[at:done.find(b"\r\n", at)].decode(errors="replace")
            if wait and b":0" in done:
                wait_zero += done.startswith(b":0\r\n") + done.count(b"\r\n:0\r\n")
            st["left"] -= n
            if st["left"] <= 0:
                ops += a.pipeline
                latencies.append(now - st["sent"])
                last_done = now
                if a.lockstep:
                    idle.append(st)
                    if len(idle) < active:
                        continue
                    ready, idle = idle, []
                else:
                    ready = [st]
                for st in ready:
                    if now < end:
                        Send(st, now)
                    else:
                        sel.unregister(st["sock"])
                        active -= 1
    for st in conns:
        st["sock"].close()
    elapsed = last_done - start
    print(json.dumps({"ops": ops, "seconds": elapsed, "rps": ops / elapsed if elapsed else 0,
                      "errors": errors, "error_sample": error_sample, "wait_zero": wait_zero,
                      "unfinished": active, "batches": len(latencies),
                      "p50": Percentile(latencies, 50) * 1000 if latencies else None,
                      "p99": Percentile(latencies, 99) * 1000 if latencies else None}))
    return 0


def RunClient(s, port, mode, pipeline):
    argv = Pinned(s.client_core, [compare.PYTHON, os.path.abspath(__file__), "--client",
                                  "--port", str(port), "--mode", mode,
                                  "--pipeline", str(pipeline), "--conns", str(s.clients),
                                  "--seconds", str(s.test_seconds),
                                  "--keyspace", str(s.keyspace),
                                  "--value-size", str(s.value_size), "--lockstep"])
    proc = PROCS.Spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=s.test_seconds + 120)
    finally:
        PROCS.Stop(proc)
    try:
        r = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("python client failed (rc %s): %s"
                           % (proc.returncode, (out + err).decode(errors="replace")[-1500:]))
    if r["unfinished"]:
        raise RuntimeError("python client: %d connections still waiting for replies 30 s "
                           "after the end (mode %s, port %d)" % (r["unfinished"], mode, port))
    return r


def ErrorReplies(srv):
    value = srv.Info("stats").get("total_error_replies")
    return int(value) if value and value.isdigit() else None


def CalibratedN(s, port, pipeline):
    """-n for about TEST_SECONDS of redis-benchmark SET: synchronous mode may be far
    slower than the fixed N_P16 / N_P1 assume."""
    # Small enough that a mode acknowledging only once a second still calibrates in seconds.
    n0 = 5_000 if pipeline == 16 else 500
    rows = RunWrites(s, port, pipeline, n0, tests="set", expect=("SET",))
    return max(n0, int(round(s.test_seconds * rows["SET"]["rps"], -3)))


def Supports(srv, *command):
    try:
        srv.conn.Call(*command)
        return True
    except RespError as e:
        if "unknown command" in str(e) or "Unknown subcommand" in str(e):
            return False
        raise


def StalledReplicaProbe(s, pair):
    """With the replica stopped (SIGSTOP), how long a SET on the synchronous primary
    takes and what it answers: checks that the mode really holds replies."""
    os.kill(pair.replica.pid, signal.SIGSTOP)
    try:
        conn = Conn(pair.primary.port, timeout=s.ack_timeout_ms / 1000.0 + 30)
        try:
            start = time.perf_counter()
            try:
                reply = conn.Call("SET", "probe:stalled", "1")
            except RespError as e:
                reply = "-" + str(e)
            seconds = time.perf_counter() - start
        finally:
            conn.Close()
    finally:
        os.kill(pair.replica.pid, signal.SIGCONT)
    WaitInSync(pair.primary, pair.replica)
    return {"reply": str(reply), "ms": seconds * 1000}


def SectionSyncRepl(s, workdir, results):
    out = {"skipped": None}
    results["syncrepl"] = out
    pairs = {}
    try:
        pairs["Basalt async"] = Pair(s, "Basalt", workdir, "ack-basalt-async")
        got = pairs["Basalt async"].primary.conn.Call("CONFIG", "GET", "min-replicas-ack")
        if not got:
            out["skipped"] = ("this Basalt binary has no `min-replicas-ack` directive (`CONFIG "
                              "GET min-replicas-ack` is empty)")
            Log("syncrepl: skipped (%s)" % out["skipped"])
            return
        try:
            pairs["Basalt sync"] = Pair(s, "Basalt", workdir, "ack-basalt-sync",
                                        ["--min-replicas-ack", "1", "--min-replicas-ack-timeout",
                                         str(s.ack_timeout_ms)])
        except RuntimeError as e:
            # A directive can be known before its values are (Basalt's "... other than '0'
            # is not supported by Basalt yet").
            if "not supported" not in str(e):
                raise
            out["skipped"] = ("this Basalt binary knows `min-replicas-ack` but refused to start "
                              "with it: `%s`" % [x for x in str(e).splitlines()
                                                 if "not supported" in x][0].strip())
            Log("syncrepl: skipped (%s)" % out["skipped"])
            return
        got = pairs["Basalt sync"].primary.conn.Call("CONFIG", "GET", "min-replicas-ack")
        if len(got) != 2 or got[1] != b"1":
            raise RuntimeError("Basalt started with --min-replicas-ack 1 reports %r" % (got,))
        pairs["Redis"] = Pair(s, "Redis", workdir, "ack-redis")
        waits = {name: Supports(pair.primary, "WAIT", "0", "0") for name, pair in pairs.items()}
        out["wait_supported"] = waits
        out["argv"] = {name: pair.primary.argv for name, pair in pairs.items()}
        # redis-benchmark SET, Basalt only: asynchronous vs synchronous.
        bench_targets = ("Basalt async", "Basalt sync")
        ns = {p: CalibratedN(s, pairs["Basalt sync"].primary.port, p) for p in PIPELINES}
        out["bench_n"] = ns
        # The Python client: SET (and SET + WAIT 1 0) on every pair.
        client_runs = [("Basalt async", "set"), ("Basalt sync", "set")]
        if waits["Basalt async"]:
            client_runs.append(("Basalt async", "set+wait"))
        client_runs += [("Redis", "set"), ("Redis", "set+wait")]
        out["client_runs"] = ["%s|%s" % x for x in client_runs]
        bench, client = {}, {}
        for rnd in range(1, s.ack_rounds + 1):
            for p in PIPELINES:
                for name in bench_targets:
                    pair = pairs[name]
                    WaitInSync(pair.primary, pair.replica)
                    e0 = ErrorReplies(pair.primary)
                    rows = RunWrites(s, pair.primary.port, p, ns[p], tests="set",
                                     expect=("SET",))
                    e1 = ErrorReplies(pair.primary)
                    r = dict(rows["SET"], errors=None if e0 is None else e1 - e0)
                    bench.setdefault("%s|%d" % (name, p), []).append(r)
                    Log("syncrepl round %d/%d redis-benchmark %-12s -P %-2d SET %9.0f ops/s, "
                        "p50 %.3f ms, %s error replies" % (rnd, s.ack_rounds, name, p,
                                                          r["rps"], r["p50"], r["errors"]))
                for name, mode in client_runs:
                    pair = pairs[name]
                    WaitInSync(pair.primary, pair.replica)
                    r = RunClient(s, pair.primary.port, mode, p)
                    client.setdefault("%s|%s|%d" % (name, mode, p), []).append(r)
                    Log("syncrepl round %d/%d python client %-12s %-8s -P %-2d %9.0f ops/s, "
                        "p50 %s ms, %d errors%s" % (
                            rnd, s.ack_rounds, name, mode, p, r["rps"], Fmt(r["p50"], 3),
                            r["errors"], " (%s)" % r["error_sample"] if r["errors"] else ""))
        for name in ("Basalt sync", "Redis"):
            ExpectSameSize(pairs[name].primary, pairs[name].replica, "the writes")
        out["probe"] = StalledReplicaProbe(s, pairs["Basalt sync"])
        Log("syncrepl: SET with the replica stopped took %.0f ms and replied %s"
            % (out["probe"]["ms"], out["probe"]["reply"]))
        out["bench"] = bench
        out["client"] = client
    finally:
        for pair in pairs.values():
            pair.Stop()


# ----------------------------------------------------------------------------- report

def Ms(value):
    return Fmt(value, 1)


def RenderThroughput(s, results):
    t = results["throughput"]
    rows, detail = [], []
    for p in PIPELINES:
        for test in TESTS:
            f = {(k, m): t["%s|%s|%d" % (k, m, p)][test] for k in KINDS
                 for m in ("alone", "replica")}
            rows.append(["%s -P %d -c 50" % (test, p),
                         Fmt(f["Basalt", "alone"]["rps"]), Fmt(f["Basalt", "replica"]["rps"]),
                         Ratio(f["Basalt", "replica"]["rps"], f["Basalt", "alone"]["rps"]),
                         Fmt(f["Redis", "alone"]["rps"]), Fmt(f["Redis", "replica"]["rps"]),
                         Ratio(f["Redis", "replica"]["rps"], f["Redis", "alone"]["rps"]),
                         Ratio(f["Basalt", "alone"]["rps"], f["Redis", "alone"]["rps"]),
                         Ratio(f["Basalt", "replica"]["rps"], f["Redis", "replica"]["rps"])])
            detail.append("- %s -P %d: Basalt alone %s; Basalt + replica %s; Redis alone %s; "
                          "Redis + replica %s" % (test, p, *(
                              ", ".join(Fmt(x) for x in f[k, m]["all_rps"])
                              for k in KINDS for m in ("alone", "replica"))))
    cpu_rows = []
    for p in PIPELINES:
        def Share(kind, mode, who):
            return Fmt(Median([x[who] * 100 for x in t["cpu"]["%s|%s|%d" % (kind, mode, p)]]))
        cpu_rows.append(["-P %d" % p] + [Share(k, m, w) for k in KINDS for m, w in (
            ("alone", "primary"), ("replica", "primary"), ("replica", "replica"))])
    for p in PIPELINES:
        detail.append("- Replica in sync after the run (ms), -P %d: Basalt %s; Redis %s" % (
            p, ", ".join(Ms(x * 1000) for x in t["catchup"]["Basalt|replica|%d" % p]),
            ", ".join(Ms(x * 1000) for x in t["catchup"]["Redis|replica|%d" % p])))
    return ("Per server: a primary with one replica attached and a primary alone, both "
            "pinned to core %s (one runs at a time), the replica to core %s, "
            "redis-benchmark to core %s: `-t set,incr -c %d -r %s -d %d`, -n %s at -P 16 and "
            "%s at -P 1; Basalt `--threads %d` (primary and replica). Before each run with "
            "the replica the script waits until it has applied the primary's offset. "
            "Medians of %d alternating round%s.\n\n"
            % (s.primary_core, s.replica_core, s.client_core, s.clients, Fmt(s.keyspace),
               s.value_size, Fmt(s.n[16]), Fmt(s.n[1]), s.basalt_threads, s.rounds,
               "" if s.rounds == 1 else "s")
            + Table(["Test", "Basalt alone", "Basalt + replica", "with/without",
                     "Redis alone", "Redis + replica", "with/without",
                     "Basalt/Redis alone", "Basalt/Redis + replica"], rows)
            + "\n\nops/s. CPU of the server processes during the runs (median, %% of one core; "
            "from /proc/PID/stat, all threads; the client's core %s also runs the replica):"
            "\n\n" % s.client_core
            + Table(["Pipeline", "Basalt alone: primary", "Basalt + replica: primary",
                     "Basalt replica", "Redis alone: primary", "Redis + replica: primary",
                     "Redis replica"], cpu_rows)
            + "\n\nEvery round, in run order:\n\n" + "\n".join(detail))


def RenderLag(s, results):
    runs = results["lag"]["runs"]
    b, r = runs["Basalt"], runs["Redis"]

    def Med(rs, *path):
        return Median([Dig(x, path) for x in rs])

    def Worst(rs, *path):
        values = [Dig(x, path) for x in rs if Dig(x, path) is not None]
        return max(values) if values else None

    def Row(what, fb, fr, digits=0, ratio=True):
        return [what, Fmt(fb, digits), Fmt(fr, digits), Ratio(fb, fr) if ratio else ""]

    rows = [
        Row("SETs/s on the primary during the load (median)", Med(b, "writes_per_s"),
            Med(r, "writes_per_s")),
        Row("Replication stream, MB/s (median)", Mb(Med(b, "stream_bytes_per_s")),
            Mb(Med(r, "stream_bytes_per_s")), 1),
        Row("Lag in time, ms: median (median of rounds)", Med(b, "time_ms", "p50"),
            Med(r, "time_ms", "p50"), 1),
        Row("Lag in time, ms: p99 (median of rounds)", Med(b, "time_ms", "p99"),
            Med(r, "time_ms", "p99"), 1),
        Row("Lag in time, ms: max (worst round)", Worst(b, "time_ms", "max"),
            Worst(r, "time_ms", "max"), 1),
        Row("Lag in bytes, KiB: median (median of rounds)", Kib(Med(b, "bytes", "p50")),
            Kib(Med(r, "bytes", "p50")), 1),
        Row("Lag in bytes, KiB: p99 (median of rounds)", Kib(Med(b, "bytes", "p99")),
            Kib(Med(r, "bytes", "p99")), 1),
        Row("Lag in bytes, KiB: max (worst round)", Kib(Worst(b, "bytes", "max")),
            Kib(Worst(r, "bytes", "max")), 1),
        Row("Replica caught up, ms after the load stopped (worst round)",
            Worst(b, "catchup_ms"), Worst(r, "catchup_ms"), 1),
        Row("Full resyncs during the load (all rounds)", sum(x["full_resyncs"] for x in b),
            sum(x["full_resyncs"] for x in r), ratio=False),
    ]

    def All(rs, fmt, *path):
        return ", ".join(fmt(Dig(x, path)) for x in rs)

    k1 = lambda v: Fmt(Kib(v), 1)  # noqa: E731
    detail = [
        "- SETs/s: Basalt %s; Redis %s" % (All(b, Fmt, "writes_per_s"),
                                          All(r, Fmt, "writes_per_s")),
        "- Lag ms p50 / p99 / max: Basalt %s; Redis %s" % tuple(
            "; ".join("%s / %s / %s" % (Ms(x["time_ms"]["p50"]), Ms(x["time_ms"]["p99"]),
                                        Ms(x["time_ms"]["max"])) for x in rs) for rs in (b, r)),
        "- Lag KiB p50 / p99 / max: Basalt %s; Redis %s" % tuple(
            "; ".join("%s / %s / %s" % (k1(x["bytes"]["p50"]), k1(x["bytes"]["p99"]),
                                        k1(x["bytes"]["max"])) for x in rs) for rs in (b, r)),
        "- Caught up after the load (ms): Basalt %s; Redis %s" % (
            All(b, Ms, "catchup_ms"), All(r, Ms, "catchup_ms")),
        "- Samples primary / replica (median gap, worst gap in ms): Basalt %s; Redis %s"
        % tuple("; ".join("%d / %d (%s, %s / %s, %s)" % (
            x["primary_samples"], x["replica_samples"], Ms(x["primary_gap_ms"]["p50"]),
            Ms(x["primary_gap_ms"]["max"]), Ms(x["replica_gap_ms"]["p50"]),
            Ms(x["replica_gap_ms"]["max"])) for x in rs) for rs in (b, r)),
    ]
    return ("Per server a primary (core %s) and its replica (core %s), Basalt `--threads %d`. "
            "Per round, on core %s: `redis-benchmark -t set -r %s -d %d -P 16 -c %d` for %g s; "
            "meanwhile two threads of the driver (core %s) read `INFO replication` every "
            "%g ms, one on the primary (`master_repl_offset`), one on the replica "
            "(`slave_repl_offset`, what it has applied). *Lag in time*: for each primary "
            "sample (offset O at time t), when the replica's applied offset reached O "
            "(interpolated between its two samples around O) minus t. *Lag in bytes*: at "
            "each replica sample, the primary's offset then (interpolated) minus the "
            "replica's. Statistics over the load window minus its first 0.5 s; %d round%s "
            "per server, alternating.\n\n"
            % (s.primary_core, s.replica_core, s.basalt_threads, s.client_core,
               Fmt(s.lag_keyspace), s.value_size, s.clients, s.lag_seconds, s.client_core,
               s.sample_ms, s.lag_rounds, "" if s.lag_rounds == 1 else "s")
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows)
            + "\n\nEvery round, in run order:\n\n" + "\n".join(detail))


def Dig(d, path):
    for p in path:
        if d is None:
            return None
        d = d[p]
    return d


def Mb(value):
    return None if value is None else value / 1e6


def RenderFullSync(s, results):
    f = results["fullsync"]
    b, r = f["runs"]["Basalt"], f["runs"]["Redis"]

    def Med(rs, key):
        return Median([x[key] for x in rs])

    def Worst(rs, key):
        return max(x[key] for x in rs)

    rate_b, rate_r = s.sync_keys / Med(b, "seconds"), s.sync_keys / Med(r, "seconds")
    rows = [
        ["REPLICAOF → link up and DBSIZE equal, s (median)", Secs(Med(b, "seconds")),
         Secs(Med(r, "seconds")), Ratio(Med(b, "seconds"), Med(r, "seconds"))],
        ["Keys/s through the sync", Fmt(rate_b), Fmt(rate_r), Ratio(rate_b, rate_r)],
        ["REPLICAOF → `master_link_status:up`, s (median)", Secs(Med(b, "up_s")),
         Secs(Med(r, "up_s")), Ratio(Med(b, "up_s"), Med(r, "up_s"))],
        ["Primary memory before the sync, MiB", Mib(Med(b, "primary_before")),
         Mib(Med(r, "primary_before")), Ratio(Med(b, "primary_before"),
                                             Med(r, "primary_before"))],
        ["Primary peak during the sync, MiB (worst round)", Mib(Worst(b, "primary_peak")),
         Mib(Worst(r, "primary_peak")), Ratio(Worst(b, "primary_peak"),
                                             Worst(r, "primary_peak"))],
        ["Primary peak − before, MiB (worst round)", Mib(Worst(b, "primary_extra")),
         Mib(Worst(r, "primary_extra")), Ratio(Worst(b, "primary_extra"),
                                              Worst(r, "primary_extra"))],
        ["Replica peak RSS during the sync, MiB (worst round)", Mib(Worst(b, "replica_peak")),
         Mib(Worst(r, "replica_peak")), Ratio(Worst(b, "replica_peak"),
                                             Worst(r, "replica_peak"))],
        ["Replica RSS once in sync, MiB (median)", Mib(Med(b, "replica_after")),
         Mib(Med(r, "replica_after")), Ratio(Med(b, "replica_after"),
                                            Med(r, "replica_after"))],
        ["Dataset fill of the primary (redis-cli --pipe), s", Secs(f["fill_s"]["Basalt"]),
         Secs(f["fill_s"]["Redis"]), Ratio(f["fill_s"]["Basalt"], f["fill_s"]["Redis"])],
    ]

    def All(rs, key, fmt):
        return ", ".join(fmt(x[key]) for x in rs)

    detail = [
        "- To an equal DBSIZE (s): Basalt %s; Redis %s" % (All(b, "seconds", Secs),
                                                          All(r, "seconds", Secs)),
        "- Primary peak (MiB): Basalt %s; Redis %s (fork child seen: %s)" % (
            All(b, "primary_peak", Mib), All(r, "primary_peak", Mib),
            ", ".join("yes" if x["fork_child_seen"] else "no" for x in r)),
        "- Replica peak (MiB): Basalt %s; Redis %s" % (All(b, "replica_peak", Mib),
                                                      All(r, "replica_peak", Mib)),
        "- Memory samples of the primary: Basalt %s; Redis %s" % (All(b, "samples", Fmt),
                                                                 All(r, "samples", Fmt)),
    ]
    return ("%s distinct keys (16-byte names, %d-byte values) loaded into a primary pinned to "
            "core %s; per round a fresh, empty replica on core %s gets `REPLICAOF 127.0.0.1 "
            "PORT`, and the driver polls its `INFO replication` every 10 ms, then `DBSIZE`. "
            "Both primaries send the snapshot diskless (`repl-diskless-sync yes`, "
            "`repl-diskless-sync-delay 0`%s; Redis forks a child that writes the RDB to the "
            "socket, Basalt's snapshot thread does without a fork). The Redis replica stores "
            "the RDB in a temporary file and then loads it (`repl-diskless-load disabled`, its "
            "default); Basalt's replica loads straight from the socket. Memory sampled every "
            "20 ms: Basalt VmRSS; Redis primary Pss of the parent plus its fork child (pages "
            "shared by the two counted once), Redis replica VmRSS. No writes during the sync. "
            "%d round%s per server.\n\n"
            % (Fmt(s.sync_keys), s.value_size, s.primary_core, s.replica_core, "".join(
                "; **%s refused the delay 0 and waited its default 5 s**: `%s`" % (k, v)
                for k, v in f.get("delay_notes", {}).items()),
               s.fullsync_rounds, "" if s.fullsync_rounds == 1 else "s")
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows)
            + "\n\nEvery round, in run order:\n\n" + "\n".join(detail))


def RenderSyncRepl(s, results):
    a = results["syncrepl"]
    if a.get("skipped"):
        return "_Synchronous mode not measured: %s._" % a["skipped"]
    rows = []
    for p in PIPELINES:
        runs = {name: a["bench"]["%s|%d" % (name, p)] for name in ("Basalt async", "Basalt sync")}
        med = {name: {k: Median([x[k] for x in rs]) for k in ("rps", "p50", "p99")}
               for name, rs in runs.items()}
        errs = [x["errors"] for x in runs["Basalt sync"]]
        n = a["bench_n"].get(p, a["bench_n"].get(str(p)))  # str after a JSON round trip
        rows.append(["SET -P %d -c %d (-n %s)" % (p, s.clients, Fmt(n)),
                     Fmt(med["Basalt async"]["rps"]), Fmt(med["Basalt sync"]["rps"]),
                     Ratio(med["Basalt sync"]["rps"], med["Basalt async"]["rps"]),
                     Fmt(med["Basalt async"]["p50"], 3), Fmt(med["Basalt sync"]["p50"], 3),
                     Fmt(med["Basalt async"]["p99"], 3), Fmt(med["Basalt sync"]["p99"], 3),
                     "n/a" if None in errs else Fmt(sum(errs))])
    crow = []
    detail = []
    for p in PIPELINES:
        base = {}
        for key in a["client_runs"]:
            name, mode = key.split("|")
            rs = a["client"]["%s|%d" % (key, p)]
            rps = Median([x["rps"] for x in rs])
            if mode == "set" and name != "Basalt sync":
                base[name.split()[0]] = rps
            label = {"Basalt async|set": "Basalt, asynchronous: SET",
                     "Basalt sync|set": "Basalt, min-replicas-ack 1: SET",
                     "Basalt async|set+wait": "Basalt, asynchronous: SET + WAIT 1 0",
                     "Redis|set": "Redis: SET",
                     "Redis|set+wait": "Redis: SET + WAIT 1 0"}[key]
            crow.append(["%s, -P %d" % (label, p), Fmt(rps),
                         Ratio(rps, base.get(name.split()[0])),
                         Fmt(Median([x["p50"] for x in rs]), 3),
                         Fmt(Median([x["p99"] for x in rs]), 3),
                         Fmt(sum(x["errors"] + x["wait_zero"] for x in rs))])
            detail.append("- %s -P %d: %s" % (label, p, ", ".join(Fmt(x["rps"]) for x in rs)))
    for p in PIPELINES:
        detail.append("- redis-benchmark -P %d: asynchronous %s; synchronous %s" % (
            p, ", ".join(Fmt(x["rps"]) for x in a["bench"]["Basalt async|%d" % p]),
            ", ".join(Fmt(x["rps"]) for x in a["bench"]["Basalt sync|%d" % p])))
    probe = a["probe"]
    notes = []
    if not a["wait_supported"].get("Basalt async"):
        notes.append("Basalt has no `WAIT` yet (`unknown command`), so its SET + WAIT rows are "
                     "missing.")
    return ("Basalt only (Redis has no synchronous mode): two Basalt primaries (core %s) with "
            "one replica each (core %s), one with the default asynchronous replication, one "
            "started with `--min-replicas-ack 1 --min-replicas-ack-timeout %d` (each write's "
            "reply held until the replica acknowledged its offset). redis-benchmark `-t set "
            "-c %d -r %s -d %d` on core %s, the same -n for both, calibrated to ~%g s in the "
            "synchronous mode. Medians of %d alternating "
            "round%s. *Errors*: growth of `total_error_replies` on the primary during the "
            "runs (redis-benchmark counts error replies as completed requests).\n\n"
            % (s.primary_core, s.replica_core, s.ack_timeout_ms, s.clients, Fmt(s.keyspace),
               s.value_size, s.client_core, s.test_seconds, s.ack_rounds,
               "" if s.ack_rounds == 1 else "s")
            + Table(["Test", "Async ops/s", "Sync ops/s", "Sync/async", "Async p50 ms",
                     "Sync p50 ms", "Async p99 ms", "Sync p99 ms", "Sync errors"], rows)
            + "\n\nThe closest Redis has is `WAIT 1 0` after the writes: the client learns "
            "that they reached the replica before it goes on, though Redis has already "
            "applied them and other clients can read them. redis-benchmark cannot send it, so "
            "the same %d-connection Python client (`bench/replication.py --client`, core %s) "
            "ran against every primary, in lock-step rounds for %g s: every connection sends "
            "a batch of P SETs (followed by one `WAIT 1 0` in the WAIT rows, which covers the "
            "whole batch), and the next round starts once every reply of this one is in. The "
            "client is slower than redis-benchmark (compare the asynchronous SET rows with the "
            "table above), so compare each row with its own server's asynchronous SET row "
            "(*Relative*) rather than with redis-benchmark. Latency is per batch. *Errors*: "
            "error replies plus WAIT replies of 0.%s\n\n"
            % (s.clients, s.client_core, s.test_seconds, (" " + " ".join(notes)) if notes else "")
            + Table(["Python client", "ops/s", "Relative", "p50 ms", "p99 ms", "Errors"], crow)
            + "\n\nWith the replica stopped (SIGSTOP), one SET on the synchronous primary took "
            "%s ms and got `%s` (ack timeout %d ms).\n\nEvery round's ops/s, in run order:\n\n"
            % (Fmt(probe["ms"]), probe["reply"], s.ack_timeout_ms)
            + "\n".join(detail))


def RenderEnvironment(s, env):
    lines = [
        "- Date (UTC): %s" % env["date"],
        "- Commit: %s" % env["commit"],
        "- Machine: %s, %d cores, %s RAM, Linux %s; shared with other engineers' builds "
        "and tests, so figures are noisy" % (env["cpu"], env["cores"], env["ram"],
                                             env["kernel"]),
        "- Load average before / after: %s / %s" % (env["load_before"], env["load_after"]),
        "- Basalt: `%s` (%s; binary built %s UTC; run from a copy taken at the start)"
        % (s.basalt, env["basalt_version"], env["basalt_built"]),
        "- Redis: `%s` (%s)" % (s.redis, env["redis_version"]),
        "- Pinning: primary core %s, replica core %s, redis-benchmark / Python client / "
        "driver core %s" % (s.primary_core, s.replica_core, s.client_core),
        "- Settings: sections %s; throughput: %d rounds, -n %s / %s at -P 16 / 1; lag: %d "
        "rounds of %g s, sampled every %g ms; fullsync: %s keys, %d rounds; syncrepl: %d "
        "rounds of ~%g s per test%s"
        % (",".join(s.sections), s.rounds, Fmt(s.n[16]), Fmt(s.n[1]), s.lag_rounds,
           s.lag_seconds, s.sample_ms, Fmt(s.sync_keys), s.fullsync_rounds, s.ack_rounds,
           s.test_seconds, "; **QUICK=1 smoke run: few rounds, small dataset, figures "
           "indicative only**" if s.quick else ""),
    ]
    if not s.basalt_is_basalt:
        lines.append("- **Validation run: BASALT_SERVER is not a Basalt binary, so both "
                     "columns measure redis-server.**")
    return "\n".join(lines)


RENDERERS = {"throughput": RenderThroughput, "lag": RenderLag, "fullsync": RenderFullSync,
             "syncrepl": RenderSyncRepl}
TITLES = {"environment": "Environment", "throughput": "Primary throughput with and without "
          "a replica", "lag": "Replication lag under a full write load",
          "fullsync": "Full sync", "syncrepl": "Synchronous replication"}
DOC_PREFIX = "replication-"  # blocks <!-- bench:replication-NAME:begin/end --> (compare.WriteDocs)


# ----------------------------------------------------------------------------- main

def CheckTools(s):
    try:
        compare.CheckTools(s)
    except SystemExit as e:
        raise SystemExit(str(e).replace("bench/compare", "bench/replication"))


def Run(s):
    """Runs the sections; returns (environment, results, failures)."""
    # The driver samples INFO and /proc while the servers work: keep it on the client core.
    if s.client_core:
        os.sched_setaffinity(0, {int(c) for c in s.client_core.split(",")})
    workdir = tempfile.mkdtemp(prefix="basalt-repl-")
    results, failures = {}, {}
    try:
        # A private copy, so that a rebuild of build/ during the run cannot swap binaries.
        os.makedirs(os.path.join(workdir, "bin"))
        s.basalt_bin = os.path.join(workdir, "bin", os.path.basename(s.basalt))
        shutil.copy2(s.basalt, s.basalt_bin)
        Log("sections: %s; Basalt=%s Redis=%s%s" % (",".join(s.sections), s.basalt, s.redis,
                                                     " (QUICK)" if s.quick else ""))
        env = compare.Environment(types.SimpleNamespace(basalt=s.basalt_bin, redis=s.redis),
                                  workdir)
        env["basalt_built"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(s.basalt), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        sections = {"throughput": SectionThroughput, "lag": SectionLag,
                    "fullsync": SectionFullSync, "syncrepl": SectionSyncRepl}
        persistence.RunSections(s.sections, sections, s, workdir, results, failures)
        env["load_after"] = compare.ReadLoad()
    finally:
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)
    return env, results, failures


def Report(s, env, results, failures):
    def Write(path, blocks):
        compare.WriteDocs(path, {DOC_PREFIX + k: v for k, v in blocks.items()})
    persistence.PrintReport(s, env, results, failures, "replication", RenderEnvironment(s, env),
                            RENDERERS, TITLES, ALL_SECTIONS, Write,
                            "; QUICK=1" if s.quick else "")


def FromJson(s, path):
    """(environment, results, failures) of an earlier --json run; its settings go to `s`."""
    with open(path) as f:
        data = json.load(f)
    keep = ("write_docs", "docs_file", "default_docs", "json_out")
    for key, value in data["settings"].items():
        if key not in keep:
            setattr(s, key, value)
    s.n = {int(p): n for p, n in s.n.items()}  # JSON made the pipeline keys strings.
    return data["environment"], data["results"], data["failures"]


def main():
    if "--client" in sys.argv[1:]:
        return ClientMain(sys.argv[1:])
    return persistence.BenchMain("replication", ALL_SECTIONS, Settings, FromJson, CheckTools,
                                 Run, Report)


if __name__ == "__main__":
    sys.exit(main())
