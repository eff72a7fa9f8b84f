#!/usr/bin/env bash
# Makes sure the Debian/Ubuntu packages the app (and optionally its tests) need are present.
# As root it installs what is missing with apt; otherwise it prints the exact apt line and
# fails, so `make run` / `make test` never half-start on a machine without Qt's libraries.
# Usage: system-deps.sh run|test|package  [python-executable]
set -euo pipefail

what=${1:-run}
python=${2:-python3}

[ "$(uname -s)" = Linux ] || exit 0
command -v dpkg-query >/dev/null 2>&1 || {
  echo "note: not a Debian-family system; install Qt 6's xcb/EGL/fontconfig libraries yourself." >&2
  exit 0
}

# Libraries PySide6's offscreen and xcb platform plugins load at run time.
qt_libs="libglib2.0-0 libegl1 libgl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libx11-6
libxkbcommon-x11-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xkb1 libxcb-xfixes0 libxcb-sync1
libxcb-shm0 libxcb-render0 libxcb-util1 libxcb-glx0 fonts-dejavu-core"
required="$qt_libs"
# pip builds two dev dependencies from source on Linux (every make target installs '.[dev]'):
# dbus-python (python-dbusmock's) needs libdbus and GLib headers, PyGObject (its templates'
# GLib main loop) needs GObject introspection and cairo headers; both need a C compiler.
build_libs="gcc pkg-config libdbus-1-dev libglib2.0-dev libgirepository1.0-dev libcairo2-dev"
required="$required $build_libs"
if [ "$("$python" -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
  required="$required python$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-dev"
fi
# The real-world parts of the test suite: Chromium plays the browser, gnome-keyring the OS
# keyring, curl the benchmark baseline. Missing ones make those tests skip, not fail.
optional=""
if [ "$what" = test ]; then
  # dbus-daemon: the private system bus of the logind tests; systemd: systemd-analyze and
  # the background service's done-test in a systemd user instance (tests/system);
  # postgresql: the server the store's tests start for the shared schedule (tests/store,
  # tests/helpers/postgres.py: its initdb and pg_ctl, run as the package's postgres user).
  optional="chromium chromium-driver gnome-keyring dbus-daemon curl xvfb xauth systemd
postgresql"
fi
# Installers (make deb): PyInstaller needs objdump (binutils), build_deb.sh needs
# dpkg-shlibdeps (dpkg-dev). The optional ones validate what we ship (tests/packaging skips
# without them) and try the installed package (check_installed_deb.sh).
if [ "$what" = package ]; then
  required="$required binutils dpkg-dev"
  optional="appstream desktop-file-utils shellcheck nsis xvfb xauth dbus-daemon gnome-keyring curl"
  # PyInstaller embeds the shared libpython, which Debian ships apart from python3.X.
  if [ "$("$python" -c 'import sys; print(sys.base_prefix)')" = /usr ]; then
    required="$required libpython$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  fi
fi

# venv needs ensurepip, which Debian ships separately from Python itself.
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  if [ "$("$python" -c 'import sys; print(sys.executable)')" = /usr/bin/python3 ] ||
     [ "$(readlink -f "$(command -v "$python")")" = "$(readlink -f /usr/bin/python3 2>/dev/null)" ]; then
    required="$required python3-venv"
  else
    required="$required python${ver}-venv"
  fi
fi

missing() {
  local out=""
  for p in $1; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out="$out $p"
  done
  echo "$out"
}

need=$(missing "$required")
want=$(missing "$optional")

if [ -z "$need$want" ]; then exit 0; fi

if [ "$(id -u)" = 0 ]; then
  echo "Installing system packages:$need$want"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need $want >/dev/null
  exit 0
fi

if [ -n "$need" ]; then
  echo "Qt needs system libraries that are not installed. Run this once, then try again:" >&2
  echo >&2
  echo "    sudo apt-get install -y$need$want" >&2
  echo >&2
  exit 1
fi
echo "note: optional test tools are missing (the tests that need them will be skipped):" >&2
echo "    sudo apt-get install -y$want" >&2
exit 0
