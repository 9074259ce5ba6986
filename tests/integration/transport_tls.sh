#!/bin/bash
# transport_tls.sh - TLS negatives against a real nginx: an untrusted server
# certificate, a wrong host name and a wrong pin send nothing to that server;
# no, an untrusted or an expired client certificate are refused by the
# server and the data stays; an unreadable or world-readable key stops the
# uploader at start with a message that names the file and the fix.
set -euo pipefail
. "$(dirname "$0")/lib/transport_env.sh"

backend_start be
LOG=$BDIR/requests.log
NGINX_LISTEN="127.0.0.1 127.0.0.2" front_start good "127.0.0.1:$BPORT"
GOOD=$PORT GOODDIR=$NDIR
NGINX_CERT=$PKI/rogue-server.pem NGINX_KEY=$PKI/rogue-server.key \
  front_start rogue "127.0.0.1:$BPORT"
ROGUE=$PORT ROGUEDIR=$NDIR

# refused NAME EXPECT_LOG_REGEX CFG_ARGS... : run, wait for the message,
# stop, and check that both batches are still in ready/
refused() {
  local name=$1 want=$2 pid; shift 2
  spool_fill "$T/$name" 2
  cfg_write "$T/$name.plist" "RetryMaxSeconds=60" "$@"
  "$UPLOAD" send --spool "$T/$name" --config "$T/$name.plist" \
    > "$T/$name.out" 2> "$T/$name.err" & pid=$!
  wait_for 15 grep -Eqs "$want" "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: no '$want'"; }
  kill -TERM $pid; wait $pid || true
  [ "$(count "$T/$name/ready")" = 2 ] || die "$name: data not kept"
  [ "$(count "$T/$name/dead")" = 0 ] || die "$name: data moved to dead/"
}
client=("ClientCertificate=$PKI/client.pem" "ClientKey=$PKI/client.key")

# --- the server is not who it should be: nothing is sent ------------------
refused untrusted-server "error: upload: .*not trusted.*curl 60" \
  "ServerURL=https://127.0.0.1:$ROGUE/v1" "ServerCA=$PKI/ca.pem" "${client[@]}"
[ ! -s "$ROGUEDIR/access.log" ] || die "untrusted-server: a request reached it"
ok "untrusted server certificate: refused (curl 60), nothing sent, data kept"

refused wrong-host "error: upload: .*curl 60.*(subject name|does not match)" \
  "ServerURL=https://127.0.0.2:$GOOD/v1" "ServerCA=$PKI/ca.pem" "${client[@]}"
[ ! -s "$GOODDIR/access.log" ] || die "wrong-host: a request reached it"
ok "wrong host name: refused, nothing sent, data kept"

pin_bad="sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
refused wrong-pin "error: upload: .*ServerPinnedKey.*curl 90" \
  "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem" \
  "ServerPinnedKey=$pin_bad" "${client[@]}"
[ ! -s "$GOODDIR/access.log" ] || die "wrong-pin: a request reached it"
pin=$(openssl x509 -in "$PKI/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
      openssl dgst -sha256 -binary | base64)
spool_fill "$T/pin" 1
cfg_write "$T/pin.plist" "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem" \
  "ServerPinnedKey=sha256//$pin" "${client[@]}"
timeout 20 "$UPLOAD" send --spool "$T/pin" --config "$T/pin.plist" --drain >/dev/null 2>&1 ||
  die "pin: the right pin did not deliver"
: > "$GOODDIR/access.log"; : > "$LOG"
ok "ServerPinnedKey: a wrong pin refuses (curl 90, nothing sent), the right one delivers"

# --- the server refuses us: data kept, loud ------------------------------
refused no-client-cert "error: upload: .*did not accept our client certificate.*No required SSL certificate" \
  "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem"
grep -q "warning: upload: no ClientCertificate" "$T/no-client-cert.err" || die "no-client-cert: no start warning"
refused untrusted-client "error: upload: .*did not accept our client certificate.*SSL certificate error" \
  "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem" \
  "ClientCertificate=$PKI/untrusted.pem" "ClientKey=$PKI/untrusted.key"
refused expired-client "error: upload: .*did not accept our client certificate" \
  "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem" \
  "ClientCertificate=$PKI/expired.pem" "ClientKey=$PKI/expired.key"
grep -q "error: upload: ClientCertificate .*expired.pem expired on 2020-01-02" \
  "$T/expired-client.err" || die "expired-client: expiry not reported at start"
[ ! -s "$LOG" ] || die "refused client certificates still reached the backend"
ok "no / untrusted / expired client certificate: nginx 400 seen as credentials problem, data kept"

# --- bad key files: refuse to start, name the file and the fix ------------
: > "$GOODDIR/access.log"
start_fails() { # name want cfg...
  local name=$1 want=$2 rc=0; shift 2
  spool_fill "$T/$name" 1
  cfg_write "$T/$name.plist" "ServerURL=https://127.0.0.1:$GOOD/v1" "ServerCA=$PKI/ca.pem" "$@"
  timeout 10 "$UPLOAD" send --spool "$T/$name" --config "$T/$name.plist" --drain \
    > "$T/$name.out" 2> "$T/$name.err" || rc=$?
  [ "$rc" = 2 ] || die "$name: exit $rc, want 2"
  grep -qF -- "$want" "$T/$name.err" || { cat "$T/$name.err" >&2; die "$name: no '$want'"; }
  [ "$(count "$T/$name/ready")" = 1 ] || die "$name: data not kept"
}
cp "$PKI/client.key" "$T/open.key"; chmod 644 "$T/open.key"
start_fails world-readable-key \
  "ClientKey $T/open.key: mode 0644 lets others read it; run chmod 600 $T/open.key" \
  "ClientCertificate=$PKI/client.pem" "ClientKey=$T/open.key"
start_fails missing-key "ClientKey $T/none.key: cannot read it: No such file or directory" \
  "ClientCertificate=$PKI/client.pem" "ClientKey=$T/none.key"
mkdir "$T/dir.key"; chmod 700 "$T/dir.key"
start_fails directory-key "ClientKey $T/dir.key: not a regular file" \
  "ClientCertificate=$PKI/client.pem" "ClientKey=$T/dir.key"
start_fails wrong-key "does not belong to ClientCertificate" \
  "ClientCertificate=$PKI/client.pem" "ClientKey=$PKI/untrusted.key"
[ ! -s "$GOODDIR/access.log" ] || die "a bad key still connected"
ok "unreadable / world-readable / mismatched key: exit 2 with the file and the fix, nothing sent"

echo "transport_tls: all passed"
