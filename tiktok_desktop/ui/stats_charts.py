"""Issue 19's charts, painted by ui/chart_plot.py: a post's counts over time, an account's
followers over time, its last 30 posts side by side, and the best-time heatmap (weekday x hour
of publishing, from the posts' 24-hour views).

Every colour comes from the widget's palette (background = Base, text and axes = Text, grid =
a blend of both), and the series colours have a light and a dark variant, so a chart reads in
a dark theme too and follows a theme switched while the app runs (changeEvent).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from tiktok_desktop.domain.words import count, plural
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.services.stats import BestTimes
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, PublishedPost
from tiktok_desktop.ui.chart_plot import Axes, Plot, Series, Ticks, nice_step, nice_ticks
from tiktok_desktop.ui.schedule_counts import compact_count
from tiktok_desktop.ui.tones import Tone, blend, is_dark, set_tone

__all__ = ["BestTimeHeatmap", "ChartColours", "FollowersChart", "LastPostsChart",
           "PostChart", "chart_colours"]

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Light / dark variants: saturated enough on white, bright enough on near-black.
_SERIES = {
    "views": ("#1f6fd1", "#5aa9ff"),
    "likes": ("#d1245f", "#ff6f9f"),
    "comments": ("#a86700", "#f2b441"),
    "shares": ("#1c7c45", "#59d18c"),
    "followers": ("#6d3fc0", "#b38cff"),
}
# Too few posts for the heatmap to mean much: it says so above the grid.
FEW_POSTS = 10


@dataclass(frozen=True)
class ChartColours:
    background: QColor
    text: QColor
    muted: QColor
    grid: QColor
    series: dict[str, QColor]
    heat_low: QColor
    heat_high: QColor


def chart_colours(palette: QPalette) -> ChartColours:
    dark = is_dark(palette)
    series = {name: QColor(pair[int(dark)]) for name, pair in _SERIES.items()}
    return ChartColours(
        background=palette.color(QPalette.ColorRole.Base),
        text=palette.color(QPalette.ColorRole.Text),
        muted=blend(palette, 0.62),
        grid=blend(palette, 0.18),
        series=series,
        heat_low=blend(palette, 0.08),
        heat_high=series["views"],
    )


def count_text(value: float) -> str:
    """A count axis in the list's words ("12.3K", "4.5M")."""
    whole = value >= 0 and float(value).is_integer()
    return compact_count(int(value)) if whole or value >= 1000 else f"{value:g}"


def count_ticks(low: float, high: float, pixels: int) -> Ticks:
    return nice_ticks(low, high, max(2, pixels // 32), count_text)


def count_range(values: Sequence[float], least: float) -> tuple[float, float]:
    """0 to a little above the largest value (at least ``least``)."""
    return 0.0, max(least, max(values, default=0.0)) * 1.08


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%a %d %b %Y, %H:%M")


class _Chart(QWidget):
    """A title line, a note and one plot that follow the palette."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("chartTitle")
        self.note = QLabel()
        self.note.setWordWrap(True)
        set_tone(self.note, Tone.MUTED)
        self.plot = Plot()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.colours = chart_colours(self.palette())
        self._style()

    def plots(self) -> list[Plot]:
        return [self.plot]

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.colours = chart_colours(self.palette())
            self._style()
            self.redraw()

    def _style(self) -> None:
        c = self.colours
        for plot in self.plots():
            plot.set_colours(c.background, c.text, c.muted, c.grid)

    def redraw(self) -> None:
        """Draw the data again with the current colours."""


class PostChart(_Chart):
    """One post's counts over time: views above, likes, comments and shares below (their
    scales differ a hundredfold), x in days after publishing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.others = Plot()
        super().__init__("Views over time", parent)
        # Bottom right: counts only grow, so the curves leave that corner empty.
        for plot in self.plots():
            plot.legend_corner = Qt.Corner.BottomRightCorner
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addWidget(self.others, 1)
        self._series: list[PostSnapshot] = []
        self._published_at = 0

    def plots(self) -> list[Plot]:
        return [self.plot, self.others]

    def set_post(self, published_at: int, series: Sequence[PostSnapshot]) -> None:
        self._published_at = published_at
        self._series = [s for s in series if not s.gone]
        gone = any(s.gone for s in series)
        if not series:
            self.note.setText("TikTok has not been asked yet: the first count comes about an "
                              "hour after the post went public.")
        else:
            latest = self._series[-1] if self._series else None
            parts = [count(len(self._series), "reading")]
            if latest is not None and latest.view_count is not None:
                counts = [(latest.view_count, "view"), (latest.like_count or 0, "like"),
                          (latest.comment_count or 0, "comment"),
                          (latest.share_count or 0, "share")]
                parts.append("latest " + ", ".join(f"{n:,} {plural(n, word)}"
                                                   for n, word in counts)
                             + f" ({_when(latest.taken_at)})")
            if gone:
                parts.append("TikTok no longer shows this post")
            self.note.setText("; ".join(parts) + ".")
        self.redraw()

    def redraw(self) -> None:
        c = self.colours
        # one point per TikTok ID and time; a post with several IDs sums them per time
        by_time: dict[int, list[int]] = {}
        for s in self._series:
            row = by_time.setdefault(s.taken_at, [0, 0, 0, 0])
            for i, v in enumerate((s.view_count, s.like_count, s.comment_count,
                                   s.share_count)):
                row[i] += v or 0
        times = sorted(by_time)
        x = [(t - self._published_at) / 86400 for t in times]
        column = {name: [float(by_time[t][i]) for t in times]
                  for i, name in enumerate(("views", "likes", "comments", "shares"))}
        # the plan's 30 days before the first reading; then its whole span from the start,
        # so a young post's points sit on the left
        span = (-0.6, 30.6) if not x else (-0.02, max(1.0, x[-1] * 1.05) + 0.02)

        def days(low: float, high: float, pixels: int) -> Ticks:
            return nice_ticks(max(0.0, low), high, max(2, pixels // 50), lambda v: f"{v:g}")

        self.plot.show_data(
            Axes(x=span, y=count_range(column["views"], 10.0), x_ticks=days,
                 y_ticks=count_ticks),
            [Series("views", x, column["views"], c.series["views"], dots=True)] if x else [])
        others = [v for name in ("likes", "comments", "shares") for v in column[name]]
        self.others.show_data(
            Axes(x=span, y=count_range(others, 5.0), x_ticks=days, y_ticks=count_ticks,
                 x_label="days after publishing"),
            [Series(name, x, column[name], c.series[name])
             for name in ("likes", "comments", "shares")] if x else [])


def day_ticks(low: float, high: float, pixels: int) -> Ticks:
    """Dates along the bottom ("18 Dec", "25 Dec", "01 Jan"), a label per 70 px at most."""
    day = 86_400
    if high <= low:
        return []
    room = max(1, pixels // 70)
    span = (high - low) / day
    step = next((s for s in (1, 2, 7, 14, 30, 61, 91, 182, 365) if span / s <= room), 365)
    at = dt.datetime.fromtimestamp(low).replace(hour=0, minute=0, second=0, microsecond=0)
    out: Ticks = []
    while at.timestamp() <= high:
        if at.timestamp() >= low:
            out.append((at.timestamp(), f"{at:%d %b}"))
        at += dt.timedelta(days=step)
    return out


class FollowersChart(_Chart):
    """An account's followers, one point a day, dates along the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Followers", parent)
        self._series: list[AccountSnapshot] = []

    def set_series(self, series: Sequence[AccountSnapshot]) -> None:
        self._series = list(series)
        if not self._series:
            self.note.setText("Counted once a day from the account's first public post "
                              "(needs the 'user.info.stats' permission).")
        else:
            first, last = self._series[0], self._series[-1]
            change = last.follower_count - first.follower_count
            self.note.setText(f"{last.follower_count:,} followers, {change:+,} since "
                              f"{dt.date.fromtimestamp(first.taken_at):%d %b %Y}; "
                              f"{last.likes_count:,} likes in all.")
        self.redraw()

    def redraw(self) -> None:
        x = [float(s.taken_at) for s in self._series]
        y = [float(s.follower_count) for s in self._series]
        if not x:  # no dates to show: an empty frame, not 1970's first second
            self.plot.show_data(Axes(y=(0.0, 10.0), y_ticks=count_ticks, show_x=False), [])
            return
        low, high = min(y), max(y)
        pad = max((high - low) * 0.06, 1.0)
        step = nice_step(high - low + 2 * pad, 6)
        y_range = (max(0.0, math.floor((low - pad) / step) * step),
                   math.ceil((high + pad) / step) * step)
        x_pad = max((x[-1] - x[0]) * 0.03, 43_200.0)
        self.plot.show_data(
            Axes(x=(x[0] - x_pad, x[-1] + x_pad), y=y_range, x_ticks=day_ticks,
                 y_ticks=count_ticks),
            # a dot a day would hide a long line
            [Series("", x, y, self.colours.series["followers"], dots=len(x) <= 90)])


class LastPostsChart(_Chart):
    """The account's last posts side by side (oldest left): views as bars, likes as narrow
    bars inside them, each labelled with its date below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Last 30 posts", parent)
        self._posts: list[PublishedPost] = []

    def set_posts(self, posts: Sequence[PublishedPost]) -> None:
        self._posts = list(posts)
        counted = [p for p in self._posts if p.views is not None]
        if not self._posts:
            self.note.setText("No public post yet.")
        else:
            self.note.setText(f"{len(self._posts)} posts, {len(counted)} counted by TikTok; "
                              "latest count of each.")
        self.redraw()

    def redraw(self) -> None:
        c = self.colours
        posts = self._posts
        if not posts:  # no post, no date
            self.plot.show_data(Axes(x=(-0.6, 9.6), y=(0.0, 10.0), y_ticks=count_ticks), [])
            return
        x = [float(i) for i in range(len(posts))]
        views = [float(p.views or 0) for p in posts]
        likes = [float(p.likes or 0) for p in posts]

        def dates(low: float, high: float, pixels: int) -> Ticks:
            step = max(1, math.ceil(len(posts) / max(1, pixels // 60)))
            return [(float(i), dt.date.fromtimestamp(p.published_at).strftime("%d %b"))
                    for i, p in enumerate(posts) if i % step == 0]

        self.plot.show_data(
            Axes(x=(-0.6, len(posts) - 0.4), y=count_range(views, 10.0), x_ticks=dates,
                 y_ticks=count_ticks),
            [Series("views", x, views, c.series["views"], bars=0.7),
             Series("likes", x, likes, c.series["likes"], bars=0.3)])


class _CellLabels:
    """Every heat cell's number: (x, y, text, colour), x and y at the cell's centre."""

    def __init__(self) -> None:
        self.cells: list[tuple[float, float, str, QColor]] = []

    def set_cells(self, cells: list[tuple[float, float, str, QColor]]) -> None:
        self.cells = cells


class BestTimeHeatmap(_Chart):
    """When the account's posts did best: weekday (rows) x hour of publishing (columns), the
    colour the median of the posts' 24-hour views, each cell with how many posts it holds;
    the title says how many posts the whole picture rests on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Best times to post", parent)
        self._data = BestTimes(0, {})
        self._zone_name = ""
        self._fills: list[tuple[int, int, QColor]] = []
        self.cell_labels = _CellLabels()
        self.plot.hovered.connect(self._hover)

    def set_data(self, data: BestTimes, zone_name: str = "") -> None:
        self._data = data
        self._zone_name = zone_name
        posts = data.posts
        shown = zone(zone_name)
        where = getattr(shown, "key", "") or dt.datetime.now(shown).tzname() or ""
        rest = f"from the 24-hour views of {posts} post{'s' if posts != 1 else ''}"
        if posts == 0:
            self.note.setText("No post has its 24-hour count yet: the map fills in a day "
                              "after each public post.")
        elif posts < FEW_POSTS:
            self.note.setText(f"Only {rest}: too few to tell good times from luck. Times in "
                              f"{where}.")
        else:
            self.note.setText(f"Median views per weekday and hour, {rest}; the number in a "
                              f"cell is how many posts went out then. Times in {where}.")
        self.title.setText(f"Best times to post ({posts} post{'s' if posts != 1 else ''})")
        self.redraw()

    def redraw(self) -> None:
        c = self.colours
        cells = self._data.cells
        top = max((median for _n, median in cells.values()), default=1.0)
        dark = is_dark(self.palette())
        self._fills = []
        labels = []
        for (day, hour), (n, median) in cells.items():
            share = median / max(top, 1.0)
            self._fills.append((day, hour, _mix(c.heat_low, c.heat_high, share)))
            labels.append((hour + 0.5, day + 0.5, str(n), label_colour_for(share, c, dark)))
        self.cell_labels.set_cells(labels)
        self.plot.show_data(
            Axes(x=(0.0, 24.0), y=(0.0, 7.0), invert_y=True, grid=False,  # Monday on top
                 x_ticks=[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)],
                 y_ticks=[(i + 0.5, d) for i, d in enumerate(WEEKDAYS)],
                 extra=[self._paint_cells]), [])

    def _paint_cells(self, p: QPainter, plot: Plot) -> None:
        area = plot.area()
        for day, hour, colour in self._fills:
            corner = plot.to_pixel(hour, day, area)
            far = plot.to_pixel(hour + 1, day + 1, area)
            p.fillRect(QRectF(corner, far).normalized(), colour)
        for x, y, text, colour in self.cell_labels.cells:
            centre = plot.to_pixel(x, y, area)
            p.setPen(colour)
            p.drawText(QRectF(centre.x() - 20, centre.y() - 10, 40, 20),
                       Qt.AlignmentFlag.AlignCenter, text)

    def cell_tip(self, day: int, hour: int) -> str:
        """What a cell's tooltip says."""
        found = self._data.cells.get((day, hour))
        if found is None:
            return f"{WEEKDAYS[day]} {hour:02d}:00: no post went out then"
        n, median = found
        return (f"{WEEKDAYS[day]} {hour:02d}:00: {n} post{'s' if n != 1 else ''}, median "
                f"{compact_count(int(median))} views after 24 h")

    def _hover(self, x: float, y: float, inside: bool) -> None:
        hour, day = int(x), int(y)
        inside = inside and 0 <= x < 24 and 0 <= y < 7
        self.plot.setToolTip(self.cell_tip(day, hour) if inside else "")

    def cell_text(self, day: int, hour: int) -> str | None:
        """The label drawn in a cell (None: no post went out then)."""
        found = self._data.cells.get((day, hour))
        return None if found is None else str(found[0])


def _mix(low: QColor, high: QColor, share: float) -> QColor:
    share = min(1.0, max(0.0, share))
    return QColor(round(low.red() + (high.red() - low.red()) * share),
                  round(low.green() + (high.green() - low.green()) * share),
                  round(low.blue() + (high.blue() - low.blue()) * share))


def label_colour_for(share: float, colours: ChartColours, dark: bool) -> QColor:
    """Text on a heat cell: the palette's text on pale cells; on strong ones white over the
    light palette's deep blue, the background over the dark palette's bright blue."""
    if share < 0.55:
        return colours.text
    return QColor(colours.background) if dark else QColor("#ffffff")
