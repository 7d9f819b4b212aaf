"""Starting and stopping server processes (Basalt or redis-server) for tests.

Every server listens on 127.0.0.1 only, on a free port, with its own temp
directory and its log captured in that directory. The one exception are
servers placed in a private network namespace by netns.py (prefix, host and
connector below), which bind that namespace's address. Stopping a server sends
SIGTERM, then SIGKILL, and reports a crash (death by a signal we did not
send, or sanitizer reports in the log when BASALT_SANITIZED=1).

Used from pytest fixtures (conftest.py) and directly by tests that need a
server with special options. Not thread-safe: start/stop from one thread.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from resp_client import RawClient

DEFAULT_BASALT = '/work/main/build/basalt-server'
DEFAULT_ORACLE = '/usr/bin/redis-server'

SANITIZED = os.environ.get('BASALT_SANITIZED') == '1'
# Sanitized builds start, answer and shut down much more slowly.
TIME_SCALE = 4.0 if SANITIZED else 1.0
SANITIZER_PATTERNS = ('ERROR: AddressSanitizer', 'runtime error:', 'WARNING: ThreadSanitizer')
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE,
                 signal.SIGTRAP, signal.SIGSYS}

_handed_out_ports = set()


def basalt_binary():
    # Servers run in their own temp dirs, so a relative path must be resolved here.
    return os.path.abspath(os.environ.get('BASALT_SERVER', DEFAULT_BASALT))


def oracle_binary():
    return os.environ.get('REDIS_ORACLE', DEFAULT_ORACLE)


def is_basalt(binary):
    """True if binary is Basalt (by name); only then do we pass --threads."""
    return 'basalt' in os.path.basename(binary)


def target_is_basalt():
    """True if the server under test (BASALT_SERVER) is Basalt itself."""
    return is_basalt(basalt_binary())


def free_port():
    """Returns a loopback TCP port that was free a moment ago.

    Ports are never handed out twice in one test run, so two servers started
    back to back cannot be given the same port.
    """
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        # Redis cluster bus would use port+10000; keep clear of the top.
        if port in _handed_out_ports or port > 55000:
            continue
        _handed_out_ports.add(port)
        return port
    raise RuntimeError('no free loopback port found')


class ServerStartError(Exception):
    pass


class ServerProcess:
    """A server process on 127.0.0.1 with its own temp directory.

    Attributes: binary, port (0 if TCP is disabled), host, dir, log_path, proc,
    unixsocket (path or None), extra_args.

    For netns.py only: prefix is an argv list the command line is run under
    (`ip netns exec <ns>`), host the address bound instead of 127.0.0.1, and
    connector the object whose redis(host, port, **kw) and raw(host, port,
    timeout) make the client connections (from the client namespace).
    """

    def __init__(self, binary, args=(), port=None, config_file=None, threads=None,
                 ready_timeout=10.0, password=None, prefix=(), host='127.0.0.1',
                 connector=None):
        self.binary = binary
        self.prefix = [str(a) for a in prefix]
        self.host = host
        self.connector = connector
        self.extra_args = [str(a) for a in args]
        self.port = free_port() if port is None else port
        self.config_file = config_file
        self.threads = threads
        self.ready_timeout = ready_timeout * TIME_SCALE
        self.password = password
        self.dir = tempfile.mkdtemp(prefix='basalt-it-')
        self.log_path = os.path.join(self.dir, 'server.log')
        self.unixsocket = self._arg_value('--unixsocket')
        self.proc = None
        self.crash = None  # Text describing a crash, once one was seen.
        self.killed = False

    # --- lifecycle -------------------------------------------------------

    def command_line(self):
        cmd = self.prefix + [self.binary]
        if self.config_file:
            cmd.append(self.config_file)
        cmd += ['--port', str(self.port), '--bind', self.host, '--dir', self.dir,
                '--save', '']
        # Full syncs start at once (Redis's default waits 5 s for more replicas).
        if '--repl-diskless-sync-delay' not in self.extra_args:
            cmd += ['--repl-diskless-sync-delay', '0']
        if not is_basalt(self.binary):
            cmd += ['--appendonly', 'no', '--daemonize', 'no']
        if is_basalt(self.binary):
            threads = self.threads or os.environ.get('BASALT_THREADS')
            if threads:
                cmd += ['--threads', str(threads)]
        cmd += self.extra_args
        return cmd

    def _arg_value(self, name):
        args = self.extra_args
        for i, a in enumerate(args):
            if a == name and i + 1 < len(args):
                return args[i + 1]
        return None

    def start(self, wait=True):
        self.killed = False
        self.crash = None
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(self.command_line(), stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir,
                                         start_new_session=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self):
        """Waits until the server answers PING; raises ServerStartError if not."""
        deadline = time.monotonic() + self.ready_timeout
        last_err = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerStartError(
                    '%s exited with %s during start-up\ncommand: %s\nlog:\n%s' % (
                        self.binary, self.proc.returncode, self.command_line(), self.log_tail()))
            try:
                with self.raw(timeout=1.0) as c:
                    reply = c.command('PING')
                    if reply.startswith(b'-NOAUTH') and self.password is not None:
                        # NOAUTH comes before LOADING: authenticate, then PING
                        # again, so a server still loading its data is not ready.
                        c.command('AUTH', self.password)
                        reply = c.command('PING')
                if reply == b'+PONG\r\n' or reply.startswith(b'-NOAUTH'):
                    return
                last_err = 'PING replied %r' % (reply,)
            except Exception as e:  # Any failure here only means "not ready yet".
                last_err = repr(e)
            time.sleep(0.02)
        self.stop(check=False)
        raise ServerStartError('%s did not answer PING within %.0fs (last: %s)\ncommand: %s\n'
                               'log:\n%s' % (self.binary, self.ready_timeout, last_err,
                                             self.command_line(), self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, check=True):
        """SIGTERM, then SIGKILL; returns a crash description or None.

        With check=True raises AssertionError if the server crashed.
        """
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10 * TIME_SCALE)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait(timeout=30)
        problem = self.check_crash()
        if check and problem:
            raise AssertionError(problem)
        return problem

    def check_crash(self):
        """Returns a description of a crash if the (exited) process crashed."""
        if self.crash:
            return self.crash
        if self.proc is None:
            return None
        rc = self.proc.poll()
        problems = []
        if rc is not None and rc < 0 and -rc in CRASH_SIGNALS:
            problems.append('killed by signal %s' % signal.Signals(-rc).name)
        if self.killed:
            problems.append('did not exit within %.0fs of SIGTERM (needed SIGKILL)' %
                            (10 * TIME_SCALE))
        if SANITIZED:
            text = self.log_text()
            for pat in SANITIZER_PATTERNS:
                if pat in text:
                    problems.append('log contains %r' % pat)
        if not problems:
            return None
        self.crash = '%s (port %s, dir %s): %s\nlog:\n%s' % (
            self.binary, self.port, self.dir, '; '.join(problems), self.log_tail(200))
        return self.crash

    def restart(self):
        """Stops (without raising) and starts again on the same port and dir."""
        self.stop(check=False)
        return self.start()

    def cleanup(self):
        """Removes the temp dir, unless a crash was seen (kept for debugging)."""
        if not self.crash:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- logs ------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log_tail(self, lines=60):
        return '\n'.join(self.log_text().splitlines()[-lines:])

    # --- clients ---------------------------------------------------------

    def client(self, decode_responses=True, **kw):
        """A redis-py client (decode_responses=True unless told otherwise)."""
        kw.setdefault('socket_timeout', 10 * TIME_SCALE)
        if self.password is not None:
            kw.setdefault('password', self.password)
        if self.connector is not None:
            return self.connector.redis(self.host, self.port, decode_responses=decode_responses,
                                        **kw)
        if self.port == 0:
            return redis.Redis(unix_socket_path=self.unixsocket,
                               decode_responses=decode_responses, **kw)
        return redis.Redis(host='127.0.0.1', port=self.port, decode_responses=decode_responses,
                           **kw)

    def raw(self, timeout=None):
        timeout = 10 * TIME_SCALE if timeout is None else timeout
        if self.connector is not None:
            return self.connector.raw(self.host, self.port, timeout)
        if self.port == 0:
            return RawClient(unix_path=self.unixsocket, timeout=timeout)
        return RawClient(self.port, timeout=timeout)


def launch(binary, *args, port=None, **kw):
    """Starts a ServerProcess and waits for PING; returns it.

    A port lost to a race with another process is retried on a new port.
    Raises ServerStartError (with the server's log) if it does not come up.
    """
    for attempt in range(3):
        srv = ServerProcess(binary, args, port=port, **kw)
        try:
            return srv.start()
        except ServerStartError:
            in_use = 'in use' in srv.log_text().lower()
            srv.cleanup()
            if port is not None or not in_use or attempt == 2:
                raise
    raise AssertionError('unreachable')


@contextlib.contextmanager
def start_server(binary, *args, port=None, config_file=None, threads=None, ready_timeout=10.0,
                 password=None):
    """Context manager: a running server; on exit stops it and asserts no crash.

    args are extra command-line arguments (e.g. '--maxclients', '5'); they come
    after the defaults (--port, --bind 127.0.0.1, --dir, --save "") so they win.
    """
    srv = launch(binary, *args, port=port, config_file=config_file, threads=threads,
                 ready_timeout=ready_timeout, password=password)
    try:
        yield srv
    finally:
        problem = srv.stop(check=False)
        srv.cleanup()
    if problem:
        raise AssertionError(problem)


def run_until_exit(binary, *args, config_file=None, timeout=10.0):
    """Runs a server expected to exit by itself (e.g. bad config).

    Returns (returncode, output). If it is still running after timeout it is
    killed and returncode is None.
    """
    d = tempfile.mkdtemp(prefix='basalt-it-')
    cmd = [binary]
    if config_file:
        cmd.append(config_file)
    cmd += ['--port', str(free_port()), '--bind', '127.0.0.1', '--dir', d, '--save', '']
    cmd += [str(a) for a in args]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, cwd=d, timeout=timeout * TIME_SCALE)
        return p.returncode, p.stdout.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode('utf-8', 'replace') if e.stdout else ''
        return None, out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def server_fixture(binary, *args, **kw):
    """Generator body for a pytest fixture: yields a started ServerProcess.

    Start-up failures and crashes at teardown fail the test with the log.
    """
    srv, error = None, None
    try:
        srv = launch(binary, *args, **kw)
    except ServerStartError as e:
        error = str(e)
    if error:
        pytest.fail(error, pytrace=False)
    try:
        yield srv
    finally:
        problem = srv.stop(check=False)
        srv.cleanup()
    if problem:
        pytest.fail('server crashed: ' + problem, pytrace=False)
