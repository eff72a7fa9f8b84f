"""The schedule list's models: posts with thumbnails and due times in the app's zone, the
filter proxy, a post's history, and the thumbnail loader behind the preview column."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPixmap,
    QPolygonF,
)

from tiktok_desktop.domain.lifecycle import waits_for_reconnect
from tiktok_desktop.services.media import thumbnail
from tiktok_desktop.services.posts import video_name
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.services.schedule_views import (
    POST_STATE_TEXT,
    PostFilter,
    event_detail,
    file_name,
    state_label,
    state_text,
)
from tiktok_desktop.store import AccountStatus, Post, PostEvent, PostState
from tiktok_desktop.ui.models import Column, PostsModel, RowsModel
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import blend

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex

# One colour per state, shared by the list's state dots and the calendar's blocks.
STATE_COLOURS: dict[PostState, str] = {
    PostState.DRAFT: "#8e8e93",
    PostState.SCHEDULED: "#3a7bd5",
    PostState.PREPARING: "#d79b00",
    PostState.UPLOADING: "#d79b00",
    PostState.PROCESSING: "#d79b00",
    PostState.RETRY_WAIT: "#d79b00",
    PostState.PUBLISHED: "#2e9d5b",
    PostState.IN_REVIEW: "#6cb38a",  # published; a lighter green until TikTok's review is done
    PostState.IN_INBOX: "#2a9d8f",
    PostState.DRAFT_LAPSED: "#e76f51",
    PostState.UNCONFIRMED: "#e76f51",
    PostState.NEEDS_REVIEW: "#e76f51",
    PostState.NEEDS_RECONNECT: "#e76f51",
    PostState.FAILED: "#c0213b",
    PostState.MISSED: "#c0213b",
}



def post_colour(post: Post, account: AccountStatus = AccountStatus.CONNECTED) -> str:
    """The post's state colour; one waiting for its account's reconnect looks like one."""
    if waits_for_reconnect(post, account):
        return STATE_COLOURS[PostState.NEEDS_RECONNECT]
    return STATE_COLOURS[post.state]


THUMB_SIZE = QSize(30, 40)  # portrait 3:4: most TikTok videos are 9:16, a crop reads best


def when_text(epoch: int, tz: dt.tzinfo, this_year: int | None = None) -> str:
    """"Fri 04 Dec 2026, 08:42"; without the year when it is ``this_year`` (narrower: the
    list keeps its State column in view)."""
    when = dt.datetime.fromtimestamp(epoch, tz)
    if when.year == this_year:
        return when.strftime("%a %d %b, %H:%M")
    return when.strftime("%a %d %b %Y, %H:%M")


def moment_text(epoch: int, tz: dt.tzinfo) -> str:
    """"Fri 04 Dec 2026, 08:42:07": a history's steps are seconds apart."""
    return dt.datetime.fromtimestamp(epoch, tz).strftime("%a %d %b %Y, %H:%M:%S")


def compact_count(n: int) -> str:
    """12 -> "12", 12345 -> "12.3K", 4560000 -> "4.5M": the list's views and likes, cut
    (never rounded up past what was counted; the exact number is in the tooltip)."""
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            if n < 100 * size:
                tenths = n * 10 // size
                return f"{tenths // 10}.{tenths % 10}".removesuffix(".0") + unit
            return f"{n // size}{unit}"
    return str(n)


def short_name(label: str) -> str:
    """"Mia Chen (@miacooks)" -> "Mia Chen": the list's account column (the full label is
    in its tooltip and the account filter)."""
    name, sep, rest = label.rpartition(" (@")
    return name if sep and rest.endswith(")") and name else label


# -- thumbnails ----------------------------------------------------------------------------------

def media_thumbnail(path: str, max_side: int) -> QImage:
    """A preview frame of the video as a QImage (runs on a worker thread; QImage is safe
    there, QPixmap is not). Raises MediaError for files it cannot read."""
    frame = thumbnail(path, max_side)
    return QImage(frame.data, frame.width, frame.height, frame.bytes_per_line,
                  QImage.Format.Format_RGB888).copy()


def _crop(image: QImage, size: QSize) -> QImage:
    scaled = image.scaled(size, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                          Qt.TransformationMode.SmoothTransformation)
    x = (scaled.width() - size.width()) // 2
    y = (scaled.height() - size.height()) // 2
    return scaled.copy(x, y, size.width(), size.height())


def placeholder_pixmap(size: QSize = THUMB_SIZE, ratio: float = 1.0,
                       palette: QPalette | None = None) -> QPixmap:
    """A neutral film frame with a play mark: shown while loading and for unreadable files
    (in greys from the palette: a light frame glares in a dark one)."""
    palette = palette or QGuiApplication.palette()
    out = QPixmap(int(size.width() * ratio), int(size.height() * ratio))
    out.fill(Qt.GlobalColor.transparent)
    out.setDevicePixelRatio(ratio)
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(0.5, 0.5, size.width() - 1, size.height() - 1)
    path = QPainterPath()
    path.addRoundedRect(rect, 3, 3)
    p.fillPath(path, blend(palette, 0.15))
    c = rect.center()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(blend(palette, 0.45))
    p.drawPolygon(QPolygonF([QPointF(c.x() - 4, c.y() - 6), QPointF(c.x() - 4, c.y() + 6),
                             QPointF(c.x() + 6, c.y())]))
    p.end()
    return out


class ThumbnailLoader(QObject):
    """Thumbnails by video path, decoded off the GUI thread, cached in memory.

    Only what the view paints is asked for. Requests are served newest first and the queue
    is bounded, so scrolling fast through 100k rows decodes only the rows that stay on screen.
    """

    loaded = Signal(str)  # a path whose thumbnail is now available

    def __init__(self, runner: TaskRunner,
                 make: Callable[[str, int], QImage] | None = media_thumbnail, *,
                 size: QSize = THUMB_SIZE, ratio: float = 1.0, in_flight: int = 2,
                 queue: int = 64, capacity: int = 2000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.make = make
        self.size = size
        self.ratio = ratio
        self.placeholder = placeholder_pixmap(size, ratio)
        self._max_in_flight = in_flight
        self._max_queue = queue
        self._capacity = capacity
        self._cache: dict[str, QPixmap] = {}
        self._failed: set[str] = set()
        self._in_flight: set[str] = set()
        self._wanted: dict[str, None] = {}  # insertion-ordered: the newest request last

    def pixmap(self, path: str) -> QPixmap:
        found = self._cache.get(path)
        if found is not None:
            return found
        if self.make is not None and path not in self._failed and path not in self._in_flight:
            self._wanted.pop(path, None)
            self._wanted[path] = None
            while len(self._wanted) > self._max_queue:
                del self._wanted[next(iter(self._wanted))]
            self._pump()
        return self.placeholder

    def is_loaded(self, path: str) -> bool:
        return path in self._cache

    def _pump(self) -> None:
        make = self.make
        assert make is not None
        side = int(max(self.size.width(), self.size.height()) * self.ratio * 2)
        target = QSize(int(self.size.width() * self.ratio), int(self.size.height() * self.ratio))
        while self._wanted and len(self._in_flight) < self._max_in_flight:
            path = next(reversed(self._wanted))
            del self._wanted[path]
            self._in_flight.add(path)
            self.runner.submit(lambda p=path: _crop(make(p, side), target),
                               lambda image, p=path: self._done(p, image),
                               lambda exc, p=path: self._fail(p, exc))

    def _done(self, path: str, image: QImage) -> None:
        self._in_flight.discard(path)
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.ratio)
        if len(self._cache) >= self._capacity:
            del self._cache[next(iter(self._cache))]  # oldest first
        self._cache[path] = pixmap
        self.loaded.emit(path)
        self._pump()

    def _fail(self, path: str, exc: BaseException) -> None:
        self._in_flight.discard(path)
        self._failed.add(path)  # not retried: the placeholder stays
        log.info("no thumbnail for %s: %s", file_name(path), exc)
        self._pump()


# -- the list ------------------------------------------------------------------------------------

def _dot(colour: str, ratio: float = 1.0) -> QPixmap:
    out = QPixmap(int(10 * ratio), int(10 * ratio))
    out.fill(Qt.GlobalColor.transparent)
    out.setDevicePixelRatio(ratio)
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawEllipse(QRectF(1, 1, 8, 8))
    p.end()
    return out


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of neighbours."""
    out: list[tuple[int, int]] = []
    for row in rows:
        if out and out[-1][1] == row - 1:
            out[-1] = (out[-1][0], row)
        else:
            out.append((row, row))
    return out


class ScheduleModel(PostsModel):
    """PostsModel plus a thumbnail column, due times in the zone the app shows, state dots,
    and in-place row updates so an action does not reset a 100k-row view."""

    THUMB, DUE, ACCOUNT, VIDEO, CAPTION, PRIVACY, STATE, COUNTS = range(8)

    def __init__(self, thumbnails: ThumbnailLoader | None = None,
                 parent: QObject | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._labels: dict[int, str] = {}
        self._clock = clock
        self._this_year: int | None = None
        self._statuses: dict[int, AccountStatus] = {}
        # Published posts' latest (views, likes) from TikTok (issue 19), by post id.
        self._counts: dict[int, tuple[int, int]] = {}
        super().__init__(self._label, parent)
        self.zone_name = ""
        self._tz = zone("")
        self.thumbnails = thumbnails
        self._dots: dict[str, QPixmap] = {}
        self._row_of: dict[int, int] | None = None
        self._rows_of_path: dict[str, list[int]] | None = None
        base = list(self.columns)
        base[0] = Column[Post]("Due", self._due_text, sort=base[0].sort,
                               tooltip=self._due_tooltip)
        base[-1] = Column[Post]("State", self._state_text, tooltip=self._state_tooltip)
        base[1] = Column[Post]("Account", lambda p: short_name(self._label(p.account_id)),
                               tooltip=lambda p: self._label(p.account_id))
        self.columns = (
            Column[Post]("", lambda p: "", sort=lambda p: video_name(p).casefold(),
                         tooltip=lambda p: p.video_path),
            *base,
            # One column for both (the list has no room for two beside a whole State):
            # "12.3K · 1.1K", sorted by views, the exact numbers in the tooltip.
            Column[Post]("Views · likes", self._count_text, sort=self._views,
                         tooltip=self._count_tooltip),
        )
        for signal in (self.modelReset, self.layoutChanged, self.rowsInserted,
                       self.rowsRemoved):
            signal.connect(self._forget_rows)
        if thumbnails is not None:
            thumbnails.loaded.connect(self._thumbnail_loaded)

    # -- data ------------------------------------------------------------------------------

    def _label(self, account_id: int) -> str:
        return self._labels.get(account_id, f"account {account_id}")

    def account_status(self, account_id: int) -> AccountStatus:
        return self._statuses.get(account_id, AccountStatus.CONNECTED)

    def _state_text(self, p: Post) -> str:
        return state_label(p, self.account_status(p.account_id))

    def _state_tooltip(self, p: Post) -> str:
        """The state in a whole sentence, then what went wrong, if anything."""
        lines = [state_text(p, self.account_status(p.account_id))]
        if p.last_error_message:
            lines.append(p.last_error_message)
        if p.id in self._counts:  # also where the list has no room for their column
            lines.append(self._count_tooltip(p))
        return "\n".join(lines)

    def _views(self, p: Post) -> int:
        found = self._counts.get(p.id)
        return -1 if found is None else found[0]

    def _count_text(self, p: Post) -> str:
        found = self._counts.get(p.id)
        return "" if found is None else f"{compact_count(found[0])} · {compact_count(found[1])}"

    def _count_tooltip(self, p: Post) -> str:
        found = self._counts.get(p.id)
        if found is None:
            return ("Views and likes show here once TikTok has counted a public post "
                    "(about an hour after it goes public).") if p.post_ids else ""
        return f"{found[0]:,} views, {found[1]:,} likes (TikTok's latest count)"

    def set_counts(self, counts: dict[int, tuple[int, int]]) -> None:
        """Published posts' latest (views, likes); only the rows whose numbers moved are
        repainted."""
        if counts == self._counts:
            return
        moved = {i for i in set(counts) | set(self._counts)
                 if counts.get(i) != self._counts.get(i)}
        self._counts = dict(counts)
        for post_id in moved:
            row = self.row_of(post_id)
            if row is not None:
                index = self.index(row, self.COUNTS)
                self.dataChanged.emit(index, index)

    def counts(self, post_id: int) -> tuple[int, int] | None:
        return self._counts.get(post_id)

    def has_counts(self) -> bool:
        return bool(self._counts)

    def _due_text(self, p: Post) -> str:
        if p.due_at is None:
            return "Not scheduled"
        return when_text(p.due_at, self._tz, self._this_year)

    def _due_tooltip(self, p: Post) -> str:
        if p.due_at is None:
            return "Not scheduled: Reschedule or Edit it to give it a time."
        shown = dt.datetime.fromtimestamp(p.due_at, self._tz)
        lines = [f"{shown:%A %d %B %Y, %H:%M} {shown.tzname()}"]
        if p.due_tz and p.due_tz != self.zone_name:
            there = dt.datetime.fromtimestamp(p.due_at, zone(p.due_tz))
            lines.append(f"Scheduled in {p.due_tz}: {there:%a %d %b, %H:%M} {there.tzname()}")
        return "\n".join(lines)

    def extra_data(self, item: Post, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DecorationRole:
            if column == self.THUMB and self.thumbnails is not None:
                return self.thumbnails.pixmap(item.video_path)
            if column == self.STATE:
                colour = post_colour(item, self.account_status(item.account_id))
                if colour not in self._dots:
                    self._dots[colour] = _dot(colour)
                return self._dots[colour]
        if role == Qt.ItemDataRole.SizeHintRole and column == self.THUMB:
            return QSize(THUMB_SIZE.width() + 8, THUMB_SIZE.height() + 6)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COUNTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- rows ------------------------------------------------------------------------------

    def account_label(self, account_id: int) -> str:
        return self._label(account_id)

    def set_posts(self, posts: Sequence[Post], labels: dict[int, str],
                  sort_by: tuple[int, Qt.SortOrder] | None = None,
                  statuses: dict[int, AccountStatus] | None = None) -> None:
        """Swap the rows in, sorted first (sorting after the reset would re-filter twice).
        ``statuses``: each account's status (an account left out counts as connected)."""
        self._labels = dict(labels)
        self._statuses = dict(statuses or {})
        self._this_year = dt.datetime.fromtimestamp(self._clock(), self._tz).year
        rows = list(posts)
        if sort_by is not None and 0 <= sort_by[0] < len(self.columns):
            rows.sort(key=self.columns[sort_by[0]].sort,
                      reverse=sort_by[1] == Qt.SortOrder.DescendingOrder)
        self.set_rows(rows)

    def set_zone(self, zone_name: str) -> None:
        self._tz = zone(zone_name)
        self.zone_name = zone_name
        self._this_year = dt.datetime.fromtimestamp(self._clock(), self._tz).year
        if self._rows:
            self.dataChanged.emit(self.index(0, self.DUE),
                                  self.index(len(self._rows) - 1, self.DUE))

    def shows_year(self, post: Post) -> bool:
        """The post's due time is written with its year (it is not this year's)."""
        if post.due_at is None:
            return False
        return dt.datetime.fromtimestamp(post.due_at, self._tz).year != self._this_year

    def years_shown(self) -> bool:
        """Whether some due time falls outside this year (the Due column then needs room
        for the year). Epoch bounds, not a date per row: 100k rows take milliseconds."""
        if self._this_year is None:
            return True
        start = dt.datetime(self._this_year, 1, 1, tzinfo=self._tz).timestamp()
        end = dt.datetime(self._this_year + 1, 1, 1, tzinfo=self._tz).timestamp()
        return any(p.due_at is not None and not start <= p.due_at < end for p in self._rows)

    def post(self, row: int) -> Post:
        return self._rows[row]

    def posts(self) -> list[Post]:
        return list(self._rows)

    def row_of(self, post_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {p.id: i for i, p in enumerate(self._rows)}
        return self._row_of.get(post_id)

    def put(self, post: Post) -> None:
        """Replace the post's row in place (or add it) after an action changed it."""
        row = self.row_of(post.id)
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(post)
            self.endInsertRows()
            return
        self._rows[row] = post
        self._rows_of_path = None  # the video may have changed
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))

    def merge(self, posts: Sequence[Post], labels: dict[int, str],
              sort_by: tuple[int, Qt.SortOrder] | None = None,
              statuses: dict[int, AccountStatus] | None = None) -> bool:
        """Take the posts as the database has them now, touching only the rows that differ
        (a change made elsewhere): the view keeps its scroll position and its selection
        (persistent indexes follow their rows). The rows are sorted again when some changed.
        True when anything changed."""
        statuses = dict(statuses or {})
        relabel = labels != self._labels or statuses != self._statuses
        self._labels = dict(labels)
        self._statuses = statuses
        fresh = {p.id: p for p in posts}
        gone = [i for i, p in enumerate(self._rows) if p.id not in fresh]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        moved = False
        for row, old in enumerate(self._rows):
            new = fresh.pop(old.id)
            if new != old:
                self._rows[row] = new
                moved = True
                self._rows_of_path = None
                self.dataChanged.emit(self.index(row, 0),
                                      self.index(row, len(self.columns) - 1))
        if fresh:  # new posts (the rest were matched above)
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh.values())
            self.endInsertRows()
        if relabel and self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(self.columns) - 1))
        if (moved or fresh) and sort_by is not None:
            self.sort(*sort_by)
        return bool(gone or moved or fresh or relabel)

    def remove(self, post_id: int) -> None:
        row = self.row_of(post_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def _forget_rows(self) -> None:
        self._row_of = None
        self._rows_of_path = None

    def _thumbnail_loaded(self, path: str) -> None:
        if self._rows_of_path is None:
            by_path: dict[str, list[int]] = {}
            for i, p in enumerate(self._rows):
                by_path.setdefault(p.video_path, []).append(i)
            self._rows_of_path = by_path
        for row in self._rows_of_path.get(path, ()):
            index = self.index(row, self.THUMB)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class ScheduleProxy(QSortFilterProxyModel):
    """Filters by account, state group and text; sorting is the source model's (fast) sort."""

    def __init__(self, model: ScheduleModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model_ = model
        self.filter = PostFilter()
        self.setSourceModel(model)

    def set_filter(self, wanted: PostFilter) -> None:
        if wanted == self.filter:
            return
        self.filter = wanted
        # A full re-filter as one layout change: begin/endFilterChange would remove and insert
        # every run of rows that changed, one signal each (several times slower at 100k rows).
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        wanted = self.filter
        return wanted.passes_all or wanted.matches(self.model_._rows[source_row])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The proxy keeps the source's order (its own sort column stays -1).
        self.model_.sort(column, order)

    def post_at(self, row: int) -> Post:
        return self.model_.post(self.mapToSource(self.index(row, 0)).row())

    def row_of(self, post_id: int) -> int | None:
        source = self.model_.row_of(post_id)
        if source is None:
            return None
        row = self.mapFromSource(self.model_.index(source, 0)).row()
        return row if row >= 0 else None


# -- history -------------------------------------------------------------------------------------

class EventsModel(RowsModel[PostEvent]):
    """A post's history, oldest first, times in the zone the app shows."""

    def __init__(self, zone_name: str = "", parent: QObject | None = None) -> None:
        super().__init__(parent)
        tz = zone(zone_name)
        self.columns = (
            Column[PostEvent]("When", lambda e: moment_text(e.at, tz), sort=lambda e: e.at),
            Column[PostEvent]("State", lambda e: POST_STATE_TEXT[e.state]),
            Column[PostEvent]("What happened", lambda e: event_detail(e, zone_name)),
        )
