"""Connect, refresh, reconnect and disconnect against the sandbox (real HTTP, real SQLite)."""

from __future__ import annotations

import threading

import keyring
import pytest

from tests.conftest import MemoryKeyring
from tests.helpers.browser import play_consent
from tests.helpers.clock import FakeClock
from tiktok_desktop.credentials import NeedsReconnect, TransientAccountError
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService, ConnectResult
from tiktok_desktop.services.loopback import LoopbackCancelled
from tiktok_desktop.store import AccountStatus, NewPost, PostsRepo
from tiktok_desktop.tiktok import AccessTokenInvalid
from tiktok_desktop.tiktok.errors import AuthorizationDenied


def connect(accounts: AccountsService, **browser: object) -> ConnectResult:
    attempt = accounts.start_connect()
    assert attempt.redirect_uri.startswith("http://127.0.0.1:")
    assert "code_challenge_method=S256" in attempt.authorize_url
    answer = play_consent(attempt.authorize_url, **browser)  # type: ignore[arg-type]
    assert answer.status_code in (200, 400)
    return accounts.finish_connect(attempt)


def test_connect_stores_account_and_tokens_apart(
    accounts: AccountsService, sandbox: SandboxServer, memory_keyring: MemoryKeyring
) -> None:
    result = connect(accounts)
    account = result.account
    creator = sandbox.users[0]
    assert account.open_id == creator.open_id
    assert account.display_name == creator.nickname
    assert account.username == creator.username
    assert account.status is AccountStatus.CONNECTED
    assert {"video.publish", "video.upload", "video.list"} <= account.granted_scopes
    assert result.missing_scopes == ()
    assert not result.reconnected
    assert account.creator_info is not None
    assert account.creator_info["privacy_level_options"]
    stored = accounts.tokens.vault.tokens(account.open_id)
    assert stored is not None and stored.access_token and stored.refresh_token
    assert account.access_expires_at == stored.access_expires_at
    assert ("tiktok-desktop", f"account:{account.open_id}") in memory_keyring.entries


def test_unticked_scope_is_reported(accounts: AccountsService) -> None:
    result = connect(accounts, untick=("video.publish",))
    assert "video.publish" not in result.account.granted_scopes
    assert result.missing_scopes == ("video.publish",)
    assert "posting videos directly" in result.warnings[0]
    assert result.account.creator_info is None  # creator_info needs video.publish


def test_denied_consent(accounts: AccountsService) -> None:
    attempt = accounts.start_connect()
    page = play_consent(attempt.authorize_url, button="cancel")
    assert "cancelled" in page.text
    with pytest.raises(AuthorizationDenied):
        accounts.finish_connect(attempt)
    assert accounts.list_accounts() == []


def test_cancel_from_the_app(accounts: AccountsService) -> None:
    attempt = accounts.start_connect()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoopbackCancelled):
        accounts.finish_connect(attempt, cancel)


def test_reconnect_updates_in_place_and_keeps_posts(
    accounts: AccountsService, db: object
) -> None:
    first = connect(accounts).account
    posts = PostsRepo(accounts.repo.db)
    post = posts.create(NewPost(account_id=first.id, video_path="/v.mp4", video_size=1))
    again = connect(accounts)
    assert again.reconnected
    assert again.account.id == first.id
    assert posts.get(post.id) is not None
    assert len(accounts.list_accounts()) == 1


def test_refresh_rotates_and_saves_the_new_refresh_token(
    accounts: AccountsService, clock: FakeClock
) -> None:
    account = connect(accounts).account
    before = accounts.tokens.vault.tokens(account.open_id)
    assert before is not None
    # Still fresh: no refresh happens.
    assert accounts.access_token(account.id) == before.access_token
    clock.advance((before.access_expires_at or 0) - clock.now - 60)  # inside the margin
    token = accounts.access_token(account.id)
    after = accounts.tokens.vault.tokens(account.open_id)
    assert after is not None
    assert token == after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert accounts.get(account.id).access_expires_at == after.access_expires_at
    # The old refresh token died with the rotation: using it now is refused by TikTok.
    accounts.tokens.vault.set_tokens(account.open_id, before)
    with pytest.raises(NeedsReconnect, match="Reconnect"):
        accounts.refresh(account.id)
    assert accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT


def test_revoked_refresh_means_needs_reconnect(
    accounts: AccountsService, sandbox: SandboxServer
) -> None:
    account = connect(accounts).account
    sandbox.control.revoke_tokens(account.open_id)
    with pytest.raises(NeedsReconnect):
        accounts.refresh(account.id)
    assert accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT
    with pytest.raises(NeedsReconnect):
        accounts.access_token(account.id)


def test_transient_refresh_failure_is_not_a_disconnect(
    accounts: AccountsService, sandbox: SandboxServer
) -> None:
    account = connect(accounts).account
    before = accounts.tokens.vault.tokens(account.open_id)
    # A 503 may hide a rotation, so the refresh is asked once more at once: both fail here.
    sandbox.control.inject_fault("/v2/oauth/token/", "status", count=2, status=503)
    with pytest.raises(TransientAccountError):
        accounts.refresh(account.id)
    after = accounts.get(account.id)
    assert after.status is AccountStatus.CONNECTED
    assert after.refresh_unanswered_at is not None  # noted, in case TikTok did rotate
    assert accounts.tokens.vault.tokens(account.open_id) == before
    accounts.refresh(account.id)  # works once TikTok is back
    assert accounts.get(account.id).refresh_unanswered_at is None


def test_disconnect_revokes_and_forgets_tokens(
    accounts: AccountsService, sandbox: SandboxServer
) -> None:
    account = connect(accounts).account
    stored = accounts.tokens.vault.tokens(account.open_id)
    assert stored is not None
    posts = PostsRepo(accounts.repo.db)
    post = posts.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1))
    assert accounts.disconnect(account.id) is None
    assert accounts.tokens.vault.tokens(account.open_id) is None
    assert accounts.get(account.id).status is AccountStatus.DISCONNECTED
    assert posts.get(post.id) is not None
    revokes = [c for c in sandbox.control.calls() if c.path == "/v2/oauth/revoke/"]
    assert revokes and revokes[-1].status == 200
    # The revoked access token no longer works at TikTok.
    with pytest.raises(AccessTokenInvalid):
        accounts.api.user_info(stored.access_token)


def test_fresh_creator_info_is_stored_and_cannot_post_is_reported(
        accounts: AccountsService, sandbox: SandboxServer) -> None:
    from tiktok_desktop.tiktok import CreatorCannotPost

    account = connect(accounts).account
    sandbox.control.set_creator(account.open_id, comment_disabled=True)
    info = accounts.fresh_creator_info(account.id)
    assert info.comment_disabled
    assert accounts.get(account.id).creator_info["comment_disabled"] is True  # type: ignore[index]
    sandbox.control.set_creator(account.open_id, can_post="spam_risk_too_many_posts")
    with pytest.raises(CreatorCannotPost) as exc:
        accounts.fresh_creator_info(account.id)
    assert str(exc.value)


def test_fresh_creator_info_refreshes_a_token_tiktok_ended_early(
        accounts: AccountsService, sandbox: SandboxServer) -> None:
    account = connect(accounts).account
    before = accounts.tokens.vault.tokens(account.open_id)
    assert before is not None
    sandbox.control.expire_access_token(open_id=account.open_id)
    assert accounts.fresh_creator_info(account.id).nickname
    after = accounts.tokens.vault.tokens(account.open_id)
    assert after is not None and after.access_token != before.access_token


def _in_background(accounts: AccountsService, attempt: object) -> tuple[threading.Thread,
                                                                         list[object]]:
    """finish_connect as the app runs it: waiting before the browser comes back."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(accounts.finish_connect(attempt))  # type: ignore[arg-type]
        except Exception as exc:  # the test looks at what was raised
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    receiver = attempt.receiver  # type: ignore[attr-defined]
    while not receiver.waiting():
        threading.Event().wait(0.01)
    return thread, out


def test_the_browser_page_says_connected_only_once_it_is(accounts: AccountsService) -> None:
    attempt = accounts.start_connect()
    thread, out = _in_background(accounts, attempt)
    page = play_consent(attempt.authorize_url)
    thread.join(10)
    result = out[0]
    assert isinstance(result, ConnectResult)
    assert f"Connected {result.account.label}." in page.text and "close this tab" in page.text


def test_a_locked_keyring_at_connect_is_what_the_browser_page_says(
        accounts: AccountsService) -> None:
    from tests.helpers.lockable_keyring import LOCKED, LockableKeyring
    from tiktok_desktop.credentials import VaultError

    lockable = LockableKeyring()
    keyring.set_keyring(lockable)
    attempt = accounts.start_connect()
    lockable.locked = True  # the user dismissed the unlock prompt meanwhile
    thread, out = _in_background(accounts, attempt)
    page = play_consent(attempt.authorize_url)
    thread.join(10)
    assert isinstance(out[0], VaultError)
    assert "<h1>Not connected</h1>" in page.text
    assert LOCKED.replace("!", "") in page.text and "!." not in page.text
    assert "Return to TikTok Desktop to try again" in page.text
    assert accounts.list_accounts() == []  # no account without its tokens


def test_reconnect_in_a_browser_signed_in_as_someone_else_says_so(
        accounts: AccountsService, sandbox: SandboxServer) -> None:
    creator = connect(accounts).account
    other = sandbox.users[1]
    attempt = accounts.start_connect(reconnecting=creator)
    thread, out = _in_background(accounts, attempt)
    page = play_consent(attempt.authorize_url, user=other.open_id)
    thread.join(10)
    result = out[0]
    assert isinstance(result, ConnectResult)
    assert result.other_account and result.account.open_id == other.open_id
    assert result.headline == f"Connected {result.account.label}, not {creator.label}."
    assert f"{creator.label} is still not connected" in result.other_account_advice
    assert "Reconnect again" in result.other_account_advice
    assert result.headline.replace("&", "&amp;") in page.text.replace("&#x27;", "'")
    # The account asked for is as it was; the other one is added beside it.
    assert {a.open_id for a in accounts.list_accounts()} == {creator.open_id, other.open_id}
    # Reconnecting the right user is plain.
    attempt = accounts.start_connect(reconnecting=creator)
    thread, out = _in_background(accounts, attempt)
    play_consent(attempt.authorize_url, user=creator.open_id)
    thread.join(10)
    again = out[0]
    assert isinstance(again, ConnectResult) and not again.other_account
    assert again.headline == f"Reconnected {creator.label}."
