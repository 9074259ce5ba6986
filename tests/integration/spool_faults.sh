#!/bin/bash
# spool_faults.sh - write-path faults injected with strace into a real
# `estel run --source synthetic --count N --drain`:
#   fdatasync EIO, write EIO, write ENOSPC, rename EIO.
# Each time: exit 0, `estel spool verify` passes, tmp/ is empty, and every
# record is in the spool exactly once (the failed batch was rewritten from
# memory, never trusted after a failed fsync), except on ENOSPC, where the
# oldest batch is evicted to make room and a gap record names it.
# Short writes are covered by tests/unit/test_spool_io.c (--wrap=write).
set -euo pipefail

BIN=${ESTEL_BIN:-$(dirname "$0")/../../build/cli/estel}
PY=/usr/bin/python3
N=20000
[ -x "$BIN" ] || { echo "spool_faults: no estel binary at $BIN" >&2; exit 1; }
if ! command -v strace >/dev/null; then
    echo "spool_faults: SKIPPED: strace is not installed"
    exit 77
fi
work=$(mktemp -d /tmp/estel-faults-XXXXXX)
trap 'rm -rf "$work"' EXIT
# LeakSanitizer cannot work under ptrace: in the sanitizer build, keep
# ASan and UBSan but let strace drive the process.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
if ! strace -f -qq -o /dev/null -e inject=getpid:retval=1 true 2>/dev/null
then
    echo "spool_faults: SKIPPED: strace cannot trace here (ptrace denied?)"
    exit 77
fi

fail() { echo "spool_faults: FAIL: $*" >&2; tail -5 "$work/run.log" >&2; exit 1; }

scenario() {    # name, expected gap reason or "none", strace -e args...
    local name=$1 want_gap=$2 spool=$work/spool-$1 gaps
    shift 2
    strace -f -qq -o /dev/null "$@" \
        "$BIN" run --source synthetic --count $N --spool "$spool" --drain \
        2>"$work/run.log" || fail "$name: run exited with $?"
    "$BIN" spool verify --spool "$spool" 2>"$work/verify.err" ||
        fail "$name: spool verify: $(cat "$work/verify.err")"
    [ -z "$(ls -A "$spool/tmp")" ] || fail "$name: leftovers in tmp/"
    # every record once; a missing one only inside a gap record's range
    gaps=$("$BIN" spool cat --spool "$spool" | "$PY" -c '
import json, sys
want, seen, gaps, reasons = int(sys.argv[1]), set(), [], set()
for line in sys.stdin:
    r = json.loads(line)
    if r["cs"] in seen:
        sys.exit("sequence %d twice" % r["cs"])
    seen.add(r["cs"])
    if r["ev"] == "gap":
        reasons.add(r["e"]["reason"])
    if r["ev"] == "gap" and "first_seq" in r["e"]:
        gaps.append((r["e"]["first_seq"], r["e"]["last_seq"]))
for cs in range(1, want + 1):
    if cs not in seen and not any(f <= cs <= l for f, l in gaps):
        sys.exit("record %d lost without a gap record" % cs)
print(",".join(sorted(reasons)) or "none")
' $N) || fail "$name: records lost or doubled"
    [ "$gaps" = "$want_gap" ] ||
        fail "$name: gap reasons '$gaps', expected '$want_gap'"
    if [ "$want_gap" = none ]; then
        grep -q "writes work again" "$work/run.log" ||
            fail "$name: the fault was not hit (no recovery logged)"
    fi
    echo "spool_faults: $name OK (gap records: $gaps)"
}

scenario fsync_eio none -e inject=fdatasync:error=EIO:when=2
scenario write_eio none -e trace=write -e inject=write:error=EIO:when=6..9
# ENOSPC: the oldest batch is evicted to make room (by design), reported
scenario write_enospc disk_full -e trace=write -e inject=write:error=ENOSPC:when=4
scenario rename_eio none -e trace=rename,renameat,renameat2 \
    -e inject=rename,renameat,renameat2:error=EIO:when=2
echo "spool_faults: OK"
