"""Per-account request budgets that keep the engine under TikTok's per-token rate limits.

TikTok counts requests in a sliding one-minute window per access token (TIKTOK_API.md 5):
6/min for the inits, 20/min for creator_info, 30/min for status/fetch, 600/min for
video/query and user/info. A classic token bucket
that refills continuously would allow a burst plus the refill within one window (up to twice
the limit), so each bucket here returns a spent token exactly one window after it was spent:
never more than ``capacity`` requests in any window.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable

from tiktok_desktop.store.ratelog import RateLog

WINDOW = 60.0


class Budget(enum.StrEnum):
    INIT = "init"
    CREATOR_INFO = "creator_info"
    STATUS = "status"
    # The display API (statistics, issue 19): 600 a minute each (TIKTOK_API.md 5).
    VIDEO_QUERY = "video_query"
    USER_INFO = "user_info"


LIMITS: dict[Budget, int] = {Budget.INIT: 6, Budget.CREATOR_INFO: 20, Budget.STATUS: 30,
                             Budget.VIDEO_QUERY: 600, Budget.USER_INFO: 600}


class TokenBucket:
    """``capacity`` tokens; a spent token comes back ``window`` seconds later."""

    def __init__(self, capacity: int, window: float = WINDOW,
                 clock: Callable[[], float] = time.time) -> None:
        if capacity < 1 or window <= 0:
            raise ValueError("capacity and window must be positive")
        self.capacity = capacity
        self.window = window
        self._clock = clock
        self._spent: deque[float] = deque()
        self._lock = threading.Lock()

    def try_take(self, capacity: int | None = None) -> float:
        """Take a token and return 0.0, or take nothing and return the seconds to wait.
        ``capacity``: take only while fewer than this many are spent (at most the bucket's)."""
        cap = self.capacity if capacity is None else max(1, min(capacity, self.capacity))
        with self._lock:
            now = self._clock()
            while self._spent and self._spent[0] + self.window <= now:
                self._spent.popleft()
            if len(self._spent) < cap:
                self._spent.append(now)
                return 0.0
            return max(self._spent[len(self._spent) - cap] + self.window - now, 0.001)


class RateLimits:
    """One bucket per (account, budget). Thread-safe.

    With a `log` (the database's RateLog) the spent requests are shared with every engine on
    the same data and survive a restart; without one they live in this process only.
    """

    def __init__(self, clock: Callable[[], float] = time.time,
                 limits: dict[Budget, int] | None = None, window: float = WINDOW,
                 log: RateLog | None = None) -> None:
        self._clock = clock
        self._log = log
        self._limits = dict(LIMITS if limits is None else limits)
        self._window = window
        self._buckets: dict[tuple[int, Budget], TokenBucket] = {}
        self._lock = threading.Lock()

    def bucket(self, account_id: int, budget: Budget) -> TokenBucket:
        key = (account_id, budget)
        with self._lock:
            found = self._buckets.get(key)
            if found is None:
                found = TokenBucket(self._limits[budget], self._window, self._clock)
                self._buckets[key] = found
            return found

    def try_take(self, account_id: int, budget: Budget, reserve: int = 0) -> float:
        """0.0 when the request may go now, else the seconds until it may. ``reserve``: that
        many requests of the window are left to callers without one (work that can wait
        leaves room for work that cannot)."""
        capacity = max(1, self._limits[budget] - reserve)
        if self._log is not None:
            return self._log.try_take(account_id, budget.value, capacity, self._window,
                                      self._clock())
        return self.bucket(account_id, budget).try_take(capacity)
