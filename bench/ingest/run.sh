#!/usr/bin/env bash
# run.sh [BUILD_DIR] - how many events one ingest core takes, as a
# markdown table: events/s and MB/s of msgpack decoded and of NDJSON
# written, the CPU split (decompress / verify / map / write), and `zstd -d`
# over the very same request bodies in the same run for scale.
#   BENCH_BATCHES (default 40) x BENCH_RECORDS (default 2500) synthetic
#   events per format, agents' defaults (zstd level 3, ~1 MiB batches).
# The goal (ingest issue): >= 200 agents x 100 events/s = 20,000 events/s
# with headroom, i.e. >= 100,000 events/s on one core.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
bin=$build/bench/ingest/bench_ingest
[ -x "$bin" ] || { echo "run.sh: $bin not built (cmake --build $build --target bench_ingest)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "run.sh: zstd not installed" >&2; exit 1; }
nb=${BENCH_BATCHES:-40}
nr=${BENCH_RECORDS:-2500}
tmp=$(mktemp -d /tmp/estel-bench-ingest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

val() { sed -n "s/^$1 //p" "$2"; }

for fmt in ecs ocsf; do
  mkdir -p "$tmp/$fmt"
  "$bin" --format "$fmt" --batches "$nb" --records "$nr" --dir "$tmp/$fmt" \
    --bodies > "$tmp/$fmt.txt"
  rm -f "$tmp/$fmt"/estel-*.ndjson*
done
# zstd -d of the same bodies: CPU seconds (user + sys)
TIMEFORMAT='%U %S'
zcpu=$( { time zstd -d -q -c "$tmp"/ecs/b*.zst > /dev/null; } 2>&1 | awk '{print $1 + $2}')

f=$tmp/ecs.txt
events=$(val events "$f"); raw=$(val raw_bytes "$f"); body=$(val body_bytes "$f")
echo "### estel ingest, one core ($(nproc) CPUs on this box, $(date -u +%Y-%m-%d))"
echo
echo "$events synthetic events per format in $nb batches of $nr records;"
echo "$((body / 1024)) KiB of request bodies (zstd level 3), $((raw / 1024)) KiB of msgpack."
echo
echo "| format | events/s (CPU) | msgpack MB/s decoded | NDJSON MB/s written | NDJSON bytes/event | decompress | verify | map | write | agents at 100 ev/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for fmt in ecs ocsf; do
  f=$tmp/$fmt.txt
  awk -v fmt="$fmt" '
    { v[$1] = $2 }
    END {
      cpu = v["cpu_ns"] / 1e9
      parts = v["decompress_ns"] + v["verify_ns"] + v["map_ns"]
      dec = cpu - v["write_ns"] / 1e9          # decode + map, CPU
      printf "| %s | %.0f | %.1f | %.1f | %.0f | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f |\n",
        fmt, v["events"] / cpu, v["raw_bytes"] / cpu / 1e6,
        v["out_bytes"] / cpu / 1e6, v["out_bytes"] / v["events"],
        100 * dec * v["decompress_ns"] / parts / cpu,
        100 * dec * v["verify_ns"] / parts / cpu,
        100 * dec * v["map_ns"] / parts / cpu,
        100 * v["write_ns"] / 1e9 / cpu,
        v["events"] / cpu / 100
    }' "$f"
done
awk -v raw="$raw" -v ev="$events" -v z="$zcpu" 'BEGIN {
  printf "| `zstd -d` (same bodies, ecs) | %.0f | %.1f | - | - | 100%% | - | - | - | - |\n",
    ev / z, raw / z / 1e6 }'
echo
echo "CPU = the bench thread's CPU time (decode, map, write with fsync per batch);"
echo "the split inside decode+map comes from per-phase timers; verify ="
echo "XXH3 + record_check + host/sequence checks; write = write(2) + fdatasync."
