"""PyInstaller settings shared by the app's spec and the bare "hello window" spec.

benchmarks/bench_bundle.py compares the two bundles, so everything that decides what goes into
a bundle (Python excludes, which Qt plugins stay, strip/UPX) lives here once. Importable
without PyInstaller: tests/packaging reads these lists.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Python modules nothing in the app needs, but that optional imports in the standard library
# or in dependencies would otherwise pull in.
PY_EXCLUDES = [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data",
    "distutils", "setuptools", "pkg_resources", "pip", "ensurepip", "venv",
    "unittest", "test", "doctest",
    # av imports these lazily for frame.to_ndarray()/to_image(); we never call those, and
    # they are not installed here anyway (excluded so a developer's copy stays out too).
    "numpy", "PIL",
    # PyGObject and dbus-python are dev-only (python-dbusmock's fake logind in tests/system);
    # keyring's libsecret backend would pull them in with GLib and its 100 translations
    # (~13 MB). The app reaches the Secret Service through SecretStorage (jeepney).
    "gi", "dbus", "_dbus_bindings", "_dbus_glib_bindings",
    # av.datasets downloads sample media from the internet: test data, not an app feature.
    "av.datasets",
    # PySide6 modules we do not use; named so a stray import fails loudly in the smoke test
    # instead of silently adding tens of MB (QtQml/QtQuick alone are ~20 MB).
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDesigner", "PySide6.QtHelp",
    "PySide6.QtUiTools", "PySide6.QtPrintSupport", "PySide6.QtXml", "PySide6.QtConcurrent",
    "PySide6.QtDBus", "PySide6.QtSvgWidgets", "PySide6.QtLabsStyleKit",
]

# Qt plugins by directory: None drops the whole directory, a set drops those plugins only
# (names without "lib"/"q" prefixes or suffixes: "gtk3" matches libqgtk3.so and qgtk3.dll).
QT_PLUGIN_EXCLUDES: dict[str, set[str] | None] = {
    # libqgtk3 links the host's GTK 3 (PyInstaller then collects libgtk-3, libgdk, pango,
    # cairo... from the build machine, ~20 MB that clash with the user's GTK). Qt falls back
    # to its own dialogs, and xdgdesktopportal still gives native file dialogs on Flatpak/KDE.
    "platformthemes": {"gtk3"},
    # Embedded/kiosk platforms; we need xcb, wayland, offscreen (self-test), windows, cocoa.
    "platforms": {"eglfs", "linuxfb", "minimalegl", "vkkhrdisplay", "vnc", "direct2d"},
    "egldeviceintegrations": None,
    "generic": None,  # evdev/tuio input for eglfs/linuxfb
    # Formats we never open. pdf alone links QtPdf (~10 MB).
    "imageformats": {"pdf", "tga", "tiff", "wbmp", "icns"},
    # The virtual keyboard pulls in QtQuick/QtQml; compose (dead keys) and ibus stay.
    "platforminputcontexts": {"qtvirtualkeyboardplugin"},
    # QNetworkInformation and Qt's TLS are unused: Qt networking here is QLocalSocket only,
    # HTTPS goes through httpx. The openssl TLS plugin would load the host's libssl.
    "networkinformation": None,
    "tls": None,
    "wayland-graphics-integration-server": None,  # compositor side
    "qmltooling": None,
    "sqldrivers": None,
    "printsupport": None,
    "designer": None,
}

# Qt libraries only the excluded eglfs platform uses (PyInstaller adds them as extras).
QT_LIB_EXCLUDES = re.compile(
    r"(^|/)(lib)?Qt6(EglFSDeviceIntegration|EglFsKmsSupport|EglFsKmsGbmSupport)\b")

# Parts of glibc that PyInstaller's own exclude list misses. libmvec uses GLIBC_PRIVATE
# symbols: a copy from the build machine next to the user's libc breaks, and pins the .deb
# to the builder's exact glibc version.
GLIBC_EXCLUDES = re.compile(r"(^|/)lib(mvec|BrokenLocale|anl|nss_\w+|thread_db)\.so")

# The app is English only: Qt's own translations would put e.g. German "Abbrechen" buttons
# into an English window, and they weigh ~14 MB.
DROP_QT_TRANSLATIONS = True

# Host libraries that must never end up in a bundle (see platformthemes above).
FORBIDDEN_LIBS = re.compile(r"(^|/)lib(gtk-3|gdk-3|gdk_pixbuf|pango|cairo|atk-1|harfbuzz-gobject)")

BUILD_OPTIONS: dict[str, Any] = {
    # UPX breaks Qt plugins' metadata and trips antivirus heuristics on Windows.
    "upx": False,
    # Wheels ship stripped binaries already; strip would only risk macOS signatures.
    "strip": False,
}

_PLUGIN_RE = re.compile(r"(?:^|/)plugins/(?P<kind>[^/]+)/(?P<file>[^/]+)$")


def _plugin_names(filename: str) -> set[str]:
    """libqgtk3.so, qgtk3.dll, libqgtk3.dylib -> {"qgtk3", "gtk3"}."""
    stem = filename.split(".", 1)[0].removeprefix("lib")
    return {stem, stem.removeprefix("q")}


def keep_entry(dest: str) -> bool:
    """Whether a bundle entry (its destination path inside the bundle) stays."""
    dest = dest.replace("\\", "/")
    match = _PLUGIN_RE.search(dest)
    if match:
        kind = match["kind"]
        if kind in QT_PLUGIN_EXCLUDES:
            names = QT_PLUGIN_EXCLUDES[kind]
            if names is None:
                return False
            if names & _plugin_names(match["file"]):
                return False
    if QT_LIB_EXCLUDES.search(dest) or GLIBC_EXCLUDES.search(dest):
        return False
    if DROP_QT_TRANSLATIONS and re.search(r"(^|/)PySide6/(Qt/)?translations/", dest):
        return False
    return FORBIDDEN_LIBS.search(dest) is None


def prune(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Filter an Analysis TOC (binaries or datas) with keep_entry."""
    return [entry for entry in toc if keep_entry(entry[0])]


def _needed(path: str) -> list[str]:
    """DT_NEEDED sonames of an ELF file (objdump: PyInstaller needs binutils on Linux anyway)."""
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True,
                         check=False).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", out, flags=re.MULTILINE)


def _is_host_library(src: str) -> bool:
    """A library PyInstaller copied from the build machine's system, not from a wheel."""
    return (src.startswith(("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/"))
            and "site-packages" not in src and "/python3" not in src
            and not os.path.basename(src).startswith("libpython"))


def drop_orphans(binaries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Linux: drop host libraries that only the plugins removed by prune() needed.

    PyInstaller resolves binary dependencies during Analysis, before prune() runs, so the
    gtk3 theme plugin leaves its host libraries behind (atk-bridge, atspi, epoxy, pixman,
    fribidi, thai, Xcomposite...). Keep a host library only if something that stays needs it.
    """
    toc = list(binaries)
    if not sys.platform.startswith("linux"):
        return toc
    by_name = {os.path.basename(dest): (dest, src, kind) for dest, src, kind in toc}
    roots = [src for _dest, src, _kind in toc if not _is_host_library(src)]
    reached: set[str] = set()
    queue = list(roots)
    while queue:
        for soname in _needed(queue.pop()):
            if soname in reached:
                continue
            reached.add(soname)
            if soname in by_name and _is_host_library(by_name[soname][1]):
                queue.append(by_name[soname][1])
    return [(dest, src, kind) for dest, src, kind in toc
            if not _is_host_library(src) or os.path.basename(dest) in reached]


def check_clean(toc: Iterable[tuple[str, str, str]]) -> None:
    """Fail the build if a forbidden host library slipped in through another path."""
    bad = [dest for dest, _src, _kind in toc if FORBIDDEN_LIBS.search(dest.replace("\\", "/"))]
    if bad:
        raise SystemExit(f"host GTK libraries in the bundle: {bad}")


def tree_size(path: Path) -> tuple[int, int]:
    """Bytes and file count under path (symlinks counted once, not followed)."""
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            st = os.lstat(os.path.join(root, name))
            total += st.st_size
            files += 1
    return total, files


def report_size(path: Path, label: str) -> int:
    size, files = tree_size(path)
    print(f"BUNDLE SIZE {label}: {size / 1e6:.1f} MB in {files} files ({path})", flush=True)
    return size
