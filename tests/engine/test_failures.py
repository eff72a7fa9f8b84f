"""Tokens, transient faults, retries and the bound on status polling."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, connect_account, sha256_of
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import CREATOR, INIT, STATUS, TOKEN, UPLOAD, reread
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Account, AccountStatus, Post, PostsRepo, PostState, PostStep


def test_token_expired_overnight_is_refreshed_then_the_post_goes_out(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService,
) -> None:
    account = connect()
    before = accounts.tokens.vault.tokens(account.open_id)
    assert before is not None
    clock.advance(26 * 3600)  # the 24 h access token died in the night
    post = schedule(account, video)
    sandbox.control.clear_calls()
    make_engine().run_once()
    assert reread(posts, post).state in POSTED
    assert len(calls_to(sandbox, TOKEN)) == 1
    after = accounts.tokens.vault.tokens(account.open_id)
    assert after is not None and after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # rotated, and kept
    refreshed = accounts.get(account.id)
    assert refreshed.access_expires_at == after.access_expires_at > clock.now


def test_token_refused_by_tiktok_is_refreshed_once_and_the_call_repeated(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    account = connect()
    post = schedule(account, video)
    # Locally the token still looks valid; TikTok says otherwise (access_token_invalid).
    sandbox.control.expire_access_token(open_id=account.open_id)
    sandbox.control.clear_calls()
    make_engine().run_once()
    assert reread(posts, post).state in POSTED
    creator_calls = [c.status for c in calls_to(sandbox, CREATOR)]
    assert creator_calls == [401, 200]
    assert len(calls_to(sandbox, TOKEN)) == 1


def test_revoked_refresh_needs_reconnect_and_the_post_waits_until_reconnected(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService, recorder: Recorder,
) -> None:
    account = connect()
    first = schedule(account, video, caption="one")
    second = schedule(account, video, caption="two")
    sandbox.control.revoke_tokens(account.open_id)
    clock.advance(25 * 3600)
    engine = make_engine(grace=2 * 86400.0)
    engine.run_once()
    for post in (first, second):
        kept = reread(posts, post)
        assert kept.state is PostState.NEEDS_RECONNECT
        assert "Reconnect the account" in (kept.last_error_message or "")
    assert accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT
    assert calls_to(sandbox, INIT) == []
    # One message for the account, not one per post.
    assert recorder.kinds().count(NoticeKind.NEEDS_RECONNECT) == 1
    # The user reconnects: the posts that waited go out.
    connect_account(accounts, sandbox)
    engine.run_once()
    assert reread(posts, first).state in POSTED
    assert reread(posts, second).state in POSTED
    assert len(sandbox.control.publishes(account.open_id)) == 2


@pytest.mark.parametrize("sandbox_options", [{"store_upload_bytes": True}], indirect=True)
@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("rate_limit", {}),
        ("status", {"status": 503}),
        ("status", {"status": 500}),
        ("reset", {"after_bytes": 3_000_000}),  # the connection dies mid-chunk
        ("reset", {"after_bytes": 10_000_000}),  # the chunk arrived, the answer was lost
    ],
)
def test_faults_mid_upload_still_complete_exactly_once(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], big_video: Path, posts: PostsRepo, sandbox: SandboxServer,
    kind: str, params: dict[str, object],
) -> None:
    account = connect()
    post = schedule(account, big_video)
    engine = make_engine()
    # Let the first chunks through, then break the next two requests of the upload.
    sandbox.control.inject_fault(UPLOAD, "slow", count=2, delay=0)
    sandbox.control.inject_fault(UPLOAD, kind, count=2, **params)
    engine.run_once()
    done = reread(posts, post)
    assert done.state in POSTED, done.last_error_message
    assert len(calls_to(sandbox, INIT)) == 1
    [publish] = sandbox.control.publishes(account.open_id)
    assert publish.status == "PUBLISH_COMPLETE"
    received = sandbox.control.received(publish.publish_id)
    # The bytes are gone once processing ended; their SHA-256 (over what arrived, in order)
    # stands for them.
    assert received.complete and received.size == big_video.stat().st_size
    assert publish.sha256 == received.sha256 == sha256_of(big_video)
    puts = calls_to(sandbox, UPLOAD)
    assert len(puts) > 7  # seven chunks plus the replays


@pytest.mark.parametrize("after", [False, True])
def test_server_error_on_init_retries_later_without_a_second_accepted_post(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, after: bool,
) -> None:
    account = connect()
    post = schedule(account, video)
    # after=True: TikTok created the publish but the answer was lost (an orphan init).
    sandbox.control.inject_fault(INIT, "status", status=500, after=after)
    engine = make_engine()
    engine.run_once()
    waiting = reread(posts, post)
    assert waiting.state is PostState.RETRY_WAIT
    assert waiting.retry_state is PostState.PREPARING
    assert waiting.attempt_count == 1
    assert waiting.next_attempt_at == int(clock.now + 30)  # retry_base, jitter centred
    assert "temporary server problem" in (waiting.last_error_message or "")
    clock.now = float(waiting.next_attempt_at or 0)
    engine.run_once()
    assert reread(posts, post).state in POSTED
    complete = [p for p in sandbox.control.publishes(account.open_id)
                if p.uploaded_bytes == p.video_size]
    assert len(complete) == 1
    assert len(sandbox.control.publishes(account.open_id)) == (2 if after else 1)


def test_rate_limited_creator_info_waits_at_least_what_tiktok_asks(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.inject_fault(CREATOR, "rate_limit")
    engine = make_engine()
    engine.run_once()
    waiting = reread(posts, post)
    assert waiting.state is PostState.RETRY_WAIT
    assert waiting.next_attempt_at == int(clock.now + 60)  # a one-minute window beats 30 s
    clock.now = float(waiting.next_attempt_at or 0)
    engine.run_once()
    assert reread(posts, post).state in POSTED


def test_transient_errors_back_off_exponentially_then_fail_with_the_reason(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.inject_fault(CREATOR, "status", count=100, status=503)
    engine = make_engine()
    waits = []
    for _ in range(10):
        engine.run_once()
        current = reread(posts, post)
        if current.state is not PostState.RETRY_WAIT:
            break
        waits.append((current.next_attempt_at or 0) - int(clock.now))
        clock.now = float(current.next_attempt_at or 0)
    assert waits == [30, 60, 120, 240]
    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_message == (
        "Gave up after 5 tries. TikTok had a temporary server problem: the app will try "
        "again shortly.")
    assert recorder.kinds() == [NoticeKind.FAILED]
    assert calls_to(sandbox, INIT) == []


def test_jitter_spreads_retries(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    low = schedule(account, video, caption="low")
    sandbox.control.inject_fault(CREATOR, "status", count=1, status=503)
    make_engine(rand=lambda: 0.0).run_once()
    assert reread(posts, low).next_attempt_at == math.ceil(clock.now + 30 * 0.75)


def test_status_that_never_answers_ends_unconfirmed_never_reposted(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video)
    sandbox.control.inject_fault(STATUS, "status", count=100_000, status=503)
    started = clock.now
    make_engine().run_once()
    done = reread(posts, post)
    assert done.state is PostState.UNCONFIRMED
    assert done.step is PostStep.POLL and done.publish_id
    assert "Check the TikTok profile" in (done.last_error_message or "")
    # Bounded: 90 checks (poll_max_checks), about half an hour of waiting between them.
    assert len(calls_to(sandbox, STATUS)) == 90
    assert 1500 <= clock.now - started <= 1800
    assert len(calls_to(sandbox, INIT)) == 1
    assert recorder.kinds() == [NoticeKind.UNCONFIRMED]


@pytest.mark.parametrize("sandbox_options", [{"processing_seconds": 10**9}], indirect=True)
def test_processing_forever_ends_unconfirmed(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    account = connect()
    post = schedule(account, video)
    make_engine().run_once()
    done = reread(posts, post)
    assert done.state is PostState.UNCONFIRMED
    statuses = calls_to(sandbox, STATUS)
    assert 10 < len(statuses) <= 90  # bounded by count and time


def test_status_rate_budget_is_kept(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, sandbox: SandboxServer,
) -> None:
    account = connect()
    schedule(account, video)
    sandbox.control.inject_fault(STATUS, "status", count=100_000, status=503)
    make_engine().run_once()
    times = sorted(c.at for c in calls_to(sandbox, STATUS))
    assert all(b - a >= 60 for a, b in zip(times, times[30:], strict=False))
