#!/bin/bash
# bench/compare/run.sh [--quick] [--events N] [--repeat R] [--no-scaling]
#                      [--report FILE.md]
#
# One command, one report: estel against syslog-ng on the same corpus of
# eslogger-shaped events, both shipping to the same nginx mutual-TLS
# receiver on loopback, in the same run, then the scaling curves
# (bench/scaling/run.sh) and the backlog flush; writes bench/report.md and
# bench/report.png.
#
#   full (default)  1,000,000 events, 3 runs of each shipper, the full
#                   scaling sweep and a 1 GiB backlog (about 25 minutes on
#                   2 cores; about 15 GB free in /tmp)
#   --quick         100,000 events, 1 run each, a small sweep and a
#                   128 MiB backlog (about 4 minutes)
#
# Rows measured (every one by the shared peer harness, ../shared/bench/peer:
# gen_corpus.py, pki.sh, receiver.sh, peer_syslogng.sh, peer_cmd.sh):
#   syslog-ng   peer_syslogng.sh: file() -> reliable disk-buffer -> http()
#               batches of 1000 lines/1 MB over mTLS, 2 workers
#   estel       peer_cmd.sh -- agent_cmd.sh eslogger: estel run --source
#               eslogger --input CORPUS --drain (parse, msgpack, zstd -3,
#               spool, mTLS upload; exits after the last acknowledgement)
#   estel ES    peer_cmd.sh -- agent_cmd.sh es: the corpus' events as
#               es_message_t's (corpus_to_es.py) through the real ES handler
#               and the same pipeline (estel-es-pipeline)
# The runs are interleaved (syslog-ng, estel, estel ES, syslog-ng, ...) so
# load from elsewhere on the box hits all of them alike; each row is the
# median-events/s run, with all runs listed.  A separate check sends a
# slice of the corpus through nginx + `estel ingest` and counts every
# event in the NDJSON (tests/integration/lib/ledger.py); profile.sh shows
# where estel's CPU goes (perf, when installed).
#
# Environment: ESTEL_BUILD (default ./build; needs cli/estel and
# bench/compare/estel-es-pipeline), ESTEL_PEER_BENCH (the harness),
# ESTEL_BENCH_KEEP=1 (keep the work dir), PB_PORT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case " $* " in *" -h "*|*" --help "*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
. "$here/lib.sh"

mode=full N=1000000 repeat=3 scaling=1 report=$REPO/bench/report.md
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick; N=100000; repeat=1 ;;
    --events) N=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --no-scaling) scaling=0 ;;
    --report) report=$2; shift ;;
    *) echo "usage: $0 [--quick] [--events N] [--repeat R] [--no-scaling] [--report FILE]" >&2; exit 2 ;;
  esac
  shift
done
case $N in ''|*[!0-9]*) echo "--events: a number" >&2; exit 2 ;; esac

for t in /usr/sbin/nginx /usr/sbin/syslog-ng /usr/bin/time gnuplot zstd curl openssl; do
  command -v "$t" >/dev/null || {
    echo "$0: $t is missing (apt-get install nginx-light syslog-ng-core" \
         "syslog-ng-mod-http time gnuplot-nox zstd curl openssl)" >&2; exit 1; }
done
es=1
[ -x "$ESTEL_ES_PIPELINE" ] || {
  echo "$0: no $ESTEL_ES_PIPELINE (needs clang and the fake ES runtime);" \
       "the ES path is left out" >&2; es=0; }

bench_workdir compare
bench_port
export PB_PKI=$WORK/pki
corpus=$WORK/corpus.ndjson
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC') mode=$mode events=$N repeat=$repeat" \
     "load=$(cut -d' ' -f1-3 /proc/loadavg)" > "$WORK/run.txt"
t_start=$(date +%s)

step corpus "$PY" "$PEER/gen_corpus.py" "$N" "$corpus"
step pki "$PEER/pki.sh" "$PB_PKI"
if [ $es = 1 ]; then
  export ESTEL_CMP_ES_EVENTS=$WORK/es.tsv
  step es_table "$PY" "$here/corpus_to_es.py" "$corpus" "$ESTEL_CMP_ES_EVENTS"
fi

for i in $(seq "$repeat"); do
  step "sng_r$i" env PB_TAG="sng_r$i" "$PEER/peer_syslogng.sh" "$corpus"
  step "estel_r$i" env PB_TAG="estel_r$i" "$PEER/peer_cmd.sh" "$corpus" -- \
    "$here/agent_cmd.sh" eslogger
  if [ $es = 1 ]; then
    step "es_r$i" env PB_TAG="es_r$i" ESTEL_CMP_TAG="esd_r$i" \
      ESTEL_CMP_RESULT="$WORK/steps/es_r$i.driver" "$PEER/peer_cmd.sh" "$corpus" -- \
      "$here/agent_cmd.sh" es
    cat "$WORK/steps/es_r$i.driver" >> "$RESULTS"
  fi
done

# every event lands once: a slice through nginx + estel ingest
vn=$(( N < 50000 ? N : 50000 ))
head -n "$vn" "$corpus" > "$WORK/verify.ndjson"
step verify "$here/verify.sh" "$WORK/verify.ndjson" "$WORK/verify"
# where the CPU goes (perf, collector side, a slice of the corpus)
pn=$(( N < 200000 ? N : 200000 ))
head -n "$pn" "$corpus" > "$WORK/profile.ndjson"
step profile "$here/profile.sh" "$WORK/profile.ndjson" "${ESTEL_CMP_ES_EVENTS:-}"
rm -f "$WORK/profile.ndjson" "$WORK/verify.ndjson"

if [ $scaling = 1 ]; then
  step scaling "$REPO/bench/scaling/run.sh" --$mode --corpus "$corpus" \
    --out "$WORK/scaling"
  cat "$WORK/scaling/results.txt" >> "$RESULTS"
fi
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC') end load=$(cut -d' ' -f1-3 /proc/loadavg)" \
     "total_s=$(( $(date +%s) - t_start ))" >> "$WORK/run.txt"

step report "$PY" "$here/report.py" --work "$WORK" --mode "$mode" \
  --events "$N" --repeat "$repeat" --es "$es" --out "$report"
echo "$0: wrote $report and ${report%.md}.png" >&2
