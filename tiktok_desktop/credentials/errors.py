"""What can go wrong with an account's sign-in, in words the user can act on."""

from __future__ import annotations

from tiktok_desktop.store import Account


class AccountError(Exception):
    """Something the user must know about an account action; the message says what to do."""


class NeedsReconnect(AccountError):
    """TikTok no longer accepts the account's sign-in: only a reconnect helps."""


class TransientAccountError(AccountError):
    """TikTok could not be reached or was busy: nothing changed, try again later."""


def reconnect_message(account: Account) -> str:
    """The one sentence every window, notice and command uses for a lost sign-in."""
    return (f"TikTok no longer accepts the sign-in for {account.label}. Reconnect the account "
            "(Accounts → Reconnect, or 'tiktok-desktop accounts connect'); its scheduled posts "
            "are kept and go out once it is back.")
