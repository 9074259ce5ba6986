#!/bin/bash
# transport_responses.sh - every response class and failure against a real
# nginx (mutual TLS, HTTP/2) and a scripted backend, checking what became of
# each batch file: deleted (2xx/409), kept (transient, auth), moved to dead/
# (other 4xx); that every stored body is byte for byte the frame on disk;
# and that a key repeats only when a connection died after the server had
# stored the batch.
set -euo pipefail
. "$(dirname "$0")/lib/transport_env.sh"

backend_start be
front_start front "127.0.0.1:$BPORT"
URL=https://127.0.0.1:$PORT/v1/batches
LOG=$BDIR/requests.log

# run_drain NAME EXTRA_CFG... : upload $T/NAME until ready/ is empty
run_drain() {
  local name=$1; shift
  cfg_client "$T/$name.plist" "$URL" "$@"
  timeout 40 "$UPLOAD" send --spool "$T/$name" --config "$T/$name.plist" \
    --drain > "$T/$name.out" 2> "$T/$name.err" || {
      cat "$T/$name.err" >&2; die "$name: send did not drain"; }
}
requests() { [ -f "$LOG" ] && wc -l < "$LOG" || echo 0; }
reset_log() { : > "$LOG"; rm -f "$BDIR"/store/*; }
# lost-nothing: snapshot = delivered (in store) + answered 409 + dead +
# still ready
accounted() { # name stored dup dead ready
  local n=$1
  [ "$(count "$T/$n/ready")" = "$5" ] || die "$n: ready/ has $(count "$T/$n/ready"), want $5"
  [ "$(count "$T/$n/dead" '*.batch')" = "$4" ] || die "$n: dead/ has $(count "$T/$n/dead" '*.batch'), want $4"
  [ "$(check_store "$T/$n.snap" "$BDIR/store")" = "matched $2" ] || die "$n: store mismatch"
  [ $(($2 + $3 + $4 + $5)) = "$(count "$T/$n.snap")" ] || die "$n: batches unaccounted for"
}

# --- 2xx: delivered, deleted, the protocol's headers, exact bytes ----------
reset_log; spool_fill "$T/ok" 5
run_drain ok
accounted ok 5 0 0 0
[ "$(requests)" = 5 ] || die "ok: $(requests) requests for 5 batches"
[ "$(keys_of "$LOG" | sort -u | wc -l)" = 5 ] || die "ok: a key was sent twice"
"$PY" - "$LOG" <<'PY' || die "ok: headers"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["ctype"] == "application/vnd.estel.batch+msgpack", r
    assert r["cenc"] == "zstd" and r["host"] == "host-0001", r
    assert r["records"] == "200" and int(r["raw"]) > r["len"], r
    assert len(r["checksum"]) == 16 and r["ua"].startswith("estel/"), r
    assert r["key"].startswith("host-0001-") and r["key"].endswith("-" + str(int(r["key"].rsplit("-", 1)[1]))), r
PY
grep -q ' 204 .* HTTP/2.0 ' "$NDIR/access.log" || die "ok: not HTTP/2 via ALPN"
# one TLS connection for all five (keep-alive / HTTP/2 reuse)
[ "$(awk '$2 == 204 {print $10}' "$NDIR/access.log" | sort -u | wc -l)" = 1 ] ||
  die "ok: more than one connection for 5 batches"
ok "2xx: 5 batches stored byte for byte, deleted, one HTTP/2 connection"

# --- 409: already there, deleted, counted as duplicates -------------------
reset_log; spool_fill "$T/dup" 2
backend_script 409 409
run_drain dup
accounted dup 0 2 0 0
grep -q "(2 duplicate, 0 dead, 0 left)" "$T/dup.out" || die "dup: $(cat "$T/dup.out")"
ok "409: both batches deleted as already stored"

# --- transient: 500, 503 + Retry-After s, 429 + Retry-After date, 408 -----
reset_log; spool_fill "$T/tr" 2
backend_script 500 "503 ra=1" "429 ra=date+2" 408
run_drain tr
accounted tr 2 0 0 0
[ "$(requests)" = 6 ] || die "transient: $(requests) requests, want 6"
first=$(keys_of "$LOG" | sed -n 1p)
[ "$(keys_of "$LOG" | sed -n 1,5p | sort -u)" = "$first" ] || die "transient: retries were not of the oldest batch"
"$PY" - "$LOG" <<'PY' || die "transient: Retry-After not honoured"
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1])]
assert t[2] - t[1] >= 0.95, ("503 ra=1", t[2] - t[1])
assert t[3] - t[2] >= 0.9, ("429 ra=date+2", t[3] - t[2])
PY
grep -q "server error (HTTP 500" "$T/tr.err" || die "transient: no log line for the 500"
ok "transient: kept through 500/503/429/408, Retry-After (seconds, date) honoured, then stored once"

# --- other 4xx: dead/, counted, the rest flows on --------------------------
reset_log; spool_fill "$T/rej" 3
backend_script 400 422 ok
run_drain rej
accounted rej 1 0 2 0
grep -rqs "HTTP 400" "$T/rej/dead" || die "rej: dead/ reason does not name HTTP 400"
grep -q "moved to dead/" "$T/rej.err" || die "rej: not logged"
ok "other 4xx: 2 batches in dead/ with the reason, the third delivered"

# --- 401 / 403 / nginx's cert 400: kept, loud, long backoff ----------------
for code in 401 403; do
  reset_log; spool_fill "$T/auth$code" 2
  backend_script "$code"
  cfg_client "$T/auth$code.plist" "$URL"
  "$UPLOAD" send --spool "$T/auth$code" --config "$T/auth$code.plist" --state \
    > "$T/auth$code.out" 2> "$T/auth$code.err" & pid=$!
  wait_for 10 grep -qs "refuses our client certificate" "$T/auth$code.err" || die "auth$code: not reported"
  sleep 1
  if [ -x "${ESTEL_BIN:-}" ] && "$ESTEL_BIN" status --help >/dev/null 2>&1; then
    "$ESTEL_BIN" status --spool "$T/auth$code" > "$T/auth$code.status" || true
    grep -q "^status: degraded (why: the server refuses our client certificate (HTTP $code) for" \
      "$T/auth$code.status" || { cat "$T/auth$code.status" >&2; die "auth$code: estel status"; }
  fi
  kill -TERM $pid; wait $pid || true
  accounted "auth$code" 0 0 0 2
  [ "$(requests)" = 1 ] || die "auth$code: retried at once ($(requests) requests)"
  grep -q "error: upload: .*HTTP $code.*batches are kept" "$T/auth$code.err" || die "auth$code: not loud"
  grep -q '"retries_auth":1' "$T/auth$code/state/status.json" || die "auth$code: state file"
done
ok "401/403: batches kept, one loud error line, no hammering"

# --- stalled server: the request timeout ends it, then delivered ----------
reset_log; spool_fill "$T/stall" 1
backend_script "stall 5"
run_drain stall RequestTimeoutSeconds=2
accounted stall 1 0 0 0
[ "$(requests)" = 2 ] || die "stall: $(requests) requests"
grep -q "timed out" "$T/stall.err" || die "stall: timeout not reported"
ok "stalled server: timed out after 2 s, kept, delivered on retry"

# --- shutdown while a request hangs: abandoned within the grace, kept ------
reset_log; spool_fill "$T/grace" 1
backend_script "stall 30"
cfg_client "$T/grace.plist" "$URL" RequestTimeoutSeconds=60
"$UPLOAD" send --spool "$T/grace" --config "$T/grace.plist" --grace-ms 1000 \
  > "$T/grace.out" 2> "$T/grace.err" & pid=$!
wait_for 10 grep -qs stall "$LOG" || die "grace: the request never arrived"
t0=$SECONDS; kill -TERM $pid; wait $pid || true
[ $((SECONDS - t0)) -le 3 ] || die "grace: took $((SECONDS - t0)) s to stop (grace 1 s)"
grep -q "gave up sending .* at shutdown; it stays in ready/" "$T/grace.err" || die "grace: not logged"
accounted grace 0 0 0 1
ok "stop during a hung request: abandoned after the 1 s grace, batch kept"

# --- connection dropped after the server stored: key repeats, 409, deleted -
reset_log; spool_fill "$T/drop" 2
backend_script drop
run_drain drop
accounted drop 2 0 0 0
first=$(keys_of "$LOG" | sed -n 1p)
[ "$(keys_of "$LOG" | grep -c -- "$first")" = 2 ] || die "drop: key did not repeat"
[ "$(requests)" = 3 ] || die "drop: $(requests) requests, want 3"
grep -q "(1 duplicate, 0 dead, 0 left)" "$T/drop.out" || die "drop: $(cat "$T/drop.out")"
ok "dropped after store: the idempotency key repeated once, 409, deleted"

# --- connection cut while the body is still being sent ---------------------
reset_log
"$UPLOAD" fill --spool "$T/cut" --batches 1 --records 3000 --pad 1000 --random >/dev/null
rm -rf "$T/cut.snap"; cp -a "$T/cut/ready" "$T/cut.snap"
backend_script cut
URL=https://127.0.0.1:$PORT/midbody/v1/batches run_drain cut
accounted cut 1 0 0 0
[ "$(requests)" = 2 ] || die "cut: $(requests) requests"
ok "cut mid-body ($(stat -c %s "$T/cut.snap"/* | head -1) byte batch): kept, resent, stored once"

# --- the real agent: estel run --drain delivers everything it collected ---
if [ -x "${ESTEL_BIN:-}" ]; then
  reset_log
  cfg_write "$T/run.plist" "ClientCertificate=$PKI/client.pem" "ClientKey=$PKI/client.key" \
    "ServerCA=$PKI/ca.pem" "HostID=host-0001" "RetryMaxSeconds=2"
  timeout 60 "$ESTEL_BIN" run --config "$T/run.plist" --source synthetic --count 30000 \
    --spool "$T/run" --server "$URL" --drain > "$T/run.out" 2> "$T/run.err" ||
    { cat "$T/run.err" >&2; die "estel run --drain failed"; }
  [ "$(count "$T/run/ready")" = 0 ] || die "estel run: batches left in ready/"
  sent=$(sed -n 's/.*upload: stopped (\([0-9]*\) batches sent.*/\1/p' "$T/run.err")
  [ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$(count "$BDIR/store")" = "$sent" ] ||
    die "estel run: sent ${sent:-?}, backend stored $(count "$BDIR/store")"
  ok "estel run --drain: $sent batches collected, uploaded and acknowledged"
fi

echo "transport_responses: all passed"
