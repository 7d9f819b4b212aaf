"""redis.conf-style configuration files: syntax (comments, quotes, units),
errors at start-up, command-line precedence, and CONFIG REWRITE.
"""

import os
import re
import shutil
import signal
import socket
import tempfile

import pytest

from servers import free_port, is_basalt, run_until_exit

GOOD_CONFIG = '''# Basalt integration test configuration.
   # An indented comment.

hz 25
MAXMEMORY 2mb
proto-max-bulk-len 2MB
client-query-buffer-limit 1gb
maxmemory-policy "allkeys-lru"
dbfilename "dump\\x41 file.rdb"
appendfilename 'single quoted.aof'
tcp-keepalive\t\t60
timeout    7
databases 16\r
notify-keyspace-events ""
save ""
'''


@pytest.fixture
def conf_dir():
    d = tempfile.mkdtemp(prefix='basalt-conf-')
    yield d
    shutil.rmtree(d, ignore_errors=True)


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_config_file_syntax(make_server, conf_dir):
    path = write(os.path.join(conf_dir, 'good.conf'), GOOD_CONFIG)
    srv = make_server(config_file=path)
    c = srv.client()
    expect = {
        'hz': '25',
        'maxmemory': str(2 * 1024 * 1024),
        'proto-max-bulk-len': str(2 * 1024 * 1024),
        'client-query-buffer-limit': str(1024 ** 3),
        'maxmemory-policy': 'allkeys-lru',
        'dbfilename': 'dumpA file.rdb',
        'appendfilename': 'single quoted.aof',
        'tcp-keepalive': '60',
        'timeout': '7',
        'databases': '16',
        'notify-keyspace-events': '',
    }
    for k, v in expect.items():
        assert c.config_get(k) == {k: v}, k
    info = c.info('server')
    assert info['config_file'] == os.path.abspath(path)
    c.close()


def test_command_line_beats_file(make_server, conf_dir):
    file_port = free_port()
    path = write(os.path.join(conf_dir, 'port.conf'),
                 'port %d\nhz 25\ntimeout 7\n' % file_port)
    srv = make_server('--hz', '30', config_file=path)
    assert srv.port != file_port
    c = srv.client()
    assert c.config_get('port') == {'port': str(srv.port)}
    assert c.config_get('hz') == {'hz': '30'}
    assert c.config_get('timeout') == {'timeout': '7'}
    c.close()
    with pytest.raises(OSError):
        socket.create_connection(('127.0.0.1', file_port), timeout=1).close()


BAD_CONFIGS = [
    ('unknown directive', '# ok\nhz 20\nfoo-bar 1\n', 3, 'foo-bar'),
    ('bad memory value', '# ok\n\nmaxmemory abc\n', 3, 'maxmemory'),
    ('missing argument', 'hz\n', 1, 'hz'),
    ('bad enum', 'save ""\n# x\n# y\nmaxmemory-policy sometimes\n', 4, 'maxmemory-policy'),
    ('unbalanced quotes', 'dbfilename "unterminated\n', 1, 'dbfilename'),
    ('out of range', '\n\nhz -5\n', 3, 'hz'),
]


@pytest.mark.parametrize('case', BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_exits(basalt_bin, oracle_bin, conf_dir, case):
    _, text, line, directive = case
    path = write(os.path.join(conf_dir, 'bad.conf'), text)
    rc, out = run_until_exit(basalt_bin, config_file=path)
    assert rc is not None, 'server kept running with a bad config file; output:\n' + out
    assert rc > 0, 'exit code %s (negative means killed by %s); output:\n%s' % (
        rc, signal.Signals(-rc).name if rc < 0 else '-', out)
    if is_basalt(basalt_bin):
        assert re.search(r'line\D{0,3}%d\b|:%d\b' % (line, line), out, re.I), (
            'output does not name line %d:\n%s' % (line, out))
        assert directive in out, out
    else:
        assert 'at line %d' % line in out, out
        assert directive in out, out
    # Redis's wording, checked once against the oracle for reference.
    orc_rc, orc_out = run_until_exit(oracle_bin, config_file=path)
    assert orc_rc == 1 and ('at line %d' % line) in orc_out


def test_missing_config_file(basalt_bin, conf_dir):
    rc, out = run_until_exit(basalt_bin, config_file=os.path.join(conf_dir, 'nope.conf'))
    assert rc is not None and rc > 0, (rc, out)
    assert 'nope.conf' in out


def test_config_rewrite(make_server, conf_dir):
    path = write(os.path.join(conf_dir, 'rw.conf'),
                 '# Top comment that must survive.\n'
                 'hz 25\n'
                 '\n'
                 '# Client settings below.\n'
                 'timeout 7\n'
                 'tcp-keepalive 60\n')
    srv = make_server(config_file=path)
    c = srv.client()
    assert c.config_set('timeout', '9')
    assert c.config_set('hz', '30')
    assert c.execute_command('CONFIG', 'REWRITE') == 'OK'
    c.close()
    text = open(path).read()
    assert '# Top comment that must survive.' in text
    assert '# Client settings below.' in text
    assert re.search(r'^timeout 9$', text, re.M), text
    assert re.search(r'^hz 30$', text, re.M), text
    assert re.search(r'^tcp-keepalive 60$', text, re.M), text
    assert not re.search(r'^timeout 7$', text, re.M), text
    assert not re.search(r'^hz 25$', text, re.M), text
    # Restart from the rewritten file: the CONFIG SET changes persist.
    srv.restart()
    c = srv.client()
    assert c.config_get('timeout') == {'timeout': '9'}
    assert c.config_get('hz') == {'hz': '30'}
    assert c.config_get('tcp-keepalive') == {'tcp-keepalive': '60'}
    c.close()


def test_config_rewrite_twice_is_stable(make_server, conf_dir):
    path = write(os.path.join(conf_dir, 'rw2.conf'), '# c\nhz 25\n')
    srv = make_server(config_file=path)
    c = srv.client()
    assert c.execute_command('CONFIG', 'REWRITE') == 'OK'
    first = [x for x in open(path).read().splitlines() if x.strip()]
    assert c.execute_command('CONFIG', 'REWRITE') == 'OK'
    # Redis itself may add blank lines on a second rewrite; the content is stable.
    assert [x for x in open(path).read().splitlines() if x.strip()] == first
    c.close()
