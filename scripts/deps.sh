#!/usr/bin/env bash
# Install the Debian 12 / Ubuntu packages estel needs to build, test and run
# its demo.  Installs only what is missing; uses sudo when not root.  Never
# enables or starts the system services of nginx, tinyproxy or syslog-ng:
# tests start their own instances on loopback.
set -euo pipefail

PKGS=(
  build-essential clang cmake ninja-build pkg-config git
  libcurl4-openssl-dev libssl-dev libzstd-dev libmsgpack-dev libplist-dev
  libplist-utils libcmocka-dev libjsmn-dev libxxhash-dev libmicrohttpd-dev
  libgnutls28-dev libblocksruntime-dev libclang-rt-14-dev libsimdjson-dev
  libjansson-dev libyajl-dev libjson-c-dev
  nginx-light tinyproxy openssl curl zstd strace iproute2 procps time
  python3 python3-msgpack python3-zstandard gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "estel: installing ${missing[*]}" >&2
# Keep package services from starting while they install (tests run their
# own); policy-rc.d is the Debian way to say so.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
