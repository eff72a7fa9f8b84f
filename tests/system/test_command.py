"""The command line that starts this app again, from a checkout, a venv and the bundle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tiktok_desktop.system.command import this_app

REPO = Path(__file__).resolve().parents[2]


def test_venv_runs_the_module_with_the_venvs_own_interpreter() -> None:
    command = this_app(frozen=False, environ={})
    assert command.argv == (sys.executable, "-m", "tiktok_desktop")
    assert command.environment == {} and not command.frozen


def test_checkout_on_pythonpath_carries_it_and_the_data_folder(tmp_path: Path) -> None:
    env = {"PYTHONPATH": f"/elsewhere{os.pathsep}{REPO}", "TIKTOK_DESKTOP_HOME": "~/td"}
    command = this_app(frozen=False, environ=env)
    assert command.environment == {"PYTHONPATH": str(REPO),
                                   "TIKTOK_DESKTOP_HOME": str(Path("~/td").expanduser())}


def test_the_command_really_starts_the_app() -> None:
    command = this_app(frozen=False)
    done = subprocess.run([*command.with_args("--version")], capture_output=True, text=True,
                          env={**os.environ, **command.environment}, cwd="/", timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("tiktok-desktop "), done.stderr


def test_the_linux_bundle_runs_its_own_executable(tmp_path: Path) -> None:
    exe = tmp_path / "opt/tiktok-desktop/tiktok-desktop"
    exe.parent.mkdir(parents=True)
    exe.touch()
    link = tmp_path / "usr-bin-tiktok-desktop"
    link.symlink_to(exe)
    command = this_app(frozen=True, executable=str(link), environ={}, platform="linux")
    assert command.argv == (str(exe),) and command.frozen


def test_windows_bundle_prefers_the_windowed_twin(tmp_path: Path) -> None:
    cli = tmp_path / "tiktok-desktop.exe"
    cli.touch()
    (tmp_path / "TikTokDesktop.exe").touch()
    command = this_app(frozen=True, executable=str(cli), environ={}, platform="win32")
    assert command.argv == (str(tmp_path / "TikTokDesktop.exe"),)
