"""The bulk window's two bars above the table: "apply to selected" and the times.

Apply: each choice starts at "Keep", so only what the user picks changes the selected rows.
Times: "Spread over queue times" gives the selected rows their account's next free queue
times; "Every N hours from …" gives them times N hours apart (services/bulk.every_n_hours).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.ui.bulk_delegates import (
    Choice,
    disclosure_choices,
    interaction_choices,
    privacy_choices,
)

__all__ = ["ApplyBar", "TimesBar"]

KEEP = "Keep"


def _combo(choices: list[Choice], tip: str, width: int = 12) -> QComboBox:
    combo = QComboBox()
    # Sized for about ``width`` characters, not the longest choice: four of them share a line
    # at the window's default size (the open list shows the choices whole).
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(width)
    combo.addItem(KEEP, None)
    for text, fields in choices:
        combo.addItem(text, fields)
    combo.setToolTip(tip)
    return combo


class ApplyBar(QWidget):
    """Account, privacy, interactions, disclosure and caption for all selected rows."""

    apply = Signal(dict)  # BulkRow fields

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.account = _combo([], "The account the selected videos go to", 18)
        self.privacy = _combo(privacy_choices(), "Who can view the selected videos")
        self.interactions = _combo(interaction_choices(),
                                   "What viewers may do with the selected videos")
        self.disclosure = _combo(disclosure_choices(),
                                 "Whether the selected videos promote a brand, and the AI label",
                                 16)
        self.caption = QLineEdit()
        self.caption.setPlaceholderText("empty: keep each row's caption")
        self.caption.setClearButtonEnabled(True)
        self.button = QPushButton("Appl&y to selected")
        self.button.setToolTip("Set what is chosen here (not “Keep”) on every selected row")
        self.button.clicked.connect(self._apply)
        # Two lines: the choices, then the caption with its Insert menu and the button.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        choices = QHBoxLayout()
        # Alt+letter reaches each field (the keyboard-only test walks them).
        for label, widget in (("&Account", self.account), ("&Privacy", self.privacy),
                              ("&Interactions", self.interactions),
                              ("&Disclosure", self.disclosure)):
            text = QLabel(label + ":")
            text.setBuddy(widget)
            choices.addWidget(text)
            choices.addWidget(widget)
        choices.addStretch(1)
        caption = QHBoxLayout()
        text = QLabel("Capti&on:")
        text.setBuddy(self.caption)
        caption.addWidget(text)
        caption.addWidget(self.caption, 1)
        self.insert_slot = QHBoxLayout()  # the snippet button goes here (the window adds it)
        caption.addLayout(self.insert_slot)
        caption.addWidget(self.button)
        layout.addLayout(choices)
        layout.addLayout(caption)

    def set_accounts(self, accounts: list[tuple[int, str]]) -> None:
        keep = self.account.currentData()
        self.account.clear()
        self.account.addItem(KEEP, None)
        for account_id, label in accounts:
            self.account.addItem(label, {"account_id": account_id})
        found = self.account.findData(keep) if keep is not None else 0
        self.account.setCurrentIndex(max(0, found))

    def set_privacy_options(self, offered: list[str] | None) -> None:
        """The account's privacy options, when all selected rows have one account."""
        keep = self.privacy.currentText()
        self.privacy.clear()
        self.privacy.addItem(KEEP, None)
        for text, fields in privacy_choices(offered):
            self.privacy.addItem(text, fields)
        self.privacy.setCurrentIndex(max(0, self.privacy.findText(keep)))

    def changes(self) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for combo in (self.account, self.privacy, self.interactions, self.disclosure):
            if combo.currentData() is not None:
                fields.update(combo.currentData())
        if self.caption.text().strip():
            fields["caption"] = self.caption.text()
        return fields

    def _apply(self) -> None:
        fields = self.changes()
        if fields:
            self.apply.emit(fields)


class TimesBar(QWidget):
    spread = Signal()  # over the accounts' queue times
    every = Signal(object, int)  # (wall datetime of the first, hours apart)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spread_button = QPushButton("Spread over &queue times")
        self.spread_button.setToolTip("Give the selected rows their account's next free queue "
                                      "times, in row order (Accounts → Queue times)")
        self.spread_button.clicked.connect(self.spread)
        self.hours = QSpinBox()
        self.hours.setRange(1, 24 * 14)
        self.hours.setValue(24)
        self.hours.setSuffix(" h")
        self.hours.setToolTip("Hours between two posts (24: the same time every day)")
        self.start = QDateTimeEdit()
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start.setCalendarPopup(True)
        tomorrow = QDateTime.currentDateTime().addDays(1)
        tomorrow.setTime(tomorrow.time().fromString("09:00", "HH:mm"))
        self.start.setDateTime(tomorrow)
        self.every_button = QPushButton("Set &times")
        self.every_button.setToolTip("The first selected row at the start, each next one the "
                                     "chosen hours later")
        self.every_button.clicked.connect(self._every)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spread_button)
        layout.addSpacing(16)
        every = QLabel("or &every")
        every.setBuddy(self.hours)
        layout.addWidget(every)
        layout.addWidget(self.hours)
        start = QLabel("&from")
        start.setBuddy(self.start)
        layout.addWidget(start)
        layout.addWidget(self.start)
        layout.addWidget(self.every_button)
        layout.addStretch(1)

    def _every(self) -> None:
        q = self.start.dateTime()
        wall = dt.datetime(q.date().year(), q.date().month(), q.date().day(),
                           q.time().hour(), q.time().minute())
        self.every.emit(wall, self.hours.value())
