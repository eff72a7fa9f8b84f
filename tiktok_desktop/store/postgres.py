"""A shared schedule in PostgreSQL (issue 20): the same repositories as over the SQLite file.

PgDatabase has SQLite Database's shape (conn(), transaction(), schema_version, watch()) so
every repository works on either. Its connections come from psycopg's pool: a statement
outside a transaction borrows one for that statement alone (autocommit, like SQLite's); a
transaction holds one until it ends, and every statement of this thread meanwhile runs in it
(SQLite's connection per thread behaves the same). SQL arrives as SQLite writes it: ``?``
marks become psycopg's (to_pg); what else differs is in dialect.py.

Opening checks the server (reachable, UTF-8, version 13 or later) on a connection of its own,
then migrates (pg_schema.py) under an advisory lock, so several apps and runners opening one
database at once migrate it once. PostgreSQL's DDL is transactional: a failed migration
leaves nothing behind, so unlike SQLite no copy of the database is taken first.

The address may hold a password: it is kept only to connect; messages, logs and errors name
the database by user@host:port/name (``where``) and any text from the server is scrubbed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, NoReturn

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from tiktok_desktop.store import pg_schema
from tiktok_desktop.store.backend import Backend, Conn, Cursor
from tiktok_desktop.store.db import (
    DatabaseTooNew,
    DatabaseUnreachable,
    MigrationFailed,
    StoreError,
)
from tiktok_desktop.store.dialect import PostgresDialect
from tiktok_desktop.store.pg_schema import PG_SCHEMA, PgSchema
from tiktok_desktop.store.pg_sql import PgConn, PgRow, Result, WholeNumbers, rows, to_pg

log = logging.getLogger(__name__)

__all__ = ["PgDatabase", "PgRow", "PgWatch", "is_postgres_url", "to_pg"]

MIN_SERVER = 130000  # trusted extensions (pg_trgm without a superuser) came with 13
_SCHEMA_LOCK = "tiktok_desktop_schema"


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


# -- errors -----------------------------------------------------------------------------------

_BUSY = (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected,
         psycopg.errors.SerializationFailure, psycopg.errors.QueryCanceled)
_FULL = (psycopg.errors.DiskFull, psycopg.errors.InsufficientResources,
         psycopg.errors.OutOfMemory)


def where_of(url: str) -> str:
    """user@host:port/name, no password: how messages name the database."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "(an address that could not be read)"
    user = str(parts.get("user") or "")
    host = str(parts.get("host") or "localhost")
    port = str(parts.get("port") or "5432")
    name = str(parts.get("dbname") or user)
    return f"{user + '@' if user else ''}{host}:{port}/{name}"


def _password(url: str) -> str:
    with contextlib.suppress(psycopg.Error):
        return str(conninfo_to_dict(url).get("password") or "")
    match = re.search(r"://[^:/@]*:([^@]*)@", url)
    return match.group(1) if match else ""


class _Namer:
    """Names the database in messages and keeps its password out of them."""

    def __init__(self, url: str) -> None:
        self.where = where_of(url)
        self._secret = _password(url)

    def scrub(self, exc: BaseException | str) -> str:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return text.replace(self._secret, "***") if self._secret else text

    def known(self, exc: BaseException) -> StoreError | None:
        """What the user can do about an error that is not a bug in our SQL (None: it is)."""
        why = self.scrub(exc)
        if isinstance(exc, PoolTimeout):
            return DatabaseUnreachable(
                f"No connection to the shared schedule at {self.where} came in time ({why}). "
                "Check that the database server runs and this computer reaches it; nothing "
                "was changed.")
        if isinstance(exc, _BUSY):
            return StoreError(
                f"The shared schedule at {self.where} is busy: another app or runner is "
                f"changing the same posts ({why}). Try again in a moment; nothing was changed.")
        if isinstance(exc, _FULL):
            return StoreError(
                f"The database server of the shared schedule at {self.where} is out of disk "
                f"space or memory ({why}). Ask whoever runs it to free some; nothing was lost.")
        if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
            return StoreError(
                f"The shared schedule at {self.where} is read-only right now ({why}): a "
                "standby server, or one its administrator made read-only. Use the primary "
                "server's address.")
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return StoreError(
                f"The database user may not do this in the shared schedule at {self.where} "
                f"({why}). Ask its administrator to grant the user rights on its tables.")
        if isinstance(exc, psycopg.OperationalError):
            return DatabaseUnreachable(
                f"The shared schedule at {self.where} cannot be reached ({why}). Check that "
                "the database server runs and this computer reaches it; nothing was changed.")
        return None


# -- the database ---------------------------------------------------------------------------

class PgDatabase:
    """A PostgreSQL database opened, checked and migrated. Use :meth:`open`."""

    dialect: PostgresDialect

    def __init__(self, url: str, schema: PgSchema | None = None,
                 clock: Callable[[], float] = time.time, *, pool_size: int = 8,
                 timeout: float = 10.0, lock_timeout: float = 10.0) -> None:
        self._url = url
        self._namer = _Namer(url)
        self.where = self._namer.where
        self.schema = PG_SCHEMA if schema is None else schema
        self.clock = clock
        self.dialect = PostgresDialect((psycopg.IntegrityError,))
        self.search_ready = False
        self.timeout = timeout
        # A write waits at most this long for a row another writer holds (SQLite: its busy
        # timeout), then the schedule is reported busy.
        self.lock_timeout = lock_timeout
        self._local = threading.local()
        # SQLite's Database checks its file after the window's first paint; a server keeps
        # its own pages whole, so there is nothing to wait for (the window and the engine
        # ask either database the same way).
        self.integrity: Future[None] = Future()
        self.integrity.set_result(None)
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url, open=False, min_size=1, max_size=pool_size, timeout=timeout,
            kwargs={"autocommit": True, "row_factory": rows,
                    "connect_timeout": max(1, round(timeout))},
            configure=self._configure, check=ConnectionPool.check_connection,
            name=f"tiktok-desktop {self.where}")

    def __repr__(self) -> str:
        return f"PgDatabase({self.where!r})"

    @classmethod
    def open(cls, url: str, schema: PgSchema | None = None,
             clock: Callable[[], float] = time.time, *, pool_size: int = 8,
             timeout: float = 10.0, lock_timeout: float = 10.0) -> PgDatabase:
        """Connect, check the server and migrate to the app's schema. ``timeout``: for a
        connection (and a free one from the pool); ``lock_timeout``: for a busy row.

        Raises DatabaseUnreachable, DatabaseTooNew, MigrationFailed or StoreError, each with
        a message that says what to do.
        """
        db = cls(url, schema, clock, pool_size=pool_size, timeout=timeout,
                 lock_timeout=lock_timeout)
        try:
            with db._direct() as c:
                db._check_server(c)
                db._migrate(c)
                db.search_ready = db._ensure_search(c)
            db._pool.open(wait=False)
        except BaseException:
            db.close()
            raise
        return db

    def start_check(self) -> None:
        """Nothing to start (see ``integrity``)."""

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        conn.adapters.register_loader("numeric", WholeNumbers)
        conn.execute(f"SET lock_timeout = {max(1, round(self.lock_timeout * 1000)):d}")

    @contextlib.contextmanager
    def _direct(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection outside the pool (opening and migrating)."""
        try:
            c = psycopg.connect(self._url, autocommit=True, row_factory=rows,
                                connect_timeout=max(1, round(self.timeout)))
        except psycopg.Error as exc:
            self._raise(exc)
        try:
            self._configure(c)
            yield c
        except psycopg.Error as exc:
            self._raise(exc)
        finally:
            c.close()

    def _raise(self, exc: psycopg.Error) -> NoReturn:
        known = self._namer.known(exc)
        if known is None:
            raise StoreError(f"The shared schedule at {self.where} reported an error: "
                             f"{self._namer.scrub(exc)}") from None
        raise known from None

    # -- connections -----------------------------------------------------------------------

    def conn(self) -> Conn:
        """This thread's transaction if one is open, else a connection per statement."""
        tx: PgConn | None = getattr(self._local, "tx", None)
        return tx if tx is not None else _Autocommit(self)

    @property
    def in_transaction(self) -> bool:
        return getattr(self._local, "tx", None) is not None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Conn]:
        """BEGIN ... COMMIT on a pooled connection, rolled back on any exception; nested use
        joins the outer transaction."""
        tx: PgConn | None = getattr(self._local, "tx", None)
        if tx is not None:
            yield tx
            return
        try:
            with self._pool.connection() as raw, raw.transaction():
                self._local.tx = PgConn(raw)
                try:
                    yield self._local.tx
                finally:
                    self._local.tx = None
        except (psycopg.Error, PoolTimeout) as exc:
            known = self._namer.known(exc)
            if known is None:
                raise
            raise known from exc

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled psycopg connection for this block alone (autocommit; open a transaction
        on it with ``.transaction()``), apart from this thread's transaction: for work that
        streams, such as store/videos.py's large objects, which may span a generator's
        yields. Errors the user can act on become the same StoreErrors as elsewhere."""
        try:
            with self._pool.connection() as raw:
                yield raw
        except (psycopg.Error, PoolTimeout) as exc:
            known = self._namer.known(exc)
            if known is None:
                raise
            raise known from exc

    def _run(self, sql: str, parameters: Any, many: bool = False) -> Cursor:
        try:
            with self._pool.connection() as raw:
                cur = raw.cursor()
                if many:
                    cur.executemany(to_pg(sql), parameters)
                else:
                    cur.execute(to_pg(sql), parameters)
                rows = cur.fetchall() if cur.description is not None else []
                return Result(rows, cur.rowcount)
        except (psycopg.Error, PoolTimeout) as exc:
            known = self._namer.known(exc)
            if known is None:
                raise
            raise known from exc

    def close(self) -> None:
        self._pool.close()
        self._local = threading.local()

    def watch(self) -> PgWatch:
        return PgWatch(self._url, self._namer)

    @property
    def schema_version(self) -> int:
        return _version(self.conn(), self.where)

    # -- open-time checks ------------------------------------------------------------------

    def _check_server(self, c: psycopg.Connection[Any]) -> None:
        if c.info.server_version < MIN_SERVER:
            raise StoreError(
                f"The database server at {self.where} runs PostgreSQL "
                f"{c.info.server_version // 10000}; a shared schedule needs 13 or later. Ask "
                "whoever runs it to upgrade, or use another server.")
        row = c.execute("SHOW server_encoding").fetchone()
        encoding = row[0] if row is not None else "?"
        if encoding != "UTF8":
            raise StoreError(
                f"The database {self.where} stores text as {encoding}; captions need UTF8. "
                "Create the database with ENCODING 'UTF8' and use that one.")

    def _migrate(self, c: psycopg.Connection[Any]) -> None:
        target = self.schema.version
        pg = PgConn(c)
        while True:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                          (_SCHEMA_LOCK,))
                current = _version(pg, self.where)  # under the lock: another may have moved it
                if current > target:
                    raise DatabaseTooNew(
                        f"The shared schedule at {self.where} was written by a newer version "
                        f"of TikTok Desktop (schema {current}; this version knows up to "
                        f"{target}). Install the newer version on this computer too.")
                if current == target:
                    return
                if 0 < current < self.schema.baseline_version:
                    raise MigrationFailed(
                        f"The shared schedule at {self.where} is at schema {current}, which "
                        "PostgreSQL schedules never had. Please report this.")
                if current == 0:
                    version, steps = self.schema.baseline_version, self.schema.baseline
                else:
                    version = current + 1
                    steps = self.schema.later[version - self.schema.baseline_version - 1]
                try:
                    for step in steps:
                        if isinstance(step, str):
                            c.execute(step)
                        else:
                            step(c)
                    c.execute(f"DELETE FROM {pg_schema.VERSION_TABLE}")  # noqa: S608
                    c.execute(f"INSERT INTO {pg_schema.VERSION_TABLE} (version) "  # noqa: S608
                              "VALUES (%s)", (version,))
                except psycopg.Error as exc:
                    known = self._namer.known(exc)
                    if known is not None:
                        raise known from None
                    raise MigrationFailed(
                        f"Updating the shared schedule at {self.where} to schema {version} "
                        f"failed ({self._namer.scrub(exc)}). Nothing was changed; please "
                        "report this with the log file attached.") from None
            log.info("shared schedule %s migrated to schema %d", self.where, version)

    def _ensure_search(self, c: psycopg.Connection[Any]) -> bool:
        """pg_trgm's index for the search (derived data, like SQLite's FTS5 table); without
        pg_trgm on the server the search reads every post, and the log says so."""
        if self.dialect.search_in_step(PgConn(c)):
            return True
        if c.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                     "current_schema() AND table_name = 'posts' "
                     "AND column_name = 'caption_fold'").fetchone() is None:
            return False  # a schema without the list's columns (tests open those)
        try:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                          (_SCHEMA_LOCK,))
                c.execute(pg_schema.SEARCH_EXTENSION)
                c.execute(pg_schema.SEARCH_CREATE)
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile,
                psycopg.errors.UndefinedObject, psycopg.errors.InsufficientPrivilege) as exc:
            log.warning("the database server at %s offers no pg_trgm (%s): the schedule's "
                        "search reads every post instead of an index", self.where,
                        self._namer.scrub(exc))
            return False
        log.info("search index built in %s", self.where)
        return True


def _version(c: Conn, where: str) -> int:
    if c.execute("SELECT to_regclass(?)", (pg_schema.VERSION_TABLE,)).fetchone()[0] is None:
        if c.execute("SELECT to_regclass('posts')").fetchone()[0] is not None:
            raise StoreError(
                f"The database {where} holds tables that are not a TikTok Desktop schedule. "
                "Use an empty database (or the one your team set up).")
        return 0
    row = c.execute(f"SELECT version FROM {pg_schema.VERSION_TABLE}").fetchone()  # noqa: S608
    return int(row[0]) if row is not None else 0


class _Autocommit:
    """conn() outside a transaction: each statement on a pooled connection of its own."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Cursor:
        return self._db._run(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Cursor:
        return self._db._run(sql, parameters, many=True)


class PgWatch:
    """``changed()``: has anyone committed to the shared schedule since the last call?

    PostgreSQL's answer to SQLite's ``PRAGMA data_version`` (store/watch.py): a connection of
    its own LISTENs on pg_schema.CHANGES, which every writing transaction notifies when it
    commits; asking drains what arrived, without waiting. Like DataVersion, the first call
    only starts; a connection lost and made again counts as a change (what happened in
    between is unknown).

    Its connection doubles as the window's sense of the server: ``problem`` says why the
    server cannot be reached (None while it can), so a window shows itself read-only and
    comes back by itself (ui/db_watch.py waits on it on a thread of its own, never the GUI's).
    """

    def __init__(self, url: str, namer: _Namer) -> None:
        self._url = url
        self._namer = namer
        self.where = namer.where
        self.problem: str | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._started = False

    def changed(self, timeout: float = 0.0) -> bool:
        """``timeout``: wait up to that long for a change (the default: only what arrived;
        a notification travels from the server a moment after the commit returns)."""
        try:
            fresh = self._conn is None
            if self._conn is None:
                # Keepalives: a server gone without closing the connection (its machine off,
                # the network cut) is noticed in seconds, not after TCP's hours.
                self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=5,
                                             keepalives=1, keepalives_idle=5,
                                             keepalives_interval=2, keepalives_count=3)
                self._conn.execute(f"LISTEN {pg_schema.CHANGES}")
            got = False
            if timeout > 0 and self._started and not fresh:
                for _note in self._conn.notifies(timeout=timeout, stop_after=1):
                    got = True
            for _note in self._conn.notifies(timeout=0):
                got = True
        except psycopg.Error as exc:
            if self.problem is None:  # once per outage, not at every try
                log.info("could not ask the shared schedule %s for changes: %s",
                         self._namer.where, self._namer.scrub(exc))
            self.problem = self._namer.scrub(exc)
            self.close()
            return False
        if self.problem is not None:
            log.info("the shared schedule %s answers again", self._namer.where)
        self.problem = None
        started, self._started = self._started, True
        return started and (got or fresh)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


if TYPE_CHECKING:  # mypy: a PgDatabase serves every repository, as the SQLite Database does
    _SHAPE: type[Backend] = PgDatabase
