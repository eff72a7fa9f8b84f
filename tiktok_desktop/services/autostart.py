"""Start at login. Linux: an XDG autostart entry; other systems are not supported yet.

The entry starts the app hidden in the tray (``--hidden``), so due posts go out without the
user opening the window after every login.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from tiktok_desktop.paths import write_private_atomic

__all__ = ["AUTOSTART_NAME", "autostart_path", "is_enabled", "set_enabled", "supported"]

AUTOSTART_NAME = "tiktok-desktop.desktop"


def supported() -> bool:
    return sys.platform.startswith("linux")


def autostart_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "autostart" / AUTOSTART_NAME


def _command() -> str:
    if getattr(sys, "frozen", False):  # the installed bundle
        return shlex.join([sys.executable, "--hidden"])
    return shlex.join([sys.executable, "-m", "tiktok_desktop", "--hidden"])


def is_enabled(environ: dict[str, str] | None = None) -> bool:
    return autostart_path(environ).is_file()


def set_enabled(enabled: bool, environ: dict[str, str] | None = None) -> None:
    path = autostart_path(environ)
    if not enabled:
        path.unlink(missing_ok=True)
        return
    if not supported():
        raise OSError("Start at login is only available on Linux in this version.")
    write_private_atomic(path, "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=TikTok Desktop",
        "Comment=Posts your scheduled TikTok videos on time",
        f"Exec={_command()}",
        "Icon=tiktok-desktop",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "",
    ]))
