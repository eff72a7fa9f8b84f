"""The whole user story in the window: connect, compose, Post now, the engine publishes it on
its own thread against the sandbox, and the window and tray say so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, Runtime, build, decide_mode
from tiktok_desktop.engine import EngineConfig
from tiktok_desktop.engine.listener import NoticeKind
from tiktok_desktop.store import NewPost, PostState
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
    with qtbot.waitSignal(window.notices.timer.timeout, timeout=5000):
        pass  # the tray's message waits a second for others to go with it
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


def test_an_unconfirmed_post_is_checked_again_from_the_window(qtbot: QtBot,
                                                              tmp_path: Path) -> None:
    """TikTok does not answer in time: the post is unconfirmed, and the window's Check again
    asks TikTok once more (status only), which then confirms it; it is never sent twice."""
    # Six checks a second apart: the sandbox is kept silent for all of them.
    config = EngineConfig(poll_delays=(0.0, 1.0), poll_max_checks=6)
    graph = build(decide_mode(paths.resolve()), runtime=Runtime(engine_config=config))
    worker = EngineWorker(graph.engine)
    try:
        attempt = graph.accounts.start_connect()
        play_consent(attempt.authorize_url)
        account = graph.accounts.finish_connect(attempt).account
        win = main_window(graph, open_url=lambda _u: False, engine=worker)
        qtbot.addWidget(win)
        win.show()
        assert graph.sandbox_server is not None
        control = graph.sandbox_server.control
        control.inject_fault("/v2/post/publish/status/fetch/", "status", count=6, status=503)
        (tmp_path / "videos").mkdir()
        video = VideoFactory(tmp_path / "videos").get(seconds=2.0)
        worker.start()
        with qtbot.waitSignal(worker.notice, timeout=60000,
                              check_params_cb=lambda n: n.kind is NoticeKind.UNCONFIRMED):
            post = graph.posts.schedule_video(NewPost(
                account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
                privacy_level="SELF_ONLY", caption="Will TikTok say?",
                due_at=int(time.time()), due_tz="UTC", consent_at=int(time.time())))
        pane = win.schedule_pane
        qtbot.waitUntil(lambda: pane.model.rowCount() == 1
                        and pane.model.post(0).state is PostState.UNCONFIRMED)
        pane.select_post(post.id)
        actions = pane.actions
        assert actions.act_check.isEnabled() and not actions.act_post_now.isEnabled()
        assert "Check again" in actions.act_post_now.toolTip()
        button = actions.toolbar.widgetForAction(actions.act_check)
        with qtbot.waitSignal(worker.notice, timeout=60000,
                              check_params_cb=lambda n: n.kind is NoticeKind.PUBLISHED):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: pane.model.post(0).state is PostState.PUBLISHED)
        assert len(control.publishes()) == 1  # asked again, never sent again
        events = [e.detail for e in graph.posts.repo.events(post.id)]
        assert "Checking with TikTok again (asked by the user)." in events
    finally:
        assert worker.stop()
        graph.close()
