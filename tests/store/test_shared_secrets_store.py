"""Schema 9 on both backends: a schedule's random id made by its migration, the key check
written once, and sealed secrets kept as bytes (the store cannot read them; the sealing is
credentials/shared_vault.py's, tested in tests/credentials)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.postgres import PgServer
from tiktok_desktop.store import Database, StoreError
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.secrets import SealedSecret, SecretsRepo
from tiktok_desktop.store.shared_meta import SharedMeta

from .conftest import T0, Opener

# Every byte value, so no encoding on the way (text, escapes) can pass unnoticed.
ALL_BYTES = bytes(range(256))


def test_the_migration_names_each_schedule_with_its_own_random_id(open_db: Opener) -> None:
    first = SharedMeta(open_db("a")).schedule_id()
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert SharedMeta(open_db("a")).schedule_id() == first  # opening again keeps it


def test_two_new_schedules_get_different_ids(tmp_path: Path, pg_server: PgServer) -> None:
    from tiktok_desktop.store.postgres import PgDatabase

    ids = []
    for name in ("one", "two"):
        lite = Database.open(tmp_path / f"{name}.sqlite3")
        ids.append(SharedMeta(lite).schedule_id())
        lite.close()
    databases = [pg_server.new_database() for _ in range(2)]  # migrated, not copied
    try:
        for name in databases:
            pg = PgDatabase.open(pg_server.url(name))
            ids.append(SharedMeta(pg).schedule_id())
            pg.close()
    finally:
        for name in databases:
            pg_server.drop_database(name)
    assert len(set(ids)) == 4 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


def test_sealed_bytes_come_back_exactly_and_are_replaced_in_place(
        db: Backend, clock: FakeClock) -> None:
    repo = SecretsRepo(db)
    assert repo.get("account:o1") is None and repo.names() == []
    repo.put("account:o1", SealedSecret(b"\x00" * 12, ALL_BYTES, "k1"))
    repo.put("client-secret", SealedSecret(b"\xff" * 12, b"x", "k1"))
    assert repo.get("account:o1") == SealedSecret(b"\x00" * 12, ALL_BYTES, "k1")
    clock.advance(60)
    repo.put("account:o1", SealedSecret(b"\x01" * 12, ALL_BYTES[::-1], "k2"))
    assert repo.get("account:o1") == SealedSecret(b"\x01" * 12, ALL_BYTES[::-1], "k2")
    assert db.conn().execute("SELECT updated_at FROM shared_secrets WHERE name = ?",
                             ("account:o1",)).fetchone()[0] == T0 + 60
    assert repo.names() == ["account:o1", "client-secret"]
    assert repo.delete("account:o1") and not repo.delete("account:o1")
    assert repo.names() == ["client-secret"]


def test_the_key_check_is_written_once_unless_replaced(db: Backend) -> None:
    meta = SharedMeta(db)
    assert meta.key_check() is None
    first = SealedSecret(ALL_BYTES[:12], ALL_BYTES, "aaaa bbbb")
    assert meta.set_key_check(first)
    # A second person creating a team key at the same time loses, and is told so.
    assert not meta.set_key_check(SealedSecret(b"n" * 12, b"other", "cccc dddd"))
    assert meta.key_check() == first
    assert meta.set_key_check(SealedSecret(b"n" * 12, b"other", "cccc dddd"), replace=True)
    assert meta.key_check() == SealedSecret(b"n" * 12, b"other", "cccc dddd")


def test_a_hand_damaged_meta_table_is_named(db: Backend) -> None:
    with db.transaction() as c:
        c.execute("INSERT INTO shared_meta (name, value) VALUES ('key_check', '{broken')")
    with pytest.raises(StoreError, match="key check is damaged"):
        SharedMeta(db).key_check()
    with db.transaction() as c:
        c.execute("DELETE FROM shared_meta WHERE name = 'schedule_id'")
    with pytest.raises(StoreError, match="no schedule id"):
        SharedMeta(db).schedule_id()


def test_a_local_schedule_keeps_no_secret_in_its_file(tmp_path: Path) -> None:
    """On SQLite the tables exist (the same schema as PostgreSQL) and the app leaves the
    secrets one empty: a local schedule's secrets are in the OS keyring."""
    path = tmp_path / "local.sqlite3"
    Database.open(path).close()
    c = sqlite3.connect(path)
    try:
        assert c.execute("SELECT COUNT(*) FROM shared_secrets").fetchone()[0] == 0
        assert [r[0] for r in c.execute("SELECT name FROM shared_meta")] == ["schedule_id"]
    finally:
        c.close()
