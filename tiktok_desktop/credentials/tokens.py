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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from tiktok_desktop.credentials.errors import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
    reconnect_message,
)
from tiktok_desktop.credentials.vault import StoredTokens, Vault
from tiktok_desktop.store import Account, AccountsRepo, AccountStatus
from tiktok_desktop.store.leases import LeaseRepo, new_owner
from tiktok_desktop.tiktok import OAuthClient, OAuthError, TikTokError, TokenSet

log = logging.getLogger(__name__)

# Refresh this long before the access token expires (TikTok's access tokens last hours).
REFRESH_MARGIN = 15 * 60
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

    def refresh_due_at(self, account: Account) -> float | None:
        """When the account's token should be refreshed ahead of need (None: not connected)."""
        if account.status is not AccountStatus.CONNECTED or not account.access_expires_at:
            return None
        return float(account.access_expires_at - REFRESH_MARGIN)

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
            self.accounts.set_status(account.id, AccountStatus.NEEDS_RECONNECT)
            raise NeedsReconnect(reconnect_message(account))
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

    def _refresh_now(self, account: Account) -> StoredTokens:
        stored = self._stored_or_reconnect(account)
        try:
            tokens = self.oauth.refresh(stored.refresh_token, stored.refresh_expires_at)
        except OAuthError as exc:
            if exc.code == "invalid_grant":
                self.accounts.set_status(account.id, AccountStatus.NEEDS_RECONNECT)
                log.info("refresh for account %s refused: needs reconnect", account.id)
                raise NeedsReconnect(reconnect_message(account)) from None
            raise TransientAccountError(f"Refreshing the sign-in failed: {exc}") from None
        except TikTokError as exc:
            # Network, 5xx, 429: the stored refresh token is still good; try later.
            log.info("refresh for account %s failed transiently: %r", account.id, exc)
            raise TransientAccountError(
                f"Could not refresh the sign-in for {account.label} right now: {exc}"
            ) from None
        saved = self.vault.set_tokens(account.open_id, stored_from(tokens))
        self.accounts.set_token_expiry(account.id, saved.access_expires_at,
                                       saved.refresh_expires_at)
        log.info("account %s token refreshed", account.id)
        return saved
