"""Requests spent per account and budget, shared by every engine on this database.

The engine keeps TikTok's per-minute limits with sliding windows; keeping the spent times here
(not in memory) means a restarted engine, or a GUI and a headless engine side by side, see the
same window. The check-and-spend of one account's budget runs one at a time across processes
and machines (SQLite: BEGIN IMMEDIATE; PostgreSQL: a lock on the budget's key).
"""

from __future__ import annotations

from tiktok_desktop.store.backend import Backend

__all__ = ["RateLog"]


class RateLog:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def try_take(self, account_id: int, budget: str, capacity: int, window: float,
                 now: float) -> float:
        """Spend one request and return 0.0, or spend nothing and return the seconds to wait."""
        with self.db.transaction() as c:
            self.db.dialect.serialize(c, f"rate_spend:{account_id}:{budget}")
            c.execute("DELETE FROM rate_spend WHERE account_id = ? AND budget = ? AND at <= ?",
                      (account_id, budget, now - window))
            rows = c.execute(
                "SELECT at FROM rate_spend WHERE account_id = ? AND budget = ? ORDER BY at",
                (account_id, budget)).fetchall()
            if len(rows) < capacity:
                c.execute("INSERT INTO rate_spend (account_id, budget, at) VALUES (?, ?, ?)",
                          (account_id, budget, now))
                return 0.0
            # Full: the oldest request in the window frees a place when it leaves it.
            return max(float(rows[len(rows) - capacity][0]) + window - now, 0.001)

    def record(self, account_id: int, budget: str, at: float) -> None:
        """A request made outside the engine (the window, a command) counts too: TikTok's
        limit is per access token, whoever sends the request."""
        with self.db.transaction() as c:
            c.execute("INSERT INTO rate_spend (account_id, budget, at) VALUES (?, ?, ?)",
                      (account_id, budget, at))
