"""The accounts pane: the connected TikTok accounts and what can be done with them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QSortFilterProxyModel, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.accounts import AccountsService, ConnectResult
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.standing import Standing
from tiktok_desktop.store import Account, AccountStatus
from tiktok_desktop.ui.connect_dialog import ConnectDialog
from tiktok_desktop.ui.models import ROW_ROLE, AccountsModel
from tiktok_desktop.ui.queue_dialog import QueueDialog
from tiktok_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class AccountsPane(QWidget):
    changed = Signal()  # accounts were added, updated or disconnected
    message = Signal(str)  # a short status line for the window

    def __init__(self, accounts: AccountsService, model: AccountsModel, view: QTableView,
                 empty: QLabel, runner: TaskRunner, open_url: Callable[[str], bool], *,
                 sandbox: bool, notes: list[str], parent: QWidget | None = None,
                 posts: PostsService | None = None, zone_name: str = "",
                 standing: Standing | None = None) -> None:
        super().__init__(parent)
        self.standing = standing
        self.posts = posts
        self.zone_name = zone_name
        self.queue_dialog: QueueDialog | None = None
        self.accounts = accounts
        self.model = model
        self.view = view
        self.empty = empty
        self.runner = runner
        self.open_url = open_url
        self.sandbox = sandbox
        self.dialog: ConnectDialog | None = None
        self.confirm: Callable[[str], bool] = self._confirm

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        title = "<b>Accounts</b>" + (" <span style='color:#c0213b'>· Sandbox</span>"
                                     if sandbox else "")
        layout.addWidget(QLabel(title))
        for note in notes:
            label = QLabel(note)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(empty)
        layout.addWidget(view)
        # The selected account's sign-in end and TikTok's caps (services/standing.py).
        self.details = QLabel()
        self.details.setObjectName("accountDetails")
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        # Two rows of buttons keep the pane narrow enough for the schedule beside it.
        row = QGridLayout()
        self.add_button = QPushButton("Add account…")
        self.add_button.clicked.connect(self.add_account)
        self.reconnect_button = QPushButton("Reconnect")
        self.reconnect_button.clicked.connect(self.add_account)
        self.refresh_button = QPushButton("Refresh info")
        self.refresh_button.clicked.connect(self.refresh_info)
        self.disconnect_button = QPushButton("Disconnect…")
        self.disconnect_button.clicked.connect(self.disconnect)
        self.queue_button = QPushButton("Queue times…")
        self.queue_button.setToolTip("Weekly times that 'Add to queue' fills, for this account")
        self.queue_button.clicked.connect(self.edit_queue)
        self.queue_button.setVisible(posts is not None)
        buttons = (self.add_button, self.reconnect_button, self.refresh_button,
                   self.disconnect_button, self.queue_button)
        for i, b in enumerate(buttons):
            row.addWidget(b, i // 3, i % 3)
        row.setColumnStretch(3, 1)
        layout.addLayout(row)
        view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def set_accounts(self, accounts: list[Account]) -> None:
        self.model.set_rows(accounts)
        self.empty.setVisible(not accounts)
        self.view.setVisible(bool(accounts))
        self._update_buttons()

    def selected(self) -> Account | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        proxy = self.view.model()
        assert isinstance(proxy, QSortFilterProxyModel)
        account = proxy.data(rows[0], ROW_ROLE)
        return account if isinstance(account, Account) else None

    def update_details(self) -> None:
        account = self.selected()
        text = "" if account is None or self.standing is None \
            else self.standing.account_summary(account)
        self.details.setText(text)
        self.details.setVisible(bool(text))

    def _update_buttons(self) -> None:
        self.update_details()
        account = self.selected()
        self.reconnect_button.setEnabled(account is not None)
        live = account is not None and account.status is AccountStatus.CONNECTED
        self.refresh_button.setEnabled(live)
        self.disconnect_button.setEnabled(
            account is not None and account.status is not AccountStatus.DISCONNECTED)
        self.queue_button.setEnabled(account is not None)

    # -- actions -----------------------------------------------------------------------------

    def add_account(self) -> ConnectDialog:
        self.dialog = ConnectDialog(self.accounts, self.runner, self.open_url,
                                    sandbox=self.sandbox, parent=self)
        self.dialog.connected.connect(self._connected)
        self.dialog.start()
        self.dialog.open()
        return self.dialog

    def _connected(self, result: ConnectResult) -> None:
        verb = "Reconnected" if result.reconnected else "Connected"
        self.message.emit(f"{verb} {result.account.label}.")
        self.changed.emit()
        if result.warnings:
            box = QMessageBox(QMessageBox.Icon.Information, "Some permissions were not given",
                              "\n\n".join(result.warnings), parent=self)
            box.open()

    def edit_queue(self) -> None:
        account = self.selected()
        if account is None or self.posts is None:
            return
        self.queue_dialog = QueueDialog(self.posts, account, self.zone_name, parent=self)
        self.queue_dialog.slots_saved.connect(
            lambda _id: self.message.emit(f"Saved the queue times of {account.label}."))
        self.queue_dialog.open()

    def refresh_info(self) -> None:
        account = self.selected()
        if account is None:
            return
        self.message.emit(f"Refreshing {account.label}…")
        self.runner.submit(lambda: self.accounts.refresh_info(account.id),
                           lambda a: (self.message.emit(f"Updated {a.label}."),
                                      self.changed.emit()),
                           self._failed)

    def disconnect(self) -> None:
        account = self.selected()
        if account is None:
            return
        if not self.confirm(
            f"Disconnect {account.label}?\n\nTikTok Desktop will stop posting to this account "
            "and forget its sign-in. Its scheduled posts stay in the list, unsent, until you "
            "reconnect it."
        ):
            return
        self.runner.submit(lambda: self.accounts.disconnect(account.id),
                           lambda warning: self._disconnected(account, warning),
                           self._failed)

    def _disconnected(self, account: Account, warning: str | None) -> None:
        self.message.emit(warning or f"Disconnected {account.label}.")
        self.changed.emit()

    def _failed(self, exc: BaseException) -> None:
        log.info("account action failed: %s", exc)
        self.message.emit(str(exc))
        self.changed.emit()  # statuses may have changed (needs reconnect)

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Disconnect account", text)
        return answer == QMessageBox.StandardButton.Yes
