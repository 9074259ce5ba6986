#!/usr/bin/env bash
# deploy_macos.sh - the macOS packaging, checked on Linux:
#  1. the Info.plist, entitlements and launchd files CMake generated from
#     deploy/macos/*.in are valid plists with the required keys, and their
#     ids agree with the CMake cache and with `estel profile`;
#  2. the templates take every id from a variable (configured again here
#     with other ids, nothing of the defaults may remain);
#  3. build-pkg.sh --dry-run prints the exact codesign, pkgbuild,
#     productbuild, notarytool and stapler commands with the given team and
#     identities, executes nothing, and refuses bad parameters;
#  4. the eslogger wrapper picks its events and execs eslogger into estel;
#  5. the generated systemd unit passes systemd-analyze verify.
set -euo pipefail

: "${ESTEL_BIN:?}" "${ESTEL_SRC:?}" "${ESTEL_BUILD:?}"
command -v plistutil >/dev/null || { echo "SKIP: plistutil missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

GEN="$ESTEL_BUILD/deploy/generated"
MAC="$ESTEL_SRC/deploy/macos"
T=$(mktemp -d /tmp/estel-deploy-macos.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}

cache() {
    sed -n "s/^$1:[A-Z]*=//p" "$ESTEL_BUILD/CMakeCache.txt"
}
TEAM=$(cache ESTEL_TEAM_ID)
APP_ID=$(cache ESTEL_APP_BUNDLE_ID)
SYSEX_ID=$(cache ESTEL_SYSEX_BUNDLE_ID)
APP_NAME=$(cache ESTEL_APP_NAME)
[ -n "$TEAM" ] && [ -n "$APP_ID" ] && [ -n "$SYSEX_ID" ] ||
    { echo "FAIL: ESTEL_* cache variables missing in $ESTEL_BUILD"; exit 1; }

# check_bundle DIR TEAM APP_ID SYSEX_ID APP_NAME PROFILE
check_bundle() {
    local dir=$1 f
    for f in app/Info.plist app/app.entitlements sysex/Info.plist \
             sysex/sysex.entitlements eslogger-mode/eslogger.plist; do
        plistutil -i "$dir/$f" -o "$T/plist.bin" 2>"$T/err" ||
            fail "$dir/$f: plistutil: $(cat "$T/err")"
    done
    python3 - "$@" <<'PY' || fail "bundle files in $1"
import plistlib, sys
d, team, app_id, sysex_id, name, profile = sys.argv[1:7]
L = lambda f: plistlib.load(open(d + "/" + f, "rb"))
app, sx = L("app/Info.plist"), L("sysex/Info.plist")
ae, se = L("app/app.entitlements"), L("sysex/sysex.entitlements")
daemon = L("eslogger-mode/eslogger.plist")
assert app["CFBundleIdentifier"] == app_id, app["CFBundleIdentifier"]
assert app["CFBundlePackageType"] == "APPL"
assert app["CFBundleExecutable"] == name
assert app["NSSystemExtensionUsageDescription"]
assert sx["CFBundleIdentifier"] == sysex_id
assert sx["CFBundleExecutable"] == sysex_id
assert sx["CFBundlePackageType"] == "SYSX"
assert sx["CFBundleInfoDictionaryVersion"] == "6.0"
assert sx["NSSystemExtensionUsageDescription"]
assert sx["NSEndpointSecurityRebootRequired"] is False
assert isinstance(sx["NSEndpointSecurityEarlyBoot"], bool)
assert sx["NSEndpointSecurityMachServiceName"] == "%s.%s.xpc" % (team, sysex_id)
for k in ("CFBundleVersion", "CFBundleShortVersionString"):
    assert sx[k] and sx[k] == app[k], k
    assert all(x.isdigit() for x in sx[k].split(".")), sx[k]
assert ae["com.apple.developer.system-extension.install"] is True
assert ae["com.apple.application-identifier"] == team + "." + app_id
assert ae["com.apple.developer.team-identifier"] == team
assert se["com.apple.developer.endpoint-security.client"] is True
assert se["com.apple.application-identifier"] == team + "." + sysex_id
assert se["com.apple.developer.team-identifier"] == team
assert daemon["Label"] == app_id + ".eslogger"
assert daemon["ProgramArguments"][1] == "/Applications/%s.app/Contents/Resources/eslogger-mode/estel-eslogger.sh" % name
assert daemon["AssociatedBundleIdentifiers"] == [app_id]
assert daemon["KeepAlive"] is True and daemon["RunAtLoad"] is True
# the profile made for the same ids names the same bundle and team
p = plistlib.load(open(profile, "rb"))
by = {q["PayloadType"]: q for q in p["PayloadContent"]}
sxp = by["com.apple.system-extension-policy"]
assert sxp["AllowedSystemExtensions"] == {team: [sysex_id]}
tcc = by["com.apple.TCC.configuration-profile-policy"]["Services"]["SystemPolicyAllFiles"][0]
assert tcc["Identifier"] == sysex_id
assert ('leaf[subject.OU] = "%s"' % team) in tcc["CodeRequirement"]
assert by["com.apple.servicemanagement"]["Rules"][0]["RuleValue"] == daemon["Label"]
PY
    for f in postinstall preinstall; do
        [ -x "$dir/scripts/$f" ] || fail "$dir/scripts/$f is not executable"
        sh -n "$dir/scripts/$f" || fail "$dir/scripts/$f: syntax"
        grep -q "LABEL=\"$3.eslogger\"" "$dir/scripts/$f" ||
            fail "$dir/scripts/$f: label is not $3.eslogger"
        grep -q '@[A-Z_]*@' "$dir/scripts/$f" && fail "$dir/scripts/$f: unsubstituted @VAR@"
    done
    return 0
}

# --- 1. the files of this build ----------------------------------------------
"$ESTEL_BIN" profile --team-id "$TEAM" --app-id "$APP_ID" --sysex-id "$SYSEX_ID" \
    --eslogger-mode -o "$T/profile.mobileconfig" || fail "estel profile"
check_bundle "$GEN/macos" "$TEAM" "$APP_ID" "$SYSEX_ID" "$APP_NAME" \
    "$T/profile.mobileconfig"
# and the build's defaults are the profile generator's defaults
"$ESTEL_BIN" profile --team-id "$TEAM" --eslogger-mode -o "$T/default.mobileconfig"
check_bundle "$GEN/macos" "$TEAM" "$APP_ID" "$SYSEX_ID" "$APP_NAME" \
    "$T/default.mobileconfig"

# --- 2. the templates with other ids ----------------------------------------
cat >"$T/configure.cmake" <<EOF
set(PROJECT_VERSION 7.8.9)
set(ESTEL_TEAM_ID ZYXWV98765)
set(ESTEL_APP_BUNDLE_ID org.acme.sensor)
set(ESTEL_SYSEX_BUNDLE_ID org.acme.sensor.endpoint)
set(ESTEL_APP_NAME "Acme Sensor")
set(ESTEL_SHORT_VERSION 7.8.9)
set(ESTEL_BUNDLE_VERSION 7.8.9)
set(ESTEL_MACOS_MIN 14.0)
set(ESTEL_INSTALL_MODE eslogger)
set(ESTEL_ES_EARLY_BOOT_PLIST "<true/>")
set(ESTEL_ESLOGGER_LABEL org.acme.sensor.eslogger)
foreach(t app/Info.plist app/app.entitlements sysex/Info.plist
          sysex/sysex.entitlements eslogger-mode/eslogger.plist
          scripts/postinstall scripts/preinstall)
  configure_file($MAC/\${t}.in $T/acme/\${t} @ONLY)
endforeach()
EOF
cmake -P "$T/configure.cmake" || fail "configure_file of the templates"
"$ESTEL_BIN" profile --team-id ZYXWV98765 --app-id org.acme.sensor \
    --sysex-id org.acme.sensor.endpoint --eslogger-mode -o "$T/acme.mobileconfig"
check_bundle "$T/acme" ZYXWV98765 org.acme.sensor org.acme.sensor.endpoint \
    "Acme Sensor" "$T/acme.mobileconfig"
if grep -rn "com\.example\|$TEAM\|Estel\.app" "$T/acme"; then
    fail "a template hard-codes a default id (above)"
fi
grep -q 'MODE="eslogger"' "$T/acme/scripts/postinstall" || fail "install mode not templated"

# --- 3. build-pkg.sh --dry-run ------------------------------------------------
mkdir -p "$T/fakebin"
for tool in codesign pkgbuild productbuild xcrun plutil ditto pkgutil spctl cmake; do
    printf '#!/bin/sh\ntouch "%s/ran-%s"\n' "$T" "$tool" >"$T/fakebin/$tool"
    chmod +x "$T/fakebin/$tool"
done
APPID_SIGN="Developer ID Application: Example Corp (ABCDE12345)"
INST_SIGN="Developer ID Installer: Example Corp (ABCDE12345)"
base_args=(--team-id ABCDE12345 --app-id com.example.estel --sysex-id com.example.estel.es
           --app-identity "$APPID_SIGN" --installer-identity "$INST_SIGN"
           --app-profile "$T/app.provisionprofile" --sysex-profile "$T/sysex.provisionprofile"
           --version 1.2.3 --build-dir "$T/pkgbuild" --out-dir "$T/dist")
pkg_args=("${base_args[@]}" --notary-profile estel-notary)
unset ESTEL_NOTARY_PROFILE ESTEL_TEAM_ID ESTEL_CODESIGN_IDENTITY
PATH="$T/fakebin:$PATH" bash "$MAC/build-pkg.sh" "${pkg_args[@]}" --dry-run \
    >"$T/dry.out" 2>"$T/dry.err" || fail "dry run: $(cat "$T/dry.err")"
ls "$T"/ran-* 2>/dev/null && fail "dry run executed a tool"
[ ! -e "$T/pkgbuild" ] && [ ! -e "$T/dist" ] || fail "dry run created directories"
python3 - "$T/dry.out" "$APPID_SIGN" "$INST_SIGN" "$T" <<'PY' || fail "dry-run commands"
import shlex, sys
out, app_sign, inst_sign, t = sys.argv[1:5]
cmds = [shlex.split(l) for l in open(out) if l.strip() and not l.startswith("#")]
def find(*prefix):
    r = [c for c in cmds if c[:len(prefix)] == list(prefix)]
    assert r, "no command starts with %s" % (prefix,)
    return r
app = t + "/pkgbuild/deploy/macos/Estel.app"
sysex = app + "/Contents/Library/SystemExtensions/com.example.estel.es.systemextension"
cfg = find("cmake", "-S")[0]
for d in ("-DESTEL_TEAM_ID=ABCDE12345", "-DESTEL_APP_BUNDLE_ID=com.example.estel",
          "-DESTEL_SYSEX_BUNDLE_ID=com.example.estel.es", "-DESTEL_BUNDLE_VERSION=1.2.3",
          "-DESTEL_SHORT_VERSION=1.2.3"):
    assert d in cfg, (d, cfg)
signs = find("codesign", "--force")
for c in signs:
    assert c[c.index("--sign") + 1] == app_sign, c
    assert "--timestamp" in c and c[c.index("--options") + 1] == "runtime", c
# inside-out: CLI, sysex (with its entitlements), then the app
assert signs[0][-1] == app + "/Contents/Helpers/estel"
assert signs[1][-1] == sysex and signs[1][signs[1].index("--entitlements") + 1].endswith("sysex/sysex.entitlements")
assert signs[2][-1] == app and signs[2][signs[2].index("--entitlements") + 1].endswith("app/app.entitlements")
assert cmds.index(signs[1]) < cmds.index(signs[2])
assert find("cp", t + "/sysex.provisionprofile")[0][-1] == sysex + "/Contents/embedded.provisionprofile"
find("codesign", "--verify")
pb = find("pkgbuild", "--root")[0]
assert pb[pb.index("--install-location") + 1] == "/Applications"
assert pb[pb.index("--identifier") + 1] == "com.example.estel.pkg"
assert pb[pb.index("--version") + 1] == "1.2.3"
assert "--component-plist" in pb and "--scripts" in pb
find("plutil", "-replace", "0.BundleIsRelocatable", "-bool", "NO")
prod = find("productbuild")[0]
assert prod[prod.index("--sign") + 1] == inst_sign and "--timestamp" in prod
assert prod[-1] == t + "/dist/Estel-1.2.3.pkg"
nt = find("xcrun", "notarytool", "submit")[0]
assert nt[3] == prod[-1] and nt[nt.index("--keychain-profile") + 1] == "estel-notary" and "--wait" in nt
assert find("xcrun", "stapler", "staple")[0][-1] == prod[-1]
order = [cmds.index(find(*p)[0]) for p in (("codesign", "--force"), ("pkgbuild", "--root"),
         ("productbuild",), ("xcrun", "notarytool"), ("xcrun", "stapler", "staple"))]
assert order == sorted(order), order
PY
# refusals: exit 2 and a message, still nothing run
expect_pkg_refusal() {
    local frag=$1 rc=0
    shift
    PATH="$T/fakebin:$PATH" bash "$MAC/build-pkg.sh" "$@" >"$T/out" 2>"$T/err" || rc=$?
    [ "$rc" = 2 ] || fail "build-pkg.sh $*: exit $rc, want 2"
    grep -qF -- "$frag" "$T/err" || fail "build-pkg.sh: stderr lacks \"$frag\": $(cat "$T/err")"
}
expect_pkg_refusal "--team-id is required" --dry-run
expect_pkg_refusal "10 upper-case" "${pkg_args[@]}" --team-id abc --dry-run
expect_pkg_refusal "belongs to team ABCDE12345" "${pkg_args[@]}" --team-id ZZZZZ99999 --dry-run
expect_pkg_refusal "--notary-profile is required" "${base_args[@]}" --dry-run
expect_pkg_refusal "needs macOS" "${pkg_args[@]}"
ls "$T"/ran-* 2>/dev/null && fail "a refused run executed a tool"
PATH="$T/fakebin:$PATH" bash "$MAC/build-pkg.sh" "${pkg_args[@]}" --skip-notarize \
    --dry-run >"$T/skip.out" || fail "--skip-notarize dry run"
grep -q notarytool "$T/skip.out" && fail "--skip-notarize still notarizes"

# --- 4. the eslogger wrapper ------------------------------------------------------
cat >"$T/fakebin/eslogger" <<EOF
#!/bin/bash
if [ "\${1:-}" = --list-events ]; then printf 'exec\nfork\nexit\nopen\n'; exit 0; fi
echo "\$*" >"$T/eslogger.args"
echo '{"line":1}'
echo '{"line":2}'
EOF
cat >"$T/fakebin/estel" <<EOF
#!/bin/bash
if [ "\$1" = config ]; then
    echo "EventTypes              = exec, fork, bogus_event, exit  (managed)"
    exit 0
fi
echo "\$*" >"$T/estel.args"
cat >"$T/estel.stdin"
touch "$T/estel.done"
EOF
chmod +x "$T/fakebin/eslogger" "$T/fakebin/estel"
if [ "$(id -u)" = 0 ]; then
    ESLOGGER="$T/fakebin/eslogger" ESTEL_BIN="$T/fakebin/estel" \
        bash "$MAC/eslogger-mode/estel-eslogger.sh" 2>"$T/wrapper.err" ||
        fail "wrapper: $(cat "$T/wrapper.err")"
    for _ in $(seq 50); do [ -e "$T/estel.done" ] && break; sleep 0.1; done
    [ "$(cat "$T/eslogger.args" 2>/dev/null)" = "exec fork exit" ] ||
        fail "wrapper ran eslogger with: $(cat "$T/eslogger.args" 2>/dev/null)"
    grep -q "skipping event type bogus_event" "$T/wrapper.err" ||
        fail "wrapper did not report the unknown event"
    [ "$(cat "$T/estel.args" 2>/dev/null)" = "run --source eslogger --input -" ] ||
        fail "wrapper ran estel with: $(cat "$T/estel.args" 2>/dev/null)"
    [ "$(wc -l <"$T/estel.stdin" 2>/dev/null)" = 2 ] || fail "estel did not get eslogger's lines"
    rm -f "$T/eslogger.args"
    ESTEL_ESLOGGER_EVENTS="fork nonsense" ESLOGGER="$T/fakebin/eslogger" \
        ESTEL_BIN="$T/fakebin/estel" bash "$MAC/eslogger-mode/estel-eslogger.sh" 2>/dev/null
    [ "$(cat "$T/eslogger.args" 2>/dev/null)" = "fork" ] || fail "ESTEL_ESLOGGER_EVENTS ignored"
else
    echo "note: not root, wrapper run skipped (it insists on root)"
fi

# --- 5. systemd unit ---------------------------------------------------------------
unit="$GEN/linux/estel.service"
if [ -f "$unit" ]; then
    for k in ProtectSystem=strict ReadWritePaths=/var/lib/estel NoNewPrivileges=yes \
             User=estel "ExecStart=.*/estel run"; do
        grep -q "^$k" "$unit" || fail "$unit lacks $k"
    done
    if command -v systemd-analyze >/dev/null; then
        # the binary is not installed here: point ExecStart at this build's
        sed "s|^ExecStart=[^ ]*|ExecStart=$ESTEL_BIN|" "$unit" >"$T/estel.service"
        systemd-analyze verify "$T/estel.service" >"$T/verify" 2>&1 || true
        if grep "estel.service:" "$T/verify"; then
            fail "systemd-analyze verify complains about the unit (above)"
        fi
    fi
fi

if [ "$fails" -gt 0 ]; then
    echo "deploy_macos: $fails failure(s)" >&2
    exit 1
fi
echo "deploy_macos: OK"
