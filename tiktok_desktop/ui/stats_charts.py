"""Issue 19's charts, drawn with pyqtgraph (fast plotting on Qt's own scene): a post's counts
over time, an account's followers over time, its last 30 posts side by side, and the best-time
heatmap (weekday x hour of publishing, from the posts' 24-hour views).

Every colour comes from the widget's palette (background = Base, text and axes = Text, grid =
a blend of both), and the series colours have a light and a dark variant, so a chart reads in
a dark theme too and follows a theme switched while the app runs (changeEvent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QStyleOptionGraphicsItem, QVBoxLayout, QWidget

from tiktok_desktop.domain.words import count, plural
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.services.stats import BestTimes
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, PublishedPost
from tiktok_desktop.ui.schedule_model import compact_count
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


class CountAxis(pg.AxisItem):
    """A count axis in the list's words ("12.3K", "4.5M"), wide enough for them."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.enableAutoSIPrefix(False)
        self.setWidth(52)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [compact_count(int(v)) if (v >= 0 and float(v).is_integer()) or v >= 1000
                else f"{v:g}" for v in values]


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch).strftime("%a %d %b %Y, %H:%M")


class _Chart(QWidget):
    """A title line and one pyqtgraph plot that follow the palette."""

    def __init__(self, title: str, parent: QWidget | None = None,
                 bottom: pg.AxisItem | None = None, counts: bool = True) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        self.title.setObjectName("chartTitle")
        self.note = QLabel()
        self.note.setWordWrap(True)
        set_tone(self.note, Tone.MUTED)
        axis: dict[str, pg.AxisItem] = {"bottom": bottom} if bottom is not None else {}
        if counts:
            axis["left"] = CountAxis()
        self.plot = pg.PlotWidget(axisItems=axis)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)  # a picture to read, not to pan
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.plot, 1)
        self.colours = chart_colours(self.palette())
        self._style()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.colours = chart_colours(self.palette())
            self._style()
            self.redraw()

    def _style(self) -> None:
        c = self.colours
        self.plot.setBackground(c.background)
        item = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(c.grid))
            axis.setTextPen(pg.mkPen(c.text))
        item.showGrid(x=False, y=True, alpha=0.35)
        legend = item.legend
        if legend is not None:
            legend.setLabelTextColor(c.text)

    def redraw(self) -> None:
        """Draw the data again with the current colours."""


class PostChart(_Chart):
    """One post's counts over time: views above, likes, comments and shares below (their
    scales differ a hundredfold), x in days after publishing."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Views over time", parent)
        self.others = pg.PlotWidget(axisItems={"left": CountAxis()})
        self.others.setMenuEnabled(False)
        self.others.hideButtons()
        self.others.setMouseEnabled(x=False, y=False)
        # Bottom right: counts only grow, so the curves leave that corner empty.
        self.others.addLegend(offset=(-10, -10))
        self.plot.addLegend(offset=(-10, -10))
        self.layout().addWidget(self.others, 1)
        self.others.setXLink(self.plot)
        self._series: list[PostSnapshot] = []
        self._published_at = 0
        # The curves exist from the start and take new data (making them is most of a
        # chart's cost, the same with or without data).
        self.curves = {"views": self.plot.plot(name="views")}
        for name in ("likes", "comments", "shares"):
            self.curves[name] = self.others.plot(name=name)
        self._style()

    def _style(self) -> None:
        super()._style()
        if not hasattr(self, "curves"):
            return
        c = self.colours
        self.others.setBackground(c.background)
        item = self.others.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setPen(pg.mkPen(c.grid))
            item.getAxis(name).setTextPen(pg.mkPen(c.text))
        item.showGrid(x=False, y=True, alpha=0.35)
        if item.legend is not None:
            item.legend.setLabelTextColor(c.text)
        item.setLabel("bottom", "days after publishing", color=c.muted.name())
        item.getAxis("bottom").enableAutoSIPrefix(False)

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
        views = c.series["views"]
        self.curves["views"].setPen(pg.mkPen(views, width=2))
        self.curves["views"].setSymbol("o")
        self.curves["views"].setSymbolSize(5)
        self.curves["views"].setSymbolBrush(views)
        self.curves["views"].setSymbolPen(None)
        for name in ("likes", "comments", "shares"):
            # lines only: the views above carry the dots that mark each reading
            self.curves[name].setPen(pg.mkPen(c.series[name], width=2))
        if not self._series:
            for curve in self.curves.values():
                curve.setData([], [])
            self.plot.setXRange(0, 30, padding=0.02)  # the plan's 30 days, nothing in them yet
            self.plot.setYRange(0, 10, padding=0)
            self.others.setYRange(0, 10, padding=0)
            return
        # one point per TikTok ID and time; a post with several IDs sums them per time
        by_time: dict[int, list[int]] = {}
        for s in self._series:
            row = by_time.setdefault(s.taken_at, [0, 0, 0, 0])
            for i, v in enumerate((s.view_count, s.like_count, s.comment_count,
                                   s.share_count)):
                row[i] += v or 0
        times = sorted(by_time)
        x = np.array([(t - self._published_at) / 86400 for t in times], dtype=float)
        for i, name in enumerate(("views", "likes", "comments", "shares")):
            self.curves[name].setData(x, np.array([by_time[t][i] for t in times], dtype=float))
        # the plan's whole span from the start, so a young post's points sit on the left
        self.plot.setXRange(0, max(1.0, float(x[-1]) * 1.05), padding=0.02)
        self.plot.setYRange(0, max(10.0, float(max(by_time[t][0] for t in times))) * 1.08,
                            padding=0)
        self.others.setYRange(0, max(5.0, float(max(max(by_time[t][1:]) for t in times)))
                              * 1.08, padding=0)


class DayAxis(pg.AxisItem):
    """Dates along the bottom, one level of ticks ("18 Dec", "25 Dec", "01 Jan"): pyqtgraph's
    DateAxisItem draws its month and day levels over each other ("Jan02")."""

    STEPS = (1, 2, 7, 14, 30, 61, 91, 182, 365)  # days between labels

    def tickValues(self, minVal: float, maxVal: float,
                   size: float) -> list[tuple[float, list[float]]]:
        day = 86_400
        if maxVal <= minVal:
            return []
        room = max(1, int(size // 70))  # a label is about 70 px wide
        span = (maxVal - minVal) / day
        step = next((s for s in self.STEPS if span / s <= room), self.STEPS[-1])
        first = dt.datetime.fromtimestamp(minVal).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
        values: list[float] = []
        at = first
        while at.timestamp() <= maxVal:
            if at.timestamp() >= minVal:
                values.append(at.timestamp())
            at += dt.timedelta(days=step)
        return [(step * day, values)]

    def tickStrings(self, values: list[float], scale: float,
                    spacing: float) -> list[str]:
        return [f"{dt.datetime.fromtimestamp(v):%d %b}" for v in values]


class FollowersChart(_Chart):
    """An account's followers, one point a day, dates along the bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Followers", parent, bottom=DayAxis(orientation="bottom"))
        self._series: list[AccountSnapshot] = []
        self.curve = self.plot.plot()

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
        colour = self.colours.series["followers"]
        self.curve.setPen(pg.mkPen(colour, width=2))
        x = np.array([s.taken_at for s in self._series], dtype=float)
        y = np.array([s.follower_count for s in self._series], dtype=float)
        # a dot a day would hide a long line
        self.curve.setSymbol("o" if 0 < len(x) <= 90 else None)
        self.curve.setSymbolSize(4)
        self.curve.setSymbolBrush(colour)
        self.curve.setSymbolPen(None)
        self.curve.setData(x, y)
        item = self.plot.getPlotItem()
        if len(x):
            item.showAxis("bottom")
            item.enableAutoRange()
        else:  # no dates to show: an empty frame, not 1970's first second
            item.hideAxis("bottom")
            self.plot.setYRange(0, 10, padding=0)


class LastPostsChart(_Chart):
    """The account's last posts side by side (oldest left): views as bars, likes as narrow
    bars inside them, each labelled with its date below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Last 30 posts", parent)
        self.plot.addLegend(offset=(10, 10))
        self._posts: list[PublishedPost] = []
        self.bars = {name: pg.BarGraphItem(x=[], height=[], width=width, pen=None, name=name)
                     for name, width in (("views", 0.7), ("likes", 0.3))}
        for bar in self.bars.values():
            self.plot.addItem(bar)

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
        x = np.arange(len(self._posts), dtype=float)
        self.bars["views"].setOpts(x=x, brush=c.series["views"], height=np.array(
            [p.views or 0 for p in self._posts], dtype=float))
        self.bars["likes"].setOpts(x=x, brush=c.series["likes"], height=np.array(
            [p.likes or 0 for p in self._posts], dtype=float))
        if not self._posts:
            self.plot.getPlotItem().getAxis("bottom").setTicks([[]])  # no post, no date
            self.plot.setXRange(-0.6, 9.6, padding=0)
            self.plot.setYRange(0, 10, padding=0)
            return
        self.plot.enableAutoRange(axis="y")
        step = max(1, len(self._posts) // 10)
        ticks = [(float(i), dt.date.fromtimestamp(p.published_at).strftime("%d %b"))
                 for i, p in enumerate(self._posts) if i % step == 0]
        self.plot.getPlotItem().getAxis("bottom").setTicks([ticks])
        self.plot.setXRange(-0.6, len(self._posts) - 0.4, padding=0)


class _CellLabels(pg.GraphicsObject):
    """Every cell's number in one item, drawn upright at the cell's centre whatever the
    view's scale (168 TextItems took longer to make than the rest of the window)."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[float, float, str, QColor]] = []

    def set_cells(self, cells: list[tuple[float, float, str, QColor]]) -> None:
        self.prepareGeometryChange()
        self.cells = cells
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 24, 7)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        to_view = painter.transform()
        painter.save()
        painter.resetTransform()
        for x, y, text, colour in self.cells:
            centre = to_view.map(QPointF(x, y))
            painter.setPen(colour)
            painter.drawText(QRectF(centre.x() - 20, centre.y() - 10, 40, 20),
                             Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class BestTimeHeatmap(_Chart):
    """When the account's posts did best: weekday (rows) x hour of publishing (columns), the
    colour the median of the posts' 24-hour views, each cell with how many posts it holds;
    the title says how many posts the whole picture rests on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Best times to post", parent, counts=False)
        self.image = pg.ImageItem()
        self._data = BestTimes(0, {})
        self._zone_name = ""
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks([[(i + 0.5, d) for i, d in enumerate(WEEKDAYS)]])
        item.getAxis("bottom").setTicks([[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)]])
        item.invertY(True)  # Monday on top
        item.showGrid(x=False, y=False)
        self.cell_labels = _CellLabels()
        self.plot.addItem(self.image)
        self.plot.addItem(self.cell_labels)
        self.plot.scene().sigMouseMoved.connect(self._hover)

    def _style(self) -> None:
        super()._style()
        self.plot.getPlotItem().showGrid(x=False, y=False)

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
        grid = np.full((24, 7), np.nan)
        for (day, hour), (_n, median) in self._data.cells.items():
            grid[hour, day] = median
        top = float(np.nanmax(grid)) if self._data.cells else 1.0
        low, high = c.heat_low, c.heat_high
        cmap = pg.ColorMap([0.0, 1.0], [low, high])
        lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=True)
        # Empty cells are drawn in the background colour (level -1 below the map).
        shown = np.where(np.isnan(grid), -1.0, grid / max(top, 1.0))
        rgba = np.zeros((24, 7, 4), dtype=np.ubyte)
        background = c.background
        rgba[...] = (background.red(), background.green(), background.blue(), 255)
        filled = shown >= 0
        rgba[filled] = lut[np.clip((shown[filled] * 255).astype(int), 0, 255)]
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(QRectF(0, 0, 24, 7))
        dark = is_dark(self.palette())
        self.cell_labels.set_cells([
            (hour + 0.5, day + 0.5, str(n), label_colour_for(median / max(top, 1.0), c, dark))
            for (day, hour), (n, median) in self._data.cells.items()])
        self.plot.setXRange(0, 24, padding=0)
        self.plot.setYRange(0, 7, padding=0)

    def cell_tip(self, day: int, hour: int) -> str:
        """What a cell's tooltip says."""
        found = self._data.cells.get((day, hour))
        if found is None:
            return f"{WEEKDAYS[day]} {hour:02d}:00: no post went out then"
        n, median = found
        return (f"{WEEKDAYS[day]} {hour:02d}:00: {n} post{'s' if n != 1 else ''}, median "
                f"{compact_count(int(median))} views after 24 h")

    def _hover(self, scene_pos: QPointF) -> None:
        point = self.plot.getPlotItem().vb.mapSceneToView(scene_pos)
        hour, day = int(point.x()), int(point.y())
        inside = 0 <= point.x() < 24 and 0 <= point.y() < 7
        self.plot.setToolTip(self.cell_tip(day, hour) if inside else "")

    def cell_text(self, day: int, hour: int) -> str | None:
        """The label drawn in a cell (None: no post went out then)."""
        found = self._data.cells.get((day, hour))
        return None if found is None else str(found[0])


def label_colour_for(share: float, colours: ChartColours, dark: bool) -> QColor:
    """Text on a heat cell: the palette's text on pale cells; on strong ones white over the
    light palette's deep blue, the background over the dark palette's bright blue."""
    if share < 0.55:
        return colours.text
    return QColor(colours.background) if dark else QColor("#ffffff")
