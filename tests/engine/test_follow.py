"""Posts TikTok has but has not finished with (issue 15): a public post waits for TikTok's
review before it gets its ID and link, an inbox draft waits for the creator. The engine follows
them with planned checks (next_attempt_at), within the status budget, and shows the outcome."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, follow_until
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, STATUS, reread
from tiktok_desktop.domain.lifecycle import FINAL, Action, state_text, why_not
from tiktok_desktop.engine import Engine, EngineConfig, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.posts import PostsService, ScheduleRefused
from tiktok_desktop.store import Account, Database, Post, PostMode, PostsRepo, PostState

DAY = 86400


def test_a_private_post_is_published_at_once_without_waiting_for_an_id(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder, clock: FakeClock,
) -> None:
    """TikTok gives IDs to public posts only: an "Only me" post is not followed."""
    account = connect()
    post = schedule(account, video, privacy="SELF_ONLY")
    engine = make_engine()
    engine.run_once()
    done = reread(posts, post)
    assert done.state is PostState.PUBLISHED and state_text(done) == "Published"
    assert done.post_ids == () and done.share_url is None and done.next_attempt_at is None
    assert "link" in (why_not(done, Action.OPEN_ON_TIKTOK) or "")
    assert recorder.kinds(post.id) == [NoticeKind.PUBLISHED]
    sandbox.control.clear_calls()
    assert (engine.tick() or math.inf) > clock.now + 100 * DAY  # nothing left to ask
    engine.wait_idle()
    assert sandbox.control.calls() == []


@pytest.mark.parametrize("sandbox_options", [{"moderation_seconds": 2 * DAY}], indirect=True)
def test_a_review_that_outlasts_a_day_leaves_the_post_published_without_a_link(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video)
    engine = make_engine()
    engine.run_once()
    review = reread(posts, post)
    assert review.state is PostState.IN_REVIEW and review.follow_until is not None
    sandbox.control.clear_calls()
    checks = follow_until(engine, clock, lambda: reread(posts, post).state in FINAL)
    done = reread(posts, post)
    assert done.state is PostState.PUBLISHED and done.share_url is None
    assert done.last_error_code == "no_post_id"
    assert "may not be public" in (done.last_error_message or "")
    assert state_text(done) == "Published, not made public by TikTok"
    assert clock.now == review.follow_until  # the last check came when the day was over
    # Waits of 30 s, 1, 2, 5, 10 min, then every 30 min: about 50 checks in 24 h, each one
    # status call, and nothing else (the token was refreshed as it ran out, every 2 h).
    statuses = calls_to(sandbox, STATUS)
    assert len(statuses) == checks and 45 <= checks <= 55
    assert {c.path for c in sandbox.control.calls()} == {STATUS, "/v2/oauth/token/"}
    assert recorder.kinds(post.id) == [NoticeKind.PUBLISHED]
    assert (engine.tick() or math.inf) > clock.now + 100 * DAY


def test_a_draft_finished_in_tiktok_is_followed_to_its_link(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, mode=PostMode.INBOX, privacy=None, caption="draft")
    engine = make_engine()
    engine.run_once()
    waiting = reread(posts, post)
    assert waiting.state is PostState.IN_INBOX
    assert state_text(waiting) == "In TikTok inbox, waiting for the creator"
    assert waiting.follow_until == int(clock.now) + 7 * DAY
    # The creator opens TikTok an hour later and posts it publicly.
    clock.advance(3600)
    sandbox.control.finish_draft(waiting.publish_id or "")
    follow_until(engine, clock, lambda: reread(posts, post).state is not PostState.IN_INBOX)
    review = reread(posts, post)
    assert review.state is PostState.IN_REVIEW  # posted; TikTok reviews it like any post
    follow_until(engine, clock, lambda: reread(posts, post).state is not PostState.IN_REVIEW)
    done = reread(posts, post)
    [publish] = sandbox.control.publishes(account.open_id)
    assert done.state is PostState.PUBLISHED
    assert done.post_ids == tuple(str(i) for i in publish.post_ids)
    assert done.share_url and done.share_url.endswith(f"/video/{done.post_ids[0]}")
    assert state_text(done) == "Posted from the TikTok inbox"
    assert recorder.kinds(post.id) == [NoticeKind.IN_INBOX, NoticeKind.PUBLISHED]
    assert "was posted from the TikTok inbox" in recorder.notices[-1].message
    assert len(calls_to(sandbox, INIT)) == 0  # inbox init is its own endpoint
    assert len([c for c in sandbox.control.calls() if c.path.endswith("/inbox/video/init/")]) \
        == 1


def test_a_draft_the_creator_never_finishes_lapses_and_can_be_checked_again(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder, service: PostsService,
) -> None:
    account = connect()
    post = schedule(account, video, mode=PostMode.INBOX, privacy=None)
    engine = make_engine()
    engine.run_once()
    publish_id = reread(posts, post).publish_id or ""
    sandbox.control.expire_draft(publish_id)  # TikTok says nothing: still SEND_TO_USER_INBOX
    sandbox.control.clear_calls()
    checks = follow_until(engine, clock, lambda: reread(posts, post).state in FINAL)
    lapsed = reread(posts, post)
    assert lapsed.state is PostState.DRAFT_LAPSED
    assert state_text(lapsed) == "Not posted from the TikTok inbox"
    assert (lapsed.last_error_message or "").startswith(
        "It was not posted from the TikTok inbox within 7 days, and TikTok does not say "
        "whether the draft is still there.")
    assert 170 <= checks <= 185  # hourly after the first hour, for a week
    assert recorder.kinds(post.id) == [NoticeKind.IN_INBOX, NoticeKind.NOT_POSTED]
    # It cannot be sent again (the draft may still be there), only asked about again.
    with pytest.raises(ScheduleRefused, match="may still be in the TikTok inbox"):
        service.post_now(post.id)
    service.check_again(post.id)
    engine.run_once()
    assert reread(posts, post).state is PostState.IN_INBOX  # followed for another week
    assert len([c for c in sandbox.control.calls() if "init" in c.path]) == 0


def test_a_draft_tiktok_no_longer_knows_is_lapsed_at_the_next_check(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video, mode=PostMode.INBOX, privacy=None)
    engine = make_engine()
    engine.run_once()
    sandbox.control.expire_draft(reread(posts, post).publish_id or "", forget=True)
    checks = follow_until(engine, clock, lambda: reread(posts, post).state in FINAL)
    assert checks == 1
    lapsed = reread(posts, post)
    assert lapsed.state is PostState.DRAFT_LAPSED
    assert "TikTok no longer knows the draft" in (lapsed.last_error_message or "")


@pytest.mark.parametrize("sandbox_options", [{"moderation_seconds": 3600}], indirect=True)
def test_checks_of_followed_posts_leave_room_for_a_due_post(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, db: Database,
) -> None:
    """Twelve posts in review all due for a check, and a post due at the same moment: the
    due post goes first and gets its status reads; the checks take only what the reserve
    leaves (here 5 a minute, all uses counted) and the rest wait for the next minute, without
    counting as a check."""
    account = connect()
    batch = [schedule(account, video, caption=f"r{i}") for i in range(12)]
    config = dataclasses.replace(EngineConfig(), follow_status_reserve=25)
    engine = make_engine(config=config)
    minute = 60 + config.rate_margin  # as the engine counts TikTok's minute
    for _ in range(5):  # the init budget lets six a minute through
        engine.run_once()
        clock.advance(minute + 1)
    assert all(reread(posts, p).state is PostState.IN_REVIEW for p in batch)
    clock.advance(120)  # a fresh status budget
    at = int(clock.now)
    db.conn().execute("UPDATE posts SET next_attempt_at = ? WHERE state = 'in_review'", (at,))
    checks_before = {p.id: reread(posts, p).attempt_count for p in batch}
    due = schedule(account, video, caption="due now", privacy="SELF_ONLY")
    sandbox.control.clear_calls()
    engine.run_once()
    assert reread(posts, due).state is PostState.PUBLISHED
    first = calls_to(sandbox, STATUS)
    assert calls_to(sandbox, INIT)[0].at <= first[0].at  # the due post was not kept waiting
    later = [reread(posts, p) for p in batch]
    checked = [p for p in later if p.attempt_count == checks_before[p.id] + 1]
    waiting = [p for p in later if p.attempt_count == checks_before[p.id]]
    # The due post read its status twice (processing, then complete); the checks had the
    # rest of the five the reserve leaves them.
    assert len(first) == 5
    assert len(checked) == 3 and len(waiting) == 9
    assert all(p.state is PostState.IN_REVIEW for p in later)
    assert all(at + 30 <= (p.next_attempt_at or 0) <= at + minute + 1 for p in waiting)
    assert not [c for c in sandbox.control.calls() if c.status == 429]


def test_a_followed_post_can_be_deleted_but_not_while_it_is_being_checked(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, service: PostsService,
) -> None:
    account = connect()
    post = schedule(account, video)
    engine = make_engine()
    engine.run_once()
    review = reread(posts, post)
    claimed = posts.claim(post.id, "another-engine", int(clock.now) + 120,
                          expect=[PostState.IN_REVIEW], detail=None,
                          due_by=review.next_attempt_at)
    assert claimed is not None and claimed.state is PostState.IN_REVIEW
    with pytest.raises(ScheduleRefused, match="checking this post with TikTok right now"):
        service.delete(post.id)
    posts.checkpoint(post.id, "another-engine", lease_owner=None, lease_expires_at=None)
    service.delete(post.id)  # the record goes; the video on TikTok stays
    sandbox.control.clear_calls()
    clock.advance(3600)
    engine.run_once()
    assert sandbox.control.calls() == []


def test_a_lost_sign_in_pauses_the_checks_and_a_reconnect_resumes_them(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService, recorder: Recorder,
) -> None:
    """The post stays "published, in review" (TikTok has it) while the account cannot be
    asked; the user hears once that it needs reconnecting."""
    account = connect()
    post = schedule(account, video)
    engine = make_engine()
    engine.run_once()
    sandbox.control.revoke_tokens(account.open_id)
    clock.advance(300)
    engine.run_once()
    held = reread(posts, post)
    assert held.state is PostState.IN_REVIEW
    assert accounts.get(account.id).status.value == "needs_reconnect"
    assert recorder.kinds() == [NoticeKind.PUBLISHED, NoticeKind.NEEDS_RECONNECT]
    assert (held.next_attempt_at or 0) >= clock.now + 1800  # not every second
    clock.advance(1800)
    engine.run_once()
    assert recorder.kinds().count(NoticeKind.NEEDS_RECONNECT) == 1
    from tests.engine.conftest import connect_account
    connect_account(accounts, sandbox)
    follow_until(engine, clock, lambda: reread(posts, post).state is PostState.PUBLISHED)
    assert reread(posts, post).share_url


def test_a_restarted_engine_goes_on_following(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video)
    first = make_engine()
    first.run_once()
    first.stop()
    second = make_engine()
    assert second.tick() == reread(posts, post).next_attempt_at
    follow_until(second, clock, lambda: reread(posts, post).state is PostState.PUBLISHED)


class Alarm:
    """The OS's wake timer as the engine sets it (engine.parts.WakeAlarm)."""

    def __init__(self) -> None:
        self.set_to: list[float | None] = []

    def set_next_wake(self, epoch: float | None) -> None:
        self.set_to.append(epoch)


def test_checks_of_posts_in_review_do_not_wake_a_sleeping_computer(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
) -> None:
    """The engine plans the next check, but the OS's wake timer is only for due posts: a check
    can wait until the computer is awake anyway."""
    account = connect()
    post = schedule(account, video)
    later = schedule(account, video, caption="tomorrow", due_in=DAY)
    engine = make_engine()
    alarm = Alarm()
    engine.set_power(alarm=alarm)
    engine.run_once()
    check_at = reread(posts, post).next_attempt_at
    assert reread(posts, post).state is PostState.IN_REVIEW and check_at is not None
    assert engine.tick() == check_at
    assert later.due_at is not None
    assert alarm.set_to[-1] == later.due_at - engine.config.refresh_lead  # its refresh, first
