"""The system tray: keeps the app (and its publishing) alive when the window is closed,
shows the next due post, and carries the notifications."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

log = logging.getLogger(__name__)

ICONS = {
    "info": QSystemTrayIcon.MessageIcon.Information,
    "warning": QSystemTrayIcon.MessageIcon.Warning,
    "error": QSystemTrayIcon.MessageIcon.Critical,
}


class Tray(QObject):
    show_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip(title)
        self.title = title
        menu = QMenu(parent)
        self.act_show = QAction("Show TikTok Desktop", menu)
        self.act_show.triggered.connect(self.show_requested)
        self.act_next = QAction("Nothing scheduled", menu)
        self.act_next.setEnabled(False)
        self.act_quit = QAction("Quit", menu)
        self.act_quit.triggered.connect(self.quit_requested)
        menu.addAction(self.act_show)
        menu.addAction(self.act_next)
        menu.addSeparator()
        menu.addAction(self.act_quit)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self.shown: list[tuple[str, str]] = []  # (title, message) of notifications, newest last
        if self.available:
            self.icon.show()

    def set_next(self, text: str) -> None:
        """'Next: Mon 09:00 · clip.mp4 to @mia' in the menu and the tooltip."""
        self.act_next.setText(text)
        self.icon.setToolTip(f"{self.title}\n{text}")

    def notify(self, title: str, message: str, level: str = "info") -> None:
        self.shown.append((title, message))
        log.info("notification: %s: %s", title, message)
        if self.available and self.icon.supportsMessages():
            self.icon.showMessage(title, message, ICONS.get(level, ICONS["info"]), 10000)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
