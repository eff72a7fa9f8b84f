"""The window's eye on its database: a cheap timer asks whether anyone committed (see
store/watch.py) and ``changed`` tells the window to catch up."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from tiktok_desktop.store.backend import Watch

POLL_MS = 500  # a change made elsewhere shows within half a second


class DatabaseWatch(QObject):
    changed = Signal()

    def __init__(self, version: Watch, parent: QObject | None = None,
                 interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.version = version
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)

    def start(self) -> None:
        self.version.changed()  # the starting point: what is shown now
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.version.close()

    def poll(self) -> None:
        if self.version.changed():
            self.changed.emit()
