"""What the repositories need from a database, whichever holds the schedule: a SQLite file
(db.Database, the default) or a PostgreSQL server (postgres.PgDatabase, a shared schedule).

Both hand out connections that run SQL written for SQLite (``?`` marks, rows read by column
name or position) and transactions that are rolled back on any exception; what SQL must differ
between the two is in dialect.py, never in a repository.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tiktok_desktop.store.dialect import Dialect

__all__ = ["Backend", "Conn", "Cursor", "Row", "ServerWatch", "Watch"]


class Row(Protocol):
    """A result row: by column name or position (sqlite3.Row, pg_sql.PgRow)."""

    def __getitem__(self, key: Any, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    """A connection as the repositories use it (sqlite3.Connection has exactly this)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor: ...


class Watch(Protocol):
    """Has anyone committed to the database since the last call? (store/watch.py)"""

    def changed(self) -> bool: ...

    def close(self) -> None: ...


@runtime_checkable
class ServerWatch(Protocol):
    """A watch on a database server (postgres.PgWatch): it may wait for the next change, and
    ``problem`` says why the server cannot be reached (None while it can). Waiting and
    connecting block, so a window asks it from a thread of its own."""

    where: str
    problem: str | None

    def changed(self, timeout: float = 0.0) -> bool: ...

    def close(self) -> None: ...


class Backend(Protocol):
    @property
    def clock(self) -> Callable[[], float]: ...

    @property
    def dialect(self) -> Dialect: ...

    @property
    def search_ready(self) -> bool: ...

    @property
    def schema_version(self) -> int: ...

    def conn(self) -> Conn:
        """A connection for this thread; inside a transaction, the transaction's."""
        ...

    def transaction(self) -> AbstractContextManager[Conn]:
        """Everything in the block commits together or not at all; nested blocks join the
        outer one."""
        ...

    def watch(self) -> Watch: ...

    def close(self) -> None: ...
