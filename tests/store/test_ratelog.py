"""Rate budgets kept in the database: a restart or a second engine shares the same minute."""

from __future__ import annotations

from tests.helpers.clock import FakeClock
from tiktok_desktop.engine.ratelimit import Budget, RateLimits
from tiktok_desktop.store.ratelog import RateLog

from .conftest import Opener


def test_a_restarted_engine_does_not_get_a_fresh_minute(open_db: Opener) -> None:
    clock = FakeClock()
    db = open_db("app", clock=clock)
    first = RateLimits(clock, log=RateLog(db))
    assert [first.try_take(1, Budget.INIT) for _ in range(6)] == [0.0] * 6
    clock.advance(10)
    db.close()
    again = open_db("app", clock=clock)  # the engine restarted
    second = RateLimits(clock, log=RateLog(again))
    assert second.try_take(1, Budget.INIT) == 50.0  # the first request leaves the window then
    assert second.try_take(2, Budget.INIT) == 0.0  # other accounts have their own budget
    assert second.try_take(1, Budget.STATUS) == 0.0  # and other endpoints theirs
    clock.advance(50)  # the first six have left the window
    assert [second.try_take(1, Budget.INIT) for _ in range(6)] == [0.0] * 6
    assert second.try_take(1, Budget.INIT) == 60.0
    rows = again.conn().execute(
        "SELECT COUNT(*) FROM rate_spend WHERE account_id = 1 AND budget = 'init'").fetchone()[0]
    assert rows == 6  # spent requests older than the window were cleaned up
    again.close()
