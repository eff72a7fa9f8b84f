"""What can go wrong with an account's sign-in, in words the user can act on."""

from __future__ import annotations

import time

from tiktok_desktop.store import Account


class AccountError(Exception):
    """Something the user must know about an account action; the message says what to do."""


class NeedsReconnect(AccountError):
    """TikTok no longer accepts the account's sign-in: only a reconnect helps."""


class TransientAccountError(AccountError):
    """TikTok could not be reached or was busy: nothing changed, try again later."""


def reconnect_message(account: Account, reason: str | None = None) -> str:
    """The one message every window, notice and command uses for a lost sign-in; ``reason``
    (default: the account's stored one) says why, when TikTok Desktop knows."""
    why = account.reconnect_reason if reason is None else reason
    return (f"TikTok no longer accepts the sign-in for {account.label}"
            f"{': ' + why if why else ''}. Reconnect the account (Accounts → Reconnect, or "
            "'tiktok-desktop accounts connect'); its scheduled posts are kept and go out once "
            "it is back.")


def lost_answer_reason(at: float) -> str:
    """Why a refresh ended in invalid_grant after an earlier one went unanswered."""
    when = time.strftime("%d %b %H:%M", time.localtime(at))
    return (f"a renewal of the sign-in reached TikTok on {when}, but TikTok's answer (the new "
            "sign-in) was lost on the way, and TikTok accepts only the newest sign-in it gave "
            "out")
