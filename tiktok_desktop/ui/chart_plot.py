"""A small chart canvas painted with QPainter: what the statistics window needs of a plotting
library (lines with dots, bars, a count axis, ticks, a horizontal grid, a legend, cells), and
nothing more.

Why not pyqtgraph: it needs numpy and PySide6's OpenGL bindings, about 10 MB more in the .deb
(issue 16 caps the download at 80 MB), and 100+ ms of imports for four small charts that show
at most a few hundred points each.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Ticks = list[tuple[float, str]]
TickMaker = Callable[[float, float, int], Ticks]  # (low, high, pixels) -> ticks
Painter = Callable[[QPainter, "Plot"], None]


def nice_step(span: float, most: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving at most ``most`` steps."""
    if span <= 0 or most <= 0:
        return 1.0
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return float(factor * power)
    return float(10 * power)


def nice_ticks(low: float, high: float, most: int,
               text: Callable[[float], str]) -> Ticks:
    step = nice_step(high - low, most)
    first = math.ceil(low / step - 1e-9) * step
    out: Ticks = []
    value = first
    while value <= high + step * 1e-9:
        out.append((value, text(0.0 if abs(value) < step * 1e-9 else value)))
        value += step
    return out


@dataclass
class Series:
    """One thing drawn: a line (with dots if ``dots``) or bars ``width`` x-units wide."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float]
    colour: QColor
    bars: float = 0.0  # bar width in x units; 0: a line
    dots: bool = False
    legend: bool = True


@dataclass
class Axes:
    x: tuple[float, float] = (0.0, 1.0)
    y: tuple[float, float] = (0.0, 10.0)
    x_ticks: TickMaker | Ticks | None = None
    y_ticks: TickMaker | Ticks | None = None
    x_label: str = ""
    invert_y: bool = False
    grid: bool = True
    show_x: bool = True
    extra: list[Painter] = field(default_factory=list)  # drawn after the grid, before series


class Plot(QWidget):
    """The canvas: a plot area with a left axis and a bottom axis in the palette's colours
    (set by the chart through ``colours``), its series and a legend in one corner."""

    hovered = Signal(float, float, bool)  # data x, data y, inside the plot area

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axes = Axes()
        self.series: list[Series] = []
        self.background = QColor("white")
        self.text = QColor("black")
        self.muted = QColor("gray")
        self.grid_colour = QColor("lightgray")
        self.legend_corner = Qt.Corner.TopLeftCorner
        self.setMouseTracking(True)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(420, 260)

    def set_colours(self, background: QColor, text: QColor, muted: QColor,
                    grid: QColor) -> None:
        self.background, self.text, self.muted, self.grid_colour = background, text, muted, grid
        self.update()

    def show_data(self, axes: Axes, series: list[Series]) -> None:
        self.axes = axes
        self.series = series
        self.update()

    # -- geometry ----------------------------------------------------------------------------

    def _ticks(self, ticks: TickMaker | Ticks | None, low: float, high: float,
               pixels: int) -> Ticks:
        if ticks is None:
            return []
        return ticks(low, high, pixels) if callable(ticks) else list(ticks)

    def area(self) -> QRectF:
        """The plot area inside the widget (room for the axes' labels)."""
        fm = QFontMetrics(self.font())
        y_ticks = self._ticks(self.axes.y_ticks, *self.axes.y, max(1, self.height()))
        left = max((fm.horizontalAdvance(t) for _v, t in y_ticks), default=0) + 12
        bottom = (fm.height() + 8 if self.axes.show_x else 6) + \
            (fm.height() + 2 if self.axes.x_label else 0)
        top = fm.height() // 2 + 4  # the top tick's label is centred on the top edge
        return QRectF(left, top, max(1.0, self.width() - left - 10),
                      max(1.0, self.height() - top - bottom))

    def to_pixel(self, x: float, y: float, area: QRectF | None = None) -> QPointF:
        area = area or self.area()
        (x0, x1), (y0, y1) = self.axes.x, self.axes.y
        fx = (x - x0) / ((x1 - x0) or 1.0)
        fy = (y - y0) / ((y1 - y0) or 1.0)
        if not self.axes.invert_y:
            fy = 1.0 - fy
        return QPointF(area.left() + fx * area.width(), area.top() + fy * area.height())

    def to_data(self, point: QPointF) -> tuple[float, float, bool]:
        area = self.area()
        (x0, x1), (y0, y1) = self.axes.x, self.axes.y
        fx = (point.x() - area.left()) / area.width()
        fy = (point.y() - area.top()) / area.height()
        if not self.axes.invert_y:
            fy = 1.0 - fy
        return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), area.contains(point)

    # -- painting ----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.background)
        area = self.area()
        fm = QFontMetrics(self.font())
        axes = self.axes
        for value, text in self._ticks(axes.y_ticks, *axes.y, int(area.height())):
            at = self.to_pixel(axes.x[0], value, area)
            if axes.grid:
                p.setPen(QPen(self.grid_colour, 1))
                p.drawLine(QPointF(area.left(), at.y()), QPointF(area.right(), at.y()))
            p.setPen(self.text)
            p.drawText(QRectF(0, at.y() - fm.height() / 2, area.left() - 6, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        if axes.show_x:
            for value, text in self._ticks(axes.x_ticks, *axes.x, int(area.width())):
                at = self.to_pixel(value, axes.y[0], area)
                if not area.left() - 1 <= at.x() <= area.right() + 1:
                    continue
                width = fm.horizontalAdvance(text) + 4
                p.setPen(self.text)
                p.drawText(QRectF(at.x() - width / 2, area.bottom() + 4, width, fm.height()),
                           Qt.AlignmentFlag.AlignCenter, text)
        if axes.x_label:
            p.setPen(self.muted)
            p.drawText(QRectF(area.left(), self.height() - fm.height() - 2, area.width(),
                              fm.height()), Qt.AlignmentFlag.AlignCenter, axes.x_label)
        p.save()
        p.setClipRect(area.adjusted(-4, -4, 4, 4))
        for extra in axes.extra:
            extra(p, self)
        for series in self.series:
            self._paint_series(p, series, area)
        p.restore()
        p.setPen(QPen(self.grid_colour, 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.topLeft(), area.bottomLeft())
        self._paint_legend(p, area, fm)
        p.end()

    def _paint_series(self, p: QPainter, s: Series, area: QRectF) -> None:
        if s.bars:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.colour)
            base = max(self.axes.y[0], 0.0)
            for x, y in zip(s.xs, s.ys, strict=True):
                top = self.to_pixel(x - s.bars / 2, y, area)
                bottom = self.to_pixel(x + s.bars / 2, base, area)
                p.drawRect(QRectF(top, bottom).normalized())
            return
        points = [self.to_pixel(x, y, area) for x, y in zip(s.xs, s.ys, strict=True)]
        p.setPen(QPen(s.colour, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        if len(points) > 1:
            p.drawPolyline(points)
        if s.dots:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(s.colour)
            for point in points:
                p.drawEllipse(point, 2.5, 2.5)

    def _paint_legend(self, p: QPainter, area: QRectF, fm: QFontMetrics) -> None:
        named = [s for s in self.series if s.legend and s.name]
        if not named:
            return
        line = fm.height() + 2
        width = max(fm.horizontalAdvance(s.name) for s in named) + 30
        height = line * len(named)
        right = self.legend_corner in (Qt.Corner.TopRightCorner, Qt.Corner.BottomRightCorner)
        lower = self.legend_corner in (Qt.Corner.BottomLeftCorner, Qt.Corner.BottomRightCorner)
        left = area.right() - width - 10 if right else area.left() + 10
        top = area.bottom() - height - 10 if lower else area.top() + 10
        for i, s in enumerate(named):
            y = top + i * line
            mark = QRectF(left, y + line / 2 - 5, 16, 10)
            if s.bars:
                p.fillRect(mark, s.colour)
            else:
                p.setPen(QPen(s.colour, 2))
                p.drawLine(QPointF(mark.left(), mark.center().y()),
                           QPointF(mark.right(), mark.center().y()))
            p.setPen(self.text)
            p.drawText(QRectF(left + 22, y, width - 22, line),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, s.name)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x, y, inside = self.to_data(event.position())
        self.hovered.emit(x, y, inside)
        super().mouseMoveEvent(event)
