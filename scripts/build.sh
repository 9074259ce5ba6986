#!/usr/bin/env bash
# Configure and build estel.  usage: scripts/build.sh [normal|asan|fuzz]
#   normal -> build/        (RelWithDebInfo)
#   asan   -> build-asan/   (AddressSanitizer + UndefinedBehaviorSanitizer)
#   fuzz   -> build-fuzz/   (libFuzzer targets)
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-normal}
export CC=${CC:-clang} CXX=${CXX:-clang++}
case "$kind" in
  normal) dir=build; flags=() ;;
  asan)   dir=build-asan; flags=(-DESTEL_SANITIZE=ON -DESTEL_BENCH=OFF
                                 -DCMAKE_BUILD_TYPE=Debug) ;;
  fuzz)   dir=build-fuzz; flags=(-DESTEL_FUZZ=ON -DESTEL_TESTS=OFF
                                 -DESTEL_BENCH=OFF) ;;
  *) echo "usage: $0 [normal|asan|fuzz]" >&2; exit 2 ;;
esac
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f "$dir/CMakeCache.txt" ]; then
  cmake -S . -B "$dir" "${gen[@]}" "${flags[@]}" >/dev/null
fi
cmake --build "$dir" -j "$(nproc)"
