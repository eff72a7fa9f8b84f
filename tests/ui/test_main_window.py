from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from tests.conftest import MemoryKeyring
from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, build, decide_mode
from tiktok_desktop.ui.models import ROW_ROLE
from tiktok_desktop.ui.settings_dialog import SettingsDialog


def test_empty_state_tells_the_user_what_to_do_first(qtbot: QtBot, graph: AppGraph) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    window.show()
    assert window.accounts_pane.empty.isVisible()
    assert not window.accounts_pane.view.isVisible()
    assert window.schedule_pane.stack.currentWidget() is window.schedule_pane.empty_page
    assert "Add account" in window.accounts_pane.empty.text()
    assert window.accounts_pane.add_button.isEnabled()
    assert not window.accounts_pane.disconnect_button.isEnabled()
    assert "drag" in window.schedule_pane.empty.text().lower()
    assert window.summary.text() == "0 scheduled · Sandbox: nothing reaches TikTok"


def test_seeded_window_shows_tables(qtbot: QtBot, seeded: AppGraph, tmp_path: Path) -> None:
    window = main_window(seeded)
    qtbot.addWidget(window)
    window.show()
    assert window.accounts_pane.view.isVisible()
    assert not window.accounts_pane.empty.isVisible()
    assert window.schedule_pane.stack.currentWidget() is window.schedule_pane.view
    assert window.schedule_pane.view.model().rowCount() == 4
    # Sorted by due time with the draft last, as the user sees it.
    view_model = window.schedule_pane.view.model()
    names = [window.schedule_pane.proxy.data(view_model.index(r, 0), ROW_ROLE).video_path
             for r in range(4)]
    assert names == ["/videos/f.mp4", "/videos/soon.mp4", "/videos/late.mp4", "/videos/draft.mov"]
    assert window.summary.text().startswith("2 scheduled · 1 needs your attention")
    shot = tmp_path / "main.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 5000


def test_sandbox_mode_is_visible(qtbot: QtBot, graph: AppGraph) -> None:
    assert graph.sandbox  # no credentials configured in tests
    assert "sandbox" in graph.paths.data_dir.parts
    window = main_window(graph)
    qtbot.addWidget(window)
    assert window.windowTitle() == "Sandbox — TikTok Desktop"
    assert "Sandbox" in window.summary.text()


def test_real_credentials_leave_sandbox_mode(qtbot: QtBot,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOK_CLIENT_KEY", "real-key")
    monkeypatch.setenv("TIKTOK_CLIENT_SECRET", "real-secret-value")
    mode = decide_mode(paths.resolve())
    assert not mode.sandbox
    real = build(mode)
    try:
        assert real.sandbox_server is None
        assert real.endpoints.api_base == "https://open.tiktokapis.com"
        window = main_window(real)
        qtbot.addWidget(window)
        assert "Sandbox" not in window.windowTitle()
        assert "Sandbox" not in window.summary.text()
    finally:
        real.close()


def test_menus_have_the_promised_entries(qtbot: QtBot, graph: AppGraph) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    texts = [a.text().replace("&", "") for m in window.menuBar().actions()
             for a in m.menu().actions() if not a.isSeparator()]
    assert texts == ["Add videos…", "Import CSV…", "Export schedule as CSV…",
                     "Caption templates and hashtag sets…", "Settings…", "Open data folder",
                     "View log", "Quit",
                     "Add account…", "Reconnect", "Refresh info", "Disconnect…",
                     "Queue times…", "Statistics…", "About TikTok Desktop"]
    assert [m.text().replace("&", "") for m in window.menuBar().actions()] == [
        "File", "Accounts", "Help"]


def test_videos_from_drop_or_second_launch(qtbot: QtBot, graph: AppGraph,
                                           tmp_path: Path) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    video = tmp_path / "clip.MP4"
    other = tmp_path / "notes.txt"
    with qtbot.waitSignal(window.videos_opened) as blocker:
        window.open_videos([str(video), str(other)])
    assert blocker.args == [[str(video)]]
    assert "Not added: notes.txt. TikTok takes videos in MP4, MOV or WebM" in \
        window.statusBar().currentMessage()
    assert window.isVisible()

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.videos_opened) as blocker:
        window.dropEvent(drop)
    assert blocker.args == [[str(video)]]


def test_close_saves_layout(qtbot: QtBot, graph: AppGraph) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    window.show()
    window.resize(900, 520)
    window.close()
    saved = json.loads(graph.settings_store.path.read_text())
    assert saved["window_geometry"]
    assert stat.S_IMODE(graph.settings_store.path.stat().st_mode) == 0o600

    again = main_window(graph)
    qtbot.addWidget(again)
    # The offscreen screen is 800 px wide: Qt fits a restored window onto the screen.
    screen = again.screen().availableGeometry().width()
    assert again.size().height() == 520
    assert again.size().width() == min(900, screen) or again.size().width() >= screen - 10


def test_settings_dialog_keeps_secret_out_of_files(
    qtbot: QtBot, graph: AppGraph, memory_keyring: MemoryKeyring
) -> None:
    dialog = SettingsDialog(graph.settings_store, graph.settings, graph.app_vault,
                            graph.credentials())
    qtbot.addWidget(dialog)
    dialog.client_key.setText("  my-client-key ")
    dialog.client_secret.setText("super-secret-value-123")
    dialog.grace.setValue(30)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    text = graph.settings_store.path.read_text()
    assert "my-client-key" in text
    assert "super-secret-value-123" not in text
    assert memory_keyring.entries[(graph.app_vault.service, "client-secret")] == \
        "super-secret-value-123"
    creds = graph.credentials()
    assert creds.configured
    assert creds.sources == {"client_key": "settings", "client_secret": "keyring",
                             "redirect_uri": "default"}
    assert json.loads(text)["late_grace_minutes"] == 30


def test_settings_dialog_rejects_a_non_loopback_redirect(
    qtbot: QtBot, graph: AppGraph, monkeypatch: object
) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",  # type: ignore[attr-defined]
                        lambda _p, _t, text: shown.append(text))
    dialog = SettingsDialog(graph.settings_store, graph.settings, graph.app_vault,
                            graph.credentials())
    qtbot.addWidget(dialog)
    dialog.redirect_uri.setText("http://example.com:8080/callback/")
    dialog.save()
    assert shown and "must point at this computer" in shown[0]
    assert not graph.settings_store.path.exists()  # nothing saved


def test_settings_test_button_checks_the_sandbox(qtbot: QtBot, graph: AppGraph) -> None:
    from tiktok_desktop.ui.tasks import TaskRunner

    runner = TaskRunner()
    dialog = SettingsDialog(graph.settings_store, graph.settings, graph.app_vault,
                            graph.credentials(), tester=graph.tester, runner=runner,
                            sandbox=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.test_button.isVisible() and not dialog.test_result.isVisible()
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("✔"))
    assert "built-in sandbox" in dialog.test_result.text()
    assert dialog.test_button.isEnabled()

    dialog.client_key.setText(graph.credentials_in_use.client_key)
    dialog.client_secret.setText("not-the-secret")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_result.text().startswith("✘"))
    assert "did not accept this client key and secret" in dialog.test_result.text()
    assert not graph.settings_store.path.exists()  # testing saves nothing
    runner.shutdown()


def test_settings_without_a_tester_has_no_test_button(qtbot: QtBot, graph: AppGraph) -> None:
    dialog = SettingsDialog(graph.settings_store, graph.settings, graph.app_vault,
                            graph.credentials())
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.test_button.isVisible()


def test_credentials_from_a_dotenv_file_show_in_the_status_bar(qtbot: QtBot) -> None:
    Path(".env").write_text("TIKTOK_CLIENT_KEY=awdotenvkey\nTIKTOK_CLIENT_SECRET=s3cr3t\n")
    graph = build(decide_mode(paths.resolve()), system=quiet_system())
    try:
        window = main_window(graph)
        qtbot.addWidget(window)
        message = window.statusBar().currentMessage()
        assert message.startswith("Using the TikTok app set in the .env file in ")
        assert "awdotenvkey" in message and "s3cr3t" not in message
    finally:
        graph.close()
