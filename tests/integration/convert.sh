#!/bin/bash
# convert.sh - `estel convert` end to end.
#   convert.sh handwritten   tests/data/eslogger lines, JSON and msgpack
#                            output, bad lines, usage errors, --config
#   convert.sh real          the real eslogger lines in $ESTEL_SHARED_DATA
#                            (exit 77 = skipped when they are absent)
# Output is checked with Debian's /usr/bin/python3 (json, msgpack): the
# python3 first on PATH may lack msgpack.
set -euo pipefail

: "${ESTEL_BIN:?ESTEL_BIN must name the estel binary}"
: "${ESTEL_SRC:?ESTEL_SRC must name the source tree}"
PY=/usr/bin/python3
DATA=$ESTEL_SRC/tests/data/eslogger
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect STATUS CMD...: run CMD, stdout to $tmp/out, stderr to $tmp/err
expect() {
    local want=$1 got=0
    shift
    "$@" >"$tmp/out" 2>"$tmp/err" || got=$?
    if [ "$got" != "$want" ]; then
        cat "$tmp/err" >&2
        fail "$* exited $got, want $want"
    fi
}

handwritten() {
    local lines=$tmp/lines.jsonl n
    # every good hand-written line, in a fixed order
    ls "$DATA"/*.json | LC_ALL=C sort | xargs cat >"$lines"
    n=$(wc -l <"$lines")

    expect 0 "$ESTEL_BIN" convert --input "$lines"
    grep -q "converted $n records, 0 bad lines" "$tmp/err" ||
        fail "summary: $(cat "$tmp/err")"
    cp "$tmp/out" "$tmp/json"
    expect 0 "$ESTEL_BIN" convert --input - --format msgpack <"$lines"
    cp "$tmp/out" "$tmp/msgpack"
    "$PY" - "$tmp/json" "$tmp/msgpack" "$n" <<'PYEOF' || fail "records"
import json, msgpack, sys
jpath, mpath, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = [json.loads(l) for l in open(jpath, encoding="utf-8")]
mp = list(msgpack.Unpacker(open(mpath, "rb"), raw=False, strict_map_key=False))
assert len(recs) == n == len(mp), (len(recs), n, len(mp))
for j, m in zip(recs, mp):
    for k in ("ev", "et", "ts", "cs"):
        assert j[k] == m[k], (k, j[k], m[k])
    # ids are msgpack bin; the JSON form shows their lower-case hex
    assert isinstance(m["id"], bytes) and len(m["id"]) == 16, m["id"]
    assert j["id"] == m["id"].hex(), (j["id"], m["id"])
    assert j["p"]["eid"] == m["p"]["eid"].hex()
assert [r["cs"] for r in recs] == list(range(1, n + 1))
by = {}
for r in recs:
    by.setdefault(r["ev"], []).append(r)
ex = by["exec"][0]
assert ex["e"]["args"][:3] == ["env", "-i", "A=1"], ex["e"]["args"]
assert "env" not in ex["e"], "CaptureEnvironment is off by default"
assert ex["p"]["cdh"] == "00112233445566778899aabbccddeeff00112233"
assert ex["ts"] == 1741597200000000123
assert by["future_thing"][0]["e"]["raw"].startswith('{"answer":42')
assert by["create"][0]["e"]["destination_type"] in (0, 1)
assert list(by["sudo"][0]["e"])[:3] == ["success", "plugin_name", "plugin_type"]
assert any(r["e"].get("file", {}).get("path") ==
           '/tmp/caf\u00e9 \U0001F600 "q" \\ \n\t.txt' for r in by["open"])
PYEOF

    # bad lines are reported with their number, the rest still converts
    { cat "$DATA/exit.json" "$DATA/bad/truncated.json" "$DATA/fork.json"; } \
        >"$tmp/mixed.jsonl"
    expect 1 "$ESTEL_BIN" convert --input "$tmp/mixed.jsonl"
    grep -q "line 2: invalid JSON" "$tmp/err" || fail "no line 2 message"
    grep -q "converted 2 records, 1 bad lines" "$tmp/err" ||
        fail "summary: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/out")" = 2 ] || fail "2 records expected"

    # a FIFO: the writer may come later, and SIGTERM ends the wait
    mkfifo "$tmp/fifo"
    "$ESTEL_BIN" run --input "$tmp/fifo" --spool "$tmp/spool-fifo" \
        >"$tmp/fifo.out" 2>&1 &
    pid=$!
    sleep 0.5
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"
        fail "SIGTERM did not stop estel waiting for a FIFO writer"
    fi
    wait "$pid" || fail "run on an idle FIFO: $(cat "$tmp/fifo.out")"
    "$ESTEL_BIN" convert --input "$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    sleep 0.3                       # the reader waits for its writer
    cat "$DATA/exit.json" "$DATA/fork.json" >"$tmp/fifo"
    wait "$pid" || fail "convert from a FIFO: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/out")" = 2 ] || fail "2 records from the FIFO expected"

    # usage errors
    expect 2 "$ESTEL_BIN" convert
    expect 2 "$ESTEL_BIN" convert --input "$lines" --format xml
    grep -q 'neither json nor msgpack' "$tmp/err" || fail "format message"
    expect 2 "$ESTEL_BIN" convert --input "$lines" extra
    expect 1 "$ESTEL_BIN" convert --input "$tmp/does-not-exist"
    grep -q "cannot open input" "$tmp/err" || fail "open message"
    expect 0 "$ESTEL_BIN" convert --help
    grep -q "usage: estel convert" "$tmp/out" || fail "help"

    # HostID and CaptureEnvironment from --config
    cat >"$tmp/estel.plist" <<'PLIST'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>HostID</key><string>host-under-test</string>
<key>CaptureEnvironment</key><true/>
</dict></plist>
PLIST
    expect 0 "$ESTEL_BIN" convert --config "$tmp/estel.plist" \
        --input "$DATA/exec.json"
    grep -q '"hid":"host-under-test"' "$tmp/out" || fail "HostID"
    grep -q '"env":\["PATH=/usr/bin:/bin"' "$tmp/out" || fail "env"
}

real() {
    local dir=${ESTEL_SHARED_DATA:-}
    if [ -z "$dir" ] || [ ! -f "$dir/exec_v9_macos15.json" ]; then
        echo "SKIP: no real eslogger lines (ESTEL_SHARED_DATA=$dir)"
        exit 77
    fi
    cat "$dir/exec_v9_macos15.json" "$dir/fork_v10_macos26.json" \
        "$dir/exit_v9_macos15.json" "$dir/exec_v11_macos27beta.json" \
        >"$tmp/real.jsonl"
    expect 0 "$ESTEL_BIN" convert --input - <"$tmp/real.jsonl"
    grep -q "converted 4 records, 0 bad lines" "$tmp/err" ||
        fail "summary: $(cat "$tmp/err")"
    "$PY" - "$tmp/out" <<'PYEOF' || fail "real records"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [x["ev"] for x in r] == ["exec", "fork", "exit", "exec"]
assert [x["mv"] for x in r] == [9, 10, 9, 11]
e9, fk, ex, e11 = r
assert e9["ts"] == 1754572895880814738 and e9["sq"] == 27 and e9["gsq"] == 75
assert e9["p"]["pid"] == 97391 and e9["p"]["pv"] == 149091
assert e9["p"]["cdh"] == "28cd2c759132b07d63c3a2b377ad440a6c66098e"
assert e9["p"]["sig"] == "nu-b9fb5b9dbba2e494" and "team" not in e9["p"]
assert e9["p"]["tty"]["path"] == "/dev/ttys003"
assert e9["p"]["start"] == 1754572895877422000
assert e9["p"]["rpid"] == 938 and e9["p"]["parpv"] == 87724
t = e9["e"]["target"]
assert t["pv"] == 149092 and t["exe"]["path"] == "/bin/connection-checker"
assert e9["e"]["args"] == ["/bin/connection-checker"]
assert "env" not in e9["e"]
assert e9["e"]["cwd"]["path"] == "/bin/mullvadvpn-app"
assert e9["e"]["last_fd"] == 9 and e9["e"]["image_cputype"] == 16777228
assert list(e9["e"]) == ["target", "args", "cwd", "dyld_exec_path",
                         "last_fd", "image_cputype", "image_cpusubtype"]
# macOS 26: audit tokens printed as arrays
assert fk["p"]["pid"] == 19745 and fk["p"]["pv"] == 35165
assert fk["e"]["child"]["pid"] == 21497 and fk["e"]["child"]["pv"] == 38282
assert fk["e"]["child"]["parpid"] == 19745 and fk["p"]["csv"] == 6
assert fk["e"]["child"]["team"] == "CKG9MXH72F"
assert ex["e"] == {"stat": 0} and ex["p"]["auid"] == 4294967295
assert e11["e"]["image_cpusubtype"] == -2147483646
assert e11["e"]["target"]["sig"] == "com.apple.localizationswitcherd"
assert "script" not in e11["e"] and e11["p"]["csv"] == 1
PYEOF
}

case ${1:-} in
handwritten) handwritten ;;
real) real ;;
*) echo "usage: convert.sh handwritten|real" >&2; exit 2 ;;
esac
echo "ok: convert $1"
