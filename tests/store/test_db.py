"""store.db: opening, pragmas, migrations, refusing newer or damaged files, threads."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tiktok_desktop.store import (
    Database,
    DatabaseCorrupt,
    DatabaseTooNew,
    MigrationFailed,
    StoreError,
)
from tiktok_desktop.store.migrations import MIGRATIONS, V1_INITIAL

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC
ADD_COLUMN = ["ALTER TABLE posts ADD COLUMN x INTEGER NOT NULL DEFAULT 7"]
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def clock() -> float:
    return T0


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.localtime(T0))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tiktok-desktop.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    d = Database.open(db_path, clock=clock)
    yield d
    d.close()


def add_data(d: Database, posts: int = 1, caption: str = "hello") -> None:
    with d.transaction() as c:
        c.execute(
            "INSERT INTO accounts (open_id, display_name, created_at, updated_at) "
            "VALUES ('open-1', 'Ann', 1, 1)"
        )
        for _ in range(posts):
            c.execute(
                "INSERT INTO posts (account_id, video_path, video_size, caption, created_at, "
                "updated_at) VALUES (1, '/v.mp4', 10, ?, 1, 1)",
                (caption,),
            )


def read_data(path: Path) -> tuple[int, list[tuple[str, str]]]:
    """(user_version, [(open_id, caption)]) read with plain sqlite3, not through Database."""
    c = sqlite3.connect(path)
    try:
        version = c.execute("PRAGMA user_version").fetchone()[0]
        rows = c.execute(
            "SELECT a.open_id, p.caption FROM posts p JOIN accounts a ON a.id = p.account_id "
            "ORDER BY p.id"
        ).fetchall()
    finally:
        c.close()
    return version, rows


def columns(d: Database, table: str) -> list[str]:
    return [r["name"] for r in d.conn().execute("SELECT name FROM pragma_table_info(?)", (table,))]


# --- a new database ----------------------------------------------------------------------------


def test_new_database_is_migrated_wal_with_foreign_keys(db: Database, db_path: Path) -> None:
    assert db.schema_version == len(MIGRATIONS) >= 1
    c = db.conn()
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"accounts", "posts", "post_events"} <= tables
    # A brand-new file has nothing worth backing up.
    assert not [n for n in listing(db_path) if ".before-" in n]


@posix_only
def test_database_files_are_private(db: Database, db_path: Path) -> None:
    add_data(db)
    assert mode(db_path) == 0o600
    assert mode(db_path.parent) == 0o700
    wal = db_path.with_name(db_path.name + "-wal")
    assert wal.exists()
    assert mode(wal) == 0o600


def test_reopen_keeps_data_and_version(db_path: Path) -> None:
    d = Database.open(db_path, clock=clock)
    add_data(d)
    d.close()
    d2 = Database.open(db_path, clock=clock)
    try:
        assert d2.schema_version == len(MIGRATIONS)
        assert d2.conn().execute("SELECT caption FROM posts").fetchone()[0] == "hello"
    finally:
        d2.close()
    assert not [n for n in listing(db_path) if ".before-" in n]


# --- migrations --------------------------------------------------------------------------------


def test_upgrade_keeps_data_bumps_version_and_saves_backup(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = Database.open(db_path, migrations=[V1_INITIAL], clock=clock)
    add_data(old, posts=2)
    old.close()

    new = Database.open(db_path, migrations=[V1_INITIAL, ADD_COLUMN], clock=clock)
    try:
        assert new.schema_version == 2
        rows = new.conn().execute("SELECT caption, x FROM posts ORDER BY id").fetchall()
        assert [tuple(r) for r in rows] == [("hello", 7), ("hello", 7)]
    finally:
        new.close()
    assert any("migrated to schema 2" in r.getMessage() for r in caplog.records)

    backup = db_path.with_name(f"{db_path.name}.before-v2-{stamp()}")
    assert backup.exists(), listing(db_path)
    assert read_data(backup) == (1, [("open-1", "hello"), ("open-1", "hello")])
    c = sqlite3.connect(backup)
    try:
        assert "x" not in [r[1] for r in c.execute("PRAGMA table_info(posts)")]
    finally:
        c.close()
    if os.name == "posix":
        assert mode(backup) == 0o600


def test_upgrade_backup_includes_uncheckpointed_wal(db_path: Path) -> None:
    # The old version's last commits may still sit in the WAL when the upgrade starts.
    old = Database.open(db_path, migrations=[V1_INITIAL], clock=clock)
    add_data(old)
    keep_wal = sqlite3.connect(db_path)  # a second connection keeps the WAL from being merged
    keep_wal.execute("SELECT COUNT(*) FROM posts").fetchone()
    old.close()
    assert db_path.with_name(db_path.name + "-wal").stat().st_size > 0
    try:
        new = Database.open(db_path, migrations=[V1_INITIAL, ADD_COLUMN], clock=clock)
        new.close()
    finally:
        keep_wal.close()
    backup = db_path.with_name(f"{db_path.name}.before-v2-{stamp()}")
    assert read_data(backup) == (1, [("open-1", "hello")])


def test_failed_migration_changes_nothing(db_path: Path) -> None:
    old = Database.open(db_path, migrations=[V1_INITIAL], clock=clock)
    add_data(old)
    old.close()

    broken = [V1_INITIAL, [*ADD_COLUMN, "THIS IS NOT SQL"]]
    with pytest.raises(MigrationFailed) as info:
        Database.open(db_path, migrations=broken, clock=clock)
    assert isinstance(info.value, StoreError)
    assert "schema 2" in str(info.value)
    assert "Nothing was changed" in str(info.value)
    assert isinstance(info.value.__cause__, sqlite3.Error)

    assert read_data(db_path) == (1, [("open-1", "hello")])
    # The first statement of the failed step was rolled back with it.
    again = Database.open(db_path, migrations=[V1_INITIAL], clock=clock)
    try:
        assert "x" not in columns(again, "posts")
        assert again.schema_version == 1
    finally:
        again.close()


def test_migrations_run_in_order_from_empty(db_path: Path) -> None:
    steps = [V1_INITIAL, ADD_COLUMN, ["CREATE TABLE extra (id INTEGER PRIMARY KEY)"]]
    d = Database.open(db_path, migrations=steps, clock=clock)
    try:
        assert d.schema_version == 3
        assert "x" in columns(d, "posts")
        assert columns(d, "extra") == ["id"]
    finally:
        d.close()


# --- a database from a newer version -----------------------------------------------------------


def make_too_new(db_path: Path, journal_mode: str) -> None:
    d = Database.open(db_path, clock=clock)
    add_data(d)
    d.close()
    c = sqlite3.connect(db_path)
    c.execute(f"PRAGMA journal_mode = {journal_mode}")
    c.execute("PRAGMA user_version = 99")
    c.close()


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_newer_database_is_refused_untouched(db_path: Path, journal_mode: str) -> None:
    make_too_new(db_path, journal_mode)
    before_hash, before_files = digest(db_path), listing(db_path)

    with pytest.raises(DatabaseTooNew) as info:
        Database.open(db_path, clock=clock)
    message = str(info.value)
    assert "newer version" in message
    assert "schema 99" in message
    assert f"up to {len(MIGRATIONS)}" in message
    assert str(db_path) in message

    assert digest(db_path) == before_hash
    assert listing(db_path) == before_files
    assert read_data(db_path) == (99, [("open-1", "hello")])


# --- damaged files -----------------------------------------------------------------------------


def assert_refused_as_corrupt(db_path: Path, caplog: pytest.LogCaptureFixture) -> Path:
    original = db_path.read_bytes()
    with pytest.raises(DatabaseCorrupt) as info:
        Database.open(db_path, clock=clock)
    err = info.value
    assert err.path == db_path
    assert err.backup == db_path.with_name(f"{db_path.name}.damaged-{stamp()}")
    assert str(err.backup) in str(err)
    assert "damaged" in str(err)
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in errors] == [logging.ERROR]
    assert "integrity" in errors[0].getMessage()
    caplog.clear()
    assert db_path.read_bytes() == original
    assert err.backup.read_bytes() == original
    if os.name == "posix":
        assert mode(err.backup) == 0o600
    return err.backup


def test_garbage_file_is_refused_and_copied(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database at all\x00\xff" * 300)
    assert_refused_as_corrupt(db_path, caplog)


def damage_middle_pages(db_path: Path, journal_mode: str) -> None:
    d = Database.open(db_path, clock=clock)
    add_data(d, posts=300, caption="x" * 500)  # ~50 pages
    d.close()
    c = sqlite3.connect(db_path)
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    c.execute(f"PRAGMA journal_mode = {journal_mode}")
    c.close()
    data = bytearray(db_path.read_bytes())
    assert len(data) >= 40 * page_size
    data[10 * page_size:13 * page_size] = b"\xde\xad\xbe\xef" * (3 * page_size // 4)
    db_path.write_bytes(bytes(data))


@pytest.mark.parametrize("journal_mode", ["wal", "delete"])
def test_damaged_pages_are_refused_and_copied(
    db_path: Path, caplog: pytest.LogCaptureFixture, journal_mode: str
) -> None:
    damage_middle_pages(db_path, journal_mode)
    assert_refused_as_corrupt(db_path, caplog)


def test_damaged_copy_includes_the_wal(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"\x01garbage" * 600)
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"wal bytes worth keeping")
    backup = assert_refused_as_corrupt(db_path, caplog)
    assert backup.with_name(backup.name + "-wal").read_bytes() == b"wal bytes worth keeping"


def test_discard_damaged_then_fresh_open(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    damage_middle_pages(db_path, "wal")
    backup = assert_refused_as_corrupt(db_path, caplog)
    saved = backup.read_bytes()
    Database.discard_damaged(db_path)
    assert not db_path.exists()
    fresh = Database.open(db_path, clock=clock)
    try:
        assert fresh.schema_version == len(MIGRATIONS)
        assert fresh.conn().execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    finally:
        fresh.close()
    assert backup.read_bytes() == saved


# --- behaviour of an open database -------------------------------------------------------------


def test_post_events_are_append_only(db: Database) -> None:
    add_data(db)
    with db.transaction() as c:
        c.execute(
            "INSERT INTO post_events (post_id, at, state, detail) VALUES (1, 5, 'draft', 'a')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn().execute("UPDATE post_events SET detail = 'rewritten'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn().execute("DELETE FROM post_events")
    row = db.conn().execute("SELECT at, state, detail FROM post_events").fetchone()
    assert tuple(row) == (5, "draft", "a")
    # Removing the post itself takes its history with it.
    with db.transaction() as c:
        c.execute("DELETE FROM posts")
    assert db.conn().execute("SELECT COUNT(*) FROM post_events").fetchone()[0] == 0


def test_transaction_commits(db: Database, db_path: Path) -> None:
    add_data(db)
    assert read_data(db_path)[1] == [("open-1", "hello")]


def test_transaction_rolls_back_on_exception(db: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), db.transaction() as c:
        c.execute("INSERT INTO accounts (open_id, created_at, updated_at) VALUES ('a', 1, 1)")
        with db.transaction() as inner:  # a nested block joins the outer transaction
            inner.execute(
                "INSERT INTO accounts (open_id, created_at, updated_at) VALUES ('b', 1, 1)"
            )
        raise Boom
    assert db.conn().execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0
    assert not db.conn().in_transaction
    # The connection is usable afterwards.
    add_data(db)
    assert db.conn().execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 1


def test_each_thread_has_its_own_connection_and_sees_commits(db: Database) -> None:
    main_conn = db.conn()
    assert db.conn() is main_conn
    assert main_conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0

    started = threading.Event()
    proceed = threading.Event()
    seen: dict[str, object] = {}

    def writer() -> None:
        try:
            seen["conn"] = db.conn()
            with db.transaction() as c:
                c.execute(
                    "INSERT INTO accounts (open_id, created_at, updated_at) VALUES ('w', 1, 1)"
                )
                started.set()
                # Hold the write transaction open while the main thread reads.
                proceed.wait(timeout=10)
        except BaseException as exc:  # surfaced in the main thread below
            seen["error"] = exc
            started.set()

    t = threading.Thread(target=writer)
    t.start()
    assert started.wait(timeout=10)
    # Uncommitted: WAL lets the reader go on, seeing the last committed state.
    assert main_conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 0
    proceed.set()
    t.join(timeout=10)
    assert not t.is_alive()
    assert "error" not in seen, seen.get("error")
    assert seen["conn"] is not main_conn
    assert main_conn.execute("SELECT open_id FROM accounts").fetchall()[0][0] == "w"


def test_close_closes_every_threads_connection(db_path: Path) -> None:
    d = Database.open(db_path, clock=clock)
    conns: list[sqlite3.Connection] = [d.conn()]
    t = threading.Thread(target=lambda: conns.append(d.conn()))
    t.start()
    t.join(timeout=10)
    assert len(conns) == 2
    d.close()
    for c in conns:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            c.execute("SELECT 1")
    # Reusable after close: a new connection is made on demand.
    assert d.schema_version == len(MIGRATIONS)
    d.close()
