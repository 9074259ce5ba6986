#!/bin/bash
# bench/scaling/run.sh [--quick|--full] [--corpus FILE] [--out DIR]
#
# How estel's cost moves with its knobs, each point measured by the shared
# harness's peer_cmd.sh against its nginx mTLS receiver (events/s, CPU
# user+sys per event, peak RSS, bytes on the wire per event):
#
#   BatchMaxBytes     64 KiB .. 16 MiB           (CompressionLevel 3, full speed)
#   CompressionLevel  1 .. 12 (19 in --full)     (BatchMaxBytes 1 MiB, full speed)
#   event rate        500 .. 40,000 events/s and unpaced: pacer.py feeds the
#                     corpus through a FIFO at that rate (eslogger on a Mac)
#   backlog flush     a spool of 1 GiB (--full; 128 MiB --quick) built with no
#                     server, then `estel run --drain` uploads it: peak RSS
#                     (GNU time %M) and RSS sampled every 0.25 s, goal < 64 MiB
#
# --corpus: an eslogger-shaped corpus (default: gen_corpus.py makes one).
# --out DIR: keep results.txt (RESULT lines), backlog_rss.tsv and
# params.txt there (bench/compare/run.sh reads them); default: a temp dir,
# and the RESULT lines go to stdout.  Environment as bench/compare/run.sh,
# plus ESTEL_SCALING_BACKLOG_MIB (the backlog size, to try things out).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case " $* " in *" -h "*|*" --help "*)
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
. "$here/../compare/lib.sh"

mode=full corpus="" out=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --corpus) corpus=$(readlink -f "$2"); shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: $0 [--quick|--full] [--corpus FILE] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
if [ $mode = full ]; then
  n_sweep=200000 rate_s=20 backlog=$((1024 * 1048576))
  bmbs="65536 262144 1048576 4194304 16777216"
  levels="1 3 6 9 12 19"
  rates="500 2000 10000 40000"
else
  n_sweep=50000 rate_s=5 backlog=$((128 * 1048576))
  bmbs="65536 262144 1048576 4194304 16777216"
  levels="1 3 9 12"
  rates="500 2000 10000 40000"
fi
[ -n "${ESTEL_SCALING_BACKLOG_MIB:-}" ] && backlog=$((ESTEL_SCALING_BACKLOG_MIB * 1048576))

bench_workdir scaling
bench_port
export PB_PKI=$WORK/pki
step pki "$PEER/pki.sh" "$PB_PKI"
if [ -z "$corpus" ]; then
  corpus=$WORK/corpus.ndjson
  step corpus "$PY" "$PEER/gen_corpus.py" $((n_sweep > 100000 ? n_sweep : 100000)) "$corpus"
fi
total=$(wc -l < "$corpus")
sweep=$WORK/sweep.ndjson
head -n "$n_sweep" "$corpus" > "$sweep"

measure() { # TAG KEYS [MODE] : one peer_cmd.sh run of the sweep corpus
  local tag=$1 keys=$2 m=${3:-eslogger} c=${4:-$sweep}
  step "$tag" env PB_TAG="$tag" ESTEL_CMP_KEYS="$keys" "$PEER/peer_cmd.sh" "$c" -- \
    "$REPO/bench/compare/agent_cmd.sh" "$m"
}

for b in $bmbs; do
  measure "scal_bmb_$b" "BatchMaxBytes=$b CompressionLevel=3"
done
for l in $levels; do
  measure "scal_lvl_$l" "BatchMaxBytes=1048576 CompressionLevel=$l"
done
for r in $rates; do
  n=$((r * rate_s)); [ $n -le "$total" ] || n=$total
  head -n "$n" "$corpus" > "$WORK/rate.ndjson"
  rm -f "$WORK/fifo"; mkfifo "$WORK/fifo"
  "$PY" "$here/pacer.py" "$r" "$WORK/rate.ndjson" "$WORK/fifo" 2> "$WORK/pacer.log" &
  pacer=$!
  BENCH_EXTRA_CLEANUP="kill $pacer 2>/dev/null"
  ESTEL_CMP_INPUT=$WORK/fifo measure "scal_rate_$r" "" eslogger "$WORK/rate.ndjson"
  wait "$pacer" || true
  BENCH_EXTRA_CLEANUP=""
  sed 's/^/    /' "$WORK/pacer.log" >&2
done
measure "scal_rate_max" "" eslogger "$sweep"

# ---- backlog: spool with no server, then drain it -------------------------
bl=$WORK/backlog
mkdir -p "$bl"
cat > "$WORK/nosrv.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>HostID</key><string>host-0001</string>
<key>StatusIntervalSeconds</key><integer>0</integer>
<key>SpoolMaxBytes</key><integer>4294967296</integer>
</dict></plist>
EOF
passes=0 t0=$(date +%s.%N)
ready_bytes() { du -sb "$bl/spool/ready" 2>/dev/null | cut -f1 || echo 0; }
while [ "$(ready_bytes)" -lt "$backlog" ]; do
  passes=$((passes + 1))
  "$ESTEL_BIN" run --config "$WORK/nosrv.plist" --source eslogger --input "$corpus" \
    --spool "$bl/spool" --drain 2> "$WORK/backlog-build.log" ||
    { tail -5 "$WORK/backlog-build.log" >&2; echo "backlog build failed" >&2; exit 1; }
  [ $passes -lt 200 ] || { echo "backlog does not grow" >&2; exit 1; }
done
build_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
"$ESTEL_BIN" spool ls --spool "$bl/spool" > "$WORK/backlog-ls.txt"
summary=$(grep -E '^[0-9]+ batches' "$WORK/backlog-ls.txt" | head -1)
bl_batches=$(echo "$summary" | awk '{print $1}')
bl_records=$(echo "$summary" | awk '{print $3}')
bl_bytes=$(ready_bytes)
echo "    backlog: $summary ($passes passes of the corpus, built in ${build_s}s)" >&2

# the drain, sampled: the shared receiver, GNU time, /proc RSS every 0.25 s
drain_dir=$WORK/drain
"$PEER/receiver.sh" start "$drain_dir/rx" "$PB_PORT" >/dev/null
BENCH_EXTRA_CLEANUP="'$PEER/receiver.sh' stop '$drain_dir/rx' '$PB_PORT' >/dev/null 2>&1"
mkdir -p "$drain_dir/state"
export PB_URL="https://127.0.0.1:$PB_PORT/ingest/agent" PB_CA=$PB_PKI/ca.pem \
       PB_CERT=$PB_PKI/client.pem PB_KEY=$PB_PKI/client.key PB_STATE=$drain_dir/state \
       ESTEL_CMP_SPOOL=$bl/spool ESTEL_CMP_KEYS="SpoolMaxBytes=4294967296"
echo "[$(date +%H:%M:%S)] backlog_drain: estel run --drain on $bl_bytes bytes" >&2
t0=$(date +%s.%N)
/usr/bin/time -f '%U %S %M' -o "$drain_dir/time.txt" \
  "$REPO/bench/compare/agent_cmd.sh" drain > "$drain_dir/agent.log" 2>&1 &
tpid=$!
: > "$drain_dir/rss.tsv"
while kill -0 "$tpid" 2>/dev/null; do
  apid=$(pgrep -P "$tpid" 2>/dev/null | head -1 || true)
  if [ -n "$apid" ] && [ -r "/proc/$apid/status" ]; then
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$apid/status" 2>/dev/null || true)
    [ -n "$rss" ] && awk -v a="$t0" -v b="$(date +%s.%N)" -v r="$rss" \
      'BEGIN{printf "%.2f\t%.1f\n", b-a, r/1024}' >> "$drain_dir/rss.tsv"
  fi
  sleep 0.25
done
wait "$tpid" || { tail -5 "$drain_dir/agent.log" >&2; echo "drain failed" >&2; exit 1; }
wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.3f", b-a}')
rx_cpu=$("$PEER/receiver.sh" stop "$drain_dir/rx" "$PB_PORT" | sed -n 's/^RESULT receiver_cpu_s=//p')
BENCH_EXTRA_CLEANUP=""
"$PY" "$PEER/pbhelper.py" logstats "$drain_dir/rx/access.log" --prefix /ingest/agent > "$drain_dir/ls.out"
read -r usr sys maxrss < <(tail -1 "$drain_dir/time.txt")
left=$(find "$bl/spool/ready" -name '*.batch' | wc -l)
[ "$left" = 0 ] || { echo "drain left $left batches in ready/" >&2; exit 1; }
awk -v n="$bl_records" -v b="$bl_batches" -v bytes="$bl_bytes" -v w="$wall" -v u="$usr" \
    -v s="$sys" -v rss="$maxrss" -v wire="$(kv "$drain_dir/ls.out" request_bytes_2xx)" \
    -v reqs="$(kv "$drain_dir/ls.out" requests_2xx)" -v rx="$rx_cpu" -v bs="$build_s" \
    -v p="$passes" 'BEGIN {
  printf "backlog flush: %d batches, %.0f MiB, %d records (%d passes, built in %s s) uploaded in %.2f s = %.0f events/s, %.1f MiB/s\n", b, bytes/1048576, n, p, bs, w, n/w, bytes/1048576/w
  printf "  CPU %.2f s (%.2f us/event); peak RSS %.1f MiB (goal < 64 MiB); %d requests, %.0f wire bytes; receiver CPU %s s\n", u+s, (u+s)/n*1e6, rss/1024, reqs, wire, rx
  printf "RESULT backlog_bytes=%d backlog_batches=%d backlog_records=%d backlog_build_s=%s backlog_wall_s=%.3f backlog_eps=%.0f backlog_mib_per_s=%.1f backlog_cpu_s=%.2f backlog_cpu_us_per_event=%.2f backlog_rss_mib=%.1f backlog_requests=%d\n", bytes, b, n, bs, w, n/w, bytes/1048576/w, u+s, (u+s)/n*1e6, rss/1024, reqs
}' | tee "$WORK/steps/backlog.out" | grep -v '^RESULT' | sed 's/^/    /' >&2
grep '^RESULT' "$WORK/steps/backlog.out" >> "$RESULTS"
cp "$drain_dir/rss.tsv" "$WORK/backlog_rss.tsv"

if [ -n "$out" ]; then
  mkdir -p "$out"
  cp "$RESULTS" "$out/results.txt"
  cp "$WORK/backlog_rss.tsv" "$out/backlog_rss.tsv"
  cp -r "$WORK/steps" "$out/"
  echo "$mode n_sweep=$n_sweep rate_s=$rate_s backlog=$backlog" > "$out/params.txt"
else
  cat "$RESULTS"
fi
