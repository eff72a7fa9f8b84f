"""The headless driver: tick, then wait until the next wake-up (or an early wake)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the Runtime's event_wait is wanted long before any engine
    from tiktok_desktop.engine.scheduler import Engine

log = logging.getLogger(__name__)

# wait(wake_event, seconds): return when the event is set or the time is up.
Waiter = Callable[[threading.Event, float], object]


def event_wait(event: threading.Event, seconds: float) -> object:
    return event.wait(seconds)


class HeadlessRunner:
    """Drives an Engine without Qt. ``wait`` is injectable so tests control time."""

    def __init__(self, engine: Engine, wait: Waiter = event_wait) -> None:
        self.engine = engine
        self._wait = wait
        self._wake = threading.Event()
        self._stopping = threading.Event()

    def request_stop(self) -> None:
        """From a signal handler or another thread: finish the current wait and return."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        """Tick and wait until request_stop(); the engine's own jobs keep running meanwhile."""
        self.engine.set_wake_callback(self._wake.set)
        told: float | bool | None = False
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                next_wake = self.engine.tick()
                if not self.engine.busy and next_wake != told:
                    told = next_wake
                    log.info("idle; %s", "nothing planned" if next_wake is None else
                             "next wake-up at " + time.strftime(
                                 "%Y-%m-%d %H:%M:%S", time.localtime(next_wake)))
                seconds = self.engine.sleep_seconds(next_wake)
                log.debug("engine sleeps %.1f s", seconds)
                self._wait(self._wake, seconds)
        finally:
            self.engine.set_wake_callback(None)
