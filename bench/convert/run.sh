#!/bin/bash
# run.sh - eslogger JSON -> record throughput on a gen_corpus.py corpus,
# as a markdown table (README.md explains the rows).  Builds nothing: give
# the bench binary, built with -DESTEL_BENCH=ON (the default).
#
#   bench/convert/run.sh [-n LINES] [-s SECONDS] [-r ROUNDS] [BENCH_BINARY]
#
# BENCH_BINARY defaults to $ESTEL_BUILD/bench/convert/estel_bench_convert
# (ESTEL_BUILD defaults to ./build).  The corpus is made with the peer
# benchmark's generator (ESTEL_GEN_CORPUS, default
# /work/shared/bench/peer/gen_corpus.py) into a mktemp directory that is
# removed on exit.  A Python json+msgpack conversion of the same corpus is
# timed for comparison with Debian's /usr/bin/python3 (python3-msgpack).
set -euo pipefail

lines=20000
seconds=2     # per figure; 40 rounds of 50 ms: a shared box needs many short tries
rounds=40
while getopts n:s:r: opt; do
    case $opt in
    n) lines=$OPTARG ;;
    s) seconds=$OPTARG ;;
    r) rounds=$OPTARG ;;
    *) echo "usage: $0 [-n LINES] [-s SECONDS] [-r ROUNDS] [BENCH_BINARY]" >&2
       exit 2 ;;
    esac
done
shift $((OPTIND - 1))
bin=${1:-${ESTEL_BUILD:-build}/bench/convert/estel_bench_convert}
gen=${ESTEL_GEN_CORPUS:-/work/shared/bench/peer/gen_corpus.py}
py=/usr/bin/python3

[ -x "$bin" ] || { echo "$0: no bench binary at $bin; build the target" \
    "estel_bench_convert or pass its path" >&2; exit 2; }
[ -r "$gen" ] || { echo "$0: no corpus generator at $gen; set" \
    "ESTEL_GEN_CORPUS" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" "$gen" "$lines" "$tmp/corpus.ndjson" --seed 1 >"$tmp/gen.txt"

echo "## eslogger JSON -> record ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo
echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- corpus: gen_corpus.py $lines --seed 1 ($(grep -m1 'mean line' \
    "$tmp/gen.txt" | sed 's/^ *//'))"
echo
"$bin" "$tmp/corpus.ndjson" --seconds "$seconds" --rounds "$rounds"
"$py" - "$tmp/corpus.ndjson" <<'PYEOF'
import json, sys, time
try:
    import msgpack
except ImportError:
    sys.exit(0)
lines = open(sys.argv[1], "rb").read().splitlines()[:5000]
best = None
for _ in range(5):
    t = time.perf_counter()
    for l in lines:
        msgpack.packb(json.loads(l))
    dt = (time.perf_counter() - t) / len(lines)
    best = dt if best is None or dt < best else best
print("\nBaseline: /usr/bin/python3 json.loads + msgpack.packb: %.1f us/line "
      "(best of 5 over %d lines)." % (best * 1e6, len(lines)))
PYEOF
