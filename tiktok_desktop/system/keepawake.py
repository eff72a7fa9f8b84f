"""Keep the computer awake while a post is due soon or an upload runs, and only then.

``KeepAwake`` is the policy; an ``Inhibitor`` (inhibit_*.py, one per OS) does the holding.
There is no polling loop: whoever drives the engine calls ``update()`` after each tick and
when an upload starts or finishes, and arms its timer for the time ``update()`` returns.

Rule: held while an upload runs, or while the next due post is at most ``window`` seconds
ahead (10 minutes) or at most ``window`` seconds overdue (it is about to go out). Released
right away otherwise, e.g. as soon as the last upload finishes with nothing due soon.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tiktok_desktop.system.base import Inhibitor

__all__ = ["WINDOW_SECONDS", "KeepAwake", "NoInhibitor"]

log = logging.getLogger(__name__)

WINDOW_SECONDS = 600.0


class NoInhibitor:
    """Where no inhibitor is available: remembers the wish, holds nothing."""

    held = False

    def acquire(self, why: str) -> None:
        pass

    def release(self) -> None:
        pass


class KeepAwake:
    """Decides from callables; thread-safe (the engine's threads may call update())."""

    def __init__(self, inhibitor: Inhibitor, *, next_due: Callable[[], float | None],
                 uploading: Callable[[], bool], clock: Callable[[], float] = time.time,
                 window: float = WINDOW_SECONDS) -> None:
        """``next_due``: epoch of the next post the engine will start (scheduled or retry),
        None when nothing is planned. ``uploading``: whether a post is being worked on now."""
        self.inhibitor = inhibitor
        self._next_due = next_due
        self._uploading = uploading
        self._clock = clock
        self.window = window
        self._lock = threading.Lock()
        self.reason: str | None = None  # why it is held, for the status line and tests

    @property
    def held(self) -> bool:
        return self.inhibitor.held

    def update(self) -> float | None:
        """Take or release the inhibitor now; return when to call again (epoch seconds), or
        None when only an event (an upload finishing, a schedule change) can change it."""
        with self._lock:
            now = self._clock()
            due = self._next_due()
            if self._uploading():
                self._hold("A TikTok post is uploading")
                return None  # the upload finishing calls update() again
            if due is not None and -self.window <= due - now <= self.window:
                self._hold("A TikTok post is due within 10 minutes")
                return due + self.window  # overdue and still not started by then: let go
            self._let_go()
            return None if due is None else self._next_change(due, now)

    def _next_change(self, due: float, now: float) -> float | None:
        start = due - self.window
        return start if start > now else None

    def _hold(self, why: str) -> None:
        if self.reason == why:
            return  # held already (or refused by the OS, which said so once)
        if self.reason is not None:
            self.inhibitor.release()  # taken again with the reason the OS shows
        self.inhibitor.acquire(why)
        self.reason = why
        log.info("keeping the computer awake: %s", why[0].lower() + why[1:])

    def _let_go(self) -> None:
        if self.reason is not None or self.inhibitor.held:
            self.inhibitor.release()
            if self.reason is not None:
                log.info("the computer may sleep again")
            self.reason = None

    def close(self) -> None:
        """Release for good (the app quits)."""
        with self._lock:
            self._let_go()
