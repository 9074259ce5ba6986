#!/bin/bash
# spool_diskfull.sh - the spool on a 4 MiB tmpfs that fills up.
#   1. More data than the disk holds: the batcher evicts the oldest batches
#      on ENOSPC ("disk_full" gap records), never corrupts one, exits 0.
#   2. The disk is full of someone else's data: our one old batch is
#      evicted ("disk_full" gap record), then there is nothing left to evict:
#      sealed batches wait in memory (at most 4, then the batcher stops
#      taking records from the ring: a replay source waits, the ES source
#      would count ring_full drops), and once space returns writing
#      resumes by itself with nothing lost.
# After each part: `estel spool verify` passes, tmp/ is empty.
# Needs root for mount; skips cleanly when mounting is not permitted.
set -euo pipefail

BIN=${ESTEL_BIN:-$(dirname "$0")/../../build/cli/estel}
PY=/usr/bin/python3
[ -x "$BIN" ] || { echo "spool_diskfull: no estel binary at $BIN" >&2; exit 1; }

work=$(mktemp -d /tmp/estel-diskfull-XXXXXX)
mnt=$work/mnt
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$mnt" 2>"$work/mount.err"; then
    echo "spool_diskfull: SKIPPED: cannot mount a tmpfs ($(cat "$work/mount.err")); run as root"
    rm -rf "$work"
    exit 77                 # ctest: skipped, not passed
fi
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    umount "$mnt" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
spool=$mnt/spool
cat > "$work/estel.plist" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
    <key>BatchMaxBytes</key><integer>131072</integer>
    <key>BatchMaxAgeSeconds</key><real>0.2</real>
    <key>StatusIntervalSeconds</key><integer>0</integer>
</dict>
</plist>
EOF

fail() { echo "spool_diskfull: FAIL: $*" >&2; tail -20 "$work/run.log" >&2; exit 1; }

check_spool() {     # verify, tmp/ empty; prints the gap reasons seen
    "$BIN" spool verify --spool "$spool" 2>"$work/verify.err" ||
        fail "spool verify: $(cat "$work/verify.err")"
    [ -z "$(ls -A "$spool/tmp")" ] || fail "leftovers in tmp/: $(ls "$spool/tmp")"
    "$BIN" spool cat --spool "$spool" | "$PY" -c '
import json, sys
seen, reasons = set(), {}
for line in sys.stdin:
    r = json.loads(line)
    if r["cs"] in seen:
        sys.exit("sequence %d twice" % r["cs"])
    seen.add(r["cs"])
    if r["ev"] == "gap":
        reasons[r["e"]["reason"]] = reasons.get(r["e"]["reason"], 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(reasons.items())) or "none")
' || fail "spool cat check"
}

# ---- 1: more than fits; our own old batches make room ---------------------
"$BIN" run --source synthetic --count 120000 --spool "$spool" \
    --config "$work/estel.plist" --drain 2>"$work/run.log" ||
    fail "run exited with $? while the disk filled up"
reasons=$(check_spool)
case "$reasons" in
    *disk_full=*) ;;
    *) fail "no disk_full gap record (gap reasons: $reasons)" ;;
esac
grep -q "lost .* disk_full" "$work/run.log" || fail "no eviction logged"
echo "spool_diskfull: part 1 OK: evicted on ENOSPC, gap reasons: $reasons"

# ---- 2: full of someone else's data; hold, drop, recover -----------------
rm -rf "$spool"
"$BIN" run --source synthetic --count 10 --spool "$spool" \
    --config "$work/estel.plist" --drain 2>>"$work/run.log"
dd if=/dev/zero of="$mnt/filler" bs=16k 2>/dev/null || true     # ENOSPC
"$BIN" run --source synthetic --spool "$spool" --config "$work/estel.plist" \
    2>>"$work/run.log" &
pid=$!
sleep 3
kill -0 "$pid" 2>/dev/null || fail "the agent died while the disk was full"
grep -q "No space left" "$work/run.log" || fail "ENOSPC never seen"
rm -f "$mnt/filler"                                 # space comes back
for _ in $(seq 1 40); do                            # backoff is <= 4 s here
    sleep 0.5
    grep -q "writes work again" "$work/run.log" && break
done
grep -q "writes work again" "$work/run.log" || fail "no recovery logged"
sleep 0.5
kill -TERM "$pid"
wait "$pid" || fail "agent exit status $? after SIGTERM"
pid=
reasons=$(check_spool)
case "$reasons" in
    *disk_full=*) ;;
    *) fail "no disk_full gap record after holding (gap reasons: $reasons)" ;;
esac
n=$("$BIN" spool ls --spool "$spool" | tail -2 | head -1)
echo "spool_diskfull: part 2 OK: held in memory, recovered: $n"
echo "spool_diskfull: OK"
