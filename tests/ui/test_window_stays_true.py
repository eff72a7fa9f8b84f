"""The window stays true to its database (issue 13, item 3): posts added, cancelled,
rescheduled or deleted by another process (the real command line, or a process writing as a
second window or a headless ``run`` would) show up by themselves, in order, with counters
that agree with the list, while the selection and the scroll position stay where they were."""

from __future__ import annotations

import re

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers import other_process
from tests.ui.schedule_support import World, make_world
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.main_window import MainWindow

WAIT_MS = 15_000  # a second process starts in about a second on a busy machine
HOUR = 3600


@pytest.fixture
def world(graph: AppGraph) -> World:
    return make_world(graph)


def open_window(qtbot: QtBot, world: World) -> MainWindow:
    window = main_window(world.graph)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def shown_ids(window: MainWindow) -> list[int]:
    proxy = window.schedule_pane.proxy
    return [proxy.post_at(r).id for r in range(proxy.rowCount())]


def scheduled_in_summary(window: MainWindow) -> int:
    found = re.match(r"(\d+) scheduled", window.summary.text())
    assert found, window.summary.text()
    return int(found.group(1))


def scheduled_in_list(window: MainWindow) -> int:
    proxy = window.schedule_pane.proxy
    return sum(1 for r in range(proxy.rowCount())
               if proxy.post_at(r).state is PostState.SCHEDULED)


def group_count(window: MainWindow, word: str) -> int:
    box = window.schedule_pane.filters.group_box
    texts = [box.itemText(i) for i in range(box.count())]
    [text] = [t for t in texts if t.startswith(word)]
    found = re.search(r"\((\d+)\)", text)
    assert found, text
    return int(found.group(1))


def cli(*args: str | int) -> str:
    """The real command line in a process of its own, on the test's home (the environment)."""
    return other_process.run("-m", "tiktok_desktop", *args)


def test_a_post_added_by_another_process_appears_in_order(qtbot: QtBot, world: World) -> None:
    now = int(world.clock())
    early = world.post(now + 2 * HOUR, caption="early")
    late = world.post(now + 6 * HOUR, caption="late")
    window = open_window(qtbot, world)
    window.schedule_pane.select_post(late.id)
    assert shown_ids(window) == [early.id, late.id]
    assert scheduled_in_summary(window) == 2

    added = other_process.write(world.graph.db.path, "add", world.studio.id, now + 4 * HOUR,
                                "between")
    qtbot.waitUntil(lambda: added in shown_ids(window), timeout=WAIT_MS)
    assert shown_ids(window) == [early.id, added, late.id]  # sorted in, not appended
    assert window.schedule_pane.current_post() is not None
    assert window.schedule_pane.current_post().id == late.id  # the selection stayed
    assert scheduled_in_summary(window) == scheduled_in_list(window) == 3
    assert group_count(window, "Upcoming") == 3
    shown = window.schedule_pane.calendar.state.index.get(added)  # the calendar has it too
    assert shown is not None and shown.due_at == now + 4 * HOUR


def test_cancel_and_delete_from_the_command_line(qtbot: QtBot, world: World) -> None:
    now = int(world.clock())
    keep = world.post(now + 2 * HOUR, caption="keep")
    cancel = world.post(now + 3 * HOUR, caption="cancel")
    gone = world.post(now + 5 * HOUR, caption="gone")
    window = open_window(qtbot, world)
    window.schedule_pane.select_post(gone.id)
    assert scheduled_in_summary(window) == 3

    cli("posts", "cancel", cancel.id)
    qtbot.waitUntil(lambda: window.schedule_pane.model.post(
        window.schedule_pane.model.row_of(cancel.id) or 0).state is PostState.DRAFT
        if window.schedule_pane.model.row_of(cancel.id) is not None else False,
        timeout=WAIT_MS)
    assert scheduled_in_summary(window) == scheduled_in_list(window) == 2
    assert shown_ids(window) == [keep.id, gone.id, cancel.id]  # the draft sorts last now

    cli("posts", "delete", gone.id, "--yes")
    qtbot.waitUntil(lambda: gone.id not in shown_ids(window), timeout=WAIT_MS)
    assert shown_ids(window) == [keep.id, cancel.id]
    assert window.schedule_pane.current_post() is None  # nothing left selected to act on
    assert scheduled_in_summary(window) == scheduled_in_list(window) == 1


def test_a_reschedule_elsewhere_resorts_and_keeps_the_scroll(qtbot: QtBot,
                                                             world: World) -> None:
    now = int(world.clock())
    posts = [world.post(now + (i + 1) * HOUR, caption=f"p{i:03d}") for i in range(150)]
    window = open_window(qtbot, world)
    view = window.schedule_pane.view
    selected = posts[80]
    window.schedule_pane.select_post(selected.id)
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)
    scrolled = bar.value()
    first = posts[0]

    other_process.write(world.graph.db.path, "reschedule", first.id, now + 500 * HOUR)
    qtbot.waitUntil(lambda: shown_ids(window)[-1] == first.id, timeout=WAIT_MS)
    assert shown_ids(window) == [p.id for p in posts[1:]] + [first.id]
    assert bar.value() == scrolled  # the user's place in the list is kept
    assert window.schedule_pane.current_post() is not None
    assert window.schedule_pane.current_post().id == selected.id
    assert scheduled_in_summary(window) == scheduled_in_list(window) == 150


def test_the_windows_own_changes_show_once(qtbot: QtBot, world: World) -> None:
    """A change made in this window is shown at once; when the watch then sees the commit
    it finds nothing new and the list is neither reset nor re-sorted."""
    now = int(world.clock())
    first = world.post(now + 2 * HOUR, caption="first")
    post = world.post(now + 3 * HOUR, caption="mine")
    window = open_window(qtbot, world)
    pane = window.schedule_pane
    pane.select_post(post.id)
    changes: list[str] = []
    pane.model.modelReset.connect(lambda: changes.append("reset"))
    pane.model.layoutChanged.connect(lambda: changes.append("sorted"))
    pane.model.dataChanged.connect(lambda *_args: changes.append("row"))
    pane.actions.unschedule()  # the toolbar's Unschedule on the selected post
    assert pane.current_post() is not None
    assert pane.current_post().state is PostState.DRAFT  # shown at once
    changes.clear()
    with qtbot.waitSignal(window.database_watch.changed, timeout=WAIT_MS):
        pass  # the watch notices the commit (its own connection sees every other one)
    assert changes == []
    assert shown_ids(window) == [first.id, post.id]
    assert scheduled_in_summary(window) == scheduled_in_list(window) == 1
