"""PgWatch as the window's sense of its server (issue 20): ``problem`` says why the shared
schedule cannot be reached while its server is away (said once in the log, not at every try),
and clears when it answers again, which counts as a change (what happened meanwhile is
unknown). The server is really stopped and started again."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.postgres import PgServer, start_server, stop_server
from tests.helpers.shared_schedule import pause, resume
from tiktok_desktop.store.backend import ServerWatch
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.watch import DataVersion

from .test_posts import add_account


@pytest.fixture
def own_server() -> Iterator[PgServer]:
    server = start_server()  # its own: this test stops it
    yield server
    stop_server(server)


def test_the_watch_says_why_the_server_is_away_and_when_it_is_back(
        own_server: PgServer, caplog: pytest.LogCaptureFixture) -> None:
    db = PgDatabase.open(own_server.url(own_server.new_database()))
    watch = db.watch()
    try:
        assert isinstance(watch, ServerWatch)
        assert watch.where == db.where
        assert watch.changed() is False and watch.problem is None
        pause(own_server)
        assert watch.changed(timeout=10) is False  # its connection broke
        assert watch.problem is not None
        assert all(watch.changed(timeout=0.1) is False for _ in range(3))  # tries again
        assert "refused" in watch.problem  # nobody listens on the port now
        said = [r.getMessage() for r in caplog.records
                if r.name == "tiktok_desktop.store.postgres" and "could not ask" in r.getMessage()]
        assert len(said) == 1 and db.where in said[0]  # once, not at every try
        resume(own_server)
        assert watch.changed(timeout=1) is True  # back: the window catches up
        assert watch.problem is None
        add_account(db)
        assert watch.changed(timeout=10) is True  # and hears commits again
    finally:
        watch.close()
        db.close()
    assert any("answers again" in r.getMessage() for r in caplog.records)
    # The pool's own complaints about the stopped server (expected here).
    assert [r for r in caplog.records if r.levelno >= logging.WARNING
            and not r.name.startswith("psycopg.pool")] == []
    caplog.clear()


def test_a_files_watch_is_not_a_servers(tmp_path: Path) -> None:
    """The window polls a SQLite file on a timer and waits on a server in a thread: it tells
    them apart by this protocol."""
    assert not isinstance(DataVersion(tmp_path / "x.sqlite3"), ServerWatch)
