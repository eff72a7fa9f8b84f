"""The best-time map's grouping: weekday and hour in the zone the app shows, median views."""

from __future__ import annotations

import datetime as dt

from tiktok_desktop.services.stats import best_times, slot_label

BERLIN_SUMMER = int(dt.datetime(2026, 7, 6, 18, 0, tzinfo=dt.UTC).timestamp())  # a Monday


def test_posts_group_by_local_weekday_and_hour_with_the_median() -> None:
    views = [(BERLIN_SUMMER, 100), (BERLIN_SUMMER + 7 * 86400, 300),
             (BERLIN_SUMMER + 14 * 86400 + 59 * 60, 100_000), (BERLIN_SUMMER + 3600, 50)]
    found = best_times(views, "Europe/Berlin")
    assert found.posts == 4
    assert found.cells == {(0, 20): (3, 300.0), (0, 21): (1, 50.0)}  # 18:00 UTC = 20:00 CEST
    assert found.busiest == 3
    assert best_times(views, "UTC").cells[(0, 18)] == (3, 300.0)
    assert best_times([]).posts == 0 and best_times([]).busiest == 0


def test_slot_labels() -> None:
    assert [slot_label(i) for i in (0, 1, 2, 3, 25)] == ["1 h", "24 h", "7 days", "day 8",
                                                          "day 30"]
