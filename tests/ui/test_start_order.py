"""Start-up order (issue 16): what the first paint does not need (the engine) runs after it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from tiktok_desktop.app import AfterFirstPaint


class PaintLog(QObject):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.log.append("paint")
        return False


def test_work_waits_for_the_first_paint(qtbot: QtBot) -> None:
    log: list[str] = []
    window = QLabel("hello")
    qtbot.addWidget(window)
    painted = PaintLog(log)
    window.installEventFilter(painted)
    window.show()
    AfterFirstPaint(window, lambda: log.append("engine"))
    assert log == []  # not at once: the window has not painted yet
    qtbot.waitUntil(lambda: "engine" in log)
    assert log.index("paint") < log.index("engine")
    window.update()
    qtbot.waitUntil(lambda: log.count("paint") >= 2)
    assert log.count("engine") == 1  # once


def test_a_hidden_start_does_not_wait_for_a_paint(qtbot: QtBot) -> None:
    """Started in the tray: no window paints, the engine starts all the same."""
    log: list[str] = []
    window = QLabel("hidden")
    qtbot.addWidget(window)
    AfterFirstPaint(window, lambda: log.append("engine"))
    qtbot.waitUntil(lambda: log == ["engine"])
