"""Typing dates and times with the keyboard (issue 13, item 19): the date and time fields of
the composer and Reschedule, and the hour of a queue time."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import click, focused, key, show_active, type_text
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account, AccountsRepo
from tiktok_desktop.store.queue import Slot
from tiktok_desktop.ui.queue_dialog import QueueDialog
from tiktok_desktop.ui.widgets.when import WhenEdit

START = dt.datetime(2027, 3, 24, 13, 0)
TAB = "\t"


class Form(QDialog):
    """A field before and after the date and time, as in the composer."""

    def __init__(self) -> None:
        super().__init__()
        self.before = QLineEdit()
        self.when = WhenEdit("Europe/Berlin")
        self.after = QLineEdit()
        layout = QVBoxLayout(self)
        for w in (self.before, self.when, self.after):
            layout.addWidget(w)
        self.when.set_wall(START)


@pytest.fixture
def form(qtbot: QtBot) -> Form:
    widget = Form()
    qtbot.addWidget(widget)
    show_active(qtbot, widget)
    widget.before.setFocus()
    return widget


def _type(qtbot: QtBot, keys: str) -> None:
    """Type ``keys`` where the focus is; a tab character presses Tab."""
    parts = keys.split(TAB)
    for i, part in enumerate(parts):
        if part:
            type_text(qtbot, part)
        if i < len(parts) - 1:
            key(qtbot, Qt.Key.Key_Tab)


@pytest.mark.parametrize(("keys", "expected"), [
    # Tab after each part, even after a part that was complete and moved on by itself.
    ("\t5\tApr\t2027\t09\t30", dt.datetime(2027, 4, 5, 9, 30)),
    ("\t25\tApr\t2027\t9\t30", dt.datetime(2027, 4, 25, 9, 30)),
    # Separators as written, after a complete day too ("6 Dec").
    ("\t6 Dec 2027\t09:05", dt.datetime(2027, 12, 6, 9, 5)),
    ("\t3 Apr 2027\t9:05", dt.datetime(2027, 4, 3, 9, 5)),
    # No separators at all.
    ("\t5Apr2027\t0930", dt.datetime(2027, 4, 5, 9, 30)),
])
def test_a_typed_date_and_time_are_what_was_typed(qtbot: QtBot, form: Form, keys: str,
                                                  expected: dt.datetime) -> None:
    _type(qtbot, keys)
    assert form.when.wall() == expected
    weekday = f"{expected:%A}"
    assert form.when.zone_label.text().startswith(weekday)


def test_tab_leaves_the_time_after_its_last_part(qtbot: QtBot, form: Form) -> None:
    _type(qtbot, "\t5\tApr\t2027\t0930\t")
    assert form.when.wall() == dt.datetime(2027, 4, 5, 9, 30)
    assert focused() is form.after


def test_clicking_a_part_and_typing_replaces_it(qtbot: QtBot, form: Form) -> None:
    field = form.when.time.lineEdit()
    click(qtbot, field, QPoint(3, field.height() // 2))  # on the hour
    type_text(qtbot, "11")
    assert form.when.wall() == dt.datetime(2027, 3, 24, 11, 0)
    field = form.when.date.lineEdit()
    click(qtbot, field, QPoint(3, field.height() // 2))  # on the day
    type_text(qtbot, "9")
    assert form.when.wall() == dt.datetime(2027, 3, 9, 11, 0)


@pytest.fixture
def account(graph: AppGraph) -> Account:
    return AccountsRepo(graph.db).upsert_connected(
        open_id="open-q", display_name="Mia Chen", username="miacooks", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None)


def test_the_hour_of_a_queue_time_takes_typing(qtbot: QtBot, graph: AppGraph,
                                               account: Account) -> None:
    dialog = QueueDialog(graph.posts, account, "Europe/Berlin")
    qtbot.addWidget(dialog)
    show_active(qtbot, dialog)
    click(qtbot, dialog.add_button)
    row = dialog.rows[0]
    assert focused() is row.day
    key(qtbot, Qt.Key.Key_Tab)  # from the weekday to the time: the hour
    assert focused() is row.time
    type_text(qtbot, "1045")
    assert row.slot() == Slot(0, 10 * 60 + 45)
    field = row.time.lineEdit()
    click(qtbot, field, QPoint(3, field.height() // 2))  # the hour, with the mouse
    type_text(qtbot, "7")
    assert row.slot() == Slot(0, 7 * 60 + 45)
    assert ", 07:45 " in dialog.preview.text()  # the preview follows what was typed


def test_reschedule_to_a_skipped_day_already_over_says_it_has_passed(qtbot: QtBot) -> None:
    """Issue 14: Samoa skipped 30 Dec 2011. Before, the dialog offered "Pick 10:00 on Sat 31
    Dec 2011", a moment long gone, and never said so; nothing may be applied."""
    from tests.helpers.posts import make_post
    from tiktok_desktop.ui.schedule_dialogs import RescheduleDialog

    applied: list[int] = []
    post = make_post(due_at=None, due_tz="Pacific/Apia")
    dialog = RescheduleDialog(post, "UTC", lambda epoch, _zone: applied.append(epoch) or post,
                              clock=lambda: dt.datetime(2026, 12, 4, 12, 0,
                                                        tzinfo=dt.UTC).timestamp())
    qtbot.addWidget(dialog)
    dialog.set_wall_time(dt.datetime(2011, 12, 30, 10, 0))
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and applied == []
    assert dialog.error.text() == (
        "10:00 does not exist on Fri 30 Dec 2011 in Pacific/Apia (the clocks skip that whole "
        "day), and that time has already passed: pick a later time, or choose Post now.")
