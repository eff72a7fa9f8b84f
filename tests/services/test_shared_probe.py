"""SharedSchedule.test: what an address offers, in words, changing nothing (a real server)."""

from __future__ import annotations

import socket

import psycopg
import pytest

from tests.helpers.postgres import HOST, PgServer
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import decide_mode, shared_schedule
from tiktok_desktop.services.shared import SharedSchedule

SECRET = "pa55-w0rd-never-shown"


@pytest.fixture
def schedule() -> SharedSchedule:
    return shared_schedule(decide_mode(paths.resolve()))


def _tables(url: str) -> int:
    with psycopg.connect(url) as c:
        row = c.execute("SELECT COUNT(*) FROM information_schema.tables "
                        "WHERE table_schema = 'public'").fetchone()
        assert row is not None
        return int(row[0])


def test_an_empty_database_is_ready_and_a_schedule_is_to_join(
        schedule: SharedSchedule, pg_server: PgServer, pg_template: str) -> None:
    empty = pg_server.new_database()
    there = pg_server.new_database(pg_template)
    try:
        probe = schedule.test(pg_server.url(empty, password=SECRET))
        assert probe.ok and not probe.holds_schedule
        assert probe.where == f"tester@{HOST}:{pg_server.port}/{empty}"
        assert "is empty and ready" in probe.message and probe.where in probe.message
        assert _tables(pg_server.url(empty)) == 0  # nothing was made
        probe = schedule.test(pg_server.url(there))
        assert probe.ok and probe.holds_schedule and probe.schema > 0
        assert "join it with its team key" in probe.message
    finally:
        pg_server.drop_database(empty)
        pg_server.drop_database(there)


def test_each_failure_says_what_is_wrong_and_never_the_password(
        schedule: SharedSchedule, pg_server: PgServer) -> None:
    with socket.socket() as s:
        s.bind((HOST, 0))
        closed = s.getsockname()[1]
    foreign = pg_server.new_database()
    pg_server.admin("DROP ROLE IF EXISTS viewer")
    pg_server.admin("CREATE ROLE viewer LOGIN")
    try:
        with psycopg.connect(pg_server.url(foreign), autocommit=True) as c:
            c.execute("CREATE TABLE posts (id INTEGER)")
            c.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        empty = pg_server.new_database()
        with psycopg.connect(pg_server.url(empty), autocommit=True) as c:
            c.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        viewer = pg_server.url(empty).replace("tester@", f"viewer:{SECRET}@")
        cases = {
            f"postgresql://tester:{SECRET}@{HOST}:{closed}/x?connect_timeout=5":
                "cannot be reached",
            pg_server.url("no_such_db", password=SECRET): "Create the database first",
            pg_server.url(foreign, password=SECRET): "not a TikTok Desktop schedule",
            viewer: "may not create tables",
            f"mysql://tester:{SECRET}@{HOST}/x": "PostgreSQL URL",
        }
        for url, words in cases.items():
            probe = schedule.test(url)
            assert not probe.ok, url
            assert words in probe.message, probe.message
            assert SECRET not in probe.message
    finally:
        pg_server.drop_database(foreign)
        pg_server.drop_database(empty)
        pg_server.admin("DROP ROLE viewer")
