"""Date and time fields for wall-clock times in a named zone.

The fields hold wall-clock values only (a date, a time of day): they never convert through
the computer's own zone, so 09:45 typed for Europe/Berlin stays 09:45 whatever zone the
computer is in. The caller resolves the wall time in the zone (services.schedule.resolve_local),
which also says, in words, when the clocks skip or repeat that time.

Typing works as people type dates: clicking a part (day, hour...) selects it so digits replace
it, and a Tab pressed right after the field moved on to the next part by itself (a full day
typed, or a separator) does not skip a part.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, QEvent, QObject, QTime, QTimeZone, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDateTimeEdit, QHBoxLayout, QLabel, QWidget

from tiktok_desktop.services.schedule import ScheduleError, zone
from tiktok_desktop.ui.tones import Tone, set_tone

DATE_FORMAT = "d MMM yyyy"
TIME_FORMAT = "HH:mm"


class WallEdit(QDateTimeEdit):
    """One date or time field (by its display format) that types like a person expects."""

    def __init__(self, display_format: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # UTC has no gaps or repeats: the field keeps exactly the wall time typed.
        self.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.setDisplayFormat(display_format)
        self._moved_on = False
        self.lineEdit().installEventFilter(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if self._moved_on and text and not text.isalnum() and text.isprintable():
            # "6 Dec": the 6 already moved on to the month; this space is done too.
            self._moved_on = False
            event.accept()
            return
        before = self.currentSection()
        super().keyPressEvent(event)
        self._moved_on = (bool(text) and text.isalnum()
                          and self.currentSection() != before)

    def focusNextPrevChild(self, next: bool) -> bool:
        if self._moved_on:
            # The field went on to the next part by itself: this Tab is already done.
            self._moved_on = False
            return True
        return super().focusNextPrevChild(next)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.lineEdit() and event.type() == QEvent.Type.MouseButtonRelease
                and not self.lineEdit().hasSelectedText()):
            # A click puts the cursor in a part; selecting the part makes typing replace it
            # (typing beside "09" would make "109", which the field silently refuses).
            self.setSelectedSection(self.currentSection())
            self._moved_on = False
        return super().eventFilter(watched, event)

    def set_wall(self, when: dt.datetime) -> None:
        self.setDateTime(QDateTime(QDate(when.year, when.month, when.day),
                                   QTime(when.hour, when.minute),
                                   QTimeZone(QTimeZone.Initialization.UTC)))


class WhenEdit(QWidget):
    """A date, a time, and the weekday and zone they are in: "Wednesday · Europe/Berlin (CET)"."""

    changed = Signal()

    def __init__(self, zone_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone_name = zone_name
        self.date = WallEdit(DATE_FORMAT)
        self.date.setObjectName("dateField")
        self.date.setCalendarPopup(True)
        self.date.setAccessibleName("Date")
        self.time = WallEdit(TIME_FORMAT)
        self.time.setObjectName("timeField")
        self.time.setAccessibleName("Time")
        self.zone_label = QLabel()
        self.zone_label.setObjectName("zoneLabel")
        set_tone(self.zone_label, Tone.MUTED)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.date)
        row.addWidget(self.time)
        row.addWidget(self.zone_label)
        row.addStretch(1)
        self.date.dateTimeChanged.connect(self._changed)
        self.time.dateTimeChanged.connect(self._changed)
        self._describe()

    def wall(self) -> dt.datetime:
        d, t = self.date.date(), self.time.time()
        return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def set_wall(self, when: dt.datetime) -> None:
        self.date.set_wall(when)
        self.time.set_wall(when)
        self._describe()

    def set_epoch(self, epoch: float) -> None:
        """Show the wall time the clocks in the zone show at ``epoch``."""
        self.set_wall(dt.datetime.fromtimestamp(epoch, zone(self.zone_name))
                      .replace(tzinfo=None))

    def setFocus(self) -> None:  # type: ignore[override]
        self.date.setFocus()

    def _changed(self) -> None:
        self._describe()
        self.changed.emit()

    def _describe(self) -> None:
        wall = self.wall()
        name = self.zone_name or "your computer's time zone"
        try:
            abbreviation = wall.replace(tzinfo=zone(self.zone_name)).tzname()
        except ScheduleError:
            abbreviation = None
        self.zone_label.setText(f"{wall:%A} · {name}"
                                + (f" ({abbreviation})" if abbreviation else ""))
