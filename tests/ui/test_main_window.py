from __future__ import annotations

import json
import stat
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from tests.conftest import MemoryKeyring
from tiktok_desktop.services.context import AppContext
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.settings_dialog import SettingsDialog


def test_empty_state_tells_the_user_what_to_do_first(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.accounts_pane.stack.currentWidget() is window.accounts_pane.empty
    assert window.schedule_pane.stack.currentWidget() is window.schedule_pane.empty
    assert "connecting the TikTok account" in window.accounts_pane.empty.text()
    assert "drag videos" in window.schedule_pane.empty.text()
    assert window.statusBar().currentMessage() == "0 scheduled"
    assert "Sandbox" not in window.windowTitle()


def test_seeded_window_shows_tables(qtbot: QtBot, seeded: AppContext, tmp_path: Path) -> None:
    window = MainWindow(seeded)
    qtbot.addWidget(window)
    window.show()
    assert window.accounts_pane.stack.currentWidget() is window.accounts_pane.view
    assert window.schedule_pane.stack.currentWidget() is window.schedule_pane.view
    assert window.schedule_pane.view.model().rowCount() == 4
    # Sorted by due time with the draft last, as the user sees it.
    view_model = window.schedule_pane.view.model()
    assert view_model.index(0, 2).data() == "f.mp4"
    assert view_model.index(3, 2).data() == "draft.mov"
    assert view_model.index(1, 1).data() == "Studio North"
    assert window.statusBar().currentMessage() == "2 scheduled · 1 need your attention"
    shot = tmp_path / "main.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 5000


def test_sandbox_mode_is_visible(qtbot: QtBot, ctx: AppContext) -> None:
    ctx.sandbox = True
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.windowTitle().endswith("Sandbox")
    assert "Sandbox" in window.statusBar().currentMessage()


def test_menus_have_the_promised_entries(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    texts = [a.text().replace("&", "") for m in window.menuBar().actions()
             for a in m.menu().actions() if not a.isSeparator()]
    assert texts == ["Settings…", "Open data folder", "View log", "Quit",
                     "About TikTok Desktop"]


def test_videos_from_drop_or_second_launch(qtbot: QtBot, ctx: AppContext,
                                           tmp_path: Path) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    video = tmp_path / "clip.MP4"
    other = tmp_path / "notes.txt"
    with qtbot.waitSignal(window.videos_opened) as blocker:
        window.open_videos([str(video), str(other)])
    assert blocker.args == [[str(video)]]
    assert "Skipped 1 file" in window.statusBar().currentMessage()
    assert window.isVisible()

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(video))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.videos_opened) as blocker:
        window.dropEvent(drop)
    assert blocker.args == [[str(video)]]


def test_close_saves_layout(qtbot: QtBot, ctx: AppContext) -> None:
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    window.resize(700, 450)
    window.close()
    saved = json.loads(ctx.settings_store.path.read_text())
    assert saved["window_geometry"]
    assert stat.S_IMODE(ctx.settings_store.path.stat().st_mode) == 0o600

    again = MainWindow(ctx)
    qtbot.addWidget(again)
    assert (again.size().width(), again.size().height()) == (700, 450)


def test_settings_dialog_keeps_secret_out_of_files(
    qtbot: QtBot, ctx: AppContext, memory_keyring: MemoryKeyring
) -> None:
    dialog = SettingsDialog(ctx.settings_store, ctx.settings, ctx.vault, ctx.credentials())
    qtbot.addWidget(dialog)
    dialog.client_key.setText("  my-client-key ")
    dialog.client_secret.setText("super-secret-value-123")
    dialog.grace.setValue(30)
    dialog.save()
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    text = ctx.settings_store.path.read_text()
    assert "my-client-key" in text
    assert "super-secret-value-123" not in text
    assert memory_keyring.entries[("tiktok-desktop", "client-secret")] == "super-secret-value-123"
    creds = ctx.credentials()
    assert creds.configured
    assert creds.sources == {"client_key": "settings", "client_secret": "keyring",
                             "redirect_uri": "default"}
    assert json.loads(text)["late_grace_minutes"] == 30


def test_settings_dialog_rejects_a_non_loopback_redirect(
    qtbot: QtBot, ctx: AppContext, monkeypatch: object
) -> None:
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",  # type: ignore[attr-defined]
                        lambda _p, _t, text: shown.append(text))
    dialog = SettingsDialog(ctx.settings_store, ctx.settings, ctx.vault, ctx.credentials())
    qtbot.addWidget(dialog)
    dialog.redirect_uri.setText("https://example.com/callback/")
    dialog.save()
    assert shown and "must point at this computer" in shown[0]
    assert not ctx.settings_store.path.exists()  # nothing saved
