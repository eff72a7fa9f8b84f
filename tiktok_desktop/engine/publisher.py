"""One post's publish, step by step, each step committed before the next network call.

fresh:   token -> creator_info + review -> file check -> [commit step=init] -> init
         -> [commit publish_id, step=upload|final] -> chunks (each confirmed offset committed;
         step=final committed before the last chunk can go) -> [commit step=poll] -> status
resume:  step=upload with a live link -> continue the upload from TikTok's progress;
         step=upload without one -> TikTok cannot have the post: start over with a new init;
         step=final -> finish the upload or ask status/fetch; never init again;
         step=poll -> status/fetch only.

Exactly once: init is called only while TikTok cannot have accepted an earlier publish of the
post (no publish_id, or only non-final chunks sent, or TikTok said FAILED, or TikTok reports
part of the video while its upload link is dead). Everything that could have been accepted is
decided by status/fetch, ending in published / in_review / in_inbox / failed / unconfirmed.

followed: a post in review (published, its ID to come after TikTok's moderation) or in the
inbox (waiting for the creator) gets one status/fetch per planned check (outcomes.py), then
rests until its next check (next_attempt_at) or ends.

This module decides the order and makes the TikTok calls; every commit goes through the
post's PostLedger (ledger.py).
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from typing import NoReturn, TypeVar

from tiktok_desktop.credentials import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
    VaultError,
)
from tiktok_desktop.domain import audit
from tiktok_desktop.domain.lifecycle import FOLLOWED
from tiktok_desktop.domain.review import review_problems
from tiktok_desktop.engine.ledger import Handled, PostLedger, human_duration, snippet
from tiktok_desktop.engine.listener import Notice, NoticeKind, Reporter
from tiktok_desktop.engine.outcomes import Outcomes
from tiktok_desktop.engine.parts import EngineParts
from tiktok_desktop.engine.ratelimit import Budget
from tiktok_desktop.engine.sleep import EngineStopping
from tiktok_desktop.store import (
    LeaseLost,
    Post,
    PostMode,
    PostState,
    PostStep,
)
from tiktok_desktop.store.video_refs import VideoUnavailable
from tiktok_desktop.tiktok import (
    NO_RETRY,
    AccessTokenInvalid,
    ChunkPlan,
    PostInfo,
    PrivacyLevelMismatch,
    PublishIdError,
    PublishStatus,
    RateLimited,
    TikTokError,
    UnauditedClientPrivateOnly,
    UnsupportedContainer,
    UploadCancelled,
    UploadError,
    UploadInterrupted,
    UploadRejected,
    UploadTaskNotFound,
    UploadUrlExpired,
    VideoSizeError,
    content_type_for,
    content_type_for_container,
    plan_chunks,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class Publisher:
    """Shared by the engine's account jobs; each run() works on one claimed post."""

    def __init__(self, parts: EngineParts, reporter: Reporter) -> None:
        self.parts = parts
        self.reporter = reporter

    def run(self, post: Post) -> None:
        """Work on ``post`` (claimed by this engine) until it rests: a final state, a retry
        time, needs_review/needs_reconnect, or the engine stopping."""
        _Run(self.parts, self.reporter, post).execute()


class _Run(Outcomes):
    """One claimed post's run: the order of the steps and the TikTok calls they make."""

    def __init__(self, parts: EngineParts, reporter: Reporter, post: Post) -> None:
        self.parts = parts
        self.reporter = reporter
        self.ledger = PostLedger(parts, reporter, post)
        self.token: str | None = None
        self.refreshed = False
        self._progress_at = -math.inf
        self.following = post.state in FOLLOWED  # a planned check of a post TikTok has
        self.video: str | None = None  # the local file of the post's video, once had

    @property
    def post(self) -> Post:
        return self.ledger.post

    # -- entry -------------------------------------------------------------------------------

    def execute(self) -> None:
        try:
            self._go()
        except Handled:
            pass
        except LeaseLost:
            log.info("post %d was taken over by another engine; leaving it", self.post.id)
        except EngineStopping:
            self.ledger.release()
        except Exception:
            log.exception("unexpected error while publishing post %d", self.post.id)
            with contextlib.suppress(Handled, LeaseLost):
                self.ledger.retry("An unexpected error interrupted the post (details are in the "
                                  "log).", "app_error")
        finally:
            try:
                self.parts.videos.done(self.post)
            except Exception as exc:  # the outcome is committed: only a cached copy is left
                log.warning("post %d: its video's local copy was not tidied up: %s",
                            self.post.id, exc)

    def _go(self) -> None:
        account = self.parts.accounts.get(self.post.account_id)
        if account is None:
            self.ledger.fail("The TikTok account of this post was removed from the app.",
                             "no_account")
        self.ledger.account = account
        post = self.post
        if self.following:
            self._follow()
            return
        if post.publish_id and post.step is not None and post.step.may_be_accepted:
            self._resume_accepted()
            return
        if post.publish_id and post.step is PostStep.UPLOAD:
            url = self._live_link()
            if url is not None:
                self._check_file()
                self._upload(url, plan_chunks(post.video_size))
                return
            self.ledger.forget_publish(
                "TikTok's upload link for the unfinished upload is gone or expired, and TikTok "
                "never got the whole video: starting the upload again.")
        self._fresh()

    # -- the fresh path ----------------------------------------------------------------------

    def _fresh(self) -> None:
        post = self.post
        self._ensure_token()
        if post.mode is PostMode.DIRECT:
            self._budget(Budget.CREATOR_INFO)
            info = self._call(lambda tok: self.parts.api.creator_info(tok, retry=NO_RETRY))
            self.parts.accounts.set_creator_info(post.account_id, info.to_dict())
            problems = review_problems(post, info)
            if problems:
                self.ledger.needs_review(" ".join(problems), "creator_settings_changed")
        self._check_file()
        try:
            plan = plan_chunks(post.video_size)
            self._content_type()
            post_info = self._post_info() if post.mode is PostMode.DIRECT else None
        except (VideoSizeError, UnsupportedContainer) as exc:
            self.ledger.fail(exc.user_message, exc.code or "bad_video")
        except ValueError as exc:
            self.ledger.fail(f"The post's settings are not valid for TikTok ({exc}). Open the post "
                       "and check them.", "bad_post_info")
        if self.parts.stop.is_set():
            raise EngineStopping()  # do not start a publish the engine will not finish
        self._budget(Budget.INIT)
        self.ledger.move(PostState.PREPARING, "Asking TikTok to start the upload.",
                         step=PostStep.INIT, publish_id=None, bytes_uploaded=0,
                         upload_expires_at=None)
        if post_info is not None:
            ticket = self._call(lambda tok: self.parts.api.init_direct_post(tok, post_info, plan))
        else:
            ticket = self._call(lambda tok: self.parts.api.init_inbox_upload(tok, plan))
        sent = int(self.parts.clock())
        expires = sent + self.parts.config.upload_url_lifetime
        if post_info is not None and post_info.privacy_level != audit.SELF_ONLY and \
                self.parts.clients.clear_unaudited(self.parts.client_key):
            log.info("TikTok accepted a post only an audited app may make: the app is audited")
        try:
            self.parts.links.put(post.id, ticket.publish_id, ticket.upload_url)
        except VaultError as exc:  # the upload works; only a resume after a crash starts over
            log.info("post %d: upload link not kept in the keyring: %s", post.id, exc)
        single = plan.total_chunk_count == 1
        self.ledger.move(PostState.UPLOADING,
                   f"TikTok is ready for the video (publish id {ticket.publish_id}).",
                   publish_id=ticket.publish_id, step=PostStep.FINAL if single else PostStep.UPLOAD,
                   upload_expires_at=expires, bytes_uploaded=0, sent_at=sent)
        self._upload(ticket.upload_url, plan)

    def _content_type(self) -> str:
        """What the file is, as probed when it was scheduled (older posts: its first bytes)."""
        container = self.post.video_meta.get("container")
        if isinstance(container, str) and container:
            return content_type_for_container(container)
        return content_type_for(self.video or self.post.video_path)

    def _post_info(self) -> PostInfo:
        post = self.post
        if not post.privacy_level:
            raise ValueError("no privacy level")
        return PostInfo(
            privacy_level=post.privacy_level,
            disable_comment=not post.allow_comment,
            disable_duet=not post.allow_duet,
            disable_stitch=not post.allow_stitch,
            title=post.caption,
            video_cover_timestamp_ms=post.cover_time_ms,
            brand_content_toggle=post.disclose_commercial and post.brand_content,
            brand_organic_toggle=post.disclose_commercial and post.brand_organic,
            is_aigc=post.is_aigc,
        )

    def _check_file(self) -> None:
        post = self.post
        problem = self.parts.check_video(self._local_video(), post.video_size,
                                         post.video_sha256)
        if problem is not None:
            self.ledger.fail(problem, "video_file_changed")

    def _local_video(self) -> str:
        """The post's video as a local file (fetched once per run on a shared schedule); a
        video that cannot be had fails the post, or retries it when later may work."""
        if self.video is None:
            try:
                self.video = self.parts.videos.local(self.post)
            except VideoUnavailable as exc:
                if exc.retry:
                    self.ledger.retry(str(exc), exc.code)
                self.ledger.fail(str(exc), exc.code)
        return self.video

    # -- upload ------------------------------------------------------------------------------

    def _live_link(self) -> str | None:
        post = self.post
        if not post.publish_id or post.upload_expires_at is None:
            return None
        if self.parts.clock() >= post.upload_expires_at - self.parts.config.upload_url_margin:
            return None
        return self.parts.links.get(post.id, post.publish_id)

    def _upload(self, url: str, plan: ChunkPlan) -> None:
        post = self.post
        size = post.video_size
        last_first = plan.chunk(plan.total_chunk_count - 1).first
        start = min(post.bytes_uploaded, size)
        if start >= last_first and post.step is not PostStep.FINAL:
            self.ledger.move(PostState.UPLOADING, "Sending the last part of the video.",
                       step=PostStep.FINAL)
        elif post.state is not PostState.UPLOADING:
            self.ledger.move(PostState.UPLOADING,
                       f"Resuming the upload at {start * 100 // size}%." if start else
                       "Uploading the video.")

        def checkpoint(offset: int) -> None:
            # Runs before the uploader sends its next PUT: the final-chunk mark is on disk
            # before the last chunk can leave.
            if last_first <= offset < size and self.post.step is not PostStep.FINAL:
                self.ledger.move(PostState.UPLOADING, "Sending the last part of the video.",
                           step=PostStep.FINAL, bytes_uploaded=offset)
            else:
                self.ledger.checkpoint(bytes_uploaded=offset)

        try:
            # The bytes sent are hashed as they go: if the file changed since it was
            # checked, the last chunk is held back (VideoFileChanged) and TikTok never has it.
            self.parts.uploader.upload(url, self._local_video(), plan=plan, start_offset=start,
                                       content_type=self._content_type(),
                                       expected_sha256=post.video_sha256 or None,
                                       progress=self._progress, checkpoint=checkpoint,
                                       cancel=self.parts.stop)
        except UploadCancelled:
            raise EngineStopping() from None
        except UploadInterrupted as exc:
            self.ledger.retry(exc.user_message, exc.code or "upload_interrupted")
        except (UploadUrlExpired, UploadTaskNotFound) as exc:
            if self.post.step is PostStep.FINAL:
                self._reconcile()
                return
            self.ledger.retry(exc.user_message, exc.code or "upload_link_dead",
                              publish_id=None, step=None, bytes_uploaded=0,
                              upload_expires_at=None)
        except (VideoSizeError, UnsupportedContainer, UploadRejected) as exc:
            # The chunk in flight was refused or cut short: TikTok does not have the video.
            self.ledger.fail(exc.user_message, exc.code or "upload_rejected", step=None)
        except UploadError as exc:
            if self.post.step is PostStep.FINAL:
                self._reconcile()
                return
            if exc.code == "file_read_failed":
                self.ledger.fail(exc.user_message, exc.code, step=None)
            self.ledger.retry(exc.user_message, exc.code or "upload_failed")
        self.parts.links.delete(post.id)
        self.ledger.move(PostState.PROCESSING, "TikTok has the whole video and is processing it; "
                   "this can take a few minutes.", step=PostStep.POLL, bytes_uploaded=size,
                   upload_expires_at=None)
        self._poll()

    def _progress(self, sent: int, total: int) -> None:
        now = self.parts.monotonic()
        if sent >= total or now - self._progress_at >= self.parts.config.progress_interval:
            self._progress_at = now
            self.reporter.upload_progress(self.post.id, sent, total)
        # A slow chunk can outlast the lease: keep it alive while bytes flow.
        if now - self.ledger.renewed_at >= self.parts.config.lease_seconds / 4:
            self.ledger.checkpoint()

    # -- after the last chunk may have gone ----------------------------------------------------

    def _resume_accepted(self) -> None:
        if self.post.step is PostStep.POLL:
            if self.post.state is not PostState.PROCESSING:
                self.ledger.move(PostState.PROCESSING, "Asking TikTok whether the post went out.")
            self._poll()
            return
        url = self._live_link()
        if url is not None and self._video_intact():
            self._upload(url, plan_chunks(self.post.video_size))
            return
        self._reconcile()

    def _video_intact(self) -> bool:
        """Can the rest of an upload TikTok may already have be sent? (Else TikTok decides.)"""
        try:
            self.video = self.video or self.parts.videos.local(self.post)
        except VideoUnavailable as exc:
            log.info("post %d: no video to finish the upload with: %s", self.post.id, exc)
            return False
        post = self.post
        return self.parts.check_video(self.video, post.video_size, post.video_sha256) is None

    def _reconcile(self) -> None:
        """The last chunk may have gone but the upload cannot continue: TikTok decides."""
        post = self.post
        status = self._status()
        if status.is_failed:
            self._tiktok_failed(status)
        uploaded = status.uploaded_bytes
        if status.is_complete or status.in_inbox or uploaded is None or uploaded >= post.video_size:
            self.parts.links.delete(post.id)
            self.ledger.move(PostState.PROCESSING, "TikTok has the whole video; waiting for it to "
                       "finish processing.", step=PostStep.POLL, upload_expires_at=None)
            self._poll()
            return
        # TikTok lacks part of the video. That publish can never complete once its link is
        # dead and nothing is in flight any more; only then is a new init safe.
        settled = (post.upload_expires_at or 0) + self.parts.config.link_expiry_settle
        now = self.parts.clock()
        if now >= settled:
            share = uploaded * 100 // max(1, post.video_size)
            self.ledger.forget_publish(
                f"TikTok received only {share}% of the video before its upload link expired, "
                "so it cannot publish that upload: starting again.")
            self._fresh()
            return
        self.ledger.defer(settled - now, "TikTok has part of the video, but the link to send the "
                    "rest is not usable any more; waiting until that link has certainly "
                    "expired before starting again.")

    def _status(self) -> PublishStatus:
        publish_id = self.post.publish_id or ""
        self._budget_wait(Budget.STATUS)
        try:
            return self._call(lambda tok: self.parts.api.fetch_status(tok, publish_id,
                                                                  retry=NO_RETRY),
                              handle=False)
        except PublishIdError as exc:
            self.ledger.unconfirmed(exc.user_message)
        except TikTokError as exc:
            self._fail_for(exc)

    def _poll(self) -> None:
        cfg = self.parts.config
        started = self.parts.clock()
        checks = 0
        publish_id = self.post.publish_id or ""

        def fetch(token: str) -> PublishStatus:
            return self.parts.api.fetch_status(token, publish_id, retry=NO_RETRY)

        while True:
            delay = cfg.poll_delays[min(checks, len(cfg.poll_delays) - 1)]
            if delay > 0:
                self.ledger.checkpoint(extra=delay)
                self.parts.sleeper(delay)
            self._budget_wait(Budget.STATUS)
            checks += 1
            status: PublishStatus | None = None
            try:
                status = self._call(fetch, handle=False)
            except PublishIdError as exc:
                self.ledger.unconfirmed(exc.user_message)
            except TikTokError as exc:
                if not exc.retryable:
                    self.ledger.unconfirmed(exc.user_message)
                log.info("post %d: status check %d failed (%s); checking again", self.post.id,
                         checks, exc.code or type(exc).__name__)
            if status is not None:
                if status.is_complete:
                    self._completed(status)
                if status.in_inbox:
                    now = self.parts.clock()
                    self.ledger.rest(
                        PostState.IN_INBOX, "Sent to the TikTok inbox; waiting for the creator "
                        "to post it from the TikTok app.", NoticeKind.IN_INBOX,
                        message=f"“{snippet(self.post)}” is in the TikTok inbox of "
                        f"{self.ledger.label()}: open TikTok on the phone to finish posting it.",
                        attempt_count=0, last_error_code=None, last_error_message=None,
                        next_attempt_at=math.ceil(now + cfg.inbox_delays[0]),
                        follow_until=math.ceil(now + cfg.inbox_seconds))
                if status.is_failed:
                    self._tiktok_failed(status)
            waited = self.parts.clock() - started
            if checks >= cfg.poll_max_checks or waited >= cfg.poll_max_seconds:
                self.ledger.unconfirmed(
                    f"TikTok has not confirmed the post after "
                    f"{human_duration(self.parts.clock() - started)} of checking.")

    # -- tokens and calls --------------------------------------------------------------------

    def _ensure_token(self) -> str:
        if self.token is None:
            self.token = self._token_call(lambda: self.parts.tokens.token(self.post.account_id))
        return self.token

    def _token_call(self, fn: Callable[[], str]) -> str:
        try:
            return fn()
        except NeedsReconnect as exc:
            if self.following:  # TikTok has the post: it keeps its state, checks resume later
                self.reporter.notice(Notice(NoticeKind.NEEDS_RECONNECT, str(exc), None,
                                            self.post.account_id))
                self._follow_later_anyway()
            self.ledger.needs_reconnect(str(exc))
        except (TransientAccountError, VaultError) as exc:
            if self.following:
                log.info("post %d: no token for its follow-up check: %s", self.post.id, exc)
                self._follow_later_anyway()
            self.ledger.retry(str(exc), "token_unavailable")
        except AccountError as exc:
            self.ledger.fail(str(exc), "no_account")

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
                    lambda: self.parts.tokens.force_refresh(self.post.account_id, stale))
                return fn(self.token)
        except TikTokError as exc:
            if not handle:
                raise
            self._fail_for(exc)

    def _fail_for(self, exc: TikTokError) -> NoReturn:
        code = exc.code or type(exc).__name__
        if isinstance(exc, PrivacyLevelMismatch):
            self.ledger.needs_review(exc.user_message, code)
        if isinstance(exc, UnauditedClientPrivateOnly):
            # Remembered for the app: new posts start from what an unaudited app can post.
            self.parts.clients.set_unaudited(self.parts.client_key, int(self.parts.clock()))
            account = self.ledger.account
            self.ledger.fail(audit.refusal(account.is_private if account else None), code)
        if exc.retryable:
            floor = exc.retry_after if isinstance(exc, RateLimited) else 0.0
            self.ledger.retry(exc.user_message, code, floor)
        if self.ledger.may_be_accepted():
            self.ledger.unconfirmed(exc.user_message)
        self.ledger.fail(exc.user_message, code)

    def _budget(self, budget: Budget) -> None:
        wait = self.parts.limits.try_take(self.post.account_id, budget)
        if wait > 0:
            self.ledger.defer(wait, "Waiting for TikTok's request limit for this account.")

    def _budget_wait(self, budget: Budget) -> None:
        while (wait := self.parts.limits.try_take(self.post.account_id, budget)) > 0:
            self.ledger.checkpoint(extra=wait)
            self.parts.sleeper(wait)
