"""Closing to the tray, the tray's next-due line and Quit; start at login."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import AccountsRepo, NewPost, PostsRepo, PostState
from tiktok_desktop.system import autostart


def test_close_hides_to_the_tray_and_explains_once(qtbot: QtBot, graph: AppGraph) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    window.tray.available = True  # offscreen Qt has no tray; pretend the desktop has one
    window.show()
    window.close()
    assert not window.isVisible() and not window._quitting
    assert window.tray.shown[0][0] == "TikTok Desktop is still running"
    assert graph.settings_store.load().tray_explained
    window.show()
    window.close()
    assert len(window.tray.shown) == 1  # said once only
    window.tray.show_requested.emit()
    assert window.isVisible()


def test_quit_really_quits_and_the_setting_turns_the_tray_off(
        qtbot: QtBot, graph: AppGraph) -> None:
    window = main_window(graph)
    qtbot.addWidget(window)
    window.tray.available = True
    graph.settings.keep_running_in_tray = False
    window.show()
    window.close()
    assert not window.isVisible() and window.tray.shown == []
    other = main_window(graph)
    qtbot.addWidget(other)
    other.tray.available = True
    other.show()
    other.quit_app()
    assert other._quitting and not other.isVisible()


def test_tray_shows_the_next_due_post(qtbot: QtBot, graph: AppGraph) -> None:
    account = AccountsRepo(graph.db).upsert_connected(
        open_id="o", display_name="Mia", username="mia", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None)
    due = int(time.time()) + 3600
    PostsRepo(graph.db).create(NewPost(account_id=account.id, video_path="/v/clip.mp4",
                                     video_size=1, due_at=due, due_tz="UTC"),
                             PostState.SCHEDULED)
    window = main_window(graph)
    qtbot.addWidget(window)
    text = window.tray.act_next.text()
    assert text.startswith("Next: ") and "clip.mp4 to Mia (@mia)" in text and "UTC" in text


def test_autostart_entry(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert not autostart.is_enabled(env)
    autostart.set_enabled(True, env)
    entry = autostart.autostart_path(env)
    text = entry.read_text()
    assert entry.parent.name == "autostart" and "Exec=" in text and "--hidden" in text
    assert autostart.is_enabled(env)
    autostart.set_enabled(False, env)
    assert not entry.exists()


def _notice(kind: str, text: str) -> object:
    from tiktok_desktop.engine.listener import Notice, NoticeKind

    return Notice(NoticeKind(kind), text, 1, 1)


def test_notices_within_a_second_become_one_message(qtbot: QtBot, graph: AppGraph) -> None:
    """Tested with the gatherer's own timer, driven by the test: no sleeping."""
    window = main_window(graph)
    qtbot.addWidget(window)
    gatherer = window.notices
    for i in range(3):
        window._engine_notice(_notice("published", f"Posted “clip {i}” to Mia."))  # type: ignore[arg-type]
    assert window.tray.shown == []  # nothing flashes and replaces itself
    assert gatherer.timer.isActive() and gatherer.timer.interval() == 1000
    assert window.statusBar().currentMessage() == "Posted “clip 2” to Mia."
    gatherer.timer.timeout.emit()
    assert window.tray.shown == [("3 posts published", "Posted “clip 0” to Mia.\n"
                                  "Posted “clip 1” to Mia.\nPosted “clip 2” to Mia.")]
    assert not gatherer.timer.isActive()
    # Mixed news: counted by kind, the most first; more than three are counted, not quoted.
    for kind in ("published", "failed", "published", "published", "missed"):
        window._engine_notice(_notice(kind, f"{kind} one"))  # type: ignore[arg-type]
    gatherer.timer.timeout.emit()
    title, message = window.tray.shown[-1]
    assert title == "5 posts: 3 published, 1 failed, 1 missed"
    assert message.endswith("…and 2 more (File → View log).")
    # One alone reads as before, after the same second.
    window._engine_notice(_notice("failed", "TikTok refused “clip”."))  # type: ignore[arg-type]
    gatherer.timer.timeout.emit()
    assert window.tray.shown[-1] == ("A post failed", "TikTok refused “clip”.")
