"""The database under conditions of the user's machine (docs/bad-inputs.md): another process
holding the write lock, and a disk that fills up in the middle of a write.

Both use real processes and a real SQLite file. The full disk is simulated two ways, since
tests may not mount a small file system:

- ``page_limit``: SQLite's own ``PRAGMA max_page_count`` refuses to grow the file, which
  fails the write with SQLITE_FULL ("database or disk is full"), the very code SQLite gives
  when the OS says ENOSPC.
- ``file_size_limit``: RLIMIT_FSIZE in a child process (SIGXFSZ ignored), so the OS itself
  fails the write (EFBIG, which SQLite reports as "disk I/O error").
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tiktok_desktop.store import (
    AccountsRepo,
    Database,
    NewPost,
    PostsRepo,
    StoreError,
)

HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys
    c = sqlite3.connect(sys.argv[1], isolation_level=None)
    c.execute("BEGIN IMMEDIATE")  # what another copy of the app does while it writes
    print("locked", flush=True)
    sys.stdin.readline()
    c.execute("ROLLBACK")
""")

WRITE_ON_A_FULL_DISK = textwrap.dedent("""
    import json, resource, signal, sys
    from pathlib import Path
    from tiktok_desktop.store import Database, NewPost, PostsRepo
    path, how = Path(sys.argv[1]), sys.argv[2]
    db = Database.open(path)
    if how == "page_limit":
        pages = db.conn().execute("PRAGMA page_count").fetchone()[0]
        db.conn().execute(f"PRAGMA max_page_count = {pages}")
    else:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG for the write, not death
        sizes = [p.stat().st_size for p in path.parent.glob(path.name + "*")]
        limit = max(sizes) + 4096
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    try:
        PostsRepo(db).create(NewPost(account_id=1, video_path="/big.mp4", video_size=1,
                                     caption="x" * 300_000))
    except Exception as exc:
        print(json.dumps({"type": f"{type(exc).__module__}.{type(exc).__name__}",
                          "is_store_error": type(exc).__module__.startswith("tiktok_desktop"),
                          "message": str(exc)}))
    else:
        print(json.dumps({"type": None}))
""")
SIMULATIONS = [
    "page_limit",
    pytest.param("file_size_limit", marks=pytest.mark.skipif(
        sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")),
]


def small_post(account_id: int, caption: str = "kept") -> NewPost:
    return NewPost(account_id=account_id, video_path="/v.mp4", video_size=1, caption=caption)


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> Iterator[Database]:
    """SQLite's file: these tests are about its lock and its disk (test_postgres.py has the
    server's busy rows)."""
    d = Database.open(tmp_path / "t.sqlite3", clock=clock)
    yield d
    d.close()


@pytest.fixture
def account_id(db: Database) -> int:
    return AccountsRepo(db).upsert_connected(
        open_id="o1", display_name="Mia", username="mia", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None).id


@contextmanager
def write_lock_held_elsewhere(path: Path) -> Iterator[None]:
    with subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            assert child.stdout.readline().strip() == "locked"
            yield
        finally:
            child.stdin.close()  # its readline() ends: it lets go and exits
            assert child.wait(timeout=30) == 0


def captions(db: Database) -> list[str]:
    return [p.caption for p in PostsRepo(db).query()]


# --- locked -----------------------------------------------------------------------------------
def test_a_write_lock_held_by_another_process(db: Database, account_id: int) -> None:
    posts = PostsRepo(db)
    posts.create(small_post(account_id))
    # The app waits this long for another writer before giving up (each thread's connection).
    assert db.conn().execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    with write_lock_held_elsewhere(db.path):
        assert captions(db) == ["kept"]  # reading goes on (WAL)
        other = Database.open(db.path)  # a second copy of the app can still open it
        other.close()
        # Wait 0.2 s instead of 10 on this thread: the outcome is the same, only sooner.
        db.conn().execute("PRAGMA busy_timeout = 200")
        with pytest.raises(StoreError) as caught:
            posts.create(small_post(account_id, "new"))
        assert str(caught.value) == (
            f"The database at {db.path} is in use by another program. Close other copies of "
            "TikTok Desktop and try again.")
        assert captions(db) == ["kept"]
    posts.create(small_post(account_id, "new"))  # the lock is gone: the same write works
    assert captions(db) == ["kept", "new"]


# --- full disk --------------------------------------------------------------------------------
def write_on_a_full_disk(path: Path, how: str) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", WRITE_ON_A_FULL_DISK, str(path), how],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # not killed (SIGXFSZ), no traceback
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


@pytest.mark.parametrize("how", SIMULATIONS)
def test_a_full_disk_during_a_write_loses_nothing_saved(
        db: Database, account_id: int, how: str) -> None:
    PostsRepo(db).create(small_post(account_id))
    db.close()
    answer = write_on_a_full_disk(db.path, how)
    assert answer["type"] is not None  # the write failed, as it must
    # Nothing half-written, nothing lost, and the file is still a good database.
    again = Database.open(db.path)
    try:
        assert again.conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert captions(again) == ["kept"]
        PostsRepo(again).create(small_post(account_id, "after"))  # space freed: writes work
        assert captions(again) == ["kept", "after"]
    finally:
        again.close()


@pytest.mark.parametrize("how", SIMULATIONS)
def test_a_full_disk_is_reported_in_plain_words(
        db: Database, account_id: int, how: str) -> None:
    PostsRepo(db).create(small_post(account_id))
    db.close()
    answer = write_on_a_full_disk(db.path, how)
    assert answer["is_store_error"], answer
    assert str(db.path) in str(answer["message"]), answer
    assert "The disk holding" in str(answer["message"]) and "Free some space" in str(
        answer["message"]), answer


def test_the_full_disk_simulations_really_fail_writes(tmp_path: Path) -> None:
    """Guards the page-limit simulation: plain sqlite3, no app code, sees SQLITE_FULL."""
    path = tmp_path / "plain.sqlite3"
    c = sqlite3.connect(path, isolation_level=None)
    try:
        c.execute("CREATE TABLE t (x TEXT)")
        pages = c.execute("PRAGMA page_count").fetchone()[0]
        c.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            c.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    finally:
        c.close()
    assert os.path.getsize(path) > 0
