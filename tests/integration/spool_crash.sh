#!/bin/bash
# spool_crash.sh - kill -9 `estel run --source synthetic` at random moments
# and check the spool after every kill:
#   - `estel spool verify` passes (no torn or corrupt batch in ready/);
#   - no record sequence number ("cs") is ever stored twice, across every
#     batch ever seen (also those evicted since);
#   - every hole in the sequence is explained: covered by a gap record's
#     [first_seq, last_seq], or it is records that were still in memory at
#     the kill (a hole right below a record the batcher thread numbered
#     itself, i.e. a gap/status record that overtook the ring);
#   - every kill of a run that had started its pipeline (its run marker,
#     spool/run, names its pid) is reported in the stream by a later run:
#     gap records with reason "crash" add up to exactly those kills, once
#     a last run has stopped cleanly.
# 50 cycles by default (under a minute); ESTEL_LONG=1 runs 500.
# Env: ESTEL_BIN (the estel binary), ESTEL_CRASH_CYCLES, ESTEL_CRASH_SEED.
set -euo pipefail

BIN=${ESTEL_BIN:-$(dirname "$0")/../../build/cli/estel}
PY=/usr/bin/python3             # Debian's: the first python3 on PATH differs
CYCLES=${ESTEL_CRASH_CYCLES:-50}
[ "${ESTEL_LONG:-0}" = 1 ] && CYCLES=${ESTEL_CRASH_CYCLES:-500}
[ -x "$BIN" ] || { echo "spool_crash: no estel binary at $BIN" >&2; exit 1; }
[ -x "$PY" ] || { echo "spool_crash: $PY missing; skipped"; exit 77; }

work=$(mktemp -d /tmp/estel-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/estel.plist" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0">
<dict>
    <key>SpoolMaxBytes</key><integer>4194304</integer>
    <key>BatchMaxBytes</key><integer>262144</integer>
    <key>BatchMaxAgeSeconds</key><real>0.1</real>
    <key>StatusIntervalSeconds</key><integer>0</integer>
</dict>
</plist>
EOF

# not exec: the EXIT trap must still remove $work
"$PY" - "$BIN" "$work" "$CYCLES" "${ESTEL_CRASH_SEED:-$RANDOM}" <<'EOF'
import json, os, random, re, subprocess, sys, time

bin_, work, cycles, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4])
spool = os.path.join(work, "spool")
cfg = os.path.join(work, "estel.plist")
log = open(os.path.join(work, "run.log"), "ab")
rng = random.Random(seed)
seen = bytearray(1 << 20)       # seen[cs] = 1 once stored
batcher_made = set()            # cs of gap/status records
gaps = []                       # [first_seq, last_seq] of gap records
done = set()                    # batch names already read
high = 0                        # highest cs ever stored
stats = {"kills": 0, "batches": 0, "records": 0, "gap_holes": 0,
         "kill_holes": 0, "crashes_expected": 0, "crashes_reported": 0}
cs_re = re.compile(rb'"cs":(\d+)')


def fail(msg):
    print("spool_crash: FAIL (seed %d): %s" % (seed, msg), file=sys.stderr)
    sys.stdout.flush()
    subprocess.run(["tail", "-20", os.path.join(work, "run.log")])
    sys.exit(1)


def read_new_batches(cycle):
    global high, seen
    ready = os.path.join(spool, "ready")
    names = sorted(os.listdir(ready)) if os.path.isdir(ready) else []
    for name in names:
        if name in done or name.startswith("."):
            continue
        done.add(name)
        out = subprocess.run([bin_, "spool", "cat", "--spool", spool, name],
                             capture_output=True)
        if out.returncode != 0:
            fail("cycle %d: spool cat %s: %s" % (cycle, name,
                                                 out.stderr.decode()))
        stats["batches"] += 1
        for line in out.stdout.splitlines():
            m = cs_re.search(line)
            if m is None:
                fail("record without cs in %s: %r" % (name, line[:200]))
            cs = int(m.group(1))
            while cs >= len(seen):
                seen.extend(bytearray(len(seen)))
            if seen[cs]:
                fail("cycle %d: sequence %d stored twice (again in %s)"
                     % (cycle, cs, name))
            seen[cs] = 1
            high = max(high, cs)
            stats["records"] += 1
            if b'"ev":"gap"' in line or b'"ev":"status"' in line:
                r = json.loads(line)
                batcher_made.add(cs)
                if r["ev"] == "gap" and r["e"]["reason"] == "crash":
                    stats["crashes_reported"] += r["e"]["crashes"]
                elif r["ev"] == "gap":
                    gaps.append((r["e"]["first_seq"], r["e"]["last_seq"]))


def covered(a, b):
    """Is [a, b] inside the union of the gap ranges?"""
    pos = a
    for f, l in sorted(gaps):
        if f <= pos <= l:
            pos = l + 1
        if pos > b:
            return True
    return pos > b


def marker_pid():
    try:
        with open(os.path.join(spool, "run")) as f:
            for line in f:
                if line.startswith("pid="):
                    return int(line[4:])
    except FileNotFoundError:
        pass
    return 0


def check_holes(cycle):
    pos = 1
    while pos <= high:
        a = seen.find(0, pos, high + 1)
        if a < 0:
            break
        b = a
        while b + 1 <= high and not seen[b + 1]:
            b += 1
        if covered(a, b):
            stats["gap_holes"] += 1
        elif (b + 1) in batcher_made:
            stats["kill_holes"] += 1
        else:
            fail("cycle %d: sequence %d-%d is missing and no gap record "
                 "explains it" % (cycle, a, b))
        pos = b + 1


start = time.monotonic()
for cycle in range(1, cycles + 1):
    p = subprocess.Popen([bin_, "run", "--source", "synthetic", "--seed",
                          str(seed + cycle), "--spool", spool, "--config",
                          cfg], stdout=subprocess.DEVNULL, stderr=log)
    time.sleep(rng.uniform(0.0, 0.15))
    p.kill()
    if p.wait() != -9:
        stats["kills"] -= 1             # it had ended on its own
    stats["kills"] += 1
    if marker_pid() == p.pid:
        stats["crashes_expected"] += 1  # died with its pipeline running
    if not os.path.isdir(spool):
        continue                        # killed before it made the spool
    v = subprocess.run([bin_, "spool", "verify", "--spool", spool],
                       capture_output=True)
    if v.returncode != 0:
        fail("cycle %d: spool verify: %s" % (cycle, v.stderr.decode()))
    read_new_batches(cycle)
    check_holes(cycle)
# a last run that stops cleanly reports the last kill and leaves no marker
subprocess.run([bin_, "run", "--source", "synthetic", "--count", "1000",
                "--spool", spool, "--config", cfg], stdout=subprocess.DEVNULL,
               stderr=log, check=True)
read_new_batches(cycles + 1)
check_holes(cycles + 1)
if os.path.exists(os.path.join(spool, "run")):
    fail("a clean stop left the run marker behind")
if stats["crashes_reported"] != stats["crashes_expected"]:
    fail("%d crashes reported in gap records, %d runs were killed with "
         "their pipeline running" % (stats["crashes_reported"],
                                     stats["crashes_expected"]))
# evictions must have happened for the gap check to mean something
ls = subprocess.run([bin_, "spool", "ls", "--spool", spool],
                    capture_output=True, text=True)
print("spool_crash: %d cycles (%d kill -9) in %.0f s: %d batches, %d records"
      " checked, highest sequence %d, %d holes explained by gap records, %d "
      "by the kill, %d crashes reported; seed %d"
      % (cycles, stats["kills"], time.monotonic() - start, stats["batches"],
         stats["records"], high, stats["gap_holes"], stats["kill_holes"],
         stats["crashes_reported"], seed))
print(ls.stdout.strip().splitlines()[-2])
print("spool_crash: OK")
EOF
