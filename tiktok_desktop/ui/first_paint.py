"""Work that waits for a window's first paint (issue 16: the first paint waits for nothing it
does not show)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["AfterFirstPaint"]


class AfterFirstPaint(QObject):
    """Runs ``work`` once, in the event loop's turn after the window's first paint; at once
    in the event loop's first turn when the window is not shown by then (started hidden in
    the tray). Made before or after ``show()``: whether it is shown is asked in that turn."""

    def __init__(self, window: QWidget, work: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self._work: Callable[[], None] | None = work
        window.installEventFilter(self)
        QTimer.singleShot(0, self._unless_shown)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._work is not None:
            self.window.removeEventFilter(self)
            QTimer.singleShot(0, self._run)
        return False

    def _unless_shown(self) -> None:
        if not self.window.isVisible():
            self.window.removeEventFilter(self)
            self._run()

    def _run(self) -> None:
        work, self._work = self._work, None
        if work is not None:
            work()
