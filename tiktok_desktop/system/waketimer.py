"""Waking a sleeping computer for the next due post: who can, without admin rights.

Windows can (a Task Scheduler task with "Wake the computer to run", service_windows.py).
macOS (``pmset schedule wake``) and Linux (an RTC wake alarm, /sys/class/rtc/rtc0/wakealarm
or ``rtcwake``) need administrator rights, so the app does not set one there and Settings
offers the background service instead.
"""

from __future__ import annotations

__all__ = ["NoWakeTimer"]

_LINUX = (
    "Waking the computer from sleep at a set time needs administrator rights on Linux (an RTC "
    "wake alarm), so the app does not do it. Install the background service so posts go out "
    "whenever the computer is awake, and keep it awake (or suspend it less) around due posts.")
_MACOS = (
    "Waking the Mac from sleep at a set time needs administrator rights ('pmset schedule "
    "wake'), so the app does not do it. Install the background service so posts go out "
    "whenever the Mac is awake.")


class NoWakeTimer:
    """Where a wake timer needs admin rights: says so, sets nothing."""

    without_admin = False

    def __init__(self, platform: str) -> None:
        self.settings_text = _MACOS if platform == "darwin" else _LINUX

    def set_next_wake(self, epoch: float | None) -> None:
        pass  # nothing a user may set here: see settings_text
