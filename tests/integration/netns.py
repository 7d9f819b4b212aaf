"""Private networks of Linux network namespaces, for partition drills.

A Net is a throw-away network that lives entirely inside namespaces this
module creates; the host's interfaces, addresses, routes and firewall are
never touched (every `ip link|addr` and firewall command names one of our
namespaces):

    switch namespace   a bridge `br0`, one veth port per member
    node namespaces    one per node: `lo` up, `eth0` = the other end of its
                       veth, address 10.213.<k>.<i>/24
    client namespace   the same, address 10.213.<k>.254: the "client side"

The test process itself stays in the root namespace. Its client sockets are
created with setns(2) on the calling thread only, for the duration of the
socket() + connect() calls (`Net.client_side()`): a socket keeps the
namespace it was created in, so afterwards it is used like any other. The
client namespace has no firewall rules, so clients reach every node whatever
the partition. Tools in other languages run there with `net.client_prefix`.

Partitions are DROP rules (iptables, or nft when iptables is missing) in the
node namespaces, on both ends: packets vanish as when a cable is pulled, so
peers see time-outs, not resets.

Names carry the pid (`bnet-<pid>-<seq>-<role>`), so parallel runs do not
collide. Everything is removed by close() (context manager exit, or atexit
if the test forgot), and a later Net sweeps namespaces left behind by runs
whose process is gone (killed by SIGKILL, say).

Needs root, iproute2 and iptables or nft (Debian packages iproute2, iptables);
`unavailable_reason()` says why not, `skip_unless_available()` skips a test.

Not thread-safe: create, partition, heal and close a Net from one thread.
`client_side()` and the sockets it makes may be used from any thread.
"""

import atexit
import contextlib
import ctypes
import itertools
import os
import re
import shutil
import socket
import subprocess

import pytest
import redis

from resp_client import RawClient

SUBNET = '10.213.%d.0/24'
CLIENT_HOST_INDEX = 254
NAME_PREFIX = 'bnet-'
_NAME_RE = re.compile(r'^bnet-(\d+)-\d+-')
_CLONE_NEWNET = 0x40000000
_NETNS_DIR = '/run/netns'
_ETC_NETNS_DIR = '/etc/netns'  # Per-namespace /etc files (set_hosts).

_seq = itertools.count(1)
_libc = ctypes.CDLL(None, use_errno=True)
_availability = None  # Cached (reason or None) after the first probe.


class NetError(Exception):
    pass


def _run(argv, check=True, timeout=10):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, timeout=timeout)
    out = p.stdout.decode('utf-8', 'replace')
    if check and p.returncode != 0:
        raise NetError('%s failed (%d): %s' % (' '.join(argv), p.returncode, out.strip()))
    return p.returncode, out


def _firewall_tool():
    """'iptables', 'nft' or None: what partitions are made with."""
    for tool in ('iptables', 'nft'):
        if shutil.which(tool):
            return tool
    return None


# --- availability ----------------------------------------------------------


def _probe():
    if os.geteuid() != 0:
        return 'network namespaces need root'
    if not shutil.which('ip'):
        return '`ip` (iproute2) not installed'
    tool = _firewall_tool()
    if tool is None:
        return 'neither iptables nor nft installed (Debian package iptables)'
    ns = '%sprobe-%d' % (NAME_PREFIX, os.getpid())
    try:
        _run(['ip', 'netns', 'add', ns])
    except (NetError, OSError, subprocess.TimeoutExpired) as e:
        return 'cannot create a network namespace: %s' % e
    try:
        _run(['ip', '-n', ns, 'link', 'add', 'br0', 'type', 'bridge'])
        _run(['ip', '-n', ns, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb'])
        _run(['ip', '-n', ns, 'link', 'set', 'va', 'master', 'br0'])
        listing = ['iptables', '-w', '-S'] if tool == 'iptables' else ['nft', 'list', 'ruleset']
        _run(['ip', 'netns', 'exec', ns] + listing)
    except (NetError, OSError, subprocess.TimeoutExpired) as e:
        return 'network namespace probe failed: %s' % e
    finally:
        _run(['ip', 'netns', 'del', ns], check=False)
    return None


def unavailable_reason():
    """None if Nets can be built here, else why not (a pytest skip reason)."""
    global _availability
    if _availability is None:
        _availability = (_probe() or '',)
    return _availability[0] or None


def skip_unless_available():
    reason = unavailable_reason()
    if reason:
        # Under CI=true a missing dependency fails the test (helpers.py).
        from helpers import missing_dependency
        missing_dependency('no network namespaces: ' + reason)


# --- namespace switching -----------------------------------------------------


@contextlib.contextmanager
def entered(ns):
    """Runs the body with the calling thread in namespace ns (by name).

    Only this thread moves; sockets created meanwhile stay in ns for good.
    """
    target = os.open(os.path.join(_NETNS_DIR, ns), os.O_RDONLY | os.O_CLOEXEC)
    try:
        home = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        os.close(target)
        raise
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise OSError(e, 'setns into %s: %s' % (ns, os.strerror(e)))
        try:
            yield
        finally:
            if _libc.setns(home, _CLONE_NEWNET) != 0:
                # Carrying on in the wrong namespace would poison every later test.
                os.write(2, b'netns: cannot return to the original namespace\n')
                os._exit(70)
    finally:
        os.close(home)
        os.close(target)


class _NsRawClient(RawClient):
    """A RawClient over a socket connected elsewhere (RawClient itself only
    dials 127.0.0.1)."""

    def __init__(self, sock, timeout):  # RawClient.__init__ would dial again.
        self.sock = sock
        self.timeout = timeout
        self.buf = bytearray()
        self.closed_by_peer = False


class _NsConnection(redis.connection.Connection):
    """redis-py connection whose socket is made in the Net's client namespace."""

    def __init__(self, *args, netns_name=None, **kw):
        super().__init__(*args, **kw)
        self._netns_name = netns_name

    def _connect(self):
        with entered(self._netns_name):
            return super()._connect()


# --- the network -------------------------------------------------------------


class Node:
    """One member of a Net: its namespace, address and helpers to run in it."""

    def __init__(self, net, name, ns, address):
        self.net = net
        self.name = name
        self.ns = ns
        self.address = address

    @property
    def prefix(self):
        """argv prefix that runs a command inside this node's namespace."""
        return ['ip', 'netns', 'exec', self.ns]

    def popen(self, argv, **kw):
        """subprocess.Popen of argv inside the namespace (`ip netns exec`
        execs, so the Popen's pid is the command's own)."""
        return subprocess.Popen(self.prefix + [str(a) for a in argv], **kw)

    def run(self, argv, timeout=10):
        """Runs argv inside the namespace; returns (returncode, output)."""
        return _run(self.prefix + [str(a) for a in argv], check=False, timeout=timeout)

    def server(self, binary, *args, **kw):
        """A servers.ServerProcess (not started) bound to this node's address,
        run in its namespace, with clients connecting from the client side.

        protected-mode is off (args may turn it back on): without a password
        both servers refuse every client that is not on loopback.
        """
        import servers  # Late: servers imports nothing from here, keep it that way.
        args = ('--protected-mode', 'no') + tuple(args)
        return servers.ServerProcess(binary, args, prefix=self.prefix, host=self.address,
                                     connector=self.net, **kw)

    def __repr__(self):
        return 'Node(%s %s in %s)' % (self.name, self.address, self.ns)


class Net:
    """A bridge, named nodes and a client side; see the module comment.

    Net(['primary', 'replica']) or Net(3) (nodes n0, n1, n2). Use as a context
    manager; net['primary'] is a Node.
    """

    def __init__(self, nodes):
        reason = unavailable_reason()
        if reason:
            raise NetError('network namespaces unavailable: ' + reason)
        names = ['n%d' % i for i in range(nodes)] if isinstance(nodes, int) else list(nodes)
        if len(set(names)) != len(names) or not 0 < len(names) < CLIENT_HOST_INDEX - 1:
            raise ValueError('bad node names %r' % (names,))
        sweep_stale()
        seq = next(_seq)
        self.tag = '%s%d-%d' % (NAME_PREFIX, os.getpid(), seq)
        self.subnet_index = seq % 256
        self.firewall = _firewall_tool()
        self.nodes = {}
        self._namespaces = []  # Created so far, in creation order.
        self._cuts = set()  # frozenset({name_a, name_b}) per cut link.
        self._loss = {}  # node name -> drop probability (impair)
        self._closed = False
        self._next_host_index = len(names) + 1  # readdress() hands out from here.
        atexit.register(self.close)
        try:
            self.switch_ns = self._add_ns('sw')
            self._ip(self.switch_ns, 'link', 'add', 'br0', 'type', 'bridge')
            self._ip(self.switch_ns, 'link', 'set', 'br0', 'up')
            for i, name in enumerate(names):
                ns = self._add_ns('n%d' % i)
                self.nodes[name] = Node(self, name, ns, self._attach(ns, i, i + 1))
            self.client_ns = self._add_ns('cl')
            self.client_address = self._attach(self.client_ns, 'c', CLIENT_HOST_INDEX)
            if self.firewall == 'nft':
                for node in self.nodes.values():
                    self._nft_setup(node.ns)
        except BaseException:
            self.close()
            raise

    # --- construction ------------------------------------------------------

    def _add_ns(self, role):
        ns = '%s-%s' % (self.tag, role)
        _run(['ip', 'netns', 'add', ns])
        self._namespaces.append(ns)
        return ns

    @staticmethod
    def _ip(ns, *args):
        # Always `ip -n <ours>`: nothing here may touch the root namespace.
        return _run(['ip', '-n', ns] + [str(a) for a in args])[1]

    def _attach(self, ns, port_id, host_index):
        """veth from the bridge into ns (created in the switch namespace, so it
        never appears in the root one); returns ns's address."""
        port = 'v%s' % port_id
        address = '10.213.%d.%d' % (self.subnet_index, host_index)
        self._ip(self.switch_ns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0',
                 'netns', ns)
        self._ip(self.switch_ns, 'link', 'set', port, 'master', 'br0', 'up')
        self._ip(ns, 'link', 'set', 'lo', 'up')
        self._ip(ns, 'addr', 'add', address + '/24', 'dev', 'eth0')
        self._ip(ns, 'link', 'set', 'eth0', 'up')
        return address

    def _nft_setup(self, ns):
        script = ('add table inet bnet\n'
                  'add chain inet bnet in { type filter hook input priority 0 ; }\n'
                  'add chain inet bnet out { type filter hook output priority 0 ; }\n')
        p = subprocess.run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], input=script.encode(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
        if p.returncode != 0:
            raise NetError('nft setup in %s: %s' % (ns, p.stdout.decode('utf-8', 'replace')))

    # --- access --------------------------------------------------------------

    def __getitem__(self, name):
        return self.nodes[name]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def client_prefix(self):
        """argv prefix running a command on the client side (redis-cli, node)."""
        return ['ip', 'netns', 'exec', self.client_ns]

    def client_side(self):
        """Context manager: the calling thread is on the client side meanwhile.

        Wrap a whole worker thread in it to use any Python client library
        (redis.sentinel.Sentinel, say) unchanged.
        """
        return entered(self.client_ns)

    def connect(self, host, port, timeout=10.0):
        """A TCP socket from the client side to host:port."""
        with self.client_side():
            s = socket.create_connection((host, port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    # The two methods below are the `connector` interface of servers.ServerProcess.

    def redis(self, host, port, **kw):
        """redis.Redis to host:port from the client side (kw as for redis.Redis,
        minus connection_pool); it reconnects from the client side too."""
        pool = redis.ConnectionPool(connection_class=_NsConnection, netns_name=self.client_ns,
                                    host=host, port=port, **kw)
        return redis.Redis(connection_pool=pool)

    def raw(self, host, port, timeout=10.0):
        """resp_client.RawClient to host:port from the client side."""
        return _NsRawClient(self.connect(host, port, timeout), timeout)

    # --- partitions ------------------------------------------------------------

    def _fw(self, node, *args):
        return _run(node.prefix + list(args))[1]

    def _node(self, n):
        return n if isinstance(n, Node) else self.nodes[n]

    def partition(self, a, b):
        """Cuts the link between nodes a and b (names or Nodes), both ways."""
        a, b = self._node(a), self._node(b)
        if a is b:
            raise ValueError('cannot cut %s from itself' % a.name)
        key = frozenset((a.name, b.name))
        if key in self._cuts:
            return
        for here, there in ((a, b), (b, a)):
            if self.firewall == 'iptables':
                self._fw(here, 'iptables', '-w', '-A', 'INPUT', '-s', there.address, '-j', 'DROP')
                self._fw(here, 'iptables', '-w', '-A', 'OUTPUT', '-d', there.address, '-j', 'DROP')
            else:
                self._fw(here, 'nft', 'add', 'rule', 'inet', 'bnet', 'in', 'ip', 'saddr',
                         there.address, 'drop')
                self._fw(here, 'nft', 'add', 'rule', 'inet', 'bnet', 'out', 'ip', 'daddr',
                         there.address, 'drop')
        self._cuts.add(key)

    def isolate(self, node, from_nodes=None):
        """Cuts node from from_nodes (default: every other node). The client
        side always still reaches it."""
        node = self._node(node)
        others = self.nodes.values() if from_nodes is None else map(self._node, from_nodes)
        for other in list(others):
            if other is not node:
                self.partition(node, other)

    def impair(self, node, loss):
        """Random packet loss on node's eth0, both directions: each packet in
        or out is dropped with probability `loss` (real loss: TCP
        retransmits). `tc netem` is not used: kernels without sch_netem (this
        workplace's) have no latency emulation; tests add latency with
        delay_proxy.py. Stays until close(), also across heal()."""
        node = self._node(node)
        self._loss[node.name] = loss
        self._add_loss(node, loss)

    def _add_loss(self, node, loss):
        if self.firewall == 'iptables':
            for chain, iface in (('INPUT', '-i'), ('OUTPUT', '-o')):
                self._fw(node, 'iptables', '-w', '-A', chain, iface, 'eth0', '-m', 'statistic',
                         '--mode', 'random', '--probability', '%.4f' % loss, '-j', 'DROP')
        else:
            for chain, iface in (('in', 'iifname'), ('out', 'oifname')):
                self._fw(node, 'nft', 'add', 'rule', 'inet', 'bnet', chain, iface, 'eth0',
                         'numgen', 'random', 'mod', '10000', '<', str(int(loss * 10000)), 'drop')

    def heal(self):
        """Removes every cut (impairments stay)."""
        touched = {name for key in self._cuts for name in key}
        for name in sorted(touched):
            node = self.nodes[name]
            if self.firewall == 'iptables':
                self._fw(node, 'iptables', '-w', '-F', 'INPUT')
                self._fw(node, 'iptables', '-w', '-F', 'OUTPUT')
            else:
                self._fw(node, 'nft', 'flush', 'chain', 'inet', 'bnet', 'in')
                self._fw(node, 'nft', 'flush', 'chain', 'inet', 'bnet', 'out')
            if name in self._loss:
                self._add_loss(node, self._loss[name])
        self._cuts.clear()

    # --- addresses and names ----------------------------------------------------

    def readdress(self, node):
        """Gives node a new address on the bridge, as a rescheduled pod gets a
        new IP: the old one is gone at once (connections to it hang, as to a
        vanished pod) and the partitions made so far stop matching it.
        Returns the new address."""
        node = self._node(node)
        if self._next_host_index >= CLIENT_HOST_INDEX:
            raise NetError('no addresses left on %s' % (SUBNET % self.subnet_index))
        address = '10.213.%d.%d' % (self.subnet_index, self._next_host_index)
        self._next_host_index += 1
        self._ip(node.ns, 'addr', 'flush', 'dev', 'eth0')
        self._ip(node.ns, 'addr', 'add', address + '/24', 'dev', 'eth0')
        node.address = address
        return address

    def set_hosts(self, names):
        """Publishes {host name: address} as every namespace's /etc/hosts, as
        a cluster DNS would: `ip netns exec <ns>` (how node processes start)
        bind-mounts /etc/netns/<ns>/hosts over /etc/hosts, and glibc reads
        the file at each lookup, so running processes see changes at once.
        The files are rewritten in place (a bind mount keeps the inode); a
        name not listed does not resolve (resolv.conf points at a loopback
        port where nothing answers). Call it before starting processes."""
        text = '127.0.0.1 localhost\n' + ''.join(
            '%s %s\n' % (address, name) for name, address in sorted(names.items()))
        for ns in self._namespaces:
            d = os.path.join(_ETC_NETNS_DIR, ns)
            os.makedirs(d, exist_ok=True)
            for fname, body in (('hosts', text), ('resolv.conf', 'nameserver 127.0.0.1\n')):
                with open(os.path.join(d, fname), 'a+') as f:
                    f.seek(0)
                    f.truncate()
                    f.write(body)

    @property
    def cuts(self):
        """The cut links, as sorted (name, name) pairs."""
        return sorted(tuple(sorted(k)) for k in self._cuts)

    # --- teardown --------------------------------------------------------------

    def namespaces(self):
        """Names of the namespaces this Net created (and has not removed)."""
        return list(self._namespaces)

    def close(self):
        """Kills whatever still runs in our namespaces and deletes them (and
        with them every veth, the bridge and the rules). Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        errors = []
        # Nodes first: deleting the switch first would work too, but a
        # half-built Net is easier to read in `ip netns list` this way round.
        for ns in reversed(self._namespaces):
            err = _delete_ns(ns)
            if err:
                errors.append(err)
        self._namespaces = []
        if errors:
            raise NetError('; '.join(errors))


def _delete_ns(ns):
    """Kills the processes in ns (ours: nothing else runs in it) and deletes
    it; returns an error text or None."""
    _, out = _run(['ip', 'netns', 'pids', ns], check=False)
    for pid in (int(p) for p in out.split() if p.isdigit()):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    shutil.rmtree(os.path.join(_ETC_NETNS_DIR, ns), ignore_errors=True)
    rc, out = _run(['ip', 'netns', 'del', ns], check=False)
    if rc != 0 and os.path.exists(os.path.join(_NETNS_DIR, ns)):
        return 'ip netns del %s: %s' % (ns, out.strip())
    return None


def sweep_stale():
    """Deletes namespaces left by earlier runs whose process is gone."""
    try:
        names = os.listdir(_NETNS_DIR)
    except OSError:
        return
    for ns in names:
        m = _NAME_RE.match(ns)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # Its owner still runs.
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        _delete_ns(ns)


def our_leftovers():
    """Namespaces of this process still present (for tests of cleanup)."""
    try:
        names = os.listdir(_NETNS_DIR)
    except OSError:
        return []
    return sorted(n for n in names if n.startswith('%s%d-' % (NAME_PREFIX, os.getpid())))


__all__ = ['Net', 'Node', 'NetError', 'entered', 'our_leftovers', 'skip_unless_available',
           'sweep_stale', 'unavailable_reason']
