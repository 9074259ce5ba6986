# transport_env.sh - shared set-up for tests/integration/transport_*.sh.
# Source it after "set -euo pipefail".  Gives: $T (private temp dir, removed
# at exit with everything started here stopped by pid), $PKI, helpers below.
here_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here_lib/pki.sh"
. "$here_lib/nginx.sh"
UPLOAD=${ESTEL_UPLOAD:-}
if [ -z "$UPLOAD" ]; then
  for c in tests/estel-upload estel-upload bench/upload/estel-upload; do
    [ -x "${ESTEL_BUILD:-.}/$c" ] && { UPLOAD=${ESTEL_BUILD:-.}/$c; break; }
  done
fi
PY=/usr/bin/python3

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

for tool in "$NGINX" openssl curl "$PY"; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (apt-get install nginx-light openssl curl python3)"
done
[ -x "$UPLOAD" ] || die "estel-upload not built at $UPLOAD (cmake --build ... --target estel-upload)"

T=$(mktemp -d /tmp/estel-transport.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for d in "$T"/ngx*; do [ -d "$d" ] && nginx_stop "$d"; done
  [ -n "${EXTRA_CLEANUP:-}" ] && eval "$EXTRA_CLEANUP"
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

# a free TCP port on 127.0.0.1 (and the +1000 one the sink uses)
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
      ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1000))") 2>/dev/null && { echo "$p"; return; }
  done
  die "no free port"
}

PKI=$T/pki
pki_make "$PKI" host-0001 >/dev/null || die "pki_make failed"

# backend_start NAME -> $BPORT, dir $T/NAME
backend_start() {
  BDIR=$T/$1; mkdir -p "$BDIR"; BPORT=$(free_port)
  "$PY" "$here_lib/backend.py" "$BPORT" "$BDIR" & PIDS+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$BPORT/" >/dev/null 2>&1 && return 0; sleep 0.05; done
  die "backend did not start"
}
backend_script() { printf '%s\n' "$@" | curl -fsS --data-binary @- "http://127.0.0.1:$BPORT/_ctl"; }

# front_start NAME UPSTREAM -> $PORT, $NDIR ($T/ngxNAME)
front_start() {
  NDIR=$T/ngx$1; PORT=$(free_port)
  NGINX_PKI=$PKI nginx_start "$NDIR" "$PORT" "$2" || die "nginx did not start"
}

# cfg_write FILE Key=Value... (digits: <integer>, else <string>)
cfg_write() {
  local f=$1 kv k v; shift
  { echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">'
    echo '<plist version="1.0"><dict>'
    for kv in "$@"; do
      k=${kv%%=*}; v=${kv#*=}
      if [[ $v =~ ^[0-9]+$ ]]; then echo "<key>$k</key><integer>$v</integer>"
      else echo "<key>$k</key><string>$v</string>"; fi
    done
    echo '</dict></plist>'; } > "$f"
}
# the usual mTLS client settings for URL
cfg_client() { # FILE URL extra...
  local f=$1 url=$2; shift 2
  cfg_write "$f" "ServerURL=$url" "ClientCertificate=$PKI/client.pem" \
    "ClientKey=$PKI/client.key" "ServerCA=$PKI/ca.pem" "RetryMaxSeconds=2" \
    "ConnectTimeoutSeconds=2" "$@"
}

# spool_fill DIR BATCHES [RECORDS] [PAD] ; snapshot to DIR.snap
spool_fill() {
  "$UPLOAD" fill --spool "$1" --batches "$2" --records "${3:-200}" --pad "${4:-300}" >/dev/null ||
    die "fill $1 failed"
  rm -rf "$1.snap"; cp -a "$1/ready" "$1.snap"
}
count() { find "$1" -maxdepth 1 -type f -name "${2:-*}" 2>/dev/null | wc -l; }

# wait_for SECONDS CMD... : poll until CMD succeeds
wait_for() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
  return 1
}

# check_store SNAPDIR STOREDIR: every stored body is the tail of exactly one
# snapshot file (the frame as stored, byte for byte); prints "matched N"
check_store() {
  "$PY" - "$1" "$2" <<'PY'
import os, sys
snap, store = sys.argv[1], sys.argv[2]
files = {n: open(os.path.join(snap, n), "rb").read() for n in os.listdir(snap)}
used = set()
for s in sorted(os.listdir(store)):
    body = open(os.path.join(store, s), "rb").read()
    hits = [n for n, d in files.items() if d.endswith(body) and len(d) > len(body)]
    if len(hits) != 1:
        sys.exit("stored %s matches %d snapshot files" % (s, len(hits)))
    if hits[0] in used:
        sys.exit("two stored bodies match %s" % hits[0])
    used.add(hits[0])
print("matched %d" % len(used))
PY
}
# keys_sent LOG: idempotency keys in request order, one per line
keys_of() { "$PY" -c 'import json,sys
for l in open(sys.argv[1]): print(json.loads(l)["key"])' "$1"; }
