#!/usr/bin/env bash
# Install the .deb, use the installed app the way a user and a desktop would, remove it, and
# check that nothing is left behind. Needs root (apt) and is what CI runs (.ci/run).
#
#   packaging/linux/check_installed_deb.sh DEB [SCREENSHOT.png] [VIDEO]
#
# With VIDEO (packaging/make_test_clip.py writes one), the screenshot run opens it: the frozen
# app probes it and decodes its cover frame with PyAV, and its log must show no error.
# Optional tools make more checks run (each says when it is skipped): xvfb-run (screenshot of
# the real window), dbus-run-session + gnome-keyring-daemon (the frozen app's Secret Service
# keyring backend), curl (the built-in sandbox's web pages), desktop-file-validate.
set -euo pipefail

deb=$(realpath "${1:?usage: check_installed_deb.sh DEB [SCREENSHOT.png] [VIDEO]}")
shot=$(realpath -m "${2:-build/ci/installed-app.png}")
video=${3:+$(realpath "$3")}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
pkg=$(dpkg-deb -f "$deb" Package)
version=$(dpkg-deb -f "$deb" Version | tr -d '~')
app_id=$(cd "$root" && "${PYTHON:-python3}" -c 'import tiktok_desktop as t; print(t.APP_ID)')

fail() { echo "check_installed_deb: FAILED: $*" >&2; exit 1; }
step() { echo "== installed package: $*"; }
[ "$(id -u)" = 0 ] || fail "needs root (apt-get install/remove)"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export TIKTOK_DESKTOP_HOME="$work/home"  # never the root user's real data folders

step "apt-get install $deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
[ "$(command -v tiktok-desktop)" = /usr/bin/tiktok-desktop ] || fail "tiktok-desktop not on PATH"
for f in "/opt/$pkg/$pkg" "/usr/share/applications/$app_id.desktop" \
         "/usr/share/metainfo/$app_id.metainfo.xml" \
         "/usr/share/icons/hicolor/scalable/apps/$app_id.svg" \
         "/usr/share/icons/hicolor/256x256/apps/$app_id.png"; do
  [ -e "$f" ] || fail "$f was not installed"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "/usr/share/applications/$app_id.desktop"
fi

step "--version"
out=$(tiktok-desktop --version)
[ "$out" = "$pkg $version" ] || fail "--version said '$out', expected '$pkg $version'"
echo "$out"

step "--self-test (offscreen)"
QT_QPA_PLATFORM=offscreen PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
  tiktok-desktop --self-test

step "keyring backends in the frozen app"
out=$(PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring tiktok-desktop accounts list 2>&1)
grep -q "No system keyring" <<<"$out" || fail "no keyring, yet no note about it: $out"
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  # A private session bus with an unlocked GNOME Keyring: the app must find it through
  # keyring's SecretService backend (entry points + secretstorage + jeepney + cryptography).
  # shellcheck disable=SC2016  # expanded by the inner shell, inside the D-Bus session
  out=$(dbus-run-session -- sh -c '
    eval "$(printf %s ci-keyring | gnome-keyring-daemon --unlock --components=secrets)"
    tiktok-desktop accounts list' 2>&1) || fail "accounts list under gnome-keyring: $out"
  if grep -q "No system keyring" <<<"$out"; then
    fail "the frozen app did not find the Secret Service keyring: $out"
  fi
  echo "Secret Service keyring found"
else
  echo "skipped: dbus-run-session or gnome-keyring-daemon missing"
fi

step "built-in sandbox serves its pages"
if command -v curl >/dev/null; then
  tiktok-desktop sandbox serve --port 0 --state-dir "$work/sandbox" >"$work/serve.log" 2>&1 &
  server_pid=$!
  url=""
  for _ in $(seq 100); do  # up to 10 s for the server to print its address
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$work/serve.log" | head -n1 || true)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$url" ] || fail "sandbox did not start: $(cat "$work/serve.log")"
  page=$(curl -fsS --max-time 10 "$url/")
  grep -q "sandbox_creator" <<<"$page" || fail "sandbox index page lacks its users"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  echo "sandbox pages served at $url"
else
  echo "skipped: curl missing"
fi

step "screenshot of the real window (Xvfb)"
if command -v xvfb-run >/dev/null; then
  mkdir -p "$(dirname "$shot")"
  rm -f "$shot"
  shot_home="$work/screenshot-home"
  TIKTOK_DESKTOP_HOME=$shot_home PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring \
    xvfb-run -a --server-args="-screen 0 1280x800x24" tiktok-desktop --screenshot "$shot" \
    ${video:+"$video"}
  if grep -E " (ERROR|CRITICAL) " "$shot_home"/logs/*.log; then
    fail "the app logged errors during the screenshot run (above)"
  fi
  [ -z "$video" ] || echo "opened $video in the composer (PyAV probe + cover frame)"
  [ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "$shot is not a PNG"
  [ "$(stat -c %s "$shot")" -gt 10000 ] || fail "$shot is suspiciously small (blank screen?)"
  echo "screenshot: $shot"
else
  echo "skipped: xvfb-run missing"
fi

step "apt-get remove"
DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$pkg" >/dev/null
status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
case $status in *" installed") fail "$pkg still installed ($status)" ;; esac
leftovers=$(find /opt /usr/bin /usr/share/applications /usr/share/metainfo \
  /usr/share/icons/hicolor -path "*$pkg*" -o -name "$app_id*" 2>/dev/null || true)
[ -z "$leftovers" ] || fail "left behind after removal: $leftovers"
echo "removed cleanly: nothing left under /opt, /usr/bin or /usr/share"
