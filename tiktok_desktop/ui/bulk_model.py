"""The bulk window's table: one row per video of a BulkBatch (services/bulk_batch.py).

The model only shows the batch and hands edits to it; which cell has a problem, and why, is
the batch's (the single composer's rules per row, the schedule checks for the whole batch).
A cell with a problem is tinted and its tooltip says what is wrong and what to do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from tiktok_desktop.domain.compose import PRIVACY_LABELS
from tiktok_desktop.services.bulk import READING, BulkRow, Column
from tiktok_desktop.services.bulk_batch import CHECKING_TIMES, BulkBatch
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.store import PostMode
from tiktok_desktop.ui.schedule_model import short_name
from tiktok_desktop.ui.thumbnails import ThumbnailLoader
from tiktok_desktop.ui.tones import Tone, tone_colour

__all__ = ["EDIT_ROLE", "BulkModel", "View", "disclosure_words", "interaction_words"]

EDIT_ROLE = Qt.ItemDataRole.UserRole + 1  # the raw value an editor starts from
ROW_HEIGHT = 44
INBOX = "TikTok inbox"


class View(enum.IntEnum):
    """The table's columns."""

    THUMB = 0
    FILE = 1
    ACCOUNT = 2
    CAPTION = 3
    WHEN = 4
    PRIVACY = 5
    INTERACTIONS = 6
    DISCLOSURE = 7
    CHECKS = 8


HEADERS = {View.THUMB: "", View.FILE: "File", View.ACCOUNT: "Account",
           View.CAPTION: "Caption", View.WHEN: "When", View.PRIVACY: "Privacy",
           View.INTERACTIONS: "Interactions", View.DISCLOSURE: "Disclosure",
           View.CHECKS: "Checks"}
# Which table column shows the batch's problems with each of its columns.
SHOWN_IN = {Column.FILE: View.FILE, Column.COVER: View.FILE, Column.ACCOUNT: View.ACCOUNT,
            Column.CAPTION: View.CAPTION, Column.WHEN: View.WHEN, Column.ZONE: View.WHEN,
            Column.PRIVACY: View.PRIVACY, Column.INBOX: View.PRIVACY,
            Column.INTERACTIONS: View.INTERACTIONS, Column.DISCLOSURE: View.DISCLOSURE,
            Column.AI_LABEL: View.DISCLOSURE}
EDITABLE = {View.ACCOUNT, View.CAPTION, View.WHEN, View.PRIVACY, View.INTERACTIONS,
            View.DISCLOSURE}


def interaction_words(row: BulkRow) -> str:
    on = [n for n, v in (("Comments", row.allow_comment), ("Duets", row.allow_duet),
                         ("Stitches", row.allow_stitch)) if v]
    return ", ".join(on) if on else "Off"


def disclosure_words(row: BulkRow) -> str:
    kinds = [n for n, v in (("Your brand", row.brand_organic),
                            ("Branded content", row.brand_content)) if v]
    text = " + ".join(kinds) if row.disclose and kinds else (
        "Disclosed (choose a kind)" if row.disclose else "Not disclosed")
    return text + (" · AI-generated" if row.is_aigc else "")


class BulkModel(QAbstractTableModel):
    """The batch's rows as table rows; ``edited`` after any change the user made."""

    edited = Signal(list)  # the row indexes changed (the window re-checks the times)

    def __init__(self, batch: BulkBatch, thumbnails: ThumbnailLoader,
                 account_label: Callable[[int], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.batch = batch
        self.thumbnails = thumbnails
        self.account_label = account_label
        thumbnails.loaded.connect(self._thumbnail_loaded)
        self._rows_by_path: dict[str, list[int]] = {}
        # Per row: its problems by table column and its Checks text, worked out once per
        # change instead of for every role of every cell painted.
        self._cache: dict[int, tuple[dict[View, list[str]], str]] = {}
        self._colours: tuple[int, dict[Tone, QColor]] | None = None
        self._index_paths()

    # -- the batch ----------------------------------------------------------------------------

    def set_batch(self, batch: BulkBatch) -> None:
        self.beginResetModel()
        self.batch = batch
        self._cache.clear()
        self._index_paths()
        self.endResetModel()

    def _index_paths(self) -> None:
        self._rows_by_path = {}
        for i, row in enumerate(self.batch.rows):
            self._rows_by_path.setdefault(row.path, []).append(i)

    def rows_changed(self, rows: Iterable[int]) -> None:
        """Repaint these rows (facts arrived, a check answered)."""
        wanted = sorted(set(rows))
        if not wanted:
            return
        for i in wanted:
            self._cache.pop(i, None)
        # One signal for a run of rows: 500 probes answering must not mean 500 x 9 signals.
        start = prev = wanted[0]
        last = self.columnCount() - 1
        for i in [*wanted[1:], None]:
            if i is not None and i == prev + 1:
                prev = i
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last))
            if i is not None:
                start = prev = i

    def all_changed(self) -> None:
        self._cache.clear()
        if self.batch.rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self.batch.rows) - 1, self.columnCount() - 1))

    def edit_rows(self, rows: Iterable[int], **changes: Any) -> list[int]:
        if "mode" in changes:  # through a combo box's item data it comes back a plain str
            changes["mode"] = PostMode(changes["mode"])
        touched = self.batch.edit(rows, **changes)
        self.rows_changed(touched)
        self.edited.emit(touched)
        return touched

    def replace_rows(self, rows: dict[int, BulkRow]) -> None:
        self.batch.replace_rows(rows)
        self.rows_changed(rows)
        self.edited.emit(sorted(rows))

    def remove_rows(self, rows: Iterable[int]) -> None:
        self.beginResetModel()
        self._cache.clear()
        self.batch.remove(rows)
        self._index_paths()
        self.endResetModel()
        self.edited.emit([])

    # -- Qt ------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.batch.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(View)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[View(section)]
        if orientation is Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and View(index.column()) in EDITABLE:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def _row_view(self, row: int) -> tuple[dict[View, list[str]], str]:
        found = self._cache.get(row)
        if found is None:
            by_view: dict[View, list[str]] = {}
            for column, text in self.batch.problems(row).items():
                by_view.setdefault(SHOWN_IN[column], []).append(text)
            found = (by_view, self._check_text(row))
            self._cache[row] = found
        return found

    def problems_in(self, row: int, view: View) -> list[str]:
        """The problems the batch has for this table cell."""
        return self._row_view(row)[0].get(view, [])

    def check_text(self, i: int) -> str:
        return self._row_view(i)[1]

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i, view = index.row(), View(index.column())
        row = self.batch.rows[i]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(i, row, view)
        if role == Qt.ItemDataRole.DecorationRole and view is View.THUMB:
            return self.thumbnails.pixmap(row.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(i, row, view)
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole):
            return self._colour(i, view, role)
        if role == Qt.ItemDataRole.SizeHintRole and view is View.THUMB:
            return QSize(self.thumbnails.size.width() + 8, ROW_HEIGHT)
        if role == EDIT_ROLE:
            return row
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        """``value`` is a dict of BulkRow fields (the delegates build it)."""
        if role != Qt.ItemDataRole.EditRole or not isinstance(value, dict) or not value:
            return False
        self.edit_rows([index.row()], **value)
        return True

    def _text(self, i: int, row: BulkRow, view: View) -> str:
        if view is View.FILE:
            return Path(row.path).name
        if view is View.ACCOUNT:
            # the name alone, as in the schedule list (the whole label is in the tooltip)
            return short_name(self.account_label(row.account_id)) \
                if row.account_id is not None else "Choose…"
        if view is View.CAPTION:
            first = row.caption.split("\n", 1)[0]
            return first if first else "(no caption)"
        if view is View.WHEN:
            when = self.batch.time_of(i)
            if row.due_at is not None:
                return describe(row.due_at, row.due_tz or self.batch.zone_name)
            return f"{describe(*when)} (queue)" if when else "Next free queue time"
        if view is View.PRIVACY:
            if row.mode is PostMode.INBOX:
                return INBOX
            return PRIVACY_LABELS.get(row.privacy_level or "", "Choose…")
        if view is View.INTERACTIONS:
            return "—" if row.mode is PostMode.INBOX else interaction_words(row)
        if view is View.DISCLOSURE:
            return "—" if row.mode is PostMode.INBOX else disclosure_words(row)
        if view is View.CHECKS:
            return self.check_text(i)
        return ""

    def _check_text(self, i: int) -> str:
        problems = self.batch.problems(i)
        if not problems:
            return "Ready"
        if problems.get(Column.FILE) == READING:
            return "Reading the video…"
        real = [t for t in problems.values() if t not in (READING, CHECKING_TIMES)]
        if real:
            return f"{len(real)} to fix" if len(real) > 1 else "1 to fix"
        if self.batch.pending(i):
            return "Checking…"
        return "Ready"

    def _tooltip(self, i: int, row: BulkRow, view: View) -> str:
        if view is View.CHECKS:
            problems = self.batch.problems(i)
            if not problems:
                return "Every check passed: this post can be scheduled."
            return "\n".join(f"{HEADERS[SHOWN_IN[c]] or 'File'}: {t}"
                             for c, t in problems.items())
        own = self.problems_in(i, view)
        lines: list[str] = []
        if view in (View.FILE, View.THUMB):
            lines.append(row.path)
            video = self.batch.videos.get(row.path)
            if video is not None:
                lines.extend(video.warnings)
        elif view is View.CAPTION and row.caption:
            lines.append(row.caption)
        elif view is View.ACCOUNT and row.account_id is not None:
            lines.append(self.account_label(row.account_id))
        elif view is View.WHEN and row.due_at is None:
            lines.append("No time given: the account's next free queue time.")
        return "\n".join([*own, *lines]) if own or lines else ""

    def _tone(self, tone: Tone) -> QColor:
        palette = QGuiApplication.palette()
        if self._colours is None or self._colours[0] != palette.cacheKey():
            error = tone_colour(palette, Tone.ERROR, QPalette.ColorRole.Text)
            tint = QColor(error)
            tint.setAlpha(40)  # a wash of the error colour: the text on it stays readable
            self._colours = (palette.cacheKey(), {
                Tone.ERROR: error, Tone.NORMAL: tint,
                Tone.OK: tone_colour(palette, Tone.OK, QPalette.ColorRole.Text),
                Tone.MUTED: tone_colour(palette, Tone.MUTED, QPalette.ColorRole.Text)})
        return self._colours[1][tone]

    def _colour(self, i: int, view: View, role: int) -> QColor | None:
        by_view, check = self._row_view(i)
        own = [t for t in by_view.get(view, []) if t not in (READING, CHECKING_TIMES)]
        if not own and not (view is View.CHECKS and check.endswith("to fix")):
            if view is View.CHECKS and role == Qt.ItemDataRole.ForegroundRole:
                return self._tone(Tone.OK if check == "Ready" else Tone.MUTED)
            return None
        # Foreground: the error colour; background: a wash of it (kept as NORMAL).
        return self._tone(Tone.ERROR if role == Qt.ItemDataRole.ForegroundRole
                          else Tone.NORMAL)

    def _thumbnail_loaded(self, path: str) -> None:
        rows = self._rows_by_path.get(path, [])
        for i in rows:
            index = self.index(i, View.THUMB)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
