#!/usr/bin/env bash
# deploy_profile.sh - `estel profile` end to end: the real binary, real
# OpenSSL-made PKCS#12 files, libplist's plistutil and Python's plistlib
# (a second, independent plist parser) read what it writes.
#
# Checks: profiles parse; every payload has PayloadIdentifier, PayloadUUID,
# PayloadType and PayloadVersion 1; UUIDs are unique, stable with
# --stable-uuids across runs and different without; the TCC payload targets
# the sysex with the code requirement; the system extension policy names
# the team, the bundle id and the type; the managed preferences round-trip
# through `estel config check`; bad parameters exit 2 with a clear message
# and leave no file; the password never shows up on stdout/stderr.
set -euo pipefail

: "${ESTEL_BIN:?ESTEL_BIN must point to the estel binary}"
command -v plistutil >/dev/null || { echo "SKIP: plistutil missing"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

T=$(mktemp -d /tmp/estel-deploy-profile.XXXXXX)
trap 'rm -rf "$T"' EXIT
TEAM=ABCDE12345
PASSWORD='pr0file-Secret!'
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

# py FILE CODE...: run Python with the profile loaded as `p`
py() {
    local file=$1
    shift
    python3 - "$file" "$@" <<'PY'
import plistlib, sys
p = plistlib.load(open(sys.argv[1], "rb"))
exec(sys.argv[2])
PY
}

# expect_refusal NAME FRAGMENT ARGS...: exit 2, message, no file
expect_refusal() {
    local name=$1 frag=$2 out="$T/refused-$1.mobileconfig" rc=0
    shift 2
    "$ESTEL_BIN" profile "$@" -o "$out" >"$T/stdout" 2>"$T/stderr" || rc=$?
    [ "$rc" = 2 ] || fail "$name: exit $rc, want 2 ($(cat "$T/stderr"))"
    grep -qF -- "$frag" "$T/stderr" ||
        fail "$name: stderr lacks \"$frag\": $(cat "$T/stderr")"
    [ ! -e "$out" ] || fail "$name: wrote $out"
    ls "$T" | grep -q '\.tmp\.' && fail "$name: left a temporary file"
    grep -qF -- "$PASSWORD" "$T/stdout" "$T/stderr" &&
        fail "$name: the password leaked"
    return 0
}

# --- a test identity ---------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/client.key" -out "$T/client.crt" -days 30 \
    -subj "/CN=host-1.example.com" 2>/dev/null
printf '%s\n' "$PASSWORD" >"$T/pw.txt"
openssl pkcs12 -export -inkey "$T/client.key" -in "$T/client.crt" \
    -name "estel client" -passout file:"$T/pw.txt" -out "$T/client.p12"
printf 'wrong-%s\n' "$PASSWORD" >"$T/wrong.txt"
printf 'garbage' >"$T/junk.p12"

cat >"$T/settings.plist" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>ServerURL</key>
    <string>https://ingest.example.com/v1/batches</string>
    <key>ClientCertificate</key>
    <string>/Library/Application Support/estel/client.pem</string>
    <key>ClientKey</key>
    <string>/Library/Application Support/estel/client.key</string>
    <key>EventTypes</key>
    <array><string>exec</string><string>fork</string><string>exit</string></array>
    <key>SpoolMaxBytes</key>
    <integer>536870912</integer>
</dict>
</plist>
EOF
cat >"$T/bad-settings.plist" <<'EOF'
<plist version="1.0"><dict>
<key>ServerURL</key><string>ftp://nowhere</string>
<key>SpoolMaxBites</key><integer>1</integer>
</dict></plist>
EOF

# --- a full profile ------------------------------------------------------------
full=(--team-id "$TEAM" --config "$T/settings.plist" --pkcs12 "$T/client.p12"
      --pkcs12-password-file "$T/pw.txt" --eslogger-mode --non-removable
      --organization "Example Corp" --identifier com.example.corp.estel)
"$ESTEL_BIN" profile "${full[@]}" -o "$T/full.mobileconfig" \
    >"$T/stdout" 2>"$T/stderr" || fail "full profile: $(cat "$T/stderr")"
grep -qF -- "$PASSWORD" "$T/stdout" "$T/stderr" && fail "password echoed"
plistutil -i "$T/full.mobileconfig" -o "$T/full.bin" ||
    fail "plistutil cannot read the profile"
mode=$(stat -c %a "$T/full.mobileconfig")
[ "$mode" = 600 ] || fail "profile with a PKCS#12 has mode $mode, want 600"

py "$T/full.mobileconfig" '
team, sysex = "'"$TEAM"'", "com.example.estel.es"
assert p["PayloadType"] == "Configuration" and p["PayloadVersion"] == 1
assert p["PayloadScope"] == "System"
assert p["PayloadIdentifier"] == "com.example.corp.estel"
assert p["PayloadOrganization"] == "Example Corp"
for k in ("PayloadUUID", "PayloadDisplayName", "PayloadDescription"):
    assert p[k], k
types = [q["PayloadType"] for q in p["PayloadContent"]]
assert types == ["com.apple.system-extension-policy",
                 "com.apple.TCC.configuration-profile-policy",
                 "com.apple.ManagedClient.preferences",
                 "com.apple.security.pkcs12",
                 "com.apple.servicemanagement"], types
ids, uuids = [], [p["PayloadUUID"]]
for q in p["PayloadContent"]:
    for k in ("PayloadIdentifier", "PayloadUUID", "PayloadType"):
        assert q.get(k), (q["PayloadType"], k)
    assert q["PayloadVersion"] == 1
    ids.append(q["PayloadIdentifier"]); uuids.append(q["PayloadUUID"])
assert len(set(ids)) == len(ids), ids
assert len(set(uuids)) == len(uuids), uuids
by = {q["PayloadType"]: q for q in p["PayloadContent"]}
sx = by["com.apple.system-extension-policy"]
assert sx["AllowedSystemExtensions"] == {team: [sysex]}
assert sx["AllowedSystemExtensionTypes"] == {team: ["EndpointSecurityExtension"]}
assert sx["NonRemovableSystemExtensions"] == {team: [sysex]}
assert sx["NonRemovableFromUISystemExtensions"] == {team: [sysex]}
assert "AllowedTeamIdentifiers" not in sx
fda = by["com.apple.TCC.configuration-profile-policy"]["Services"]["SystemPolicyAllFiles"]
e = fda[0]
assert e["Identifier"] == sysex and e["IdentifierType"] == "bundleID"
assert e["Allowed"] is True and "Authorization" not in e
assert e["CodeRequirement"] == ("identifier \"%s\" and anchor apple generic and "
    "certificate 1[field.1.2.840.113635.100.6.2.6] /* exists */ and "
    "certificate leaf[field.1.2.840.113635.100.6.1.13] /* exists */ and "
    "certificate leaf[subject.OU] = \"%s\"" % (sysex, team)), e["CodeRequirement"]
assert fda[1]["Identifier"] == "/usr/bin/eslogger" and fda[1]["IdentifierType"] == "path"
pk = by["com.apple.security.pkcs12"]
assert pk["PayloadContent"] == open(sys.argv[1].replace("full.mobileconfig", "client.p12"), "rb").read()
assert pk["Password"] == "'"$PASSWORD"'"
assert pk["AllowAllAppsAccess"] is True and pk["KeyIsExtractable"] is True
sm = by["com.apple.servicemanagement"]
assert sm["Rules"] == [{"RuleType": "Label", "RuleValue": "com.example.estel.eslogger",
                        "Comment": "estel eslogger fallback daemon"}], sm["Rules"]
prefs = by["com.apple.ManagedClient.preferences"]["PayloadContent"]
assert list(prefs) == ["com.estel.agent"]
settings = prefs["com.estel.agent"]["Forced"][0]["mcx_preference_settings"]
assert settings == plistlib.load(open(sys.argv[1].replace("full.mobileconfig", "settings.plist"), "rb"))
plistlib.dump(settings, open(sys.argv[1].replace("full.mobileconfig", "managed.plist"), "wb"))
' || fail "full profile content"

# what macOS will write to /Library/Managed Preferences passes config check,
# as managed preferences over an empty local file, and as a local file
printf '<plist version="1.0"><dict/></plist>\n' >"$T/empty.plist"
"$ESTEL_BIN" config check --config "$T/empty.plist" --managed "$T/managed.plist" \
    >"$T/check.out" 2>&1 ||
    fail "extracted managed preferences fail config check: $(cat "$T/check.out")"
grep -q "configuration OK" "$T/check.out" || fail "config check said: $(cat "$T/check.out")"
"$ESTEL_BIN" config check --config "$T/managed.plist" >"$T/check.out" 2>&1 ||
    fail "extracted settings fail config check --config: $(cat "$T/check.out")"

# --- stdout, stable and fresh UUIDs ------------------------------------------------
"$ESTEL_BIN" profile --team-id "$TEAM" --stable-uuids >"$T/s1.mobileconfig" ||
    fail "profile to stdout"
"$ESTEL_BIN" profile --team-id "$TEAM" --stable-uuids -o "$T/s2.mobileconfig" ||
    fail "profile -o"
cmp -s "$T/s1.mobileconfig" "$T/s2.mobileconfig" ||
    fail "--stable-uuids: two runs differ"
plistutil -i "$T/s1.mobileconfig" -o "$T/s1.bin" || fail "plistutil s1"
[ "$(stat -c %a "$T/s2.mobileconfig")" = 644 ] || fail "profile without secret not 0644"
"$ESTEL_BIN" profile --team-id "$TEAM" -o "$T/r1.mobileconfig" || fail "r1"
"$ESTEL_BIN" profile --team-id "$TEAM" -o "$T/r2.mobileconfig" || fail "r2"
python3 - "$T" <<'PY' || fail "UUID stability"
import plistlib, sys
def uuids(name):
    p = plistlib.load(open(sys.argv[1] + "/" + name, "rb"))
    return [p["PayloadUUID"]] + [q["PayloadUUID"] for q in p["PayloadContent"]]
s1, s2, r1, r2 = (uuids(n + ".mobileconfig") for n in ("s1", "s2", "r1", "r2"))
assert s1 == s2
assert all(u[14] == "5" for u in s1), s1
assert all(a != b for a, b in zip(r1, r2)), (r1, r2)
assert all(u[14] == "4" for u in r1 + r2)
assert len(set(r1)) == len(r1)
PY

# --- a custom requirement and ids -------------------------------------------------
req='identifier "org.acme.sensor.es" and anchor apple generic and certificate leaf[subject.OU] = "'$TEAM'"'
"$ESTEL_BIN" profile --team-id "$TEAM" --sysex-id org.acme.sensor.es \
    --app-id org.acme.sensor --code-requirement "designated => $req" \
    -o "$T/custom.mobileconfig" || fail "custom profile"
py "$T/custom.mobileconfig" '
e = [q for q in p["PayloadContent"] if q["PayloadType"].startswith("com.apple.TCC")][0]["Services"]["SystemPolicyAllFiles"][0]
assert e["Identifier"] == "org.acme.sensor.es"
assert e["CodeRequirement"] == sys.argv[3], e["CodeRequirement"]
assert p["PayloadIdentifier"] == "org.acme.sensor.profile"
' "$req" || fail "custom requirement content"

# --- refusals: exit 2, a clear message, no file -------------------------------
expect_refusal no-team "--team-id is required"
expect_refusal bad-team "not a team id" --team-id abcde12345
expect_refusal short-team "not a team id" --team-id ABCDE1234
expect_refusal bad-sysex "--sysex-id" --team-id "$TEAM" --sysex-id "no spaces"
expect_refusal foreign-req "does not name the sysex identifier" \
    --team-id "$TEAM" --code-requirement 'identifier "x.y" and anchor apple'
expect_refusal no-p12 "--pkcs12 $T/missing.p12: cannot open it" \
    --team-id "$TEAM" --pkcs12 "$T/missing.p12" --pkcs12-password-file "$T/pw.txt"
expect_refusal junk-p12 "not a PKCS#12" \
    --team-id "$TEAM" --pkcs12 "$T/junk.p12" --pkcs12-password-file "$T/pw.txt"
expect_refusal wrong-pw "does not open it" \
    --team-id "$TEAM" --pkcs12 "$T/client.p12" --pkcs12-password-file "$T/wrong.txt"
expect_refusal no-pw-file "--pkcs12-password-file" \
    --team-id "$TEAM" --pkcs12 "$T/client.p12"
expect_refusal bad-settings "SpoolMaxBites" \
    --team-id "$TEAM" --config "$T/bad-settings.plist"
expect_refusal missing-settings "--config $T/nope.plist: cannot open it" \
    --team-id "$TEAM" --config "$T/nope.plist"
expect_refusal stray-arg "unexpected argument" --team-id "$TEAM" extra
rc=0
"$ESTEL_BIN" profile --team-id "$TEAM" -o "$T/no/such/dir/p.mobileconfig" \
    2>"$T/stderr" || rc=$?
[ "$rc" = 2 ] || fail "-o into a missing directory: exit $rc, want 2"

# an existing profile survives a refused run untouched (atomic write)
cp "$T/s2.mobileconfig" "$T/keep.mobileconfig"
"$ESTEL_BIN" profile --team-id bad -o "$T/keep.mobileconfig" 2>/dev/null && fail "bad team accepted"
cmp -s "$T/s2.mobileconfig" "$T/keep.mobileconfig" || fail "refused run changed the old file"

if [ "$fails" -gt 0 ]; then
    echo "deploy_profile: $fails failure(s)" >&2
    exit 1
fi
echo "deploy_profile: OK"
