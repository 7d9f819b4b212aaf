"""Differential tests of the Lua sandbox Redis scripts run in: global
protection, the available libraries and their names, math.random, the
redis.* helpers, cjson, bit, struct and cmsgpack, against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical (Lua errors carry the script's SHA1).
EVAL itself is tested in test_diff_scripting.py.
"""

import pytest

from diff import skip_value
from resp_client import RespError

pytestmark = pytest.mark.needs_commands('eval')


def ev(body, *args, numkeys=0):
    """An EVAL step: EVAL body numkeys args..."""
    return ['EVAL', body, numkeys] + list(args)


def test_globals_protection(differ):
    differ([
        ev("x = 1"),
        ev("x = 1 return x"),
        ev("function f() end"),
        ev("return undefined_global"),
        ev("return undefined_global == nil"),
        ev("local y = 1 return y"),
        ev("rawset(_G, 'z', 1) return z"),
        ev("return rawget(_G, 'nope')"),
        ev("_G.x = 1"),
        ev("return _G.missing"),
        ev("redis = nil"),
        ev("redis.call = nil"),
        ev("redis.newfield = 1"),
        ev("string.myfn = 1 return 1"),
        ev("setmetatable(_G, nil)"),
        ev("local mt = getmetatable(_G) return type(mt)"),
        ev("KEYS = {}"),
        ev("ARGV = {}"),
        ev("return type(KEYS)"),
        ev("return type(_G)"),
        # Nothing leaks from one script into the next.
        ev("return type(x)"),
        ev("return type(f)"),
    ])


def test_sandbox_library_surface(differ):
    names = ['os', 'io', 'loadfile', 'dofile', 'print', 'require', 'module', 'debug',
             'package', 'load', 'loadstring', 'setfenv', 'getfenv', 'newproxy', 'gcinfo',
             'collectgarbage', 'coroutine', 'unpack', 'select', 'xpcall', 'pcall',
             'tostring', 'tonumber', 'next', 'pairs', 'ipairs', 'rawequal', 'rawget',
             'rawset', 'setmetatable', 'getmetatable', 'type', 'error', 'assert',
             'string', 'table', 'math', 'bit', 'cjson', 'cmsgpack', 'struct', 'redis',
             '_VERSION', '_G', 'KEYS', 'ARGV']
    script = []
    for n in names:
        script.append(ev("local ok, v = pcall(function() return type(%s) end) "
                         "return {tostring(ok), tostring(v)}" % n))
    script += [
        ev("return _VERSION"),
        ev("return type(loadstring('return 1'))"),
        ev("return loadstring('return 7')()"),
        ev("return string.format('%s', string.upper('abc'))"),
        ev("return table.concat({'a', 'b', 'c'}, '-')"),
        ev("return {string.find('hello world', 'o w')}"),
        ev("return string.gsub('hello', 'l', 'L')"),
        ev("return {math.floor(3.7), math.max(1, 5, 3), math.huge == 1/0, math.pi > 3}"),
        ev("return select('#', 1, 2, 3)"),
        ev("return {unpack({1, 2, 3})}"),
    ]
    differ(script)


def test_sandbox_global_names(differ):
    """The names a script can see, sorted: every library table and _G. Strict
    (it includes Redis internals such as __redis__err__handler in _G and the
    lua-cjson / lua-cmsgpack metadata), so it has a test of its own."""
    script = []
    for lib in ('math', 'string', 'table', 'coroutine', 'redis', 'bit', 'struct', 'cjson',
                'cmsgpack', '_G'):
        script.append(ev("local t = {} for k in pairs(%s) do t[#t+1] = k end "
                         "table.sort(t) return t" % lib))
    script += [
        ev("return {cjson._NAME, cjson._VERSION}"),
        ev("return {cmsgpack._NAME, cmsgpack._VERSION}"),
    ]
    differ(script)


def test_math_random(differ):
    differ([
        ev("math.randomseed(42) return {math.random(100), math.random(1, 10), "
           "tostring(math.random())}"),
        ev("math.randomseed(42) return {math.random(100), math.random(1, 10), "
           "tostring(math.random())}"),
        ev("math.randomseed(0) local t = {} for i = 1, 10 do t[i] = math.random(1000) end "
           "return t"),
        ev("math.randomseed(7) return tostring(math.random())"),
        skip_value(ev("return tostring(math.random())")),
        skip_value(ev("return math.random(10)")),
        ev("local r = math.random(5) return r >= 1 and r <= 5"),
        ev("local r = math.random() return r >= 0 and r < 1"),
        ev("return math.random(0)"),
        ev("return math.random(2, 1)"),
        ev("return math.random(1, 2, 3)"),
    ])


def test_redis_sha1hex_and_version(differ):
    differ([
        ev("return redis.sha1hex('')"),
        ev("return redis.sha1hex('hello')"),
        ev("return redis.sha1hex(123)"),
        ev("return redis.sha1hex('a\\0b')"),
        ev("return redis.sha1hex()"),
        ev("return redis.sha1hex({})"),
        ev("return redis.sha1hex('a', 'b')"),
        ev("return redis.REDIS_VERSION"),
        ev("return redis.REDIS_VERSION_NUM"),
        ev("return type(redis.REDIS_VERSION_NUM)"),
    ])


def test_redis_log(differ):
    differ([
        ev("return redis.log(redis.LOG_WARNING, 'warning from test')"),
        ev("return redis.log(redis.LOG_NOTICE, 'notice', 'several', 'parts', 1)"),
        ev("return redis.log(redis.LOG_VERBOSE, 'verbose')"),
        ev("return redis.log(redis.LOG_DEBUG, 'debug')"),
        ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
        ev("return redis.log(redis.LOG_WARNING)"),
        ev("return redis.log()"),
        ev("return redis.log(99, 'bad level')"),
        ev("return redis.log(-1, 'bad level')"),
        ev("return redis.log('x', 'bad level')"),
    ])


def test_redis_set_repl_all_and_none(differ):
    differ([
        ev("return redis.replicate_commands()"),
        ev("return type(redis.replicate_commands())"),
        ev("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, "
           "redis.REPL_ALL}"),
        ev("redis.set_repl(redis.REPL_NONE) return redis.call('SET', 'a', 1)"),
        ev("redis.set_repl(redis.REPL_ALL) return redis.call('SET', 'a', 5)"),
        ev("return redis.set_repl(redis.REPL_ALL)"),
        'GET a',
        ev("redis.set_repl(99)"),
        ev("redis.set_repl(-1)"),
        ev("redis.set_repl()"),
        ev("redis.set_repl(1, 2)"),
        ev("redis.set_repl('x')"),
    ])


@pytest.mark.basalt_only('a documented difference (docs/compatibility.md, Scripting)')
def test_redis_set_repl_aof_or_replica_only(basalt_server):
    """REPL_AOF / REPL_REPLICA (alias REPL_SLAVE) alone are refused by Basalt:
    one write log feeds the AOF and the replicas, so an effect cannot go to
    one of them only. The script stops there; REPL_AOF + REPL_REPLICA (=
    REPL_ALL) works as in Redis."""
    c = basalt_server.raw()
    c.call('DEL', 'a')
    for flag in ('REPL_AOF', 'REPL_REPLICA', 'REPL_SLAVE'):
        r = c.call('EVAL', "redis.set_repl(redis.%s) return redis.call('SET', 'a', 2)" % flag,
                   '0')
        assert isinstance(r, RespError), r
        assert r.message.startswith(
            b'ERR redis.set_repl() with REPL_AOF or REPL_REPLICA alone is not supported by '
            b'Basalt; use REPL_ALL or REPL_NONE script: '), r.message
    assert c.call('GET', 'a') is None
    assert c.command('EVAL', "redis.set_repl(redis.REPL_AOF + redis.REPL_REPLICA) "
                             "return redis.call('SET', 'a', 6)", '0') == b'+OK\r\n'
    assert c.call('GET', 'a') == b'6'


def test_redis_debugger_stubs_and_misc(differ):
    differ([
        ev("return redis.breakpoint()"),
        ev("return type(redis.breakpoint())"),
        ev("return redis.debug('x')"),
        ev("return type(redis.debug('x'))"),
        ev("return {redis.error_reply('E x').err, redis.status_reply('S').ok}"),
        ev("return redis.call('SET', 'a', 'v').ok"),
        ev("return type(redis.setresp)"),
        ev("return type(redis.register_function)"),
        ev("return redis.register_function('f', function() end)"),
    ])


def test_redis_acl_check_cmd(differ):
    differ([
        ev("return redis.acl_check_cmd('GET', 'k')"),
        ev("return redis.acl_check_cmd('SET', 'k', 'v')"),
        ev("return redis.acl_check_cmd('get', 'k')"),
        ev("return redis.acl_check_cmd('NOSUCHCOMMAND')"),
        ev("return redis.acl_check_cmd()"),
        ev("return redis.acl_check_cmd({})"),
    ])


def test_cjson(differ):
    differ([
        ev("return cjson.encode({1, 2, 3})"),
        ev("return cjson.encode({})"),
        ev("return cjson.encode({a = {}})"),
        ev("return cjson.encode({{}, {{}}})"),
        ev("return cjson.encode({a = 1})"),
        ev("return cjson.encode({a = {b = {c = 'deep'}}})"),
        ev("return cjson.encode('str\"\\\\/\\n\\t\\0')"),
        ev("return cjson.encode(3.14)"),
        ev("return cjson.encode(1/3)"),
        ev("return cjson.encode(1e20)"),
        ev("return cjson.encode(-0)"),
        ev("return cjson.encode(true)"),
        ev("return cjson.encode(cjson.null)"),
        ev("return cjson.encode({1, cjson.null, 3})"),
        ev("return cjson.encode(nil)"),
        ev("return cjson.encode()"),
        ev("return cjson.encode(1/0)"),
        ev("return cjson.encode(function() end)"),
        ev("return cjson.encode({[1] = 'a', [3] = 'c'})"),
        ev("local t = {} t[100] = 1 return cjson.encode(t)"),
        ev("return cjson.encode({[1.5] = 'x'})"),
        ev("local t = {} t.self = t return cjson.encode(t)"),
        ev("return cjson.decode('[1,2,null]')"),
        ev("local t = cjson.decode('[1,2,null]') return {#t, tostring(t[3] == cjson.null)}"),
        ev("return cjson.decode('{\"a\":1}').a"),
        ev("return cjson.decode('\"str\"')"),
        ev("return cjson.decode('3.5')"),
        ev("return tostring(cjson.decode('3.5'))"),
        ev("return cjson.decode('true')"),
        ev("return cjson.decode('[[1,[2]],{\"k\":[3]}]')[2].k"),
        ev("return cjson.decode('[\"\\\\u00e9\\\\n\"]')"),
        ev("return cjson.decode('{bad json')"),
        ev("return cjson.decode('')"),
        ev("return cjson.decode('[1,2,]')"),
        ev("return cjson.decode('nan')"),
        ev("return cjson.decode()"),
        ev("return cjson.decode(ARGV[1]).list", '{"list":[1,"two",3.5,false]}'),
        ev("return cjson.encode(cjson.decode(ARGV[1]))", '[1,"two",[3,[4]]]'),
        ev("return cjson.encode(cjson.decode(ARGV[1]))", '[1e3, -0.25, 1.5e-7]'),
        ev("return cjson.decode('[' .. string.rep('[', 2000) .. string.rep(']', 2000) .. ']')"),
        ev("local t = {} local c = t for i = 1, 2000 do c[1] = {} c = c[1] end "
           "return cjson.encode(t)"),
        ev("return type(cjson.null)"),
        ev("return cjson.encode_keep_buffer"),
        ev("return type(cjson.encode_sparse_array)"),
    ])


def test_bit(differ):
    differ([
        ev("return bit.band(0xff, 0x0f)"),
        ev("return bit.bor(0xf0, 0x0f)"),
        ev("return bit.bxor(0xff, 0x0f)"),
        ev("return bit.bnot(0)"),
        ev("return bit.lshift(1, 31)"),
        ev("return bit.rshift(-1, 28)"),
        ev("return bit.arshift(-256, 4)"),
        ev("return bit.rol(0x12345678, 8)"),
        ev("return bit.ror(0x12345678, 8)"),
        ev("return bit.bswap(0x12345678)"),
        ev("return bit.tobit(0xffffffff)"),
        ev("return bit.tobit(2^40 + 5)"),
        ev("return bit.tohex(255)"),
        ev("return bit.tohex(-1)"),
        ev("return bit.tohex(255, 2)"),
        ev("return bit.tohex(255, -4)"),
        ev("return bit.tohex(0x1234abcd, 16)"),
        ev("return bit.band()"),
        ev("return bit.band('x')"),
        ev("return bit.band(1, 3, 7, 15)"),
        ev("return bit.band('12', 4)"),
    ])


def test_struct(differ):
    differ([
        ev("return struct.pack('>I2', 258)"),
        ev("return struct.pack('<i4', -2)"),
        ev("return struct.pack('B', 255)"),
        ev("return struct.pack('b', -1)"),
        ev("return struct.pack('>h', 1)"),
        ev("return struct.pack('>d', 1.5)"),
        ev("return struct.pack('<f', 0.25)"),
        ev("return struct.pack('s', 'zero terminated')"),
        ev("return struct.pack('c5', 'abc')"),
        ev("return struct.pack('c0', 'abc')"),
        ev("return struct.pack('>I2I4', 1, 2)"),
        ev("return struct.pack('x')"),
        ev("return {struct.unpack('>I2', '\\1\\2')}"),
        ev("return {struct.unpack('<i4', struct.pack('<i4', -123456))}"),
        ev("return {struct.unpack('>d', struct.pack('>d', 2.25))}"),
        ev("local v, n = struct.unpack('>d', struct.pack('>d', 2.25)) return tostring(v)"),
        ev("return {struct.unpack('s', 'abc\\0rest')}"),
        ev("return {struct.unpack('c3', 'abcdef')}"),
        ev("return {struct.unpack('B', 'abc', 2)}"),
        ev("return {struct.unpack('>I4', 'ab')}"),
        ev("return struct.size('>I2I4d')"),
        ev("return struct.size('s')"),
        ev("return struct.pack('>I17', 1)"),
        ev("return struct.pack('y', 1)"),
        ev("return struct.pack('i', 'notanumber')"),
        ev("return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}"),
        ev("return struct.pack()"),
    ])


def test_cmsgpack(differ):
    differ([
        ev("return cmsgpack.pack(1)"),
        ev("return cmsgpack.pack(-1)"),
        ev("return cmsgpack.pack(300)"),
        ev("return cmsgpack.pack(2^40)"),
        ev("return cmsgpack.pack(1.5)"),
        ev("return cmsgpack.pack('abc')"),
        ev("return cmsgpack.pack(string.rep('x', 40))"),
        ev("return cmsgpack.pack(true)"),
        ev("return cmsgpack.pack(false)"),
        ev("return cmsgpack.pack(nil)"),
        ev("return cmsgpack.pack({1, 2, 3})"),
        ev("return cmsgpack.pack({})"),
        ev("return cmsgpack.pack({a = 1})"),
        ev("return cmsgpack.pack({1, {2, {3}}})"),
        ev("return cmsgpack.pack(1, 'two', {3})"),
        ev("return cmsgpack.pack()"),
        ev("return {cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))}"),
        ev("return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))"),
        ev("return cmsgpack.unpack(cmsgpack.pack({a = 'x'})).a"),
        ev("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', 3))}"),
        ev("return tostring(cmsgpack.unpack(cmsgpack.pack(1.25)))"),
        ev("return cmsgpack.unpack(cmsgpack.pack(nil))"),
        # (Lua 5.1 has no \\x escapes: bytes are written in decimal.)
        ev("return cmsgpack.unpack('\\193')"),
        ev("return cmsgpack.unpack('')"),
        ev("return cmsgpack.unpack('\\146\\1')"),
        ev("return cmsgpack.unpack(ARGV[1])", b'\xc1'),
        ev("return cmsgpack.unpack(ARGV[1])", b'\x92\x01'),
        ev("return cmsgpack.unpack(ARGV[1])", b'\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00'),
        ev("return tostring(cmsgpack.unpack(ARGV[1]))", b'\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00'),
        ev("return cmsgpack.unpack(ARGV[1])", b'\xdc\x00\x02\xc0\x05'),
        ev("return cmsgpack.unpack(ARGV[1])", b'\x93\x01\xa3two\xc3'),
        ev("return cmsgpack.unpack(ARGV[1])", b'\x81\xa1k\xa1v'),
        ev("return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}"),
        ev("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"),
        ev("local t = {} local c = t for i = 1, 100 do c[1] = {} c = c[1] end "
           "return cmsgpack.pack(t)"),
    ])
