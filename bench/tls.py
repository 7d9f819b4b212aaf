#!/usr/bin/python3
"""TLS throughput of Basalt and of redis-server 7.0 side by side; run through bench/tls.
What the figures mean: docs/benchmarks.md, "TLS".

A CA, a server and a client certificate are generated with `openssl` into a temp
dir. Each server is started on free loopback ports with a plain port and a
tls-port, pinned to SERVER_CORE (Basalt --threads 1). redis-benchmark, pinned to
CLIENT_CORE, runs SET and GET (-c 50, -r KEYSPACE, 3-byte values) at -P 16 and
-P 1, over TLS (--tls --cert --key --cacert) and, for reference, in clear text
on the same server; Basalt then Redis, for ROUNDS alternating rounds. The report
shows the median requests/s of each.

BASELINE=path/to/another/basalt-server adds a third column, clear text only
(used to check that the clear-text path of a change did not get slower).

Environment (all optional): BASALT_SERVER (build/basalt-server), REDIS_SERVER,
REDIS_BENCHMARK, BASELINE, ROUNDS (3), N_P16 (1000000), N_P1 (100000),
KEYSPACE (100000), SERVER_CORE (0), CLIENT_CORE (1), MODES (tls,plain).
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def env(name, default):
    return os.environ.get(name, default)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def openssl(d, *args):
    subprocess.run(['openssl', *args], cwd=d, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certs(d):
    openssl(d, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out',
            'ca.crt', '-days', '2', '-subj', '/CN=bench CA')
    for name in ('server', 'client'):
        openssl(d, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', name + '.key', '-out',
                name + '.csr', '-subj', '/CN=' + name)
        openssl(d, 'x509', '-req', '-in', name + '.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
                '-CAcreateserial', '-out', name + '.crt', '-days', '2')


class Server:
    def __init__(self, binary, certs, core, tls=True):
        self.binary = binary
        self.port, self.tls_port = free_port(), free_port()
        self.dir = tempfile.mkdtemp(prefix='bench-tls-')
        cmd = ['taskset', '-c', str(core), binary, '--port', str(self.port), '--bind',
               '127.0.0.1', '--dir', self.dir, '--save', '', '--appendonly', 'no']
        if tls:
            cmd += ['--tls-port', str(self.tls_port), '--tls-cert-file', certs + '/server.crt',
                    '--tls-key-file', certs + '/server.key', '--tls-ca-cert-file',
                    certs + '/ca.crt']
        if 'basalt' in os.path.basename(binary):
            cmd += ['--threads', '1']
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=1) as s:
                    s.sendall(b'PING\r\n')
                    if s.recv(10).startswith(b'+PONG'):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError('%s did not start' % binary)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def bench(server, certs, tls, pipeline, n):
    cmd = ['taskset', '-c', env('CLIENT_CORE', '1'), env('REDIS_BENCHMARK',
                                                           '/usr/bin/redis-benchmark'),
           '-h', '127.0.0.1', '-c', '50', '-n', str(n), '-P', str(pipeline), '-r',
           env('KEYSPACE', '100000'), '-t', 'set,get', '--csv']
    if tls:
        cmd += ['-p', str(server.tls_port), '--tls', '--cert', certs + '/client.crt', '--key',
                certs + '/client.key', '--cacert', certs + '/ca.crt']
    else:
        cmd += ['-p', str(server.port)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        parts = [p.strip('"') for p in line.split(',')]
        if parts and parts[0] in ('SET', 'GET'):
            result[parts[0]] = float(parts[1])
    return result


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    servers = [('Basalt', env('BASALT_SERVER', os.path.join(here, '..', 'build',
                                                              'basalt-server'))),
               ('Redis 7.0', env('REDIS_SERVER', '/usr/bin/redis-server'))]
    if env('BASELINE', ''):
        servers.append(('Baseline', env('BASELINE', '')))
    rounds = int(env('ROUNDS', '3'))
    modes = env('MODES', 'tls,plain').split(',')
    sizes = {16: int(env('N_P16', '1000000')), 1: int(env('N_P1', '100000'))}
    certs = tempfile.mkdtemp(prefix='bench-tls-certs-')
    make_certs(certs)
    results = {}  # (server, mode, P, cmd) -> [rps]
    try:
        for r in range(rounds):
            for label, binary in servers:
                # The baseline may predate TLS: clear text only.
                server_modes = [m for m in modes if label != 'Baseline' or m == 'plain']
                if not server_modes:
                    continue
                srv = Server(binary, certs, env('SERVER_CORE', '0'), tls='tls' in server_modes)
                try:
                    for mode in server_modes:
                        for p, n in sizes.items():
                            got = bench(srv, certs, mode == 'tls', p, n)
                            for cmd, rps in got.items():
                                results.setdefault((label, mode, p, cmd), []).append(rps)
                            print('round %d %s %s -P %d: %s' % (r + 1, label, mode, p, got),
                                  file=sys.stderr, flush=True)
                finally:
                    srv.stop()
    finally:
        shutil.rmtree(certs, ignore_errors=True)
    labels = [label for label, _ in servers]
    print('| Mode | Pipeline | Command | ' + ' | '.join(labels) + ' |')
    print('|---|---|---|' + '---:|' * len(labels))
    for mode in modes:
        for p in sizes:
            for cmd in ('SET', 'GET'):
                cells = []
                for label in labels:
                    v = results.get((label, mode, p, cmd))
                    cells.append('{:,.0f}'.format(statistics.median(v)) if v else '-')
                print('| %s | -P %d | %s | %s |' % (mode, p, cmd, ' | '.join(cells)))
    print('\n(medians of %d rounds, requests/s, -c 50, -r %s; server on core %s, client on '
          'core %s)' % (rounds, env('KEYSPACE', '100000'), env('SERVER_CORE', '0'),
                        env('CLIENT_CORE', '1')))


if __name__ == '__main__':
    main()
