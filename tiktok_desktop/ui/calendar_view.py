"""The schedule as a calendar: a week of hours and a month of days, painted, in the zone the
app shows times in (Settings.timezone, "" = the system's).

CalendarView is the widget to embed: navigation (previous / today / next) above a week view
and a month view. Posts are dragged to another slot to move them (the view asks, through
``move_requested``, and moves nothing itself); video files dropped on a slot come out of
``files_dropped`` with the slot's time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Literal

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.schedule_views import (
    DueIndex,
    PostFilter,
    day_bounds,
    wall_minutes,
    week_start,
)
from tiktok_desktop.store import AccountStatus, Post
from tiktok_desktop.ui.calendar_drafts import DraftPanel
from tiktok_desktop.ui.calendar_grid import (
    SNAP_MINUTES,
    CalendarGrid,
    CalendarState,
    Hit,
    chip_caption,
    paint_post,
)
from tiktok_desktop.ui.calendar_month import MonthView
from tiktok_desktop.ui.tones import grid_colour

__all__ = ["CalendarView", "MonthView", "WeekView"]

HOUR_H = 48  # pixels per hour
HEADER_H = 40  # the row with the day names
GUTTER = 52  # the column with the hours
BLOCK_H = HOUR_H - 6  # a post's block; a bit under an hour so back-to-back posts stay apart
FIRST_HOUR_SHOWN = 7


class WeekView(CalendarGrid):
    """Seven days side by side, hours down; posts as blocks at their wall-clock time."""

    def __init__(self, state: CalendarState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A day is taller than any window: a bar that never comes and goes keeps the columns'
        # width (and the layout) steady.
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self._dirty = True
        self._blocks: list[tuple[QRectF, Post]] = []  # content coordinates
        self._scrolled = False
        self.setMinimumSize(GUTTER + 7 * 40, HEADER_H + 4 * HOUR_H)

    # -- geometry ----------------------------------------------------------------------------

    def days(self) -> list[dt.date]:
        start = week_start(self.state.anchor, self.state.first_weekday)
        return [start + dt.timedelta(days=i) for i in range(7)]

    def _col_w(self) -> float:
        return max(1.0, (self.viewport().width() - GUTTER) / 7)

    def _scroll(self) -> int:
        return self.verticalScrollBar().value()

    def _to_view(self, rect: QRectF) -> QRectF:
        return rect.translated(0, HEADER_H - self._scroll())

    def scroll_to_minute(self, minute: int) -> None:
        self.verticalScrollBar().setValue(int(minute / 60 * HOUR_H))
        self._scrolled = True

    def _first_minute_shown(self) -> int:
        """07:00, or an hour before now when that is earlier and today is in view."""
        first = FIRST_HOUR_SHOWN * 60
        day, minute = wall_minutes(self.state.now(), self.state.tz)
        if day in self.days():
            first = min(first, minute - 60)
        return max(0, first - 15)  # a quarter hour more: the hour's label stays whole

    def invalidate(self) -> None:
        self._dirty = True
        self.viewport().update()

    def relayout(self) -> None:
        self._dirty = False
        self._layout_blocks()

    def viewport_resized(self) -> None:
        bar = self.verticalScrollBar()
        visible = max(0, self.viewport().height() - HEADER_H)
        bar.setRange(0, max(0, 24 * HOUR_H - visible))
        bar.setPageStep(visible)
        bar.setSingleStep(HOUR_H // 2)
        if not self._scrolled and self.isVisible():
            self.scroll_to_minute(self._first_minute_shown())

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    # -- layout ------------------------------------------------------------------------------

    def _ensure(self) -> None:
        if self._dirty:
            self.relayout()

    def _layout_blocks(self) -> None:
        days = self.days()
        tz = self.state.tz
        start, end = day_bounds(days[0], days[-1], self.state.zone_name)
        per_day: dict[dt.date, list[tuple[int, Post]]] = {d: [] for d in days}
        for post in self.state.visible(start, end):
            assert post.due_at is not None
            day, minute = wall_minutes(post.due_at, tz)
            if day in per_day:
                per_day[day].append((minute, post))
        col_w = self._col_w()
        block_minutes = BLOCK_H * 60 / HOUR_H
        self._blocks = []
        # Posts at the same time share the hour side by side, however many: none is hidden
        # behind a "+N" (their tooltips and the selection say the rest).
        for d, day in enumerate(days):
            left = GUTTER + d * col_w
            cluster: list[tuple[int, Post, int]] = []
            lane_end: list[float] = []
            cluster_end = -1.0

            def flush(cluster: list[tuple[int, Post, int]], lanes: int, left: float) -> None:
                width = (col_w - 4) / max(1, lanes)
                for minute, post, lane in cluster:
                    rect = QRectF(left + 2 + lane * width, minute / 60 * HOUR_H + 1,
                                  width - 2, BLOCK_H)
                    self._blocks.append((rect, post))

            for minute, post in per_day[day]:
                if minute >= cluster_end:
                    flush(cluster, len(lane_end), left)
                    cluster, lane_end = [], []
                lane = next((i for i, e in enumerate(lane_end) if e <= minute), None)
                if lane is None:
                    lane = len(lane_end)
                    lane_end.append(0.0)
                lane_end[lane] = minute + block_minutes
                cluster_end = max(cluster_end, minute + block_minutes)
                cluster.append((minute, post, lane))
            flush(cluster, len(lane_end), left)

    def block_rects(self) -> dict[int, QRectF]:
        self._ensure()
        return {post.id: self._to_view(rect) for rect, post in self._blocks}

    def hit(self, pos: QPoint) -> Hit:
        self._ensure()
        if pos.y() < HEADER_H or pos.x() < GUTTER:
            return Hit()
        point = QPointF(pos.x(), pos.y() - HEADER_H + self._scroll())
        for rect, post in reversed(self._blocks):
            if rect.contains(point):
                return Hit(post=post)
        return Hit()

    def target(self, pos: QPoint, offset_minutes: int, post: Post | None) -> \
            tuple[dt.date, int] | None:
        if pos.x() < GUTTER or pos.x() >= self.viewport().width():
            return None
        day = self.days()[min(6, int((pos.x() - GUTTER) // self._col_w()))]
        if pos.y() < HEADER_H:  # on the day's name: same time, that day
            if post is not None and post.due_at is not None:
                return day, wall_minutes(post.due_at, self.state.tz)[1]
            return day, self.state.files_minute(day)
        y = pos.y() - HEADER_H + self._scroll() - offset_minutes / 60 * HOUR_H
        minute = int(y / HOUR_H * 60) // SNAP_MINUTES * SNAP_MINUTES
        return day, min(max(0, minute), 24 * 60 - SNAP_MINUTES)

    def grab_offset(self, post: Post, pos: QPoint) -> int:
        rect = self.block_rects().get(post.id)
        if rect is None:
            return 0
        return max(0, int((pos.y() - rect.top()) / HOUR_H * 60))

    def hint_rect(self, day: dt.date, minute: int) -> QRectF | None:
        days = self.days()
        if day not in days:
            return None
        col_w = self._col_w()
        return self._to_view(QRectF(GUTTER + days.index(day) * col_w, minute / 60 * HOUR_H,
                                    col_w, BLOCK_H))

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p, pal, w, h = self.begin_paint()
        col_w = self._col_w()
        days = self.days()
        today = self.state.today()
        scroll = self._scroll()
        line = grid_colour(pal)
        faint = QColor(line)
        faint.setAlpha(70)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        accent = pal.color(QPalette.ColorRole.Highlight)

        p.save()
        p.setClipRect(0, HEADER_H, w, h - HEADER_H)
        p.translate(0, HEADER_H - scroll)
        for d, day in enumerate(days):
            x = GUTTER + d * col_w
            if day == today:
                tint = QColor(accent)
                tint.setAlpha(22)
                p.fillRect(QRectF(x, 0, col_w, 24 * HOUR_H), tint)
            elif day.weekday() >= 5:
                p.fillRect(QRectF(x, 0, col_w, 24 * HOUR_H),
                           pal.color(QPalette.ColorRole.AlternateBase))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        p.setFont(small)
        for hour in range(25):
            y = hour * HOUR_H
            p.setPen(line)
            p.drawLine(QPointF(GUTTER, y), QPointF(w, y))
            p.setPen(faint)
            p.drawLine(QPointF(GUTTER, y + HOUR_H / 2), QPointF(w, y + HOUR_H / 2))
            if 0 < hour < 24:
                p.setPen(muted)
                p.drawText(QRectF(0, y - 8, GUTTER - 6, 16),
                           Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           f"{hour:02d}:00")
        p.setPen(line)
        for d in range(8):
            x = GUTTER + d * col_w
            p.drawLine(QPointF(x, 0), QPointF(x, 24 * HOUR_H))
        p.translate(0, -(HEADER_H - scroll))
        self.paint_hint(p)
        p.translate(0, HEADER_H - scroll)
        top, bottom = scroll - HOUR_H, scroll + h
        for rect, post in self._blocks:
            if rect.bottom() < top or rect.top() > bottom:
                continue
            assert post.due_at is not None
            when = dt.datetime.fromtimestamp(post.due_at, self.state.tz)
            caption = chip_caption(post)
            p.setPen(pal.color(QPalette.ColorRole.Text))
            paint_post(p, rect, post, pal, selected=post.id == self.state.selected,
                       account=self.state.status(post.account_id),
                       lines=(f"{when:%H:%M} {caption}".rstrip(),
                              self.state.label(post.account_id)))
        if today in days:
            now_day, minute = wall_minutes(self.state.now(), self.state.tz)
            x = GUTTER + days.index(now_day) * col_w
            y = minute / 60 * HOUR_H
            p.setPen(QColor("#e0245e"))
            p.drawLine(QPointF(x, y), QPointF(x + col_w, y))
            p.setBrush(QColor("#e0245e"))
            p.drawEllipse(QPointF(x, y), 3, 3)
        p.restore()

        p.fillRect(QRectF(0, 0, w, HEADER_H), pal.color(QPalette.ColorRole.Window))
        p.setPen(line)
        p.drawLine(QPointF(0, HEADER_H - 0.5), QPointF(w, HEADER_H - 0.5))
        bold = QFont(self.font())
        bold.setBold(True)
        for d, day in enumerate(days):
            rect = QRectF(GUTTER + d * col_w, 0, col_w, HEADER_H)
            p.setFont(bold if day == today else self.font())
            p.setPen(accent if day == today else pal.color(QPalette.ColorRole.WindowText))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{day:%a} {day.day}")
        p.end()


Mode = Literal["week", "month"]


class CalendarView(QWidget):
    """Week and month views of the posts, with previous / today / next navigation."""

    move_requested = Signal(int, int)  # post id, new due epoch: the owner asks the service
    files_dropped = Signal(list, object)  # local paths, epoch of the slot they were dropped on
    post_activated = Signal(int)  # double-clicked post id
    current_changed = Signal(object)  # the selected post id, or None
    context_requested = Signal(int, QPoint)  # post id, global position for a menu
    message = Signal(str)  # why something did not happen, in plain words

    def __init__(self, zone_name: str = "", clock: Callable[[], float] = time.time,
                 first_weekday: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = CalendarState(zone_name, clock, first_weekday)
        self.week = WeekView(self.state)
        self.week.setAccessibleName("Week of posts")
        self.month = MonthView(self.state)
        self.month.setAccessibleName("Month of posts")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.week)
        self.stack.addWidget(self.month)

        self.prev_button = QToolButton(text="‹", toolTip="Previous")
        self.today_button = QToolButton(text="Today")
        self.next_button = QToolButton(text="›", toolTip="Next")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(lambda: self.go_to(self.state.today()))
        self.title = QLabel()
        self.title.setObjectName("calendarTitle")
        self.zone_label = QLabel()
        self.zone_label.setObjectName("calendarZone")
        nav = QHBoxLayout()
        nav.setContentsMargins(0, 0, 0, 0)
        for b in (self.prev_button, self.today_button, self.next_button):
            nav.addWidget(b)
        nav.addSpacing(8)
        nav.addWidget(self.title)
        nav.addStretch(1)
        nav.addWidget(self.zone_label)
        self.drafts = DraftPanel(self.state)
        self.drafts.list.opened.connect(self.post_activated)
        self.drafts.list.message.connect(self.message)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.stack, 1)
        body.addWidget(self.drafts)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(nav)
        layout.addLayout(body)

        for grid in (self.week, self.month):
            grid.move_requested.connect(self.move_requested)
            grid.files_dropped.connect(self.files_dropped)
            grid.activated.connect(self.post_activated)
            grid.current_changed.connect(self.current_changed)
            grid.context_requested.connect(self.context_requested)
            grid.message.connect(self.message)
            grid.more_requested.connect(self._more)
        self._update_title()

    # -- what is shown ------------------------------------------------------------------------

    def mode(self) -> Mode:
        return "week" if self.stack.currentWidget() is self.week else "month"

    def set_mode(self, mode: Mode) -> None:
        self.stack.setCurrentWidget(self.week if mode == "week" else self.month)
        self._update_title()

    def current_grid(self) -> WeekView | MonthView:
        grid = self.stack.currentWidget()
        assert isinstance(grid, WeekView | MonthView)
        return grid

    def set_posts(self, posts: Sequence[Post], account_labels: dict[int, str],
                  statuses: dict[int, AccountStatus] | None = None) -> None:
        self.state.index = DueIndex(posts)
        self.state.labels = dict(account_labels)
        self.state.statuses = dict(statuses or {})
        self.state.drafts = {p.id: p for p in posts if p.due_at is None}
        if self.state.selected is not None and self.state.index.get(self.state.selected) is None:
            self.state.selected = None
        self._invalidate()
        self.drafts.refresh()

    def put_post(self, post: Post) -> None:
        """One post changed (moved, unscheduled, ...): redraw without rebuilding the index."""
        self.state.index.put(post)
        had = post.id in self.state.drafts
        if post.due_at is None:
            self.state.drafts[post.id] = post
        else:
            self.state.drafts.pop(post.id, None)
        self._invalidate()
        if had or post.due_at is None:
            self.drafts.refresh()

    def remove_post(self, post_id: int) -> None:
        self.state.index.remove(post_id)
        if self.state.drafts.pop(post_id, None) is not None:
            self.drafts.refresh()
        if self.state.selected == post_id:
            self.state.selected = None
        self._invalidate()

    def set_filter(self, wanted: PostFilter) -> None:
        if wanted != self.state.filter:
            self.state.filter = wanted
            self._invalidate()
            self.drafts.refresh()

    def set_zone(self, zone_name: str) -> None:
        """Show times in another zone ("" = the system's); ScheduleError for an unknown one."""
        self.state.set_zone(zone_name)
        self._invalidate()
        self._update_title()

    def select(self, post_id: int | None) -> None:
        self.state.selected = post_id
        self.week.viewport().update()
        self.month.viewport().update()

    def selected_id(self) -> int | None:
        return self.state.selected

    # -- navigation ---------------------------------------------------------------------------

    def shown_date(self) -> dt.date:
        return self.state.anchor

    def go_to(self, day: dt.date) -> None:
        self.state.anchor = day
        self._invalidate()
        self._update_title()

    def step(self, direction: int) -> None:
        anchor = self.state.anchor
        if self.mode() == "week":
            self.go_to(anchor + dt.timedelta(days=7 * direction))
            return
        month = anchor.month - 1 + direction
        self.go_to(dt.date(anchor.year + month // 12, month % 12 + 1, 1))

    def show_post(self, post: Post) -> None:
        """Bring the post's day into view and select it."""
        if post.due_at is None:
            return
        day, minute = wall_minutes(post.due_at, self.state.tz)
        self.go_to(day)
        if self.mode() == "week":
            self.week.scroll_to_minute(max(0, minute - 60))
        self.select(post.id)

    def _more(self, what: object) -> None:
        if isinstance(what, dt.date):  # "+N more" on a day of the month: look at its week
            self.go_to(what)
            self.set_mode("week")

    def _invalidate(self) -> None:
        self.week.invalidate()
        self.month.invalidate()

    def _update_title(self) -> None:
        anchor = self.state.anchor
        if self.mode() == "week":
            days = self.week.days()
            first, last = days[0], days[-1]
            if first.month == last.month:
                text = f"{first.day} – {last.day} {last:%B %Y}"
            elif first.year == last.year:
                text = f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
            else:
                text = f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
        else:
            text = f"{anchor:%B %Y}"
        self.title.setText(f"<b>{text}</b>")
        abbreviation = dt.datetime.fromtimestamp(self.state.now(), self.state.tz).tzname()
        self.zone_label.setText(
            f"Times in {self.state.zone_name or 'your time zone'} ({abbreviation})")
