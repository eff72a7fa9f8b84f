"""The PostgreSQL server fixtures for tests in any folder (a pytest plugin, see conftest.py):
``pg_server`` starts Debian's server once per session (tests/helpers/postgres.py) and
``pg_template`` is a database at the app's schema that tests copy rather than migrate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.postgres import PgServer, start_server, stop_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A database at the app's schema, copied for each test (no migration per test)."""
    from tiktok_desktop.store.postgres import PgDatabase

    name = pg_server.new_database()
    PgDatabase.open(pg_server.url(name)).close()
    return name
