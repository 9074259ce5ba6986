#!/usr/bin/env bash
# demo.sh - estel end to end on this machine, nothing installed or left
# running: a throwaway CA with a server and a client certificate, nginx
# (deploy/ingest/estel-ingest.nginx.conf) terminating mutual TLS on
# loopback, `estel ingest` behind it, and `estel run` sending 20000
# synthetic macOS events through its spool.  Shows a few events as they
# landed in the NDJSON output and a one-line summary, then stops what it
# started.  Needs a built tree (scripts/build.sh; ESTEL_BUILD=dir to use
# another build directory), nginx, openssl, curl and python3.
#   DEMO_COUNT=N   events to send (default 20000)
#   DEMO_FORMAT=ocsf  write OCSF instead of ECS
# Files stay in .demo/ for a look afterwards (out/*.ndjson, logs).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
BUILD=${ESTEL_BUILD:-build}
ESTEL=$BUILD/cli/estel
NGINX=${NGINX:-/usr/sbin/nginx}
PY=/usr/bin/python3
COUNT=${DEMO_COUNT:-20000}
HOST_ID=demo-mac-0001
D=$SRC/.demo

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

[ -x "$ESTEL" ] || die "$ESTEL is missing; build first (scripts/build.sh)"
for t in "$NGINX" openssl curl "$PY"; do
  command -v "$t" >/dev/null || die "$t is not installed (scripts/deps.sh installs it)"
done

INGEST_PID="" NGINX_PID=""
cleanup() {
  local rc=$?
  if [ -n "$INGEST_PID" ] && kill -0 "$INGEST_PID" 2>/dev/null; then
    kill -TERM "$INGEST_PID" 2>/dev/null || true
    wait "$INGEST_PID" 2>/dev/null || true
  fi
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  [ $rc -eq 0 ] || echo "demo: failed; logs are in $D" >&2
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "$p"; return; }
  done
  die "no free port"
}

rm -rf "$D"
mkdir -p "$D/pki" "$D/nginx/tmp" "$D/out"

say "1/5 a throwaway CA, a server certificate and a client certificate (CN=$HOST_ID)"
(
  cd "$D/pki"
  umask 077
  key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
  key ca.key
  openssl req -x509 -new -key ca.key -sha256 -days 2 -subj "/O=estel demo/CN=estel demo CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
    -out ca.pem 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext
  printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n' > client.ext
  for n in server client; do
    key $n.key
    cn=localhost; [ $n = client ] && cn=$HOST_ID
    openssl req -new -key $n.key -subj "/O=estel demo/CN=$cn" -out $n.csr 2>/dev/null
    openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 \
      -days 2 -extfile $n.ext -out $n.pem 2>/dev/null
  done
  rm -f ./*.csr ./*.ext ./*.srl
  chmod 644 ./*.pem
)
echo "    $D/pki: ca.pem, server.pem, client.pem (keys 0600)"

say "2/5 estel ingest on loopback, writing ${DEMO_FORMAT:-ecs} NDJSON to .demo/out"
if [ "${DEMO_FORMAT:-ecs}" = ocsf ]; then
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>IngestFormat</key><string>ocsf</string></dict></plist>\n' > "$D/ingest.plist"
else
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n' > "$D/ingest.plist"
fi
"$ESTEL" ingest --config "$D/ingest.plist" --listen 127.0.0.1:0 --out "$D/out" \
  2> "$D/ingest.log" &
INGEST_PID=$!
IADDR=""
for _ in $(seq 100); do
  IADDR=$(sed -n 's/.*listening on \([^,]*\),.*/\1/p' "$D/ingest.log")
  [ -n "$IADDR" ] && break
  kill -0 "$INGEST_PID" 2>/dev/null || { cat "$D/ingest.log" >&2; die "ingest did not start"; }
  sleep 0.05
done
[ -n "$IADDR" ] || die "ingest did not start"
echo "    ingest pid $INGEST_PID on http://$IADDR (trusts nginx's client-certificate headers from loopback only)"

say "3/5 nginx terminating mutual TLS (deploy/ingest/estel-ingest.nginx.conf)"
PORT=$(free_port)
sed -e "s#server unix:/run/estel/ingest.sock;#server $IADDR;#" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$PORT ssl http2;#" \
    -e "/listen \[::\]:443/d" \
    -e "s#/etc/estel/ingest/server.pem#$D/pki/server.pem#" \
    -e "s#/etc/estel/ingest/server.key#$D/pki/server.key#" \
    -e "s#/etc/estel/ingest/agents-ca.pem#$D/pki/ca.pem#" \
    -e "s#/var/log/nginx/estel-ingest.access.log#$D/nginx/access.log#" \
    -e "s#/var/log/nginx/estel-ingest.error.log#$D/nginx/error.log#" \
    deploy/ingest/estel-ingest.nginx.conf > "$D/nginx/site.conf"
cat > "$D/nginx/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $D/nginx/nginx.pid;
error_log $D/nginx/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path $D/nginx/tmp/body;
  proxy_temp_path $D/nginx/tmp/proxy;
  fastcgi_temp_path $D/nginx/tmp/fastcgi;
  uwsgi_temp_path $D/nginx/tmp/uwsgi;
  scgi_temp_path $D/nginx/tmp/scgi;
  include $D/nginx/site.conf;
}
CONF
"$NGINX" -q -p "$D/nginx" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log" -t ||
  die "nginx rejects the configuration"
"$NGINX" -p "$D/nginx" -c "$D/nginx/nginx.conf" -e "$D/nginx/error.log"
for _ in $(seq 100); do
  [ -s "$D/nginx/nginx.pid" ] && break
  sleep 0.05
done
NGINX_PID=$(cat "$D/nginx/nginx.pid")
URL=https://127.0.0.1:$PORT/v1/batches
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$D/pki/ca.pem" -X POST "$URL" || true)
echo "    nginx pid $NGINX_PID on $URL (no client certificate -> $code)"

say "4/5 estel run: $COUNT synthetic events -> spool -> mTLS upload"
cat > "$D/agent.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>HostID</key><string>$HOST_ID</string>
<key>ClientCertificate</key><string>$D/pki/client.pem</string>
<key>ClientKey</key><string>$D/pki/client.key</string>
<key>ServerCA</key><string>$D/pki/ca.pem</string>
</dict></plist>
P
start=$(date +%s.%N)
"$ESTEL" run --config "$D/agent.plist" --source synthetic --count "$COUNT" \
  --spool "$D/spool" --server "$URL" --drain 2> "$D/agent.log" ||
  { tail -5 "$D/agent.log" >&2; die "estel run failed"; }
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "    done in ${secs}s: every batch acknowledged, spool empty ($(ls "$D/spool/ready" | wc -l) left)"
kill -TERM "$INGEST_PID"
wait "$INGEST_PID" 2>/dev/null || true
INGEST_PID=""

say "5/5 what the SIEM gets: $(ls "$D/out"/*.ndjson | wc -l) file(s) in .demo/out, three events:"
cat "$D/out"/estel-*.ndjson | $PY -c '
import json, sys
lines = [json.loads(l) for l in sys.stdin]
want = ["exec", "rename", "close"]
for w in want:
    for d in lines:
        a = d.get("event", {}).get("action") or d.get("metadata", {}).get("event_code")
        if a == w:
            print(json.dumps(d, indent=2))
            break
'
sent=$COUNT
cat "$D/out"/estel-*.ndjson | $PY -c '
import json, sys
sent = int(sys.argv[1])
ids, events, gaps, status = [], 0, 0, 0
for l in sys.stdin:
    d = json.loads(l)
    if "event" in d:
        ds, i = d["event"]["dataset"], d["event"]["id"]
    else:
        ds, i = d["metadata"]["log_name"], d["metadata"]["uid"]
    ids.append(i)
    events += ds == "estel.events"
    gaps += ds == "estel.gap"
    status += ds == "estel.status"
dups = len(ids) - len(set(ids))
print("\033[1msummary: events sent %d, received %d, duplicates %d, gaps %d "
      "(status records %d)\033[0m" % (sent, events, dups, gaps, status))
sys.exit(0 if events == sent and dups == 0 else 1)
' "$sent"
