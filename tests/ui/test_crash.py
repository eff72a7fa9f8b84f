from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tiktok_desktop.ui.crash import CrashDialog, CrashHandler


@pytest.fixture
def handler(tmp_path: Path) -> CrashHandler:
    h = CrashHandler(tmp_path, show_dialogs=False)
    h.install()
    yield h
    h.uninstall()


def test_uncaught_exception_reaches_the_gui_redacted(
    qtbot: QtBot, handler: CrashHandler, caplog: pytest.LogCaptureFixture
) -> None:
    try:
        raise RuntimeError("refresh failed for refresh_token=rft.abcdefghijklmnop")
    except RuntimeError:
        with qtbot.waitSignal(handler.crashed) as blocker:
            sys.excepthook(*sys.exc_info())
    report = blocker.args[0]
    assert "RuntimeError" in report
    assert "rft.abcdefghijklmnop" not in report
    assert "refresh_token=***" in report
    assert "TikTok Desktop" in report
    assert any(r.levelno == logging.CRITICAL for r in caplog.records)
    caplog.clear()


def test_worker_thread_exception_is_marshalled(
    qtbot: QtBot, handler: CrashHandler, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise ValueError("in a worker")

    with qtbot.waitSignal(handler.crashed) as blocker:
        t = threading.Thread(target=boom)
        t.start()
        t.join()
    assert "ValueError: in a worker" in blocker.args[0]
    caplog.clear()


def test_faulthandler_file_is_private(handler: CrashHandler, tmp_path: Path) -> None:
    crash_file = tmp_path / "crash.log"
    assert crash_file.exists()
    assert crash_file.stat().st_mode & 0o077 == 0


def test_dialog_copies_details(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = CrashDialog("Traceback: details here", tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.details.toPlainText() == "Traceback: details here"
    assert dialog.details.isReadOnly()
    dialog.copy_details()
    assert QGuiApplication.clipboard().text() == "Traceback: details here"
