#!/usr/bin/env bash
# Wrap "dist/TikTok Desktop.app" into a compressed .dmg with an /Applications link to drag to.
#
#   packaging/macos/build_dmg.sh [APP] [OUT_DIR]    (defaults: "dist/TikTok Desktop.app" dist)
#
# Sign the .app before this (sign_and_notarize.sh app ...) and the .dmg after it
# (sign_and_notarize.sh dmg ...). macOS only: hdiutil.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
read -r version display_name < <(cd "$root" && "$python" -c '
import tiktok_desktop as t; print(t.__version__, t.APP_DISPLAY_NAME)')
app=${1:-$root/dist/$display_name.app}
out_dir=${2:-$root/dist}
arch=$(uname -m)
dmg="$out_dir/TikTokDesktop-$version-macos-$arch.dmg"

command -v hdiutil >/dev/null || { echo "build_dmg: hdiutil is macOS-only" >&2; exit 2; }
[ -d "$app" ] || { echo "build_dmg: no app bundle at $app" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# ditto keeps symlinks, extended attributes and code signatures intact (cp -R may not).
ditto "$app" "$stage/$(basename "$app")"
ln -s /Applications "$stage/Applications"
mkdir -p "$out_dir"
rm -f "$dmg"
# hdiutil sometimes fails with "Resource busy" on CI runners (Picard retries the same way).
for attempt in 1 2 3 4 5; do
  if hdiutil create -volname "$display_name $version" -srcfolder "$stage" -ov \
      -fs HFS+ -format UDZO -imagekey zlib-level=9 "$dmg"; then
    break
  fi
  [ "$attempt" = 5 ] && { echo "build_dmg: hdiutil failed 5 times" >&2; exit 1; }
  echo "hdiutil failed (attempt $attempt), retrying in $((attempt * 5)) s"
  sleep $((attempt * 5))
done
hdiutil verify "$dmg"
echo "DMG $dmg: $(( $(stat -f %z "$dmg") / 1000000 )) MB"
