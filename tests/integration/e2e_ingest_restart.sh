#!/usr/bin/env bash
# e2e_ingest_restart.sh MKBATCH - ingest goes away twice while an agent is
# uploading through nginx: once stopped (SIGTERM: requests in flight are
# finished), once killed (SIGKILL), each time started again on the same
# address and directory.  The agent backs off on nginx's 502s and
# resumes; in the end every event is there once.  (A SIGKILL between the
# events' fsync and the dedupe log's can store one batch twice, which the
# SIEM dedupes on event.id; the test allows exactly that and nothing
# else.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"
N=60000

iport=$(free_port)
ingest_start ing --listen "127.0.0.1:$iport"
port=$(free_port)
ingest_nginx_start ngx "$port" "127.0.0.1:$iport"
agent_plist "$T/agent.plist" \
  '<key>UploadMaxBytesPerSecond</key><integer>1500000</integer>'
"$ESTEL" run --config "$T/agent.plist" --source synthetic --count "$N" \
  --spool "$T/spool" --server "$NURL" --drain 2> "$T/agent.log" &
apid=$!
PIDS+=("$apid")
wait_lines() {
  for _ in $(seq 400); do
    [ "$(out_lines ing)" -ge "$1" ] && return 0
    kill -0 "$apid" 2>/dev/null || return 0
    sleep 0.1
  done
}
wait_lines 8000
ingest_stop ing
ok "ingest stopped at $(out_lines ing) records"
sleep 1.5
ingest_start ing --listen "127.0.0.1:$iport"
wait_lines 25000
ingest_kill ing 2>/dev/null
ok "ingest killed at $(out_lines ing) records"
sleep 1
ingest_start ing --listen "127.0.0.1:$iport"
wait "$apid" || { tail -20 "$T/agent.log" >&2; die "estel run failed"; }
ok "estel run --drain exited 0"
read -r total events gaps status hi dups missing disorder < <(check_output ing)
echo "# records $total: events $events, gap $gaps, status $status; max seq $hi; duplicates $dups"
[ "$missing" = 0 ] || die "$missing sequence numbers missing"
[ "$events" -ge "$N" ] || die "$events events, expected $N"
# at most one batch (1 MiB, ~1200 records) stored twice by the SIGKILL
[ "$dups" -le 1500 ] || die "$dups duplicate records"
[ $((total - dups)) = "$hi" ] || die "$total records ($dups twice) for 1..$hi"
ok "every event there, duplicates $dups (at most one batch)"
grep -c ' 502 ' "$T/ngx/access.log" >/dev/null &&
  ok "nginx answered $(grep -c ' 502 ' "$T/ngx/access.log") requests 502 while ingest was down"
ingest_stop ing
