"""The background service from the window (issue 17): Settings' "Post even when the app is
closed" installs and removes it, the status bar says whether it runs and what it last did,
and quitting with posts to come offers it (and asks nothing while it runs).

The unit file is the real one, written into the test's home; systemctl is a FakeRunner (no
service manager here; tests/system/test_service_done.py runs a real systemd user instance).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox
from pytestqt.qtbot import QtBot

from tests.helpers.commands import FakeRunner, failed, ok
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import key, show_active
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account, NewPost
from tiktok_desktop.system.service_linux import UNIT_NAME, SystemdUserService
from tiktok_desktop.system.service_log import service_log_path
from tiktok_desktop.system.texts import SERVICE_TOGGLE
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the Linux service (systemd user unit) is driven here")

RUNNING = ("ActiveState=active\nSubState=running\nMainPID=4242\nResult=success\n"
           "UnitFileState=enabled\n")


@pytest.fixture
def systemctl() -> FakeRunner:
    runner = FakeRunner()
    runner.answer(["systemctl", "--user", "show"], ok(RUNNING))
    return runner


@pytest.fixture
def service(graph: AppGraph, systemctl: FakeRunner) -> SystemdUserService:
    svc = SystemdUserService(runner=systemctl)  # this test's home and data folder
    graph.system = dataclasses.replace(graph.system, service=svc)
    return svc


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, service: SystemdUserService,
           account: Account) -> Iterator[MainWindow]:
    win = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(win)
    show_active(qtbot, win)
    watch = win.service_watch
    assert watch is not None
    qtbot.waitUntil(lambda: watch.status is not None)  # asked off the GUI thread at start
    yield win


def _settings(qtbot: QtBot, window: MainWindow) -> SettingsDialog:
    dialog = window.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    box = dialog.service_box
    assert box is not None
    qtbot.waitUntil(box.toggle.isEnabled)
    return dialog


def _schedule(graph: AppGraph, account: Account, videos: VideoFactory) -> None:
    graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=int(time.time()) + 3600, due_tz="UTC"))


def _button(box: QMessageBox, text: str) -> QAbstractButton:
    return next(b for b in box.buttons() if b.text() == text)


def _quit_keys(qtbot: QtBot, window: MainWindow) -> None:
    show_active(qtbot, window)
    key(qtbot, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


def test_settings_installs_the_service_and_removes_every_trace(
        qtbot: QtBot, window: MainWindow, service: SystemdUserService,
        systemctl: FakeRunner) -> None:
    line = window.findChild(object, "serviceLine")
    assert line is not None and not line.isVisible()  # nothing installed: nothing to say
    dialog = _settings(qtbot, window)
    box = dialog.service_box
    assert box is not None
    assert box.toggle.text() == SERVICE_TOGGLE and not box.toggle.isChecked()
    assert box.state_line.text().startswith("Not installed: scheduled posts go out only while")
    assert "administrator rights" in box.wake_line.text()  # Linux: no wake timer without root
    assert not box.show_log.isEnabled()  # no log yet

    with qtbot.waitSignal(box.changed, timeout=10000):
        box.toggle.click()
    unit = service.unit_path
    assert unit.is_file() and unit.name == UNIT_NAME
    exec_start = next(li for li in unit.read_text().splitlines() if li.startswith("ExecStart="))
    # The sandbox chosen because no credentials are set: the service decides the same way.
    assert " run --log-file " in exec_start and "--sandbox" not in exec_start
    assert ("systemctl", "--user", "enable", UNIT_NAME) in systemctl.calls
    assert box.toggle.isChecked() and box.toggle.isEnabled()
    assert box.state_line.text().startswith("Background service: running.")
    # The window says so too, with the lingering advice in its tooltip.
    assert line.isVisible() and line.text() == "Background service: running."
    assert "loginctl enable-linger" in line.toolTip()

    service_log_path().parent.mkdir(parents=True, exist_ok=True)
    service_log_path().write_text("2026-12-04 09:00:03,120 INFO    post 7: published\n")
    window.service_watch.check()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: line.text() == "Background service: running. Last: post 7: "
                    "published (2026-12-04 09:00:03)")

    with qtbot.waitSignal(box.changed, timeout=10000):
        box.toggle.click()
    assert not unit.exists() and not service_log_path().exists()
    assert ("systemctl", "--user", "disable", "--now", UNIT_NAME) in systemctl.calls
    assert not box.toggle.isChecked()
    assert box.state_line.text().startswith("Not installed")
    assert not line.isVisible()


def test_a_refused_install_leaves_nothing_and_says_why(
        qtbot: QtBot, window: MainWindow, service: SystemdUserService,
        systemctl: FakeRunner) -> None:
    systemctl.answer(["systemctl", "--user", "enable"], failed(
        "Failed to connect to bus: No medium found"))
    dialog = _settings(qtbot, window)
    box = dialog.service_box
    assert box is not None
    box.toggle.click()
    qtbot.waitUntil(box.toggle.isEnabled)
    assert not box.toggle.isChecked()  # back to what the OS has
    assert "systemd did not accept the service" in box.state_line.text()
    assert "No medium found" in box.state_line.text()
    assert not service.unit_path.exists()


def test_quitting_with_posts_to_come_offers_the_service_then_quits(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        videos: VideoFactory, service: SystemdUserService) -> None:
    _schedule(graph, account, videos)
    window.refresh()
    window.tray.available = False
    _quit_keys(qtbot, window)
    box = window.quit_question
    assert box is not None and box.isVisible()
    assert "install the background service" in box.informativeText()
    assert sorted(b.text() for b in box.buttons()) == ["Cancel", "Install the service and quit",
                                                       "Quit anyway"]
    assert box.defaultButton().text() == "Cancel"  # installing is asked for, never assumed
    qtbot.mouseClick(_button(box, "Install the service and quit"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._quitting, timeout=10000)
    assert service.unit_path.is_file()


def test_a_failed_install_at_quit_keeps_the_app_open(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        videos: VideoFactory, service: SystemdUserService, systemctl: FakeRunner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    systemctl.answer(["systemctl", "--user", "restart"], failed("Unit failed to start"))
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda _p, title, text: warned.append(f"{title}: {text}"))
    _schedule(graph, account, videos)
    window.refresh()
    window.tray.available = False
    _quit_keys(qtbot, window)
    box = window.quit_question
    assert box is not None
    qtbot.mouseClick(_button(box, "Install the service and quit"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(warned), timeout=10000)
    assert not window._quitting and window.isVisible()
    assert warned[0].startswith("Background service not installed: systemd did not accept")
    assert "stays open so your posts still go out" in warned[0]
    assert not service.unit_path.exists()


def test_with_the_service_running_quitting_asks_nothing(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        videos: VideoFactory, service: SystemdUserService) -> None:
    service.install([])
    watch = window.service_watch
    assert watch is not None
    watch.check()
    qtbot.waitUntil(lambda: watch.running)
    _schedule(graph, account, videos)
    window.refresh()
    _quit_keys(qtbot, window)
    assert window.quit_question is None and window._quitting
