"""Shared helpers for tests/tiktok (imported by conftest.py and the test modules)."""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers.clock import FakeClock
from tiktok_desktop.tiktok import TokenSet

START = 1_700_000_000.0
ALL_SCOPES = ("user.info.basic", "user.info.profile", "user.info.stats", "video.list",
              "video.publish", "video.upload")
REDIRECT_URI = "http://127.0.0.1:53817/callback/"


class RecordingSleeper:
    """Records each wait and advances the fake clock by it, like a real sleep would."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


Connect = Callable[..., TokenSet]
