"""Differential tests of Redis Functions (FUNCTION *, FCALL, FCALL_RO) against
redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical. Libraries survive FLUSHALL, so every test
starts with FUNCTION FLUSH. FUNCTION LIST walks a dictionary: where a reply
holds several libraries the step is unordered, and libraries listed next to
others have a single function (the order of the functions inside a library is
not defined either).
"""

import pytest

from diff import skip_value, unordered
from test_diff_scripting import compare_script_counters

pytestmark = pytest.mark.needs_commands('function', 'fcall', 'fcall_ro')


def lib(name, body):
    return '#!lua name=%s\n%s' % (name, body)


def load(code, replace=False):
    return ['FUNCTION', 'LOAD'] + (['REPLACE'] if replace else []) + [code]


ECHO_LIB = lib('echolib', "redis.register_function('echo', function(keys, args) "
                          "return {keys, args} end)")
RW_LIB = lib('rwlib', """
redis.register_function('setk', function(keys, args)
  return redis.call('SET', keys[1], args[1])
end)
redis.register_function{function_name = 'getk', callback = function(keys, args)
  return redis.call('GET', keys[1])
end, flags = {'no-writes'}}
""")


def test_function_load_and_fcall(differ):
    differ([
        'FUNCTION FLUSH',
        load(ECHO_LIB),
        ['FCALL', 'echo', '2', 'k1', 'k2', 'a1', 'a2'],
        ['FCALL', 'echo', '0'],
        ['FCALL', 'echo', '0', 'a', b'\x00\xff'],
        ['fcall', 'ECHO', '0'],
        ['FCALL_RO', 'echo', '1', 'k'],
        load(RW_LIB),
        ['FCALL', 'setk', '1', 'k', 'v'],
        ['FCALL', 'getk', '1', 'k'],
        ['FCALL_RO', 'getk', '1', 'k'],
        ['FCALL_RO', 'setk', '1', 'k', 'x'],
        'GET k',
        # A library's functions see keys and args as arguments, not globals.
        load(lib('globs', "redis.register_function('g', function(keys, args) "
                          "return {type(KEYS), type(ARGV)} end)")),
        ['FCALL', 'g', '0'],
        load(lib('ret', "redis.register_function('many', function() return 1, 2 end)\n"
                        "redis.register_function('none', function() end)\n"
                        "redis.register_function('tbl', function() "
                        "return {1, 'two', {ok = 'st'}, {err = 'E inner'}, 3.5} end)\n"
                        "redis.register_function('status', function() "
                        "return redis.status_reply('FINE') end)\n"
                        "redis.register_function('err', function() "
                        "return redis.error_reply('MYERR bad') end)\n")),
        ['FCALL', 'many', '0'],
        ['FCALL', 'none', '0'],
        ['FCALL', 'tbl', '0'],
        ['FCALL', 'status', '0'],
        ['FCALL', 'err', '0'],
        # Libraries survive FLUSHALL and SCRIPT FLUSH.
        'FLUSHALL',
        'SCRIPT FLUSH',
        ['FCALL', 'echo', '0', 'still'],
        'FUNCTION FLUSH',
        ['FCALL', 'echo', '0'],
    ])


def test_function_load_replace(differ):
    v1 = lib('mylib', "redis.register_function('f', function() return 1 end)")
    v2 = lib('mylib', "redis.register_function('f', function() return 2 end)\n"
                      "redis.register_function('g', function() return 'g' end)")
    differ([
        'FUNCTION FLUSH',
        load(v1),
        load(v1),
        ['FCALL', 'f', '0'],
        load(v2),
        ['FCALL', 'f', '0'],
        load(v2, replace=True),
        ['FCALL', 'f', '0'],
        ['FCALL', 'g', '0'],
        ['FUNCTION', 'LOAD', 'replace', v1],
        ['FCALL', 'f', '0'],
        ['FCALL', 'g', '0'],
        # A function name belongs to one library: another library may not take it.
        load(lib('other', "redis.register_function('f', function() return 3 end)")),
        load(lib('other', "redis.register_function('f', function() return 3 end)"),
             replace=True),
        ['FCALL', 'f', '0'],
        # A failed REPLACE keeps the old library.
        load(lib('mylib', "redis.register_function('f', function() return 4 end) error('x')"),
             replace=True),
        ['FCALL', 'f', '0'],
        load(lib('mylib', 'return +'), replace=True),
        ['FCALL', 'f', '0'],
        ['FUNCTION', 'LOAD', 'REPLACE'],
        ['FUNCTION', 'LOAD', 'BADOPT', v1],
        ['FUNCTION', 'LOAD', 'REPLACE', 'REPLACE', v1],
        ['FUNCTION', 'LOAD', v1, 'extra'],
        ['FUNCTION', 'LOAD'],
        'FUNCTION FLUSH',
    ])


def test_function_load_metadata_errors(differ):
    def body(fn):
        return "redis.register_function('%s', function() return '%s' end)" % (fn, fn)
    differ([
        'FUNCTION FLUSH',
        load(body('f1')),
        load('#!lua\n' + body('f2')),
        load('#!lua name=\n' + body('f3')),
        load('#!lua name=bad-name\n' + body('f4')),
        load('#!lua name=bad.name\n' + body('f5')),
        load('#!lua name=ok_Name_9\n' + body('f6')),
        ['FCALL', 'f6', '0'],
        load('#!lua name=a name=b\n' + body('f7')),
        load('#!lua name=x foo=bar\n' + body('f8')),
        load('#!lua name=y flags=no-writes\n' + body('f9')),
        load('#!lua name=z\n'),
        load('#!lua name=z'),
        load('#!notlua name=z\n' + body('f10')),
        load('#!LUA name=upper\n' + body('f11')),
        ['FCALL', 'f11', '0'],
        load('#! lua name=z\n' + body('f12')),
        load('#!lua  name=twospaces\n' + body('f13')),
        ['FCALL', 'f13', '0'],
        load('#!lua name=trailing \n' + body('f14')),
        load('#!lua name=crlf\r\n' + body('f15')),
        load(''),
        load('#!'),
        load('#!lua name=nofuncs\nlocal x = 1'),
        load('#!lua name=nofuncs\nreturn 1'),
        load('#!lua name=compile\nreturn +'),
        load('#!lua name=compile3\n\n\nreturn +'),
        # The load-time environment has neither error nor the redis.call family.
        load('#!lua name=runtime\nerror("at load")'),
        load('#!lua name=runtime2\nlocal t = nil; t.x = 1'),
        load('#!lua name=glob\nx = 1'),
        load('#!lua name=glob2\nreturn undefined_global'),
        load('#!lua name=callatload\nredis.call("SET", "k", "v")'),
        load('#!lua name=pcallatload\nredis.pcall("PING")'),
        load('#!lua name=logatload\nredis.log(redis.LOG_NOTICE, "loading") ' + body('logf')),
        load('#!lua name=setrespatload\nredis.setresp(3)'),
        load('#!lua name=sha\nlocal s = redis.sha1hex("x") ' + body('shaf')),
        load('#!lua name=ver\nlocal v = redis.REDIS_VERSION redis.register_function('
             '"verf", function() return v end)'),
        ['FCALL', 'verf', '0'],
        'EXISTS k',
        'FUNCTION FLUSH',
    ])


def test_function_load_environment(differ):
    """What library code can reach while it is being loaded: a name that is
    there gives "No functions registered", one that is not an error."""
    names = ['math', 'string', 'table', 'tostring', 'tonumber', 'pairs', 'ipairs', 'type',
             'error', 'pcall', 'assert', 'setmetatable', 'unpack', 'loadstring', 'cjson', 'bit',
             'struct', 'cmsgpack', 'KEYS', 'ARGV', '_G', 'os',
             'redis.log', 'redis.register_function', 'redis.setresp', 'redis.error_reply',
             'redis.status_reply', 'redis.REDIS_VERSION_NUM', 'redis.LOG_WARNING',
             'redis.sha1hex', 'redis.breakpoint', 'redis.debug', 'redis.set_repl', 'redis.REPL_ALL',
             'redis.acl_check_cmd', 'redis.replicate_commands', 'redis.call', 'redis.pcall',
             'math.random', 'string.format']
    script = ['FUNCTION FLUSH']
    for n in names:
        script.append(load('#!lua name=probe\nlocal x = %s' % n))
    script += [
        load('#!lua name=probe\nlocal x = redis.nosuchfield'),
        load('#!lua name=probe\nredis.newfield = 1'),
        load('#!lua name=probe\nredis = nil'),
        load('#!lua name=probe\nlocal r = redis.register_function redis.register_function = nil'),
        'FUNCTION LIST',
    ]
    differ(script)


def test_register_function_forms(differ):
    differ([
        'FUNCTION FLUSH',
        # Positional form.
        load(lib('l1', "redis.register_function('p', function(k, a) return 'p' end)")),
        ['FCALL', 'p', '0'],
        # Table form, with and without flags.
        load(lib('l2', "redis.register_function{function_name = 't', "
                       "callback = function() return 't' end}")),
        ['FCALL', 't', '0'],
        load(lib('l3', "redis.register_function{function_name = 'tf', "
                       "callback = function() return redis.call('PING') end, "
                       "flags = {'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', "
                       "'allow-cross-slot-keys'}}")),
        ['FCALL', 'tf', '0'],
        ['FCALL_RO', 'tf', '0'],
        load(lib('l4', "redis.register_function{function_name = 'te', "
                       "callback = function() return 1 end, flags = {}}")),
        ['FCALL', 'te', '0'],
        ['FCALL_RO', 'te', '0'],
        # Errors in the arguments.
        load(lib('e1', "redis.register_function()")),
        load(lib('e2', "redis.register_function('only_name')")),
        load(lib('e3', "redis.register_function('f', 'notafunction')")),
        load(lib('e4', "redis.register_function(1, function() end)")),
        load(lib('e5', "redis.register_function('f', function() end, 'extra')")),
        load(lib('e6', "redis.register_function{callback = function() end}")),
        load(lib('e7', "redis.register_function{function_name = 'x'}")),
        load(lib('e8', "redis.register_function{function_name = 'x', "
                       "callback = function() end, bogus = 1}")),
        load(lib('e9', "redis.register_function{function_name = 'x', "
                       "callback = function() end, flags = 'no-writes'}")),
        load(lib('e10', "redis.register_function{function_name = 'x', "
                        "callback = function() end, flags = {'bogus'}}")),
        load(lib('e11', "redis.register_function{function_name = 'x', "
                        "callback = function() end, flags = {1}}")),
        load(lib('e12', "redis.register_function{function_name = 1, "
                        "callback = function() end}")),
        load(lib('e13', "redis.register_function{function_name = 'x', callback = 'x'}")),
        load(lib('e14', "redis.register_function({})")),
        # description (shown by FUNCTION LIST; a number is taken as its string).
        load(lib('d1', "redis.register_function{function_name = 'df', "
                       "callback = function() return 1 end, description = 'my desc'}")),
        load(lib('d2', "redis.register_function{function_name = 'df2', "
                       "callback = function() return 1 end, description = 5}")),
        load(lib('d3', "redis.register_function{function_name = 'df3', "
                       "callback = function() return 1 end, description = {}}")),
        'FUNCTION LIST LIBRARYNAME d1',
        'FUNCTION LIST LIBRARYNAME d2',
        # Functions registered in a loop, closures over the loop variable.
        load(lib('loop', "for i = 1, 3 do redis.register_function('lf' .. i, "
                         "function() return i end) end")),
        ['FCALL', 'lf2', '0'],
        # (three functions in one library: their order in FUNCTION LIST is not
        # defined, so the library goes before the listing below)
        'FUNCTION DELETE loop',
        # keys / args are fresh tables the function may change.
        load(lib('kt', "redis.register_function('kt', function(keys, args) "
                       "keys[1] = 'changed' args[5] = 'x' return {#keys, #args, keys[1]} end)")),
        ['FCALL', 'kt', '1', 'k', 'a'],
        ['FCALL', 'kt', '1', 'k', 'a'],
        # Function names.
        load(lib('n1', "redis.register_function('bad-name', function() end)")),
        load(lib('n2', "redis.register_function('', function() end)")),
        load(lib('n3', "redis.register_function('has space', function() end)")),
        load(lib('n4', "redis.register_function('Mixed_Case_9', function() return 9 end)")),
        ['FCALL', 'Mixed_Case_9', '0'],
        ['FCALL', 'mixed_case_9', '0'],
        # Twice the same name in one library.
        load(lib('dup', "redis.register_function('d', function() end)\n"
                        "redis.register_function('d', function() end)")),
        # The name of another library's function.
        load(lib('dup2', "redis.register_function('p', function() end)")),
        # register_function is only available while loading.
        load(lib('late', "redis.register_function('late', function() "
                         "redis.register_function('x', function() end) end)")),
        ['FCALL', 'late', '0'],
        load(lib('late2', "redis.register_function('late2', function() "
                          "return type(redis.register_function) end)")),
        ['FCALL', 'late2', '0'],
        unordered('FUNCTION LIST'),
        'FUNCTION FLUSH',
    ])


def test_fcall_errors(differ):
    differ([
        'FUNCTION FLUSH',
        load(ECHO_LIB),
        ['FCALL', 'nosuchfunc', '0'],
        ['FCALL_RO', 'nosuchfunc', '0'],
        ['FCALL', 'echo', '-1'],
        ['FCALL', 'echo', '1'],
        ['FCALL', 'echo', '3', 'a', 'b'],
        ['FCALL', 'echo', 'x'],
        ['FCALL', 'echo', '1.5'],
        ['FCALL', 'echo', ''],
        ['FCALL', 'nosuchfunc', '-1'],
        ['FCALL', 'nosuchfunc', 'x'],
        ['FCALL_RO', 'echo', '-1'],
        ['FCALL_RO', 'echo', '2', 'a'],
        'FCALL',
        'FCALL echo',
        'FCALL_RO echo',
        ['FCALL', '', '0'],
        ['FCALL', 'echolib', '0'],
        'FUNCTION FLUSH',
    ])


def test_function_runtime_errors(differ):
    code = lib('errs', """
redis.register_function('boom', function() error('boom') end)
redis.register_function('nilidx', function() local t = nil; return t.x end)
redis.register_function('tblerr', function() error({err = 'CODE from table'}) end)
redis.register_function('callerr', function(keys) return redis.call('INCR', keys[1]) end)
redis.register_function('pcallerr', function(keys) return redis.pcall('INCR', keys[1]) end)
redis.register_function('unknown', function() return redis.call('NOSUCH') end)
redis.register_function('arity', function() return redis.call('GET') end)
redis.register_function('badarg', function() return redis.call('SET', 'k', {}) end)
redis.register_function('glob', function() x = 1 end)
redis.register_function('readglob', function() return undefined_global end)
redis.register_function('wrongtype', function(keys) return redis.call('LPUSH', keys[1], 'x') end)
redis.register_function('forbidden', function() return redis.call('MULTI') end)
redis.register_function('evalin', function() return redis.call('EVAL', 'return 1', 0) end)
redis.register_function('fcallin', function() return redis.call('FCALL', 'boom', 0) end)
redis.register_function('line3', function()
  local a = 1
  error('on a later line')
end)
""")
    differ([
        'FUNCTION FLUSH',
        load(code),
        'SET s str',
        ['FCALL', 'boom', '0'],
        ['FCALL', 'nilidx', '0'],
        ['FCALL', 'tblerr', '0'],
        ['FCALL', 'callerr', '1', 's'],
        ['FCALL', 'pcallerr', '1', 's'],
        ['FCALL', 'unknown', '0'],
        ['FCALL', 'arity', '0'],
        ['FCALL', 'badarg', '0'],
        ['FCALL', 'glob', '0'],
        ['FCALL', 'readglob', '0'],
        ['FCALL', 'wrongtype', '1', 's'],
        ['FCALL', 'forbidden', '0'],
        ['FCALL', 'evalin', '0'],
        ['FCALL', 'fcallin', '0'],
        ['FCALL', 'line3', '0'],
        ['FCALL_RO', 'boom', '0'],
        # Scripts cannot call functions either.
        ['EVAL', "return redis.call('FCALL', 'boom', 0)", '0'],
        'FUNCTION FLUSH',
    ])


def test_function_flags(differ):
    code = lib('flagged', """
redis.register_function{function_name = 'ro_write', flags = {'no-writes'},
  callback = function(keys) return redis.call('SET', keys[1], 'x') end}
redis.register_function{function_name = 'ro_pwrite', flags = {'no-writes'},
  callback = function(keys) return redis.pcall('SET', keys[1], 'x') end}
redis.register_function{function_name = 'ro_read', flags = {'no-writes'},
  callback = function(keys) return redis.call('GET', keys[1]) end}
redis.register_function{function_name = 'rw', flags = {'allow-oom', 'allow-stale'},
  callback = function(keys) return redis.call('SET', keys[1], 'rw') end}
redis.register_function{function_name = 'cross', flags = {'allow-cross-slot-keys'},
  callback = function(keys) return redis.call('MGET', keys[1], keys[2]) end}
redis.register_function{function_name = 'nocluster', flags = {'no-cluster'},
  callback = function() return 'nc' end}
redis.register_function('plain', function(keys) return redis.call('SET', keys[1], 'p') end)
""")
    differ([
        'FUNCTION FLUSH',
        load(code),
        'SET k v',
        ['FCALL', 'ro_write', '1', 'k'],
        ['FCALL', 'ro_pwrite', '1', 'k'],
        ['FCALL', 'ro_read', '1', 'k'],
        ['FCALL_RO', 'ro_read', '1', 'k'],
        ['FCALL_RO', 'ro_write', '1', 'k'],
        ['FCALL', 'rw', '1', 'k'],
        ['FCALL_RO', 'rw', '1', 'k'],
        'GET k',
        ['FCALL', 'cross', '2', 'k', 'other'],
        ['FCALL', 'nocluster', '0'],
        ['FCALL', 'plain', '1', 'k'],
        ['FCALL_RO', 'plain', '1', 'k'],
        'GET k',
        'FUNCTION FLUSH',
    ])


def test_function_resp3_and_setresp(differ):
    code = lib('resp', """
redis.register_function('hgetall3', function(keys)
  redis.setresp(3)
  return redis.call('HGETALL', keys[1])
end)
redis.register_function('hgetall2', function(keys)
  return redis.call('HGETALL', keys[1])
end)
redis.register_function('types3', function()
  redis.setresp(3)
  return {{double = 1.5}, {big_number = '12345678901234567890'}, true, false,
          {set = {a = true}}, {map = {k = 'v'}}}
end)
redis.register_function('zscore3', function(keys)
  redis.setresp(3)
  local r = redis.call('ZSCORE', keys[1], 'm')
  return {type(r), tostring(r.double)}
end)
""")
    differ([
        'FUNCTION FLUSH',
        load(code),
        'HSET h f v',
        'ZADD z 2.5 m',
        ['FCALL', 'hgetall3', '1', 'h'],
        ['FCALL', 'hgetall2', '1', 'h'],
        ['FCALL', 'types3', '0'],
        ['FCALL', 'zscore3', '1', 'z'],
        'FUNCTION FLUSH',
    ])


def test_fcall_in_multi(differ):
    differ([
        'FUNCTION FLUSH',
        load(RW_LIB),
        'MULTI',
        ['FCALL', 'setk', '1', 'k', 'in-multi'],
        ['FCALL', 'getk', '1', 'k'],
        ['FCALL_RO', 'getk', '1', 'k'],
        ['FCALL', 'nosuch', '0'],
        ['FCALL', 'getk', '5'],
        'EXEC',
        'MULTI',
        load(ECHO_LIB),
        ['FCALL', 'echo', '0', 'x'],
        'FUNCTION DELETE echolib',
        'EXEC',
        'MULTI',
        'FCALL',
        'EXEC',
        'FUNCTION FLUSH',
    ])


def test_function_list(differ):
    one = lib('libone', "redis.register_function('fone', function() return 1 end)")
    two = lib('libtwo', "redis.register_function{function_name = 'ftwo', "
                        "callback = function() return 2 end, "
                        "flags = {'no-writes', 'allow-stale'}}")
    other = lib('other', "redis.register_function{function_name = 'fother', "
                         "callback = function() return 3 end, "
                         "flags = {'allow-oom', 'no-cluster', 'allow-cross-slot-keys', "
                         "'no-writes', 'allow-stale'}}")
    differ([
        'FUNCTION FLUSH',
        'FUNCTION LIST',
        'FUNCTION LIST WITHCODE',
        load(one),
        'FUNCTION LIST',
        'FUNCTION LIST WITHCODE',
        load(two),
        load(other),
        unordered('FUNCTION LIST'),
        unordered('FUNCTION LIST WITHCODE'),
        'FUNCTION LIST LIBRARYNAME libone',
        unordered('FUNCTION LIST LIBRARYNAME lib*'),
        unordered('FUNCTION LIST LIBRARYNAME lib'),
        'FUNCTION LIST LIBRARYNAME nomatch',
        'FUNCTION LIST LIBRARYNAME other WITHCODE',
        'FUNCTION LIST WITHCODE LIBRARYNAME other',
        'FUNCTION LIST LIBRARYNAME OTHER',
        unordered('FUNCTION LIST LIBRARYNAME *'),
        'FUNCTION LIST LIBRARYNAME ?ther',
        'FUNCTION LIST LIBRARYNAME',
        'FUNCTION LIST WITHCODE WITHCODE',
        'FUNCTION LIST LIBRARYNAME a LIBRARYNAME b',
        'FUNCTION LIST BOGUS',
        'function list libraryname libtwo withcode',
        'FUNCTION FLUSH',
    ])


def test_function_list_multi_function_library(differ):
    """One library with two functions: the order of the functions is that of
    a dictionary, so only the shape and the library fields are compared."""
    code = lib('multi', "redis.register_function('a1', function() end)\n"
                        "redis.register_function('a2', function() end)")
    differ([
        'FUNCTION FLUSH',
        load(code),
        skip_value('FUNCTION LIST'),
        'FUNCTION FLUSH',
    ])


def test_function_delete_and_flush(differ):
    one = lib('libone', "redis.register_function('fone', function() return 1 end)")
    two = lib('libtwo', "redis.register_function('ftwo', function() return 2 end)")
    differ([
        'FUNCTION FLUSH',
        load(one),
        load(two),
        'FUNCTION DELETE libone',
        'FUNCTION DELETE libone',
        ['FCALL', 'fone', '0'],
        ['FCALL', 'ftwo', '0'],
        'FUNCTION DELETE fone',
        'FUNCTION DELETE LIBTWO',
        'FUNCTION DELETE',
        'FUNCTION DELETE a b',
        'FUNCTION LIST',
        load(one),
        'FUNCTION FLUSH ASYNC',
        'FUNCTION LIST',
        load(one),
        'FUNCTION FLUSH SYNC',
        'FUNCTION LIST',
        'function flush async',
        'FUNCTION FLUSH BAD',
        'FUNCTION FLUSH SYNC ASYNC',
        'FUNCTION FLUSH SYNC extra',
        # A deleted library's function names are free again.
        load(one),
        'FUNCTION DELETE libone',
        load(lib('newowner', "redis.register_function('fone', function() return 'new' end)")),
        ['FCALL', 'fone', '0'],
        'FUNCTION FLUSH',
        'FUNCTION LIST',
    ])


def _oracle_dump(differ, codes):
    """The FUNCTION DUMP payload of the oracle holding exactly `codes`."""
    with differ.oracle_server.raw() as c:
        c.command('FUNCTION', 'FLUSH')
        for code in codes:
            c.command('FUNCTION', 'LOAD', code)
        payload = c.call('FUNCTION', 'DUMP')
        c.command('FUNCTION', 'FLUSH')
    assert isinstance(payload, bytes), payload
    return payload


def test_function_dump_restore(differ):
    one = lib('libone', "redis.register_function('fone', function() return 1 end)")
    two = lib('libtwo', "redis.register_function('ftwo', function() return 2 end)")
    one_v2 = lib('libone', "redis.register_function('fone', function() return 'v2' end)")
    dump_one = _oracle_dump(differ, [one])
    dump_none = _oracle_dump(differ, [])
    dump_one_v2 = _oracle_dump(differ, [one_v2])
    dump_two_libs = _oracle_dump(differ, [one, two])
    with differ.oracle_server.raw() as c:
        c.command('SET', 'dumped', 'v')
        key_dump = c.call('DUMP', 'dumped')
        c.command('DEL', 'dumped')
    differ([
        'FUNCTION FLUSH',
        # The payload bytes (RDB function opcodes, RDB version, CRC64) must match.
        'FUNCTION DUMP',
        load(one),
        'FUNCTION DUMP',
        ['FUNCTION', 'RESTORE', dump_one],
        ['FUNCTION', 'RESTORE', dump_one, 'APPEND'],
        ['FUNCTION', 'RESTORE', dump_one_v2],
        ['FCALL', 'fone', '0'],
        ['FUNCTION', 'RESTORE', dump_one_v2, 'REPLACE'],
        ['FCALL', 'fone', '0'],
        'FUNCTION DUMP',
        load(two),
        ['FUNCTION', 'RESTORE', dump_one, 'FLUSH'],
        ['FCALL', 'fone', '0'],
        ['FCALL', 'ftwo', '0'],
        'FUNCTION LIST',
        ['FUNCTION', 'RESTORE', dump_none, 'FLUSH'],
        'FUNCTION LIST',
        ['FUNCTION', 'RESTORE', dump_one, 'flush'],
        ['FCALL', 'fone', '0'],
        ['FUNCTION', 'RESTORE', dump_none],
        ['FUNCTION', 'RESTORE', dump_one, 'BOGUS'],
        ['FUNCTION', 'RESTORE', dump_one, 'REPLACE', 'FLUSH'],
        ['FUNCTION', 'RESTORE', b'not a payload'],
        ['FUNCTION', 'RESTORE', b''],
        ['FUNCTION', 'RESTORE', dump_one[:-1]],
        ['FUNCTION', 'RESTORE', dump_one[:-2] + bytes([dump_one[-2] ^ 1]) + dump_one[-1:]],
        ['FUNCTION', 'RESTORE', dump_one[:3] + bytes([dump_one[3] ^ 0x20]) + dump_one[4:]],
        'FUNCTION RESTORE',
        'FUNCTION DUMP extra',
        # A payload whose libraries partly collide restores nothing.
        'FUNCTION FLUSH',
        load(two),
        ['FUNCTION', 'RESTORE', dump_two_libs],
        'FUNCTION LIST',
        ['FCALL', 'fone', '0'],
        ['FUNCTION', 'RESTORE', dump_two_libs, 'REPLACE'],
        ['FCALL', 'fone', '0'],
        'FUNCTION FLUSH',
        ['FUNCTION', 'RESTORE', dump_one],
        # A key's DUMP payload (valid checksum) is not a function payload.
        ['FUNCTION', 'RESTORE', key_dump],
        ['RESTORE', 'k2', '0', dump_one],
        'EXISTS k2',
        'FUNCTION LIST',
        'FUNCTION FLUSH',
    ])


def test_function_dump_restore_round_trip(differ):
    """DUMP then RESTORE on the same server, with two libraries (their order in
    the payload is a dictionary's, so the payload is not compared)."""
    one = lib('libone', "redis.register_function('fone', function() return 1 end)")
    two = lib('libtwo', "redis.register_function{function_name = 'ftwo', "
                        "callback = function() return 2 end, flags = {'no-writes'}}")
    replies = differ([
        'FUNCTION FLUSH',
        load(one),
        load(two),
        skip_value('FUNCTION DUMP'),
    ])
    assert replies[-1].startswith(b'$')
    # Each server restores its own payload.
    for srv in (differ.basalt_server, differ.oracle_server):
        with srv.raw() as c:
            payload = c.call('FUNCTION', 'DUMP')
            assert c.command('FUNCTION', 'FLUSH') == b'+OK\r\n'
            assert c.command('FUNCTION', 'RESTORE', payload) == b'+OK\r\n'
    differ([
        unordered('FUNCTION LIST WITHCODE'),
        ['FCALL', 'fone', '0'],
        ['FCALL_RO', 'ftwo', '0'],
        'FUNCTION FLUSH',
    ])


def test_function_stats_kill_help(differ):
    differ([
        'FUNCTION FLUSH',
        'FUNCTION STATS',
        load(lib('s1', "redis.register_function('a', function() end)\n"
                       "redis.register_function('b', function() end)")),
        load(lib('s2', "redis.register_function('c', function() end)")),
        'FUNCTION STATS',
        'FUNCTION STATS extra',
        'FUNCTION KILL',
        'FUNCTION KILL extra',
        'FUNCTION HELP',
        'FUNCTION HELP extra',
        'FUNCTION NOSUCHSUB',
        'function nosuchsub a b',
        'FUNCTION',
        'FUNCTION FLUSH',
        'FUNCTION STATS',
    ])


def test_functions_and_scripts_are_separate(differ):
    differ([
        'FUNCTION FLUSH',
        'SCRIPT FLUSH',
        load(lib('sep', "redis.register_function('sepf', function() return 'f' end)")),
        ['SCRIPT', 'LOAD', 'return 1'],
        'SCRIPT FLUSH',
        ['FCALL', 'sepf', '0'],
        ['SCRIPT', 'LOAD', 'return 1'],
        'FUNCTION FLUSH',
        ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
        # EVAL of library code is a plain script with an invalid shebang.
        ['EVAL', lib('sep', "redis.register_function('sepf', function() end)"), '0'],
        ['EVAL', "return redis.register_function", '0'],
        'SCRIPT FLUSH',
    ])


def test_function_counters_in_info(basalt_server, oracle_server):
    """number_of_functions / number_of_libraries, commandstats of FCALL and of
    the commands functions run, errorstats."""
    lib = ('#!lua name=statlib\n'
           'redis.register_function("f1", function() return redis.call("PING") end)\n'
           'redis.register_function("f2", function() return redis.call("INCR", "s") end)\n'
           'redis.register_function{function_name = "f3", flags = {"no-writes"}, '
           'callback = function() return redis.call("SET", "s", 1) end}')
    script = [
        ['FUNCTION', 'FLUSH'],
        ['CONFIG', 'RESETSTAT'],
        ['SET', 's', 'x'],
        ['FUNCTION', 'LOAD', lib],
        ['FUNCTION', 'LOAD', lib],
        ['FUNCTION', 'LOAD', '#!lua name=other\nredis.register_function("o", function() end)'],
        ['FCALL', 'f1', '0'],
        ['FCALL', 'f2', '0'],
        ['FCALL', 'f3', '0'],
        ['FCALL', 'nosuch', '0'],
        ['FCALL_RO', 'f2', '0'],
        ['FCALL', 'o', '5'],
    ]
    compare_script_counters(basalt_server, oracle_server, script,
                            ['number_of_functions', 'number_of_libraries'],
                            ['fcall', 'fcall_ro', 'ping', 'incr', 'set', 'function|load'])
    for srv in (basalt_server, oracle_server):
        with srv.raw() as c:
            c.command('FUNCTION', 'FLUSH')
