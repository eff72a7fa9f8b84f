"""What the week and month views share: the posts and filter they show, and a painted grid
that turns mouse and drag-and-drop into "select / open / move this post" and "files onto
this slot".

No widget per post: each view lays out only the posts in its visible days (an O(log n)
range look-up in a DueIndex) and paints them itself, so 100k posts cost what one week's do.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QMimeData,
    QPoint,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip, QWidget

from tiktok_desktop.domain.lifecycle import Action, why_not
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.services.schedule import ScheduleError, resolve_local, zone
from tiktok_desktop.services.schedule_views import (
    DueIndex,
    PostFilter,
    local_date,
    state_text,
)
from tiktok_desktop.store import AccountStatus, Post
from tiktok_desktop.ui.schedule_model import post_colour

POST_MIME = "application/x-tiktok-desktop-post"
SNAP_MINUTES = 15
FILES_DEFAULT_MINUTE = 9 * 60  # files dropped on a whole day go out at 09:00 unless that passed


def post_mime(post_id: int, offset_minutes: int = 0) -> QMimeData:
    """What a dragged post carries: its id and where in its block it was picked up."""
    mime = QMimeData()
    mime.setData(POST_MIME, QByteArray(f"{post_id}:{offset_minutes}".encode()))
    return mime


def read_post_mime(mime: QMimeData) -> tuple[int, int] | None:
    if not mime.hasFormat(POST_MIME):
        return None
    try:
        post_id, offset = bytes(mime.data(POST_MIME).data()).decode().split(":")
        return int(post_id), int(offset)
    except ValueError:
        return None


class CalendarState:
    """The posts, filter, zone and shown date both views read (one copy, shared)."""

    def __init__(self, zone_name: str = "", clock: Callable[[], float] = time.time,
                 first_weekday: int = 0) -> None:
        self.index = DueIndex()
        self.labels: dict[int, str] = {}
        self.statuses: dict[int, AccountStatus] = {}  # an account left out is connected
        self.filter = PostFilter()
        self.zone_name = zone_name
        self.tz: dt.tzinfo = zone(zone_name)
        self.clock = clock
        self.first_weekday = first_weekday
        self.anchor = self.today()
        self.selected: int | None = None
        self.drafts: dict[int, Post] = {}  # posts without a time (dragged in from the side)

    def post(self, post_id: int) -> Post | None:
        """A post shown on the calendar or beside it, as a drop names it."""
        return self.index.get(post_id) or self.drafts.get(post_id)

    def set_zone(self, zone_name: str) -> None:
        self.tz = zone(zone_name)
        self.zone_name = zone_name

    def now(self) -> int:
        return int(self.clock())

    def today(self) -> dt.date:
        return local_date(self.now(), self.tz)

    def label(self, account_id: int) -> str:
        return self.labels.get(account_id, f"account {account_id}")

    def status(self, account_id: int) -> AccountStatus:
        return self.statuses.get(account_id, AccountStatus.CONNECTED)

    def visible(self, start: int, end: int) -> list[Post]:
        wanted = self.filter
        if wanted.passes_all:
            return list(self.index.between(start, end))
        return [p for p in self.index.between(start, end) if wanted.matches(p)]

    def epoch_at(self, day: dt.date, minute: int) -> tuple[int, str]:
        """The instant of a wall-clock slot in the shown zone, with a note for an ambiguous
        one; ScheduleError (in plain words) for a time the clocks skip."""
        wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
        resolved = resolve_local(wall, self.zone_name, now=self.now())
        return resolved.epoch, resolved.note

    def files_minute(self, day: dt.date) -> int:
        """When files dropped on a whole day are due: 09:00, or the next quarter hour today."""
        if day != self.today():
            return FILES_DEFAULT_MINUTE
        now = dt.datetime.fromtimestamp(self.now(), self.tz)
        nxt = (now.hour * 60 + now.minute) // SNAP_MINUTES * SNAP_MINUTES + SNAP_MINUTES
        return min(max(FILES_DEFAULT_MINUTE, nxt), 24 * 60 - SNAP_MINUTES)


def chip_caption(post: Post) -> str:
    """The caption's first line, or the file's name for a post without a caption."""
    text = post.caption.strip()
    return text.splitlines()[0] if text else video_name(post)


def tooltip_text(post: Post, state: CalendarState) -> str:
    assert post.due_at is not None
    when = dt.datetime.fromtimestamp(post.due_at, state.tz)
    lines = [f"{when:%a %d %b %Y, %H:%M} {when.tzname()}", state.label(post.account_id),
             state_text(post, state.status(post.account_id)), video_name(post)]
    if post.caption.strip():
        caption = post.caption.strip()
        lines.append(caption if len(caption) <= 200 else caption[:199] + "…")
    if post.last_error_message:
        lines.append(post.last_error_message)
    return "\n".join(lines)


def paint_post(p: QPainter, rect: QRectF, post: Post, palette: QPalette, *, lines: Iterable[str],
               selected: bool, radius: float = 4.0,
               account: AccountStatus = AccountStatus.CONNECTED) -> None:
    """A post as a tinted rounded box with a stripe in its state's colour."""
    colour = QColor(post_colour(post, account))
    tint = QColor(colour)
    tint.setAlpha(48)
    path = QPainterPath()
    path.addRoundedRect(rect, radius, radius)
    p.fillPath(path, palette.color(QPalette.ColorRole.Base))
    p.fillPath(path, tint)
    p.save()
    p.setClipPath(path)
    p.fillRect(QRectF(rect.left(), rect.top(), 3, rect.height()), colour)
    p.restore()
    if selected:
        pen = p.pen()
        p.setPen(palette.color(QPalette.ColorRole.Highlight))
        p.drawPath(path)
        p.setPen(pen)
    p.save()
    p.setClipRect(rect.adjusted(5, 1, -2, -1))
    metrics = p.fontMetrics()
    y = rect.top() + 2 + metrics.ascent()
    for i, line in enumerate(lines):
        if y - metrics.ascent() + metrics.height() > rect.bottom() + 2 and i > 0:
            break
        if i == 1:
            p.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        text = metrics.elidedText(line, Qt.TextElideMode.ElideRight, int(rect.width() - 8))
        p.drawText(QPointF(rect.left() + 6, y), text)
        y += metrics.height()
    p.restore()


def drag_picture(post: Post, size: QSize, palette: QPalette, account: str,
                 ratio: float = 1.0) -> QPixmap:
    """A dragged post: its caption and account, not its old time."""
    out = QPixmap(int(size.width() * ratio), int(size.height() * ratio))
    out.setDevicePixelRatio(ratio)
    out.fill(Qt.GlobalColor.transparent)
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(palette.color(QPalette.ColorRole.Text))
    paint_post(p, QRectF(0, 0, size.width(), size.height()), post, palette,
               lines=(chip_caption(post), account), selected=True)
    p.end()
    return out


@dataclass(frozen=True)
class Hit:
    post: Post | None = None
    more: object = None  # the day a month's "+N more" stands for
    day: dt.date | None = None


class CalendarGrid(QAbstractScrollArea):
    """Mouse, keyboard and drag-and-drop for a painted calendar; subclasses lay out and paint.

    Subclasses implement relayout(), hit(pos), target(pos, offset_minutes) and hint_rect().
    """

    move_requested = Signal(int, int)  # post id, new due epoch
    files_dropped = Signal(list, object)  # local paths, slot epoch
    HINT_EDGE = Qt.AlignmentFlag.AlignTop  # where in the drop slot its words go
    activated = Signal(int)  # post id (double-click)
    current_changed = Signal(object)  # post id or None
    context_requested = Signal(int, QPoint)  # post id, global position
    more_requested = Signal(object)  # a day of the month view ("+N more", a double-click)
    message = Signal(str)

    def __init__(self, state: CalendarState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.viewport().setMouseTracking(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._press: tuple[QPoint, Post, int] | None = None
        self._hint: QRectF | None = None
        self._hint_text = ""

    # -- for subclasses ---------------------------------------------------------------------

    def relayout(self) -> None:
        raise NotImplementedError

    def hit(self, pos: QPoint) -> Hit:
        raise NotImplementedError

    def target(self, pos: QPoint, offset_minutes: int, post: Post | None) -> \
            tuple[dt.date, int] | None:
        """The day and minute a drop at `pos` means (None outside the grid)."""
        raise NotImplementedError

    def hint_rect(self, day: dt.date, minute: int) -> QRectF | None:
        raise NotImplementedError

    def grab_offset(self, post: Post, pos: QPoint) -> int:
        """Minutes between the post's time and the point it was picked up at."""
        return 0

    def block_rects(self) -> dict[int, QRectF]:
        """Where each shown post is painted, in viewport coordinates (for tests and tools)."""
        raise NotImplementedError

    def _ensure(self) -> None:
        """Lay out again if the posts, the range or the size changed since the last paint."""
        raise NotImplementedError

    def begin_paint(self) -> tuple[QPainter, QPalette, int, int]:
        """A painter on the laid-out viewport with the base colour filled in: (painter,
        palette, width, height). Colours come from the palette, so dark themes work."""
        self._ensure()
        pal = self.palette()
        p = QPainter(self.viewport())
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.viewport().width(), self.viewport().height()
        p.fillRect(0, 0, w, h, pal.color(QPalette.ColorRole.Base))
        return p, pal, w, h

    # -- selection ---------------------------------------------------------------------------

    def select(self, post_id: int | None) -> None:
        if post_id != self.state.selected:
            self.state.selected = post_id
            self.current_changed.emit(post_id)
        self.viewport().update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        hit = self.hit(pos)
        if event.button() == Qt.MouseButton.LeftButton and hit.more is not None:
            self.more_requested.emit(hit.more)
            return
        self.select(hit.post.id if hit.post else None)
        if event.button() == Qt.MouseButton.LeftButton and hit.post is not None:
            self._press = (pos, hit.post, self.grab_offset(hit.post, pos))
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        start, post, offset = self._press
        if (event.position().toPoint() - start).manhattanLength() < \
                QApplication.startDragDistance():
            return
        self._press = None
        why = why_not(post, Action.RESCHEDULE, self.state.status(post.account_id))
        if why:
            self.message.emit(why)
            return
        drag = QDrag(self)
        drag.setMimeData(post_mime(post.id, offset))
        rect = self.block_rects().get(post.id)
        if rect is not None:
            # Without its time: the time it would get is shown where it would land.
            drag.setPixmap(drag_picture(post, rect.size().toSize(), self.palette(),
                                        self.state.label(post.account_id),
                                        self.devicePixelRatioF()))
            drag.setHotSpot(start - rect.toAlignedRect().topLeft())
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        hit = self.hit(event.position().toPoint())
        if hit.post is not None:
            self.activated.emit(hit.post.id)
        elif hit.day is not None and hit.more is None:
            self.more_requested.emit(hit.day)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and self.state.selected is not None:
            event.accept()
            self.activated.emit(self.state.selected)  # Enter opens it, as a double-click
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        hit = self.hit(event.pos())
        if hit.post is not None:
            self.select(hit.post.id)
            self.context_requested.emit(hit.post.id, event.globalPos())

    def invalidate(self) -> None:
        """Lay out again before the next paint or hit test."""
        raise NotImplementedError

    def viewport_resized(self) -> None:
        """The visible area changed size (after the layout was invalidated)."""

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            # The viewport also changes size when a scroll bar comes or goes, without a
            # resizeEvent on the area itself: the layout depends on the viewport's width.
            self.invalidate()
            self.viewport_resized()
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            hit = self.hit(event.pos())
            if hit.post is not None:
                QToolTip.showText(event.globalPos(), tooltip_text(hit.post, self.state), self)
            elif hit.more is not None:
                QToolTip.showText(event.globalPos(), "Show them all", self)
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    # -- drag and drop -----------------------------------------------------------------------

    def _accepts(self, mime: QMimeData) -> bool:
        return read_post_mime(mime) is not None or any(u.isLocalFile() for u in mime.urls())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        mime = event.mimeData()
        if not self._accepts(mime):
            event.ignore()
            return
        moving = read_post_mime(mime)
        post = self.state.post(moving[0]) if moving else None
        slot = self.target(event.position().toPoint(), moving[1] if moving else 0, post)
        self._hint = self.hint_rect(*slot) if slot else None
        self._hint_text = self._slot_words(*slot) if slot else ""
        self.viewport().update()
        if slot is None:
            event.ignore()
        else:
            event.acceptProposedAction()

    def _slot_words(self, day: dt.date, minute: int) -> str:
        """What a drop here means: "→ Wed 24, 14:30" (or that the clocks skip it)."""
        try:
            self.state.epoch_at(day, minute)
        except ScheduleError:
            return "The clocks skip this time"
        return f"→ {day:%a} {day.day}, {minute // 60:02d}:{minute % 60:02d}"

    def hint_text(self) -> str:
        """The words in the slot a drag would land in ("" when none)."""
        return self._hint_text if self._hint is not None else ""

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._hint = None
        self.viewport().update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._hint = None
        self.viewport().update()
        if self.drop(event.mimeData(), event.position().toPoint()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, mime: QMimeData, pos: QPoint) -> bool:
        """Handle a drop at `pos`: move a post there or hand files over with the slot's time."""
        moving = read_post_mime(mime)
        if moving is not None:
            return self._drop_post(moving[0], moving[1], pos)
        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if not paths:
            return False
        slot = self.target(pos, 0, None)
        if slot is None:
            return False
        try:
            epoch, note = self.state.epoch_at(*slot)
        except ScheduleError as exc:
            self.message.emit(str(exc))
            return False
        if note:
            self.message.emit(note)
        self.files_dropped.emit(paths, epoch)
        return True

    def _drop_post(self, post_id: int, offset: int, pos: QPoint) -> bool:
        post = self.state.post(post_id)
        if post is None:
            return False
        slot = self.target(pos, offset, post)
        if slot is None:
            return False
        try:
            epoch, note = self.state.epoch_at(*slot)
        except ScheduleError as exc:
            self.message.emit(str(exc))  # nothing moves
            return False
        if epoch == post.due_at:
            return False
        if note:
            self.message.emit(note)
        self.move_requested.emit(post_id, epoch)
        return True

    def paint_hint(self, p: QPainter) -> None:
        if self._hint is None:
            return
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlpha(60)
        p.fillRect(self._hint, colour)
        if self._hint_text:
            p.save()
            p.setPen(self.palette().color(QPalette.ColorRole.Text))
            bold = p.font()
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(self._hint.adjusted(6, 2, -2, -2),
                       Qt.AlignmentFlag.AlignLeft | self.HINT_EDGE, self._hint_text)
            p.restore()

