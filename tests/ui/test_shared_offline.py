"""A window whose shared schedule's server goes away (issue 20): it stays open, read-only, with
a banner that says what happened and what to do; what needs the database is disabled with the
reason in its tooltip; an open composer keeps what was typed and says it could not save; and
when the server is back everything comes back by itself. The server is really stopped
(its clients cut off) and started again. Pictures of the window meanwhile, light and dark,
go under TIKTOK_SHOTS (default /work/notes/shots)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette
from tests.helpers.postgres import HOST, PgServer, start_server, stop_server
from tests.helpers.shared_schedule import pause, resume
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect, ready
from tests.ui.shared_support import (
    HOUR,
    add_post,
    create_team,
    member_graph,
    open_window,
    shown,
    team_sandbox_fixture,  # noqa: F401 - the fixture team_sandbox
)
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store import PostsRepo
from tiktok_desktop.ui.composer_deps import CAPS_UNKNOWN, NOT_SAVED, QUEUE_UNKNOWN

SHOTS = Path(os.environ.get("TIKTOK_SHOTS", "/work/notes/shots"))
GONE_MS = 5_000  # the watch's connection breaks as the server stops: noticed at once
BACK_MS = 15_000  # it tries again every second; a server starts in about a second


@pytest.fixture
def own_server() -> Iterator[PgServer]:
    server = start_server()  # its own: this test stops it
    yield server
    stop_server(server)


@pytest.fixture
def graph_on_it(tmp_path: Path, own_server: PgServer,
                team_sandbox: SandboxServer) -> Iterator[AppGraph]:
    home = tmp_path / "alice"
    create_team(home, team_sandbox, own_server.url(own_server.new_database()))
    graph = member_graph(home, team_sandbox)
    yield graph
    graph.close()


def only_the_pools_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """The connection pool says in the log that it could not connect while the server was
    away (expected here); nothing else may have warned."""
    unexpected = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
                  and not r.name.startswith("psycopg.pool")]
    assert unexpected == []
    caplog.clear()


def test_the_window_stays_open_read_only_and_recovers_by_itself(
        qtbot: QtBot, own_server: PgServer, graph_on_it: AppGraph, videos: VideoFactory,
        caplog: pytest.LogCaptureFixture) -> None:
    graph = graph_on_it
    account = connect(graph)  # a sandbox account, signed in the way the browser does it
    video = videos.get()
    post = add_post(graph, account, video, int(time.time()) + 2 * HOUR, caption="before")
    window = open_window(qtbot, graph)
    pane = window.schedule_pane
    pane.select_post(post.id)
    actions = pane.actions
    assert actions.act_delete.isEnabled() and not window.banner.isVisible()
    delete_tip = actions.act_delete.toolTip()
    add_tip = window.accounts_pane.add_button.toolTip()
    composer = ready(qtbot, window.compose(post.video_path, post=post))
    composer.caption.setText("typed while the server was away")

    pause(own_server)
    qtbot.waitUntil(window.banner.isVisible, timeout=GONE_MS)
    banner = window.banner.body.text()
    assert f"tester@{HOST}:{own_server.port}/" in banner  # which database
    assert "does not answer" in banner and "reconnects by itself" in banner  # what happened
    assert "Check that the server runs" in banner  # what to do
    assert window.isVisible()  # open, showing what it had
    assert list(shown(window)) == [post.id]
    SHOTS.mkdir(parents=True, exist_ok=True)
    for palette in ("light", "dark"):  # what a person sees, to look at
        with app_palette(palette) as colours:
            backdrop = colours.color(QPalette.ColorRole.Window)
            qtbot.waitUntil(lambda c=backdrop: window.banner.palette().color(
                QPalette.ColorRole.Window) == c)
            qtbot.waitUntil(lambda: window.banner.body.height()
                            >= window.banner.body.heightForWidth(window.banner.body.width()))
            assert window.grab().save(str(SHOTS / f"window-unreachable-{palette}.png"))

    # What needs the database is disabled, and says why.
    reason = window.read_only.reason
    assert "cannot be reached" in reason
    for act in (actions.act_delete, actions.act_reschedule, actions.act_edit,
                window.act_add_videos, window.accounts_pane.act_add):
        assert not act.isEnabled() and act.toolTip() == reason, act.text()
    assert not window.accounts_pane.add_button.isEnabled()
    assert window.accounts_pane.add_button.toolTip() == reason
    # Filtering and other views would read the database: out of use too, saying why.
    for widget in (pane.filters, pane.mode_buttons["week"], pane.calendar.next_button):
        assert not widget.isEnabled() and widget.toolTip() == reason
    # A new selection does not bring them back, nor ask the database (the row as read).
    pane.select_post(None)
    pane.select_post(post.id)
    assert not actions.act_delete.isEnabled() and actions.act_delete.toolTip() == reason
    assert not actions.move(post, post.due_at + HOUR)  # a calendar drag: refused, said
    assert reason in pane.notice_text()
    # Videos handed over now are not opened into a post that could not be kept.
    window.open_videos([str(video)])
    assert window.composers == [composer]
    assert window.statusBar().currentMessage() == reason

    # The open composer keeps what was typed and says it could not save.
    composer.caption.setText("typed while the server was away")  # typing reads nothing
    assert composer.caps_line.items() == [CAPS_UNKNOWN]
    composer.when_queue.setChecked(True)  # the queue's times are in the database: said
    assert QUEUE_UNKNOWN in composer.problems.items()
    assert not composer.publish.isEnabled()
    composer.when_at.setChecked(True)
    composer.submit()
    qtbot.waitUntil(lambda: bool(composer.problems.items()), timeout=GONE_MS)
    assert composer.problems.items() == [NOT_SAVED]
    assert composer.isVisible() and composer.publish.isEnabled()
    assert composer.caption.text() == "typed while the server was away"

    resume(own_server)
    qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=BACK_MS)
    assert window.read_only.reason == "" and actions.read_only == ""
    assert actions.act_delete.isEnabled() and actions.act_delete.toolTip() == delete_tip
    assert window.act_add_videos.isEnabled()
    assert pane.filters.isEnabled() and pane.mode_buttons["week"].isEnabled()
    assert window.accounts_pane.add_button.isEnabled()
    assert window.accounts_pane.add_button.toolTip() == add_tip
    assert "back" in window.statusBar().currentMessage()

    # Saving again works: nothing was lost on the way.
    with qtbot.waitSignal(composer.posted, timeout=BACK_MS):
        composer.submit()
    saved = PostsRepo(graph.db).get(post.id)
    assert saved is not None and saved.caption == "typed while the server was away"
    qtbot.waitUntil(lambda: shown(window)[post.id].caption == saved.caption,
                    timeout=BACK_MS)
    only_the_pools_warnings(caplog)
