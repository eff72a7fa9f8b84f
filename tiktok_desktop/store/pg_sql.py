"""psycopg as the repositories use sqlite3: SQLite's ``?`` marks, rows by name or position,
numbers as SQLite gives them, and a statement's rows kept after its connection went back to
the pool (postgres.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import psycopg
from psycopg.adapt import Buffer
from psycopg.types.numeric import NumericLoader

from tiktok_desktop.store.backend import Cursor

__all__ = ["PgConn", "PgRow", "Result", "WholeNumbers", "rows", "to_pg"]

_MARKS = re.compile(r"'[^']*'|\"[^\"]*\"|[?%]")


def _mark(m: re.Match[str]) -> str:
    found = m.group(0)
    if found == "?":
        return "%s"
    if found == "%":
        return "%%"
    return found.replace("%", "%%")  # psycopg reads % inside quotes too


@functools.lru_cache(maxsize=4096)
def to_pg(sql: str) -> str:
    """SQLite's ``?`` marks as psycopg's ``%s`` (a literal ``%`` doubled); quoted text is
    left alone."""
    return _MARKS.sub(_mark, sql)


class PgRow(tuple[Any, ...]):
    """A row by position or by column name, as sqlite3.Row."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # the first column of a name wins, as in sqlite3.Row
    return type("PgRow", (PgRow,), {"__slots__": (), "_index": index})


def rows(cursor: Any) -> Callable[[Sequence[Any]], PgRow]:
    """psycopg row factory: PgRow for every result."""
    description = cursor.description or ()
    return _row_class(tuple(d.name for d in description))


class WholeNumbers(NumericLoader):
    """numeric results (a SUM over BIGINT) as int when whole, float otherwise: SQLite gives
    numbers, never Decimal, and no column of ours is numeric."""

    def load(self, data: Buffer) -> Any:
        value: Decimal = super().load(data)
        return int(value) if value == value.to_integral_value() else float(value)


class Result:
    """A finished statement's rows (its connection is back in the pool)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._at = 0
        self.rowcount = rowcount

    def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[Any]:
        rest, self._at = self._rows[self._at:], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConn:
    """A psycopg connection that takes SQLite's SQL (``?`` marks)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        return self.raw.execute(to_pg(sql), parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        cur = self.raw.cursor()
        cur.executemany(to_pg(sql), parameters)
        return cur
