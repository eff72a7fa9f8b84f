"""Where an account stands with TikTok, in numbers and words the accounts pane, the composer
and the Settings dialog show (issue 15): the rolling 24-hour post count and the pending inbox
drafts (so TikTok's caps are visible before TikTok refuses), when the sign-in truly ends (the
refresh token's expiry, not the 2-hour access token's), why a reconnect is needed, and whether
TikTok treats the TikTok app as unaudited.

TikTok counts per creator over any 24 hours (TIKTOK_API.md 5): Direct Post inits (about 15,
shared with every other app, which this app cannot see) and pending inbox shares (5: inits not
failed and not yet posted by the creator). The counts here are this app's own posts: those
TikTok accepted (sent_at) and those due to go out (due_at) in the 24 hours up to a moment.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tiktok_desktop.domain import audit
from tiktok_desktop.domain.lifecycle import POSTED, UPCOMING
from tiktok_desktop.services.schedule import DAILY_POST_CAP, PENDING_INBOX_CAP, zone
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    ClientStatusRepo,
    Post,
    PostMode,
    PostsRepo,
    PostState,
)

__all__ = ["DAY", "Caps", "Standing", "caps_at"]

DAY = 86400
# Not sent yet, but going out without the user: counts at its due time.
_WILL_GO = UPCOMING | frozenset({PostState.NEEDS_REVIEW, PostState.NEEDS_RECONNECT})


@dataclass(frozen=True)
class Caps:
    """An account's use of TikTok's caps in the 24 hours up to ``at``."""

    at: int
    posts: int  # Direct Posts sent (TikTok accepted the init) or due in the window
    drafts: int  # inbox drafts sent or due in the window that the creator has not posted

    @property
    def posts_full(self) -> bool:
        return self.posts >= DAILY_POST_CAP

    @property
    def drafts_full(self) -> bool:
        return self.drafts >= PENDING_INBOX_CAP


def caps_at(posts: Iterable[Post], at: int, leave_out: int | None = None) -> Caps:
    """Count ``posts`` (an account's, e.g. PostsRepo.window) in the 24 hours up to ``at``;
    ``leave_out``: a post being edited (it does not count against itself)."""
    start = at - DAY
    direct = drafts = 0
    for post in posts:
        if post.id == leave_out:
            continue
        if post.sent_at is not None:
            when: int | None = post.sent_at
        elif post.state in _WILL_GO:
            when = post.due_at
        else:
            continue
        if when is None or not start < when <= at:
            continue
        if post.mode is PostMode.DIRECT:
            direct += 1  # TikTok counts the init, whatever became of it
        elif post.state not in POSTED and post.state is not PostState.FAILED:
            drafts += 1
    return Caps(at, direct, drafts)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n or 'no'} {one if n == 1 else many}"


class Standing:
    """Reads for the accounts pane, the composer and Settings (the GUI thread may call it:
    each is one or two indexed queries)."""

    def __init__(self, posts: PostsRepo, accounts: AccountsRepo, clients: ClientStatusRepo,
                 client_key: str | Callable[[], str], clock: Callable[[], float] = time.time,
                 zone_name: str = "") -> None:
        """``client_key``: the TikTok app in use, or how to get it when first asked (the
        window's graph knows it once TikTok is reached: the sandbox's comes with its start)."""
        self.posts = posts
        self.accounts = accounts
        self.clients = clients
        self._client_key = client_key
        self.clock = clock
        self.zone_name = zone_name

    @property
    def client_key(self) -> str:
        key = self._client_key
        return key if isinstance(key, str) else key()

    # -- numbers -----------------------------------------------------------------------------

    def unaudited_since(self) -> int | None:
        """When TikTok said the TikTok app in use is unaudited (None: it has not)."""
        return self.clients.unaudited_since(self.client_key)

    def caps(self, account_id: int, at: int | None = None,
             leave_out: int | None = None) -> Caps:
        moment = int(self.clock()) if at is None else at
        return caps_at(self.posts.window(account_id, moment - DAY + 1, moment + 1), moment,
                       leave_out)

    # -- words -------------------------------------------------------------------------------

    def _date(self, epoch: int) -> str:
        return dt.datetime.fromtimestamp(epoch, zone(self.zone_name)).strftime("%d %b %Y")

    def caps_text(self, caps: Caps) -> str:
        return (f"Last 24 hours: {caps.posts} of about {DAILY_POST_CAP} posts, "
                f"{caps.drafts} of {PENDING_INBOX_CAP} inbox drafts waiting")

    def account_summary(self, account: Account) -> str:
        """The line under the accounts list for the selected account."""
        lines: list[str] = []
        if account.status is AccountStatus.NEEDS_RECONNECT:
            why = account.reconnect_reason or "TikTok no longer accepts its sign-in"
            lines.append(f"Needs reconnecting: {why}.")
        elif account.status is AccountStatus.DISCONNECTED:
            lines.append("Disconnected: TikTok Desktop does not post to it.")
        elif account.refresh_expires_at:
            lines.append(f"Signed in until {self._date(account.refresh_expires_at)} (renewed "
                         "while the app runs; reconnect if it lapses).")
        lines.append(self.caps_text(self.caps(account.id)) + ".")
        if self.unaudited_since() is not None:
            lines.append(audit.account_note(account.is_private))
        return "\n".join(lines)

    def composer_text(self, account_id: int, mode: PostMode, at: int,
                      editing: int | None = None) -> str:
        """How full TikTok's cap is for a post of ``mode`` at ``at`` (the composer's line)."""
        caps = self.caps(account_id, at, leave_out=editing)
        if mode is PostMode.DIRECT:
            text = (f"This account has {_plural(caps.posts, 'other post', 'other posts')} in "
                    f"the 24 hours up to this one; TikTok allows about {DAILY_POST_CAP}.")
            if caps.posts_full:
                text += " TikTok will likely refuse this one: pick a later time."
            return text
        drafts = _plural(caps.drafts, "other draft", "other drafts").capitalize()
        text = (f"{drafts} will be waiting in this account's TikTok inbox; TikTok allows "
                f"{PENDING_INBOX_CAP} in 24 hours.")
        if caps.drafts_full:
            text += " Post the waiting ones in the TikTok app first, or pick a later time."
        return text

    def settings_note(self) -> str:
        """The Settings dialog's notice ("" while TikTok has not said the app is unaudited)."""
        since = self.unaudited_since()
        return "" if since is None else audit.settings_notice(since, zone(self.zone_name))
