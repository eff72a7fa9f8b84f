"""Duplicate on any post (issue 18): the schedule's action makes a new draft with the same
video and settings, shows it in the drafts beside the calendar and opens it in the editor,
where it gets its own time and consent; the original is untouched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import show_active
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, seeded: AppGraph) -> Iterator[MainWindow]:
    win = main_window(seeded, open_url=lambda _u: False)
    qtbot.addWidget(win)
    show_active(qtbot, win)
    yield win
    for composer in list(win.composers):
        composer.close()


@pytest.mark.parametrize("state", [PostState.SCHEDULED, PostState.FAILED])
def test_duplicate_makes_a_draft_and_opens_it(qtbot: QtBot, window: MainWindow,
                                              seeded: AppGraph, state: PostState) -> None:
    pane = window.schedule_pane
    original = next(p for p in seeded.posts.list_posts() if p.state is state)
    before = {p.id for p in seeded.posts.list_posts()}
    pane.set_view("week")
    drafts_before = pane.calendar.drafts.list.count()
    pane.select_post(original.id)
    act = pane.actions.act_duplicate
    assert act.isEnabled() and act in pane.toolbar.actions()
    with qtbot.waitSignal(pane.edit_requested) as opened:
        act.trigger()
    copy_id = opened.args[0]
    assert copy_id not in before
    copy = seeded.posts.get(copy_id)
    assert copy is not None and copy.state is PostState.DRAFT
    assert (copy.video_path, copy.caption, copy.privacy_level, copy.account_id) == (
        original.video_path, original.caption, original.privacy_level, original.account_id)
    assert copy.due_at is None and copy.consent_at is None
    assert seeded.posts.get(original.id) == original  # untouched
    # Beside the calendar with the other drafts, and in the editor to get its time.
    assert pane.calendar.drafts.list.count() == drafts_before + 1
    assert [c.editing.id for c in window.composers if c.editing] == [copy_id]
    assert "Duplicated" in window.statusBar().currentMessage()
