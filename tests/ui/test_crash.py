from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tiktok_desktop.store import DatabaseUnreachable
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


def test_a_shared_schedule_out_of_reach_is_no_crash(
    qtbot: QtBot, handler: CrashHandler, caplog: pytest.LogCaptureFixture
) -> None:
    """A read the window made as the server went away: one line in the log, no dialog (the
    window's banner says what happened, ui/read_only.py)."""
    crashes: list[str] = []
    handler.crashed.connect(crashes.append)
    try:
        raise DatabaseUnreachable("The shared schedule at me@db:5432/team cannot be reached.")
    except DatabaseUnreachable:
        sys.excepthook(*sys.exc_info())
    assert crashes == []
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelno == logging.WARNING and "me@db:5432/team" in record.getMessage()
    assert record.exc_info is None  # no traceback: it is not a bug
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
