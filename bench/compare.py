#!/usr/bin/python3
"""Side-by-side benchmark of Basalt and redis-server 7.0; run through bench/compare.

What it measures and why is written in docs/benchmarks.md. In short, six
sections, each against fresh servers started here and stopped here:

  throughput  GET/SET with redis-benchmark at -P 16 and -P 1 (-c 50), servers pinned
              to one core, client to another, alternating Basalt/Redis rounds, medians.
  threads     the same -P 16 run with Basalt on 2 worker threads, nothing pinned.
  memory      bytes per key after loading 1,000,000 distinct 16-byte keys / 32-byte values.
  types-memory      bytes per element of hashes, lists, sets and sorted sets, per encoding.
  types-throughput  HSET/HGET/LPUSH/LPOP/SADD/ZADD/ZRANGE like the throughput section.
  growth      worst latency a probe client sees while a server grows to 10,000,000 keys.

Progress goes to stderr; the final markdown goes to stdout and, with --write-docs,
between the `<!-- bench:NAME:begin -->` / `<!-- bench:NAME:end -->` markers of
docs/benchmarks.md. Every process started here is stopped on exit, error or
Ctrl-C (and, through PR_SET_PDEATHSIG, even if this script is killed).

Environment (all optional): BASALT_SERVER, REDIS_SERVER, REDIS_BENCHMARK, REDIS_CLI,
QUICK=1, ROUNDS, N_P16, N_P1, N_TYPES_P16, N_TYPES_P1, KEYSPACE, MEM_KEYS, GROWTH=0/1, GROWTH_KEYS,
GROWTH_ROUNDS, PROBE_INTERVAL_MS, SERVER_CORE, CLIENT_CORE, BASALT_THREADS_MT, SECTIONS,
WRITE_DOCS=1, DOCS_FILE, JSON_OUT.
"""

import argparse
import csv
import ctypes
import datetime
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(REPO, "bench")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
ALL_SECTIONS = ("throughput", "threads", "memory", "types-memory", "types-throughput",
                "growth")
TESTS = ("SET", "GET")
PIPELINES = (16, 1)
# types-memory workloads (see bench/gen_types.py) and their key counts in a full run.
TYPE_CASES = (("hash-small", 10_000), ("hash-large", 1), ("list", 1_000),
              ("set-hashtable", 1_000), ("set-intset", 10_000), ("zset-small", 10_000),
              ("zset-large", 1_000))
TYPE_LEN_COMMAND = {"hash": "HLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD"}
TYPE_TESTS = ("HSET", "HGET", "LPUSH", "LPOP", "SADD", "ZADD", "ZRANGE")
TYPE_HGET_KEYS = 100_000  # myhash:<12 digits> keys that HGET draws from (-r)
TYPE_LIST_PREFILL = 100_000  # elements in mylist before any LPOP runs
TYPE_VALUE = b"v" * 8

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_types  # noqa: E402  (bench/gen_types.py, next to this file)


# ----------------------------------------------------------------------------- settings

def EnvStr(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def EnvInt(name, default):
    return int(EnvStr(name, str(default)).replace("_", ""))


def EnvBool(name, default):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.lower() in ("1", "yes", "true", "on")


class Settings:
    def __init__(self, args):
        self.basalt = os.path.abspath(
            EnvStr("BASALT_SERVER", os.path.join(REPO, "build", "basalt-server")))
        self.redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
        self.benchmark = EnvStr("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
        self.cli = EnvStr("REDIS_CLI", "/usr/bin/redis-cli")
        self.quick = EnvBool("QUICK", False)
        self.rounds = EnvInt("ROUNDS", 3 if self.quick else 5)
        # Seven tests per round make types-throughput long: 3 rounds unless ROUNDS is set.
        self.types_rounds = EnvInt("ROUNDS", 3)
        # Sized so that one redis-benchmark run takes a few seconds on this machine
        # (~600-800k ops/s at -P 16, ~50k ops/s at -P 1).
        self.n = {16: EnvInt("N_P16", 200_000 if self.quick else 2_000_000),
                  1: EnvInt("N_P1", 20_000 if self.quick else 200_000)}
        self.keyspace = EnvInt("KEYSPACE", 100_000)
        self.clients = 50
        self.value_size = 32
        self.mem_keys = EnvInt("MEM_KEYS", 1_000_000)
        # types-throughput: 5 built-in tests + HGET + ZRANGE per run, ~1-2 s each.
        self.types_n = {16: EnvInt("N_TYPES_P16", 100_000 if self.quick else 1_000_000),
                        1: EnvInt("N_TYPES_P1", 10_000 if self.quick else 100_000)}
        # types-memory: QUICK loads a tenth of the keys (same elements per key, so the
        # same encodings).
        self.types_cases = [(case, keys if keys == 1 or not self.quick else keys // 10)
                            for case, keys in TYPE_CASES]
        self.growth_keys = EnvInt("GROWTH_KEYS", 1_000_000 if self.quick else 10_000_000)
        self.growth_rounds = EnvInt("GROWTH_ROUNDS", 1)
        self.probe_interval_ms = float(EnvStr("PROBE_INTERVAL_MS", "1"))
        self.server_core = EnvStr("SERVER_CORE", "0")
        self.client_core = EnvStr("CLIENT_CORE", "1")
        self.mt_threads = EnvInt("BASALT_THREADS_MT", 2)
        sections = args.sections or EnvStr("SECTIONS", "")
        if sections:
            self.sections = [s.strip() for s in sections.split(",") if s.strip()]
        else:
            growth = EnvBool("GROWTH", not self.quick)
            self.sections = [s for s in ALL_SECTIONS if s != "growth" or growth]
        for s in self.sections:
            if s not in ALL_SECTIONS:
                raise SystemExit("unknown section %r (known: %s)" % (s, ", ".join(ALL_SECTIONS)))
        self.write_docs = args.write_docs or EnvBool("WRITE_DOCS", False)
        self.default_docs = os.path.join(REPO, "docs", "benchmarks.md")
        self.docs_file = os.path.abspath(EnvStr("DOCS_FILE", self.default_docs))
        self.json_out = args.json or EnvStr("JSON_OUT", "")
        self.basalt_is_basalt = "basalt" in os.path.basename(self.basalt).lower()


def Log(message):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


# ----------------------------------------------------------------------------- processes

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


_DRIVER_PID = os.getpid()


def _DieWithParent():
    # Children get SIGTERM if this script dies without running its cleanup (SIGKILL).
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    # The driver may have died between fork and prctl: then nobody will signal us.
    if os.getppid() != _DRIVER_PID:
        os._exit(1)


class Processes:
    """Every child process goes through here so that cleanup can stop all of them."""

    def __init__(self):
        self.live = []

    def Spawn(self, argv, **kwargs):
        proc = subprocess.Popen(argv, preexec_fn=_DieWithParent, start_new_session=True,
                                **kwargs)
        self.live.append(proc)
        return proc

    def Stop(self, proc, timeout=10):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc in self.live:
            self.live.remove(proc)

    def StopAll(self):
        for proc in reversed(list(self.live)):
            try:
                self.Stop(proc, timeout=5)
            except Exception as e:  # Keep going: the other children must die too.
                Log("could not stop pid %d: %s" % (proc.pid, e))


PROCS = Processes()


def Pinned(cpus, argv):
    return (["taskset", "-c", cpus] if cpus else []) + list(argv)


def FreePort():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RespError(Exception):
    pass


class Conn:
    """Minimal blocking RESP2 client: enough for PING, INFO, DBSIZE, FLUSHALL."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def Close(self):
        self.sock.close()

    def Call(self, *args):
        parts = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(parts))
        return self._Read()

    def _Line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _Exactly(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by server")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _Read(self):
        line = self._Line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RespError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self._Exactly(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._Read() for _ in range(n)]
        raise RespError("unexpected reply line %r" % line[:60])


class Server:
    """One server process on a free loopback port with an empty data dir of its own."""

    def __init__(self, label, binary, workdir, cpus, threads=None):
        self.label = label
        self.binary = binary
        self.workdir = workdir
        self.cpus = cpus
        self.threads = threads
        self.proc = None
        self.port = None
        self.conn = None
        self.argv = None

    def Start(self):
        for attempt in range(3):
            self.port = FreePort()
            data_dir = tempfile.mkdtemp(prefix="%s-" % self.label.split()[0].lower(),
                                        dir=self.workdir)
            argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", data_dir]
            if self.threads is not None and "basalt" in os.path.basename(self.binary).lower():
                argv += ["--threads", str(self.threads)]
            self.argv = Pinned(self.cpus, argv)
            log_path = os.path.join(data_dir, "server.log")
            with open(log_path, "wb") as log:
                self.proc = PROCS.Spawn(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
            if self._WaitReady(log_path):
                return self
            PROCS.Stop(self.proc)
            with open(log_path, "rb") as f:
                tail = f.read()[-2000:].decode(errors="replace")
            if "in use" not in tail:  # Only a lost port race is worth a retry.
                break
        raise RuntimeError("%s did not start (%s); log tail:\n%s"
                           % (self.label, shlex.join(self.argv), tail))

    def _WaitReady(self, log_path, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                conn = Conn(self.port, timeout=2.0)
                if conn.Call("PING") == "PONG":
                    conn.sock.settimeout(120.0)
                    self.conn = conn
                    return True
                conn.Close()
            except (OSError, RespError):
                pass
            time.sleep(0.05)
        return False

    def Stop(self):
        if self.conn is not None:
            self.conn.Close()
            self.conn = None
        if self.proc is not None:
            PROCS.Stop(self.proc)
            self.proc = None

    def Info(self, section=None):
        try:
            text = self.conn.Call(*(["INFO", section] if section else ["INFO"]))
        except RespError:
            return {}
        info = {}
        for line in (text or b"").decode(errors="replace").splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                info[key.strip()] = value.strip()
        return info

    def UsedMemory(self):
        value = self.Info("memory").get("used_memory")
        return int(value) if value and value.isdigit() else None

    def Rss(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return None

    def DbSize(self):
        return self.conn.Call("DBSIZE")

    def __enter__(self):
        return self.Start()

    def __exit__(self, *exc):
        self.Stop()


# ----------------------------------------------------------------------------- clients

def RunRedisBenchmark(s, port, pipeline, n, cpus):
    """One redis-benchmark run of SET then GET; returns {test: {rps, p50, p99, ...}}."""
    argv = Pinned(cpus, [s.benchmark, "-h", "127.0.0.1", "-p", str(port), "-t", "set,get",
                         "-n", str(n), "-r", str(s.keyspace), "-d", str(s.value_size),
                         "-P", str(pipeline), "-c", str(s.clients), "--csv"])
    proc = PROCS.Spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=900)
    finally:
        PROCS.Stop(proc)
    rows = {}
    for row in csv.DictReader(io.StringIO(out.decode(errors="replace"))):
        try:
            rows[row["test"]] = {
                "rps": float(row["rps"]), "avg": float(row["avg_latency_ms"]),
                "p50": float(row["p50_latency_ms"]), "p99": float(row["p99_latency_ms"]),
                "max": float(row["max_latency_ms"])}
        except (KeyError, TypeError, ValueError):
            continue
    missing = [t for t in TESTS if t not in rows]
    if proc.returncode != 0 or missing:
        raise RuntimeError("redis-benchmark failed (rc %s, missing %s): %s\n%s"
                           % (proc.returncode, missing, shlex.join(argv),
                              (out + err).decode(errors="replace")[-1500:]))
    return rows


def LoadKeys(s, port, count, cpus):
    """Pipes `count` distinct SETs through redis-cli --pipe; returns elapsed seconds."""
    gen = PROCS.Spawn(Pinned(cpus, [PYTHON, os.path.join(BENCH_DIR, "gen_sets.py"),
                                    str(count), str(s.value_size)]),
                      stdout=subprocess.PIPE)
    start = time.perf_counter()
    cli = PROCS.Spawn(Pinned(cpus, [s.cli, "-h", "127.0.0.1", "-p", str(port), "--pipe"]),
                      stdin=gen.stdout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    gen.stdout.close()  # redis-cli owns the read end now.
    try:
        out, _ = cli.communicate(timeout=3600)
        elapsed = time.perf_counter() - start
        gen.wait(timeout=60)
    finally:
        PROCS.Stop(cli)
        PROCS.Stop(gen)
    text = out.decode(errors="replace")
    m = re.search(r"errors: (\d+), replies: (\d+)", text)
    if cli.returncode != 0 or gen.returncode != 0 or not m or int(m.group(1)) != 0 \
            or int(m.group(2)) != count:
        raise RuntimeError("loading %d keys failed (redis-cli rc %s, generator rc %s): %s"
                           % (count, cli.returncode, gen.returncode, text[-1500:]))
    return elapsed


def LoadFile(s, port, path, commands, cpus):
    """Pipes the RESP stream in `path` (`commands` commands) through redis-cli --pipe."""
    start = time.perf_counter()
    with open(path, "rb") as f:
        cli = PROCS.Spawn(Pinned(cpus, [s.cli, "-h", "127.0.0.1", "-p", str(port), "--pipe"]),
                          stdin=f, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = cli.communicate(timeout=3600)
        finally:
            PROCS.Stop(cli)
    elapsed = time.perf_counter() - start
    text = out.decode(errors="replace")
    m = re.search(r"errors: (\d+), replies: (\d+)", text)
    if cli.returncode != 0 or not m or int(m.group(1)) != 0 or int(m.group(2)) != commands:
        raise RuntimeError("loading %s (%d commands) failed (redis-cli rc %s): %s"
                           % (os.path.basename(path), commands, cli.returncode, text[-1500:]))
    return elapsed


def WriteCommands(path, commands):
    """Writes a list of argument lists as a RESP stream; returns how many."""
    with open(path, "wb") as f:
        for args in commands:
            args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
            f.write(b"*%d\r\n" % len(args)
                    + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    return len(commands)


def RunBench(s, port, extra, pipeline, n, cpus, expect, value_size=8, timeout=900):
    """One redis-benchmark run with `extra` arguments (-t list or one explicit command);
    returns {first word of the test name: {rps, p50, p99}} and checks `expect` is there."""
    argv = Pinned(cpus, [s.benchmark, "-h", "127.0.0.1", "-p", str(port), "-n", str(n),
                         "-r", str(s.keyspace), "-d", str(value_size), "-P", str(pipeline),
                         "-c", str(s.clients), "--csv"] + list(extra))
    proc = PROCS.Spawn(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        PROCS.Stop(proc)
    rows = {}
    for row in csv.DictReader(io.StringIO(out.decode(errors="replace"))):
        try:
            rows[row["test"].split()[0].upper()] = {
                "rps": float(row["rps"]), "p50": float(row["p50_latency_ms"]),
                "p99": float(row["p99_latency_ms"])}
        except (KeyError, TypeError, ValueError, IndexError):
            continue
    missing = [t for t in expect if t not in rows]
    if proc.returncode != 0 or missing:
        raise RuntimeError("redis-benchmark failed (rc %s, missing %s): %s\n%s"
                           % (proc.returncode, missing, shlex.join(argv),
                              (out + err).decode(errors="replace")[-1500:]))
    return rows


def ProbePrefix():
    # Real-time priority lets the probe preempt the loader sharing its core, so that
    # what it measures is the server's delay rather than the client core's run queue.
    try:
        if subprocess.run(["chrt", "-f", "10", "true"], capture_output=True).returncode == 0:
            return ["chrt", "-f", "10"]
    except OSError:
        pass
    return []


# ----------------------------------------------------------------------------- sections

def Median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def Summarize(samples):
    """samples: list of per-round dicts {test: {...}} -> medians and all rps values."""
    out = {}
    for test in TESTS:
        runs = [r[test] for r in samples]
        out[test] = {"rps": Median([r["rps"] for r in runs]),
                     "p50": Median([r["p50"] for r in runs]),
                     "p99": Median([r["p99"] for r in runs]),
                     "all_rps": [r["rps"] for r in runs]}
    return out


def AlternatingRounds(s, servers, pipelines, cpus_client, results_key, results):
    """Runs each pipeline setting on each server in turn, round after round."""
    samples = {(srv.label, p): [] for srv in servers for p in pipelines}
    for rnd in range(1, s.rounds + 1):
        for p in pipelines:
            for srv in servers:
                rows = RunRedisBenchmark(s, srv.port, p, s.n[p], cpus_client)
                samples[(srv.label, p)].append(rows)
                Log("%s round %d/%d %-22s -P %-2d SET %9.0f  GET %9.0f ops/s"
                    % (results_key, rnd, s.rounds, srv.label, p, rows["SET"]["rps"],
                       rows["GET"]["rps"]))
                if rnd == 1:
                    # redis-benchmark counts error replies as completed requests.
                    dbsize = srv.DbSize()
                    if not isinstance(dbsize, int) or dbsize == 0:
                        raise RuntimeError("%s: DBSIZE is %r after redis-benchmark's SETs"
                                           % (srv.label, dbsize))
    results[results_key] = {
        "%s|%d" % (label, p): Summarize(v) for (label, p), v in samples.items()}


def SectionThroughput(s, workdir, results):
    servers = [Server("Basalt", s.basalt, workdir, s.server_core, threads=1),
               Server("Redis", s.redis, workdir, s.server_core)]
    try:
        for srv in servers:
            srv.Start()
        AlternatingRounds(s, servers, PIPELINES, s.client_core, "throughput", results)
        results["argv"] = {srv.label: srv.argv for srv in servers}
    finally:
        for srv in servers:
            srv.Stop()


def SectionThreads(s, workdir, results):
    servers = [Server("Basalt", s.basalt, workdir, None, threads=s.mt_threads),
               Server("Redis", s.redis, workdir, None)]
    try:
        for srv in servers:
            srv.Start()
        AlternatingRounds(s, servers, (16,), None, "threads", results)
        results["threads_argv"] = {srv.label: srv.argv for srv in servers}
    finally:
        for srv in servers:
            srv.Stop()


def SectionMemory(s, workdir, results):
    out = {}
    for label, binary, threads in (("Basalt", s.basalt, 1), ("Redis", s.redis, None)):
        with Server(label, binary, workdir, s.server_core, threads=threads) as srv:
            used0, rss0 = srv.UsedMemory(), srv.Rss()
            seconds = LoadKeys(s, srv.port, s.mem_keys, s.client_core)
            dbsize = srv.DbSize()
            if dbsize != s.mem_keys:
                raise RuntimeError("%s: DBSIZE %s after loading %d keys"
                                   % (label, dbsize, s.mem_keys))
            used1, rss1 = srv.UsedMemory(), srv.Rss()
            out[label] = {
                "keys": dbsize, "load_s": seconds, "load_rate": s.mem_keys / seconds,
                "used_empty": used0, "used_full": used1, "rss_empty": rss0, "rss_full": rss1,
                "used_per_key": None if used0 is None or used1 is None
                else (used1 - used0) / s.mem_keys,
                "rss_per_key": (rss1 - rss0) / s.mem_keys}
            Log("memory %-7s %d keys in %.2fs: used_memory/key %s B, RSS/key %.1f B"
                % (label, dbsize, seconds, Fmt(out[label]["used_per_key"], 1),
                   out[label]["rss_per_key"]))
    results["memory"] = out


def TypeLen(srv, case, key):
    return srv.conn.Call(TYPE_LEN_COMMAND[case.split("-")[0]], key)


def Encoding(srv, key):
    try:
        value = srv.conn.Call("OBJECT", "ENCODING", key)
        return value.decode() if isinstance(value, bytes) else str(value)
    except RespError as e:
        return "error: %s" % str(e)[:40]


def SectionTypesMemory(s, workdir, results):
    out = {}
    for case, keys in s.types_cases:
        per_key = gen_types.CASES[case][2]
        elements = keys * per_key
        path = os.path.join(workdir, "types-%s.resp" % case)
        with open(path, "wb") as f:
            commands = gen_types.Stream(case, keys, f)
        sample = gen_types.KeyName(case, keys - 1)
        out[case] = {"keys": keys, "per_key": per_key, "elements": elements,
                     "redis_encoding": gen_types.CASES[case][3]}
        for label, binary, threads in (("Basalt", s.basalt, 1), ("Redis", s.redis, None)):
            with Server(label, binary, workdir, s.server_core, threads=threads) as srv:
                used0, rss0 = srv.UsedMemory(), srv.Rss()
                seconds = LoadFile(s, srv.port, path, commands, s.client_core)
                dbsize, length = srv.DbSize(), TypeLen(srv, case, sample)
                if dbsize != keys or length != per_key:
                    raise RuntimeError("%s %s: DBSIZE %r (want %d), %s %s = %r (want %d)"
                                       % (label, case, dbsize, keys,
                                          TYPE_LEN_COMMAND[case.split("-")[0]],
                                          sample.decode(), length, per_key))
                used1, rss1 = srv.UsedMemory(), srv.Rss()
                out[case][label] = {
                    "load_s": seconds, "encoding": Encoding(srv, sample),
                    "used_empty": used0, "used_full": used1, "rss_empty": rss0,
                    "rss_full": rss1,
                    "used_per_elem": None if used0 is None or used1 is None
                    else (used1 - used0) / elements,
                    "rss_per_elem": (rss1 - rss0) / elements}
                Log("types-memory %-13s %-7s %d x %d in %.2fs (%s): used/elem %s B, "
                    "RSS/elem %.1f B" % (case, label, keys, per_key, seconds,
                                         out[case][label]["encoding"],
                                         Fmt(out[case][label]["used_per_elem"], 1),
                                         out[case][label]["rss_per_elem"]))
        os.remove(path)
    results["types-memory"] = out


def PrepareTypes(s, workdir, srv):
    """Data the read-side tests need: HGET hits, LPOP never meets an empty list, ZRANGE
    reads a 100-member (listpack) sorted set."""
    path = os.path.join(workdir, "types-prefill.resp")
    commands = [["HSET", b"myhash:%012d" % i, "field", TYPE_VALUE]
                for i in range(TYPE_HGET_KEYS)]
    commands += [["RPUSH", "mylist"] + [TYPE_VALUE] * 1000
                 for _ in range(TYPE_LIST_PREFILL // 1000)]
    commands.append(["ZADD", "zset100"] + [x for j in range(100)
                                           for x in (str(j), b"m%07d" % j)])
    LoadFile(s, srv.port, path, WriteCommands(path, commands), s.client_core)
    os.remove(path)
    CheckTypes(srv, before=True)


def CheckTypes(srv, before):
    """redis-benchmark counts error replies as completed requests: check the data."""
    c = srv.conn
    problems = []
    if c.Call("HGET", "myhash:%012d" % (TYPE_HGET_KEYS - 1), "field") != TYPE_VALUE:
        problems.append("HGET of a prepared key misses")
    zr = c.Call("ZRANGE", "zset100", "0", "9", "WITHSCORES")
    if not isinstance(zr, list) or len(zr) != 20 or c.Call("ZCARD", "zset100") != 100:
        problems.append("ZRANGE zset100 0 9 WITHSCORES gave %r" % (zr,))
    if c.Call("LLEN", "mylist") < TYPE_LIST_PREFILL:
        problems.append("LLEN mylist below the prefill (%r)" % c.Call("LLEN", "mylist"))
    if not before:
        for cmd, key in (("HLEN", "myhash"), ("SCARD", "myset"), ("ZCARD", "myzset")):
            if not c.Call(cmd, key):
                problems.append("%s %s is empty after the run" % (cmd, key))
    if problems:
        raise RuntimeError("%s: %s" % (srv.label, "; ".join(problems)))


def SectionTypesThroughput(s, workdir, results):
    servers = [Server("Basalt", s.basalt, workdir, s.server_core, threads=1),
               Server("Redis", s.redis, workdir, s.server_core)]
    runs = ((["-t", "hset,lpush,lpop,sadd,zadd"], ("HSET", "LPUSH", "LPOP", "SADD", "ZADD")),
            (["HGET", "myhash:__rand_int__", "field"], ("HGET",)),
            (["ZRANGE", "zset100", "0", "9", "WITHSCORES"], ("ZRANGE",)))
    try:
        for srv in servers:
            srv.Start()
            PrepareTypes(s, workdir, srv)
        samples = {(srv.label, p): [] for srv in servers for p in PIPELINES}
        for rnd in range(1, s.types_rounds + 1):
            for p in PIPELINES:
                for srv in servers:
                    rows = {}
                    for extra, expect in runs:
                        rows.update(RunBench(s, srv.port, extra, p, s.types_n[p],
                                             s.client_core, expect))
                    samples[(srv.label, p)].append(rows)
                    Log("types-throughput round %d/%d %-7s -P %-2d %s" % (
                        rnd, s.types_rounds, srv.label, p,
                        " ".join("%s %.0f" % (t, rows[t]["rps"]) for t in TYPE_TESTS)))
                    if rnd == 1:
                        CheckTypes(srv, before=False)
        results["types-throughput"] = {
            "%s|%d" % (label, p): {t: {"rps": Median([r[t]["rps"] for r in v]),
                                       "p50": Median([r[t]["p50"] for r in v]),
                                       "p99": Median([r[t]["p99"] for r in v]),
                                       "all_rps": [r[t]["rps"] for r in v]}
                                   for t in TYPE_TESTS}
            for (label, p), v in samples.items()}
        results["types_argv"] = {srv.label: srv.argv for srv in servers}
    finally:
        for srv in servers:
            srv.Stop()


def GrowOnce(s, workdir, label, binary, threads, prefix):
    """One fresh server grown to growth_keys with the probe running; returns its figures."""
    with Server(label, binary, workdir, s.server_core, threads=threads) as srv:
        probe = PROCS.Spawn(prefix + Pinned(s.client_core, [
            PYTHON, os.path.join(BENCH_DIR, "latency_probe.py"), str(srv.port),
            str(s.probe_interval_ms)]), stdout=subprocess.PIPE)
        try:
            if probe.stdout.readline().strip() != b"READY":
                raise RuntimeError("latency probe did not start")
            time.sleep(0.5)  # A few idle samples as the baseline.
            Log("growth %s: loading %d keys with the probe running" % (label, s.growth_keys))
            seconds = LoadKeys(s, srv.port, s.growth_keys, s.client_core)
            time.sleep(0.5)
            probe.send_signal(signal.SIGTERM)
            text, _ = probe.communicate(timeout=60)
        finally:
            PROCS.Stop(probe)
        stats = json.loads(text.decode().strip().splitlines()[-1])
        if stats.get("error"):
            raise RuntimeError("%s: latency probe failed: %s" % (label, stats["error"]))
        dbsize = srv.DbSize()
        if dbsize != s.growth_keys:
            raise RuntimeError("%s: DBSIZE %s after loading %d keys"
                               % (label, dbsize, s.growth_keys))
        Log("growth %-7s %d keys in %.1fs, probe max %.3f ms p99.9 %.3f ms (%d samples)"
            % (label, dbsize, seconds, stats["max_ms"], stats["p999_ms"], stats["samples"]))
        return {"keys": dbsize, "load_s": seconds, "load_rate": s.growth_keys / seconds,
                "rss_full": srv.Rss(), "probe": stats}


def SectionGrowth(s, workdir, results):
    prefix = ProbePrefix()
    runs = {"Basalt": [], "Redis": []}
    # One server at a time (10M keys is over 1 GB each), alternating when GROWTH_ROUNDS > 1.
    for _ in range(s.growth_rounds):
        for label, binary, threads in (("Basalt", s.basalt, 1), ("Redis", s.redis, None)):
            runs[label].append(GrowOnce(s, workdir, label, binary, threads, prefix))
    out = {}
    for label, rs in runs.items():
        # The worst sample of one run is a noisy statistic on a shared VM: with several
        # rounds, every figure is the median over the rounds.
        probe = {k: Median([r["probe"][k] for r in rs])
                 for k in ("samples", "p50_ms", "p99_ms", "p999_ms", "max_ms",
                           "over_10ms", "over_100ms")}
        out[label] = {"keys": rs[-1]["keys"], "load_s": Median([r["load_s"] for r in rs]),
                      "load_rate": Median([r["load_rate"] for r in rs]),
                      "rss_full": Median([r["rss_full"] for r in rs]), "probe": probe,
                      "all_max_ms": [r["probe"]["max_ms"] for r in rs],
                      "worst": rs[0]["probe"]["worst"], "runs": rs,
                      "realtime_probe": bool(prefix)}
    results["growth"] = out


# ----------------------------------------------------------------------------- report

def Fmt(value, digits=0, suffix=""):
    if value is None:
        return "n/a"
    if digits == 0:
        return "{:,.0f}{}".format(value, suffix)
    return "{:,.{}f}{}".format(value, digits, suffix)


def Ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2f×" % (a / b)


def Table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ThroughputTable(data, pipelines):
    header = ["Test", "Basalt ops/s", "Redis ops/s", "Basalt/Redis",
              "Basalt p50 ms", "Redis p50 ms", "Basalt p99 ms", "Redis p99 ms"]
    rows, detail = [], []
    for p in pipelines:
        b, r = data["Basalt|%d" % p], data["Redis|%d" % p]
        for test in TESTS:
            rows.append(["%s -P %d -c 50" % (test, p), Fmt(b[test]["rps"]), Fmt(r[test]["rps"]),
                         Ratio(b[test]["rps"], r[test]["rps"]),
                         Fmt(b[test]["p50"], 3), Fmt(r[test]["p50"], 3),
                         Fmt(b[test]["p99"], 3), Fmt(r[test]["p99"], 3)])
            detail.append("- %s -P %d: Basalt %s; Redis %s" % (
                test, p, ", ".join(Fmt(x) for x in b[test]["all_rps"]),
                ", ".join(Fmt(x) for x in r[test]["all_rps"])))
    return Table(header, rows) + "\n\nEvery round's ops/s, in run order:\n\n" + "\n".join(detail)


def RenderEnvironment(s, env):
    lines = [
        "- Date (UTC): %s" % env["date"],
        "- Commit: %s" % env["commit"],
        "- Machine: %s, %d cores, %s RAM, Linux %s"
        % (env["cpu"], env["cores"], env["ram"], env["kernel"]),
        "- Load average before / after: %s / %s" % (env["load_before"], env["load_after"]),
        "- Basalt: `%s` (%s)" % (s.basalt, env["basalt_version"]),
        "- Redis: `%s` (%s)" % (s.redis, env["redis_version"]),
        "- Client: `%s`, loader `%s --pipe`" % (s.benchmark, s.cli),
        "- Settings: rounds %d, -n %d at -P 16, -n %d at -P 1, -r %d, -d %d, -c %d; "
        "memory %d keys; growth %d keys; types: rounds %d, -n %d at -P 16, -n %d at -P 1%s"
        % (s.rounds, s.n[16], s.n[1], s.keyspace, s.value_size, s.clients, s.mem_keys,
           s.growth_keys, s.types_rounds, s.types_n[16], s.types_n[1],
           "; QUICK=1 (smoke run, figures not meaningful)" if s.quick else ""),
    ]
    if not s.basalt_is_basalt:
        lines.append("- **Validation run: BASALT_SERVER is not a Basalt binary, so both "
                     "columns measure redis-server.**")
    return "\n".join(lines)


def RenderThroughput(s, results):
    text = ("Basalt `--threads 1` and Redis, each pinned to core %s; redis-benchmark pinned to "
            "core %s. Medians of %d alternating rounds.\n\n"
            % (s.server_core, s.client_core, s.rounds))
    return text + ThroughputTable(results["throughput"], PIPELINES)


def RenderThreads(s, results):
    note = ("Basalt `--threads %d` and Redis (one thread, as always), nothing pinned: the "
            "servers and redis-benchmark share the machine's %d cores, so the client competes "
            "with the server threads and this is not a scaling figure. Medians of %d "
            "alternating rounds.%s\n\n"
            % (s.mt_threads, os.cpu_count(), s.rounds,
               "" if s.basalt_is_basalt else " (`--threads` not passed: not a Basalt binary.)"))
    return note + ThroughputTable(results["threads"], (16,))


def RenderMemory(s, results):
    m = results["memory"]
    b, r = m["Basalt"], m["Redis"]
    mb = lambda x: None if x is None else x / 2**20
    rows = [
        ["used_memory per key (B)", Fmt(b["used_per_key"], 1), Fmt(r["used_per_key"], 1),
         Ratio(b["used_per_key"], r["used_per_key"])],
        ["RSS per key (B)", Fmt(b["rss_per_key"], 1), Fmt(r["rss_per_key"], 1),
         Ratio(b["rss_per_key"], r["rss_per_key"])],
        ["used_memory empty / loaded (MiB)",
         "%s / %s" % (Fmt(mb(b["used_empty"]), 1), Fmt(mb(b["used_full"]), 1)),
         "%s / %s" % (Fmt(mb(r["used_empty"]), 1), Fmt(mb(r["used_full"]), 1)), ""],
        ["RSS empty / loaded (MiB)",
         "%s / %s" % (Fmt(mb(b["rss_empty"]), 1), Fmt(mb(b["rss_full"]), 1)),
         "%s / %s" % (Fmt(mb(r["rss_empty"]), 1), Fmt(mb(r["rss_full"]), 1)), ""],
        ["DBSIZE", Fmt(b["keys"]), Fmt(r["keys"]), ""],
        ["Bulk load (redis-cli --pipe), keys/s", Fmt(b["load_rate"]), Fmt(r["load_rate"]),
         Ratio(b["load_rate"], r["load_rate"])],
    ]
    return ("%s distinct keys of 16 bytes with 32-byte values, loaded into a fresh server "
            "pinned to core %s.\n\n" % (Fmt(s.mem_keys), s.server_core)
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows))


def RenderGrowth(s, results):
    g = results["growth"]
    b, r = g["Basalt"], g["Redis"]
    bp, rp = b["probe"], r["probe"]
    rows = [
        ["Worst probe latency (ms)", Fmt(bp["max_ms"], 3), Fmt(rp["max_ms"], 3),
         Ratio(bp["max_ms"], rp["max_ms"])],
        ["Probe p99.9 (ms)", Fmt(bp["p999_ms"], 3), Fmt(rp["p999_ms"], 3),
         Ratio(bp["p999_ms"], rp["p999_ms"])],
        ["Probe p99 (ms)", Fmt(bp["p99_ms"], 3), Fmt(rp["p99_ms"], 3),
         Ratio(bp["p99_ms"], rp["p99_ms"])],
        ["Probe p50 (ms)", Fmt(bp["p50_ms"], 3), Fmt(rp["p50_ms"], 3),
         Ratio(bp["p50_ms"], rp["p50_ms"])],
        ["Probes over 10 ms / 100 ms", "%s / %s" % (Fmt(bp["over_10ms"]), Fmt(bp["over_100ms"])),
         "%s / %s" % (Fmt(rp["over_10ms"]), Fmt(rp["over_100ms"])), ""],
        ["Probes sent", Fmt(bp["samples"]), Fmt(rp["samples"]), ""],
        ["Worst probes at (s into the run%s)" % (", round 1" if s.growth_rounds > 1 else ""),
         ", ".join("%.1f" % w["at_s"] for w in b["worst"][:3]),
         ", ".join("%.1f" % w["at_s"] for w in r["worst"][:3]), ""],
        ["Load time (s) / keys/s", "%.1f / %s" % (b["load_s"], Fmt(b["load_rate"])),
         "%.1f / %s" % (r["load_s"], Fmt(r["load_rate"])), Ratio(b["load_rate"], r["load_rate"])],
        ["DBSIZE at end", Fmt(b["keys"]), Fmt(r["keys"]), ""],
        ["RSS at end (MiB)", Fmt(b["rss_full"] / 2**20), Fmt(r["rss_full"] / 2**20),
         Ratio(b["rss_full"], r["rss_full"])],
    ]
    return ("Each server alone, pinned to core %s, grows from 0 to %s keys (redis-cli --pipe "
            "on core %s); a probe on its own connection sends one GET every %g ms%s and "
            "records each round trip. %s\n\n"
            % (s.server_core, Fmt(s.growth_keys), s.client_core, s.probe_interval_ms,
               " (SCHED_FIFO, core %s)" % s.client_core if b["realtime_probe"] else "",
               "One run per server." if s.growth_rounds == 1 else
               "Medians of %d alternating runs per server." % s.growth_rounds)
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows)
            + "\n\nWorst probe latency of each run (ms): Basalt %s; Redis %s"
            % (", ".join(Fmt(x, 3) for x in b["all_max_ms"]),
               ", ".join(Fmt(x, 3) for x in r["all_max_ms"])))


def RenderTypesMemory(s, results):
    m = results["types-memory"]
    rows = []
    for case, _ in s.types_cases:
        c = m[case]
        b, r = c["Basalt"], c["Redis"]
        rows.append(["%s (%s × %s)" % (case, Fmt(c["keys"]), Fmt(c["per_key"])),
                     "%s / %s" % (b["encoding"], r["encoding"]),
                     Fmt(b["used_per_elem"], 1), Fmt(r["used_per_elem"], 1),
                     Ratio(b["used_per_elem"], r["used_per_elem"]),
                     Fmt(b["rss_per_elem"], 1), Fmt(r["rss_per_elem"], 1),
                     Ratio(b["rss_per_elem"], r["rss_per_elem"])])
    return ("Bytes per element: (figure after the load − figure of the empty server) / "
            "elements, each workload loaded into a fresh server pinned to core %s "
            "(`redis-cli --pipe` of `bench/gen_types.py` on core %s). Elements are hash "
            "fields (name f0.. plus 8-byte value), list elements, set members or sorted-set "
            "members (8 bytes each, integers for the intset). Encoding: `OBJECT ENCODING` of "
            "the last key, Basalt / Redis.\n\n"
            % (s.server_core, s.client_core)
            + Table(["Workload (keys × elements)", "Encoding", "Basalt used B/elem",
                     "Redis used B/elem", "Basalt/Redis", "Basalt RSS B/elem",
                     "Redis RSS B/elem", "Basalt/Redis"], rows))


def RenderTypesThroughput(s, results):
    data = results["types-throughput"]
    names = {"HGET": "HGET myhash:<rand> field", "ZRANGE": "ZRANGE zset100 0 9 WITHSCORES"}
    rows, detail = [], []
    for p in PIPELINES:
        b, r = data["Basalt|%d" % p], data["Redis|%d" % p]
        for t in TYPE_TESTS:
            rows.append(["%s -P %d -c 50" % (names.get(t, t), p), Fmt(b[t]["rps"]),
                         Fmt(r[t]["rps"]), Ratio(b[t]["rps"], r[t]["rps"]),
                         Fmt(b[t]["p50"], 3), Fmt(r[t]["p50"], 3)])
            detail.append("- %s -P %d: Basalt %s; Redis %s" % (
                t, p, ", ".join(Fmt(x) for x in b[t]["all_rps"]),
                ", ".join(Fmt(x) for x in r[t]["all_rps"])))
    return ("Basalt `--threads 1` and Redis, each pinned to core %s; redis-benchmark pinned to "
            "core %s; -n %s at -P 16, -n %s at -P 1, -r %s, -d 8. Medians of %d alternating "
            "rounds.\n\n"
            % (s.server_core, s.client_core, Fmt(s.types_n[16]), Fmt(s.types_n[1]),
               Fmt(s.keyspace), s.types_rounds)
            + Table(["Test", "Basalt ops/s", "Redis ops/s", "Basalt/Redis", "Basalt p50 ms",
                     "Redis p50 ms"], rows)
            + "\n\nEvery round's ops/s, in run order:\n\n" + "\n".join(detail))


RENDERERS = {"throughput": RenderThroughput, "threads": RenderThreads,
             "memory": RenderMemory, "types-memory": RenderTypesMemory,
             "types-throughput": RenderTypesThroughput, "growth": RenderGrowth}
TITLES = {"environment": "Environment", "throughput": "Throughput (one core each)",
          "threads": "Throughput with Basalt on several threads",
          "memory": "Memory per key", "types-memory": "Memory per element of collections",
          "types-throughput": "Collection commands (one core each)",
          "growth": "Latency while growing"}


def WriteDocs(path, blocks):
    with open(path) as f:
        text = f.read()
    for name, body in blocks.items():
        pattern = re.compile(r"(<!-- bench:%s:begin -->\n).*?(<!-- bench:%s:end -->)"
                             % (re.escape(name), re.escape(name)), re.S)
        if not pattern.search(text):
            raise RuntimeError("%s has no <!-- bench:%s:begin/end --> markers" % (path, name))
        text = pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), text)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------- main

def ReadFirst(path, prefix):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def Environment(s, workdir):
    env = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"),
           "cpu": ReadFirst("/proc/cpuinfo", "model name"), "cores": os.cpu_count(),
           "kernel": os.uname().release, "load_before": ReadLoad()}
    kb = ReadFirst("/proc/meminfo", "MemTotal").split()[0]
    env["ram"] = "%.0f GiB" % (int(kb) / 2**20) if kb.isdigit() else "unknown"
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "-uno"],
                               capture_output=True, text=True).stdout.strip()
        env["commit"] = (commit or "no commit") + (" (uncommitted changes)" if dirty else "")
    except OSError:
        env["commit"] = "unknown"
    # Versions come from INFO rather than `--version`, which an unfinished server might
    # mistake for a start-up flag.
    for label, binary in (("basalt", s.basalt), ("redis", s.redis)):
        try:
            with Server(label.capitalize(), binary, workdir, None) as srv:
                info = srv.Info("server")
            version = "redis_version %s" % info.get("redis_version", "?")
            for key in ("basalt_version", "basalt_git_sha1"):
                if key in info:
                    version += ", %s %s" % (key, info[key])
            env[label + "_version"] = version
        except Exception as e:
            env[label + "_version"] = "could not start: %s" % str(e).splitlines()[0]
    return env


def ReadLoad():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "unknown"


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
    if problems:
        hint = "" if os.path.exists(s.basalt) else (
            "\n(build Basalt with `make build`, or point BASALT_SERVER at a binary)")
        raise SystemExit("bench/compare: " + "; ".join(problems) + hint)


def main():
    parser = argparse.ArgumentParser(description="Basalt vs redis-server side-by-side "
                                     "benchmark (see docs/benchmarks.md).")
    parser.add_argument("--write-docs", action="store_true",
                        help="update the marked sections of docs/benchmarks.md (or DOCS_FILE)")
    parser.add_argument("--sections", help="comma list of %s" % ",".join(ALL_SECTIONS))
    parser.add_argument("--json", help="also write the raw results as JSON to this file")
    args = parser.parse_args()
    s = Settings(args)
    CheckTools(s)
    if s.write_docs and not s.basalt_is_basalt and s.docs_file == s.default_docs:
        raise SystemExit("bench/compare: refusing to write %s from a run where BASALT_SERVER "
                         "is not Basalt (set DOCS_FILE to write elsewhere)" % s.docs_file)

    def OnSignal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    # SIGINT explicitly too: a shell that starts us in the background leaves it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, OnSignal)

    workdir = tempfile.mkdtemp(prefix="basalt-bench-")
    results, failures, blocks = {}, {}, {}
    try:
        Log("sections: %s; Basalt=%s Redis=%s%s" % (",".join(s.sections), s.basalt, s.redis,
                                                     " (QUICK)" if s.quick else ""))
        env = Environment(s, workdir)
        sections = {"throughput": SectionThroughput, "threads": SectionThreads,
                    "memory": SectionMemory, "types-memory": SectionTypesMemory,
                    "types-throughput": SectionTypesThroughput, "growth": SectionGrowth}
        for name in s.sections:
            Log("--- %s" % name)
            try:
                sections[name](s, workdir, results)
                blocks[name] = RENDERERS[name](s, results)
            except (RuntimeError, OSError, RespError, subprocess.SubprocessError,
                    ValueError) as e:
                failures[name] = str(e)
                Log("%s FAILED: %s" % (name, e))
        env["load_after"] = ReadLoad()
        if set(s.sections) != set(ALL_SECTIONS):
            # A partial run must not rewrite the environment block, which describes the
            # run that produced the other sections' figures: each section it writes
            # carries its own stamp instead.
            stamp = ("\n\n_Partial run (`--sections %s`): %s UTC, commit %s, load average "
                     "before / after %s / %s%s._"
                     % (",".join(s.sections), env["date"], env["commit"], env["load_before"],
                        env["load_after"], "; QUICK=1, figures not meaningful"
                        if s.quick else ""))
            blocks = {name: body + stamp for name, body in blocks.items()}
            env_text = RenderEnvironment(s, env)
            out_blocks = dict([("environment", env_text)] + list(blocks.items()))
        else:
            blocks = dict([("environment", RenderEnvironment(s, env))] + list(blocks.items()))
            out_blocks = blocks
    except KeyboardInterrupt:
        Log("interrupted; stopping every process started here")
        return 130
    finally:
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)

    out = ["## Basalt vs Redis benchmark", ""]
    for name, body in out_blocks.items():
        out += ["### " + TITLES[name], "", body, ""]
    for name, error in failures.items():
        out += ["### %s: FAILED" % TITLES[name], "", "```", error.strip(), "```", ""]
    sys.stdout.write("\n".join(out).rstrip("\n") + "\n")
    sys.stdout.flush()

    if s.json_out:
        with open(s.json_out, "w") as f:
            json.dump({"settings": {k: v for k, v in vars(s).items()},
                       "environment": env, "results": results, "failures": failures},
                      f, indent=1, default=str)
    if s.write_docs:
        WriteDocs(s.docs_file, blocks)
        Log("updated %s (%s)" % (s.docs_file, ", ".join(blocks)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
