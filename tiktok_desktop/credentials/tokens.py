"""The one way to an account's access token, for the GUI, the CLI and the engine alike.

Tokens live only in the vault (OS keyring); the accounts table keeps their expiry times. A
rotated refresh token is saved before the new access token is used, a transient failure never
disconnects anyone, and only a definitive OAuth answer (invalid_grant) marks an account as
needing a reconnect.

Refresh tokens rotate, so two refreshes of one account at once make TikTok refuse the second
with invalid_grant, which would look like a revoked account. A refresh therefore holds a
thread lock (this process) and a named lease in the database (every process on the same data:
the GUI, its engine, ``tiktok-desktop run``, a CLI command); whoever waited looks first whether
the other one already stored a fresh token, and uses it.

A refresh whose answer never arrives (the connection dropped, a server error, a reply that
cannot be read) may still have rotated the refresh token at TikTok. That is noted on the
account and the refresh is tried once more at once: if the old refresh token still works,
nothing was lost; if TikTok answers invalid_grant, the note explains why the account must be
reconnected. Either way nothing loops: a refused account is not refreshed again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from tiktok_desktop.credentials.errors import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
    lost_answer_reason,
    reconnect_message,
)
from tiktok_desktop.credentials.vault import StoredTokens, Vault
from tiktok_desktop.store import Account, AccountsRepo, AccountStatus
from tiktok_desktop.store.leases import LeaseRepo, new_owner
from tiktok_desktop.tiktok.errors import (
    NetworkError,
    OAuthError,
    ProtocolError,
    ServerError,
    TikTokError,
)

if TYPE_CHECKING:  # the client (and httpx) is handed in ready-made
    from tiktok_desktop.tiktok.auth import OAuthClient, TokenSet

log = logging.getLogger(__name__)

# Refresh this long before the access token expires (TikTok's access tokens last 2 hours).
REFRESH_MARGIN = 15 * 60
# Renew the sign-in itself this long before the refresh token expires (180 days at TikTok; a
# refresh returns a new one), so an account that posts rarely stays connected while the app runs.
SIGN_IN_RENEW = 7 * 86400
RENEW_AT_MOST_EVERY = 86400
# Answers that leave open whether TikTok rotated the refresh token.
_UNANSWERED = (NetworkError, ServerError, ProtocolError)
# A refresh holds its lease this long at most (a refresh call is one short request).
LEASE_SECONDS = 120
# Waiting for someone else's refresh, at most this long before trying again later.
LEASE_WAIT = 30.0

Sleeper = Callable[[float], None]


def stored_from(tokens: TokenSet) -> StoredTokens:
    return StoredTokens(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        access_expires_at=int(tokens.access_expires_at),
        refresh_expires_at=int(tokens.refresh_expires_at),
        scopes=tokens.scopes,
    )


class TokenSource:
    """Access tokens by account id, refreshed when they are about to expire.

    Raises NeedsReconnect (the account is marked; the message says what to do),
    TransientAccountError (try again later), AccountError (no such account) or VaultError
    (the keyring cannot be used; its message names the fix).
    """

    def __init__(self, accounts: AccountsRepo, vault: Vault, oauth: OAuthClient,
                 leases: LeaseRepo, *, owner: str | None = None,
                 clock: Callable[[], float] = time.time, sleeper: Sleeper = time.sleep,
                 lease_seconds: int = LEASE_SECONDS, lease_wait: float = LEASE_WAIT) -> None:
        self.accounts = accounts
        self.vault = vault
        self.oauth = oauth
        self.leases = leases
        self.owner = owner or new_owner()
        self.clock = clock
        self.sleeper = sleeper
        self.lease_seconds = lease_seconds
        self.lease_wait = lease_wait
        self._lock = threading.Lock()  # one refresh at a time in this process

    # -- storage -----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise NoSecureBackend unless tokens can be kept safely (before a sign-in starts)."""
        self.vault.check()

    def stored(self, open_id: str) -> StoredTokens | None:
        return self.vault.tokens(open_id)

    def save(self, account_open_id: str, tokens: TokenSet) -> StoredTokens:
        """Keep a fresh sign-in (connect); an empty refresh token never replaces a good one."""
        return self.vault.set_tokens(account_open_id, stored_from(tokens))

    def forget(self, open_id: str) -> None:
        self.vault.delete_tokens(open_id)

    # -- tokens ------------------------------------------------------------------------------

    def token(self, account_id: int) -> str:
        """A usable access token, refreshed first when it expires within REFRESH_MARGIN."""
        account = self._connected(account_id)
        stored = self._stored_or_reconnect(account)
        if self._fresh(stored):
            return stored.access_token
        return self._refresh(account, stored.access_token).access_token

    def force_refresh(self, account_id: int, rejected: str) -> str:
        """TikTok refused ``rejected`` (access_token_invalid): refresh, unless someone else
        already replaced it."""
        return self._refresh(self._connected(account_id), rejected).access_token

    def refresh(self, account_id: int) -> StoredTokens:
        """Refresh now (the user asked). The rotated refresh token is in the keyring before
        this returns; a refresh someone else finished meanwhile counts."""
        account = self._account(account_id)
        stored = self._stored_or_reconnect(account)
        return self._refresh(account, stored.access_token)

    def renew(self, account_id: int) -> StoredTokens:
        """Refresh a connected account now, ahead of need (the engine's planned refresh);
        a refresh someone else finished meanwhile counts."""
        account = self._connected(account_id)
        stored = self._stored_or_reconnect(account)
        return self._refresh(account, stored.access_token)

    def refresh_due_at(self, account: Account, needed_at: float | None,
                       lead: float) -> float | None:
        """When to refresh the account ahead of need (None: no need planned). ``needed_at``:
        when the engine next needs a token for it (a due post, a retry); the refresh comes
        ``lead`` seconds before that if the access token would not outlive it. Accounts without
        planned work are not refreshed (every refresh rotates the refresh token, and a lost
        answer would cost a reconnect), except to renew a sign-in close to its end."""
        if account.status is not AccountStatus.CONNECTED or not account.access_expires_at:
            return None
        times: list[float] = []
        if needed_at is not None and account.access_expires_at - REFRESH_MARGIN <= needed_at:
            times.append(needed_at - lead)
        if account.refresh_expires_at:
            # At most once a day (a day after the last refresh's token ran out): should TikTok
            # not extend a sign-in by refreshing it, the last week must not become a refresh
            # every few minutes.
            times.append(float(max(account.refresh_expires_at - SIGN_IN_RENEW,
                                   account.access_expires_at + RENEW_AT_MOST_EVERY)))
        return min(times) if times else None

    # -- internals ---------------------------------------------------------------------------

    def _account(self, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise AccountError(f"There is no account {account_id}; it may have been removed.")
        return account

    def _connected(self, account_id: int) -> Account:
        account = self._account(account_id)
        if account.status is not AccountStatus.CONNECTED:
            raise NeedsReconnect(reconnect_message(account))
        return account

    def _stored_or_reconnect(self, account: Account) -> StoredTokens:
        stored = self.vault.tokens(account.open_id)
        if stored is None or not stored.refresh_token:
            reason = "its sign-in is missing from the system keyring"
            self.accounts.set_status(account.id, AccountStatus.NEEDS_RECONNECT, reason)
            raise NeedsReconnect(reconnect_message(account, reason))
        return stored

    def _fresh(self, stored: StoredTokens | None) -> bool:
        return bool(stored and stored.access_token
                    and (stored.access_expires_at or 0) - REFRESH_MARGIN > self.clock())

    def _replacement(self, account: Account, stale: str) -> StoredTokens | None:
        """A fresh token someone else stored since ``stale`` was read, if any."""
        stored = self.vault.tokens(account.open_id)
        if stored is not None and stored.access_token != stale and self._fresh(stored):
            return stored
        return None

    def _refresh(self, account: Account, stale: str) -> StoredTokens:
        name = f"refresh:{account.id}"
        with self._lock:
            waited_until = self.clock() + self.lease_wait
            while not self.leases.acquire(name, self.owner,
                                          int(self.clock() + self.lease_seconds)):
                replaced = self._replacement(account, stale)
                if replaced is not None:
                    return replaced
                if self.clock() >= waited_until:
                    raise TransientAccountError(
                        f"Another copy of TikTok Desktop is refreshing the sign-in for "
                        f"{account.label}; trying again shortly.")
                self.sleeper(1.0)
            try:
                replaced = self._replacement(account, stale)
                if replaced is not None:
                    return replaced
                return self._refresh_now(account)
            finally:
                self.leases.release(name, self.owner)

    def _refresh_now(self, account: Account, again: bool = True) -> StoredTokens:
        stored = self._stored_or_reconnect(account)
        try:
            tokens = self.oauth.refresh(stored.refresh_token, stored.refresh_expires_at)
        except OAuthError as exc:
            if exc.code == "invalid_grant":
                self._refused(account)
            raise TransientAccountError(f"Refreshing the sign-in failed: {exc}") from None
        except TikTokError as exc:
            if isinstance(exc, _UNANSWERED):
                # TikTok may have rotated the refresh token and its answer got lost: note it,
                # and ask at once with the same one, so the user hears now what happened.
                current = self.accounts.get(account.id) or account
                if current.refresh_unanswered_at is None:
                    self.accounts.set_refresh_unanswered(account.id, int(self.clock()))
                log.info("refresh for account %s got no answer (%r)%s", account.id, exc,
                         "; asking once more" if again else "")
                if again:
                    return self._refresh_now(account, again=False)
            else:
                log.info("refresh for account %s failed transiently: %r", account.id, exc)
            # The stored refresh token may still be good (network, 5xx, 429): try later.
            raise TransientAccountError(
                f"Could not refresh the sign-in for {account.label} right now: {exc}"
            ) from None
        saved = self.vault.set_tokens(account.open_id, stored_from(tokens))
        self.accounts.set_token_expiry(account.id, saved.access_expires_at,
                                       saved.refresh_expires_at)
        self.accounts.set_refresh_unanswered(account.id, None)
        log.info("account %s token refreshed", account.id)
        return saved

    def _refused(self, account: Account) -> NoReturn:
        """TikTok refused the refresh token (invalid_grant): the account needs a reconnect,
        and the user is told why when TikTok Desktop knows."""
        current = self.accounts.get(account.id) or account
        if current.refresh_unanswered_at is not None:
            reason = lost_answer_reason(current.refresh_unanswered_at)
        else:
            reason = ("TikTok refused to renew it (it was revoked in TikTok, expired, or "
                      "replaced by a sign-in elsewhere)")
        self.accounts.set_status(account.id, AccountStatus.NEEDS_RECONNECT, reason)
        self.accounts.set_refresh_unanswered(account.id, None)
        log.info("refresh for account %s refused (%s): needs reconnect", account.id,
                 "after an unanswered refresh" if current.refresh_unanswered_at else
                 "invalid_grant")
        raise NeedsReconnect(reconnect_message(current, reason)) from None
