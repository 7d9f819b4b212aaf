"""Differential tests of ACL users against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical: ACL SETUSER with every rule form and every
malformed rule, GETUSER / LIST / USERS / WHOAMI / DELUSER / CAT / GENPASS /
DRYRUN / LOG / HELP / SAVE / LOAD (without an aclfile), AUTH and HELLO AUTH,
requirepass, and the NOPERM refusals at top level, inside MULTI (queue time
and EXEC), in EVAL's redis.call / pcall and for SORT BY / GET. ACL LOG
entries are compared field by field, without the times, ids, addresses and
buffer sizes of client-info.
"""

import pytest

from diff import skip_value

CATEGORIES = ['keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string',
              'bitmap', 'hyperloglog', 'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow',
              'blocking', 'dangerous', 'connection', 'transaction', 'scripting']

RESET = ['ACL SETUSER default reset on nopass ~* &* +@all', 'ACL LOG RESET',
         'CONFIG SET requirepass ""'.replace('""', '')]


@pytest.fixture(autouse=True)
def clean_acl(basalt_server, oracle_server):
    """Every test starts and ends with only the default user and an empty log."""
    def reset():
        for srv in (basalt_server, oracle_server):
            c = srv.client()
            try:
                c.execute_command('AUTH', 'default', 'x')
            except Exception:
                pass
            c.execute_command('CONFIG', 'SET', 'requirepass', '')
            c.execute_command('ACL', 'SETUSER', 'default', 'reset', 'on', 'nopass', '~*', '&*',
                              '+@all')
            users = [u.decode() if isinstance(u, bytes) else u
                     for u in c.execute_command('ACL', 'USERS')]
            others = [u for u in users if u != 'default']
            if others:
                c.execute_command('ACL', 'DELUSER', *others)
            c.execute_command('ACL', 'LOG', 'RESET')
            c.close()
    reset()
    yield
    reset()


def test_setuser_rule_forms(differ):
    differ([
        'ACL SETUSER u1 on >p1 +get +@string -set ~foo %R~bar %W~baz %RW~qux &ch*',
        'ACL SETUSER u20 -@all +select|0 +select|1 +SELECT|2 +select|1',
        'ACL GETUSER u20',
        'ACL GETUSER u1',
        'ACL LIST',
        'ACL SETUSER u1 %R~foo',
        'ACL LIST',
        'ACL SETUSER u2 %RW~* ~foo',
        'ACL SETUSER u3 %R~* <nothing',
        'ACL SETUSER u3 %R~*',
        'ACL SETUSER u4 allkeys allchannels allcommands',
        'ACL SETUSER u5 ~a resetkeys ~b &x resetchannels &y nocommands +ping',
        'ACL SETUSER u6 on nopass',
        'ACL SETUSER u6 >a >b <a',
        'ACL SETUSER u7 #' + 'a' * 64 + ' #' + 'b' * 64 + ' !' + 'a' * 64,
        'ACL SETUSER u8 +@all -@dangerous',
        'ACL SETUSER u9 -@all +@read +@write',
        'ACL SETUSER u10 +config|get',
        'ACL SETUSER u11 +@all -config|set',
        'ACL SETUSER u12 on >x ~* +@all reset',
        'ACL SETUSER u13 skip-sanitize-payload',
        'ACL SETUSER u14 sanitize-payload off on',
        'ACL SETUSER u15 ~ & %R',
        'ACL SETUSER u16 resetpass nopass resetpass',
        'ACL SETUSER u17 +@all -get',
        'ACL SETUSER u18 ~k* &c* (~x* +set) (+get &z)',
        'ACL SETUSER u18 clearselectors',
        'ACL SETUSER u19 ON OFF AllKeys',
        'ACL LIST',
        'ACL USERS',
        'ACL GETUSER u18',
        'ACL GETUSER nosuchuser',
        'ACL GETUSER default',
    ] + ['ACL GETUSER u%d' % i for i in range(2, 20)])


def test_setuser_selectors(differ):
    differ([
        ['ACL', 'SETUSER', 'sel', 'on', '(+get ~a*)', '(+set %W~b* &ch)'],
        'ACL GETUSER sel',
        'ACL LIST',
        ['ACL', 'SETUSER', 'sel2', '(', '+get', ')'],
        ['ACL', 'SETUSER', 'sel3', '(+get', '~x', ')'],
        ['ACL', 'SETUSER', 'sel4', '()'],
        'ACL LIST',
    ])


MALFORMED = [
    'bad', '+nocmd', '+@nocat', '-@nocat', '+@', '%X~a', '%~a', '%', '%RR~a', '%WW~a', '<nope',
    '!' + 'c' * 64, '#abc', '#' + 'A' * 64, '!xyz', '+config|get|x', '+get|x|y', '-select|0',
    '+config|', '+debug|', '-config|get|x', '+config|nope', '-nocmd', '+', '-', ')',
    '(badop)', '(+get ~a %X~b)', '(+nocmd)', 'allkeys ~b', 'allchannels &x', '~* %R~foo',
    '&* &x', 'on bad off',
]


@pytest.mark.parametrize('rule', MALFORMED)
def test_setuser_malformed_rules(differ, rule):
    differ([
        ['ACL', 'SETUSER', 'm', 'on', '>keep', '~k'],
        ['ACL', 'SETUSER', 'm'] + rule.split(' '),
        'ACL LIST',
    ])


def test_setuser_errors(differ):
    differ([
        ['ACL', 'SETUSER', '(+get', '~a'],
        ['ACL', 'SETUSER', 'x', '(+get', '~a'],
        ['ACL', 'SETUSER', 'x', 'on', '(+get', '~a', '(+set)'],
        ['ACL', 'SETUSER', 'a b', 'on'],
        ['ACL', 'SETUSER', 'a\x00b'],
        ['ACL', 'SETUSER', 'a\tb'],
        'ACL SETUSER',
        'ACL GETUSER',
        'ACL GETUSER a b',
        'ACL DELUSER',
        'ACL USERS x',
        'ACL WHOAMI x',
        'ACL LIST x',
        'ACL NOSUCH',
        'ACL',
        'ACL LOG 1 2',
        'ACL CAT a b',
        'ACL GENPASS 1 2',
        'ACL DRYRUN x',
        'ACL DRYRUN x get',
    ])


def test_deluser_users_whoami(differ):
    differ([
        'ACL SETUSER a on',
        'ACL SETUSER b on',
        'ACL SETUSER c on',
        'ACL USERS',
        'ACL DELUSER a nosuch',
        'ACL DELUSER b default c',
        'ACL USERS',
        'ACL DELUSER default',
        'ACL DELUSER b c c',
        'ACL USERS',
        'ACL WHOAMI',
    ])


def test_cat(differ):
    differ(['ACL CAT', 'ACL CAT nosuch', 'ACL CAT a b'])


def _command_names(client):
    names = set()
    for name, info in client.execute_command('COMMAND').items():
        names.add(name)
        for sub in info.get('subcommands', []):
            names.add(sub[0])
    return names


def test_cat_per_category(basalt, oracle):
    """Each category lists the same commands, as sets; the oracle's commands
    Basalt does not have (CLUSTER, MIGRATE, ...) are left out, and so are
    Basalt's own (CONSISTENCY, docs/consistency.md; FENCE, docs/failover.md)."""
    known = _command_names(basalt)
    own = known - _command_names(oracle)
    assert own and all(n.split('|')[0] in ('consistency', 'fence') for n in own), own
    known -= own
    for cat in CATEGORIES + ['READ', 'Write']:
        mine = set(basalt.execute_command('ACL', 'CAT', cat)) - own
        theirs = set(oracle.execute_command('ACL', 'CAT', cat))
        assert mine == theirs & known, (cat, mine ^ (theirs & known))
        assert mine, cat


def test_genpass(differ):
    differ([
        skip_value('ACL GENPASS'),
        skip_value('ACL GENPASS 1'),
        skip_value('ACL GENPASS 5'),
        skip_value('ACL GENPASS 4096'),
        'ACL GENPASS 0',
        'ACL GENPASS -1',
        'ACL GENPASS 4097',
        'ACL GENPASS abc',
    ])


def test_genpass_lengths(basalt, oracle):
    for bits in (1, 4, 5, 64, 255, 256, 4096):
        a = basalt.execute_command('ACL', 'GENPASS', bits)
        b = oracle.execute_command('ACL', 'GENPASS', bits)
        assert len(a) == len(b) == (bits + 3) // 4
        assert int(a, 16) >= 0
    assert basalt.execute_command('ACL', 'GENPASS') != basalt.execute_command('ACL', 'GENPASS')


def test_help(differ):
    differ(['ACL HELP', 'ACL HELP x'])


def test_save_load_without_aclfile(differ):
    differ(['ACL SAVE', 'ACL LOAD'])


def test_dryrun(differ):
    differ([
        'ACL SETUSER t1 on >pw ~foo %R~r* +@all &ch',
        'ACL DRYRUN t1 get bar',
        'ACL DRYRUN t1 get foo',
        'ACL DRYRUN t1 get r1',
        'ACL DRYRUN t1 set r1 1',
        'ACL DRYRUN t1 set foo 1',
        'ACL DRYRUN t1 publish x 1',
        'ACL DRYRUN t1 publish ch 1',
        'ACL DRYRUN t1 subscribe ch x',
        'ACL DRYRUN t1 nocmd',
        'ACL DRYRUN nouser get a',
        'ACL DRYRUN t1 get',
        'ACL DRYRUN t1 config nosub',
        'ACL DRYRUN t1 config get maxmemory',
        'ACL SETUSER t2 on >pw -@all +get +config|get',
        'ACL DRYRUN t2 set a b',
        'ACL DRYRUN t2 config set maxmemory 0',
        'ACL DRYRUN t2 config get maxmemory',
        'ACL DRYRUN t2 get anykey',
        'ACL SETUSER t3 on -@all +select|0 +select|2',
        'ACL DRYRUN t3 select 0',
        'ACL DRYRUN t3 select 2',
        'ACL DRYRUN t3 select 1',
        'ACL SETUSER t4 on +@all ~a* (+set ~b*)',
        'ACL DRYRUN t4 set b1 x',
        'ACL DRYRUN t4 set c1 x',
        'ACL DRYRUN t4 mset a1 x c1 y',
        'ACL DRYRUN t4 copy a1 b1',
    ])


def test_auth_forms(differ):
    differ([
        'AUTH x',
        'AUTH default x',
        'AUTH nouser x',
        'AUTH a b c',
        'ACL SETUSER u on >pw +@all ~*',
        'ACL SETUSER off1 off >pw +@all',
        'ACL SETUSER np on nopass +@all',
        'AUTH off1 pw',
        'AUTH u bad',
        'AUTH np anything',
        'ACL WHOAMI',
        'AUTH u pw',
        'ACL WHOAMI',
        'AUTH default whatever',
        'ACL WHOAMI',
        'HELLO 2 AUTH u bad',
        skip_value('HELLO 2 AUTH u pw SETNAME n1'),
        'ACL WHOAMI',
        'CLIENT GETNAME',
        'HELLO 2 AUTH u',
        'RESET',
        'ACL WHOAMI',
    ])


def test_requirepass_is_default_password(differ):
    differ([
        'CONFIG SET requirepass secret',
        'ACL GETUSER default',
        'ACL WHOAMI',
        'AUTH wrong',
        'AUTH secret',
        'AUTH default secret',
        'ACL SETUSER u on >pw +@all',
        'AUTH u pw',
        'ACL WHOAMI',
        'RESET',
        'GET x',
        'ACL WHOAMI',
        'AUTH default secret',
        'CONFIG SET requirepass ""'.replace('""', ''),
    ] + [['CONFIG', 'SET', 'requirepass', ''], 'ACL GETUSER default', 'AUTH x'])


def test_noperm_toplevel(differ):
    differ([
        'ACL SETUSER t1 on >pw ~foo %R~r* %W~w* +@all -flushall &ch &pat*',
        'SET r1 v',
        'AUTH t1 pw',
        'GET foo',
        'GET bar',
        'GET r1',
        'SET r1 x',
        'SET w1 x',
        'GET w1',
        'APPEND w1 x',
        'LPUSH w2 a',
        'RPOPLPUSH r1 w1',
        'COPY r1 w9',
        'EXISTS r1 nope',
        'MSET foo 1 bar 2',
        'MGET foo bar',
        'FLUSHALL',
        'PUBLISH x 1',
        'PUBLISH ch 1',
        'PUBLISH patA 1',
        'CONFIG GET maxmemory',
        'ACL WHOAMI',
        'ACL SETUSER t1 -config|get',
        'CONFIG GET maxmemory',
        'CONFIG SET maxmemory 0',
    ])


def test_noperm_subscribe(differ):
    differ([
        'ACL SETUSER s on >pw +@all ~* &news.* &exact',
        'AUTH s pw',
        'SUBSCRIBE other',
        'SUBSCRIBE news.a other',
        'PSUBSCRIBE news.*',
        'PSUBSCRIBE news.a*',
        'SSUBSCRIBE other',
        'SUBSCRIBE news.1 exact',
        'UNSUBSCRIBE',
    ])


def test_noperm_multi(differ):
    differ([
        'ACL SETUSER m on >pw +@all -set %R~r* ~rw*',
        'AUTH m pw',
        'MULTI',
        'GET r1',
        'SET rw1 x',
        'GET other',
        'EXEC',
        'MULTI',
        'GET r1',
        'INCR rw1',
        'EXEC',
        'ACL SETUSER m2 on >pw -@all +get ~*',
        'AUTH m2 pw',
        'MULTI',
        'EXEC',
    ])


def test_noperm_exec_rules_changed(differ, basalt_server, oracle_server):
    """Rules changed between MULTI and EXEC: EXEC re-checks each command."""
    for srv in (basalt_server, oracle_server):
        c = srv.client()
        c.execute_command('ACL', 'SETUSER', 'e', 'on', '>pw', '+@all', '~*', '&*')
        c.close()
    replies = {}
    for name, srv in (('basalt', basalt_server), ('oracle', oracle_server)):
        with srv.raw() as r, srv.raw() as admin:
            out = [r.command('AUTH', 'e', 'pw'), r.command('MULTI'), r.command('SET', 'a', '1'),
                   r.command('GET', 'a'), r.command('PUBLISH', 'ch', 'x')]
            out.append(admin.command('ACL', 'SETUSER', 'e', '-set', 'resetkeys', '%R~*',
                                     'resetchannels'))
            out.append(r.command('EXEC'))
            replies[name] = out
    assert replies['basalt'] == replies['oracle']
    assert b'ACLs rules changed' in replies['oracle'][-1]


def test_noperm_scripts(differ):
    differ([
        'ACL SETUSER s1 on >pw +@all -set ~a* &c1',
        'SET b v',
        'AUTH s1 pw',
        ['EVAL', "return redis.call('set','a','b')", '0'],
        ['EVAL', "return redis.call('get','b')", '0'],
        ['EVAL', "return redis.pcall('get','b')", '0'],
        ['EVAL', "return redis.pcall('set','a','b')", '0'],
        ['EVAL', "return redis.call('publish','zz','x')", '0'],
        ['EVAL', "return redis.call('publish','c1','x')", '0'],
        ['EVAL', "return redis.call('get','a1')", '0'],
        ['EVAL', "return redis.acl_check_cmd('set','a','b')", '0'],
        ['EVAL', "return redis.acl_check_cmd('get','a1')", '0'],
        ['EVAL', "return redis.acl_check_cmd('get','b')", '0'],
        ['EVAL', "return redis.acl_check_cmd('nocmd')", '0'],
    ])


def test_noperm_sort(differ):
    differ([
        'RPUSH a1 3 1 2',
        'ACL SETUSER s on >pw +@all ~a*',
        'ACL SETUSER full on >pw +@all %R~* ~a*',
        'AUTH s pw',
        'SORT a1',
        'SORT a1 BY nosort',
        'SORT a1 BY b*',
        'SORT a1 GET #',
        'SORT a1 LIMIT 0 1 GET #',
        'SORT_RO a1 BY w_*',
        'SORT a1 STORE b1',
        'SORT a1 STORE a2',
        'AUTH full pw',
        'SORT a1 BY b*',
        'SORT a1 GET # GET x*',
    ])


def _entries(client):
    """ACL LOG without the fields that differ by nature (times, ids, addresses)."""
    keep = ('name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'cmd', 'user', 'resp')
    out = []
    for e in client.execute_command('ACL', 'LOG'):
        if isinstance(e, list):
            e = dict(zip(e[0::2], e[1::2]))
        e = {(k.decode() if isinstance(k, bytes) else k): v for k, v in e.items()}
        info = e['client-info']
        info = info.decode() if isinstance(info, bytes) else info
        fields = dict(f.split('=', 1) for f in info.split(' '))
        e['client-info'] = {k: fields.get(k) for k in keep}
        assert float(e.pop('age-seconds')) >= 0
        out.append(e)
    return out


def test_acl_log_entries(basalt_server, oracle_server):
    logs = {}
    for name, srv in (('basalt', basalt_server), ('oracle', oracle_server)):
        admin = srv.client()
        admin.execute_command('ACL', 'SETUSER', 'l', 'on', '>pw', '+@all', '-flushall', '~k*',
                              '&ch')
        with srv.raw() as r:
            r.command('AUTH', 'l', 'pw')
            r.command('GET', 'x1')
            r.command('GET', 'x1')
            r.command('SET', 'x2', 'v')
            r.command('FLUSHALL')
            r.command('PUBLISH', 'nope', 'm')
            r.command('AUTH', 'l', 'wrong')
            r.command('auth', 'nouser', 'x')
            r.command('HELLO', '2', 'AUTH', 'l', 'wrong')
            r.command('MULTI')
            r.command('GET', 'x3')
            r.command('DISCARD')
            r.command('EVAL', "return redis.pcall('get','x4')", '0')
            r.command('CLIENT', 'SETNAME', 'named')
            r.command('GET', 'x5')
        logs[name] = _entries(admin)
        assert len(admin.execute_command('ACL', 'LOG', '2')) == 2
        assert admin.execute_command('ACL', 'LOG', 'RESET') in (b'OK', 'OK', True)
        assert admin.execute_command('ACL', 'LOG') == []
        admin.close()
    assert logs['basalt'] == logs['oracle']
    assert len(logs['oracle']) == 10


def test_acllog_max_len(differ, basalt_server, oracle_server):
    differ(['CONFIG SET acllog-max-len 2', 'CONFIG GET acllog-max-len'])
    try:
        counts = []
        for srv in (basalt_server, oracle_server):
            admin = srv.client()
            admin.execute_command('ACL', 'SETUSER', 'z', 'on', '>pw', '-@all')
            with srv.raw() as r:
                r.command('AUTH', 'z', 'pw')
                for cmd in ('GET', 'SET', 'DEL', 'INCR'):
                    r.command(cmd, 'k')
            counts.append([e[1] if isinstance(e, list) else e
                           for e in admin.execute_command('ACL', 'LOG')])
            admin.close()
        assert len(counts[0]) == len(counts[1]) == 2
    finally:
        differ(['CONFIG SET acllog-max-len 128'])


def test_client_list_user_and_kill_user(differ):
    differ([
        'ACL SETUSER k on >pw +@all ~*',
        'AUTH k pw',
        'CLIENT KILL USER nosuch',
        'CLIENT KILL USER k SKIPME yes',
        'ACL WHOAMI',
    ])


def test_acl_pubsub_default(differ):
    try:
        differ([
            'CONFIG SET acl-pubsub-default allchannels',
            'CONFIG GET acl-pubsub-default',
            'ACL SETUSER p1 on',
            'ACL SETUSER p2 on &x',
            'ACL SETUSER p3 on resetchannels (+get)',
            'ACL SETUSER p4 on >pw ~* &x reset',
            'ACL LIST',
            'CONFIG SET acl-pubsub-default resetchannels',
            'ACL SETUSER p5 on (+get)',
            'ACL LIST',
            'CONFIG SET acl-pubsub-default nosuch',
        ])
    finally:
        differ(['CONFIG SET acl-pubsub-default resetchannels'])
