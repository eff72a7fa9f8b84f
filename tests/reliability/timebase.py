"""Accelerated time shared by the campaign process (sandbox, database) and the engine child.

Both processes derive the same clock from the real one: ``epoch + (now - epoch) * scale``.
TikTok's one-minute rate windows, the engine's backoffs, leases and poll budgets, the upload
link lifetimes and the sandbox's processing time all run ``scale`` times faster, and stay
consistent with each other, so a campaign of hundreds of posts takes minutes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

EPOCH_ENV = "TIKTOK_RELIABILITY_EPOCH"
SCALE_ENV = "TIKTOK_RELIABILITY_SCALE"


@dataclass(frozen=True)
class Timebase:
    epoch: float  # the real epoch second at which scaled and real wall time agree
    scale: float  # scaled seconds per real second

    @classmethod
    def starting_now(cls, scale: float) -> Timebase:
        if scale < 1:
            raise ValueError("scale must be at least 1")
        return cls(time.time(), float(scale))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Timebase:
        return cls(float(environ[EPOCH_ENV]), float(environ[SCALE_ENV]))

    def env(self) -> dict[str, str]:
        return {EPOCH_ENV: repr(self.epoch), SCALE_ENV: repr(self.scale)}

    def wall(self) -> float:
        """Scaled epoch seconds (the engine's, the database's and the sandbox's clock)."""
        return self.epoch + (time.time() - self.epoch) * self.scale

    def monotonic(self) -> float:
        # The same rate as wall(): the engine's jump detector compares the two.
        return time.monotonic() * self.scale

    def real(self, scaled_seconds: float) -> float:
        """How long ``scaled_seconds`` of scaled time take in real time."""
        return scaled_seconds / self.scale
