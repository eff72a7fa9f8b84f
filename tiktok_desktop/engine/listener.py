"""How the engine reports: post changes, upload progress and notices for the user.

The engine calls the listener from its worker threads; implementations must be thread-safe
and quick (the Qt bridge re-emits them as queued signals; the headless runner logs them).
"""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from tiktok_desktop.store import Post

log = logging.getLogger(__name__)


class NoticeKind(enum.StrEnum):
    PUBLISHED = "published"
    IN_INBOX = "in_inbox"  # sent to the creator's TikTok inbox: finish it in the TikTok app
    NOT_POSTED = "not_posted"  # an inbox draft the creator did not post (it lapsed)
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # TikTok did not confirm in time: check the profile
    NEEDS_RECONNECT = "needs_reconnect"
    NEEDS_REVIEW = "needs_review"
    MISSED = "missed"
    LATE = "late"  # overdue within the grace window: going out now, late


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    message: str  # plain words, ready to show
    post_id: int | None = None  # None: about an account (e.g. a refresh refused)
    account_id: int | None = None


class EngineListener(Protocol):
    def post_changed(self, post: Post) -> None:
        """A post's row changed (state, step, error...); ``post`` is the committed row."""

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        """Bytes of the video sent so far (throttled; steps back when a chunk is replayed)."""

    def notice(self, notice: Notice) -> None:
        """Something the user should be told (tray message, status bar, log)."""


class NullListener:
    def post_changed(self, post: Post) -> None:
        pass

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        pass

    def notice(self, notice: Notice) -> None:
        pass


class HeadlessListener:
    """For ``tiktok-desktop run``: notices go to the log (state changes are logged by the
    engine's Reporter for every listener)."""

    def post_changed(self, post: Post) -> None:
        pass

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        log.debug("post %d: uploaded %d of %d bytes", post_id, sent, total)

    def notice(self, notice: Notice) -> None:
        where = f"post {notice.post_id}" if notice.post_id is not None \
            else f"account {notice.account_id}"
        log.info("%s: %s: %s", where, notice.kind.value, notice.message)


class Reporter:
    """How the engine reports, whoever listens: every state change is logged (without
    captions or links: they are the user's, and a link is a credential), and a lost sign-in
    is told once per account until it is connected again, not once per post. Thread-safe."""

    def __init__(self, listener: EngineListener | None = None) -> None:
        self.listener: EngineListener = listener or NullListener()
        self._told_reconnect: set[int] = set()
        self._lock = threading.Lock()

    def post_changed(self, post: Post) -> None:
        log.info("post %d: %s%s", post.id, post.state.value,
                 f" ({post.step.value})" if post.step else "")
        self.listener.post_changed(post)

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        self.listener.upload_progress(post_id, sent, total)

    def notice(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.NEEDS_RECONNECT and notice.account_id is not None:
            with self._lock:
                if notice.account_id in self._told_reconnect:
                    return
                self._told_reconnect.add(notice.account_id)
        self.listener.notice(notice)

    def reconnected(self, account_id: int) -> None:
        """The account works again: its next lost sign-in is news."""
        with self._lock:
            self._told_reconnect.discard(account_id)
