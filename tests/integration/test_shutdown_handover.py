"""Planned primary restart: SIGTERM with `shutdown-handover yes`.

What `kubectl delete pod` of the primary does: SIGTERM. With the handover
on, the primary pauses writes, waits for a replica to hold its whole stream,
asks the sentinels (`primary-discovery-sentinels`) for SENTINEL FAILOVER and
exits once they name the new primary. Synchronous mode, a writer following
the primary through redis-py's Sentinel client: no acknowledged write may be
lost, the old primary acknowledges nothing after the new one's first, and
the writes stop for much less than a failure detection would take
(down-after-milliseconds is 5000 here, as deployed, so a handover that did not
happen would show as a gap of over 5 s).
"""
import re
import time

import servers
from helpers import TRANSIENT_ERRORS, repl_info, wait_for
from sentinel_drill import DrillWriter, account, sync_args, wait_settled
from sentinel_util import Topology

SCALE = servers.TIME_SCALE
DOWN_AFTER_MS = 5000
# Generous for CI; the measured gap is printed (docs/benchmarks.md has figures).
GAP_BOUND = 2.0 * SCALE


def largest_gap(acks, after):
    times = sorted(a.acked for a in acks if a.acked >= after)
    return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def test_sigterm_of_the_primary_hands_over_without_loss():
    with Topology(replicas=2, sentinels=3, quorum=2, down_after=DOWN_AFTER_MS,
                  failover_timeout=10000,
                  data_args=sync_args() + ['--shutdown-handover', 'yes']) as topo:
        sentinels = ' '.join('%s:%d' % a for a in topo.sentinel_addrs())
        for n in topo.data_nodes:
            n.client().config_set('primary-discovery-sentinels', sentinels)
        old = topo.primary
        old_addr = topo.addr(old)
        with DrillWriter(topo.sentinel_addrs(), prefix='handover') as w:
            w.wait_acks(300, what='writes before the SIGTERM')
            t0 = time.monotonic()
            old.proc.terminate()
            rc = old.proc.wait(timeout=30 * SCALE)
            exited = time.monotonic() - t0
            new = topo.wait_failover(old_addr)
            new_addr = topo.addr(new)
            w.wait_acks(200, node=new_addr, what='writes acknowledged by the new primary')
            gap = largest_gap(w.acks(), t0 - 1)
        log = open(old.log_path).read()
        print('SIGTERM to exit %.3f s; largest gap between acknowledged writes %.3f s' % (
            exited, gap))
        assert rc == 0, log
        assert re.search(r'shutdown-handover: [23] of 3 sentinels name', log), log
        assert gap <= GAP_BOUND, 'writes stopped for %.3f s' % gap
        # The old primary back with its old config: discovery makes it a replica.
        old.extra_args += ['--primary-discovery-sentinels', sentinels]
        old.start()
        assert repl_info(old)['role'] == 'slave'
        wait_settled(topo)
        report = account('handover', w, new.client(), old_addr, new_addr, t0)
        print(report.summary())
        assert not report.lost, report.summary()
        assert not report.split.after_new, report.summary()


def test_no_handover_without_sentinels_still_shuts_down():
    """shutdown-handover with no sentinel configured: a warning, then the
    ordinary shutdown (replicas caught up, exit 0)."""
    binary = servers.basalt_binary()
    with servers.start_server(binary, '--shutdown-handover', 'yes') as primary:
        with servers.start_server(binary, '--replicaof', primary.host, str(primary.port)) as r:
            wait_for(lambda: repl_info(r)['master_link_status'] == 'up', 20 * SCALE,
                     'the replica link', retry_on=TRANSIENT_ERRORS)
            primary.client().set('k', 'v')
            primary.proc.terminate()
            assert primary.proc.wait(timeout=20 * SCALE) == 0
            assert 'no usable primary-discovery-sentinels' in primary.log_text()
