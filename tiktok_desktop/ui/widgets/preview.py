"""Video preview: one decoded frame, a scrubber that also picks the cover, Play outside."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

BOX = QSize(216, 384)  # 9:16, TikTok's shape
FrameLoader = Callable[[int], QImage | None]  # ms -> frame; runs off the GUI thread


def clock_text(ms: int) -> str:
    seconds, tenths = divmod(max(0, ms) // 100, 10)
    return f"{seconds // 60}:{seconds % 60:02d}.{tenths}"


class VideoPreview(QWidget):
    cover_changed = Signal(int)  # ms

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.loader: FrameLoader | None = None
        self.path = ""
        self._wanted = 0
        self._busy = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.picture = QLabel("Reading the video…")
        self.picture.setObjectName("preview")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(BOX)
        self.picture.setStyleSheet("background: #161823; color: #d0d0d6; border-radius: 6px;")
        self.picture.setWordWrap(True)
        self.picture.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to pick the cover picture TikTok shows for this video")
        layout.addWidget(self.slider)
        row = QHBoxLayout()
        self.cover_label = QLabel("Cover: first frame")
        self.play = QPushButton("Play")
        self.play.setToolTip("Open the video in your video player")
        self.play.setEnabled(False)
        self.play.clicked.connect(self._play)
        row.addWidget(self.cover_label, 1)
        row.addWidget(self.play)
        layout.addLayout(row)
        # Decode at most one frame at a time, the latest wanted one: dragging stays smooth.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(80)
        self._debounce.timeout.connect(self._load)
        self.slider.valueChanged.connect(self._moved)

    def set_video(self, path: str, duration_ms: int, loader: FrameLoader,
                  cover_ms: int | None = None) -> None:
        self.path, self.loader = path, loader
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, duration_ms - 1))
        self.slider.setSingleStep(100)
        self.slider.setPageStep(1000)
        self.slider.setValue(cover_ms or 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(duration_ms > 0)
        self.play.setEnabled(True)
        self._show_cover(cover_ms)
        self._wanted = cover_ms or 0
        self._load()

    def show_problem(self, text: str) -> None:
        self.picture.setPixmap(QPixmap())
        self.picture.setText(text)
        self.slider.setEnabled(False)

    def cover_ms(self) -> int | None:
        return self.slider.value() if self.slider.isEnabled() and self.slider.value() else None

    def _moved(self, value: int) -> None:
        self._wanted = value
        self._show_cover(value)
        self.cover_changed.emit(value)
        self._debounce.start()

    def _show_cover(self, ms: int | None) -> None:
        self.cover_label.setText(f"Cover: {clock_text(ms)}" if ms else "Cover: first frame")

    def _load(self) -> None:
        if self.loader is None or self._busy:
            return
        self._busy = True
        loader, ms = self.loader, self._wanted
        self.runner.submit(lambda: loader(ms), lambda image: self._loaded(ms, image),
                           self._failed, owner=self)

    def _loaded(self, ms: int, image: QImage | None) -> None:
        self._busy = False
        if image is not None and not image.isNull():
            pixmap = QPixmap.fromImage(image).scaled(
                BOX, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation)
            self.picture.setPixmap(pixmap)
        if ms != self._wanted:  # the user moved on while we decoded
            self._load()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        log.info("preview frame failed: %s", exc)
        self.show_problem(str(exc))

    def _play(self) -> None:
        if self.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.path))
