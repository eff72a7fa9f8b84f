"""Editors for the bulk table's cells, and the choices they (and "apply to selected") offer.

Each choice is a dict of BulkRow fields, so a cell edit and "apply to selected" change rows
the same way (BulkBatch.edit); the batch then re-checks the rows with the composer's rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from tiktok_desktop.domain.compose import PRIVACY_LABELS
from tiktok_desktop.services.bulk import BulkRow
from tiktok_desktop.services.schedule import ScheduleError, resolve_local, zone
from tiktok_desktop.store import PostMode
from tiktok_desktop.ui.bulk_model import EDIT_ROLE, INBOX, View, interaction_words

__all__ = ["BulkDelegate", "disclosure_choices", "interaction_choices", "parse_when",
           "privacy_choices"]

Choice = tuple[str, dict[str, Any]]
WHEN_FORMAT = "%Y-%m-%d %H:%M"
WHEN_HINT = "YYYY-MM-DD HH:MM, or empty for the next free queue time"


def privacy_choices(offered: Sequence[str] | None = None) -> list[Choice]:
    """Who can view: the account's options (all four until TikTok has said), or the inbox."""
    levels = list(offered) if offered else list(PRIVACY_LABELS)
    out: list[Choice] = [(PRIVACY_LABELS.get(p, p), {"privacy_level": p, "mode": PostMode.DIRECT})
                         for p in levels]
    out.append((INBOX, {"mode": PostMode.INBOX}))
    return out


def interaction_choices() -> list[Choice]:
    out: list[Choice] = []
    for comment in (False, True):
        for duet in (False, True):
            for stitch in (False, True):
                row = BulkRow("", allow_comment=comment, allow_duet=duet, allow_stitch=stitch)
                out.append((interaction_words(row), {"allow_comment": comment,
                                                     "allow_duet": duet,
                                                     "allow_stitch": stitch}))
    return out


def disclosure_choices() -> list[Choice]:
    kinds = [("Not disclosed", False, False, False), ("Your brand", True, True, False),
             ("Branded content", True, False, True),
             ("Your brand + Branded content", True, True, True)]
    out: list[Choice] = []
    for ai in (False, True):
        for text, disclose, organic, content in kinds:
            out.append((text + (" · AI-generated" if ai else ""),
                        {"disclose": disclose, "brand_organic": organic,
                         "brand_content": content, "is_aigc": ai}))
    return out


def parse_when(text: str, zone_name: str) -> tuple[int | None, str]:
    """'2026-12-24 09:00' in the zone -> (epoch, zone); '' -> (None, '') (the queue).
    Raises ScheduleError with what to type instead."""
    text = " ".join(text.split())
    if not text:
        return None, ""
    try:
        wall = dt.datetime.strptime(text, WHEN_FORMAT)  # a wall time: zoned just below
    except ValueError:
        raise ScheduleError(f"“{text}” is not a date and time: type it as {WHEN_HINT}.") \
            from None
    return resolve_local(wall, zone_name).epoch, zone_name


def when_text(epoch: int, zone_name: str) -> str:
    return dt.datetime.fromtimestamp(epoch, zone(zone_name)).strftime(WHEN_FORMAT)


def _choice_of(row: BulkRow, choices: list[Choice]) -> int:
    for n, (_text, fields) in enumerate(choices):
        if all(getattr(row, k) == v for k, v in fields.items()):
            return n
    return -1


class BulkDelegate(QStyledItemDelegate):
    """Combo boxes for the choices, a text box for the caption, a line for the time."""

    refused = Signal(str)  # an edit that could not be taken (a time that does not exist)

    def __init__(self, accounts: Callable[[], list[tuple[int, str]]],
                 offered: Callable[[BulkRow], Sequence[str] | None],
                 zone_name: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.offered = offered
        self.zone_name = zone_name

    def _choices(self, view: View, row: BulkRow) -> list[Choice]:
        if view is View.ACCOUNT:
            return [(label, {"account_id": account_id}) for account_id, label in self.accounts()]
        if view is View.PRIVACY:
            return privacy_choices(self.offered(row))
        if view is View.INTERACTIONS:
            return interaction_choices()
        return disclosure_choices()

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        view = View(index.column())
        row: BulkRow = index.data(EDIT_ROLE)
        if view is View.CAPTION:
            box = QPlainTextEdit(parent)
            box.setTabChangesFocus(True)
            box.setMinimumHeight(80)
            return box
        if view is View.WHEN:
            line = QLineEdit(parent)
            line.setPlaceholderText(WHEN_HINT)
            line.setToolTip(f"In {self.zone_name()}: {WHEN_HINT}.")
            return line
        combo = QComboBox(parent)
        for text, fields in self._choices(view, row):
            combo.addItem(text, fields)
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        row: BulkRow = index.data(EDIT_ROLE)
        if isinstance(editor, QPlainTextEdit):
            editor.setPlainText(row.caption)
        elif isinstance(editor, QLineEdit):
            editor.setText(when_text(row.due_at, row.due_tz or self.zone_name())
                           if row.due_at is not None else "")
        elif isinstance(editor, QComboBox):
            choices = [(editor.itemText(n), editor.itemData(n)) for n in range(editor.count())]
            editor.setCurrentIndex(_choice_of(row, choices))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QPlainTextEdit):
            model.setData(index, {"caption": editor.toPlainText()})
        elif isinstance(editor, QLineEdit):
            try:
                due_at, due_tz = parse_when(editor.text(), self.zone_name())
            except ScheduleError as exc:
                self.refused.emit(str(exc))  # the row keeps its time
                return
            model.setData(index, {"due_at": due_at, "due_tz": due_tz})
        elif isinstance(editor, QComboBox) and editor.currentIndex() >= 0:
            model.setData(index, dict(editor.currentData()))
