"""store.db with ``check_later`` (issue 16): the window's start does not wait for the integrity
check, which reads every page; ``start_check()`` (after the first paint) runs it on its own
thread, and a damaged file is still refused, with its copy, exactly as when it is checked
first."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.store.test_db import T0, add_data, clock, damage_middle_pages, stamp
from tiktok_desktop.store import Database, DatabaseCorrupt
from tiktok_desktop.store.migrations import MIGRATIONS

WAIT = 30.0  # seconds: only a hang reaches it


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tiktok-desktop.sqlite3"


def make(db_path: Path, posts: int = 3) -> None:
    d = Database.open(db_path, clock=clock)
    add_data(d, posts=posts)
    d.close()


def test_open_does_not_wait_for_the_check(db_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The timing the window relies on: open returns, with the data readable, without
    checking; start_check() returns while the check is still running, on a thread of its
    own, and the check's outcome arrives afterwards."""
    make(db_path)
    started, release = threading.Event(), threading.Event()
    check = Database._quick_check
    checking_threads: list[str] = []

    def held(self: Database, uri: str) -> tuple[list[str], int]:
        checking_threads.append(threading.current_thread().name)
        started.set()
        assert release.wait(WAIT)
        return check(self, uri)

    monkeypatch.setattr(Database, "_quick_check", held)
    d = Database.open(db_path, clock=clock, check_later=True)
    try:
        assert checking_threads == [] and not d.integrity.done()  # not checked yet
        assert d.conn().execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 3
        d.start_check()
        assert started.wait(WAIT)
        assert not d.integrity.done()  # start_check came back in the middle of the check
        d.start_check()  # once: asking again starts nothing
        release.set()
        assert d.integrity.result(timeout=WAIT) is None
        assert checking_threads == ["db-check"]  # not the caller's thread
    finally:
        release.set()
        d.close()


def test_without_check_later_the_check_comes_first(db_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    make(db_path)
    threads: list[str] = []
    check = Database._quick_check

    def noted(self: Database, uri: str) -> tuple[list[str], int]:
        threads.append(threading.current_thread().name)
        return check(self, uri)

    monkeypatch.setattr(Database, "_quick_check", noted)
    d = Database.open(db_path, clock=clock)
    try:
        assert threads == [threading.current_thread().name]
        assert d.integrity.done() and d.integrity.result() is None
    finally:
        d.close()


def damage_last_pages(db_path: Path) -> None:
    """Posts' pages at the end of the file spoilt: opening reads past them, the check not."""
    d = Database.open(db_path, clock=clock)
    add_data(d, posts=300, caption="x" * 500)
    d.close()
    c = sqlite3.connect(db_path)
    page_size = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    data = bytearray(db_path.read_bytes())
    data[-3 * page_size:] = b"\xde\xad\xbe\xef" * (3 * page_size // 4)
    db_path.write_bytes(bytes(data))


def refused(db_path: Path, error: BaseException | None, original: bytes,
            caplog: pytest.LogCaptureFixture) -> None:
    assert isinstance(error, DatabaseCorrupt)
    assert error.backup == db_path.with_name(f"{db_path.name}.damaged-{stamp()}")
    assert "damaged" in str(error) and str(error.backup) in str(error)
    assert db_path.read_bytes() == original  # opening it wrote nothing
    assert error.backup.read_bytes() == original
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in errors] == [logging.ERROR]
    assert "integrity" in errors[0].getMessage()
    caplog.clear()


def test_a_damaged_file_is_refused_later_with_its_copy(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    damage_last_pages(db_path)
    original = db_path.read_bytes()
    d = Database.open(db_path, clock=clock, check_later=True)
    try:
        d.start_check()
        error = d.integrity.exception(timeout=WAIT)
    finally:
        d.close()
    refused(db_path, error, original, caplog)
    Database.discard_damaged(db_path)  # the window's "Start with an empty database"
    fresh = Database.open(db_path, clock=clock, check_later=True)
    try:
        assert fresh.integrity.done()  # a new file: nothing to check
        assert fresh.integrity.result() is None
        assert fresh.conn().execute("SELECT COUNT(*) FROM posts").fetchone()[0] == 0
    finally:
        fresh.close()


def test_damage_the_open_itself_meets_is_refused_at_once(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Pages of the schema spoilt: reading it fails while opening, and the full check
    answers there and then, as without check_later."""
    damage_middle_pages(db_path, "wal")
    original = db_path.read_bytes()
    with pytest.raises(DatabaseCorrupt) as info:
        Database.open(db_path, clock=clock, check_later=True)
    refused(db_path, info.value, original, caplog)


def test_a_file_sqlite_cannot_read_is_refused_at_once(
        db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not a database at all\x00\xff" * 300)
    with pytest.raises(DatabaseCorrupt):
        Database.open(db_path, clock=clock, check_later=True)
    assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == \
        [logging.ERROR]
    caplog.clear()


@pytest.mark.parametrize("case", ["older schema", "rollback journal"])
def test_a_file_that_opening_would_change_is_checked_first(
        db_path: Path, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrating, or switching to WAL, writes: the check must come before that."""
    make(db_path)
    if case == "older schema":
        c = sqlite3.connect(db_path)
        c.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1:d}")
        c.close()
        steps = [*MIGRATIONS[:-1], ["CREATE TABLE IF NOT EXISTS later_step (x INTEGER)"]]
    else:
        c = sqlite3.connect(db_path)
        c.execute("PRAGMA journal_mode = DELETE")
        c.close()
        steps = list(MIGRATIONS)
    threads: list[str] = []
    check = Database._quick_check

    def noted(self: Database, uri: str) -> tuple[list[str], int]:
        threads.append(threading.current_thread().name)
        return check(self, uri)

    monkeypatch.setattr(Database, "_quick_check", noted)
    d = Database.open(db_path, steps, clock=clock, check_later=True)
    try:
        assert threads == [threading.current_thread().name]
        assert d.integrity.done() and d.integrity.result() is None
        assert d.schema_version == len(steps)
    finally:
        d.close()


def test_a_new_file_needs_no_check(db_path: Path) -> None:
    d = Database.open(db_path, clock=lambda: T0, check_later=True)
    try:
        assert d.integrity.done() and d.integrity.result() is None
    finally:
        d.close()
