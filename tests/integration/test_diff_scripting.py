"""Differential tests of Lua scripting (EVAL, EVALSHA, *_RO, SCRIPT) against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3 (the differ
fixture), and the reply bytes must be identical. Error replies from scripts
carry the script's SHA1 ("script: <sha>, on @user_script:1."), so they are
compared whole. The script cache survives FLUSHALL: tests that look at it
start with SCRIPT FLUSH.

Elsewhere: Lua <-> RESP conversions in test_diff_scripting_resp.py, the
sandbox and libraries in test_diff_scripting_libs.py, busy scripts and other
two-connection cases in test_diff_scripting_busy.py, the AOF stream in
test_diff_scripting_aof.py, Functions (FUNCTION / FCALL) in
test_diff_functions.py.
"""

import pytest

from diff import skip_value
from helpers import info

pytestmark = pytest.mark.needs_commands('eval', 'evalsha', 'script')


def ev(body, *args, numkeys=0):
    """An EVAL step: EVAL body numkeys args..."""
    return ['EVAL', body, numkeys] + list(args)


def ev_ro(body, *args, numkeys=0):
    return ['EVAL_RO', body, numkeys] + list(args)


def sha1(body):
    import hashlib
    if isinstance(body, str):
        body = body.encode()
    return hashlib.sha1(body).hexdigest()


# --- EVAL arguments --------------------------------------------------------


def test_eval_numkeys_errors(differ):
    differ([
        ev('return 1', numkeys=-1),
        ev('return 1', numkeys='-100'),
        ev('return 1', 'a', numkeys=2),
        ev('return 1', numkeys=1),
        ev('return 1', numkeys='x'),
        ev('return 1', numkeys='1.5'),
        ev('return 1', numkeys=''),
        ev('return 1', numkeys='99999999999999999999'),
        ev('return 1', 'a', 'b', numkeys=2),
        ev('return 1', 'a', 'b', numkeys='02'),
        'EVAL',
        'EVAL x',
        ['EVALSHA', 'a' * 40],
        ['EVALSHA', 'a' * 40, '-1'],
        ['EVALSHA', 'a' * 40, '1'],
        ['EVALSHA', 'a' * 40, 'x'],
        ['EVAL_RO', 'return 1', '-1'],
        ['EVAL_RO', 'return 1', '3', 'a'],
        ['EVALSHA_RO', 'a' * 40, '-1'],
    ])


def test_eval_keys_and_argv(differ):
    differ([
        ev('return KEYS'),
        ev('return ARGV'),
        ev('return {#KEYS, #ARGV}'),
        ev('return KEYS', 'k1', 'k2', 'a1', numkeys=2),
        ev('return ARGV', 'k1', 'k2', 'a1', 'a2', numkeys=2),
        ev('return {KEYS[1], ARGV[1], KEYS[3], ARGV[3]}', 'k1', 'a1', numkeys=1),
        ev('return ARGV', '', b'\x00\xff\r\n', '123', '-1.5'),
        ev('return type(ARGV[1])', '123'),
        ev('return ARGV[1] + 1', '41'),
        ev("return redis.call('SET', KEYS[1], ARGV[1])", 'k', 'v', numkeys=1),
        ev("return redis.call('GET', KEYS[1])", 'k', numkeys=1),
        ev("return redis.call('GET', 'k')"),
        ['EVAL', 'return KEYS', '3', b'bin\x00', 'x', 'y'],
        ev("return redis.call('SET', KEYS[1], ARGV[1])", b'bin\x00\r\nkey', b'\x00\xff\r\n' * 20,
           numkeys=1),
        ['GET', b'bin\x00\r\nkey'],
        ev("return #ARGV[1]", b'\x00' * 1000),
        ev("return string.byte(ARGV[1], 1, -1)", b'\x00\x7f\x80\xff'),
        ev("return {string.byte(ARGV[1], 1, -1)}", b'\x00\x7f\x80\xff'),
        ['eval', 'return ARGV', '0', 'x'],
        ['EvAl', 'return 1', '0'],
    ])


def test_evalsha_and_noscript(differ):
    body = "return {KEYS[1], ARGV[1]}"
    s = sha1(body)
    differ([
        'SCRIPT FLUSH',
        ['EVALSHA', s, '1', 'k', 'a'],
        ['EVALSHA_RO', s, '1', 'k', 'a'],
        ['SCRIPT', 'LOAD', body],
        ['EVALSHA', s, '1', 'k', 'a'],
        ['EVALSHA', s.upper(), '1', 'k', 'a'],
        ['EVALSHA', s[:20] + s[20:].upper(), '0'],
        ['EVALSHA_RO', s, '1', 'k', 'a'],
        ['EVALSHA', s[:39], '0'],
        ['EVALSHA', s + '0', '0'],
        ['EVALSHA', 'z' * 40, '0'],
        ['EVALSHA', '', '0'],
        ['EVALSHA', s, '2', 'k'],
        # EVAL caches the script too: its sha runs afterwards.
        ev('return 42'),
        ['EVALSHA', sha1('return 42'), '0'],
        'SCRIPT FLUSH',
        ['EVALSHA', s, '1', 'k', 'a'],
        ['EVALSHA', sha1('return 42'), '0'],
    ])


def test_eval_ro(differ):
    differ([
        'SET k v',
        ev_ro("return redis.call('GET', KEYS[1])", 'k', numkeys=1),
        ev_ro("return redis.call('SET', KEYS[1], 'x')", 'k', numkeys=1),
        ev_ro("return redis.pcall('SET', KEYS[1], 'x')", 'k', numkeys=1),
        ev_ro("return redis.call('DEL', 'k')"),
        ev_ro("return redis.call('INCR', 'counter')"),
        'GET k',
        'EXISTS counter',
        ev_ro("return redis.call('EXISTS', 'k')"),
        ev_ro("return redis.call('PING')"),
        ev_ro("return 1"),
        # A write command that is a no-op is still refused.
        ev_ro("return redis.call('DEL', 'nokey')"),
        ['SCRIPT', 'LOAD', "return redis.call('SET', 'k', 'y')"],
        ['EVALSHA_RO', sha1("return redis.call('SET', 'k', 'y')"), '0'],
        ['EVALSHA', sha1("return redis.call('SET', 'k', 'y')"), '0'],
        'GET k',
    ])


def test_scripts_in_multi(differ):
    body = "return redis.call('INCR', KEYS[1])"
    differ([
        'SCRIPT FLUSH',
        'MULTI',
        ev(body, 'c', numkeys=1),
        ev(body, 'c', numkeys=1),
        ['SCRIPT', 'LOAD', body],
        ['EVALSHA', sha1(body), '1', 'c'],
        ev_ro("return redis.call('GET', KEYS[1])", 'c', numkeys=1),
        ev("return redis.call('NOSUCH')"),
        ev("error('boom')"),
        'EXEC',
        'GET c',
        # Queue-time errors: EVAL with a bad arity aborts the transaction.
        'MULTI',
        ev(body, 'c', numkeys=1),
        'EVAL',
        'EXEC',
        'GET c',
        # NOSCRIPT is only found at EXEC time.
        'MULTI',
        ['EVALSHA', 'f' * 40, '0'],
        ev(body, 'c', numkeys=1),
        'EXEC',
        # Bad numkeys is found at EXEC time too.
        'MULTI',
        ev('return 1', numkeys=5),
        ev('return 1', numkeys=-1),
        'EXEC',
    ])


# --- Shebang and flags -------------------------------------------------------


def test_shebang_flags(differ):
    differ([
        'SET k v',
        ev("#!lua\nreturn redis.call('GET', KEYS[1])", 'k', numkeys=1),
        ev("#!lua flags=no-writes\nreturn redis.call('GET', KEYS[1])", 'k', numkeys=1),
        ev("#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'x')", 'k', numkeys=1),
        ev("#!lua flags=no-writes\nreturn redis.pcall('SET', KEYS[1], 'x')", 'k', numkeys=1),
        ev("#!lua flags=allow-oom\nreturn redis.call('SET', KEYS[1], 'x')", 'k', numkeys=1),
        ev("#!lua flags=allow-stale\nreturn 1"),
        ev("#!lua flags=no-cluster\nreturn 1"),
        ev("#!lua flags=allow-cross-slot-keys\nreturn redis.call('MGET', KEYS[1], KEYS[2])",
           'k', 'other', numkeys=2),
        ev("#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n"
           "return 2"),
        ev("#!lua flags=\nreturn 3"),
        ev("#!lua flags=no-writes flags=allow-oom\nreturn 5"),
        ev("#!lua\nreturn 6"),
        ev("#!lua flags=no-writes\nreturn redis.call('DEL', 'k')"),
        'GET k',
        # Scripts without a shebang are always allowed to write.
        ev("return redis.call('SET', 'k', 'w')"),
        'GET k',
    ])


def test_shebang_errors(differ):
    differ([
        ev("#!lua flags=no-writes,\nreturn 4"),
        ev("#!lua flags=bogus\nreturn 1"),
        ev("#!lua flags=no-writes,bogus\nreturn 1"),
        ev("#!lua name=mylib\nreturn 1"),
        ev("#!lua foo=bar\nreturn 1"),
        # A shebang line needs its newline.
        ev("#!lua"),
        ev("#!lua "),
        ev("#!lua flags=no-writes"),
        ['SCRIPT', 'LOAD', '#!lua'],
    ])


def test_shebang_engine_errors(differ):
    differ([
        ev("#!notlua\nreturn 1"),
        ev("#!\nreturn 1"),
        ev("#! lua\nreturn 1"),
        ev("#!LUA\nreturn 1"),
        ['SCRIPT', 'LOAD', '#!notlua\nreturn 1'],
    ])


def test_eval_ro_and_shebang_flags(differ):
    """With a shebang the flags decide: EVAL_RO runs a no-writes script and
    refuses any other shebang script up front, even if it would only read;
    without a shebang EVAL_RO runs the script and refuses writes inside it."""
    differ([
        'SET k x',
        ev_ro("#!lua flags=no-writes\nreturn redis.call('GET', 'k')"),
        ev_ro("#!lua flags=no-writes\nreturn redis.call('SET', 'k', 'y')"),
        ev_ro("#!lua\nreturn redis.call('GET', 'k')"),
        ev_ro("#!lua\nreturn redis.call('SET', 'k', 'z')"),
        ev_ro("#!lua flags=allow-oom\nreturn 1"),
        ev_ro("#!lua flags=no-writes,allow-oom\nreturn 1"),
        ev_ro("return redis.call('GET', 'k')"),
        ['SCRIPT', 'LOAD', "#!lua\nreturn redis.call('GET', 'k')"],
        ['EVALSHA_RO', sha1("#!lua\nreturn redis.call('GET', 'k')"), '0'],
        ['EVALSHA', sha1("#!lua\nreturn redis.call('GET', 'k')"), '0'],
        'GET k',
    ])


def test_shebang_line_numbers_in_errors(differ):
    differ([
        ev("#!lua\nerror('x')"),
        ev("#!lua\n\n\nreturn nosuchglobal"),
        ev("#!lua\nreturn +"),
        ev("\n\nreturn +"),
        ev("#!lua flags=no-writes\nlocal a = 1\nerror({err='CUSTOM at line 3'})"),
    ])


# --- Errors ------------------------------------------------------------------


def test_compile_errors(differ):
    differ([
        ev('return +'),
        ev('this is not lua'),
        ev("return 'unfinished"),
        ev('local function f( return 1'),
        ev('return 1 end'),
        ev('for i = 1 do end'),
        ev('\n\nreturn +'),
        ev('return {'),
        ev('return [[unclosed'),
        ev('x ='),
        ev('\x00'),
        ev('goto x'),
        ['SCRIPT', 'LOAD', 'return +'],
        ['SCRIPT', 'LOAD', '#!lua\nreturn +'],
        ['SCRIPT', 'LOAD', '#!lua flags=bogus\nreturn 1'],
        ev_ro('return +'),
    ])


def test_runtime_errors(differ):
    differ([
        ev("error('boom')"),
        ev("local x = nil; return x.field"),
        ev("return 1 + {}"),
        ev("return #nil"),
        ev("return ('x')()"),
        ev("local t = setmetatable({}, {__index = function() error('in meta') end}) return t.x"),
        ev("return string.rep()"),
        ev("return tostring()"),
        ev("local function f() return f() + 1 end return f()"),
        ev("return assert(false)"),
        ev("return assert(false, 'assert msg')"),
        ev("return assert(nil, 'ERR assert with code')"),
        ev("\n\nerror('on line 3')"),
        ev("error('no position', 0)"),
        ev("error('level 2', 2)"),
        ev("return pcall(error, 'caught')"),
        ev("local ok, e = pcall(error, 'caught') return {tostring(ok), e}"),
        ev("local ok, e = pcall(function() local x = nil; return x.y end) return e"),
        ev("local t = {} for i = 1, 7000 do t[i] = i end return redis.call('DEL', unpack(t))"),
        ev("local t = {} for i = 1, 8000 do t[i] = i end return redis.call('DEL', unpack(t))"),
        ev("local t = {} for i = 1, 100 do t[i] = 'k' .. i end "
           "return #redis.call('MGET', unpack(t))"),
        ev("return string.rep('x', -1)"),
        ev("return ('x'):rep(3)"),
        ev("return #string.rep('ab', 100000)"),
    ])


def test_redis_call_errors(differ):
    differ([
        'SET s str',
        'RPUSH l a',
        ev("return redis.call('NOSUCHCOMMAND')"),
        ev("return redis.call('nosuchcommand', 'a')"),
        ev("return redis.pcall('NOSUCHCOMMAND')"),
        ev("return redis.call('GET')"),
        ev("return redis.call('GET', 'a', 'b')"),
        ev("return redis.pcall('GET')"),
        ev("return redis.call('LPUSH', 's', 'x')"),
        ev("return redis.call('GET', 'l')"),
        ev("return redis.pcall('GET', 'l')"),
        ev("return redis.call('INCR', 's')"),
        ev("return redis.call('SET', 'k', 'v', 'EX', 'notanumber')"),
        ev("return redis.call('SET', 'k', 'v', 'BADOPT')"),
        ev("return redis.call('HSET', 'h', 'f')"),
        ev("return redis.call('CONFIG', 'GET')"),
        ev("return redis.call('CONFIG', 'NOSUCHSUB')"),
        ev("return redis.call()"),
        ev("return redis.pcall()"),
        ev("return redis.call({})"),
        ev("return redis.call('SET', 'k', {})"),
        ev("return redis.call('SET', 'k', true)"),
        ev("return redis.call('SET', 'k', nil)"),
        ev("return redis.call('SET', 'k', function() end)"),
        ev("return redis.pcall('SET', 'k', {})"),
        ev("return redis.call(1)"),
        ev("return redis.call('SET', 'k', 3.7)"),
        'GET k',
        ev("return redis.call('SET', 'k', -0.5)"),
        'GET k',
        ev("return redis.call('SET', 'k', 1e20)"),
        'GET k',
        ev("return redis.call('SET', 'k', 12)"),
        'GET k',
        # An error from redis.call stops the script: nothing after it runs.
        ev("redis.call('SET', 'after', 1); redis.call('INCR', 's'); redis.call('SET', 'after', 2)"),
        'GET after',
        # pcall lets it continue and returns the error as a table.
        ev("local e = redis.pcall('INCR', 's'); redis.call('SET', 'after', 3); return e"),
        'GET after',
        # The Lua error raised by redis.call, caught by pcall.
        ev("local ok, e = pcall(redis.call, 'INCR', 's') "
           "return {tostring(ok), type(e), type(e) == 'table' and e.err or e}"),
        ev("local ok, e = pcall(redis.call, 'NOSUCH') "
           "return {tostring(ok), type(e), type(e) == 'table' and e.err or e}"),
        ev("local ok, e = pcall(redis.call) "
           "return {tostring(ok), type(e), type(e) == 'table' and e.err or e}"),
        ev("local ok, e = pcall(redis.call, 'SET', 'k', {}) "
           "return {tostring(ok), type(e), type(e) == 'table' and e.err or e}"),
        ev("return redis.pcall('INCR', 's').err"),
        ev("return {err = redis.pcall('INCR', 's').err}"),
        ev("error(redis.pcall('INCR', 's'))"),
    ])


def test_forbidden_commands_in_scripts(differ):
    differ([
        ev("return redis.call('SUBSCRIBE', 'ch')"),
        ev("return redis.call('PSUBSCRIBE', 'ch*')"),
        ev("return redis.call('SSUBSCRIBE', 'ch')"),
        ev("return redis.call('UNSUBSCRIBE')"),
        ev("return redis.call('MULTI')"),
        ev("return redis.call('EXEC')"),
        ev("return redis.call('DISCARD')"),
        ev("return redis.call('WATCH', 'k')"),
        ev("return redis.call('UNWATCH')"),
        ev("return redis.call('EVAL', 'return 1', 0)"),
        ev("return redis.call('EVALSHA', '%s', 0)" % ('a' * 40)),
        ev("return redis.call('EVAL_RO', 'return 1', 0)"),
        ev("return redis.call('FCALL', 'f', 0)"),
        ev("return redis.call('SCRIPT', 'FLUSH')"),
        ev("return redis.call('SCRIPT', 'EXISTS', 'x')"),
        ev("return redis.call('FUNCTION', 'LIST')"),
        ev("return redis.call('CLIENT', 'PAUSE', 10)"),
        ev("return redis.call('SAVE')"),
        ev("return redis.call('AUTH', 'x')"),
        ev("return redis.call('HELLO', 3)"),
        ev("return redis.call('RESET')"),
        ev("return redis.call('MONITOR')"),
        ev("return redis.call('SYNC')"),
        ev("return redis.call('PSYNC', '?', -1)"),
        ev("return redis.call('SHUTDOWN')"),
        ev("return redis.call('CLIENT', 'KILL', 'ID', 1)"),
        ev("return redis.call('CONFIG', 'GET', 'maxmemory')"),
        ev("return redis.call('SELECT', 0)"),
        ev("return redis.pcall('SUBSCRIBE', 'ch')"),
        ev("return redis.pcall('MULTI')"),
        ev("return redis.pcall('EVAL', 'return 1', 0)"),
        ev_ro("return redis.call('SUBSCRIBE', 'ch')"),
        'PING',
    ])


def test_blocking_commands_in_scripts(differ):
    differ([
        ev("return redis.call('BLPOP', 'nolist', 0)"),
        ev("return redis.call('BRPOP', 'nolist', 10)"),
        ev("return redis.call('BLMOVE', 'nolist', 'dst', 'LEFT', 'RIGHT', 0)"),
        ev("return redis.call('BRPOPLPUSH', 'nolist', 'dst', 0)"),
        ev("return redis.call('BZPOPMIN', 'nozset', 0)"),
        ev("return redis.call('BZPOPMAX', 'nozset', 0)"),
        ev("return redis.call('BLMPOP', 0, 1, 'nolist', 'LEFT')"),
        ev("return redis.call('BZMPOP', 0, 1, 'nozset', 'MIN')"),
        # (XREAD BLOCK is refused from scripts too; not here: Basalt has no streams.)
        ev("return redis.call('WAIT', 0, 0)"),
        'RPUSH l a b',
        ev("return redis.call('BLPOP', 'l', 0)"),
        ev("return redis.call('BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', 0)"),
        'LRANGE dst 0 -1',
        'ZADD z 1 m',
        ev("return redis.call('BZPOPMIN', 'z', 0)"),
        ev("return redis.call('BLPOP', 'l', -1)"),
        ev("return redis.call('BLPOP', 'l', 'x')"),
    ])


# --- SCRIPT command ----------------------------------------------------------


def test_script_load_exists_flush(differ):
    a, b = 'return 1', 'return 2'
    differ([
        'SCRIPT FLUSH',
        ['SCRIPT', 'EXISTS', sha1(a), sha1(b), 'nosuchsha'],
        ['SCRIPT', 'LOAD', a],
        ['SCRIPT', 'LOAD', a],
        ['script', 'load', b],
        ['SCRIPT', 'EXISTS', sha1(a), sha1(b), 'nosuchsha', sha1(a).upper(), sha1('x')],
        ['SCRIPT', 'EXISTS', sha1(a)],
        'SCRIPT EXISTS',
        'SCRIPT LOAD',
        ['SCRIPT', 'LOAD', 'a', 'b'],
        ['SCRIPT', 'LOAD', ''],
        ['EVALSHA', sha1(''), '0'],
        ['SCRIPT', 'LOAD', b'return "\x00\xff"'],
        ['EVALSHA', sha1(b'return "\x00\xff"'), '0'],
        'SCRIPT FLUSH',
        ['SCRIPT', 'EXISTS', sha1(a), sha1(b)],
        ['SCRIPT', 'LOAD', a],
        'SCRIPT FLUSH ASYNC',
        ['SCRIPT', 'EXISTS', sha1(a)],
        ['SCRIPT', 'LOAD', a],
        'SCRIPT FLUSH SYNC',
        ['SCRIPT', 'EXISTS', sha1(a)],
        'script flush async',
        'SCRIPT FLUSH BAD',
        'SCRIPT FLUSH SYNC ASYNC',
        'SCRIPT FLUSH SYNC extra',
        # FLUSHALL does not drop the script cache.
        ['SCRIPT', 'LOAD', a],
        'FLUSHALL',
        ['SCRIPT', 'EXISTS', sha1(a)],
        'SCRIPT FLUSH',
    ])


def test_script_kill_help_debug_unknown(differ):
    differ([
        'SCRIPT KILL',
        'SCRIPT KILL extra',
        'SCRIPT HELP',
        'SCRIPT HELP extra',
        'SCRIPT NOSUCHSUB',
        'SCRIPT',
        'script nosuchsub a b',
        # SCRIPT DEBUG: Basalt has no Lua debugger and answers every mode with
        # "ERR SCRIPT DEBUG (the Lua debugger) is not supported by Basalt", so
        # SCRIPT DEBUG NO (+OK on redis-server) and SCRIPT DEBUG BAD (-ERR Use
        # SCRIPT DEBUG YES/SYNC/NO) are not compared; only the arity error is.
        'SCRIPT DEBUG',
        'FUNCTION KILL',
    ])


# (Not compared: SCRIPT DEBUG YES inside MULTI, which redis-server refuses at
# EXEC with "ERR SCRIPT DEBUG must be called outside a pipeline" and Basalt with
# its "not supported" error; see test_script_kill_help_debug_unknown.)


def test_eval_side_effects_and_types(differ):
    """Data written by a script is visible to normal commands with the right
    types and encodings, and keys given to the script behave as usual."""
    differ([
        ev("redis.call('RPUSH', KEYS[1], 'a', 'b') redis.call('HSET', KEYS[2], 'f', 1) "
           "redis.call('SADD', KEYS[3], 'm') redis.call('ZADD', KEYS[4], 2, 'z') "
           "return redis.call('DBSIZE')", 'l', 'h', 's', 'z', numkeys=4),
        'TYPE l', 'TYPE h', 'TYPE s', 'TYPE z',
        'LRANGE l 0 -1', 'HGETALL h', 'SMEMBERS s', 'ZRANGE z 0 -1 WITHSCORES',
        ev("redis.call('SET', 'e', 'v', 'EX', 100) return redis.call('TTL', 'e')"),
        'TTL e',
        ev("return redis.call('DEL', unpack(KEYS))", 'l', 'h', 's', 'z', numkeys=4),
        'DBSIZE',
        ev("redis.call('SELECT', 1) redis.call('SET', 'indb1', 'x') return redis.call('DBSIZE')"),
        'EXISTS indb1',
        'SELECT 1',
        'GET indb1',
        'FLUSHDB',
        'SELECT 0',
        ev("local t = {} for i = 1, 50 do t[i] = redis.call('INCR', 'c') end return t[50]"),
        ev("return redis.call('TIME')[1] ~= nil"),
        ev("return #redis.call('TIME')"),
        skip_value(ev("return redis.call('TIME')")),
        skip_value(ev("return redis.call('RANDOMKEY')")),
    ])


@pytest.fixture
def oom_servers(basalt_server, oracle_server):
    """Resets maxmemory on both servers after a test that set it to 1 byte."""
    yield
    for srv in (basalt_server, oracle_server):
        if srv.alive():
            with srv.raw() as c:
                c.command('CONFIG', 'SET', 'maxmemory', '0')


def test_scripts_over_maxmemory(differ, oom_servers):
    """With maxmemory 1 (always exceeded, noeviction): scripts without a
    shebang run and only their write commands fail; shebang scripts that may
    write are refused up front unless they are allow-oom."""
    differ([
        'SET k v',
        'CONFIG SET maxmemory 1',
        'SET k2 v',
        ev("return redis.call('GET', 'k')"),
        ev("return redis.call('SET', 'k3', 'v')"),
        ev("return redis.pcall('SET', 'k3', 'v')"),
        ev("return redis.call('DEL', 'k')"),
        ev("#!lua\nreturn redis.call('GET', 'k')"),
        ev("#!lua\nreturn 1"),
        ev("#!lua flags=no-writes\nreturn redis.call('GET', 'k')"),
        ev("#!lua flags=allow-oom\nreturn redis.call('SET', 'k4', 'v')"),
        ev("#!lua flags=allow-oom\nreturn redis.call('GET', 'k4')"),
        ev("#!lua flags=no-writes,allow-oom\nreturn redis.call('GET', 'k4')"),
        ev_ro("return redis.call('GET', 'k')"),
        ['SCRIPT', 'LOAD', "return redis.call('SET', 'k5', 'v')"],
        ['EVALSHA', sha1("return redis.call('SET', 'k5', 'v')"), '0'],
        'CONFIG SET maxmemory 0',
        'SET k6 v',
        'DBSIZE',
    ])


def test_scripts_over_maxmemory_in_multi(differ, oom_servers):
    """Over maxmemory, scripts are refused when queued in MULTI (EVAL and
    EVAL_RO are may-deny-oom, checked at queue time even for no-writes
    scripts), which aborts the transaction."""
    differ([
        'SET k v',
        'CONFIG SET maxmemory 1',
        'MULTI',
        ev("return redis.call('GET', 'k')"),
        ev("#!lua\nreturn 1"),
        'EXEC',
        'MULTI',
        ev("#!lua flags=no-writes\nreturn redis.call('GET', 'k')"),
        ev_ro("return redis.call('GET', 'k')"),
        'EXEC',
        'CONFIG SET maxmemory 0',
    ])



STATS_SCRIPT = [
    ['SCRIPT', 'FLUSH'],
    ['CONFIG', 'RESETSTAT'],
    ['SCRIPT', 'LOAD', 'return 1'],
    ['SCRIPT', 'LOAD', 'return 2'],
    ['EVAL', 'return 3', '0'],
    ['EVAL', 'return 3', '0'],
    ['EVALSHA', sha1('return 1'), '0'],
    ['EVALSHA', 'f' * 40, '0'],
    ['EVAL', "redis.call('SET', 'k', 1) return redis.call('GET', 'k')", '0'],
    ['EVAL', "return redis.call('INCR', 'k')", '0'],
    ['EVAL', "redis.call('SET', 's', 'x') return redis.call('INCR', 's')", '0'],
    ['EVAL', "return redis.pcall('INCR', 's')", '0'],
    ['EVAL', "return redis.call('NOSUCH')", '0'],
    ['EVAL', "return redis.call('GET')", '0'],
    ['EVAL', "error('x')", '0'],
    ['EVAL', "return {err = 'MYERR returned'}", '0'],
    ['EVAL', "return redis.error_reply('OTHER returned')", '0'],
    ['EVAL', 'return +', '0'],
    ['EVAL', 'return 1', '-1'],
    ['EVAL_RO', "return redis.call('SET', 'k', 1)", '0'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('DEL', 'k')", '0'],
]


def test_script_counters_in_info(basalt_server, oracle_server):
    """INFO fields scripts move: number_of_cached_scripts, per-command calls /
    failed_calls / rejected_calls (commands run from scripts count too) and
    errorstats. (The functions' counters are in test_diff_functions.py.)"""
    compare_script_counters(basalt_server, oracle_server, STATS_SCRIPT,
                            ['number_of_cached_scripts'],
                            ['eval', 'evalsha', 'eval_ro', 'set', 'get', 'incr', 'del',
                             'script|load'])


def compare_script_counters(basalt_server, oracle_server, script, fields, commands):
    """Runs script on both servers and compares the INFO fields and the
    commandstats of commands (usec left out) and errorstats at the end. On a
    difference, the message also names the steps after which the counters
    moved differently."""
    def moved(srv, c):
        """{'cmdstat_x.calls': n, ..., 'errorstat_ERR.count': n} (no usec)."""
        stats = info(srv, 'commandstats')
        errs = info(srv, 'errorstats')
        out = {}
        for k, v in list(stats.items()) + list(errs.items()):
            if k == 'cmdstat_info':
                continue
            for part in v.split(','):
                name, _, num = part.partition('=')
                if not name.startswith('usec'):
                    out[k + '.' + name] = int(num)
        return out

    def counters(srv):
        replies, per_step = [], []
        with srv.raw() as c:
            c.command('FLUSHALL')
            before = moved(srv, c)
            for args in script:
                replies.append(c.command(*args))
                after = moved(srv, c)
                per_step.append(sorted('%s%+d' % (k, v - before.get(k, 0))
                                       for k, v in after.items() if before.get(k, 0) != v))
                before = after
        mem = info(srv, 'memory')
        stats = info(srv, 'commandstats')
        errs = info(srv, 'errorstats')
        out = {f: mem.get(f) for f in fields}
        for name in commands:
            entry = stats.get('cmdstat_' + name, '')
            out[name] = ','.join(p for p in entry.split(',') if not p.startswith('usec'))
        out['errorstats'] = sorted(errs.items())
        with srv.raw() as c:
            c.command('SCRIPT', 'FLUSH')
        return replies, out, per_step

    got_replies, got, got_steps = counters(basalt_server)
    want_replies, want, want_steps = counters(oracle_server)
    assert got_replies == want_replies
    diffs = ['%s: basalt %r, redis-server %r' % (key, got[key], want[key])
             for key in want if got[key] != want[key]]
    if diffs:
        # What each step added to the counters, where the servers differ.
        for args, g, w in zip(script, got_steps, want_steps):
            if g != w:
                diffs.append('after %r: basalt moved %r, redis-server moved %r'
                             % ([a[:50] for a in args], g, w))
    assert not diffs, '\n'.join(diffs)


def test_time_frozen_for_expiry_during_script(differ):
    """Keys do not expire while a script runs (redis 7.0 evaluates expiry with
    the time the script started), although TIME moves on."""
    wait = ("local t = redis.call('TIME') local e = 0 "
            "repeat local n = redis.call('TIME') "
            "e = (n[1] - t[1]) * 1000000 + (n[2] - t[2]) until e > 5000 ")
    differ([
        ev("redis.call('SET', 'k', 'v', 'PX', 1) " + wait +
           "return {redis.call('EXISTS', 'k'), redis.call('GET', 'k'), "
           "redis.call('PTTL', 'k')}"),
        'EXISTS k',
        ev("redis.call('SET', 'k3', 'v', 'PX', 1) " + wait +
           "return redis.call('INCR', 'k3')"),
        'GET k3',
    ])
