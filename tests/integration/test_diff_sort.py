"""Differential tests of SORT and SORT_RO against redis-server 7.0.15."""

import pytest

pytestmark = pytest.mark.needs_commands('rpush', 'sadd', 'zadd', 'hset')


def test_sort_numeric_and_alpha(differ):
    differ([
        'RPUSH l 3 1 2 10 -5 2.5',
        'SORT l',
        'SORT l DESC',
        'SORT l ALPHA',
        'SORT l ALPHA DESC',
        'SORT l LIMIT 1 2',
        'SORT l LIMIT -1 2',
        'SORT l LIMIT 4 100',
        'SORT l LIMIT 10 2',
        'SORT l LIMIT 0 -1',
        'SORT l LIMIT 2 9223372036854775807',  # start + count overflows
        'SORT l LIMIT 9223372036854775807 9223372036854775807',
        'SORT_RO l DESC LIMIT 0 3',
        'RPUSH bad 1 x 2',
        'SORT bad',
        'SORT bad ALPHA',
        'SORT nokey',
        'SET s v',
        'SORT s',
        'SORT l LIMIT a b',
        'SORT l FOO',
        'SORT_RO l STORE dst',
        'SORT l BY',
    ])


def test_sort_by_and_get(differ):
    differ([
        'RPUSH ids 1 2 3 4',
        'MSET w_1 40 w_2 30 w_3 20 w_4 10',
        'MSET name_1 alice name_2 bob name_3 carol',
        'HSET h_1 age 33 nick a1',
        'HSET h_2 age 22 nick b2',
        'HSET h_3 age 11',
        'SORT ids BY w_*',
        'SORT ids BY w_* DESC',
        'SORT ids BY w_* GET name_*',
        'SORT ids BY w_* GET # GET name_* GET h_*->nick',
        'SORT ids BY h_*->age',
        'SORT ids BY h_*->age GET h_*->age',
        'SORT ids BY nosort',
        'SORT ids BY nosort GET # LIMIT 1 2',
        'SORT ids GET nopattern',
        'SORT ids BY w_* ALPHA',
        'SORT ids BY missing_*',
        'SORT ids GET h_*->',
    ])


def test_sort_store(differ):
    differ([
        'RPUSH l 3 1 2',
        'SORT l STORE out',
        'LRANGE out 0 -1',
        'TYPE out',
        'SORT l DESC STORE out',
        'LRANGE out 0 -1',
        'SORT empty STORE out',
        'EXISTS out',
        'SADD s c a b',
        'SORT s BY nosort STORE sout',
        'LRANGE sout 0 -1',
        'SORT l GET missing_* STORE g',
        'LRANGE g 0 -1',
        'SET str x',
        'SORT l STORE str',
        'TYPE str',
    ])


def test_sort_sets_and_zsets(differ):
    differ([
        'SADD s 5 3 9 1',
        'SORT s',
        'SORT s DESC LIMIT 0 2',
        'SADD t b a c',
        'SORT t ALPHA',
        'ZADD z 3 c 1 a 2 b',
        'SORT z ALPHA',
        'SORT z BY nosort',
        'SORT z BY nosort DESC',
        'SORT z BY nosort LIMIT 1 1',
        'ZADD zn 1 10 2 9 3 8',
        'SORT zn',
    ])


def test_sort_getkeys(differ):
    differ([
        'COMMAND GETKEYS SORT abc STORE def',
        'COMMAND GETKEYS SORT abc',
        'COMMAND GETKEYS SORT_RO abc',
    ])


def test_sort_converts_zset_to_skiplist(differ):
    """Found by test_diff_grammar: SORT (and SORT_RO) turn a sorted set into
    its skiplist encoding, even when the sort itself fails."""
    differ([
        'ZADD z 1 a 2 b',
        'OBJECT ENCODING z',
        'SORT z ALPHA',
        'OBJECT ENCODING z',
        'ZADD z2 1 a',
        'SORT_RO z2',
        'OBJECT ENCODING z2',
        'ZADD z3 1 1 2 2',
        'SORT z3 BY nosort LIMIT 0 1',
        'OBJECT ENCODING z3',
        'ZADD z3 3 3',
        'ZRANGE z3 0 -1 WITHSCORES',
    ])


def test_sort_nosort_desc_list(differ):
    """Found by test_diff_grammar: BY nosort on a list keeps its order, read
    from the tail with DESC (LIMIT counts from there)."""
    differ([
        'RPUSH l a b c d',
        'SORT l BY nosort DESC',
        'SORT l BY nosort DESC LIMIT 1 2',
        'SORT l BY nosort LIMIT 1 2',
        'SORT l BY nosort DESC LIMIT -1 10',
        'SORT l BY nosort DESC LIMIT 2 -1',
        'SORT l BY k[0-1] DESC GET # GET w_*',
        'SORT l BY nosort DESC STORE d',
        'LRANGE d 0 -1',
        'SORT_RO l BY nosort DESC',
    ])
