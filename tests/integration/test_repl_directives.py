"""Replication directives of issue 14, over real processes: the primary's
repl-disable-tcp-nodelay and repl-diskless-sync-max-replicas, the replica's
replica-lazy-flush, repl-diskless-load, rdb-del-sync-files,
propagation-error-behavior and replica-ignore-disk-write-errors.

Each test runs as written against redis-server too
(BASALT_SERVER=/usr/bin/redis-server): the behaviour checked is Redis's.
"""
import ctypes
import os
import shutil
import socket
import tempfile

import pytest
import redis

import servers
from helpers import info, info_int, link_up, repl_info, wait_for, wait_link_up, wait_synced
from servers import basalt_binary, is_basalt, launch

TIMEOUT = 20 * servers.TIME_SCALE


def replicaof(replica, primary):
    replica.client().execute_command('REPLICAOF', '127.0.0.1', str(primary.port))


def replica_state(primary):
    """The state= of each slaveN line of the primary's INFO replication."""
    out = []
    for k, v in sorted(repl_info(primary).items()):
        if k.startswith('slave') and k[5:].isdigit():
            fields = dict(p.split('=', 1) for p in v.split(','))
            out.append(fields['state'])
    return out


# --- repl-diskless-sync-max-replicas ------------------------------------------

def test_diskless_sync_starts_once_max_replicas_wait(make_server):
    # A delay no test outlives: only the max-replicas rule can start the sync.
    primary = make_server('--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '3600',
                          '--repl-diskless-sync-max-replicas', '2')
    primary.client().set('k', 'v')
    r1 = make_server()
    replicaof(r1, primary)
    wait_for(lambda: replica_state(primary) == ['wait_bgsave'], TIMEOUT,
             'the first replica waits for the delay', detail=lambda: repl_info(primary))
    assert not link_up(r1)
    r2 = make_server()
    replicaof(r2, primary)
    wait_link_up(r1, r2, primary=primary)
    assert r1.client().get('k') == 'v' and r2.client().get('k') == 'v'


def test_diskless_sync_max_replicas_zero_waits_for_the_delay(make_server):
    primary = make_server('--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '3600')
    r1 = make_server()
    r2 = make_server()
    replicaof(r1, primary)
    replicaof(r2, primary)
    wait_for(lambda: replica_state(primary) == ['wait_bgsave', 'wait_bgsave'], TIMEOUT,
             'both replicas wait for the delay', detail=lambda: repl_info(primary))
    # Lowering the delay lets them go: the wait was the delay's.
    primary.client().config_set('repl-diskless-sync-delay', '0')
    wait_link_up(r1, r2, primary=primary)


# --- repl-disable-tcp-nodelay -------------------------------------------------

SYS_pidfd_open = 434
SYS_pidfd_getfd = 438


def socket_of(pid, peer_port):
    """A duplicate of process pid's TCP socket whose peer port is peer_port
    (pidfd_getfd), or None."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = libc.syscall(SYS_pidfd_open, pid, 0)
    if pidfd < 0:
        pytest.skip('pidfd_open unavailable (errno %d)' % ctypes.get_errno())
    try:
        for name in os.listdir('/proc/%d/fd' % pid):
            try:
                if not os.readlink('/proc/%d/fd/%s' % (pid, name)).startswith('socket:'):
                    continue
            except OSError:
                continue
            fd = libc.syscall(SYS_pidfd_getfd, pidfd, int(name), 0)
            if fd < 0:
                if ctypes.get_errno() in (1, 38):  # EPERM, ENOSYS
                    pytest.skip('pidfd_getfd not permitted here')
                continue
            s = socket.socket(fileno=fd)
            try:
                if s.type == socket.SOCK_STREAM and s.getpeername()[1] == peer_port:
                    return s
            except OSError:
                pass
            s.close()
    finally:
        os.close(pidfd)
    return None


def replica_link_nodelay(primary, replica):
    """TCP_NODELAY of the primary's socket to the replica."""
    port = None
    for c in primary.client().client_list():
        if 'S' in c['flags']:
            port = int(c['addr'].rsplit(':', 1)[1])
    assert port is not None, primary.client().client_list()
    s = socket_of(primary.proc.pid, port)
    assert s is not None, 'no socket to port %d in the primary' % port
    try:
        return s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        s.close()


@pytest.mark.parametrize('disable', ['yes', 'no'])
def test_repl_disable_tcp_nodelay(make_server, disable):
    primary = make_server('--repl-disable-tcp-nodelay', disable)
    replica = make_server()
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    primary.client().set('k', 'v')
    wait_synced(primary, replica)
    nodelay = replica_link_nodelay(primary, replica)
    assert bool(nodelay) == (disable == 'no')


# --- replica-lazy-flush -------------------------------------------------------

@pytest.mark.parametrize('lazy', ['yes', 'no'])
def test_replica_lazy_flush(make_server, lazy):
    primary = make_server()
    primary.client().set('from-primary', '1')
    replica = make_server('--replica-lazy-flush', lazy, '--enable-debug-command', 'yes')
    replica.client().execute_command('DEBUG', 'POPULATE', '2000', 'old')
    before = info_int(replica, 'memory', 'lazyfreed_objects')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    assert replica.client().get('from-primary') == '1'
    assert replica.client().dbsize() == 1
    if lazy == 'yes':
        # The old dataset went to the background freer (Redis counts its keys).
        wait_for(lambda: info_int(replica, 'memory', 'lazyfreed_objects') > before, TIMEOUT,
                 'the old dataset freed lazily')
    else:
        assert info_int(replica, 'memory', 'lazyfreed_objects') == before


# --- repl-diskless-load, rdb-del-sync-files -----------------------------------

def dump_exists(srv):
    return os.path.exists(os.path.join(srv.dir, 'dump.rdb'))


def test_diskless_load_disabled_stores_the_rdb(make_server):
    primary = make_server()
    primary.client().set('k', 'v')
    replica = make_server('--repl-diskless-load', 'disabled')
    replica.client().set('old', '1')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    assert replica.client().get('k') == 'v' and replica.client().get('old') is None
    # The file the sync went through stays, as the replica's dbfilename.
    assert dump_exists(replica)
    assert not [f for f in os.listdir(replica.dir) if f.startswith('temp-')]


def test_diskless_load_on_empty_db(make_server):
    primary = make_server()
    primary.client().set('k', 'v')
    # Empty: parsed from the socket, no file.
    empty = make_server('--repl-diskless-load', 'on-empty-db')
    replicaof(empty, primary)
    wait_link_up(empty, primary=primary)
    assert empty.client().get('k') == 'v'
    assert not dump_exists(empty)
    # Not empty: through the disk, as "disabled".
    full = make_server('--repl-diskless-load', 'on-empty-db')
    full.client().set('old', '1')
    replicaof(full, primary)
    wait_link_up(full, primary=primary)
    assert full.client().get('k') == 'v' and full.client().get('old') is None
    assert dump_exists(full)


def test_rdb_del_sync_files(make_server):
    primary = make_server()
    primary.client().set('k', 'v')
    # No persistence (the test servers run with save "" and appendonly no).
    replica = make_server('--repl-diskless-load', 'disabled', '--rdb-del-sync-files', 'yes')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    assert replica.client().get('k') == 'v'
    wait_for(lambda: not dump_exists(replica), TIMEOUT, 'the sync file removed')
    # With persistence on, the option is ignored: the file stays.
    kept = make_server('--repl-diskless-load', 'disabled', '--rdb-del-sync-files', 'yes',
                       '--save', '3600 1')
    replicaof(kept, primary)
    wait_link_up(kept, primary=primary)
    assert dump_exists(kept)


def slow_swapdb_replica(make_server, keys=2000, size=10, delay_us=2000, primary_args=()):
    """A primary with `keys` keys, and a replica holding old=1 that loads its
    snapshot with repl-diskless-load swapdb, `delay_us` per key."""
    primary = make_server('--enable-debug-command', 'yes', *primary_args)
    primary.client().execute_command('DEBUG', 'POPULATE', str(keys), 'new', str(size))
    replica = make_server('--repl-diskless-load', 'swapdb', '--key-load-delay', str(delay_us))
    replica.client().set('old', '1')
    replicaof(replica, primary)
    wait_for(lambda: repl_info(replica).get('master_sync_in_progress') == '1', TIMEOUT,
             'the sync in progress', interval=0.01)
    return primary, replica


def test_diskless_load_swapdb_serves_the_old_data_while_loading(make_server):
    if not is_basalt(basalt_binary()):
        pytest.skip('redis-server serves the old data only when the history matches')
    primary, replica = slow_swapdb_replica(make_server)
    # Read while it loads: the old dataset, no -LOADING.
    assert replica.client().get('old') == '1'
    assert replica.client().dbsize() == 1
    wait_for(lambda: info(replica, 'persistence')['async_loading'] == '1', TIMEOUT,
             'INFO async_loading:1', interval=0.01)
    assert info(replica, 'persistence')['loading'] == '0'
    assert replica.client().get('old') == '1'
    wait_link_up(replica, primary=primary)
    assert replica.client().get('old') is None
    assert replica.client().dbsize() == 2000
    assert not dump_exists(replica)


def test_diskless_load_swapdb_keeps_the_old_data_on_failure(make_server):
    # The primary writes a key every 2 ms (6 MB uncompressed in about 4 s,
    # sent as it goes in 1 MB pieces), so killing it cuts the transfer short,
    # however fast the replica reads.
    primary, replica = slow_swapdb_replica(make_server, keys=2000, size=3000, delay_us=100,
                                           primary_args=('--rdb-key-save-delay', '2000',
                                                         '--rdbcompression', 'no'))
    primary.proc.kill()
    primary.proc.wait()
    wait_for(lambda: repl_info(replica).get('master_sync_in_progress') == '0', TIMEOUT,
             'the sync given up', retry_on=(redis.BusyLoadingError,))
    wait_for(lambda: replica.client().get('old') == '1', TIMEOUT, 'the old dataset back',
             retry_on=(redis.BusyLoadingError,),
             detail=lambda: [l for l in replica.log_text().splitlines() if 'refused' not in l][-12:])
    assert replica.client().dbsize() == 1


# --- propagation-error-behavior -----------------------------------------------

class Process:
    """A server expected to die: stopped without the crash check."""

    def __init__(self, *args):
        self.srv = launch(basalt_binary(), *args)

    def __enter__(self):
        return self.srv

    def __exit__(self, *exc):
        self.srv.stop(check=False)
        self.srv.cleanup()


def diverge(primary, replica, read_only='yes'):
    """Makes the replica hold a string where the primary has nothing, then
    has the primary run a list command on that key: it fails on the replica
    (read-only again, or left writable, as `read_only` says)."""
    replica.client().set('k', 'string')
    replica.client().config_set('replica-read-only', read_only)
    primary.client().lpush('k', 'a')
    primary.client().set('after', '1')


@pytest.mark.parametrize('mode', ['panic', 'panic-on-replicas'])
def test_propagation_error_panics_the_replica(make_server, mode):
    primary = make_server()
    with Process('--replica-read-only', 'no', '--propagation-error-behavior', mode) as replica:
        replicaof(replica, primary)
        wait_link_up(replica, primary=primary)
        diverge(primary, replica)
        wait_for(lambda: not replica.alive(), TIMEOUT, 'the replica stops')
        assert 'panicked sending an error to its master' in replica.log_text()


def test_propagation_error_on_a_writable_replica_does_not_panic(make_server):
    # Redis panics only on a read-only replica: a writable one may hold keys
    # of its own.
    primary = make_server()
    replica = make_server('--replica-read-only', 'no', '--propagation-error-behavior', 'panic')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    diverge(primary, replica, read_only='no')
    wait_synced(primary, replica)
    assert replica.client().get('after') == '1'


def test_propagation_error_ignored_by_default(make_server):
    primary = make_server()
    replica = make_server('--replica-read-only', 'no')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    diverge(primary, replica)
    wait_synced(primary, replica)
    assert replica.client().get('after') == '1'
    assert replica.client().get('k') == 'string'
    assert replica.alive()


def write_aof_with_failing_command(srv_dir):
    """An appendonly dir whose only incremental file has a command that fails
    on replay (LPUSH on a string)."""
    d = os.path.join(srv_dir, 'appendonlydir')
    os.makedirs(d)

    def cmd(*args):
        out = b'*%d\r\n' % len(args)
        for a in args:
            a = a.encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        return out
    with open(os.path.join(d, 'appendonly.aof.1.incr.aof'), 'wb') as f:
        f.write(cmd('SELECT', '0') + cmd('SET', 'k', 'v') + cmd('LPUSH', 'k', 'x') +
                cmd('SET', 'after', '1'))
    with open(os.path.join(d, 'appendonly.aof.manifest'), 'wb') as f:
        f.write(b'file appendonly.aof.1.incr.aof seq 1 type i\n')


def test_propagation_error_in_the_aof(tmp_path):
    binary = basalt_binary()
    # ignore (and panic-on-replicas, which concerns replicas only): loads.
    for mode in ('ignore', 'panic-on-replicas'):
        d = tempfile.mkdtemp(dir=tmp_path)
        write_aof_with_failing_command(d)
        with servers.start_server(binary, '--dir', d, '--appendonly', 'yes',
                                  '--propagation-error-behavior', mode) as srv:
            assert srv.client().get('after') == '1'
    # panic: the server stops while loading.
    d = tempfile.mkdtemp(dir=tmp_path)
    write_aof_with_failing_command(d)
    srv = servers.ServerProcess(binary, ['--dir', d, '--appendonly', 'yes',
                                         '--propagation-error-behavior', 'panic'])
    try:
        srv.start(wait=False)
        wait_for(lambda: not srv.alive(), TIMEOUT, 'the server stops loading the AOF')
        assert 'panicked sending an error' in srv.log_text()
    finally:
        srv.stop(check=False)
        srv.cleanup()


# --- replica-ignore-disk-write-errors -----------------------------------------

def break_disk(replica):
    """Makes the replica unable to persist: its dir moves to a directory that
    is then removed, and a BGSAVE fails (stop-writes-on-bgsave-error)."""
    gone = tempfile.mkdtemp(prefix='basalt-gone-')
    c = replica.client()
    c.config_set('dir', gone)
    shutil.rmtree(gone)
    try:
        c.bgsave()
    except redis.ResponseError:
        pass
    wait_for(lambda: info(replica, 'persistence').get('rdb_last_bgsave_status') == 'err',
             TIMEOUT, 'the BGSAVE fails', detail=lambda: info(replica, 'persistence'))


def test_replica_panics_on_disk_write_error_by_default(make_server):
    primary = make_server()
    with Process('--save', '3600 1', '--enable-protected-configs', 'yes') as replica:
        replicaof(replica, primary)
        wait_link_up(replica, primary=primary)
        break_disk(replica)
        primary.client().set('k', 'v')
        wait_for(lambda: not replica.alive(), TIMEOUT, 'the replica stops')
        assert 'Replica was unable to write command to disk' in replica.log_text()


def test_replica_ignore_disk_write_errors(make_server):
    primary = make_server()
    replica = make_server('--save', '3600 1', '--replica-ignore-disk-write-errors', 'yes',
                          '--enable-protected-configs', 'yes')
    replicaof(replica, primary)
    wait_link_up(replica, primary=primary)
    break_disk(replica)
    primary.client().set('k', 'v')
    wait_synced(primary, replica)
    assert replica.client().get('k') == 'v'
    wait_for(lambda: 'unable to write to disk' in replica.log_text(), TIMEOUT,
             'the warning in the log')
    # Ordinary clients still get MISCONF on the replica.
    replica.client().config_set('replica-read-only', 'no')
    with pytest.raises(redis.ResponseError, match='MISCONF'):
        replica.client().set('x', 1)
    # No save at shutdown into the removed directory.
    replica.client().config_set('save', '')


# --- replica-announce-ip / REPLCONF ip-address -----------------------------------

@pytest.mark.parametrize('replica_kind', ['basalt', 'redis'])
def test_replica_announce_ip_is_what_the_primary_shows(make_server, replica_kind):
    """The primary lists a replica under the address it announced (INFO
    slaveN, ROLE; what sentinels learn it by), whichever server the replica
    is. A name, as pods announce their stable DNS names."""
    primary = make_server()
    binary = basalt_binary() if replica_kind == 'basalt' else servers.oracle_binary()
    replica = launch(binary, '--replica-announce-ip', 'localhost')
    try:
        replicaof(replica, primary)
        wait_link_up(replica, primary=primary)
        slave = dict(p.split('=', 1) for p in repl_info(primary)['slave0'].split(','))
        assert slave['ip'] == 'localhost'
        role = primary.client().execute_command('ROLE')
        assert [r[0] for r in role[2]] == ['localhost']
    finally:
        replica.stop()
        replica.cleanup()
