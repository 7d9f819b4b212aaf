#!/usr/bin/python3
"""Side-by-side persistence benchmark of Basalt and redis-server 7.0; run through
bench/persistence.

What it measures and why is written in docs/benchmarks.md (section "Persistence").
Three sections, each against fresh servers started here and stopped here, one data
directory per server under a temporary directory (DATA_DIR) removed at the end:

  aof     redis-benchmark -t set,incr,lpush -c 50 at -P 1 and -P 16 with
          `appendonly yes` and appendfsync always, everysec and no; both servers
          pinned to one core, the client to another; alternating rounds, medians.
  bgsave  KEYS keys loaded into each server, then per round a write load
          (redis-benchmark -t set -r KEYS -P 16 -c 20) and, while it runs, BGSAVE:
          wall time until rdb_bgsave_in_progress:0, peak extra memory sampled every
          ~20 ms (Basalt: VmRSS; Redis: Pss of the parent plus its fork child), the
          load's writes/s before and during the save, rdb_last_cow_size.
  load    start-up time (process start until PING answers PONG instead of -LOADING,
          and the server's own "DB loaded from ..." log line) from the RDB files the
          bgsave section wrote (or a SAVE of KEYS keys if it did not run), and from an
          AOF whose incr file holds KEYS SET commands.

Progress goes to stderr; the final markdown goes to stdout and, with --write-docs,
between the `<!-- persistence:NAME:begin -->` / `<!-- persistence:NAME:end -->`
markers of docs/benchmarks.md. Helpers (RESP client, process registry with
PR_SET_PDEATHSIG, redis-cli --pipe loader, formatting) come from bench/compare.py.

Environment (all optional): BASALT_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI,
QUICK=1, ROUNDS (aof section), TEST_SECONDS, N_P1, N_P16, KEYSPACE, FSYNC_MODES,
KEYS, SAVE_ROUNDS, LOAD_ROUNDS, SAMPLE_MS, SAVE_LOAD_CLIENTS, DATA_DIR,
SERVER_CORE, CLIENT_CORE, BASALT_THREADS, SECTIONS, WRITE_DOCS=1, DOCS_FILE, JSON_OUT.
"""

import argparse
import datetime
import json
import mmap
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # No __pycache__ in bench/ from importing compare.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (bench/compare.py: shared process, RESP and report helpers)
from compare import (PROCS, Conn, EnvBool, EnvInt, EnvStr, Fmt, Log, Median,  # noqa: E402
                     Pinned, Ratio, RespError, Table)

REPO = compare.REPO
ALL_SECTIONS = ("aof", "bgsave", "load")
AOF_TESTS = ("SET", "INCR", "LPUSH")
PIPELINES = (1, 16)
CLIENTS = 50
VALUE_SIZE = 32
LOADED_RE = re.compile(rb"DB loaded from (disk|append only file): ([0-9.]+) seconds")
MIB = 2**20


# ----------------------------------------------------------------------------- settings

class Settings:
    def __init__(self, args):
        self.basalt = os.path.abspath(
            EnvStr("BASALT_SERVER", os.path.join(REPO, "build", "basalt-server")))
        self.redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
        self.benchmark = EnvStr("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
        self.cli = EnvStr("REDIS_CLI", "/usr/bin/redis-cli")
        self.quick = EnvBool("QUICK", False)
        # aof section. -n is calibrated per (policy, pipeline) so that one test lasts about
        # TEST_SECONDS: appendfsync always runs ~100x slower than no at -P 1.
        self.rounds = EnvInt("ROUNDS", 1 if self.quick else 5)
        self.test_seconds = float(EnvStr("TEST_SECONDS", "0.5" if self.quick else "2.5"))
        self.fixed_n = {1: EnvInt("N_P1", 0), 16: EnvInt("N_P16", 0)}
        self.keyspace = EnvInt("KEYSPACE", 100_000)
        self.fsync_modes = [m.strip() for m in
                            EnvStr("FSYNC_MODES", "always,everysec,no").split(",") if m.strip()]
        for m in self.fsync_modes:
            if m not in ("always", "everysec", "no"):
                raise SystemExit("FSYNC_MODES: unknown appendfsync policy %r" % m)
        self.clients = CLIENTS
        self.value_size = VALUE_SIZE  # compare.LoadKeys reads it
        # bgsave and load sections.
        self.keys = EnvInt("KEYS", 200_000 if self.quick else 10_000_000)
        self.save_rounds = EnvInt("SAVE_ROUNDS", 1 if self.quick else 3)
        self.load_rounds = EnvInt("LOAD_ROUNDS", 1 if self.quick else 2)
        self.sample_ms = float(EnvStr("SAMPLE_MS", "20"))
        self.save_load_clients = EnvInt("SAVE_LOAD_CLIENTS", 20)
        self.warmup_s = 0.5 if self.quick else 1.5
        self.baseline_s = 1.0 if self.quick else 2.0
        self.data_dir = os.path.abspath(EnvStr("DATA_DIR", tempfile.gettempdir()))
        self.server_core = EnvStr("SERVER_CORE", "0")
        self.client_core = EnvStr("CLIENT_CORE", "1")
        self.basalt_threads = EnvInt("BASALT_THREADS", 1)
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

    def Servers(self):
        """(label, binary, threads) of the two servers, Basalt first."""
        return (("Basalt", self.basalt, self.basalt_threads), ("Redis", self.redis, None))


# ----------------------------------------------------------------------------- /proc

def ProcField(path, field):
    """Value in bytes of a `Field:   N kB` line of a /proc file; None if unreadable."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def Rss(pid):
    return ProcField("/proc/%d/status" % pid, "VmRSS")


def Pss(pid):
    # smaps_rollup splits every page shared between a parent and its fork child in two,
    # so parent Pss + child Pss counts each physical page once.
    return ProcField("/proc/%d/smaps_rollup" % pid, "Pss")


def ChildPids(pid):
    """Children of every thread of `pid` (a fork child of redis-server's main thread)."""
    children = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                    children += [int(x) for x in f.read().split()]
            except OSError:
                continue
    except OSError:
        pass
    return children


def DirBytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


# ----------------------------------------------------------------------------- servers

class PServer:
    """One server process on a free loopback port with the data dir it is given.

    Unlike compare.Server it takes persistence arguments, can be restarted on the same
    directory, and times its start-up: Start() returns the seconds from spawning the
    process until PING answers PONG (rather than -LOADING or a refused connection)."""

    def __init__(self, label, binary, data_dir, cpus, threads, extra):
        self.label = label
        self.binary = binary
        self.data_dir = data_dir
        self.cpus = cpus
        self.threads = threads
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.conn = None
        self.argv = None
        self.log_path = None
        self.starts = 0
        self.saw_loading = False

    def Start(self, timeout=20.0):
        os.makedirs(self.data_dir, exist_ok=True)
        for _ in range(3):
            self.port = compare.FreePort()
            argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--dir", self.data_dir, "--save", ""] + self.extra
            if self.threads is not None and "basalt" in os.path.basename(self.binary).lower():
                argv += ["--threads", str(self.threads)]
            self.argv = Pinned(self.cpus, argv)
            self.starts += 1
            self.log_path = os.path.join(self.data_dir, "server-%d.log" % self.starts)
            with open(self.log_path, "wb") as log:
                start = time.perf_counter()
                self.proc = PROCS.Spawn(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
            if self._WaitPong(timeout):
                return time.perf_counter() - start
            PROCS.Stop(self.proc)
            tail = self.LogText()[-2000:].decode(errors="replace")
            if "in use" not in tail:  # Only a lost port race is worth a retry.
                break
        raise RuntimeError("%s did not answer PONG within %.0f s (%s); log tail:\n%s"
                           % (self.label, timeout, shlex.join(self.argv), tail))

    def _WaitPong(self, timeout):
        deadline = time.perf_counter() + timeout
        conn = None
        self.saw_loading = False
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if conn is None:
                    conn = Conn(self.port, timeout=5.0)
                if conn.Call("PING") == "PONG":
                    conn.sock.settimeout(600.0)
                    self.conn = conn
                    return True
            except RespError as e:
                if not str(e).startswith("LOADING"):
                    raise RuntimeError("%s answered PING with -%s" % (self.label, e))
                self.saw_loading = True
            except OSError:
                if conn is not None:
                    conn.Close()
                conn = None
            time.sleep(0.01)
        if conn is not None:
            conn.Close()
        return False

    def Stop(self):
        if self.conn is not None:
            self.conn.Close()
            self.conn = None
        if self.proc is not None:
            # SIGTERM: a clean shutdown (Redis flushes and fsyncs its AOF; with save ""
            # neither server writes an RDB on the way out).
            PROCS.Stop(self.proc, timeout=120)
            if self.proc.returncode not in (0, -signal.SIGTERM):
                Log("%s exited with status %s" % (self.label, self.proc.returncode))
            self.proc = None

    @property
    def pid(self):
        return self.proc.pid

    def Info(self, section):
        text = self.conn.Call("INFO", section)
        info = {}
        for line in (text or b"").decode(errors="replace").splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                info[key.strip()] = value.strip()
        return info

    def InfoInt(self, section, field):
        value = self.Info(section).get(field)
        if value is None or not value.lstrip("-").isdigit():
            raise RuntimeError("%s: INFO %s has no integer %s (%r)"
                               % (self.label, section, field, value))
        return int(value)

    def DbSize(self):
        return self.conn.Call("DBSIZE")

    def LogText(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()
        except (OSError, TypeError):
            return b""

    def LoadedSeconds(self):
        """(kind, seconds) from the last "DB loaded from ..." line of this start's log."""
        found = LOADED_RE.findall(self.LogText())
        if not found:
            return None, None
        kind, seconds = found[-1]
        return kind.decode(), float(seconds)


def Fresh(workdir, name):
    path = os.path.join(workdir, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def ExpectDbSize(srv, want, what):
    try:
        got = srv.DbSize()
    except RespError as e:
        # Seen with a Basalt build that served clients before it began loading.
        raise RuntimeError("%s: DBSIZE answered -%s after %s, although PING had answered "
                           "PONG" % (srv.label, e, what))
    if got != want:
        raise RuntimeError("%s: DBSIZE %r after %s (want %d)" % (srv.label, got, what, want))


# ----------------------------------------------------------------------------- aof

def RunWriteBench(s, port, pipeline, n):
    """redis-benchmark -t set,incr,lpush; returns {SET|INCR|LPUSH: {rps, p50, p99}}."""
    return compare.RunBench(s, port, ["-t", "set,incr,lpush"], pipeline, n, s.client_core,
                            AOF_TESTS, value_size=s.value_size, timeout=1800)


def CheckAofRun(srv, aof_dir, bytes_before, n):
    """redis-benchmark counts error replies as completed requests, so check that the
    commands reached the server's data and its AOF."""
    time.sleep(0.2)  # A writer thread may still hold the last few milliseconds.
    info = srv.Info("persistence")
    grown = DirBytes(aof_dir) - bytes_before
    # The shortest of the three commands (INCR counter:<12 digits>) is 41 bytes of RESP.
    problems = []
    if info.get("aof_enabled") != "1":
        problems.append("aof_enabled is %r" % info.get("aof_enabled"))
    if info.get("aof_last_write_status") != "ok":
        problems.append("aof_last_write_status is %r" % info.get("aof_last_write_status"))
    if grown < 3 * n * 40:
        problems.append("the AOF grew by %d bytes for %d commands" % (grown, 3 * n))
    if not srv.DbSize() or not srv.conn.Call("LLEN", "mylist"):
        problems.append("no keys or an empty mylist after SET/INCR/LPUSH")
    if problems:
        raise RuntimeError("%s: %s" % (srv.label, "; ".join(problems)))


def Calibrate(s, servers, pipeline):
    """-n for one (policy, pipeline): a short warm-up run on each server, then the count
    that makes one test last about TEST_SECONDS at the median rate of both."""
    if s.fixed_n[pipeline]:
        return s.fixed_n[pipeline]
    n0 = 2_000 if pipeline == 1 else 20_000
    rates = []
    for srv in servers:
        rows = RunWriteBench(s, srv.port, pipeline, n0)
        rates += [rows[t]["rps"] for t in AOF_TESTS]
    return max(n0, int(round(s.test_seconds * statistics.median(rates), -3)))


def SectionAof(s, workdir, results):
    out = {"n": {}, "argv": {}}
    for mode in s.fsync_modes:
        extra = ["--appendonly", "yes", "--appendfsync", mode,
                 "--auto-aof-rewrite-percentage", "0"]
        servers = [PServer(label, binary, Fresh(workdir, "aof-%s-%s" % (mode, label.lower())),
                           s.server_core, threads, extra)
                   for label, binary, threads in s.Servers()]
        try:
            for srv in servers:
                srv.Start()
            out["argv"][mode] = {srv.label: srv.argv for srv in servers}
            ns = {p: Calibrate(s, servers, p) for p in PIPELINES}
            out["n"][mode] = ns
            Log("aof %s: -n %d at -P 1, %d at -P 16" % (mode, ns[1], ns[16]))
            samples = {(srv.label, p): [] for srv in servers for p in PIPELINES}
            for rnd in range(1, s.rounds + 1):
                for p in PIPELINES:
                    for srv in servers:
                        aof_dir = os.path.join(srv.data_dir, "appendonlydir")
                        before = DirBytes(aof_dir)
                        rows = RunWriteBench(s, srv.port, p, ns[p])
                        if rnd == 1:
                            CheckAofRun(srv, aof_dir, before, ns[p])
                        samples[(srv.label, p)].append(rows)
                        Log("aof %-8s round %d/%d %-6s -P %-2d %s" % (
                            mode, rnd, s.rounds, srv.label, p,
                            "  ".join("%s %8.0f" % (t, rows[t]["rps"]) for t in AOF_TESTS)))
            for (label, p), runs in samples.items():
                out["%s|%s|%d" % (mode, label, p)] = {
                    t: {"rps": Median([r[t]["rps"] for r in runs]),
                        "p50": Median([r[t]["p50"] for r in runs]),
                        "p99": Median([r[t]["p99"] for r in runs]),
                        "all_rps": [r[t]["rps"] for r in runs]} for t in AOF_TESTS}
        finally:
            for srv in servers:
                srv.Stop()
                shutil.rmtree(srv.data_dir, ignore_errors=True)
    results["aof"] = out


# ----------------------------------------------------------------------------- bgsave

def MemorySample(srv):
    """Basalt: VmRSS of the one process. Redis: Pss of the parent plus Pss of its fork
    children. Pss is read for Basalt too, so that both samplers cost the same."""
    parent_pss = Pss(srv.pid)
    children = ChildPids(srv.pid)
    child_pss = 0
    for pid in children:
        child_pss += Pss(pid) or 0  # The child may exit between the listing and the read.
    rss = Rss(srv.pid)
    if srv.label == "Basalt":
        total = rss
    else:
        total = (parent_pss or 0) + child_pss
    return {"total": total, "rss": rss, "parent_pss": parent_pss, "child_pss": child_pss,
            "children": len(children)}


class MemorySampler(threading.Thread):
    """Samples MemorySample(srv) every `interval` seconds until Stop(), keeping the peak.

    A thread of its own so that the cadence holds even when the server is slow to
    answer INFO (Redis's parent, sharing its core with the fork child, can take
    100 ms per reply)."""

    def __init__(self, srv, interval):
        super().__init__(daemon=True)
        self.srv = srv
        self.interval = interval
        self.done = threading.Event()
        self.peak = 0
        self.peak_children = 0
        self.samples = 0
        self.error = None

    def run(self):
        next_at = time.perf_counter()
        try:
            while not self.done.is_set():
                m = MemorySample(self.srv)
                self.samples += 1
                self.peak = max(self.peak, m["total"] or 0)
                self.peak_children = max(self.peak_children, m["children"])
                next_at += self.interval
                self.done.wait(max(0.0, next_at - time.perf_counter()))
        except Exception as e:  # Reported by Stop(): a dead sampler must fail the round.
            self.error = e

    def Stop(self):
        self.done.set()
        self.join()
        if self.error is not None:
            raise RuntimeError("%s: memory sampler failed: %s" % (self.srv.label, self.error))


def StartWriteLoad(s, port):
    argv = Pinned(s.client_core, [s.benchmark, "-h", "127.0.0.1", "-p", str(port),
                                  "-t", "set", "-r", str(s.keys), "-n", "2000000000",
                                  "-d", str(s.value_size), "-P", "16",
                                  "-c", str(s.save_load_clients), "-q"])
    return PROCS.Spawn(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def CommandsProcessed(srv):
    return srv.InfoInt("stats", "total_commands_processed"), time.perf_counter()


def OneBgsave(s, srv):
    """One BGSAVE under the write load; returns its figures."""
    load = StartWriteLoad(s, srv.port)
    try:
        time.sleep(s.warmup_s)
        if load.poll() is not None:
            raise RuntimeError("%s: the write load exited early: %s"
                               % (srv.label, load.stderr.read().decode(errors="replace")))
        c_a, t_a = CommandsProcessed(srv)
        time.sleep(s.baseline_s)
        before = MemorySample(srv)
        c_b, t_b = CommandsProcessed(srv)
        own_calls = 0  # commands of ours that total_commands_processed also counts
        interval = s.sample_ms / 1000.0
        sampler = MemorySampler(srv, interval)
        t0 = time.perf_counter()
        sampler.start()
        try:
            reply = srv.conn.Call("BGSAVE")
            own_calls += 1
            if not str(reply).startswith("Background saving started"):
                raise RuntimeError("%s: BGSAVE replied %r" % (srv.label, reply))
            deadline = t0 + 3600
            polls = 0
            while True:
                info = srv.Info("persistence")
                own_calls += 1
                polls += 1
                if info.get("rdb_bgsave_in_progress") == "0":
                    t1 = time.perf_counter()
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError("%s: BGSAVE still in progress after an hour"
                                       % srv.label)
                time.sleep(interval)
        finally:
            sampler.Stop()
        c_c, t_c = CommandsProcessed(srv)
        if load.poll() is not None:
            raise RuntimeError("%s: the write load died during the save: %s"
                               % (srv.label, load.stderr.read().decode(errors="replace")))
    finally:
        PROCS.Stop(load)
    if info.get("rdb_last_bgsave_status") != "ok":
        raise RuntimeError("%s: rdb_last_bgsave_status is %r; log tail:\n%s"
                           % (srv.label, info.get("rdb_last_bgsave_status"),
                              srv.LogText()[-1500:].decode(errors="replace")))
    base = before["total"] if srv.label == "Basalt" else before["parent_pss"]
    peak = max(sampler.peak, base)
    dump = os.path.join(srv.data_dir, "dump.rdb")
    return {"seconds": t1 - t0, "peak": peak, "before": base, "extra": peak - base,
            "cow": int(info.get("rdb_last_cow_size", "0") or 0),
            "writes_before": (c_b - c_a - 1) / (t_b - t_a),
            "writes_during": (c_c - c_b - own_calls - 1) / (t_c - t_b),
            "samples": sampler.samples, "polls": polls,
            "children_seen": sampler.peak_children,
            "rdb_bytes": os.path.getsize(dump) if os.path.exists(dump) else None}


def LoadDataset(s, srv):
    seconds = compare.LoadKeys(s, srv.port, s.keys, s.client_core)
    ExpectDbSize(srv, s.keys, "loading %d keys" % s.keys)
    Log("%s: %d keys loaded in %.1f s (%.0f keys/s), RSS %.0f MiB"
        % (srv.label, s.keys, seconds, s.keys / seconds, Rss(srv.pid) / MIB))
    return seconds


def SectionBgsave(s, workdir, results):
    servers = [PServer(label, binary, Fresh(workdir, "bgsave-%s" % label.lower()),
                       s.server_core, threads, ["--appendonly", "no"])
               for label, binary, threads in s.Servers()]
    out = {"argv": {}, "runs": {srv.label: [] for srv in servers}, "fill_s": {}}
    try:
        # Both servers hold the dataset for the whole section (~1 + 1.5 GB at 10M keys),
        # so that rounds can alternate between them.
        for srv in servers:
            srv.Start()
            out["argv"][srv.label] = srv.argv
            out["fill_s"][srv.label] = LoadDataset(s, srv)
        for rnd in range(1, s.save_rounds + 1):
            for srv in servers:
                r = OneBgsave(s, srv)
                out["runs"][srv.label].append(r)
                Log("bgsave round %d/%d %-6s %.2f s, extra %.0f MiB (before %.0f MiB), "
                    "cow %.0f MiB, writes/s %.0f before, %.0f during, %d samples%s"
                    % (rnd, s.save_rounds, srv.label, r["seconds"], r["extra"] / MIB,
                       r["before"] / MIB, r["cow"] / MIB, r["writes_before"],
                       r["writes_during"], r["samples"],
                       ", fork child seen" if r["children_seen"] else ""))
                time.sleep(1.0)  # Let the write-back of the new RDB file start elsewhere.
        os.makedirs(os.path.join(workdir, "dumps"), exist_ok=True)
        for srv in servers:
            ExpectDbSize(srv, s.keys, "the saves")
            os.link(os.path.join(srv.data_dir, "dump.rdb"),
                    os.path.join(workdir, "dumps", "%s.rdb" % srv.label.lower()))
    finally:
        for srv in servers:
            srv.Stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)
    results["bgsave"] = out


# ----------------------------------------------------------------------------- load

def MakeDumps(s, workdir):
    """The load section without the bgsave section: each server writes its RDB with SAVE."""
    os.makedirs(os.path.join(workdir, "dumps"), exist_ok=True)
    for label, binary, threads in s.Servers():
        srv = PServer(label, binary, Fresh(workdir, "dump-%s" % label.lower()),
                      s.server_core, threads, ["--appendonly", "no"])
        try:
            srv.Start()
            LoadDataset(s, srv)
            if srv.conn.Call("SAVE") != "OK":
                raise RuntimeError("%s: SAVE failed" % label)
            os.link(os.path.join(srv.data_dir, "dump.rdb"),
                    os.path.join(workdir, "dumps", "%s.rdb" % label.lower()))
        finally:
            srv.Stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)


def TimedLoad(s, srv, what):
    seconds = srv.Start(timeout=3600)
    ExpectDbSize(srv, s.keys, what)
    kind, logged = srv.LoadedSeconds()
    return {"seconds": seconds, "logged": logged, "log_kind": kind,
            "saw_loading": srv.saw_loading, "rss": Rss(srv.pid)}


def SectionLoad(s, workdir, results):
    dumps = os.path.join(workdir, "dumps")
    if not all(os.path.exists(os.path.join(dumps, "%s.rdb" % x)) for x in ("basalt", "redis")):
        MakeDumps(s, workdir)
    out = {"rdb": {}, "aof": {}, "argv": {}, "files": {}}
    for writer in ("redis", "basalt"):
        out["files"]["rdb-" + writer] = os.path.getsize(os.path.join(dumps, writer + ".rdb"))
    # RDB: every server loads the file each server wrote; rounds alternate.
    for rnd in range(1, s.load_rounds + 1):
        for writer in ("redis", "basalt"):
            for label, binary, threads in s.Servers():
                data_dir = Fresh(workdir, "load-%s" % label.lower())
                os.link(os.path.join(dumps, writer + ".rdb"),
                        os.path.join(data_dir, "dump.rdb"))
                srv = PServer(label, binary, data_dir, s.server_core, threads,
                              ["--appendonly", "no"])
                try:
                    r = TimedLoad(s, srv, "loading the RDB written by %s" % writer)
                    out["argv"]["rdb|" + label] = srv.argv
                finally:
                    srv.Stop()
                    shutil.rmtree(data_dir, ignore_errors=True)
                out["rdb"].setdefault("%s|%s" % (writer, label), []).append(r)
                Log("load round %d/%d %-6s RDB by %-6s: PONG after %.2f s, log says %s s"
                    % (rnd, s.load_rounds, label, writer, r["seconds"], r["logged"]))
    # AOF: write the dataset with appendonly on, then restart: the incr file is replayed.
    extra = ["--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"]
    for label, binary, threads in s.Servers():
        srv = PServer(label, binary, Fresh(workdir, "aof-load-%s" % label.lower()),
                      s.server_core, threads, extra)
        try:
            srv.Start()
            fill = LoadDataset(s, srv)
            srv.Stop()
            aof_dir = os.path.join(srv.data_dir, "appendonlydir")
            files = {name: os.path.getsize(os.path.join(aof_dir, name))
                     for name in sorted(os.listdir(aof_dir))}
            runs = []
            for rnd in range(1, s.load_rounds + 1):
                r = TimedLoad(s, srv, "replaying the AOF")
                out["argv"]["aof|" + label] = srv.argv
                srv.Stop()
                runs.append(r)
                Log("load round %d/%d %-6s AOF: PONG after %.2f s, log says %s s"
                    % (rnd, s.load_rounds, label, r["seconds"], r["logged"]))
        finally:
            srv.Stop()
            shutil.rmtree(srv.data_dir, ignore_errors=True)
        out["aof"][label] = {"runs": runs, "fill_s": fill, "files": files}
    results["load"] = out


# ----------------------------------------------------------------------------- report

def Mib(value):
    if value is None:
        return "n/a"
    return Fmt(value / MIB, 0 if abs(value) >= 100 * MIB else 1)


def Secs(value):
    return Fmt(value, 2)


def RenderAof(s, results):
    a = results["aof"]
    rows, detail = [], []
    for mode in s.fsync_modes:
        for p in PIPELINES:
            b, r = a["%s|Basalt|%d" % (mode, p)], a["%s|Redis|%d" % (mode, p)]
            for t in AOF_TESTS:
                rows.append(["%s, %s, -P %d" % (t, mode, p), Fmt(b[t]["rps"]),
                             Fmt(r[t]["rps"]), Ratio(b[t]["rps"], r[t]["rps"]),
                             Fmt(b[t]["p50"], 3), Fmt(r[t]["p50"], 3),
                             Fmt(b[t]["p99"], 3), Fmt(r[t]["p99"], 3)])
                detail.append("- %s %s -P %d (-n %s): Basalt %s; Redis %s" % (
                    t, mode, p, Fmt(a["n"][mode][p]),
                    ", ".join(Fmt(x) for x in b[t]["all_rps"]),
                    ", ".join(Fmt(x) for x in r[t]["all_rps"])))
    return ("`appendonly yes`, `auto-aof-rewrite-percentage 0`, Basalt `--threads %d`; each "
            "server pinned to core %s, redis-benchmark to core %s; -c %d, -r %s, -d %d; -n "
            "per policy and pipeline depth below. Medians of %d alternating round%s.\n\n"
            % (s.basalt_threads, s.server_core, s.client_core, s.clients, Fmt(s.keyspace),
               s.value_size, s.rounds, "" if s.rounds == 1 else "s")
            + Table(["Test, appendfsync, pipeline", "Basalt ops/s", "Redis ops/s",
                     "Basalt/Redis", "Basalt p50 ms", "Redis p50 ms", "Basalt p99 ms",
                     "Redis p99 ms"], rows)
            + "\n\nEvery round's ops/s, in run order:\n\n" + "\n".join(detail))


def RenderBgsave(s, results):
    g = results["bgsave"]
    b, r = g["runs"]["Basalt"], g["runs"]["Redis"]

    def Med(runs, key):
        return Median([x[key] for x in runs])

    def Worst(runs, key):
        return max(x[key] for x in runs)

    def All(runs, key, fmt):
        return ", ".join(fmt(x[key]) for x in runs)

    rows = [
        ["BGSAVE wall time, s (median)", Secs(Med(b, "seconds")), Secs(Med(r, "seconds")),
         Ratio(Med(b, "seconds"), Med(r, "seconds"))],
        ["Peak extra memory, MiB (worst round)", Mib(Worst(b, "extra")),
         Mib(Worst(r, "extra")), Ratio(Worst(b, "extra"), Worst(r, "extra"))],
        ["Peak extra memory, MiB (median)", Mib(Med(b, "extra")), Mib(Med(r, "extra")),
         Ratio(Med(b, "extra"), Med(r, "extra"))],
        ["rdb_last_cow_size, MiB (worst round)", Mib(Worst(b, "cow")), Mib(Worst(r, "cow")),
         Ratio(Worst(b, "cow"), Worst(r, "cow"))],
        ["Memory just before BGSAVE, MiB (Basalt VmRSS, Redis Pss)", Mib(Med(b, "before")),
         Mib(Med(r, "before")), Ratio(Med(b, "before"), Med(r, "before"))],
        ["Writes/s during the save (median)", Fmt(Med(b, "writes_during")),
         Fmt(Med(r, "writes_during")), Ratio(Med(b, "writes_during"),
                                             Med(r, "writes_during"))],
        # Only the first round's rate is clean: after a fork Redis pays a fault on the first
        # write to every page, so its rate before a later save is still recovering.
        ["Writes/s just before the first save", Fmt(b[0]["writes_before"]),
         Fmt(r[0]["writes_before"]), Ratio(b[0]["writes_before"], r[0]["writes_before"])],
        ["RDB file of the first round, MiB", Mib(b[0]["rdb_bytes"]), Mib(r[0]["rdb_bytes"]),
         Ratio(b[0]["rdb_bytes"], r[0]["rdb_bytes"])],
        ["Dataset fill (redis-cli --pipe), s", Secs(g["fill_s"]["Basalt"]),
         Secs(g["fill_s"]["Redis"]), Ratio(g["fill_s"]["Basalt"], g["fill_s"]["Redis"])],
    ]
    detail = [
        "- Wall time (s): Basalt %s; Redis %s" % (All(b, "seconds", Secs), All(r, "seconds", Secs)),
        "- Extra memory (MiB): Basalt %s; Redis %s" % (All(b, "extra", Mib), All(r, "extra", Mib)),
        "- rdb_last_cow_size (MiB): Basalt %s; Redis %s" % (All(b, "cow", Mib),
                                                            All(r, "cow", Mib)),
        "- Writes/s during: Basalt %s; Redis %s" % (All(b, "writes_during", Fmt),
                                                    All(r, "writes_during", Fmt)),
        "- Writes/s just before: Basalt %s; Redis %s" % (All(b, "writes_before", Fmt),
                                                         All(r, "writes_before", Fmt)),
        "- RDB file (MiB): Basalt %s; Redis %s" % (All(b, "rdb_bytes", Mib),
                                                   All(r, "rdb_bytes", Mib)),
        "- Memory samples per save: Basalt %s; Redis %s (fork child seen in Redis's: %s)"
        % (All(b, "samples", Fmt), All(r, "samples", Fmt),
           ", ".join("yes" if x["children_seen"] else "no" for x in r)),
    ]
    return ("%s distinct keys (16-byte names, 32-byte values) in each server, `--appendonly "
            "no`, Basalt `--threads %d`, both pinned to core %s (Redis's fork child "
            "inherits it). Per round, on core %s: `redis-benchmark -t set -r %d -P 16 -c %d "
            "-d %d` runs %.1f s, its rate is measured for %.1f s, then BGSAVE; memory is "
            "sampled every %g ms until `rdb_bgsave_in_progress:0`. %d round%s per server, "
            "alternating.\n\n"
            % (Fmt(s.keys), s.basalt_threads, s.server_core, s.client_core, s.keys,
               s.save_load_clients, s.value_size, s.warmup_s, s.baseline_s, s.sample_ms,
               s.save_rounds, "" if s.save_rounds == 1 else "s")
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows)
            + "\n\nEvery round, in run order:\n\n" + "\n".join(detail))


def RenderLoad(s, results):
    ld = results["load"]
    rows, detail = [], []

    def Line(what, runs_b, runs_r):
        pb, pr = Median([x["seconds"] for x in runs_b]), Median([x["seconds"] for x in runs_r])
        lb, lr = Median([x["logged"] for x in runs_b]), Median([x["logged"] for x in runs_r])
        rows.append([what, Secs(pb), Secs(pr), Ratio(pb, pr), Fmt(lb, 3), Fmt(lr, 3),
                     Mib(Median([x["rss"] for x in runs_b])),
                     Mib(Median([x["rss"] for x in runs_r]))])
        detail.append("- %s, s to PONG: Basalt %s; Redis %s%s" % (
            what, ", ".join(Secs(x["seconds"]) for x in runs_b),
            ", ".join(Secs(x["seconds"]) for x in runs_r),
            "" if all(x["saw_loading"] for x in runs_b + runs_r) else
            " (-LOADING not seen in every run: the load was shorter than the polling)"))

    for writer, name in (("redis", "Redis"), ("basalt", "Basalt")):
        Line("RDB written by %s (%s MiB)" % (name, Mib(ld["files"]["rdb-" + writer])),
             ld["rdb"]["%s|Basalt" % writer], ld["rdb"]["%s|Redis" % writer])
    ab, ar = ld["aof"]["Basalt"], ld["aof"]["Redis"]
    Line("AOF, incr file of %s SETs (Basalt %s MiB, Redis %s MiB)"
         % (Fmt(s.keys), Mib(sum(ab["files"].values())), Mib(sum(ar["files"].values()))),
         ab["runs"], ar["runs"])
    files = "; ".join("%s: %s" % (label, ", ".join(
        "`%s` %s B" % (n, Fmt(v)) for n, v in ld["aof"][label]["files"].items()))
        for label in ("Basalt", "Redis"))
    return ("%s keys; each server pinned to core %s (Basalt `--threads %d`), started on a "
            "data dir holding only the file to load. *To PONG*: from spawning the process "
            "until PING answers PONG (polled every 10 ms; -LOADING before). *Log*: the "
            "server's `DB loaded from disk / append only file: X seconds`. Files are in the "
            "page cache (just written): this is parsing and insertion, not disk reads. "
            "Medians of %d round%s.\n\n"
            % (Fmt(s.keys), s.server_core, s.basalt_threads, s.load_rounds,
               "" if s.load_rounds == 1 else "s")
            + Table(["Start-up from", "Basalt s to PONG", "Redis s to PONG", "Basalt/Redis",
                     "Basalt log s", "Redis log s", "Basalt RSS MiB", "Redis RSS MiB"], rows)
            + "\n\n" + "\n".join(detail)
            + "\n- Writing the AOF (`redis-cli --pipe`, appendfsync everysec): Basalt %s s, "
              "Redis %s s\n- AOF files: %s"
            % (Secs(ab["fill_s"]), Secs(ar["fill_s"]), files))


def RenderEnvironment(s, env):
    fs = env["fs"]
    lines = [
        "- Date (UTC): %s" % env["date"],
        "- Commit: %s" % env["commit"],
        "- Machine: %s, %d cores, %s RAM, Linux %s"
        % (env["cpu"], env["cores"], env["ram"], env["kernel"]),
        "- Load average before / after: %s / %s" % (env["load_before"], env["load_after"]),
        "- Basalt: `%s` (%s; binary built %s UTC)"
        % (s.basalt, env["basalt_version"], env["basalt_built"]),
        "- Redis: `%s` (%s)" % (s.redis, env["redis_version"]),
        "- Data dirs under `%s`: file system %s (`df -T`) on `%s` mounted on `%s` (`%s`); "
        "fsync after a 100-byte append there: median %s ms of %d"
        % (s.data_dir, fs["type"], fs["device"], fs["mount"], fs["options"],
           Fmt(fs["fsync_ms"], 2), fs["fsync_samples"]),
        "- Page faults in this VM: first touch %s µs, copy-on-write after fork %s µs per "
        "4 KiB page (64 MiB anonymous mapping)" % (Fmt(env["fault_us"], 1), Fmt(env["cow_us"], 1)),
        "- Settings: sections %s; aof: rounds %d, ~%g s per test; bgsave/load: %s keys, %d "
        "save rounds, %d load rounds%s"
        % (",".join(s.sections), s.rounds, s.test_seconds, Fmt(s.keys), s.save_rounds,
           s.load_rounds, "; QUICK=1 (smoke run, figures not meaningful)" if s.quick else ""),
    ]
    if not s.basalt_is_basalt:
        lines.append("- **Validation run: BASALT_SERVER is not a Basalt binary, so both "
                     "columns measure redis-server.**")
    return "\n".join(lines)


RENDERERS = {"aof": RenderAof, "bgsave": RenderBgsave, "load": RenderLoad}
TITLES = {"environment": "Environment", "aof": "AOF write throughput",
          "bgsave": "BGSAVE under a write load", "load": "Start-up load time"}


def WriteDocs(path, blocks):
    with open(path) as f:
        text = f.read()
    for name, body in blocks.items():
        pattern = re.compile(r"(<!-- persistence:%s:begin -->\n).*?(<!-- persistence:%s:end -->)"
                             % (re.escape(name), re.escape(name)), re.S)
        if not pattern.search(text):
            raise RuntimeError("%s has no <!-- persistence:%s:begin/end --> markers"
                               % (path, name))
        text = pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- main

def FileSystem(path):
    """Type, device, mount point and options of the file system holding `path`, and the
    median latency of fsync after a small append there (what appendfsync always pays)."""
    fs = {"type": "unknown", "device": "unknown", "mount": "unknown", "options": "unknown"}
    try:
        lines = subprocess.run(["df", "-T", path], capture_output=True,
                               text=True).stdout.splitlines()
        fields = lines[-1].split()
        fs.update(device=fields[0], type=fields[1], mount=fields[-1])
        with open("/proc/mounts") as f:
            for line in f:
                dev, mnt, _, opts = line.split()[:4]
                if mnt == fs["mount"] and dev == fs["device"]:
                    fs["options"] = opts
    except (OSError, IndexError, ValueError):
        pass
    probe = os.path.join(path, "fsync-probe")
    times = []
    fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        for _ in range(100):
            os.write(fd, b"x" * 100)
            start = time.perf_counter()
            os.fsync(fd)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        os.close(fd)
        os.unlink(probe)
    fs["fsync_ms"] = statistics.median(times)
    fs["fsync_samples"] = len(times)
    return fs


def PageFaultMicros(size=64 * MIB):
    """Cost per 4 KiB page of a first-touch fault and of a copy-on-write fault after fork,
    measured on an anonymous private mapping: the price a forking snapshot makes the
    parent pay for every page it writes while the child lives."""
    page = mmap.PAGESIZE
    region = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    try:
        start = time.perf_counter()
        for i in range(0, size, page):
            region[i] = 1
        first = (time.perf_counter() - start) / (size // page) * 1e6
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # The child only keeps the pages shared until the parent is done.
            os.close(wfd)
            os.read(rfd, 1)
            os._exit(0)
        os.close(rfd)
        try:
            start = time.perf_counter()
            for i in range(0, size, page):
                region[i] = 2
            cow = (time.perf_counter() - start) / (size // page) * 1e6
        finally:
            os.close(wfd)
            os.waitpid(pid, 0)
    finally:
        region.close()
    return first, cow


def CheckTools(s):
    problems = []
    for name, path in (("BASALT_SERVER", s.basalt), ("REDIS_SERVER", s.redis),
                       ("REDIS_BENCHMARK", s.benchmark), ("REDIS_CLI", s.cli)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append("%s=%s is not an executable file" % (name, path))
    if not shutil.which("taskset"):
        problems.append("taskset (util-linux) is missing")
    if os.cpu_count() < 2:
        problems.append("need at least 2 cores (server core and client core)")
    if not os.path.isdir(s.data_dir):
        problems.append("DATA_DIR=%s is not a directory" % s.data_dir)
    if problems:
        hint = "" if os.path.exists(s.basalt) else (
            "\n(build Basalt with `make build`, or point BASALT_SERVER at a binary)")
        raise SystemExit("bench/persistence: " + "; ".join(problems) + hint)


def RunSections(names, runners, s, workdir, results, failures):
    """Runs runners[name](s, workdir, results) for each name; a section that fails is
    logged and recorded in failures[name] (and its partial results dropped), and the
    others still run. Shared by bench/persistence, bench/replication, bench/failover."""
    for name in names:
        Log("--- %s" % name)
        started = time.time()
        try:
            runners[name](s, workdir, results)
        except (RuntimeError, OSError, RespError, subprocess.SubprocessError,
                ValueError, KeyError) as e:
            failures[name] = "%s: %s" % (type(e).__name__, e)
            results.pop(name, None)
            Log("%s FAILED: %s" % (name, e))
        Log("--- %s took %.0f s" % (name, time.time() - started))


def Run(s):
    """Runs the sections; returns (environment, results, failures)."""
    # The driver samples memory and polls INFO while the servers work: keep it on the
    # client core so that it never takes time from a server.
    if s.client_core:
        os.sched_setaffinity(0, {int(c) for c in s.client_core.split(",")})
    workdir = tempfile.mkdtemp(prefix="basalt-persist-", dir=s.data_dir)
    results, failures = {}, {}
    try:
        Log("sections: %s; Basalt=%s Redis=%s; data under %s%s"
            % (",".join(s.sections), s.basalt, s.redis, workdir, " (QUICK)" if s.quick else ""))
        env = compare.Environment(s, workdir)
        env["basalt_built"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(s.basalt), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        env["fs"] = FileSystem(workdir)
        env["fault_us"], env["cow_us"] = PageFaultMicros()
        Log("data dir file system: %s on %s, fsync %.2f ms; page fault %.1f us, COW fault "
            "%.1f us" % (env["fs"]["type"], env["fs"]["device"], env["fs"]["fsync_ms"],
                         env["fault_us"], env["cow_us"]))
        sections = {"aof": SectionAof, "bgsave": SectionBgsave, "load": SectionLoad}
        RunSections(s.sections, sections, s, workdir, results, failures)
        env["load_after"] = compare.ReadLoad()
    finally:
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)
    return env, results, failures


def FromJson(s, path):
    """(environment, results, failures) of an earlier run saved with --json, and its
    settings applied to `s`, so that the report can be rendered again."""
    with open(path) as f:
        data = json.load(f)
    keep = ("write_docs", "docs_file", "default_docs", "json_out")
    for key, value in data["settings"].items():
        if key not in keep:
            setattr(s, key, value)
    # JSON turned the integer pipeline depths used as keys into strings.
    for mode, ns in data["results"].get("aof", {}).get("n", {}).items():
        data["results"]["aof"]["n"][mode] = {int(p): n for p, n in ns.items()}
    return data["environment"], data["results"], data["failures"]


def PrintReport(s, env, results, failures, what, env_block, renderers, titles, all_sections,
                write_docs, stamp_extra=""):
    """Prints the markdown report of a bench/persistence or bench/replication run and,
    with --write-docs, hands the blocks to write_docs(path, blocks)."""
    blocks = {"environment": env_block}
    for name in s.sections:
        if name in results and name not in failures:
            blocks[name] = renderers[name](s, results)
    out = ["## Basalt vs Redis: %s" % what, ""]
    for name, body in blocks.items():
        out += ["### " + titles[name], "", body, ""]
    for name, error in failures.items():
        out += ["### %s: FAILED" % titles[name], "", "```", error.strip(), "```", ""]
    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")
    sys.stdout.flush()
    if not s.write_docs:
        return
    # The environment block describes the run that wrote the other blocks, so a run
    # with failures, or of only some sections, leaves it alone and stamps its own.
    if failures or set(s.sections) != set(all_sections):
        stamp = ("\n\n_Partial run (`--sections %s`): %s UTC, commit %s, load average "
                 "before / after %s / %s%s._"
                 % (",".join(s.sections), env["date"], env["commit"], env["load_before"],
                    env["load_after"], stamp_extra))
        blocks = {k: v + stamp for k, v in blocks.items() if k != "environment"}
    if blocks:
        write_docs(s.docs_file, blocks)
        Log("updated %s (%s)" % (s.docs_file, ", ".join(blocks)))


def Report(s, env, results, failures):
    """Prints the markdown report and, with --write-docs, updates the docs file."""
    PrintReport(s, env, results, failures, "persistence", RenderEnvironment(s, env), RENDERERS,
                TITLES, ALL_SECTIONS, WriteDocs)


def BenchMain(name, sections, settings_cls, from_json, check_tools, run, report):
    """The command line shared by bench/persistence and bench/replication:
    --write-docs, --sections, --json, --from-json; stops every process on a signal."""
    parser = argparse.ArgumentParser(description="Basalt vs redis-server %s "
                                     "benchmark (see docs/benchmarks.md)." % name)
    parser.add_argument("--write-docs", action="store_true",
                        help="update the marked %s sections of docs/benchmarks.md "
                        "(or DOCS_FILE)" % name)
    parser.add_argument("--sections", help="comma list of %s" % ",".join(sections))
    parser.add_argument("--json", help="also write the raw results as JSON to this file")
    parser.add_argument("--from-json", help="run nothing: render the report (and with "
                        "--write-docs the docs) again from a file written by --json")
    args = parser.parse_args()
    s = settings_cls(args)
    if args.from_json:
        env, results, failures = from_json(s, args.from_json)
    else:
        check_tools(s)
    if s.write_docs and not s.basalt_is_basalt and s.docs_file == s.default_docs:
        raise SystemExit("bench/%s: refusing to write %s from a run where "
                         "BASALT_SERVER is not Basalt (set DOCS_FILE to write elsewhere)"
                         % (name, s.docs_file))
    if not args.from_json:
        def OnSignal(signum, frame):
            raise KeyboardInterrupt("signal %d" % signum)
        # SIGINT explicitly too: a shell that starts us in the background leaves it ignored.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, OnSignal)
        try:
            env, results, failures = run(s)
        except KeyboardInterrupt:
            Log("interrupted; every process started here is stopped")
            return 130
        if s.json_out:
            with open(s.json_out, "w") as f:
                json.dump({"settings": vars(s), "environment": env, "results": results,
                           "failures": failures}, f, indent=1, default=str)
    report(s, env, results, failures)
    return 1 if failures else 0


def main():
    return BenchMain("persistence", ALL_SECTIONS, Settings, FromJson, CheckTools, Run, Report)


if __name__ == "__main__":
    sys.exit(main())
