#!/bin/bash
# run.sh - the spool's throughput and cost as a markdown table, beside two
# baselines on the same msgpack stream in the same invocation: the `zstd`
# CLI (compression alone) and raw write + fsync per MiB (the disk alone).
# Then spool_open() on a 1 GiB backlog.  Builds nothing; see README.md.
#
#   bench/spool/run.sh [-n EVENTS] [-b BACKLOG_BYTES] [-c] [BENCH_BINARY]
#
# -c also times a cold start: it drops the kernel's page, dentry and inode
# caches (root; it slows everything else on the box for a moment).
# BENCH_BINARY defaults to $ESTEL_BUILD/bench/spool/estel_bench_spool
# (ESTEL_BUILD defaults to ./build).  Scratch space: a mktemp directory
# under ${TMPDIR:-/tmp} (about 1.5 GiB at the defaults), removed on exit.
set -euo pipefail

events=500000
backlog=$((1 << 30))
cold=
while getopts n:b:c opt; do
    case $opt in
    n) events=$OPTARG ;;
    b) backlog=$OPTARG ;;
    c) cold=--cold ;;
    *) echo "usage: $0 [-n EVENTS] [-b BACKLOG_BYTES] [-c] [BENCH_BINARY]" >&2
       exit 2 ;;
    esac
done
shift $((OPTIND - 1))
bin=${1:-${ESTEL_BUILD:-build}/bench/spool/estel_bench_spool}
[ -x "$bin" ] || { echo "$0: no bench binary at $bin; build the target" \
    "estel_bench_spool or pass its path" >&2; exit 2; }
command -v zstd >/dev/null || { echo "$0: the zstd CLI is needed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/estel-bench-spool-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# time_row LABEL BYTES_OUT_FILE -- command...: wall, CPU and RSS of a command
time_row() {
    local label=$1 out=$2 s u k wall size
    shift 3
    /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@"
    read -r wall u s k < "$tmp/time"
    size=$(stat -c %s "$out")
    awk -v l="$label" -v n="$events" -v w="$wall" -v u="$u" -v s="$s" \
        -v k="$k" -v z="$size" -v r="$raw" 'BEGIN {
        printf "| %s | %.0f | %.0f | - | %.1f | %.2f | - | %.1f |\n",
            l, n / w, (u + s) * 1e9 / n, z / n, r / z, k / 1024 }'
}

echo "## spool: synthetic records -> ring -> batcher -> zstd -> batch files" \
    "($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo
echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- file system of the spool: $(df -T "$tmp" | awk 'NR == 2 { print $2 }')"
echo "- $events synthetic events (seed 1); every batch file is fsynced," \
    "renamed, and its directory fsynced"
echo
echo "| what | events/s | CPU ns/event | batcher thread ns/event |" \
    "bytes/event on disk | ratio | batches | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
"$bin" pipeline --dir "$tmp/spool3" --events "$events" --level 3 \
    --dump "$tmp/stream.mp" 2>"$tmp/p3.txt"
raw=$(stat -c %s "$tmp/stream.mp")
rm -rf "$tmp/spool3"
"$bin" pipeline --dir "$tmp/spool1" --events "$events" --level 1 \
    2>/dev/null
rm -rf "$tmp/spool1"
# baselines: the same bytes, compression only, then the disk only
time_row "zstd CLI -3, one stream (compression only)" "$tmp/stream.zst" -- \
    zstd -q -3 -f "$tmp/stream.mp" -o "$tmp/stream.zst"
time_row "zstd CLI -1, one stream (compression only)" "$tmp/stream.zst" -- \
    zstd -q -1 -f "$tmp/stream.mp" -o "$tmp/stream.zst"
rm -f "$tmp/stream.zst"
time_row "raw write + fdatasync per MiB (disk only, uncompressed)" \
    "$tmp/raw.out" -- dd if="$tmp/stream.mp" of="$tmp/raw.out" bs=1M \
    oflag=dsync status=none
rm -f "$tmp/raw.out" "$tmp/stream.mp"
echo
echo "- uncompressed: $(sed 's/ over.*//' "$tmp/p3.txt")"
echo
echo "## startup with a backlog (spool_open: listing only, no reads)"
echo
echo "| backlog | files | time | resumes at | memory |"
echo "|---|---:|---|---:|---:|"
"$bin" backlog --dir "$tmp/backlog" --bytes "$backlog" $cold
