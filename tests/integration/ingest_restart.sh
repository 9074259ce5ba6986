#!/usr/bin/env bash
# ingest_restart.sh MKBATCH - what ingest keeps across restarts and crashes:
#   the dedupe memory (a batch stored before a restart is 409 after it,
#   after SIGTERM and after SIGKILL), leftover .part files (a crash) are
#   cut at their last complete line and closed into .ndjson, rotation by
#   size (IngestRotateBytes) and by age (IngestRotateSeconds, also when
#   idle), a second ingest on the same directory is refused, and a torn
#   line never reaches a shipper.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"

cat > "$T/ingest.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>IngestRotateBytes</key><integer>1048576</integer>
<key>IngestRotateSeconds</key><integer>2</integer>
</dict></plist>
P
B=$T/b
for i in $(seq 0 11); do
  mkbatch "$B.$i" --host host-0001 --boot boot-r --first $((1 + i * 200)) \
    --count 200 --seed $((i + 1))
done
mkbatch "$B.12" --host host-0001 --boot boot-r --first 2401 --count 10 \
  --seed 13
total_unique() {
  cat "$T/ing"/out/estel-*.ndjson* | $PY -c '
import json, sys
seqs = [json.loads(l)["event"]["sequence"] for l in sys.stdin]
assert len(seqs) == len(set(seqs)), "duplicates: %d" % (len(seqs) - len(set(seqs)))
print(len(seqs))'
}

ingest_start ing --config "$T/ingest.plist"
for i in 0 1 2 3; do
  expect "batch $i" 200 "$(post_direct "$B.$i")"
done
rc=0
timeout 10 "$ESTEL" ingest --listen 127.0.0.1:0 --out "$T/ing/out" \
  2> "$T/second.log" || rc=$?
[ "$rc" = 2 ] || die "a second ingest on the same directory: exit $rc"
grep -q "in use by another estel ingest" "$T/second.log" ||
  die "second ingest: no clear message: $(cat "$T/second.log")"
ok "a second ingest on the same directory is refused"

# graceful restart: the current file is closed, the keys are remembered
ingest_stop ing
ls "$T/ing/out"/*.part 2>/dev/null && die "SIGTERM left a .part file"
ok "SIGTERM closed the current file"
ingest_start ing --config "$T/ingest.plist"
expect "batch 2 after a restart" 409 "$(post_direct "$B.2")"
expect "batch 4" 200 "$(post_direct "$B.4")"
expect "batch 5" 200 "$(post_direct "$B.5")"

# crash: SIGKILL, plus a torn half line as a crash mid-write leaves it
ingest_kill ing
part=$(ls "$T/ing/out"/*.part)
printf '{"@timestamp":"2026-01-01T00:00:00.0Z","event":{"trunc' >> "$part"
ingest_start ing --config "$T/ingest.plist"
ls "$T/ing/out"/*.part 2>/dev/null && die "the leftover .part is still there"
grep -q "dropped .* bytes of an unfinished line" "$T/ing/ingest.log" ||
  die "no word about the torn line"
ok "leftover .part cut at its last line and closed"
expect "batch 5 after a crash" 409 "$(post_direct "$B.5")"
expect "batch 0 after a crash" 409 "$(post_direct "$B.0")"
for i in 6 7 8 9 10; do
  expect "batch $i" 200 "$(post_direct "$B.$i")"
done

# rotation: 1 MiB files; then an idle file closes after 2 s
n=$(ls "$T/ing/out"/*.ndjson | wc -l)
[ "$n" -ge 3 ] || die "expected several closed files, got $n"
ok "$n closed files (size and restarts)"
for f in "$T/ing/out"/*.ndjson; do
  [ "$(stat -c %s "$f")" -lt $((1048576 + 600000)) ] ||
    die "$f is larger than IngestRotateBytes plus one group"
done
ok "closed files near IngestRotateBytes"
expect "batch 11" 200 "$(post_direct "$B.11")"
expect "batch 12 (small)" 200 "$(post_direct "$B.12")"
ls "$T/ing/out"/*.part >/dev/null 2>&1 || die "no current file"
sleep 3.5
ls "$T/ing/out"/*.part 2>/dev/null && die "idle .part not closed after IngestRotateSeconds"
ok "idle file closed after IngestRotateSeconds"

# every line of every file is complete JSON, every record there once
got=$(total_unique)
[ "$got" = 2410 ] || die "expected 2410 records, got $got"
for f in "$T/ing/out"/*.ndjson; do
  [ -z "$(tail -c 1 "$f")" ] || die "$f does not end with a newline"
done
ok "2410 records, each once, every file ends with a whole line"

# the dedupe log survives and is compacted at start
ingest_stop ing
ingest_start ing --config "$T/ingest.plist"
for i in $(seq 0 12); do
  expect "batch $i after the last restart" 409 "$(post_direct "$B.$i")"
done
lines=$(grep -vc '^#' "$T/ing/out/.estel-ingest/dedupe.log")
[ "$lines" = 13 ] || die "dedupe.log holds $lines entries, expected 13"
ok "dedupe.log compacted to 13 entries"
ingest_stop ing
