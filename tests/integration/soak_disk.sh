#!/bin/bash
# soak_disk.sh - disk full, on each side.
#
# A. The agent's disk: its spool sits on a 4 MiB tmpfs (SpoolMaxBytes is
#    far larger, so the file system, not the limit, runs out) while the
#    server is down.  The agent must keep running, keep the newest data,
#    and report what it could not keep as gap records (reason disk_full);
#    when the server comes back everything it kept arrives.  Ledger:
#    generated = landed + lost-and-reported, zero silent loss.
# B. The server's disk: ingest writes its NDJSON to a 6 MiB tmpfs.  When
#    it is full ingest answers 503 and the agent keeps its batches and
#    retries; once the file system grows (remount), everything arrives,
#    once, with nothing lost.
# Needs root for tmpfs mounts (skipped otherwise).  ESTEL_LONG=1: more
# events and a longer full period.
set -euo pipefail
. "$(dirname "$0")/lib/proof_env.sh"
proof_init soak-disk
if [ "$LONG" = 1 ]; then NA=400000 NB=100000 FULL_S=30; else NA=60000 NB=20000 FULL_S=2; fi
PARTS=${ESTEL_SOAK_PARTS:-A B}     # run one part alone: ESTEL_SOAK_PARTS=B

# ---- A: the agent's disk ------------------------------------------------
if [[ " $PARTS " == *" A "* ]]; then
mount_tmpfs "$T/agentfs" 4m
port=$(free_port)
url="https://127.0.0.1:$port/v1/batches"
agent_plist "$T/a.plist" client "$url" StatusIntervalSeconds=0 \
  SpoolMaxBytes=67108864 BatchMaxBytes=262144 RetryMaxSeconds=1 \
  ConnectTimeoutSeconds=2
bg agentA "$ESTEL" run --config "$T/a.plist" --source synthetic --count "$NA" \
  --seed 7 --spool "$T/agentfs/spool" --drain
apid=$BGPID
wait_for 60 grep -q disk_full "$T/agentA.log" ||
  die "the spool never hit the full disk ($(tail -2 "$T/agentA.log"))"
sleep 2
kill -0 "$apid" 2>/dev/null || die "the agent died on a full disk: $(tail -3 "$T/agentA.log")"
used=$(df --output=pcent "$T/agentfs" | tail -1 | tr -d ' %')
ok "agent on a full disk (${used}% used): still running and reporting the loss ($(grep -c disk_full "$T/agentA.log") disk_full log lines)"
ingest_up ingest
front_up front "$port" "127.0.0.1:$IPORT"
wait_for 60 bash -c "! kill -0 $apid 2>/dev/null" || die "agent A did not drain"
wait "$apid" || die "agent A exited $?"
ok "server back: agent A drained its spool and exited 0"
ingest_down ingest
ledger "$T/ingest/out" --expect "host-0001=$NA" --from-cs 1 --json "$T/ledgerA.json" > "$T/ledgerA.txt" ||
  { cat "$T/ledgerA.txt"; die "ledger A"; }
head -1 "$T/ledgerA.txt"
"$PY" - "$T/ledgerA.json" <<'PY' || die "ledger A: no disk_full loss reported, or it does not add up"
import json, sys
h = json.load(open(sys.argv[1]))["hosts"][0]
lost = h["lost_by_reason"].get("disk_full", 0)
print("# A: generated %d = landed %d + lost %d (reported disk_full %d records, %d gap records landed); silent %d" % (
    h["events_generated"], h["events_landed"],
    h["events_generated"] - h["events_landed"], lost, h["gap_records"],
    h["silent_cs"]))
sys.exit(0 if lost > 0 and h["silent_cs"] == 0 else 1)
PY
ok "A: every event either landed once or is counted in a disk_full gap record"
fi

# ---- B: the server's disk -------------------------------------------------
if [[ " $PARTS " == *" B "* ]]; then
mount_tmpfs "$T/ingestfs" 6m
INGEST_OUT=$T/ingestfs/out ingest_up ingestB
port=$(free_port)
front_up frontB "$port" "127.0.0.1:$IPORT"
agent_plist "$T/b.plist" client "$FRONT_URL" StatusIntervalSeconds=0 \
  BatchMaxBytes=262144 RetryMaxSeconds=1 ConnectTimeoutSeconds=2 HostID=host-0001
bg agentB "$ESTEL" run --config "$T/b.plist" --source synthetic --count "$NB" \
  --seed 8 --spool "$T/spoolB" --drain
bpid=$BGPID
wait_for 60 bash -c "awk '\$2 == 503' '$T/frontB/access.log' | grep -q ." ||
  die "ingest never answered 503 on a full disk"
sleep "$FULL_S"
held=$(find "$T/spoolB/ready" -name '*.batch' | wc -l)
n503=$(awk '$2 == 503' "$T/frontB/access.log" | wc -l)
kill -0 "$bpid" 2>/dev/null || die "agent B gave up: $(tail -3 "$T/agentB.log")"
[ "$held" -gt 0 ] || die "agent B holds no batches while ingest is full"
ok "ingest disk full: $n503 answers 503, agent B keeps $held batches and retries"
mount -o remount,size=512m "$T/ingestfs" || die "remount"
wait_for 90 bash -c "! kill -0 $bpid 2>/dev/null" || die "agent B did not drain after the disk grew"
wait "$bpid" || die "agent B exited $?"
ingest_down ingestB
ledger "$T/ingestfs/out" --expect "host-0001=$NB" --from-cs 1 > "$T/ledgerB.txt" ||
  { cat "$T/ledgerB.txt"; die "ledger B"; }
head -1 "$T/ledgerB.txt"
grep -q 'ledger_lost_reported=0 ' "$T/ledgerB.txt" || die "ledger B: losses on a server-side disk full"
grep -q "ledger_events_landed=$NB " "$T/ledgerB.txt" || die "ledger B: not every event landed"
ok "B: disk grew, all $NB events landed once, nothing lost"
fi
echo "soak_disk: all passed"
