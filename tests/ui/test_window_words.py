"""What the window says and how it is reached (issue 13, items 14 and 20): titles by file
name, the app's name once in a title, the Accounts menu and its shortcuts, seconds in a
post's history, an empty list that knows an account is connected, words in the singular."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect, key, open_window, ready, show_active
from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.domain.compose import PostForm, evaluate
from tiktok_desktop.store import NewPost, PostState
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.schedule_dialogs import HistoryDialog


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        yield win
    if win.accounts_pane.dialog is not None:
        win.accounts_pane.dialog.cancel()


def _named_once(title: str) -> bool:
    """Qt adds " — <app name>" to a title that does not end with it (Linux, Windows)."""
    return title.endswith(APP_DISPLAY_NAME) and title.count(APP_DISPLAY_NAME) == 1


def test_composers_are_titled_by_their_video_and_the_app_is_named_once(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, videos: VideoFactory,
        tmp_path: Path) -> None:
    connect(graph)
    assert _named_once(window.windowTitle())
    first = videos.copy_to(tmp_path, "pasta night.mp4")
    second = videos.copy_to(tmp_path, "studio tour.mov")
    window.open_videos([str(first)])  # one at a time: a composer each
    window.open_videos([str(second)])
    titles = [c.windowTitle() for c in window.composers]
    assert titles == ["pasta night.mp4 — New post — TikTok Desktop",
                      "studio tour.mov — New post — TikTok Desktop"]
    composer = ready(qtbot, window.composers[0])
    composer.privacy.setCurrentIndex(0)
    with qtbot.waitSignal(composer.posted, timeout=10000) as posted:
        composer.submit()
    post = posted.args[0]
    window.edit_post(post.id)
    assert window.composers[-1].windowTitle() == "pasta night.mp4 — Edit post — TikTok Desktop"
    assert all(_named_once(c.windowTitle()) for c in window.composers)


def test_the_accounts_menu_and_its_shortcuts(qtbot: QtBot, window: MainWindow,
                                             graph: AppGraph) -> None:
    pane = window.accounts_pane
    shortcuts = {a.text().replace("&", ""): a.shortcut().toString()
                 for a in pane.actions_for_menu()}
    assert shortcuts == {"Add account…": "Ctrl+Shift+A", "Reconnect": "Ctrl+Shift+R",
                         "Refresh info": "F5", "Disconnect…": "Ctrl+Shift+D",
                         "Queue times…": "Ctrl+Shift+T"}
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.ShiftModifier)
    assert pane.dialog is not None and pane.dialog.isVisible()
    assert pane.dialog.windowTitle() == "Connect a TikTok account"
    pane.dialog.cancel()
    account = connect(graph)
    window.refresh()
    # Nothing selected: the commands for "the selected account" are off, menu and buttons.
    assert not pane.act_reconnect.isEnabled() and not pane.reconnect_button.isEnabled()
    pane.view.selectionModel().select(
        pane.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert pane.act_reconnect.isEnabled() and pane.reconnect_button.isEnabled()
    show_active(qtbot, window)
    key(qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.ShiftModifier)
    assert pane.dialog is not None and pane.dialog.windowTitle() == f"Reconnect {account.label}"
    pane.dialog.cancel()
    show_active(qtbot, window)
    with qtbot.waitSignal(pane.changed, timeout=10000):
        key(qtbot, Qt.Key.Key_F5)
    assert window.statusBar().currentMessage() == f"Updated {account.label}."


def test_history_shows_seconds(qtbot: QtBot, window: MainWindow, graph: AppGraph,
                               videos: VideoFactory) -> None:
    account = connect(graph)
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=int(graph.posts.clock()) + 3600, due_tz="UTC"))
    graph.posts.repo.transition(post.id, PostState.PREPARING, "engine took it")
    graph.posts.repo.transition(post.id, PostState.UPLOADING, "uploading")
    window.refresh()
    window.schedule_pane.select_post(post.id)
    window.schedule_pane.actions.act_history.trigger()
    dialog = window.schedule_pane.actions.dialog
    assert isinstance(dialog, HistoryDialog)
    when = [dialog.model.index(r, 0).data() for r in range(dialog.model.rowCount())]
    assert len(when) == 3 and all(text.count(":") == 2 for text in when), when
    dialog.close()


def test_the_empty_list_knows_an_account_is_connected(window: MainWindow,
                                                      graph: AppGraph) -> None:
    empty = window.schedule_pane.empty.text()
    assert "Accounts → Add account…" in empty
    connect(graph)
    window.refresh()
    empty = window.schedule_pane.empty.text()
    assert "Connect" not in empty and "Add account" not in empty
    assert "Add videos…" in empty and "drag" in empty.lower()


def test_counts_in_the_singular() -> None:
    over = evaluate(PostForm(caption="x" * 2201, privacy_level="SELF_ONLY"), None)
    assert "The caption is 1 character too long" in " ".join(over.problems)
    over = evaluate(PostForm(caption="x" * 2202, privacy_level="SELF_ONLY"), None)
    assert "The caption is 2 characters too long" in " ".join(over.problems)


def test_a_time_zone_chosen_in_settings_reaches_the_list_the_form_and_the_queue(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, videos: VideoFactory) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from tests.ui.composer_support import type_text
    from tiktok_desktop.services.schedule import describe
    from tiktok_desktop.ui.schedule_model import ScheduleModel
    from tiktok_desktop.ui.settings_dialog import SettingsDialog

    account = connect(graph)
    due = int(graph.posts.clock()) + 7200
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=due, due_tz="UTC"))
    window.refresh()

    def choose() -> None:  # the dialog runs its own loop: answer it from inside
        dialog = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, SettingsDialog) and w.isVisible())
        show_active(qtbot, dialog)
        dialog.timezone.setFocus()
        type_text(qtbot, "Europe/Berlin")  # the keyboard finds it in the long list
        assert dialog.timezone.currentData() == "Europe/Berlin"
        dialog.save()

    QTimer.singleShot(0, choose)
    window.open_settings()
    assert graph.settings_store.load().timezone == "Europe/Berlin"
    pane = window.schedule_pane
    row = pane.proxy.row_of(post.id)
    shown = pane.proxy.index(row, ScheduleModel.DUE).data()  # type: ignore[arg-type]
    assert shown.endswith(describe(due, "Europe/Berlin")[-9:-4])
    composer = window.compose(str(videos.get()))
    assert "Europe/Berlin" in composer.at_edit.zone_label.text()
    composer.close()
    pane_accounts = window.accounts_pane
    pane_accounts.view.selectionModel().select(
        pane_accounts.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    pane_accounts.edit_queue()
    queue = pane_accounts.queue_dialog
    assert queue is not None and queue.app_zone == "Europe/Berlin"
    queue.close()
