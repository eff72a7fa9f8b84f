"""Access tokens for the engine, refreshed at most once at a time across processes.

Refresh tokens rotate: when two copies of the app (the GUI and ``tiktok-desktop run``) refresh
the same account at once, TikTok refuses the second with invalid_grant, which would look like
a revoked account. So a refresh holds a named lease in SQLite, and whoever waited for it first
looks whether the other copy already stored a fresh token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from tiktok_desktop.credentials.vault import StoredTokens
from tiktok_desktop.engine.config import EngineConfig
from tiktok_desktop.engine.sleep import Sleeper
from tiktok_desktop.services.accounts import (
    REFRESH_MARGIN,
    AccountsService,
    NeedsReconnect,
    TransientAccountError,
)
from tiktok_desktop.store import Account, AccountStatus, PostsRepo

log = logging.getLogger(__name__)


def reconnect_message(account: Account) -> str:
    return (f"TikTok no longer accepts the sign-in for {account.label}. Reconnect the account "
            "(Accounts → Reconnect); its scheduled posts are kept and go out once it is back.")


class TokenKeeper:
    def __init__(self, accounts: AccountsService, posts: PostsRepo, owner: str,
                 clock: Callable[[], float], sleeper: Sleeper, config: EngineConfig) -> None:
        self.accounts = accounts
        self.posts = posts
        self.owner = owner
        self.clock = clock
        self.sleeper = sleeper
        self.config = config

    def _fresh(self, stored: StoredTokens | None) -> bool:
        return bool(stored and stored.access_token
                    and (stored.access_expires_at or 0) - REFRESH_MARGIN > self.clock())

    def _account(self, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account.status is not AccountStatus.CONNECTED:
            raise NeedsReconnect(reconnect_message(account))
        return account

    def token(self, account_id: int) -> str:
        """A usable access token, refreshed first when it is about to expire.

        Raises NeedsReconnect, TransientAccountError or VaultError.
        """
        account = self._account(account_id)
        stored = self.accounts.vault.tokens(account.open_id)
        if stored is None or not stored.refresh_token:
            self.accounts.repo.set_status(account.id, AccountStatus.NEEDS_RECONNECT)
            raise NeedsReconnect(reconnect_message(account))
        if self._fresh(stored):
            return stored.access_token
        return self._refresh(account, stored.access_token)

    def force_refresh(self, account_id: int, rejected: str) -> str:
        """TikTok refused ``rejected`` (access_token_invalid): refresh, unless another copy
        of the app already replaced it."""
        return self._refresh(self._account(account_id), rejected)

    def _refresh(self, account: Account, stale: str) -> str:
        name = f"refresh:{account.id}"
        waited_until = self.clock() + self.config.refresh_lease_wait
        while not self.posts.acquire_lease(name, self.owner,
                                           int(self.clock() + self.config.lease_seconds)):
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
            # NeedsReconnect from here has already marked the account (invalid_grant).
            refreshed = self.accounts.refresh(account.id)
            log.info("account %d: access token refreshed by the engine", account.id)
            return refreshed.access_token
        except NeedsReconnect as exc:
            raise NeedsReconnect(reconnect_message(account)) from exc
        finally:
            self.posts.release_lease(name, self.owner)

    def _replacement(self, account: Account, stale: str) -> str | None:
        """A fresh token someone else stored meanwhile, if any."""
        stored = self.accounts.vault.tokens(account.open_id)
        if stored is not None and stored.access_token != stale and self._fresh(stored):
            return stored.access_token
        return None
