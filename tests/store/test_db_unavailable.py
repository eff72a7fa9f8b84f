"""A database that cannot be opened for reasons outside it: one error type, DatabaseUnavailable,
with what to do, and the file left as it was (never called damaged, never set aside).

The permission cases play the user after one `sudo tiktok-desktop`: root made the files, the
user's own run (a forked child as nobody) opens them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import resource
import sqlite3
from pathlib import Path

import pytest

from tests.helpers.other_user import (
    NOBODY,
    OtherUserError,
    as_other_user,
    needs_root,
    shared_dir,
)
from tiktok_desktop.store import AccountsRepo, Database, DatabaseUnavailable


def make_db(path: Path) -> str:
    """A real database with an account in it; returns the file's hash."""
    db = Database.open(path)
    AccountsRepo(db).upsert_connected(
        open_id="open-a", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=["video.upload"], access_expires_at=None, refresh_expires_at=None)
    db.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_and_count(path: str) -> int:
    db = Database.open(Path(path))
    try:
        return int(db.conn().execute("SELECT COUNT(*) FROM accounts").fetchone()[0])
    finally:
        db.close()


def test_a_folder_where_the_database_should_be(tmp_path: Path) -> None:
    """Before: IsADirectoryError from touching the 'file'."""
    path = tmp_path / "tiktok-desktop.sqlite3"
    path.mkdir()
    with pytest.raises(DatabaseUnavailable) as info:
        Database.open(path)
    assert str(info.value) == (f"The database file {path} is a folder, not a file. Move that "
                               "folder away and start again.")
    assert path.is_dir() and list(path.iterdir()) == []


@needs_root
def test_a_database_root_made_during_a_sudo_run() -> None:
    """Before: PermissionError with a traceback, no word on what to do."""
    with shared_dir() as folder:
        data = folder / "data"
        data.mkdir(mode=0o700)  # root's, as a sudo run leaves it
        path = data / "tiktok-desktop.sqlite3"
        before = make_db(path)
        with pytest.raises(OtherUserError) as info:
            as_other_user(open_and_count, str(path))
        assert info.value.kind == "DatabaseUnavailable"
        assert info.value.text == (
            f"TikTok Desktop may not use the database file {path}: {data} belongs to root, "
            "not to you (was the app run once with sudo?). Give it back with: sudo chown -R "
            f"nobody {data}")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
        # Once the folder is the user's again, the file (still root's) is named instead.
        os.chown(data, NOBODY, NOBODY)
        with pytest.raises(OtherUserError) as again:
            as_other_user(open_and_count, str(path))
        assert f"{path} belongs to root" in again.value.text
        os.chown(path, NOBODY, NOBODY)
        assert as_other_user(open_and_count, str(path)) == 1


@needs_root
def test_a_write_ahead_log_root_left_is_not_called_damage() -> None:
    """The database is the user's, but a sudo run left its -wal/-shm behind as root's:
    SQLite cannot open it, which once read as 'damaged' and offered to start empty."""
    with shared_dir() as folder:
        path = folder / "data" / "tiktok-desktop.sqlite3"
        make_db(path)
        os.chown(path.parent, NOBODY, NOBODY)  # the folder is the user's
        keep = sqlite3.connect(path)  # root holds it open: the -wal and -shm stay
        keep.execute("PRAGMA journal_mode=WAL")
        keep.execute("UPDATE accounts SET display_name = 'Noor'")
        wal = path.with_name(path.name + "-wal")
        assert wal.exists()
        os.chown(path, NOBODY, NOBODY)
        with pytest.raises(OtherUserError) as info:
            as_other_user(open_and_count, str(path))
        keep.close()
    assert info.value.kind == "DatabaseUnavailable"
    assert info.value.text == (
        f"TikTok Desktop may not use the database file {wal}: {wal} belongs to root, not to "
        f"you (was the app run once with sudo?). Give it back with: sudo chown -R nobody {wal}")


@needs_root
def test_a_read_only_database_file() -> None:
    """The user's own file, made read-only (a backup tool, a copy from a read-only disk)."""
    with shared_dir() as folder:
        path = folder / "data" / "tiktok-desktop.sqlite3"
        before = make_db(path)
        os.chown(path.parent, NOBODY, NOBODY)
        os.chown(path, NOBODY, NOBODY)
        path.chmod(0o400)
        with pytest.raises(OtherUserError) as info:
            as_other_user(open_and_count, str(path))
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert info.value.kind == "DatabaseUnavailable"
    assert info.value.text == (f"TikTok Desktop may not use the database file {path}: check "
                               "that it and the folders above it are yours and writable.")


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE")
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_file_size_limit_at_open(existing: bool) -> None:
    """`ulimit -f` below what SQLite must write: before, a raw 'disk I/O error' (or 'please
    report this' from a migration); now what it is and what to do."""
    with shared_dir() as folder:
        path = folder / "data" / "tiktok-desktop.sqlite3"
        before = make_db(path) if existing else None

        def limited() -> int:
            resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
            return open_and_count(str(path))

        logging.disable(logging.ERROR)
        try:
            with pytest.raises(OtherUserError) as info:
                as_other_user(limited, uid=os.geteuid())
        finally:
            logging.disable(logging.NOTSET)
        if before is not None:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert info.value.kind == "DatabaseUnavailable"
    assert info.value.text.endswith(
        "the disk is full or failing, or a file size limit is set too low (ulimit -f). Free "
        "some space or raise the limit, then start again; nothing saved was lost.")
