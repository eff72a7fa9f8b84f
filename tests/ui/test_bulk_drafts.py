"""Drafts beside the calendar with a batch (issue 18): a post of a bulk batch taken off the
schedule waits in *Not scheduled* and is dragged back onto an hour of the week, through the
real drag source and drop target; a duplicate has no consent yet, so it opens in the editor
instead of moving."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import connect, open_window
from tests.ui.schedule_support import drop, week_slot
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.calendar_grid import post_mime
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    connect(graph)
    with open_window(qtbot, graph) as win:
        yield win


def test_a_batch_post_goes_to_the_drafts_and_is_dragged_back_onto_an_hour(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, sixty_videos: list[Path]) -> None:
    window.open_videos([str(p) for p in sixty_videos[:3]])
    bulk = window.bulk_windows[0]
    qtbot.waitUntil(bulk.settled, timeout=20000)
    bulk.view.selectAll()
    bulk.apply_bar.privacy.setCurrentIndex(bulk.apply_bar.privacy.findText("Only me"))
    qtbot.mouseClick(bulk.apply_bar.button, Qt.MouseButton.LeftButton)
    local = zone(window.zone_name)
    day = (dt.datetime.now(local) + dt.timedelta(days=2)).date()
    bulk.every_n_hours(dt.datetime.combine(day, dt.time(9)), 2)
    qtbot.waitUntil(bulk.settled, timeout=20000)
    with qtbot.waitSignal(bulk.scheduled, timeout=30000) as done:
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    first = done.args[0][0]

    pane = window.schedule_pane
    pane.set_view("week")
    pane.select_post(first.id)
    pane.actions.act_unschedule.trigger()
    panel = pane.calendar.drafts
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    assert first.id not in pane.calendar.week.block_rects()
    # Dragged (what the list's drag carries) onto 15:00 of that day: scheduled for then.
    target = week_slot(pane.calendar, day, 15 * 60)
    with qtbot.waitSignal(pane.changed):
        assert drop(pane.calendar.week.viewport(), target, post_mime(first.id, 0))
    moved = graph.posts.get(first.id)
    assert moved is not None and moved.state is PostState.SCHEDULED
    assert moved.due_at == int(dt.datetime.combine(day, dt.time(15), local).timestamp())
    assert panel.list.count() == 0 and first.id in pane.calendar.week.block_rects()

    # A duplicate is a draft without consent: dragging it says so; the editor opens it.
    pane.select_post(first.id)
    with qtbot.waitSignal(pane.edit_requested):
        pane.actions.act_duplicate.trigger()
    qtbot.waitUntil(lambda: panel.list.count() == 1)
    panel.list.setCurrentRow(0)
    with qtbot.waitSignal(pane.calendar.message) as said:
        panel.list.startDrag(Qt.DropAction.MoveAction)
    assert "consent" in said.args[0]
