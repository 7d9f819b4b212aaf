"""Replication, primary side: Debian's redis-server 7.0 as a replica of Basalt.

Basalt answers PSYNC with a diskless full sync (a point-in-time snapshot
streamed to the socket) and then streams its write log. Partial resync,
Basalt as a replica, WAIT and min-replicas are not built yet (issue 5).
"""
import threading
import time

from helpers import link_up, wait_for, wait_synced
from servers import oracle_binary
from test_persistence import bclient, populate, snapshot


def test_redis_replica_of_basalt_full_sync_and_stream(make_server):
    primary = make_server(threads=2)
    pc = bclient(primary)
    populate(pc)
    # Writes go on while the replica syncs: the snapshot plus the stream from
    # its start offset must add up to the primary's dataset.
    stop = threading.Event()
    count = [0]

    def writer():
        w = bclient(primary)
        i = 0
        while not stop.is_set():
            w.set(b'live:%d' % i, b'v%d' % i)
            w.rpush(b'live-list', i)
            w.incr(b'live-counter')
            w.hset(b'hash-small', b'live', i)
            i += 1
        count[0] = i

    t = threading.Thread(target=writer)
    t.start()
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port),
                          binary=oracle_binary())
    wait_for(lambda: link_up(replica), what='master_link_status:up')
    time.sleep(0.3)
    stop.set()
    t.join()
    assert count[0] > 0
    pc.expire(b'int', 100)
    pc.delete(b'raw')
    pc.execute_command('SELECT', 9)
    pc.flushdb()
    pc.execute_command('SELECT', 0)
    offset = primary.client().info('replication')['master_repl_offset']
    rc = bclient(replica)
    wait_for(lambda: rc.info('replication')['master_repl_offset'] == offset,
             what='replica at offset %d' % offset)
    assert snapshot(rc) == snapshot(pc)
    info = primary.client().info('replication')
    assert info['connected_slaves'] == 1
    assert info['slave0']['state'] == 'online' and info['slave0']['port'] == replica.port
    wait_for(lambda: primary.client().info('replication')['slave0']['offset'] == offset,
             what='REPLCONF ACK of the final offset')
    role = pc.execute_command('ROLE')
    assert role[0] == b'master' and role[1] == offset
    assert role[2] == [[b'127.0.0.1', str(replica.port).encode(), str(offset).encode()]]
    # The stream to the replica is counted apart from client traffic, as
    # Redis 7.0 counts it.
    stats = primary.client().info('stats')
    assert stats['total_net_repl_output_bytes'] > 0
    assert stats['total_net_repl_input_bytes'] == 0


def test_replica_counts_its_primary_stream_as_repl_input(make_server):
    primary = make_server()
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port))
    wait_for(lambda: link_up(replica), what='master_link_status:up')
    pc = bclient(primary)
    for i in range(200):
        pc.set('k%d' % i, 'v' * 100)
    wait_synced(primary, replica)
    stats = bclient(replica).info('stats')
    # 200 SETs of 100-byte values arrived through the link, not from clients.
    assert stats['total_net_repl_input_bytes'] > 200 * 100
    assert stats['total_net_input_bytes'] < 200 * 100


def test_replica_resyncs_after_its_link_drops(make_server):
    primary = make_server()
    pc = bclient(primary)
    populate(pc)
    replica = make_server('--replicaof', '127.0.0.1', str(primary.port),
                          binary=oracle_binary())
    wait_for(lambda: link_up(replica), what='first sync')
    # The replica's connection is dropped from the replica side.
    replica.client().execute_command('CLIENT', 'KILL', 'TYPE', 'master')
    pc.set(b'after-drop', b'1')
    wait_for(lambda: replica.client().get('after-drop') == '1', what='resync after the drop')
    wait_for(lambda: link_up(replica), what='link up again')
    assert snapshot(bclient(replica)) == snapshot(pc)
    assert primary.client().info('replication')['connected_slaves'] == 1
