"""Noticing that the wall clock jumped: a suspend and resume, or a clock change.

Monotonic time stops while the computer sleeps (Linux, macOS) and ignores clock changes; wall
time does neither. Comparing how far each moved between two samples shows the jump. The
engine samples at every tick (its watchdog caps a sleep at a minute); system/clockwatch.py
samples on a thread where the OS gives no resume notice.
"""

from __future__ import annotations


class ClockJumpDetector:
    def __init__(self, tolerance: float = 30.0) -> None:
        self.tolerance = tolerance
        self._last: tuple[float, float] | None = None
        self.drift = 0.0  # how far wall time moved against monotonic time at the last jump

    def jumped(self, wall: float, mono: float) -> bool:
        """True when wall time moved more than ``tolerance`` apart from monotonic time since
        the last call."""
        last, self._last = self._last, (wall, mono)
        if last is None:
            return False
        drift = (wall - last[0]) - (mono - last[1])
        if abs(drift) <= self.tolerance:
            return False
        self.drift = drift
        return True
