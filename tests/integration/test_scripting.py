"""Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT) under concurrency,
replication, persistence, limits and bad input.

Basalt runs a script on its caller's worker thread inside a script gate (one
script at a time), holding the shards of its declared keys from the start and
those of undeclared keys from their first use to its end; its effects reach
the write log (AOF, replicas) as the commands themselves. So:

- atomicity is checked across threads (--threads 2, several connections):
  scripts moving value between keys they did not declare keep the sum for
  concurrent MGETs, and read-modify-write scripts lose no update next to INCRs;
  a long script leaves the keys it does not hold served (Basalt only);
- BUSY, SCRIPT KILL, UNKILLABLE and SHUTDOWN NOSAVE give the replies redis-server
  7.0.15 gives in the same scenario (each scenario runs on both, the
  observations must be equal);
- a script workload (errors half-way, SELECT, REPL_NONE, EVALSHA, MULTI,
  random values) leaves primary and replica identical for every pairing of
  Basalt and redis-server, and the stream holds no EVAL; the AOF holds the
  effects (MULTI/EXEC around several writes), passes redis-check-aof and
  restores the same data;
- appendfsync always and min-replicas-ack hold a script's reply as they hold a
  SET's; WAIT counts the replica after a script;
- maxmemory and read-only replicas refuse scripts with Redis's texts;
- bad input (huge bodies, deep recursion, huge replies, cyclic tables, huge
  strings, SCRIPT FLUSH during a script, error({})) leaves the server alive.
"""
import os
import random
import re
import threading
import time

import pytest
import redis

import servers
from helpers import info_int, online_replicas, wait_for, wait_link_up, wait_synced
from repl_util import DEBUG, PAIRS, FakeReplica, assert_identical, start
from resp_client import ConnectionClosed, RespError
from servers import basalt_binary, oracle_binary
from test_concurrency import run_threads
from test_persistence import aof_check, assert_redis_starts_from_aof_of, bclient, snapshot
from test_replication_sync import NOREPLICAS, stopped, timed, timeout_error

SCALE = servers.TIME_SCALE

BUSY = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'
NOTBUSY = 'NOTBUSY No scripts in execution right now.'
UNKILLABLE = ('UNKILLABLE Sorry the script already executed write commands against the dataset. '
              'You can either wait the script termination or kill the server in a hard way using '
              'the SHUTDOWN NOSAVE command.')
KILLED = 'ERR Script killed by user with SCRIPT KILL'
OOM = "OOM command not allowed when used memory > 'maxmemory'."
READONLY = "READONLY You can't write against a read only replica."

# Busy-waits ARGV[1] milliseconds on the server's clock (Redis's Lua has no os.clock).
SPIN = """
local function now() local t = redis.call('TIME') return t[1] * 1000 + t[2] / 1000 end
local stop = now() + tonumber(ARGV[1])
while now() < stop do end
"""


def binary(kind):
    return oracle_binary() if kind == 'redis' else basalt_binary()


def text(reply):
    """A RawClient reply as something comparable: errors as their str."""
    if isinstance(reply, RespError):
        return reply.message.decode()
    return reply


def strip_script_suffix(msg):
    """An error text without Redis's ' script: <sha>, on @user_script:N.' tail."""
    return re.sub(r' script: [0-9a-f]{40}, on @user_script:\d+\.$', '', msg)


def both(make_server, scenario, *args, **kw):
    """Runs scenario(server) on a fresh server under test and on a fresh
    redis-server started with the same arguments; returns both results."""
    out = {}
    for kind in ('target', 'redis'):
        out[kind] = scenario(make_server(*args, binary=binary(kind), **kw))
    return out['target'], out['redis']


# --- 1. Atomicity across threads ------------------------------------------------

TRANSFER = """
local a = tonumber(redis.call('GET', ARGV[1]))
local b = tonumber(redis.call('GET', ARGV[2]))
local n = tonumber(ARGV[3])
if a < n then return 0 end
redis.call('SET', ARGV[1], a - n)
redis.call('SET', ARGV[2], b + n)
return 1
"""

SUM = """
local s = 0
for i = 1, #ARGV do s = s + tonumber(redis.call('GET', ARGV[i])) end
return s
"""

INCR_BY_HAND = """
local v = tonumber(redis.call('GET', ARGV[1]) or '0') + 1
redis.call('SET', ARGV[1], v)
return v
"""


@pytest.fixture(scope='module')
def mt_server(basalt_bin):
    yield from servers.server_fixture(basalt_bin, threads=2)


def test_transfers_between_undeclared_keys_keep_the_sum(mt_server):
    keys = ['bal:%d' % i for i in range(8)]
    c = mt_server.client()
    c.mset({k: 1000 for k in keys})
    total = 1000 * len(keys)
    sha = c.script_load(TRANSFER)
    sum_sha = c.script_load(SUM)
    movers, rounds = 3, 300
    done = threading.Event()
    seen = {'mget': 0, 'script': 0, 'moved': 0}
    lock = threading.Lock()

    def mover(i):
        w = mt_server.client()
        rnd = random.Random(i)
        moved = 0
        for r in range(rounds):
            a, b = rnd.sample(keys, 2)
            # numkeys 0: the keys are undeclared, taken on first use.
            moved += w.evalsha(sha, 0, a, b, rnd.randint(1, 300))
        with lock:
            seen['moved'] += moved

    def reader(i):
        r = mt_server.client()
        while not done.is_set():
            if i % 2:
                vals = r.mget(keys)
                assert sum(int(v) for v in vals) == total, vals
                seen['mget'] += 1
            else:
                assert r.evalsha(sum_sha, 0, *keys) == total
                seen['script'] += 1

    errors = []

    def guarded(i):
        try:
            reader(i)
        except BaseException as e:  # reported below
            errors.append(e)
    readers = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(2)]
    for t in readers:
        t.start()
    try:
        run_threads(mover, movers)
    finally:
        done.set()
        for t in readers:
            t.join(30)
    if errors:
        raise errors[0]
    assert seen['moved'] > movers * rounds // 2, seen
    assert seen['mget'] > 0 and seen['script'] > 0, seen
    assert sum(int(v) for v in c.mget(keys)) == total
    print('transfers %d, MGETs %d, sum scripts %d' % (seen['moved'], seen['mget'], seen['script']))


def test_read_modify_write_scripts_lose_no_update(mt_server):
    """GET+SET scripts on an undeclared key, beside INCRs and scripts inside
    MULTI/EXEC from other threads: every operation sees its own value."""
    c = mt_server.client()
    c.delete('ctr')
    sha = c.script_load(INCR_BY_HAND)
    n = 200
    results = [[] for _ in range(6)]

    def worker(i):
        w = mt_server.client()
        out = results[i]
        for _ in range(n):
            if i < 2:
                out.append(w.evalsha(sha, 0, 'ctr'))
            elif i < 4:
                out.append(w.incr('ctr'))
            else:
                p = w.pipeline(transaction=True)
                p.evalsha(sha, 0, 'ctr')
                p.get('nothing')
                out.append(p.execute()[0])
    run_threads(worker, len(results))
    every = [v for r in results for v in r]
    assert int(c.get('ctr')) == len(results) * n
    dup = len(every) - len(set(every))
    assert dup == 0, '%d operations saw a value another one saw too (lost updates)' % dup
    assert sorted(every) == list(range(1, len(results) * n + 1))


@pytest.mark.basalt_only('redis-server runs one command at a time: nothing answers during a script')
def test_long_script_on_a_declared_key_leaves_other_keys_served(make_server):
    srv = make_server('--busy-reply-threshold', '10000', threads=2)
    c = srv.client()
    readers = 4
    c.mset({'other:%d' % i: i for i in range(readers)})
    c.set('A', 0)
    stop = threading.Event()
    stamps = [[] for _ in range(readers)]

    def reader(i):
        r = srv.client(socket_timeout=30)
        while not stop.is_set():
            assert r.get('other:%d' % i) == str(i)
            stamps[i].append(time.monotonic())

    ts = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(readers)]
    for t in ts:
        t.start()
    time.sleep(0.2)
    runner = srv.raw(timeout=30)
    held = srv.raw(timeout=30)
    t0 = time.monotonic()
    runner.send_command('EVAL', "redis.call('INCR', KEYS[1])" + SPIN + 'return 1', '1', 'A',
                        '1500')
    time.sleep(0.3)
    # A reader of the script's own key waits until the script is done.
    held_start = time.monotonic()
    held.send_command('GET', 'A')
    assert runner.read_reply() == b':1\r\n'
    t1 = time.monotonic()
    assert held.read_reply() == b'$1\r\n1\r\n'
    held_took = time.monotonic() - held_start
    stop.set()
    for t in ts:
        t.join(30)
    assert t1 - t0 >= 1.45
    assert held_took >= (t1 - held_start) - 0.05, 'GET A answered while the script held A'
    during = [sum(1 for s in st if t0 + 0.1 < s < t1 - 0.1) for st in stamps]
    span = (t1 - t0) - 0.2
    print('GETs on other keys during the %.2fs script: %s per connection, %.0f/s in all' % (
        t1 - t0, during, sum(during) / span))
    assert sum(during) > 0, 'no GET on another key was answered during the script'


# --- 2. BUSY, SCRIPT KILL, UNKILLABLE, SHUTDOWN NOSAVE -------------------------------

NO_REPLY = 'no reply in time'


def fresh(srv, *args, timeout=1.5):
    """One command on a new connection (accepted while the script runs), or
    NO_REPLY."""
    with srv.raw(timeout=timeout) as c:
        c.send_command(*args)
        return replies([c], timeout)[0]


def replies(conns, wait=2.0):
    """The next reply of each connection, or NO_REPLY if none came in time."""
    deadline = time.monotonic() + wait
    out = []
    for c in conns:
        c.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            out.append(text(c.read_value()))
        except (ConnectionClosed, ConnectionError):
            out.append('closed')
        except Exception:  # no reply in time: that is the observation
            out.append(NO_REPLY)
    return out


def busy_scenario(srv):
    """What clients see around a script that never ends: clients connected
    before it started (each may be served by any thread) and new ones. The
    server is stopped with SHUTDOWN NOSAVE at the end (kill -9 if that fails)."""
    obs = {}
    runner = srv.raw(timeout=30)
    idle = [srv.raw(timeout=30) for _ in range(4)]
    blocked = [srv.raw(timeout=30) for _ in range(4)]
    for c in idle + blocked + [runner]:
        assert c.call('PING') == b'PONG'
    obs['kill idle'] = fresh(srv, 'SCRIPT', 'KILL')
    runner.send_command('EVAL', "redis.call('GET', KEYS[1]) while true do end", '1', 'held')
    time.sleep(0.05)
    # Sent before the threshold: waits behind the script (the key is held).
    for c in blocked:
        c.send_command('GET', 'held')
    time.sleep(0.45)
    for c in idle:
        c.send_command('GET', 'other')
    obs['GET other key, clients connected before'] = replies(idle)
    obs['GET of the held key, sent before the threshold'] = replies(blocked, 0.5)
    obs['new client PING'] = fresh(srv, 'PING')
    obs['new client SET'] = fresh(srv, 'SET', 'other', '1')
    obs['new client EVAL'] = fresh(srv, 'EVAL', 'return 1', '0')
    obs['new client SCRIPT FLUSH'] = fresh(srv, 'SCRIPT', 'FLUSH')
    obs['kill'] = fresh(srv, 'SCRIPT', 'KILL')
    killed = replies([runner], 3)[0]
    obs['killed starts'] = killed[:len(KILLED)] if isinstance(killed, str) else killed
    obs['PING after kill'] = fresh(srv, 'PING')
    obs['other key after'] = fresh(srv, 'GET', 'other')
    # A script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server.
    writer = srv.raw(timeout=5)
    writer.send_command('EVAL', "redis.call('SET', KEYS[1], 'w') while true do end", '1', 'wk')
    time.sleep(0.5)
    obs['kill after write'] = fresh(srv, 'SCRIPT', 'KILL')
    obs['GET during unkillable'] = fresh(srv, 'GET', 'x')
    stopper = srv.raw(timeout=5)
    stopper.send_command('SHUTDOWN', 'NOSAVE')
    try:
        srv.proc.wait(timeout=5 * SCALE)
    except Exception:  # reported below
        pass
    obs['exited after SHUTDOWN NOSAVE'] = srv.proc.poll()
    if srv.proc.poll() is None:
        srv.proc.kill()
        srv.proc.wait()
    last = replies([writer], 0.5)[0]
    # Redis closes the connection; an error naming the shutdown is as good.
    if isinstance(last, str) and last.startswith('ERR Script killed by a server shutdown'):
        last = 'closed'
    obs['script caller after shutdown'] = last
    obs['shutdown caller'] = replies([stopper], 0.5)[0]
    for c in idle + blocked + [runner, writer, stopper]:
        c.close()
    return obs


def test_busy_kill_unkillable_and_shutdown_nosave(make_server):
    ours, theirs = both(make_server, busy_scenario, '--busy-reply-threshold', '200')
    print('basalt:', ours, '\nredis:', theirs)
    assert theirs['new client PING'] == BUSY and theirs['kill idle'] == NOTBUSY
    assert theirs['GET other key, clients connected before'] == [BUSY] * 4
    assert theirs['kill'] == b'OK' and theirs['killed starts'] == KILLED
    assert theirs['kill after write'] == UNKILLABLE
    assert theirs['exited after SHUTDOWN NOSAVE'] == 0
    diff = {k: (ours.get(k), theirs.get(k)) for k in theirs if ours.get(k) != theirs.get(k)}
    assert not diff, 'basalt / redis: %r' % diff


def test_killed_script_writes_nothing_and_server_goes_on(make_server):
    """A killed read-only script leaves no trace; the next scripts run normally."""
    def scenario(srv):
        runner = srv.raw(timeout=30)
        runner.send_command('EVAL', "local n = 0 while true do n = n + 1 end", '0')
        time.sleep(0.4)
        out = [fresh(srv, 'SCRIPT', 'KILL'), strip_script_suffix(text(runner.read_value()))]
        out.append(text(runner.call('EVAL', "return redis.call('SET', 'k', 'v')", '0')))
        out.append(fresh(srv, 'GET', 'k'))
        out.append(fresh(srv, 'SCRIPT', 'KILL'))
        runner.close()
        return out
    ours, theirs = both(make_server, scenario, '--busy-reply-threshold', '200')
    assert theirs[2:] == [b'OK', b'v', NOTBUSY]
    assert ours == theirs


# --- 3. Effects replication ----------------------------------------------------------

MULTI_WRITE = """
redis.call('SET', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[1], ARGV[1])
redis.call('INCR', 'undeclared-counter')
redis.call('HSET', 'undeclared-hash', ARGV[1], #ARGV[1])
return redis.call('LLEN', KEYS[2])
"""


def script_workload(c):
    """Scripts of every shape against a bytes redis-py client. Leaves the key
    'norepl' written under REPL_NONE (on this server only) and returns how
    many scripts wrote more than one command."""
    multi = 0
    sha = c.script_load(MULTI_WRITE)
    for i in range(20):
        assert c.evalsha(sha, 2, 's:%d' % (i % 5), 'l:%d' % (i % 3), 'v%d' % i) > 0
        multi += 1
    assert c.eval(MULTI_WRITE, 2, 'e:1', 'el:1', 'x') == 2
    multi += 1
    # Errors half-way: what was written before stays (and is replicated).
    c.rpush('a-list', 'x')
    with pytest.raises(redis.ResponseError):
        c.eval("redis.call('SET', 'half:1', 'a') redis.call('INCR', 'half:2') "
               "redis.call('INCR', KEYS[1]) redis.call('SET', 'never', 1)", 1, 'a-list')
    multi += 1
    with pytest.raises(redis.ResponseError):
        c.eval("redis.call('SET', 'half:3', 'b') error('boom')", 0)
    assert c.eval("local r = redis.pcall('INCR', KEYS[1]) redis.call('SET', 'after-pcall', "
                  "type(r)) return 1", 1, 'a-list') == 1
    with pytest.raises(redis.ResponseError):
        c.eval("redis.call('SET', 'half:4', 'c') redis.call('NOSUCHCOMMAND')", 0)
    # SELECT inside a script: other databases, and the caller's db is unchanged.
    c.eval("redis.call('SET', 'in-db0', 'a') redis.call('SELECT', 1) "
           "redis.call('SET', 'in-db1', 'b') redis.call('RPUSH', 'list-db1', 1, 2) "
           "redis.call('SELECT', 9) redis.call('SET', 'in-db9', 'c')", 0)
    multi += 1
    c.eval("redis.call('SELECT', 2) redis.call('SET', 'only-db2', 'd')", 0)
    c.set('caller-db-check', 'db0')
    # REPL_NONE: written here only; REPL_ALL again afterwards.
    c.eval("redis.set_repl(redis.REPL_NONE) redis.call('SET', 'norepl', 'x') "
           "redis.set_repl(redis.REPL_ALL) redis.call('SET', 'repl-after-none', 'y')", 0)
    # Scripts inside MULTI/EXEC, beside plain commands.
    p = c.pipeline(transaction=True)
    p.set('tx:plain', '1')
    p.evalsha(sha, 2, 'tx:s', 'tx:l', 'tx')
    p.eval("return redis.call('INCRBY', KEYS[1], 5)", 1, 'tx:n')
    p.eval("redis.call('SELECT', 3) redis.call('SET', 'tx-db3', 1)", 0)
    p.incr('tx:n')
    assert p.execute() == [True, 2, 5, None, 6]
    # Non-deterministic values: random numbers, TIME, SPOP, SRANDMEMBER, expiry.
    c.sadd('pool', *range(50))
    for i in range(5):
        c.eval("for i = 1, 10 do redis.call('RPUSH', KEYS[1], math.random(1000000)) end "
               "redis.call('SET', KEYS[2], tostring(math.random())) "
               "redis.call('SET', KEYS[3], redis.call('TIME')[2]) "
               "redis.call('SADD', KEYS[4], redis.call('SPOP', 'pool')) "
               "redis.call('SET', KEYS[5], redis.call('SRANDMEMBER', 'pool')) "
               "redis.call('EXPIRE', KEYS[2], 1000 + math.random(1000))",
               5, 'rnd-list', 'rnd:%d' % i, 'time:%d' % i, 'popped', 'member:%d' % i)
        multi += 1
    c.eval("redis.call('SET', 'ttl-k', 'v', 'EX', 5000) redis.call('PEXPIRE', 'l:0', 900000) "
           "redis.call('INCRBYFLOAT', 'flt', '1.5') redis.call('INCRBYFLOAT', 'flt', math.pi)", 0)
    multi += 1
    # Read-only scripts and scripts whose writes change nothing.
    assert c.eval("return redis.call('GET', 's:0')", 0) == b'v15'
    assert c.eval_ro("return redis.call('LLEN', KEYS[1])", 1, 'l:0') > 0
    c.eval("redis.call('DEL', 'does-not-exist') redis.call('SREM', 'pool', 'no')", 0)
    c.eval("redis.call('DEL', 's:4') redis.call('RENAME', 's:3', 's:renamed') "
           "redis.call('LMOVE', 'l:1', 'l:moved', 'LEFT', 'RIGHT')", 0)
    multi += 1
    return multi


def _effects_stream_clean(primary, fake):
    """The primary's stream as a replica sees it: no script commands."""
    target = info_int(primary, 'replication', 'master_repl_offset')
    wait_for(lambda: fake.poll(0.05) is not None and fake.offset >= target,
             what='the recorded stream at the primary offset')
    names = [cmd[0].upper() for cmd in fake.commands() if isinstance(cmd, list) and cmd]
    bad = [n for n in names if n in (b'EVAL', b'EVALSHA', b'EVAL_RO', b'EVALSHA_RO', b'SCRIPT')]
    assert not bad, 'scripts in the replication stream: %r' % bad
    return names


@pytest.mark.parametrize('kinds', PAIRS)
def test_script_effects_replicate_identically(make_server, kinds):
    pk, rk = kinds
    primary = start(make_server, pk)
    replica = start(make_server, rk, replicaof=primary)
    wait_link_up(replica)
    fake = FakeReplica(primary)
    try:
        pc = bclient(primary)
        multi = script_workload(pc)
        wait_synced(primary, replica)
        assert pc.get('norepl') == b'x'
        assert replica.client().get('norepl') is None, 'a REPL_NONE write reached the replica'
        pc.delete('norepl')
        assert_identical(primary, replica)
        names = _effects_stream_clean(primary, fake)
        assert names.count(b'MULTI') >= multi, (multi, names.count(b'MULTI'))
        assert names.count(b'MULTI') == names.count(b'EXEC')
    finally:
        fake.close()
    # The replica has no scripts: nothing was sent as a script.
    sha = pc.script_load(MULTI_WRITE)
    assert replica.client().script_exists(sha) == [False]


FN_LIB = ('#!lua name=repl_lib\n'
          'redis.register_function("bump", function(keys, args) '
          'redis.call("SET", keys[1], args[1]) return redis.call("INCR", keys[1]) end)\n'
          'redis.register_function{function_name="peek", flags={"no-writes"}, '
          'callback=function(keys) return redis.call("GET", keys[1]) end}')


@pytest.mark.parametrize('kinds', PAIRS)
def test_functions_replicate_both_ways(make_server, kinds):
    """Libraries reach a replica in the full sync (RDB FUNCTION2 records) and
    in the stream (FUNCTION LOAD/DELETE as sent); FCALL's effects replicate,
    never the FCALL; with Redis 7.0 peers on either side."""
    pk, rk = kinds
    primary = start(make_server, pk)
    pc = bclient(primary)
    pc.execute_command('FUNCTION', 'LOAD', FN_LIB)            # before the sync: in the RDB
    assert pc.execute_command('FCALL', 'bump', '1', 'f:a', '10') == 11
    replica = start(make_server, rk, replicaof=primary)
    wait_link_up(replica)
    rc = replica.client()
    wait_for(lambda: rc.execute_command('FCALL_RO', 'peek', '1', 'f:a') == '11',
             what='the library and its data on the replica after the full sync')
    pc.execute_command('FUNCTION', 'LOAD', 'REPLACE',
                       FN_LIB.replace('"bump"', '"bump2"'))     # in the stream
    assert pc.execute_command('FCALL', 'bump2', '1', 'f:b', '1') == 2
    pc.execute_command('FUNCTION', 'LOAD', '#!lua name=extra\n'
                       'redis.register_function("x", function() return 1 end)')
    pc.execute_command('FUNCTION', 'DELETE', 'extra')
    wait_synced(primary, replica)
    rb = bclient(replica)
    libs = {(l[1], tuple(sorted(f[1] for f in l[5])))
            for l in rb.execute_command('FUNCTION', 'LIST')}
    assert libs == {(b'repl_lib', (b'bump2', b'peek'))}, libs
    assert rb.get('f:b') == b'2'
    assert_identical(primary, replica)
    assert rb.execute_command('FUNCTION', 'DUMP') == pc.execute_command('FUNCTION', 'DUMP')


# --- 4. AOF --------------------------------------------------------------------------

SCRIPT_IN_AOF = re.compile(rb'\$\d+\r\n(eval|evalsha|eval_ro|evalsha_ro|script)\r\n', re.I)


def aof_bytes(srv):
    d = os.path.join(srv.dir, 'appendonlydir')
    return b''.join(open(os.path.join(d, f), 'rb').read()
                    for f in sorted(os.listdir(d)) if f.endswith('.aof'))


def test_aof_holds_effects_and_restores(make_server):
    srv = make_server('--appendonly', 'yes', *DEBUG, threads=2)
    c = bclient(srv)
    multi = script_workload(c)
    assert c.get('norepl') == b'x'
    c.set('marker', 'last')
    time.sleep(0.3)  # everysec: the last second reaches the file
    data = aof_bytes(srv)
    assert b'marker' in data
    m = SCRIPT_IN_AOF.search(data)
    assert m is None, 'script command in the AOF: %r' % data[max(0, m.start() - 80):m.end() + 80]
    assert b'norepl' not in data, 'a REPL_NONE write reached the AOF'
    multis = len(re.findall(rb'\*1\r\n\$5\r\nMULTI\r\n', data, re.I))
    execs = len(re.findall(rb'\*1\r\n\$4\r\nEXEC\r\n', data, re.I))
    assert multis >= multi and multis == execs, (multi, multis, execs)
    aof_check(srv.dir)
    c.delete('norepl')
    want = snapshot(c)
    digest = c.execute_command('DEBUG', 'DIGEST')
    time.sleep(0.3)
    srv.restart()
    c = bclient(srv)
    assert snapshot(c) == want
    assert c.execute_command('DEBUG', 'DIGEST') == digest
    # redis-server 7.0 loads the same directory to the same data.
    assert_redis_starts_from_aof_of(make_server, srv, want)


# --- 5. Durability: appendfsync always, min-replicas-ack, WAIT -------------------------

def incr_aof_bytes(srv):
    d = os.path.join(srv.dir, 'appendonlydir')
    names = [f for f in os.listdir(d) if f.endswith('.incr.aof')]
    return b''.join(open(os.path.join(d, f), 'rb').read() for f in names)


def test_appendfsync_always_writes_before_the_script_replies(make_server):
    srv = make_server('--appendonly', 'yes', '--appendfsync', 'always', threads=2)
    c = srv.client()
    for i in range(30):
        marker = 'marker-%d-%d' % (i, random.randrange(1 << 30))
        c.eval("redis.call('SET', KEYS[1], ARGV[1]) redis.call('RPUSH', KEYS[2], ARGV[1])",
               2, 'k:%d' % i, 'l', marker)
        data = incr_aof_bytes(srv)
        assert data.count(marker.encode()) == 2, 'reply before the AOF write of script %d' % i


def eval_error(c, *args):
    try:
        c.eval(*args)
    except redis.ResponseError as e:
        return str(e)
    raise AssertionError('no error from EVAL %r' % (args,))


@pytest.mark.basalt_only('min-replicas-ack is Basalt\'s synchronous replication')
def test_sync_mode_holds_script_replies(make_server):
    primary = make_server('--min-replicas-ack', '1', '--min-replicas-ack-timeout', '400',
                          threads=2)
    c = primary.client()
    # No replica: refused as SET is, nothing applied.
    assert eval_error(c, "return redis.call('SET', KEYS[1], 'v')", 1, 'k').startswith(NOREPLICAS)
    assert eval_error(c, "#!lua\nreturn redis.call('SET', KEYS[1], 'v')", 1, 'k') == NOREPLICAS
    assert c.get('k') is None
    assert c.eval("return redis.call('GET', KEYS[1])", 1, 'k') is None
    assert c.eval_ro("return 7", 0) == 7
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port), binary=oracle_binary())
    wait_link_up(replica)
    wait_for(lambda: online_replicas(primary) >= 1, what='replica online on the primary')
    rc = replica.client()

    def accepted():
        try:
            return c.eval("return redis.call('SET', 'probe', 1)", 0) is not None
        except redis.ResponseError:
            return False
    wait_for(accepted, what='scripts accepted with the replica online')
    for i in range(30):
        assert c.eval(MULTI_WRITE, 2, 's:%d' % i, 'l:%d' % i, 'v%d' % i) == 2
        # Acknowledged means applied by the replica: there already.
        assert rc.get('s:%d' % i) == 'v%d' % i and rc.llen('l:%d' % i) == 2
    with stopped(replica):
        err, took = timed(eval_error, c, "redis.call('SET', KEYS[1], 'late') "
                          "redis.call('SET', KEYS[2], 'late')", 2, 'a', 'b')
        assert err == timeout_error(1, 400)
        assert 0.39 <= took < 3 * SCALE
        assert c.mget('a', 'b') == ['late', 'late']
        # A script that wrote nothing is not held.
        r, took = timed(c.eval, "return redis.call('GET', KEYS[1])", 1, 'a')
        assert r == 'late' and took < 0.3
    wait_for(accepted, what='scripts acknowledged again')
    assert rc.mget('a', 'b') == ['late', 'late']


@pytest.mark.parametrize('kind', ['target', 'redis'])
def test_wait_counts_the_replica_after_a_script(make_server, kind):
    primary = make_server(binary=binary(kind))
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port), binary=oracle_binary())
    wait_link_up(replica)
    wait_for(lambda: online_replicas(primary) >= 1, what='replica online on the primary')
    c = primary.client()
    for i in range(5):
        c.eval(MULTI_WRITE, 2, 's', 'l', 'v%d' % i)
        assert c.wait(1, 5000) == 1
        assert replica.client().get('s') == 'v%d' % i
    assert c.eval("return redis.call('GET', 's')", 0) == 'v4'
    assert c.wait(1, 5000) == 1


# --- 6. Limits: maxmemory, read-only replicas ------------------------------------------

def oom_scenario(srv):
    c = srv.raw()
    for i in range(20):
        c.call('SET', 'k%d' % i, 'x' * 100)
    assert c.call('CONFIG', 'SET', 'maxmemory', '1') == b'OK'
    probes = [
        ('SET', 'plain', '1'),
        ('EVAL', "redis.call('SET', 'a', '1') return 1", '0'),
        ('EVAL', "local v = redis.call('GET', 'k0') redis.call('SET', 'a', v) return 1", '0'),
        ('EVAL', "return redis.pcall('SET', 'a', '1')", '0'),
        ('EVAL', "return redis.call('GET', 'k0')", '0'),
        # A write that is not deny-oom first: later writes are then allowed.
        ('EVAL', "redis.call('DEL', 'k1') redis.call('SET', 'after-del', '1') return 1", '0'),
        ('EVAL', "#!lua flags=allow-oom\nredis.call('SET', 'b', '1') return redis.call('GET', 'b')",
         '0'),
        ('EVAL', "#!lua\nreturn 1", '0'),
        ('EVAL', "#!lua\nredis.call('SET', 'c', '1') return 1", '0'),
        ('EVAL', "#!lua flags=no-writes\nreturn redis.call('GET', 'k0')", '0'),
        ('EVAL_RO', "return redis.call('GET', 'k2')", '0'),
        ('EVAL_RO', "#!lua\nreturn redis.call('GET', 'k2')", '0'),
        ('EXISTS', 'a', 'c', 'plain', 'b', 'after-del', 'k1'),
    ]
    out = [(p[1][:40], text(c.call(*p))) for p in probes]
    c.call('CONFIG', 'SET', 'maxmemory', '0')
    c.close()
    return out


def test_scripts_under_maxmemory_match_redis(make_server):
    ours, theirs = both(make_server, oom_scenario, '--maxmemory-policy', 'noeviction')
    assert theirs[0][1] == OOM and theirs[7][1] == OOM
    assert_same_probes(ours, theirs)


def assert_same_probes(ours, theirs):
    diff = ['%r: basalt %r / redis %r' % (a[0], a[1], b[1]) for a, b in zip(ours, theirs) if a != b]
    assert not diff, '\n'.join(diff)
    assert len(ours) == len(theirs)


def replica_probes(srv):
    c = srv.raw()
    sha = c.call('SCRIPT', 'LOAD', "return redis.call('GET', KEYS[1])").decode()
    probes = [
        ('EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'k'),
        ('EVAL', "local v = redis.call('GET', KEYS[1]) redis.call('DEL', KEYS[1]) return v", '1',
         'k'),
        ('EVAL', "return redis.pcall('INCR', 'n')", '0'),
        ('EVAL', "#!lua\nreturn 1", '0'),
        ('EVAL', "#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])", '1', 'k'),
        ('EVAL', "return redis.call('GET', KEYS[1])", '1', 'k'),
        ('EVAL_RO', "return redis.call('GET', KEYS[1])", '1', 'k'),
        ('EVAL_RO', "return redis.call('SET', KEYS[1], 'y')", '1', 'k'),
        ('EVAL_RO', "#!lua\nreturn redis.call('GET', KEYS[1])", '1', 'k'),
        ('EVALSHA_RO', sha, '1', 'k'),
        ('EVALSHA', sha, '1', 'k'),
        ('GET', 'k'),
    ]
    out = [(p[1][:40], strip_script_suffix(str(text(c.call(*p))))) for p in probes]
    c.close()
    return out


def test_scripts_on_a_read_only_replica_match_redis(make_server):
    primary = make_server(binary=oracle_binary())
    primary.client().set('k', 'v')
    ours = make_server('--replicaof', '127.0.0.1', str(primary.port))
    theirs = make_server('--replicaof', '127.0.0.1', str(primary.port), binary=oracle_binary())
    wait_link_up(ours, theirs)
    wait_synced(primary, ours, theirs)
    a, b = replica_probes(ours), replica_probes(theirs)
    assert b[0][1].startswith(READONLY) and b[3][1] == READONLY
    assert_same_probes(a, b)


# --- 7. Bad input: the server survives ------------------------------------------------

@pytest.fixture(scope='module')
def pair_servers(basalt_bin, oracle_bin):
    """A server under test and a redis-server, both with busy-reply-threshold 200."""
    a = servers.launch(basalt_bin, '--busy-reply-threshold', '200', threads=2)
    b = servers.launch(oracle_bin, '--busy-reply-threshold', '200')
    try:
        yield a, b
    finally:
        problems = [p for p in (a.stop(check=False), b.stop(check=False)) if p]
        a.cleanup()
        b.cleanup()
    assert not problems, problems


@pytest.fixture
def pair(pair_servers):
    """pair_servers, restarted if an earlier test killed one; a death during
    the test fails it with the log."""
    for srv in pair_servers:
        if not srv.alive():
            srv.restart()
    yield pair_servers
    for srv in pair_servers:
        if not srv.alive():
            pytest.fail('%s died during this test (exit %s):\n%s' % (
                srv.binary, srv.proc.returncode, srv.log_tail(20)), pytrace=False)


def on_both(pair, *args, timeout=60):
    out = []
    for srv in pair:
        with srv.raw(timeout=timeout) as c:
            out.append(c.command(*args))
            assert c.command('PING') == b'+PONG\r\n'
    return out


def test_huge_script_bodies(pair):
    counting = 'local a = 0\n' + 'a = a + 1\n' * 1_000_000 + 'return a\n'
    locals_ = 'local a = 1\n' * 1_000_000
    assert len(locals_) >= 10 * 10 ** 6
    ours, theirs = on_both(pair, 'EVAL', counting, '0')
    assert theirs == b':1000000\r\n' and ours == theirs
    ours, theirs = on_both(pair, 'EVAL', locals_, '0')
    assert theirs.startswith(b'-ERR') and ours == theirs


def test_deep_recursion(pair):
    ours, theirs = on_both(pair, 'EVAL', 'local function f() return 1 + f() end return f()', '0')
    assert b'stack overflow' in theirs and ours == theirs
    ours, theirs = on_both(pair, 'EVAL', 'local function f(n) return {f(n + 1)} end return f(1)',
                           '0')
    assert b'stack overflow' in theirs and ours == theirs


def test_tail_recursion_loops_until_killed(make_server):
    """A tail call does not grow the stack: it loops until SCRIPT KILL."""
    def scenario(srv):
        runner = srv.raw(timeout=30)
        runner.send_command('EVAL', 'local function f() return f() end return f()', '0')
        time.sleep(0.4)
        out = [fresh(srv, 'PING'), fresh(srv, 'SCRIPT', 'KILL')]
        out.append(strip_script_suffix(str(replies([runner], 3)[0])))
        out.append(fresh(srv, 'PING'))
        runner.close()
        return out
    ours, theirs = both(make_server, scenario, '--busy-reply-threshold', '200')
    assert theirs[:2] == [BUSY, b'OK'] and theirs[2].startswith(KILLED)
    assert ours == theirs


def test_reply_of_a_million_elements(pair):
    srv = pair[0]
    n = 1_000_000
    want = b'*%d\r\n' % n + b''.join(b':%d\r\n' % i for i in range(1, n + 1))
    with srv.raw(timeout=60) as c:
        c.send_command('EVAL', 'local t = {} for i = 1, %d do t[i] = i end return t' % n, '0')
        got = bytearray()
        while len(got) < len(want):
            chunk = c.sock.recv(1 << 20)
            assert chunk, 'connection closed after %d bytes' % len(got)
            got += chunk
        assert bytes(got) == want
        assert c.command('PING') == b'+PONG\r\n'


def raw_reply(c, wait=0.5):
    """Every byte that arrives until the connection falls quiet (for replies
    too deeply nested for a recursive parser)."""
    data = b''
    while True:
        chunk = c.read_available(wait)
        if not chunk:
            return data
        data += chunk


def test_self_referencing_tables(pair):
    diff = []
    for script in ('local t = {} t[1] = t return t',
                   'local t = {} t.err = t return t'):
        got = []
        for srv in pair:
            with srv.raw(timeout=30) as c:
                c.send_command('EVAL', script, '0')
                got.append(raw_reply(c))
                assert c.command('PING') == b'+PONG\r\n'
        if got[0] != got[1]:
            diff.append('%s: basalt nests %d arrays, then %r; redis %d, then %r' % (
                script, got[0].count(b'*'), got[0][-40:], got[1].count(b'*'), got[1][-40:]))
    assert not diff, '\n'.join(diff)


def test_huge_strings(pair):
    # 64 MB built in Lua, 16 MB returned.
    ours, theirs = on_both(pair, 'EVAL', "return #string.rep('x', 64 * 1024 * 1024)", '0')
    assert theirs == b':67108864\r\n' and ours == theirs
    with pair[0].raw(timeout=60) as c:
        c.send_command('EVAL', "return string.rep('ab', 8 * 1024 * 1024)", '0')
        assert c.read_value() == b'ab' * 8 * 1024 * 1024


@pytest.mark.skipif(servers.SANITIZED, reason='sanitizers reserve more address space than the '
                    'limit this test sets (ASan/TSan builds cannot start under it)')
def test_string_larger_than_the_process_may_allocate(make_server):
    """Under an address-space limit Lua's allocation fails: the script gets
    Redis's 'not enough memory' error and the server goes on."""
    out = []
    for b in (basalt_binary(), oracle_binary()):
        srv = servers.launch(b, threads=2, prefix=['prlimit', '--as=%d' % (768 << 20)])
        try:
            with srv.raw(timeout=60) as c:
                out.append(text(c.call('EVAL', "local s = string.rep(string.rep('x', 1048576), "
                                               "2047) return #s", '0')))
                assert c.call('SET', 'k', 'v') == b'OK'
                assert c.call('EVAL', "return redis.call('GET', 'k')", '0') == b'v'
        finally:
            problem = srv.stop(check=False)
            srv.cleanup()
        assert not problem, problem
    assert out[1].endswith('not enough memory') and out[0] == out[1]


def test_script_flush_while_a_script_runs(pair):
    for srv in pair:
        with srv.raw(timeout=30) as runner, srv.raw(timeout=30) as other:
            body = SPIN + "return 'done'"
            sha = runner.call('SCRIPT', 'LOAD', body).decode()
            runner.send_command('EVALSHA', sha, '0', '700')
            time.sleep(0.05)
            other.send_command('SCRIPT', 'FLUSH')
            flushed = text(other.read_value())
            # Waits for the script, or gets BUSY once the threshold passes.
            assert flushed in (b'OK', BUSY), flushed
            assert runner.read_value() == b'done'
            exists = other.call('SCRIPT', 'EXISTS', sha)
            assert exists == ([0] if flushed == b'OK' else [1]), (flushed, exists)
            assert runner.call('EVAL', "return 'again'", '0') == b'again'


def test_error_objects(pair):
    """Error values that are not strings, compared with redis-server (error({})
    itself crashes redis-server 7.0 and is tested below on Basalt alone)."""
    for script in ('error(nil)', 'error(123)', "error({err = 'x'})",
                   "return redis.error_reply({})", 'return pcall(error, {})',
                   'redis.call("GET", {})',
                   'return setmetatable({}, {__index = function() error("z") end})',
                   'return {err = setmetatable({}, {__tostring = function() error("w") end})}'):
        ours, theirs = on_both(pair, 'EVAL', script, '0')
        assert ours == theirs, script


@pytest.mark.basalt_only('error({}) crashes redis-server 7.0')
def test_error_with_a_table_argument(pair):
    """error({}) crashes redis-server 7.0 (not run there); Basalt answers an error."""
    srv = pair[0]
    with srv.raw() as c:
        for script in ('error({})', 'return error({})', 'error({1, 2})', 'error({err = {}})'):
            reply = c.call('EVAL', script, '0')
            assert isinstance(reply, RespError), (script, reply)
            assert reply.message.startswith(b'ERR '), (script, reply)
            assert c.call('PING') == b'PONG'


@pytest.mark.basalt_only('crashes redis-server 7.0 as error({}) does')
def test_error_object_that_raises_when_inspected(pair):
    """An error value whose metatable raises when the server reads its err field."""
    srv = pair[0]
    with srv.raw() as c:
        reply = c.call('EVAL', 'error(setmetatable({}, {__index = function() error("x") end}))',
                       '0')
        assert isinstance(reply, RespError), reply
        assert c.call('PING') == b'PONG'
