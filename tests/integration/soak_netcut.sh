#!/bin/bash
# soak_netcut.sh - the network is cut and restored again and again while
# events keep coming.
#
#   esfeed.py --FIFO--> estel run          [netns A]
#                          | veth, cut and restored at random
#                       nginx (mTLS) --> estel ingest   [netns B]
#
# The agent keeps spooling while offline, backs off, and is woken by the
# network change (rtnetlink) when the link comes back.  Ledger over the
# feed's ES global_seq_num 0..G-1: every event landed exactly once, none
# lost.  Needs root (network namespaces; skipped otherwise).
# CI: 12 s of feed; ESTEL_LONG=1: 5 minutes.
set -euo pipefail
command -v ip >/dev/null || { echo "SKIP: ip (iproute2) is not installed"; exit 77; }
id=$(( $$ % 250 + 1 ))
NSA=estel-na-$$ NSB=estel-nb-$$ VA=ena$$ VB=enb$$
A_IP=10.232.$id.1 B_IP=10.232.$id.2
PROOF_SAN="IP:$B_IP"
. "$(dirname "$0")/lib/proof_env.sh"
proof_init soak-netcut

RATE=1000
if [ "$LONG" = 1 ]; then SECS=${ESTEL_SOAK_SECONDS:-300}; else SECS=${ESTEL_SOAK_SECONDS:-12}; fi
G=$((RATE * SECS))
ip netns add "$NSA" 2>/dev/null || skip "cannot create network namespaces here (needs root)"
NETNS+=("$NSA")
ip netns add "$NSB" || die "ip netns add $NSB"
NETNS+=("$NSB")
ip link add "$VA" type veth peer name "$VB" 2>/dev/null || skip "cannot create a veth pair here"
ip link set "$VA" netns "$NSA"
ip link set "$VB" netns "$NSB"
ip -n "$NSA" addr add "$A_IP/24" dev "$VA"
ip -n "$NSB" addr add "$B_IP/24" dev "$VB"
for ns in "$NSA" "$NSB"; do ip -n "$ns" link set lo up; done
ip -n "$NSA" link set "$VA" up
ip -n "$NSB" link set "$VB" up

INGEST_WRAP="ip netns exec $NSB" ingest_up ingest
port=$(free_port)
FRONT_WRAP="ip netns exec $NSB" FRONT_LISTEN=$B_IP front_up front "$port" "127.0.0.1:$IPORT"
agent_plist "$T/agent.plist" client "$FRONT_URL" StatusIntervalSeconds=0 \
  BatchMaxAgeSeconds=0.5 BatchMaxBytes=262144 RetryMaxSeconds=8 ConnectTimeoutSeconds=2
mkfifo "$T/feed"
"$PY" "$(dirname "$0")/lib/esfeed.py" feed "$G" "$T/feed" --rate $RATE \
  --marks "$T/marks" 2> "$T/feeder.log" &
feeder=$!
PIDS+=("$feeder")
ip netns exec "$NSA" "$ESTEL" run --config "$T/agent.plist" --source eslogger \
  --input "$T/feed" --spool "$T/spool" --drain 2> "$T/agent.log" &
agent=$!
PIDS+=("$agent")

cuts=0 down_s=0
while kill -0 "$feeder" 2>/dev/null; do
  sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.1f", 1 + r % 20 / 10}')"
  kill -0 "$feeder" 2>/dev/null || break
  d=$(awk -v r=$RANDOM 'BEGIN {printf "%.1f", 1 + r % 30 / 10}')
  ip -n "$NSA" link set "$VA" down
  sleep "$d"
  ip -n "$NSA" link set "$VA" up
  cuts=$((cuts + 1)); down_s=$(awk -v a=$down_s -v b="$d" 'BEGIN {print a + b}')
done
wait "$feeder" || die "feeder: $(cat "$T/feeder.log")"
up_at=$SECONDS
wait_for 60 bash -c "! kill -0 $agent 2>/dev/null" || die "the agent did not drain after the last cut"
wait "$agent" || die "agent exited $? ($(tail -2 "$T/agent.log"))"
[ ! -s "$T/marks" ] || die "the agent died during the feed"
woken=$(grep -c 'network changed' "$T/agent.log" || true)
ok "$cuts cuts (${down_s}s offline in ${SECS}s), agent woken by the network change $woken times, drained $((SECONDS - up_at))s after the feed ended"
ingest_down ingest
ledger "$T/ingest/out" --feed "host-0001=$G" --expect "host-0001=$G" --from-cs 1 > "$T/ledger.txt" ||
  { cat "$T/ledger.txt"; die "ledger"; }
head -1 "$T/ledger.txt"
grep -q "ledger_feed_landed=$G " "$T/ledger.txt" || die "not every event landed"
ok "ledger: all $G events landed exactly once across the cuts"
echo "soak_netcut: all passed"
