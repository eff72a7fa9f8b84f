"""``tiktok-desktop service install|status|uninstall``: messages and exit codes, on the Linux
service with systemctl faked (the real one: test_service_done.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.conftest import FakeRunner, failed, ok
from tiktok_desktop.cli import build_command_parser
from tiktok_desktop.cli import service as cli_service
from tiktok_desktop.system.command import this_app
from tiktok_desktop.system.service_linux import UNIT_NAME, SystemdUserService


def _service(tmp_path: Path, runner: FakeRunner) -> SystemdUserService:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "TIKTOK_DESKTOP_HOME": str(tmp_path / "td"), "USER": "nobody-here"}
    return SystemdUserService(runner=runner, environ=env, command=this_app(environ=env))


def _run(argv: list[str], service: SystemdUserService) -> int:
    return cli_service.run(build_command_parser().parse_args(["service", *argv]), service)


def test_the_whole_life(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    assert _run(["status"], service) == 4
    assert "not installed" in capsys.readouterr().out

    runner.answer(["systemctl", "--user", "show"], ok("ActiveState=active\nMainPID=77\n"))
    assert _run(["install", "--sandbox"], service) == 0
    out = capsys.readouterr().out
    assert f"Installed the background service ({service.unit_path})." in out
    assert "even when the window is closed" in out
    assert "note: " in out and "loginctl enable-linger" in out
    [exec_start] = [line for line in service.unit_path.read_text().splitlines()
                    if line.startswith("ExecStart=")]
    assert " run --log-file " in exec_start and exec_start.endswith(" --sandbox")

    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    service.log_file.write_text("".join(f"2024-05-01 09:00:0{i},1 INFO    post {i}: published\n"
                                        for i in range(5)))
    assert _run(["status", "--lines", "2"], service) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("Background service: running. Last: post 4: published "
                      "(2024-05-01 09:00:04)")
    assert out[2:5] == ["Its log, newest last:",
                        "  2024-05-01 09:00:03,1 INFO    post 3: published",
                        "  2024-05-01 09:00:04,1 INFO    post 4: published"]

    assert _run(["status", "--json"], service) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "running" and data["installed"] and len(data["last_lines"]) == 5

    runner.answer(["systemctl", "--user", "show"], ok("ActiveState=failed\nResult=signal\n"))
    assert _run(["status", "--lines", "0"], service) == 3
    assert "it failed (signal)" in capsys.readouterr().out

    assert _run(["uninstall"], service) == 0
    assert "Removed the background service and its log." in capsys.readouterr().out
    assert _run(["uninstall"], service) == 0
    assert "was not installed: nothing to remove" in capsys.readouterr().out
    assert not service.unit_path.exists() and not service.log_file.exists()


def test_install_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner = FakeRunner()
    runner.answer(["systemctl"], failed("Failed to connect to bus: No medium found"))
    assert _run(["install"], _service(tmp_path, runner)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: systemd did not accept the service")
    assert "No medium found" in err


def test_uninstall_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    service.install()
    runner.answer(["systemctl", "--user", "disable"], failed("Access denied"))
    assert _run(["uninstall"], service) == 1
    assert f"systemctl --user stop {UNIT_NAME}" in capsys.readouterr().err


def test_help_lists_the_command() -> None:
    done = subprocess.run([sys.executable, "-m", "tiktok_desktop", "service", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "install" in done.stdout and "uninstall" in done.stdout
