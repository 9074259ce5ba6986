#!/bin/bash
# fleet_reconnect.sh - a fleet comes back after an ingest outage.
#
# N agents (CI: 24; ESTEL_LONG=1: 200; ESTEL_FLEET_AGENTS overrides), each
# its own process, spool and client certificate (CN = its HostID, all
# signed by the test CA):
#   1. offline: each spools P1 synthetic events with no server configured;
#   2. server down: all N start at once with the server configured, spool
#      P2 more events and keep failing to connect (connection refused),
#      backing off with full jitter up to RetryMaxSeconds;
#   3. the server comes back (nginx + `estel ingest`) and every agent
#      flushes its backlog and exits (drain mode).
# Checks: no agent gives up (all exit 0 within the deadline); ingest is not
# overwhelmed (no 5xx from the front after it is up); the reconnects are
# spread by the random delay (arrival curve from nginx's $msec); and the
# ledger: every host's collector sequence numbers are covered exactly once,
# every event landed once (dedupe by event id), no silent loss.
set -euo pipefail
. "$(dirname "$0")/lib/proof_env.sh"
proof_init fleet

if [ "$LONG" = 1 ]; then
  N=${ESTEL_FLEET_AGENTS:-200} P1=8000 P2=2000 RMAX=20 DEADLINE=300
else
  N=${ESTEL_FLEET_AGENTS:-24} P1=1500 P2=500 RMAX=3 DEADLINE=60
fi
note "fleet: $N agents, $P1 events offline + $P2 with the server down, RetryMaxSeconds $RMAX"

# ---- identities ---------------------------------------------------------
hosts=()
for i in $(seq "$N"); do
  h=$(printf 'host-%04d' "$i")
  hosts+=("$h")
  pki_host "$h" "$h"
done
printf '%s\n' "${hosts[@]}" > "$T/hosts.txt"
ok "$N client certificates (CN = host id) from the test CA"

port=$(free_port)
url="https://127.0.0.1:$port/v1/batches"
common=(StatusIntervalSeconds=0 RingBytes=1048576 BatchMaxBytes=131072
        BatchMaxAgeSeconds=0.5 "RetryMaxSeconds=$RMAX" ConnectTimeoutSeconds=2)

# ---- 1. offline: spool with no server -----------------------------------
i=0
for h in "${hosts[@]}"; do
  i=$((i + 1))
  agent_plist "$T/$h.off.plist" "$h" "" "${common[@]}"
  "$ESTEL" run --config "$T/$h.off.plist" --source synthetic --count "$P1" \
    --seed $((2 * i + 1)) --spool "$T/spool/$h" --drain 2> "$T/$h.off.log" &
  # a few at a time: the box has two cores
  [ $((i % 8)) = 0 ] && wait
done
wait
for h in "${hosts[@]}"; do
  [ -n "$(ls "$T/spool/$h/ready")" ] || die "$h spooled nothing (see $T/$h.off.log)"
done
ok "offline: every agent spooled $P1 events with no server"

# ---- 2. everyone online at once, the server down ------------------------
declare -A apid
i=0
for h in "${hosts[@]}"; do
  i=$((i + 1))
  agent_plist "$T/$h.plist" "$h" "$url" "${common[@]}"
  "$ESTEL" run --config "$T/$h.plist" --source synthetic --count "$P2" \
    --seed $((2 * i + 2)) --spool "$T/spool/$h" --drain 2> "$T/$h.log" &
  apid[$h]=$!
  PIDS+=("${apid[$h]}")
done
# long enough for every agent's backoff to reach its cap (1, 2, 4, ... s)
sleep $((2 * RMAX + 2))
for h in "${hosts[@]}"; do
  kill -0 "${apid[$h]}" 2>/dev/null || die "$h exited while the server was down ($(tail -1 "$T/$h.log"))"
done
fails=$(cat "$T"/host-*.log | grep -c 'cannot connect' || true)
ok "server down: all $N agents up, spooling and retrying ($fails logged connection failures)"

# ---- 3. the server comes back --------------------------------------------
ingest_up ingest
up_ms=$(date +%s%3N)
front_up front "$port" "127.0.0.1:$IPORT"
note "server up at $up_ms ms"
deadline=$((SECONDS + DEADLINE))
gaveup=()
for h in "${hosts[@]}"; do
  while kill -0 "${apid[$h]}" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if kill -0 "${apid[$h]}" 2>/dev/null; then gaveup+=("$h (still running)")
  elif ! wait "${apid[$h]}"; then gaveup+=("$h (exit $?)")
  fi
done
[ ${#gaveup[@]} = 0 ] || die "agents that did not finish: ${gaveup[*]}"
done_ms=$(date +%s%3N)
ok "every agent flushed its backlog and exited 0 ($(( (done_ms - up_ms) / 1000 )) s after the server came back)"
front_down front
ingest_down ingest

# ---- the arrival curve ----------------------------------------------------
"$PY" - "$T/front/access.log" "$up_ms" "$RMAX" "$N" > "$T/arrival.txt" <<'PY' ||
import sys, re
log, up_ms, rmax, n = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
first, reqs, bad, times, rtimes = {}, 0, 0, [], []
for line in open(log):
    f = line.split()
    t, status = float(f[0]), int(f[1])
    rtimes.append(float(f[3]))
    m = re.search(r'CN=([^,"]+)', line)
    host = m.group(1) if m else "?"
    reqs += 1
    times.append(t)
    if status >= 500:
        bad += 1
    first.setdefault(host, t)
up = up_ms / 1000.0
rel = sorted(t - up for t in first.values())
def pct(p): return rel[min(len(rel) - 1, int(p * len(rel)))]
buckets = {}
for t in times:
    b = int((t - up) // 0.5)
    buckets[b] = buckets.get(b, 0) + 1
peak = max(buckets.values()) if buckets else 0
rtimes.sort()
rt = lambda p: rtimes[min(len(rtimes) - 1, int(p * len(rtimes)))]
print("hosts %d requests %d 5xx %d first-contact p10 %.2f p50 %.2f p90 %.2f max %.2f s; peak %d requests per 0.5 s; request time p50 %.3f p99 %.3f max %.3f s" % (
    len(first), reqs, bad, pct(0.1), pct(0.5), pct(0.9), rel[-1], peak,
    rt(0.5), rt(0.99), rtimes[-1]))
print("first contacts per second after the server came back:")
sec = {}
for r in rel:
    sec[int(r)] = sec.get(int(r), 0) + 1
for s in range(0, int(rel[-1]) + 1):
    print("  %3d s %4d %s" % (s, sec.get(s, 0), "#" * sec.get(s, 0)))
ok = len(first) == n and bad == 0 and (pct(0.9) - pct(0.1)) >= rmax / 5
print("RESULT fleet_hosts=%d fleet_requests=%d fleet_5xx=%d fleet_first_p10_s=%.2f fleet_first_p90_s=%.2f fleet_first_max_s=%.2f fleet_peak_per_half_s=%d fleet_request_p99_s=%.3f" % (
    len(first), reqs, bad, pct(0.1), pct(0.9), rel[-1], peak, rt(0.99)))
sys.exit(0 if ok else 1)
PY
  { cat "$T/arrival.txt"; die "arrival curve: a host missing, a 5xx, or no spread (p90-p10 < RetryMaxSeconds/5)"; }
cat "$T/arrival.txt"
ok "reconnects spread by the random delay, no 5xx from the front"

# ---- the ledger ---------------------------------------------------------
spools=()
for h in "${hosts[@]}"; do spools+=(--spool "$h=$T/spool/$h"); done
ledger "$T/ingest/out" --hosts "$T/hosts.txt" --expect-all $((P1 + P2)) --from-cs 1 \
  "${spools[@]}" --quiet > "$T/ledger.txt" || { cat "$T/ledger.txt"; die "ledger"; }
cat "$T/ledger.txt"
grep -q 'ledger_on_agent=0 ' "$T/ledger.txt" || die "batches left on agents"
ok "ledger: $N hosts x $((P1 + P2)) events, each landed exactly once, no silent loss"
echo "fleet_reconnect: all passed"
