"""What TikTok said about the TikTok app itself (by client key), shared by every process on
this data: so far whether TikTok treats it as unaudited (TIKTOK_API.md 5: an unaudited app may
post only "Only me" videos to private accounts)."""

from __future__ import annotations

from tiktok_desktop.store.backend import Backend

__all__ = ["ClientStatusRepo"]


class ClientStatusRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def unaudited_since(self, client_key: str) -> int | None:
        """When TikTok first said this app is unaudited (None: it never did, or since then a
        post went out that only an audited app can make)."""
        r = self.db.conn().execute(
            "SELECT unaudited_at FROM client_status WHERE client_key = ?", (client_key,)
        ).fetchone()
        return int(r[0]) if r is not None and r[0] is not None else None

    def set_unaudited(self, client_key: str, at: int) -> None:
        """Remember it (the first time counts: a later refusal changes nothing)."""
        now = int(self.db.clock())
        with self.db.transaction() as c:
            c.execute(
                """INSERT INTO client_status (client_key, unaudited_at, updated_at)
                   VALUES (?, ?, ?)
                   ON CONFLICT(client_key) DO UPDATE SET
                       unaudited_at = COALESCE(client_status.unaudited_at,
                                               excluded.unaudited_at),
                       updated_at = excluded.updated_at""",
                (client_key, at, now))

    def clear_unaudited(self, client_key: str) -> bool:
        """TikTok took what only an audited app may post: forget the mark. True if it was set."""
        with self.db.transaction() as c:
            cur = c.execute(
                "UPDATE client_status SET unaudited_at = NULL, updated_at = ? "
                "WHERE client_key = ? AND unaudited_at IS NOT NULL",
                (int(self.db.clock()), client_key))
            return cur.rowcount > 0
