#!/usr/bin/python3
"""A TCP proxy that delays every byte by a latency with jitter, for drills on
kernels without `tc netem` (packet loss is real: firewall rules in the
namespaces, netns.Net.impair).

    delay_proxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS JITTER_MS

Each chunk read from one side is sent to the other DELAY_MS +- JITTER_MS
(uniform) after it arrived, never before the chunk ahead of it (a TCP stream
keeps its order, so jitter shows as bunching, as it does through netem with a
FIFO queue). Prints "ready" once listening. Runs until killed.
"""

import random
import socket
import sys
import threading
import time
from collections import deque


def pump(src, dst, delay, jitter):
    queue = deque()
    cv = threading.Condition()
    done = [False]

    def sender():
        last = 0.0
        while True:
            with cv:
                while not queue and not done[0]:
                    cv.wait()
                if not queue:
                    break
                due, chunk = queue.popleft()
            due = max(due, last)
            last = due
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                dst.sendall(chunk)
            except OSError:
                break
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    while True:
        try:
            chunk = src.recv(65536)
        except OSError:
            chunk = b''
        with cv:
            if not chunk:
                done[0] = True
                cv.notify()
                break
            queue.append((time.monotonic() + max(0.0, delay + random.uniform(-jitter, jitter)),
                          chunk))
            cv.notify()
    t.join()


def serve(conn, target, delay, jitter):
    try:
        up = socket.create_connection(target, timeout=10)
        up.settimeout(None)
    except OSError:
        conn.close()
        return
    for s in (conn, up):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    a = threading.Thread(target=pump, args=(conn, up, delay, jitter), daemon=True)
    b = threading.Thread(target=pump, args=(up, conn, delay, jitter), daemon=True)
    a.start()
    b.start()
    a.join()
    b.join()
    conn.close()
    up.close()


def main():
    host, port, thost, tport, delay_ms, jitter_ms = sys.argv[1:7]
    target = (thost, int(tport))
    delay, jitter = float(delay_ms) / 1000, float(jitter_ms) / 1000
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, int(port)))
    lsock.listen(64)
    print('ready', flush=True)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, target, delay, jitter), daemon=True).start()


if __name__ == '__main__':
    main()
