"""Shared helpers for the integration tests: polling with a deadline, INFO
parsing and replication link checks.

Test files and the harness modules (repl_util, sentinel_util, sentinel_drill,
...) take these from here and do not define their own. Server processes and
clients are in servers.py.

  wait_for(predicate, timeout=TIMEOUT, what='condition', *, interval, retry_on,
           detail, between, raise_on_timeout)
  missing_dependency(reason)
  TIMEOUT, TRANSIENT_ERRORS
  parse_info(text), parse_info_sections(text)
  info(target, *sections), info_sections(target, *sections), info_text(target, *sections)
  info_field(target, section, field), info_int(target, section, field)
  repl_info(target), slave_line(value)
  link_up(replica, primary=None), online_replicas(primary),
  wait_link_up(*replicas, primary=None, ...), wait_synced(primary, *replicas, ...)

A `target` is a servers.ServerProcess (each call opens a fresh RawClient,
through the process's connector when it lives in a network namespace) or an
open resp_client.RawClient. INFO is read raw and parsed here rather than by
redis-py, which guesses types: a replid made only of digits would become an
int, slaveN lines dicts. Every value stays a str.

Timeouts are seconds as given; callers scale them for sanitized builds
(servers.TIME_SCALE), as TIMEOUT already is.

Stateless: callable from any thread, given a target no other thread uses.
"""

import os
import time

import pytest
import redis

import servers
from resp_client import ConnectionClosed, RawClient, ReplyTimeout

# The default for every wait: the longest any test relied on before this module.
TIMEOUT = 30 * servers.TIME_SCALE

# What a node that is restarting, being promoted or demoted, or that closed our
# connection (a sentinel's CLIENT KILL TYPE normal with every role change) may
# raise: for retry_on= where such a node is polled.
TRANSIENT_ERRORS = (redis.RedisError, OSError, ConnectionClosed, ReplyTimeout)


# --- polling ---------------------------------------------------------------------

def missing_dependency(reason):
    """A test's dependency (a package scripts/install-deps installs) is missing:
    under CI=true that is a failure, elsewhere a skip with the reason."""
    if os.environ.get('CI') == 'true':
        pytest.fail(reason)
    pytest.skip(reason)


def wait_for(predicate, timeout=TIMEOUT, what='condition', *, interval=0.05, retry_on=(),
             detail=None, between=None, raise_on_timeout=True):
    """Calls predicate() until it returns something truthy, and returns that.

    The last call starts after the deadline, so a condition met just in time
    is not reported as a time-out. On a time-out raises AssertionError naming
    `what`, the timeout, the last exception retried and, if detail is given,
    detail() (a description of the state; best effort). With
    raise_on_timeout=False returns the last value instead (None if the last
    call raised one of retry_on).

    retry_on: exception types from predicate that count as "not yet" (e.g.
    TRANSIENT_ERRORS); any other exception propagates at once.
    between: called after each unsuccessful round, before the sleep (e.g. to
    keep writing while waiting).
    """
    deadline = time.monotonic() + timeout
    last_err = None
    while True:
        expired = time.monotonic() > deadline
        try:
            value = predicate()
        except retry_on as e:
            value, last_err = None, e
        if value:
            return value
        if expired:
            break
        if between is not None:
            between()
        time.sleep(interval)
    if not raise_on_timeout:
        return value
    state = ''
    if detail is not None:
        try:
            state = '\nstate: %s' % (detail(),)
        except Exception as e:  # The description is best effort.
            state = '\nstate: unavailable (%r)' % (e,)
    raise AssertionError('timed out after %gs waiting for %s%s%s' % (
        timeout, what, ' (last error: %r)' % (last_err,) if last_err else '', state))


# --- INFO --------------------------------------------------------------------------

def parse_info(text):
    """INFO text (bytes or str) -> {field: str} over all its sections; section
    headers and blank lines are dropped, values kept verbatim."""
    if isinstance(text, bytes):
        text = text.decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith('#') and ':' in line:
            k, v = line.split(':', 1)
            out[k] = v
    return out


def parse_info_sections(text):
    """INFO text -> {section_lower: {field: str}}, sections in order.

    Strict, for tests of INFO's own format: asserts CRLF line ends, every
    field inside a '# Section' header, no section twice, a colon on every line.
    """
    if isinstance(text, bytes):
        text = text.decode()
    assert '\r\n' in text, 'INFO lines must end with CRLF'
    sections = {}
    cur = None
    for line in text.split('\r\n'):
        if not line:
            continue
        if line.startswith('# '):
            cur = line[2:].strip().lower()
            assert cur not in sections, 'section %s twice' % cur
            sections[cur] = {}
            continue
        assert cur is not None, 'field before any section: %r' % line
        k, sep, v = line.partition(':')
        assert sep, 'line without colon: %r' % line
        sections[cur][k] = v
    return sections


def _call(target, *args):
    if isinstance(target, RawClient):
        return target.call(*args)
    with target.raw() as c:
        return c.call(*args)


def info_text(target, *sections):
    """The INFO [section ...] reply of target as bytes (asserted to be a string)."""
    text = _call(target, 'INFO', *sections)
    assert isinstance(text, bytes), text
    return text


def info(target, *sections):
    """INFO [section ...] of target as parse_info's {field: str}."""
    return parse_info(info_text(target, *sections))


def info_sections(target, *sections):
    """INFO [section ...] of target as parse_info_sections' {section: {field: str}}
    (strict about the format)."""
    return parse_info_sections(info_text(target, *sections))


def info_field(target, section, field):
    """One field of INFO <section> as str; AssertionError if it is absent."""
    fields = info(target, section)
    if field not in fields:
        raise AssertionError('no %s in INFO %s' % (field, section))
    return fields[field]


def info_int(target, section, field):
    """One field of INFO <section> as int."""
    return int(info_field(target, section, field))


def repl_info(target):
    """INFO replication as {field: str}; slaveN values stay their raw text."""
    return info(target, 'replication')


def slave_line(value):
    """A slaveN value of INFO replication ('ip=..,port=..,state=..') -> {str: str}."""
    return dict(kv.split('=', 1) for kv in value.split(','))


# --- replication links -------------------------------------------------------------

def link_up(replica, primary=None):
    """True if replica's master_link_status is up; with primary, also that
    replica is a replica (role slave) of exactly that ServerProcess (its
    master_host and master_port)."""
    i = repl_info(replica)
    if primary is not None and (i.get('role') != 'slave' or
                                i.get('master_host') != primary.host or
                                int(i.get('master_port', -1)) != primary.port):
        return False
    return i.get('master_link_status') == 'up'


def online_replicas(primary):
    """How many slaveN lines of primary's INFO replication say state=online."""
    return sum(1 for k, v in repl_info(primary).items()
               if k.startswith('slave') and k[5:].isdigit() and 'state=online' in v)


def wait_link_up(*replicas, primary=None, timeout=TIMEOUT, retry_on=()):
    """Waits for link_up(r, primary) of each replica in turn (timeout each)."""
    for r in replicas:
        what = 'master_link_status:up on port %d' % r.port
        if primary is not None:
            what += ' from %s:%d' % (primary.host, primary.port)
        wait_for(lambda: link_up(r, primary), timeout, what, retry_on=retry_on,
                 detail=lambda: repl_info(r))


def wait_synced(primary, *replicas, timeout=TIMEOUT, retry_on=()):
    """Waits until every replica's master_repl_offset equals the primary's;
    returns that offset.

    The primary is read before and after the replicas so that a PING it sends
    in between (which moves its offset) cannot make a stale match pass.
    """
    def offset(srv):
        return int(repl_info(srv)['master_repl_offset'])

    def synced():
        before = offset(primary)
        offs = [offset(r) for r in replicas]
        after = offset(primary)
        # A tuple, so that offset 0 (nothing written yet) still counts as done.
        return (after,) if before == after and all(o == after for o in offs) else None
    return wait_for(synced, timeout, 'replicas %s at the primary %d offset' % (
        [r.port for r in replicas], primary.port), retry_on=retry_on)[0]
