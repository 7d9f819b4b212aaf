"""Differential tests of the GEO commands against redis-server.

Every script runs on Basalt and on the oracle, in RESP2 and RESP3, and the
reply bytes must be identical: GEOADD (NX XX CH, coordinate limits, the
52-bit scores it stores), GEODIST in every unit, GEOHASH, GEOPOS (17-digit
coordinates, RESP3 doubles), GEOSEARCH / GEOSEARCHSTORE (FROMMEMBER,
FROMLONLAT, BYRADIUS, BYBOX, ASC, DESC, COUNT [ANY], WITH*, STOREDIST) and
GEORADIUS / GEORADIUS_RO / GEORADIUSBYMEMBER / GEORADIUSBYMEMBER_RO with
every option and error, near the poles and the antimeridian, radius 0 and
absurd radii, missing keys and wrong types, and seeded random searches over
a few thousand points (including many points at the same place, so the
order of equal distances under COUNT is compared too). Also what they write
to the AOF, their keyspace events, dirty and hit/miss counters and COMMAND
INFO.
"""

import os
import random

import pytest

from helpers import info_int, wait_link_up
from repl_util import PAIRS, assert_identical, start
from resp_client import RespError, parse_reply

GEO_COMMANDS = ['geoadd', 'geodist', 'geohash', 'geopos', 'geosearch', 'geosearchstore',
                'georadius', 'georadius_ro', 'georadiusbymember', 'georadiusbymember_ro']

SICILY = 'GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania'


def test_geoadd(differ):
    differ([
        SICILY,
        'ZRANGE Sicily 0 -1 WITHSCORES',
        'GEOADD Sicily 13.361389 38.115556 Palermo',
        'GEOADD Sicily CH 13.361389 38.115556 Palermo 13.5 38.1 Palermo',
        'GEOADD Sicily NX 1 1 Palermo 2 2 new',
        'GEOADD Sicily XX 3 3 Palermo 4 4 ghost',
        'GEOADD Sicily xx ch 3 3.5 Palermo',
        'GEOADD Sicily nx CH xx 1 1 a',
        'GEOADD Sicily ch ch ch',
        'GEOADD Sicily CH nx CH 5 5 twice 6 6 twice',
        'ZRANGE Sicily 0 -1 WITHSCORES',
        'GEOADD nokey XX 1 1 a',
        'EXISTS nokey',
        'GEOADD Sicily 1 2',
        'GEOADD Sicily 1 2 a 3',
        'GEOADD Sicily GT 1 2 a',
        'GEOADD Sicily GT 1 a',
        'GEOADD Sicily 181 0 a',
        'GEOADD Sicily -180.0001 0 a',
        'GEOADD Sicily 0 85.05112879 a',
        'GEOADD Sicily 0 -85.05112879 a',
        'GEOADD Sicily 1 1 ok 200 0 bad',
        'EXISTS ok',
        'GEOADD Sicily nan 0 a',
        'GEOADD Sicily 0 inf a',
        'GEOADD Sicily -inf 0 a',
        'GEOADD Sicily 1e400 0 a',
        'GEOADD Sicily abc 0 a',
        'GEOADD Sicily 0x10 0 a',
        'GEOADD Sicily 1e-320 -0 tiny',
        'GEOADD Sicily 180 85.05112878 ne 180 -85.05112878 se -180 85.05112878 nw',
        'GEOADD Sicily -180 -85.05112878 sw 0 0 zero -0.0 -0.0 negzero',
        'ZRANGE Sicily 0 -1 WITHSCORES',
        'OBJECT ENCODING Sicily',
        'SET s v',
        'GEOADD s 1 1 a',
        'GEOADD s 200 1 a',
        'GEOADD',
        'GEOADD k 1 1',
    ])


def test_geoadd_encoding_follows_zset_limits(differ):
    differ([
        'CONFIG SET zset-max-listpack-entries 2',
        'GEOADD g 1 1 a 2 2 b',
        'OBJECT ENCODING g',
        'GEOADD g 3 3 c',
        'OBJECT ENCODING g',
        'GEOADD long 1 1 ' + 'm' * 100,
        'OBJECT ENCODING long',
        'GEOPOS g a b c',
        'CONFIG SET zset-max-listpack-entries 128',
    ])


def test_geopos_geohash_geodist(differ):
    differ([
        SICILY,
        'GEOADD Sicily 180 85.05112878 ne -180 -85.05112878 sw 0 0 zero 179.9999 0 east',
        'GEOADD Sicily -179.9999 0 west 13.361389 38.115556 Palermo2 -0.00001 0.00001 tiny',
        'GEOPOS Sicily Palermo Catania nosuch ne sw zero east west tiny',
        'GEOPOS Sicily',
        'GEOPOS nokey a b',
        'GEOHASH Sicily Palermo Catania nosuch ne sw zero east west tiny',
        'GEOHASH Sicily',
        'GEOHASH nokey a',
        'GEODIST Sicily Palermo Catania',
        'GEODIST Sicily Palermo Catania m',
        'GEODIST Sicily Palermo Catania KM',
        'GEODIST Sicily Palermo Catania ft',
        'GEODIST Sicily Palermo Catania Mi',
        'GEODIST Sicily Palermo Palermo2',
        'GEODIST Sicily Palermo Palermo',
        'GEODIST Sicily east west',
        'GEODIST Sicily ne sw km',
        'GEODIST Sicily zero tiny',
        'GEODIST Sicily Palermo nosuch',
        'GEODIST Sicily nosuch Palermo km',
        'GEODIST Sicily Palermo Catania parsecs',
        'GEODIST Sicily Palermo Catania km extra',
        'GEODIST nokey a b',
        'GEODIST nokey a b parsecs',
        'GEODIST Sicily a',
        'SET s v',
        'GEOPOS s a',
        'GEOHASH s a',
        'GEODIST s a b',
        'GEODIST s a b parsecs',
    ])


def test_scores_not_written_by_geoadd(differ):
    """A plain sorted set: scores outside the 52-bit range still decode."""
    differ([
        'ZADD z 0 zero 1 one 0.5 half 4503599627370495 max52 4503599627370496 over',
        'ZADD z -1 neg 1e300 huge -inf ninf inf pinf 123456789.75 frac',
        'GEOPOS z zero one half max52 over neg huge ninf pinf frac',
        'GEOHASH z zero one half max52 over neg huge ninf pinf frac',
        'GEODIST z zero max52',
        'GEODIST z neg huge km',
        'GEOSEARCH z FROMLONLAT 0 0 BYRADIUS 30000 km WITHHASH WITHCOORD WITHDIST',
        'GEORADIUSBYMEMBER z frac 100 km WITHHASH',
    ])


def _search_fixture():
    return [
        SICILY,
        'GEOADD Sicily 12.758489 38.788135 edge1 17.241510 38.788135 edge2',
        'GEOADD Sicily 13.5 38.2 same1 13.5 38.2 same2 13.5 38.2 same3 13.5 38.2 same0',
        'GEOADD Sicily 14.0 37.0 south 14.0 39.0 north 11.5 37.9 west 16.5 37.6 east',
    ]


def test_geosearch_options(differ):
    differ(_search_fixture() + [
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km WITHDIST WITHCOORD WITHHASH',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km withhash',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km withcoord withdist',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km ASC WITHDIST',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km DESC WITHCOORD',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 200 200 mi COUNT 3',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 3',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 3 DESC',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 3 ANY',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 3 ANY ASC',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 100 ANY DESC',
        'GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 500 km COUNT 1 COUNT 2',
        'GEOSEARCH Sicily FROMMEMBER same1 BYRADIUS 1 m',
        'GEOSEARCH Sicily FROMMEMBER same1 BYRADIUS 1 m COUNT 2',
        'GEOSEARCH Sicily FROMMEMBER same1 BYRADIUS 100 km COUNT 3 WITHDIST',
        'GEOSEARCH Sicily FROMMEMBER same1 BYRADIUS 100 km COUNT 5 DESC WITHDIST',
        'GEOSEARCH Sicily FROMMEMBER same1 BYRADIUS 0 m',
        'GEOSEARCH Sicily FROMMEMBER same1 BYBOX 0 0 m',
        'GEOSEARCH Sicily FROMLONLAT 13.5 38.2 BYRADIUS 0 km WITHDIST',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200000 ft WITHDIST ASC',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 m',
        'geosearch Sicily fromlonlat 15 37 byradius 200 KM asc withdist',
        'GEOSEARCH Sicily BYRADIUS 200 km FROMLONLAT 15 37',
        'GEOSEARCH Sicily ASC BYBOX 300 300 km WITHDIST FROMMEMBER Catania',
        'GEOSEARCH Sicily FROMLONLAT 15 37 FROMLONLAT 13 38 BYRADIUS 100 km',
        'GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 10 km BYRADIUS 200 km',
        'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCH nokey FROMMEMBER nosuch BYRADIUS 200 km',
        'GEOSEARCH nokey FROMMEMBER nosuch BYBOX 1 1 km WITHDIST COUNT 2 ANY',
    ])


def test_geosearch_errors(differ):
    differ(_search_fixture() + [
        'GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 200 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37',
        'GEOSEARCH Sicily BYRADIUS 200 km ASC',
        'GeoSearch Sicily BYRADIUS 200 km ASC',
        'GEOSEARCH Sicily FROMLONLAT 15 37 ASC WITHDIST',
        'geosearch Sicily FROMLONLAT 15 37 ASC WITHDIST',
        'GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1',
        'GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMMEMBER',
        'GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMLONLAT x 37 BYRADIUS 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS nan km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 parsecs',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x x parsecs',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 parsecs',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT -3',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT x',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE d',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km foo',
        'GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS x km',
        'GEOSEARCH Sicily BYRADIUS x km FROMMEMBER nosuch',
        'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km ANY',
        'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS -1 km',
        'GEOSEARCH nokey FROMLONLAT 15 37',
        'SET s v',
        'GEOSEARCH s FROMLONLAT 15 37 BYRADIUS 1 km',
        'GEOSEARCH s FROMLONLAT 500 37 BYRADIUS 1 km',
        'GEOSEARCH s foo',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS',
    ])


def test_geosearchstore(differ):
    differ(_search_fixture() + [
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'ZRANGE d 0 -1 WITHSCORES',
        'OBJECT ENCODING d',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST',
        'ZRANGE d 0 -1 WITHSCORES',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km storedist COUNT 2 DESC',
        'ZRANGE d 0 -1 WITHSCORES',
        'GEOSEARCHSTORE d Sicily FROMMEMBER same1 BYRADIUS 10 mi STOREDIST',
        'ZRANGE d 0 -1 WITHSCORES',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYBOX 500 500 km COUNT 4 ANY STOREDIST',
        'ZRANGE d 0 -1 WITHSCORES',
        'SET d str',
        'EXPIRE d 1000',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'TTL d',
        'TYPE d',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 0 0 BYRADIUS 1 km',
        'EXISTS d',
        'SET d str',
        'GEOSEARCHSTORE d nokey FROMLONLAT 0 0 BYRADIUS 1 km',
        'EXISTS d',
        'GEOSEARCHSTORE d nokey FROMLONLAT 0 0 BYRADIUS 1 km',
        'GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 100 km',
        'ZRANGE Sicily 0 -1 WITHSCORES',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x',
        'GEOSEARCHSTORE d Sicily FROMLONLAT 15 37',
        'GEOSEARCHSTORE d Sicily BYRADIUS 1 km',
        'gEoSeArChStOrE d Sicily BYRADIUS 1 km',
        'GEOSEARCHSTORE d Sicily',
        'SET s v',
        'GEOSEARCHSTORE d s FROMLONLAT 0 0 BYRADIUS 1 km',
        'GEOSEARCHSTORE s Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'TYPE s',
    ])


def test_georadius(differ):
    differ(_search_fixture() + [
        'GEORADIUS Sicily 15 37 200 km',
        'GEORADIUS Sicily 15 37 200 km ASC',
        'GEORADIUS Sicily 15 37 200 km DESC WITHDIST WITHCOORD WITHHASH',
        'GEORADIUS Sicily 15 37 200 km WITHHASH COUNT 2',
        'GEORADIUS Sicily 15 37 200 km COUNT 2 ANY',
        'GEORADIUS Sicily 15 37 200 km COUNT 2 ANY DESC',
        'GEORADIUS Sicily 15 37 124000 mi',
        'GEORADIUS Sicily 15 37 0 km',
        'GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC',
        'GEORADIUS_RO Sicily 15 37 200 km COUNT 3 WITHCOORD',
        'GEORADIUSBYMEMBER Sicily Palermo 100 km',
        'GEORADIUSBYMEMBER Sicily Palermo 100 km WITHDIST ASC COUNT 3',
        'GEORADIUSBYMEMBER Sicily same2 1 m WITHDIST',
        'GEORADIUSBYMEMBER_RO Sicily Catania 200 km DESC WITHHASH',
        'GEORADIUS Sicily 15 37 200 km STORE d',
        'ZRANGE d 0 -1 WITHSCORES',
        'GEORADIUS Sicily 15 37 200 km STOREDIST d2 ASC COUNT 2',
        'ZRANGE d2 0 -1 WITHSCORES',
        'GEORADIUS Sicily 15 37 200 km store d3 storedist d4',
        'EXISTS d3 d4',
        'GEORADIUSBYMEMBER Sicily Palermo 100 km STORE d5',
        'ZRANGE d5 0 -1 WITHSCORES',
        'GEORADIUSBYMEMBER Sicily Palermo 100 mi StoreDist d5',
        'ZRANGE d5 0 -1 WITHSCORES',
        'GEORADIUS Sicily 0 0 1 km STORE d5',
        'EXISTS d5',
        'GEORADIUS nokey 0 0 1 km STORE d',
        'EXISTS d',
        'GEORADIUS nokey 0 0 1 km STORE d',
        'GEORADIUS nokey 0 0 1 km',
        'GEORADIUSBYMEMBER nokey Palermo 1 km',
        'GEORADIUSBYMEMBER nokey Palermo -1 parsecs',
        'GEORADIUSBYMEMBER nokey Palermo -1 parsecs WITHDIST STORE d',
        'GEORADIUSBYMEMBER nokey Palermo -1 parsecs bogus',
        'GEORADIUSBYMEMBER nokey Palermo -1 parsecs STORE d',
        'GEORADIUS Sicily 15 37 200 km STORE d WITHDIST',
        'GEORADIUS Sicily 15 37 200 km WITHCOORD STOREDIST d',
        'GEORADIUS Sicily 15 37 200 km STORE',
        'GEORADIUS_RO Sicily 15 37 200 km STORE d',
        'GEORADIUS_RO Sicily 15 37 200 km STOREDIST d',
        'GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE d',
        'GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1',
        'GEORADIUS Sicily 15 37 200 km BYRADIUS 1 km',
        'GEORADIUS Sicily 15 37 200 km COUNT 0',
        'GEORADIUS Sicily 15 37 200 km ANY',
        'GEORADIUS Sicily 15 37 -200 km',
        'GEORADIUS Sicily 15 37 x km',
        'GEORADIUS Sicily 15 37 200 parsecs',
        'GEORADIUS Sicily 195 37 200 km',
        'GEORADIUS Sicily 15 x 200 km',
        'GEORADIUS nokey 15 x 200 km',
        'GEORADIUSBYMEMBER Sicily nosuch 200 km',
        'GEORADIUSBYMEMBER Sicily Palermo -1 km',
        'GEORADIUSBYMEMBER Sicily Palermo 1 parsecs',
        'GEORADIUSBYMEMBER Sicily nosuch -1 parsecs',
        'SET s v',
        'GEORADIUS s 15 37 200 km',
        'GEORADIUS s 500 37 200 km',
        'GEORADIUSBYMEMBER s a 200 km',
        'GEORADIUS Sicily 15 37 200 km STORE s',
        'TYPE s',
        'GEORADIUS Sicily 15 37 200',
        'GEORADIUSBYMEMBER Sicily Palermo 200',
    ])


def test_poles_antimeridian_and_absurd_radii(differ):
    points = []
    for lon in (-180, -179.9999, -179.5, 179.5, 179.9999, 180):
        for lat in (-85.05112878, -85, -80, -66.5, 0, 66.5, 80, 85, 85.05112878):
            points += [str(lon), str(lat), 'p%s_%s' % (lon, lat)]
    differ([
        ['GEOADD', 'w'] + points,
        'GEOADD w 0 0 origin 0.0001 0 e1 -0.0001 0 w1 0 0.0001 n1 0 -0.0001 s1',
        'GEOSEARCH w FROMLONLAT 180 0 BYRADIUS 200 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT -180 0 BYRADIUS 200 km DESC WITHDIST',
        'GEOSEARCH w FROMLONLAT 179.9 66 BYBOX 400 400 km ASC WITHCOORD',
        'GEOSEARCH w FROMLONLAT 0 85.05112878 BYRADIUS 500 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 -85.05112878 BYRADIUS 5000 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 179 85 BYRADIUS 100 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT -179 -84 BYBOX 1000 100 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 0 m WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 12 m ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYBOX 25 25 m ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 1e30 km ASC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 1e30 km',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS inf km COUNT 5',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS +inf m COUNT 5 DESC WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYBOX 1e30 1e30 km COUNT 5 WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYBOX inf inf km COUNT 5 WITHDIST',
        'GEOSEARCH w FROMLONLAT 10 10 BYBOX inf 1 km WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 20000 km ASC COUNT 7 WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 1e-300 m WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 4.9e-324 m WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS 1e400 km',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS -inf km',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS -0 km WITHDIST',
        'GEOSEARCH w FROMLONLAT 0 0 BYRADIUS NaN km',
        'GEOSEARCH w FROMLONLAT 0 0 BYBOX nan 1 km',
        'GEORADIUS w 0 0 1e30 km COUNT 3 ASC WITHDIST',
        'GEORADIUS w 180 85.05112878 1000 km ASC WITHCOORD',
        'GEORADIUS w -180 -85.05112878 1000 km ASC WITHCOORD',
        'GEORADIUSBYMEMBER w p180_85.05112878 2000 km ASC WITHDIST',
        'GEODIST w p180_0 p-180_0 km',
        'GEODIST w p179.5_0 p-179.5_0 km',
        'GEODIST w p0_0 p180_0',
        'GEOHASH w p180_85.05112878 p-180_-85.05112878 p180_0 origin e1 w1 n1 s1',
        'GEOPOS w p180_85.05112878 p-180_-85.05112878 e1 w1 n1 s1',
    ])


def _random_geo_script(seed, n_points, n_queries):
    rnd = random.Random(seed)
    adds, names = [], []
    for i in range(n_points):
        kind = rnd.random()
        if kind < 0.5:
            lon, lat = rnd.uniform(-180, 180), rnd.uniform(-85.05, 85.05)
        elif kind < 0.85:  # a dense cluster around Berlin
            lon, lat = 13.4 + rnd.gauss(0, 0.3), 52.5 + rnd.gauss(0, 0.2)
        else:  # many points sharing a handful of places: equal distances
            lon, lat = rnd.choice([(2.35, 48.85), (2.36, 48.86), (-73.98, 40.75)])
        name = 'm%d' % i
        names.append(name)
        adds += ['%.6f' % lon, '%.6f' % lat, name]
    script = []
    for i in range(0, len(adds), 600):
        script.append(['GEOADD', 'g'] + adds[i:i + 600])
    units = ['m', 'km', 'ft', 'mi']
    for q in range(n_queries):
        r = rnd.random()
        if r < 0.4:
            center = ['FROMLONLAT', '%.5f' % (13.4 + rnd.gauss(0, 0.5)),
                      '%.5f' % (52.5 + rnd.gauss(0, 0.3))]
        elif r < 0.55:
            center = ['FROMLONLAT', rnd.choice(['2.35', '2.355', '-73.98']),
                      rnd.choice(['48.85', '48.855', '40.75'])]
        elif r < 0.8:
            center = ['FROMLONLAT', '%.5f' % rnd.uniform(-180, 180),
                      '%.5f' % rnd.uniform(-85.05, 85.05)]
        else:
            center = ['FROMMEMBER', rnd.choice(names)]
        unit = rnd.choice(units)
        meters = 10 ** rnd.uniform(0, 7.2)
        scale = {'m': 1, 'km': 1000, 'ft': 0.3048, 'mi': 1609.34}[unit]
        if rnd.random() < 0.6:
            shape = ['BYRADIUS', '%.3f' % (meters / scale), unit]
        else:
            shape = ['BYBOX', '%.3f' % (meters / scale), '%.3f' % (meters * rnd.uniform(0.2, 3) / scale),
                     unit]
        opts = []
        s = rnd.random()
        if s < 0.3:
            opts.append('ASC')
        elif s < 0.5:
            opts.append('DESC')
        if rnd.random() < 0.5:
            opts += ['COUNT', str(rnd.choice([1, 2, 3, 5, 10, 50, 500]))]
            if rnd.random() < 0.2:
                opts.append('ANY')
        for w in ('WITHDIST', 'WITHCOORD', 'WITHHASH'):
            if rnd.random() < 0.4:
                opts.append(w)
        script.append(['GEOSEARCH', 'g'] + center + shape + opts)
        if q % 10 == 0:
            store = [o for o in opts if o not in ('WITHDIST', 'WITHCOORD', 'WITHHASH')]
            if rnd.random() < 0.5:
                store.append('STOREDIST')
            script.append(['GEOSEARCHSTORE', 'dst', 'g'] + center + shape + store)
            script.append(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'])
            script.append(['OBJECT', 'ENCODING', 'dst'])
        if q % 7 == 0 and center[0] == 'FROMLONLAT' and shape[0] == 'BYRADIUS':
            script.append(['GEORADIUS', 'g', center[1], center[2]] + shape[1:] + opts)
    return script


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_random_searches(differ, seed):
    differ(_random_geo_script(seed, 3000, 150))


def test_random_searches_listpack(differ):
    """The same on a set small enough for the listpack encoding."""
    differ(_random_geo_script(7, 100, 80))


def test_count_cuts_through_equal_distances(differ):
    """Members sharing a place have equal distances: every COUNT, both orders,
    so the partial sort's order of ties is compared at every cut."""
    adds = []
    for i in range(40):
        adds += ['2.35', '48.85', 'a%02d' % i, '2.3505', '48.85', 'b%02d' % i,
                 '2.36', '48.86', 'c%02d' % i]
    script = [['GEOADD', 'ties'] + adds + ['2.34', '48.84', 'lone']]
    for count in list(range(1, 20)) + [25, 39, 40, 41, 60, 79, 80, 81, 100, 119, 120, 121, 200]:
        for order in ('ASC', 'DESC'):
            script.append('GEOSEARCH ties FROMLONLAT 2.35 48.85 BYRADIUS 10 km %s COUNT %d'
                          % (order, count))
        script.append('GEORADIUS ties 2.355 48.855 10 km WITHDIST COUNT %d' % count)
    script.append('GEOSEARCHSTORE d ties FROMLONLAT 2.35 48.85 BYRADIUS 10 km COUNT 50 DESC')
    script.append('ZRANGE d 0 -1 WITHSCORES')
    differ(script)


def test_random_searches_near_poles_and_antimeridian(differ):
    rnd = random.Random(11)
    adds = []
    for i in range(1500):
        lon = rnd.choice([rnd.uniform(170, 180), rnd.uniform(-180, -170), rnd.uniform(-180, 180)])
        lat = rnd.choice([rnd.uniform(75, 85.05112878), rnd.uniform(-85.05112878, -75),
                          rnd.uniform(-10, 10)])
        adds += ['%.7f' % lon, '%.7f' % lat, 'q%d' % i]
    script = [['GEOADD', 'edge'] + adds]
    for q in range(120):
        lon = rnd.choice(['180', '-180', '179.99', '-179.99', '%.4f' % rnd.uniform(-180, 180)])
        lat = rnd.choice(['85.05112878', '-85.05112878', '0', '80.5', '-66.1', '66.1',
                          '%.4f' % rnd.uniform(-85, 85)])
        unit = rnd.choice(['m', 'km', 'mi'])
        r = '%.2f' % (10 ** rnd.uniform(2, 7.3) / {'m': 1, 'km': 1000, 'mi': 1609.34}[unit])
        opts = rnd.choice([[], ['ASC'], ['DESC', 'COUNT', '7'], ['COUNT', '3', 'ANY']])
        if rnd.random() < 0.5:
            shape = ['BYRADIUS', r, unit]
        else:
            shape = ['BYBOX', r, '%.2f' % (float(r) * rnd.uniform(0.1, 4)), unit]
        script.append(['GEOSEARCH', 'edge', 'FROMLONLAT', lon, lat] + shape + opts + ['WITHDIST'])
        if q % 5 == 0:
            script.append(['GEORADIUSBYMEMBER', 'edge', 'q%d' % rnd.randrange(1500), r, unit,
                           'WITHCOORD', 'WITHHASH'] + opts)
    differ(script)


def test_in_transactions_and_scripts(differ):
    differ([
        SICILY,
        'MULTI',
        'GEOADD Sicily 14 38 mid',
        'GEORADIUS Sicily 15 37 200 km STORE d',
        'GEOSEARCHSTORE e Sicily FROMMEMBER mid BYRADIUS 100 km STOREDIST',
        'GEOSEARCH Sicily FROMMEMBER mid BYRADIUS 300 km ASC WITHDIST',
        'ZRANGE e 0 -1 WITHSCORES',
        'EXEC',
        'MULTI',
        'GEORADIUS_RO Sicily 15 37 200 km STORE d',
        'GEOPOS Sicily mid',
        'EXEC',
        ['EVAL', "redis.call('GEOADD', KEYS[1], 15, 37, 'lua') "
                 "return redis.call('GEORADIUS', KEYS[1], 15, 37, 100, 'km', 'WITHDIST', 'ASC')",
         '1', 'Sicily'],
        ['EVAL', "return redis.call('GEOSEARCHSTORE', KEYS[2], KEYS[1], 'FROMLONLAT', 15, 37, "
                 "'BYRADIUS', 300, 'km', 'COUNT', 2)", '2', 'Sicily', 'f'],
        ['EVAL', "return redis.call('GEOPOS', KEYS[1], 'lua', 'nosuch')", '1', 'Sicily'],
        ['EVAL', "return redis.call('GEODIST', KEYS[1], 'lua', 'mid', 'km')", '1', 'Sicily'],
        ['EVAL', "return redis.pcall('GEORADIUS_RO', KEYS[1], 15, 37, 1, 'km', 'STORE', 'x')",
         '1', 'Sicily'],
        'ZRANGE f 0 -1 WITHSCORES',
    ])


def test_command_info_fields(basalt_server, oracle_server):
    with basalt_server.raw() as b, oracle_server.raw() as o:
        for n in GEO_COMMANDS:
            ib = b.call('COMMAND', 'INFO', n)[0]
            io = o.call('COMMAND', 'INFO', n)[0]
            assert ib is not None, n
            assert ib == io, n


def test_command_getkeys(differ):
    differ([
        'COMMAND GETKEYS GEOADD k 1 1 m',
        'COMMAND GETKEYS GEOSEARCHSTORE d s FROMLONLAT 0 0 BYRADIUS 1 km',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE d',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km STOREDIST d',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km',
        'COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km STORE d',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE d STOREDIST e',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE d STORE e',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km STORE',
        'COMMAND GETKEYS GEORADIUS k 0 0 1 km storedist x',
        'COMMAND GETKEYS GEORADIUS_RO k 0 0 1 km STORE d',
    ])


def _aof_commands(srv, script):
    with srv.raw() as c:
        replies = [c.command(*s.split(' ')) for s in script]
    d = os.path.join(srv.dir, 'appendonlydir')
    data = b''
    for name in sorted(os.listdir(d)):
        if name.endswith('.incr.aof'):
            with open(os.path.join(d, name), 'rb') as f:
                data += f.read()
    commands, pos = [], 0
    while pos < len(data):
        value, pos = parse_reply(data, pos)
        commands.append([bytes(a) for a in value])
    return replies, commands


def test_propagation_in_aof(make_server, oracle_bin):
    """GEOADD is written as the ZADD it becomes; stores as sent; reads not at all."""
    script = [
        SICILY,
        'GEOADD Sicily NX ch 13.361389 38.115556 Palermo 1 2 x',
        'GEOADD Sicily XX 3 4 nosuch',
        'GEOADD Sicily 13.361389 38.115556 Palermo',
        'GEORADIUS Sicily 15 37 200 km',
        'GEORADIUS Sicily 15 37 200 km STORE d',
        'GEORADIUS Sicily 15 37 200 km storedist d',
        'GEORADIUS Sicily 0 0 1 km STORE d',
        'GEORADIUS Sicily 0 0 1 km STORE d',
        'GEORADIUSBYMEMBER Sicily Palermo 10 km STORE e',
        'GEORADIUSBYMEMBER nokey Palermo 10 km STORE e',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCHSTORE f Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST',
        'GEOSEARCHSTORE f nokey FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCHSTORE f nokey FROMLONLAT 15 37 BYRADIUS 200 km',
    ]
    args = ('--appendonly', 'yes', '--appendfsync', 'always')
    got_replies, got = _aof_commands(make_server(*args), script)
    want_replies, want = _aof_commands(make_server(*args, binary=oracle_bin), script)
    assert got_replies == want_replies
    assert got == want
    assert [b'zadd', b'Sicily', b'NX', b'ch', b'3479099956230698', b'Palermo',
            b'3378080408407459', b'x'] in want


def _events(srv, script):
    with srv.raw() as cfg:
        old = cfg.call('CONFIG', 'GET', 'notify-keyspace-events')[1]
        cfg.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')
        try:
            with srv.raw() as sub, srv.raw() as c:
                c.call('FLUSHALL')
                sub.call('PSUBSCRIBE', '__keyevent@0__:*')
                for step in script:
                    c.call(*step.split(' '))
                c.call('SET', 'end-marker', '1')
                out = []
                while True:
                    msg = sub.read_value()
                    channel, key = msg[2].decode(), msg[3].decode()
                    if key == 'end-marker':
                        break
                    out.append((channel.split(':', 1)[1], key))
                return out
        finally:
            cfg.call('CONFIG', 'SET', 'notify-keyspace-events', old)


@pytest.mark.needs_commands('psubscribe')
def test_keyspace_events(basalt_server, oracle_server):
    script = [
        SICILY,
        'GEOADD Sicily 13.361389 38.115556 Palermo',
        'GEOADD Sicily XX 1 1 nosuch',
        'GEORADIUS Sicily 15 37 200 km',
        'GEORADIUS Sicily 15 37 200 km STORE d',
        'GEORADIUS Sicily 0 0 1 km STORE d',
        'GEORADIUS Sicily 0 0 1 km STORE d',
        'GEOSEARCHSTORE e Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCHSTORE e nokey FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km',
        'GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km',
    ]
    eb = _events(basalt_server, script)
    eo = _events(oracle_server, script)
    assert eb == eo
    assert ('zadd', 'Sicily') in eo and ('georadiusstore', 'd') in eo


def test_counters(basalt_server, oracle_server):
    """rdb_changes_since_last_save and keyspace hits/misses per command."""
    script = [SICILY, 'GEOADD Sicily CH 1 1 Palermo 2 2 Catania 3 3 new',
              'GEOADD Sicily 1 1 Palermo', 'GEOPOS Sicily Palermo', 'GEOPOS nokey a',
              'GEOHASH Sicily a', 'GEOHASH nokey a', 'GEODIST Sicily a b', 'GEODIST nokey a b',
              'GEOSEARCH Sicily FROMLONLAT 1 1 BYRADIUS 500 km',
              'GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 500 km',
              'GEORADIUS Sicily 1 1 500 km', 'GEORADIUS Sicily 1 1 500 km STORE d',
              'GEORADIUS nokey 1 1 500 km STORE d',
              'GEOSEARCHSTORE d Sicily FROMLONLAT 1 1 BYRADIUS 500 km',
              'GEORADIUSBYMEMBER Sicily Palermo 500 km STOREDIST d']

    def stats(srv):
        with srv.raw() as c:
            c.call('FLUSHALL')
            out = []
            for step in script:
                h0 = info_int(c, 'stats', 'keyspace_hits')
                m0 = info_int(c, 'stats', 'keyspace_misses')
                d0 = info_int(c, 'persistence', 'rdb_changes_since_last_save')
                c.call(*step.split(' '))
                out.append((step, info_int(c, 'stats', 'keyspace_hits') - h0,
                            info_int(c, 'stats', 'keyspace_misses') - m0,
                            info_int(c, 'persistence', 'rdb_changes_since_last_save') - d0))
            return out

    assert stats(basalt_server) == stats(oracle_server)


@pytest.mark.parametrize('pair', PAIRS)
def test_replicated_both_ways(make_server, pair):
    """GEO writes reach a replica of the other implementation unchanged (GEOADD
    as ZADD, stores as sent), and the write-flagged GEORADIUS is refused on a
    read-only replica while GEORADIUS_RO is served."""
    pk, rk = pair
    primary = start(make_server, pk)
    replica = start(make_server, rk, replicaof=primary)
    wait_link_up(replica)
    with primary.raw() as c:
        c.call(*SICILY.split(' '))
        c.call('GEOADD', 'Sicily', 'CH', '14', '38', 'Palermo', '14.5', '37.5', 'mid')
        c.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd')
        c.call('GEORADIUSBYMEMBER', 'Sicily', 'mid', '100', 'km', 'STOREDIST', 'e')
        c.call('GEOSEARCHSTORE', 'f', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '500', '500',
               'km', 'COUNT', '2', 'DESC', 'STOREDIST')
        c.call('GEOSEARCHSTORE', 'e', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km')
    assert_identical(primary, replica)
    with replica.raw() as r:
        refused = r.call('GEORADIUS', 'Sicily', '15', '37', '200', 'km')
        assert isinstance(refused, RespError) and refused.message.startswith(b'READONLY')
        assert r.call('GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'ASC') == [
            b'Catania', b'mid', b'Palermo']
