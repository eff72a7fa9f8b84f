"""The committing half of a post's run: every state change (with its post_events row, under
the engine's lease), retries with backoff, and TikTok calls made with the account's token.
publisher.py decides the order of the steps.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from tiktok_desktop.credentials.vault import VaultError
from tiktok_desktop.engine.listener import Notice, NoticeKind
from tiktok_desktop.engine.ratelimit import Budget
from tiktok_desktop.services.accounts import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
)
from tiktok_desktop.store import Account, LeaseLost, Post, PostState
from tiktok_desktop.tiktok import (
    AccessTokenInvalid,
    PrivacyLevelMismatch,
    RateLimited,
    TikTokError,
)

if TYPE_CHECKING:
    from tiktok_desktop.engine.publisher import Publisher

log = logging.getLogger("tiktok_desktop.engine.publisher")
T = TypeVar("T")

class Handled(Exception):
    """The post was moved to a resting state; stop working on it."""


def snippet(post: Post, limit: int = 40) -> str:
    text = " ".join(post.caption.split()) or post.video_path.rsplit("/", 1)[-1]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def human_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


class PostSteps:
    """One claimed post's run state and the ways it moves on."""

    def __init__(self, p: Publisher, post: Post) -> None:
        self.p = p
        self.post = post
        self.token: str | None = None
        self.refreshed = False
        self.account: Account | None = None
        self._progress_at = -math.inf
        self._renewed_at = p.monotonic()

    # -- tokens and calls --------------------------------------------------------------------

    def _ensure_token(self) -> str:
        if self.token is None:
            self.token = self._token_call(lambda: self.p.tokens.token(self.post.account_id))
        return self.token

    def _token_call(self, fn: Callable[[], str]) -> str:
        try:
            return fn()
        except NeedsReconnect as exc:
            self._needs_reconnect(str(exc))
        except (TransientAccountError, VaultError) as exc:
            self._retry(str(exc), "token_unavailable")
        except AccountError as exc:
            self._fail(str(exc), "no_account")

    def _call(self, fn: Callable[[str], T], handle: bool = True) -> T:
        """Run a TikTok call with the account's token; access_token_invalid -> one refresh,
        then the same call once more. ``handle``: map other failures to the post's state."""
        token = self._ensure_token()
        try:
            try:
                return fn(token)
            except AccessTokenInvalid:
                if self.refreshed:
                    raise
                self.refreshed = True
                log.info("post %d: TikTok refused the access token; refreshing once",
                         self.post.id)
                stale = token
                self.token = self._token_call(
                    lambda: self.p.tokens.force_refresh(self.post.account_id, stale))
                return fn(self.token)
        except TikTokError as exc:
            if not handle:
                raise
            self._fail_for(exc)

    def _fail_for(self, exc: TikTokError) -> NoReturn:
        code = exc.code or type(exc).__name__
        if isinstance(exc, PrivacyLevelMismatch):
            self._rest(PostState.NEEDS_REVIEW, exc.user_message, NoticeKind.NEEDS_REVIEW,
                       last_error_code=code, last_error_message=exc.user_message, step=None)
        if exc.retryable:
            floor = exc.retry_after if isinstance(exc, RateLimited) else 0.0
            self._retry(exc.user_message, code, floor)
        if self._may_be_accepted():
            self._unconfirmed(exc.user_message)
        self._fail(exc.user_message, code)

    def _budget(self, budget: Budget) -> None:
        wait = self.p.limits.try_take(self.post.account_id, budget)
        if wait > 0:
            self._defer(wait, "Waiting for TikTok's request limit for this account.")

    def _budget_wait(self, budget: Budget) -> None:
        while (wait := self.p.limits.try_take(self.post.account_id, budget)) > 0:
            self._checkpoint(extra=wait)
            self.p.sleeper(wait)

    # -- committing --------------------------------------------------------------------------

    def _lease_until(self, extra: float = 0.0) -> int:
        return int(self.p.clock() + self.p.config.lease_seconds + extra)

    def _move(self, state: PostState, detail: str, **fields: Any) -> Post:
        post = self.p.posts.transition(self.post.id, state, detail, owner=self.p.owner,
                                       lease_expires_at=self._lease_until(), **fields)
        self._renewed_at = self.p.monotonic()
        self.post = post
        self.p.listener.post_changed(post)
        return post

    def _checkpoint(self, extra: float = 0.0, **fields: Any) -> None:
        self.post = self.p.posts.checkpoint(self.post.id, self.p.owner,
                                            lease_expires_at=self._lease_until(extra), **fields)
        self._renewed_at = self.p.monotonic()

    def _release(self) -> None:
        """Engine stopping: leave the post's state, free the claim for the next start."""
        with contextlib.suppress(LeaseLost):
            self.p.posts.checkpoint(self.post.id, self.p.owner, lease_owner=None,
                                    lease_expires_at=None)

    def _rest(self, state: PostState, detail: str, kind: NoticeKind | None = None, *,
              message: str | None = None, **fields: Any) -> NoReturn:
        resumable = state is PostState.RETRY_WAIT or (
            state is PostState.NEEDS_RECONNECT and self._may_be_accepted(**fields))
        had_link = bool(self.post.publish_id)
        post = self.p.posts.transition(self.post.id, state, detail, owner=self.p.owner,
                                       lease_owner=None, lease_expires_at=None, **fields)
        if had_link and not resumable:
            self.p.links.delete(post.id)  # the upload link is a credential: keep it no longer
        self.post = post
        self.p.listener.post_changed(post)
        if kind is not None:
            self.p.notify(Notice(kind, message or detail, post.id, post.account_id))
        raise Handled()

    def _fail(self, message: str, code: str, **fields: Any) -> NoReturn:
        """Failed: TikTok does not have the post. (If it may have it, that is unconfirmed: a
        failed post can be sent again, and that must never make a second copy.)"""
        if self._may_be_accepted(**fields):
            self._unconfirmed(message)
        fields["step"] = None
        self._rest(PostState.FAILED, message, NoticeKind.FAILED,
                   message=f"“{snippet(self.post)}” was not posted: {message}",
                   last_error_code=code, last_error_message=message, next_attempt_at=None,
                   **fields)

    def _unconfirmed(self, why: str) -> NoReturn:
        message = (f"{why} Check the TikTok profile of {self._label()} before posting it again: "
                   "it may still appear there.")
        self._rest(PostState.UNCONFIRMED, message, NoticeKind.UNCONFIRMED,
                   message=f"“{snippet(self.post)}”: {message}", last_error_code="unconfirmed",
                   last_error_message=message, next_attempt_at=None)

    def _needs_reconnect(self, message: str, **fields: Any) -> NoReturn:
        if not self._may_be_accepted(**fields):
            fields["step"] = None  # the user may edit it meanwhile: start clean afterwards
        self._rest(PostState.NEEDS_RECONNECT, message, NoticeKind.NEEDS_RECONNECT,
                   last_error_code="needs_reconnect", last_error_message=message, **fields)

    def _retry(self, message: str, code: str, floor: float = 0.0, **fields: Any) -> NoReturn:
        post = self.post
        attempts = post.attempt_count + 1
        max_attempts = self.p.config.max_attempts
        if attempts >= max_attempts:
            if self._may_be_accepted(**fields):
                self._unconfirmed(f"TikTok could not be asked about the post ({message})")
            self._fail(f"Gave up after {attempts} tries. {message}", code, **fields)
        delay = max(floor, self.p.backoff(attempts))
        state = post.state if post.state is not PostState.RETRY_WAIT else (
            post.retry_state or PostState.PREPARING)
        self._rest(PostState.RETRY_WAIT,
                   f"{message} Trying again in {human_duration(delay)} (try {attempts + 1} of "
                   f"{max_attempts}).",
                   retry_state=state, next_attempt_at=math.ceil(self.p.clock() + delay),
                   attempt_count=attempts, last_error_code=code, last_error_message=message,
                   **fields)

    def _defer(self, delay: float, why: str) -> NoReturn:
        """Wait without it counting as a failed try (rate budget, a link to run out)."""
        post = self.post
        self._rest(PostState.RETRY_WAIT, f"{why} Continuing in {human_duration(delay)}.",
                   retry_state=post.state, next_attempt_at=math.ceil(self.p.clock() + delay))

    def _forget(self, detail: str) -> None:
        """TikTok cannot have accepted the earlier publish: drop it and start clean."""
        self.p.links.delete(self.post.id)
        self._move(PostState.PREPARING, detail, publish_id=None, step=None, bytes_uploaded=0,
                   upload_expires_at=None)

    # -- small helpers -----------------------------------------------------------------------

    def _may_be_accepted(self, **fields: Any) -> bool:
        """May TikTok have the post, with ``fields`` about to be written?"""
        step = fields.get("step", self.post.step)
        publish_id = fields.get("publish_id", self.post.publish_id)
        return bool(publish_id) and step is not None and step.may_be_accepted

    def _label(self) -> str:
        return self.account.label if self.account else f"account {self.post.account_id}"

    def _username(self) -> str:
        account = self.p.accounts.repo.get(self.post.account_id) or self.account
        if account is None:
            return ""
        if account.username:
            return account.username
        info = account.creator_info or {}
        return str(info.get("username") or "")
