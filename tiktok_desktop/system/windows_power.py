"""Windows: SetThreadExecutionState to keep the computer awake, and the power notification
(PBT_APMRESUMEAUTOMATIC) to notice a resume from sleep.

Both go through a small API object (``ExecutionState``, ``PowerNotifications``) so the logic
is tested anywhere with fakes; the ctypes versions are used on Windows only.
"""

from __future__ import annotations

import ctypes
import logging
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, cast

__all__ = ["ES_CONTINUOUS", "ES_SYSTEM_REQUIRED", "PBT_APMRESUMEAUTOMATIC", "PBT_APMSUSPEND",
           "ExecutionStateInhibitor", "PowerSleepWatcher"]

log = logging.getLogger(__name__)

ES_CONTINUOUS = 0x80000000
ES_SYSTEM_REQUIRED = 0x00000001
PBT_APMSUSPEND = 0x0004
PBT_APMRESUMEAUTOMATIC = 0x0012  # sent after every resume, with or without user input
DEVICE_NOTIFY_CALLBACK = 2


# --- keep awake ----------------------------------------------------------------------------------

SetState = Callable[[int], int]  # SetThreadExecutionState: returns the previous state, 0 = error


def _kernel32_set_state(flags: int) -> int:
    if sys.platform != "win32":
        raise OSError("SetThreadExecutionState exists only on Windows")
    return int(ctypes.windll.kernel32.SetThreadExecutionState(ctypes.c_uint(flags)))


class ExecutionStateInhibitor:
    """The execution state belongs to the thread that set it and ends with that thread, so a
    small thread of our own holds it: whichever thread calls acquire()/release()."""

    def __init__(self, set_state: SetState = _kernel32_set_state) -> None:
        self._set_state = set_state
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._thread: threading.Thread | None = None
        self._held = False
        self._told = False

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self, why: str) -> None:
        with self._lock:
            if self._thread is not None:
                return
            started = threading.Event()
            self._release = threading.Event()
            self._thread = threading.Thread(target=self._hold, args=(started, self._release),
                                            name="keep-awake", daemon=True)
            self._thread.start()
            started.wait(timeout=5)

    def _hold(self, started: threading.Event, release: threading.Event) -> None:
        try:
            ok = self._set_state(ES_CONTINUOUS | ES_SYSTEM_REQUIRED) != 0
        except OSError as exc:
            ok = False
            if not self._told:
                self._told = True
                log.info("cannot keep the computer awake: %s", exc)
        self._held = ok
        started.set()
        if not ok:
            return
        release.wait()
        self._set_state(ES_CONTINUOUS)
        self._held = False

    def release(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._release.set()
            thread.join(timeout=5)


# --- resume from sleep ---------------------------------------------------------------------------

class PowerNotifications(Protocol):
    def register(self, callback: Callable[[int], None]) -> object:
        """Call ``callback(event_type)`` for each power event; returns a registration."""

    def unregister(self, registration: object) -> None: ...


class _PowrProf:
    """PowerRegisterSuspendResumeNotification (Windows 8+) with a callback: no window needed."""

    def register(self, callback: Callable[[int], None]) -> object:
        if sys.platform != "win32":
            raise OSError("power notifications exist only on Windows")
        from ctypes import wintypes  # noqa: PLC0415 - Windows only

        routine_type = ctypes.WINFUNCTYPE(wintypes.ULONG, ctypes.c_void_p, wintypes.ULONG,
                                          ctypes.c_void_p)

        def routine(_context: Any, event: int, _setting: Any) -> int:
            try:
                callback(int(event))
            except Exception:  # an exception must not cross into Windows' thread
                log.exception("power notification handler failed")
            return 0

        class Params(ctypes.Structure):
            _fields_ = [("Callback", routine_type), ("Context", ctypes.c_void_p)]

        c_routine = routine_type(routine)
        params = Params(c_routine, None)
        handle = ctypes.c_void_p()
        error = ctypes.windll.powrprof.PowerRegisterSuspendResumeNotification(
            DEVICE_NOTIFY_CALLBACK, ctypes.byref(params), ctypes.byref(handle))
        if error:
            raise OSError(error, "PowerRegisterSuspendResumeNotification failed")
        # The callback and its structure must outlive the registration (ctypes frees them).
        return (handle, c_routine, params)

    def unregister(self, registration: object) -> None:
        if sys.platform != "win32":
            return
        handle = cast("tuple[Any, ...]", registration)[0]
        ctypes.windll.powrprof.PowerUnregisterSuspendResumeNotification(handle)


class PowerSleepWatcher:
    how = "Windows power notifications"

    def __init__(self, api: PowerNotifications | None = None, fallback: Any = None) -> None:
        self._api = api or _PowrProf()
        self._fallback = fallback
        self._registration: object | None = None

    def start(self, on_resume: Callable[[], None]) -> None:
        if self._registration is not None:
            return

        def on_event(event: int) -> None:
            if event == PBT_APMSUSPEND:
                log.info("the computer is going to sleep")
            elif event == PBT_APMRESUMEAUTOMATIC:
                log.info("the computer woke up: re-planning")
                on_resume()

        try:
            self._registration = self._api.register(on_event)
        except OSError as exc:
            if self._fallback is None:
                log.info("not watching for sleep: %s", exc)
                return
            log.info("no power notifications (%s): using the %s", exc, self._fallback.how)
            self.how = self._fallback.how
            self._fallback.start(on_resume)

    def stop(self) -> None:
        if self._fallback is not None:
            self._fallback.stop()
        registration, self._registration = self._registration, None
        if registration is not None:
            self._api.unregister(registration)
