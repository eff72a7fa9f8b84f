"""Caption templates and hashtag sets, kept per account (schema: migrations.V7_SNIPPETS)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tiktok_desktop.store.backend import Backend, Row
from tiktok_desktop.store.db import StoreError

__all__ = ["Snippet", "SnippetKind", "SnippetsRepo"]


class SnippetKind(enum.StrEnum):
    TEMPLATE = "template"  # a caption to start from
    HASHTAGS = "hashtags"  # a set of hashtags added to a caption


@dataclass(frozen=True)
class Snippet:
    id: int
    account_id: int
    kind: SnippetKind
    name: str
    text: str
    created_at: int
    updated_at: int


def _row(r: Row) -> Snippet:
    return Snippet(r["id"], r["account_id"], SnippetKind(r["kind"]), r["name"], r["text"],
                   r["created_at"], r["updated_at"])


class SnippetsRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def for_account(self, account_id: int, kind: SnippetKind | None = None) -> list[Snippet]:
        """The account's snippets by kind, then name (case-insensitive)."""
        sql = "SELECT * FROM caption_snippets WHERE account_id = ?"
        args: list[object] = [account_id]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind.value)
        sql += f" ORDER BY kind, {self.db.dialect.nocase('name')}, id"
        return [_row(r) for r in self.db.conn().execute(sql, args)]

    def get(self, snippet_id: int) -> Snippet | None:
        r = self.db.conn().execute("SELECT * FROM caption_snippets WHERE id = ?",
                                   (snippet_id,)).fetchone()
        return _row(r) if r else None

    def save(self, account_id: int, kind: SnippetKind, name: str, text: str) -> Snippet:
        """Create the snippet, or replace the text of the one with that name."""
        now = int(self.db.clock())
        with self.db.transaction() as c:
            try:
                c.execute(
                    "INSERT INTO caption_snippets (account_id, kind, name, text, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, kind, name) "
                    "DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
                    (account_id, kind.value, name, text, now, now))
            except self.db.dialect.integrity_errors as exc:  # the account went meanwhile
                raise StoreError("That account no longer exists: pick another one.") from exc
            r = c.execute("SELECT * FROM caption_snippets WHERE account_id = ? AND kind = ? "
                          "AND name = ?", (account_id, kind.value, name)).fetchone()
        return _row(r)

    def delete(self, snippet_id: int) -> bool:
        with self.db.transaction() as c:
            cur = c.execute("DELETE FROM caption_snippets WHERE id = ?", (snippet_id,))
        return cur.rowcount > 0
