"""Copying a whole schedule between two databases (SQLite -> PostgreSQL and back), rows and
ids as they are, inside the caller's transaction on the destination.

Every table that holds the schedule is copied: accounts, posts, their history, queues,
snippets, statistics, TikTok's word on the app and the rate budgets spent. Not copied: what
each side keeps for itself (leases of running engines, counts kept by triggers, search
indexes, the shared schedule's own meta, secrets and videos, which move by their own means).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tiktok_desktop.store.backend import Backend

__all__ = ["SCHEDULE_TABLES", "copy_schedule", "counts_of"]

# In an order that keeps foreign keys satisfied.
SCHEDULE_TABLES = ("accounts", "posts", "post_events", "queue_slots", "caption_snippets",
                   "post_stats", "account_stats", "client_status", "rate_spend")
# What counts_of reports (the tables a person would miss).
COUNTED = ("accounts", "posts", "post_events", "queue_slots", "caption_snippets",
           "post_stats", "account_stats")
_WITH_ID = ("accounts", "posts", "post_events", "queue_slots", "caption_snippets",
            "rate_spend")
_BATCH = 500


def _columns(db: Backend, table: str) -> list[str]:
    """The table's stored columns (generated ones are computed on each side)."""
    c = db.conn()
    if db.dialect.name == "sqlite":
        # table_xinfo's hidden: 0 a column, 1 hidden (virtual tables), 2/3 generated.
        return [r[1] for r in c.execute(f"PRAGMA table_xinfo({table})") if r[6] == 0]
    return [r[0] for r in c.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? AND is_generated = 'NEVER' "
        "ORDER BY ordinal_position", (table,))]


def copy_schedule(src: Backend, dst: Backend) -> dict[str, int]:
    """Copy every schedule table from ``src`` into ``dst`` (whose tables must be empty);
    rows copied per table. Run it inside a transaction on ``dst``."""
    counts: dict[str, int] = {}
    with dst.transaction() as out:
        for table in SCHEDULE_TABLES:
            theirs = set(_columns(dst, table))
            columns = [name for name in _columns(src, table) if name in theirs]
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            rows = src.conn().execute(
                f"SELECT {names} FROM {table} ORDER BY 1").fetchall()  # noqa: S608 - catalog
            insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - catalog
            for start in range(0, len(rows), _BATCH):
                batch: list[Sequence[Any]] = [tuple(r) for r in rows[start:start + _BATCH]]
                out.executemany(insert, batch)
            counts[table] = len(rows)
        if dst.dialect.name != "sqlite":
            # Rows came with their ids: the next new row must not take one of them.
            for table in _WITH_ID:
                out.execute("SELECT setval(pg_get_serial_sequence(?, 'id'), "  # noqa: S608
                            f"GREATEST((SELECT MAX(id) FROM {table}), 1))", (table,))
    return counts


def counts_of(db: Backend) -> dict[str, int]:
    """Rows in each table a schedule is made of."""
    c = db.conn()
    return {table: int(c.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
            for table in COUNTED}
