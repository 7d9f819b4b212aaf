#!/usr/bin/python3
"""Failover time of Basalt and of Redis under Sentinel, side by side; run through
bench/failover.

Failover time is what an application sees: from the fault (kill -9 of the primary) to
the first write acknowledged by the new primary, as seen by a client that retries
through the sentinels. The client asks a sentinel SENTINEL GET-MASTER-ADDR-BY-NAME on
every try, sends one SET to the address it got, and tries again RETRY_MS (10) later;
a try that fails (refused connection, -READONLY, time-out) moves on to the next try,
and a sentinel that does not answer is replaced by the next one.

Two systems, each 1 primary, 2 replicas and 3 sentinels (quorum 2,
down-after-milliseconds DOWN_AFTER_MS, default 2000), started afresh for every round:

  Redis   redis-server 7.0 data nodes + Debian's redis-sentinel 7.0
  Basalt  Basalt data nodes + Basalt's sentinel mode (`basalt-server sentinel.conf
          --sentinel`)

ROUNDS rounds each (default 5), alternating Redis / Basalt; the report gives the median,
min and max per system, Basalt/Redis, every round in run order, and when each sentinel
event arrived (relative to the kill) at the first sentinel: +sdown and +odown of the
primary (detection), +switch-master (the sentinels' new configuration). Data nodes are
pinned to DATA_CORES (0), sentinels to SENTINEL_CORES (1), the client and this driver
to CLIENT_CORE (1), the same for both systems. Basalt data nodes run --threads
BASALT_THREADS (1).

While the Basalt binary has no sentinel mode (SENTINEL MYID is refused), only Redis is
measured, with a note: that validates the harness. SYSTEMS=redis,basalt forces a choice.

Progress goes to stderr; the markdown report to stdout and, with --write-docs, between
the `<!-- bench:failover-NAME:begin -->` / `...:end -->` markers of docs/benchmarks.md
(NAME: environment, time). Helpers come from bench/compare.py (processes with
PR_SET_PDEATHSIG, RESP client, formatting) and bench/persistence.py (BenchMain,
PrintReport).

Environment (all optional): BASALT_SERVER, REDIS_SERVER, REDIS_SENTINEL, ROUNDS,
DOWN_AFTER_MS, FAILOVER_TIMEOUT_MS, RETRY_MS, WARMUP_MS, ROUND_TIMEOUT_S, SYSTEMS,
BASALT_THREADS, DATA_CORES, SENTINEL_CORES, CLIENT_CORE, WRITE_DOCS=1, DOCS_FILE, JSON_OUT.
"""

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types

sys.dont_write_bytecode = True  # No __pycache__ in bench/ from importing compare.py.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (bench/compare.py: process, RESP and report helpers)
import persistence  # noqa: E402  (bench/persistence.py: BenchMain, PrintReport)
from compare import (PROCS, Conn, EnvInt, EnvStr, Fmt, Log, Median, Pinned,  # noqa: E402
                     RespError, Table)

REPO = compare.REPO
ALL_SECTIONS = ("time",)
SYSTEMS = ("Redis", "Basalt")
MASTER = "mymaster"
QUORUM = 2
REPLICAS = 2
SENTINELS = 3
# Sentinel events whose arrival at the first sentinel the report breaks the time into.
EVENTS = ("+sdown", "+odown", "+switch-master")


# ----------------------------------------------------------------------------- settings

class Settings:
    def __init__(self, args):
        self.basalt = os.path.abspath(
            EnvStr("BASALT_SERVER", os.path.join(REPO, "build", "basalt-server")))
        self.basalt_bin = self.basalt  # Run() points this at a private copy.
        self.redis = EnvStr("REDIS_SERVER", "/usr/bin/redis-server")
        default_sentinel = "/usr/bin/redis-sentinel"
        if not os.path.exists(default_sentinel):
            default_sentinel = self.redis  # The same binary; --sentinel makes it one.
        self.redis_sentinel = EnvStr("REDIS_SENTINEL", default_sentinel)
        self.rounds = EnvInt("ROUNDS", 5)
        self.down_after_ms = EnvInt("DOWN_AFTER_MS", 2000)
        self.failover_timeout_ms = EnvInt("FAILOVER_TIMEOUT_MS", 30000)
        self.retry_ms = EnvInt("RETRY_MS", 10)
        self.warmup_ms = EnvInt("WARMUP_MS", 500)
        self.round_timeout_s = EnvInt("ROUND_TIMEOUT_S", 60)
        self.basalt_threads = EnvInt("BASALT_THREADS", 1)
        self.data_cores = EnvStr("DATA_CORES", "0")
        self.sentinel_cores = EnvStr("SENTINEL_CORES", "1")
        self.client_core = EnvStr("CLIENT_CORE", "1")
        systems = EnvStr("SYSTEMS", "")
        self.systems_forced = bool(systems)
        self.systems = [x.strip().capitalize() for x in systems.split(",") if x.strip()]
        for name in self.systems:
            if name not in SYSTEMS:
                raise SystemExit("unknown system %r in SYSTEMS (known: redis, basalt)" % name)
        if not self.systems:
            self.systems = list(SYSTEMS)
        self.sections = [x.strip() for x in (args.sections or "time").split(",") if x.strip()]
        for name in self.sections:
            if name not in ALL_SECTIONS:
                raise SystemExit("unknown section %r (known: %s)"
                                 % (name, ", ".join(ALL_SECTIONS)))
        self.write_docs = args.write_docs or compare.EnvBool("WRITE_DOCS", False)
        self.default_docs = os.path.join(REPO, "docs", "benchmarks.md")
        self.docs_file = os.path.abspath(EnvStr("DOCS_FILE", self.default_docs))
        self.json_out = args.json or EnvStr("JSON_OUT", "")
        self.basalt_is_basalt = "basalt" in os.path.basename(self.basalt).lower()

    def DataBinary(self, system):
        return self.basalt_bin if system == "Basalt" else self.redis

    def SentinelBinary(self, system):
        return self.basalt_bin if system == "Basalt" else self.redis_sentinel


# ----------------------------------------------------------------------------- processes

class Node:
    """A data node or a sentinel on a free loopback port, in a directory of its own."""

    def __init__(self, label, workdir, cpus):
        self.label = label
        self.dir = os.path.join(workdir, label)
        os.makedirs(self.dir, exist_ok=True)
        self.cpus = cpus
        self.port = None
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def _Spawn(self, argv):
        with open(self.log_path, "ab") as log:
            self.proc = PROCS.Spawn(Pinned(self.cpus, argv), stdout=log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    cwd=self.dir)

    def StartWith(self, make_argv, timeout=20.0):
        """Spawns make_argv(port) on a free port until it answers PING (a port lost to a
        race with another process is retried on a new one)."""
        for _ in range(3):
            self.port = compare.FreePort()
            self._Spawn(make_argv(self.port))
            if self._WaitPong(timeout):
                return self
            PROCS.Stop(self.proc)
            if "in use" not in self.LogTail():
                break
        raise RuntimeError("%s did not answer PING within %.0f s; log tail:\n%s"
                           % (self.label, timeout, self.LogTail()))

    def _WaitPong(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = Conn(self.port, timeout=2.0)
                try:
                    if c.Call("PING") == "PONG":
                        return True
                finally:
                    c.Close()
            except (OSError, RespError):
                pass
            time.sleep(0.02)
        return False

    def Call(self, *args, timeout=5.0):
        c = Conn(self.port, timeout=timeout)
        try:
            return c.Call(*args)
        finally:
            c.Close()

    def Kill9(self):
        self.proc.kill()
        self.proc.wait()

    def Stop(self):
        if self.proc is not None:
            PROCS.Stop(self.proc, timeout=10)

    def LogTail(self, size=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-size:].decode(errors="replace")
        except OSError:
            return ""


def Info(node, section):
    text = node.Call("INFO", section)
    out = {}
    for line in (text or b"").decode(errors="replace").splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            out[key.strip()] = value.strip()
    return out


def Pairs(flat):
    """A flat RESP2 [k1, v1, k2, v2, ...] reply of SENTINEL MASTER as a str dict."""
    def S(x):
        return x.decode() if isinstance(x, bytes) else str(x)
    return {S(k): S(v) for k, v in zip(flat[0::2], flat[1::2])}


def WaitFor(what, fn, timeout):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            if fn():
                return
        except (OSError, RespError) as e:
            last = e
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after %.0f s waiting for %s%s"
                               % (timeout, what, " (last error: %s)" % last if last else ""))
        time.sleep(0.05)


class System:
    """One primary, REPLICAS replicas and SENTINELS sentinels of one implementation."""

    def __init__(self, s, name, workdir):
        self.s = s
        self.name = name
        self.workdir = workdir
        self.data = []
        self.sentinels = []

    def DataArgv(self, node, replicaof=None):
        binary = self.s.DataBinary(self.name)

        def Make(port):
            argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", node.dir,
                    "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0"]
            if self.name == "Basalt":
                argv += ["--threads", str(self.s.basalt_threads)]
            if replicaof is not None:
                argv += ["--replicaof", "127.0.0.1", str(replicaof.port)]
            return argv
        return Make

    def SentinelArgv(self, node, primary):
        binary = self.s.SentinelBinary(self.name)
        conf = os.path.join(node.dir, "sentinel.conf")

        def Make(port):
            # A fresh, writable file for each try: sentinels rewrite it with their state.
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndir %s\ndaemonize no\n"
                        "sentinel monitor %s 127.0.0.1 %d %d\n"
                        "sentinel down-after-milliseconds %s %d\n"
                        "sentinel failover-timeout %s %d\n"
                        "sentinel parallel-syncs %s 1\n"
                        % (port, node.dir, MASTER, primary.port, QUORUM,
                           MASTER, self.s.down_after_ms, MASTER, self.s.failover_timeout_ms,
                           MASTER))
            return [binary, conf, "--sentinel"]
        return Make

    def Start(self):
        primary = Node("%s-data0" % self.name.lower(), self.workdir, self.s.data_cores)
        self.data.append(primary.StartWith(self.DataArgv(primary)))
        for i in range(1, REPLICAS + 1):
            r = Node("%s-data%d" % (self.name.lower(), i), self.workdir, self.s.data_cores)
            self.data.append(r.StartWith(self.DataArgv(r, replicaof=primary)))
        for r in self.data[1:]:
            WaitFor("%s replica %d to sync" % (self.name, r.port),
                    lambda: Info(r, "replication").get("master_link_status") == "up", 30)
        for i in range(SENTINELS):
            n = Node("%s-sentinel%d" % (self.name.lower(), i), self.workdir,
                     self.s.sentinel_cores)
            self.sentinels.append(n.StartWith(self.SentinelArgv(n, primary)))
        for n in self.sentinels:
            WaitFor("%s sentinel %d to see %d replicas and %d other sentinels"
                    % (self.name, n.port, REPLICAS, SENTINELS - 1),
                    lambda: self._SeesAll(n), 60)
        return self

    def _SeesAll(self, sentinel):
        m = Pairs(sentinel.Call("SENTINEL", "MASTER", MASTER))
        return (m.get("flags") == "master" and m.get("num-slaves") == str(REPLICAS)
                and m.get("num-other-sentinels") == str(SENTINELS - 1))

    @property
    def primary(self):
        return self.data[0]

    def Stop(self):
        for n in self.sentinels + self.data:
            n.Stop()


def HasSentinelMode(s, workdir):
    """None if the Basalt binary runs as a sentinel, else why not (the reply it gave)."""
    n = Node("basalt-probe", workdir, s.sentinel_cores)
    try:
        n.StartWith(System(s, "Basalt", workdir).SentinelArgv(
            n, types.SimpleNamespace(port=compare.FreePort())))
        reply = n.Call("SENTINEL", "MYID")
        if isinstance(reply, bytes) and len(reply) == 40:
            return None
        return "SENTINEL MYID replied %r" % (reply,)
    except (RespError, RuntimeError, OSError) as e:
        return "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    finally:
        n.Stop()
        shutil.rmtree(n.dir, ignore_errors=True)


# ----------------------------------------------------------------------------- measuring

class RetryingClient(threading.Thread):
    """Writes through the sentinels until stopped: ask for the primary's address, SET
    there, sleep retry_ms; every try is recorded as (time, port or None, ok)."""

    def __init__(self, sentinels, retry_ms, key):
        super().__init__(daemon=True)
        self.sentinel_ports = [n.port for n in sentinels]
        self.retry = retry_ms / 1000.0
        self.key = key
        self.stop = threading.Event()
        self.tries = []  # (perf_counter, port, ok, error); appended by this thread only
        self.lock = threading.Lock()
        self._sentinel = None
        self._sentinel_index = 0
        self._node = None
        self._node_port = None

    def _AskSentinel(self):
        for _ in range(len(self.sentinel_ports)):
            try:
                if self._sentinel is None:
                    self._sentinel = Conn(self.sentinel_ports[self._sentinel_index], timeout=0.5)
                reply = self._sentinel.Call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
                return int(reply[1])
            except (OSError, RespError, ValueError, TypeError, IndexError):
                if self._sentinel is not None:
                    self._sentinel.Close()
                self._sentinel = None
                self._sentinel_index = (self._sentinel_index + 1) % len(self.sentinel_ports)
        return None

    def _Write(self, port, i):
        if self._node_port != port and self._node is not None:
            self._node.Close()
            self._node = None
        if self._node is None:
            self._node = Conn(port, timeout=0.5)
            self._node_port = port
        return self._node.Call("SET", self.key, str(i)) == "OK"

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            port = self._AskSentinel()
            ok, error = False, None
            if port is not None:
                try:
                    ok = self._Write(port, i)
                except (OSError, RespError) as e:
                    error = str(e)[:80]
                    if self._node is not None:
                        self._node.Close()
                    self._node = None
            with self.lock:
                self.tries.append((time.perf_counter(), port, ok, error))
            time.sleep(self.retry)
        for c in (self._sentinel, self._node):
            if c is not None:
                c.Close()

    def Snapshot(self):
        with self.lock:
            return list(self.tries)


class EventListener(threading.Thread):
    """PSUBSCRIBE * on one sentinel; records when each event about the master arrived."""

    def __init__(self, sentinel):
        super().__init__(daemon=True)
        self.conn = Conn(sentinel.port, timeout=10.0)
        self.conn.Call("PSUBSCRIBE", "*")  # The subscription confirmation.
        self.conn.sock.settimeout(None)  # Stopped by shutting the socket down.
        self.events = []  # (perf_counter, channel, message)
        self.lock = threading.Lock()

    def run(self):
        try:
            while True:
                msg = self.conn._Read()
                if isinstance(msg, list) and len(msg) == 4 and msg[0] == b"pmessage":
                    with self.lock:
                        self.events.append((time.perf_counter(), msg[2].decode(),
                                            msg[3].decode(errors="replace")))
        except (OSError, RespError, ConnectionError):
            pass

    def Close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(timeout=5)
        self.conn.Close()

    def FirstAfter(self, t0, channel, master_port):
        """Seconds from t0 to the first `channel` event about the master (for +sdown and
        +odown: about the old primary itself, not a replica or a sentinel)."""
        with self.lock:
            events = list(self.events)
        for t, ch, msg in events:
            if t < t0 or ch != channel:
                continue
            words = msg.split()
            if channel == "+switch-master":
                if words and words[0] == MASTER:
                    return t - t0
            elif words[:2] == ["master", MASTER] and str(master_port) in words:
                return t - t0
        return None


def OneRound(s, system_name, workdir, round_no):
    """Starts a system, kills its primary, returns the round's figures (seconds)."""
    sysdir = os.path.join(workdir, "%s-%d" % (system_name.lower(), round_no))
    os.makedirs(sysdir)
    system = System(s, system_name, sysdir)
    client = listener = None
    try:
        system.Start()
        old = system.primary
        listener = EventListener(system.sentinels[0])
        listener.start()
        client = RetryingClient(system.sentinels, s.retry_ms, "failover-bench")
        client.start()
        # Steady writes to the primary first: the client is connected and warm.
        WaitFor("%s client to write to the primary" % system_name,
                lambda: any(p == old.port and ok for _, p, ok, _ in client.Snapshot()), 10)
        time.sleep(s.warmup_ms / 1000.0)
        t0 = time.perf_counter()
        old.Kill9()
        deadline = t0 + s.round_timeout_s
        first = None
        while first is None:
            for t, port, ok, _ in client.Snapshot():
                if t > t0 and ok and port != old.port:
                    first = (t, port)
                    break
            if first is None:
                if time.perf_counter() > deadline:
                    tries = client.Snapshot()
                    raise RuntimeError("%s: no write acknowledged by a new primary within %d s "
                                       "of the kill (last tries: %s); sentinel log tail:\n%s"
                                       % (system_name, s.round_timeout_s, tries[-3:],
                                          system.sentinels[0].LogTail(1500)))
                time.sleep(0.005)
        client.stop.set()
        client.join(timeout=5)
        after = [x for x in client.Snapshot() if x[0] > t0]
        result = {"system": system_name, "round": round_no,
                  "seconds": first[0] - t0, "new_port": first[1], "old_port": old.port,
                  "failed_tries": sum(1 for x in after if x[0] <= first[0] and not x[2]),
                  "events": {ch: listener.FirstAfter(t0, ch, old.port) for ch in EVENTS}}
        role = Info(system.data[[n.port for n in system.data].index(first[1])], "replication")
        result["new_role"] = role.get("role")
        return result
    finally:
        if client is not None:
            client.stop.set()
            client.join(timeout=5)
        if listener is not None:
            listener.Close()
        system.Stop()
        shutil.rmtree(sysdir, ignore_errors=True)


def SectionTime(s, workdir, results):
    systems = list(s.systems)
    notes = []
    if "Basalt" in systems:
        why = HasSentinelMode(s, workdir)
        if why is not None:
            if s.systems_forced:
                raise RuntimeError("SYSTEMS asks for Basalt, but %s does not run as a "
                                   "sentinel: %s" % (s.basalt, why))
            systems.remove("Basalt")
            notes.append("Basalt not measured: `%s` does not run as a sentinel yet (%s)."
                         % (s.basalt, why))
            Log("Basalt skipped: %s" % why)
    rounds = []
    for r in range(s.rounds):
        for name in systems:  # Alternating: Redis, Basalt, Redis, Basalt, ...
            Log("%s round %d/%d" % (name, r + 1, s.rounds))
            res = OneRound(s, name, workdir, r + 1)
            Log("%s round %d: %.3f s to the first write on the new primary (port %d, was "
                "%d); +sdown %s, +odown %s, +switch-master %s"
                % (name, r + 1, res["seconds"], res["new_port"], res["old_port"],
                   *[Fmt(res["events"][ch], 3) for ch in EVENTS]))
            rounds.append(res)
    results["time"] = {"systems": systems, "rounds": rounds, "notes": notes}


# ----------------------------------------------------------------------------- report

def Summary(rounds, system, key=None):
    values = [(r["events"][key] if key else r["seconds"]) for r in rounds
              if r["system"] == system]
    values = [v for v in values if v is not None]
    if not values:
        return None, None, None
    return Median(values), min(values), max(values)


def RenderTime(s, results):
    data = results["time"]
    rounds, systems = data["rounds"], data["systems"]
    desc = {"Redis": "redis-server 7.0 + redis-sentinel 7.0",
            "Basalt": "Basalt + Basalt sentinel"}
    rows = []
    med = {}
    for name in systems:
        m, lo, hi = Summary(rounds, name)
        med[name] = m
        ev = [Summary(rounds, name, ch)[0] for ch in EVENTS]
        rows.append(["%s (%s)" % (name, desc[name]), Fmt(m, 2), Fmt(lo, 2), Fmt(hi, 2),
                     str(sum(1 for r in rounds if r["system"] == name))]
                    + [Fmt(v, 2) for v in ev])
    text = ("Failover time: from kill -9 of the primary to the first write acknowledged by "
            "the new primary, seen by a client that asks a sentinel for the primary's "
            "address before every try (SENTINEL GET-MASTER-ADDR-BY-NAME, then one SET, "
            "%d ms between tries). 1 primary, %d replicas, %d sentinels, quorum %d, "
            "down-after-milliseconds %d, failover-timeout %d; every round on fresh processes. "
            "Data nodes on core %s, sentinels on core %s, client on core %s. The event columns "
            "are when the first sentinel published +sdown / +odown about the primary and "
            "+switch-master (medians, seconds after the kill).\n\n"
            % (s.retry_ms, REPLICAS, SENTINELS, QUORUM, s.down_after_ms,
               s.failover_timeout_ms, s.data_cores, s.sentinel_cores, s.client_core))
    text += Table(["System", "median s", "min s", "max s", "rounds", "+sdown s", "+odown s",
                   "+switch-master s"], rows)
    if "Basalt" in med and "Redis" in med:
        text += ("\n\nBasalt/Redis (median failover time): %s"
                 % compare.Ratio(med["Basalt"], med["Redis"]))
    text += "\n\nEvery round, in run order (s):\n\n" + "\n".join(
        "- %s round %d: %.3f (failed tries before it: %d)"
        % (r["system"], r["round"], r["seconds"], r["failed_tries"]) for r in rounds)
    for note in data["notes"]:
        text += "\n\n_%s_" % note
    return text


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
        "- Redis: `%s` (%s), sentinel `%s --sentinel`" % (s.redis, env["redis_version"],
                                                          s.redis_sentinel),
        "- Settings: %d rounds per system, alternating; Basalt data nodes --threads %d"
        % (s.rounds, s.basalt_threads),
    ]
    if not s.basalt_is_basalt:
        lines.append("- **Validation run: BASALT_SERVER is not a Basalt binary, so both "
                     "rows measure Redis.**")
    return "\n".join(lines)


RENDERERS = {"time": RenderTime}
TITLES = {"environment": "Environment", "time": "Failover time"}
DOC_PREFIX = "failover-"  # blocks <!-- bench:failover-NAME:begin/end --> (compare.WriteDocs)


# ----------------------------------------------------------------------------- main

def CheckTools(s):
    problems = []
    for name, path in (("BASALT_SERVER", s.basalt), ("REDIS_SERVER", s.redis),
                       ("REDIS_SENTINEL", s.redis_sentinel)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            problems.append("%s=%s is not an executable file" % (name, path))
    if not shutil.which("taskset"):
        problems.append("taskset (util-linux) is missing")
    if problems:
        hint = "" if os.path.exists(s.basalt) else (
            "\n(build Basalt with `make build`, or point BASALT_SERVER at a binary)")
        raise SystemExit("bench/failover: " + "; ".join(problems) + hint)


def Run(s):
    """Runs the rounds; returns (environment, results, failures)."""
    if s.client_core:
        os.sched_setaffinity(0, {int(c) for c in s.client_core.split(",")})
    workdir = tempfile.mkdtemp(prefix="basalt-failover-")
    results, failures = {}, {}
    try:
        # A private copy, so that a rebuild of build/ during the run cannot swap binaries.
        os.makedirs(os.path.join(workdir, "bin"))
        s.basalt_bin = os.path.join(workdir, "bin", os.path.basename(s.basalt))
        shutil.copy2(s.basalt, s.basalt_bin)
        Log("failover: %d rounds of %s; Basalt=%s Redis=%s + %s"
            % (s.rounds, "/".join(s.systems), s.basalt, s.redis, s.redis_sentinel))
        env = compare.Environment(types.SimpleNamespace(basalt=s.basalt_bin, redis=s.redis),
                                  workdir)
        env["basalt_built"] = datetime.datetime.fromtimestamp(
            os.path.getmtime(s.basalt), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
        persistence.RunSections(s.sections, {"time": SectionTime}, s, workdir, results,
                                failures)
        env["load_after"] = compare.ReadLoad()
    finally:
        PROCS.StopAll()
        shutil.rmtree(workdir, ignore_errors=True)
    return env, results, failures


def Report(s, env, results, failures):
    def Write(path, blocks):
        compare.WriteDocs(path, {DOC_PREFIX + k: v for k, v in blocks.items()})
    persistence.PrintReport(s, env, results, failures, "failover", RenderEnvironment(s, env),
                            RENDERERS, TITLES, ALL_SECTIONS, Write)


def FromJson(s, path):
    """(environment, results, failures) of an earlier --json run; its settings go to `s`."""
    with open(path) as f:
        data = json.load(f)
    keep = ("write_docs", "docs_file", "default_docs", "json_out")
    for key, value in data["settings"].items():
        if key not in keep:
            setattr(s, key, value)
    return data["environment"], data["results"], data["failures"]


def main():
    return persistence.BenchMain("failover", ALL_SECTIONS, Settings, FromJson, CheckTools,
                                 Run, Report)


if __name__ == "__main__":
    sys.exit(main())
