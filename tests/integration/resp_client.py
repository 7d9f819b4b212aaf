"""Raw RESP client for black-box tests: sends bytes, reads exactly one reply.

RawClient talks to a server over a TCP (loopback) or unix socket without any
client library in between, so tests can compare the exact bytes a server
sends, send malformed input, split commands across sends, or pipeline.

The reader is incremental: it buffers whatever the socket returns and cuts
out one complete RESP2/RESP3 reply at a time (including streamed strings and
aggregates, attributes that precede a reply, and out-of-band pushes).

Not thread-safe: use one RawClient per thread.
"""

import socket
import time


class Incomplete(Exception):
    """The buffer does not yet hold a complete reply."""


class ProtocolViolation(Exception):
    """The bytes received are not valid RESP."""


class ConnectionClosed(Exception):
    """The peer closed the connection before a complete reply arrived."""


class ReplyTimeout(Exception):
    """No complete reply arrived within the socket timeout."""


class RespError:
    """A parsed error reply ('-' or '!'); compare through .message."""

    def __init__(self, message):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return 'RespError(%r)' % (self.message,)


class Push(list):
    """A parsed RESP3 out-of-band push ('>')."""


class RespSet(list):
    """A parsed RESP3 set ('~'); kept in wire order."""


class RespMap(list):
    """A parsed RESP3 map ('%') as a list of (key, value) pairs in wire order.

    Keys may be aggregates (unhashable), so this is not a dict; .to_dict() is
    there for the usual case of bulk/simple keys.
    """

    def to_dict(self):
        return {k: v for k, v in self}


class Verbatim(bytes):
    """A parsed RESP3 verbatim string; .format holds the 3-byte format."""

    format = b'txt'


def _find_crlf(buf, pos):
    end = buf.find(b'\r\n', pos)
    if end < 0:
        raise Incomplete()
    return end


def _parse_int(raw):
    try:
        return int(raw)
    except ValueError:
        raise ProtocolViolation('bad integer %r' % (raw,))


def parse_reply(buf, pos=0):
    """Parses one reply at buf[pos:]; returns (value, end_pos).

    Raises Incomplete if more bytes are needed and ProtocolViolation if the
    bytes cannot be RESP.
    """
    if pos >= len(buf):
        raise Incomplete()
    kind = buf[pos:pos + 1]
    line_end = _find_crlf(buf, pos + 1)
    line = bytes(buf[pos + 1:line_end])
    nxt = line_end + 2
    if kind == b'+':
        return line, nxt
    if kind == b'-':
        return RespError(line), nxt
    if kind == b':':
        return _parse_int(line), nxt
    if kind == b'(':
        return _parse_int(line), nxt
    if kind == b',':
        try:
            return float(line), nxt
        except ValueError:
            raise ProtocolViolation('bad double %r' % (line,))
    if kind == b'#':
        if line not in (b't', b'f'):
            raise ProtocolViolation('bad boolean %r' % (line,))
        return line == b't', nxt
    if kind == b'_':
        if line:
            raise ProtocolViolation('bad null %r' % (line,))
        return None, nxt
    if kind in (b'$', b'!', b'='):
        if line == b'?':
            return _parse_streamed_string(buf, nxt, kind)
        n = _parse_int(line)
        if n == -1 and kind == b'$':
            return None, nxt
        if n < 0:
            raise ProtocolViolation('bad length %r' % (line,))
        if len(buf) < nxt + n + 2:
            raise Incomplete()
        data = bytes(buf[nxt:nxt + n])
        if buf[nxt + n:nxt + n + 2] != b'\r\n':
            raise ProtocolViolation('bulk not terminated by CRLF')
        end = nxt + n + 2
        if kind == b'!':
            return RespError(data), end
        if kind == b'=':
            if len(data) < 4 or data[3:4] != b':':
                raise ProtocolViolation('bad verbatim string %r' % (data,))
            v = Verbatim(data[4:])
            v.format = data[:3]
            return v, end
        return data, end
    if kind in (b'*', b'~', b'>', b'%', b'|'):
        streamed = line == b'?'
        n = -1 if streamed else _parse_int(line)
        if n == -1 and not streamed:
            if kind == b'*':
                return None, nxt
            raise ProtocolViolation('bad aggregate length %r' % (line,))
        if n < -1:
            raise ProtocolViolation('bad aggregate length %r' % (line,))
        per = 2 if kind in (b'%', b'|') else 1
        items = []
        p = nxt
        while True:
            if streamed:
                if p >= len(buf):
                    raise Incomplete()
                if buf[p:p + 1] == b'.':
                    e = _find_crlf(buf, p + 1)
                    p = e + 2
                    break
            elif len(items) == n * per:
                break
            v, p = parse_reply(buf, p)
            items.append(v)
        if kind == b'*':
            return items, p
        if kind == b'~':
            return RespSet(items), p
        if kind == b'>':
            return Push(items), p
        pairs = RespMap(zip(items[0::2], items[1::2]))
        if kind == b'%':
            return pairs, p
        # An attribute annotates the reply that follows it; the reply is what
        # the caller asked for.
        return parse_reply(buf, p)
    raise ProtocolViolation('unknown reply type %r at offset %d' % (kind, pos))


def _parse_streamed_string(buf, pos, kind):
    chunks = []
    p = pos
    while True:
        if p >= len(buf):
            raise Incomplete()
        if buf[p:p + 1] != b';':
            raise ProtocolViolation('expected streamed string chunk')
        e = _find_crlf(buf, p + 1)
        n = _parse_int(bytes(buf[p + 1:e]))
        p = e + 2
        if n == 0:
            break
        if len(buf) < p + n + 2:
            raise Incomplete()
        chunks.append(bytes(buf[p:p + n]))
        p += n + 2
    data = b''.join(chunks)
    if kind == b'!':
        return RespError(data), p
    return data, p


def encode_command(*args):
    """Encodes args (bytes, str or int) as a RESP multibulk request."""
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        elif not isinstance(a, (bytes, bytearray)):
            raise TypeError('bad argument type %r' % (type(a),))
        out.append(b'$%d\r\n' % len(a))
        out.append(bytes(a))
        out.append(b'\r\n')
    return b''.join(out)


class RawClient:
    """One connection; sends raw bytes and reads whole replies as raw bytes."""

    def __init__(self, port=None, host='127.0.0.1', unix_path=None, timeout=10.0):
        if unix_path is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(unix_path)
        else:
            if host != '127.0.0.1':
                raise ValueError('tests only talk to 127.0.0.1')
            self.sock = socket.create_connection((host, port), timeout=timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = bytearray()
        self.closed_by_peer = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def settimeout(self, timeout):
        self.timeout = timeout
        self.sock.settimeout(timeout)

    # --- sending ---------------------------------------------------------

    def send(self, data):
        """Sends raw bytes as they are."""
        self.sock.sendall(data)

    def send_command(self, *args):
        self.sock.sendall(encode_command(*args))

    # --- receiving -------------------------------------------------------

    def _fill(self):
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise ReplyTimeout('no complete reply within %.1fs; buffered %r' %
                               (self.timeout, bytes(self.buf[:200])))
        except ConnectionResetError:
            chunk = b''
        if not chunk:
            self.closed_by_peer = True
            raise ConnectionClosed('connection closed; buffered %r' % (bytes(self.buf[:200]),))
        self.buf += chunk

    def _read(self):
        while True:
            try:
                value, end = parse_reply(self.buf, 0)
            except Incomplete:
                self._fill()
                continue
            raw = bytes(self.buf[:end])
            del self.buf[:end]
            return raw, value

    def read_reply(self):
        """Returns the raw bytes of exactly one complete reply."""
        return self._read()[0]

    def read_value(self):
        """Returns one reply parsed into Python values (see parse_reply)."""
        return self._read()[1]

    def read_replies(self, n):
        return [self.read_reply() for _ in range(n)]

    def command(self, *args):
        """Sends one command and returns its raw reply bytes."""
        self.send_command(*args)
        return self.read_reply()

    def call(self, *args):
        """Sends one command and returns its parsed reply."""
        self.send_command(*args)
        return self.read_value()

    def read_available(self, wait=0.2):
        """Returns whatever bytes arrive within `wait` seconds (may be b'')."""
        data = bytes(self.buf)
        self.buf.clear()
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    self.closed_by_peer = True
                    break
                data += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        finally:
            self.sock.settimeout(self.timeout)
        return data

    def wait_closed(self, timeout=5.0):
        """True if the peer closes the connection within timeout.

        Bytes that arrive meanwhile are kept in self.buf.
        """
        if self.closed_by_peer:
            return True
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.sock.settimeout(left)
                try:
                    chunk = self.sock.recv(1 << 20)
                except socket.timeout:
                    return False
                except ConnectionResetError:
                    chunk = b''
                if not chunk:
                    self.closed_by_peer = True
                    return True
                self.buf += chunk
        finally:
            try:
                self.sock.settimeout(self.timeout)
            except OSError:
                pass
