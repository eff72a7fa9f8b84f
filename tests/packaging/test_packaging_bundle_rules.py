"""What the bundle keeps and drops (bundle_common) and the identity helpers (app_metadata)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import app_metadata as meta
import bundle_common as common
import pytest

import tiktok_desktop


@pytest.mark.parametrize("dest", [
    # The GTK theme plugin would drag the build host's GTK in (Linux, with and without Qt/).
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so",
    "PySide6\\plugins\\imageformats\\qtiff.dll",  # Windows layout and separators
    "PySide6/Qt/plugins/imageformats/libqtga.dylib",  # macOS
    "PySide6/Qt/translations/qtbase_de.qm",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6",
    "libmvec.so.1",
    "libgtk-3.so.0",
    "libgdk_pixbuf-2.0.so.0",
])
def test_dropped(dest: str) -> None:
    assert not common.keep_entry(dest)


@pytest.mark.parametrize("dest", [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",  # --self-test
    "PySide6\\plugins\\platforms\\qwindows.dll",
    "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",  # the app icon is SVG
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so",
    "PySide6/Qt/plugins/imageformats/libqgif.so",
    "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "PySide6/Qt/lib/libQt6Gui.so.6",
    "av.libs/libavcodec-5e6b81c2.so.62.28.102",
    "resources/icons/tiktok-desktop.svg",
])
def test_kept(dest: str) -> None:
    assert common.keep_entry(dest)


def test_prune_filters_toc_entries() -> None:
    toc = [("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "/x/libqgtk3.so", "BINARY"),
           ("PySide6/Qt/plugins/platforms/libqxcb.so", "/x/libqxcb.so", "BINARY")]
    assert common.prune(toc) == [toc[1]]


def test_check_clean_refuses_host_gtk() -> None:
    common.check_clean([("libQt6Gui.so.6", "/x", "BINARY")])
    with pytest.raises(SystemExit, match="libgtk-3"):
        common.check_clean([("libgtk-3.so.0", "/usr/lib/x86_64-linux-gnu/libgtk-3.so.0",
                             "BINARY")])


def _system_lib(name: str) -> Path | None:
    for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
              "/usr/lib64", "/usr/lib"):
        if (Path(d) / name).exists():
            return Path(d) / name
    return None


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("objdump") is None,
                    reason="Linux ELF files and objdump (binutils) needed")
def test_drop_orphans_keeps_only_host_libraries_something_needs(tmp_path: Path) -> None:
    shape, xcb, zlib = (_system_lib(n) for n in ("libxcb-shape.so.0", "libxcb.so.1",
                                                 "libz.so.1"))
    if shape is None or xcb is None or zlib is None:
        pytest.skip("libxcb-shape0, libxcb1 and zlib1g needed")
    # A "wheel" library (not from a system folder) that needs libxcb, as Qt's xcb plugin does.
    plugin = tmp_path / "site-packages" / "libplugin.so"
    plugin.parent.mkdir()
    shutil.copy(shape, plugin)
    toc = [("libplugin.so", str(plugin), "BINARY"),
           ("libxcb.so.1", str(xcb), "BINARY"),   # needed by the plugin: stays
           ("libz.so.1", str(zlib), "BINARY")]    # needed by nothing left: goes
    kept = [dest for dest, _src, _kind in common.drop_orphans(toc)]
    assert kept == ["libplugin.so", "libxcb.so.1"]


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.1rc3", (2, 0, 1, 0)),
    ("3.4.5+local.7", (3, 4, 5, 0)),
])
def test_numeric_version(version: str, expected: tuple[int, int, int, int]) -> None:
    assert meta.numeric_version(version) == expected


def test_windows_version_info_is_what_pyinstaller_parses() -> None:
    # PyInstaller eval()s this text with its versioninfo classes in scope (that module needs
    # pefile, Windows only): evaluate it with recording stand-ins of the same names.
    def record(kind: str) -> Callable[..., dict[str, Any]]:
        return lambda *args, **kwargs: {"kind": kind, "args": args, **kwargs}

    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
             "StringStruct", "VarFileInfo", "VarStruct")
    info = eval(meta.windows_version_info("1.2.3"),  # noqa: S307 - our own generated text
                {"__builtins__": {}, **{n: record(n) for n in names}})
    assert info["kind"] == "VSVersionInfo"
    assert info["ffi"]["filevers"] == (1, 2, 3, 0)
    assert info["ffi"]["prodvers"] == (1, 2, 3, 0)
    (table,) = info["kids"][0]["args"][0]
    strings = dict(s["args"] for s in table["args"][1])
    assert strings["ProductVersion"] == "1.2.3"
    assert strings["FileVersion"] == "1.2.3"
    assert strings["ProductName"] == tiktok_desktop.APP_DISPLAY_NAME
    assert strings["OriginalFilename"] == f"{meta.WINDOWS_GUI_EXE}.exe"


def test_macos_minimum_version_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MACOSX_DEPLOYMENT_TARGET", "13.5")
    assert meta.info_plist()["LSMinimumSystemVersion"] == "13.5"
    monkeypatch.delenv("MACOSX_DEPLOYMENT_TARGET")
    assert meta.macos_minimum_version()[0].isdigit()
