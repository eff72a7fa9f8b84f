"""A disconnected account's posts (issue 13, item 7): they wait for the reconnect, and every
place says so: the list, the calendar, the status bar, the tray, the actions and the editor."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import click, open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.posts import ScheduleRefused
from tiktok_desktop.store import Account, AccountStatus, NewPost, Post, PostState
from tiktok_desktop.ui.calendar_grid import tooltip_text
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.schedule_model import ScheduleModel


@pytest.fixture
def post(graph: AppGraph, account: Account, videos: VideoFactory) -> Post:
    return graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=int(time.time()) + 7200, due_tz="UTC"))


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, post: Post) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        yield win


def _disconnect(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.accounts_pane
    pane.view.selectionModel().select(
        pane.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    pane.confirm = lambda _text: True
    with qtbot.waitSignal(pane.changed, timeout=10000):
        click(qtbot, pane.disconnect_button)


def _state_text(window: MainWindow, post_id: int) -> str:
    pane = window.schedule_pane
    row = pane.proxy.row_of(post_id)
    assert row is not None
    return str(pane.proxy.index(row, ScheduleModel.STATE).data())


def test_a_disconnected_accounts_post_waits_for_the_reconnect_everywhere(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, post: Post) -> None:
    assert _state_text(window, post.id) == "Scheduled"
    assert window.summary.text().startswith("1 scheduled ·")
    _disconnect(qtbot, window)
    assert graph.accounts.list_accounts()[0].status is AccountStatus.DISCONNECTED
    # The list, the status bar and the tray.
    assert _state_text(window, post.id) == "Waiting for reconnect"
    assert window.summary.text().startswith("0 scheduled · 1 waiting for reconnect")
    assert window.tray.act_next.text().endswith("(waiting for reconnect)")
    # The calendar.
    pane = window.schedule_pane
    assert "Waiting for reconnect" in tooltip_text(post, pane.calendar.state)
    # The actions: nothing that would send it; why not, in words.
    pane.select_post(post.id)
    actions = pane.actions
    assert not actions.act_post_now.isEnabled()
    assert not actions.act_reschedule.isEnabled()
    assert "Reconnect" in actions.act_post_now.toolTip()
    assert actions.act_edit.isEnabled() and actions.act_unschedule.isEnabled()
    asked: list[str] = []
    actions.confirm = lambda title, text: asked.append(text) is None
    actions.post_now()  # e.g. from a stale menu: refused before any promise is made
    assert asked == [] and "waits until you reconnect" in pane.notice_text()
    assert graph.posts.get(post.id).due_at == post.due_at  # type: ignore[union-attr]
    # The service refuses as well, in the same words.
    with pytest.raises(ScheduleRefused, match="waits until you reconnect"):
        graph.posts.post_now(post.id)
    # Edit keeps the post on its account and says what to do.
    before = len(window.composers)
    actions.act_edit.trigger()
    qtbot.waitUntil(lambda: len(window.composers) > before)
    composer = window.composers[-1]
    qtbot.waitUntil(lambda: composer.creator_problem is not None)
    selected = composer.selected_account()
    assert selected is not None and selected.id == post.account_id
    assert "was disconnected" in composer.problems.text()
    assert not composer.publish.isEnabled()


def test_after_the_reconnect_it_is_scheduled_again(qtbot: QtBot, window: MainWindow,
                                                   graph: AppGraph, post: Post) -> None:
    _disconnect(qtbot, window)
    assert _state_text(window, post.id) == "Waiting for reconnect"
    pane = window.accounts_pane
    pane.view.setFocus()
    dialog = pane.add_account()
    with qtbot.waitSignal(dialog.connected, timeout=20000):
        play_consent(dialog.url.text())
    assert _state_text(window, post.id) == "Scheduled"
    assert window.summary.text().startswith("1 scheduled")
    assert graph.posts.get(post.id).state is PostState.SCHEDULED  # type: ignore[union-attr]
