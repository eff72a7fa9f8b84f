"""Shared steps of the composer and window tests: a sandbox account connected the way the
browser does it, the window on the test's graph, a composer waited for until it knows the
account and the video, and the local time zone of the test process."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account
from tiktok_desktop.ui.composer import Composer
from tiktok_desktop.ui.main_window import MainWindow


def connect(graph: AppGraph, **browser: object) -> Account:
    """Connect a sandbox user through the real consent page and loopback receiver."""
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url, **browser)  # type: ignore[arg-type]
    return graph.accounts.finish_connect(attempt).account


@contextmanager
def open_window(qtbot: QtBot, graph: AppGraph, *, active: bool = True) -> Iterator[MainWindow]:
    """The main window on the graph, shown (and active, so keys reach it); its composers and
    bulk windows are closed at the end."""
    win = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(win)
    if active:
        show_active(qtbot, win)
    try:
        yield win
    finally:
        for composer in list(win.composers):
            composer.close()
        for bulk in list(win.bulk_windows):
            bulk._close_confirmed = True  # closing without the question a user gets
            bulk.close()


def ready(qtbot: QtBot, composer: Composer) -> Composer:
    qtbot.waitUntil(lambda: composer.creator is not None or composer.creator_problem is not None)
    qtbot.waitUntil(lambda: composer.video is not None or composer.video_error is not None)
    return composer


def open_ready(qtbot: QtBot, window: MainWindow, path: object) -> Composer:
    return ready(qtbot, window.compose(str(path)))


def newest_composer(qtbot: QtBot, window: MainWindow, before: int) -> Composer:
    qtbot.waitUntil(lambda: len(window.composers) > before)
    return ready(qtbot, window.composers[-1])


def pick_privacy(composer: Composer, value: str) -> None:
    composer.privacy.setCurrentIndex(composer.privacy.findData(value))


def click(qtbot: QtBot, widget: QWidget, pos: QPoint | None = None) -> None:
    """A left click: on a check box or radio button, on its box (a wide one's centre may
    be past its text, where a click does nothing); elsewhere in the middle."""
    if pos is None:
        checkable = isinstance(widget, QAbstractButton) and widget.isCheckable() \
            and not isinstance(widget, QPushButton)
        pos = QPoint(8, widget.height() // 2) if checkable else widget.rect().center()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def show_active(qtbot: QtBot, widget: QWidget) -> None:
    """Show a window and make it the active one, so keys and shortcuts reach it."""
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def key(qtbot: QtBot, k: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
        ) -> None:
    """A key pressed where the keyboard focus is, as a user's key press goes."""
    target = focused()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, k, modifier)


def type_text(qtbot: QtBot, text: str) -> None:
    target = focused()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClicks(target, text)


@contextmanager
def local_zone(name: str) -> Iterator[None]:
    """Run as if the computer's own time zone were ``name`` (TZ, read by C and Qt)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
