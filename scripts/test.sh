#!/usr/bin/env bash
# Run every test: unit and integration tests in the normal build and again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then each libFuzzer
# target for a short bounded time on its committed seed corpus.
# ESTEL_LONG=1 makes the soak/crash/fuzz parts run much longer.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

pass=0 fail=0
tally() {   # tally LOGFILE: add ctest's counts to the totals
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
  if [ -z "$line" ]; then
    grep -q 'No tests were found' "$1" && return
    fail=$((fail + 1)); return
  fi
  failed=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  pass=$((pass + total - failed)); fail=$((fail + failed))
}

for kind in normal asan; do
  dir=build; [ "$kind" = asan ] && dir=build-asan
  echo "=== $kind build" >&2
  scripts/build.sh "$kind" || { fail=$((fail + 1)); continue; }
  log=$(mktemp)
  # unit tests in parallel; integration tests one at a time (they start
  # servers and take the machine's two cores)
  (cd "$dir" && ctest -L unit -j "$(nproc)" --output-on-failure) | tee "$log"
  tally "$log"
  (cd "$dir" && ctest -LE unit --output-on-failure) | tee "$log"
  tally "$log"
  rm -f "$log"
done

if [ -x scripts/fuzz.sh ]; then
  echo "=== fuzz (short)" >&2
  if scripts/fuzz.sh; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
fi

echo
echo "all: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
