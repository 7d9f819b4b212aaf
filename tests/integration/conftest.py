"""Pytest fixtures for Basalt's black-box integration tests.

The server under test is $BASALT_SERVER (default /work/main/build/basalt-server);
the oracle is $REDIS_ORACLE (default /usr/bin/redis-server, 7.0.15). The suite
also runs with BASALT_SERVER=/usr/bin/redis-server, which validates the tests.

Fixtures:
  basalt_server / oracle_server  module-scoped ServerProcess (servers.py)
  basalt / oracle                fresh redis.Redis client per test (str replies),
                                 after FLUSHALL
  differ                         diff.Differ, parametrized over RESP2 and RESP3
  debug_differ                   the same over a pair started with DEBUG enabled
  make_server                    factory: make_server(*args, binary=..., ...) starts
                                 a dedicated server, stopped after the test
  raw_basalt / raw_oracle        factories returning RawClient connections
Each test checks that the shared servers are still alive afterwards, so a
crash is reported by the test that caused it (with the server log); the next
test restarts the server.
"""

import os
import signal
import subprocess

import pytest

import servers
from diff import Differ
from helpers import missing_dependency
# start_server (a context manager) and free_port are the helpers for tests that need
# servers with special options; make_server below wraps start_server as a fixture.
from servers import (ServerStartError, basalt_binary, free_port, oracle_binary,  # noqa: F401
                     server_fixture, start_server, target_is_basalt)

TEST_TIMEOUT = int(120 * servers.TIME_SCALE)


def pytest_collection_modifyitems(config, items):
    if target_is_basalt():
        return
    for item in items:
        m = item.get_closest_marker('basalt_only')
        if m is not None:
            reason = m.args[0] if m.args else 'Basalt-specific behaviour'
            item.add_marker(pytest.mark.skip(reason='not run against redis-server: ' + reason))


@pytest.fixture(autouse=True)
def _needs_commands(request):
    """Skips a test marked needs_commands(...) while the server under test
    does not implement those commands yet (COMMAND INFO answers nil). The test
    runs as soon as the commands exist, so nothing is silently left out."""
    m = request.node.get_closest_marker('needs_commands')
    if m is None:
        yield
        return
    srv = request.getfixturevalue('basalt_server')
    with srv.raw() as c:
        info = c.call('COMMAND', 'INFO', *m.args)
    missing = [name for name, entry in zip(m.args, info) if entry is None]
    if missing:
        pytest.skip('server does not implement %s yet' % ' '.join(missing))
    yield


@pytest.fixture(autouse=True)
def _per_test_timeout():
    """Fails a test that hangs (no pytest-timeout on Debian's python3)."""
    def on_alarm(signum, frame):
        raise TimeoutError('test exceeded %ds' % TEST_TIMEOUT)
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(TEST_TIMEOUT)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope='session')
def basalt_bin():
    path = basalt_binary()
    if not os.access(path, os.X_OK):
        pytest.fail('server under test %s not found or not executable (set BASALT_SERVER)' % path,
                    pytrace=False)
    return path


@pytest.fixture(scope='session')
def oracle_bin():
    path = oracle_binary()
    if not os.access(path, os.X_OK):
        missing_dependency('oracle %s not installed (scripts/install-deps installs redis-server)'
                           % path)
    return path


@pytest.fixture(scope='module')
def basalt_server(basalt_bin):
    yield from server_fixture(basalt_bin)


@pytest.fixture(scope='module')
def oracle_server(oracle_bin):
    yield from server_fixture(oracle_bin)


def _healthy(srv):
    """True if the process runs and answers PING."""
    if not srv.alive():
        return False
    try:
        with srv.raw(timeout=10 * servers.TIME_SCALE) as c:
            reply = c.command('PING')
        return reply == b'+PONG\r\n' or reply.startswith(b'-NOAUTH')
    except Exception:
        return False


class _Guard:
    """Restarts a broken shared server before a test and reports a death after."""

    def __init__(self, srv):
        self.srv = srv

    def __enter__(self):
        if not _healthy(self.srv):
            error = None
            try:
                self.srv.restart()
            except ServerStartError as e:
                error = str(e)
            if error:
                pytest.fail('could not restart server after an earlier failure: ' + error,
                            pytrace=False)
        return self.srv

    def __exit__(self, *exc):
        return False

    def check(self):
        if _healthy(self.srv):
            return
        # A crashing server may still be writing its report: give it time to exit.
        try:
            self.srv.proc.wait(timeout=10 * servers.TIME_SCALE)
        except subprocess.TimeoutExpired:
            pass
        if self.srv.alive():
            problem = 'server stopped answering PING (hung?)'
        else:
            problem = self.srv.check_crash() or 'exited with %s' % self.srv.proc.returncode
        log = self.srv.log_tail(150)
        # Reported here; the next test restarts the server.
        self.srv.crash = None
        pytest.fail('server died during this test: %s\nlog:\n%s' % (problem, log),
                    pytrace=False)


def _client_fixture(srv):
    guard = _Guard(srv)
    with guard:
        c = srv.client()
        c.flushall()
        yield c
        c.close()
        guard.check()


@pytest.fixture
def basalt(basalt_server):
    yield from _client_fixture(basalt_server)


@pytest.fixture
def oracle(oracle_server):
    yield from _client_fixture(oracle_server)


# DEBUG is disabled by default in Redis 7; the DEBUG tests run on their own pair
# of servers that allow it from loopback connections.
DEBUG_ARGS = ('--enable-debug-command', 'local')


@pytest.fixture(scope='module')
def debug_basalt(basalt_bin):
    yield from server_fixture(basalt_bin, *DEBUG_ARGS)


@pytest.fixture(scope='module')
def debug_oracle(oracle_bin):
    yield from server_fixture(oracle_bin, *DEBUG_ARGS)


@pytest.fixture(params=[2, 3], ids=['resp2', 'resp3'])
def debug_differ(request, debug_basalt, debug_oracle):
    return Differ(debug_basalt, debug_oracle, resp=request.param)


@pytest.fixture(params=[2, 3], ids=['resp2', 'resp3'])
def differ(request, basalt_server, oracle_server):
    gb, go = _Guard(basalt_server), _Guard(oracle_server)
    with gb, go:
        yield Differ(basalt_server, oracle_server, resp=request.param)
        gb.check()
        go.check()


@pytest.fixture
def raw_basalt(basalt_server):
    """Factory: raw_basalt() -> RawClient to the shared Basalt server."""
    guard = _Guard(basalt_server)
    conns = []
    with guard:
        def make(timeout=None):
            c = basalt_server.raw(timeout)
            conns.append(c)
            return c
        yield make
        for c in conns:
            c.close()
        guard.check()


@pytest.fixture
def raw_oracle(oracle_server):
    conns = []

    def make(timeout=None):
        c = oracle_server.raw(timeout)
        conns.append(c)
        return c
    yield make
    for c in conns:
        c.close()


@pytest.fixture
def make_server(basalt_bin):
    """Factory: make_server(*args, binary=None, **kw) -> running ServerProcess.

    binary defaults to the server under test. Every server started is stopped
    after the test, and a crash fails the test.
    """
    stack = []

    def make(*args, binary=None, **kw):
        cm = start_server(binary or basalt_bin, *args, **kw)
        error = None
        try:
            srv = cm.__enter__()
        except ServerStartError as e:
            error = str(e)
        if error:
            pytest.fail(error, pytrace=False)
        stack.append(cm)
        return srv
    yield make
    problems = []
    for cm in reversed(stack):
        try:
            cm.__exit__(None, None, None)
        except AssertionError as e:
            problems.append(str(e))
    if problems:
        pytest.fail('server crashed: ' + '\n'.join(problems), pytrace=False)
