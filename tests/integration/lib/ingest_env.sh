# ingest_env.sh - shared set-up for tests/integration/ingest_*.sh and
# e2e_*.sh.  Source it after "set -euo pipefail" with the batch maker's
# path as $1 (tests/integration/ingest.cmake passes it).  Gives:
#   $T      private temp dir (removed at exit; KEEP=1 keeps it)
#   $PKI    CA, server, client (CN host-0001), untrusted, expired certs
#   $ESTEL  the estel binary; $MKBATCH the batch maker; $PY python3
#   ingest_start NAME [estel ingest args...]   -> $IPID, $IADDR, $IURL
#   ingest_stop NAME / ingest_kill NAME        (SIGTERM / SIGKILL, by pid)
#   ingest_nginx_start NAME PORT UPSTREAM      nginx from deploy/ingest/
#                                              (UPSTREAM "127.0.0.1:P" or
#                                              "unix:/path") -> $NURL
#   mkbatch FILE_PREFIX [mkbatch args...]      FILE.zst + FILE.hdr (+.raw)
#   post_direct PREFIX [curl args...]          status code (front headers
#                                              for CN host-0001)
#   post_nginx PREFIX [curl args...]           status code, with the
#                                              client certificate
#   out_lines NAME                             events written (all files)
# Everything started here is stopped at exit, by pid only.
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here_lib/pki.sh"
. "$here_lib/nginx.sh"             # nginx_stop
SRC=${ESTEL_SRC:-$(cd "$here_lib/../../.." && pwd)}
ESTEL=${ESTEL_BIN:-$SRC/build/cli/estel}
MKBATCH=${1:-${MKBATCH:-}}
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in "$NGINX" openssl curl "$PY"; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install nginx-light openssl curl python3)"
done
[ -x "$ESTEL" ] || die "estel not built at $ESTEL"
[ -x "$MKBATCH" ] || die "ingest_mkbatch not built at '$MKBATCH'"

T=$(mktemp -d /tmp/estel-ingest.XXXXXX)
PIDS=()
NGINX_DIRS=()
_ingest_cleanup() {
  local p d
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for d in "${NGINX_DIRS[@]}"; do nginx_stop "$d"; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap _ingest_cleanup EXIT

PKI=$T/pki
pki_make "$PKI" host-0001 >/dev/null 2>&1 || die "pki_make failed"
pki_client "$PKI" client2 host-0002 >/dev/null 2>&1 || die "pki_client failed"

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "$p"; return; }
  done
  die "no free port"
}

# ingest_start NAME [args]: output in $T/NAME/out, log $T/NAME/ingest.log
ingest_start() {
  local name=$1 i; shift
  mkdir -p "$T/$name"
  : > "$T/$name/ingest.log"
  local listen=127.0.0.1:0
  case " $* " in *" --listen "*) listen="" ;; esac
  "$ESTEL" ingest ${listen:+--listen "$listen"} --out "$T/$name/out" "$@" \
    2>>"$T/$name/ingest.log" &
  IPID=$!
  PIDS+=("$IPID")
  echo "$IPID" > "$T/$name/pid"
  for i in $(seq 100); do
    IADDR=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$T/$name/ingest.log" | tail -1)
    [ -n "$IADDR" ] && break
    kill -0 "$IPID" 2>/dev/null || { cat "$T/$name/ingest.log" >&2; die "ingest $name exited"; }
    sleep 0.05
  done
  [ -n "$IADDR" ] || die "ingest $name did not start"
  IURL="http://$IADDR/v1/batches"
}

_ingest_signal() {
  local sig=$1 name=$2 pid i
  pid=$(cat "$T/$name/pid" 2>/dev/null) || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  wait "$pid" 2>/dev/null || true
  rm -f "$T/$name/pid"
}
ingest_stop() { _ingest_signal TERM "$1"; }
ingest_kill() { _ingest_signal KILL "$1"; }

# The deployed site config with test paths and ports.
ingest_nginx_start() {
  local name=$1 port=$2 upstream=$3 dir=$T/$1 i
  mkdir -p "$dir/tmp"
  : > "$dir/error.log"
  sed -e "s#server unix:/run/estel/ingest.sock;#server $upstream;#" \
      -e "s#listen 443 ssl http2;#listen 127.0.0.1:$port ssl http2;#" \
      -e "/listen \[::\]:443/d" \
      -e "s#/etc/estel/ingest/server.pem#$PKI/server.pem#" \
      -e "s#/etc/estel/ingest/server.key#$PKI/server.key#" \
      -e "s#/etc/estel/ingest/agents-ca.pem#$PKI/ca.pem#" \
      -e "s#/var/log/nginx/estel-ingest.access.log#$dir/access.log#" \
      -e "s#/var/log/nginx/estel-ingest.error.log#$dir/error.log#" \
      -e "s#client_max_body_size 16m;#client_max_body_size ${NGINX_MAX_BODY:-16m};#" \
      "$SRC/deploy/ingest/estel-ingest.nginx.conf" > "$dir/site.conf"
  cat > "$dir/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  include $dir/site.conf;
}
CONF
  "$NGINX" -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
    die "nginx rejects deploy/ingest/estel-ingest.nginx.conf"
  "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" ||
    die "nginx did not start"
  NGINX_DIRS+=("$dir")
  for i in $(seq 100); do
    [ -s "$dir/nginx.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
  NURL="https://127.0.0.1:$port/v1/batches"
}

# mkbatch PREFIX [args]: PREFIX.zst, PREFIX.hdr, PREFIX.raw
mkbatch() {
  local p=$1; shift
  "$MKBATCH" --body "$p.zst" --headers "$p.hdr" --raw "$p.raw" "$@" ||
    die "ingest_mkbatch $*"
}

# post_direct PREFIX [curl args]: as nginx would, from loopback
post_direct() {
  local p=$1; shift
  curl -s -o "$T/last.body" -w '%{http_code}' -H @"$p.hdr" \
    -H 'X-SSL-Client-Verify: SUCCESS' \
    -H 'X-SSL-Client-S-DN: CN=host-0001,O=estel-test' \
    --data-binary @"$p.zst" "$@" "$IURL" || true
}

post_nginx() {
  local p=$1; shift
  curl -s -o "$T/last.body" -w '%{http_code}' -H @"$p.hdr" \
    --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client.key" \
    --data-binary @"$p.zst" "$@" "$NURL" || true
}

# expect WHAT WANT GOT: one test line
expect() {
  [ "$3" = "$2" ] || die "$1: expected $2, got $3 ($(head -c 300 "$T/last.body" 2>/dev/null))"
  ok "$1 -> $3"
}

out_lines() {
  cat "$T/$1"/out/estel-*.ndjson* 2>/dev/null | wc -l
}

# agent_plist FILE [XML...]: an agent configuration for host-0001 with the
# test PKI, quick retries, and any extra keys given as XML
agent_plist() {
  local f=$1; shift
  cat > "$f" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>HostID</key><string>host-0001</string>
<key>ClientCertificate</key><string>$PKI/client.pem</string>
<key>ClientKey</key><string>$PKI/client.key</string>
<key>ServerCA</key><string>$PKI/ca.pem</string>
<key>RetryMaxSeconds</key><integer>2</integer>
$*
</dict></plist>
P
}

# check_output NAME: every record of every file (files in name order),
# per host and boot.  Prints "records events gaps status max_seq
# duplicates missing disorder": duplicates = a sequence number seen again,
# missing = numbers between 1 and max_seq never seen, disorder = events
# whose number is below the previous event's.
check_output() {
  local files
  files=$(ls "$T/$1"/out/estel-*.ndjson* 2>/dev/null | sort)
  [ -n "$files" ] || { echo "0 0 0 0 0 0 0 0"; return; }
  cat $files | $PY -c '
import json, sys
seen, last = {}, {}
n = events = gaps = status = dups = disorder = 0
for line in sys.stdin:
    d = json.loads(line)
    key = (d["host"]["id"], d["estel"]["boot_id"])
    s = d["event"]["sequence"]
    ds = d["event"]["dataset"]
    n += 1
    events += ds == "estel.events"
    gaps += ds == "estel.gap"
    status += ds == "estel.status"
    got = seen.setdefault(key, set())
    dups += s in got
    got.add(s)
    if ds == "estel.events":
        disorder += s < last.get(key, 0)
        last[key] = s
hi = max((max(v) for v in seen.values()), default=0)
missing = sum(max(v) - len(v) for v in seen.values())
print(n, events, gaps, status, hi, dups, missing, disorder)
'
}
