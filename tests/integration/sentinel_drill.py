"""Writers and lost-write accounting for the sentinel fault drills.

A DrillWriter writes through redis-py's sentinel-aware client
(redis.sentinel.Sentinel(...).master_for(...)), the way an application does:
every attempt is `SET <prefix>:<i> <i>` with a fresh i, so each value is
unique and a write that failed (and may or may not have been applied) never
shares a key with one that succeeded. A write counts as acknowledged only
when the reply is +OK; for each one the writer records which node answered
(host, port of the connection the sentinels pointed it to) and when the
command was sent and answered (time.monotonic()). Errors (connection lost,
time-outs, READONLY, NOREPLICAS, no primary known) are counted by kind; the
writer then drops its connection, so the next attempt asks the sentinels
again for the primary, and goes on.

After the drill, account() reads every acknowledged key back from the final
primary (lost = missing or different), and split_brain() answers "how long
did the old primary go on acknowledging writes once the new one had
started to": the acknowledgements the old primary gave after the new primary's
first one, and after the fault began.

Also here: the data-node options of the two modes (node_args), and
wait_settled() (replication caught up). Processes, topologies and failover
waits come from sentinel_util.

Thread-safety: a DrillWriter owns its threads; its acks() and counters may be
read from the test thread at any time (they are guarded by a lock). The rest
is for the test thread only.
"""
import collections
import contextlib
import threading
import time

import redis
import redis.sentinel

import sentinel_util
import servers
from helpers import TRANSIENT_ERRORS, link_up, repl_info, wait_for, wait_link_up, wait_synced

SERVICE = sentinel_util.MASTER
SCALE = servers.TIME_SCALE

# Synchronous replication (Basalt only): a write's reply waits until one replica
# applied it, for at most 2 s (then it is an error, i.e. not acknowledged).
SYNC_ACK_TIMEOUT_MS = 2000
# A primary that has had no replica acknowledgement for this long refuses writes
# up front (both modes, both implementations: Redis's min-replicas-*).
MAX_LAG = 2


def async_args():
    """Data-node options of the asynchronous drills (also valid for redis-server)."""
    return ['--min-replicas-to-write', '1', '--min-replicas-max-lag', str(MAX_LAG),
            '--repl-timeout', '5', '--repl-ping-replica-period', '1']


def sync_args():
    """Data-node options of the synchronous drills (Basalt's min-replicas-ack)."""
    return async_args() + ['--min-replicas-ack', '1',
                           '--min-replicas-ack-timeout', str(SYNC_ACK_TIMEOUT_MS)]


def node_args(mode):
    assert mode in ('sync', 'async'), mode
    return sync_args() if mode == 'sync' else async_args()


Ack = collections.namedtuple('Ack', 'key value node sent acked')
"""One acknowledged write: key and value (str), node (host, port) that answered
+OK, sent / acked (time.monotonic() before sending and after the reply)."""


def error_kind(exc):
    """A short name for a write error, for the drill's counters."""
    if isinstance(exc, redis.sentinel.MasterNotFoundError):
        return 'no-primary'
    if isinstance(exc, redis.TimeoutError):
        return 'timeout'
    if isinstance(exc, redis.ConnectionError):
        # redis-py turns READONLY from a demoted primary into this ConnectionError.
        return 'readonly' if 'now a slave' in str(exc) else 'connection'
    if isinstance(exc, redis.ResponseError):
        word = str(exc).split(' ', 1)[0]
        return word.lower() if word.isupper() else 'error'
    return type(exc).__name__


class DrillWriter:
    """Background writers through the sentinels until stop() (or the with-block ends).

        with DrillWriter(sentinel_addrs) as w:
            w.wait_acks(100)
            ... fault ...
            w.wait_acks_from(new_node, 50)
        report = account(w, final_primary_client)

    sentinel_addrs: [(host, port), ...] of the sentinels. threads: concurrent
    writers (each its own Sentinel client and key prefix). context: a factory
    of context managers each writer thread runs inside, e.g. net.client_side
    for the netns drill (sockets are then made in the client namespace).
    socket_timeout must exceed the synchronous-ack timeout, or a held write
    would look like a dead primary.
    """

    def __init__(self, sentinel_addrs, service=SERVICE, threads=2, prefix='drill',
                 context=None, socket_timeout=None, pause_after_error=0.05):
        self.sentinel_addrs = [(str(h), int(p)) for h, p in sentinel_addrs]
        self.service = service
        self.n = threads
        self.prefix = prefix
        self.context = context or contextlib.nullcontext
        self.socket_timeout = socket_timeout or (SYNC_ACK_TIMEOUT_MS / 1000.0 + 1.5) * SCALE
        self.pause_after_error = pause_after_error
        self._lock = threading.Lock()
        self._acks = []  # Guarded by _lock.
        self._attempted = [0] * threads  # Guarded by _lock: keys 0..n-1 were tried per thread.
        self.errors = collections.Counter()  # Guarded by _lock.
        self.last_error = {}  # kind -> text; guarded by _lock.
        self.crashed = []  # Unexpected exceptions that ended a writer thread.
        self._stop = threading.Event()
        self._threads = []

    # --- running ---------------------------------------------------------------

    def start(self):
        for idx in range(self.n):
            t = threading.Thread(target=self._run, args=(idx,), daemon=True,
                                 name='drill-writer-%d' % idx)
            t.start()
            self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30 * SCALE)
        alive = [t.name for t in self._threads if t.is_alive()]
        assert not alive, 'writer threads did not stop: %s' % alive
        assert not self.crashed, 'writer thread failed: %s' % self.crashed

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self._stop.set()
        if exc[0] is None:
            self.stop()
        return False

    def _run(self, idx):
        try:
            with self.context():
                self._loop(idx)
        except Exception as e:  # Reported by stop(); the test fails there.
            self.crashed.append('%s: %r' % (threading.current_thread().name, e))

    def _loop(self, idx):
        kw = dict(socket_timeout=self.socket_timeout, socket_connect_timeout=1.0 * SCALE)
        sentinel = redis.sentinel.Sentinel(
            self.sentinel_addrs, sentinel_kwargs=dict(socket_timeout=1.0 * SCALE,
                                                      socket_connect_timeout=1.0 * SCALE), **kw)
        pool = sentinel.master_for(self.service, decode_responses=True, **kw).connection_pool
        i = 0
        try:
            while not self._stop.is_set():
                key, value = '%s:%d:%d' % (self.prefix, idx, i), str(i)
                i += 1
                with self._lock:
                    self._attempted[idx] = i
                self._write_once(pool, key, value)
        finally:
            pool.disconnect()
            for s in sentinel.sentinels:
                s.close()

    def _write_once(self, pool, key, value):
        conn = None
        try:
            conn = pool.get_connection('SET')
            # The connection's host/port are those the sentinels named when it
            # connected: the node that acknowledges, if the reply is +OK.
            node = (str(conn.host), int(conn.port))
            sent = time.monotonic()
            conn.send_command('SET', key, value)
            reply = conn.read_response()
            acked = time.monotonic()
            if reply == 'OK':
                with self._lock:
                    self._acks.append(Ack(key, value, node, sent, acked))
                return
            self._count('unexpected-reply', repr(reply))
        except (redis.RedisError, OSError) as e:
            self._count(error_kind(e), str(e))
            # Whatever went wrong, ask the sentinels again before the next write:
            # a NOREPLICAS primary may be one being failed over.
            if conn is not None:
                conn.disconnect()
            time.sleep(self.pause_after_error)
        finally:
            if conn is not None:
                pool.release(conn)

    def _count(self, kind, text):
        with self._lock:
            self.errors[kind] += 1
            self.last_error[kind] = text

    # --- observing -------------------------------------------------------------

    def acks(self):
        with self._lock:
            return list(self._acks)

    def attempted_keys(self):
        """Every key a write was attempted for (acknowledged or not)."""
        with self._lock:
            counts = list(self._attempted)
        return ['%s:%d:%d' % (self.prefix, idx, i) for idx, n in enumerate(counts)
                for i in range(n)]

    def error_counts(self):
        with self._lock:
            return dict(self.errors)

    def wait_acks(self, n, timeout=20, node=None, after=None, what=None):
        """Waits until n more writes are acknowledged (by `node` if given, sent
        after monotonic time `after` if given) than when called; returns the
        acks so far."""
        def matching():
            return [a for a in self.acks()
                    if (node is None or a.node == tuple(node)) and
                    (after is None or a.sent > after)]
        base = len(matching())

        def enough():
            got = matching()
            if len(got) >= base + n:
                return got
            if self.crashed:
                raise AssertionError('writer failed: %s' % self.crashed)
            return None
        return wait_for(enough, timeout * SCALE, what or '%d acknowledged writes' % n,
                        detail=lambda: '%d of %d acknowledged; errors %s, last %s' % (
                            len(matching()) - base, n, self.error_counts(), self.last_error))


# --- accounting ------------------------------------------------------------------


class Report:
    """What a drill wrote and what the final primary holds.

    acked: acknowledged writes; lost: those the final primary does not hold
    with their value; unacked_present: failed attempts that were applied all
    the same (allowed: such a write made no promise); by_node: acks per node;
    errors: error counts by kind.
    """

    def __init__(self, name, acks, lost, attempted, unacked_present, errors, split,
                 offsets=None, promoted=None):
        self.name = name
        self.offsets = dict(offsets or {})
        self.promoted = promoted
        self.acks = acks
        self.lost = lost
        self.attempted = attempted
        self.unacked_present = unacked_present
        self.errors = errors
        self.split = split
        self.by_node = collections.Counter('%s:%d' % a.node for a in acks)

    def promoted_most_advanced(self):
        """True if the promoted replica had the largest offset when the primary
        failed (None if unknown): a sentinel must choose it, or writes that
        only the other replica acknowledged are lost."""
        if not self.offsets or self.promoted not in self.offsets:
            return None
        return self.offsets[self.promoted] == max(self.offsets.values())

    def summary(self):
        s = self.split
        return ('[%s] attempted %d, acknowledged %d (%s), lost %d, applied-but-unacknowledged %d, '
                'errors %s; old primary: %d acks sent after the fault (last %.3fs after it), %d '
                'acked after the new primary\'s first ack (last %.3fs after it)' % (
                    self.name, self.attempted, len(self.acks),
                    ', '.join('%s=%d' % kv for kv in sorted(self.by_node.items())), len(self.lost),
                    self.unacked_present, self.errors, len(s.after_fault), s.tail,
                    len(s.after_new), s.overlap) +
                ('; replica offsets after the fault: %s, promoted %s:%d' % (
                    ', '.join('%s:%d=%d' % (k + (v,)) for k, v in sorted(self.offsets.items())),
                    self.promoted[0], self.promoted[1]) if self.offsets else ''))


class Split(collections.namedtuple('Split', 'after_fault after_new overlap new_first tail')):
    """split_brain()'s answer: acks of the old primary for writes sent after the
    fault was complete (after_fault) and acknowledged after the new primary's
    first acknowledgement (after_new); overlap = seconds from the new primary's
    first ack to the old one's last (0 if none); new_first = Ack or None;
    tail = seconds from the fault to the old primary's last ack (0 if none)."""


def split_brain(acks, old_node, new_node, fault_at):
    old_node, new_node = tuple(old_node), tuple(new_node)
    new = [a for a in acks if a.node == new_node]
    new_first = min(new, key=lambda a: a.acked) if new else None
    old = [a for a in acks if a.node == old_node]
    after_fault = [a for a in old if a.sent > fault_at]
    after_new = [a for a in old if new_first is not None and a.acked > new_first.acked]
    overlap = max((a.acked - new_first.acked for a in after_new), default=0.0)
    tail = max((a.acked - fault_at for a in old if a.acked > fault_at), default=0.0)
    return Split(after_fault, after_new, overlap, new_first, tail)


def read_values(client, keys, chunk=500):
    """{key: value or None} read with MGET from client (decode_responses=True)."""
    out = {}
    for i in range(0, len(keys), chunk):
        part = keys[i:i + chunk]
        out.update(zip(part, client.mget(part)))
    return out


def account(name, writer, final_client, old_node, new_node, fault_at, offsets=None):
    """Reads every acknowledged and attempted key back from the final primary
    (final_client: a redis.Redis with decode_responses=True) and returns a Report.
    offsets: replica_offsets() taken after the fault, if any."""
    acks = writer.acks()
    values = read_values(final_client, writer.attempted_keys())
    acked_keys = {a.key for a in acks}
    lost = [a for a in acks if values.get(a.key) != a.value]
    unacked_present = sum(1 for k, v in values.items() if k not in acked_keys and v is not None)
    split = split_brain(acks, old_node, new_node, fault_at)
    return Report(name, acks, lost, len(values), unacked_present, writer.error_counts(), split,
                  offsets, tuple(new_node))


# --- replication -------------------------------------------------------------------


def replica_offsets(topo, replicas, timeout=2):
    """{(host, port): slave_repl_offset} of replicas whose primary just failed,
    once two reads 0.1 s apart agree (with the primary gone they stop moving);
    the last read if they do not settle within timeout seconds. Nodes that do
    not answer are left out."""
    def read():
        out = {}
        for r in replicas:
            try:
                out[topo.addr(r)] = int(repl_info(r)['slave_repl_offset'])
            except (redis.RedisError, OSError, KeyError, ValueError):
                pass
        return out
    deadline = time.monotonic() + timeout * SCALE
    last = read()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = read()
        if now == last:
            break
        last = now
    return last


def wait_stable(topo, timeout=sentinel_util.TIMEOUT):
    """Waits until every live sentinel names the same primary, it reports role
    master and every other data node replicates from it with its link up;
    sets topo.primary to it and returns it. Unlike Topology.wait_failover this
    accepts whichever node the sentinels settled on, also after a second,
    unplanned failover."""
    def stable():
        addrs = {topo.master_addr(s) for s in topo.live_sentinels()}
        if len(addrs) != 1:
            return None
        p = topo.node_at(addrs.pop())
        if repl_info(p).get('role') != 'master':
            return None
        if all(link_up(n, p) for n in topo.data_nodes if n is not p):
            return p
        return None
    p = wait_for(stable, timeout, 'sentinels and data nodes to agree on one primary',
                 retry_on=TRANSIENT_ERRORS)
    topo.primary = p
    return p


def sentinels_quiet(topo):
    """True if every live sentinel sees the primary up, with no failover running."""
    for s in topo.live_sentinels():
        flags = sentinel_util.as_dict(s.sentinel('MASTER', topo.name))['flags']
        if isinstance(flags, bytes):
            flags = flags.decode()
        if flags.split(',') != ['master']:
            return False
    return True


def wait_settled(topo, timeout=sentinel_util.TIMEOUT):
    """Waits until every data node but topo.primary replicates from it with its
    link up and at its offset (the primary is read before and after, so a PING
    in between cannot make a stale match pass); returns the offset."""
    primary, replicas = topo.primary, topo.replicas
    wait_link_up(*replicas, primary=primary, timeout=timeout, retry_on=TRANSIENT_ERRORS)
    return wait_synced(primary, *replicas, timeout=timeout, retry_on=TRANSIENT_ERRORS)
