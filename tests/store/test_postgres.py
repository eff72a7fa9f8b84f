"""What only the PostgreSQL backend has: its schema against SQLite's, its migrations, the
server's errors in the user's words (never the password), its watch, its search index."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.helpers.postgres import HOST, PgServer, start_server, stop_server
from tiktok_desktop.store import (
    AccountsRepo,
    DatabaseTooNew,
    DatabaseUnreachable,
    MigrationFailed,
    NewPost,
    PostsRepo,
    PostState,
    StoreError,
)
from tiktok_desktop.store.db import Database
from tiktok_desktop.store.listing import PostList, Where
from tiktok_desktop.store.migrations import MIGRATIONS, SCHEMA_VERSION
from tiktok_desktop.store.pg_schema import PG_SCHEMA, VERSION_TABLE, PgSchema
from tiktok_desktop.store.postgres import PgDatabase, to_pg

from .conftest import T0
from .test_posts import add_account

ONE = ["CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT NOT NULL)"]
ADD_COLUMN = ["ALTER TABLE notes ADD COLUMN x INTEGER NOT NULL DEFAULT 7"]
VERSION_ROW = [f"CREATE TABLE {VERSION_TABLE} (one BOOLEAN PRIMARY KEY DEFAULT TRUE "
               "CHECK (one), version INTEGER NOT NULL)"]


@pytest.fixture
def empty(pg_server: PgServer) -> Iterator[str]:
    """The address of a new, empty database."""
    name = pg_server.new_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture
def pg(pg_server: PgServer, pg_template: str) -> Iterator[PgDatabase]:
    name = pg_server.new_database(pg_template)
    db = PgDatabase.open(pg_server.url(name), clock=lambda: float(T0))
    yield db
    db.close()
    pg_server.drop_database(name)


def migrated(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "migrated to schema" in r.getMessage()]


# --- the schema -------------------------------------------------------------------------------

def test_both_backends_end_at_the_same_schema_version() -> None:
    """A migration added to one list and not the other fails here."""
    assert PG_SCHEMA.version == SCHEMA_VERSION == len(MIGRATIONS)


def test_schema_8_holds_sqlites_tables_columns_rules_and_indexes(
        pg: PgDatabase, tmp_path: Path) -> None:
    lite = Database.open(tmp_path / "t.sqlite3")
    try:
        c = lite.conn()
        tables = sorted(r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'posts_search%'"))
        columns = {t: [(r["name"], bool(r["notnull"] or r["pk"]))
                       for r in c.execute("SELECT * FROM pragma_table_xinfo(?)", (t,))]
                   for t in tables}
        indexes = {r[0] for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}
    finally:
        lite.close()
    p = pg.conn()
    assert sorted(r[0] for r in p.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() AND table_name <> ?", (VERSION_TABLE,))) == tables
    for table, cols in columns.items():
        got = [(r[0], r[1] == "NO") for r in p.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? "
            "ORDER BY ordinal_position", (table,))]
        assert got == cols, table
    pg_indexes = {r[0] for r in p.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")}
    assert indexes <= pg_indexes
    # Every text column compares by code point, as SQLite's do.
    assert p.execute("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                     "current_schema() AND data_type = 'text' "
                     "AND collation_name IS DISTINCT FROM 'C'").fetchone()[0] == 0


def test_history_is_append_only_and_goes_with_its_post(pg: PgDatabase) -> None:
    posts = PostsRepo(pg)
    post = posts.create(NewPost(add_account(pg), "/v.mp4", 1))
    errors = pg.dialect.integrity_errors
    with pytest.raises(errors, match="append-only"):
        pg.conn().execute("UPDATE post_events SET detail = 'rewritten'")
    with pytest.raises(errors, match="append-only"):
        pg.conn().execute("DELETE FROM post_events")
    assert [e.detail for e in posts.events(post.id)] == ["created"]
    posts.delete(post.id, expect=[PostState.DRAFT])
    assert pg.conn().execute("SELECT COUNT(*) FROM post_events").fetchone()[0] == 0


# --- migrations ---------------------------------------------------------------------------------

def test_a_new_database_is_migrated_once_then_opened_as_it_is(
        empty: str, caplog: pytest.LogCaptureFixture) -> None:
    db = PgDatabase.open(empty)
    assert db.schema_version == SCHEMA_VERSION and db.search_ready
    AccountsRepo(db).upsert_connected(
        open_id="o", display_name="Ann", username="", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None)
    db.close()
    assert migrated(caplog) == [f"shared schedule {db.where} migrated to schema {v}"
                                for v in range(PG_SCHEMA.baseline_version, SCHEMA_VERSION + 1)]
    caplog.clear()
    again = PgDatabase.open(empty)
    try:
        assert migrated(caplog) == []
        assert [a.display_name for a in AccountsRepo(again).all()] == ["Ann"]
    finally:
        again.close()


def test_later_migrations_run_in_order_and_keep_the_data(empty: str) -> None:
    old = PgDatabase.open(empty, PgSchema(1, [*VERSION_ROW, *ONE]))
    with old.transaction() as c:
        c.execute("INSERT INTO notes (id, body) VALUES (1, 'kept')")
    old.close()
    new = PgDatabase.open(empty, PgSchema(1, [*VERSION_ROW, *ONE],
                                          [ADD_COLUMN, ["CREATE TABLE extra (id INTEGER)"]]))
    try:
        assert new.schema_version == 3
        assert [tuple(r) for r in new.conn().execute("SELECT id, body, x FROM notes")] == [
            (1, "kept", 7)]
        assert new.conn().execute("SELECT COUNT(*) FROM extra").fetchone()[0] == 0
    finally:
        new.close()


def test_a_failed_migration_changes_nothing(empty: str) -> None:
    PgDatabase.open(empty, PgSchema(1, [*VERSION_ROW, *ONE])).close()
    broken = PgSchema(1, [*VERSION_ROW, *ONE], [[*ADD_COLUMN, "THIS IS NOT SQL"]])
    with pytest.raises(MigrationFailed) as info:
        PgDatabase.open(empty, broken)
    assert "schema 2" in str(info.value) and "Nothing was changed" in str(info.value)
    with psycopg.connect(empty) as c:
        assert c.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone() == (1,)  # noqa: S608
        assert [r[0] for r in c.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'notes' "
            "ORDER BY ordinal_position")] == ["id", "body"]  # the first step went back too


def test_a_newer_schema_is_refused_untouched(empty: str) -> None:
    PgDatabase.open(empty).close()
    with psycopg.connect(empty) as c:
        c.execute(f"UPDATE {VERSION_TABLE} SET version = 99")  # noqa: S608
    with pytest.raises(DatabaseTooNew) as info:
        PgDatabase.open(empty)
    assert "newer version" in str(info.value) and "schema 99" in str(info.value)
    assert f"up to {SCHEMA_VERSION}" in str(info.value)
    with psycopg.connect(empty) as c:
        assert c.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone() == (99,)  # noqa: S608


def test_a_database_of_something_else_is_refused(empty: str) -> None:
    with psycopg.connect(empty) as c:
        c.execute("CREATE TABLE posts (id INTEGER, blog TEXT)")
    with pytest.raises(StoreError, match="not a TikTok Desktop schedule"):
        PgDatabase.open(empty)


def test_apps_opening_a_new_database_at_once_migrate_it_once(
        empty: str, caplog: pytest.LogCaptureFixture) -> None:
    barrier = threading.Barrier(4)
    opened: list[PgDatabase] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            barrier.wait(timeout=30)
            opened.append(PgDatabase.open(empty))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert errors == [] and len(opened) == 4
        assert {db.schema_version for db in opened} == {SCHEMA_VERSION}
        # Each version once (the baseline, then every later migration), by one of them.
        assert sorted(int(m.rsplit(" ", 1)[-1]) for m in migrated(caplog)) == [
            *range(PG_SCHEMA.baseline_version, SCHEMA_VERSION + 1)]
    finally:
        for db in opened:
            db.close()


# --- the server's errors, in the user's words ---------------------------------------------------

def test_an_unreachable_server_is_named_and_its_password_kept_out() -> None:
    with socket_closed_port() as port:
        url = f"postgresql://tester:pa55-word@{HOST}:{port}/shared"
        with pytest.raises(DatabaseUnreachable) as info:
            PgDatabase.open(url, timeout=2)
    text = str(info.value)
    assert f"tester@{HOST}:{port}/shared" in text and "cannot be reached" in text
    assert "pa55-word" not in text and "pa55-word" not in repr(info.value)
    assert info.value.__cause__ is None


def socket_closed_port() -> _ClosedPort:
    return _ClosedPort()


class _ClosedPort:
    """A port on 127.0.0.1 nothing listens on (bound, then let go)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind((HOST, 0))
            return int(s.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_connection_the_server_dropped_is_replaced_and_a_stopped_server_reported(
        caplog: pytest.LogCaptureFixture) -> None:
    server = start_server()  # its own: this test stops it
    try:
        name = server.new_database()
        url = server.url(name, password="pa55-word")
        db = PgDatabase.open(url)
        posts = PostsRepo(db)
        post = posts.create(NewPost(add_account(db), "/v.mp4", 1))
        server.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "  # noqa: S608
                     f"WHERE datname = '{name}'")
        # The pool's check finds the connections dead (its backoff between two checks is a
        # second) and connects again: no error reaches the user.
        assert posts.get(post.id) == post
        impatient = PostsRepo(PgDatabase.open(url, timeout=1))  # gives up after a second
        stop_server(server)
        with pytest.raises(DatabaseUnreachable) as read:
            impatient.get(post.id)
        with pytest.raises(DatabaseUnreachable) as write:
            impatient.transition(post.id, PostState.FAILED, "x")
        for info in (read, write):
            assert f"tester@{HOST}:{server.port}/{name}" in str(info.value)
            assert "pa55-word" not in str(info.value)
        db.close()
        impatient.db.close()
    finally:
        stop_server(server)
    # The pool says in the log that it could not connect; never with the password.
    assert all("pa55-word" not in r.getMessage() for r in caplog.records)
    caplog.clear()


def test_a_row_another_writer_holds_is_reported_busy(pg: PgDatabase) -> None:
    post = PostsRepo(pg).create(NewPost(add_account(pg), "/v.mp4", 1))
    impatient = PgDatabase.open(pg._url, lock_timeout=0.05)
    try:
        with psycopg.connect(pg._url) as other:
            other.execute("SELECT 1 FROM posts WHERE id = %s FOR UPDATE", (post.id,))
            with pytest.raises(StoreError, match="busy") as info:
                PostsRepo(impatient).transition(post.id, PostState.FAILED, "x")
            assert "Try again" in str(info.value)
        assert PostsRepo(pg).get(post.id) == post  # nothing changed
    finally:
        impatient.close()


# --- types and SQL ------------------------------------------------------------------------------

def test_sqlites_marks_become_psycopgs_and_quoted_text_is_left_alone() -> None:
    assert to_pg("SELECT a FROM t WHERE b = ? AND c LIKE '%?%' AND d = ?") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE '%%?%%' AND d = %s")
    assert to_pg('SELECT "odd?name" FROM t WHERE x % 2 = ?') == (
        'SELECT "odd?name" FROM t WHERE x %% 2 = %s')


def test_values_come_back_as_sqlite_gives_them(pg: PgDatabase) -> None:
    c = pg.conn()
    row = c.execute("SELECT ? AS big, ? AS text, ? AS pct, SUM(x) AS total, 7 AS n "
                    "FROM (VALUES (4611686018427387904::BIGINT), (1::BIGINT)) AS v(x)",
                    (1 << 62, "ü 🎬 ?", "100%")).fetchone()
    assert tuple(row) == (1 << 62, "ü 🎬 ?", "100%", (1 << 62) + 1, 7)
    assert (row["big"], row["total"], row[4]) == (1 << 62, (1 << 62) + 1, 7)
    assert type(row["total"]) is int and row.keys() == ["big", "text", "pct", "total", "n"]
    assert c.execute("SELECT SUM(x) FROM (VALUES (0.5::NUMERIC), (1)) AS v(x)").fetchone()[0] \
        == 1.5


# --- watching for changes -----------------------------------------------------------------------

def test_the_watch_sees_commits_from_anywhere_and_nothing_else(pg: PgDatabase) -> None:
    watch = pg.watch()
    try:
        assert watch.changed() is False  # the first call only starts
        account = add_account(pg)
        assert watch.changed(timeout=10) is True
        assert watch.changed() is False  # told once
        other = PgDatabase.open(pg._url)  # another app on the same schedule
        try:
            PostsRepo(other).create(NewPost(account, "/v.mp4", 1))
        finally:
            other.close()
        assert watch.changed(timeout=10) is True
        assert watch.changed() is False
    finally:
        watch.close()


# --- the search index -----------------------------------------------------------------------------

def test_without_pg_trgm_the_search_scans_and_says_so(
        pg_server: PgServer, caplog: pytest.LogCaptureFixture) -> None:
    """A user who may create tables but not extensions: no index, a search that reads every
    post, and a line in the log; once the administrator adds pg_trgm, the index is built."""
    name = pg_server.new_database()
    pg_server.admin("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'plain') "
                    "THEN CREATE ROLE plain LOGIN; END IF; END $$")
    with psycopg.connect(pg_server.url(name), autocommit=True) as c:
        c.execute("REVOKE CREATE ON DATABASE " + name + " FROM PUBLIC")
        c.execute("GRANT CREATE, USAGE ON SCHEMA public TO plain")
    url = pg_server.url(name).replace("tester@", "plain@")
    try:
        db = PgDatabase.open(url)
        assert any("no pg_trgm" in r.getMessage() for r in caplog.records)
        caplog.clear()
        assert not db.search_ready and not db.dialect.search_in_step(db.conn())
        posts = PostsRepo(db)
        account = add_account(db)
        made = [posts.create(NewPost(account, f"/v/{i}.mp4", 1, caption=f"Sourdough {i}"))
                for i in range(3)]
        rows = PostList(db, Where(text="sourdough"))
        assert sorted(rows.post(r).id for r in range(len(rows))) == [p.id for p in made]
        db.close()
        with psycopg.connect(pg_server.url(name), autocommit=True) as c:
            c.execute("CREATE EXTENSION pg_trgm")
        db = PgDatabase.open(url)
        assert db.search_ready and db.dialect.search_in_step(db.conn())
        assert sorted(db.dialect.search_ids(db.conn(), "sourdough", 10)) == [
            p.id for p in made]
        db.close()
    finally:
        pg_server.drop_database(name)


def test_a_sqlite_error_type_is_not_taken_for_the_servers(pg: PgDatabase) -> None:
    """The dialect's integrity errors are psycopg's: a snippet for an account that went
    is the same clear StoreError on both backends (tests/services cover SQLite's)."""
    from tiktok_desktop.store.snippets import SnippetKind, SnippetsRepo

    assert sqlite3.IntegrityError not in pg.dialect.integrity_errors
    with pytest.raises(StoreError, match="no longer exists"):
        SnippetsRepo(pg).save(999, SnippetKind.TEMPLATE, "name", "text")


def test_logs_name_the_database_without_its_password(
        pg_server: PgServer, caplog: pytest.LogCaptureFixture) -> None:
    name = pg_server.new_database()
    try:
        with caplog.at_level(logging.INFO):
            db = PgDatabase.open(pg_server.url(name, password="pa55-word"))
            db.close()
        assert caplog.records and all("pa55-word" not in r.getMessage()
                                      for r in caplog.records)
        assert "pa55-word" not in repr(db)
    finally:
        pg_server.drop_database(name)


def test_the_sqlite_app_never_loads_psycopg() -> None:
    """psycopg is imported when a PostgreSQL address is opened, never at start-up."""
    import subprocess
    import sys

    code = ("import sys, tiktok_desktop.bootstrap, tiktok_desktop.store.listing\n"
            "print(sorted(m for m in sys.modules if m.startswith('psycopg')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.strip()
    assert out == "[]"
