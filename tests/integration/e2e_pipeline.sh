#!/usr/bin/env bash
# e2e_pipeline.sh MKBATCH - the whole product on one box: `estel run`
# (synthetic source -> ring -> batcher -> spool -> uploader) over mutual
# TLS through nginx (deploy/ingest/) to `estel ingest` -> NDJSON.
# N events in, exactly N events out, each once, in order per host, the
# spool empty at the end, every request answered 200.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"
N=20000

ingest_start ing
port=$(free_port)
ingest_nginx_start ngx "$port" "$IADDR"
agent_plist "$T/agent.plist"
timeout 80 "$ESTEL" run --config "$T/agent.plist" --source synthetic \
  --count "$N" --spool "$T/spool" --server "$NURL" --drain \
  2> "$T/agent.log" || { tail -20 "$T/agent.log" >&2; die "estel run failed"; }
ok "estel run --drain exited 0"
read -r total events gaps status hi dups missing disorder < <(check_output ing)
echo "# records $total: events $events, gap $gaps, status $status; max seq $hi"
[ "$events" = "$N" ] || die "$events events out, $N in"
[ "$dups" = 0 ] || die "$dups records twice"
[ "$missing" = 0 ] || die "$missing sequence numbers missing"
[ "$disorder" = 0 ] || die "$disorder events out of order"
[ "$total" = "$hi" ] || die "$total records for sequence 1..$hi"
ok "$N events in, $N out, each once, in order"
[ -z "$(ls -A "$T/spool/ready" 2>/dev/null)" ] || die "batches left in the spool"
ok "spool empty"
codes=$(awk '{print $9}' "$T/ngx/access.log" | sort | uniq -c | tr -s ' ')
[ "$(awk '$9 != 200' "$T/ngx/access.log" | wc -l)" = 0 ] ||
  die "not every request got 200: $codes"
ok "every request 200 ($codes)"
ingest_stop ing
