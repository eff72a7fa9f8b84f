"""Small dialogs: the log viewer and About."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop import APP_DISPLAY_NAME, __version__
from tiktok_desktop.logging_setup import TAIL


class LogDialog(QDialog):
    """The recent log (already redacted) with a way to the full files."""

    def __init__(self, log_file: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Log")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        where = QLabel(f"Full log: {log_file}" if log_file else "File logging is off.")
        where.setTextInteractionFlags(where.textInteractionFlags()
                                      | where.textInteractionFlags().TextSelectableByMouse)
        layout.addWidget(where)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        refresh = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        refresh.clicked.connect(self.reload)
        if log_file is not None:
            folder = buttons.addButton("Open log folder", QDialogButtonBox.ButtonRole.ActionRole)
            folder.clicked.connect(
                lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file.parent)))
            )
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        self.text.setPlainText(TAIL.text() or "(nothing logged yet)")
        self.text.moveCursor(QTextCursor.MoveOperation.End)


def about_text(data_dir: Path, sandbox: bool) -> str:
    mode = "<p><b>Sandbox mode</b>: talking to the built-in TikTok emulator.</p>" if sandbox else ""
    return (
        f"<h3>{APP_DISPLAY_NAME} {__version__}</h3>"
        "<p>Schedule TikTok video posts from your desktop, without a server. Videos are "
        "uploaded straight from this computer to TikTok at their due time.</p>"
        f"{mode}"
        f"<p>Data folder: <code>{data_dir}</code></p>"
        f"<p>Python {sys.version.split()[0]}, Qt {qVersion()}, PySide6 {pyside_version}</p>"
        "<p>Not affiliated with or endorsed by TikTok.</p>"
    )


def show_about(parent: QWidget, data_dir: Path, sandbox: bool) -> None:
    QMessageBox.about(parent, f"About {APP_DISPLAY_NAME}", about_text(data_dir, sandbox))
