"""Differential harness: run one command script on Basalt and on redis-server.

A script is a list of steps. A step is
  - a list/tuple of arguments (bytes, str or int), e.g. ['SET', b'k\\0', 'v'];
  - a str, split on single spaces (no quoting), e.g. 'SET k v';
  - a Step made by one of the markers below, to loosen the comparison:
      unordered(...)        the multiset of top-level elements must match
      sorted_result(...)    same as unordered (elements compared after sorting)
      unordered_pairs(...)  the multiset of (key, value) pairs must match, for
                            RESP2 flat key/value arrays and RESP3 maps
      skip_value(...)       only the shape must match (reply type, aggregate
                            lengths, nesting), e.g. TIME or PTTL
Both servers get the same steps, in order, over a fresh RawClient each; reply
bytes are compared exactly and the first mismatch fails with the command and
both replies. Both servers are FLUSHALLed before a script.

Not thread-safe; one script at a time per pair of servers.
"""

import os

from resp_client import (ConnectionClosed, RawClient, ReplyTimeout, parse_reply)

# DIFF_TRACE=1 prints every step with the oracle's reply (to review scripts).
TRACE = os.environ.get('DIFF_TRACE') == '1'

EXACT = 'exact'
UNORDERED = 'unordered'
UNORDERED_PAIRS = 'unordered_pairs'
SKIP_VALUE = 'skip_value'


class Step:
    def __init__(self, args, mode=EXACT):
        self.args = [a for a in args]
        self.mode = mode

    def __repr__(self):
        return describe(self.args) + ('' if self.mode == EXACT else '   [%s]' % self.mode)


def _args(args):
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    if len(args) == 1 and isinstance(args[0], str):
        return args[0].split(' ')
    return list(args)


def unordered(*args):
    return Step(_args(args), UNORDERED)


def sorted_result(*args):
    return Step(_args(args), UNORDERED)


def unordered_pairs(*args):
    return Step(_args(args), UNORDERED_PAIRS)


def skip_value(*args):
    return Step(_args(args), SKIP_VALUE)


def to_step(entry):
    if isinstance(entry, Step):
        return entry
    if isinstance(entry, str):
        return Step(entry.split(' '))
    if isinstance(entry, (list, tuple)):
        return Step(entry)
    raise TypeError('bad script step %r' % (entry,))


def describe(args):
    out = []
    for a in args:
        if isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, str):
            a = a.encode()
        if len(a) > 60:
            out.append(repr(a[:60]) + '...(%d bytes)' % len(a))
        elif a and all(32 < c < 127 and c not in b'"\'\\' for c in a):
            out.append(a.decode())
        else:
            out.append(repr(a))
    return ' '.join(out)


def _elements(raw):
    """Splits an aggregate reply into (header, [raw element bytes])."""
    end = raw.index(b'\r\n') + 2
    header = raw[:end]
    kind = raw[:1]
    if kind not in b'*~%>' or raw[1:2] == b'-':
        return header, None
    items = []
    pos = end
    while pos < len(raw):
        _, nxt = parse_reply(raw, pos)
        items.append(raw[pos:nxt])
        pos = nxt
    return header, items


def shape(raw, pos=0):
    """A reply's shape: types and aggregate sizes, without scalar values."""
    def walk(p):
        kind = raw[p:p + 1]
        e = raw.index(b'\r\n', p) + 2
        if kind in (b'*', b'~', b'%', b'>', b'|') and raw[p + 1:p + 2] != b'-':
            n = int(raw[p + 1:e - 2])
            per = 2 if kind in (b'%', b'|') else 1
            parts = []
            q = e
            for _ in range(n * per):
                s, q = walk(q)
                parts.append(s)
            return '%s%d[%s]' % (kind.decode(), n, ','.join(parts)), q
        _, q = parse_reply(raw, p)
        if raw[p + 1:p + 2] == b'-' and kind in (b'$', b'*'):
            return kind.decode() + 'nil', q
        if kind in (b'-', b'!'):
            # Errors keep their code: a different error is a different shape.
            return 'err:' + raw[p + 1:q].split(b' ')[0].decode('latin-1'), q
        return kind.decode('latin-1'), q
    return walk(pos)[0]


def compare(step, a, b):
    """True if replies a (Basalt) and b (oracle) match under step's mode."""
    if a == b:
        return True
    if step.mode == EXACT:
        return False
    if step.mode == SKIP_VALUE:
        try:
            return shape(a) == shape(b)
        except Exception:
            return False
    try:
        ha, ea = _elements(a)
        hb, eb = _elements(b)
    except Exception:
        return False
    if ha != hb or ea is None or eb is None:
        return False
    if step.mode == UNORDERED:
        return sorted(ea) == sorted(eb)
    if step.mode == UNORDERED_PAIRS:
        if a[:1] == b'%':
            pa = list(zip(ea[0::2], ea[1::2]))
            pb = list(zip(eb[0::2], eb[1::2]))
        else:
            if len(ea) % 2 or len(eb) % 2:
                return False
            pa = list(zip(ea[0::2], ea[1::2]))
            pb = list(zip(eb[0::2], eb[1::2]))
        return sorted(pa) == sorted(pb)
    return False


class DiffMismatch(AssertionError):
    pass


def _read(client, args):
    try:
        client.send_command(*args)
        return client.read_reply()
    except ReplyTimeout:
        return b'<no reply: timeout>'
    except (ConnectionClosed, OSError) as e:
        return ('<connection closed: %s>' % e).encode()


def _fmt(raw):
    if len(raw) > 600:
        return repr(raw[:600]) + ' ...(%d bytes)' % len(raw)
    return repr(raw)


def run_script(basalt_port, oracle_port, script, resp=2, timeout=10.0):
    """Runs script on both servers and raises DiffMismatch on the first difference.

    Returns the list of oracle replies (raw bytes), which lets a test add its
    own checks on top.
    """
    __tracebackhide__ = True
    steps = [to_step(s) for s in script]
    replies = []
    with RawClient(basalt_port, timeout=timeout) as cb, RawClient(oracle_port,
                                                                  timeout=timeout) as co:
        for c in (cb, co):
            if resp == 3:
                r = c.command('HELLO', '3')
                if not r.startswith(b'%'):
                    raise DiffMismatch('HELLO 3 did not return a map on port %d: %s' %
                                       (c.sock.getpeername()[1], _fmt(r)))
            r = c.command('FLUSHALL')
            if r != b'+OK\r\n':
                raise DiffMismatch('FLUSHALL failed on port %d: %s' %
                                   (c.sock.getpeername()[1], _fmt(r)))
        for i, step in enumerate(steps):
            rb = _read(cb, step.args)
            ro = _read(co, step.args)
            if not compare(step, rb, ro):
                ctx = steps[max(0, i - 5):i]
                lines = ['RESP%d mismatch at step %d of %d: %r' % (resp, i + 1, len(steps), step),
                         '  basalt: ' + _fmt(rb),
                         '  oracle: ' + _fmt(ro)]
                if step.mode == SKIP_VALUE:
                    try:
                        lines.append('  shapes: %s vs %s' % (shape(rb), shape(ro)))
                    except Exception:
                        pass
                if ctx:
                    lines.append('  preceding steps: ' + ' | '.join(repr(s) for s in ctx))
                raise DiffMismatch('\n'.join(lines))
            if TRACE:
                print('RESP%d %-60s -> %s' % (resp, repr(step)[:60], _fmt(ro)[:150]))
            replies.append(ro)
    return replies


class Differ:
    """Bound to a Basalt and an oracle server; `differ(script)` runs a script."""

    def __init__(self, basalt_server, oracle_server, resp=2):
        self.basalt_server = basalt_server
        self.oracle_server = oracle_server
        self.resp = resp

    def __call__(self, script, resp=None):
        __tracebackhide__ = True
        return run_script(self.basalt_server.port, self.oracle_server.port, script,
                          resp=self.resp if resp is None else resp)

    def both(self, fn):
        """Calls fn(server) for Basalt then the oracle; returns both results."""
        return fn(self.basalt_server), fn(self.oracle_server)
