"""The interfaces of the OS-specific parts: one per concern, each with a small module per OS.

Nothing here imports Qt. The composition root picks the implementations with
``tiktok_desktop.system.for_this_os()``; tests build them directly with fakes injected
(command runners, registries, D-Bus addresses, clocks).
"""

from __future__ import annotations

import enum
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Autostart",
    "BackgroundService",
    "CommandResult",
    "Inhibitor",
    "Runner",
    "ServiceError",
    "ServiceState",
    "ServiceStatus",
    "SleepWatcher",
    "WakeTimer",
    "run_command",
]


class ServiceError(Exception):
    """Installing, querying or removing the background service failed; the message says what
    happened and what to do, in plain words."""


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def said(self) -> str:
        """What the program said, on one line (for error messages)."""
        return " ".join((self.stderr.strip() or self.stdout.strip()).split())


# run(argv) -> result. Injected so tests replace systemctl, launchctl and schtasks.
Runner = Callable[[Sequence[str]], CommandResult]


def run_command(argv: Sequence[str], timeout: float = 30.0) -> CommandResult:
    """Run a system tool; a missing tool or a hang becomes a failed result, not an exception."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except FileNotFoundError:
        return CommandResult(127, "", f"{argv[0]} is not installed")
    except subprocess.TimeoutExpired:
        return CommandResult(124, "", f"{argv[0]} did not answer within {timeout:.0f} s")
    except OSError as exc:
        return CommandResult(126, "", f"{argv[0]} could not be started: {exc.strerror}")
    return CommandResult(done.returncode, done.stdout, done.stderr)


# --- background service ------------------------------------------------------------------------

class ServiceState(enum.StrEnum):
    NOT_INSTALLED = "not installed"
    RUNNING = "running"
    STOPPED = "stopped"  # installed, not running now (failed, or starts at the next login)
    UNKNOWN = "unknown"  # installed, but the service manager could not be asked


@dataclass(frozen=True)
class ServiceStatus:
    state: ServiceState
    detail: str = ""  # one plain sentence from the service manager (why stopped, pid...)
    last_lines: tuple[str, ...] = ()  # the newest lines of the service's log, oldest first
    last_activity: str | None = None  # the newest engine line ("post 12: published"), if any
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. lingering advice on Linux

    @property
    def installed(self) -> bool:
        return self.state is not ServiceState.NOT_INSTALLED

    @property
    def running(self) -> bool:
        return self.state is ServiceState.RUNNING

    def summary(self) -> str:
        """One line for the window's status bar / Settings, e.g.
        "Background service: running. Last: post 12: published (2024-05-01 09:00:03)"."""
        head = f"Background service: {self.state.value}"
        if self.detail and self.state is not ServiceState.RUNNING:
            head += f" ({self.detail})"
        if self.last_activity:
            return f"{head}. Last: {self.last_activity}"
        return head + "."


class BackgroundService(Protocol):
    """The OS service that runs ``tiktok-desktop run`` on the same data as the window."""

    name: str  # what the OS calls it (unit name, launchd label, task name)

    def install(self, run_args: Sequence[str] = ()) -> ServiceStatus:
        """Write the definition, enable it to start with the session, start it now.

        ``run_args`` are extra arguments for ``tiktok-desktop run`` (e.g. ``--sandbox``).
        Installing again replaces the definition and restarts it. Raises ServiceError.
        """

    def status(self) -> ServiceStatus:
        """Installed? running? and what it last did (its log). Never raises."""

    def uninstall(self) -> bool:
        """Stop it, remove every file it wrote (definition, log); False if nothing was there.
        Raises ServiceError when the service manager refuses to stop it."""

    def definition_path(self) -> str:
        """Where the definition lives (unit file, plist, task name), for messages."""


# --- start at login ----------------------------------------------------------------------------

class Autostart(Protocol):
    """Start the app (hidden in the tray) when the user logs in."""

    def supported(self) -> bool: ...

    def is_enabled(self) -> bool: ...

    def set_enabled(self, enabled: bool) -> None:
        """Raises OSError with a plain message when it cannot be changed."""


# --- keep awake --------------------------------------------------------------------------------

class Inhibitor(Protocol):
    """An OS sleep inhibitor. Both calls are idempotent and never raise: when the OS refuses,
    ``held`` stays False and the reason is logged once (at INFO)."""

    @property
    def held(self) -> bool: ...

    def acquire(self, why: str) -> None: ...

    def release(self) -> None: ...


# --- resume from sleep -------------------------------------------------------------------------

class SleepWatcher(Protocol):
    """Calls ``on_resume`` (from its own thread) soon after the computer wakes from sleep."""

    @property
    def how(self) -> str:
        """What it listens to, for the log ("logind PrepareForSleep", "clock watchdog")."""

    def start(self, on_resume: Callable[[], None]) -> None: ...

    def stop(self) -> None:
        """Stop listening; returns when its thread has ended. Idempotent."""


# --- wake timers -------------------------------------------------------------------------------

class WakeTimer(Protocol):
    """Waking a sleeping computer for the next due post, where the OS allows it without admin
    rights; elsewhere ``without_admin`` is False and ``settings_text`` says so."""

    @property
    def without_admin(self) -> bool: ...

    @property
    def settings_text(self) -> str:
        """The sentence Settings shows next to the background-service toggle."""

    def set_next_wake(self, epoch: float | None) -> None:
        """Wake the computer at ``epoch`` (None: no wake planned). Never raises; a refusal is
        logged. A no-op where ``without_admin`` is False."""
