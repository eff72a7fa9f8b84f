"""Edits a creator can trust (issue 13): a time typed in the Settings zone on a computer in
another zone goes in, shows in the list, and comes back unchanged in Edit and Reschedule,
across a DST change too; an edit keeps the post's privacy, zone and file name.

The computer runs on UTC here (TZ in the test process) and Settings shows Europe/Berlin.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import (
    click,
    key,
    local_zone,
    newest_composer,
    open_ready,
    pick_privacy,
    show_active,
    type_text,
)
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule import describe, resolve_local
from tiktok_desktop.store import Account, NewPost, Post
from tiktok_desktop.ui.composer import Composer
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.schedule_dialogs import RescheduleDialog
from tiktok_desktop.ui.schedule_model import ScheduleModel

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with local_zone("UTC"):
        graph.settings.timezone = BERLIN
        win = main_window(graph, open_url=lambda _u: False)
        qtbot.addWidget(win)
        show_active(qtbot, win)
        yield win
        for composer in list(win.composers):
            composer.close()


def _day_after(days: int) -> dt.date:
    return (dt.datetime.now(zoneinfo.ZoneInfo(BERLIN)) + dt.timedelta(days=days)).date()


def _type_when(qtbot: QtBot, composer: Composer, day: dt.date, hhmm: str) -> None:
    """Click the day part of the date, type the date, Tab to the time, type it."""
    field = composer.at_edit.date.lineEdit()
    click(qtbot, field, QPoint(4, field.height() // 2))
    type_text(qtbot, f"{day.day} {day:%b} {day.year}")
    key(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, hhmm)


def _schedule(qtbot: QtBot, composer: Composer) -> Post:
    assert composer.publish.isEnabled(), composer.problems.text()
    with qtbot.waitSignal(composer.posted, timeout=10000) as blocker:
        click(qtbot, composer.publish)
    post = blocker.args[0]
    assert isinstance(post, Post)
    return post


def _edit_with_enter(qtbot: QtBot, window: MainWindow, post_id: int) -> Composer:
    pane = window.schedule_pane
    show_active(qtbot, window)  # back in the main window, as after closing a composer
    pane.view.setFocus()
    pane.select_post(post_id)
    before = len(window.composers)
    key(qtbot, Qt.Key.Key_Return)
    return newest_composer(qtbot, window, before)


def _due_text(window: MainWindow, post_id: int) -> str:
    pane = window.schedule_pane
    row = pane.proxy.row_of(post_id)
    assert row is not None
    return str(pane.proxy.index(row, ScheduleModel.DUE).data())


def test_a_new_post_starts_an_hour_from_now(qtbot: QtBot, window: MainWindow,
                                            videos: VideoFactory) -> None:
    c = open_ready(qtbot, window, videos.get())
    assert "Europe/Berlin" in c.at_edit.zone_label.text()
    pick_privacy(c, "SELF_ONLY")
    assert c.publish.isEnabled(), c.problems.text()
    assert abs(c.due_at() - (time.time() + 3600)) < 61


def test_a_typed_time_comes_back_unchanged_in_the_list_edit_and_reschedule(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        tmp_path: Path) -> None:
    original = videos.copy_to(tmp_path / "mine", "pasta night.mp4")
    c = open_ready(qtbot, window, original)
    pick_privacy(c, "MUTUAL_FOLLOW_FRIENDS")
    day = _day_after(2)
    _type_when(qtbot, c, day, "0945")
    wall = dt.datetime(day.year, day.month, day.day, 9, 45)
    assert c.at_edit.wall() == wall
    post = _schedule(qtbot, c)
    due = resolve_local(wall, BERLIN).epoch
    assert post.due_at == due and post.due_tz == BERLIN
    assert _due_text(window, post.id).endswith(", 09:45")

    e = _edit_with_enter(qtbot, window, post.id)
    assert e.editing is not None and e.editing.id == post.id
    assert e.at_edit.wall() == wall and "Europe/Berlin" in e.at_edit.zone_label.text()
    # The saved privacy is shown and accepted: nothing needs touching to save again.
    assert e.privacy.currentData() == "MUTUAL_FOLLOW_FRIENDS"
    assert "Choose who can view" not in e.problems.text()
    edited = _schedule(qtbot, e)
    assert edited.due_at == due and edited.due_tz == BERLIN
    assert edited.privacy_level == "MUTUAL_FOLLOW_FRIENDS"
    assert edited.video_path == post.video_path and edited.video_sha256 == post.video_sha256
    # The name the creator knows, not the library copy's hash, everywhere after the edit.
    assert Path(edited.video_path).name != "pasta night.mp4"
    pane = window.schedule_pane
    row = pane.proxy.row_of(post.id)
    assert pane.proxy.index(row, ScheduleModel.VIDEO).data() == "pasta night.mp4"  # type: ignore[arg-type]
    assert "pasta night.mp4" in window.statusBar().currentMessage()
    assert _due_text(window, post.id).endswith(", 09:45")
    pane.actions.act_reschedule.trigger()
    dialog = pane.actions.dialog
    assert isinstance(dialog, RescheduleDialog)
    assert "pasta night.mp4" in dialog.windowTitle()
    assert dialog.wall_time() == wall
    dialog.reject()


def test_an_edit_across_the_dst_change_keeps_the_time(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        account: Account) -> None:
    tz = zoneinfo.ZoneInfo(BERLIN)
    now = dt.datetime.now(tz)
    day = now.date() + dt.timedelta(days=1)
    while (dt.datetime.combine(day, dt.time(12), tz).utcoffset()
           == now.utcoffset()):  # the first day on the other side of the next change
        day += dt.timedelta(days=1)
    wall = dt.datetime.combine(day, dt.time(9, 45))
    due = resolve_local(wall, BERLIN).epoch
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=due, due_tz=BERLIN))
    window.refresh()
    assert _due_text(window, post.id).endswith(", 09:45")
    e = _edit_with_enter(qtbot, window, post.id)
    assert e.at_edit.wall() == wall
    offset = dt.datetime.combine(day, dt.time(9, 45), tz).tzname()
    assert e.at_edit.zone_label.text().endswith(f"Europe/Berlin ({offset})")
    assert _schedule(qtbot, e).due_at == due


def test_an_edit_keeps_the_zone_the_post_was_scheduled_in(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        account: Account) -> None:
    day = _day_after(3)
    wall = dt.datetime.combine(day, dt.time(8, 30))
    due = resolve_local(wall, NEW_YORK).epoch
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=due, due_tz=NEW_YORK))
    window.refresh()
    berlin_text = describe(due, BERLIN)
    assert _due_text(window, post.id).endswith(berlin_text[-9:-4])  # the list: Berlin time
    e = _edit_with_enter(qtbot, window, post.id)
    # Edit shows the post's own zone, named, and says what the list shows.
    assert e.at_edit.wall() == wall and "America/New_York" in e.at_edit.zone_label.text()
    assert berlin_text in e.when_note.text()
    edited = _schedule(qtbot, e)
    assert (edited.due_at, edited.due_tz) == (due, NEW_YORK)
    # Reschedule agrees with the composer.
    window.schedule_pane.actions.act_reschedule.trigger()
    dialog = window.schedule_pane.actions.dialog
    assert isinstance(dialog, RescheduleDialog)
    assert dialog.wall_time() == wall and "America/New_York" in dialog.when.zone_label.text()
    dialog.reject()
