# shellcheck shell=bash
# lib.sh - shared by bench/compare/run.sh and bench/scaling/run.sh.
# Source it after "set -euo pipefail".  Gives:
#   $REPO $PEER $PY            the repository, the shared peer harness, python
#   $ESTEL_BIN $ESTEL_ES_PIPELINE   the binaries (from $ESTEL_BUILD)
#   bench_workdir NAME         $WORK: a private mktemp dir (removed at exit
#                              unless ESTEL_BENCH_KEEP=1), $RESULTS in it
#   bench_port                 $PB_PORT: a free port pair for the receiver
#   step TAG CMD...            run CMD, keep its output in $WORK/steps/TAG.out,
#                              append its RESULT lines to $RESULTS; fail loudly
#   kv FILE KEY                a RESULT value from FILE
# The shared harness (gen_corpus.py, pki.sh, receiver.sh, peer_cmd.sh,
# peer_syslogng.sh, pbhelper.py) is called where it is, never copied.
_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$_lib_dir/../.." && pwd)
PY=/usr/bin/python3
PEER=${ESTEL_PEER_BENCH:-$REPO/../shared/bench/peer}
if [ ! -x "$PEER/peer_cmd.sh" ] || [ ! -x "$PEER/peer_syslogng.sh" ] ||
   [ ! -r "$PEER/gen_corpus.py" ] || [ ! -x "$PEER/receiver.sh" ]; then
  echo "$(basename "$0"): the shared peer benchmark harness is not at $PEER" >&2
  echo "  (it is ../shared/bench/peer next to the repository on the project box;" >&2
  echo "  set ESTEL_PEER_BENCH=DIR to point at another copy)" >&2
  exit 1
fi
PEER=$(cd "$PEER" && pwd)
[ -x "$PY" ] && "$PY" -c 'import msgpack' 2>/dev/null || {
  echo "$(basename "$0"): needs Debian's /usr/bin/python3 with python3-msgpack" \
       "(apt-get install python3-msgpack)" >&2; exit 1; }

ESTEL_BUILD=${ESTEL_BUILD:-$REPO/build}
ESTEL_BUILD=$(cd "$ESTEL_BUILD" 2>/dev/null && pwd || echo "$ESTEL_BUILD")
ESTEL_BIN=${ESTEL_BIN:-$ESTEL_BUILD/cli/estel}
ESTEL_ES_PIPELINE=${ESTEL_ES_PIPELINE:-$ESTEL_BUILD/bench/compare/estel-es-pipeline}
export ESTEL_BIN ESTEL_ES_PIPELINE
if [ ! -x "$ESTEL_BIN" ]; then
  echo "$(basename "$0"): no estel binary at $ESTEL_BIN" >&2
  echo "  build it: cmake -S $REPO -B $ESTEL_BUILD -G Ninja && cmake --build $ESTEL_BUILD" >&2
  echo "  (or set ESTEL_BUILD=DIR to an existing build)" >&2
  exit 1
fi

bench_workdir() {
  WORK=$(mktemp -d "/tmp/estel-$1.XXXXXX")
  RESULTS=$WORK/results.txt
  mkdir -p "$WORK/steps"
  : > "$RESULTS"
  trap _bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
_bench_cleanup() {
  set +e
  [ -n "${BENCH_EXTRA_CLEANUP:-}" ] && eval "$BENCH_EXTRA_CLEANUP"
  if [ "${ESTEL_BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}

_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
bench_port() {
  local p
  if [ -z "${PB_PORT:-}" ]; then
    for p in $(seq 18543 10 18993); do
      if _port_free "$p" && _port_free $((p + 1)); then PB_PORT=$p; break; fi
    done
  fi
  [ -n "${PB_PORT:-}" ] || { echo "no free port pair in 18543..18994" >&2; exit 1; }
  export PB_PORT
}

# step TAG CMD... : the readable lines go to stderr as progress
step() {
  local tag=$1; shift
  local out=$WORK/steps/$tag.out rc=0
  echo "[$(date +%H:%M:%S)] $tag: $*" | sed "s|$WORK|\$WORK|g; s|$REPO/||g" >&2
  "$@" > "$out" 2>&1 || rc=$?
  grep -v '^RESULT ' "$out" | sed "s|$WORK|\$WORK|g" | sed 's/^/    /' >&2 || true
  grep '^RESULT ' "$out" >> "$RESULTS" || true
  if [ $rc != 0 ]; then
    echo "$(basename "$0"): step $tag failed (exit $rc); output in $out" >&2
    ESTEL_BENCH_KEEP=1
    exit $rc
  fi
}

kv() { sed -n "s/^RESULT .*[ ]$2=\([^ ]*\).*/\1/p; s/^RESULT $2=\([^ ]*\).*/\1/p" "$1" | tail -1; }
