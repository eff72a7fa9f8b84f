"""Issue 19: the real engine reads published posts' counts on their plan (about 1 h, 24 h,
7 days, then daily to 30 days) and each account's counts daily, against the sandbox, batched
by 20 IDs, within the video/query budget, caught up after the app was closed, and never
waking the computer for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.engine.conftest import calls_to
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import reread
from tiktok_desktop.domain import stats_plan
from tiktok_desktop.engine import Engine, EngineConfig
from tiktok_desktop.engine.ratelimit import LIMITS, WINDOW, Budget, RateLimits
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store import Account, Database, Post, PostMode, PostsRepo, PostState
from tiktok_desktop.store.ratelog import RateLog
from tiktok_desktop.store.stats import StatsStore

DAY = 86400
QUERY = "/v2/video/query/"
USER_INFO = "/v2/user/info/"


class Alarm:
    def __init__(self) -> None:
        self.set_to: list[float | None] = []

    def set_next_wake(self, epoch: float | None) -> None:
        self.set_to.append(epoch)


def follow(engine: Engine, clock: FakeClock, done: Callable[[], bool], limit: int = 300) -> None:
    """Like conftest.follow_until, but the wake-up is read once the due work is done (a job
    that plans its post's next check has then planned it), so no planned time is jumped."""
    for _ in range(limit):
        if done():
            return
        engine.run_once()
        wake = engine.tick()
        engine.wait_idle()
        if done():
            return
        assert wake is not None, "nothing planned, and not done"
        clock.now = max(clock.now, wake)
    raise AssertionError(f"not done after {limit} wake-ups")


def _published(engine: Engine, clock: FakeClock, posts: PostsRepo, post: Post) -> Post:
    follow(engine, clock, lambda: bool(reread(posts, post).post_ids))
    done = reread(posts, post)
    assert done.state is PostState.PUBLISHED and done.published_at is not None
    return done


def test_readings_come_at_their_times_and_never_wake_the_computer(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine()
    alarm = Alarm()
    engine.set_power(alarm=alarm)
    post = _published(engine, clock, posts, schedule(account, video, due_in=600))
    assert post.published_at is not None
    assert alarm.set_to[0] is not None and alarm.set_to[0] <= post.published_at
    stats = StatsStore(db)
    plan = len(stats_plan.POST_OFFSETS)
    follow(engine, clock, lambda: len(stats.post_series(post.id)) == plan)
    series = stats.post_series(post.id)
    assert [s.slot for s in series] == list(range(plan))
    # each reading at its slot's time exactly: the engine woke for it
    assert [s.taken_at - post.published_at for s in series] == list(stats_plan.POST_OFFSETS)
    views = [s.view_count or 0 for s in series]
    assert views == sorted(views) and views[-1] > views[0] > 0
    # the plan is over: no reading planned for this post any more
    assert engine.stats.next_due(clock.now) is None or \
        engine.stats.next_due(clock.now) == float((int(clock.now) // DAY + 1) * DAY)
    # one video/query per reading (one ID each), one user/info a day
    assert len(calls_to(sandbox, QUERY)) == plan
    days = stats.account_series(account.id)
    assert [d.day for d in days] == list(range(days[0].day, days[-1].day + 1))
    assert len(days) >= 30 and days[-1].follower_count > days[0].follower_count
    assert days[-1].video_count == 1
    # the OS's wake timer was only ever set for the post, never for a reading
    assert all(t is None or t <= post.published_at for t in alarm.set_to)
    assert alarm.set_to[-1] is None


def _limits(db: Database, clock: FakeClock, per_minute: int) -> RateLimits:
    return RateLimits(clock, limits={**LIMITS, Budget.VIDEO_QUERY: per_minute},
                      window=WINDOW + EngineConfig().rate_margin, log=RateLog(db))


def test_readings_are_batched_by_20_and_keep_the_budget(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine(limits=_limits(db, clock, 2), config=EngineConfig(stats_reserve=0))
    drafts = [schedule(account, video, mode=PostMode.INBOX, privacy=None, caption=f"d{i}")
              for i in range(2)]
    direct = schedule(account, video, caption="direct")
    engine.run_once()
    for draft in drafts:
        waiting = reread(posts, draft)
        assert waiting.state is PostState.IN_INBOX
        sandbox.control.finish_draft(waiting.publish_id or "", posts=20)
    for post in [*drafts, direct]:
        _published(engine, clock, posts, post)
    ids = sum(len(reread(posts, p).post_ids) for p in [*drafts, direct])
    assert ids == 41
    sandbox.control.clear_calls()
    clock.advance(2 * 3600)  # every post's 1-hour reading has come
    stats = StatsStore(db)
    everything = lambda: sum(  # noqa: E731
        len(stats.post_series(p.id)) for p in [*drafts, direct]) == 41
    follow(engine, clock, everything, limit=20)
    queries = calls_to(sandbox, QUERY)
    assert len(queries) == 3  # 20 + 20 + 1 IDs
    assert all(c.status == 200 for c in queries)
    times = sorted(c.at for c in queries)
    # never more than 2 in a minute: the third waited for the window
    assert all(times[i + 2] - times[i] >= WINDOW for i in range(len(times) - 2))
    assert times[2] - times[0] < 2 * WINDOW  # and went as soon as it could
    assert {s.slot for p in [*drafts, direct] for s in stats.post_series(p.id)} == {0}


def test_readings_missed_while_closed_are_caught_up_at_start(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine()
    post = _published(engine, clock, posts, schedule(account, video))
    assert post.published_at is not None
    stats = StatsStore(db)
    follow(engine, clock, lambda: len(stats.post_series(post.id)) == 1)
    engine.stop()
    # closed for five days: the 24-hour reading's time went by
    clock.advance(5 * DAY)
    sandbox.control.clear_calls()
    again = make_engine()
    again.run_once()
    series = stats.post_series(post.id)
    assert [s.slot for s in series] == [0, 1]
    assert series[1].taken_at == int(clock.now)  # taken now, with its real time
    assert series[1].view_count is not None and series[0].view_count is not None
    assert series[1].view_count > series[0].view_count
    assert len(calls_to(sandbox, QUERY)) == 1 and len(calls_to(sandbox, USER_INFO)) == 1
    assert [d.taken_at for d in stats.account_series(account.id)][-1] == int(clock.now)
    # then the plan goes on: the 7-day reading at its time
    follow(again, clock, lambda: len(stats.post_series(post.id)) == 3)
    assert stats.post_series(post.id)[2].taken_at == post.published_at + 7 * DAY


def test_a_post_tiktok_no_longer_shows_is_not_asked_about_again(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine()
    post = _published(engine, clock, posts, schedule(account, video))
    # the creator deleted it on TikTok: an ID TikTok does not know
    with db.transaction() as c:
        c.execute("UPDATE posts SET post_ids = '[\"7000000000000000001\"]' WHERE id = ?",
                  (post.id,))
    clock.advance(3600)
    engine.run_once()
    [gone] = StatsStore(db).post_series(post.id)
    assert gone.gone and gone.slot == 0
    sandbox.control.clear_calls()
    clock.advance(2 * DAY)
    engine.run_once()
    assert calls_to(sandbox, QUERY) == []


def test_without_the_scopes_nothing_is_asked(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine()
    _published(engine, clock, posts, schedule(account, video))
    with db.transaction() as c:
        c.execute("UPDATE accounts SET granted_scopes = ? WHERE id = ?",
                  ("user.info.basic,video.publish,video.upload", account.id))
    sandbox.control.clear_calls()
    clock.advance(2 * DAY)
    engine.run_once()
    assert calls_to(sandbox, QUERY) == [] and calls_to(sandbox, USER_INFO) == []
    assert engine.stats.next_due(clock.now) is None


class Inhibitor:
    """Records what a sleep inhibitor is asked (the OS's is tested in tests/system)."""

    def __init__(self) -> None:
        self.held = False
        self.reasons: list[str] = []

    def acquire(self, why: str) -> None:
        self.held = True
        self.reasons.append(why)

    def release(self) -> None:
        self.held = False


def test_readings_do_not_keep_the_computer_awake(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    clock: FakeClock,
) -> None:
    """The keep-awake policy as bootstrap wires it (uploading = engine.publishing), asked in
    the middle of a statistics reading: the job runs, no post does, the computer may sleep."""
    from tiktok_desktop.system.keepawake import KeepAwake

    account = connect()
    engine = make_engine()
    inhibitor = Inhibitor()
    awake = KeepAwake(inhibitor, next_due=posts.next_wake, uploading=lambda: engine.publishing,
                      clock=clock)
    post = _published(engine, clock, posts, schedule(account, video))
    engine.set_power(awake)
    seen: list[tuple[bool, bool, bool]] = []
    reading = engine.stats.run

    def run_and_look(account_id: int) -> int:
        stored = reading(account_id)
        awake.update()  # a tick during the reading
        seen.append((engine.busy, engine.publishing, inhibitor.held))
        return stored

    engine.stats.run = run_and_look  # type: ignore[method-assign]
    inhibitor.reasons.clear()
    clock.advance(3600)
    engine.run_once()
    assert len(StatsStore(db).post_series(post.id)) == 1
    assert seen == [(True, False, False)]  # its job was running; nothing held for it
    assert inhibitor.reasons == []


def test_a_429_and_a_refusal_wait_their_time_and_do_not_spin(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    account = connect()
    engine = make_engine()
    post = _published(engine, clock, posts, schedule(account, video))
    stats = StatsStore(db)
    clock.advance(3600)
    sandbox.control.inject_fault(QUERY, "rate_limit")
    sandbox.control.clear_calls()
    engine.run_once()
    assert [c.status for c in calls_to(sandbox, QUERY)] == [429]
    assert stats.post_series(post.id) == []
    assert engine.stats.next_due(clock.now) == clock.now + 60  # TikTok's window
    follow(engine, clock, lambda: len(stats.post_series(post.id)) == 1)
    assert len(calls_to(sandbox, QUERY)) == 2
    # a refusal asking again will not change: an hour, not a retry every 30 s
    sandbox.control.inject_fault(QUERY, "status", status=401, code="scope_not_authorized")
    clock.advance(DAY)
    sandbox.control.clear_calls()
    engine.run_once()
    refused_at = clock.now
    assert [c.error_code for c in calls_to(sandbox, QUERY)] == ["scope_not_authorized"]
    follow(engine, clock, lambda: len(stats.post_series(post.id)) == 2)
    assert clock.now == refused_at + EngineConfig().stats_refused_wait
    assert len(calls_to(sandbox, QUERY)) == 2
