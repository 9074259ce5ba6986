#!/bin/bash
# soak_flap.sh - a server that flaps between 200, 500, 503 and 429 with
# Retry-After, drops connections, and "loses" answers after storing:
#
#   estel run --> nginx (mTLS) --> flapper.py --> estel ingest
#
# The agent must keep every batch until it is acknowledged, retry with
# backoff (honouring Retry-After), and a batch stored but not acknowledged
# must be settled by ingest's idempotency key (409) - never written twice.
# The ledger: every event landed exactly once, nothing lost, no duplicate
# line in the NDJSON at all.  Then a server that refuses some batches for
# good (422): they go to dead/ on the agent, each becomes a gap record that
# reaches the SIEM, and the rest flows on.
# ESTEL_LONG=1: ten times the events.
set -euo pipefail
. "$(dirname "$0")/lib/proof_env.sh"
proof_init soak-flap
if [ "$LONG" = 1 ]; then N=150000; else N=6000; fi

ingest_up ingest
fport=$(free_port)
"$PY" "$(dirname "$0")/lib/flapper.py" "$fport" "$IPORT" "$T/flap.json" \
  --seed "${ESTEL_FLAP_SEED:-5}" 2> "$T/flapper.log" &
flapper=$!
PIDS+=("$flapper")
wait_for 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$fport) 2>/dev/null" || die "flapper did not start"
port=$(free_port)
front_up front "$port" "127.0.0.1:$fport"
agent_plist "$T/agent.plist" client "$FRONT_URL" StatusIntervalSeconds=0 \
  BatchMaxBytes=262144 RetryMaxSeconds=1 ConnectTimeoutSeconds=2
t0=$SECONDS
"$ESTEL" run --config "$T/agent.plist" --source synthetic --count "$N" \
  --seed 11 --spool "$T/spool" --drain 2> "$T/agent.log" ||
  die "agent exited $? ($(tail -2 "$T/agent.log"))"
took=$((SECONDS - t0))
kill -TERM "$flapper"; wait "$flapper" 2>/dev/null || true
ingest_down ingest
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("# flapper: " + ", ".join("%s %d" % kv for kv in sorted(d["actions"].items())) +
      "; ingest answered " + ", ".join("%s %d" % kv for kv in sorted(d["ingest"].items())))
sys.exit(0 if d["actions"].get("lostack", 0) and d["ingest"].get("409", 0) else 2)' "$T/flap.json" ||
  die "no lost acknowledgement was settled by a 409 (see $T/flap.json)"
codes=$(awk '{print $2}' "$T/front/access.log" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')
ok "agent drained $N events through the flapping server in ${took}s (front answered: ${codes%, })"
ledger "$T/ingest/out" --expect "host-0001=$N" --from-cs 1 > "$T/ledger.txt" ||
  { cat "$T/ledger.txt"; die "ledger"; }
head -1 "$T/ledger.txt"
grep -q 'ledger_duplicates_removed=0 ' "$T/ledger.txt" ||
  die "a batch was written twice (ingest dedupe by Idempotency-Key failed)"
grep -q 'ledger_lost_reported=0 ' "$T/ledger.txt" || die "events lost"
ok "ledger: all $N events landed exactly once, no duplicate lines, nothing lost"

# ---- permanent refusals: 422 for some batches -> dead/ -------------------
ingest_up ingest2
fport=$(free_port)
"$PY" "$(dirname "$0")/lib/flapper.py" "$fport" "$IPORT" "$T/flap2.json" \
  --seed 3 --weights pass=80,reject=20 2> "$T/flapper2.log" &
flapper=$!
PIDS+=("$flapper")
wait_for 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$fport) 2>/dev/null" || die "flapper did not start"
port=$(free_port)
front_up front2 "$port" "127.0.0.1:$fport"
agent_plist "$T/agent2.plist" client "$FRONT_URL" StatusIntervalSeconds=0 \
  BatchMaxBytes=65536 RetryMaxSeconds=1 ConnectTimeoutSeconds=2
N2=3000
"$ESTEL" run --config "$T/agent2.plist" --source synthetic --count "$N2" \
  --seed 12 --spool "$T/spool2" --drain 2> "$T/agent2.log" ||
  die "agent exited $? after refusals ($(tail -2 "$T/agent2.log"))"
kill -TERM "$flapper"; wait "$flapper" 2>/dev/null || true
ingest_down ingest2
dead=$(find "$T/spool2/dead" -name '*.batch' | wc -l)
[ "$dead" -gt 0 ] || die "no batch was refused (see $T/flap2.json)"
ledger "$T/ingest2/out" --expect "host-0001=$N2" --from-cs 1 \
  --spool "host-0001=$T/spool2" > "$T/ledger2.txt" || { cat "$T/ledger2.txt"; die "ledger (refusals)"; }
head -1 "$T/ledger2.txt"
siem=$(ledger "$T/ingest2/out" --expect "host-0001=$N2" --from-cs 1 --quiet |
       sed -n 's/.*ledger_silent_cs=\([0-9]*\).*/\1/p' || true)
# every refused batch became a gap record (reason rejected) that landed:
# the SIEM alone, without the agent's spool, sees no unexplained hole
[ "${siem:-x}" = 0 ] || die "the SIEM sees ${siem:-?} sequence numbers missing with no gap record"
ok "refused batches: $dead in dead/ on the agent, each reported to the SIEM by a gap record; everything else landed once"
echo "soak_flap: all passed"
