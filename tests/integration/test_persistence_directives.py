"""Persistence directives of issue 14, over real processes and files:
aof-timestamp-enabled, aof-disable-auto-gc, no-appendfsync-on-rewrite and
the hidden loading-process-events-interval-bytes.

They run as written against redis-server too
(BASALT_SERVER=/usr/bin/redis-server).
"""
import os
import re
import subprocess
import time

import pytest

import servers
from helpers import info, info_int, wait_for
from servers import basalt_binary, is_basalt

TIMEOUT = 20 * servers.TIME_SCALE
CHECK_AOF = '/usr/bin/redis-check-aof'


def aof_dir(srv):
    return os.path.join(srv.dir, 'appendonlydir')


def manifest_lines(srv):
    with open(os.path.join(aof_dir(srv), 'appendonly.aof.manifest')) as f:
        return [l.strip() for l in f if l.strip()]


def incr_files(srv):
    return [l.split()[1] for l in manifest_lines(srv) if l.endswith('type i')]


def read_incr(srv):
    data = b''
    for name in incr_files(srv):
        with open(os.path.join(aof_dir(srv), name), 'rb') as f:
            data += f.read()
    return data


def wait_rewrite_done(srv):
    wait_for(lambda: info(srv, 'persistence').get('aof_rewrite_in_progress') == '0' and
             info(srv, 'persistence').get('aof_rewrite_scheduled') == '0',
             TIMEOUT, 'the AOF rewrite ends', detail=lambda: info(srv, 'persistence'))


# --- aof-timestamp-enabled ----------------------------------------------------

def test_aof_timestamp_annotations(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always',
                      '--aof-timestamp-enabled', 'yes')
    c = srv.client()
    c.set('a', '1')
    start = int(time.time())
    # A write in a later second gets an annotation of its own.
    wait_for(lambda: int(time.time()) > start + 1, TIMEOUT, 'a new second')
    c.set('b', '2')
    data = read_incr(srv)
    stamps = [int(x) for x in re.findall(rb'#TS:(\d+)\r\n', data)]
    assert len(stamps) >= 2, data
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]
    assert abs(stamps[-1] - time.time()) < 60
    # Each annotation is a line of its own between commands.
    for m in re.finditer(rb'#TS:\d+\r\n', data):
        assert m.end() == len(data) or data[m.end():m.end() + 1] == b'*'
    # redis-check-aof accepts the file, and a restart loads it.
    if os.path.exists(CHECK_AOF):
        out = subprocess.run([CHECK_AOF, os.path.join(aof_dir(srv), 'appendonly.aof.manifest')],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
    srv.restart()
    assert srv.client().mget('a', 'b') == ['1', '2']


def test_aof_without_timestamps_has_none(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always')
    srv.client().set('a', '1')
    assert b'#TS:' not in read_incr(srv)
    # Switched on at run time, it applies from the next write.
    srv.client().config_set('aof-timestamp-enabled', 'yes')
    srv.client().set('b', '2')
    assert b'#TS:' in read_incr(srv)


def test_aof_format_base_starts_with_a_timestamp(make_server):
    srv = make_server('--appendonly', 'yes', '--aof-use-rdb-preamble', 'no',
                      '--aof-timestamp-enabled', 'yes')
    wait_rewrite_done(srv)
    srv.client().set('a', '1')
    srv.client().bgrewriteaof()
    wait_rewrite_done(srv)
    base = [l.split()[1] for l in manifest_lines(srv) if l.endswith('type b')][0]
    with open(os.path.join(aof_dir(srv), base), 'rb') as f:
        data = f.read()
    assert re.match(rb'#TS:\d+\r\n\*', data), data[:80]
    srv.restart()
    assert srv.client().get('a') == '1'


# --- aof-disable-auto-gc ------------------------------------------------------

def history(srv):
    return [l.split()[1] for l in manifest_lines(srv) if l.endswith('type h')]


def test_aof_disable_auto_gc_keeps_history(make_server):
    srv = make_server('--appendonly', 'yes', '--aof-disable-auto-gc', 'yes')
    c = srv.client()
    wait_rewrite_done(srv)
    c.set('a', '1')
    c.bgrewriteaof()
    wait_rewrite_done(srv)
    kept = history(srv)
    # The old base and incremental file stay, listed as history.
    assert len(kept) >= 2, manifest_lines(srv)
    for name in kept:
        assert os.path.exists(os.path.join(aof_dir(srv), name))
    # Turned off: the history goes.
    c.config_set('aof-disable-auto-gc', 'no')
    wait_for(lambda: not history(srv), TIMEOUT, 'history dropped from the manifest',
             detail=lambda: manifest_lines(srv))
    for name in kept:
        wait_for(lambda: not os.path.exists(os.path.join(aof_dir(srv), name)), TIMEOUT,
                 '%s removed' % name)
    srv.restart()
    assert srv.client().get('a') == '1'


def test_aof_auto_gc_by_default(make_server):
    srv = make_server('--appendonly', 'yes')
    wait_rewrite_done(srv)
    srv.client().set('a', '1')
    srv.client().bgrewriteaof()
    wait_rewrite_done(srv)
    wait_for(lambda: not history(srv), TIMEOUT, 'no history in the manifest',
             detail=lambda: manifest_lines(srv))
    names = {l.split()[1] for l in manifest_lines(srv)}
    on_disk = {f for f in os.listdir(aof_dir(srv)) if not f.endswith('.manifest')}
    wait_for(lambda: {f for f in os.listdir(aof_dir(srv))
                      if not f.endswith('.manifest')} <= names, TIMEOUT,
             'only the manifest files left', detail=lambda: (names, on_disk))


# --- no-appendfsync-on-rewrite ------------------------------------------------

def test_no_appendfsync_on_rewrite_writes_still_land(make_server):
    # appendfsync always with fsync suspended during a (slow) rewrite: the
    # writes are answered and are in the AOF after a restart.
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always',
                      '--no-appendfsync-on-rewrite', 'yes', '--rdb-key-save-delay', '20000')
    c = srv.client()
    wait_rewrite_done(srv)
    for i in range(50):
        c.set('k%d' % i, i)
    c.bgrewriteaof()
    wait_for(lambda: info(srv, 'persistence').get('aof_rewrite_in_progress') == '1', TIMEOUT,
             'the rewrite runs')
    for i in range(50, 60):
        c.set('k%d' % i, i)
    wait_rewrite_done(srv)
    srv.restart()
    assert srv.client().dbsize() == 60
    assert srv.client().config_get('no-appendfsync-on-rewrite') == {
        'no-appendfsync-on-rewrite': 'yes'}


# --- loading-process-events-interval-bytes ------------------------------------

def loading_bytes_seen(srv):
    """Polls INFO persistence while the server loads; returns the
    loading_loaded_bytes values seen while loading:1."""
    seen = []

    def done():
        try:
            i = info(srv, 'persistence')
        except Exception:  # not listening yet
            return False
        if i.get('loading') == '1':
            seen.append(int(i['loading_loaded_bytes']))
            return False
        return i.get('loading') == '0'
    wait_for(done, TIMEOUT * 3, 'the load ends', interval=0.02)
    return seen


@pytest.mark.parametrize('interval,moves', [('1024', True), ('2147483647', False)])
def test_loading_progress_interval(make_server, interval, moves):
    srv = make_server('--enable-debug-command', 'yes')
    c = srv.client()
    c.execute_command('DEBUG', 'POPULATE', '3000', 'key', '100')
    c.save()
    srv.stop()
    # 1 ms per key: about 3 s of loading, polled from the outside.
    srv.extra_args += ['--key-load-delay', '1000', '--loading-process-events-interval-bytes',
                       interval, '--dbfilename', 'dump.rdb']
    srv.start(wait=False)
    seen = loading_bytes_seen(srv)
    if moves:
        assert seen and max(seen) > 0, seen
    elif is_basalt(srv.binary):
        # Basalt's workers answer all along; the progress shown stays at 0.
        assert seen and max(seen) == 0, seen
    else:
        # redis-server serves no event at all until the interval is reached.
        assert not seen or max(seen) == 0, seen
    assert srv.client().dbsize() == 3000
