"""Leaving without losing anything (issue 13, item 13): quitting with posts to come asks
first and offers the tray; Cancel or Esc on a form with typed text asks before throwing it
away."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import click, key, open_window, ready, show_active, type_text
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account, NewPost
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        watch = win.service_watch
        assert watch is not None
        qtbot.waitUntil(lambda: watch.status is not None)  # the question depends on it
        yield win


def _button(box: QMessageBox, text: str) -> object:
    found = [b for b in box.buttons() if b.text() == text]
    assert found, [b.text() for b in box.buttons()]
    return found[0]


def _schedule(graph: AppGraph, account: Account, videos: VideoFactory) -> None:
    graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=int(time.time()) + 3600, due_tz="UTC"))


def _quit_keys(qtbot: QtBot, window: MainWindow) -> None:
    show_active(qtbot, window)
    key(qtbot, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_quitting_with_posts_to_come_asks_and_offers_the_tray(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        videos: VideoFactory) -> None:
    _schedule(graph, account, videos)
    window.refresh()
    window.tray.available = True  # offscreen Qt has no tray; pretend the desktop has one
    _quit_keys(qtbot, window)
    box = window.quit_question
    assert box is not None and box.isVisible() and not window._quitting
    assert box.text().startswith("You have 1 scheduled post; the next is due ")
    assert "only while TikTok Desktop is running" in box.informativeText()
    # (Their order is the platform's.)
    # (Their order is the platform's; the background service is not installed here.)
    assert sorted(b.text() for b in box.buttons()) == [
        "Cancel", "Install the service and quit", "Keep running in the tray", "Quit anyway"]
    assert box.defaultButton().text() == "Keep running in the tray"
    qtbot.mouseClick(_button(box, "Keep running in the tray"), Qt.MouseButton.LeftButton)
    assert not window.isVisible() and not window._quitting  # still running, in the tray
    _quit_keys(qtbot, window)
    box = window.quit_question
    qtbot.mouseClick(_button(box, "Cancel"), Qt.MouseButton.LeftButton)
    assert window.isVisible() and not window._quitting
    _quit_keys(qtbot, window)
    qtbot.mouseClick(_button(window.quit_question, "Quit anyway"), Qt.MouseButton.LeftButton)
    assert window._quitting and not window.isVisible()


def test_without_a_tray_the_question_says_nothing_goes_out(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        videos: VideoFactory) -> None:
    _schedule(graph, account, videos)
    _schedule(graph, account, videos)
    window.refresh()
    window.tray.available = False
    _quit_keys(qtbot, window)
    box = window.quit_question
    assert box is not None and box.text().startswith("You have 2 scheduled posts")
    assert "Keep running in the tray" not in [b.text() for b in box.buttons()]
    assert box.defaultButton().text() == "Cancel"
    show_active(qtbot, box)
    key(qtbot, Qt.Key.Key_Escape)  # Esc is Cancel
    assert not box.isVisible() and window.isVisible() and not window._quitting


def test_nothing_to_come_quits_without_asking(qtbot: QtBot, window: MainWindow) -> None:
    _quit_keys(qtbot, window)
    assert window.quit_question is None and window._quitting


def test_esc_on_a_form_with_typed_text_asks_first(qtbot: QtBot, window: MainWindow,
                                                  videos: VideoFactory,
                                                  graph: AppGraph) -> None:
    composer = ready(qtbot, window.compose(str(videos.get())))
    show_active(qtbot, composer)
    composer.caption.edit.setFocus()
    type_text(qtbot, "Dinner in ten minutes")
    key(qtbot, Qt.Key.Key_Tab)  # out of the caption: Esc is the dialog's again
    key(qtbot, Qt.Key.Key_Escape)
    box = composer.discard_question
    assert box is not None and box.isVisible() and composer.isVisible()
    assert box.defaultButton().text() == "Keep editing"
    qtbot.mouseClick(_button(box, "Keep editing"), Qt.MouseButton.LeftButton)
    assert composer.isVisible() and composer.caption.text() == "Dinner in ten minutes"
    click(qtbot, composer.cancel)
    box = composer.discard_question
    assert box is not None and box.isVisible()
    qtbot.mouseClick(_button(box, "Discard"), Qt.MouseButton.LeftButton)
    assert not composer.isVisible() and graph.posts.list_posts() == []


def test_esc_on_an_untouched_form_just_closes_it(qtbot: QtBot, window: MainWindow,
                                                 videos: VideoFactory) -> None:
    composer = ready(qtbot, window.compose(str(videos.get())))
    show_active(qtbot, composer)
    key(qtbot, Qt.Key.Key_Escape)
    assert composer.discard_question is None and not composer.isVisible()
