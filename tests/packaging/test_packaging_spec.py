"""The PyInstaller spec, run with stand-ins for PyInstaller's build classes: what it would
bundle, per OS. (Real PyInstaller builds are too heavy for the test suite: .ci/run and
benchmarks/bench_bundle.py do them.)"""

from __future__ import annotations

import plistlib
import re
import sys
from pathlib import Path
from typing import Any

import app_metadata as meta
import bundle_common as common
import pytest

import tiktok_desktop
from tests.packaging.packaging_support import PACKAGING, ROOT

SPEC = PACKAGING / "tiktok_desktop.spec"


class Recorder:
    """Stands in for Analysis/PYZ/EXE/COLLECT/BUNDLE and keeps what the spec passed."""

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]]

    def __init__(self) -> None:
        self.calls = []

    def cls(self, name: str) -> type:
        recorder = self

        class Target:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                recorder.calls.append((name, args, kwargs))
                self.binaries: list[tuple[str, str, str]] = []
                self.datas = list(kwargs.get("datas", []))
                self.pure: list[Any] = []
                self.scripts: list[Any] = []

        return Target

    def of(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for n, _args, kwargs in self.calls if n == name]


def run_spec(platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    namespace: dict[str, Any] = {
        "SPECPATH": str(PACKAGING), "DISTPATH": str(tmp_path / "dist"),
        "workpath": str(tmp_path / "work"), "__file__": str(SPEC),
        **{n: recorder.cls(n) for n in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")},
    }
    (tmp_path / "work").mkdir()
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.delenv("PYINSTALLER_DEBUG", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the spec prepends its folder
    code = compile(SPEC.read_text(encoding="utf-8"), str(SPEC), "exec")
    exec(code, namespace)  # noqa: S102 - the spec is our own file, executed as PyInstaller does
    return recorder


def datas_of(recorder: Recorder) -> dict[str, set[str]]:
    """Destination folder -> file names the spec asks to bundle."""
    (analysis,) = recorder.of("Analysis")
    result: dict[str, set[str]] = {}
    for src, dest in analysis["datas"]:
        result.setdefault(dest.replace("\\", "/"), set()).add(Path(src).name)
    return result


def test_resources_are_bundled_where_the_app_looks(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    datas = datas_of(run_spec("linux", tmp_path, monkeypatch))
    # tiktok_desktop/app.py: icon_path() reads sys._MEIPASS/resources/icons/tiktok-desktop.svg
    assert "tiktok-desktop.svg" in datas["resources/icons"]
    assert "tiktok-desktop-256.png" in datas["resources/icons"]
    assert datas["resources/linux"] == {f"{meta.APP_ID}.desktop", f"{meta.APP_ID}.metainfo.xml"}
    # The sandbox's templates, read through importlib.resources.
    assert {"consent.html", "style.css"} <= datas["tiktok_desktop/sandbox/pages"]
    # keyring's entry points (how it finds its backends) live in its dist-info.
    assert any(d.startswith("keyring-") and d.endswith(".dist-info") for d in datas)


def test_every_bundled_file_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (analysis,) = run_spec("linux", tmp_path, monkeypatch).of("Analysis")
    missing = [src for src, _dest in analysis["datas"] if not Path(src).exists()]
    assert missing == []
    for path in (*analysis["runtime_hooks"], *[str(s) for s in analysis.get("pathex", [])]):
        assert Path(path).exists(), path


def test_hidden_imports_cover_keyring_backends_and_pyav(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (analysis,) = run_spec("linux", tmp_path, monkeypatch).of("Analysis")
    hidden = set(analysis["hiddenimports"])
    assert {"keyring.backends.SecretService", "keyring.backends.macOS",
            "keyring.backends.Windows"} <= hidden
    assert {"av", "av.container", "av.video.frame"} <= hidden
    # Every hidden import names a module that exists here (no typo silently ignored).
    import importlib.util
    for name in sorted(hidden):
        if name.startswith("win32ctypes"):
            continue
        assert importlib.util.find_spec(name) is not None, name
    assert {"psycopg", "psycopg_pool", "psycopg.pq.pq_ctypes"} <= hidden  # a shared schedule
    # Linux leaves psycopg's private libpq out: the .deb depends on Debian's libpq5.
    assert analysis["excludes"] == [*common.PY_EXCLUDES, "psycopg_binary"]
    assert set(hidden).isdisjoint(analysis["excludes"])
    assert "libpq5" in (PACKAGING / "linux" / "build_deb.sh").read_text(encoding="utf-8")


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_keep_psycopgs_own_libpq(platform: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (analysis,) = run_spec(platform, tmp_path, monkeypatch).of("Analysis")
    assert analysis["excludes"] == common.PY_EXCLUDES  # no system libpq to lean on there


def test_linux_build_is_one_windowed_onedir_executable(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = run_spec("linux", tmp_path, monkeypatch)
    (exe,) = recorder.of("EXE")
    assert exe["name"] == tiktok_desktop.APP_NAME
    assert exe["console"] is False
    assert exe["exclude_binaries"] is True  # onedir: binaries go to COLLECT
    assert exe["upx"] is False
    assert exe["icon"] is None
    (collect,) = recorder.of("COLLECT")
    assert collect["name"] == tiktok_desktop.APP_NAME
    assert recorder.of("BUNDLE") == []


def test_windows_build_has_gui_and_console_exes_with_version_info(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = run_spec("win32", tmp_path, monkeypatch)
    exes = {e["name"]: e for e in recorder.of("EXE")}
    assert set(exes) == {meta.WINDOWS_GUI_EXE, meta.WINDOWS_CLI_EXE}
    assert exes[meta.WINDOWS_GUI_EXE]["console"] is False
    assert exes[meta.WINDOWS_CLI_EXE]["console"] is True
    gui = exes[meta.WINDOWS_GUI_EXE]
    assert gui["icon"].endswith("tiktok-desktop.ico")
    assert Path(gui["icon"]).is_file()
    version_text = Path(gui["version"]).read_text(encoding="utf-8")
    assert f"'ProductVersion', '{tiktok_desktop.__version__}'" in version_text


def test_macos_bundle_identity_and_plist(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = run_spec("darwin", tmp_path, monkeypatch)
    (bundle,) = recorder.of("BUNDLE")
    assert bundle["name"] == f"{tiktok_desktop.APP_DISPLAY_NAME}.app"
    assert bundle["bundle_identifier"] == meta.MACOS_BUNDLE_ID
    assert Path(bundle["icon"]).is_file()
    assert bundle["icon"].endswith(".icns")
    plist = bundle["info_plist"]
    assert plist["CFBundleShortVersionString"] == tiktok_desktop.__version__
    assert plist["NSHighResolutionCapable"] is True
    assert plist["NSRequiresAquaSystemAppearance"] is False  # follows dark mode
    plistlib.dumps(plist)  # serialisable as PyInstaller will write it
    (exe,) = recorder.of("EXE")
    assert Path(exe["entitlements_file"]).is_file()


def test_macos_bundle_id_is_the_app_id_in_apples_alphabet() -> None:
    assert re.fullmatch(r"[A-Za-z0-9.-]+", meta.MACOS_BUNDLE_ID)
    assert meta.MACOS_BUNDLE_ID.replace("-", "_") == tiktok_desktop.APP_ID


def test_spec_reads_identity_from_the_package() -> None:
    text = SPEC.read_text(encoding="utf-8")
    assert tiktok_desktop.__version__ not in text
    assert tiktok_desktop.APP_ID not in text
    assert (ROOT / "packaging" / "pyinstaller" / "launch.py").is_file()


@pytest.mark.parametrize(("platform", "wanted"), [
    ("linux", {"tiktok_desktop.system.logind", "tiktok_desktop.system.service_linux",
               "jeepney", "jeepney.io.blocking"}),
    ("win32", {"tiktok_desktop.system.service_windows", "tiktok_desktop.system.windows_power"}),
    ("darwin", {"tiktok_desktop.system.service_macos", "tiktok_desktop.system.caffeinate"}),
])
def test_each_os_bundles_its_system_modules(platform: str, wanted: set[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """for_this_os() imports them inside a function; on Linux that includes jeepney."""
    (analysis,) = run_spec(platform, tmp_path, monkeypatch).of("Analysis")
    hidden = set(analysis["hiddenimports"])
    assert wanted <= hidden
    others = {"logind", "windows_power", "caffeinate"} - {n.rsplit(".", 1)[-1] for n in wanted}
    assert not {n for n in hidden if n.rsplit(".", 1)[-1] in others}
