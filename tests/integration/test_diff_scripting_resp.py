"""Differential tests of the conversions between Lua values and RESP, in
both directions, against redis-server: what a script returns (numbers,
strings, booleans, nil, tables, status/error tables, the RESP3 types after
redis.setresp(3)) and what redis.call hands to Lua (every reply type, in RESP2
and after redis.setresp(3)).

Every script runs on Basalt and on the oracle, in RESP2 and RESP3 clients (the
differ fixture), and the reply bytes must be identical. EVAL itself is tested
in test_diff_scripting.py.
"""

import pytest

from diff import skip_value, unordered, unordered_pairs

pytestmark = pytest.mark.needs_commands('eval')


def ev(body, *args, numkeys=0):
    """An EVAL step: EVAL body numkeys args..."""
    return ['EVAL', body, numkeys] + list(args)


# --- Lua -> RESP conversions -------------------------------------------------


def test_lua_numbers_to_resp(differ):
    differ([
        ev('return 0'),
        ev('return 3.99'),
        ev('return -3.5'),
        ev('return -0.5'),
        ev('return 0.5'),
        ev('return 1e20'),
        ev('return -1e20'),
        ev('return 9007199254740993'),
        ev('return 2^53'),
        ev('return 9223372036854775807'),
        ev('return -9223372036854775808'),
        ev('return 1/0'),
        ev('return -1/0'),
        ev('return 0/0'),
        ev('return {3.99, -2.5, 7}'),
        ev('return tostring(3.99)'),
        ev('return tostring(1e20)'),
        ev('return tostring(1/3)'),
        ev('return tostring(0/0)'),
        ev('return tostring(1/0)'),
        ev('return tostring(2^63)'),
        ev("return tonumber('0x10')"),
        ev("return tonumber('  12  ')"),
        ev("return tonumber('1e3')"),
        ev("return tonumber('abc')"),
        ev("return string.format('%d %5.2f %s %q', 42, 3.14159, 'x', 'a\\nb')"),
    ])


def test_lua_strings_booleans_nil_to_resp(differ):
    differ([
        ev("return 'hello'"),
        ev("return ''"),
        ev("return 'a\\0b\\r\\nc'"),
        ev("return string.rep('x', 1000)"),
        ev('return true'),
        ev('return false'),
        ev('return nil'),
        ev(''),
        ev('local x = 1'),
        ev('return'),
        ev('return 1, 2'),
        ev('return {true, false, nil}'),
        ev('return {false, true}'),
        ev("return {'a', 1, true, false}"),
        ev('return function() end'),
        ev('return {function() end, 1}'),
        ev('return coroutine.create(function() end)'),
    ])


def test_lua_tables_to_resp(differ):
    differ([
        ev('return {}'),
        ev('return {1, 2, 3}'),
        ev("return {1, {2, {3, {'four'}}}, {}}"),
        ev('return {1, 2, nil, 4}'),
        ev('return {nil, 2}'),
        ev('local t = {1, 2, 3}; t[5] = 5; return t'),
        ev('local t = {}; t[2] = 2; return t'),
        ev("return {1, 2, x = 'named'}"),
        ev("return {x = 'only named'}"),
        ev("return {1, {ok = 'inner status'}, {err = 'inner error'}}"),
        ev("return {1, {err = 'ERR nested err'}, 3}"),
        ev("return {{}, {{}}, {{{}}}}"),
        ev("local t = {} for i = 1, 100 do t[i] = i * i end return t"),
        ev("local t = {} for i = 1, 20000 do t[i] = i end return t"),
        ev("local t = {} for i = 1, 20000 do t[i] = 'v' .. i end return #t"),
        # 300 levels of nesting (deeper replies are beyond the test client's parser).
        ev("local t = {} local c = t for i = 1, 300 do c[1] = {} c = c[1] end return t"),
        ev("local t = {} local c = t for i = 1, 300 do c[1] = {i} c = c[1] end return t"),
    ])


def test_status_and_error_replies(differ):
    differ([
        ev("return {ok = 'fine'}"),
        ev("return {ok = 'has space'}"),
        ev("return {ok = ''}"),
        ev("return {ok = 'a\\r\\nb'}"),
        ev("return {ok = 42}"),
        ev("return {err = 'plain message'}"),
        ev("return {err = 'ERR with code'}"),
        ev("return {err = 'MYCODE custom code'}"),
        ev("return {err = ''}"),
        ev("return {err = 'a\\r\\nb'}"),
        ev("return {err = 42}"),
        ev("return {err = 'x', ok = 'y'}"),
        ev("return {ok = 'x', 1, 2}"),
        ev("return redis.status_reply('STATUS')"),
        ev("return redis.status_reply('')"),
        ev("return redis.error_reply('my error')"),
        ev("return redis.error_reply('ERR my error')"),
        ev("return redis.error_reply('WRONGTYPE fake')"),
        ev("return redis.error_reply('-ERR dash')"),
        ev("return redis.error_reply('')"),
        ev("return redis.error_reply()"),
        ev("return redis.status_reply()"),
        ev("return redis.error_reply(1, 2)"),
        ev("return redis.error_reply({})"),
        ev("return redis.status_reply(12)"),
        ev("local t = redis.error_reply('E1 x') return {type(t), t.err}"),
        ev("local t = redis.status_reply('S') return {type(t), t.ok}"),
        # error() with a table raises a reply error as is.
        ev("error({err = 'CODE raised'})"),
        ev("error({err = 'raised without code'})"),
        ev("error(redis.error_reply('FROMHELPER x'))"),
        ev("error('plain string')"),
        ev("error('ERR looks like code')"),
        ev("error(42)"),
        ev("error()"),
        # error({}) and error({ok = ...}) crash redis-server 7.0.15 (a table
        # without err raised as an error): not compared.
    ])


def test_setresp3_conversions(differ):
    """Lua tables that only mean something under RESP3; RESP2 clients get
    them downgraded. The differ runs this in both client protocols."""
    differ([
        ev("redis.setresp(3); return {map = {a = 1}}"),
        ev("return {map = {a = 1}}"),
        ev("redis.setresp(3); return {map = {}}"),
        ev("redis.setresp(3); return {map = {k = {1, 2}}}"),
        unordered_pairs(ev("redis.setresp(3); return {map = {a = 1, b = 'two', c = true}}")),
        ev("redis.setresp(3); return {set = {x = true}}"),
        ev("redis.setresp(3); return {set = {}}"),
        unordered(ev("redis.setresp(3); return {set = {x = true, y = true, z = true}}")),
        ev("redis.setresp(3); return {double = 3.14}"),
        ev("redis.setresp(3); return {double = 3}"),
        ev("redis.setresp(3); return {double = -0.5}"),
        ev("redis.setresp(3); return {double = 1/0}"),
        ev("redis.setresp(3); return {double = -1/0}"),
        ev("redis.setresp(3); return {double = 1e300}"),
        ev("redis.setresp(3); return {double = '2.5'}"),
        ev("return {double = 3.14}"),
        ev("redis.setresp(3); return {big_number = '123456789012345678901234567890'}"),
        ev("redis.setresp(3); return {big_number = 12}"),
        ev("return {big_number = '123'}"),
        ev("redis.setresp(3); return {verbatim_string = {format = 'txt', string = 'hi'}}"),
        ev("redis.setresp(3); return {verbatim_string = {format = 'mkd', string = ''}}"),
        ev("return {verbatim_string = {format = 'txt', string = 'hi'}}"),
        ev("redis.setresp(3); return true"),
        ev("redis.setresp(3); return false"),
        ev("redis.setresp(3); return nil"),
        ev("redis.setresp(3); return {1, nil, 3}"),
        ev("redis.setresp(3); return {true, false}"),
        ev("redis.setresp(3); return {map = {a = {set = {b = true}}}}"),
        ev("redis.setresp(3); return {{double = 1.5}, {big_number = '7'}}"),
        ev("redis.setresp(2); return {map = {a = 1}}"),
        ev("redis.setresp(2); return true"),
        ev("redis.setresp(1)"),
        ev("redis.setresp(4)"),
        ev("redis.setresp()"),
        ev("redis.setresp('3')"),
        ev("redis.setresp(3, 3)"),
    ])


# --- RESP -> Lua conversions -------------------------------------------------


def test_redis_call_replies_to_lua_resp2(differ):
    differ([
        'SET s hello',
        'RPUSH l a b c',
        'HSET h f v',
        'SADD set m',
        'ZADD z 1.5 m',
        # integer
        ev("local r = redis.call('INCR', 'n') return {type(r), r}"),
        # bulk
        ev("local r = redis.call('GET', 's') return {type(r), r}"),
        # nil bulk -> false
        ev("local r = redis.call('GET', 'nokey') return {type(r), tostring(r)}"),
        ev("return redis.call('GET', 'nokey')"),
        # nil array -> false
        ev("local r = redis.call('BLPOP', 'nolist', 0) return {type(r), tostring(r)}"),
        # status -> {ok=...}
        ev("local r = redis.call('SET', 'x', 1) return {type(r), r.ok}"),
        ev("local r = redis.call('PING') return {type(r), r.ok}"),
        ev("return redis.call('PING')"),
        ev("return redis.call('PING', 'msg')"),
        # error -> {err=...} under pcall
        ev("local r = redis.pcall('INCR', 's') return {type(r), r.err}"),
        ev("return redis.pcall('INCR', 's')"),
        # arrays
        ev("local r = redis.call('LRANGE', 'l', 0, -1) return {type(r), #r, r[1], r[3]}"),
        ev("return redis.call('LRANGE', 'l', 0, -1)"),
        ev("return redis.call('LRANGE', 'nolist', 0, -1)"),
        ev("return redis.call('HGETALL', 'h')"),
        ev("return redis.call('SMEMBERS', 'set')"),
        ev("local r = redis.call('ZSCORE', 'z', 'm') return {type(r), r}"),
        ev("return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')"),
        ev("return redis.call('MGET', 's', 'nokey', 'l')"),
        ev("local r = redis.call('MGET', 's', 'nokey') return {type(r[2]), tostring(r[2])}"),
        ev("return redis.call('EXISTS', 's', 'l', 'nokey')"),
        ev("return redis.call('TYPE', 'z')"),
        ev("return redis.call('HELLO')['proto']"),
        ev("local r = redis.call('SCAN', 0, 'COUNT', 1000) return {r[1], #r[2]}"),
        ev("return redis.call('INCRBYFLOAT', 'f', '1.5')"),
        ev("return redis.call('HRANDFIELD', 'h', 1, 'WITHVALUES')"),
        ev("return redis.call('ECHO', 'echo me')"),
        ev("return redis.call('get', 's')"),
        ev("return redis.call('GeT', 's')"),
        ev("return redis.pcall('gEt', 'l')"),
    ])


def test_redis_call_replies_to_lua_resp3(differ):
    """redis.setresp(3): commands answer in RESP3 inside the script, and the
    converted values go back to the client in the client's protocol."""
    differ([
        'HSET h f v',
        'SADD set m',
        'ZADD z 1.5 m',
        'SET s hello',
        ev("redis.setresp(3); return redis.call('HGETALL', KEYS[1])", 'h', numkeys=1),
        ev("redis.setresp(3); local r = redis.call('HGETALL', 'h') return {type(r), type(r.map), r.map.f}"),
        ev("redis.setresp(3); return redis.call('HGETALL', 'nohash')"),
        ev("redis.setresp(3); return redis.call('SMEMBERS', 'set')"),
        ev("redis.setresp(3); local r = redis.call('SMEMBERS', 'set') return {type(r.set), tostring(r.set.m)}"),
        ev("redis.setresp(3); return redis.call('SMEMBERS', 'noset')"),
        ev("redis.setresp(3); return redis.call('ZSCORE', 'z', 'm')"),
        ev("redis.setresp(3); local r = redis.call('ZSCORE', 'z', 'm') return {type(r), type(r.double), tostring(r.double)}"),
        ev("redis.setresp(3); return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')"),
        ev("redis.setresp(3); return redis.call('ZSCORE', 'z', 'nomember')"),
        ev("redis.setresp(3); local r = redis.call('GET', 'nokey') return {type(r), tostring(r)}"),
        ev("redis.setresp(3); return redis.call('GET', 'nokey')"),
        ev("redis.setresp(3); return redis.call('GET', 's')"),
        ev("redis.setresp(3); return redis.call('INCR', 'n')"),
        ev("redis.setresp(3); return redis.call('PING')"),
        ev("redis.setresp(3); return redis.pcall('INCR', 's')"),
        ev("redis.setresp(3); return redis.call('SISMEMBER', 'set', 'm')"),
        ev("redis.setresp(3); return redis.call('EXISTS', 's')"),
        ev("redis.setresp(3); return redis.call('BLPOP', 'nolist', 0)"),
        ev("redis.setresp(3); local r = redis.call('BLPOP', 'nolist', 0) return type(r)"),
        # DEBUG (and so DEBUG PROTOCOL) is not allowed from scripts in 7.0.
        ev("redis.setresp(3); return redis.call('DEBUG', 'PROTOCOL', 'bignum')"),
        # INFO answers a verbatim string under RESP3 (its text differs
        # between servers: only the conversion is compared).
        ev("redis.setresp(3); local r = redis.call('INFO', 'keyspace') "
           "return {type(r), type(r.verbatim_string), r.verbatim_string.format, "
           "type(r.verbatim_string.string)}"),
        ev("local r = redis.call('INFO', 'keyspace') return type(r)"),
        # RESP3 doubles inside arrays and maps come to Lua as {double=n}.
        ev("redis.setresp(3); local r = redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES') "
           "return {type(r[1]), r[1][1], type(r[1][2]), tostring(r[1][2].double)}"),
        ev("redis.setresp(3); return redis.call('ZRANDMEMBER', 'z', 1, 'WITHSCORES')"),
        ev("redis.setresp(3); return redis.call('ZPOPMIN', 'nozset')"),
        ev("redis.setresp(3); return redis.call('HRANDFIELD', 'h', 1, 'WITHVALUES')"),
        ev("redis.setresp(3); return redis.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', "
           "'WITHSCORES')"),
        ev("redis.setresp(3); return redis.call('MGET', 's', 'nokey')"),
        ev("redis.setresp(3); local r = redis.call('MGET', 's', 'nokey') return {#r, type(r[2])}"),
        ev("redis.setresp(3); return redis.call('INCRBYFLOAT', 'f', '2.5')"),
        ev("redis.setresp(3); return redis.call('ZINCRBY', 'z', 1, 'm')"),
        ev("redis.setresp(3); return redis.call('ZMSCORE', 'z', 'm', 'nomember')"),
        # setresp only lasts for the script that calls it.
        ev("return redis.call('HGETALL', 'h')"),
    ])


def test_protocol_switch_between_scripts(differ):
    """The client protocol changes with HELLO between scripts; a script's
    RESP3 reply follows the protocol of the client at the time."""
    script = "redis.setresp(3) return {map = {a = 1}, set = {}}"
    differ([
        ev("redis.setresp(3) return {map = {a = {double = 1.5}}}"),
        skip_value('HELLO 3'),
        ev("redis.setresp(3) return {map = {a = {double = 1.5}}}"),
        ev("return redis.call('GET', 'nokey')"),
        ev(script),
        skip_value('HELLO 2'),
        ev("redis.setresp(3) return {map = {a = {double = 1.5}}}"),
        ev("return redis.call('GET', 'nokey')"),
        ev("redis.setresp(3) return redis.call('GET', 'nokey')"),
        ev("redis.setresp(3) return true"),
        skip_value('HELLO 3'),
        ev("redis.setresp(3) return true"),
        ev("return true"),
        ev("return false"),
    ])
