#!/usr/bin/env bash
# ingest_hostile.sh MKBATCH - hostile requests against `estel ingest`,
# directly (as the trusted front) and through nginx with mutual TLS: each
# gets its status, nothing is written, the service keeps running and a
# normal batch succeeds right after.
#   wrong content type/encoding 415, bad zstd 400, truncated body 400,
#   zstd bombs (GiBs of zeros in a few KiB) 400/413 without the memory,
#   msgpack with absurd declared lengths 400, host id != certificate 403
#   (header, records, spoofed X-SSL-* through nginx), replay 409,
#   oversize body 413 (Content-Length and chunked), no identity 401.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ingest_env.sh" "$1"
CRAFT="$PY $here/lib/ingest_craft.py"

cat > "$T/ingest.plist" <<P
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>IngestMaxBodyBytes</key><integer>262144</integer>
<key>IngestMaxBatchBytes</key><integer>4194304</integer>
</dict></plist>
P
ingest_start ing --config "$T/ingest.plist"
B=$T/b
seq=1
fresh() {   # fresh NAME [mkbatch args]: a new valid batch
  local n=$1; shift
  mkbatch "$B.$n" --host host-0001 --boot boot-h --first "$seq" --count 50 \
    --seed "$seq" "$@"
  seq=$((seq + 50))
}
written=0
nothing_written() {
  local now; now=$(out_lines ing)
  [ "$now" = "$written" ] || die "$1: $((now - written)) lines written"
  kill -0 "$IPID" 2>/dev/null || die "$1: ingest died"
}
still_works() {
  fresh ok$seq
  expect "$1, then a normal batch" 200 "$(post_direct "$B.ok$((seq - 50))")"
  written=$((written + 50))
  nothing_written "$1 (count)"
}
case_direct() {  # case_direct NAME WANT PREFIX [curl args]
  local name=$1 want=$2 p=$3; shift 3
  expect "$name" "$want" "$(post_direct "$p" "$@")"
  nothing_written "$name"
}

fresh a
expect "normal batch" 200 "$(post_direct "$B.a")"
written=50
case_direct "replayed batch" 409 "$B.a"

# content type and encoding
$CRAFT header "$B.ct" "$B.a" Content-Type application/json
fresh ct0; $CRAFT header "$B.ct" "$B.ct0" Content-Type application/json
case_direct "wrong Content-Type" 415 "$B.ct"
$CRAFT header "$B.ce" "$B.ct0" Content-Encoding gzip
case_direct "wrong Content-Encoding" 415 "$B.ce"
$CRAFT header "$B.nc" "$B.ct0" Content-Type -
case_direct "no Content-Type" 415 "$B.nc"

# bodies that are not one good zstd frame
fresh z
$CRAFT garbage "$B.zg" "$B.z"
case_direct "random bytes as body" 400 "$B.zg"
$CRAFT truncate "$B.zt" "$B.z" "$(( $(stat -c %s "$B.z.zst") / 2 ))"
case_direct "truncated body" 400 "$B.zt"
$CRAFT truncate "$B.zt2" "$B.z" 3
case_direct "3-byte body" 400 "$B.zt2"
cat "$B.z.zst" "$B.z.zst" > "$B.zd.zst"; cp "$B.z.hdr" "$B.zd.hdr"
case_direct "two frames" 400 "$B.zd"
$CRAFT header "$B.zc" "$B.z" X-Estel-Checksum 0123456789abcdef
case_direct "wrong X-Estel-Checksum" 400 "$B.zc"
$CRAFT header "$B.zr" "$B.z" X-Estel-Records 49
case_direct "wrong X-Estel-Records" 400 "$B.zr"
$CRAFT header "$B.zl" "$B.z" X-Estel-Last-Seq 9999
case_direct "wrong X-Estel-Last-Seq" 400 "$B.zl"
$CRAFT header "$B.zk" "$B.z" Idempotency-Key host-0001-boot-h-7
case_direct "Idempotency-Key not host-boot-first" 400 "$B.zk"
$CRAFT header "$B.zs" "$B.z" X-Estel-Schema 3
case_direct "X-Estel-Schema 3" 400 "$B.zs"
still_works "bad bodies"

# decompression bombs: 2 GiB of zeros in a few KiB
$CRAFT bomb "$B.bomb" "$B.z.hdr" 2
$CRAFT bomb-sized "$B.bombs" "$B.z.hdr" 2
echo "# bombs: $(stat -c %s "$B.bomb.zst") and $(stat -c %s "$B.bombs.zst") bytes"
case_direct "zstd bomb (no content size)" 400 "$B.bomb"
case_direct "zstd bomb (content size 2 GiB)" 400 "$B.bombs"
$CRAFT header "$B.bombh" "$B.bombs" X-Estel-Raw-Bytes 2147483648
case_direct "zstd bomb claiming 2 GiB" 413 "$B.bombh"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$IPID/status")
[ "$hwm" -lt 262144 ] || die "ingest peaked at $hwm KiB during the bombs"
ok "ingest peak memory $hwm KiB after the bombs"

# msgpack that declares far more than it holds
for k in array32 map32 str32 bin32 ext32 nested deep; do
  $CRAFT absurd "$B.m$k" "$B.z.hdr" "$k"
  case_direct "msgpack $k with an absurd length" 400 "$B.m$k"
done
still_works "absurd msgpack"

# identity
fresh h
$CRAFT header "$B.h2" "$B.h" X-Estel-Host host-0002
$CRAFT header "$B.h2" "$B.h2" Idempotency-Key "host-0002-boot-h-$((seq - 50))"
case_direct "X-Estel-Host is not the certificate's CN" 403 "$B.h2"
$CRAFT hostid "$B.h3" "$B.h.raw" "$B.h.hdr" host-0002
case_direct "records' hid is not the certificate's CN" 403 "$B.h3"
expect "no client identity" 401 "$(curl -s -o "$T/last.body" -w '%{http_code}' \
  -H @"$B.h.hdr" --data-binary @"$B.h.zst" "$IURL")"
expect "X-SSL-Client-Verify: FAILED" 401 "$(curl -s -o "$T/last.body" \
  -w '%{http_code}' -H @"$B.h.hdr" -H 'X-SSL-Client-Verify: FAILED' \
  -H 'X-SSL-Client-S-DN: CN=host-0001' --data-binary @"$B.h.zst" "$IURL")"
nothing_written "identity"

# size limits (IngestMaxBodyBytes 256 KiB here)
head -c 300000 /dev/urandom > "$B.big.zst"; cp "$B.h.hdr" "$B.big.hdr"
case_direct "oversize body (Content-Length)" 413 "$B.big"
case_direct "oversize body (chunked)" 413 "$B.big" -H 'Transfer-Encoding: chunked'
expect "wrong path" 404 "$(curl -s -o "$T/last.body" -w '%{http_code}' \
  -X POST "http://$IADDR/v2/other")"
expect "GET" 405 "$(curl -s -o "$T/last.body" -w '%{http_code}' "$IURL")"
still_works "size limits"
expect "the held-back batch" 200 "$(post_direct "$B.h")"
written=$((written + 50))

# ---- the same through nginx, mutual TLS --------------------------------
port=$(free_port)
ingest_nginx_start ngx "$port" "$IADDR"
fresh n
expect "nginx: normal batch" 200 "$(post_nginx "$B.n")"
written=$((written + 50))
expect "nginx: replay" 409 "$(post_nginx "$B.n")"
fresh n2
$CRAFT header "$B.n2ct" "$B.n2" Content-Type text/plain
expect "nginx: wrong Content-Type" 415 "$(post_nginx "$B.n2ct")"
$CRAFT garbage "$B.n2g" "$B.n2"
expect "nginx: bad zstd" 400 "$(post_nginx "$B.n2g")"
expect "nginx: zstd bomb" 400 "$(post_nginx "$B.bomb")"
expect "nginx: absurd msgpack" 400 "$(post_nginx "$B.mmap32")"
expect "nginx: oversize body" 413 "$(post_nginx "$B.big")"
$CRAFT header "$B.n2h" "$B.n2" X-Estel-Host host-0002
$CRAFT header "$B.n2h" "$B.n2h" Idempotency-Key "host-0002-boot-h-$((seq - 50))"
expect "nginx: host id != certificate" 403 "$(post_nginx "$B.n2h")"
# a host-0001 batch with host-0002's certificate
expect "nginx: another host's certificate" 403 "$(post_nginx "$B.n2" \
  --cert "$PKI/client2.pem" --key "$PKI/client2.key")"
# a client cannot claim an identity with headers: nginx replaces them
expect "nginx: spoofed X-SSL-Client-S-DN" 403 "$(post_nginx "$B.n2h" \
  -H 'X-SSL-Client-S-DN: CN=host-0002' -H 'X-SSL-Client-Verify: SUCCESS')"
expect "nginx: no client certificate" 400 "$(curl -s -o "$T/last.body" \
  -w '%{http_code}' --cacert "$PKI/ca.pem" -H @"$B.n2.hdr" \
  --data-binary @"$B.n2.zst" "$NURL" || true)"
expect "nginx: untrusted client certificate" 400 "$(post_nginx "$B.n2" \
  --cert "$PKI/untrusted.pem" --key "$PKI/untrusted.key")"
expect "nginx: expired client certificate" 400 "$(post_nginx "$B.n2" \
  --cert "$PKI/expired.pem" --key "$PKI/expired.key")"
nothing_written "nginx hostile cases"
expect "nginx: the held-back batch" 200 "$(post_nginx "$B.n2")"
written=$((written + 50))
nothing_written "nginx (count)"

# every line is JSON and every record arrived once
cat "$T/ing"/out/estel-*.ndjson* | $PY -c '
import json, sys
ids = [json.loads(l)["event"]["id"] for l in sys.stdin]
assert len(ids) == len(set(ids)), "duplicate event ids"
print("ok - %d lines, all JSON, no duplicate event.id" % len(ids))'
ingest_stop ing
ok "ingest stopped cleanly"
