"""Process-level directives over real processes: shutdown-on-sigint/-sigterm,
shutdown-timeout and SHUTDOWN NOW/FORCE/ABORT, supervised (systemd/upstart),
syslog-*, crash-log-enabled, always-show-logo, disable-thp, oom-score-adj(-values),
the *_cpulist directives, socket-mark-id, set-proc-title / proc-title-template.

Every test runs against the server under test (BASALT_SERVER) and passes
against redis-server 7.0.15 too, except the few marked basalt_only (Basalt's
own crash report text). Config replies are compared with the oracle's.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import threading

import pytest

import servers
from helpers import wait_for
from repl_util import pause, resume
from resp_client import ConnectionClosed
from servers import basalt_binary, launch, oracle_binary, start_server

BIN = basalt_binary()


def reply_or_closed(client):
    """One reply, or b'' when the server closes the connection first."""
    try:
        return client.read_reply()
    except (ConnectionClosed, OSError):
        return b''


def stopped(srv, timeout=20):
    """Waits for the process to exit; returns its exit status (None if alive)."""
    try:
        return srv.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def finish(srv):
    srv.stop(check=False)
    srv.cleanup()


def proc_file(pid, name):
    with open('/proc/%d/%s' % (pid, name)) as f:
        return f.read()


def cmdline(pid):
    raw = open('/proc/%d/cmdline' % pid, 'rb').read()
    return raw.rstrip(b'\0').decode('utf-8', 'replace')


def title(pid):
    """The process title: the first string of the command line. (redis-server
    pads what is left of the old command line with spaces and may leave a
    stray byte after them; that tail is not part of the title.)"""
    return re.split(r' {2,}', cmdline(pid).split('\0')[0])[0]


# --------------------------------------------------------------- CONFIG

SET_CASES = [
    ('shutdown-on-sigint', 'nosave now'),
    ('shutdown-on-sigint', 'save nosave'),
    ('shutdown-on-sigint', 'force now save'),
    ('shutdown-on-sigint', 'default now'),
    ('shutdown-on-sigint', 'NOW'),
    ('shutdown-on-sigint', ''),
    ('shutdown-on-sigint', 'later'),
    ('shutdown-on-sigterm', 'save save'),
    ('shutdown-on-sigterm', 'default'),
    ('shutdown-timeout', '3'),
    ('shutdown-timeout', '-1'),
    ('oom-score-adj', 'maybe'),
    ('oom-score-adj-values', '1 2'),
    ('oom-score-adj-values', '0 3000 1'),
    ('crash-log-enabled', 'no'),
    ('crash-log-enabled', 'yes'),
    ('crash-memcheck-enabled', 'no'),
    ('proc-title-template', '{title} {bad}'),
    ('proc-title-template', '{title'),
    ('proc-title-template', '   '),
    ('proc-title-template', '{unixsocket}'),
    ('proc-title-template', '{TITLE}'),
    ('proc-title-template', '{title} {listen-addr} {server-mode}'),
    ('supervised', 'systemd'),
    ('syslog-enabled', 'yes'),
    ('syslog-ident', 'x'),
    ('syslog-facility', 'local1'),
    ('disable-thp', 'no'),
    ('always-show-logo', 'yes'),
    ('set-proc-title', 'no'),
    ('socket-mark-id', '1'),
    ('server_cpulist', '0'),
    ('bio_cpulist', '0'),
    ('bgsave_cpulist', '0'),
    ('aof_rewrite_cpulist', '0'),
]

GET_NAMES = ['shutdown-on-sigint', 'shutdown-on-sigterm', 'shutdown-timeout', 'supervised',
             'syslog-enabled', 'syslog-ident', 'syslog-facility', 'crash-log-enabled',
             'crash-memcheck-enabled', 'always-show-logo', 'disable-thp', 'oom-score-adj',
             'oom-score-adj-values', 'server_cpulist', 'bgsave_cpulist', 'bio_cpulist',
             'aof_rewrite_cpulist', 'socket-mark-id', 'set-proc-title', 'proc-title-template']


def config_transcript(srv):
    out = []
    with srv.raw() as c:
        for name in GET_NAMES:
            out.append(('GET', name, c.command('CONFIG', 'GET', name)))
        for name, value in SET_CASES:
            out.append(('SET', name, value, c.command('CONFIG', 'SET', name, value)))
            out.append(('GET', name, c.command('CONFIG', 'GET', name)))
    return out


def test_config_get_set_like_redis():
    with start_server(BIN) as a, start_server(oracle_binary()) as b:
        got, want = config_transcript(a), config_transcript(b)
    for g, w in zip(got, want):
        assert g == w


def test_config_file_and_rewrite(tmp_path):
    conf = tmp_path / 'p.conf'
    conf.write_text('shutdown-on-sigterm nosave now\nsyslog-ident "my ident"\n'
                    'oom-score-adj-values -10 20 30\n')
    with start_server(BIN, config_file=str(conf)) as s:
        r = s.client()
        assert r.config_get('shutdown-on-sigterm') == {'shutdown-on-sigterm': 'nosave now'}
        assert r.config_get('syslog-ident') == {'syslog-ident': 'my ident'}
        assert r.config_get('oom-score-adj-values') == {'oom-score-adj-values': '-10 20 30'}
        r.config_set('shutdown-on-sigint', 'save force')
        r.config_set('shutdown-timeout', '7')
        r.config_set('proc-title-template', '{title} at {port}')
        r.execute_command('CONFIG', 'REWRITE')
    text = conf.read_text()
    assert 'shutdown-on-sigterm nosave now\n' in text
    assert 'shutdown-on-sigint save force\n' in text
    assert 'shutdown-timeout 7\n' in text
    assert 'proc-title-template "{title} at {port}"\n' in text
    assert 'oom-score-adj-values -10 20 30\n' in text
    # The rewritten file loads back (without the first server's removed dir).
    conf.write_text(''.join(l for l in text.splitlines(True) if not l.startswith('dir ')))
    with start_server(BIN, config_file=str(conf)) as s:
        assert s.client().config_get('shutdown-on-sigint') == {
            'shutdown-on-sigint': 'save force'}


# --------------------------------------------------------------- shutdown

def block_save(srv):
    """Makes every RDB save fail: the file name is taken by a directory."""
    os.mkdir(os.path.join(srv.dir, 'dump.rdb'))


def test_failed_save_keeps_server_up_unless_force():
    srv = launch(BIN, '--save', '3600 1')
    try:
        r = srv.client()
        r.set('k', 'v')
        block_save(srv)
        with srv.raw() as c:
            assert c.command('SHUTDOWN') == b'-ERR Errors trying to SHUTDOWN. Check logs.\r\n'
            assert c.command('PING') == b'+PONG\r\n'  # the connection goes on
        # SIGTERM with the default flags: the same failure, the server stays.
        srv.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: 'Errors trying to shut down the server' in srv.log_text(),
                 20, 'the SIGTERM failure logged')
        assert r.ping()
        # SHUTDOWN NOSAVE does not save, so nothing can fail.
        r.config_set('shutdown-on-sigterm', 'force')
        srv.proc.send_signal(signal.SIGTERM)
        assert stopped(srv) == 0
    finally:
        finish(srv)


def test_shutdown_force_exits_despite_save_error():
    srv = launch(BIN, '--save', '3600 1')
    try:
        srv.client().set('k', 'v')
        block_save(srv)
        with srv.raw() as c:
            c.send_command('SHUTDOWN', 'FORCE')
            assert reply_or_closed(c) == b''
        assert stopped(srv) == 0
    finally:
        finish(srv)


@pytest.mark.parametrize('sig,directive', [(signal.SIGINT, 'shutdown-on-sigint'),
                                           (signal.SIGTERM, 'shutdown-on-sigterm')])
def test_signal_flags_choose_save(sig, directive):
    # No save points: "save" makes the signal save anyway.
    srv = launch(BIN, '--' + directive, 'save')
    try:
        srv.client().set('k', 'v')
        srv.proc.send_signal(sig)
        assert stopped(srv) == 0
        assert os.path.exists(os.path.join(srv.dir, 'dump.rdb'))
    finally:
        finish(srv)
    # Save points, but "nosave": no file.
    srv = launch(BIN, '--save', '3600 1', '--' + directive, 'nosave')
    try:
        srv.client().set('k', 'v')
        srv.proc.send_signal(sig)
        assert stopped(srv) == 0
        assert not os.path.exists(os.path.join(srv.dir, 'dump.rdb'))
    finally:
        finish(srv)


def start_pair(shutdown_timeout):
    primary = launch(BIN, '--shutdown-timeout', str(shutdown_timeout))
    replica = launch(BIN, '--replicaof', '127.0.0.1', str(primary.port))
    wait_for(lambda: replica.client().info('replication').get('master_link_status') == 'up',
             30, 'replica link up')
    wait_for(lambda: primary.client().info('replication').get('connected_slaves') == 1, 30,
             'primary sees its replica')
    return primary, replica


class ShutdownCall:
    """SHUTDOWN on its own connection, run in a thread: the reply (or b'' when
    the server closed the connection) lands in .reply."""

    def __init__(self, srv, *args):
        self.client = srv.raw(timeout=120)
        self.reply = None
        self.thread = threading.Thread(target=self._run, args=args, daemon=True)
        self.thread.start()

    def _run(self, *args):
        try:
            self.client.send_command('SHUTDOWN', *args)
        except OSError:
            self.reply = b''
            return
        self.reply = reply_or_closed(self.client)

    def join(self, timeout=60):
        self.thread.join(timeout)
        self.client.close()
        return self.reply


def test_shutdown_waits_for_lagging_replica_and_abort():
    primary, replica = start_pair(shutdown_timeout=300)
    try:
        r = primary.client()
        r.set('before', '1')
        wait_for(lambda: replica.client().get('before') == '1', 20, 'replicated')
        pause(replica)
        r.set('lagging', '1')  # the stopped replica cannot acknowledge this
        call = ShutdownCall(primary)
        wait_for(lambda: 'Waiting for replicas before shutting down' in primary.log_text(), 20,
                 'the primary waits for its replica')
        # Reads go on, writes are held while the shutdown waits.
        with primary.raw() as c:
            assert c.command('GET', 'before') == b'$1\r\n1\r\n'
            assert c.command('SHUTDOWN', 'ABORT') == b'+OK\r\n'
            assert c.command('SHUTDOWN', 'ABORT') == b'-ERR No shutdown in progress.\r\n'
        assert call.join() == b'-ERR Errors trying to SHUTDOWN. Check logs.\r\n'
        assert r.set('after', '1')  # writes run again
        resume(replica)
        wait_for(lambda: replica.client().get('after') == '1', 20, 'the replica caught up')
        # Caught up: SHUTDOWN has nothing to wait for.
        call = ShutdownCall(primary)
        assert call.join() == b''
        assert stopped(primary) == 0
    finally:
        resume(replica)
        finish(primary)
        finish(replica)


def test_shutdown_timeout_gives_up_on_replica():
    primary, replica = start_pair(shutdown_timeout=1)
    try:
        primary.client().set('x', '1')
        wait_for(lambda: replica.client().get('x') == '1', 20, 'replicated')
        pause(replica)
        primary.client().set('y', '1')
        assert ShutdownCall(primary).join() == b''
        assert stopped(primary) == 0
        log = primary.log_text()
        assert 'Lagging replica' in log
        assert '0 of 1 replicas are in sync when shutting down' in log
    finally:
        resume(replica)
        finish(primary)
        finish(replica)


@pytest.mark.parametrize('how', ['SHUTDOWN NOW', 'timeout 0', 'sigterm now'])
def test_no_wait_for_replicas(how):
    primary, replica = start_pair(shutdown_timeout=0 if how == 'timeout 0' else 3000)
    try:
        primary.client().set('x', '1')
        wait_for(lambda: replica.client().get('x') == '1', 20, 'replicated')
        pause(replica)
        primary.client().set('y', '1')
        if how == 'sigterm now':
            primary.client().config_set('shutdown-on-sigterm', 'now')
            primary.proc.send_signal(signal.SIGTERM)
        elif how == 'SHUTDOWN NOW':
            assert ShutdownCall(primary, 'NOW').join() == b''
        else:
            assert ShutdownCall(primary).join() == b''
        assert stopped(primary, timeout=60) == 0
        assert 'Waiting for replicas before shutting down' not in primary.log_text()
    finally:
        resume(replica)
        finish(primary)
        finish(replica)


# --------------------------------------------------------------- supervised

@pytest.mark.parametrize('mode', ['systemd', 'auto'])
def test_supervised_systemd_notifies_ready_and_stopping(monkeypatch, tmp_path, mode):
    path = str(tmp_path / 'notify.sock')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    monkeypatch.setenv('NOTIFY_SOCKET', path)
    srv = launch(BIN, '--supervised', mode)
    monkeypatch.delenv('NOTIFY_SOCKET')
    try:
        messages = []
        while b'READY=1' not in b''.join(messages):
            messages.append(sock.recv(4096))
        assert any(m.startswith(b'STATUS=') for m in messages)
        assert b'READY=1\n' in messages
        srv.client().ping()
        srv.proc.send_signal(signal.SIGTERM)
        while b'STOPPING=1' not in b''.join(messages):
            messages.append(sock.recv(4096))
        assert stopped(srv) == 0
    finally:
        sock.close()
        finish(srv)


def test_supervised_systemd_replica_reports_its_sync(monkeypatch, tmp_path):
    primary = launch(BIN)
    path = str(tmp_path / 'notify.sock')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(30)
    monkeypatch.setenv('NOTIFY_SOCKET', path)
    replica = launch(BIN, '--supervised', 'systemd', '--replicaof', '127.0.0.1',
                     str(primary.port))
    monkeypatch.delenv('NOTIFY_SOCKET')
    try:
        messages = []
        while b'MASTER <-> REPLICA sync: Finished' not in b''.join(messages):
            messages.append(sock.recv(4096))
        ready = messages.index(b'READY=1\n')
        assert any(b'Waiting for MASTER <-> REPLICA sync' in m for m in messages[:ready])
    finally:
        sock.close()
        finish(replica)
        finish(primary)


def test_supervised_systemd_without_socket_warns(monkeypatch):
    monkeypatch.delenv('NOTIFY_SOCKET', raising=False)
    with start_server(BIN, '--supervised', 'systemd') as srv:
        wait_for(lambda: 'systemd supervision error: NOTIFY_SOCKET not found!' in srv.log_text(),
                 20, 'the warning')


def task_state(pid):
    return proc_file(pid, 'stat').rsplit(')', 1)[1].split()[0]


def test_supervised_upstart_stops_itself_when_ready(monkeypatch):
    monkeypatch.setenv('UPSTART_JOB', 'basalt-test')
    srv = launch_nowait(BIN, '--supervised', 'upstart')
    monkeypatch.delenv('UPSTART_JOB')
    try:
        wait_for(lambda: task_state(srv.proc.pid) == 'T', 30, 'the server stopped itself')
        os.kill(srv.proc.pid, signal.SIGCONT)
        srv.wait_ready()
        assert srv.client().ping()
    finally:
        os.kill(srv.proc.pid, signal.SIGCONT)
        finish(srv)


def launch_nowait(binary, *args):
    from servers import ServerProcess
    return ServerProcess(binary, args).start(wait=False)


# --------------------------------------------------------------- syslog

@pytest.fixture
def dev_log():
    """A datagram socket at /dev/log (what syslog(3) writes to) for the test.
    Needs root and no syslog daemon owning /dev/log."""
    if os.path.exists('/dev/log'):
        pytest.skip('/dev/log exists (a syslog daemon runs): not replacing it')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind('/dev/log')
    except OSError as e:
        sock.close()
        pytest.skip('cannot create /dev/log: %s' % e)
    sock.settimeout(30)
    try:
        yield sock
    finally:
        sock.close()
        os.unlink('/dev/log')


def test_syslog_gets_log_lines_with_ident_and_facility(dev_log):
    srv = launch(BIN, '--syslog-enabled', 'yes', '--syslog-ident', 'pd-ident',
                 '--syslog-facility', 'local3')
    try:
        pid = srv.proc.pid
        got = []
        want = b'pd-ident[%d]: ' % pid
        while not any(b'Ready to accept connections' in m for m in got):
            got.append(dev_log.recv(65536))
        ready = [m for m in got if b'Ready to accept connections' in m][0]
        # <priority> = facility local3 (19) * 8 + notice (5).
        assert ready.startswith(b'<157>'), ready
        assert want in ready
        srv.client().config_set('loglevel', 'notice')
    finally:
        finish(srv)


def test_syslog_off_by_default(dev_log):
    with start_server(BIN) as srv:
        srv.client().ping()
    dev_log.settimeout(0.5)
    with pytest.raises(socket.timeout):
        dev_log.recv(65536)


# --------------------------------------------------------------- crash log

@pytest.mark.basalt_only('Basalt writes its own crash report')
def test_crash_log_on_fatal_signal():
    srv = launch(BIN)
    try:
        os.kill(srv.proc.pid, signal.SIGSEGV)
        assert stopped(srv) == -signal.SIGSEGV
        log = srv.log_text()
        assert '=== BASALT CRASH REPORT START' in log
        assert 'stopped by signal 11' in log
        assert 'Sent by process %d' % os.getpid() in log
        assert '--- Backtrace' in log
        assert '=== BASALT CRASH REPORT END ===' in log
    finally:
        srv.crash = None
        srv.proc = None
        shutil.rmtree(srv.dir, ignore_errors=True)


@pytest.mark.parametrize('how', ['startup', 'config set'])
def test_crash_log_disabled_just_dies(how):
    args = ('--crash-log-enabled', 'no') if how == 'startup' else ()
    srv = launch(BIN, *args)
    try:
        if how == 'config set':
            srv.client().config_set('crash-log-enabled', 'no')
        os.kill(srv.proc.pid, signal.SIGSEGV)
        assert stopped(srv) == -signal.SIGSEGV
        log = srv.log_text()
        assert 'CRASH REPORT' not in log and 'BUG REPORT' not in log
    finally:
        srv.proc = None
        shutil.rmtree(srv.dir, ignore_errors=True)


# --------------------------------------------------------------- logo, THP

def test_always_show_logo():
    with start_server(BIN, '--always-show-logo', 'yes') as srv:
        log = srv.log_text()
        assert 'Port: %d' % srv.port in log
        assert 'PID: %d' % srv.proc.pid in log
    with start_server(BIN) as srv:  # logfile = stdout, not a terminal: one line
        log = srv.log_text()
        assert 'Running mode=standalone, port=%d.' % srv.port in log
        assert 'PID: %d' % srv.proc.pid not in log


def thp_system_setting():
    try:
        with open('/sys/kernel/mm/transparent_hugepage/enabled') as f:
            return f.read()
    except OSError:
        return ''


@pytest.mark.parametrize('value', ['yes', 'no'])
def test_disable_thp(value):
    with start_server(BIN, '--disable-thp', value) as srv:
        status = proc_file(srv.proc.pid, 'status')
        if 'THP_enabled' not in status:
            pytest.skip('kernel does not report THP_enabled')
        # As Redis: only a system-wide "always" is turned off for the process.
        expect_off = value == 'yes' and '[always]' in thp_system_setting()
        assert ('THP_enabled:\t0' in status) == expect_off


# --------------------------------------------------------------- oom-score-adj

def oom_adj(pid):
    return int(proc_file(pid, 'oom_score_adj'))


def has_cap_sys_resource():
    for line in proc_file(os.getpid(), 'status').splitlines():
        if line.startswith('CapEff:'):
            return bool(int(line.split()[1], 16) & (1 << 24))
    return False


def test_oom_score_adj_follows_role_and_config():
    base = oom_adj(os.getpid())
    if base > 800:
        pytest.skip('test process oom_score_adj too high to add to')
    other = launch(BIN)
    srv = launch(BIN, '--oom-score-adj', 'yes', '--oom-score-adj-values', '0 150 800')
    try:
        pid = srv.proc.pid
        wait_for(lambda: oom_adj(pid) == base, 20, 'primary value')
        r = srv.client()
        r.execute_command('REPLICAOF', '127.0.0.1', str(other.port))
        wait_for(lambda: oom_adj(pid) == base + 150, 20, 'replica value (relative)')
        r.config_set('oom-score-adj', 'absolute')
        r.config_set('oom-score-adj-values', '5 120 900')
        wait_for(lambda: oom_adj(pid) == 120, 20, 'replica value (absolute)')
        if not has_cap_sys_resource():
            # Lowering below 0 needs CAP_SYS_RESOURCE: the write fails, so does
            # the CONFIG SET, and the old values stay.
            with srv.raw() as c:
                assert c.command('CONFIG', 'SET', 'oom-score-adj-values', '-10 -10 -10') == (
                    b"-ERR CONFIG SET failed (possibly related to argument "
                    b"'oom-score-adj-values') - Failed to set current oom_score_adj. "
                    b"Check server logs.\r\n")
            assert r.config_get('oom-score-adj-values') == {
                'oom-score-adj-values': '5 120 900'}
        r.execute_command('REPLICAOF', 'NO', 'ONE')
        wait_for(lambda: oom_adj(pid) == 5, 20, 'primary value (absolute)')
        r.config_set('oom-score-adj', 'no')
        wait_for(lambda: oom_adj(pid) == base, 20, 'the original value back')
    finally:
        finish(srv)
        finish(other)


# --------------------------------------------------------------- CPU lists

def cpus_of(pid):
    """{tid: Cpus_allowed_list} of every thread of pid and of its children."""
    out = {}
    pids = [pid]
    try:
        children = proc_file(pid, 'task/%d/children' % pid).split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for tid in os.listdir('/proc/%d/task' % p):
                for line in proc_file(p, 'task/%s/status' % tid).splitlines():
                    if line.startswith('Cpus_allowed_list:'):
                        out[int(tid)] = line.split(':', 1)[1].strip()
        except OSError:
            pass
    return out


def need_two_cpus():
    if len(os.sched_getaffinity(0)) < 2 or not {0, 1} <= os.sched_getaffinity(0):
        pytest.skip('needs CPUs 0 and 1')


def test_server_and_bio_cpulist():
    need_two_cpus()
    with start_server(BIN, '--server_cpulist', '1', '--bio_cpulist', '0') as srv:
        pid = srv.proc.pid
        cpus = cpus_of(pid)
        assert cpus[pid] == '1'  # the main thread
        assert '0' in cpus.values()  # background (bio) threads


@pytest.mark.parametrize('job', ['bgsave', 'bgrewriteaof'])
def test_snapshot_cpulists_pin_the_snapshot(job):
    need_two_cpus()
    directive = '--bgsave_cpulist' if job == 'bgsave' else '--aof_rewrite_cpulist'
    with start_server(BIN, '--server_cpulist', '1', directive, '0', '--appendonly', 'yes',
                      '--rdb-key-save-delay', '100000') as srv:
        r = srv.client()
        wait_for(lambda: r.info('persistence')['aof_rewrite_in_progress'] == 0, 30,
                 'the first AOF rewrite ended')
        for i in range(50):
            r.set('k%d' % i, 'v')
        r.execute_command(job.upper())
        pid = srv.proc.pid
        wait_for(lambda: any(tid != pid and v == '0' for tid, v in cpus_of(pid).items()), 20,
                 'a snapshot thread or child on CPU 0')
        r.config_set('rdb-key-save-delay', '0')
        field = 'rdb_bgsave_in_progress' if job == 'bgsave' else 'aof_rewrite_in_progress'
        wait_for(lambda: r.info('persistence')[field] == 0, 30, 'the job ended')


# --------------------------------------------------------------- socket mark

def fwmarks(port):
    out = subprocess.run(['ss', '-tanpe', 'sport = :%d' % port], capture_output=True,
                         text=True).stdout
    return out


def test_socket_mark_id():
    if shutil.which('ss') is None:
        pytest.skip('ss not installed')
    with start_server(BIN, '--socket-mark-id', '42') as srv:
        with srv.raw() as c:
            assert c.command('PING') == b'+PONG\r\n'
            lines = [l for l in fwmarks(srv.port).splitlines()
                     if 'LISTEN' in l or 'ESTAB' in l]
            assert any('LISTEN' in l for l in lines)
            assert any('ESTAB' in l for l in lines)
            for l in lines:
                assert 'fwmark:0x2a' in l, l
    with start_server(BIN) as srv:
        assert 'fwmark' not in fwmarks(srv.port)


# --------------------------------------------------------------- process title

def test_proc_title_template():
    with start_server(BIN) as srv:
        pid = srv.proc.pid
        assert title(pid) == '%s 127.0.0.1:%d' % (BIN, srv.port)
        r = srv.client()
        r.config_set('proc-title-template', 'pd {port} {tls-port} [{unixsocket}] {config-file}')
        assert title(pid) == 'pd %d 0 [] -' % srv.port
        r.config_set('proc-title-template', '{{title}} {title}}')
        assert title(pid) == '{title}} %s}' % BIN
        with srv.raw() as c:
            assert c.command('CONFIG', 'SET', 'proc-title-template', '{unixsocket}').startswith(
                b"-ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - "
                b"template format is invalid or contains unknown variables")
        assert title(pid) == '{title}} %s}' % BIN


def test_set_proc_title_no_keeps_the_start_up_command_line():
    with start_server(BIN, '--set-proc-title', 'no') as srv:
        line = cmdline(srv.proc.pid)
        assert line.split('\0')[0] == BIN
        assert '--set-proc-title' in line
        # As Redis: CONFIG SET proc-title-template still sets the title.
        srv.client().config_set('proc-title-template', '{title} x')
        assert title(srv.proc.pid) == BIN + ' x'


def test_socket_mark_id_without_the_capability():
    """Without CAP_NET_ADMIN (and CAP_NET_RAW) SO_MARK fails: the server still
    serves, unmarked (Redis says nothing; Basalt logs a warning)."""
    if shutil.which('setpriv') is None or shutil.which('ss') is None:
        pytest.skip('needs setpriv and ss')
    from servers import ServerProcess
    srv = ServerProcess(BIN, ('--socket-mark-id', '42'),
                        prefix=('setpriv', '--bounding-set=-net_admin,-net_raw'))
    try:
        srv.start()
        with srv.raw() as c:
            assert c.command('PING') == b'+PONG\r\n'
            assert 'fwmark' not in fwmarks(srv.port)
        if 'basalt' in os.path.basename(BIN):
            assert 'Failed to set socket-mark-id 42' in srv.log_text()
    finally:
        finish(srv)


def test_second_sigint_while_waiting_exits_at_once():
    primary, replica = start_pair(shutdown_timeout=300)
    try:
        primary.client().set('x', '1')
        wait_for(lambda: replica.client().get('x') == '1', 20, 'replicated')
        pause(replica)
        primary.client().set('y', '1')
        primary.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: 'Waiting for replicas before shutting down' in primary.log_text(), 20,
                 'the primary waits for its replica')
        primary.proc.send_signal(signal.SIGINT)
        assert stopped(primary) == 1
        assert 'You insist... exiting now.' in primary.log_text()
    finally:
        resume(replica)
        finish(primary)
        finish(replica)


def test_io_threads_sizes_the_workers(make_server):
    """io-threads N (N > 1) gives N worker threads when `threads` is auto; an
    explicit `threads` wins. Both directives read back as set."""
    srv = make_server('--io-threads', '3', '--io-threads-do-reads', 'yes')
    c = srv.client()
    assert c.config_get('io-threads') == {'io-threads': '3'}
    assert c.config_get('io-threads-do-reads') == {'io-threads-do-reads': 'yes'}
    if not servers.target_is_basalt():
        return  # worker_threads is Basalt's own INFO field
    assert c.info('server')['worker_threads'] == 3
    srv2 = make_server('--io-threads', '3', threads=2)
    assert srv2.client().info('server')['worker_threads'] == 2
