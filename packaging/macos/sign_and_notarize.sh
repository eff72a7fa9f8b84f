#!/usr/bin/env bash
# Code-sign the .app (hardened runtime) or sign + notarize + staple the .dmg.
#
#   packaging/macos/sign_and_notarize.sh app "dist/TikTok Desktop.app"
#   packaging/macos/sign_and_notarize.sh dmg dist/TikTokDesktop-<version>-macos-<arch>.dmg
#
# Without credentials each step is skipped with a warning (a GitHub "::warning::" line), so
# forks, pull requests and local builds still produce an unsigned, working .dmg.
# Environment (CI secrets):
#   MACOS_CERTIFICATE_P12_BASE64, MACOS_CERTIFICATE_PASSWORD  Developer ID Application cert
#   MACOS_CODESIGN_IDENTITY   e.g. "Developer ID Application: Name (TEAMID)"
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD  for notarytool (app-specific password)
# The recipe is the common one (Picard's macos-notarize-app.sh, also used by Electrum and
# Vorta): sign nested code inside-out, then the bundle; notarize; staple; verify.
set -euo pipefail

what=${1:?usage: sign_and_notarize.sh app|dmg PATH}
target=${2:?usage: sign_and_notarize.sh app|dmg PATH}
here=$(cd "$(dirname "$0")" && pwd)
entitlements="$here/entitlements.plist"

warn() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::warning::$*"; else echo "warning: $*" >&2; fi
}

keychain=""
cleanup() { if [ -n "$keychain" ]; then security delete-keychain "$keychain" || true; fi; }
trap cleanup EXIT

import_certificate() {
  # A throwaway keychain holding only our certificate, unlocked for codesign.
  [ -n "${MACOS_CERTIFICATE_P12_BASE64:-}" ] || return 0
  keychain="$RUNNER_TEMP_OR_TMP/signing.keychain-db"
  local password p12
  password=$(uuidgen)
  p12="$RUNNER_TEMP_OR_TMP/certificate.p12"
  printf %s "$MACOS_CERTIFICATE_P12_BASE64" | base64 --decode >"$p12"
  security create-keychain -p "$password" "$keychain"
  security set-keychain-settings -lut 21600 "$keychain"
  security unlock-keychain -p "$password" "$keychain"
  security import "$p12" -k "$keychain" -P "${MACOS_CERTIFICATE_PASSWORD:-}" \
    -T /usr/bin/codesign
  security set-key-partition-list -S apple-tool:,apple: -s -k "$password" "$keychain" >/dev/null
  # shellcheck disable=SC2046  # the keychain list is a word list
  security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
  rm -f "$p12"
}

have_identity() {
  [ -n "${MACOS_CODESIGN_IDENTITY:-}" ] &&
    security find-identity -v -p codesigning | grep -qF "$MACOS_CODESIGN_IDENTITY"
}

sign() {
  codesign --force --timestamp --options runtime --entitlements "$entitlements" \
    --sign "$MACOS_CODESIGN_IDENTITY" "$@"
}

sign_app() {
  local app=$1
  # Inside-out: every Mach-O library, then frameworks, then the executables, then the app.
  find "$app/Contents" -type f \( -name '*.so' -o -name '*.dylib' \) -print0 |
    xargs -0 -n 50 codesign --force --timestamp --options runtime \
      --entitlements "$entitlements" --sign "$MACOS_CODESIGN_IDENTITY"
  find "$app/Contents" -type d -name '*.framework' -prune -print0 |
    while IFS= read -r -d '' fw; do sign "$fw"; done
  find "$app/Contents/MacOS" -type f -perm -u+x -print0 |
    while IFS= read -r -d '' exe; do sign "$exe"; done
  sign "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
}

notarize_dmg() {
  local dmg=$1
  if [ -z "${APPLE_ID:-}" ] || [ -z "${APPLE_TEAM_ID:-}" ] || [ -z "${APPLE_APP_PASSWORD:-}" ]
  then
    warn "APPLE_ID/APPLE_TEAM_ID/APPLE_APP_PASSWORD not set: $dmg is signed, not notarized"
    return 0
  fi
  local result
  result=$(xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait --timeout 30m --output-format plist)
  if ! /usr/libexec/PlistBuddy -c "Print :status" /dev/stdin <<<"$result" | grep -q Accepted
  then
    echo "$result" >&2
    echo "notarization was not accepted" >&2
    exit 1
  fi
  xcrun stapler staple "$dmg"
  xcrun stapler validate "$dmg"
  spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
}

[ "$(uname -s)" = Darwin ] || { echo "sign_and_notarize: macOS only" >&2; exit 2; }
[ -e "$target" ] || { echo "sign_and_notarize: $target does not exist" >&2; exit 2; }
RUNNER_TEMP_OR_TMP=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
import_certificate
if ! have_identity; then
  warn "no code-signing certificate (MACOS_CODESIGN_IDENTITY): $target stays unsigned; \
users must right-click > Open the first time"
  exit 0
fi

case $what in
  app) sign_app "$target" ;;
  dmg)  # a disk image carries a plain signature: no runtime options or entitlements
    codesign --force --timestamp --sign "$MACOS_CODESIGN_IDENTITY" "$target"
    notarize_dmg "$target" ;;
  *) echo "sign_and_notarize: first argument must be app or dmg" >&2; exit 2 ;;
esac
