"""Seeded random command sequences across every type and transactions,
run on Basalt and on redis-server 7.0.15 with every reply compared.

A small keyspace makes types collide (WRONGTYPE paths), small values make
integers, intsets and listpack encodings common, and larger batches push
collections past their conversion thresholds. Replies whose order Redis
leaves unspecified (set members, hash-table iteration) are compared as
multisets; everything else byte for byte. MULTI blocks contain only commands
with a deterministic reply, so the EXEC array can be compared exactly.
"""

import random

import pytest

from diff import skip_value, unordered, unordered_pairs

pytestmark = pytest.mark.needs_commands('hset', 'rpush', 'sadd', 'zadd', 'setbit', 'pfadd')

# Keys come from per-type pools, so most commands act on a value of their own
# type; one time in seven a key of any type is used, to reach WRONGTYPE paths.
POOLS = {t: ['%s%d' % (t, i) for i in range(3)] for t in ('str', 'hash', 'list', 'set', 'zset', 'hll')}
KEYS = sum(POOLS.values(), [])


def key(r, t):
    return r.choice(KEYS) if r.random() < 0.15 else r.choice(POOLS[t])


def gen_value(r):
    return r.choice(['1', '2', '10', '-3', '007', 'a', 'bb', 'x' * r.randint(1, 80),
                     str(r.randint(-1000, 1000)), '3.5', ''])


def members(r, n):
    pool = [str(i) for i in range(20)] + ['m%d' % i for i in range(20)]
    return [r.choice(pool) for _ in range(n)]


def exact_command(r):
    """A command whose reply is deterministic, with random arguments."""
    v = gen_value(r)
    i = str(r.randint(-5, 5))
    choices = [
        # strings and keys
        lambda: ['SET', key(r, 'str'), v], lambda: ['GET', key(r, 'str')], lambda: ['APPEND', key(r, 'str'), v],
        lambda: ['INCR', key(r, 'str')], lambda: ['INCRBY', key(r, 'str'), i], lambda: ['DECR', key(r, 'str')],
        lambda: ['STRLEN', key(r, 'str')], lambda: ['GETRANGE', key(r, 'str'), i, str(r.randint(-3, 20))],
        lambda: ['SETRANGE', key(r, 'str'), str(r.randint(0, 10)), v], lambda: ['MSET', key(r, 'str'), v, key(r, 'str'), gen_value(r)],
        lambda: ['MGET', key(r, 'str'), key(r, 'str')], lambda: ['GETDEL', key(r, 'str')], lambda: ['SETNX', key(r, 'str'), v],
        lambda: ['GETSET', key(r, 'str'), v], lambda: ['INCRBYFLOAT', key(r, 'str'), r.choice(['1.5', '-0.25', '3'])],
        lambda: ['DEL', key(r, 'str'), key(r, 'str')], lambda: ['EXISTS', key(r, 'str'), key(r, 'str')], lambda: ['TYPE', r.choice(KEYS)],
        lambda: ['RENAME', key(r, 'str'), key(r, 'str')], lambda: ['PERSIST', key(r, 'str')], lambda: ['EXPIRE', key(r, 'str'), '100'],
        lambda: ['OBJECT', 'ENCODING', r.choice(KEYS)], lambda: ['COPY', key(r, 'str'), key(r, 'str'), 'REPLACE'],
        # hashes
        lambda: ['HSET', key(r, 'hash')] + sum(([f, gen_value(r)] for f in members(r, r.randint(1, 4))), []),
        lambda: ['HGET', key(r, 'hash'), r.choice(members(r, 1))], lambda: ['HDEL', key(r, 'hash')] + members(r, 2),
        lambda: ['HLEN', key(r, 'hash')], lambda: ['HEXISTS', key(r, 'hash'), members(r, 1)[0]],
        lambda: ['HINCRBY', key(r, 'hash'), members(r, 1)[0], i], lambda: ['HMGET', key(r, 'hash')] + members(r, 3),
        lambda: ['HSTRLEN', key(r, 'hash'), members(r, 1)[0]], lambda: ['HSETNX', key(r, 'hash'), members(r, 1)[0], v],
        # lists
        lambda: ['LPUSH', key(r, 'list')] + members(r, r.randint(1, 4)), lambda: ['RPUSH', key(r, 'list')] + members(r, 3),
        lambda: ['LPOP', key(r, 'list')], lambda: ['RPOP', key(r, 'list'), str(r.randint(1, 3))], lambda: ['LLEN', key(r, 'list')],
        lambda: ['LRANGE', key(r, 'list'), i, str(r.randint(-2, 10))], lambda: ['LINDEX', key(r, 'list'), i],
        lambda: ['LSET', key(r, 'list'), i, v], lambda: ['LREM', key(r, 'list'), i, members(r, 1)[0]],
        lambda: ['LINSERT', key(r, 'list'), r.choice(['BEFORE', 'AFTER']), members(r, 1)[0], v],
        lambda: ['LTRIM', key(r, 'list'), i, str(r.randint(-3, 10))], lambda: ['LPOS', key(r, 'list'), members(r, 1)[0]],
        lambda: ['LMOVE', key(r, 'list'), key(r, 'list'), r.choice(['LEFT', 'RIGHT']), r.choice(['LEFT', 'RIGHT'])],
        # sets (replies that are counts or booleans)
        lambda: ['SADD', key(r, 'set')] + members(r, r.randint(1, 5)), lambda: ['SREM', key(r, 'set')] + members(r, 2),
        lambda: ['SCARD', key(r, 'set')], lambda: ['SISMEMBER', key(r, 'set'), members(r, 1)[0]],
        lambda: ['SMISMEMBER', key(r, 'set')] + members(r, 3), lambda: ['SMOVE', key(r, 'set'), key(r, 'set'), members(r, 1)[0]],
        lambda: ['SINTERSTORE', key(r, 'set'), key(r, 'set'), r.choice(KEYS)], lambda: ['SUNIONSTORE', key(r, 'set'), key(r, 'set'), key(r, 'set')],
        lambda: ['SDIFFSTORE', key(r, 'set'), key(r, 'set'), r.choice(KEYS)], lambda: ['SINTERCARD', '2', key(r, 'set'), key(r, 'set')],
        # sorted sets
        lambda: ['ZADD', key(r, 'zset')] + sum(([str(r.randint(-5, 5)), m] for m in members(r, 3)), []),
        lambda: ['ZINCRBY', key(r, 'zset'), i, members(r, 1)[0]], lambda: ['ZREM', key(r, 'zset')] + members(r, 2),
        lambda: ['ZCARD', key(r, 'zset')], lambda: ['ZSCORE', key(r, 'zset'), members(r, 1)[0]],
        lambda: ['ZRANK', key(r, 'zset'), members(r, 1)[0]], lambda: ['ZRANGE', key(r, 'zset'), '0', '-1', 'WITHSCORES'],
        lambda: ['ZRANGEBYSCORE', key(r, 'zset'), '(-2', '+inf'], lambda: ['ZCOUNT', key(r, 'zset'), '-1', '3'],
        lambda: ['ZPOPMIN', key(r, 'zset')], lambda: ['ZPOPMAX', key(r, 'zset'), '2'], lambda: ['ZREMRANGEBYRANK', key(r, 'zset'), '0', '0'],
        lambda: ['ZUNIONSTORE', key(r, 'zset'), '2', key(r, 'zset'), r.choice(KEYS)], lambda: ['ZINTERSTORE', key(r, 'zset'), '2', key(r, 'zset'), key(r, 'zset')],
        # bitmaps and HyperLogLog
        lambda: ['SETBIT', key(r, 'str'), str(r.randint(0, 64)), r.choice(['0', '1'])],
        lambda: ['GETBIT', key(r, 'str'), str(r.randint(0, 64))], lambda: ['BITCOUNT', key(r, 'str')],
        lambda: ['BITPOS', key(r, 'str'), r.choice(['0', '1'])], lambda: ['PFADD', key(r, 'hll')] + members(r, 3),
        lambda: ['PFCOUNT', key(r, 'hll')],
    ]
    return r.choice(choices)()


def unordered_command(r):
    return r.choice([
        lambda: unordered('SMEMBERS', key(r, 'set')),
        lambda: unordered('SINTER', key(r, 'set'), key(r, 'set')),
        lambda: unordered('SUNION', key(r, 'set'), key(r, 'set')),
        lambda: unordered('SDIFF', key(r, 'set'), key(r, 'set')),
        lambda: unordered('HKEYS', key(r, 'hash')), lambda: unordered('HVALS', key(r, 'hash')),
        lambda: unordered_pairs('HGETALL', key(r, 'hash')), lambda: unordered('KEYS', '*'),
        lambda: skip_value('TTL', r.choice(KEYS)),
    ])()


def bulk_grow(r):
    """A batch past the listpack/intset thresholds, to reach the big encodings."""
    kind = r.choice(['hash', 'list', 'set', 'zset', 'intset'])
    k = r.choice(POOLS['set' if kind == 'intset' else kind])
    n = r.randint(120, 600)
    if kind == 'hash':
        return ['HSET', k] + sum((['f%d' % j, 'v%d' % j] for j in range(n)), [])
    if kind == 'list':
        return ['RPUSH', k] + ['e%d' % j for j in range(n)]
    if kind == 'set':
        return ['SADD', k] + ['s%d' % j for j in range(n)]
    if kind == 'intset':
        return ['SADD', k] + [str(j * 7) for j in range(n)]
    return ['ZADD', k] + sum(([str(j % 17), 'z%d' % j] for j in range(n)), [])


def generate(seed, length=500):
    r = random.Random(seed)
    steps = []
    while len(steps) < length:
        roll = r.random()
        if roll < 0.08:
            steps.append('MULTI')
            for _ in range(r.randint(1, 6)):
                steps.append(exact_command(r))
            steps.append(r.choice(['EXEC'] * 5 + ['DISCARD']))
        elif roll < 0.12:
            steps.append(bulk_grow(r))
        elif roll < 0.22:
            steps.append(unordered_command(r))
        else:
            steps.append(exact_command(r))
    return steps


@pytest.mark.parametrize('seed', range(1, 11))
def test_random_sequences_match_oracle(differ, seed):
    differ(generate(seed))
