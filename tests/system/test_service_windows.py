"""The Task Scheduler task XML (generated here, run by the release workflow's Windows job):
parsed and checked against the rules of Task Scheduler's schema (task.xsd, version 1.2) for
the elements we use; and install/status/uninstall with schtasks and PowerShell faked."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.system.conftest import FakeRunner, failed, ok
from tiktok_desktop.system.base import CommandResult, ServiceError, ServiceState
from tiktok_desktop.system.command import AppCommand
from tiktok_desktop.system.service_windows import (
    SERVICE_TASK,
    TASK_NS,
    WAKE_TASK,
    ScheduledTaskService,
    TaskWakeTimer,
    task_xml,
)

NS = f"{{{TASK_NS}}}"
EXE = r"C:\Program Files\TikTok Desktop\TikTokDesktop.exe"
COMMAND = AppCommand((EXE,), frozen=True)
ENV = {"USERNAME": "mia", "USERDOMAIN": "LAPTOP"}

BOOLEAN = re.compile(r"^(true|false)$")
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)?$")

# task.xsd 1.2: the children each element may have (all optional unless in REQUIRED), and
# the value types of the leaves we write.
CHILDREN = {
    "Task": {"RegistrationInfo", "Triggers", "Settings", "Data", "Principals", "Actions"},
    "RegistrationInfo": {"URI", "SecurityDescriptor", "Source", "Date", "Author", "Version",
                         "Description", "Documentation"},
    "Triggers": {"BootTrigger", "RegistrationTrigger", "IdleTrigger", "TimeTrigger",
                 "EventTrigger", "LogonTrigger", "SessionStateChangeTrigger",
                 "CalendarTrigger"},
    "LogonTrigger": {"Enabled", "StartBoundary", "EndBoundary", "Repetition",
                     "ExecutionTimeLimit", "UserId", "Delay"},
    "TimeTrigger": {"Enabled", "StartBoundary", "EndBoundary", "Repetition",
                    "ExecutionTimeLimit", "RandomDelay"},
    "Principals": {"Principal"},
    "Principal": {"UserId", "GroupId", "LogonType", "RunLevel", "DisplayName"},
    "Settings": {"AllowStartOnDemand", "RestartOnFailure", "MultipleInstancesPolicy",
                 "DisallowStartIfOnBatteries", "StopIfGoingOnBatteries", "AllowHardTerminate",
                 "StartWhenAvailable", "NetworkProfileName", "RunOnlyIfNetworkAvailable",
                 "WakeToRun", "Enabled", "Hidden", "DeleteExpiredTaskAfter", "IdleSettings",
                 "NetworkSettings", "ExecutionTimeLimit", "Priority", "RunOnlyIfIdle"},
    "IdleSettings": {"Duration", "WaitTimeout", "StopOnIdleEnd", "RestartOnIdle"},
    "RestartOnFailure": {"Interval", "Count"},
    "Actions": {"Exec", "ComHandler", "SendEmail", "ShowMessage"},
    "Exec": {"Command", "Arguments", "WorkingDirectory"},
}
REQUIRED = {"Task": {"Actions"}, "TimeTrigger": {"StartBoundary"}, "Exec": {"Command"},
            "RestartOnFailure": {"Interval", "Count"}, "Principals": {"Principal"}}
LEAVES = {
    "Enabled": BOOLEAN, "AllowStartOnDemand": BOOLEAN, "DisallowStartIfOnBatteries": BOOLEAN,
    "StopIfGoingOnBatteries": BOOLEAN, "AllowHardTerminate": BOOLEAN,
    "StartWhenAvailable": BOOLEAN, "RunOnlyIfNetworkAvailable": BOOLEAN, "WakeToRun": BOOLEAN,
    "Hidden": BOOLEAN, "RunOnlyIfIdle": BOOLEAN, "StopOnIdleEnd": BOOLEAN,
    "RestartOnIdle": BOOLEAN, "ExecutionTimeLimit": DURATION, "Interval": DURATION,
    "StartBoundary": DATETIME, "Count": re.compile(r"^[1-9]\d*$"),
    "Priority": re.compile(r"^(10|\d)$"),
    "MultipleInstancesPolicy": re.compile(r"^(Parallel|Queue|IgnoreNew|StopExisting)$"),
    "LogonType": re.compile(r"^(S4U|Password|InteractiveToken|InteractiveTokenOrPassword)$"),
    "RunLevel": re.compile(r"^(LeastPrivilege|HighestAvailable)$"),
}


def validate(element: ET.Element) -> None:
    """Raises AssertionError where the task breaks the schema's rules."""
    assert element.tag.startswith(NS), element.tag
    name = element.tag.removeprefix(NS)
    children = [c.tag.removeprefix(NS) for c in element]
    if name in CHILDREN:
        unknown = set(children) - CHILDREN[name]
        assert not unknown, f"{name} may not contain {unknown}"
        missing = REQUIRED.get(name, set()) - set(children)
        assert not missing, f"{name} lacks {missing}"
        if name not in ("Triggers", "Actions"):
            assert len(children) == len(set(children)), f"{name} repeats a child"
    elif name in LEAVES:
        assert not children
        assert LEAVES[name].match(element.text or ""), f"{name}: {element.text!r}"
    else:
        assert not children and (element.text or "").strip(), name
    for child in element:
        validate(child)


def parse(xml: str) -> ET.Element:
    assert xml.startswith('<?xml version="1.0" encoding="UTF-16"?>')
    # schtasks reads the file as UTF-16 (the declaration says so): read it back that way.
    return ET.fromstring(xml.encode("utf-16"))  # noqa: S314 - our own generated text


def text(root: ET.Element, path: str) -> str:
    found = root.find("/".join(NS + part for part in path.split("/")))
    assert found is not None, path
    return found.text or ""


def test_service_task_is_valid_and_wakes_and_starts_at_logon(tmp_path: Path) -> None:
    carried = AppCommand((EXE,), {"TIKTOK_DESKTOP_HOME": str(tmp_path)}, frozen=True)
    service = ScheduledTaskService(command=carried, environ=ENV)
    with pytest.raises(ServiceError, match="cannot carry TIKTOK_DESKTOP_HOME"):
        service.definition()  # no environment in a task: refuse rather than use other data
    service = ScheduledTaskService(command=COMMAND, environ={"USERNAME": "mia",
                                                            "USERDOMAIN": "LAPTOP"})
    root = parse(service.definition(["--sandbox"]))
    validate(root)
    assert root.tag == f"{NS}Task" and root.get("version") == "1.2"
    assert text(root, "Triggers/LogonTrigger/UserId") == r"LAPTOP\mia"
    assert root.find(f"{NS}Triggers/{NS}TimeTrigger") is None
    assert text(root, "Principals/Principal/UserId") == r"LAPTOP\mia"
    assert text(root, "Principals/Principal/LogonType") == "InteractiveToken"
    assert text(root, "Principals/Principal/RunLevel") == "LeastPrivilege"  # no admin
    assert text(root, "Settings/WakeToRun") == "true"
    assert text(root, "Settings/ExecutionTimeLimit") == "PT0S"
    assert text(root, "Settings/DisallowStartIfOnBatteries") == "false"
    assert text(root, "Actions/Exec/Command") == EXE
    arguments = text(root, "Actions/Exec/Arguments")
    assert arguments.startswith("run --log-file ") and arguments.endswith(" --sandbox")
    assert text(root, "Actions/Exec/WorkingDirectory") == str(Path(EXE).parent)


def test_wake_task_has_a_time_trigger_in_utc() -> None:
    timer = TaskWakeTimer(command=COMMAND, environ=ENV)
    due = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC).timestamp()
    root = parse(timer.definition(due))
    validate(root)
    assert text(root, "Triggers/TimeTrigger/StartBoundary") == "2024-05-01T09:00:00Z"
    assert root.find(f"{NS}Triggers/{NS}LogonTrigger") is None
    assert text(root, "Settings/WakeToRun") == "true"
    assert text(root, "Actions/Exec/Arguments") == "run --once"


def test_arguments_with_spaces_and_quotes_are_quoted_for_windows() -> None:
    root = parse(task_xml(COMMAND, ["run", "--log-file", r"C:\Users\Mia Li\service.log",
                                    'say "hi"'], user="mia", description="d", logon=True))
    assert text(root, "Actions/Exec/Arguments") == (
        r'run --log-file "C:\Users\Mia Li\service.log" "say \"hi\""')


def test_the_validator_catches_schema_errors() -> None:
    bad = parse(task_xml(COMMAND, ["run"], user="mia", description="d", logon=True))
    wake = bad.find(f"{NS}Settings/{NS}WakeToRun")
    assert wake is not None
    wake.text = "yes"
    with pytest.raises(AssertionError, match="WakeToRun"):
        validate(bad)
    no_actions = parse(task_xml(COMMAND, ["run"], user="mia", description="d", logon=True))
    no_actions.remove(no_actions.find(f"{NS}Actions"))  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match="Actions"):
        validate(no_actions)


class Schtasks:
    """schtasks and PowerShell's Get-ScheduledTask, as far as the service uses them."""

    def __init__(self) -> None:
        self.tasks: dict[str, str] = {}  # name -> XML
        self.running: set[str] = set()
        self.runner = FakeRunner()
        self.runner.answer(["schtasks", "/Create"], self._create)
        self.runner.answer(["schtasks", "/Query"], lambda a: ok() if a[3] in self.tasks
                           else failed("ERROR: The system cannot find the file specified."))
        self.runner.answer(["schtasks", "/Run"], self._run)
        self.runner.answer(["schtasks", "/End"], lambda a: self.running.discard(a[3]) or ok())
        self.runner.answer(["schtasks", "/Delete"], lambda a: ok() if self.tasks.pop(a[3], None)
                           else failed("ERROR: not found"))
        self.runner.answer(["powershell"], self._state)

    def _create(self, argv: list[str]) -> CommandResult:
        self.tasks[argv[3]] = Path(argv[5]).read_bytes().decode("utf-16")
        return ok("SUCCESS")

    def _run(self, argv: list[str]) -> CommandResult:
        self.running.add(argv[3])
        return ok()

    def _state(self, argv: list[str]) -> CommandResult:
        name = re.search(r"-TaskName '([^']+)'", argv[-1])
        assert name is not None
        return ok("Running\n" if name[1] in self.running else "Ready\n")


def test_install_status_uninstall(tmp_path: Path) -> None:
    fake = Schtasks()
    env = {"USERNAME": "mia", "TIKTOK_DESKTOP_HOME": str(tmp_path)}
    service = ScheduledTaskService(runner=fake.runner, command=COMMAND, environ=env)
    assert service.status().state is ServiceState.NOT_INSTALLED
    status = service.install()
    assert status.state is ServiceState.RUNNING
    validate(parse(fake.tasks[SERVICE_TASK]))
    temp_files = [c[5] for c in fake.runner.calls if c[:2] == ("schtasks", "/Create")]
    assert temp_files and not any(Path(t).exists() for t in temp_files)  # no temp XML left

    fake.running.clear()
    assert service.status().detail == "not running; it starts at your next logon"
    timer = TaskWakeTimer(runner=fake.runner, command=COMMAND, environ=env)
    timer.set_next_wake(1_800_000_000)
    assert WAKE_TASK in fake.tasks

    service.log_file.parent.mkdir(parents=True, exist_ok=True)
    service.log_file.write_text("2024-05-01 09:00:03,1 INFO    post 3: published\n")
    assert service.status().last_activity == "post 3: published (2024-05-01 09:00:03)"
    assert service.uninstall() is True
    assert fake.tasks == {} and not service.log_file.exists()
    assert service.uninstall() is False


def test_wake_timer_changes_task_scheduler_only_on_a_change() -> None:
    fake = Schtasks()
    timer = TaskWakeTimer(runner=fake.runner, command=COMMAND, environ=ENV)
    timer.set_next_wake(1_800_000_000.4)
    timer.set_next_wake(1_800_000_000)
    creates = [c for c in fake.runner.calls if c[1] == "/Create"]
    assert len(creates) == 1
    timer.set_next_wake(None)
    assert WAKE_TASK not in fake.tasks
    assert timer.without_admin and "Allow wake timers" in timer.settings_text


def test_install_refused_says_why() -> None:
    fake = Schtasks()
    fake.runner.answer(["schtasks", "/Create"], failed("ERROR: Access is denied."))
    service = ScheduledTaskService(runner=fake.runner, command=COMMAND, environ=ENV)
    with pytest.raises(ServiceError, match="Access is denied"):
        service.install()
