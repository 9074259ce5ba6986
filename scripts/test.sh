#!/usr/bin/env bash
# Run every test: unit and integration tests in the normal build and again
# under AddressSanitizer + UndefinedBehaviorSanitizer, then each libFuzzer
# target for a short bounded time on its committed seed corpus.
# ESTEL_LONG=1 makes the soak/crash/fuzz parts run much longer.
#
# The two builds' integration suites run side by side: their tests mostly
# wait (servers, backoff, kill cycles), every test picks its own ports,
# temp dirs and network namespace names, and this keeps CI well inside
# its time budget on two cores.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1

pass=0 fail=0 skip=0
tally() {   # tally LOGFILE: add ctest's counts to the totals
  local line total failed skipped
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -1)
  if [ -z "$line" ]; then
    grep -q 'No tests were found' "$1" && return
    fail=$((fail + 1)); return
  fi
  failed=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  # a test that could not run here (exit 77: no tmpfs, no strace...) is
  # neither a pass nor a failure
  skipped=$(grep -c '(Skipped)$' "$1")
  pass=$((pass + total - failed - skipped)); fail=$((fail + failed))
  skip=$((skip + skipped))
}

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
built=()
for kind in normal asan; do
  echo "=== $kind build" >&2
  if scripts/build.sh "$kind"; then built+=("$kind"); else fail=$((fail + 1)); fi
done
dir_of() { [ "$1" = asan ] && echo build-asan || echo build; }

for kind in "${built[@]}"; do
  echo "=== $kind: unit tests" >&2
  (cd "$(dir_of "$kind")" && ctest -L unit -j "$(nproc)" --output-on-failure) \
    | tee "$logs/unit-$kind"
  tally "$logs/unit-$kind"
done

echo "=== integration tests (${built[*]} side by side)" >&2
pids=()
for kind in "${built[@]}"; do
  (cd "$(dir_of "$kind")" && ctest -LE unit --output-on-failure) \
    > "$logs/int-$kind" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for kind in "${built[@]}"; do
  echo "--- $kind integration"
  cat "$logs/int-$kind"
  tally "$logs/int-$kind"
done

if [ -x scripts/fuzz.sh ]; then
  echo "=== fuzz (short)" >&2
  if scripts/fuzz.sh; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
fi

echo
echo "all: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
