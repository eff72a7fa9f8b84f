"""A due post goes out exactly once, every step on record; the outcomes TikTok can give."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, events, follow_until, sha256_of
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, reread
from tiktok_desktop.domain.lifecycle import POSTED, state_text
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store import (
    Account,
    ClientStatusRepo,
    Database,
    Post,
    PostMode,
    PostsRepo,
    PostState,
    PostStep,
)


def test_due_post_is_published_exactly_once_with_every_step_recorded(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder, clock: FakeClock,
) -> None:
    """TikTok publishes first and gives the post's ID after its review (the sandbox: 3 min):
    the engine shows it as in review, checks back at planned times, then fills in the link."""
    account = connect()
    post = schedule(account, video, caption="First post #engine")
    engine = make_engine()

    engine.run_once()

    review = reread(posts, post)
    assert review.state is PostState.IN_REVIEW
    assert state_text(review) == "Published, waiting for TikTok's review"
    assert review.post_ids == () and review.share_url is None
    assert review.published_at == int(clock.now) and review.lease_owner is None
    assert review.follow_until == int(clock.now) + 24 * 3600
    assert review.next_attempt_at == int(clock.now) + 30
    assert recorder.kinds(post.id) == [NoticeKind.PUBLISHED]
    assert "reviews it before anyone can see it" in recorder.notices[0].message
    completed_at = clock.now

    checks = follow_until(engine, clock, lambda: reread(posts, post).state
                          is not PostState.IN_REVIEW)

    done = reread(posts, post)
    assert done.state is PostState.PUBLISHED
    assert clock.now - completed_at >= 180  # not before the sandbox's moderation ended
    assert checks == 3  # after 30 s, 90 s (+60) and 210 s (+120): the ID was there
    assert done.publish_id and done.step is PostStep.POLL
    [publish] = sandbox.control.publishes(account.open_id)
    assert done.post_ids == tuple(str(i) for i in publish.post_ids) and len(done.post_ids) == 1
    assert done.share_url == (f"https://www.tiktok.com/@{account.username}/video/"
                              f"{done.post_ids[0]}")
    assert done.lease_owner is None and done.published_at == int(completed_at)
    assert done.next_attempt_at is None and done.follow_until is None
    states = [s for s, _ in events(posts, post.id)]
    assert states == ["scheduled", "preparing", "preparing", "uploading", "processing",
                      "in_review", "published"]  # the routine checks leave no history
    assert recorder.kinds(post.id) == [NoticeKind.PUBLISHED]  # told once
    # What TikTok received: one init, one complete upload of exactly these bytes, published.
    publishes = sandbox.control.publishes(account.open_id)
    assert len(publishes) == 1
    assert publishes[0].publish_id == done.publish_id
    assert publishes[0].status == "PUBLISH_COMPLETE"
    assert publishes[0].post_info["title"] == "First post #engine"
    assert publishes[0].post_info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert publishes[0].post_info["disable_comment"] is True  # not allowed by the user
    assert sandbox.control.received(done.publish_id).sha256 == sha256_of(video)
    assert len(calls_to(sandbox, INIT)) == 1
    assert recorder.kinds(post.id) == [NoticeKind.PUBLISHED]
    assert recorder.progress[-1] == (post.id, video.stat().st_size, video.stat().st_size)
    assert [p.state for p in recorder.changes if p.id == post.id][-1] is PostState.PUBLISHED

    # Running again changes nothing and sends nothing.
    sandbox.control.clear_calls()
    engine.run_once()
    assert sandbox.control.calls() == []


def test_post_not_due_yet_waits_and_tick_says_when(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=3600)
    engine = make_engine()
    sandbox.control.clear_calls()
    assert engine.tick() == post.due_at
    engine.wait_idle()
    assert sandbox.control.calls() == []
    assert engine.sleep_seconds(post.due_at) == engine.config.watchdog_seconds
    clock.now = float(post.due_at or 0)
    engine.run_once()
    assert (posts.get(post.id) or post).state in POSTED


def test_inbox_mode_ends_in_the_inbox(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, mode=PostMode.INBOX, privacy=None)
    sandbox.control.clear_calls()
    make_engine().run_once()
    done = posts.get(post.id)
    assert done is not None and done.state is PostState.IN_INBOX
    [publish] = sandbox.control.publishes(account.open_id)
    assert publish.mode == "inbox" and publish.status == "SEND_TO_USER_INBOX"
    assert calls_to(sandbox, "/creator_info/query/") == []  # inbox needs no creator settings
    [notice] = recorder.notices
    assert notice.kind is NoticeKind.IN_INBOX and "open TikTok" in notice.message


@pytest.mark.parametrize(
    ("change", "allow", "expected"),
    [
        ({"comment_disabled": True}, {"allow_comment": True}, "Comments are now turned off"),
        ({"duet_disabled": True}, {"allow_duet": True}, "Duets are now turned off"),
        ({"privacy_level_options": ["MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]}, {},
         "no longer offers “Everyone”"),
    ],
)
def test_changed_creator_settings_hold_the_post_for_review(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder, change: dict[str, object], allow: dict[str, bool], expected: str,
) -> None:
    account = connect()
    post = schedule(account, video, **allow)
    sandbox.control.set_creator(account.open_id, **change)
    make_engine().run_once()
    held = posts.get(post.id)
    assert held is not None and held.state is PostState.NEEDS_REVIEW
    assert expected in (held.last_error_message or "")
    assert calls_to(sandbox, INIT) == []  # never substituted silently
    [notice] = recorder.notices
    assert notice.kind is NoticeKind.NEEDS_REVIEW and expected in notice.message


def test_deleted_file_fails_with_a_clear_message(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video)
    video.unlink()
    make_engine().run_once()
    failed = posts.get(post.id)
    assert failed is not None and failed.state is PostState.FAILED
    assert failed.last_error_message == (
        f"The video file “clip.mp4” is gone: it was moved, renamed or deleted from "
        f"{video.parent}. Put it back or choose the video again.")
    assert calls_to(sandbox, INIT) == []
    assert recorder.kinds() == [NoticeKind.FAILED]


def test_changed_file_content_fails(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    account = connect()
    post = schedule(account, video)
    with video.open("r+b") as f:
        f.write(b"\0" * 16)
    make_engine().run_once()
    failed = posts.get(post.id)
    assert failed is not None and failed.state is PostState.FAILED
    assert "same size, different video" in (failed.last_error_message or "")
    assert calls_to(sandbox, INIT) == []


def test_creator_who_cannot_post_fails_at_once_in_plain_words(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.set_creator(account.open_id, can_post="spam_risk_too_many_posts")
    make_engine().run_once()
    failed = posts.get(post.id)
    assert failed is not None and failed.state is PostState.FAILED
    assert failed.attempt_count == 0  # permanent: no retries
    assert "daily posting limit" in (failed.last_error_message or "")
    assert calls_to(sandbox, INIT) == []


def test_tiktok_failing_the_post_is_reported_with_its_reason(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.set_fail_reason(None, "frame_rate_check_failed")
    make_engine().run_once()
    failed = posts.get(post.id)
    assert failed is not None and failed.state is PostState.FAILED
    assert failed.last_error_code == "frame_rate_check_failed"
    assert "frame rate is outside 23-60 fps" in (failed.last_error_message or "")
    assert failed.step is None  # TikTok said FAILED: it does not have the post


def test_accounts_publish_in_parallel_one_post_at_a_time_each(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    a = connect("sandbox_creator")
    b = connect("sandbox_quiet")
    mine = [schedule(a, video, caption=f"a{i}", due_in=-10 + i) for i in range(3)]
    theirs = [schedule(b, video, caption=f"b{i}") for i in range(2)]
    make_engine().run_once()
    assert all((posts.get(p.id) or p).state in POSTED for p in mine + theirs)
    # Per account, posts went out in due order.
    titles = [p.post_info["title"] for p in sandbox.control.publishes(a.open_id)]
    assert titles == ["a0", "a1", "a2"]


def test_a_public_post_tiktok_accepts_clears_an_earlier_unaudited_mark(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, db: Database,
) -> None:
    """The app was audited since TikTok last refused it: only an audited app can make a
    public post, so TikTok accepting one ends the "unaudited" defaults."""
    clients = ClientStatusRepo(db)
    clients.set_unaudited(sandbox.app.client_key, int(clock.now) - 86400)
    account = connect()
    only_me = schedule(account, video, privacy="SELF_ONLY", caption="private")
    make_engine().run_once()
    assert reread(posts, only_me).state is PostState.PUBLISHED
    assert clients.unaudited_since(sandbox.app.client_key) is not None  # proves nothing
    public = schedule(account, video, caption="public")
    make_engine().run_once()
    assert reread(posts, public).state in POSTED
    assert clients.unaudited_since(sandbox.app.client_key) is None
