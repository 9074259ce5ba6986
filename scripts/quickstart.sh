#!/usr/bin/env bash
# Newcomer's first command: install dependencies, build, run the demo
# (synthetic events -> spool -> mTLS upload through nginx -> estel ingest
# -> NDJSON), then stop everything the demo started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh normal
exec scripts/demo.sh
