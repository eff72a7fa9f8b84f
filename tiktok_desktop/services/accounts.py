"""Account use cases shared by the GUI and the CLI: connect, reconnect, refresh, disconnect.

Tokens are the token source's (credentials/tokens.py): it keeps them in the keyring and
refreshes them once at a time across processes; the accounts table keeps profile data,
granted scopes and expiry times.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiktok_desktop.credentials.errors import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
)
from tiktok_desktop.domain.words import quoted_sentence
from tiktok_desktop.services.errors import USER_ERRORS
from tiktok_desktop.store import Account, AccountsRepo, AccountStatus
from tiktok_desktop.store.ratelog import RateLog
from tiktok_desktop.tiktok.errors import CreatorCannotPost, OAuthError, TikTokError
from tiktok_desktop.tiktok.models import CreatorInfo

if TYPE_CHECKING:
    # The window lists accounts long before it signs one in: the clients, the token source
    # and the loopback receiver (httpx, keyring, http.server) come with the first sign-in.
    from tiktok_desktop.credentials.tokens import TokenSource
    from tiktok_desktop.credentials.vault import StoredTokens
    from tiktok_desktop.services.avatars import AvatarCache
    from tiktok_desktop.services.loopback import CallbackResult, LoopbackReceiver
    from tiktok_desktop.tiktok.api import TikTokApi
    from tiktok_desktop.tiktok.auth import OAuthClient

log = logging.getLogger(__name__)

NEEDED_SCOPES = ("user.info.basic", "video.publish", "video.upload", "video.list")
# The engine's name for the creator_info budget in the shared rate log (engine/ratelimit.py).
CREATOR_INFO_BUDGET = "creator_info"
OPTIONAL_SCOPES = ("user.info.profile", "user.info.stats")
# What the user loses when they un-tick a scope on TikTok's consent page.
SCOPE_FEATURES = {
    "user.info.basic": "showing the account's name and picture",
    "video.publish": "posting videos directly to the profile",
    "video.upload": "sending videos to the TikTok inbox to finish there",
    "video.list": "linking to published posts and reading their views and likes",
    "user.info.profile": "showing the @username",
    "user.info.stats": "following the account's followers and likes over time",
}
__all__ = [
    "AccountError",
    "AccountsService",
    "ConnectAttempt",
    "ConnectResult",
    "NeedsReconnect",
    "TransientAccountError",
]

@dataclass(frozen=True)
class ConnectAttempt:
    """One connect try: its own PKCE pair, state and loopback port."""

    authorize_url: str
    redirect_uri: str
    receiver: LoopbackReceiver
    code_verifier: str
    reconnecting: Account | None = None  # the account the user asked to reconnect

    def __repr__(self) -> str:
        return f"ConnectAttempt(redirect_uri={self.redirect_uri!r})"


@dataclass(frozen=True)
class ConnectResult:
    account: Account
    missing_scopes: tuple[str, ...]
    reconnected: bool
    asked_for: Account | None = None  # Reconnect was asked for this account

    @property
    def other_account(self) -> bool:
        """TikTok's page signed in another user than the account asked to reconnect."""
        return self.asked_for is not None and self.asked_for.open_id != self.account.open_id

    @property
    def headline(self) -> str:
        """What happened, in one line: "Reconnected Mia Chen." (or which came back)."""
        verb = "Reconnected" if self.reconnected else "Connected"
        if self.other_account:
            assert self.asked_for is not None
            return f"{verb} {self.account.label}, not {self.asked_for.label}."
        return f"{verb} {self.account.label}."

    @property
    def other_account_advice(self) -> str:
        """When another user came back: that the asked-for account is not reconnected, and
        how to reach it ("" otherwise)."""
        if not self.other_account:
            return ""
        assert self.asked_for is not None
        return (f"TikTok's page was signed in as {self.account.label}, so that account "
                f"{'was reconnected' if self.reconnected else 'was added'}. "
                f"{self.asked_for.label} is still not connected: in the browser, log out of "
                f"TikTok (or switch to {self.asked_for.label}), then select "
                f"{self.asked_for.label} and choose Reconnect again.")

    @property
    def warnings(self) -> list[str]:
        return [
            f"You did not allow {scope}, so {SCOPE_FEATURES.get(scope, scope)} will not work "
            "for this account. Reconnect it and keep that box ticked to enable it."
            for scope in self.missing_scopes
        ]


def _user_fields(scopes: frozenset[str]) -> list[str]:
    """user/info fields the granted scopes allow (username needs user.info.profile)."""
    fields = ["open_id", "avatar_url", "display_name"]
    if "user.info.profile" in scopes:
        fields.append("username")
    return fields


class AccountsService:
    def __init__(
        self,
        repo: AccountsRepo,
        tokens: TokenSource,
        oauth: OAuthClient,
        api: TikTokApi,
        *,
        redirect_uri: str,
        clock: Callable[[], float] = time.time,
        connect_timeout: float | None = None,  # the loopback receiver's own by default
        avatars: AvatarCache | None = None,
        ratelog: RateLog | None = None,
    ) -> None:
        self.repo = repo
        self.ratelog = ratelog
        self.avatars = avatars
        self.tokens = tokens
        self.oauth = oauth
        self.api = api
        self.redirect_uri = redirect_uri
        self.clock = clock
        self.connect_timeout = connect_timeout

    # -- reads -------------------------------------------------------------------------------

    def list_accounts(self) -> list[Account]:
        return self.repo.all()

    def get(self, account_id: int) -> Account:
        account = self.repo.get(account_id)
        if account is None:
            raise AccountError(f"There is no account {account_id}; it may have been removed.")
        return account

    # -- connect -----------------------------------------------------------------------------

    def start_connect(self, reconnecting: Account | None = None) -> ConnectAttempt:
        """Bind the loopback receiver and build the consent URL (open it in a browser).

        ``reconnecting``: the account the user asked to reconnect; TikTok's page may still
        sign in someone else, and the result says so."""
        from tiktok_desktop.services.loopback import (  # noqa: PLC0415 - see the imports
            DEFAULT_TIMEOUT,
            OUTCOME_WAIT,
            LoopbackReceiver,
        )
        from tiktok_desktop.tiktok.auth import new_pkce, new_state  # noqa: PLC0415

        self.tokens.check()  # fail before the user authorizes, not after
        pkce = new_pkce()
        state = new_state()
        timeout = DEFAULT_TIMEOUT if self.connect_timeout is None else self.connect_timeout
        receiver = LoopbackReceiver(self.redirect_uri, state, timeout=timeout,
                                    outcome_wait=OUTCOME_WAIT)
        url = self.oauth.authorize_url(NEEDED_SCOPES + OPTIONAL_SCOPES, receiver.redirect_uri,
                                       state, pkce.challenge)
        return ConnectAttempt(url, receiver.redirect_uri, receiver, pkce.verifier, reconnecting)

    def finish_connect(self, attempt: ConnectAttempt,
                       cancel: threading.Event | None = None) -> ConnectResult:
        """Wait for the browser to come back, then exchange the code and save the account.

        The browser's page shows how it ended (when it still waits for it)."""
        receiver = attempt.receiver
        callback = receiver.wait(cancel)
        try:
            result = self._complete(attempt, callback)
        except USER_ERRORS as exc:
            receiver.finish(False, "Not connected",
                            f"{quoted_sentence(exc)} Return to TikTok Desktop to try again.")
            raise
        except BaseException:
            receiver.close()  # a bug: the waiting page says "return to the app"
            raise
        if result.other_account:
            receiver.finish(False, result.headline, result.other_account_advice)
        else:
            receiver.finish(True, result.headline, "You can close this tab and return to "
                            "TikTok Desktop.")
        return result

    def _complete(self, attempt: ConnectAttempt, callback: CallbackResult) -> ConnectResult:
        try:
            tokens = self.oauth.exchange_code(callback.code, attempt.redirect_uri,
                                              attempt.code_verifier)
        except TikTokError as exc:
            raise AccountError(f"Connecting failed: {exc}") from None
        granted = tokens.scopes or callback.scopes
        try:
            user = self.api.user_info(tokens.access_token, _user_fields(granted))
        except TikTokError as exc:
            raise AccountError(f"Connected, but reading the profile failed: {exc}") from None
        asked_at = self.clock()
        creator = self._creator_info(tokens.access_token, granted)
        existing = self.repo.by_open_id(tokens.open_id)
        # Keyring first: an account row without tokens would look connected but be useless.
        self.tokens.save(tokens.open_id, tokens)
        account = self.repo.upsert_connected(
            open_id=tokens.open_id,
            display_name=user.display_name or (creator.nickname if creator else ""),
            username=user.username or (creator.username if creator else ""),
            avatar_url=user.avatar_url or (creator.avatar_url if creator else ""),
            granted_scopes=granted,
            access_expires_at=int(tokens.access_expires_at),
            refresh_expires_at=int(tokens.refresh_expires_at),
            creator_info=creator.to_dict() if creator else None,
        )
        if "video.publish" in granted:
            self._count_creator_info(account.id, asked_at)
        self._fetch_avatar(account)
        missing = tuple(s for s in NEEDED_SCOPES if s not in granted)
        log.info("account %s %s; granted %s", account.id,
                 "reconnected" if existing else "connected", ",".join(sorted(granted)))
        return ConnectResult(account, missing, reconnected=existing is not None,
                             asked_for=attempt.reconnecting)

    def _creator_info(self, access_token: str, granted: frozenset[str]) -> CreatorInfo | None:
        if "video.publish" not in granted:
            return None
        try:
            return self.api.creator_info(access_token)
        except CreatorCannotPost as exc:
            log.info("creator cannot post right now: %s", exc.code)
            return None
        except TikTokError as exc:
            # Not fatal for connecting: the composer fetches it fresh anyway (UX-01).
            log.info("creator_info failed while connecting: %r", exc)
            return None

    def fresh_creator_info(self, account_id: int) -> CreatorInfo:
        """creator_info right now, for the composer (UX-01); kept beside the account.

        Raises CreatorCannotPost with TikTok's reason when the creator cannot post now (UX-02),
        NeedsReconnect, or another TikTokError.
        """
        try:
            token = self.access_token(account_id)
            self._count_creator_info(account_id, self.clock())
            info = self.api.creator_info(token)
        except TikTokError as exc:
            if not exc.needs_refresh:
                raise
            # TikTok ended the access token early: refresh once, as the engine would.
            self.refresh(account_id)
            token = self.access_token(account_id)
            self._count_creator_info(account_id, self.clock())
            info = self.api.creator_info(token)
        self.repo.set_creator_info(account_id, info.to_dict())
        return info

    # -- tokens ------------------------------------------------------------------------------

    def access_token(self, account_id: int) -> str:
        """A valid access token, refreshed first when it is about to expire."""
        return self.tokens.token(account_id)

    def refresh(self, account_id: int) -> StoredTokens:
        """Refresh the sign-in now (the rotated refresh token is kept before this returns)."""
        return self.tokens.refresh(account_id)

    # -- other actions -----------------------------------------------------------------------

    def refresh_info(self, account_id: int) -> Account:
        """Re-read the profile and creator settings from TikTok."""
        account = self.get(account_id)
        token = self.access_token(account_id)
        try:
            user = self.api.user_info(token, _user_fields(account.granted_scopes))
        except TikTokError as exc:
            raise AccountError(f"Could not read the profile: {exc}") from None
        self.repo.update_profile(account.id, display_name=user.display_name or "",
                                 username=user.username or "", avatar_url=user.avatar_url or "")
        if "video.publish" in account.granted_scopes:
            self._count_creator_info(account.id, self.clock())
        creator = self._creator_info(token, account.granted_scopes)
        if creator is not None:
            self.repo.set_creator_info(account.id, creator.to_dict())
        updated = self.get(account_id)
        self._fetch_avatar(updated)
        return updated

    def _count_creator_info(self, account_id: int, at: float) -> None:
        """TikTok limits creator_info per access token (20 a minute), whoever asks: the engine
        counts this request in the account's budget too (engine/ratelimit.py)."""
        if self.ratelog is not None:
            self.ratelog.record(account_id, CREATOR_INFO_BUDGET, at)

    def _fetch_avatar(self, account: Account) -> None:
        # Right after the profile read: TikTok's picture links expire within hours.
        if self.avatars is not None and account.avatar_url:
            self.avatars.fetch(account.open_id, account.avatar_url)

    def disconnect(self, account_id: int) -> str | None:
        """Revoke at TikTok, forget the tokens, keep the account's posts (unsent).

        Returns a warning when TikTok could not be told (the local side is cleared anyway).
        """
        account = self.get(account_id)
        warning: str | None = None
        stored = self.tokens.stored(account.open_id)
        if stored is not None and stored.access_token:
            try:
                self.oauth.revoke(stored.access_token)
            except OAuthError:
                pass  # the token is already dead at TikTok: nothing left to revoke
            except TikTokError as exc:
                warning = (f"TikTok could not be told about the disconnect ({exc}). Remove the "
                           "app under TikTok → Settings → Security → Manage app permissions.")
        self.tokens.forget(account.open_id)
        self.repo.set_status(account.id, AccountStatus.DISCONNECTED)
        log.info("account %s disconnected", account.id)
        return warning
