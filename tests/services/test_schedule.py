"""Scheduling: local times across DST and zones, the checks, queue slots, the posts service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.posts import make_post
from tiktok_desktop.services.posts import PostsService, ScheduleRefused
from tiktok_desktop.services.schedule import (
    DAILY_POST_CAP,
    ScheduleError,
    check_schedule,
    describe,
    next_free_slots,
    resolve_local,
)
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    Database,
    NewPost,
    PostMode,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.queue import QueueRepo, Slot

BERLIN = "Europe/Berlin"


def berlin(y: int, mo: int, d: int, h: int, mi: int = 0) -> int:
    return resolve_local(dt.datetime(y, mo, d, h, mi), BERLIN).epoch


def test_plain_local_time_round_trips() -> None:
    r = resolve_local(dt.datetime(2026, 12, 1, 9, 0), BERLIN)
    assert r.note == "" and r.zone == BERLIN
    assert dt.datetime.fromtimestamp(r.epoch, dt.UTC).hour == 8  # CET = UTC+1
    assert describe(r.epoch, BERLIN) == "Tue 01 Dec 2026, 09:00 CET"


def test_dst_gap_is_refused_with_a_time_to_pick() -> None:
    with pytest.raises(ScheduleError) as info:
        resolve_local(dt.datetime(2026, 3, 29, 2, 30), BERLIN)
    assert "02:30 does not exist on Sun 29 Mar 2026" in str(info.value)
    assert "Pick 03:30" in str(info.value)


APIA = "Pacific/Apia"


def test_a_whole_skipped_day_offers_a_time_that_exists() -> None:
    """Samoa skipped 30 Dec 2011 (UTC-10 to UTC+14). Before: "Pick 10:00", a time on that same
    missing day."""
    with pytest.raises(ScheduleError) as info:
        resolve_local(dt.datetime(2011, 12, 30, 10, 0), APIA)
    assert str(info.value) == (
        "10:00 does not exist on Fri 30 Dec 2011 in Pacific/Apia: the clocks skip that whole "
        "day. Pick 10:00 on Sat 31 Dec 2011 (the same moment after the change) or another "
        "time.")
    instead = info.value.instead
    assert instead is not None
    # The offered time exists and is that very moment.
    assert resolve_local(dt.datetime(2011, 12, 31, 10, 0), APIA).epoch == instead.epoch
    assert describe(instead.epoch, APIA) == "Sat 31 Dec 2011, 10:00 +14"


def test_a_skipped_time_in_the_past_says_it_has_passed(account: Account,
                                                       clock: FakeClock) -> None:
    """Before: the gap message was all, so the past check never ran for it."""
    now = clock()
    with pytest.raises(ScheduleError) as info:
        resolve_local(dt.datetime(2011, 12, 30, 10, 0), APIA, now=now)
    assert str(info.value) == (
        "10:00 does not exist on Fri 30 Dec 2011 in Pacific/Apia (the clocks skip that whole "
        "day), and that time has already passed: pick a later time, or choose Post now.")
    instead = info.value.instead
    assert instead is not None
    problems = check_schedule(account, instead.epoch, PostMode.DIRECT, now, [], APIA)
    assert problems == ["Sat 31 Dec 2011, 10:00 +14 has already passed: pick a later time, "
                        "or choose Post now."]
    # A gap that is still ahead keeps its suggestion, with or without `now`.
    with pytest.raises(ScheduleError, match="Pick 03:30 "):
        resolve_local(dt.datetime(2027, 3, 28, 2, 30), BERLIN, now=now)


def test_dst_overlap_takes_the_first_and_says_so() -> None:
    r = resolve_local(dt.datetime(2026, 10, 25, 2, 30), BERLIN)
    assert "happens twice" in r.note and "CEST" in r.note
    assert dt.datetime.fromtimestamp(r.epoch, dt.UTC).hour == 0  # 02:30 CEST = 00:30 UTC


def test_time_zone_change_after_scheduling_keeps_the_instant() -> None:
    epoch = berlin(2026, 12, 1, 9)
    # The computer moves to New York: the post still goes out at 09:00 Berlin time.
    assert describe(epoch, "America/New_York") == "Tue 01 Dec 2026, 03:00 EST"
    assert describe(epoch, BERLIN).endswith("09:00 CET")


def test_unknown_zone_says_where_to_fix_it() -> None:
    with pytest.raises(ScheduleError, match="Settings"):
        resolve_local(dt.datetime(2026, 12, 1, 9), "Mars/Olympus")


# -- checks -----------------------------------------------------------------------------------

@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database.open(tmp_path / "app.sqlite3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(berlin(2026, 11, 23, 8))


@pytest.fixture
def account(db: Database, clock: FakeClock) -> Account:
    return AccountsRepo(db).upsert_connected(
        open_id="o1", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=["video.publish", "video.upload"], access_expires_at=None,
        refresh_expires_at=int(clock()) + 180 * 86400)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> PostsService:
    return PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=clock)


def post(account: Account, due_at: int | None, mode: PostMode = PostMode.DIRECT) -> NewPost:
    return NewPost(account_id=account.id, video_path="/v.mp4", video_size=1, mode=mode,
                   privacy_level="SELF_ONLY", due_at=due_at, due_tz=BERLIN)


def test_past_far_future_and_after_sign_in_expiry(account: Account, clock: FakeClock) -> None:
    now = clock()
    past = check_schedule(account, int(now) - 3600, PostMode.DIRECT, now, [], BERLIN)
    assert past and "has already passed" in past[0] and "Post now" in past[0]
    assert check_schedule(account, int(now) - 30, PostMode.DIRECT, now, [], BERLIN) == []
    far = check_schedule(account, int(now) + 400 * 86400, PostMode.DIRECT, now, [], BERLIN)
    assert "more than a year ahead" in far[0]
    late = check_schedule(account, int(now) + 200 * 86400, PostMode.DIRECT, now, [], BERLIN)
    assert "sign-in ends" in late[0] and "reconnect" in late[0]


def test_account_needing_reconnect_is_refused(db: Database, account: Account,
                                              clock: FakeClock) -> None:
    AccountsRepo(db).set_status(account.id, AccountStatus.NEEDS_RECONNECT)
    stale = AccountsRepo(db).get(account.id)
    assert stale is not None
    problems = check_schedule(stale, int(clock()) + 3600, PostMode.DIRECT, clock(), [], BERLIN)
    assert problems == ["Mia (@mia) needs to be reconnected: select it under Accounts and click "
                        "Reconnect first."]


def test_daily_cap_counts_the_local_day(service: PostsService, account: Account) -> None:
    for i in range(DAILY_POST_CAP):
        service.schedule(post(account, berlin(2026, 11, 24, 8 + i // 2, (i % 2) * 30)))
    with pytest.raises(ScheduleRefused) as info:
        service.schedule(post(account, berlin(2026, 11, 24, 23, 30)))
    assert "already has 15 posts on Tue 24 Nov" in info.value.problems[0]
    # The next local day is free again; inbox sends do not count towards direct posts.
    service.schedule(post(account, berlin(2026, 11, 25, 0, 30)))
    service.schedule(post(account, berlin(2026, 11, 24, 23, 0), PostMode.INBOX))


def test_pending_inbox_cap(service: PostsService, account: Account) -> None:
    for h in range(5):
        service.schedule(post(account, berlin(2026, 11, 24, 9 + h), PostMode.INBOX))
    with pytest.raises(ScheduleRefused) as info:
        service.schedule(post(account, berlin(2026, 11, 25, 8), PostMode.INBOX))
    assert "more than 5 videos waiting in the TikTok inbox" in info.value.problems[0]
    service.schedule(post(account, berlin(2026, 11, 25, 15), PostMode.INBOX))  # > 24 h later


def test_schedule_records_consent_and_reschedule_unschedule(
        service: PostsService, account: Account, clock: FakeClock) -> None:
    changes: list[int] = []
    service.on_change.append(lambda: changes.append(1))
    p = service.schedule(post(account, berlin(2026, 11, 24, 9)))
    assert p.state is PostState.SCHEDULED and p.consent_at == int(clock())
    moved = service.reschedule(p.id, berlin(2026, 11, 24, 18), BERLIN)
    assert moved.due_at == berlin(2026, 11, 24, 18) and moved.state is PostState.SCHEDULED
    with pytest.raises(ScheduleRefused, match="already passed"):
        service.reschedule(p.id, int(clock()) - 7200)
    draft = service.unschedule(p.id)
    assert draft.state is PostState.DRAFT and draft.due_at is None
    assert draft.caption == p.caption and draft.video_path == p.video_path
    assert [e.detail for e in service.repo.events(p.id)] == [
        "scheduled", f"rescheduled to {berlin(2026, 11, 24, 18)}", "unscheduled"]
    service.delete(p.id)
    assert service.get(p.id) is None
    assert len(changes) == 4


def test_failed_post_can_be_rescheduled_but_an_active_one_cannot(
        service: PostsService, account: Account) -> None:
    p = service.schedule(post(account, berlin(2026, 11, 24, 9)))
    service.repo.transition(p.id, PostState.FAILED, "boom", last_error_message="no")
    again = service.reschedule(p.id, berlin(2026, 11, 24, 10))
    assert again.state is PostState.SCHEDULED and again.last_error_message is None
    service.repo.transition(p.id, PostState.UPLOADING, "engine")
    with pytest.raises(ScheduleRefused, match="can no longer be changed"):
        service.reschedule(p.id, berlin(2026, 11, 24, 11))
    with pytest.raises(ScheduleRefused, match="right now"):
        service.delete(p.id)


# -- queue slots ------------------------------------------------------------------------------

def test_queue_takes_the_next_free_slots(service: PostsService, account: Account,
                                         clock: FakeClock) -> None:
    # Now is Mon 23 Nov 2026 08:00 Berlin.
    service.set_queue_slots(account.id, [Slot(0, 9 * 60), Slot(2, 18 * 60 + 30)], BERLIN)
    zone, slots = service.queue_slots(account.id)
    assert zone == BERLIN and [s.label for s in slots] == ["Mon 09:00", "Wed 18:30"]
    first, second, third = service.next_queue_times(account.id, 3)
    assert (first, second, third) == (berlin(2026, 11, 23, 9), berlin(2026, 11, 25, 18, 30),
                                      berlin(2026, 11, 30, 9))
    service.schedule(post(account, first))
    assert service.next_queue_times(account.id) == [second]
    # A draft does not occupy its slot.
    service.save_draft(post(account, second))
    assert service.next_queue_times(account.id) == [second]


def test_queue_skips_a_slot_in_the_dst_gap() -> None:
    start = berlin(2026, 3, 28, 12)  # Saturday before the spring change
    times = next_free_slots([Slot(6, 2 * 60 + 30)], BERLIN, start, [], 1)
    assert times == [berlin(2026, 4, 5, 2, 30)]  # 29 Mar 02:30 does not exist


def test_no_slots_no_queue(service: PostsService, account: Account) -> None:
    assert service.next_queue_times(account.id) == []
    with pytest.raises(ValueError):
        service.set_queue_slots(account.id, [Slot(7, 0)])


def test_a_post_tiktok_may_already_have_cannot_be_changed(
        service: PostsService, account: Account) -> None:
    from tiktok_desktop.store import PostStep

    p = service.schedule(post(account, berlin(2026, 11, 24, 9)))
    # The engine sent the last chunk, then the account needed reconnecting.
    service.repo.transition(p.id, PostState.NEEDS_RECONNECT, "token revoked",
                            step=PostStep.FINAL, publish_id="v_pub_1")
    for action in (lambda: service.reschedule(p.id, berlin(2026, 11, 24, 10)),
                   lambda: service.unschedule(p.id),
                   lambda: service.edit(p.id, post(account, berlin(2026, 11, 24, 11)))):
        with pytest.raises(ScheduleRefused, match="TikTok may already have"):
            action()


def test_a_post_of_an_account_that_is_not_connected_waits(
        db: Database, service: PostsService, account: Account, clock: FakeClock) -> None:
    scheduled = service.schedule(post(account, int(clock()) + 3600))
    assert service.waiting_for_reconnect() == {}
    AccountsRepo(db).set_status(account.id, AccountStatus.DISCONNECTED)
    assert service.account_status(account.id) is AccountStatus.DISCONNECTED
    assert service.waiting_for_reconnect() == {PostState.SCHEDULED: 1}
    for change in (lambda: service.post_now(scheduled.id),
                   lambda: service.reschedule(scheduled.id, int(clock()) + 7200)):
        with pytest.raises(ScheduleRefused) as info:
            change()
        assert "was disconnected" in str(info.value) and "waits" in str(info.value)
    assert service.get(scheduled.id) == scheduled  # nothing moved
    service.unschedule(scheduled.id)  # keeping it as a draft is fine
    assert service.waiting_for_reconnect() == {}

def test_posts_in_review_and_lapsed_drafts_count_towards_the_caps(
        account: Account, clock: FakeClock) -> None:
    """Issue 15's states: a post in TikTok's review is published (it counts for the day); a
    draft that lapsed unposted still counts for TikTok's pending shares, a posted one not."""
    day = berlin(2026, 11, 24, 12)
    direct = [make_post(i, account_id=account.id, due_at=day + i, due_tz=BERLIN,
                        state=PostState.IN_REVIEW) for i in range(DAILY_POST_CAP)]
    problems = check_schedule(account, day + 3600, PostMode.DIRECT, clock(), direct, BERLIN)
    assert problems and "already has 15 posts" in problems[0]
    drafts = [make_post(i, account_id=account.id, due_at=day + i, mode=PostMode.INBOX,
                        state=PostState.DRAFT_LAPSED) for i in range(5)]
    problems = check_schedule(account, day + 3600, PostMode.INBOX, clock(), drafts, BERLIN)
    assert problems and "more than 5 videos waiting" in problems[0]
    posted = [make_post(i, account_id=account.id, due_at=day + i, mode=PostMode.INBOX,
                        state=PostState.IN_REVIEW) for i in range(5)]
    assert check_schedule(account, day + 3600, PostMode.INBOX, clock(), posted, BERLIN) == []
