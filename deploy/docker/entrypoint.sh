#!/bin/sh
# basalt-entrypoint: renders a data node's or a sentinel's config file from
# the templates in a ConfigMap and the pod's identity, then runs the server.
#
#   basalt-entrypoint server            render $BASALT_DATA_DIR/basalt.conf, exec basalt-server
#   basalt-entrypoint sentinel          render $BASALT_DATA_DIR/sentinel.conf, exec basalt-sentinel
#   basalt-entrypoint render-server     only render; print the file's path
#   basalt-entrypoint render-sentinel   the same for a sentinel
#   basalt-entrypoint <anything else>   exec it as given (redis-cli, basalt-check, sh ...)
#
# Written for POSIX sh using shell built-ins only (plus mv when present), so it
# runs in the minimal image scripts/build-image-offline assembles, which has
# /bin/sh and no coreutils. docs/operations.md describes the rendering; this is
# the summary.
#
# Templates ($BASALT_TEMPLATE_DIR, default /etc/basalt): basalt.conf then every
# basalt-*.conf in name order (overlays add fragments such as basalt-tls.conf);
# for a sentinel sentinel.conf then sentinel-*.conf. Later lines win, as in
# redis.conf. These placeholders are replaced wherever they appear:
#   @POD_NAME@ @ORDINAL@ @NAMESPACE@   this pod (POD_NAME, else the host name)
#   @POD_FQDN@       <pod>.<its headless service>.<ns>.svc.<domain>
#   @PRIMARY_FQDN@   the data StatefulSet's pod 0 (the first primary)
#   @DATA_PORT@ @SENTINEL_PORT@
#   @DATA_DIR@       BASALT_DATA_DIR (/data): where the volume is mounted
#   @SENTINELS@      "host:port host:port ..." of every sentinel pod
#   @MASTER_NAME@ @QUORUM@
#   @MAXMEMORY@      BASALT_MAXMEMORY_PERCENT (90) % of BASALT_MEMORY_LIMIT_BYTES
#                    (the downward API's limits.memory); 0 (no limit) if unset
#   @THREADS@        BASALT_CPU_REQUEST (requests.cpu, divisor 1: whole cores,
#                    rounded up), at least 1; else the number of online CPUs
#
# Data node: the file is rendered again at every start (the ConfigMap is the
# source of truth), into the data volume so that CONFIG REWRITE (which a
# sentinel sends with every promotion and re-pointing) can write it. The role
# is state, not configuration: on the very first start (no basalt.conf in the
# volume yet) pods with an ordinal above 0 get `replicaof <pod 0> <port>`;
# later starts keep the replicaof line of the previous file (what the sentinels
# last made of this node), or none if it was a primary. Either way the server
# asks the sentinels (primary-discovery-sentinels) who the primary is before
# it serves writes.
#
# Sentinel: rendered on the first start only. A sentinel rewrites its own file
# with its state (its id, epochs, the current primary, the replicas and
# sentinels it knows), which must survive restarts, so later starts keep it.
set -eu

die() {
  printf 'basalt-entrypoint: %s\n' "$*" >&2
  exit 1
}

is_uint() {
  case "$1" in
    '' | *[!0-9]*) return 1 ;;
  esac
  return 0
}

template_dir=${BASALT_TEMPLATE_DIR:-/etc/basalt}
data_dir=${BASALT_DATA_DIR:-/data}
domain=${BASALT_CLUSTER_DOMAIN:-cluster.local}
data_sts=${BASALT_DATA_STATEFULSET:-basalt}
data_svc=${BASALT_DATA_HEADLESS:-basalt-headless}
data_port=${BASALT_DATA_PORT_NUM:-6379}
sentinel_sts=${BASALT_SENTINEL_STATEFULSET:-basalt-sentinel}
sentinel_svc=${BASALT_SENTINEL_HEADLESS:-basalt-sentinel-headless}
sentinel_port=${BASALT_SENTINEL_PORT_NUM:-26379}
sentinel_count=${BASALT_SENTINEL_COUNT:-3}
master_name=${BASALT_MASTER_NAME:-mymaster}
quorum=${BASALT_QUORUM:-2}
server_bin=${BASALT_SERVER_BIN:-basalt-server}
sentinel_bin=${BASALT_SENTINEL_BIN:-basalt-sentinel}

pod_name=${POD_NAME:-}
if [ -z "$pod_name" ]; then
  if [ -r /proc/sys/kernel/hostname ]; then
    read -r pod_name </proc/sys/kernel/hostname
  fi
fi
namespace=${POD_NAMESPACE:-}
if [ -z "$namespace" ] && [ -r /var/run/secrets/kubernetes.io/serviceaccount/namespace ]; then
  read -r namespace </var/run/secrets/kubernetes.io/serviceaccount/namespace || true
fi
namespace=${namespace:-default}

is_uint "$data_port" || die "BASALT_DATA_PORT_NUM must be a number, got '$data_port'"
is_uint "$sentinel_port" || die "BASALT_SENTINEL_PORT_NUM must be a number, got '$sentinel_port'"
is_uint "$sentinel_count" || die "BASALT_SENTINEL_COUNT must be a number, got '$sentinel_count'"
is_uint "$quorum" || die "BASALT_QUORUM must be a number, got '$quorum'"

# Replaces every occurrence of $2 by $3 in $1; the result in $subst_out.
subst_all() {
  subst_rest=$1
  subst_out=
  while :; do
    case "$subst_rest" in
      *"$2"*)
        subst_out=$subst_out${subst_rest%%"$2"*}$3
        subst_rest=${subst_rest#*"$2"}
        ;;
      *)
        subst_out=$subst_out$subst_rest
        return 0
        ;;
    esac
  done
}

# Writes one template line with every placeholder replaced.
emit_line() {
  line=$1
  case "$line" in
    *@*@*)
      for pair in "POD_NAME=$pod_name" "ORDINAL=$ordinal" "NAMESPACE=$namespace" \
                  "POD_FQDN=$pod_fqdn" "PRIMARY_FQDN=$primary_fqdn" \
                  "DATA_PORT=$data_port" "SENTINEL_PORT=$sentinel_port" \
                  "SENTINELS=$sentinels" "MASTER_NAME=$master_name" "QUORUM=$quorum" \
                  "MAXMEMORY=$maxmemory" "THREADS=$threads" "DATA_DIR=$data_dir"; do
        subst_all "$line" "@${pair%%=*}@" "${pair#*=}"
        line=$subst_out
      done
      case "$line" in
        '#'*) ;;
        *@[A-Z]*[A-Z]@*) printf 'basalt-entrypoint: warning: unknown placeholder left in: %s\n' \
                           "$line" >&2 ;;
      esac
      ;;
  esac
  printf '%s\n' "$line"
}

# Copies the template $1 (a path) with the placeholders replaced.
emit_template() {
  printf '# --- from %s\n' "${1##*/}"
  while IFS= read -r tline || [ -n "$tline" ]; do
    emit_line "$tline"
  done <"$1"
}

# Computes the pod's identity and the values of the placeholders. $1 is the
# headless Service of this pod's StatefulSet.
identity() {
  [ -n "$pod_name" ] || die "POD_NAME is not set and the host name is unknown"
  ordinal=${pod_name##*-}
  is_uint "$ordinal" || die "'$pod_name' does not end in -<ordinal>: not a StatefulSet pod?"
  pod_fqdn=$pod_name.$1.$namespace.svc.$domain
  primary_fqdn=$data_sts-0.$data_svc.$namespace.svc.$domain
  sentinels=
  i=0
  while [ "$i" -lt "$sentinel_count" ]; do
    sentinels="$sentinels${sentinels:+ }$sentinel_sts-$i.$sentinel_svc.$namespace.svc.$domain:$sentinel_port"
    i=$((i + 1))
  done

  maxmemory=0
  limit=${BASALT_MEMORY_LIMIT_BYTES:-}
  if [ -n "$limit" ]; then
    is_uint "$limit" || die "BASALT_MEMORY_LIMIT_BYTES must be a number of bytes, got '$limit'"
    percent=${BASALT_MAXMEMORY_PERCENT:-90}
    if ! is_uint "$percent" || [ "$percent" -gt 100 ]; then
      die "BASALT_MAXMEMORY_PERCENT must be 0..100, got '$percent'"
    fi
    # Divide first: a limit near 2^63 (no limit set: the node's memory) must
    # not overflow; the remainder's share is added back.
    # shellcheck disable=SC2017
    maxmemory=$((limit / 100 * percent + limit % 100 * percent / 100))
  fi

  threads=${BASALT_CPU_REQUEST:-}
  if [ -z "$threads" ]; then
    threads=0
    # No nproc in the minimal image: count the "processor" lines.
    if [ -r /proc/cpuinfo ]; then
      while IFS= read -r cl; do
        case "$cl" in processor*) threads=$((threads + 1)) ;; esac
      done </proc/cpuinfo
    fi
  fi
  is_uint "$threads" || die "BASALT_CPU_REQUEST must be a whole number of cores, got '$threads'"
  [ "$threads" -ge 1 ] || threads=1
}

# Writes $2 into the file $1 through a temporary file (renamed when mv exists).
install_file() {
  if command -v mv >/dev/null 2>&1; then
    printf '%s' "$2" >"$1.tmp.$$"
    mv -f "$1.tmp.$$" "$1"
  else
    printf '%s' "$2" >"$1"
  fi
}

render_server() {
  identity "$data_svc"
  out=$data_dir/basalt.conf
  [ -r "$template_dir/basalt.conf" ] || die "no template $template_dir/basalt.conf"

  # The role: on the first start, ordinals above 0 follow pod 0; afterwards the
  # last replicaof the previous file carried (written by CONFIG REWRITE).
  role_line=
  if [ -e "$out" ]; then
    while IFS= read -r pline || [ -n "$pline" ]; do
      case "$pline" in
        'replicaof '* | 'slaveof '*) role_line=$pline ;;
      esac
    done <"$out"
    role_note="kept from the previous start"
  elif [ "$ordinal" -gt 0 ]; then
    role_line="replicaof $primary_fqdn $data_port"
    role_note="first start: follow pod 0"
  else
    role_note="first start of pod 0: primary unless the sentinels know another"
  fi

  text=$(
    printf '# Rendered by basalt-entrypoint for %s; edits are lost at the next start\n' \
      "$pod_name"
    printf '# (the templates are in the ConfigMap mounted at %s).\n' "$template_dir"
    emit_template "$template_dir/basalt.conf"
    for f in "$template_dir"/basalt-*.conf; do
      [ -e "$f" ] || continue
      emit_template "$f"
    done
    printf '# --- role (%s)\n' "$role_note"
    [ -z "$role_line" ] || printf '%s\n' "$role_line"
  )
  install_file "$out" "$text
"
  printf '%s\n' "$out"
}

render_sentinel() {
  identity "$sentinel_svc"
  out=$data_dir/sentinel.conf
  if [ -s "$out" ]; then
    printf 'basalt-entrypoint: keeping %s (the sentinel state of earlier runs)\n' "$out" >&2
    printf '%s\n' "$out"
    return 0
  fi
  [ -r "$template_dir/sentinel.conf" ] || die "no template $template_dir/sentinel.conf"
  text=$(
    printf '# Rendered by basalt-entrypoint for %s on its first start; from then on\n' \
      "$pod_name"
    printf '# the sentinel rewrites this file with its state.\n'
    emit_template "$template_dir/sentinel.conf"
    for f in "$template_dir"/sentinel-*.conf; do
      [ -e "$f" ] || continue
      emit_template "$f"
    done
  )
  install_file "$out" "$text
"
  printf '%s\n' "$out"
}

cmd=${1:-server}
case "$cmd" in
  server)
    [ $# -eq 0 ] || shift
    conf=$(render_server)
    exec "$server_bin" "$conf" "$@"
    ;;
  sentinel)
    shift
    conf=$(render_sentinel)
    if command -v "$sentinel_bin" >/dev/null 2>&1; then
      exec "$sentinel_bin" "$conf" "$@"
    fi
    exec "$server_bin" "$conf" --sentinel "$@"
    ;;
  render-server)
    render_server
    ;;
  render-sentinel)
    render_sentinel
    ;;
  *)
    exec "$@"
    ;;
esac
