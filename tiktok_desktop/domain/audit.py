"""Unaudited TikTok apps: what can still succeed, and how to say why in one sentence.

TikTok lets an app it has not audited post only "Only me" videos, and only to accounts that
are private at posting time (TIKTOK_API.md 5, 6: ``unaudited_client_can_only_post_to_private_
accounts``); the inbox flow is not limited that way. TikTok refuses to audit apps for personal
use, so a person who registered a TikTok app for themselves stays unaudited. After TikTok has
said so once, the app remembers it (store.ClientStatusRepo) and new posts start from what can
succeed: "Only me" on a private account, the inbox on a public one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from tiktok_desktop.store import PostMode

__all__ = ["AuditAdvice", "account_note", "advice", "is_private", "refusal", "settings_notice"]

SELF_ONLY = "SELF_ONLY"
PUBLIC = "PUBLIC_TO_EVERYONE"
PORTAL = "developers.tiktok.com"


def is_private(privacy_options: Sequence[str] | None) -> bool | None:
    """A private account is offered "Followers" instead of "Everyone" (TIKTOK_API.md 4.1)."""
    if not privacy_options:
        return None
    return PUBLIC not in privacy_options


@dataclass(frozen=True)
class AuditAdvice:
    """What a new post should start from, and the sentence that says why."""

    mode: PostMode
    privacy: str | None  # preselected privacy for a direct post, None: the user chooses
    sentence: str


def advice(privacy_options: Sequence[str] | None, scopes: Collection[str]) -> AuditAdvice:
    """New-post defaults for an account while the TikTok app is unaudited."""
    private = is_private(privacy_options)
    inbox_ok = "video.upload" in scopes
    direct_ok = "video.publish" in scopes
    if private is False and inbox_ok:
        return AuditAdvice(
            PostMode.INBOX, None,
            "TikTok has not audited this TikTok app, so it cannot post directly to a public "
            "account like this one and the video goes to the TikTok inbox instead: make the "
            f"account private (then posts are “Only me”) or get the app audited at {PORTAL}.")
    if private is False or not direct_ok:
        return AuditAdvice(
            PostMode.INBOX if inbox_ok else PostMode.DIRECT, None,
            "TikTok has not audited this TikTok app, so it may post only “Only me” videos to "
            f"private accounts: make this account private or get the app audited at {PORTAL}.")
    return AuditAdvice(
        PostMode.DIRECT, SELF_ONLY if SELF_ONLY in (privacy_options or (SELF_ONLY,)) else None,
        "TikTok has not audited this TikTok app, so its posts can only be “Only me” on a "
        f"private account like this one: get the app audited at {PORTAL} to post for others "
        "to see.")


def refusal(account_private: bool | None) -> str:
    """The reason a post failed when TikTok refused it as coming from an unaudited app."""
    if account_private is False:
        fix = ("make the account private and choose “Only me”, or send the video to the "
               "TikTok inbox instead")
    else:
        fix = "choose “Only me”, or send the video to the TikTok inbox instead"
    return ("TikTok refused the post because this TikTok app is not audited: unaudited apps "
            f"may post only “Only me” videos to private accounts. To post it, {fix}; to post "
            f"publicly, get the app audited at {PORTAL}.")


def account_note(account_private: bool | None) -> str:
    """One line for the accounts pane while the app is unaudited."""
    if account_private is False:
        return ("Unaudited TikTok app: this public account gets its posts in the TikTok inbox; "
                "make it private to post “Only me” directly.")
    return "Unaudited TikTok app: posts to this account can only be “Only me”."


def settings_notice(since: int, tz: dt.tzinfo | None = None) -> str:
    when = dt.datetime.fromtimestamp(since, tz).strftime("%d %b %Y")
    return (f"TikTok said on {when} that this TikTok app is not audited, so it may post only "
            "“Only me” videos to private accounts: new posts start as “Only me” on private "
            "accounts and go to the TikTok inbox for public ones. TikTok does not audit apps "
            f"for personal use; an app for others can be submitted for audit at {PORTAL}, and "
            "the first public post TikTok accepts clears this note.")
