"""Start at login, hidden in the tray (``--hidden``), so due posts go out without the user
opening the window after every login.

- Linux: an XDG autostart entry (``~/.config/autostart/tiktok-desktop.desktop``);
- Windows: a per-user Run entry (``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``);
- macOS: a LaunchAgent plist with RunAtLoad (``~/Library/LaunchAgents``), loaded by launchd at
  the next login.

The module functions (``supported``, ``is_enabled``, ``set_enabled``) act on this OS's kind;
the classes take their environment and registry as arguments, for tests.
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.paths import write_private_atomic
from tiktok_desktop.system.base import Autostart
from tiktok_desktop.system.command import AppCommand, quote_windows, this_app
from tiktok_desktop.system.service_macos import BUNDLE_ID, launch_agents_dir

__all__ = [
    "AUTOSTART_LABEL",
    "AUTOSTART_NAME",
    "RUN_KEY",
    "RUN_VALUE",
    "MacLoginAgent",
    "RunKey",
    "WindowsRunEntry",
    "XdgAutostart",
    "autostart_path",
    "for_platform",
    "is_enabled",
    "set_enabled",
    "supported",
]

AUTOSTART_NAME = "tiktok-desktop.desktop"
AUTOSTART_LABEL = f"{BUNDLE_ID}.login"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = APP_DISPLAY_NAME


# --- Linux ---------------------------------------------------------------------------------------

def autostart_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "autostart" / AUTOSTART_NAME


class _LoginFile:
    """A file in the user's own folders that starts the app at login (XDG, LaunchAgent)."""

    def __init__(self, environ: Mapping[str, str] | None = None,
                 command: AppCommand | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._command = command or this_app(environ=self._environ)


class XdgAutostart(_LoginFile):

    @property
    def path(self) -> Path:
        return autostart_path(self._environ)

    def supported(self) -> bool:
        return True

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def set_enabled(self, enabled: bool) -> None:
        if not enabled:
            self.path.unlink(missing_ok=True)
            return
        argv = self._command.with_args("--hidden")
        if self._command.environment:  # a desktop entry's Exec has no environment field
            argv = ("env", *(f"{k}={v}" for k, v in sorted(self._command.environment.items())),
                    *argv)
        # Exec= quoting: the desktop entry spec's reserved characters need double quotes,
        # which shlex provides as single quotes; % must be doubled.
        exec_line = " ".join(_desktop_quote(a) for a in argv)
        write_private_atomic(self.path, "\n".join([
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_DISPLAY_NAME}",
            "Comment=Posts your scheduled TikTok videos on time",
            f"Exec={exec_line}",
            "Icon=tiktok-desktop",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]))


def _desktop_quote(arg: str) -> str:
    """An Exec= argument (Desktop Entry Specification, "The Exec key")."""
    if arg and all(c.isalnum() or c in "-_./=:+,@" for c in arg):
        return arg.replace("%", "%%")
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    escaped = escaped.replace("$", "\\$").replace("%", "%%")
    # The spec's string escaping doubles backslashes once more in the file.
    return '"' + escaped.replace("\\", "\\\\") + '"'


# --- Windows -------------------------------------------------------------------------------------

class RunKey(Protocol):
    """The few registry calls on HKCU\\...\\Run that start at login needs."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class WinregRunKey:
    """The real registry (``winreg``, Windows only)."""

    def get(self, name: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg  # noqa: PLC0415 - Windows only

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, value: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg  # noqa: PLC0415

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

    def delete(self, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("The Windows registry exists only on Windows.")
        import winreg  # noqa: PLC0415

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0,
                                winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


class WindowsRunEntry:
    def __init__(self, registry: RunKey | None = None, command: AppCommand | None = None,
                 environ: Mapping[str, str] | None = None) -> None:
        self._registry = registry or WinregRunKey()
        self._command = command or this_app(environ=environ, platform="win32")

    def supported(self) -> bool:
        return True

    def command_line(self) -> str:
        if self._command.environment:
            names = ", ".join(sorted(self._command.environment))
            raise OSError(f"Start at login cannot carry {names} on Windows: set it for your "
                          "user account instead.")
        return quote_windows(self._command.with_args("--hidden"))

    def is_enabled(self) -> bool:
        return self._registry.get(RUN_VALUE) is not None

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            self._registry.set(RUN_VALUE, self.command_line())
        else:
            self._registry.delete(RUN_VALUE)


# --- macOS ---------------------------------------------------------------------------------------

class MacLoginAgent(_LoginFile):
    """A LaunchAgent that starts the app once at login (no KeepAlive: quitting it stays quit)."""

    @property
    def path(self) -> Path:
        return launch_agents_dir(self._environ) / f"{AUTOSTART_LABEL}.plist"

    def job(self) -> dict[str, object]:
        job: dict[str, object] = {
            "Label": AUTOSTART_LABEL,
            "ProgramArguments": list(self._command.with_args("--hidden")),
            "RunAtLoad": True,
            "LimitLoadToSessionType": "Aqua",
            "ProcessType": "Interactive",
        }
        if self._command.environment:
            job["EnvironmentVariables"] = dict(self._command.environment)
        return job

    def supported(self) -> bool:
        return True

    def is_enabled(self) -> bool:
        return self.path.is_file()

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            write_private_atomic(self.path, plistlib.dumps(self.job()))
        else:
            # Not 'launchctl bootout': that would quit the running app started by it.
            self.path.unlink(missing_ok=True)


# --- this OS -------------------------------------------------------------------------------------

def for_platform(platform: str | None = None,
                 environ: Mapping[str, str] | None = None) -> Autostart:
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return WindowsRunEntry(environ=environ)
    if platform == "darwin":
        return MacLoginAgent(environ)
    return XdgAutostart(environ)


def supported() -> bool:
    return sys.platform.startswith("linux") or sys.platform in ("win32", "darwin")


def is_enabled(environ: Mapping[str, str] | None = None) -> bool:
    return for_platform(environ=environ).is_enabled()


def set_enabled(enabled: bool, environ: Mapping[str, str] | None = None) -> None:
    for_platform(environ=environ).set_enabled(enabled)

