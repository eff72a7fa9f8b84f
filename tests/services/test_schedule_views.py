"""The Qt-free decisions behind the schedule views: groups, filters, history text and
calendar arithmetic in a zone with DST changes (which actions a post allows is
domain.lifecycle's, tested in tests/domain/test_lifecycle.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from tests.helpers.posts import make_post
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.services.schedule_views import (
    GROUP_STATES,
    DueIndex,
    PostFilter,
    StateGroup,
    day_bounds,
    event_detail,
    file_name,
    group_of,
    month_days,
    wall_minutes,
    week_start,
)
from tiktok_desktop.store import PostEvent, PostState

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


_post = make_post


def test_every_state_is_in_exactly_one_group() -> None:
    for state in PostState:
        holders = [g for g, states in GROUP_STATES.items()
                   if g is not StateGroup.ALL and state in states]
        assert holders == [group_of(state)]
    assert GROUP_STATES[StateGroup.ALL] == frozenset(PostState)


def test_filter_by_account_group_and_text() -> None:
    post = _post(account_id=2)
    assert PostFilter().passes_all and PostFilter().matches(post)
    assert PostFilter(text="   ").passes_all
    assert PostFilter(account_id=2).matches(post)
    assert not PostFilter(account_id=3).matches(post)
    assert PostFilter(group=StateGroup.UPCOMING).matches(post)
    assert not PostFilter(group=StateGroup.DRAFTS).matches(post)
    assert PostFilter(text="SOURDOUGH").matches(post)  # caption, any case
    assert PostFilter(text="clip one.mp4").matches(post)  # file name, any case
    assert not PostFilter(text="videos").matches(post)  # not the folders above it
    assert file_name("C:\\Users\\me\\clip.mov") == "clip.mov"
    # A library copy is named by its hash: the user searches for the name they picked.
    copied = _post(video_path="/data/library/3f9a.mp4",
                   video_meta={"original_path": "/home/me/Holiday Reel.mp4"})
    assert video_name(copied) == "Holiday Reel.mp4"
    assert PostFilter(text="holiday").matches(copied)
    assert not PostFilter(text="3f9a").matches(copied)


def test_event_detail_writes_dates() -> None:
    event = PostEvent(1, 1, 0, PostState.SCHEDULED, "rescheduled to 1806217200")
    assert event_detail(event, "Europe/Berlin") == "rescheduled to Sun 28 Mar 2027, 09:00 CEST"
    plain = PostEvent(2, 1, 0, PostState.FAILED, "upload failed (code 1234567890123)")
    assert event_detail(plain, "Europe/Berlin") == plain.detail


def test_weeks_and_months() -> None:
    sunday = dt.date(2027, 3, 28)
    assert week_start(sunday) == dt.date(2027, 3, 22)
    assert week_start(sunday, first_weekday=6) == sunday
    days = month_days(dt.date(2027, 3, 15))
    assert len(days) == 42 and days[0] == dt.date(2027, 3, 1)  # 1 Mar 2027 is a Monday
    assert month_days(dt.date(2027, 2, 10), first_weekday=6)[0] == dt.date(2027, 1, 31)


def test_day_bounds_follow_the_zone_across_dst() -> None:
    start, end = day_bounds(dt.date(2027, 3, 28), dt.date(2027, 3, 28), "Europe/Berlin")
    assert end - start == 23 * 3600  # the spring day is an hour short
    start, end = day_bounds(dt.date(2027, 10, 31), dt.date(2027, 10, 31), "Europe/Berlin")
    assert end - start == 25 * 3600
    two = (dt.date(2027, 10, 31), 2 * 60)
    assert wall_minutes(start + 2 * 3600, BERLIN) == two  # 02:00 CEST
    assert wall_minutes(start + 3 * 3600, BERLIN) == two  # 02:00 CET, an hour later
    assert wall_minutes(start + 4 * 3600, BERLIN) == (dt.date(2027, 10, 31), 3 * 60)
    # A zone whose clocks skip midnight: the day starts at the first instant it has.
    start, _end = day_bounds(dt.date(2018, 11, 4), dt.date(2018, 11, 4), "America/Sao_Paulo")
    assert dt.datetime.fromtimestamp(start, zoneinfo.ZoneInfo("America/Sao_Paulo")).hour == 1


def test_due_index_ranges_and_updates() -> None:
    posts = [_post(i, due_at=1000 + (i % 5) * 10) for i in range(10)]
    posts.append(_post(99, due_at=None, state=PostState.DRAFT))
    index = DueIndex(posts)
    assert len(index) == 10
    assert [p.id for p in index.between(1000, 1011)] == [0, 5, 1, 6]  # by time, then id
    index.put(dataclasses.replace(posts[1], due_at=1045))
    assert [p.id for p in index.between(1000, 1011)] == [0, 5, 6]
    assert [p.id for p in index.between(1040, 1050)] == [4, 9, 1]
    index.put(dataclasses.replace(posts[2], due_at=None))  # unscheduled: leaves the calendar
    assert index.get(2) is None and len(index) == 9
    index.remove(4)
    index.remove(12345)  # not there: nothing happens
    assert [p.id for p in index.between(0, 2000)] == [0, 5, 6, 7, 3, 8, 9, 1]
    index.put(_post(3, due_at=1030))  # replaced in place among equal times, ordered by id
    assert [p.id for p in index.between(1030, 1031)] == [3, 8]



def test_state_text_says_a_post_waits_for_its_accounts_reconnect() -> None:
    from tiktok_desktop.services.schedule_views import (
        POST_STATE_TEXT,
        WAITING_FOR_RECONNECT,
        state_text,
    )
    from tiktok_desktop.store import AccountStatus

    scheduled = _post()
    assert state_text(scheduled) == "Scheduled"
    assert state_text(scheduled, AccountStatus.CONNECTED) == "Scheduled"
    for status in (AccountStatus.DISCONNECTED, AccountStatus.NEEDS_RECONNECT):
        assert state_text(scheduled, status) == WAITING_FOR_RECONNECT == "Waiting for reconnect"
        # A post that would not go out anyway keeps its own words.
        for state in (PostState.DRAFT, PostState.PUBLISHED, PostState.FAILED):
            assert state_text(_post(state=state), status) == POST_STATE_TEXT[state]
