#!/bin/bash
# verify.sh CORPUS -- the benchmark's receiver is a 204 sink that cannot
# count events in compressed batches, so this sends CORPUS (a slice of the
# benchmark corpus) through the real server side instead: nginx (mutual
# TLS, deploy/ingest/estel-ingest.nginx.conf) -> `estel ingest` -> NDJSON,
# and checks with tests/integration/lib/ledger.py that every event landed
# exactly once: every ES global_seq_num of the corpus and every collector
# sequence number.  Prints RESULT verify_* lines.  ESTEL_BIN: the binary.
set -euo pipefail
corpus=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
ESTEL_SRC=$(cd "$here/../.." && pwd)
. "$ESTEL_SRC/tests/integration/lib/proof_env.sh"
proof_init verify
n=$(wc -l < "$corpus")
ingest_up ingest
port=$(free_port)
front_up front "$port" "127.0.0.1:$IPORT"
agent_plist "$T/agent.plist" client "$FRONT_URL" StatusIntervalSeconds=0
t0=$(date +%s.%N)
"$ESTEL" run --config "$T/agent.plist" --source eslogger --input "$corpus" \
  --spool "$T/spool" --drain 2> "$T/agent.log" || { tail -5 "$T/agent.log"; die "agent failed"; }
t1=$(date +%s.%N)
ingest_down ingest
ledger "$T/ingest/out" --expect "host-0001=$n" --feed "host-0001=$n" --from-cs 1 > "$T/ledger.out" ||
  { cat "$T/ledger.out"; die "ledger"; }
grep -v '^RESULT ' "$T/ledger.out"
bytes=$(cat "$T"/ingest/out/estel-*.ndjson* | wc -c)
awk -v n="$n" -v a="$t0" -v b="$t1" -v bytes="$bytes" 'BEGIN {
  printf "verify: %d corpus events -> nginx mTLS -> estel ingest: all landed once (%.1f s, %.0f B of ECS NDJSON per event)\n", n, b - a, bytes / n
}'
sed -n '/^RESULT /s/ledger_/verify_/gp' "$T/ledger.out"
