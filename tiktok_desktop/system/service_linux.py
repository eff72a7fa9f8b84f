"""Linux: the background service as a systemd user unit (``systemctl --user``).

The unit lives in ``$XDG_CONFIG_HOME/systemd/user/tiktok-desktop.service`` and is enabled for
``default.target``: the user's service manager starts it when the user logs in (in any
session, with or without the window) and stops it at the last logout. With *lingering*
(``loginctl enable-linger``) the manager starts at boot and keeps running while the user is
logged out, so the service posts then too; see LINGER_EXPLAINED.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from tiktok_desktop import APP_DISPLAY_NAME, APP_NAME
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

__all__ = ["LINGER_EXPLAINED", "UNIT_NAME", "SystemdUserService", "systemd_quote", "unit_text"]

log = logging.getLogger(__name__)

UNIT_NAME = f"{APP_NAME}.service"
LINGER_DIR = Path("/var/lib/systemd/linger")

LINGER_EXPLAINED = (
    "The service runs while you are logged in, with or without the window. To post while you "
    "are logged out too, turn on lingering: run 'loginctl enable-linger' (no administrator "
    "rights are needed for your own user on most systems). Lingering starts your user's "
    "services at boot and keeps them running after you log out; 'loginctl disable-linger' "
    "turns it off. Note: while you are logged out your desktop keyring is usually locked, and "
    "posts need the sign-ins kept there."
)

# Characters that need no quoting in a systemd command line (systemd.service "COMMAND LINES").
_PLAIN = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")


def systemd_quote(arg: str) -> str:
    """One argument of ExecStart=: quoted if needed, with % and $ escaped (systemd would read
    them as specifiers and variables)."""
    if "\n" in arg or "\r" in arg or "\0" in arg:
        raise ServiceError(f"Cannot put a line break into a systemd unit: {arg!r}")
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if arg and _PLAIN.match(arg):
        return escaped
    escaped = escaped.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _environment_line(key: str, value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ServiceError(f"Cannot put a line break into a systemd unit: {key}")
    quoted = value.replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return f'Environment="{key}={quoted}"'


def unit_text(command: AppCommand, run_args: Sequence[str], log_file: Path) -> str:
    """The unit file for ``command run --log-file LOG run_args...``."""
    argv = command.with_args("run", "--log-file", str(log_file), *run_args)
    exec_start = " ".join(systemd_quote(a) for a in argv)
    lines = [
        "# Written by TikTok Desktop (Settings, or 'tiktok-desktop service install');",
        "# 'tiktok-desktop service uninstall' removes it.",
        "[Unit]",
        f"Description={APP_DISPLAY_NAME}: publishes scheduled TikTok posts in the background",
        # A removed app (apt remove, a deleted venv) leaves the unit inert, not failing.
        # Conditions take the path verbatim (no quotes), specifiers expanded.
        f"ConditionFileIsExecutable={command.executable.replace('%', '%%')}",
        # At most 5 failed starts in 10 minutes, then it stays failed (status shows it).
        "StartLimitIntervalSec=600",
        "StartLimitBurst=5",
        "",
        "[Service]",
        "Type=exec",
        f"ExecStart={exec_start}",
        *(_environment_line(k, v) for k, v in sorted(command.environment.items())),
        # SIGTERM stops the engine cleanly: an upload stops at the next block and resumes
        # at the next start.
        "KillSignal=SIGTERM",
        "TimeoutStopSec=60",
        "Restart=on-failure",
        "RestartSec=30",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


class SystemdUserService:
    """install/status/uninstall of the systemd user unit. ``environ`` decides the config
    folder (XDG_CONFIG_HOME/HOME) and the app's data folder; ``runner`` runs systemctl."""

    name = UNIT_NAME

    def __init__(self, *, runner: Runner = run_command, command: AppCommand | None = None,
                 environ: Mapping[str, str] | None = None, user: str | None = None) -> None:
        self._run = runner
        self._environ = dict(os.environ if environ is None else environ)
        self._command = command or this_app(environ=self._environ)
        self._user = user

    # -- paths ---------------------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        env = self._environ
        base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or "~").expanduser()
                                                 / ".config")
        return Path(base) / "systemd" / "user"

    @property
    def unit_path(self) -> Path:
        return self.config_dir / UNIT_NAME

    @property
    def wants_link(self) -> Path:
        return self.config_dir / "default.target.wants" / UNIT_NAME

    @property
    def log_file(self) -> Path:
        return service_log_path(self._environ)

    def definition_path(self) -> str:
        return str(self.unit_path)

    # -- actions -------------------------------------------------------------------------------

    def _systemctl(self, *args: str) -> CommandResult:
        return self._run(["systemctl", "--user", *args])

    def install(self, run_args: Sequence[str] = ()) -> ServiceStatus:
        text = unit_text(self._command, run_args, self.log_file)
        existed = self.unit_path.exists()
        write_private_atomic(self.unit_path, text)
        for step in (("daemon-reload",), ("enable", UNIT_NAME), ("restart", UNIT_NAME)):
            done = self._systemctl(*step)
            if not done.ok:
                if not existed:  # leave nothing half-installed behind
                    self._systemctl("disable", UNIT_NAME)
                    self._remove_files()
                    self._systemctl("daemon-reload")
                raise ServiceError(
                    f"systemd did not accept the service ('systemctl --user {' '.join(step)}' "
                    f"said: {done.said() or f'exit code {done.returncode}'}). The background "
                    "service needs a systemd user session: log in to a desktop or over SSH "
                    "with systemd's PAM module, then try again.")
        log.info("background service installed: %s", self.unit_path)
        return self.status()

    def status(self) -> ServiceStatus:
        lines = tuple(tail_lines(self.log_file))
        activity = last_activity(list(lines))
        if not self.unit_path.exists():
            return ServiceStatus(ServiceState.NOT_INSTALLED)
        notes = () if self.lingering() else (LINGER_EXPLAINED,)
        shown = self._systemctl("show", UNIT_NAME, "--property=ActiveState,SubState,MainPID,"
                                "Result,UnitFileState")
        if not shown.ok:
            return ServiceStatus(ServiceState.UNKNOWN,
                                 f"systemctl --user could not be asked: {shown.said()}",
                                 lines, activity, notes)
        props = dict(line.split("=", 1) for line in shown.stdout.splitlines() if "=" in line)
        active, sub = props.get("ActiveState", ""), props.get("SubState", "")
        if active in ("active", "reloading"):
            pid = props.get("MainPID", "0")
            return ServiceStatus(ServiceState.RUNNING, f"pid {pid}" if pid != "0" else "",
                                 lines, activity, notes)
        if active == "activating" and sub == "auto-restart":
            detail = "it stopped with an error and restarts in a moment"
        elif active == "activating":
            detail = "starting"
        elif active == "failed":
            detail = f"it failed ({props.get('Result', 'error')}); the log below says why"
        elif props.get("UnitFileState") != "enabled":
            detail = "not enabled: install it again"
        else:
            detail = "not running; it starts at your next login"
        return ServiceStatus(ServiceState.STOPPED, detail, lines, activity, notes)

    def uninstall(self) -> bool:
        present = (self.unit_path.exists() or self.wants_link.is_symlink()
                   or bool(service_log_files(self.log_file)))
        if not present:
            return False
        if self.unit_path.exists() or self.wants_link.is_symlink():
            stopped = self._systemctl("disable", "--now", UNIT_NAME)
            if not stopped.ok and self._reachable():
                raise ServiceError(
                    f"systemd did not stop the service: {stopped.said()}. Stop it with "
                    f"'systemctl --user stop {UNIT_NAME}' and try again.")
        self._remove_files()
        self._systemctl("daemon-reload")
        self._systemctl("reset-failed", UNIT_NAME)  # forget its last result too
        log.info("background service removed")
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _reachable(self) -> bool:
        return self._systemctl("show-environment").ok

    def _remove_files(self) -> None:
        self.wants_link.unlink(missing_ok=True)
        self.unit_path.unlink(missing_ok=True)
        for path in service_log_files(self.log_file):
            path.unlink(missing_ok=True)
        # Folders that only held our files (systemd/user/default.target.wants...).
        for folder in (self.wants_link.parent, self.config_dir, self.config_dir.parent):
            if not folder.is_dir():
                continue
            try:
                folder.rmdir()
            except OSError:
                break  # not empty: the user's own units live there

    def lingering(self) -> bool:
        user = self._user or self._environ.get("USER") or _login_name()
        return bool(user) and (LINGER_DIR / user).exists()


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
