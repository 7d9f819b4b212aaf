#!/usr/bin/python3
"""Streams, Basalt side by side with redis-server 7.0: memory per entry and
XADD / XREADGROUP throughput.

Memory: one stream of N entries "XADD s <i>-1 f <8-byte value>" (explicit IDs,
so both servers store the same IDs), then MEMORY USAGE s SAMPLES 0, divided by N,
for N = 1,000 and 100,000.
Throughput: redis-benchmark -P 16 -n 200000 -c 50 on a fresh server each:
  XADD     XADD s * f 12345678
  XREADGROUP  XREADGROUP GROUP g c COUNT 1 STREAMS s >   (s prefilled with
              200,000 entries, group g created at 0)
Each server runs alone (Basalt with --threads 1). The machine is shared, so
take the figures as a ratio, not absolutes.

Usage: bench/streams.py [BASALT_BINARY] [REDIS_BINARY]
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(binary):
    port = free_port()
    d = tempfile.mkdtemp(prefix='bench-streams-')
    args = [binary, '--port', str(port), '--bind', '127.0.0.1', '--save', '', '--dir', d]
    if 'basalt' in os.path.basename(binary):
        args += ['--threads', '1']
    else:
        args += ['--appendonly', 'no']
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if cli(port, 'PING', check=False) == 'PONG':
            return proc, port
        time.sleep(0.05)
    raise RuntimeError('server did not start: ' + binary)


def cli(port, *args, check=True, stdin=None):
    r = subprocess.run(['redis-cli', '-p', str(port)] + list(args), capture_output=True,
                       text=True, input=stdin, check=check)
    return r.stdout.strip()


def fill(port, n, key='s'):
    cmds = ''.join('XADD %s %d-1 f %08d\n' % (key, i + 1, i) for i in range(n))
    subprocess.run(['redis-cli', '-p', str(port), '--pipe'], input=cmds, text=True,
                   capture_output=True, check=True)


def memory(binary):
    out = {}
    for n in (1000, 100000):
        proc, port = start(binary)
        try:
            fill(port, n)
            out[n] = int(cli(port, 'MEMORY', 'USAGE', 's', 'SAMPLES', '0')) / n
        finally:
            proc.terminate()
            proc.wait()
    return out


def rps(port, *cmd):
    r = subprocess.run(['redis-benchmark', '-p', str(port), '-P', '16', '-n', '200000', '-c',
                        '50', '-q', '--csv'] + list(cmd), capture_output=True, text=True)
    m = re.findall(r'"([0-9.]+)"', r.stdout)
    return float(m[0]) if m else float('nan')


def throughput(binary):
    out = {}
    proc, port = start(binary)
    try:
        out['XADD'] = rps(port, 'XADD', 's', '*', 'f', '12345678')
    finally:
        proc.terminate()
        proc.wait()
    proc, port = start(binary)
    try:
        fill(port, 200000)
        cli(port, 'XGROUP', 'CREATE', 's', 'g', '0')
        out['XREADGROUP'] = rps(port, 'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS',
                                's', '>')
    finally:
        proc.terminate()
        proc.wait()
    return out


def main():
    basalt = sys.argv[1] if len(sys.argv) > 1 else 'build/basalt-server'
    redis = sys.argv[2] if len(sys.argv) > 2 else '/usr/bin/redis-server'
    for name, binary in (('basalt', basalt), ('redis', redis)):
        mem = memory(binary)
        tp = throughput(binary)
        print('%-7s bytes/entry: 1k=%.1f 100k=%.1f   XADD %.0f/s   XREADGROUP %.0f/s' % (
            name, mem[1000], mem[100000], tp['XADD'], tp['XREADGROUP']))


if __name__ == '__main__':
    main()
