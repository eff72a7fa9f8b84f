#!/usr/bin/env bash
# Turn the PyInstaller onedir bundle into a .deb with dpkg-deb.
#
#   packaging/linux/build_deb.sh [BUNDLE_DIR] [OUT_DIR]     (defaults: dist/tiktok-desktop dist)
#
# `make deb` builds the bundle first and then runs this. Layout of the package:
#   /opt/tiktok-desktop/                       the bundle, untouched
#   /usr/bin/tiktok-desktop                    a launcher script (exec into /opt)
#   /usr/share/applications/<app id>.desktop   menu entry
#   /usr/share/icons/hicolor/*/apps/<app id>.{png,svg}
#   /usr/share/metainfo/<app id>.metainfo.xml  AppStream (software centres)
# No maintainer scripts: the desktop database and icon cache are refreshed by the dpkg
# triggers of desktop-file-utils and the icon theme packages.
#
# Depends: PyInstaller ships almost every library the app uses inside the bundle, except those
# it leaves to the system on purpose (glibc, libGL/libEGL, libxcb, libwayland-*: they must
# match the running system's drivers and X/Wayland server). Those are the package's real
# dependencies. We list every DT_NEEDED soname of every ELF file in the bundle that the
# bundle does not contain itself, find the package that provides each one on this machine
# (dpkg -S), and take the version constraints that dpkg-shlibdeps computes for them. Running
# dpkg-shlibdeps alone would also list packages for libraries we ship (it looks each soname
# up on the system too), so its output is filtered to the packages found above. Libraries in
# the bundle also read data files from the system, which no ELF header names; those packages
# are added by hand (DATA_DEPENDS below).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bundle=$(realpath "${1:-$root/dist/tiktok-desktop}")
out_dir=$(realpath -m "${2:-$root/dist}")
python=${PYTHON:-python3}
# xz (default): smallest, readable by every dpkg; ~1.5 min for the ~280 MB bundle on 2 cores.
# zstd: ~25% larger, built in seconds, needs dpkg >= 1.21.18 (Debian 12, Ubuntu 22.04).
compression=${DEB_COMPRESSION:-xz}
case $compression in
  xz) compress_opts="-Zxz -z6" ;;
  zstd) compress_opts="-Zzstd -z12" ;;
  gzip) compress_opts="-Zgzip -z9" ;;
  *) echo "build_deb: DEB_COMPRESSION must be xz, zstd or gzip" >&2; exit 2 ;;
esac

# Data the bundled libraries read from the system at run time:
#   fontconfig-config: /etc/fonts for the bundled libfontconfig, and (through its own
#     Depends) at least one font; without them Qt draws no text.
#   xkb-data: keyboard layouts for the bundled libxkbcommon; without them Qt's xcb and
#     wayland platforms cannot map keys.
#   libpq5: PostgreSQL's client library for a shared schedule (issue 20). The Linux bundle
#     leaves psycopg's own copy (psycopg_binary: libpq with its OpenSSL, Kerberos and LDAP,
#     about 10 MB) out and psycopg loads Debian's through ctypes (packaging/tiktok_desktop.spec);
#     Debian then patches it with the rest of the system.
DATA_DEPENDS="fontconfig-config, xkb-data, libpq5"

die() { echo "build_deb: $*" >&2; exit 1; }
for tool in dpkg-deb dpkg-shlibdeps dpkg objdump; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev binutils)"
done
[ -d "$bundle" ] || die "no bundle at $bundle (build it: pyinstaller packaging/tiktok_desktop.spec)"

# Identity from the package (tiktok_desktop/__init__.py), the one place it lives.
read -r version app_id app_name display_name < <(
  cd "$root" && "$python" -c '
import tiktok_desktop as t
print(t.__version__, t.APP_ID, t.APP_NAME, t.APP_DISPLAY_NAME.replace(" ", "\x1f"))')
display_name=${display_name//$'\x1f'/ }
exe="$bundle/$app_name"
[ -x "$exe" ] || die "$exe is missing or not executable"

# Debian orders 1.0~rc1 before 1.0; Python writes 1.0rc1.
deb_version=$(sed -E 's/^([0-9.]+)\.?((a|b|rc|dev)[0-9]*)$/\1~\2/' <<<"$version")
arch=$(dpkg --print-architecture)
pkg=$app_name
deb="$out_dir/${pkg}_${deb_version}_${arch}.deb"

echo "== smoke test of the bundle ($exe)"
"$python" "$root/packaging/smoke_test.py" "$exe"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

echo "== staging $pkg $deb_version ($arch)"
pkgroot="$stage/$pkg"
install -d "$pkgroot/DEBIAN" "$pkgroot/opt" "$pkgroot/usr/bin" \
  "$pkgroot/usr/share/applications" "$pkgroot/usr/share/metainfo" \
  "$pkgroot/usr/share/icons/hicolor/scalable/apps" "$pkgroot/usr/share/doc/$pkg"
cp -a "$bundle" "$pkgroot/opt/$app_name"
# Files readable by all, directories and executables 755, whatever the builder's umask was.
chmod -R u+rwX,go+rX,go-w "$pkgroot/opt/$app_name"

cat >"$pkgroot/usr/bin/$app_name" <<EOF
#!/bin/sh
# Launcher of the $display_name package: the program lives in /opt/$app_name.
exec /opt/$app_name/$app_name "\$@"
EOF
chmod 755 "$pkgroot/usr/bin/$app_name"

install -m 644 "$root/resources/linux/$app_id.desktop" "$pkgroot/usr/share/applications/"
install -m 644 "$root/resources/linux/$app_id.metainfo.xml" "$pkgroot/usr/share/metainfo/"
install -m 644 "$root/resources/icons/tiktok-desktop.svg" \
  "$pkgroot/usr/share/icons/hicolor/scalable/apps/$app_id.svg"
for png in "$root"/resources/icons/tiktok-desktop-*.png; do
  size=$(basename "$png" .png); size=${size##*-}
  install -D -m 644 "$png" "$pkgroot/usr/share/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
install -m 644 "$root/README.md" "$pkgroot/usr/share/doc/$pkg/README.md"

echo "== deriving Depends"
# shellcheck disable=SC2016  # the inner script is meant for sh, not for this shell
mapfile -t elfs < <(find "$pkgroot/opt" -type f -print0 |
  xargs -0 -r sh -c 'for f; do [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = 177ELF ] && echo "$f"; done' _)
[ "${#elfs[@]}" -gt 0 ] || die "no ELF files in the bundle?"
shipped=$(find "$pkgroot/opt" \( -type f -o -type l \) -printf '%f\n' | sort -u)
needed=$(for f in "${elfs[@]}"; do objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'; done | sort -u)
system_sonames=$(comm -23 <(echo "$needed") <(echo "$shipped"))
system_pkgs=""
# Read the cache once: piping ldconfig into an awk that exits early kills ldconfig with
# SIGPIPE, which pipefail turns into a failed build now and then.
ld_cache=$(/sbin/ldconfig -p)
for soname in $system_sonames; do
  path=$(awk -v so="$soname" '$1 == so && /x86-64|AArch64|arm64|i386|libc6,/ {print $NF; exit}' <<<"$ld_cache")
  [ -z "$path" ] && path=$(awk -v so="$soname" '$1 == so {print $NF; exit}' <<<"$ld_cache")
  [ -n "$path" ] || die "the bundle needs $soname, which is not installed here"
  owner=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "$path" 2>/dev/null) ||
    die "no package owns $path ($soname)"
  owner=${owner%%:*}
  echo "  $soname -> $owner"
  system_pkgs="$system_pkgs $owner"
done
system_pkgs=$(tr ' ' '\n' <<<"$system_pkgs" | sed '/^$/d' | sort -u)

# dpkg-shlibdeps wants a debian/control to read; give it a throwaway one.
mkdir -p "$stage/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$stage/debian/control"
libdirs=$(printf '%s\n' "${elfs[@]}" | xargs -n1 dirname | sort -u | sed 's/^/-l/')
# shellcheck disable=SC2086  # one -l option per directory
shlibdeps=$(cd "$stage" && dpkg-shlibdeps -O --ignore-missing-info --warnings=0 $libdirs \
  "${elfs[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
depends=""
for p in $system_pkgs; do
  # Every constraint dpkg-shlibdeps gives for this package (libc6 can have two), else bare.
  constraints=$(tr ',' '\n' <<<"$shlibdeps" | sed 's/^ *//' | awk -v p="$p" '$1 == p')
  [ -n "$constraints" ] || constraints=$p
  while IFS= read -r c; do depends="$depends${depends:+, }$c"; done <<<"$constraints"
done
depends="$depends, $DATA_DEPENDS"
echo "  Depends: $depends"

installed_kb=$(du -sk --apparent-size "$pkgroot" | cut -f1)
cat >"$pkgroot/DEBIAN/control" <<EOF
Package: $pkg
Version: $deb_version
Architecture: $arch
Maintainer: $display_name contributors <noreply@tiktok-desktop.invalid>
Installed-Size: $installed_kb
Depends: $depends
Section: video
Priority: optional
Description: Schedule TikTok video posts from your desktop
 $display_name publishes your videos to TikTok at the times you choose, without
 a server: connect accounts through TikTok's login page, drop videos on the
 window, and the app posts each one when it is due and follows it until TikTok
 confirms it. It includes a built-in TikTok emulator to try everything offline.
EOF

echo "== building $deb (compression: $compression)"
mkdir -p "$out_dir"
# shellcheck disable=SC2086  # compressor options are words
dpkg-deb --root-owner-group $compress_opts --build "$pkgroot" "$deb" >/dev/null
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description/p'
printf 'DEB %s: %s MB (installed %s MB)\n' "$deb" \
  "$(( $(stat -c %s "$deb") / 1000000 ))" "$(( installed_kb / 1000 ))"
