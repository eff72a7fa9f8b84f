"""Counts read from TikTok over time (issue 19): per published post and per account.

The engine decides when (domain/stats_plan.py) and writes here; the window, the charts and the
CSV export read. Reads that may cover every post (the dashboard, the heatmap, the export) are
single indexed queries, so 10,000 posts' snapshots stay quick.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tiktok_desktop.store.backend import Backend

__all__ = ["AccountSnapshot", "LivePost", "PostSnapshot", "PublishedPost", "StatsStore"]


@dataclass(frozen=True)
class PostSnapshot:
    """One reading of one TikTok post. Counts None: TikTok no longer showed the post."""

    post_id: int
    tiktok_id: str
    slot: int
    taken_at: int
    view_count: int | None
    like_count: int | None
    comment_count: int | None
    share_count: int | None

    @property
    def gone(self) -> bool:
        return self.view_count is None


@dataclass(frozen=True)
class AccountSnapshot:
    account_id: int
    day: int
    taken_at: int
    follower_count: int
    following_count: int | None
    likes_count: int
    video_count: int | None


@dataclass(frozen=True)
class LivePost:
    """A published post whose plan may still have slots: its TikTok IDs, when it was
    published, and per ID the latest slot taken (absent: none yet) and whether it is gone."""

    post_id: int
    account_id: int
    published_at: int
    tiktok_ids: tuple[str, ...]
    taken: dict[str, int]
    gone: frozenset[str]


@dataclass(frozen=True)
class PublishedPost:
    """A published post and its latest reading (summed over its TikTok IDs)."""

    post_id: int
    account_id: int
    published_at: int
    caption: str
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None


# Column lists are spelled out in each statement (no SQL built from strings at run time).


class StatsStore:
    def __init__(self, db: Backend) -> None:
        self.db = db

    # --- the engine's side ------------------------------------------------------------------

    def live_posts(self, published_since: int) -> list[LivePost]:
        """Posts with TikTok IDs published at or after `published_since` (older ones have
        finished their plan), with what was taken of them."""
        c = self.db.conn()
        rows = c.execute(
            "SELECT id, account_id, published_at, post_ids FROM posts "
            "WHERE post_ids <> '[]' AND published_at >= ? ORDER BY published_at, id",
            (published_since,)).fetchall()
        if not rows:
            return []
        taken: dict[int, dict[str, int]] = {}
        gone: dict[int, set[str]] = {}
        for r in c.execute(
                "SELECT s.post_id, s.tiktok_id, MAX(s.slot), "
                "MAX(CASE WHEN s.view_count IS NULL THEN 1 ELSE 0 END) "
                "FROM post_stats s JOIN posts p ON p.id = s.post_id "
                "WHERE p.post_ids <> '[]' AND p.published_at >= ? "
                "GROUP BY s.post_id, s.tiktok_id", (published_since,)):
            taken.setdefault(r[0], {})[r[1]] = int(r[2])
            if r[3]:
                gone.setdefault(r[0], set()).add(r[1])
        return [
            LivePost(post_id=r["id"], account_id=r["account_id"],
                     published_at=int(r["published_at"]),
                     tiktok_ids=tuple(str(i) for i in json.loads(r["post_ids"])),
                     taken=taken.get(r["id"], {}), gone=frozenset(gone.get(r["id"], ())))
            for r in rows
        ]

    def record_posts(self, snapshots: Iterable[PostSnapshot]) -> int:
        """Store readings in one transaction; a slot already taken keeps its first reading
        (two engines on one database may race for it). Returns how many were new."""
        added = 0
        with self.db.transaction() as c:
            for s in snapshots:
                cur = c.execute(self.db.dialect.insert_or_ignore(
                    "post_stats (post_id, tiktok_id, slot, taken_at, "
                    "view_count, like_count, comment_count, share_count) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                    (s.post_id, s.tiktok_id, s.slot, s.taken_at, s.view_count, s.like_count,
                     s.comment_count, s.share_count))
                added += cur.rowcount
        return added

    def posting_accounts(self) -> set[int]:
        """Accounts with at least one post TikTok gave an ID (published publicly)."""
        return {r[0] for r in self.db.conn().execute(
            "SELECT DISTINCT account_id FROM posts WHERE post_ids <> '[]'")}

    def account_days(self, day: int) -> set[int]:
        """Accounts that already have their snapshot of `day`."""
        return {r[0] for r in self.db.conn().execute(
            "SELECT account_id FROM account_stats WHERE day = ?", (day,))}

    def last_account_snapshot_at(self, account_id: int) -> int | None:
        row = self.db.conn().execute(
            "SELECT MAX(taken_at) FROM account_stats WHERE account_id = ?",
            (account_id,)).fetchone()
        return None if row[0] is None else int(row[0])

    def record_account(self, snapshot: AccountSnapshot) -> bool:
        with self.db.transaction() as c:
            s = snapshot
            cur = c.execute(self.db.dialect.insert_or_ignore(
                "account_stats (account_id, day, taken_at, follower_count, "
                "following_count, likes_count, video_count) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                (s.account_id, s.day, s.taken_at, s.follower_count, s.following_count,
                 s.likes_count, s.video_count))
            return cur.rowcount == 1

    # --- readers ----------------------------------------------------------------------------

    def post_series(self, post_id: int) -> list[PostSnapshot]:
        """A post's readings, oldest first (all its TikTok IDs)."""
        rows = self.db.conn().execute(
            "SELECT post_id, tiktok_id, slot, taken_at, view_count, like_count, comment_count, "
            "share_count FROM post_stats WHERE post_id = ? ORDER BY taken_at, tiktok_id",
            (post_id,)).fetchall()
        return [PostSnapshot(*r) for r in rows]

    def account_series(self, account_id: int) -> list[AccountSnapshot]:
        rows = self.db.conn().execute(
            "SELECT account_id, day, taken_at, follower_count, following_count, likes_count, "
            "video_count FROM account_stats WHERE account_id = ? ORDER BY day",
            (account_id,)).fetchall()
        return [AccountSnapshot(*r) for r in rows]

    def latest(self, post_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """(views, likes) of each post's latest reading, summed over its TikTok IDs; posts
        without a reading (or gone from TikTok) are left out."""
        found: dict[int, tuple[int, int]] = {}
        c = self.db.conn()
        for start in range(0, len(post_ids), 500):  # SQLite's variable limit
            part = list(post_ids[start:start + 500])
            marks = ",".join("?" * len(part))
            for r in c.execute(
                    # only "?" marks are formatted in
                    "SELECT post_id, SUM(view_count), SUM(like_count) FROM post_stats s "  # noqa: S608
                    f"WHERE post_id IN ({marks}) AND slot = (SELECT MAX(slot) FROM post_stats "
                    "WHERE post_id = s.post_id AND tiktok_id = s.tiktok_id) "
                    "AND view_count IS NOT NULL GROUP BY post_id", part):
                found[int(r[0])] = (int(r[1]), int(r[2]))
        return found

    def any_counts(self) -> bool:
        """Some post has a reading with counts (one index probe)."""
        return self.db.conn().execute(
            "SELECT 1 FROM post_stats WHERE view_count IS NOT NULL LIMIT 1").fetchone() is not None

    def published_posts(self, account_id: int | None = None,
                        limit: int | None = None) -> list[PublishedPost]:
        """Published posts with TikTok IDs, newest first, with their latest reading. The posts
        are picked by index first (the newest `limit`), then their readings are summed."""
        where = "post_ids <> '[]' AND published_at IS NOT NULL"
        args: list[object] = []
        if account_id is not None:
            where += " AND account_id = ?"
            args.append(account_id)
        tail = ""
        if limit is not None:
            tail = " LIMIT ?"
            args.append(limit)
        rows = self.db.conn().execute(  # fixed text only is formatted in
            "SELECT p.id, p.account_id, p.published_at, p.caption, "  # noqa: S608
            "SUM(s.view_count), SUM(s.like_count), SUM(s.comment_count), SUM(s.share_count) "
            f"FROM (SELECT id, account_id, published_at, caption FROM posts WHERE {where} "
            f"ORDER BY published_at DESC, id DESC{tail}) p "
            "LEFT JOIN post_stats s ON s.post_id = p.id AND s.slot = ("
            "  SELECT MAX(slot) FROM post_stats "
            "  WHERE post_id = p.id AND tiktok_id = s.tiktok_id) "
            "GROUP BY p.id, p.account_id, p.published_at, p.caption "
            "ORDER BY p.published_at DESC, p.id DESC",
            args).fetchall()
        return [PublishedPost(*r) for r in rows]

    def views_at_slot(self, account_id: int, slot: int) -> list[tuple[int, int]]:
        """(published_at, views) of the account's posts read at `slot` (the heatmap's 24 h)."""
        rows = self.db.conn().execute(
            "SELECT p.published_at, SUM(s.view_count) FROM post_stats s "
            "JOIN posts p ON p.id = s.post_id WHERE p.account_id = ? AND s.slot = ? "
            "AND s.view_count IS NOT NULL GROUP BY p.id", (account_id, slot)).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def all_post_snapshots(self, account_id: int | None = None) -> list[PostSnapshot]:
        """Every reading (the export), by post then time."""
        if account_id is None:
            rows = self.db.conn().execute(
                "SELECT post_id, tiktok_id, slot, taken_at, view_count, like_count, "
                "comment_count, share_count FROM post_stats "
                "ORDER BY post_id, taken_at, tiktok_id")
        else:
            rows = self.db.conn().execute(
                "SELECT s.post_id, s.tiktok_id, s.slot, s.taken_at, s.view_count, "
                "s.like_count, s.comment_count, s.share_count "
                "FROM post_stats s JOIN posts p ON p.id = s.post_id WHERE p.account_id = ? "
                "ORDER BY s.post_id, s.taken_at, s.tiktok_id", (account_id,))
        return [PostSnapshot(*r) for r in rows]

    def all_account_snapshots(self, account_id: int | None = None) -> list[AccountSnapshot]:
        if account_id is None:
            rows = self.db.conn().execute(
                "SELECT account_id, day, taken_at, follower_count, following_count, "
                "likes_count, video_count FROM account_stats ORDER BY account_id, day")
        else:
            rows = self.db.conn().execute(
                "SELECT account_id, day, taken_at, follower_count, following_count, "
                "likes_count, video_count FROM account_stats WHERE account_id = ? "
                "ORDER BY day", (account_id,))
        return [AccountSnapshot(*r) for r in rows]
