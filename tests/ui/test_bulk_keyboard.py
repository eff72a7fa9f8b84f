"""The bulk window with the keyboard only: Tab reaches the table, Ctrl+A selects every row,
Alt+letter reaches each field of the apply and times bars, and Ctrl+Enter schedules."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import focused, key, open_window, show_active, type_text
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.store import Account, PostState
from tiktok_desktop.ui.main_window import MainWindow

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        yield win


def test_three_videos_are_set_and_scheduled_without_the_mouse(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        sixty_videos: list[Path]) -> None:
    window.open_videos([str(p) for p in sixty_videos[:3]])
    bulk = window.bulk_windows[0]
    show_active(qtbot, bulk)
    qtbot.waitUntil(bulk.settled, timeout=30000)
    assert not bulk.schedule_button.isEnabled()  # no privacy chosen yet

    for _ in range(30):  # Tab walks the window's controls and reaches the table
        if focused() is bulk.view:
            break
        key(qtbot, Qt.Key.Key_Tab)
    assert focused() is bulk.view
    key(qtbot, Qt.Key.Key_A, CTRL)
    assert len(bulk.view.selectionModel().selectedRows()) == 3

    key(qtbot, Qt.Key.Key_P, ALT)
    assert focused() is bulk.apply_bar.privacy
    type_text(qtbot, "Only")  # a combo box jumps to the item typed
    assert bulk.apply_bar.privacy.currentText() == "Only me"
    key(qtbot, Qt.Key.Key_O, ALT)
    assert focused() is bulk.apply_bar.caption
    type_text(qtbot, "typed, not clicked")
    # A mnemonic presses its button as a click would be seen (animateClick): a moment later.
    with qtbot.waitSignal(bulk.apply_bar.apply):
        key(qtbot, Qt.Key.Key_Y, ALT)  # Apply to selected
    qtbot.waitUntil(bulk.settled)
    assert {(r.privacy_level, r.caption) for r in bulk.batch.rows} == \
        {("SELF_ONLY", "typed, not clicked")}

    key(qtbot, Qt.Key.Key_E, ALT)
    assert focused() is bulk.times_bar.hours
    key(qtbot, Qt.Key.Key_A, CTRL)
    type_text(qtbot, "6")
    assert bulk.times_bar.hours.value() == 6
    key(qtbot, Qt.Key.Key_F, ALT)
    assert focused() is bulk.times_bar.start
    start = bulk.times_bar.start.dateTime().toPython()
    with qtbot.waitSignal(bulk.times_bar.every):
        key(qtbot, Qt.Key.Key_T, ALT)  # Set times
    qtbot.waitUntil(bulk.settled)
    assert bulk.schedule_button.isEnabled(), bulk.schedule_button.toolTip()
    assert "Ctrl+Enter" in bulk.schedule_button.toolTip()

    with qtbot.waitSignal(bulk.scheduled, timeout=30000):
        key(qtbot, Qt.Key.Key_Return, CTRL)
    posts = sorted(graph.posts.list_posts(states=[PostState.SCHEDULED]), key=lambda p: p.due_at)
    assert len(posts) == 3
    assert {p.privacy_level for p in posts} == {"SELF_ONLY"}
    assert {p.account_id for p in posts} == {account.id}
    first = dt.datetime.fromtimestamp(posts[0].due_at, zone(bulk.zone_name))
    assert first.replace(tzinfo=None) == start.replace(second=0, microsecond=0)
    assert [b.due_at - a.due_at for a, b in itertools.pairwise(posts)] == [6 * 3600] * 2
