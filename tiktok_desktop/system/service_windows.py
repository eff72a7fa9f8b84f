"""Windows: the background service as a Task Scheduler task, and the wake timer as a second one.

Both are registered for the current user with ``schtasks /Create /XML`` (no administrator
rights: the task runs only while the user is logged on, with the user's own token, so the
Credential Manager holds the sign-ins as usual). The service task starts at logon and runs
``TikTokDesktop.exe run`` (the windowed executable: no console window). The wake task has a
time trigger at the next due post with "Wake the computer to run this task" set; it runs
``run --once``, which publishes what is due and exits.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.system.base import (
    CommandResult,
    Runner,
    ServiceError,
    ServiceState,
    ServiceStatus,
    run_command,
)
from tiktok_desktop.system.command import AppCommand, quote_windows, this_app
from tiktok_desktop.system.service_log import (
    last_activity,
    service_log_files,
    service_log_path,
    tail_lines,
)

__all__ = ["SERVICE_TASK", "TASK_NS", "WAKE_TASK", "ScheduledTaskService", "TaskWakeTimer",
           "task_xml"]

log = logging.getLogger(__name__)

TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"
SERVICE_TASK = APP_DISPLAY_NAME
WAKE_TASK = f"{APP_DISPLAY_NAME} wake"


def current_user(environ: Mapping[str, str]) -> str:
    user = environ.get("USERNAME") or "user"
    domain = environ.get("USERDOMAIN")
    return f"{domain}\\{user}" if domain else user


def task_xml(command: AppCommand, args: Sequence[str], *, user: str, description: str,
             logon: bool, wake_at: float | None = None) -> str:
    """A Task Scheduler 1.2 task definition (the schema's element names and order)."""
    ET.register_namespace("", TASK_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, f"{{{TASK_NS}}}{tag}")
        if text is not None:
            element.text = text
        return element

    task = ET.Element(f"{{{TASK_NS}}}Task", {"version": "1.2"})
    info = sub(task, "RegistrationInfo")
    sub(info, "Author", user)
    sub(info, "Description", description)
    triggers = sub(task, "Triggers")
    if logon:
        trigger = sub(triggers, "LogonTrigger")
        sub(trigger, "Enabled", "true")
        sub(trigger, "UserId", user)  # this user's logon only: no admin rights needed
    if wake_at is not None:
        trigger = sub(triggers, "TimeTrigger")
        when = dt.datetime.fromtimestamp(int(wake_at), dt.UTC)
        sub(trigger, "StartBoundary", when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        sub(trigger, "Enabled", "true")
    principal = sub(sub(task, "Principals"), "Principal", None)
    principal.set("id", "Author")
    sub(principal, "UserId", user)
    sub(principal, "LogonType", "InteractiveToken")
    sub(principal, "RunLevel", "LeastPrivilege")
    settings = sub(task, "Settings")
    sub(settings, "MultipleInstancesPolicy", "IgnoreNew")
    # A laptop on battery must still post; the KeepAwake part decides about sleep.
    sub(settings, "DisallowStartIfOnBatteries", "false")
    sub(settings, "StopIfGoingOnBatteries", "false")
    sub(settings, "AllowHardTerminate", "true")
    sub(settings, "StartWhenAvailable", "true")  # a missed start runs as soon as possible
    sub(settings, "RunOnlyIfNetworkAvailable", "false")  # the engine retries by itself
    idle = sub(settings, "IdleSettings")
    sub(idle, "StopOnIdleEnd", "false")
    sub(idle, "RestartOnIdle", "false")
    sub(settings, "AllowStartOnDemand", "true")
    sub(settings, "Enabled", "true")
    sub(settings, "Hidden", "false")
    sub(settings, "RunOnlyIfIdle", "false")
    sub(settings, "WakeToRun", "true")  # "Wake the computer to run this task"
    sub(settings, "ExecutionTimeLimit", "PT0S")  # no limit: the service runs for the session
    sub(settings, "Priority", "5")  # normal; Task Scheduler's default 7 is "below normal"
    restart = sub(settings, "RestartOnFailure")
    sub(restart, "Interval", "PT1M")
    sub(restart, "Count", "5")
    actions = sub(task, "Actions")
    actions.set("Context", "Author")
    execute = sub(actions, "Exec")
    sub(execute, "Command", command.executable)
    full = command.with_args(*args)
    sub(execute, "Arguments", quote_windows(full[1:]))
    sub(execute, "WorkingDirectory", str(Path(command.executable).parent))
    ET.indent(task)
    body = ET.tostring(task, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-16"?>\n' + body + "\n"


class _Tasks:
    """schtasks and PowerShell calls shared by the service and the wake timer."""

    def __init__(self, runner: Runner) -> None:
        self.run = runner

    def register(self, name: str, xml: str) -> CommandResult:
        # schtasks reads the file in the encoding its declaration names: UTF-16 with a BOM.
        fd, tmp = tempfile.mkstemp(prefix="tiktok-desktop-task-", suffix=".xml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(xml.encode("utf-16"))
            return self.run(["schtasks", "/Create", "/TN", name, "/XML", tmp, "/F"])
        finally:
            Path(tmp).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self.run(["schtasks", "/Query", "/TN", name]).ok

    def state(self, name: str) -> CommandResult:
        # schtasks prints a translated status ("Wird ausgeführt"); the enum name is not.
        script = f"(Get-ScheduledTask -TaskPath '\\' -TaskName '{name}').State"
        return self.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script])

    def delete(self, name: str) -> CommandResult:
        self.run(["schtasks", "/End", "/TN", name])  # fails when it is not running: fine
        return self.run(["schtasks", "/Delete", "/TN", name, "/F"])


class ScheduledTaskService:
    name = SERVICE_TASK

    def __init__(self, *, runner: Runner = run_command, command: AppCommand | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._command = command or this_app(environ=self._environ)
        self._tasks = _Tasks(runner)

    @property
    def log_file(self) -> Path:
        return service_log_path(self._environ)

    def definition_path(self) -> str:
        return f"Task Scheduler: \\{SERVICE_TASK}"

    def definition(self, run_args: Sequence[str] = ()) -> str:
        if self._command.environment:
            # Task Scheduler has no environment settings: the data folder must be the default
            # one (or set for the whole user account).
            names = ", ".join(sorted(self._command.environment))
            raise ServiceError(f"The background service cannot carry {names} on Windows: set "
                               "it for your user account (System settings → Environment "
                               "variables), then install the service again.")
        return task_xml(self._command, ["run", "--log-file", str(self.log_file), *run_args],
                        user=current_user(self._environ), logon=True,
                        description=f"{APP_DISPLAY_NAME}: publishes scheduled TikTok posts "
                        "in the background. Remove it with 'tiktok-desktop service "
                        "uninstall'.")

    def install(self, run_args: Sequence[str] = ()) -> ServiceStatus:
        xml = self.definition(run_args)
        if self._tasks.exists(SERVICE_TASK):
            self._tasks.run(["schtasks", "/End", "/TN", SERVICE_TASK])
        made = self._tasks.register(SERVICE_TASK, xml)
        if not made.ok:
            raise ServiceError(f"Task Scheduler did not accept the service task: {made.said()}")
        started = self._tasks.run(["schtasks", "/Run", "/TN", SERVICE_TASK])
        if not started.ok:
            raise ServiceError("The service task is installed but did not start: "
                               f"{started.said()}. It starts at your next logon.")
        log.info("background service installed: task %s", SERVICE_TASK)
        return self.status()

    def status(self) -> ServiceStatus:
        lines = tuple(tail_lines(self.log_file))
        activity = last_activity(list(lines))
        if not self._tasks.exists(SERVICE_TASK):
            return ServiceStatus(ServiceState.NOT_INSTALLED)
        asked = self._tasks.state(SERVICE_TASK)
        state = asked.stdout.strip()
        if not asked.ok or not state:
            return ServiceStatus(ServiceState.UNKNOWN,
                                 f"Task Scheduler could not be asked: {asked.said()}", lines,
                                 activity)
        if state == "Running":
            return ServiceStatus(ServiceState.RUNNING, "", lines, activity)
        detail = {"Disabled": "the task is disabled in Task Scheduler",
                  "Ready": "not running; it starts at your next logon"}.get(state, state)
        return ServiceStatus(ServiceState.STOPPED, detail, lines, activity)

    def uninstall(self) -> bool:
        """Removes the service task, the wake-up task (see TaskWakeTimer) and the log."""
        tasks = [t for t in (SERVICE_TASK, WAKE_TASK) if self._tasks.exists(t)]
        if not tasks and not service_log_files(self.log_file):
            return False
        for task in tasks:
            gone = self._tasks.delete(task)
            if not gone.ok:
                raise ServiceError(f"Task Scheduler did not remove the task {task!r}: "
                                   f"{gone.said()}")
        for path in service_log_files(self.log_file):
            path.unlink(missing_ok=True)
        log.info("background service removed")
        return True


class TaskWakeTimer:
    """Wakes the computer for the next due post: a task with a time trigger and WakeToRun.

    Windows lets a user create such a task without administrator rights; it wakes the
    computer only where the power plan allows wake timers (the default on mains power).
    """

    without_admin = True
    settings_text = (
        "Windows can wake the computer for a due post: the app plans a wake-up in Task "
        "Scheduler (no administrator rights needed). It works where the power plan allows "
        "wake timers (Power Options → Sleep → Allow wake timers).")

    def __init__(self, *, runner: Runner = run_command, command: AppCommand | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._command = command or this_app(environ=self._environ)
        self._tasks = _Tasks(runner)
        self._planned: float | None = None
        self._told = False

    def definition(self, epoch: float) -> str:
        return task_xml(self._command, ["run", "--once"], user=current_user(self._environ),
                        logon=False, wake_at=epoch,
                        description=f"{APP_DISPLAY_NAME}: wakes the computer for the next "
                        "scheduled post and publishes it.")

    def set_next_wake(self, epoch: float | None) -> None:
        epoch = None if epoch is None else float(int(epoch))
        if epoch == self._planned:
            return  # called after every tick: only a change touches Task Scheduler
        if epoch is None:
            if self._tasks.exists(WAKE_TASK):
                self._tasks.delete(WAKE_TASK)
            self._planned = None
            return
        made = self._tasks.register(WAKE_TASK, self.definition(epoch))
        if made.ok:
            self._planned = epoch
        elif not self._told:
            self._told = True
            log.info("could not plan a wake-up in Task Scheduler: %s", made.said())
