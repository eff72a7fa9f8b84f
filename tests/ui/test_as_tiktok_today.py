"""Issue 15 in the window, against the in-process sandbox and the engine on its thread: a post
"Published, waiting for TikTok's review" until its link comes, the accounts pane's line (sign-in
end, TikTok's caps, an unaudited app), the composer's cap line and unaudited defaults, and the
Settings dialog's note. The words come from services/standing.py and domain/ (tested there)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import open_window
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, Runtime, build, decide_mode
from tiktok_desktop.domain import audit
from tiktok_desktop.engine import EngineConfig
from tiktok_desktop.engine.listener import NoticeKind
from tiktok_desktop.store import Account, ClientStatusRepo, PostMode, PostState
from tiktok_desktop.ui.composer import Composer
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.models import ROW_ROLE
from tiktok_desktop.ui.settings_dialog import SettingsDialog
from tiktok_desktop.ui.worker import EngineWorker


def connect(graph: AppGraph, username: str = "sandbox_creator") -> Account:
    assert graph.sandbox_server is not None
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url, user=graph.sandbox_server.user(username).open_id)
    return graph.accounts.finish_connect(attempt).account


@pytest.fixture
def videos(tmp_path: Path) -> VideoFactory:
    (tmp_path / "videos").mkdir()
    return VideoFactory(tmp_path / "videos")


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    with open_window(qtbot, graph, active=False) as win:
        yield win


def open_ready(qtbot: QtBot, window: MainWindow, path: Path) -> Composer:
    composer = window.compose(str(path))
    qtbot.waitUntil(lambda: composer.creator is not None and composer.video is not None)
    return composer


def state_cell(window: MainWindow, row: int = 0,
               role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> str:
    model = window.schedule_pane.model
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal) == "State")
    return str(model.data(model.index(row, column), role))


def test_a_public_post_shows_its_review_then_its_link(qtbot: QtBot, videos: VideoFactory) -> None:
    # The sandbox reviews for 2 s and the engine checks back every second (30 s in the app).
    config = EngineConfig(review_delays=(1.0,))
    graph = build(decide_mode(paths.resolve()), runtime=Runtime(engine_config=config))
    worker = EngineWorker(graph.engine)
    try:
        assert graph.sandbox_server is not None
        graph.sandbox_server.control.configure(moderation_seconds=2.0)
        connect(graph)
        win = main_window(graph, open_url=lambda _u: False, engine=worker)
        qtbot.addWidget(win)
        worker.start()
        composer = open_ready(qtbot, win, videos.get(seconds=2.0))
        composer.privacy.setCurrentIndex(composer.privacy.findData("PUBLIC_TO_EVERYONE"))
        composer.when_now.setChecked(True)
        with qtbot.waitSignal(worker.notice, timeout=60000,
                              check_params_cb=lambda n: n.kind is NoticeKind.PUBLISHED):
            qtbot.mouseClick(composer.publish, Qt.MouseButton.LeftButton)
        pane = win.schedule_pane
        qtbot.waitUntil(lambda: pane.model.rowCount() == 1
                        and pane.model.post(0).state is PostState.IN_REVIEW)
        assert state_cell(win) == "In TikTok's review"  # a few words; the sentence on hover
        assert state_cell(win, role=Qt.ItemDataRole.ToolTipRole) == \
            "Published, waiting for TikTok's review"
        post = pane.model.post(0)
        pane.select_post(post.id)
        assert not pane.actions.act_open.isEnabled()
        assert "once its review is done" in pane.actions.act_open.toolTip()
        # The link comes without anyone doing anything.
        qtbot.waitUntil(lambda: pane.model.post(0).state is PostState.PUBLISHED, timeout=30000)
        done = pane.model.post(0)
        assert state_cell(win) == "Published" and done.share_url and done.post_ids
        pane.select_post(done.id)
        assert pane.actions.act_open.isEnabled()
    finally:
        assert worker.stop()
        graph.close()


def test_the_accounts_line_shows_the_sign_in_end_and_the_caps(
        qtbot: QtBot, graph: AppGraph, window: MainWindow) -> None:
    account = connect(graph)
    window.refresh()
    pane = window.accounts_pane
    assert not pane.details.isVisibleTo(pane)  # nothing selected
    pane.view.selectRow(0)
    assert pane.details.isVisibleTo(pane)
    assert account.refresh_expires_at is not None
    expected = graph.standing.account_summary(account)
    assert pane.details.text() == expected
    assert "Signed in until" in expected and "0 of about 15 posts" in expected


def test_an_unaudited_app_is_said_and_new_posts_start_from_what_works(
        qtbot: QtBot, graph: AppGraph, window: MainWindow, videos: VideoFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    public = connect(graph, "sandbox_creator")
    private = connect(graph, "sandbox_private")
    ClientStatusRepo(graph.db).set_unaudited(graph.credentials_in_use.client_key,
                                             int(time.time()))
    window.refresh()
    # The composer: the public account starts with the inbox, the private one with Only me.
    composer = open_ready(qtbot, window, videos.get())
    composer.account.setCurrentIndex(composer._account_index(public.id))
    qtbot.waitUntil(lambda: composer.creator is not None
                    and composer.creator.username == "sandbox_creator")
    assert composer.inbox.isChecked()
    assert composer.audit_line.isVisibleTo(composer)
    assert composer.audit_line.text() == audit.advice(
        composer.creator.privacy_level_options, public.granted_scopes).sentence
    assert "11 other" not in " ".join(composer.caps_line.items())
    assert " ".join(composer.caps_line.items()).endswith("TikTok allows 5 in 24 hours.")
    composer.account.setCurrentIndex(composer._account_index(private.id))
    qtbot.waitUntil(lambda: composer.creator is not None
                    and composer.creator.username == "sandbox_private")
    assert composer.direct.isChecked()
    assert composer.privacy.currentData() == "SELF_ONLY"
    assert "“Only me” on a private account" in composer.audit_line.text()
    assert composer.caps_line.items() == ["This account has no other posts in the 24 hours "
                                          "up to this one; TikTok allows about 15."]
    assert composer.publish.isEnabled()  # what it starts from can be sent as it is
    # The user's own choice stands: a click on a mode is not undone by a later default.
    composer.inbox.click()
    composer.account.setCurrentIndex(composer._account_index(public.id))
    qtbot.waitUntil(lambda: composer.creator is not None
                    and composer.creator.username == "sandbox_creator")
    assert composer.inbox.isChecked()
    # The accounts pane says it for the selected account.
    pane = window.accounts_pane
    proxy = pane.view.model()
    rows = [proxy.data(proxy.index(r, 0), ROW_ROLE) for r in range(proxy.rowCount())]
    pane.view.selectRow(next(i for i, a in enumerate(rows) if a.id == public.id))
    assert pane.selected() is not None and pane.selected().id == public.id  # type: ignore[union-attr]
    assert audit.account_note(False) in pane.details.text()
    # And Settings says it, with the remedy.
    shown: list[SettingsDialog] = []
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: shown.append(self) or 0)
    window.open_settings()
    [dialog] = shown
    assert dialog.audit_note.isVisibleTo(dialog)
    assert dialog.audit_note.text() == graph.standing.settings_note()
    assert "developers.tiktok.com" in dialog.audit_note.text()
    dialog.close()


def test_without_an_unaudited_mark_nothing_is_preset(
        qtbot: QtBot, graph: AppGraph, window: MainWindow, videos: VideoFactory) -> None:
    connect(graph, "sandbox_private")
    composer = open_ready(qtbot, window, videos.get())
    assert not composer.audit_line.isVisibleTo(composer)
    assert composer.privacy.currentIndex() == -1  # UX-05: the user chooses
    assert composer.form().mode is PostMode.DIRECT
