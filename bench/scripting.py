#!/usr/bin/python3
"""Lua scripting of Basalt and of redis-server 7.0, side by side; run through
bench/scripting. What the figures mean: docs/benchmarks.md, "Scripting (issue 13)".

Three sections, each against fresh servers started here and stopped here:

  evalsha  EVALSHA of the classic fixed-window rate limiter (INCR the key, EXPIRE it
           on the first increment, return the count) over KEYSPACE keys, with
           redis-benchmark at -P 16 and -P 1 (-c 50) after SCRIPT LOAD. Servers pinned
           to SERVER_CORE (Basalt --threads 1), redis-benchmark to CLIENT_CORE;
           alternating Basalt/Redis runs for ROUNDS rounds; medians of ops/s, p50, and
           server CPU per request (user+system from /proc/<pid>/stat over the run, as
           bench/cpu_per_request reads it).
  fcall    the same limiter as a function (FUNCTION LOAD, then FCALL). A server that
           refuses FUNCTION LOAD is skipped with a note (FUNCTION is being implemented).
  busy     GETs/s on unrelated keys from 50 other connections (redis-benchmark -P 1)
           while one connection runs a script that stays busy BUSY_MS (1000) ms touching
           one declared key (INCR in a loop until redis.call('TIME') says the time is
           up), BUSY_SCRIPTS (3) times back to back; the same window length without the
           script gives the reference rate. GETs are counted from INFO commandstats
           before and after each window. Basalt --threads BASALT_THREADS_MT (2), Redis
           as always one thread; nothing pinned (a 2-thread server cannot be pinned to
           one core), as the threads section of bench/compare.

Progress goes to stderr; the markdown report to stdout and, with --write-docs, between
the `<!-- bench:scripting-NAME:begin -->` / `...:end -->` markers of docs/benchmarks.md
(NAME: environment, evalsha, fcall, busy). Helpers come from bench/compare.py (processes
with PR_SET_PDEATHSIG, servers, RESP client, redis-benchmark runs, formatting) and
bench/persistence.py (BenchMain, RunSections, PrintReport).

Environment (all optional): BASALT_SERVER, REDIS_SERVER, REDIS_BENCHMARK, ROUNDS (3),
N_P16 (300000), N_P1 (60000), KEYSPACE (100000), BUSY_MS (1000), BUSY_SCRIPTS (3),
BUSY_ROUNDS (3), BASALT_THREADS_MT (2), SERVER_CORE (0), CLIENT_CORE (1),
PORTS (16700-16799), WRITE_DOCS=1, DOCS_FILE, JSON_OUT.
"""

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import types

sys.dont_write_bytecode = True  # No __pycache__ in bench/ from importing compare.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (bench/compare.py: process, RESP and report helpers)
import persistence  # noqa: E402  (bench/persistence.py: BenchMain, RunSections, PrintReport)
from compare import (PROCS, Conn, EnvInt, EnvStr, Fmt, Log, Median, Pinned,  # noqa: E402
                     RespError, Server, Table)

REPO = compare.REPO
ALL_SECTIONS = ("evalsha", "fcall", "busy")
PIPELINES = (16, 1)
WINDOW_S = 60  # the limiter's window, EXPIRE's argument

# The fixed-window rate limiter, as an EVAL script and as a function library.
LIMITER = ("local c = redis.call('INCR', KEYS[1]) "
           "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end "
           "return c")
LIMITER_LIBRARY = ("#!lua name=benchlimiter\n"
                   "redis.register_function('ratelimit', function(keys, args) "
                   "local c = redis.call('INCR', keys[1]) "
                   "if c == 1 then redis.call('EXPIRE', keys[1], args[1]) end "
                   "return c end)")
# Busy for ARGV[1] microseconds, touching only KEYS[1]; returns its iterations.
BUSY = ("local t = redis.call('TIME') "
        "local stop = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1]) "
        "local n = 0 "
        "repeat "
        "  redis.call('INCR', KEYS[1]) n = n + 1 "
        "  t = redis.call('TIME') "
        "until tonumber(t[1]) * 1000000 + tonumber(t[2]) >= stop "
        "return n")


# ----------------------------------------------------------------------------- settings

class Settings:
    def __init__(self, args):
        self.basalt = os.path.abspath(
            EnvStr("BASALT_SERVER", os.path.join(REPO, "build", "basalt-server")))
        self.basalt_bin = self.basalt  # Run() points this at a private copy.
        self.redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
        self.benchmark = EnvStr("REDIS_BENCHMARK", "/usr/bin/redis-benchmark")
        self.rounds = EnvInt("ROUNDS", 3)
        # Sized for ~2-3 s per redis-benchmark run on the reference machine.
        self.n = {16: EnvInt("N_P16", 300_000), 1: EnvInt("N_P1", 60_000)}
        self.keyspace = EnvInt("KEYSPACE", 100_000)
        self.clients = 50
        self.busy_ms = EnvInt("BUSY_MS", 1000)
        self.busy_scripts = EnvInt("BUSY_SCRIPTS", 3)
        self.busy_rounds = EnvInt("BUSY_ROUNDS", 3)
        self.mt_threads = EnvInt("BASALT_THREADS_MT", 2)
        self.server_core = EnvStr("SERVER_CORE", "0")
        self.client_core = EnvStr("CLIENT_CORE", "1")
        lo, _, hi = EnvStr("PORTS", "16700-16799").partition("-")
        self.ports = (int(lo), int(hi or lo))
        self.sections = [x.strip() for x in (args.sections or ",".join(ALL_SECTIONS)).split(",")
                         if x.strip()]
        for name in self.sections:
            if name not in ALL_SECTIONS:
                raise SystemExit("unknown section %r (known: %s)"
                                 % (name, ", ".join(ALL_SECTIONS)))
        self.write_docs = args.write_docs or compare.EnvBool("WRITE_DOCS", False)
        self.default_docs = os.path.join(REPO, "docs", "benchmarks.md")
        self.docs_file = os.path.abspath(EnvStr("DOCS_FILE", self.default_docs))
        self.json_out = args.json or EnvStr("JSON_OUT", "")
        self.basalt_is_basalt = "basalt" in os.path.basename(self.basalt).lower()


def PortPicker(lo, hi):
    """A FreePort for compare.Server that stays in [lo, hi] (the ports this bench may
    use on a shared machine), cycling so that a port just released is not reused."""
    state = {"next": lo}

    def Pick():
        for _ in range(hi - lo + 1):
            port = state["next"]
            state["next"] = lo if port >= hi else port + 1
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
        raise RuntimeError("no free port in %d-%d" % (lo, hi))
    return Pick


# ----------------------------------------------------------------------------- helpers

HZ = os.sysconf("SC_CLK_TCK")


def CpuSeconds(pid):
    """User + system CPU time of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def CommandCalls(srv, name):
    """calls= of `name` in INFO commandstats (0 if never called)."""
    return int(srv.Info("commandstats").get("cmdstat_" + name, "calls=0").split(",")[0][6:])


def Servers(s, workdir, pinned, basalt_threads):
    cpus = s.server_core if pinned else None
    return [Server("Basalt", s.basalt_bin, workdir, cpus, threads=basalt_threads),
            Server("Redis", s.redis, workdir, cpus)]


def LimiterRounds(s, servers, command, calls_of, results_key, results):
    """Alternating redis-benchmark runs of `command(srv)` at each pipeline depth;
    results[results_key][label|P] = medians of ops/s, p50 and CPU µs per request."""
    samples = {(srv.label, p): [] for srv in servers for p in PIPELINES}
    for rnd in range(1, s.rounds + 1):
        for p in PIPELINES:
            for srv in servers:
                incr_before = CommandCalls(srv, "incr")
                cpu_before = CpuSeconds(srv.proc.pid)
                rows = compare.RunBench(s, srv.port, command(srv), p, s.n[p], s.client_core,
                                        (calls_of,))
                cpu = CpuSeconds(srv.proc.pid) - cpu_before
                # redis-benchmark counts error replies as requests: every one must have
                # run its INCR.
                incrs = CommandCalls(srv, "incr") - incr_before
                if incrs != s.n[p]:
                    raise RuntimeError("%s: %d INCRs for %d %s requests (errors?)"
                                       % (srv.label, incrs, s.n[p], calls_of))
                row = dict(rows[calls_of], cpu_us=cpu * 1e6 / s.n[p])
                samples[(srv.label, p)].append(row)
                Log("%s round %d/%d %-7s -P %-2d %9.0f ops/s  %6.2f µs CPU/request"
                    % (results_key, rnd, s.rounds, srv.label, p, row["rps"], row["cpu_us"]))
    out = {}
    for (label, p), rows in samples.items():
        out["%s|%d" % (label, p)] = {
            "rps": Median([r["rps"] for r in rows]), "p50": Median([r["p50"] for r in rows]),
            "cpu_us": Median([r["cpu_us"] for r in rows]),
            "all_rps": [r["rps"] for r in rows], "all_cpu_us": [r["cpu_us"] for r in rows]}
    results[results_key] = out


def CheckLimiter(srv, reply_first, reply_second):
    if reply_first != 1 or reply_second != 2:
        raise RuntimeError("%s: the limiter answered %r then %r, not 1 then 2"
                           % (srv.label, reply_first, reply_second))
    ttl = srv.conn.Call("TTL", "bench:check")
    if not isinstance(ttl, int) or not 0 < ttl <= WINDOW_S:
        raise RuntimeError("%s: TTL after the limiter is %r" % (srv.label, ttl))
    srv.conn.Call("DEL", "bench:check")


# ----------------------------------------------------------------------------- sections

def SectionEvalsha(s, workdir, results):
    servers = Servers(s, workdir, True, 1)
    try:
        sha = {}
        for srv in servers:
            srv.Start()
            sha[srv.label] = srv.conn.Call("SCRIPT", "LOAD", LIMITER).decode()
            CheckLimiter(srv, srv.conn.Call("EVALSHA", sha[srv.label], 1, "bench:check", WINDOW_S),
                         srv.conn.Call("EVALSHA", sha[srv.label], 1, "bench:check", WINDOW_S))
        LimiterRounds(s, servers,
                      lambda srv: ["EVALSHA", sha[srv.label], "1", "key:__rand_int__",
                                   str(WINDOW_S)],
                      "EVALSHA", "evalsha", results)
        results["evalsha"]["sha"] = sha["Redis"]
    finally:
        for srv in servers:
            srv.Stop()


def SectionFcall(s, workdir, results):
    servers = Servers(s, workdir, True, 1)
    try:
        skipped = {}
        for srv in servers:
            srv.Start()
            try:
                srv.conn.Call("FUNCTION", "LOAD", "REPLACE", LIMITER_LIBRARY)
            except RespError as e:
                skipped[srv.label] = str(e)
                continue
            CheckLimiter(srv, srv.conn.Call("FCALL", "ratelimit", 1, "bench:check", WINDOW_S),
                         srv.conn.Call("FCALL", "ratelimit", 1, "bench:check", WINDOW_S))
        if skipped:
            note = "; ".join("%s answered FUNCTION LOAD with -%s" % kv for kv in skipped.items())
            Log("fcall skipped: " + note)
            results["fcall"] = {"skipped": note}
            return
        LimiterRounds(s, servers,
                      lambda srv: ["FCALL", "ratelimit", "1", "key:__rand_int__", str(WINDOW_S)],
                      "FCALL", "fcall", results)
    finally:
        for srv in servers:
            srv.Stop()


def GetRate(srv, seconds=None, during=None):
    """GETs/s served over a window: `seconds` of sleep, or the time `during()` takes."""
    before = CommandCalls(srv, "get")
    start = time.perf_counter()
    extra = during() if during else time.sleep(seconds)
    elapsed = time.perf_counter() - start
    return (CommandCalls(srv, "get") - before) / elapsed, elapsed, extra


def BusyOnce(s, srv, sha, rnd):
    """One round on one server: GET load, reference window, script window."""
    load = PROCS.Spawn([s.benchmark, "-h", "127.0.0.1", "-p", str(srv.port), "-t", "get",
                        "-n", "2000000000", "-r", str(s.keyspace), "-P", "1", "-c",
                        str(s.clients), "-q"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    runner = Conn(srv.port, timeout=60 + s.busy_ms / 1000 * s.busy_scripts)
    try:
        time.sleep(1.0)  # the 50 connections are up and busy
        window = s.busy_ms / 1000 * s.busy_scripts
        ref_rate, _, _ = GetRate(srv, seconds=window)

        def Scripts():
            out = []
            for _ in range(s.busy_scripts):
                t0 = time.perf_counter()
                n = runner.Call("EVALSHA", sha, 1, "busy:counter", s.busy_ms * 1000)
                out.append((time.perf_counter() - t0, n))
            return out
        busy_rate, elapsed, scripts = GetRate(srv, during=Scripts)
        if load.poll() is not None:
            raise RuntimeError("%s: the GET load stopped (rc %s)" % (srv.label, load.returncode))
    finally:
        runner.Close()
        PROCS.Stop(load)
    Log("busy round %d/%d %-7s GET/s: %9.0f without a script, %9.0f during scripts "
        "(%s s, %s iterations each)"
        % (rnd, s.busy_rounds, srv.label, ref_rate, busy_rate,
           ", ".join("%.2f" % d for d, _ in scripts), ", ".join(str(n) for _, n in scripts)))
    return {"ref_rate": ref_rate, "busy_rate": busy_rate, "window_s": elapsed,
            "script_s": [d for d, _ in scripts], "script_iterations": [n for _, n in scripts]}


def SectionBusy(s, workdir, results):
    servers = Servers(s, workdir, False, s.mt_threads)
    try:
        sha = {}
        for srv in servers:
            srv.Start()
            sha[srv.label] = srv.conn.Call("SCRIPT", "LOAD", BUSY).decode()
            # The keys the GETs read (key:<12 digits>, 32-byte values): -r draws from
            # KEYSPACE of them, so most GETs hit after this.
            compare.RunBench(s, srv.port, ["-t", "set"], 16, s.keyspace * 2, None, ("SET",),
                             value_size=32)
        samples = {srv.label: [] for srv in servers}
        for rnd in range(1, s.busy_rounds + 1):
            for srv in servers:
                samples[srv.label].append(BusyOnce(s, srv, sha[srv.label], rnd))
        out = {}
        for label, rows in samples.items():
            out[label] = {"ref_rate": Median([r["ref_rate"] for r in rows]),
                          "busy_rate": Median([r["busy_rate"] for r in rows]),
                          "script_s": Median([x for r in rows for x in r["script_s"]]),
                          "iterations": Median([x for r in rows for x in r["script_iterations"]]),
                          "rounds": rows}
        results["busy"] = out
    finally:
        for srv in servers:
            srv.Stop()


# ----------------------------------------------------------------------------- report

def LimiterTable(s, data, command):
    rows, detail = [], []
    for p in PIPELINES:
        b, r = data["Basalt|%d" % p], data["Redis|%d" % p]
        rows.append(["%s -P %d -c 50" % (command, p), Fmt(b["rps"]), Fmt(r["rps"]),
                     compare.Ratio(b["rps"], r["rps"]), Fmt(b["cpu_us"], 2),
                     Fmt(r["cpu_us"], 2), compare.Ratio(b["cpu_us"], r["cpu_us"]),
                     Fmt(b["p50"], 3), Fmt(r["p50"], 3)])
        detail.append("- -P %d: Basalt %s; Redis %s" % (
            p, ", ".join("%s (%.2f µs)" % (Fmt(x), c) for x, c in zip(b["all_rps"],
                                                                     b["all_cpu_us"])),
            ", ".join("%s (%.2f µs)" % (Fmt(x), c) for x, c in zip(r["all_rps"],
                                                                 r["all_cpu_us"]))))
    return (Table(["Test", "Basalt ops/s", "Redis ops/s", "Basalt/Redis",
                   "Basalt µs CPU/request", "Redis µs CPU/request", "Basalt/Redis",
                   "Basalt p50 ms", "Redis p50 ms"], rows)
            + "\n\nEvery round's ops/s (server CPU per request), in run order:\n\n"
            + "\n".join(detail))


def LimiterIntro(s, what):
    return ("%s Basalt `--threads 1` and Redis, each pinned to core %s; redis-benchmark "
            "pinned to core %s, -n %s at -P 16, -n %s at -P 1, -c %d, -r %s (`key:` + 12 "
            "digits). CPU per request: the server's user+system time over the run / -n. "
            "Medians of %d alternating rounds.\n\n"
            % (what, s.server_core, s.client_core, Fmt(s.n[16]), Fmt(s.n[1]), s.clients,
               Fmt(s.keyspace), s.rounds))


def RenderEvalsha(s, results):
    return (LimiterIntro(s, "`EVALSHA <sha> 1 key:__rand_int__ %d` of the fixed-window rate "
                         "limiter (`%s`) after SCRIPT LOAD." % (WINDOW_S, LIMITER))
            + LimiterTable(s, results["evalsha"], "EVALSHA"))


def RenderFcall(s, results):
    data = results["fcall"]
    if "skipped" in data:
        return "_Skipped: %s._" % data["skipped"]
    return (LimiterIntro(s, "`FCALL ratelimit 1 key:__rand_int__ %d`, the same limiter "
                         "registered by FUNCTION LOAD." % WINDOW_S)
            + LimiterTable(s, data, "FCALL"))


def RenderBusy(s, results):
    data = results["busy"]
    b, r = data["Basalt"], data["Redis"]
    rows = [
        ["GETs/s during the scripts", Fmt(b["busy_rate"]), Fmt(r["busy_rate"]),
         compare.Ratio(b["busy_rate"], r["busy_rate"])],
        ["GETs/s with no script running", Fmt(b["ref_rate"]), Fmt(r["ref_rate"]),
         compare.Ratio(b["ref_rate"], r["ref_rate"])],
        ["During / without", "%.1f%%" % (100 * b["busy_rate"] / b["ref_rate"]),
         "%.1f%%" % (100 * r["busy_rate"] / r["ref_rate"]), ""],
        ["Script duration (s)", Fmt(b["script_s"], 3), Fmt(r["script_s"], 3), ""],
        ["Script iterations (INCR + TIME)", Fmt(b["iterations"]), Fmt(r["iterations"]),
         compare.Ratio(b["iterations"], r["iterations"])],
    ]
    detail = []
    for label in ("Basalt", "Redis"):
        for i, rnd in enumerate(data[label]["rounds"], 1):
            detail.append("- %s round %d: %s GETs/s during, %s without; scripts %s s"
                          % (label, i, Fmt(rnd["busy_rate"]), Fmt(rnd["ref_rate"]),
                             ", ".join("%.2f" % x for x in rnd["script_s"])))
    return ("One connection runs `EVALSHA <sha> 1 busy:counter %d` %d times back to back: a "
            "script that INCRs its one declared key in a loop until `redis.call('TIME')` "
            "says %d ms have passed. Meanwhile redis-benchmark (`-t get -P 1 -c %d -r %s`, "
            "keys loaded beforehand) reads unrelated keys on %d other connections. GETs/s "
            "is the change of `cmdstat_get` calls over the window; the reference window has "
            "the same length and no script. Basalt `--threads %d`, Redis one thread (it runs "
            "no other command while a script runs, below busy-reply-threshold); nothing "
            "pinned. Medians of %d alternating rounds.\n\n"
            % (s.busy_ms * 1000, s.busy_scripts, s.busy_ms, s.clients, Fmt(s.keyspace),
               s.clients, s.mt_threads, s.busy_rounds)
            + Table(["Figure", "Basalt", "Redis", "Basalt/Redis"], rows)
            + "\n\nEvery round:\n\n" + "\n".join(detail))


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
        "- Client: `%s`" % s.benchmark,
    ]
    if not s.basalt_is_basalt:
        lines.append("- **Validation run: BASALT_SERVER is not a Basalt binary, so both "
                     "columns measure redis-server.**")
    return "\n".join(lines)


RENDERERS = {"evalsha": RenderEvalsha, "fcall": RenderFcall, "busy": RenderBusy}
TITLES = {"environment": "Environment", "evalsha": "EVALSHA rate limiter (one core each)",
          "fcall": "FCALL rate limiter (one core each)",
          "busy": "GETs from other connections while a script runs"}
DOC_PREFIX = "scripting-"  # blocks <!-- bench:scripting-NAME:begin/end --> (compare.WriteDocs)


# ----------------------------------------------------------------------------- main

def CheckTools(s):
    problems = []
    for name, path in (("BASALT_SERVER", s.basalt), ("REDIS_SERVER", s.redis),
                       ("REDIS_BENCHMARK", s.benchmark)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append("%s=%s is not an executable file" % (name, path))
    if not shutil.which("taskset"):
        problems.append("taskset (util-linux) is missing")
    if os.cpu_count() < 2:
        problems.append("need at least 2 cores (server core and client core)")
    if problems:
        hint = "" if os.path.exists(s.basalt) else (
            "\n(build Basalt with `make build`, or point BASALT_SERVER at a binary)")
        raise SystemExit("bench/scripting: " + "; ".join(problems) + hint)


def Run(s):
    """Runs the sections; returns (environment, results, failures)."""
    compare.FreePort = PortPicker(*s.ports)  # compare.Server takes its ports from here
    workdir = tempfile.mkdtemp(prefix="basalt-scripting-")
    results, failures = {}, {}
    try:
        # A private copy, so that a rebuild of build/ during the run cannot swap binaries.
        os.makedirs(os.path.join(workdir, "bin"))
        s.basalt_bin = os.path.join(workdir, "bin", os.path.basename(s.basalt))
        shutil.copy2(s.basalt, s.basalt_bin)
        Log("scripting: sections %s; Basalt=%s Redis=%s"
            % (",".join(s.sections), s.basalt, s.redis))
        env = compare.Environment(types.SimpleNamespace(basalt=s.basalt_bin, redis=s.redis),
                                  workdir)
        env["basalt_built"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(s.basalt), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        sections = {"evalsha": SectionEvalsha, "fcall": SectionFcall, "busy": SectionBusy}
        persistence.RunSections(s.sections, sections, s, workdir, results, failures)
        env["load_after"] = compare.ReadLoad()
    finally:
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)
    return env, results, failures


def Report(s, env, results, failures):
    def Write(path, blocks):
        compare.WriteDocs(path, {DOC_PREFIX + k: v for k, v in blocks.items()})
    persistence.PrintReport(s, env, results, failures, "scripting", RenderEnvironment(s, env),
                            RENDERERS, TITLES, ALL_SECTIONS, Write)


def FromJson(s, path):
    """(environment, results, failures) of an earlier --json run; its settings go to `s`."""
    with open(path) as f:
        data = json.load(f)
    keep = ("write_docs", "docs_file", "default_docs", "json_out")
    for key, value in data["settings"].items():
        if key not in keep:
            setattr(s, key, value)
    s.n = {int(p): n for p, n in s.n.items()}  # JSON made the pipeline keys strings
    return data["environment"], data["results"], data["failures"]


def main():
    return persistence.BenchMain("scripting", ALL_SECTIONS, Settings, FromJson, CheckTools,
                                 Run, Report)


if __name__ == "__main__":
    sys.exit(main())
