"""The systemd user unit: what is generated (checked by systemd-analyze itself where it is
installed), and install/status/uninstall in a temporary HOME with systemctl faked.

The real service manager is exercised by test_service_done.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.conftest import FakeRunner, failed, ok
from tiktok_desktop.system.base import ServiceError, ServiceState
from tiktok_desktop.system.command import AppCommand, this_app
from tiktok_desktop.system.service_linux import (
    LINGER_EXPLAINED,
    UNIT_NAME,
    SystemdUserService,
    systemd_quote,
    unit_text,
)

needs_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                   reason="systemd-analyze missing (apt-get install systemd)")


def _env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "home/.config"),
            "TIKTOK_DESKTOP_HOME": str(tmp_path / "data"), "USER": "nobody-here"}


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _verify(unit: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(tmp_path / "home")}
    return subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("arg", "quoted"), [
    ("/usr/bin/python3", "/usr/bin/python3"),
    ("run", "run"),
    ("/home/a b/logs", '"/home/a b/logs"'),
    ("100%", "100%%"),
    ("$HOME", '"$$HOME"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    ("", '""'),
])
def test_systemd_quote(arg: str, quoted: str) -> None:
    assert systemd_quote(arg) == quoted


def test_a_line_break_cannot_enter_a_unit() -> None:
    with pytest.raises(ServiceError, match="line break"):
        systemd_quote("a\nExecStartPre=/bin/rm")


def test_unit_runs_this_app_on_the_same_data(tmp_path: Path) -> None:
    command = this_app(environ=_env(tmp_path), frozen=False)
    text = unit_text(command, ["--sandbox"], tmp_path / "logs/service.log")
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_start == (f"ExecStart={sys.executable} -m tiktok_desktop run --log-file "
                          f"{tmp_path}/logs/service.log --sandbox")
    assert f'Environment="TIKTOK_DESKTOP_HOME={tmp_path}/data"' in text.splitlines()
    assert "WantedBy=default.target" in text
    assert "Restart=on-failure" in text
    assert f"ConditionFileIsExecutable={sys.executable}" in text


def test_the_bundle_runs_its_own_executable() -> None:
    command = AppCommand(("/opt/tiktok-desktop/tiktok-desktop",), frozen=True)
    text = unit_text(command, [], Path("/home/u/.local/state/tiktok-desktop/log/service.log"))
    assert ("ExecStart=/opt/tiktok-desktop/tiktok-desktop run --log-file "
            "/home/u/.local/state/tiktok-desktop/log/service.log") in text
    assert "ConditionFileIsExecutable=/opt/tiktok-desktop/tiktok-desktop" in text
    assert "Environment=" not in text


@needs_analyze
def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "TIKTOK_DESKTOP_HOME": str(tmp_path / "odd dir/100%/$x")}
    unit = tmp_path / UNIT_NAME
    unit.write_text(unit_text(this_app(environ=env, frozen=False), ["--sandbox"],
                              tmp_path / "odd dir/logs/service.log"))
    result = _verify(unit, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.strip() == "", result.stderr


@needs_analyze
def test_systemd_analyze_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: the same unit with a program that does not exist."""
    command = AppCommand((str(tmp_path / "missing" / "tiktok-desktop"),), frozen=True)
    unit = tmp_path / UNIT_NAME
    unit.write_text(unit_text(command, [], tmp_path / "service.log"))
    result = _verify(unit, tmp_path)
    assert result.returncode != 0
    assert "missing/tiktok-desktop" in result.stderr


def _service(tmp_path: Path, runner: FakeRunner) -> SystemdUserService:
    return SystemdUserService(runner=runner, environ=_env(tmp_path),
                              command=this_app(environ=_env(tmp_path), frozen=False))


def _running(runner: FakeRunner) -> None:
    runner.answer(["systemctl", "--user", "show"], ok(
        "ActiveState=active\nSubState=running\nMainPID=4242\nResult=success\n"
        "UnitFileState=enabled\n"))


def test_install_status_uninstall_leaves_nothing_behind(tmp_path: Path) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    (tmp_path / "home/.config").mkdir(parents=True)  # a real user's, there before
    before = _files(tmp_path)
    assert service.status().state is ServiceState.NOT_INSTALLED
    assert service.uninstall() is False
    _running(runner)

    status = service.install(["--sandbox"])
    unit = tmp_path / "home/.config/systemd/user" / UNIT_NAME
    assert unit.is_file() and (unit.stat().st_mode & 0o777) == 0o600
    assert service.definition_path() == str(unit)
    assert runner.calls[:3] == [("systemctl", "--user", "daemon-reload"),
                                ("systemctl", "--user", "enable", UNIT_NAME),
                                ("systemctl", "--user", "restart", UNIT_NAME)]
    assert status.state is ServiceState.RUNNING and status.detail == "pid 4242"
    assert status.notes == (LINGER_EXPLAINED,)  # no lingering for this user

    # What systemctl enable would have made, and the service's log: uninstall removes both.
    wants = unit.parent / "default.target.wants" / UNIT_NAME
    wants.parent.mkdir()
    wants.symlink_to(unit)
    log_file = tmp_path / "data/logs/service.log"
    log_file.parent.mkdir(parents=True)
    log_file.write_text("2024-05-01 09:00:01,5 INFO    TikTok Desktop 0.1.0 engine running "
                        "against TikTok (owner h:1:a); Ctrl-C stops it\n"
                        "2024-05-01 09:00:03,120 INFO    post 12: published\n"
                        "2024-05-01 09:00:03,121 INFO    idle; nothing planned\n")
    (tmp_path / "data/logs/service.log.1").write_text("older\n")
    status = service.status()
    assert status.last_activity == "idle; nothing planned (2024-05-01 09:00:03)"
    assert status.last_lines[-2].endswith("post 12: published")
    assert status.summary() == ("Background service: running. Last: idle; nothing planned "
                                "(2024-05-01 09:00:03)")

    runner.calls.clear()
    assert service.uninstall() is True
    assert ("systemctl", "--user", "disable", "--now", UNIT_NAME) in runner.calls
    assert runner.calls[-2:] == [("systemctl", "--user", "daemon-reload"),
                                 ("systemctl", "--user", "reset-failed", UNIT_NAME)]
    (tmp_path / "data/logs").rmdir()  # the log folder is the app's, it was empty before
    (tmp_path / "data").rmdir()
    assert _files(tmp_path) == before
    assert service.status().state is ServiceState.NOT_INSTALLED


def test_users_own_units_stay(tmp_path: Path) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    theirs = tmp_path / "home/.config/systemd/user/theirs.service"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("[Service]\nExecStart=/bin/true\n")
    service.install()
    service.uninstall()
    assert _files(tmp_path / "home") == [".config", ".config/systemd", ".config/systemd/user",
                                         ".config/systemd/user/theirs.service"]


def test_install_without_a_user_manager_says_what_to_do_and_leaves_nothing(
        tmp_path: Path) -> None:
    runner = FakeRunner()
    runner.answer(["systemctl", "--user"], failed(
        "Failed to connect to bus: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not "
        "defined"))
    service = _service(tmp_path, runner)
    with pytest.raises(ServiceError) as refused:
        service.install()
    message = str(refused.value)
    assert "systemctl --user daemon-reload" in message and "XDG_RUNTIME_DIR" in message
    assert "log in" in message
    assert not (tmp_path / "home/.config/systemd").exists()


@pytest.mark.parametrize(("show", "state", "detail"), [
    ("ActiveState=failed\nSubState=failed\nResult=exit-code\nUnitFileState=enabled",
     ServiceState.STOPPED, "it failed (exit-code); the log below says why"),
    ("ActiveState=activating\nSubState=auto-restart\nUnitFileState=enabled",
     ServiceState.STOPPED, "it stopped with an error and restarts in a moment"),
    ("ActiveState=inactive\nSubState=dead\nUnitFileState=enabled",
     ServiceState.STOPPED, "not running; it starts at your next login"),
    ("ActiveState=inactive\nSubState=dead\nUnitFileState=disabled",
     ServiceState.STOPPED, "not enabled: install it again"),
])
def test_status_reads_systemd(tmp_path: Path, show: str, state: ServiceState,
                              detail: str) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    service.install()
    runner.answer(["systemctl", "--user", "show"], ok(show + "\n"))
    status = service.status()
    assert (status.state, status.detail) == (state, detail)
    assert status.summary() == f"Background service: {state.value} ({detail})."


def test_status_when_systemd_cannot_be_asked(tmp_path: Path) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    service.install()
    runner.answer(["systemctl"], failed("Failed to connect to bus: No medium found"))
    status = service.status()
    assert status.state is ServiceState.UNKNOWN and status.installed
    assert "No medium found" in status.detail


def test_lingering_users_get_no_linger_note(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    linger = tmp_path / "linger"
    linger.mkdir()
    (linger / "nobody-here").touch()
    monkeypatch.setattr("tiktok_desktop.system.service_linux.LINGER_DIR", linger)
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    assert service.install().notes == ()


def test_uninstall_refused_by_systemd_keeps_the_unit(tmp_path: Path) -> None:
    runner = FakeRunner()
    service = _service(tmp_path, runner)
    service.install()
    runner.answer(["systemctl", "--user", "disable"], failed("Access denied"))
    with pytest.raises(ServiceError, match="Access denied"):
        service.uninstall()
    assert service.unit_path.exists()
