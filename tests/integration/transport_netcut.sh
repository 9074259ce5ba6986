#!/bin/bash
# transport_netcut.sh - an offline laptop: the uploader runs in its own
# network namespace, linked by a veth pair to a second namespace where
# nginx listens.  With the link down the uploader backs off (RetryMaxSeconds
# 120) until a single wait is long; then the link comes back and the
# rtnetlink watch must flush the backlog within seconds instead of waiting
# the backoff out.  All traffic stays inside the two namespaces made here.
set -euo pipefail
. "$(dirname "$0")/lib/transport_env.sh"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"

id=$(( $$ % 250 + 1 ))
NSA=estel-a-$$ NSB=estel-b-$$ VA=esta$$ VB=estb$$
A_IP=10.231.$id.1 B_IP=10.231.$id.2
ip netns add "$NSA" 2>/dev/null || skip "cannot create network namespaces here (needs root/CAP_SYS_ADMIN)"
EXTRA_CLEANUP='ip netns del "$NSA" 2>/dev/null || true; ip netns del "$NSB" 2>/dev/null || true'
ip netns add "$NSB" || die "ip netns add $NSB"
ip link add "$VA" type veth peer name "$VB" || skip "cannot create a veth pair here"
ip link set "$VA" netns "$NSA"
ip link set "$VB" netns "$NSB"
ip -n "$NSA" addr add "$A_IP/24" dev "$VA"
ip -n "$NSB" addr add "$B_IP/24" dev "$VB"
ip -n "$NSA" link set lo up; ip -n "$NSB" link set lo up
ip -n "$NSB" link set "$VB" up

pki_make "$T/pki2" host-0001 "IP:$B_IP" >/dev/null || die "pki"
PORT=$(free_port); NDIR=$T/ngxb
NGINX_PKI=$T/pki2 NGINX_LISTEN=$B_IP NGINX_NETNS=1 NGINX_WRAP="ip netns exec $NSB" \
  nginx_start "$NDIR" "$PORT" sink || die "nginx in $NSB did not start"
delivered() { awk '$2 == 204' "$NDIR/access.log" | wc -l; }

spool_fill "$T/off" 5
cfg_write "$T/off.plist" "ServerURL=https://$B_IP:$PORT/v1/batches" \
  "ServerCA=$T/pki2/ca.pem" "ClientCertificate=$T/pki2/client.pem" \
  "ClientKey=$T/pki2/client.key" "RetryMaxSeconds=120" "ConnectTimeoutSeconds=2"
# link down from the start: every try fails at once (no route)
ESTEL_LOG_LEVEL=debug ip netns exec "$NSA" "$UPLOAD" send --spool "$T/off" \
  --config "$T/off.plist" --state > "$T/off.out" 2> "$T/off.err" & pid=$!
PIDS+=($pid)
# wait until one backoff wait is at least 10 s long
long_wait() {
  grep -Eo "(next try in|retrying in) [0-9]+ (s|ms)" "$T/off.err" | tail -1 |
    awk '{ms = ($NF == "s") ? $(NF-1) * 1000 : $(NF-1); exit !(ms >= 10000)}'
}
wait_for 45 long_wait || { tail -5 "$T/off.err" >&2; die "the backoff never grew to 10 s"; }
[ "$(delivered)" = 0 ] || die "delivered while the link was down?"
[ "$(count "$T/off/ready")" = 5 ] || die "backlog not kept while offline"
grep -q '"consecutive_failures":[1-9]' "$T/off/state/status.json" || die "state file shows no failures"

up_at=$(date +%s.%N)
ip -n "$NSA" link set "$VA" up
wait_for 10 bash -c "[ \$(awk '\$2 == 204' '$NDIR/access.log' | wc -l) = 5 ]" ||
  { tail -5 "$T/off.err" >&2; die "backlog not flushed within 10 s of link-up"; }
done_at=$(date +%s.%N)
took=$(awk -v a="$up_at" -v b="$done_at" 'BEGIN {printf "%.1f", b - a}')
grep -q "network changed; retrying in" "$T/off.err" || die "the wake-up was not the network watch"
[ "$(count "$T/off/ready")" = 0 ] || sleep 1
[ "$(count "$T/off/ready")" = 0 ] || die "ready/ not empty after the flush"
kill -TERM $pid; wait $pid || true
ok "offline -> link up: 5 batches flushed ${took}s after link-up (backoff wait was >= 10 s)"
echo "transport_netcut: all passed"
