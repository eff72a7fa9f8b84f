"""Small dialogs of the schedule: pick a new time for a post, read a post's history."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.posts import ScheduleRefused, video_name
from tiktok_desktop.services.schedule import ScheduleError, resolve_local
from tiktok_desktop.store import Post, PostEvent, StoreError
from tiktok_desktop.ui.schedule_model import EventsModel
from tiktok_desktop.ui.tones import Tone, set_tone
from tiktok_desktop.ui.widgets.reserved import grow_to_fit
from tiktok_desktop.ui.widgets.when import WhenEdit


class RescheduleDialog(QDialog):
    """Date and time for a post, in the post's own zone (named on screen).

    On OK the wall time is resolved in that zone (a time the clocks skip is refused in plain
    words) and handed to ``apply(epoch, zone_name)``; a ScheduleRefused from it is shown here
    and the dialog stays open, so nothing changes until the service says yes.
    """

    def __init__(self, post: Post, zone_name: str, apply: Callable[[int, str], Post],
                 clock: Callable[[], float] = time.time,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.post = post
        self.zone_name = post.due_tz or zone_name
        self.apply = apply
        self.clock = clock
        self.result_post: Post | None = None
        self.note = ""
        self.setWindowTitle(f"Reschedule {video_name(post)}")
        now = int(clock())
        start = post.due_at if post.due_at is not None and post.due_at > now \
            else (now // 3600 + 1) * 3600
        self.when = WhenEdit(self.zone_name)
        self.when.set_epoch(start)
        self.error = QLabel()
        self.error.setObjectName("rescheduleError")
        self.error.setWordWrap(True)
        set_tone(self.error, Tone.ERROR)
        self.error.hide()

        form = QFormLayout()
        what = QLabel(f"<b>{video_name(post)}</b>")
        what.setToolTip(post.video_path)
        form.addRow("Video:", what)
        form.addRow("New time:", self.when)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Reschedule")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def wall_time(self) -> dt.datetime:
        return self.when.wall()

    def set_wall_time(self, when: dt.datetime) -> None:
        self.when.set_wall(when)

    def accept(self) -> None:
        try:
            resolved = resolve_local(self.wall_time(), self.zone_name, now=self.clock())
            self.result_post = self.apply(resolved.epoch, resolved.zone)
        except ScheduleError as exc:
            self._show_error(str(exc))
            return
        except ScheduleRefused as exc:
            self._show_error("\n".join(exc.problems))
            return
        except StoreError as exc:
            self._show_error(str(exc))
            return
        self.note = resolved.note
        super().accept()

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        grow_to_fit(self)  # the fields keep their room; the dialog grows for the message


class HistoryDialog(QDialog):
    """Every state change of one post, as the store logged it."""

    def __init__(self, post: Post, events: list[PostEvent], zone_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History of {video_name(post)}")
        self.model = EventsModel(zone_name, self)
        self.model.set_rows(events)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if post.last_error_message:
            last = QLabel(f"Last problem: {post.last_error_message}")
            last.setWordWrap(True)
            layout.addWidget(last)
        layout.addWidget(self.view)
        layout.addWidget(buttons)
        self.resize(640, 360)
