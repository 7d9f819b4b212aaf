"""Harness for sentinel tests: sentinel processes, whole topologies, events.

A sentinel test runs data nodes (a primary and its replicas, each Basalt or
Debian's redis-server) watched by sentinels (each Basalt's sentinel mode or
Debian's redis-sentinel). The two halves are chosen independently:

    SENTINEL_IMPL  'basalt' (default) or 'redis': the default sentinels
    DATA_IMPL      'basalt' (default) or 'redis': the default data nodes

'basalt' means servers.basalt_binary() ($BASALT_SERVER), so with
BASALT_SERVER=/usr/bin/redis-server every process is Redis and the tests
validate themselves.

API (kept small and stable; test_sentinel*.py import it):

  sentinel_binary(kind=None), data_binary(kind=None)
  SentinelProcess(binary, monitors=(), options=(), ...)   one sentinel
  Monitor(name, host, port, quorum=2, **per_master_options)
  Topology(replicas=2, sentinels=3, ...)                   primary+replicas+sentinels
      .start() / .close() (or `with Topology(...) as topo:`)
      .primary, .replicas, .data_nodes, .sentinels
      .master_addr(), .wait_discovered(), .wait_failover(old_addr)
      .node_at(addr), .addr(srv), .role(srv), .sentinel_addrs()
  EventCollector(sentinel)   PSUBSCRIBE * in a thread; .events, .wait(), .close()
  sentinel_cmd(srv, *args), raw_call(srv, *args), as_dict(flat_list)

Polling (wait_for, with retry_on=TRANSIENT_ERRORS wherever a node may be
restarting or closing our connection), INFO and replication link checks are
in helpers.py.

Processes placed elsewhere (network namespaces, netns.py) come from the
factories a Topology accepts: data_factory(index, binary, args) and
sentinel_factory(index, binary, monitors, options), each returning an
unstarted ServerProcess / SentinelProcess; netns_factories(net, ...) builds
both for a netns.Net.

Not thread-safe, except EventCollector (its own thread, a locked list).
"""

import os
import threading
import time

import servers
from helpers import TRANSIENT_ERRORS, info, link_up, repl_info, wait_for
from servers import ServerProcess, ServerStartError, basalt_binary, oracle_binary

MASTER = 'mymaster'
TIMEOUT = 30 * servers.TIME_SCALE
# Redis's sentinel reconfigures a returning old primary only after it has
# reported role master for a while (several hello periods); allow for it.
CONVERT_TIMEOUT = 60 * servers.TIME_SCALE
KINDS = ('basalt', 'redis')


def _impl(env, default='basalt'):
    kind = os.environ.get(env, default)
    if kind not in KINDS:
        raise ValueError('%s must be basalt or redis, not %r' % (env, kind))
    return kind


def sentinel_impl():
    """The default sentinel implementation ($SENTINEL_IMPL, default basalt)."""
    return _impl('SENTINEL_IMPL')


def data_impl():
    """The default data-node implementation ($DATA_IMPL, default basalt)."""
    return _impl('DATA_IMPL')


def sentinel_binary(kind=None):
    """The binary run with --sentinel for kind ('basalt' or 'redis')."""
    kind = kind or sentinel_impl()
    assert kind in KINDS, kind
    return basalt_binary() if kind == 'basalt' else oracle_binary()


def data_binary(kind=None):
    kind = kind or data_impl()
    assert kind in KINDS, kind
    return basalt_binary() if kind == 'basalt' else oracle_binary()


# --- replies -----------------------------------------------------------------

def as_dict(flat):
    """['k1', 'v1', 'k2', 'v2'] (SENTINEL MASTER and friends, RESP2) -> dict."""
    if isinstance(flat, dict):
        return flat
    return dict(zip(flat[0::2], flat[1::2]))


def sentinel_cmd(srv, *args):
    """SENTINEL <args> through redis-py's generic path (no reply parsing)."""
    c = srv.client()
    try:
        return c.execute_command('SENTINEL', *args)
    finally:
        c.close()


def raw_call(srv, *args):
    """One command over a fresh RawClient; the parsed reply (bytes, not str)."""
    with srv.raw() as c:
        return c.call(*args)


# --- one sentinel --------------------------------------------------------------

class Monitor:
    """A `sentinel monitor` line and its per-master options.

    Monitor('mymaster', '127.0.0.1', 6379, quorum=2, down_after=2000,
            failover_timeout=10000, parallel_syncs=1, extra=['auth-pass x'])
    extra are further per-master lines without the leading 'sentinel' and
    without the master name ('auth-pass x' -> 'sentinel auth-pass mymaster x').
    """

    def __init__(self, name, host, port, quorum=2, down_after=2000, failover_timeout=10000,
                 parallel_syncs=1, extra=()):
        self.name = name
        self.host = host
        self.port = int(port)
        self.quorum = quorum
        self.down_after = down_after
        self.failover_timeout = failover_timeout
        self.parallel_syncs = parallel_syncs
        self.extra = list(extra)

    def lines(self):
        n = self.name
        out = ['sentinel monitor %s %s %d %d' % (n, self.host, self.port, self.quorum)]
        if self.down_after is not None:
            out.append('sentinel down-after-milliseconds %s %d' % (n, self.down_after))
        if self.failover_timeout is not None:
            out.append('sentinel failover-timeout %s %d' % (n, self.failover_timeout))
        if self.parallel_syncs is not None:
            out.append('sentinel parallel-syncs %s %d' % (n, self.parallel_syncs))
        for e in self.extra:
            opt, _, rest = e.partition(' ')
            out.append('sentinel %s %s %s' % (opt, n, rest))
        return out


class SentinelProcess(ServerProcess):
    """A sentinel: `<binary> <dir>/sentinel.conf --sentinel`.

    The config file is written once, at the first start(), into the process's
    own directory (the sentinel rewrites it); restart() keeps it, so a
    restarted sentinel starts from what it saved. options are extra global
    lines ('sentinel announce-ip 1.2.3.4', 'protected-mode no', ...).
    host/prefix/connector as for ServerProcess (netns placement).
    """

    def __init__(self, binary, monitors=(), options=(), port=None, ready_timeout=10.0,
                 prefix=(), host='127.0.0.1', connector=None):
        super().__init__(binary, (), port=port, ready_timeout=ready_timeout, prefix=prefix,
                         host=host, connector=connector)
        self.monitors = list(monitors)
        self.options = list(options)
        self.conf_path = os.path.join(self.dir, 'sentinel.conf')

    def initial_config(self):
        lines = ['port %d' % self.port, 'bind %s' % self.host, 'dir %s' % self.dir,
                 'daemonize no']
        lines += self.options
        for m in self.monitors:
            lines += m.lines()
        return '\n'.join(lines) + '\n'

    def command_line(self):
        return self.prefix + [self.binary, self.conf_path, '--sentinel']

    def start(self, wait=True):
        if not os.path.exists(self.conf_path):
            with open(self.conf_path, 'w') as f:
                f.write(self.initial_config())
        return super().start(wait)

    def config_text(self):
        with open(self.conf_path) as f:
            return f.read()

    def config_lines(self, prefix=''):
        """Non-comment, non-blank lines of the current file starting with prefix."""
        return [ln.strip() for ln in self.config_text().splitlines()
                if ln.strip() and not ln.lstrip().startswith('#') and
                ln.strip().startswith(prefix)]

    def sentinel(self, *args):
        return sentinel_cmd(self, *args)

    def myid(self):
        return _str(self.sentinel('MYID'))

    def info(self, section='sentinel'):
        return info(self, section)


def _str(v):
    return v.decode() if isinstance(v, bytes) else v


def launch_sentinel(binary, monitors=(), options=(), **kw):
    """Starts a SentinelProcess (retrying a port lost to a race); returns it."""
    for attempt in range(3):
        s = SentinelProcess(binary, monitors, options, **kw)
        try:
            return s.start()
        except ServerStartError:
            in_use = 'in use' in s.log_text().lower()
            s.cleanup()
            if not in_use or attempt == 2:
                raise
    raise AssertionError('unreachable')


# --- factories ----------------------------------------------------------------

def local_data_factory(index, binary, args):
    return ServerProcess(binary, args)


def local_sentinel_factory(index, binary, monitors, options):
    return SentinelProcess(binary, monitors, options)


def netns_factories(net, data_nodes, sentinel_nodes):
    """(data_factory, sentinel_factory) placing data node i on net[data_nodes[i]]
    and sentinel i on net[sentinel_nodes[i]] (names of netns.Net nodes)."""
    def data(index, binary, args):
        return net[data_nodes[index]].server(binary, *args)

    def sentinel(index, binary, monitors, options):
        node = net[sentinel_nodes[index]]
        return SentinelProcess(binary, monitors, ['protected-mode no'] + list(options),
                               prefix=node.prefix, host=node.address, connector=net)
    return data, sentinel


# --- a whole topology -------------------------------------------------------------

class Topology:
    """A primary, N replicas and M sentinels monitoring it as MASTER.

    down_after defaults to 2000 ms: short, yet long enough that a loaded
    2-core machine does not stall a process that long and start a spurious
    failover.

        with Topology(replicas=2, sentinels=3) as topo:
            old = topo.master_addr()
            crash(topo.primary)
            new = topo.wait_failover(old)

    data_args go to every data node, node_args[i] to data node i only (0 is
    the first primary, 1.. the replicas), e.g. {2: ['--replica-priority', '0']}.
    monitor_extra / sentinel_options as for Monitor.extra / SentinelProcess.
    data_impl / sentinel_impl pick 'basalt' or 'redis' (default from the env);
    sentinel_impls may give one kind per sentinel (mixed deployments).
    close() stops everything and raises AssertionError if any process crashed.
    """

    def __init__(self, replicas=2, sentinels=3, quorum=2, down_after=2000,
                 failover_timeout=10000, parallel_syncs=1, data_impl=None, sentinel_impl=None,
                 sentinel_impls=None, data_args=(), node_args=None, monitor_extra=(),
                 sentinel_options=(), data_factory=None, sentinel_factory=None, name=MASTER):
        self.n_replicas = replicas
        self.n_sentinels = sentinels
        self.quorum = quorum
        self.down_after = down_after
        self.failover_timeout = failover_timeout
        self.parallel_syncs = parallel_syncs
        self.data_kind = data_impl or _impl('DATA_IMPL')
        default_sentinel = sentinel_impl or _impl('SENTINEL_IMPL')
        self.sentinel_kinds = list(sentinel_impls or [default_sentinel] * sentinels)
        assert len(self.sentinel_kinds) == sentinels
        self.data_args = [str(a) for a in data_args]
        self.node_args = dict(node_args or {})
        self.monitor_extra = list(monitor_extra)
        self.sentinel_options = list(sentinel_options)
        self.data_factory = data_factory or local_data_factory
        self.sentinel_factory = sentinel_factory or local_sentinel_factory
        self.name = name
        self.primary = None
        self.data_nodes = []  # Every data node ever started, in index order.
        self.sentinels = []

    # --- lifecycle ---------------------------------------------------------

    def _data_args(self, index, replicaof=None):
        binary = data_binary(self.data_kind)
        args = list(self.data_args) + [str(a) for a in self.node_args.get(index, ())]
        if servers.is_basalt(binary) and '--threads' not in args:
            args += ['--threads', '2']
        if replicaof is not None:
            args += ['--replicaof', replicaof.host, str(replicaof.port)]
        return binary, args

    def monitor(self):
        return Monitor(self.name, self.primary.host, self.primary.port, self.quorum,
                       self.down_after, self.failover_timeout, self.parallel_syncs,
                       self.monitor_extra)

    def start(self, wait=True):
        """Starts the data nodes, then the sentinels; with wait, returns once
        every sentinel knows every replica and every other sentinel."""
        try:
            binary, args = self._data_args(0)
            self.primary = self.data_factory(0, binary, args).start()
            self.data_nodes.append(self.primary)
            for i in range(1, self.n_replicas + 1):
                binary, args = self._data_args(i, replicaof=self.primary)
                self.data_nodes.append(self.data_factory(i, binary, args).start())
            for r in self.replicas:
                wait_for(lambda: link_up(r, self.primary), what='replica %s linked' % r.port,
                         retry_on=TRANSIENT_ERRORS)
            for i in range(self.n_sentinels):
                self.add_sentinel(self.sentinel_kinds[i])
            if wait:
                self.wait_discovered()
        except BaseException:
            self.close(check=False)
            raise
        return self

    def add_sentinel(self, kind=None, options=()):
        """Starts one more sentinel monitoring the current primary."""
        index = len(self.sentinels)
        s = self.sentinel_factory(index, sentinel_binary(kind), [self.monitor()],
                                  self.sentinel_options + list(options))
        self.sentinels.append(s)
        s.start()
        return s

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close(check=exc[0] is None)
        return False

    def close(self, check=True):
        """Stops sentinels, then data nodes; removes their dirs unless one
        crashed. With check, raises AssertionError listing the crashes."""
        problems = []
        for p in list(self.sentinels) + list(self.data_nodes):
            if p.proc is None:
                continue
            problem = p.stop(check=False)
            if problem:
                problems.append(problem)
            p.cleanup()
        self.sentinels, self.data_nodes = [], []
        if check and problems:
            raise AssertionError('process crashed:\n' + '\n\n'.join(problems))

    # --- data nodes ----------------------------------------------------------

    @property
    def replicas(self):
        return [n for n in self.data_nodes if n is not self.primary]

    @staticmethod
    def addr(srv):
        return (srv.host, srv.port)

    def node_at(self, addr):
        host, port = addr[0], int(addr[1])
        for n in self.data_nodes:
            if n.host == host and n.port == port:
                return n
        raise AssertionError('no data node at %s:%s' % (host, port))

    @staticmethod
    def role(srv):
        """ROLE as a list of str (master: ['master', offset, [...]])."""
        c = srv.client()
        try:
            return c.execute_command('ROLE')
        finally:
            c.close()

    # --- what the sentinels say ----------------------------------------------

    def sentinel_addrs(self):
        return [(s.host, s.port) for s in self.sentinels]

    def master_addr(self, sentinel=None):
        """(host, port) from GET-MASTER-ADDR-BY-NAME (first sentinel by default)."""
        s = sentinel or self.sentinels[0]
        reply = s.sentinel('GET-MASTER-ADDR-BY-NAME', self.name)
        return (_str(reply[0]), int(reply[1]))

    def live_sentinels(self):
        return [s for s in self.sentinels if s.alive()]

    def _knows_all(self, s, replicas, sentinels, links_ok):
        reps = [as_dict(r) for r in s.sentinel('REPLICAS', self.name)]
        # master-link-status ok also shows the sentinel has the replica's own
        # INFO (priority, offset), not only the primary's listing of it.
        seen = {(r['ip'], int(r['port'])) for r in reps
                if 'disconnected' not in r['flags'] and 's_down' not in r['flags'] and
                (not links_ok or r.get('master-link-status') == 'ok')}
        if not {self.addr(r) for r in replicas} <= seen:
            return False
        others = [as_dict(x) for x in s.sentinel('SENTINELS', self.name)]
        return len([o for o in others if 'disconnected' not in o['flags'] and
                    's_down' not in o['flags']]) >= sentinels - 1

    def wait_discovered(self, replicas=None, sentinels=None, timeout=TIMEOUT, links_ok=True):
        """Waits until every live sentinel lists every replica (default: the
        current ones) and at least sentinels-1 other sentinels (default: all
        live sentinels) as connected and not subjectively down; with links_ok
        also each replica's master-link-status as ok."""
        replicas = self.replicas if replicas is None else replicas
        live = self.live_sentinels()
        sentinels = len(live) if sentinels is None else sentinels
        for s in live:
            wait_for(lambda: self._knows_all(s, replicas, sentinels, links_ok), timeout,
                     'sentinel %d to discover %d replicas and %d other sentinels' % (
                         s.port, len(replicas), sentinels - 1),
                     retry_on=TRANSIENT_ERRORS,
                     detail=lambda: (s.sentinel('REPLICAS', self.name),
                                     s.sentinel('SENTINELS', self.name)))

    def wait_failover(self, old_addr, timeout=TIMEOUT, followers=None):
        """Waits until every live sentinel names the same primary other than
        old_addr, that node reports role master, and each follower (default:
        every other live data node except the old primary) replicates from it
        with its link up. Sets and returns self.primary."""
        old_addr = (old_addr[0], int(old_addr[1]))
        live = self.live_sentinels()

        def agreed():
            addrs = {self.master_addr(s) for s in live}
            if len(addrs) == 1 and old_addr not in addrs:
                return addrs.pop()
            return None
        new_addr = wait_for(agreed, timeout, 'sentinels to agree on a primary other than %s:%d'
                            % old_addr, retry_on=TRANSIENT_ERRORS,
                            detail=lambda: [self.master_addr(s) for s in live])
        new = self.node_at(new_addr)
        wait_for(lambda: repl_info(new).get('role') == 'master', timeout,
                 'new primary %d to report role master' % new.port, retry_on=TRANSIENT_ERRORS)
        if followers is None:
            followers = [n for n in self.data_nodes
                         if n is not new and n.alive() and self.addr(n) != old_addr]
        for f in followers:
            wait_for(lambda: link_up(f, new), timeout,
                     'data node %d to replicate from the new primary %d' % (f.port, new.port),
                     retry_on=TRANSIENT_ERRORS, detail=lambda: repl_info(f))
        self.primary = new
        return new


# --- events --------------------------------------------------------------------

class EventCollector:
    """PSUBSCRIBE <pattern> (or SUBSCRIBE <channels>) on one sentinel, in a
    daemon thread.

    events: list of (channel, message) str pairs in arrival order. wait(channel,
    pred) returns the first matching message (also ones that came before the
    call), or raises AssertionError after timeout.
    """

    def __init__(self, sentinel, pattern='*', channels=None):
        self.sentinel = sentinel
        self._lock = threading.Lock()
        self._events = []
        self._stop = threading.Event()
        self._client = sentinel.client()
        self._pubsub = self._client.pubsub()
        if channels:
            self._pubsub.subscribe(*channels)
            pending = set(channels)
        else:
            self._pubsub.psubscribe(pattern)
            pending = {pattern}
        # Wait for the subscriptions' confirmations: events before them would be lost.
        deadline = time.monotonic() + 10
        while pending and time.monotonic() < deadline:
            m = self._pubsub.get_message(timeout=0.1)
            if m and m['type'] in ('subscribe', 'psubscribe'):
                pending.discard(_str(m['channel']))
        if pending:
            raise AssertionError('no subscription confirmation from sentinel %d for %s' % (
                sentinel.port, sorted(pending)))
        self.error = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            while not self._stop.is_set():
                m = self._pubsub.get_message(timeout=0.1)
                if m and m['type'] in ('pmessage', 'message'):
                    with self._lock:
                        self._events.append((_str(m['channel']), _str(m['data'])))
        except Exception as e:  # The sentinel went away; reported by close().
            if not self._stop.is_set():
                self.error = e

    @property
    def events(self):
        with self._lock:
            return list(self._events)

    def messages(self, channel):
        return [m for c, m in self.events if c == channel]

    def channels(self):
        return [c for c, _ in self.events]

    def wait(self, channel, pred=None, timeout=TIMEOUT):
        def find():
            for c, m in self.events:
                if c == channel and (pred is None or pred(m)):
                    return (m,)
            return None
        try:
            return wait_for(find, timeout, 'event %s' % channel, retry_on=TRANSIENT_ERRORS)[0]
        except AssertionError:
            raise AssertionError('no %s event within %.0fs from sentinel %d; got %r' % (
                channel, timeout, self.sentinel.port, self.events[-40:]))

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        try:
            self._pubsub.close()
            self._client.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
