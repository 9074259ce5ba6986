#!/bin/bash
# estel-eslogger.sh - the eslogger fallback mode for Macs without the
# Endpoint Security entitlement: launchd runs this script as root
# (eslogger.plist), and it becomes
#
#     /usr/bin/eslogger EVENTS... | estel run --source eslogger --input -
#
# Design notes:
# - eslogger is exec'ed, so it *is* the launchd job's process and its own
#   "responsible process" for TCC: the profile (estel profile
#   --eslogger-mode) grants Full Disk Access to /usr/bin/eslogger and not to
#   a shell.  estel reads its stdout through a process substitution.
# - Restart handling is launchd's (KeepAlive, ThrottleInterval 30): when
#   estel exits, eslogger dies of SIGPIPE; when eslogger exits (no FDA yet,
#   killed), estel reads EOF, seals its batch and exits; launchd starts the
#   pair again.  eslogger drops events of its own process group, which
#   includes estel, so estel's spool writes do not feed back.
# - Events: ESTEL_ESLOGGER_EVENTS, else EventTypes of the effective
#   configuration (`estel config show`, managed preferences included), else
#   exec fork exit; names this macOS's eslogger does not know are skipped,
#   because eslogger refuses the whole command for one unknown name.
# - eslogger's JSON is not an API (Apple may change it in any release) and
#   this mode has none of a system extension's protections; see
#   docs/deployment.md.
set -u
set -f                          # event names are words, never globs

ESTEL_BIN=${ESTEL_BIN:-/Applications/Estel.app/Contents/Helpers/estel}
ESLOGGER=${ESLOGGER:-/usr/bin/eslogger}
DEFAULT_EVENTS="exec fork exit"
# seconds to idle before exiting on a problem only an admin can fix, so
# launchd's restarts do not flood the log
IDLE_ON_FATAL=${ESTEL_IDLE_ON_FATAL:-600}

log() {
    echo "estel-eslogger: $*" >&2
    logger -t estel-eslogger -- "$*" 2>/dev/null || true
}

fatal() {
    log "$*"
    sleep "$IDLE_ON_FATAL"
    exit 78                     # EX_CONFIG
}

configured_events() {
    if [ -n "${ESTEL_ESLOGGER_EVENTS:-}" ]; then
        echo "$ESTEL_ESLOGGER_EVENTS"
        return
    fi
    # "EventTypes = exec, fork, exit  (managed)" -> "exec fork exit"
    "$ESTEL_BIN" config show 2>/dev/null |
        sed -n 's/^EventTypes[[:space:]]*=[[:space:]]*//p' |
        sed 's/[[:space:]]*(.*)[[:space:]]*$//; s/[][",]/ /g'
}

[ "$(id -u)" = 0 ] || fatal "must run as root (launchd daemon)"
[ -x "$ESLOGGER" ] || fatal "$ESLOGGER not found: the fallback mode needs macOS 13 or later"
[ -x "$ESTEL_BIN" ] || fatal "$ESTEL_BIN not found: reinstall the estel pkg"

supported=$("$ESLOGGER" --list-events 2>/dev/null) ||
    fatal "$ESLOGGER --list-events failed"
events=()
for e in $(configured_events); do
    if printf '%s\n' "$supported" | grep -qx -- "$e"; then
        events+=("$e")
    else
        log "skipping event type $e: this macOS's eslogger does not know it"
    fi
done
if [ ${#events[@]} -eq 0 ]; then
    log "no usable EventTypes; using $DEFAULT_EVENTS"
    read -r -a events <<<"$DEFAULT_EVENTS"
fi
log "starting: $ESLOGGER ${events[*]} | estel run --source eslogger"

exec "$ESLOGGER" "${events[@]}" \
    > >(exec "$ESTEL_BIN" run --source eslogger --input -)
