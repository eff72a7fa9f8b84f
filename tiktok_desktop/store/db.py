"""The SQLite database: one file, WAL, foreign keys, numbered migrations, integrity check.

Each thread gets its own connection (the GUI thread reads while the worker writes; WAL lets
them do so without blocking each other). Transactions are explicit: ``with db.transaction()``.

The integrity check reads every page (a quarter of a second and more at 100,000 posts), so
the window may ask for it later (``check_later``, then ``start_check()``): on its own thread
once the window has painted, with nothing that writes (the engine) started before it passed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path

from tiktok_desktop.paths import explain_os_error, touch_private
from tiktok_desktop.store import search_index
from tiktok_desktop.store.dialect import SQLITE, Dialect
from tiktok_desktop.store.migrations import MIGRATIONS, Step
from tiktok_desktop.store.watch import DataVersion

log = logging.getLogger(__name__)


class StoreError(Exception):
    """A problem with the database the user can act on; the message says what to do."""


class DatabaseTooNew(StoreError):
    pass


class DatabaseCorrupt(StoreError):
    def __init__(self, message: str, path: Path, backup: Path) -> None:
        super().__init__(message)
        self.path = path
        self.backup = backup


class MigrationFailed(StoreError):
    pass


class DatabaseUnavailable(StoreError):
    """The database cannot be opened for a reason outside it: the path is a folder, the file
    or its folder belongs to someone else (a sudo run) or is read-only, the disk is full or a
    file size limit (ulimit -f) stops writes. Nothing in it was changed; the message says
    what to do."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class DatabaseUnreachable(StoreError):
    """The shared schedule's database server cannot be reached (stopped, the network down,
    refused): nothing was changed; the message names the server and what to check."""


def _companions(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


class Database:
    """A SQLite file opened, checked and migrated. Use :meth:`open`."""

    dialect: Dialect = SQLITE

    def __init__(self, path: Path, migrations: Sequence[Sequence[Step]] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.migrations = MIGRATIONS if migrations is None else migrations
        self.clock = clock
        # Whether the search index (search_index.py) was usable when the file was opened.
        self.search_ready = False
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Done when the file passed its integrity check (at once unless ``check_later``);
        # its exception is the DatabaseCorrupt of a check that failed.
        self.integrity: Future[None] = Future()
        self._check_started = threading.Event()

    @classmethod
    def open(cls, path: Path, migrations: Sequence[Sequence[Step]] | None = None,
             clock: Callable[[], float] = time.time, *, check_later: bool = False) -> Database:
        """Open (creating if new), check integrity, and migrate to the app's schema.

        Raises DatabaseCorrupt (after saving a copy), DatabaseTooNew or MigrationFailed, each
        with a message that tells the user what happened and what to do.

        ``check_later``: a file that is already on this schema and in WAL mode (opening it
        writes nothing) opens at once, unchecked; ``start_check()`` checks it on a thread of
        its own and ``integrity`` tells how that ended. Anything else (a file to migrate, one
        SQLite cannot read at all) is checked first, as without it.
        """
        db = cls(path, migrations, clock)
        target = path
        try:
            if path.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(path))
            existed = path.exists() and path.stat().st_size > 0
            # Also proves we may write each one (a sudo run may have left them root's).
            for target in _companions(path)[1:] if existed else []:
                if target.exists():
                    touch_private(target)
            target = path
            touch_private(path)
        except OSError as exc:
            raise DatabaseUnavailable(explain_os_error(target, exc, "the database file"),
                                      path) from None
        later = existed and check_later and db._opens_unchanged()
        try:
            if existed and not later:
                # Read-only first: switching to WAL rewrites header bytes, and a damaged or
                # too-new file must be left exactly as it was.
                db._preflight()
            try:
                db._migrate(existed)
                db.search_ready = search_index.ensure(db)
            except sqlite3.DatabaseError as exc:
                if later and not isinstance(exc, sqlite3.OperationalError):
                    db._preflight()  # a page SQLite cannot read: DatabaseCorrupt, as without
                raise
            if not later:
                db._check_started.set()
                db.integrity.set_result(None)
        except sqlite3.OperationalError as exc:
            db.close()
            if not _environmental(exc):
                raise
            raise DatabaseUnavailable(_unavailable_text(exc, path), path) from exc
        except DatabaseUnavailable:
            db.close()
            raise
        except StoreError as exc:
            db.close()
            if type(exc) is not StoreError:  # corrupt, too new, migration failed
                raise
            raise DatabaseUnavailable(str(exc), path) from exc
        except BaseException:
            db.close()
            raise
        return db

    # -- connections -------------------------------------------------------------------------

    def conn(self) -> sqlite3.Connection:
        """This thread's connection."""
        c: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                timeout=10.0)
            c.row_factory = sqlite3.Row
            c.execute("PRAGMA foreign_keys = ON")
            c.execute("PRAGMA busy_timeout = 10000")
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                log.info("SQLite journal mode is %s, not wal", mode)
            # NORMAL is durable in WAL mode except for the very last commits on power loss.
            c.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = c
            with self._lock:
                self._all.append(c)
        return c

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            with contextlib.suppress(sqlite3.Error):
                c.close()
        self._local = threading.local()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        c = self.conn()
        if c.in_transaction:  # nested use joins the outer transaction
            yield c
            return
        try:
            c.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _known(exc, self.path) from exc
        try:
            yield c
        except BaseException as exc:
            # SQLite may already have undone it (a full disk does): a second ROLLBACK would
            # raise and hide the real error.
            if c.in_transaction:
                c.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and _environmental(exc):
                raise _known(exc, self.path) from exc
            raise
        else:
            try:
                c.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise _known(exc, self.path) from exc

    @property
    def schema_version(self) -> int:
        return int(self.conn().execute("PRAGMA user_version").fetchone()[0])

    def watch(self) -> DataVersion:
        """Something to ask whether anyone committed to the file since the last time."""
        return DataVersion(self.path)

    # -- open-time checks --------------------------------------------------------------------

    def _read_only_uri(self) -> str:
        # Without a WAL to read, immutable=1 opens the file without creating -wal/-shm files.
        wal = self.path.with_name(self.path.name + "-wal")
        flags = "mode=ro" if wal.exists() else "immutable=1"
        return f"file:{urllib.parse.quote(str(self.path))}?{flags}"

    def _opens_unchanged(self) -> bool:
        """Whether opening this file for the app writes nothing: it is in WAL mode already
        (the header's read and write versions are 2) and on this schema. Anything SQLite
        cannot read here is for the full check to say."""
        try:
            with self.path.open("rb") as file:
                header = file.read(100)
            ro = sqlite3.connect(self._read_only_uri(), uri=True)
            try:
                version = int(ro.execute("PRAGMA user_version").fetchone()[0])
            finally:
                ro.close()
        except (OSError, sqlite3.Error):
            return False
        return header[18:20] == b"\x02\x02" and version == len(self.migrations)

    def _quick_check(self, uri: str) -> tuple[list[str], int]:
        """(problems, schema version) of the file, read through its own connection."""
        version = 0
        try:
            ro = sqlite3.connect(uri, uri=True)
            try:
                rows = ro.execute("PRAGMA quick_check").fetchall()
                problems = [r[0] for r in rows if r[0] != "ok"]
                version = int(ro.execute("PRAGMA user_version").fetchone()[0])
            finally:
                ro.close()
        except sqlite3.OperationalError as exc:
            if _environmental(exc):  # not the file's fault: nothing to set aside
                raise DatabaseUnavailable(_unavailable_text(exc, self.path), self.path) from exc
            problems = [str(exc)]
        except sqlite3.DatabaseError as exc:  # "file is not a database" and friends
            problems = [str(exc)]
        return problems, version

    def _preflight(self) -> None:
        problems, version = self._quick_check(self._read_only_uri())
        if problems:
            raise self._damaged(problems)
        self._refuse_newer(version)

    def start_check(self) -> None:
        """Start the check ``check_later`` left for later (once; nothing when done)."""
        with self._lock:
            if self._check_started.is_set():
                return
            self._check_started.set()
        threading.Thread(target=self._check_later, name="db-check", daemon=True).start()

    def _check_later(self) -> None:
        """The deferred check (its own thread): mode=ro, not immutable, as the app's own
        connections may write meanwhile. Its outcome goes to ``integrity``."""
        uri = f"file:{urllib.parse.quote(str(self.path))}?mode=ro"
        try:
            problems, _version = self._quick_check(uri)
            if problems:
                raise self._damaged(problems)
        except BaseException as exc:  # handed to whoever waits for it
            self.integrity.set_exception(exc)
        else:
            self.integrity.set_result(None)

    def _damaged(self, problems: list[str]) -> DatabaseCorrupt:
        """The error for a file that failed its check, after saving a copy of it."""
        backup = self._save_copy("damaged")
        log.error("database %s failed its integrity check: %s", self.path, problems[:5])
        return DatabaseCorrupt(
            f"The schedule database at {self.path} is damaged ({problems[0]}). A copy was "
            f"saved as {backup}. You can start with an empty database (the copy stays for "
            "recovery) or quit and restore the file from a backup.",
            self.path,
            backup,
        )

    def _refuse_newer(self, current: int) -> None:
        target = len(self.migrations)
        if current > target:
            raise DatabaseTooNew(
                f"The database at {self.path} was written by a newer version of TikTok "
                f"Desktop (schema {current}; this version knows up to {target}). Install the "
                "newer version again, or point TIKTOK_DESKTOP_HOME at another folder."
            )

    def _migrate(self, existed: bool) -> None:
        c = self.conn()
        current = self.schema_version
        target = len(self.migrations)
        self._refuse_newer(current)
        if current == target:
            return
        if existed and current > 0:
            # Keep the last pre-upgrade state: a migration bug must not cost user data.
            self._save_copy(f"before-v{target}", consistent=True)
        for version in range(current + 1, target + 1):
            try:
                with self.transaction():
                    for step in self.migrations[version - 1]:
                        if isinstance(step, str):
                            c.execute(step)
                        else:
                            step(c)
                    c.execute(f"PRAGMA user_version = {version:d}")
            except sqlite3.Error as exc:
                raise MigrationFailed(
                    f"Updating the database at {self.path} to schema {version} failed ({exc}). "
                    "Nothing was changed; please report this with the log file attached."
                ) from exc
            log.info("database migrated to schema %d", version)

    def _save_copy(self, tag: str, *, consistent: bool = False) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        backup = self.path.with_name(f"{self.path.name}.{tag}-{stamp}")
        if consistent:
            # SQLite's backup API copies a consistent snapshot including the WAL's contents.
            dest = sqlite3.connect(touch_private(backup))
            try:
                self.conn().backup(dest)
            finally:
                dest.close()
        else:
            # A damaged file cannot be read through SQLite: copy the raw bytes, WAL included.
            for src in _companions(self.path):
                if src.exists():
                    target = backup.with_name(backup.name + src.name[len(self.path.name):])
                    shutil.copy2(src, touch_private(target))
        return backup

    @staticmethod
    def discard_damaged(path: Path) -> None:
        """Remove a damaged database (after DatabaseCorrupt saved its copy) to start afresh."""
        for p in _companions(path):
            p.unlink(missing_ok=True)


def _environmental(exc: sqlite3.OperationalError) -> bool:
    """The disk, another program or permissions, not a bug in our SQL."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    return name.startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_LOCKED",
                            "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"))


def _unavailable_text(exc: sqlite3.OperationalError, path: Path) -> str:
    """What to do when SQLite cannot open or write the database at start-up."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        for p in (path, *_companions(path)[1:], path.parent):
            if p.exists() and not os.access(p, os.W_OK):
                return explain_os_error(
                    p, PermissionError(13, "Permission denied", str(p)), "the database file")
        return (f"The database at {path} cannot be opened for writing ({exc}). Check that "
                "the file and its folder are yours and writable, then start again.")
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return (f"The database at {path} could not be written ({exc}): the disk is full or "
                "failing, or a file size limit is set too low (ulimit -f). Free some space or "
                "raise the limit, then start again; nothing saved was lost.")
    return str(_known(exc, path))


def _known(exc: sqlite3.OperationalError, path: Path) -> StoreError:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"The database at {path} is in use by another program. Close other copies of "
            "TikTok Desktop and try again."
        )
    if "full" in text:
        return StoreError(f"The disk holding {path} is full. Free some space and try again.")
    if (getattr(exc, "sqlite_errorname", None) or "").startswith("SQLITE_IOERR"):
        # A file size limit or a failing disk: the write did not happen, nothing was lost.
        return StoreError(f"The disk holding {path} could not be written (is it full or "
                          "failing?). Free some space and try again; nothing saved was lost.")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"The database at {path} is read-only. Check the folder's permissions.")
    return StoreError(f"The database at {path} reported an error: {exc}")
