#!/usr/bin/python3
"""Measures how long a server keeps one idle client waiting, while something else loads it.

bench/compare runs this beside a bulk loader during the growth benchmark: every
INTERVAL_MS it sends one `GET key:000000000000` on its own connection and times
the round trip. A server that stalls (a blocking rehash, a big allocation, a
long event-loop iteration) shows up as a slow probe, so the maximum here is the
worst single-command latency a client saw during the run.

Protocol with the caller: prints `READY` on stdout once connected, probes until
SIGTERM/SIGINT, then prints one JSON object with the statistics and exits.

Usage: latency_probe.py PORT [INTERVAL_MS]
"""

import json
import signal
import socket
import sys
import time

COMMAND = b"*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000000\r\n"
SOCKET_TIMEOUT_S = 60.0

stop = False


def OnSignal(signum, frame):
    global stop
    stop = True


class Reader:
    """Reads one RESP bulk-string (or error/simple) reply from a blocking socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _Fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def ReadReply(self):
        while b"\r\n" not in self.buf:
            self._Fill()
        line, _, rest = self.buf.partition(b"\r\n")
        kind = line[:1]
        if kind == b"$":
            length = int(line[1:])
            need = 0 if length < 0 else length + 2
            while len(rest) < need:
                self._Fill()
                line, _, rest = self.buf.partition(b"\r\n")
            self.buf = rest[need:]
        elif kind in (b"+", b"-", b":", b"_"):
            self.buf = rest
        else:
            raise ValueError("unexpected reply %r" % line[:40])


def Percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


def main() -> int:
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    port = int(sys.argv[1])
    interval_ns = int(float(sys.argv[2]) * 1e6) if len(sys.argv) > 2 else 1_000_000
    signal.signal(signal.SIGTERM, OnSignal)
    signal.signal(signal.SIGINT, OnSignal)

    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = Reader(sock)
    sys.stdout.write("READY\n")
    sys.stdout.flush()

    samples = []  # (start offset in ns, latency in ns)
    error = None
    start = time.perf_counter_ns()
    next_at = start
    while not stop:
        now = time.perf_counter_ns()
        if now < next_at:
            time.sleep((next_at - now) / 1e9)
            continue
        t0 = time.perf_counter_ns()
        try:
            sock.sendall(COMMAND)
            reader.ReadReply()
        except (OSError, ValueError) as e:
            # A timeout counts as one sample of the full timeout: the server made us wait.
            samples.append((t0 - start, time.perf_counter_ns() - t0))
            error = "%s: %s" % (type(e).__name__, e)
            break
        t1 = time.perf_counter_ns()
        samples.append((t0 - start, t1 - t0))
        # Never send a burst to catch up after a stall: one probe per interval at most.
        next_at = max(next_at + interval_ns, t1)

    latencies = sorted(lat for _, lat in samples)
    worst = sorted(samples, key=lambda s: s[1], reverse=True)[:5]
    ms = lambda ns: None if ns is None else round(ns / 1e6, 3)
    result = {
        "samples": len(samples),
        "duration_s": round((time.perf_counter_ns() - start) / 1e9, 3),
        "interval_ms": interval_ns / 1e6,
        "p50_ms": ms(Percentile(latencies, 0.50)),
        "p99_ms": ms(Percentile(latencies, 0.99)),
        "p999_ms": ms(Percentile(latencies, 0.999)),
        "max_ms": ms(latencies[-1] if latencies else None),
        "over_1ms": sum(1 for x in latencies if x > 1_000_000),
        "over_10ms": sum(1 for x in latencies if x > 10_000_000),
        "over_100ms": sum(1 for x in latencies if x > 100_000_000),
        "worst": [{"at_s": round(t / 1e9, 3), "ms": ms(lat)} for t, lat in worst],
        "error": error,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main())
