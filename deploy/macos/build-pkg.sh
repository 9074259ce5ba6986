#!/bin/bash
# build-pkg.sh - build, sign, package, notarize and staple estel for macOS.
#
#   deploy/macos/build-pkg.sh --team-id ABCDE12345 \
#       --app-identity "Developer ID Application: Example Corp (ABCDE12345)" \
#       --installer-identity "Developer ID Installer: Example Corp (ABCDE12345)" \
#       --app-profile app.provisionprofile --sysex-profile sysex.provisionprofile \
#       --notary-profile estel-notary [--dry-run]
#
# Steps: (1) configure and build the unsigned bundle with CMake, passing the
# same ids, so every Info.plist, entitlements file and script agrees;
# (2) embed the Developer ID provisioning profiles (both entitlements are
# restricted); (3) sign inside-out: the CLI, the sysex, then the app, each
# with the hardened runtime, a secure timestamp and its entitlements;
# (4) pkgbuild a component package installing into /Applications (not
# relocatable: a sysex container must stay there) with the pre/postinstall
# scripts; (5) productbuild a product archive signed with Developer ID
# Installer; (6) notarize with notarytool (a keychain profile made once with
# `xcrun notarytool store-credentials`); (7) staple and check.
#
# Every value comes from a flag or its environment variable; nothing about
# a real team is built in.  --dry-run prints the exact commands as a shell
# script and runs none of them (it works on Linux, without Apple tools).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

TEAM_ID=${ESTEL_TEAM_ID:-}
APP_ID=${ESTEL_APP_BUNDLE_ID:-com.example.estel}
SYSEX_ID=${ESTEL_SYSEX_BUNDLE_ID:-com.example.estel.es}
APP_NAME=${ESTEL_APP_NAME:-Estel}
VERSION=${ESTEL_VERSION:-}
APP_IDENTITY=${ESTEL_CODESIGN_IDENTITY:-}
INSTALLER_IDENTITY=${ESTEL_INSTALLER_IDENTITY:-}
NOTARY_PROFILE=${ESTEL_NOTARY_PROFILE:-}
APP_PROFILE=${ESTEL_APP_PROVISIONING_PROFILE:-}
SYSEX_PROFILE=${ESTEL_SYSEX_PROVISIONING_PROFILE:-}
MODE=${ESTEL_INSTALL_MODE:-sysex}
ARCHS=${ESTEL_OSX_ARCHITECTURES:-arm64;x86_64}
MACOS_MIN=${ESTEL_MACOS_MIN:-13.0}
BUILD=${ESTEL_PKG_BUILD_DIR:-$SRC/build-macos}
OUT=${ESTEL_PKG_OUT_DIR:-$SRC/dist}
KEYCHAIN=${ESTEL_KEYCHAIN:-}
EARLY_BOOT=OFF
NOTARIZE=1
DRY_RUN=0

usage() {
    cat <<USAGE
usage: $0 --team-id ID --app-identity NAME --installer-identity NAME
          --app-profile FILE --sysex-profile FILE
          (--notary-profile NAME | --skip-notarize) [options]

  --team-id ID             Apple Developer Team ID (ESTEL_TEAM_ID)
  --app-id ID              container app bundle id (ESTEL_APP_BUNDLE_ID,
                           default com.example.estel)
  --sysex-id ID            system extension bundle id (ESTEL_SYSEX_BUNDLE_ID,
                           default com.example.estel.es)
  --app-name NAME          NAME.app (ESTEL_APP_NAME, default Estel)
  --version V              CFBundleVersion, CFBundleShortVersionString and
                           pkg version (ESTEL_VERSION, default: project())
  --app-identity NAME      "Developer ID Application: ..." (ESTEL_CODESIGN_IDENTITY)
  --installer-identity NAME "Developer ID Installer: ..." (ESTEL_INSTALLER_IDENTITY)
  --app-profile FILE       app provisioning profile, System Extension
                           capability (ESTEL_APP_PROVISIONING_PROFILE)
  --sysex-profile FILE     sysex provisioning profile, Endpoint Security
                           capability (ESTEL_SYSEX_PROVISIONING_PROFILE)
  --notary-profile NAME    notarytool keychain profile (ESTEL_NOTARY_PROFILE)
  --skip-notarize          stop after productbuild (internal test builds)
  --keychain FILE          keychain holding the identities (ESTEL_KEYCHAIN)
  --mode sysex|eslogger    what postinstall starts (ESTEL_INSTALL_MODE)
  --early-boot             NSEndpointSecurityEarlyBoot true
  --arch LIST              CMAKE_OSX_ARCHITECTURES (default "arm64;x86_64")
  --build-dir DIR          (default $SRC/build-macos)
  --out-dir DIR            where the .pkg goes (default $SRC/dist)
  --dry-run                print the commands, run nothing
USAGE
}

die() {
    echo "build-pkg.sh: $*" >&2
    exit 2
}

need_arg() {
    [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --team-id) need_arg "$@"; TEAM_ID=$2; shift 2 ;;
    --app-id) need_arg "$@"; APP_ID=$2; shift 2 ;;
    --sysex-id) need_arg "$@"; SYSEX_ID=$2; shift 2 ;;
    --app-name) need_arg "$@"; APP_NAME=$2; shift 2 ;;
    --version) need_arg "$@"; VERSION=$2; shift 2 ;;
    --app-identity) need_arg "$@"; APP_IDENTITY=$2; shift 2 ;;
    --installer-identity) need_arg "$@"; INSTALLER_IDENTITY=$2; shift 2 ;;
    --app-profile) need_arg "$@"; APP_PROFILE=$2; shift 2 ;;
    --sysex-profile) need_arg "$@"; SYSEX_PROFILE=$2; shift 2 ;;
    --notary-profile) need_arg "$@"; NOTARY_PROFILE=$2; shift 2 ;;
    --skip-notarize) NOTARIZE=0; shift ;;
    --keychain) need_arg "$@"; KEYCHAIN=$2; shift 2 ;;
    --mode) need_arg "$@"; MODE=$2; shift 2 ;;
    --early-boot) EARLY_BOOT=ON; shift ;;
    --arch) need_arg "$@"; ARCHS=$2; shift 2 ;;
    --build-dir) need_arg "$@"; BUILD=$2; shift 2 ;;
    --out-dir) need_arg "$@"; OUT=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
    esac
done

# --- validate everything before running anything --------------------------
[ -n "$TEAM_ID" ] || die "--team-id is required (10 characters, developer.apple.com > Membership)"
[[ $TEAM_ID =~ ^[A-Z0-9]{10}$ ]] || die "--team-id \"$TEAM_ID\": give 10 upper-case letters and digits"
id_re='^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$'
[[ $APP_ID =~ $id_re ]] || die "--app-id \"$APP_ID\": not a reverse-DNS bundle id"
[[ $SYSEX_ID =~ $id_re ]] || die "--sysex-id \"$SYSEX_ID\": not a reverse-DNS bundle id"
[[ $APP_NAME =~ ^[A-Za-z0-9][A-Za-z0-9\ _-]*$ ]] || die "--app-name \"$APP_NAME\": letters, digits, space, _ and - only"
[[ $MODE =~ ^(sysex|eslogger)$ ]] || die "--mode \"$MODE\": give sysex or eslogger"
if [ -z "$VERSION" ]; then
    VERSION=$(sed -n 's/^project(estel VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
fi
[[ $VERSION =~ ^[0-9]+(\.[0-9]+){0,2}$ ]] || die "--version \"$VERSION\": give 1 to 3 integers, e.g. 1.4.2"
[ -n "$APP_IDENTITY" ] || die "--app-identity is required, e.g. \"Developer ID Application: Example Corp ($TEAM_ID)\""
[ -n "$INSTALLER_IDENTITY" ] || die "--installer-identity is required, e.g. \"Developer ID Installer: Example Corp ($TEAM_ID)\""
for ident in "$APP_IDENTITY" "$INSTALLER_IDENTITY"; do
    # an identity that names its team must name ours: a mismatch would
    # break the profile's code requirement on every Mac
    if [[ $ident =~ \(([A-Z0-9]{10})\)$ ]] && [ "${BASH_REMATCH[1]}" != "$TEAM_ID" ]; then
        die "identity \"$ident\" belongs to team ${BASH_REMATCH[1]}, not --team-id $TEAM_ID"
    fi
done
[ -n "$APP_PROFILE" ] || die "--app-profile is required: the app's entitlement is restricted"
[ -n "$SYSEX_PROFILE" ] || die "--sysex-profile is required: the Endpoint Security entitlement is restricted"
if [ "$NOTARIZE" = 1 ] && [ -z "$NOTARY_PROFILE" ]; then
    die "--notary-profile is required (xcrun notarytool store-credentials NAME), or pass --skip-notarize"
fi
if [ "$DRY_RUN" = 0 ]; then
    [ "$(uname -s)" = Darwin ] || die "needs macOS (codesign, pkgbuild, notarytool); use --dry-run to see the commands"
    [ -r "$APP_PROFILE" ] || die "--app-profile $APP_PROFILE: cannot read it"
    [ -r "$SYSEX_PROFILE" ] || die "--sysex-profile $SYSEX_PROFILE: cannot read it"
fi

# --- the commands ------------------------------------------------------------
# One word for a shell: as is when safe, else in single quotes.
quote() {
    if [[ $1 =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

# --dry-run: print the command as a copy-pastable line; else run it.
run() {
    if [ "$DRY_RUN" = 1 ]; then
        local out="" a
        for a in "$@"; do
            out+="$(quote "$a") "
        done
        echo "${out% }"
    else
        "$@"
    fi
}

step() {
    echo "# $*"
}

GEN="$BUILD/deploy/generated/macos"
APP="$BUILD/deploy/macos/$APP_NAME.app"
SYSEX="$APP/Contents/Library/SystemExtensions/$SYSEX_ID.systemextension"
ROOT="$BUILD/pkgroot"
COMPONENT="$BUILD/$APP_NAME-component.pkg"
PRODUCT="$OUT/$APP_NAME-$VERSION.pkg"
SIGN=(codesign --force --sign "$APP_IDENTITY" --options runtime --timestamp)
if [ -n "$KEYCHAIN" ]; then
    SIGN+=(--keychain "$KEYCHAIN")
fi

step "1. build the unsigned bundle ($APP_NAME.app, $SYSEX_ID)"
run cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DESTEL_TESTS=OFF -DESTEL_BENCH=OFF \
    "-DCMAKE_OSX_ARCHITECTURES=$ARCHS" \
    "-DCMAKE_OSX_DEPLOYMENT_TARGET=$MACOS_MIN" "-DESTEL_MACOS_MIN=$MACOS_MIN" \
    "-DESTEL_TEAM_ID=$TEAM_ID" "-DESTEL_APP_BUNDLE_ID=$APP_ID" \
    "-DESTEL_SYSEX_BUNDLE_ID=$SYSEX_ID" "-DESTEL_APP_NAME=$APP_NAME" \
    "-DESTEL_SHORT_VERSION=$VERSION" "-DESTEL_BUNDLE_VERSION=$VERSION" \
    "-DESTEL_INSTALL_MODE=$MODE" "-DESTEL_ES_EARLY_BOOT=$EARLY_BOOT"
run cmake --build "$BUILD" --target estel-bundle --parallel

step "2. embed the provisioning profiles"
run cp "$SYSEX_PROFILE" "$SYSEX/Contents/embedded.provisionprofile"
run cp "$APP_PROFILE" "$APP/Contents/embedded.provisionprofile"

step "3. sign inside-out: CLI, system extension, app"
run "${SIGN[@]}" --identifier "$APP_ID.cli" "$APP/Contents/Helpers/estel"
run "${SIGN[@]}" --entitlements "$GEN/sysex/sysex.entitlements" "$SYSEX"
run "${SIGN[@]}" --entitlements "$GEN/app/app.entitlements" "$APP"
run codesign --verify --deep --strict --verbose=2 "$APP"

step "4. component package into /Applications (not relocatable)"
run rm -rf "$ROOT"
run mkdir -p "$ROOT" "$OUT"
run ditto "$APP" "$ROOT/$APP_NAME.app"
run pkgbuild --analyze --root "$ROOT" "$BUILD/components.plist"
run plutil -replace 0.BundleIsRelocatable -bool NO "$BUILD/components.plist"
run pkgbuild --root "$ROOT" --component-plist "$BUILD/components.plist" \
    --install-location /Applications --scripts "$GEN/scripts" \
    --identifier "$APP_ID.pkg" --version "$VERSION" "$COMPONENT"

step "5. product archive signed with Developer ID Installer"
if [ -n "$KEYCHAIN" ]; then
    run productbuild --package "$COMPONENT" --sign "$INSTALLER_IDENTITY" \
        --keychain "$KEYCHAIN" --timestamp "$PRODUCT"
else
    run productbuild --package "$COMPONENT" --sign "$INSTALLER_IDENTITY" \
        --timestamp "$PRODUCT"
fi
run pkgutil --check-signature "$PRODUCT"

if [ "$NOTARIZE" = 1 ]; then
    step "6. notarize (waits for Apple's verdict)"
    run xcrun notarytool submit "$PRODUCT" --keychain-profile "$NOTARY_PROFILE" --wait
    step "7. staple the ticket and check Gatekeeper's view"
    run xcrun stapler staple "$PRODUCT"
    run xcrun stapler validate "$PRODUCT"
    run spctl --assess --type install --verbose=2 "$PRODUCT"
else
    step "6-7. notarization skipped (--skip-notarize): Gatekeeper will refuse this pkg on other Macs"
fi
step "done: $PRODUCT"
