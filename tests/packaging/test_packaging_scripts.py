"""The build scripts: shell syntax and lint, the NSIS script compiles, the smoke test tells a
good bundle from a broken one, and build_deb.sh packages a (tiny, fake) bundle correctly."""

from __future__ import annotations

import os
import plistlib
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import build_installer
import pytest

import tiktok_desktop
from tests.packaging.packaging_support import PACKAGING, RESOURCES, ROOT

SHELL_SCRIPTS = sorted([*PACKAGING.rglob("*.sh"), ROOT / ".ci" / "run"])


def test_scripts_are_executable() -> None:
    for script in SHELL_SCRIPTS:
        assert script.stat().st_mode & stat.S_IXUSR, f"{script} is not executable"


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_bash_syntax(script: Path) -> None:
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None,
                    reason="shellcheck missing (apt-get install shellcheck)")
def test_shellcheck_clean() -> None:
    result = subprocess.run(["shellcheck", "--severity=info", *map(str, SHELL_SCRIPTS)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_entitlements_allow_what_pyinstaller_needs_and_no_more() -> None:
    with (PACKAGING / "macos" / "entitlements.plist").open("rb") as fh:
        entitlements = plistlib.load(fh)
    assert entitlements == {
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
        "com.apple.security.cs.disable-library-validation": True,
    }


# --- Windows installer ------------------------------------------------------------------------
def fake_windows_bundle(dist: Path) -> None:
    (dist / "_internal" / "PySide6").mkdir(parents=True)
    (dist / "TikTokDesktop.exe").write_bytes(b"MZ gui")
    (dist / "tiktok-desktop.exe").write_bytes(b"MZ console")
    (dist / "_internal" / "PySide6" / "Qt6Core.dll").write_bytes(b"MZ dll")


@pytest.mark.skipif(build_installer.find_makensis() is None,
                    reason="makensis missing (apt-get install nsis)")
def test_nsis_installer_compiles_with_version_info(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    fake_windows_bundle(dist)
    assert build_installer.main(["--dist", str(dist), "--out", str(tmp_path)]) == 0
    setup = tmp_path / build_installer.installer_name()
    data = setup.read_bytes()
    assert data[:2] == b"MZ"
    # The version resource of setup.exe (UTF-16 strings in the PE resources).
    assert "ProductVersion".encode("utf-16-le") in data
    assert tiktok_desktop.__version__.encode("utf-16-le") in data
    assert tiktok_desktop.APP_DISPLAY_NAME.encode("utf-16-le") in data


def test_nsis_build_refuses_an_incomplete_bundle(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "dist").mkdir()
    if build_installer.find_makensis() is None:
        pytest.skip("makensis missing")
    assert build_installer.main(["--dist", str(tmp_path / "dist"), "--out", str(tmp_path)]) == 2
    assert "TikTokDesktop.exe is missing" in capsys.readouterr().err


def test_nsis_script_gets_every_define_it_uses() -> None:
    script = (PACKAGING / "windows" / "installer.nsi").read_text(encoding="utf-8")
    command = build_installer.makensis_command("makensis", Path("dist"), Path("out"))
    passed = {arg[2:].split("=", 1)[0] for arg in command if arg.startswith("-D")}
    guard = next(line for line in script.splitlines() if line.startswith("!ifndef VERSION"))
    required = {name.strip() for name in guard.removeprefix("!ifndef").split("|")}
    assert required == passed


# --- smoke test -------------------------------------------------------------------------------
def fake_app(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "fake-app"
    exe.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    exe.chmod(0o755)
    return exe


GOOD_APP = f"""
case "$1" in
  --version) echo "{tiktok_desktop.APP_NAME} {tiktok_desktop.__version__}" ;;
  --self-test) echo "self-test ok: fake, Qt platform $QT_QPA_PLATFORM" ;;
  shared) echo "The database server at nobody@127.0.0.1:1/smoke cannot be reached."; exit 1 ;;
esac"""


def run_smoke_test(exe: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(PACKAGING / "smoke_test.py"), str(exe)],
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="fake app is a shell script")
def test_smoke_test_passes_a_working_app(tmp_path: Path) -> None:
    result = run_smoke_test(fake_app(tmp_path, GOOD_APP))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Qt platform offscreen" in result.stdout  # it ran the self-test offscreen


@pytest.mark.skipif(sys.platform == "win32", reason="fake app is a shell script")
@pytest.mark.parametrize(("body", "reason"), [
    (GOOD_APP + '\necho "ModuleNotFoundError: No module named \'keyring.backends\'" >&2',
     "broken bundle"),
    (GOOD_APP.replace(tiktok_desktop.__version__, "9.9.9"), "--version printed"),
    (GOOD_APP.replace("self-test ok", "self-test FAILED") + "\n[ $1 = --self-test ] && exit 1",
     "--self-test failed"),
    # A bundle without psycopg or libpq: the shared schedule's client does not load.
    (GOOD_APP.replace("The database server at nobody@127.0.0.1:1/smoke cannot be reached.",
                      "couldn't import psycopg: no pq wrapper available."),
     "shared test failed"),
])
def test_smoke_test_catches_a_broken_app(tmp_path: Path, body: str, reason: str) -> None:
    result = run_smoke_test(fake_app(tmp_path, body))
    assert result.returncode == 1
    assert reason in result.stderr


# --- the .deb ---------------------------------------------------------------------------------
DEB_TOOLS = ("dpkg-deb", "dpkg-shlibdeps", "objdump")


def _libxcb_shape() -> Path | None:
    for d in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu"):
        if (Path(d) / "libxcb-shape.so.0").exists():
            return Path(d) / "libxcb-shape.so.0"
    return None


@pytest.mark.slow
@pytest.mark.skipif(any(shutil.which(t) is None for t in DEB_TOOLS) or _libxcb_shape() is None,
                    reason="dpkg-dev, binutils and libxcb-shape0 needed")
def test_build_deb_packages_a_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    exe = fake_app(tmp_path, GOOD_APP)
    shutil.move(exe, bundle / tiktok_desktop.APP_NAME)
    # One real ELF library in the bundle: it needs libxcb.so.1 (not shipped -> Depends) and
    # libc (not shipped -> Depends); a library we do ship must not become a Depends.
    lib = _libxcb_shape()
    assert lib is not None
    shutil.copy(lib, bundle / "_internal" / "libxcb-shape.so.0")
    env = dict(os.environ, DEB_COMPRESSION="gzip", PYTHON=sys.executable)
    result = subprocess.run([str(PACKAGING / "linux" / "build_deb.sh"), str(bundle),
                             str(tmp_path / "out")], capture_output=True, text=True, env=env,
                            check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (deb,) = (tmp_path / "out").glob("*.deb")
    assert deb.name.startswith(f"{tiktok_desktop.APP_NAME}_{tiktok_desktop.__version__}_")

    def field(name: str) -> str:
        return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True,
                              text=True, check=True).stdout.strip()

    depends = [d.strip().split(" ")[0] for d in field("Depends").split(",")]
    assert {"libc6", "libxcb1", "fontconfig-config", "xkb-data"} <= set(depends)
    assert "libxcb-shape0" not in depends  # shipped inside the bundle
    assert field("Version") == tiktok_desktop.__version__
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    app_id, name = tiktok_desktop.APP_ID, tiktok_desktop.APP_NAME
    for path in (f"./opt/{name}/{name}", f"./opt/{name}/_internal/libxcb-shape.so.0",
                 f"./usr/bin/{name}", f"./usr/share/applications/{app_id}.desktop",
                 f"./usr/share/metainfo/{app_id}.metainfo.xml",
                 f"./usr/share/icons/hicolor/scalable/apps/{app_id}.svg",
                 f"./usr/share/icons/hicolor/512x512/apps/{app_id}.png"):
        assert f" {path}\n" in listing + "\n" or f" {path} " in listing, path
    assert " root/root " in listing  # files owned by root whoever built it
    pngs = len(list((RESOURCES / "icons").glob("tiktok-desktop-*.png")))
    assert listing.count(f"/apps/{app_id}.") == pngs + 1
