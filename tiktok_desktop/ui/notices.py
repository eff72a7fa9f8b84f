"""The engine's notices as tray messages: several within a second become one.

A tray shows one message at a time: three posts going out together used to flash three
messages, each replacing the one before it unread. Notices that arrive within a second of
the first are gathered, and one message says what happened to all of them: "3 posts
published", or "3 posts: 2 published, 1 failed".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.domain.words import count
from tiktok_desktop.engine.listener import Notice, NoticeKind

__all__ = ["GATHER_MS", "NoticeGatherer", "summary"]

GATHER_MS = 1000
SHOWN_LINES = 3  # messages quoted in a gathered one; the rest is counted

TITLES = {
    NoticeKind.PUBLISHED: "Posted to TikTok",
    NoticeKind.IN_INBOX: "Sent to the TikTok inbox",
    NoticeKind.NOT_POSTED: "Not posted from the TikTok inbox",
    NoticeKind.FAILED: "A post failed",
    NoticeKind.UNCONFIRMED: "Check TikTok",
    NoticeKind.NEEDS_RECONNECT: "Reconnect an account",
    NoticeKind.NEEDS_REVIEW: "A post needs your review",
    NoticeKind.MISSED: "A post was missed",
    NoticeKind.LATE: "Posting late",
}
# What happened to a post, for a count: "2 published, 1 failed".
DONE_WORDS = {
    NoticeKind.PUBLISHED: "published",
    NoticeKind.IN_INBOX: "sent to the inbox",
    NoticeKind.NOT_POSTED: "not posted from the inbox",
    NoticeKind.FAILED: "failed",
    NoticeKind.UNCONFIRMED: "to check on TikTok",
    NoticeKind.NEEDS_RECONNECT: "waiting for a reconnect",
    NoticeKind.NEEDS_REVIEW: "to review",
    NoticeKind.MISSED: "missed",
    NoticeKind.LATE: "posting late",
}
BAD = frozenset({NoticeKind.FAILED, NoticeKind.NEEDS_RECONNECT, NoticeKind.NEEDS_REVIEW,
                 NoticeKind.MISSED, NoticeKind.UNCONFIRMED, NoticeKind.NOT_POSTED})


def summary(notices: list[Notice]) -> tuple[str, str, str]:
    """(title, message, level) of one tray message for ``notices`` (one or more)."""
    level = "warning" if any(n.kind in BAD for n in notices) else "info"
    if len(notices) == 1:
        notice = notices[0]
        return TITLES.get(notice.kind, APP_DISPLAY_NAME), notice.message, level
    kinds = Counter(n.kind for n in notices)
    posts = count(len(notices), "post")
    if len(kinds) == 1:
        title = f"{posts} {DONE_WORDS[notices[0].kind]}"
    else:
        title = f"{posts}: " + ", ".join(f"{n} {DONE_WORDS[kind]}"
                                          for kind, n in kinds.most_common())
    lines = [n.message for n in notices[:SHOWN_LINES]]
    if len(notices) > SHOWN_LINES:
        lines.append(f"…and {len(notices) - SHOWN_LINES} more (File → View log).")
    return title, "\n".join(lines), level


class NoticeGatherer(QObject):
    """Holds notices for GATHER_MS after the first, then hands over one message."""

    def __init__(self, show: Callable[[str, str, str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._show = show
        self._pending: list[Notice] = []
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(GATHER_MS)
        self.timer.timeout.connect(self.flush)

    def add(self, notice: Notice) -> None:
        self._pending.append(notice)
        if not self.timer.isActive():
            self.timer.start()  # from the first: a steady stream still shows once a second

    def flush(self) -> None:
        self.timer.stop()
        pending, self._pending = self._pending, []
        if pending:
            self._show(*summary(pending))
