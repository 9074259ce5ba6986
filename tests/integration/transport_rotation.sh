#!/bin/bash
# transport_rotation.sh - replace the client certificate and key while the
# uploader runs (key first, then certificate, as a careless certificate
# manager would): the half-replaced pair is refused and the old identity
# kept; once both are new, the next connection presents the new serial
# (nginx logs $ssl_client_serial) and no batch is lost.
set -euo pipefail
. "$(dirname "$0")/lib/transport_env.sh"

backend_start be
front_start front "127.0.0.1:$BPORT"
ID=$T/id; mkdir -p "$ID"
cp "$PKI/client.pem" "$ID/client.pem"; cp -p "$PKI/client.key" "$ID/client.key"
old=$(pki_serial "$PKI/client.pem")
pki_client "$PKI" client2 host-0001
new=$(pki_serial "$PKI/client2.pem")
[ "$old" != "$new" ] || die "serials collide"

cfg_write "$T/rot.plist" "ServerURL=https://127.0.0.1:$PORT/v1" "ServerCA=$PKI/ca.pem" \
  "ClientCertificate=$ID/client.pem" "ClientKey=$ID/client.key" "RetryMaxSeconds=2"
"$UPLOAD" send --spool "$T/rot" --config "$T/rot.plist" --trickle 300 --records 20 \
  > "$T/rot.out" 2> "$T/rot.err" & pid=$!
PIDS+=($pid)
serials() { awk '$2 == 204 {print $6}' "$NDIR/access.log"; }
wait_for 15 grep -q " 204 .* $old " "$NDIR/access.log" || die "no upload with the first certificate"
sleep 1

# the key first (now it does not match the certificate), then the cert
cp -p "$PKI/client2.key" "$ID/client.key.new"; mv "$ID/client.key.new" "$ID/client.key"
wait_for 5 grep -q "TLS files changed but .*does not belong" "$T/rot.err" ||
  die "the half-replaced pair was not refused"
sleep 1
# the old identity still works meanwhile
before=$(serials | grep -c "$old")
cp "$PKI/client2.pem" "$ID/client.pem.new"; mv "$ID/client.pem.new" "$ID/client.pem"
wait_for 15 grep -q " 204 .* $new " "$NDIR/access.log" || die "the new certificate was never used"
grep -q "new connections use ClientCertificate CN=host-0001 serial $new" "$T/rot.err" ||
  die "rotation not logged"
sleep 1
kill -TERM $pid; wait $pid || true
# after the first request with the new serial, never the old one again
serials | awk -v o="$old" -v n="$new" '$1 == n {seen=1} seen && $1 == o {bad=1} END {exit bad}' ||
  die "the old certificate was used after the rotation"
[ "$before" -ge 1 ] || die "nothing sent with the old certificate"
# nothing lost: every batch written is either stored or still in ready/
made=$(grep -c '"code": 204' "$BDIR/requests.log")
left=$(count "$T/rot/ready")
sent=$(sed -n 's/^uploaded \([0-9]*\) batches.*/\1/p' "$T/rot.out")
[ "$made" = "$sent" ] || die "backend stored $made, uploader counted $sent"
ok "rotation: serial $old -> $new on the next connection, half-replaced pair refused, $sent batches sent, $left left"
echo "transport_rotation: all passed"
