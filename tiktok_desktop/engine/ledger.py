"""A claimed post's row, kept true: every state change is committed with its post_events row
under the engine's lease before the next network call, and every way a run can end (a final
state, a retry time, a hold for the user) is decided here, with what the user is told.

The publisher (publisher.py) decides the order of the steps; it moves the post only through
a PostLedger. The ``rest``-style methods end the run: they raise Handled once committed.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, NoReturn

from tiktok_desktop.engine.listener import Notice, NoticeKind, Reporter
from tiktok_desktop.engine.parts import EngineParts
from tiktok_desktop.store import Account, LeaseLost, Post, PostState
from tiktok_desktop.store.post_keys import display_name


class Handled(Exception):
    """The post was moved to a resting state; stop working on it."""


def snippet(post: Post, limit: int = 40) -> str:
    # Without a caption, the file name the user chose (not a library copy's hash name, nor a
    # shared schedule's video reference).
    text = " ".join(post.caption.split()) or display_name(post.video_path, post.video_meta)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def human_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    days = seconds / 86400
    return f"{days:.0f} days" if days == round(days) else f"{days:.1f} days"


def backoff(parts: EngineParts, attempt: int) -> float:
    """Seconds before try ``attempt + 1``: exponential, capped, with jitter."""
    c = parts.config
    base = min(c.retry_cap, c.retry_base * 2.0 ** max(0, attempt - 1))
    return base * (1.0 + c.retry_jitter * (2.0 * parts.rand() - 1.0))


class PostLedger:
    """One claimed post as the database has it (``post``), and the ways it moves on."""

    def __init__(self, parts: EngineParts, reporter: Reporter, post: Post) -> None:
        self.parts = parts
        self.reporter = reporter
        self.post = post
        self.account: Account | None = None  # known once the run has read it
        self.renewed_at = parts.monotonic()

    # -- while working -----------------------------------------------------------------------

    def _lease_until(self, extra: float = 0.0) -> int:
        return int(self.parts.clock() + self.parts.config.lease_seconds + extra)

    def move(self, state: PostState, detail: str, **fields: Any) -> Post:
        post = self.parts.posts.transition(self.post.id, state, detail, owner=self.parts.owner,
                                           lease_expires_at=self._lease_until(), **fields)
        self.renewed_at = self.parts.monotonic()
        self.post = post
        self.reporter.post_changed(post)
        return post

    def checkpoint(self, extra: float = 0.0, **fields: Any) -> None:
        """Progress and lease renewal, no state change (raises LeaseLost if taken over)."""
        self.post = self.parts.posts.checkpoint(self.post.id, self.parts.owner,
                                                lease_expires_at=self._lease_until(extra),
                                                **fields)
        self.renewed_at = self.parts.monotonic()

    def release(self) -> None:
        """Engine stopping: leave the post's state, free the claim for the next start."""
        with contextlib.suppress(LeaseLost):
            self.parts.posts.checkpoint(self.post.id, self.parts.owner, lease_owner=None,
                                        lease_expires_at=None)

    def forget_publish(self, detail: str) -> None:
        """TikTok cannot have accepted the earlier publish: drop it and start clean."""
        self.parts.links.delete(self.post.id)
        self.move(PostState.PREPARING, detail, publish_id=None, step=None, bytes_uploaded=0,
                  upload_expires_at=None)

    def may_be_accepted(self, **fields: Any) -> bool:
        """May TikTok have the post, with ``fields`` about to be written?"""
        step = fields.get("step", self.post.step)
        publish_id = fields.get("publish_id", self.post.publish_id)
        return bool(publish_id) and step is not None and step.may_be_accepted

    def label(self) -> str:
        return self.account.label if self.account else f"account {self.post.account_id}"

    # -- ending the run ----------------------------------------------------------------------

    def rest(self, state: PostState, detail: str, kind: NoticeKind | None = None, *,
             message: str | None = None, **fields: Any) -> NoReturn:
        resumable = state is PostState.RETRY_WAIT or (
            state is PostState.NEEDS_RECONNECT and self.may_be_accepted(**fields))
        had_link = bool(self.post.publish_id)
        post = self.parts.posts.transition(self.post.id, state, detail, owner=self.parts.owner,
                                           lease_owner=None, lease_expires_at=None, **fields)
        if had_link and not resumable:
            self.parts.links.delete(post.id)  # the upload link is a credential: keep it no longer
        self.post = post
        self.reporter.post_changed(post)
        if kind is not None:
            self.reporter.notice(Notice(kind, message or detail, post.id, post.account_id))
        raise Handled()

    def fail(self, message: str, code: str, **fields: Any) -> NoReturn:
        """Failed: TikTok does not have the post. (If it may have it, that is unconfirmed: a
        failed post can be sent again, and that must never make a second copy.)"""
        if self.may_be_accepted(**fields):
            self.unconfirmed(message)
        fields["step"] = None
        self.rest(PostState.FAILED, message, NoticeKind.FAILED,
                  message=f"“{snippet(self.post)}” was not posted: {message}",
                  last_error_code=code, last_error_message=message, next_attempt_at=None,
                  **fields)

    def unconfirmed(self, why: str) -> NoReturn:
        message = (f"{why} Check the TikTok profile of {self.label()} before posting it again: "
                   "it may still appear there. “Check again” asks TikTok once more.")
        self.rest(PostState.UNCONFIRMED, message, NoticeKind.UNCONFIRMED,
                  message=f"“{snippet(self.post)}”: {message}", last_error_code="unconfirmed",
                  last_error_message=message, next_attempt_at=None)

    def needs_reconnect(self, message: str, **fields: Any) -> NoReturn:
        if not self.may_be_accepted(**fields):
            fields["step"] = None  # the user may edit it meanwhile: start clean afterwards
        self.rest(PostState.NEEDS_RECONNECT, message, NoticeKind.NEEDS_RECONNECT,
                  last_error_code="needs_reconnect", last_error_message=message, **fields)

    def needs_review(self, message: str, code: str) -> NoReturn:
        self.rest(PostState.NEEDS_REVIEW, message, NoticeKind.NEEDS_REVIEW,
                  last_error_code=code, last_error_message=message, step=None)

    def retry(self, message: str, code: str, floor: float = 0.0, **fields: Any) -> NoReturn:
        post = self.post
        attempts = post.attempt_count + 1
        max_attempts = self.parts.config.max_attempts
        if attempts >= max_attempts:
            if self.may_be_accepted(**fields):
                self.unconfirmed(f"TikTok could not be asked about the post ({message})")
            self.fail(f"Gave up after {attempts} tries. {message}", code, **fields)
        delay = max(floor, backoff(self.parts, attempts))
        state = post.state if post.state is not PostState.RETRY_WAIT else (
            post.retry_state or PostState.PREPARING)
        self.rest(PostState.RETRY_WAIT,
                  f"{message} Trying again in {human_duration(delay)} (try {attempts + 1} of "
                  f"{max_attempts}).",
                  retry_state=state, next_attempt_at=math.ceil(self.parts.clock() + delay),
                  attempt_count=attempts, last_error_code=code, last_error_message=message,
                  **fields)

    def follow_later(self, delay: float, checked: bool = True) -> NoReturn:
        """A followed post (in review, in the inbox) is asked about again in ``delay``: no
        state change and no history line (a routine check is not news); ``checked``: TikTok
        was asked this time (the next wait grows), else the check could not be made."""
        post = self.post
        now = self.parts.clock()
        at = max(math.ceil(now + delay), math.floor(now) + 1)  # never again within this second
        if post.follow_until is not None and post.follow_until > now:
            at = min(at, post.follow_until)  # the last check comes when the follow-up ends
        self.post = self.parts.posts.checkpoint(
            post.id, self.parts.owner, next_attempt_at=at, lease_owner=None,
            lease_expires_at=None, attempt_count=post.attempt_count + (1 if checked else 0))
        raise Handled()

    def defer(self, delay: float, why: str) -> NoReturn:
        """Wait without it counting as a failed try (rate budget, a link to run out)."""
        self.rest(PostState.RETRY_WAIT, f"{why} Continuing in {human_duration(delay)}.",
                  retry_state=self.post.state,
                  next_attempt_at=math.ceil(self.parts.clock() + delay))
