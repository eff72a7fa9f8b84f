"""Windows that fit the screen they open on.

A window's default size (or a size saved on a bigger screen, or at another scale) can be
larger than the screen: at QT_SCALE_FACTOR=2 a 1920x1080 screen is 960x540, and a 1100x640
window then opened with its title bar off the screen, where it cannot even be moved.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["FRAME", "available", "fit_on_screen"]

# What a window manager adds around a window (title bar, borders), before the window is
# shown and Qt knows the real frame.
FRAME = QSize(16, 48)


def available(window: QWidget) -> QRect:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_on_screen(window: QWidget, wanted: QSize | None = None) -> None:
    """Size ``window`` to ``wanted`` (default: its size now) or to what its screen has room
    for, never below its minimum; then move it so all of it, title bar first, is on screen."""
    area = available(window)
    real = window.frameGeometry().size() - window.geometry().size()
    frame = real if window.isVisible() and real.width() > 0 else FRAME
    size = (wanted or window.size()).boundedTo(area.size() - frame) \
        .expandedTo(window.minimumSize())
    if size != window.size():
        window.resize(size)
    top_left = window.pos()  # the frame's top left: the title bar
    outer = size + frame
    x = min(max(top_left.x(), area.left()), max(area.left(), area.right() + 1 - outer.width()))
    y = min(max(top_left.y(), area.top()), max(area.top(), area.bottom() + 1 - outer.height()))
    if QPoint(x, y) != top_left:
        window.move(x, y)
