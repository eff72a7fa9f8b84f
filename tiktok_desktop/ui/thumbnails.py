"""Video thumbnails for the schedule list: decoded off the GUI thread, cached, and a
placeholder film frame meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPalette,
    QPixmap,
    QPolygonF,
)

from tiktok_desktop.services.schedule_views import file_name
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import blend

log = logging.getLogger(__name__)

THUMB_SIZE = QSize(30, 40)  # portrait 3:4: most TikTok videos are 9:16, a crop reads best


def media_thumbnail(path: str, max_side: int) -> QImage:
    """A preview frame of the video as a QImage (runs on a worker thread; QImage is safe
    there, QPixmap is not). Raises MediaError for files it cannot read."""
    from tiktok_desktop.services.media import thumbnail  # noqa: PLC0415 - PyAV when needed

    frame = thumbnail(path, max_side)
    return QImage(frame.data, frame.width, frame.height, frame.bytes_per_line,
                  QImage.Format.Format_RGB888).copy()


def local_thumbnailer(local_video: Callable[[str], str]) -> Callable[[str, int], QImage]:
    """media_thumbnail of a post's video_path made a local file first (on the worker thread:
    a shared schedule's reference is fetched from its database)."""
    def make(path: str, max_side: int) -> QImage:
        return media_thumbnail(local_video(path), max_side)

    return make


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
        self._pump_soon = False

    def pixmap(self, path: str) -> QPixmap:
        found = self._cache.get(path)
        if found is not None:
            return found
        if self.make is not None and path not in self._failed and path not in self._in_flight:
            self._wanted.pop(path, None)
            self._wanted[path] = None
            while len(self._wanted) > self._max_queue:
                del self._wanted[next(iter(self._wanted))]
            if not self._pump_soon:
                # Asked for while a view paints: decoding (and loading PyAV, for the first)
                # starts once the paint is done, so the window's first paint waits for it
                # neither on the GUI thread nor for the GIL (issue 16).
                self._pump_soon = True
                QTimer.singleShot(0, self, self._pump_later)
        return self.placeholder

    def _pump_later(self) -> None:
        self._pump_soon = False
        if self._wanted:
            self._pump()

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
