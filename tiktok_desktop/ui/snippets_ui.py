"""Caption templates and hashtag sets in the window: a menu that inserts them into a caption
(the composer's caption box, the bulk table's selected rows) and a small editor.

The text goes in with services.snippets' insert functions: a template where the cursor is, a
hashtag set at the end without tags the caption already has. Either stays editable after.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.snippets import SnippetError, SnippetsService
from tiktok_desktop.store import Account
from tiktok_desktop.store.snippets import Snippet, SnippetKind
from tiktok_desktop.ui.tones import Tone, set_tone

__all__ = ["SnippetButton", "SnippetsDialog"]

KIND_WORDS = {SnippetKind.TEMPLATE: "Caption template", SnippetKind.HASHTAGS: "Hashtag set"}


class SnippetButton(QToolButton):
    """"Insert ▾": the account's templates and hashtag sets, then "Edit…"."""

    def __init__(self, load: Callable[[int], list[Snippet]],
                 account_id: Callable[[], int | None],
                 insert: Callable[[Snippet], None], edit: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.load = load
        self.account_id = account_id
        self.insert = insert
        self.edit = edit
        self.setText("Insert")
        self.setToolTip("Insert a caption template or a hashtag set of the account")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        self.menu().aboutToShow.connect(self.fill)

    def fill(self) -> None:
        menu = self.menu()
        menu.clear()
        account_id = self.account_id()
        found = self.load(account_id) if account_id is not None else []
        for kind in SnippetKind:
            mine = [s for s in found if s.kind is kind]
            menu.addSection(KIND_WORDS[kind] + "s")
            if not mine:
                empty = menu.addAction("None yet" if account_id is not None
                                       else "Choose an account first")
                empty.setEnabled(False)
            for snippet in mine:
                act = menu.addAction(snippet.name)
                act.setToolTip(snippet.text)
                act.triggered.connect(lambda _c=False, s=snippet: self.insert(s))
        menu.addSeparator()
        menu.addAction("Edit templates and hashtag sets…").triggered.connect(self.edit)


class SnippetsDialog(QDialog):
    """Keep, change and remove an account's templates and hashtag sets."""

    def __init__(self, snippets: SnippetsService, accounts: Sequence[Account],
                 account_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.snippets = snippets
        self.setWindowTitle("Caption templates and hashtag sets")
        self.account = QComboBox()
        for a in accounts:
            self.account.addItem(a.label, a.id)
        if account_id is not None and self.account.findData(account_id) >= 0:
            self.account.setCurrentIndex(self.account.findData(account_id))
        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        self.kind = QComboBox()
        for kind in SnippetKind:
            self.kind.addItem(KIND_WORDS[kind], kind)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Weekly recipe")
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("The caption text, or hashtags such as #food #recipe")
        self.error = QLabel()
        self.error.setWordWrap(True)
        set_tone(self.error, Tone.ERROR)
        self.save_button = QPushButton("Save")
        self.save_button.clicked.connect(self.save)
        self.delete_button = QPushButton("Remove")
        self.delete_button.clicked.connect(self.remove)
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.new)

        form = QFormLayout()
        form.addRow("Kind:", self.kind)
        form.addRow("Name:", self.name)
        form.addRow("Text:", self.text)
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.error)
        right.addLayout(buttons)
        middle = QHBoxLayout()
        middle.addWidget(self.list)
        middle.addLayout(right, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QFormLayout()
        top.addRow("Account:", self.account)
        layout.addLayout(top)
        layout.addLayout(middle)
        layout.addWidget(close)
        self.account.currentIndexChanged.connect(lambda _i: self.reload())
        self.list.currentItemChanged.connect(self._picked)
        self.reload()

    def _account_id(self) -> int | None:
        data = self.account.currentData()
        return int(data) if data is not None else None

    def reload(self, select: int | None = None) -> None:
        self.list.clear()
        account_id = self._account_id()
        for snippet in self.snippets.for_account(account_id) if account_id is not None else []:
            item = QListWidgetItem(f"{snippet.name} ({KIND_WORDS[snippet.kind].lower()})")
            item.setData(Qt.ItemDataRole.UserRole, snippet)
            self.list.addItem(item)
            if snippet.id == select:
                self.list.setCurrentItem(item)
        self.delete_button.setEnabled(self.list.currentItem() is not None)

    def _picked(self, item: QListWidgetItem | None) -> None:
        self.delete_button.setEnabled(item is not None)
        if item is None:
            return
        snippet: Snippet = item.data(Qt.ItemDataRole.UserRole)
        self.kind.setCurrentIndex(self.kind.findData(snippet.kind))
        self.name.setText(snippet.name)
        self.text.setPlainText(snippet.text)
        self.error.clear()

    def new(self) -> None:
        self.list.setCurrentRow(-1)
        self.name.clear()
        self.text.clear()
        self.error.clear()
        self.name.setFocus()

    def save(self) -> None:
        account_id = self._account_id()
        if account_id is None:
            self.error.setText("Connect an account first: templates belong to an account.")
            return
        try:
            saved = self.snippets.save(account_id, SnippetKind(self.kind.currentData()),
                                       self.name.text(), self.text.toPlainText())
        except SnippetError as exc:
            self.error.setText(str(exc))
            return
        self.error.clear()
        self.text.setPlainText(saved.text)  # hashtags as kept: '#a #b'
        self.reload(select=saved.id)

    def remove(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        snippet: Snippet = item.data(Qt.ItemDataRole.UserRole)
        self.snippets.delete(snippet.id)
        self.new()
        self.reload()
