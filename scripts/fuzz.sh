#!/usr/bin/env bash
# Run every libFuzzer target on its committed seed corpus for a bounded
# time (FUZZ_SECONDS each, default 10; ESTEL_LONG=1: one hour each).
# Findings are written to build-fuzz/findings/<target>/ and fail the run;
# each crash found must become a regression seed in tests/fuzz/corpus/.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
[ "${ESTEL_LONG:-0}" = 1 ] && secs=3600
scripts/build.sh fuzz >/dev/null || exit 1
status=0
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  seeds=tests/fuzz/corpus/$short
  work=build-fuzz/corpus/$short
  out=build-fuzz/findings/$short
  mkdir -p "$work" "$out"
  [ -d "$seeds" ] || seeds=""
  if "$bin" -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=2048 \
       -artifact_prefix="$out/" -print_final_stats=0 "$work" $seeds \
       >"$out/log" 2>&1; then
    echo "fuzz $name: ok (${secs}s, $(ls "$work" | wc -l) inputs)"
  else
    echo "fuzz $name: FAILED, see $out/log"; tail -20 "$out/log"; status=1
  fi
done
exit $status
