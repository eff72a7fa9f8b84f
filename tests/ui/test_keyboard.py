"""The window with the keyboard only (issue 13, items 5 and 20): Tab moves between controls,
arrows move between posts, Enter opens the selected post, Delete acts on the post the user
sees selected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import focused, key, open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.schedule_dialogs import HistoryDialog


@pytest.fixture
def window(qtbot: QtBot, seeded: AppGraph) -> Iterator[MainWindow]:
    with open_window(qtbot, seeded) as win:
        yield win


def _current_id(window: MainWindow) -> int | None:
    post = window.schedule_pane.current_post()
    return post.id if post is not None else None


def test_tab_leaves_the_schedule_and_arrows_move_between_posts(
        qtbot: QtBot, window: MainWindow) -> None:
    pane = window.schedule_pane
    view = pane.view
    view.setFocus()
    first = pane.proxy.post_at(0).id
    pane.select_post(first)
    key(qtbot, Qt.Key.Key_Down)
    second = pane.proxy.post_at(1).id
    assert _current_id(window) == second
    key(qtbot, Qt.Key.Key_Tab)
    assert focused() is not view and not view.isAncestorOf(focused())
    assert _current_id(window) == second  # Tab did not walk the cells and rows
    key(qtbot, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is view and _current_id(window) == second
    key(qtbot, Qt.Key.Key_Up)
    assert _current_id(window) == first
    # Delete acts on the post shown selected (the confirmation names it).
    asked: list[str] = []
    pane.actions.confirm = lambda title, text: asked.append(text) is None
    key(qtbot, Qt.Key.Key_Delete)
    assert asked and pane.proxy.post_at(0).id != first
    assert "f.mp4" in asked[0] and pane.posts.get(first) is None


def test_enter_opens_the_selected_post(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.schedule_pane
    pane.view.setFocus()
    scheduled = next(pane.proxy.post_at(r) for r in range(pane.proxy.rowCount())
                     if pane.proxy.post_at(r).video_path == "/videos/soon.mp4")
    pane.select_post(scheduled.id)
    key(qtbot, Qt.Key.Key_Return)
    assert len(window.composers) == 1
    assert window.composers[0].editing is not None
    assert window.composers[0].editing.id == scheduled.id


def test_enter_in_the_week_opens_the_selected_post(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.schedule_pane
    soon = next(p for p in pane.model.posts() if p.video_path == "/videos/soon.mp4")
    pane.set_view("week")
    pane.calendar.show_post(soon)
    pane.calendar.week.setFocus()
    pane.calendar.week.select(soon.id)
    key(qtbot, Qt.Key.Key_Return)
    assert [c.editing.id for c in window.composers if c.editing] == [soon.id]


def test_enter_on_a_published_post_shows_its_history(qtbot: QtBot, window: MainWindow,
                                                     seeded: AppGraph) -> None:
    pane = window.schedule_pane
    soon = next(p for p in pane.model.posts() if p.video_path == "/videos/soon.mp4")
    seeded.posts.repo.transition(soon.id, PostState.PUBLISHED, "published",
                                 share_url="https://www.tiktok.com/@a/video/1")
    window.refresh()
    pane.view.setFocus()
    pane.select_post(soon.id)
    key(qtbot, Qt.Key.Key_Return)
    assert window.composers == []
    assert isinstance(pane.actions.dialog, HistoryDialog) and pane.actions.dialog.isVisible()
    pane.actions.dialog.close()
