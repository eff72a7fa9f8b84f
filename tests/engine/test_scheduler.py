"""Planning: next wake-up, missed and late posts, clock jumps, token refresh, rate budgets,
and the headless loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, TOKEN, reread
from tiktok_desktop.credentials import SIGN_IN_RENEW
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, HeadlessRunner, NoticeKind
from tiktok_desktop.engine.ratelimit import Budget, RateLimits, TokenBucket
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import CREATOR_INFO_BUDGET, AccountsService
from tiktok_desktop.services.posts import PostsService, ScheduleRefused
from tiktok_desktop.store import Account, Post, PostsRepo, PostState


def test_overdue_posts_at_start_go_out_late_within_grace_else_missed(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder, clock: FakeClock,
) -> None:
    account = connect()
    late = schedule(account, video, caption="late", due_in=-40 * 60)
    missed = schedule(account, video, caption="missed", due_in=-3 * 3600)
    make_engine(grace=2 * 3600.0).run_once()
    assert reread(posts, late).state in POSTED
    assert any(e.detail == "Posting 40 min late: the app was not running at its time."
               for e in posts.events(late.id))
    gone = reread(posts, missed)
    assert gone.state is PostState.MISSED
    assert gone.last_error_message == (
        "Not posted: the app was not running at its time, and it is now 3.0 h past its time "
        "(more than the 2.0 h allowed for late posts). Post it now or give it a new time.")
    assert recorder.kinds(late.id) == [NoticeKind.LATE, NoticeKind.PUBLISHED]
    assert recorder.kinds(missed.id) == [NoticeKind.MISSED]
    assert [p.post_info["title"] for p in sandbox.control.publishes()] == ["late"]


def test_missed_post_can_be_posted_now_or_rescheduled(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
    service: PostsService,
) -> None:
    account = connect()
    now_one = schedule(account, video, caption="now", due_in=-5 * 3600)
    later_one = schedule(account, video, caption="later", due_in=-5 * 3600)
    engine = make_engine()
    engine.run_once()
    assert reread(posts, now_one).state is PostState.MISSED
    service.post_now(now_one.id)
    with pytest.raises(ScheduleRefused, match="already passed"):
        service.reschedule(later_one.id, int(clock.now) - 3600)
    moved = service.reschedule(later_one.id, int(clock.now) + 600, "Europe/Berlin")
    assert moved.state is PostState.SCHEDULED and moved.due_tz == "Europe/Berlin"
    assert moved.attempt_count == 0 and moved.last_error_code is None
    engine.run_once()
    assert reread(posts, now_one).state in POSTED
    assert reread(posts, later_one).state is PostState.SCHEDULED
    with pytest.raises(ScheduleRefused, match="TikTok already has this post"):
        service.post_now(now_one.id)


def test_unconfirmed_post_is_only_ever_checked_again_never_resent(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    service: PostsService, clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.inject_fault("/v2/post/publish/status/fetch/", "status", count=90,
                                 status=503)
    engine = make_engine()
    engine.run_once()
    assert reread(posts, post).state is PostState.UNCONFIRMED
    for refused in (service.post_now, service.unschedule,
                    lambda post_id: service.reschedule(post_id, int(clock.now) + 600)):
        with pytest.raises(ScheduleRefused, match="TikTok may already have this post"):
            refused(post.id)
    service.check_again(post.id)
    with pytest.raises(ScheduleRefused, match=r"has not confirmed.* can be checked again"):
        service.check_again(post.id)  # once is enough: it is already being checked
    engine.run_once()
    assert reread(posts, post).state in POSTED
    assert len(calls_to(sandbox, INIT)) == 1


def test_clock_jump_is_noticed_and_overdue_posts_are_swept(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
    recorder: Recorder,
) -> None:
    account = connect()
    soon = schedule(account, video, caption="soon", due_in=600)
    far = schedule(account, video, caption="far", due_in=3 * 3600)
    monotonic = FakeClock(0.0)
    engine = make_engine(monotonic=monotonic, grace=3600.0)
    assert engine.tick() == soon.due_at
    # The laptop sleeps 5 h: wall time moves, monotonic time does not.
    clock.advance(5 * 3600)
    monotonic.advance(1)
    engine.tick()
    engine.wait_idle()
    assert engine.clock_jumps == 1
    assert reread(posts, soon).state is PostState.MISSED
    assert "the computer was asleep or its clock changed" in (
        reread(posts, soon).last_error_message or "")
    # Grace is 1 h here, so "far" (2 h late after the jump) is missed too.
    assert reread(posts, far).state is PostState.MISSED
    assert recorder.kinds() == [NoticeKind.MISSED, NoticeKind.MISSED]


def test_small_clock_drift_is_not_a_jump(
    make_engine: Callable[..., Engine], clock: FakeClock,
) -> None:
    monotonic = FakeClock(0.0)
    engine = make_engine(monotonic=monotonic)
    engine.tick()
    clock.advance(100)
    monotonic.advance(95)
    engine.tick()
    assert engine.clock_jumps == 0


def test_an_idle_account_is_not_refreshed_until_its_sign_in_nears_its_end(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    accounts: AccountsService, sandbox: SandboxServer, clock: FakeClock,
) -> None:
    """TikTok's access tokens last 2 h and every refresh rotates the refresh token: an account
    with nothing to post is left alone (no refresh every two hours), until its sign-in (180
    days) is about to end; then one refresh renews it."""
    account = connect()
    assert account.access_expires_at == int(clock.now) + 7200
    assert account.refresh_expires_at == int(clock.now) + 180 * 86400
    engine = make_engine()
    renew_at = account.refresh_expires_at - SIGN_IN_RENEW
    assert engine.tick() == renew_at
    sandbox.control.clear_calls()
    clock.advance(3 * 3600)  # the access token has expired: nobody needs it
    assert engine.tick() == renew_at
    engine.wait_idle()
    assert calls_to(sandbox, TOKEN) == []
    clock.now = float(renew_at)
    engine.tick()
    engine.wait_idle()
    assert len(calls_to(sandbox, TOKEN)) == 1
    renewed = accounts.get(account.id)
    assert renewed.refresh_expires_at == int(clock.now) + 180 * 86400
    assert engine.tick() == renewed.refresh_expires_at - SIGN_IN_RENEW  # type: ignore[operator]


def test_the_token_is_refreshed_just_before_a_due_post(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, accounts: AccountsService,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=3 * 3600)  # after the 2 h token has expired
    assert post.due_at is not None
    engine = make_engine()
    lead = engine.config.refresh_lead
    assert engine.tick() == post.due_at - lead
    sandbox.control.clear_calls()
    clock.now = post.due_at - lead
    assert engine.tick() == post.due_at
    engine.wait_idle()
    assert [c.path for c in sandbox.control.calls()] == [TOKEN]  # the refresh, nothing else
    renewed = accounts.get(account.id)
    assert renewed.access_expires_at == int(clock.now) + 7200
    clock.now = float(post.due_at)
    engine.run_once()
    assert reread(posts, post).state in POSTED
    assert len(calls_to(sandbox, TOKEN)) == 1  # the post used the fresh token as it was
    # A post due while the token is still good needs no refresh at all.
    soon = schedule(account, video, due_in=600)
    clock.advance(600)
    engine.run_once()
    assert reread(posts, soon).state in POSTED
    assert len(calls_to(sandbox, TOKEN)) == 1


def test_on_waking_from_sleep_the_token_is_refreshed_before_the_overdue_post(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, caption="after the nap", due_in=3600)
    monotonic = FakeClock(0.0)
    engine = make_engine(monotonic=monotonic, grace=7200.0)
    assert engine.tick() == post.due_at
    sandbox.control.clear_calls()
    # The laptop sleeps through the due time and the token's life (2 h).
    clock.advance(3 * 3600 - 600)
    monotonic.advance(1)
    engine.tick()
    engine.wait_idle()
    engine.run_once()
    assert engine.clock_jumps == 1
    assert reread(posts, post).state in POSTED
    paths = [c.path for c in sandbox.control.calls()]
    assert paths.count(TOKEN) == 1 and paths.index(TOKEN) < paths.index(INIT)
    assert recorder.kinds(post.id) == [NoticeKind.LATE, NoticeKind.PUBLISHED]


def test_a_failing_refresh_is_retried_later_not_in_a_tight_loop(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    assert account.access_expires_at is not None
    post = schedule(account, video, due_in=3 * 3600)
    engine = make_engine()
    clock.now = float(engine.tick() or 0)
    sandbox.control.inject_fault(TOKEN, "status", count=10, status=503)
    sandbox.control.clear_calls()
    engine.tick()
    engine.wait_idle()
    # A 503 may hide a rotation: it is asked once more at once, then not again for a while.
    assert len(calls_to(sandbox, TOKEN)) == 2
    for _ in range(3):
        assert engine.tick() == post.due_at
        engine.wait_idle()
    assert len(calls_to(sandbox, TOKEN)) == 2
    assert engine.config.refresh_retry > engine.config.refresh_lead  # the post comes first


def test_wake_asks_the_driver_and_jobs_wake_it_when_done(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path,
) -> None:
    woken = threading.Event()
    engine = make_engine(on_wake=woken.set)
    engine.wake()
    assert woken.is_set()
    woken.clear()
    account = connect()
    schedule(account, video)
    engine.tick()
    assert woken.wait(30)  # the job finished and asked for a new plan
    engine.wait_idle()


def test_init_budget_keeps_under_six_per_minute_per_account(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    batch = [schedule(account, video, caption=f"p{i}") for i in range(8)]
    engine = make_engine()
    engine.run_once()
    states = [reread(posts, p).state for p in batch]
    waiting = [p for p in batch if reread(posts, p).state is PostState.RETRY_WAIT]
    assert sum(state in POSTED for state in states) == 6
    assert len(waiting) == 2
    assert all(reread(posts, p).attempt_count == 0 for p in waiting)  # a wait, not a failure
    for _ in range(10):  # the init budget's minute, and checks of the posts in review
        wake = engine.tick()
        engine.wait_idle()
        if wake is None or all(reread(posts, p).state in POSTED for p in batch):
            break
        clock.now = max(clock.now, wake)
        engine.run_once()
    assert all(reread(posts, p).state in POSTED for p in batch)
    assert not [c for c in sandbox.control.calls() if c.status == 429]
    times = sorted(c.at for c in calls_to(sandbox, INIT))
    assert all(b - a >= 60 for a, b in zip(times, times[6:], strict=False))


def test_token_bucket_never_allows_more_than_capacity_in_any_window() -> None:
    clock = FakeClock(0.0)
    bucket = TokenBucket(6, 60.0, clock)
    taken: list[float] = []
    for _ in range(600):
        wait = bucket.try_take()
        if wait == 0:
            taken.append(clock.now)
        clock.advance(0.7)
    assert all(b - a >= 60 for a, b in zip(taken, taken[6:], strict=False))
    assert len(taken) >= 6 * (600 * 0.7 // 60)
    limits = RateLimits(clock)
    assert [limits.try_take(1, Budget.INIT) for _ in range(6)] == [0.0] * 6
    assert limits.try_take(1, Budget.INIT) == pytest.approx(60.0)
    assert limits.try_take(2, Budget.INIT) == 0.0  # per account


def test_headless_runner_sleeps_until_the_next_due_post_not_on_a_fixed_interval(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=150)
    engine = make_engine()
    waits: list[float] = []
    runner: HeadlessRunner

    def wait(event: threading.Event, seconds: float) -> None:
        waits.append(seconds)
        engine.wait_idle()
        if reread(posts, post).state in POSTED or len(waits) > 20:
            runner.request_stop()
        clock.advance(seconds)

    runner = HeadlessRunner(engine, wait)
    runner.run()
    assert reread(posts, post).state in POSTED
    # Watchdog-capped sleeps up to the due time, then work, then long sleeps again.
    assert waits[:3] == [60.0, 60.0, 30.0]


def test_a_late_post_is_announced_once_not_at_every_restart(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, recorder: Recorder,
    clock: FakeClock,
) -> None:
    account = connect()
    late = schedule(account, video, caption="late", due_in=-40 * 60)
    engine = make_engine(grace=2 * 3600.0)
    # The overdue sweep runs at every start (and after clock jumps) while the post still waits.
    for _ in range(3):
        engine._sweep_overdue(clock(), "the app was not running at its time")
    notes = [e for e in posts.events(late.id) if e.detail.startswith("Posting ")]
    assert len(notes) == 1
    assert recorder.kinds(late.id) == [NoticeKind.LATE]


def test_creator_info_the_window_asks_for_counts_in_the_engines_budget(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    accounts: AccountsService,
) -> None:
    """TikTok allows 20 creator_info a minute per token, whoever asks: the composer's (and
    the connect's) count in the budget the engine keeps, so together they stay under it."""
    assert Budget.CREATOR_INFO.value == CREATOR_INFO_BUDGET
    account = connect()  # asks once while connecting
    for _ in range(19):  # the user opens the post form again and again
        accounts.fresh_creator_info(account.id)
    post = schedule(account, video)
    make_engine().run_once()
    waiting = reread(posts, post)
    assert waiting.state is PostState.RETRY_WAIT and waiting.attempt_count == 0
    assert "request limit" in (posts.events(post.id)[-1].detail)
    assert len(calls_to(sandbox, "/creator_info/query/")) == 20
    assert not [c for c in sandbox.control.calls() if c.status == 429]
