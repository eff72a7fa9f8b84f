"""Connect a TikTok account: the consent page opens in the system browser while we wait."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.accounts import AccountsService, ConnectAttempt, ConnectResult
from tiktok_desktop.services.loopback_errors import LoopbackCancelled
from tiktok_desktop.store import Account
from tiktok_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class ConnectDialog(QDialog):
    """Shows what is happening, the URL with Copy/Open, and Cancel. Emits ``connected``."""

    connected = Signal(object)  # ConnectResult
    url_ready = Signal(str)

    def __init__(self, accounts: AccountsService, runner: TaskRunner,
                 open_url: Callable[[str], bool], *, sandbox: bool = False,
                 reconnecting: Account | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.reconnecting = reconnecting
        self.runner = runner
        self.open_url = open_url
        self.attempt: ConnectAttempt | None = None
        self.result_value: ConnectResult | None = None
        self._cancel = threading.Event()
        self.setWindowTitle(f"Reconnect {reconnecting.label}" if reconnecting
                            else "Connect a TikTok account")
        self.setMinimumWidth(560)

        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status)
        hint = ("This is the built-in sandbox: pick a test user on its consent page."
                if sandbox else
                "Log in on TikTok's page and press Authorize. The app never sees your password.")
        if reconnecting is not None:
            # The browser may still be signed in as another TikTok user: say whom to pick.
            hint += f" Sign in as {reconnecting.label} there."
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        url_row = QHBoxLayout()
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        url_row.addWidget(self.url)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_url)
        url_row.addWidget(self.copy_button)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_in_browser)
        url_row.addWidget(self.open_button)
        layout.addLayout(url_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.retry_button = QPushButton("Try again")
        self.retry_button.clicked.connect(self.start)
        self.retry_button.hide()
        buttons.addWidget(self.retry_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)

    def start(self) -> None:
        """Bind the receiver, open the browser, wait in the background."""
        self.retry_button.hide()
        self._cancel = threading.Event()
        try:
            self.attempt = self.accounts.start_connect(self.reconnecting)
        except Exception as exc:  # vault missing, port in use, bad redirect URI
            self._fail(str(exc))
            return
        url = self.attempt.authorize_url
        self.url.setText(url)
        self.url.setCursorPosition(0)
        if self.open_url(url):
            self.status.setText("Waiting for you to authorize the app in your browser…")
        else:
            self.status.setText(
                "Could not open a browser here. Copy this address into a browser on this "
                "computer, authorize the app there, and this window will continue by itself."
            )
        self.url_ready.emit(url)
        attempt, cancel = self.attempt, self._cancel
        self.runner.submit(lambda: self.accounts.finish_connect(attempt, cancel),
                           self._done, self._error)

    def copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url.text())
        self.status.setText("Address copied. Paste it into your browser to continue.")

    def open_in_browser(self) -> None:
        if self.url.text() and not self.open_url(self.url.text()):
            self.status.setText("Could not open a browser: copy the address instead.")

    def cancel(self) -> None:
        self._cancel.set()
        self.reject()

    def _done(self, result: ConnectResult) -> None:
        self.result_value = result
        self.connected.emit(result)
        self.accept()

    def _error(self, exc: BaseException) -> None:
        if isinstance(exc, LoopbackCancelled):
            return
        log.info("connect failed: %s", exc)
        self._fail(str(exc))

    def _fail(self, message: str) -> None:
        self.status.setText(message)
        self.retry_button.show()
