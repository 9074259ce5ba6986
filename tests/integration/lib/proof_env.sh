# shellcheck shell=bash
# proof_env.sh - shared set-up for tests/integration/fleet_*.sh and
# soak_*.sh (and bench/compare/verify.sh): agents, `estel ingest` behind the
# deployed nginx site config (deploy/ingest/estel-ingest.nginx.conf, mutual
# TLS), an optional flapper between them, and the ledger.
# Source it after "set -euo pipefail", then call proof_init NAME.  Gives:
#   $T $PKI $ESTEL $PY $LONG     temp dir, test CA (lib/pki.sh), binaries,
#                                ESTEL_LONG=1 (the long mode)
#   pki_host NAME CN             a client cert for host CN -> $PKI/NAME.pem/.key
#   agent_plist FILE NAME URL [Key=Value...]   an agent configuration
#   ingest_up NAME [--listen A] [args]  estel ingest -> $IPORT; output in
#                                $T/NAME/out (or $INGEST_OUT), log
#                                $T/NAME/ingest.log; restartable
#   ingest_down NAME [SIGNAL]    stop it (TERM default; KILL for a crash)
#   front_up NAME PORT UPSTREAM  nginx mTLS front -> $FRONT_URL; access log
#                                $T/NAME/access.log: msec status
#                                request_length request_time upstream_status
#                                "client DN" idempotency_key connection
#   front_down NAME
#   Knobs: PROOF_SAN (extra server SANs for pki_make, e.g. IP:10.1.2.3),
#   INGEST_WRAP / FRONT_WRAP (a command prefix, e.g. "ip netns exec NS"),
#   FRONT_LISTEN (the front's address; default 127.0.0.1), INGEST_OUT.
#   bg NAME CMD...               run CMD in the background, pid -> $BGPID
#                                (stopped at exit), output $T/NAME.log
#   wait_for SECONDS CMD...      poll until CMD succeeds
#   ledger ARGS...               tests/integration/lib/ledger.py
#   mount_tmpfs DIR SIZE         a small tmpfs (disk-full tests), unmounted
#                                at exit; skips the test without permission
# Everything started here is stopped at exit by pid, never by name.
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here_lib/pki.sh"
. "$here_lib/nginx.sh"             # nginx_stop
SRC=${ESTEL_SRC:-$(cd "$here_lib/../../.." && pwd)}
ESTEL=${ESTEL_BIN:-$SRC/build/cli/estel}
PY=/usr/bin/python3
LONG=${ESTEL_LONG:-0}

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
note() { echo "# $*"; }

proof_init() {
  for tool in "$NGINX" openssl curl; do
    command -v "$tool" >/dev/null ||
      skip "$tool is not installed (apt-get install nginx-light openssl curl)"
  done
  [ -x "$PY" ] || skip "/usr/bin/python3 is missing"
  [ -x "$ESTEL" ] || die "estel not built at $ESTEL"
  "$ESTEL" ingest --help >/dev/null 2>&1 || skip "this estel has no ingest"
  T=$(mktemp -d "/tmp/estel-$1.XXXXXX")
  PIDS=() FRONTS=() MOUNTS=() NETNS=()
  trap _proof_cleanup EXIT
  trap 'exit 130' INT TERM
  PKI=$T/pki
  # shellcheck disable=SC2086
  pki_make "$PKI" host-0001 ${PROOF_SAN:-} >/dev/null 2>&1 || die "pki_make failed"
}

_proof_cleanup() {
  local rc=$? p d m n i
  set +e
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 40); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for d in "${FRONTS[@]}"; do nginx_stop "$d"; done
  [ -n "${EXTRA_CLEANUP:-}" ] && eval "$EXTRA_CLEANUP"
  for m in "${MOUNTS[@]}"; do umount -l "$m" 2>/dev/null; done
  for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null; done
  if [ "${KEEP:-0}" = 1 ] || { [ $rc != 0 ] && [ "${ESTEL_KEEP_FAILED:-0}" = 1 ]; }; then
    echo "kept $T"
  else
    rm -rf "$T"
  fi
  return $rc
}

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 20000))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "$p"; return; }
  done
  die "no free port"
}

wait_for() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
  return 1
}

pki_host() { pki_client "$PKI" "$1" "$2" >/dev/null 2>&1 || die "pki_client $2"; }

# agent_plist FILE NAME URL [Key=Value...]: NAME is the cert in $PKI and the
# HostID (its CN); digits become <integer>, true/false booleans
agent_plist() {
  local f=$1 name=$2 url=$3 kv k v; shift 3
  local cn=$name
  [ "$name" = client ] && cn=host-0001
  { echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">'
    echo '<plist version="1.0"><dict>'
    [ -n "$url" ] && {
      echo "<key>ServerURL</key><string>$url</string>"
      echo "<key>ClientCertificate</key><string>$PKI/$name.pem</string>"
      echo "<key>ClientKey</key><string>$PKI/$name.key</string>"
      echo "<key>ServerCA</key><string>$PKI/ca.pem</string>"; }
    echo "<key>HostID</key><string>$cn</string>"
    for kv in "$@"; do
      k=${kv%%=*}; v=${kv#*=}
      if [[ $v =~ ^[0-9]+$ ]]; then echo "<key>$k</key><integer>$v</integer>"
      elif [[ $v =~ ^[0-9]+\.[0-9]+$ ]]; then echo "<key>$k</key><real>$v</real>"
      elif [ "$v" = true ] || [ "$v" = false ]; then echo "<key>$k</key><$v/>"
      else echo "<key>$k</key><string>$v</string>"; fi
    done
    echo '</dict></plist>'; } > "$f"
}

bg() {
  local name=$1; shift
  "$@" >> "$T/$name.log" 2>&1 &
  BGPID=$!
  PIDS+=("$BGPID")
}

# ingest_up NAME [--listen ADDR] [more estel ingest args]
ingest_up() {
  local name=$1 listen=127.0.0.1:0 i before; shift
  if [ "${1:-}" = --listen ]; then listen=$2; shift 2; fi
  mkdir -p "$T/$name"
  touch "$T/$name/ingest.log"
  before=$(wc -l < "$T/$name/ingest.log")
  rm -f "$T/$name/pid"
  # a subshell reaps it, so a SIGKILL is not reported on this shell's stderr
  ( ${INGEST_WRAP:-} "$ESTEL" ingest --listen "$listen" --out "${INGEST_OUT:-$T/$name/out}" "$@" \
      2>> "$T/$name/ingest.log" &
    echo $! > "$T/$name/pid"; wait $! ) 2>/dev/null &
  for i in $(seq 100); do [ -s "$T/$name/pid" ] && break; sleep 0.01; done
  IPID=$(cat "$T/$name/pid")
  PIDS+=("$IPID")
  IPORT=""
  for i in $(seq 200); do
    IPORT=$(tail -n +"$((before + 1))" "$T/$name/ingest.log" |
            sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' | tail -1)
    [ -n "$IPORT" ] && break
    kill -0 "$IPID" 2>/dev/null || { tail -5 "$T/$name/ingest.log" >&2; die "ingest $name exited"; }
    sleep 0.05
  done
  [ -n "$IPORT" ] || die "ingest $name did not start"
  echo "$IPORT" > "$T/$name/port"
}

ingest_down() {
  local name=$1 sig=${2:-TERM} pid i
  pid=$(cat "$T/$name/pid" 2>/dev/null) || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  rm -f "$T/$name/pid"
}

# front_up NAME PORT UPSTREAM(host:port)
front_up() {
  local name=$1 port=$2 upstream=$3 dir=$T/$1 i
  mkdir -p "$dir/tmp"
  : > "$dir/error.log"; touch "$dir/access.log"
  sed -e "s#server unix:/run/estel/ingest.sock;#server $upstream;#" \
      -e "s#listen 443 ssl http2;#listen ${FRONT_LISTEN:-127.0.0.1}:$port ssl http2;#" \
      -e "/listen \[::\]:443/d" \
      -e "s#/etc/estel/ingest/server.pem#$PKI/server.pem#" \
      -e "s#/etc/estel/ingest/server.key#$PKI/server.key#" \
      -e "s#/etc/estel/ingest/agents-ca.pem#$PKI/ca.pem#" \
      -e "s#access_log /var/log/nginx/estel-ingest.access.log;#access_log $dir/access.log proof;#" \
      -e "s#/var/log/nginx/estel-ingest.error.log#$dir/error.log#" \
      "$SRC/deploy/ingest/estel-ingest.nginx.conf" > "$dir/site.conf"
  grep -q "access_log $dir/access.log proof;" "$dir/site.conf" ||
    die "deploy/ingest/estel-ingest.nginx.conf changed: no access_log line to rewrite"
  cat > "$dir/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 2048; }
http {
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  log_format proof '\$msec \$status \$request_length \$request_time '
                   '\$upstream_status "\$ssl_client_s_dn" '
                   '\$http_idempotency_key \$connection';
  include $dir/site.conf;
}
CONF
  ${FRONT_WRAP:-} "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
    die "nginx rejects the front config"
  ${FRONT_WRAP:-} "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
    die "nginx did not start"
  FRONTS+=("$dir")
  for i in $(seq 100); do
    if [ -s "$dir/nginx.pid" ]; then
      [ -n "${FRONT_WRAP:-}" ] && { sleep 0.3; break; }
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    fi
    sleep 0.05
  done
  FRONT_URL="https://${FRONT_LISTEN:-127.0.0.1}:$port/v1/batches"
}

front_down() { nginx_stop "$T/$1"; }

ledger() { "$PY" "$here_lib/ledger.py" "$@"; }

mount_tmpfs() {
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null ||
    skip "cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN)"
  MOUNTS+=("$1")
}
