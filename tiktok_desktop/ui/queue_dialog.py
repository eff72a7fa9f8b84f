"""Edit an account's queue: the weekly times that "Add to queue" fills, in one time zone."""

from __future__ import annotations

import logging
import zoneinfo

from PySide6.QtCore import QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.schedule import describe, next_free_slots, system_zone_name
from tiktok_desktop.store import Account, PostState, StoreError
from tiktok_desktop.store.queue import Slot
from tiktok_desktop.ui.tones import Tone, set_tone
from tiktok_desktop.ui.widgets.when import TIME_FORMAT, WallEdit

log = logging.getLogger(__name__)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PREVIEW_COUNT = 3
DEFAULT_TIME = QTime(9, 0)


class SlotRow(QWidget):
    """One weekly time: a weekday, a 24-hour time and a remove button."""

    changed = Signal()
    remove_requested = Signal(object)  # this row

    def __init__(self, slot: Slot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.day = QComboBox()
        self.day.addItems(list(WEEKDAYS))
        self.day.setCurrentIndex(slot.weekday)
        self.time = WallEdit(TIME_FORMAT)
        self.time.setTime(QTime(slot.minute // 60, slot.minute % 60))
        self.time.setAccessibleName("Time")
        self.remove = QToolButton()
        self.remove.setText("Remove")
        self.remove.setToolTip("Remove this time")
        layout.addWidget(self.day, 2)
        layout.addWidget(self.time, 1)
        layout.addWidget(self.remove)
        self.day.currentIndexChanged.connect(self.changed)
        self.time.timeChanged.connect(self.changed)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def slot(self) -> Slot:
        t = self.time.time()
        return Slot(self.day.currentIndex(), t.hour() * 60 + t.minute())


class QueueDialog(QDialog):
    """The account's weekly queue slots, with the next free times previewed as you edit.

    Saves through PostsService.set_queue_slots when the user clicks Save, then emits
    ``slots_saved(account_id)``.
    """

    slots_saved = Signal(int)

    def __init__(self, posts: PostsService, account: Account, app_zone: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.posts = posts
        self.account = account
        self.app_zone = app_zone or system_zone_name()
        self.rows: list[SlotRow] = []
        self.setWindowTitle(f"Queue times: {account.label}")
        self.setMinimumSize(460, 420)
        stored_zone, stored = posts.queue_slots(account.id)

        layout = QVBoxLayout(self)
        intro = QLabel(f"Weekly times for <b>{_html(account.label)}</b>. “Add to queue” "
                       "schedules a post at the next of these times that no post has taken.")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        form = QFormLayout()
        self.zone = QComboBox()
        self.zone.setEditable(True)
        # Item 0 stands for "" (follow the app's zone); the others are IANA names as shown.
        # One addItems() call, not one addItem() per zone: PySide6 6.12 on Python 3.11 drops
        # a reference to None on every addItem() call, and there are ~600 zones.
        self.zone.addItems([f"The app's time zone ({self.app_zone})",
                            *sorted(zoneinfo.available_timezones())])
        index = self.zone.findText(stored_zone) if stored_zone else 0
        if index < 0:  # a zone this system's tz database lacks: keep it, flagged below
            self.zone.addItems([stored_zone])
            index = self.zone.count() - 1
        self.zone.setCurrentIndex(index)
        self.zone.setToolTip("The times below are wall-clock times in this zone; they stay "
                             "put when daylight saving time changes.")
        form.addRow("Time zone:", self.zone)
        layout.addLayout(form)

        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.rows_box)
        layout.addWidget(scroll, 1)
        self.empty = QLabel("No times yet. Add one to use “Add to queue” for this account.")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.add_button = QPushButton("Add time")
        self.add_button.clicked.connect(self.add_row)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_button)
        add_row.addStretch(1)
        layout.addLayout(add_row)

        self.problem = QLabel()
        self.problem.setWordWrap(True)
        set_tone(self.problem, Tone.ERROR)
        layout.addWidget(self.problem)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        layout.addWidget(self.preview)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        for slot in stored:
            self._append(slot)
        self.zone.currentTextChanged.connect(self.refresh)
        self.refresh()

    # -- editing ------------------------------------------------------------------------------

    def add_row(self) -> SlotRow:
        """A new time: the day after the last row's, at the same time (Mon 09:00 at first)."""
        if self.rows:
            last = self.rows[-1].slot()
            slot = Slot((last.weekday + 1) % 7, last.minute)
        else:
            slot = Slot(0, DEFAULT_TIME.hour() * 60)
        row = self._append(slot)
        self.refresh()
        row.show()  # shown now, not when the layout gets to it: focus and Tab work at once
        row.day.setFocus()
        return row

    def _append(self, slot: Slot) -> SlotRow:
        row = SlotRow(slot)
        row.changed.connect(self.refresh)
        row.remove_requested.connect(self.remove_row)
        self.rows_layout.insertWidget(len(self.rows), row)
        self.rows.append(row)
        return row

    def remove_row(self, row: SlotRow) -> None:
        self.rows.remove(row)
        self.rows_layout.removeWidget(row)
        row.deleteLater()
        self.refresh()

    def slots(self) -> list[Slot]:
        """The edited slots, each once, in week order."""
        return sorted({row.slot() for row in self.rows})

    def zone_name(self) -> str | None:
        """The chosen zone ("" = the app's), or None when the typed text is no zone."""
        text = self.zone.currentText().strip()
        if text == self.zone.itemText(0):
            return ""
        try:
            zoneinfo.ZoneInfo(text)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None
        return text

    # -- preview ------------------------------------------------------------------------------

    def preview_times(self) -> list[int]:
        """The next free times for the edited slots (what next_queue_times gives once saved)."""
        zone_name = self.zone_name()
        if zone_name is None:
            return []
        taken = [p.due_at for p in self.posts.repo.query(account_id=self.account.id)
                 if p.due_at is not None and p.state is not PostState.DRAFT]
        return next_free_slots(self.slots(), zone_name or self.app_zone, self.posts.clock(),
                               taken, PREVIEW_COUNT)

    def refresh(self) -> None:
        self.empty.setVisible(not self.rows)
        zone_name = self.zone_name()
        problems: list[str] = []
        if zone_name is None:
            problems.append(f"“{self.zone.currentText().strip()}” is not a time zone: pick one "
                            "from the list.")
        labels = [row.slot().label for row in self.rows]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            problems.append(f"{', '.join(twice)} is listed more than once; it is saved once.")
        self.problem.setText(" ".join(problems))
        self.problem.setVisible(bool(problems))
        self.save_button.setEnabled(zone_name is not None)
        if zone_name is None:
            self.preview.setText("")
            return
        times = self.preview_times()
        shown_zone = zone_name or self.app_zone
        if times:
            lines = "<br>".join(_html(describe(t, shown_zone)) for t in times)
            self.preview.setText(f"<b>Next free times</b><br>{lines}")
        elif self.rows:
            self.preview.setText("No free time in the coming year: every slot is taken.")
        else:
            self.preview.setText("")

    # -- save ---------------------------------------------------------------------------------

    def save(self) -> None:
        zone_name = self.zone_name()
        if zone_name is None:
            return
        try:
            self.posts.set_queue_slots(self.account.id, self.slots(), zone_name)
        except StoreError as exc:
            log.info("saving queue slots failed: %s", exc)
            self.problem.setText(f"The times could not be saved: {exc}")
            self.problem.setVisible(True)
            return
        self.slots_saved.emit(self.account.id)
        self.accept()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
