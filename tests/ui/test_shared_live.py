"""Two windows on one shared schedule (issue 20): apps with different data folders over one
PostgreSQL database see each other's edits within a second, through LISTEN/NOTIFY waited on
by a thread of the window's own (ui/db_watch.py), never by asking the server on a timer."""

from __future__ import annotations

import time

from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.shared_support import (
    HOUR,
    add_account,
    add_post,
    open_window,
    shared_url_fixture,  # noqa: F401 - the fixture shared_url
    shown,
    team_sandbox_fixture,  # noqa: F401 - the fixture team_sandbox
    two_graphs_fixture,  # noqa: F401 - the fixture two_graphs
)
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import PostState

SECOND_MS = 1000  # the promise: another window's edit shows within a second


def test_an_edit_in_one_window_shows_in_the_other_within_a_second(
        qtbot: QtBot, two_graphs: tuple[AppGraph, AppGraph], videos: VideoFactory) -> None:
    here, there = two_graphs
    assert here.paths.data_dir != there.paths.data_dir  # two computers' data folders
    account = add_account(here)
    video = videos.get()
    now = int(time.time())
    draft = add_post(here, account, video, None, caption="draft to schedule")
    other = add_post(here, account, video, now + 5 * HOUR, caption="stays")
    alice = open_window(qtbot, here)
    bob = open_window(qtbot, there)
    assert alice.database_watch.server is not None  # waited on, not polled
    assert not alice.database_watch.timer.isActive()
    assert set(shown(bob)) == {draft.id, other.id}
    alice.schedule_pane.actions.confirm = lambda _title, _text: True

    # Schedule the draft in Alice's window: Bob's shows it scheduled at that time.
    due = now + 2 * HOUR
    assert alice.schedule_pane.actions.move(shown(alice)[draft.id], due)
    qtbot.waitUntil(lambda: shown(bob)[draft.id].state is PostState.SCHEDULED,
                    timeout=SECOND_MS)
    assert shown(bob)[draft.id].due_at == due
    assert bob.summary.text().startswith("2 scheduled")

    # Move it in Bob's window: Alice's follows (both ways).
    later = now + 7 * HOUR
    assert bob.schedule_pane.actions.move(shown(bob)[draft.id], later)
    qtbot.waitUntil(lambda: shown(alice)[draft.id].due_at == later, timeout=SECOND_MS)
    assert list(shown(alice)) == [other.id, draft.id]  # sorted again by the new time

    # Delete it in Alice's window: it leaves Bob's.
    alice.schedule_pane.select_post(draft.id)
    alice.schedule_pane.actions.delete()
    # (the count first: the list reads its rows lazily, and this one is gone)
    qtbot.waitUntil(lambda: bob.schedule_pane.proxy.rowCount() == 1, timeout=SECOND_MS)
    assert list(shown(bob)) == [other.id]
    assert bob.summary.text().startswith("1 scheduled")


def test_a_commit_by_a_program_elsewhere_shows_too(
        qtbot: QtBot, two_graphs: tuple[AppGraph, AppGraph], videos: VideoFactory) -> None:
    """Any writer on the schedule (a runner, the command line) is seen, not only windows."""
    here, there = two_graphs
    account = add_account(here)
    alice = open_window(qtbot, here)
    with qtbot.waitSignal(alice.database_watch.changed, timeout=SECOND_MS):
        post = add_post(there, account, videos.get(), int(time.time()) + HOUR)
    qtbot.waitUntil(lambda: post.id in shown(alice), timeout=SECOND_MS)
