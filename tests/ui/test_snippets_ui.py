"""Caption templates and hashtag sets in the window (issue 18): inserted in the composer at
the cursor (hashtags at the end, none twice), into the selected rows of the bulk table, and
kept with the small editor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QTextCursor
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import connect, open_ready, open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account
from tiktok_desktop.store.snippets import SnippetKind
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.snippets_ui import SnippetButton, SnippetsDialog


@pytest.fixture
def account(graph: AppGraph) -> Account:
    return connect(graph)


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    graph.snippets.save(account.id, SnippetKind.TEMPLATE, "Recipe", "Today's recipe:")
    graph.snippets.save(account.id, SnippetKind.HASHTAGS, "Food", "food, #cooking recipe")
    with open_window(qtbot, graph) as win:
        yield win


def _menu_action(button: SnippetButton, name: str) -> QAction:
    button.fill()
    found = [a for a in button.menu().actions() if a.text() == name]
    assert len(found) == 1, [a.text() for a in button.menu().actions()]
    return found[0]


def test_the_composer_inserts_a_template_at_the_cursor_and_hashtags_at_the_end(
        qtbot: QtBot, window: MainWindow, sixty_videos: list[Path]) -> None:
    composer = open_ready(qtbot, window, sixty_videos[0])
    composer.caption.setText("Pasta night #cooking")
    cursor = composer.caption.edit.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    composer.caption.edit.setTextCursor(cursor)
    _menu_action(composer.insert_button, "Recipe").trigger()
    assert composer.caption.text() == "Today's recipe: Pasta night #cooking"
    _menu_action(composer.insert_button, "Food").trigger()
    # The set's tags the caption does not have yet, at the end; still plain editable text.
    assert composer.caption.text() == "Today's recipe: Pasta night #cooking #food #recipe"
    assert composer.form().caption == composer.caption.text()
    composer.caption.edit.undo()
    assert composer.caption.text() == "Today's recipe: Pasta night #cooking"


def test_the_bulk_table_inserts_into_the_selected_rows(
        qtbot: QtBot, window: MainWindow, sixty_videos: list[Path]) -> None:
    window.open_videos([str(p) for p in sixty_videos[:3]])
    bulk = window.bulk_windows[0]
    qtbot.waitUntil(bulk.settled, timeout=20000)
    bulk.model.edit_rows([1], caption="Lunch")
    bulk.view.selectRow(0)
    bulk.view.selectionModel().select(
        bulk.model.index(1, 0), bulk.view.selectionModel().SelectionFlag.Select
        | bulk.view.selectionModel().SelectionFlag.Rows)
    assert bulk.selected_rows() == [0, 1]
    _menu_action(bulk.insert_button, "Food").trigger()
    assert [r.caption for r in bulk.batch.rows] == ["#food #cooking #recipe",
                                                    "Lunch #food #cooking #recipe", ""]
    _menu_action(bulk.insert_button, "Recipe").trigger()
    assert bulk.batch.rows[1].caption == "Lunch #food #cooking #recipe Today's recipe:"


def test_the_editor_keeps_changes_and_says_what_is_wrong(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account) -> None:
    window.edit_snippets()
    dialog = window.snippets_dialog
    assert isinstance(dialog, SnippetsDialog)
    assert dialog.list.count() == 2
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    dialog.kind.setCurrentIndex(dialog.kind.findData(SnippetKind.HASHTAGS))
    dialog.text.setPlainText("travel tips")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "Give it a name, so you can pick it from the list."
    dialog.name.setText("Trips")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == ""
    assert dialog.text.toPlainText() == "#travel #tips"
    kept = {s.name: s.text for s in graph.snippets.for_account(account.id)}
    assert kept["Trips"] == "#travel #tips" and len(kept) == 3
    dialog.list.setCurrentRow(next(i for i in range(dialog.list.count())
                                   if dialog.list.item(i).text().startswith("Recipe")))
    assert dialog.name.text() == "Recipe"
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert sorted(s.name for s in graph.snippets.for_account(account.id)) == ["Food", "Trips"]
    dialog.close()
