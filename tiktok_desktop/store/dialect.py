"""The SQL that differs between SQLite and PostgreSQL, in one place.

The repositories write SQLite's SQL (``?`` marks: postgres.py turns them into psycopg's) and
ask their database's dialect for the few words that differ: index hints, row locks for a
read-then-write, case-insensitive order, substring tests, "insert unless there" and new ids.

SQLite runs one writer at a time (BEGIN IMMEDIATE), so a transaction may read a row and then
write it. PostgreSQL runs writers side by side: a transaction that reads rows it then writes
locks them (``for_update``), or serialises on a key (``serialize``), so it means the same.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from tiktok_desktop.store import pg_schema, search_index
from tiktok_desktop.store.backend import Conn

__all__ = ["SQLITE", "Dialect", "PostgresDialect"]

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Dialect:
    """SQLite's words (the default backend)."""

    name = "sqlite"
    # Appended to a SELECT in a transaction that writes the rows it reads.
    for_update = ""
    # Appended to the SELECT of a claim: rows another claimer holds are passed over.
    skip_locked = ""
    # The LIMIT that means "no limit".
    no_limit: int | None = -1
    # What a broken constraint (foreign key, CHECK, UNIQUE, append-only history) raises.
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def one_of(self, expr: str, count: int, *, negate: bool = False) -> str:
        """``expr [NOT] IN`` ``count`` bound values (SQLite takes an empty list too)."""
        return f"{expr} {'NOT ' if negate else ''}IN ({','.join('?' * count)})"

    def index(self, name: str) -> str:
        """Walk this index (appended to ``FROM posts``)."""
        return f" INDEXED BY {name}"

    def plain(self, column: str) -> str:
        """The column tested on the rows another index gives, never used to pick one."""
        return f"+{column}"

    def contains(self, column: str) -> str:
        """The column contains the (one) bound text."""
        return f"instr({column}, ?) > 0"

    def nocase(self, expr: str) -> str:
        """An ORDER BY term: ASCII letters folded, anything else by code point."""
        return f"{expr} COLLATE NOCASE"

    def insert_or_ignore(self, rest: str) -> str:
        """``INSERT INTO {rest}`` that skips a row already there."""
        return f"INSERT OR IGNORE INTO {rest}"

    def insert_id(self, c: Conn, sql: str, args: Sequence[Any]) -> int:
        """Run an INSERT of one row into a table with an ``id`` key; the new row's id."""
        return int(cast(sqlite3.Cursor, c.execute(sql, args)).lastrowid or 0)

    def serialize(self, c: Conn, key: str) -> None:
        """Until the transaction ends, no other transaction that names ``key`` runs."""
        # BEGIN IMMEDIATE already holds the file's one write lock.

    def search_in_step(self, c: Conn) -> bool:
        """Can the search index answer (search_index.py)?"""
        return search_index.in_step(cast(sqlite3.Connection, c))

    def search_ids(self, c: Conn, needle: str, limit: int) -> list[int]:
        """Ids of posts whose casefolded caption or name contains ``needle`` (3+ characters),
        from the search index, at most ``limit``, in no particular order."""
        rows = c.execute(
            f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH ? "  # noqa: S608
            "LIMIT ?", (search_index.match_query(needle), limit)).fetchall()
        return [int(r[0]) for r in rows]


SQLITE = Dialect()


def like_pattern(needle: str) -> str:
    """A LIKE pattern for "contains ``needle``" (backslash is PostgreSQL's LIKE escape)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class PostgresDialect(Dialect):
    """PostgreSQL's words. Text columns are ``COLLATE "C"`` (pg_schema.py): compared and
    sorted by code point, as SQLite compares them."""

    name = "postgresql"
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    no_limit = None  # LIMIT NULL

    def __init__(self, integrity_errors: tuple[type[Exception], ...]) -> None:
        # psycopg's errors, handed in by postgres.py: a SQLite user never imports psycopg.
        self.integrity_errors = integrity_errors

    def one_of(self, expr: str, count: int, *, negate: bool = False) -> str:
        if count == 0:  # PostgreSQL has no empty list: what SQLite makes of one
            return "TRUE" if negate else "FALSE"
        return super().one_of(expr, count, negate=negate)

    def index(self, name: str) -> str:
        return ""  # no hints: the planner picks among the same indexes

    def plain(self, column: str) -> str:
        return column

    def contains(self, column: str) -> str:
        return f"strpos({column}, ?) > 0"

    def nocase(self, expr: str) -> str:
        return f"translate({expr}, '{_UPPER}', '{_UPPER.lower()}')"

    def insert_or_ignore(self, rest: str) -> str:
        return f"INSERT INTO {rest} ON CONFLICT DO NOTHING"

    def insert_id(self, c: Conn, sql: str, args: Sequence[Any]) -> int:
        return int(c.execute(sql + " RETURNING id", args).fetchone()[0])

    def serialize(self, c: Conn, key: str) -> None:
        # A lock on a number made from the key, released at commit or rollback.
        c.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    def search_in_step(self, c: Conn) -> bool:
        return bool(c.execute("SELECT to_regclass(?) IS NOT NULL",
                              (pg_schema.SEARCH_INDEX,)).fetchone()[0])

    def search_ids(self, c: Conn, needle: str, limit: int) -> list[int]:
        # pg_trgm's index answers LIKE '%...%' (pg_schema.ensure_search).
        pattern = like_pattern(needle)
        rows = c.execute("SELECT id FROM posts WHERE caption_fold LIKE ? OR name_fold LIKE ? "
                         "LIMIT ?", (pattern, pattern, limit)).fetchall()
        return [int(r[0]) for r in rows]
