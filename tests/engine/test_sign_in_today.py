"""Sign-ins as TikTok is today (issue 15): a refresh whose answer is lost after TikTok rotated
the refresh token, OAuth errors answered with HTTP 200. The user is told why the account must
be reconnected, once, and nothing loops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, connect_account
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, TOKEN, reread
from tiktok_desktop.credentials import NeedsReconnect, TransientAccountError
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Account, AccountStatus, Post, PostsRepo, PostState


def test_a_refresh_whose_answer_was_lost_asks_for_a_reconnect_and_says_why(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=3 * 3600)  # due after the 2 h token ran out
    other = schedule(account, video, due_in=3 * 3600 + 600, caption="later")
    clock.advance(3 * 3600)
    sandbox.control.inject_fault(TOKEN, "lose_refresh_answer")
    sandbox.control.clear_calls()
    engine = make_engine()
    engine.run_once()
    # The refresh rotated at TikTok, its answer was dropped; the same refresh token asked
    # again at once is refused: that is the whole story, told now.
    assert [c.status for c in calls_to(sandbox, TOKEN)] == [None, 400]
    held = reread(posts, post)
    assert held.state is PostState.NEEDS_RECONNECT
    lost = accounts.get(account.id)
    assert lost.status is AccountStatus.NEEDS_RECONNECT
    assert "answer (the new sign-in) was lost on the way" in lost.reconnect_reason
    assert lost.refresh_unanswered_at is None  # explained, so no longer pending
    assert held.last_error_message == (
        f"TikTok no longer accepts the sign-in for {account.label}: {lost.reconnect_reason}. "
        "Reconnect the account (Accounts → Reconnect, or 'tiktok-desktop accounts connect'); "
        "its scheduled posts are kept and go out once it is back.")
    assert recorder.kinds() == [NoticeKind.NEEDS_RECONNECT]
    assert recorder.notices[0].message == held.last_error_message
    assert calls_to(sandbox, INIT) == []
    # Nothing loops: no refresh is tried again for it, whatever comes due.
    sandbox.control.clear_calls()
    for _ in range(3):
        clock.advance(600)
        engine.run_once()
    assert calls_to(sandbox, TOKEN) == []
    assert reread(posts, other).state is PostState.NEEDS_RECONNECT
    assert recorder.kinds() == [NoticeKind.NEEDS_RECONNECT]  # said once
    # The user reconnects: the reason goes, the posts go out.
    connect_account(accounts, sandbox)
    assert accounts.get(account.id).reconnect_reason == ""
    engine.run_once()
    assert reread(posts, post).state in POSTED and reread(posts, other).state in POSTED


def test_a_refresh_that_never_reached_tiktok_is_repeated_and_nothing_is_lost(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=3 * 3600)
    clock.advance(3 * 3600)
    sandbox.control.inject_fault(TOKEN, "reset")  # dropped before TikTok handled it
    sandbox.control.clear_calls()
    make_engine().run_once()
    assert [c.status for c in calls_to(sandbox, TOKEN)] == [None, 200]
    assert reread(posts, post).state in POSTED
    kept = accounts.get(account.id)
    assert kept.status is AccountStatus.CONNECTED and kept.refresh_unanswered_at is None


def test_an_unanswered_refresh_is_remembered_and_explains_a_later_refusal(
    connect: Callable[..., Account], sandbox: SandboxServer, clock: FakeClock,
    accounts: AccountsService,
) -> None:
    """No answer twice (one refresh dropped on the way, the other rotated at TikTok and its
    answer dropped): nothing is decided yet, the account stays connected with a note; the next
    refresh is refused and the note says why."""
    account = connect()
    clock.advance(3 * 3600)
    sandbox.control.inject_fault(TOKEN, "lose_refresh_answer")
    sandbox.control.inject_fault(TOKEN, "reset", count=1)  # the immediate retry is lost too
    sandbox.control.clear_calls()
    with pytest.raises(TransientAccountError):
        accounts.access_token(account.id)
    noted = accounts.get(account.id)
    assert noted.status is AccountStatus.CONNECTED
    assert noted.refresh_unanswered_at == int(clock.now)
    clock.advance(300)
    with pytest.raises(NeedsReconnect, match="was lost on the way"):
        accounts.access_token(account.id)
    assert [c.status for c in calls_to(sandbox, TOKEN)] == [None, None, 400]
    assert accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT


@pytest.mark.parametrize("sandbox_options", [{"oauth_errors_http_200": True}], indirect=True)
def test_oauth_errors_answered_with_http_200_are_understood(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, accounts: AccountsService, recorder: Recorder,
) -> None:
    account = connect()
    post = schedule(account, video, due_in=3 * 3600)
    sandbox.control.revoke_tokens(account.open_id)  # the user removed the app in TikTok
    clock.advance(3 * 3600)
    sandbox.control.clear_calls()
    engine = make_engine()
    engine.run_once()
    assert [c.status for c in calls_to(sandbox, TOKEN)] == [200]  # invalid_grant, as 200
    held = reread(posts, post)
    assert held.state is PostState.NEEDS_RECONNECT
    assert "TikTok refused to renew it" in (held.last_error_message or "")
    assert accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT
    sandbox.control.clear_calls()
    clock.advance(3600)
    engine.run_once()
    assert sandbox.control.calls() == []
    assert recorder.kinds() == [NoticeKind.NEEDS_RECONNECT]
