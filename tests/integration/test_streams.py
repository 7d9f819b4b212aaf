"""Streams beyond single replies: blocking reads across worker threads,
persistence and replication interop with redis-server 7.0.

- XREAD BLOCK: every reader of a key is served by one XADD, from clients on
  different connections (Basalt runs with several threads); "$" means "after
  the last ID when the client blocked"; the timeout answers nil; inside MULTI
  the read does not wait.
- XREADGROUP BLOCK: each new entry goes to one consumer; a deleted stream or
  group ends the wait with Redis's UNBLOCKED / NOGROUP errors.
- RDB: a file written by redis-server loads into Basalt and the reverse
  (redis-check-rdb accepts Basalt's file), with groups, PELs and consumers;
  DUMP payloads are byte-identical; AOF rewrite + restart keeps everything.
- Replication both ways: after a workload with groups, claims and acks, the
  replica's XINFO STREAM FULL equals the primary's.
- Bad input: huge and malformed IDs, very many fields; the server survives.
- Keyspace events: the same sequence as redis-server for every stream write.

Every test passes against redis-server too (BASALT_SERVER=/usr/bin/redis-server).
"""
import os
import shutil
import subprocess
import threading
import time

import pytest

import repl_util as ru
from helpers import info_int, wait_for, wait_synced
from repl_util import PAIRS
from servers import oracle_binary

THREADS = 3


def bc(srv):
    return srv.client(decode_responses=False)


def blocked(srv):
    return info_int(srv, 'clients', 'blocked_clients')


class Reader(threading.Thread):
    """Runs one blocking command on its own connection; keeps the reply or error."""

    def __init__(self, srv, *args):
        super().__init__(daemon=True)
        self.srv, self.args = srv, args
        self.reply, self.error = None, None

    def run(self):
        c = self.srv.client(decode_responses=True, socket_timeout=30)
        try:
            self.reply = c.execute_command(*self.args)
        except Exception as e:  # the error reply is the result
            self.error = str(e)
        finally:
            c.close()


def start_readers(srv, n, *args):
    readers = [Reader(srv, *args) for _ in range(n)]
    before = blocked(srv)
    for r in readers:
        r.start()
    wait_for(lambda: blocked(srv) == before + n, what='%d blocked clients' % n)
    return readers


def test_xread_block_serves_every_reader(make_server):
    srv = make_server(threads=THREADS)
    c = srv.client()
    c.xadd('s', {'old': '1'}, id='1-0')
    readers = start_readers(srv, 4, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')
    c.xadd('s', {'new': '2'}, id='2-0')
    for r in readers:
        r.join(10)
        assert r.error is None
        # Only the entry added after the client blocked ("$" at block time).
        assert r.reply == [['s', [('2-0', {'new': '2'})]]]
    assert blocked(srv) == 0


def test_xread_block_several_keys_and_count(make_server):
    srv = make_server(threads=THREADS)
    c = srv.client()
    readers = start_readers(srv, 2, 'XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'a', 'b',
                            '0', '0')
    c.execute_command('MULTI')
    c.execute_command('XADD', 'b', '1-0', 'f', 'v')
    c.execute_command('XADD', 'b', '2-0', 'f', 'v')
    c.execute_command('EXEC')
    for r in readers:
        r.join(10)
        assert r.reply == [['b', [('1-0', {'f': 'v'})]]]


def test_xread_block_timeout_and_multi(make_server):
    srv = make_server(threads=THREADS)
    raw = srv.raw()
    assert raw.command('XREAD', 'BLOCK', '50', 'STREAMS', 's', '$') == b'*-1\r\n'
    raw.call('HELLO', '3')
    assert raw.command('XREAD', 'BLOCK', '50', 'STREAMS', 's', '$') == b'_\r\n'
    raw.call('HELLO', '2')
    raw.call('MULTI')
    raw.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')
    raw.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>')
    assert raw.command('EXEC').startswith(b'*2\r\n*-1\r\n-NOGROUP')
    raw.close()


def test_xreadgroup_block_each_entry_to_one_consumer(make_server):
    srv = make_server(threads=THREADS)
    c = srv.client()
    c.xgroup_create('s', 'g', id='$', mkstream=True)
    readers = [Reader(srv, 'XREADGROUP', 'GROUP', 'g', 'c%d' % i, 'BLOCK', '0', 'STREAMS', 's',
                      '>') for i in range(3)]
    for r in readers:
        r.start()
    wait_for(lambda: blocked(srv) == 3, what='3 blocked consumers')
    for i in range(3):
        c.xadd('s', {'n': str(i)}, id='%d-0' % (i + 1))
        wait_for(lambda: blocked(srv) == 2 - i, what='one consumer served')
    got = []
    for r in readers:
        r.join(10)
        assert r.error is None
        assert len(r.reply) == 1 and len(r.reply[0][1]) == 1
        got.append(r.reply[0][1][0][0])
    assert sorted(got) == ['1-0', '2-0', '3-0']
    assert c.xpending('s', 'g')['pending'] == 3


def test_xreadgroup_block_ends_when_stream_or_group_goes(make_server):
    srv = make_server(threads=THREADS)
    c = srv.client()
    c.xgroup_create('s', 'g', id='$', mkstream=True)
    [r] = start_readers(srv, 1, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's',
                        '>')
    c.delete('s')
    r.join(10)
    assert r.error == 'the stream key no longer exists' or 'UNBLOCKED' in (r.error or '')
    c.xgroup_create('s', 'g', id='$', mkstream=True)
    [r] = start_readers(srv, 1, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's',
                        '>')
    c.xgroup_destroy('s', 'g')
    r.join(10)
    assert 'the consumer group this client was blocked on no longer exists' in r.error


@pytest.mark.parametrize('how', ['expire', 'flushdb', 'flushall', 'evict'])
def test_xreadgroup_block_ends_when_stream_expires_or_is_flushed(make_server, how):
    """Every way a stream can vanish ends XREADGROUP waits (Redis 7.0.15 does),
    also for the consumers queued behind an XREAD reader of the same key, which
    itself stays blocked."""
    srv = make_server(threads=THREADS)
    c = srv.client()
    c.xgroup_create('s', 'g', id='$', mkstream=True)
    [xread] = start_readers(srv, 1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')
    groups = start_readers(srv, 2, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's',
                           '>')
    if how == 'expire':
        c.pexpire('s', 1)
    elif how == 'flushdb':
        c.flushdb()
    elif how == 'flushall':
        c.flushall()
    else:
        c.config_set('maxmemory-policy', 'allkeys-random')
        c.config_set('maxmemory', 1)
        wait_for(lambda: not c.exists('s'), what='the stream evicted')
        c.config_set('maxmemory', 0)
    for r in groups:
        r.join(10)
        assert not r.is_alive()
        assert 'UNBLOCKED the stream key no longer exists' in (r.error or ''), r.error
    assert xread.is_alive()
    assert blocked(srv) == 1
    c.xadd('s', {'f': 'v'}, id='5-0')
    xread.join(10)
    assert xread.reply == [['s', [('5-0', {'f': 'v'})]]]


def test_bad_input_survives(make_server):
    srv = make_server(threads=THREADS)
    raw = srv.raw()
    for bad in ['99999999999999999999999-1', '1-99999999999999999999999', '-', '+', '1-',
                '-1', 'a' * 10000, '', '1-2-3', '0x10']:
        assert raw.command('XADD', 's', bad, 'f', 'v').startswith(b'-ERR')
        assert raw.command('XRANGE', 's', bad, '+').startswith((b'-ERR', b'*'))
    args = ['XADD', 's', '1-0']
    for i in range(20000):
        args += ['f%d' % i, 'v']
    assert raw.command(*args) == b'$3\r\n1-0\r\n'
    assert raw.call('XLEN', 's') == 1
    assert len(raw.call('XRANGE', 's', '-', '+')[0][1]) == 40000
    raw.close()
    assert srv.client().ping()


# --- persistence -------------------------------------------------------------

def workload(c):
    """Streams with groups, pending entries, claims, acks, deletions, trims."""
    for i in range(1, 251):
        c.xadd('big', {'f': str(i), 'g': 'x' * (i % 7)}, id='%d-%d' % (i, i % 3))
    c.xadd('mixed', {'a': '1'}, id='1-1')
    c.xadd('mixed', {'b': '2', 'c': '3'}, id='1-2')
    c.xadd('mixed', {'a': '9'}, id='2-0')
    c.xgroup_create('big', 'g1', id='0')
    c.xgroup_create('big', 'g2', id='100-1')
    c.execute_command('XGROUP', 'CREATE', 'big', 'g3', '$', 'ENTRIESREAD', '250')
    c.execute_command('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '20', 'STREAMS', 'big', '>')
    c.execute_command('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '5', 'STREAMS', 'big', '>')
    c.execute_command('XREADGROUP', 'GROUP', 'g2', 'carol', 'NOACK', 'COUNT', '3', 'STREAMS',
                      'big', '>')
    c.execute_command('XACK', 'big', 'g1', '1-1', '2-2', '3-0')
    c.execute_command('XCLAIM', 'big', 'g1', 'dave', '0', '4-1', '5-2', 'TIME', '1700000000000',
                      'RETRYCOUNT', '7')
    c.execute_command('XAUTOCLAIM', 'big', 'g1', 'erin', '0', '10-1', 'COUNT', '3')
    c.execute_command('XGROUP', 'CREATECONSUMER', 'big', 'g1', 'idle')
    c.execute_command('XDEL', 'big', '6-0', '200-2')
    c.execute_command('XTRIM', 'big', 'MINID', '3-0')
    c.execute_command('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM')
    c.execute_command('XSETID', 'empty', '5-5', 'ENTRIESADDED', '9', 'MAXDELETEDID', '4-0')
    c.execute_command('PEXPIREAT', 'mixed', '4102444800000')


def full_info(srv, key, volatile=True):
    """XINFO STREAM FULL without the consumers' seen-time (the time a replica or
    a loader created them) unless volatile is False."""
    with srv.raw() as raw:
        info = raw.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0')
    info = dict(zip(info[0::2], info[1::2]))
    groups = []
    for g in info[b'groups']:
        g = dict(zip(g[0::2], g[1::2]))
        cons = []
        for cn in g[b'consumers']:
            cn = dict(zip(cn[0::2], cn[1::2]))
            if volatile:
                cn.pop(b'seen-time')
            cons.append(cn)
        g[b'consumers'] = cons
        groups.append(g)
    info[b'groups'] = groups
    # The rax's inner node count is an implementation detail.
    info.pop(b'radix-tree-nodes')
    return info


def dataset(srv):
    return {k: full_info(srv, k, volatile=False) for k in (b'big', b'mixed', b'empty')}


def test_rdb_from_redis_loads_into_basalt(make_server):
    redis = make_server(binary=oracle_binary())
    rc = bc(redis)
    workload(rc)
    want = dataset(redis)
    assert rc.save()
    srv = make_server()
    srv.stop()
    shutil.copy(os.path.join(redis.dir, 'dump.rdb'), os.path.join(srv.dir, 'dump.rdb'))
    srv.start()
    got = dataset(srv)
    assert got == want
    assert bc(srv).pexpiretime('mixed') == 4102444800000


def test_rdb_from_basalt_loads_into_redis(make_server):
    srv = make_server(*ru.DEBUG)
    c = bc(srv)
    workload(c)
    want = dataset(srv)
    assert c.save()
    path = os.path.join(srv.dir, 'dump.rdb')
    check = subprocess.run(['redis-check-rdb', path], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    redis = make_server(binary=oracle_binary())
    redis.stop()
    shutil.copy(path, os.path.join(redis.dir, 'dump.rdb'))
    redis.start()
    assert dataset(redis) == want
    # DEBUG RELOAD on the server under test keeps everything too.
    c.execute_command('DEBUG', 'RELOAD')
    assert dataset(srv) == want


def test_dump_payload_matches_redis(make_server):
    redis = make_server(binary=oracle_binary())
    srv = make_server()
    payloads = []
    for s in (srv, redis):
        c = bc(s)
        for i in range(1, 150):
            c.xadd('s', {'f': str(i), 'long': 'y' * (i % 30)}, id='%d-1' % i)
        c.xadd('s', {'other': 'field'}, id='200-0')
        c.xdel('s', '5-1', '120-1')
        c.execute_command('XGROUP', 'CREATE', 's', 'g', '10-1', 'ENTRIESREAD', '10')
        with s.raw() as r:
            r.call('XCLAIM', 's', 'g', 'c', '0', '11-1', 'TIME', '1700000000000', 'FORCE',
                   'JUSTID')
        payloads.append(c.dump('s'))
        c.restore('copy', 0, payloads[-1])
        assert c.xrange('copy') == c.xrange('s')
    # Consumers carry their seen-time, which differs: compare a stream without.
    assert len(payloads[0]) == len(payloads[1])
    for s in (srv, redis):
        bc(s).execute_command('XGROUP', 'DELCONSUMER', 's', 'g', 'c')
    assert bc(srv).dump('s') == bc(redis).dump('s')


def test_aof_rewrite_and_restart(make_server):
    srv = make_server('--appendonly', 'yes')
    c = bc(srv)
    workload(c)
    want = dataset(srv)
    c.execute_command('BGREWRITEAOF')
    wait_for(lambda: info_int(srv, 'persistence', 'aof_rewrite_in_progress') == 0 and
             info_int(srv, 'persistence', 'aof_rewrite_scheduled') == 0, what='rewrite')
    c.xadd('big', {'after': 'rewrite'}, id='999-0')
    want[b'big'] = full_info(srv, 'big', volatile=False)
    srv.stop()
    srv.start()
    got = {k: full_info(srv, k) for k in want}
    assert got == {k: full_info_without_seen(v) for k, v in want.items()}


def full_info_without_seen(info):
    out = dict(info)
    groups = []
    for g in info[b'groups']:
        g = dict(g)
        g[b'consumers'] = [{k: v for k, v in cn.items() if k != b'seen-time'}
                           for cn in g[b'consumers']]
        groups.append(g)
    out[b'groups'] = groups
    return out


# --- replication -------------------------------------------------------------

@pytest.mark.parametrize('kinds', PAIRS)
def test_replica_ends_identical(make_server, kinds):
    pk, rk = kinds
    primary = ru.start(make_server, pk)
    replica = ru.start(make_server, rk, replicaof=primary)
    wait_synced(primary, replica)
    pc = bc(primary)
    workload(pc)
    for i in range(30):
        pc.xadd('live', {'n': str(i)}, maxlen=10, approximate=True)
    pc.execute_command('XGROUP', 'CREATE', 'live', 'g', '0')
    pc.execute_command('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '4', 'STREAMS', 'live', '>')
    pc.execute_command('XREADGROUP', 'GROUP', 'g', 'n', 'NOACK', 'COUNT', '2', 'STREAMS', 'live',
                       '>')
    with primary.raw() as r:
        r.call('XAUTOCLAIM', 'live', 'g', 'z', '0', '0', 'JUSTID')
    # A second replica gets it all through a full sync.
    replica2 = ru.start(make_server, rk, replicaof=primary)
    wait_synced(primary, replica, replica2)
    for r in (replica, replica2):
        for key in (b'big', b'mixed', b'empty', b'live'):
            assert replicated(full_info(r, key)) == replicated(full_info(primary, key)), (
                r.port, key)


def replicated(info):
    """What Redis 7.0 keeps equal on a replica: its XREADGROUP propagates
    XCLAIM ... LASTID, which does not carry the group's entries-read, so a
    replica's entries-read (and the lag derived from it) may differ."""
    out = dict(info)
    out[b'groups'] = [{k: v for k, v in g.items() if k not in (b'entries-read', b'lag')}
                      for g in info[b'groups']]
    return out


# --- keyspace events ---------------------------------------------------------

def events_of(srv, script):
    """The keyevent notifications (event, key) the script fires, in order."""
    c = srv.client()
    c.config_set('notify-keyspace-events', 'KEA')
    ps = c.pubsub()
    ps.psubscribe('__keyevent@0__:*')
    ps.subscribe('end')
    subscribed = []
    wait_for(lambda: subscribed.append(ps.get_message(timeout=0.1)) or
             sum(1 for m in subscribed if m) == 2, what='subscriptions')
    with srv.raw() as raw:
        for args in script:
            raw.call(*args.split(' '))
        raw.call('PUBLISH', 'end', 'x')
    out = []
    while True:
        m = ps.get_message(timeout=10)
        assert m is not None, 'no end marker'
        if m['type'] == 'message' and m['channel'] == 'end':
            break
        if m['type'] == 'pmessage':
            out.append((m['channel'].split(':', 1)[1], m['data']))
    ps.close()
    return out


def test_keyspace_events_match_redis(make_server):
    script = ['XADD s 1-0 f v', 'XADD s MAXLEN 1 2-0 f v', 'XTRIM s MAXLEN 0', 'XDEL s 9-9',
              'XADD s 3-0 f v', 'XDEL s 3-0', 'XGROUP CREATE s g $', 'XGROUP CREATE m g $ MKSTREAM',
              'XGROUP CREATECONSUMER s g c', 'XGROUP SETID s g 0', 'XADD s 4-0 f v',
              'XREADGROUP GROUP g c2 STREAMS s >', 'XCLAIM s g c3 0 4-0',
              'XGROUP DELCONSUMER s g c', 'XGROUP DESTROY s g', 'XSETID s 9-0', 'DEL s']
    got = events_of(make_server(), script)
    want = events_of(make_server(binary=oracle_binary()), script)
    assert got == want
