"""A real SQLite file per test, on a clock that moves only when the test says so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tiktok_desktop.store import Database

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> Iterator[Database]:
    d = Database.open(tmp_path / "t.sqlite3", clock=clock)
    yield d
    d.close()
