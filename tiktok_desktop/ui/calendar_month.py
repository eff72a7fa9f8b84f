"""The month view: six weeks of days, each with its posts as one-line chips and "+N more"."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

from tiktok_desktop.services.schedule_views import day_bounds, month_days, wall_minutes
from tiktok_desktop.store import Post
from tiktok_desktop.ui.calendar_grid import (
    CalendarGrid,
    CalendarState,
    Hit,
    chip_caption,
    paint_post,
)
from tiktok_desktop.ui.tones import grid_colour

HEADER_H = 24  # weekday names
DAY_NUMBER_H = 22
CHIP_H = 18
CHIP_GAP = 2
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class MonthView(CalendarGrid):
    """A grid of 6 x 7 days; a day holds as many chips as fit and "+N more" for the rest."""

    HINT_EDGE = Qt.AlignmentFlag.AlignBottom  # the top of a day has its number

    def __init__(self, state: CalendarState, parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(7 * 60, HEADER_H + 6 * 48)
        self._dirty = True
        self._days: list[dt.date] = []
        self._chips: list[tuple[QRectF, Post]] = []
        self._more: list[tuple[QRectF, int, dt.date]] = []

    def days(self) -> list[dt.date]:
        return month_days(self.state.anchor, self.state.first_weekday)

    def _cell(self, i: int) -> QRectF:
        w = self.viewport().width() / 7
        h = (self.viewport().height() - HEADER_H) / 6
        return QRectF((i % 7) * w, HEADER_H + (i // 7) * h, w, h)

    def invalidate(self) -> None:
        self._dirty = True
        self.viewport().update()

    def _ensure(self) -> None:
        if self._dirty:
            self.relayout()

    def relayout(self) -> None:
        self._dirty = False
        days = self.days()
        self._days = days
        start, end = day_bounds(days[0], days[-1], self.state.zone_name)
        per_day: dict[dt.date, list[Post]] = {d: [] for d in days}
        tz = self.state.tz
        for post in self.state.visible(start, end):
            assert post.due_at is not None
            day = wall_minutes(post.due_at, tz)[0]
            if day in per_day:
                per_day[day].append(post)
        self._chips = []
        self._more = []
        for i, day in enumerate(days):
            posts = per_day[day]
            if not posts:
                continue
            cell = self._cell(i)
            fits = int((cell.height() - DAY_NUMBER_H - 2) // (CHIP_H + CHIP_GAP))
            shown = posts if len(posts) <= fits else posts[:max(0, fits - 1)]
            for k, post in enumerate(shown):
                rect = QRectF(cell.left() + 3, cell.top() + DAY_NUMBER_H + k * (CHIP_H + CHIP_GAP),
                              cell.width() - 6, CHIP_H)
                self._chips.append((rect, post))
            hidden = len(posts) - len(shown)
            if hidden:
                if fits >= 1:
                    rect = QRectF(cell.left() + 3,
                                  cell.top() + DAY_NUMBER_H + len(shown) * (CHIP_H + CHIP_GAP),
                                  cell.width() - 6, CHIP_H)
                else:  # no room for a chip: the count goes beside the day number
                    rect = QRectF(cell.right() - 60, cell.top() + 2, 57, DAY_NUMBER_H - 4)
                self._more.append((rect, hidden, day))

    def block_rects(self) -> dict[int, QRectF]:
        self._ensure()
        return {post.id: QRectF(rect) for rect, post in self._chips}

    def more_links(self) -> list[tuple[QRectF, int, dt.date]]:
        self._ensure()
        return list(self._more)

    def day_rect(self, day: dt.date) -> QRectF | None:
        days = self.days()
        return self._cell(days.index(day)) if day in days else None

    def _day_at(self, pos: QPoint) -> dt.date | None:
        if pos.y() < HEADER_H or not self.viewport().rect().contains(pos):
            return None
        w = self.viewport().width() / 7
        h = (self.viewport().height() - HEADER_H) / 6
        col = min(6, int(pos.x() // w))
        row = min(5, int((pos.y() - HEADER_H) // h))
        return self.days()[row * 7 + col]

    def hit(self, pos: QPoint) -> Hit:
        self._ensure()
        point = QPointF(pos)
        for rect, _count, day in self._more:
            if rect.contains(point):
                return Hit(more=day, day=day)
        for rect, post in self._chips:
            if rect.contains(point):
                return Hit(post=post)
        return Hit(day=self._day_at(pos))

    def target(self, pos: QPoint, offset_minutes: int, post: Post | None) -> \
            tuple[dt.date, int] | None:
        day = self._day_at(pos)
        if day is None:
            return None
        if post is not None and post.due_at is not None:  # same time of day, another day
            return day, wall_minutes(post.due_at, self.state.tz)[1]
        return day, self.state.files_minute(day)

    def hint_rect(self, day: dt.date, minute: int) -> QRectF | None:
        return self.day_rect(day)

    def paintEvent(self, event: QPaintEvent) -> None:
        p, pal, w, _height = self.begin_paint()
        line = grid_colour(pal)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        accent = pal.color(QPalette.ColorRole.Highlight)
        text = pal.color(QPalette.ColorRole.Text)
        today = self.state.today()
        month = self.state.anchor.month
        p.fillRect(QRectF(0, 0, w, HEADER_H), pal.color(QPalette.ColorRole.Window))
        first = self.state.first_weekday
        for col in range(7):
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(QRectF(col * w / 7, 0, w / 7, HEADER_H), Qt.AlignmentFlag.AlignCenter,
                       WEEKDAYS[(first + col) % 7])
        bold = QFont(self.font())
        bold.setBold(True)
        for i, day in enumerate(self._days):
            cell = self._cell(i)
            if day.month != month:
                p.fillRect(cell, pal.color(QPalette.ColorRole.AlternateBase))
            p.setPen(line)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(cell)
            number = QRectF(cell.left() + 4, cell.top() + 2, 22, DAY_NUMBER_H - 4)
            if day == today:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(accent)
                p.drawEllipse(number.center(), 9, 9)
                p.setFont(bold)
                p.setPen(pal.color(QPalette.ColorRole.HighlightedText))
            else:
                p.setFont(self.font())
                p.setPen(text if day.month == month else muted)
            p.drawText(number, Qt.AlignmentFlag.AlignCenter, str(day.day))
        p.setFont(self.font())
        self.paint_hint(p)
        for rect, post in self._chips:
            assert post.due_at is not None
            minute = wall_minutes(post.due_at, self.state.tz)[1]
            caption = chip_caption(post)
            p.setPen(text)
            paint_post(p, rect, post, pal, selected=post.id == self.state.selected, radius=3,
                       account=self.state.status(post.account_id),
                       lines=(f"{minute // 60:02d}:{minute % 60:02d} {caption}".rstrip(),))
        link = QColor(pal.color(QPalette.ColorRole.Link))
        for rect, count, _day in self._more:
            p.setPen(link)
            p.drawText(rect.adjusted(4, 0, 0, 0),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"+{count} more")
        p.end()
