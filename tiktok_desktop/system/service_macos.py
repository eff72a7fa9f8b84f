"""macOS: the background service as a launchd agent (``~/Library/LaunchAgents``).

launchd loads the agent at every login and keeps it running (restarted after a crash, not
after a clean stop). It runs in the user's GUI session, so the login keychain is open to it.
"""

from __future__ import annotations

import logging
import os
import plistlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tiktok_desktop import APP_ID
from tiktok_desktop.paths import write_private_atomic
from tiktok_desktop.system.base import (
    CommandResult,
    Runner,
    ServiceError,
    ServiceState,
    ServiceStatus,
    run_command,
)
from tiktok_desktop.system.command import AppCommand, this_app
from tiktok_desktop.system.service_log import (
    last_activity,
    service_log_files,
    service_log_path,
    tail_lines,
)

__all__ = ["SERVICE_LABEL", "LaunchdAgentService", "agent_plist", "launch_agents_dir"]

log = logging.getLogger(__name__)

# Apple's identifiers allow letters, digits, '-' and '.' (the bundle id uses '-' for '_').
BUNDLE_ID = APP_ID.replace("_", "-")
SERVICE_LABEL = f"{BUNDLE_ID}.service"
ERRORS_LOG_NAME = "service-errors.log"


def launch_agents_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or "~").expanduser() / "Library" / "LaunchAgents"


def agent_plist(command: AppCommand, run_args: Sequence[str], log_file: Path) -> dict[str, Any]:
    """The launchd job for ``command run --log-file LOG run_args...``."""
    job: dict[str, Any] = {
        "Label": SERVICE_LABEL,
        "ProgramArguments": list(command.with_args("run", "--log-file", str(log_file),
                                                   *run_args)),
        "RunAtLoad": True,
        # Restart after a crash, not after a clean stop (SIGTERM from launchctl bootout).
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 30,
        # Standard, not Background: a post is due at a time, it must not be throttled.
        "ProcessType": "Standard",
        "LimitLoadToSessionType": "Aqua",
        # Anything printed before logging is set up (an import error) lands here.
        "StandardErrorPath": str(log_file.with_name(ERRORS_LOG_NAME)),
        "StandardOutPath": "/dev/null",
    }
    if command.environment:
        job["EnvironmentVariables"] = dict(command.environment)
    return job


class LaunchdAgentService:
    name = SERVICE_LABEL

    def __init__(self, *, runner: Runner = run_command, command: AppCommand | None = None,
                 environ: Mapping[str, str] | None = None, uid: int | None = None) -> None:
        self._run = runner
        self._environ = dict(os.environ if environ is None else environ)
        self._command = command or this_app(environ=self._environ)
        getuid = getattr(os, "getuid", None)
        self._uid = uid if uid is not None else (getuid() if getuid else 0)

    @property
    def plist_path(self) -> Path:
        return launch_agents_dir(self._environ) / f"{SERVICE_LABEL}.plist"

    @property
    def log_file(self) -> Path:
        return service_log_path(self._environ)

    @property
    def _domain(self) -> str:
        return f"gui/{self._uid}"

    @property
    def _target(self) -> str:
        return f"{self._domain}/{SERVICE_LABEL}"

    def definition_path(self) -> str:
        return str(self.plist_path)

    def _launchctl(self, *args: str) -> CommandResult:
        return self._run(["launchctl", *args])

    def install(self, run_args: Sequence[str] = ()) -> ServiceStatus:
        job = agent_plist(self._command, run_args, self.log_file)
        existed = self.plist_path.exists()
        self._launchctl("bootout", self._target)  # a loaded older version; fails if none
        write_private_atomic(self.plist_path, plistlib.dumps(job))
        loaded = self._launchctl("bootstrap", self._domain, str(self.plist_path))
        if not loaded.ok:
            if not existed:
                self.plist_path.unlink(missing_ok=True)
            raise ServiceError(
                f"launchd did not load the service ('launchctl bootstrap' said: "
                f"{loaded.said() or f'exit code {loaded.returncode}'}). Log in to the Mac's "
                "desktop (not only over SSH) and try again.")
        # No 'launchctl enable': it writes to launchd's own override database, which an
        # uninstall could not clean up ("leaves nothing behind").
        log.info("background service installed: %s", self.plist_path)
        return self.status()

    def status(self) -> ServiceStatus:
        lines = tuple(tail_lines(self.log_file))
        activity = last_activity(list(lines))
        if not self.plist_path.exists():
            return ServiceStatus(ServiceState.NOT_INSTALLED)
        shown = self._launchctl("print", self._target)
        if not shown.ok:
            return ServiceStatus(ServiceState.STOPPED,
                                 "not loaded; it starts at your next login", lines, activity)
        props: dict[str, str] = {}
        for raw in shown.stdout.splitlines():
            key, sep, value = raw.strip().partition(" = ")
            if sep and key not in props:  # the job's own keys come before nested ones
                props[key] = value.strip()
        if props.get("state") == "running":
            pid = props.get("pid", "")
            return ServiceStatus(ServiceState.RUNNING, f"pid {pid}" if pid else "", lines,
                                 activity)
        code = props.get("last exit code", "")
        detail = ("not running" + (f" (last exit code {code}); the log below says why"
                                   if code and code not in ("0", "(never exited)") else ""))
        return ServiceStatus(ServiceState.STOPPED, detail, lines, activity)

    def uninstall(self) -> bool:
        errors_log = self.log_file.with_name(ERRORS_LOG_NAME)
        present = (self.plist_path.exists() or errors_log.exists()
                   or bool(service_log_files(self.log_file)))
        if not present:
            return False
        if self.plist_path.exists():
            # Fails when it is not loaded, which is what we want anyway.
            self._launchctl("bootout", self._target)
        if self._launchctl("print", self._target).ok:
            raise ServiceError("launchd did not stop the service. Stop it with 'launchctl "
                               f"bootout {self._target}' and try again.")
        self.plist_path.unlink(missing_ok=True)
        errors_log.unlink(missing_ok=True)
        for path in service_log_files(self.log_file):
            path.unlink(missing_ok=True)
        log.info("background service removed")
        return True
