#!/bin/bash
# profile.sh CORPUS ES_TABLE -- where estel's CPU goes, for the report:
# `perf record` of the collector side with no server (estel run --source
# eslogger --drain into a spool; estel-es-pipeline the same for the ES
# path), then the share of samples per library (JSON parser, zstd, estel's
# own code, kernel, libc, xxhash) and per thread (the source thread:
# read, parse, map, encode, ring push; the batcher: zstd, checksums,
# write, fsync).  The upload side is measured by the backlog flush.
# Prints RESULT prof_<path>_<part>=percent lines; skips (exit 0, no
# RESULT) when perf is missing or not permitted.  ESTEL_BIN,
# ESTEL_ES_PIPELINE: the binaries.
set -euo pipefail
corpus=$1 table=${2:-}
command -v perf >/dev/null || { echo "profile: no perf (apt-get install linux-perf); skipped"; exit 0; }
work=$(mktemp -d /tmp/estel-profile.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/nosrv.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>HostID</key><string>host-0001</string>
<key>StatusIntervalSeconds</key><integer>0</integer>
</dict></plist>
EOF
n=$(wc -l < "$corpus")

summarize() { # NAME PERFDATA
  perf report -i "$2" --no-children --sort dso -g none --stdio 2>/dev/null |
    awk -v name="$1" '
      /^#/ || NF < 2 { next }
      { pct = $1; sub(/%/, "", pct); d = $2
        if (d ~ /simdjson/) k = "json"; else if (d ~ /zstd/) k = "zstd"
        else if (d ~ /kernel/) k = "kernel"; else if (d ~ /^libc/) k = "libc"
        else if (d ~ /xxhash/) k = "xxhash"; else if (d ~ /ssl|crypto|curl/) k = "tls"
        else if (d ~ /estel/) k = "estel"; else k = "other"
        s[k] += pct }
      END { printf "RESULT"; for (k in s) printf " prof_%s_%s=%.1f", name, k, s[k]; printf "\n" }'
  # threads by id: the main thread, then the batcher, then the source
  # (cli/runtime.c starts the batcher first); for the ES driver the
  # producer is the main thread
  perf script -i "$2" -F tid 2>/dev/null | sort -n | uniq -c |
    awk -v name="$1" '{ c[NR] = $1; t += $1 }
      END { if (name == "esl") { src = c[3]; bat = c[2] } else { src = c[1]; bat = c[2] }
            printf "RESULT prof_%s_thread_source=%.1f prof_%s_thread_batcher=%.1f\n",
                   name, 100 * src / t, name, 100 * bat / t }'
}

perf record -F 999 -g -o "$work/esl.data" -- "$ESTEL_BIN" run --config "$work/nosrv.plist" \
  --source eslogger --input "$corpus" --spool "$work/spool1" --drain > "$work/esl.out" 2>&1 ||
  { echo "profile: perf record failed (perf_event_paranoid?): $(tail -1 "$work/esl.out")"; exit 0; }
summarize esl "$work/esl.data"
if [ -n "$table" ] && [ -x "${ESTEL_ES_PIPELINE:-}" ]; then
  perf record -F 999 -g -o "$work/es.data" -- "$ESTEL_ES_PIPELINE" --config "$work/nosrv.plist" \
    --events "$table" --count "$n" --spool "$work/spool2" > "$work/es.out" 2>&1
  summarize es "$work/es.data"
fi
echo "profile: $n events, collector side only (no server), perf at 999 Hz"
