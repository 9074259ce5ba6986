#!/usr/bin/env bash
# e2e_agent_kill.sh MKBATCH - the agent is killed (SIGKILL) in the middle
# of uploading and started again on the same spool: every record that
# reached the spool arrives exactly once; the numbering resumes after the
# last spooled record, so the output is 1..max with no hole and no
# duplicate (what was only in memory at the kill is lost before it had a
# number anyone saw).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"

ingest_start ing
port=$(free_port)
ingest_nginx_start ngx "$port" "$IADDR"
# slow the upload down so the kill lands with batches still queued
agent_plist "$T/agent.plist" \
  '<key>UploadMaxBytesPerSecond</key><integer>1000000</integer>'
"$ESTEL" run --config "$T/agent.plist" --source synthetic --count 100000 \
  --spool "$T/spool" --server "$NURL" --drain 2> "$T/agent1.log" &
apid=$!
PIDS+=("$apid")
for _ in $(seq 300); do
  [ "$(out_lines ing)" -ge 8000 ] && break
  kill -0 "$apid" 2>/dev/null || break
  sleep 0.1
done
kill -KILL "$apid" 2>/dev/null || die "the agent finished before the kill"
wait "$apid" 2>/dev/null || true
before=$(out_lines ing)
queued=$(ls "$T/spool/ready" | wc -l)
echo "# killed the agent: $before records stored, $queued batches in ready/"
[ "$queued" -gt 0 ] || die "nothing left to upload: the kill came too late"

# start again on the same spool: it uploads what is queued, then 5000 more
agent_plist "$T/agent2.plist"
timeout 80 "$ESTEL" run --config "$T/agent2.plist" --source synthetic \
  --count 5000 --seed 2 --spool "$T/spool" --server "$NURL" --drain \
  2> "$T/agent2.log" || { tail -20 "$T/agent2.log" >&2; die "second run failed"; }
ok "second run drained"
read -r total events gaps status hi dups missing disorder < <(check_output ing)
echo "# records $total: events $events, gap $gaps, status $status; max seq $hi"
[ "$dups" = 0 ] || die "$dups records twice"
[ "$missing" = 0 ] || die "$missing sequence numbers missing"
[ "$total" = "$hi" ] || die "$total records for sequence 1..$hi"
[ "$events" -ge $((before + 5000)) ] || die "only $events events"
ok "every spooled record once: 1..$hi, no hole, no duplicate"
[ -z "$(ls -A "$T/spool/ready")" ] || die "batches left in the spool"
ok "spool empty"
ingest_stop ing
