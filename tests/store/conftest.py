"""The store's tests run against both backends: a real SQLite file per test, and a real
PostgreSQL database per test (tests/helpers/postgres.py starts the server once), on a clock
that moves only when the test says so.

``db`` is the test's database on the backend it is run for; ``open_db(name)`` opens (again)
a database of that backend by name, for tests that close and reopen one. Tests of what only
one backend has (SQLite's file, PostgreSQL's server) use their own fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.postgres import PgServer
from tiktok_desktop.store import Database
from tiktok_desktop.store.backend import Backend

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
BACKENDS = ["sqlite", "postgresql"]

Opener = Callable[..., Backend]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def open_db(backend: str, tmp_path: Path, clock: FakeClock,
            request: pytest.FixtureRequest) -> Iterator[Opener]:
    """``open_db(name="t", clock=None)``: that database of this test's backend, opened."""
    opened: list[Backend] = []
    databases: dict[str, str] = {}
    server: PgServer | None = None

    def open_(name: str = "t", clock: Callable[[], float] | None = None,
              **options: Any) -> Backend:
        nonlocal server
        tick = request.getfixturevalue("clock") if clock is None else clock
        db: Backend
        if backend == "sqlite":
            db = Database.open(tmp_path / f"{name}.sqlite3", clock=tick, **options)
        else:
            from tiktok_desktop.store.postgres import PgDatabase

            if server is None:
                server = request.getfixturevalue("pg_server")
            if name not in databases:
                databases[name] = server.new_database(request.getfixturevalue("pg_template"))
            db = PgDatabase.open(server.url(databases[name]), clock=tick, **options)
        opened.append(db)
        return db

    yield open_
    for db in opened:
        db.close()
    if server is not None:
        for name in databases.values():
            server.drop_database(name)


@pytest.fixture
def db(open_db: Opener) -> Backend:
    return open_db()
