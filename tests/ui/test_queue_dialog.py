"""The queue dialog on a real database: rows, zone, live preview of the next free times, save."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from tests.helpers.clock import FakeClock
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.store import Account, AccountsRepo, NewPost, PostsRepo, PostState
from tiktok_desktop.store.queue import QueueRepo, Slot
from tiktok_desktop.ui.queue_dialog import QueueDialog

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# FakeClock starts at Fri 15 Jan 2027, 08:00 UTC.
MON_0900, WED_1830 = Slot(0, 9 * 60), Slot(2, 18 * 60 + 30)


def _at(day: int, hour: int, minute: int = 0, tz: zoneinfo.ZoneInfo = BERLIN) -> int:
    return int(dt.datetime(2027, 1, day, hour, minute, tzinfo=tz).timestamp())


@pytest.fixture
def account(graph: AppGraph) -> Account:
    return AccountsRepo(graph.db).upsert_connected(
        open_id="open-q", display_name="Mia Chen", username="miacooks", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None)


@pytest.fixture
def service(graph: AppGraph) -> PostsService:
    return PostsService(PostsRepo(graph.db), AccountsRepo(graph.db), QueueRepo(graph.db),
                        clock=FakeClock())


def _dialog(qtbot: QtBot, service: PostsService, account: Account,
            app_zone: str = "UTC") -> QueueDialog:
    dialog = QueueDialog(service, account, app_zone=app_zone)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_edit_slots_with_a_live_preview_and_save(qtbot: QtBot, service: PostsService,
                                                 account: Account) -> None:
    service.set_queue_slots(account.id, [WED_1830, MON_0900], "Europe/Berlin")
    # Monday's slot is taken by a scheduled post; a draft without a time takes nothing.
    repo = service.repo
    repo.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1,
                        due_at=_at(18, 9), due_tz="Europe/Berlin"), PostState.SCHEDULED)
    repo.create(NewPost(account_id=account.id, video_path="/d.mp4", video_size=1))
    dialog = _dialog(qtbot, service, account)

    assert [(r.day.currentText(), r.time.time().toString("HH:mm")) for r in dialog.rows] == [
        ("Monday", "09:00"), ("Wednesday", "18:30")]
    assert dialog.zone.currentText() == "Europe/Berlin"
    assert not dialog.empty.isVisible() and not dialog.problem.isVisible()
    expected = [_at(20, 18, 30), _at(25, 9), _at(27, 18, 30)]
    assert dialog.preview_times() == expected == service.next_queue_times(account.id, 3)
    text = dialog.preview.text()
    assert [describe(t, "Europe/Berlin") in text for t in expected] == [True] * 3
    assert describe(_at(18, 9), "Europe/Berlin") not in text  # taken

    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.rows[-1].slot() == Slot(3, 18 * 60 + 30)  # the day after, same time
    assert describe(_at(21, 18, 30), "Europe/Berlin") in dialog.preview.text()
    qtbot.mouseClick(dialog.rows[0].remove, Qt.MouseButton.LeftButton)
    assert dialog.slots() == [WED_1830, Slot(3, 18 * 60 + 30)]
    assert dialog.preview_times() == [_at(20, 18, 30), _at(21, 18, 30), _at(27, 18, 30)]

    dialog.zone.setCurrentText("America/New_York")
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert dialog.preview_times()[0] == _at(20, 18, 30, ny)
    assert "EST" in dialog.preview.text()
    assert service.queue_slots(account.id) == ("Europe/Berlin", [MON_0900, WED_1830])  # unsaved

    with qtbot.waitSignal(dialog.slots_saved) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert saved.args == [account.id]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert service.queue_slots(account.id) == (
        "America/New_York", [WED_1830, Slot(3, 18 * 60 + 30)])


def test_empty_queue_duplicates_bad_zone_and_cancel(qtbot: QtBot, service: PostsService,
                                                    account: Account) -> None:
    dialog = _dialog(qtbot, service, account, app_zone="Europe/Berlin")
    assert dialog.rows == []
    assert dialog.empty.isVisible()
    assert dialog.zone.currentText() == "The app's time zone (Europe/Berlin)"
    assert dialog.preview.text() == ""

    first = dialog.add_row()
    assert first.slot() == MON_0900
    assert not dialog.empty.isVisible()
    assert describe(_at(18, 9), "Europe/Berlin") in dialog.preview.text()
    second = dialog.add_row()
    assert second.slot() == Slot(1, 9 * 60)
    second.day.setCurrentIndex(0)  # now Monday 09:00 twice
    assert dialog.problem.isVisible()
    assert dialog.problem.text() == "Mon 09:00 is listed more than once; it is saved once."
    assert dialog.slots() == [MON_0900]
    second.time.setTime(QTime(7, 15))
    assert not dialog.problem.isVisible()

    dialog.zone.setCurrentText("Nowhere/City")
    assert not dialog.save_button.isEnabled()
    assert "“Nowhere/City” is not a time zone" in dialog.problem.text()
    assert dialog.preview.text() == ""
    dialog.zone.setCurrentIndex(0)
    assert dialog.save_button.isEnabled()

    qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert service.queue_slots(account.id) == ("", [])

    again = _dialog(qtbot, service, account, app_zone="Europe/Berlin")
    again.add_row()
    with qtbot.waitSignal(again.slots_saved):
        again.save()
    assert service.queue_slots(account.id) == ("", [MON_0900])  # "" = the app's zone


def test_removing_every_row_saves_an_empty_queue(qtbot: QtBot, service: PostsService,
                                                 account: Account, tmp_path: Path) -> None:
    service.set_queue_slots(account.id, [MON_0900], "")
    dialog = _dialog(qtbot, service, account)
    dialog.resize(480, 460)
    dialog.add_row()
    shot = dialog.grab()
    assert shot.save(str(tmp_path / "queue_dialog.png"))
    assert not shot.isNull()
    for row in list(dialog.rows):
        qtbot.mouseClick(row.remove, Qt.MouseButton.LeftButton)
    assert dialog.empty.isVisible() and dialog.preview.text() == ""
    with qtbot.waitSignal(dialog.slots_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert service.queue_slots(account.id) == ("", [])
