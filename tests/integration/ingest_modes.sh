#!/usr/bin/env bash
# ingest_modes.sh MKBATCH - the ways ingest is deployed and configured:
#   behind nginx on a unix socket (deploy/ingest/estel-ingest.nginx.conf),
#   a peer that is not IngestTrustedFront (its X-SSL-* headers ignored),
#   direct TLS with client certificates (IngestTLS*: GnuTLS verifies the
#   chain, expiry and the clientAuth purpose), and IngestFormat ocsf.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"
B=$T/b
for i in 0 1 2 3 4 5; do
  mkbatch "$B.$i" --host host-0001 --boot boot-m --first $((1 + i * 100)) \
    --count 100 --seed $((i + 1))
done
mkbatch "$B.gap" --host host-0001 --boot boot-m --first 601 --count 20 \
  --seed 7 --gap

# ---- unix socket behind nginx ------------------------------------------
sock=$T/ingest.sock
ingest_start unix --listen "unix:$sock"
[ -S "$sock" ] || die "no socket at $sock"
[ "$(stat -c %a "$sock")" = 660 ] || die "socket mode $(stat -c %a "$sock"), want 660"
ok "listening on $IADDR (mode 660)"
port=$(free_port)
ingest_nginx_start ngx "$port" "unix:$sock"
expect "nginx -> unix socket" 200 "$(post_nginx "$B.0")"
expect "nginx -> unix socket, replay" 409 "$(post_nginx "$B.0")"
expect "nginx -> unix socket, gap batch" 200 "$(post_nginx "$B.gap")"
ingest_stop unix
[ -e "$sock" ] && die "socket left behind"
ok "socket removed at stop"
$PY - "$T/unix/out" <<'EOF'
import glob, json, sys
lines = [json.loads(l) for f in sorted(glob.glob(sys.argv[1] + "/estel-*.ndjson"))
         for l in open(f)]
gaps = [l for l in lines if l["event"]["dataset"] == "estel.gap"]
assert len(lines) == 120 and len(gaps) == 1, (len(lines), len(gaps))
g = gaps[0]
assert g["event"]["kind"] == "pipeline_error" and g["estel"]["gap"]["count"] == 3, g
print("ok - gap record kept as an event (event.kind pipeline_error)")
EOF

# ---- a peer that is not the trusted front ------------------------------
cat > "$T/front.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>IngestTrustedFront</key><string>10.9.9.9</string>
</dict></plist>
P
ingest_start untrusted --config "$T/front.plist"
expect "X-SSL-* headers from a peer that is not IngestTrustedFront" 401 \
  "$(post_direct "$B.1")"
ingest_stop untrusted

# ---- direct TLS ---------------------------------------------------------
cat > "$T/tls.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>IngestTLSCertificate</key><string>$PKI/server.pem</string>
<key>IngestTLSKey</key><string>$PKI/server.key</string>
<key>IngestTLSClientCA</key><string>$PKI/ca.pem</string>
</dict></plist>
P
ingest_start tls --config "$T/tls.plist"
NURL="https://$IADDR/v1/batches"
expect "direct TLS, client certificate" 200 "$(post_nginx "$B.1")"
expect "direct TLS, replay" 409 "$(post_nginx "$B.1")"
expect "direct TLS, spoofed headers do not count" 403 "$(post_nginx "$B.2" \
  --cert "$PKI/client2.pem" --key "$PKI/client2.key" \
  -H 'X-SSL-Client-Verify: SUCCESS' -H 'X-SSL-Client-S-DN: CN=host-0001')"
expect "direct TLS, no client certificate" 401 "$(curl -s -o "$T/last.body" \
  -w '%{http_code}' --cacert "$PKI/ca.pem" -H @"$B.2.hdr" \
  --data-binary @"$B.2.zst" "$NURL" || true)"
code=$(post_nginx "$B.2" --cert "$PKI/untrusted.pem" --key "$PKI/untrusted.key")
case $code in 401|000) ok "direct TLS, untrusted certificate -> $code" ;;
  *) die "direct TLS, untrusted certificate: $code" ;; esac
code=$(post_nginx "$B.2" --cert "$PKI/expired.pem" --key "$PKI/expired.key")
case $code in 401|000) ok "direct TLS, expired certificate -> $code" ;;
  *) die "direct TLS, expired certificate: $code" ;; esac
expect "direct TLS, TLS 1.1 refused" 000 "$(post_nginx "$B.2" --tls-max 1.1)"
expect "direct TLS, then a good batch" 200 "$(post_nginx "$B.2")"
ingest_stop tls
[ "$(cat "$T/tls"/out/*.ndjson | wc -l)" = 200 ] || die "direct TLS wrote the wrong count"

# ---- OCSF ---------------------------------------------------------------
cat > "$T/ocsf.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>IngestFormat</key><string>ocsf</string>
</dict></plist>
P
ingest_start ocsf --config "$T/ocsf.plist"
expect "OCSF batch" 200 "$(post_direct "$B.3")"
ingest_stop ocsf
$PY - "$T/ocsf/out" <<'EOF'
import glob, json, sys
lines = [json.loads(l) for f in glob.glob(sys.argv[1] + "/estel-*.ndjson")
         for l in open(f)]
assert len(lines) == 100
classes = {}
for l in lines:
    assert l["type_uid"] == l["class_uid"] * 100 + l["activity_id"], l
    assert l["metadata"]["product"]["name"] == "estel"
    assert l["device"]["uid"] == "host-0001"
    assert isinstance(l["time"], int)
    classes.setdefault(l["class_uid"], set()).add(l["activity_name"])
    if l["class_uid"] == 1001:
        assert l["file"]["name"] and "type_id" in l["file"], l
    if l["class_uid"] == 1007:
        assert l["process"]["pid"] and l["actor"]["process"]["pid"], l
assert set(classes) == {1001, 1007}, classes
print("ok - OCSF classes", {k: sorted(v) for k, v in classes.items()})
EOF
