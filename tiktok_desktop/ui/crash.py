"""Crash handling: uncaught exceptions open a dialog with copyable details; native crashes
(segfaults inside Qt) are written by faulthandler to a file in the log folder."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QtMsgType,
    QUrl,
    Signal,
    Slot,
    qInstallMessageHandler,
)
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop import APP_DISPLAY_NAME, __version__
from tiktok_desktop.logging_setup import REDACTOR, TAIL
from tiktok_desktop.paths import touch_private
from tiktok_desktop.store.db import DatabaseUnreachable
from tiktok_desktop.ui.titles import window_title

log = logging.getLogger(__name__)


def crash_report(exc_type: type[BaseException], exc: BaseException,
                 tb: TracebackType | None) -> str:
    """The details a user can paste into a bug report, secrets masked."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    recent = "\n".join(list(TAIL.lines)[-40:])
    report = (
        f"{APP_DISPLAY_NAME} {__version__}, Python {sys.version.split()[0]}, "
        f"PySide6 {pyside_version}, {sys.platform}\n\n{text}\nRecent log:\n{recent}\n"
    )
    return REDACTOR.redact(report)


class CrashDialog(QDialog):
    def __init__(self, report: str, log_dir: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(window_title("Something went wrong"))
        self.report = report
        layout = QVBoxLayout(self)
        msg = QLabel(
            "An unexpected error happened. Your schedule is saved in the database and nothing "
            "was lost. Please copy the details below into a bug report."
        )
        msg.setWordWrap(True)
        layout.addWidget(msg)
        self.details = QPlainTextEdit(report)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(640, 320)
        layout.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_details)
        if log_dir is not None:
            open_logs = buttons.addButton("Open log folder", QDialogButtonBox.ButtonRole.ActionRole)
            open_logs.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir)))
            )
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.report)


class CrashHandler(QObject):
    """Installs sys/threading excepthooks; the dialog always opens on the GUI thread."""

    crashed = Signal(str)

    def __init__(self, log_dir: Path | None, *, show_dialogs: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_dir = log_dir
        self.show_dialogs = show_dialogs
        self._fault_file: IO[str] | None = None
        self.crashed.connect(self._show)  # queued when emitted from a worker thread

    def install(self) -> None:
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        if self.log_dir is not None:
            crash_file = touch_private(self.log_dir / "crash.log")
            self._fault_file = crash_file.open("a", encoding="utf-8")
            faulthandler.enable(file=self._fault_file, all_threads=True)

    def uninstall(self) -> None:
        sys.excepthook = sys.__excepthook__
        threading.excepthook = threading.__excepthook__
        if self._fault_file is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None

    def _excepthook(self, exc_type: type[BaseException], exc: BaseException,
                    tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if isinstance(exc, DatabaseUnreachable):
            # Not a bug: a shared schedule's server went away under a read the window made.
            # Its banner says so (ui/read_only.py) and it recovers by itself; no dialog.
            log.warning("%s", exc)
            return
        log.critical("uncaught exception", exc_info=(exc_type, exc, tb))
        self.crashed.emit(crash_report(exc_type, exc, tb))

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self._excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    @Slot(str)
    def _show(self, report: str) -> None:
        if not self.show_dialogs:
            return
        CrashDialog(report, self.log_dir).exec()


# Qt's own messages go to our log (redacted, in the file) instead of bare stderr.
_QT_NOISE = (
    # The offscreen platform (self-test, headless runs) cannot do these; nothing is wrong.
    "This plugin does not support",
)
_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_qt_log = logging.getLogger("qt")


def _qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = _QT_LEVELS.get(mode, logging.WARNING)
    if message.startswith(_QT_NOISE):
        level = logging.DEBUG
    _qt_log.log(level, "%s", message)


def route_qt_messages() -> None:
    qInstallMessageHandler(_qt_message)
