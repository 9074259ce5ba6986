#!/bin/bash
# soak_kill.sh - kill -9 across the whole pipeline.
#
#   esfeed.py (eslogger) --FIFO--> estel run --> nginx (mTLS) --> estel ingest
#
# The feeder stands in for `eslogger | estel run --input -`: it writes
# numbered eslogger lines (global_seq_num 0..G-1, the ground truth) at a
# steady rate.  A supervisor restarts the agent whenever it dies, as launchd
# would.  Meanwhile a chaos loop SIGKILLs the agent or ingest at random
# moments (ingest comes back on the same port at once or after a pause).
# When the feed ends, the last agent drains its spool and exits.
#
# The ledger (lib/ledger.py) then accounts for every global_seq_num:
#   landed exactly once (duplicates from a resend after an ingest crash are
#   removed by event id), or in a reported gap, or in a crash window: what
#   the killed agent had read but not yet sealed into its spool (the open
#   batch and the ring) plus what sat in the pipe.  estel promises that a
#   crash loses at most that window (docs/reliability.md); the ledger checks
#   each window ends where the feeder saw the agent die and is no larger
#   than the bound.  Anything else missing is silent loss and fails.
# Every kill of an agent whose pipeline was running (its run marker,
# spool/run, names its pid) must come back as a gap record with reason
# "crash" from a later run: the SIEM learns of each crash window too.
# CI: 15 s of feed at 2,000 lines/s; ESTEL_LONG=1: 10 minutes.
set -euo pipefail
. "$(dirname "$0")/lib/proof_env.sh"
proof_init soak-kill

RATE=2000
if [ "$LONG" = 1 ]; then SECS=${ESTEL_SOAK_SECONDS:-600}; else SECS=${ESTEL_SOAK_SECONDS:-15}; fi
G=$((RATE * SECS))
AGE=0.5
# the bound on one crash window: the open batch (BatchMaxAgeSeconds of
# events, doubled for a slow seal), the ring and the pipe's contents
WINDOW=$(awk -v r=$RATE -v a=$AGE 'BEGIN {printf "%d", r * a * 2 + 1000}')
note "soak: $G events at $RATE/s over ${SECS}s; crash window bound $WINDOW events"

ingest_up ingest
iport=$IPORT
port=$(free_port)
front_up front "$port" "127.0.0.1:$iport"
agent_plist "$T/agent.plist" client "$FRONT_URL" StatusIntervalSeconds=0 \
  BatchMaxAgeSeconds=$AGE BatchMaxBytes=262144 RingBytes=1048576 \
  RetryMaxSeconds=1 ConnectTimeoutSeconds=2
mkfifo "$T/feed"
: > "$T/marks"

"$PY" "$(dirname "$0")/lib/esfeed.py" feed "$G" "$T/feed" --rate $RATE \
  --marks "$T/marks" --done "$T/feed.done" 2> "$T/feeder.log" &
feeder=$!
PIDS+=("$feeder")

# the supervisor: restart the agent until it finishes the feed and exits 0
cat > "$T/supervise.sh" <<'SH'
#!/bin/bash
# $1 estel $2 config $3 fifo $4 spool $5 the feeder's done file $6 pid
# file $7 log.  The feeder creates $5 before it closes the FIFO, so an
# agent that exits 0 after end of input always finds it.
runs=0
while :; do
  runs=$((runs + 1))
  input=$3
  # the feed is over: only drain what is spooled (the FIFO has no writer)
  [ -e "$5" ] && input=/dev/null
  "$1" run --config "$2" --source eslogger --input "$input" --spool "$4" \
    --drain 2>> "$7" &
  echo $! > "$6"
  wait $! && [ -e "$5" ] && break
  sleep 0.2
done
echo "$runs" > "$6.runs"
SH
bash "$T/supervise.sh" "$ESTEL" "$T/agent.plist" "$T/feed" "$T/spool" "$T/feed.done" \
  "$T/agent.pid" "$T/agent.log" 2>> "$T/supervise.log" &
super=$!
PIDS+=("$super")
# the supervisor's current agent is not our child: stop it by its pid file
EXTRA_CLEANUP='p=$(cat "$T/agent.pid" 2>/dev/null) && kill -KILL "$p" 2>/dev/null'

# chaos while the feed runs
kills_agent=0 kills_ingest=0 crashes_expected=0
while [ ! -e "$T/feed.done" ]; do
  sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.2f", 1 + r % 300 / 100}')"
  [ ! -e "$T/feed.done" ] || break
  if [ $((RANDOM % 3)) != 0 ]; then
    apid=$(cat "$T/agent.pid" 2>/dev/null || true)
    if [ -n "$apid" ] && kill -KILL "$apid" 2>/dev/null; then
      kills_agent=$((kills_agent + 1))
      sleep 0.05                  # let it die before reading its marker
      grep -qx "pid=$apid" "$T/spool/run" 2>/dev/null &&
        crashes_expected=$((crashes_expected + 1))
      # the feed ended meanwhile: the feeder saw no death, so mark its end
      [ -e "$T/feed.done" ] && echo "$G" >> "$T/marks"
    fi
  else
    ingest_down ingest KILL
    kills_ingest=$((kills_ingest + 1))
    [ $((RANDOM % 2)) = 0 ] && sleep 1.5
    ingest_up ingest --listen "127.0.0.1:$iport"
  fi
done
wait "$feeder" || die "feeder failed: $(cat "$T/feeder.log")"
note "feed done: $(cat "$T/feeder.log"); kills: agent $kills_agent, ingest $kills_ingest"
wait_for 120 bash -c "! kill -0 $super 2>/dev/null" ||
  die "the agent did not drain within 120 s after the feed ($(tail -2 "$T/agent.log"))"
left=$(find "$T/spool/ready" -name '*.batch' 2>/dev/null | wc -l)
[ "$left" = 0 ] || die "$left batches still in ready/ after the drain"
ok "agent killed $kills_agent times and restarted $(cat "$T/agent.pid.runs") times; ingest killed $kills_ingest times; spool drained"
ingest_down ingest

crashes=$(wc -l < "$T/marks")
ledger "$T/ingest/out" --feed "host-0001=$G" --crash-marks "host-0001=$T/marks" \
  --crash-window "$WINDOW" --spool "host-0001=$T/spool" --from-cs 1 --json "$T/ledger.json" \
  > "$T/ledger.txt" || { cat "$T/ledger.txt"; die "ledger: silent loss or a conflict"; }
cat "$T/ledger.txt"
"$PY" - "$T/ledger.json" "$G" <<'PY' || die "the ledger does not add up"
import json, sys
d = json.load(open(sys.argv[1]))["hosts"][0]
g = int(sys.argv[2])
parts = (d["feed_landed"], d["feed_es_drop"], d["feed_reported"],
         d["feed_on_agent"], d["feed_crash_window"])
wins = ", ".join("%d-%d" % tuple(w) for w in d["feed_crash_windows"][:8])
print("# generated %d = landed %d + ES drops %d + reported lost %d + on agent %d"
      " + crash windows %d (%s); silent %d; duplicates removed %d"
      % ((g,) + parts + (wins or "none", d["feed_silent"],
                         d["duplicates_removed"])))
n = d["feed_crash_window_count"]
print("# crash windows: %d, largest %d events, mean %.0f events"
      % (n, d["feed_crash_window_max"], parts[4] / n if n else 0))
sys.exit(0 if sum(parts) == g and d["feed_silent"] == 0 else 1)
PY
reported=$("$PY" -c 'import json, sys
print(json.load(open(sys.argv[1]))["hosts"][0]["crashes_reported"])' "$T/ledger.json")
[ "$reported" = "$crashes_expected" ] ||
  die "$reported crashes reported in gap records (reason crash), $crashes_expected agents killed with their pipeline running"
ok "each of the $crashes_expected agent kills with a running pipeline was reported by the next run (gap records, reason crash)"
ok "ledger: every event landed once, was reported lost, or fell in one of $crashes crash windows (each <= $WINDOW events, ending where the agent died); zero silent loss"
echo "soak_kill: all passed"
