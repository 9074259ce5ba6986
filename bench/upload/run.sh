#!/bin/bash
# bench/upload/run.sh [BATCHES] - backlog flush over loopback: estel's
# uploader against curl posting the same frames, same nginx (mutual TLS, a
# 204 sink), same run.  Prints a markdown table on stdout.
#
#   estel   estel-upload send --drain: the real transport + spool reader
#           (reads each batch file, verifies header, frame and records
#           checksum, POSTs, deletes), UploadConcurrency 1 and 4
#   curl    one curl process, every frame as its own request with the same
#           headers (-K config with "next" between requests, so one
#           keep-alive connection / HTTP/2 session), -Z for the parallel row
# Both measured with /usr/bin/time (wall, user+sys) from process start to
# exit; HTTP/2 (ALPN) and HTTP/1.1 servers.  Needs nginx, curl, openssl.
# Knobs: BUILD (build dir with estel-upload), REPEAT (default 3; the best
# wall time of the repeats is reported), RECORDS/PAD (batch shape).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/integration/lib/pki.sh"
. "$root/tests/integration/lib/nginx.sh"
N=${1:-300}
REPEAT=${REPEAT:-3}
RECORDS=${RECORDS:-2000}
PAD=${PAD:-420}
BUILD=${BUILD:-$root/build}
UPLOAD=""
for c in tests/estel-upload estel-upload bench/upload/estel-upload; do
  [ -x "$BUILD/$c" ] && { UPLOAD=$BUILD/$c; break; }
done
[ -n "$UPLOAD" ] || { echo "run.sh: build estel-upload first (BUILD=$BUILD)" >&2; exit 2; }

T=$(mktemp -d /tmp/estel-bench-upload.XXXXXX)
trap 'nginx_stop "$T/ngx2"; nginx_stop "$T/ngx1"; [ "${KEEP:-0}" = 1 ] || rm -rf "$T"' EXIT
pki_make "$T/pki" host-0001 >/dev/null
port() { local p; for _ in $(seq 50); do p=$((20000 + RANDOM % 20000))
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p+1000))") 2>/dev/null &&
  { echo $p; return; }; done; exit 1; }
P2=$(port); NGINX_PKI=$T/pki NGINX_HTTP2=1 nginx_start "$T/ngx2" "$P2" sink
P1=$(port); NGINX_PKI=$T/pki NGINX_HTTP2=0 nginx_start "$T/ngx1" "$P1" sink

"$UPLOAD" fill --spool "$T/spool0" --batches "$N" --records "$RECORDS" --pad "$PAD" >/dev/null
mkdir -p "$T/frames"
"$UPLOAD" frames --spool "$T/spool0" --out "$T/frames"
bytes=$(cat "$T"/frames/*.zst | wc -c)
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}')

curl_cfg() { # port -> $T/curl.PORT.cfg
  local f=$T/curl.$1.cfg z
  : > "$f"
  for z in "$T"/frames/*.zst; do
    { echo "url = \"https://127.0.0.1:$1/v1/batches\""
      echo "cacert = \"$T/pki/ca.pem\""; echo "cert = \"$T/pki/client.pem\""
      echo "key = \"$T/pki/client.key\""; echo "data-binary = \"@$z\""
      echo "silent"; echo "fail"; echo "output = \"/dev/null\""
      while IFS= read -r h; do echo "header = \"$h\""; done < "${z%.zst}.hdr"
      echo "next"; } >> "$f"
  done
  sed -i '$ d' "$f"                 # no "next" after the last one
}
curl_cfg "$P2"; curl_cfg "$P1"

# measure LABEL CMD... -> appends "label wall cpu" to $T/results
measure() {
  local label=$1 best="" cpu="" w u s; shift
  for _ in $(seq "$REPEAT"); do
    [ "${label#estel}" != "$label" ] && { rm -rf "$T/spool"; cp -a "$T/spool0" "$T/spool"; }
    /usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >/dev/null 2>"$T/err" ||
      { cat "$T/err" >&2; echo "run.sh: $label failed" >&2; exit 1; }
    read -r w u s < "$T/time"
    if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN {exit !(a < b)}'; then
      best=$w; cpu=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
    fi
    if [ "${label#estel}" != "$label" ] && [ "$(ls "$T/spool/ready" | wc -l)" != 0 ]; then
      echo "run.sh: $label left batches behind" >&2; exit 1
    fi
  done
  echo "$label $best $cpu" >> "$T/results"
}
estel_cfg() { # port concurrency
  cat > "$T/e.$1.$2.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>ServerURL</key><string>https://127.0.0.1:$1/v1/batches</string>
<key>ClientCertificate</key><string>$T/pki/client.pem</string>
<key>ClientKey</key><string>$T/pki/client.key</string>
<key>ServerCA</key><string>$T/pki/ca.pem</string>
<key>UploadConcurrency</key><integer>$2</integer>
</dict></plist>
EOF
  echo "$T/e.$1.$2.plist"
}

: > "$T/results"
# the spool's read path alone (spool_read checks every batch: frame hash,
# full zstd decode, records XXH3): the part of estel's CPU that is not
# transport
vbest=""
for _ in $(seq "$REPEAT"); do
  rm -rf "$T/vout"; mkdir -p "$T/vout"
  /usr/bin/time -f "%e %U %S" -o "$T/time" "$UPLOAD" frames --spool "$T/spool0" --out "$T/vout"
  read -r w u s < "$T/time"
  c=$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')
  if [ -z "$vbest" ] || awk -v a="$c" -v b="$vbest" 'BEGIN {exit !(a < b)}'; then vbest=$c; fi
done
for proto in h2 h1; do
  p=$P2; [ $proto = h1 ] && p=$P1
  measure "curl/$proto/1" curl -K "$T/curl.$p.cfg"
  measure "estel/$proto/1" "$UPLOAD" send --spool "$T/spool" --config "$(estel_cfg $p 1)" --drain
  measure "curl/$proto/4" curl -Z --parallel-max 4 -K "$T/curl.$p.cfg"
  measure "estel/$proto/4" "$UPLOAD" send --spool "$T/spool" --config "$(estel_cfg $p 4)" --drain
done

echo "## Upload backlog flush over loopback ($(date -u +%Y-%m-%d), $(nproc) cores)"
echo
echo "$N batches, $mb MB of zstd frames (about $((bytes / N / 1024)) KiB each, $RECORDS records);"
echo "nginx $(nginx -v 2>&1 | sed 's/.*\///') mutual TLS, 204 sink; $(curl --version | head -1 | cut -d' ' -f1-2);"
echo "best of $REPEAT runs, wall and CPU (user+sys) from /usr/bin/time, process start to exit."
echo
echo "| client | HTTP | in flight | wall s | MB/s | batches/s | CPU s | CPU ms/MB | vs curl MB/s | vs curl CPU/MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
while read -r label wall cpu; do
  IFS=/ read -r who proto conc <<< "$label"
  read -r _ cwall ccpu < <(grep "^curl/$proto/$conc " "$T/results")
  awk -v who="$who" -v proto="$proto" -v conc="$conc" -v w="$wall" -v c="$cpu" \
      -v cw="$cwall" -v cc="$ccpu" -v mb="$mb" -v n="$N" 'BEGIN {
    printf "| %s | %s | %s | %.2f | %.0f | %.0f | %.2f | %.1f | %.0f %% | %.0f %% |\n",
      who, (proto == "h2" ? "2" : "1.1"), conc, w, mb / w, n / w, c, c * 1000 / mb,
      100 * (mb / w) / (mb / cw), (cc > 0 ? 100 * c / cc : 0) }'
done < "$T/results"
echo
echo "Of estel's CPU, reading the $N batches through spool_read alone (header, frame"
echo "hash, full zstd decode and records XXH3 for each, no network) takes $vbest s"
echo "($(awk -v c="$vbest" -v mb="$mb" 'BEGIN {printf "%.1f", c * 1000 / mb}') ms/MB): \`estel-upload frames\`, best of $REPEAT."
