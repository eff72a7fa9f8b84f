"""How a publish ends once TikTok has the video, and the planned checks of posts TikTok has
but has not finished with (in review, in the inbox). Mixed into publisher._Run, which supplies
the token and the calls; every commit goes through the run's PostLedger.

PUBLISH_COMPLETE with an ID, or for a post TikTok never gives one (not public): published.
Without an ID for a public post or a draft (whose privacy the creator chose in TikTok): in
review, checked again after review_delays for up to review_seconds, then published with its
link, or published without one ("not made public"). SEND_TO_USER_INBOX: in the inbox, checked
after inbox_delays for up to inbox_seconds, then posted (in review, published) or lapsed.
A check spends one status/fetch from the budget minus follow_status_reserve; without budget
or a token it waits, without counting as a check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from tiktok_desktop.domain.lifecycle import awaits_review
from tiktok_desktop.engine.ledger import PostLedger, human_duration, snippet
from tiktok_desktop.engine.listener import NoticeKind, Reporter
from tiktok_desktop.engine.parts import EngineParts
from tiktok_desktop.engine.ratelimit import Budget
from tiktok_desktop.store import AccountStatus, Post, PostState
from tiktok_desktop.tiktok import NO_RETRY, PublishIdError, PublishStatus, TikTokError

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outcomes:
    parts: EngineParts
    reporter: Reporter
    ledger: PostLedger

    @property
    def post(self) -> Post:
        return self.ledger.post

    # Supplied by publisher._Run.
    def _ensure_token(self) -> str:
        raise NotImplementedError

    def _call(self, fn: Callable[[str], T], handle: bool = True) -> T:
        raise NotImplementedError

    # -- the end of a publish -----------------------------------------------------------------

    def _completed(self, status: PublishStatus) -> NoReturn:
        """PUBLISH_COMPLETE: published, or in review while TikTok's ID may still come."""
        post = self.post
        if status.post_ids or not awaits_review(post):
            self._published(status)
        now = self.parts.clock()
        cfg = self.parts.config
        from_inbox = post.state is PostState.IN_INBOX
        if from_inbox:
            detail = ("The creator posted it from the TikTok inbox; TikTok gives its link once "
                      "its review is done.")
            message = f"“{snippet(post)}” was posted from the TikTok inbox of " \
                      f"{self.ledger.label()}."
        else:
            detail = ("Published on TikTok; TikTok gives its link once its review (moderation) "
                      "is done.")
            message = (f"Posted “{snippet(post)}” to {self.ledger.label()}{self._late()}; TikTok "
                       "reviews it before anyone can see it, then the link follows.")
        self.ledger.rest(PostState.IN_REVIEW, detail, NoticeKind.PUBLISHED, message=message,
                         published_at=int(now), post_ids=(), share_url=None,
                         last_error_code=None, last_error_message=None, attempt_count=0,
                         next_attempt_at=math.ceil(now + cfg.review_delays[0]),
                         follow_until=math.ceil(now + cfg.review_seconds))

    def _late(self) -> str:
        post = self.post
        if post.due_at is not None and self.parts.clock() - post.due_at > 300:
            return f" ({human_duration(self.parts.clock() - post.due_at)} after its time)"
        return ""

    def _published(self, status: PublishStatus) -> NoReturn:
        post = self.post
        username = self._username()
        share_url = None
        if status.post_ids and username:
            base = self.parts.share_base.rstrip("/")
            share_url = f"{base}/@{username}/video/{status.post_ids[0]}"
        ids = f" Post id {status.post_ids[0]}." if status.post_ids else ""
        kind: NoticeKind | None = NoticeKind.PUBLISHED
        if post.state is PostState.IN_REVIEW:
            detail = f"TikTok's review is done: the post is public.{ids}"
            kind = None  # the user was told when it was published
            message = None
        elif post.state is PostState.IN_INBOX:
            detail = f"The creator posted it from the TikTok inbox.{ids}"
            message = f"“{snippet(post)}” was posted from the TikTok inbox of " \
                      f"{self.ledger.label()}."
        else:
            detail = f"Published on TikTok.{ids}"
            message = f"Posted “{snippet(post)}” to {self.ledger.label()}{self._late()}."
        self.ledger.rest(PostState.PUBLISHED, detail, kind, message=message,
                   published_at=post.published_at or int(self.parts.clock()),
                   post_ids=status.post_ids, share_url=share_url, last_error_code=None,
                   last_error_message=None, next_attempt_at=None, follow_until=None)

    # -- followed posts: one planned check each time ------------------------------------------

    def _follow(self) -> None:
        post = self.post
        cfg = self.parts.config
        in_review = post.state is PostState.IN_REVIEW
        delays = cfg.review_delays if in_review else cfg.inbox_delays
        # The first wait (delays[0]) came before this check; attempt_count checks came before.
        delay = delays[min(post.attempt_count + 1, len(delays) - 1)]
        self._ensure_token()
        wait = self.parts.limits.try_take(post.account_id, Budget.STATUS,
                                          reserve=cfg.follow_status_reserve)
        if wait > 0:
            self.ledger.follow_later(wait, checked=False)
        publish_id = post.publish_id or ""
        try:
            status = self._call(lambda tok: self.parts.api.fetch_status(tok, publish_id,
                                                                        retry=NO_RETRY),
                                handle=False)
        except PublishIdError:
            if in_review:
                self._not_public("TikTok no longer knows the publish, so it gave no link.")
            self._lapsed("TikTok no longer knows the draft: it lapsed or was deleted in the "
                         "inbox without being posted.")
        except TikTokError as exc:
            log.info("post %d: follow-up check failed (%s); asking again later", post.id,
                     exc.code or type(exc).__name__)
            self.ledger.follow_later(delay)
        if status.is_failed:
            self._tiktok_failed(status)
        if status.is_complete and (status.post_ids or not in_review):
            self._completed(status)
        if self.parts.clock() >= (post.follow_until or 0):
            if in_review:
                self._not_public(f"TikTok gave no post ID within "
                                 f"{human_duration(cfg.review_seconds)} of publishing it.")
            self._lapsed(f"It was not posted from the TikTok inbox within "
                         f"{human_duration(cfg.inbox_seconds)}, and TikTok does not say "
                         "whether the draft is still there.")
        self.ledger.follow_later(delay)

    def _not_public(self, why: str) -> NoReturn:
        message = (f"{why} The post is on TikTok but may not be public: it may be private, or "
                   "held back by TikTok's moderation. Check the TikTok profile.")
        self.ledger.rest(PostState.PUBLISHED, message, last_error_code="no_post_id",
                         last_error_message=message, next_attempt_at=None, follow_until=None)

    def _lapsed(self, why: str) -> NoReturn:
        message = (f"{why} If the draft is still in the TikTok inbox, finish it in the TikTok "
                   "app and use “Check again”; to send the video again, add it as a new post.")
        self.ledger.rest(PostState.DRAFT_LAPSED, message, NoticeKind.NOT_POSTED,
                         message=f"“{snippet(self.post)}” was not posted from the TikTok inbox "
                         f"of {self.ledger.label()}. {message}",
                         last_error_code="draft_lapsed", last_error_message=message,
                         next_attempt_at=None, follow_until=None)

    def _tiktok_failed(self, status: PublishStatus) -> NoReturn:
        post = self.post
        exc = status.error(post.publish_id)
        assert exc is not None
        self.parts.links.delete(post.id)
        gone: dict[str, Any] = {"step": None, "upload_expires_at": None, "bytes_uploaded": 0}
        if exc.needs_reauth:
            self.parts.accounts.set_status(post.account_id, AccountStatus.NEEDS_RECONNECT,
                                           "access to it was removed in TikTok")
            self.ledger.needs_reconnect(exc.user_message, publish_id=None, **gone)
        if exc.retryable:
            self.ledger.retry(exc.user_message, exc.code or "publish_failed", publish_id=None,
                              **gone)
        self.ledger.fail(exc.user_message, exc.code or "publish_failed", **gone)

    def _follow_later_anyway(self) -> NoReturn:
        delays = (self.parts.config.review_delays if self.post.state is PostState.IN_REVIEW
                  else self.parts.config.inbox_delays)
        self.ledger.follow_later(delays[-1], checked=False)

    def _username(self) -> str:
        account = self.parts.accounts.get(self.post.account_id) or self.ledger.account
        if account is None:
            return ""
        if account.username:
            return account.username
        info = account.creator_info or {}
        return str(info.get("username") or "")
