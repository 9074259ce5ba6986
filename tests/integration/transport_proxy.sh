#!/bin/bash
# transport_proxy.sh - uploads through a real HTTP CONNECT proxy (Debian's
# tinyproxy, own config in the temp dir, not the system service): the Proxy
# key, then https_proxy from the environment, then no_proxy bypassing it;
# a dead proxy keeps the data; proxy credentials never reach the log.
set -euo pipefail
. "$(dirname "$0")/lib/transport_env.sh"
command -v tinyproxy >/dev/null || skip "tinyproxy is not installed (apt-get install tinyproxy)"

backend_start be
front_start front "127.0.0.1:$BPORT"
URL=https://127.0.0.1:$PORT/v1/batches
PPORT=$(free_port)
cat > "$T/tinyproxy.conf" <<EOF
Port $PPORT
Listen 127.0.0.1
Timeout 60
LogFile "$T/tinyproxy.log"
LogLevel Connect
PidFile "$T/tinyproxy.pid"
MaxClients 20
Allow 127.0.0.1
EOF
tinyproxy -d -c "$T/tinyproxy.conf" 2> "$T/tinyproxy.err" & PIDS+=($!)
wait_for 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$PPORT) 2>/dev/null" || die "tinyproxy did not start"
connects() { grep -c "CONNECT.*127.0.0.1:$PORT" "$T/tinyproxy.log" 2>/dev/null || true; }

drain() { # name env... -- cfg...
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  spool_fill "$T/$name" 3
  cfg_client "$T/$name.plist" "$URL" "$@"
  env "${envs[@]}" timeout 30 "$UPLOAD" send --spool "$T/$name" --config "$T/$name.plist" \
    --drain > "$T/$name.out" 2> "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: not delivered"; }
  [ "$(count "$T/$name/ready")" = 0 ] || die "$name: left batches"
}

drain key -u https_proxy -u HTTPS_PROXY -- "Proxy=http://estel:s3cret-pw@127.0.0.1:$PPORT"
n1=$(connects)
[ "$n1" -ge 1 ] || die "Proxy key: no CONNECT seen by tinyproxy"
grep -q "through Proxy" "$T/key.err" || die "Proxy key: not mentioned at start"
! grep -q "s3cret-pw" "$T/key.err" "$T/key.out" || die "proxy password in the log"
ok "Proxy key: 3 batches through CONNECT ($n1 tunnel), credentials not logged"

drain env -u no_proxy -u NO_PROXY "https_proxy=http://127.0.0.1:$PPORT" --
n2=$(connects)
[ "$n2" -gt "$n1" ] || die "https_proxy: tinyproxy saw no new CONNECT"
ok "https_proxy from the environment: used"

drain noproxy "https_proxy=http://127.0.0.1:$PPORT" "no_proxy=127.0.0.1" --
[ "$(connects)" = "$n2" ] || die "no_proxy: went through the proxy anyway"
ok "no_proxy: bypassed"

# a proxy that is not there: transient, data kept
DEAD=$(free_port)
spool_fill "$T/dead" 2
cfg_client "$T/dead.plist" "$URL" "Proxy=http://127.0.0.1:$DEAD"
"$UPLOAD" send --spool "$T/dead" --config "$T/dead.plist" > "$T/dead.out" 2> "$T/dead.err" & pid=$!
wait_for 10 grep -qs "batches are kept" "$T/dead.err" || die "dead proxy: not reported"
kill -TERM $pid; wait $pid || true
[ "$(count "$T/dead/ready")" = 2 ] || die "dead proxy: data not kept"
ok "unreachable proxy: reported, data kept"
echo "transport_proxy: all passed"
