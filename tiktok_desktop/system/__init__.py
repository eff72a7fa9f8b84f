"""The OS integration: background service, start at login, keeping awake, resume from sleep
and wake timers. One interface per concern (base.py), one small module per OS behind it, and
``for_this_os()`` for the composition root. No Qt here.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass

from tiktok_desktop.system.base import (
    Autostart,
    BackgroundService,
    Inhibitor,
    ServiceError,
    ServiceState,
    ServiceStatus,
    SleepWatcher,
    WakeTimer,
)
from tiktok_desktop.system.keepawake import KeepAwake, NoInhibitor

__all__ = [
    "Autostart",
    "BackgroundService",
    "Inhibitor",
    "KeepAwake",
    "NoInhibitor",
    "ServiceError",
    "ServiceState",
    "ServiceStatus",
    "SleepWatcher",
    "SystemParts",
    "WakeTimer",
    "for_this_os",
]


@dataclass(frozen=True)
class SystemParts:
    """This OS's implementations, built once by the composition root."""

    service: BackgroundService
    autostart: Autostart
    inhibitor: Inhibitor  # wrap in KeepAwake(inhibitor, next_due=..., uploading=...)
    sleep_watcher: SleepWatcher
    wake_timer: WakeTimer


def for_this_os(platform: str | None = None,
                environ: Mapping[str, str] | None = None) -> SystemParts:
    """The parts for ``platform`` (default: this one). Imports only that OS's modules."""
    platform = sys.platform if platform is None else platform
    from tiktok_desktop.system import autostart  # noqa: PLC0415
    from tiktok_desktop.system.clockwatch import ClockSleepWatcher  # noqa: PLC0415

    if platform == "win32":
        from tiktok_desktop.system.service_windows import (  # noqa: PLC0415
            ScheduledTaskService,
            TaskWakeTimer,
        )
        from tiktok_desktop.system.windows_power import (  # noqa: PLC0415
            ExecutionStateInhibitor,
            PowerSleepWatcher,
        )

        return SystemParts(ScheduledTaskService(environ=environ),
                           autostart.for_platform(platform, environ),
                           ExecutionStateInhibitor(),
                           PowerSleepWatcher(fallback=ClockSleepWatcher()),
                           TaskWakeTimer(environ=environ))
    from tiktok_desktop.system.waketimer import NoWakeTimer  # noqa: PLC0415

    if platform == "darwin":
        from tiktok_desktop.system.caffeinate import CaffeinateInhibitor  # noqa: PLC0415
        from tiktok_desktop.system.service_macos import LaunchdAgentService  # noqa: PLC0415

        return SystemParts(LaunchdAgentService(environ=environ),
                           autostart.for_platform(platform, environ),
                           CaffeinateInhibitor(), ClockSleepWatcher(), NoWakeTimer(platform))
    from tiktok_desktop.system.logind import (  # noqa: PLC0415
        LogindInhibitor,
        LogindSleepWatcher,
    )
    from tiktok_desktop.system.service_linux import SystemdUserService  # noqa: PLC0415

    return SystemParts(SystemdUserService(environ=environ),
                       autostart.for_platform(platform, environ),
                       LogindInhibitor(), LogindSleepWatcher(fallback=ClockSleepWatcher()),
                       NoWakeTimer(platform))
