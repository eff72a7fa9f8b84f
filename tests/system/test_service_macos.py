"""The launchd agent plist (generated here, run by the release workflow's macOS job): a
plistlib round trip with launchd's required keys and types; install/status/uninstall with
launchctl faked, in a temporary HOME."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from tests.system.conftest import FakeRunner, failed, ok
from tiktok_desktop.system.base import CommandResult, ServiceError, ServiceState
from tiktok_desktop.system.command import AppCommand
from tiktok_desktop.system.service_macos import SERVICE_LABEL, LaunchdAgentService, agent_plist

EXE = "/Applications/TikTok Desktop.app/Contents/MacOS/tiktok-desktop"
COMMAND = AppCommand((EXE,), frozen=True)

# launchd.plist(5): key -> the type launchd accepts.
TYPES: dict[str, type | tuple[type, ...]] = {
    "Label": str, "ProgramArguments": list, "RunAtLoad": bool, "KeepAlive": (bool, dict),
    "ThrottleInterval": int, "ProcessType": str, "LimitLoadToSessionType": (str, list),
    "StandardErrorPath": str, "StandardOutPath": str, "EnvironmentVariables": dict,
}


def check_job(job: dict[str, object]) -> None:
    assert set(job) <= set(TYPES), set(job) - set(TYPES)
    for key, value in job.items():
        assert isinstance(value, TYPES[key]), key
    assert job["Label"] and isinstance(job["ProgramArguments"], list)
    args = job["ProgramArguments"]
    assert args and all(isinstance(a, str) for a in args)
    assert Path(str(args[0])).is_absolute()  # launchd does not search PATH for it
    assert job["ProcessType"] in ("Background", "Standard", "Adaptive", "Interactive")
    for key in ("StandardErrorPath", "StandardOutPath"):
        assert Path(str(job[key])).is_absolute()


def test_plist_round_trips_with_launchds_keys(tmp_path: Path) -> None:
    carried = AppCommand((EXE,), {"TIKTOK_DESKTOP_HOME": "/Users/mia/td"}, frozen=True)
    job = agent_plist(carried, ["--sandbox"], tmp_path / "logs/service.log")
    back = plistlib.loads(plistlib.dumps(job))
    assert back == job
    check_job(back)
    assert back["Label"] == SERVICE_LABEL == "io.github.tiktok-desktop.service"
    assert back["ProgramArguments"] == [EXE, "run", "--log-file",
                                        str(tmp_path / "logs/service.log"), "--sandbox"]
    assert back["RunAtLoad"] is True
    assert back["KeepAlive"] == {"SuccessfulExit": False}  # restarted after a crash only
    assert back["EnvironmentVariables"] == {"TIKTOK_DESKTOP_HOME": "/Users/mia/td"}
    assert back["StandardErrorPath"] == str(tmp_path / "logs/service-errors.log")


def test_the_check_can_fail() -> None:
    job = agent_plist(COMMAND, [], Path("/tmp/service.log"))
    job["RunAtLoad"] = "yes"
    with pytest.raises(AssertionError, match="RunAtLoad"):
        check_job(job)


class Launchctl:
    def __init__(self) -> None:
        self.loaded: dict[str, Path] = {}
        self.runner = FakeRunner()
        self.runner.answer(["launchctl", "bootstrap"], self._bootstrap)
        self.runner.answer(["launchctl", "bootout"], self._bootout)
        self.runner.answer(["launchctl", "print"], self._print)

    def _bootstrap(self, argv: list[str]) -> CommandResult:
        job = plistlib.loads(Path(argv[3]).read_bytes())
        check_job(job)
        self.loaded[f"{argv[2]}/{job['Label']}"] = Path(argv[3])
        return ok()

    def _bootout(self, argv: list[str]) -> CommandResult:
        return ok() if self.loaded.pop(argv[2], None) else failed(
            "Boot-out failed: 3: No such process", 3)

    def _print(self, argv: list[str]) -> CommandResult:
        if argv[2] not in self.loaded:
            return failed(f'Could not find service "{SERVICE_LABEL}" in domain', 113)
        return ok(f"{argv[2]} = {{\n\tactive count = 1\n\tstate = running\n\tpid = 812\n"
                  "\tlast exit code = (never exited)\n\tendpoints = {\n\t\tstate = x\n\t}\n}\n")


def test_install_status_uninstall_leaves_nothing(tmp_path: Path) -> None:
    fake = Launchctl()
    home = tmp_path / "Users/mia"
    (home / "Library").mkdir(parents=True)
    env = {"HOME": str(home), "TIKTOK_DESKTOP_HOME": str(tmp_path / "td")}
    service = LaunchdAgentService(runner=fake.runner, command=COMMAND, environ=env, uid=501)
    before = sorted(home.rglob("*"))
    assert service.status().state is ServiceState.NOT_INSTALLED
    status = service.install()
    assert status.state is ServiceState.RUNNING and status.detail == "pid 812"
    assert service.plist_path == home / "Library/LaunchAgents" / f"{SERVICE_LABEL}.plist"
    assert "gui/501/" + SERVICE_LABEL in fake.loaded
    assert (service.plist_path.stat().st_mode & 0o777) == 0o600

    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    service.log_file.write_text("2024-05-01 09:00:03,1 INFO    post 4: in_inbox\n")
    service.log_file.with_name("service-errors.log").write_text("")
    assert service.status().last_activity == "post 4: in_inbox (2024-05-01 09:00:03)"
    assert service.uninstall() is True
    assert fake.loaded == {}
    assert sorted(home.rglob("*")) == [*before, home / "Library/LaunchAgents"]
    assert list((tmp_path / "td/logs").iterdir()) == []
    assert service.uninstall() is False


def test_not_loaded_after_install_says_so(tmp_path: Path) -> None:
    fake = Launchctl()
    service = LaunchdAgentService(runner=fake.runner, command=COMMAND,
                                  environ={"HOME": str(tmp_path), "TIKTOK_DESKTOP_HOME":
                                           str(tmp_path / "td")}, uid=501)
    service.install()
    fake.loaded.clear()  # e.g. after 'launchctl bootout' by hand
    status = service.status()
    assert status.state is ServiceState.STOPPED
    assert status.detail == "not loaded; it starts at your next login"


def test_bootstrap_refused_leaves_no_plist(tmp_path: Path) -> None:
    fake = Launchctl()
    fake.runner.answer(["launchctl", "bootstrap"], failed(
        "Bootstrap failed: 125: Domain does not support specified action", 125))
    service = LaunchdAgentService(runner=fake.runner, command=COMMAND,
                                  environ={"HOME": str(tmp_path), "TIKTOK_DESKTOP_HOME":
                                           str(tmp_path / "td")}, uid=501)
    with pytest.raises(ServiceError, match="Domain does not support"):
        service.install()
    assert not service.plist_path.exists()
