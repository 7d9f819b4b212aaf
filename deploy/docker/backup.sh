#!/bin/sh
# basalt-backup: takes a point-in-time snapshot of a Basalt node into a
# directory, with its SHA-256, and prunes old ones. Run by the backup
# CronJob (deploy/kubernetes/overlays/backup); usable by hand as well.
#
# The snapshot comes over the replication protocol (`redis-cli --rdb`): the
# node writes a snapshot of its dataset at one instant, as for a full sync,
# and streams it here; its own dump.rdb and AOF are left alone. That works
# through a Service from any pod, where copying the node's dump.rdb would
# need its volume (ReadWriteOnce, mounted by the node) or `kubectl exec`.
#
# Environment:
#   BASALT_BACKUP_HOST   node or Service to snapshot (default basalt)
#   BASALT_BACKUP_PORT   its port (default 6379)
#   BASALT_BACKUP_DIR    where the files go (default /backups)
#   BASALT_BACKUP_KEEP   how many snapshots to keep (default 14; 0 keeps all)
#   REDISCLI_AUTH        password, if the node wants one (read by redis-cli)
#   BASALT_BACKUP_CLI_ARGS  more redis-cli arguments, e.g. TLS:
#                        "--tls --cacert /etc/basalt-tls/ca.crt"
#
# The snapshot is checked before it is kept: it must start like an RDB file,
# and redis-check-rdb (when installed, as in the image) must read it whole.
# Writes dump-<UTC time>.rdb and dump-<UTC time>.rdb.sha256 (`sha256sum -c`
# format), then prints the file name, its size and its digest.
# Exit status: 0 done; 1 the snapshot failed or is not an RDB file.
set -eu

host=${BASALT_BACKUP_HOST:-basalt}
port=${BASALT_BACKUP_PORT:-6379}
dir=${BASALT_BACKUP_DIR:-/backups}
keep=${BASALT_BACKUP_KEEP:-14}
# Word splitting of the extra arguments is wanted.
# shellcheck disable=SC2086
set -- ${BASALT_BACKUP_CLI_ARGS:-}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=dump-$stamp.rdb
partial=$dir/.$name.partial
trap 'rm -f "$partial" "$partial.check" "$dir/$name.sha256.partial"' EXIT

echo "basalt-backup: snapshot of $host:$port into $dir/$name"
redis-cli "$@" -h "$host" -p "$port" --rdb "$partial" >&2

# An RDB file starts with "REDIS" and its version ("REDIS0010" for RDB 10).
magic=$(head -c 5 "$partial")
if [ "$magic" != "REDIS" ]; then
  echo "basalt-backup: $partial is not an RDB file (starts with '$magic')" >&2
  exit 1
fi

# redis-check-rdb (redis-tools) reads the whole file: every record, the checksum.
if command -v redis-check-rdb >/dev/null 2>&1; then
  if ! redis-check-rdb "$partial" >"$partial.check" 2>&1; then
    cat "$partial.check" >&2
    echo "basalt-backup: redis-check-rdb refused the snapshot" >&2
    exit 1
  fi
  grep -h 'keys read' "$partial.check" | sed 's/^/basalt-backup: redis-check-rdb: /' || true
fi

digest=$(sha256sum <"$partial" | cut -d' ' -f1)
printf '%s  %s\n' "$digest" "$name" >"$dir/$name.sha256.partial"
mv "$partial" "$dir/$name"
mv "$dir/$name.sha256.partial" "$dir/$name.sha256"
sync "$dir/$name" "$dir/$name.sha256" 2>/dev/null || sync
(cd "$dir" && sha256sum -c "$name.sha256" >&2)

size=$(wc -c <"$dir/$name")
echo "basalt-backup: done: $name $size bytes sha256 $digest"

# Oldest first (the names sort by time, and so does the glob): remove all but
# the newest $keep.
prune() {
  [ -e "$1" ] || return 0
  excess=$(($# - keep))
  for old in "$@"; do
    [ "$excess" -gt 0 ] || break
    echo "basalt-backup: removing ${old##*/} (keeping the newest $keep)"
    rm -f "$old" "$old.sha256"
    excess=$((excess - 1))
  done
}
if [ "$keep" -gt 0 ]; then
  prune "$dir"/dump-*.rdb
fi
