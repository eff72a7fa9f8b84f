"""The whole user story in the window: connect, compose, Post now, the engine publishes it on
its own thread against the sandbox, and the window and tray say so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.engine.listener import NoticeKind
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.worker import EngineWorker


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    graph.accounts.finish_connect(attempt)
    worker = EngineWorker(graph.engine)
    win = main_window(graph, open_url=lambda _u: False, engine=worker)
    qtbot.addWidget(win)
    worker.start()
    yield win
    assert worker.stop()


def test_post_now_is_published_once_and_reported(qtbot: QtBot, window: MainWindow,
                                                 graph: AppGraph, tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    video = VideoFactory(tmp_path / "videos").get(seconds=2.0)
    composer = window.compose(str(video))
    qtbot.waitUntil(lambda: composer.creator is not None and composer.video is not None)
    composer.caption.setText("Posted from the app #sandbox")
    composer.privacy.setCurrentIndex(composer.privacy.findData("SELF_ONLY"))
    composer.when_now.setChecked(True)
    assert window.engine is not None
    with qtbot.waitSignal(window.engine.notice, timeout=60000,
                          check_params_cb=lambda n: n.kind is NoticeKind.PUBLISHED):
        qtbot.mouseClick(composer.publish, Qt.MouseButton.LeftButton)
    post = graph.posts.list_posts()[0]
    assert post.state is PostState.PUBLISHED and post.publish_id
    assert window.tray.shown[-1][0] == "Posted to TikTok"
    assert graph.sandbox_server is not None
    publishes = graph.sandbox_server.control.publishes()
    assert len(publishes) == 1 and publishes[0].status == "PUBLISH_COMPLETE"
    assert publishes[0].post_info["title"] == "Posted from the app #sandbox"
    assert publishes[0].post_info["privacy_level"] == "SELF_ONLY"
    received = graph.sandbox_server.control.received(post.publish_id)
    assert received.sha256 == post.video_sha256 and received.complete
    qtbot.waitUntil(lambda: window.schedule_pane.model.rowCount() == 1)
    # The engine's report updated the row in place (no reload of every post).
    qtbot.waitUntil(lambda: window.schedule_pane.model.post(0).state is PostState.PUBLISHED)
    states = [e.state for e in graph.posts.repo.events(post.id)]
    assert states[0] is PostState.SCHEDULED and states[-1] is PostState.PUBLISHED
    assert PostState.UPLOADING in states
