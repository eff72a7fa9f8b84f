"""The accounts pane: the connected TikTok accounts and what can be done with them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSortFilterProxyModel, Signal
from PySide6.QtGui import QAction, QKeySequence
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
from tiktok_desktop.ui.models import ROW_ROLE, AccountsModel
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tones import Tone, tone_colour

if TYPE_CHECKING:  # the dialogs load when first opened, not before the first paint
    from tiktok_desktop.ui.connect_dialog import ConnectDialog
    from tiktok_desktop.ui.queue_dialog import QueueDialog

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
        self.note: QMessageBox | None = None  # what a connect left to say (for tests too)
        self.confirm: Callable[[str], bool] = self._confirm

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        sandbox_colour = tone_colour(self.palette(), Tone.ERROR).name()
        title = "<b>Accounts</b>" + (f" <span style='color:{sandbox_colour}'>· Sandbox</span>"
                                     if sandbox else "")
        layout.addWidget(QLabel(title))
        self._notes = 0
        self._layout = layout
        # Why the database cannot be used now (a shared schedule out of reach, see
        # ui/read_only.py): "" while it can.
        self.read_only = ""
        for note in notes:
            self.add_note(note)
        # The list (or its empty state) takes the height the pane has beyond its title,
        # notes and buttons; without a stretch Qt spreads it between every row.
        layout.addWidget(empty, 1)
        layout.addWidget(view, 1)
        # The selected account's sign-in end and TikTok's caps (services/standing.py).
        self.details = QLabel()
        self.details.setObjectName("accountDetails")
        self.details.setWordWrap(True)
        layout.addWidget(self.details)
        # One QAction per command (the window's Accounts menu shows them with their
        # shortcuts); the buttons here trigger the same actions and follow their state.
        self.act_add = self._action("&Add account…", "Ctrl+Shift+A", self.add_account,
                                    "Connect a TikTok account in your browser")
        self.act_reconnect = self._action("&Reconnect", "Ctrl+Shift+R", self.reconnect,
                                          "Sign the selected account in again")
        self.act_refresh = self._action("Refresh &info", "F5", self.refresh_info,
                                        "Read the selected account's name, picture and "
                                        "settings from TikTok again")
        self.act_disconnect = self._action("&Disconnect…", "Ctrl+Shift+D", self.disconnect,
                                           "Stop posting to the selected account and forget "
                                           "its sign-in")
        self.act_queue = self._action("&Queue times…", "Ctrl+Shift+T", self.edit_queue,
                                      "Weekly times that 'Add to queue' fills, for the "
                                      "selected account")
        self.act_queue.setVisible(posts is not None)
        row = QGridLayout()
        self.add_button = self._button(self.act_add)
        self.reconnect_button = self._button(self.act_reconnect)
        self.refresh_button = self._button(self.act_refresh)
        self.disconnect_button = self._button(self.act_disconnect)
        self.queue_button = self._button(self.act_queue)
        buttons = (self.add_button, self.reconnect_button, self.refresh_button,
                   self.disconnect_button, self.queue_button)
        # Two a row: the pane stays narrow (the schedule needs the width), and the same
        # actions are in the Accounts menu with their shortcuts.
        for i, b in enumerate(buttons):
            row.addWidget(b, i // 2, i % 2)
        row.setColumnStretch(2, 1)
        layout.addLayout(row)
        view.selectionModel().selectionChanged.connect(self._update_buttons)
        self._update_buttons()

    def add_note(self, text: str) -> None:
        """A note under the title (where sandbox sign-ins are kept...), also one that comes
        after the window was shown."""
        label = QLabel(text)
        label.setWordWrap(True)
        self._notes += 1
        self._layout.insertWidget(self._notes, label)

    def _action(self, text: str, shortcut: str, slot: Callable[[], object],
                tip: str) -> QAction:
        action = QAction(text, self)
        keys = QKeySequence(shortcut)
        action.setShortcut(keys)
        action.setToolTip(f"{tip} ({keys.toString(QKeySequence.SequenceFormat.NativeText)})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    @staticmethod
    def _button(action: QAction) -> QPushButton:
        button = QPushButton(action.text().replace("&", ""))
        button.setToolTip(action.toolTip())
        button.clicked.connect(action.trigger)

        def follow() -> None:
            button.setEnabled(action.isEnabled())
            button.setVisible(action.isVisible())

        action.changed.connect(follow)
        follow()
        return button

    def buttons(self) -> list[QPushButton]:
        return [self.add_button, self.reconnect_button, self.refresh_button,
                self.disconnect_button, self.queue_button]

    def actions_for_menu(self) -> list[QAction]:
        return [self.act_add, self.act_reconnect, self.act_refresh, self.act_disconnect,
                self.act_queue]

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
        if self.read_only:  # the caps are read from the database, which is out of reach
            self.details.setVisible(False)
            return
        account = self.selected()
        text = "" if account is None or self.standing is None \
            else self.standing.account_summary(account)
        self.details.setText(text)
        self.details.setVisible(bool(text))

    def _update_buttons(self) -> None:
        self.update_details()
        account = self.selected()
        self.act_reconnect.setEnabled(account is not None)
        live = account is not None and account.status is AccountStatus.CONNECTED
        self.act_refresh.setEnabled(live)
        self.act_disconnect.setEnabled(
            account is not None and account.status is not AccountStatus.DISCONNECTED)
        self.act_queue.setEnabled(account is not None)

    # -- actions -----------------------------------------------------------------------------

    def add_account(self, reconnecting: Account | None = None) -> ConnectDialog:
        from tiktok_desktop.ui.connect_dialog import ConnectDialog  # noqa: PLC0415

        self.dialog = ConnectDialog(self.accounts, self.runner, self.open_url,
                                    sandbox=self.sandbox, reconnecting=reconnecting,
                                    parent=self)
        self.dialog.connected.connect(self._connected)
        self.dialog.start()
        self.dialog.open()
        return self.dialog

    def reconnect(self) -> ConnectDialog | None:
        """Sign the selected account in again (the browser may pick someone else: said)."""
        account = self.selected()
        if account is None:
            return None
        return self.add_account(reconnecting=account)

    def _connected(self, result: ConnectResult) -> None:
        self.message.emit(result.headline)
        self.changed.emit()
        notes = ([result.other_account_advice] if result.other_account else []) \
            + result.warnings
        if notes:
            title = (f"{result.asked_for.label} was not reconnected"
                     if result.other_account and result.asked_for is not None
                     else "Some permissions were not given")
            self.note = QMessageBox(QMessageBox.Icon.Warning if result.other_account
                                    else QMessageBox.Icon.Information, title,
                                    "\n\n".join(notes), parent=self)
            self.note.open()

    def edit_queue(self) -> None:
        account = self.selected()
        if account is None or self.posts is None:
            return
        from tiktok_desktop.ui.queue_dialog import QueueDialog  # noqa: PLC0415

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
