"""Noticing a resume from sleep without OS help: wall time jumps against monotonic time.

Monotonic time stops while the computer sleeps (on Linux and macOS; Windows' monotonic clock
keeps counting, which is why Windows uses the power notification instead), wall time does not.
A thread compares the two once a ``interval`` and calls ``on_resume`` when they disagree by
more than ``tolerance``. The engine makes the same check at every tick (engine/scheduler.py);
this watcher lets the app react at once (refresh tokens, re-plan, tell the user) rather
than at the engine's next tick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tiktok_desktop.system.clockjump import ClockJumpDetector

__all__ = ["ClockJumpDetector", "ClockSleepWatcher"]  # the detector is the engine's

log = logging.getLogger(__name__)


class ClockSleepWatcher:
    how = "clock watchdog"

    def __init__(self, interval: float = 60.0, tolerance: float = 30.0,
                 wall: Callable[[], float] = time.time,
                 mono: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._detector = ClockJumpDetector(tolerance)
        self._wall = wall
        self._mono = mono
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self, on_resume: Callable[[], None]) -> bool:
        """One comparison (the thread's loop body; tests call it directly)."""
        if self._detector.jumped(self._wall(), self._mono()):
            log.info("the clock jumped (sleep or a clock change): re-planning")
            on_resume()
            return True
        return False

    def start(self, on_resume: Callable[[], None]) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self.check(on_resume)  # the first sample

        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.check(on_resume)
                except Exception:
                    log.exception("re-planning after a clock jump failed")

        self._thread = threading.Thread(target=loop, name="clock-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=10)
