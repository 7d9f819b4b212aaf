"""ioredis (Node.js) through Sentinel: connect by master name, write, follow a failover.

The client is tests/interop/ioredis/sentinel_client.js: `new Redis({sentinels, name:
'mymaster'})`, a SET + GET every 20 ms, one JSON line per command with the port of the
node that acknowledged it. Here a topology from sentinel_util
(Basalt data nodes and Basalt sentinels by default; DATA_IMPL / SENTINEL_IMPL=redis switch
either half to Debian's redis-server / redis-sentinel) fails over, by SENTINEL FAILOVER or
by kill -9 of the primary, and ioredis must end up writing to the new primary by itself.
Basalt data nodes run in synchronous mode, so after a kill -9 every write ioredis saw
acknowledged must also be on the new primary.

What this exercises on the sentinel side is what ioredis relies on: SENTINEL
GET-MASTER-ADDR-BY-NAME, SENTINEL SENTINELS (ioredis refreshes its sentinel list from it),
the +switch-master pub/sub message (ioredis's failoverDetector, used for the planned
failover) and INFO's role field, which ioredis checks on every (re)connection to the node
a sentinel named.

Skipped, with the reason, when node or the npm packages are missing: scripts/install-deps
runs `npm ci` in tests/interop/ioredis and only warns when the npm registry is unreachable.
"""

import json
import os
import queue
import shutil
import subprocess
import threading

import pytest

import servers
from helpers import TRANSIENT_ERRORS, missing_dependency, wait_for
from repl_util import crash
from sentinel_util import CONVERT_TIMEOUT, MASTER, Topology, data_binary

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.join(os.path.dirname(HERE), 'interop', 'ioredis')
SCRIPT = os.path.join(CLIENT_DIR, 'sentinel_client.js')
TIMEOUT = 30 * servers.TIME_SCALE


def node_or_skip():
    node = shutil.which('node')
    if node is None:
        missing_dependency('node not installed (scripts/install-deps installs nodejs)')
    if not os.path.isfile(os.path.join(CLIENT_DIR, 'node_modules', 'ioredis', 'package.json')):
        missing_dependency('ioredis not installed in tests/interop/ioredis (scripts/install-deps '
                           'runs `npm ci` there; it warned if the npm registry was unreachable)')
    return node


class IoredisClient:
    """sentinel_client.js as a child process; its JSON lines are collected by a thread."""

    def __init__(self, node, sentinel_addrs, prefix, failover_detector):
        addrs = ','.join('%s:%d' % a for a in sentinel_addrs)
        self.proc = subprocess.Popen(
            [node, SCRIPT, '--sentinels', addrs, '--name', MASTER, '--prefix', prefix,
             '--interval-ms', '20', '--max-seconds', str(int(4 * TIMEOUT)),
             '--failover-detector', 'yes' if failover_detector else 'no'],
            cwd=CLIENT_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        self.lines = queue.Queue()
        self.events = []
        self.stderr = b''
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            try:
                self.lines.put(json.loads(raw))
            except ValueError:
                self.lines.put({'event': 'garbage', 'line': raw.decode('utf-8', 'replace')})

    def _drain(self, block_for=0.0):
        try:
            self.events.append(self.lines.get(timeout=block_for) if block_for else
                               self.lines.get_nowait())
        except queue.Empty:
            return
        while True:
            try:
                self.events.append(self.lines.get_nowait())
            except queue.Empty:
                return

    def writes(self):
        return [e for e in self.events if e['event'] == 'write']

    def wait_write_to(self, port, count=1, timeout=TIMEOUT, after=0):
        """Waits for `count` acknowledged writes with index >= after that port carried;
        returns them."""
        def written():
            self._drain(0.1)
            got = [w for w in self.writes() if w['port'] == port and w['i'] >= after]
            if len(got) >= count:
                return got
            fatal = [e for e in self.events if e['event'] in ('fatal', 'garbage', 'end')]
            assert not fatal, 'ioredis client failed: %r\nstderr: %s' % (fatal, self.tail())
            assert self.proc.poll() is None, 'ioredis client exited with %s: %s' % (
                self.proc.returncode, self.tail())
            return None
        return wait_for(written, timeout, 'ioredis to write to port %d' % port, interval=0,
                        detail=lambda: 'last events: %r\nstderr: %s' % (self.events[-15:],
                                                                          self.tail()))

    def wait_tail_on(self, port, n=5, timeout=TIMEOUT):
        """Waits until the last n writes all went to port."""
        def stays():
            self._drain(0.1)
            tail = self.writes()[-n:]
            if len(tail) == n and all(w['port'] == port for w in tail):
                return True
            assert self.proc.poll() is None, 'ioredis client exited with %s: %s' % (
                self.proc.returncode, self.tail())
            return False
        wait_for(stays, timeout, 'ioredis to stay on port %d' % port, interval=0,
                 detail=lambda: 'last events %r' % (self.events[-15:],))

    def last_index(self):
        self._drain()
        ws = self.writes()
        return ws[-1]['i'] if ws else -1

    def finish(self):
        """Closes stdin (the script's stop signal); returns its 'done' event."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError('ioredis client did not stop when its stdin closed')
        self._reader.join(timeout=5)
        self.stderr = self.proc.stderr.read()
        self._drain()
        done = [e for e in self.events if e['event'] == 'done']
        assert done, 'no done event; events %r\nstderr: %s' % (self.events[-15:], self.tail())
        return done[-1]

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def tail(self):
        return self.stderr.decode('utf-8', 'replace')[-2000:]


def synchronous_args():
    """Basalt data nodes run in synchronous mode (a write is answered once a replica has
    applied it); redis-server has no such mode."""
    if servers.is_basalt(data_binary()):
        return ['--min-replicas-ack', '1', '--min-replicas-ack-timeout', '2000']
    return []


@pytest.mark.parametrize('fault', ['sentinel-failover', 'kill-primary'])
def test_ioredis_follows_failover(fault):
    node = node_or_skip()
    sync = synchronous_args()
    with Topology(replicas=2, sentinels=3, quorum=2, down_after=1000,
                  failover_timeout=10000, data_args=sync) as topo:
        old = topo.primary
        old_addr = topo.addr(old)
        assert topo.master_addr() == old_addr
        # failoverDetector (+switch-master) for the planned failover, where the old primary
        # stays up; after a crash the dropped connection is what ioredis follows (see
        # sentinel_client.js for the ioredis race that makes the detector unsafe there).
        client = IoredisClient(node, topo.sentinel_addrs(), 'io-' + fault,
                               failover_detector=(fault == 'sentinel-failover'))
        try:
            client.wait_write_to(old.port, count=5)
            if fault == 'sentinel-failover':
                assert topo.sentinels[0].sentinel('FAILOVER', MASTER) in (b'OK', 'OK', True)
            else:
                crash(old)
            new = topo.wait_failover(old_addr, timeout=TIMEOUT)
            assert new.port != old.port
            # Writes issued after the sentinels agreed must land on the new primary.
            after = client.last_index() + 1
            moved = client.wait_write_to(new.port, count=5, after=after)
            # For a moment after a SENTINEL FAILOVER a sentinel that has not yet heard of
            # the switch still names the old primary, which accepts writes until a sentinel
            # demotes it; ioredis may reconnect through such a sentinel (so it is with
            # redis-sentinel too). What must hold is that it ends up on the new primary.
            client.wait_tail_on(new.port, timeout=CONVERT_TIMEOUT)
            done = client.finish()
        finally:
            client.kill()

        writes = client.writes()
        bad = [w for w in writes if not w['ok']]
        assert not bad, 'GET did not return the value just SET: %r' % bad[:5]
        assert done['writes'] == len(writes)
        assert new.port in done['ports']
        last = writes[-5:]
        assert all(w['port'] == new.port for w in last), (
            'the last writes did not all go to the new primary %d: %r' % (new.port, last))
        # What the new primary acknowledged is there, and the replicas follow it.
        c = new.client()
        try:
            for w in moved:
                assert c.get('io-%s:%d' % (fault, w['i'])) == str(w['i'])
            assert c.get('io-%s:%d' % (fault, last[-1]['i'])) == str(last[-1]['i'])
            if sync and fault == 'kill-primary':
                # Every write ioredis saw acknowledged reached a replica before its reply,
                # and the sentinels promote the replica with the highest offset: none is lost.
                acked = [w['i'] for w in writes]
                got = c.mget(['io-%s:%d' % (fault, i) for i in acked])
                lost = [i for i, v in zip(acked, got) if v != str(i)]
                assert not lost, '%d acknowledged writes missing on the new primary: %r' % (
                    len(lost), lost[:10])
        finally:
            c.close()
        key, value = 'io-%s:%d' % (fault, writes[-1]['i']), str(writes[-1]['i'])
        for r in [n for n in topo.data_nodes if n is not new and n is not old and n.alive()]:
            wait_for(lambda: get(r, key) == value, TIMEOUT,
                     'replica %d to have the last write' % r.port, retry_on=TRANSIENT_ERRORS)


def get(srv, key):
    c = srv.client()
    try:
        return c.get(key)
    finally:
        c.close()
