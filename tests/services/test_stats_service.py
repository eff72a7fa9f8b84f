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


def test_a_day_whose_offset_changes_is_converted_post_by_post() -> None:
    # 2026-03-29: Berlin goes from UTC+1 to UTC+2 at 01:00 UTC
    before = int(dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC).timestamp())
    after = int(dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC).timestamp())
    found = best_times([(before, 10), (after, 20)], "Europe/Berlin")
    assert found.cells == {(6, 1): (1, 10.0), (6, 3): (1, 20.0)}  # Sunday 01:30, 03:30
    # every hour of a year, in three zones, as datetime itself says
    hours = [(int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()) + h * 3600 + 59, 1)
             for h in range(366 * 24)]
    for name in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe"):
        from tiktok_desktop.services.schedule import zone

        tz = zone(name)
        expected: dict[tuple[int, int], int] = {}
        for ts, _v in hours:
            when = dt.datetime.fromtimestamp(ts, tz)
            expected[(when.weekday(), when.hour)] = expected.get((when.weekday(), when.hour),
                                                                 0) + 1
        assert {k: n for k, (n, _m) in best_times(hours, name).cells.items()} == expected
