"""Drift under network trouble (issue 16): a primary and two replicas in
network namespaces this test creates, 5% packet loss each way on the
replicas' links (real drops: firewall rules, netns.Net.impair) and 50 ms
+- 10 ms of latency (delay_proxy.py: this workplace's kernels have no
`tc netem`), under a write load. One replica's link then flaps: cut for
longer than repl-timeout, healed, three times; it must continue by partial
resync each time. The online consistency check (scripts/basalt-check, run
while the writes go on) must then report no difference on either replica.
"""

import json
import os
import subprocess
import threading
import time

import pytest

import netns
from helpers import TIMEOUT, link_up, wait_for, wait_synced
from repl_util import sync_stats
from servers import basalt_binary

pytestmark = pytest.mark.basalt_only('the consistency check is Basalt\'s own')

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, 'delay_proxy.py')
CHECK = os.path.join(HERE, '..', '..', 'scripts', 'basalt-check')
PYTHON = '/usr/bin/python3'
PROXY_PORT = 7000
REPL_ARGS = ('--repl-timeout', '2', '--repl-ping-replica-period', '1',
             '--repl-backlog-size', '64mb')


@pytest.fixture
def net():
    netns.skip_unless_available()
    n = netns.Net(['primary', 'r1', 'r2'])
    yield n
    n.close()
    assert netns.our_leftovers() == []


class Load:
    """A thread writing strings, counters, lists and hashes to the primary."""

    def __init__(self, client):
        self.c = client
        self.count = 0
        self.errors = []
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self._stop.is_set():
            try:
                p = self.c.pipeline(transaction=False)
                for _ in range(20):
                    i += 1
                    p.set('s:%d' % (i % 5000), i)
                    p.incr('n:%d' % (i % 100))
                    p.lpush('l:%d' % (i % 50), i)
                    p.ltrim('l:%d' % (i % 50), 0, 99)
                    p.hset('h:%d' % (i % 200), 'f%d' % (i % 7), i)
                p.execute()
                self.count += 20
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                return

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join(timeout=30)


def test_impaired_links_flapping_replica_and_consistency(net):
    binary = basalt_binary()
    primary = net['primary'].server(binary, *REPL_ARGS)
    started, proxies = [], []
    try:
        primary.start()
        started.append(primary)
        replicas = []
        for name in ('r1', 'r2'):
            proxy = net[name].popen([PYTHON, PROXY, '127.0.0.1', PROXY_PORT, primary.host,
                                     primary.port, 50, 10], stdout=subprocess.PIPE)
            proxies.append(proxy)
            assert proxy.stdout.readline().strip() == b'ready'
            net.impair(name, 0.05)
            srv = net[name].server(binary, *REPL_ARGS, '--replicaof', '127.0.0.1', PROXY_PORT)
            srv.start()
            started.append(srv)
            replicas.append(srv)
        for r in replicas:
            wait_for(lambda: link_up(r), TIMEOUT, 'the replica link up')
        assert sync_stats(primary)[0] == 2
        pc = primary.client()
        with Load(pc) as load:
            wait_for(lambda: load.count > 2000, TIMEOUT, 'writes through the impaired links')
            # Flaps: each cut outlasts repl-timeout (the link goes down on
            # both sides), each heal lets the replica continue from the backlog.
            r1 = replicas[0]
            for flap in range(3):
                before = sync_stats(primary)
                net.partition('primary', 'r1')
                wait_for(lambda: r1.client().info('replication')['master_link_status'] == 'down',
                         TIMEOUT, 'the link down (flap %d)' % flap)
                net.heal()
                wait_for(lambda: link_up(r1), TIMEOUT, 'the link up again (flap %d)' % flap)
                after = sync_stats(primary)
                assert after[0] == before[0], 'flap %d needed a full sync' % flap
                assert after[1] > before[1], (flap, before, after)
            # The check runs while the writes go on.
            check = subprocess.run(net.client_prefix + [PYTHON, CHECK, '-H', primary.host, '-p',
                                                        str(primary.port), '--json'],
                                   capture_output=True, text=True, timeout=300)
            written = load.count
        assert load.errors == []
        assert check.stdout, check.stderr
        report = json.loads(check.stdout)
        assert check.returncode == 0, report
        assert report['differing_ranges'] == 0, report
        assert [r['status'] for r in report['replicas']] == ['ok', 'ok'], report
        assert report['keys'] > 1000, report
        assert written > 4000
        # And the replicas did see the writes after the check too.
        wait_synced(primary, *replicas, timeout=60)
        assert sync_stats(primary)[0] == 2
    finally:
        for p in proxies:
            p.kill()
            p.wait()
        for srv in reversed(started):
            srv.stop(check=False)
    crashes = [srv.check_crash() for srv in started]
    for srv in started:
        srv.cleanup()
    assert crashes == [None] * len(started)
