"""Sleeping inside engine jobs: interruptible, so stopping the engine never waits out a poll."""

from __future__ import annotations

import threading
from collections.abc import Callable

Sleeper = Callable[[float], None]


class EngineStopping(Exception):
    """The engine is shutting down: leave the post where it is (it resumes on the next start)."""


class StopAwareSleeper:
    """``sleeper(seconds)`` that returns early and raises EngineStopping once ``stop`` is set."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def __call__(self, seconds: float) -> None:
        if self.stop.wait(max(0.0, seconds)):
            raise EngineStopping()
