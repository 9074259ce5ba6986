#!/bin/bash
# agent_cmd.sh MODE -- estel as the shared peer harness runs a shipper
# (peer_cmd.sh CORPUS -- bench/compare/agent_cmd.sh MODE).  peer_cmd.sh
# exports PB_CORPUS, PB_EVENTS, PB_URL, PB_CA, PB_CERT, PB_KEY and PB_STATE
# (an empty directory); this writes a configuration plist for that PKI
# (HostID = the client certificate's CN, host-0001) into PB_STATE and execs
# the agent, which exits once every batch is acknowledged:
#
#   eslogger  estel run --source eslogger --input $PB_CORPUS --drain
#             ($ESTEL_CMP_INPUT instead of the corpus when set: a FIFO fed
#             by a pacer, for the rate curve)
#   es        estel-es-pipeline: the same events as es_message_t's through
#             the ES handler and the same pipeline ($ESTEL_CMP_ES_EVENTS is
#             corpus_to_es.py's table)
#   drain     estel run --input /dev/null --drain on the spool in
#             $ESTEL_CMP_SPOOL: upload a backlog and exit
#
# Environment: ESTEL_BIN, ESTEL_ES_PIPELINE (binaries), ESTEL_CMP_TAG and
# ESTEL_CMP_RESULT (es: the driver's own RESULT line, tagged, appended to
# that file: its CPU from the first message on), ESTEL_CMP_KEYS
# ("Key=Value ..." added to the plist, e.g. "BatchMaxBytes=262144
# CompressionLevel=1"; digits become <integer>).
set -euo pipefail
mode=${1:?usage: agent_cmd.sh eslogger|es|drain}
: "${PB_STATE:?run me through peer_cmd.sh}"
cfg=$PB_STATE/estel.plist
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">'
  echo '<plist version="1.0"><dict>'
  echo "<key>ClientCertificate</key><string>$PB_CERT</string>"
  echo "<key>ClientKey</key><string>$PB_KEY</string>"
  echo "<key>ServerCA</key><string>$PB_CA</string>"
  echo "<key>HostID</key><string>host-0001</string>"
  echo "<key>StatusIntervalSeconds</key><integer>0</integer>"
  for kv in ${ESTEL_CMP_KEYS:-}; do
    k=${kv%%=*}; v=${kv#*=}
    if [[ $v =~ ^[0-9]+$ ]]; then echo "<key>$k</key><integer>$v</integer>"
    else echo "<key>$k</key><string>$v</string>"; fi
  done
  echo '</dict></plist>'
} > "$cfg"
case $mode in
  eslogger)
    exec "$ESTEL_BIN" run --config "$cfg" --source eslogger \
      --input "${ESTEL_CMP_INPUT:-$PB_CORPUS}" --spool "$PB_STATE/spool" \
      --server "$PB_URL" --drain ;;
  es)
    exec "$ESTEL_ES_PIPELINE" --config "$cfg" --events "$ESTEL_CMP_ES_EVENTS" \
      --count "$PB_EVENTS" --spool "$PB_STATE/spool" --server "$PB_URL" \
      --tag "${ESTEL_CMP_TAG:-es}" ${ESTEL_CMP_RESULT:+--result "$ESTEL_CMP_RESULT"} ;;
  drain)
    exec "$ESTEL_BIN" run --config "$cfg" --source eslogger --input /dev/null \
      --spool "$ESTEL_CMP_SPOOL" --server "$PB_URL" --drain ;;
  *) echo "agent_cmd.sh: unknown mode $mode" >&2; exit 2 ;;
esac
