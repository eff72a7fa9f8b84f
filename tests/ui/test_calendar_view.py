"""The week and month views: posts on the right day and hour in the app's zone (across DST
changes), navigation, dragging a post to reschedule it, dropping files on a slot."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.schedule_support import (
    BERLIN,
    World,
    berlin,
    drop,
    make_world,
    url_mime,
    week_slot,
)
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule_views import PostFilter
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.calendar_grid import post_mime
from tiktok_desktop.ui.calendar_view import GUTTER, HEADER_H, HOUR_H, CalendarView
from tiktok_desktop.ui.schedule_pane import SchedulePane
from tiktok_desktop.ui.tasks import TaskRunner


@pytest.fixture
def world(graph: AppGraph) -> World:
    return make_world(graph)


@pytest.fixture
def calendar(qtbot: QtBot, world: World) -> CalendarView:
    view = CalendarView(BERLIN, world.clock, first_weekday=0)
    qtbot.addWidget(view)
    view.resize(980, 700)
    view.show()
    return view


@pytest.fixture
def pane(qtbot: QtBot, world: World) -> Iterator[SchedulePane]:
    runner = TaskRunner()
    widget = SchedulePane(world.service, runner, zone_name=BERLIN, thumbnailer=None)
    qtbot.addWidget(widget)
    widget.resize(1000, 720)
    widget.show()
    yield widget
    runner.shutdown()


def _refresh(view: CalendarView | SchedulePane, world: World) -> None:
    view.set_posts(world.service.list_posts(), world.labels)


def _column(calendar: CalendarView, rect: QRectF) -> int:
    """Which day column (0 = first day of the week) a block sits in."""
    col_w = (calendar.week.viewport().width() - GUTTER) / 7
    column = int((rect.center().x() - GUTTER) // col_w)
    assert GUTTER + column * col_w <= rect.left() and rect.right() <= GUTTER + (column + 1) * col_w
    return column


def _minute(calendar: CalendarView, rect: QRectF) -> int:
    """The wall-clock minute of the day a block starts at (from its painted position)."""
    scroll = calendar.week.verticalScrollBar().value()
    return round((rect.top() - 1 - HEADER_H + scroll) / HOUR_H * 60)


def _slot(calendar: CalendarView, day: dt.date, minute: int) -> QPoint:
    return week_slot(calendar, day, minute)


def test_week_places_posts_by_wall_clock_across_spring_forward(
        calendar: CalendarView, world: World) -> None:
    saturday = world.post(berlin(2027, 3, 27, 9, 0), caption="Saturday nine")  # CET
    before = world.post(berlin(2027, 3, 28, 1, 30), caption="Before the change")  # CET
    after = world.post(berlin(2027, 3, 28, 3, 30), caption="After the change")  # CEST
    sunday = world.post(berlin(2027, 3, 28, 9, 0), caption="Sunday nine")  # CEST
    next_week = world.post(berlin(2027, 3, 29, 1, 30), caption="Next Monday")
    _refresh(calendar, world)
    calendar.go_to(dt.date(2027, 3, 28))
    assert calendar.week.days()[0] == dt.date(2027, 3, 22)  # Monday first
    rects = calendar.week.block_rects()
    assert next_week.id not in rects
    placed = {pid: (_column(calendar, r), _minute(calendar, r)) for pid, r in rects.items()}
    assert placed == {
        saturday.id: (5, 9 * 60),
        before.id: (6, 90),
        after.id: (6, 3 * 60 + 30),  # 02:00-03:00 never happened: nothing is shifted
        sunday.id: (6, 9 * 60),
    }
    assert "28 March 2027" in calendar.title.text()
    assert "Europe/Berlin" in calendar.zone_label.text()

    # The same instants in New York: two of the Sunday posts move to Saturday evening.
    calendar.set_zone("America/New_York")
    placed = {pid: (_column(calendar, r), _minute(calendar, r))
              for pid, r in calendar.week.block_rects().items()}
    assert placed[saturday.id] == (5, 4 * 60)  # 09:00 CET = 04:00 EDT (US changed on 14 Mar)
    assert placed[before.id] == (5, 20 * 60 + 30)
    assert placed[after.id] == (5, 21 * 60 + 30)
    assert placed[sunday.id] == (6, 3 * 60)


def test_week_shows_both_posts_of_a_repeated_hour(calendar: CalendarView, world: World) -> None:
    # Sun 31 Oct 2027: 02:30 happens twice in Berlin (CEST, then CET an hour later).
    first = world.post(berlin(2027, 10, 31, 2, 30), caption="first 02:30")
    second = world.post(berlin(2027, 10, 31, 2, 30) + 3600, caption="second 02:30")
    _refresh(calendar, world)
    calendar.go_to(dt.date(2027, 10, 31))
    rects = calendar.week.block_rects()
    assert _minute(calendar, rects[first.id]) == _minute(calendar, rects[second.id]) == 150
    assert _column(calendar, rects[first.id]) == _column(calendar, rects[second.id]) == 6
    assert not rects[first.id].intersects(rects[second.id])  # side by side, both visible


def test_month_puts_posts_on_their_day_and_counts_the_rest(
        calendar: CalendarView, world: World, qtbot: QtBot) -> None:
    calendar.set_mode("month")
    after = world.post(berlin(2027, 3, 28, 3, 30), caption="After the change")
    late = world.post(berlin(2027, 3, 27, 23, 30), caption="Saturday late")  # 22:30 UTC
    busy = [world.post(berlin(2027, 3, 30, 8, m), caption=f"busy {m}") for m in range(0, 50, 5)]
    _refresh(calendar, world)
    calendar.go_to(dt.date(2027, 3, 1))
    assert calendar.title.text() == "<b>March 2027</b>"
    month = calendar.month
    chips = month.block_rects()
    sunday = month.day_rect(dt.date(2027, 3, 28))
    saturday = month.day_rect(dt.date(2027, 3, 27))
    assert sunday is not None and saturday is not None
    assert sunday.contains(chips[after.id])
    assert saturday.contains(chips[late.id])
    shown = [p for p in busy if p.id in chips]
    (link, hidden, day), = month.more_links()
    assert day == dt.date(2027, 3, 30)
    assert 0 < len(shown) < len(busy) and len(shown) + hidden == len(busy)
    assert [p.id for p in shown] == [p.id for p in busy[:len(shown)]]  # earliest first

    # "+N more" opens that day's week.
    qtbot.mouseClick(month.viewport(), Qt.MouseButton.LeftButton, pos=link.center().toPoint())
    assert calendar.mode() == "week"
    assert dt.date(2027, 3, 30) in calendar.week.days()
    assert set(calendar.week.block_rects()) >= {p.id for p in busy[:2]}


def test_navigation_previous_next_today(calendar: CalendarView, world: World,
                                        qtbot: QtBot) -> None:
    assert calendar.shown_date() == dt.date(2027, 3, 24)  # the fake clock's today
    qtbot.mouseClick(calendar.next_button, Qt.MouseButton.LeftButton)
    assert calendar.week.days()[0] == dt.date(2027, 3, 29)
    assert calendar.title.text() == "<b>29 Mar – 4 Apr 2027</b>"
    qtbot.mouseClick(calendar.prev_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(calendar.prev_button, Qt.MouseButton.LeftButton)
    assert calendar.week.days()[0] == dt.date(2027, 3, 15)
    calendar.set_mode("month")
    qtbot.mouseClick(calendar.next_button, Qt.MouseButton.LeftButton)
    assert calendar.title.text() == "<b>April 2027</b>"
    qtbot.mouseClick(calendar.today_button, Qt.MouseButton.LeftButton)
    assert calendar.title.text() == "<b>March 2027</b>"


def test_clicking_a_block_selects_it_and_filters_hide_posts(
        calendar: CalendarView, world: World, qtbot: QtBot) -> None:
    mine = world.post(berlin(2027, 3, 25, 10, 0), caption="Mia's")
    theirs = world.post(berlin(2027, 3, 25, 14, 0), caption="Studio's", account=world.studio)
    _refresh(calendar, world)
    rect = calendar.week.block_rects()[mine.id]
    with qtbot.waitSignal(calendar.current_changed) as blocker:
        qtbot.mouseClick(calendar.week.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center().toPoint())
    assert blocker.args == [mine.id]
    with qtbot.waitSignal(calendar.post_activated) as blocker:
        qtbot.mouseDClick(calendar.week.viewport(), Qt.MouseButton.LeftButton,
                          pos=rect.center().toPoint())
    assert blocker.args == [mine.id]
    calendar.set_filter(PostFilter(account_id=world.studio.id))
    assert set(calendar.week.block_rects()) == {theirs.id}
    calendar.set_filter(PostFilter(text="MIA"))
    assert set(calendar.week.block_rects()) == {mine.id}


def test_dragging_a_post_reschedules_it(pane: SchedulePane, world: World, qtbot: QtBot) -> None:
    post = world.post(berlin(2027, 3, 25, 10, 0), caption="Move me")
    _refresh(pane, world)
    pane.set_view("week")
    calendar = pane.calendar
    grab = calendar.week.block_rects()[post.id].topLeft().toPoint() + QPoint(5, 12)
    offset = calendar.week.grab_offset(post, grab)  # picked up 15 minutes into the block
    assert offset == 15
    target = _slot(calendar, dt.date(2027, 3, 26), 14 * 60 + 15)  # Friday 14:15
    with qtbot.waitSignal(pane.changed):
        assert drop(calendar.week.viewport(), target, post_mime(post.id, offset))
    moved = world.service.get(post.id)
    assert moved is not None
    assert moved.due_at == berlin(2027, 3, 26, 14, 0)  # the block's top follows the grip
    assert moved.state is PostState.SCHEDULED
    rect = calendar.week.block_rects()[post.id]
    assert (_column(calendar, rect), _minute(calendar, rect)) == (4, 14 * 60)
    assert "rescheduled" in world.repo.events(post.id)[-1].detail


def test_a_refused_drag_moves_nothing_and_says_why(pane: SchedulePane, world: World,
                                                   qtbot: QtBot) -> None:
    post = world.post(berlin(2027, 3, 25, 10, 0), caption="Stay")
    _refresh(pane, world)
    pane.set_view("week")
    calendar = pane.calendar
    column = _column(calendar, calendar.week.block_rects()[post.id])
    # Monday is in the past: the service refuses, the calendar keeps the post where it was.
    with qtbot.assertNotEmitted(pane.changed):
        drop(calendar.week.viewport(), _slot(calendar, dt.date(2027, 3, 22), 10 * 60),
             post_mime(post.id))
    assert world.service.get(post.id).due_at == post.due_at  # type: ignore[union-attr]
    assert "has already passed" in pane.notice_text()
    calendar.week.scroll_to_minute(8 * 60)
    assert _column(calendar, calendar.week.block_rects()[post.id]) == column

    # Sunday 02:15 does not exist in Berlin: said in plain words, nothing asked of the service.
    pane.hide_notice()
    with qtbot.assertNotEmitted(calendar.move_requested):
        drop(calendar.week.viewport(), _slot(calendar, dt.date(2027, 3, 28), 2 * 60 + 15),
             post_mime(post.id))
    assert "does not exist" in pane.notice_text()
    assert "clocks go forward" in pane.notice_text()
    assert world.service.get(post.id).due_at == post.due_at  # type: ignore[union-attr]


def test_a_published_post_cannot_be_dragged(pane: SchedulePane, world: World,
                                            qtbot: QtBot) -> None:
    done = world.post(berlin(2027, 3, 24, 9, 0), state=PostState.PUBLISHED)
    _refresh(pane, world)
    pane.set_view("week")
    with qtbot.assertNotEmitted(pane.changed):
        drop(pane.calendar.week.viewport(),
             _slot(pane.calendar, dt.date(2027, 3, 26), 9 * 60), post_mime(done.id))
    assert "can no longer be changed" in pane.notice_text()  # the service's own words
    assert world.service.get(done.id).state is PostState.PUBLISHED  # type: ignore[union-attr]


def test_files_dropped_on_a_slot_carry_its_time(calendar: CalendarView, world: World,
                                                qtbot: QtBot) -> None:
    target = _slot(calendar, dt.date(2027, 3, 25), 16 * 60 + 40)
    with qtbot.waitSignal(calendar.files_dropped) as blocker:
        assert drop(calendar.week.viewport(), target, url_mime("/videos/a.mp4", "/videos/b.mov"))
    assert blocker.args == [["/videos/a.mp4", "/videos/b.mov"],
                            berlin(2027, 3, 25, 16, 30)]  # snapped to the quarter hour

    calendar.set_mode("month")
    friday = calendar.month.day_rect(dt.date(2027, 3, 26))
    assert friday is not None
    with qtbot.waitSignal(calendar.files_dropped) as blocker:
        assert drop(calendar.month.viewport(), friday.center().toPoint(), url_mime("/v/c.mp4"))
    assert blocker.args == [["/v/c.mp4"], berlin(2027, 3, 26, 9, 0)]
    today = calendar.month.day_rect(dt.date(2027, 3, 24))  # 13:00 now: the next quarter hour
    assert today is not None
    with qtbot.waitSignal(calendar.files_dropped) as blocker:
        assert drop(calendar.month.viewport(), today.center().toPoint(), url_mime("/v/d.mp4"))
    assert blocker.args == [["/v/d.mp4"], berlin(2027, 3, 24, 13, 15)]


def test_week_lays_out_only_its_own_posts_of_100k(calendar: CalendarView, world: World) -> None:
    template = world.post(berlin(2027, 3, 25, 10, 0))
    start = berlin(2027, 1, 1, 0, 0)
    # In memory: 100k posts every 5 minutes from 1 Jan (about 347 days).
    posts = [dataclasses.replace(template, id=i, due_at=start + i * 300) for i in range(100_000)]
    calendar.set_posts(posts, world.labels)
    calendar.go_to(dt.date(2027, 3, 24))
    rects = calendar.week.block_rects()
    monday, next_monday = berlin(2027, 3, 22, 0, 0), berlin(2027, 3, 29, 0, 0)
    in_week = [p for p in posts if monday <= p.due_at < next_monday]  # type: ignore[operator]
    assert len(in_week) == (7 * 24 - 1) * 12  # Sunday had 23 hours
    assert set(rects) == {p.id for p in in_week}  # every one shown, none hidden


def test_posts_at_the_same_hour_all_show_side_by_side(
        pane: SchedulePane, world: World, qtbot: QtBot) -> None:
    """No "+2" that hides posts and jumps to the list: each one has its own block."""
    crowd = [world.post(berlin(2027, 3, 25, 10, m), caption=f"crowd {m}") for m in range(0, 30, 5)]
    _refresh(pane, world)
    pane.set_view("week")
    week = pane.calendar.week
    week.scroll_to_minute(9 * 60)
    rects = week.block_rects()
    assert set(rects) == {p.id for p in crowd}
    assert {_column(pane.calendar, rects[p.id]) for p in crowd} == {3}  # all on Thursday
    lefts = sorted(rects[p.id].left() for p in crowd)
    assert len(set(lefts)) == len(crowd)  # side by side, none on top of another
    last = crowd[-1]
    qtbot.mouseClick(week.viewport(), Qt.MouseButton.LeftButton,
                     pos=rects[last.id].center().toPoint())
    assert pane.view_mode() == "week"  # a click selects; it does not leave the week
    assert pane.current_post().id == last.id  # type: ignore[union-attr]


def test_a_dragged_post_shows_the_time_it_would_get(pane: SchedulePane, world: World,
                                                    qtbot: QtBot) -> None:
    post = world.post(berlin(2027, 3, 25, 9, 0), caption="Moving day")
    _refresh(pane, world)
    pane.set_view("week")
    calendar = pane.calendar
    week = calendar.week
    target = _slot(calendar, dt.date(2027, 3, 26), 16 * 60 + 40)
    mime = post_mime(post.id, 0)
    actions = Qt.DropAction.MoveAction
    for event in (QDragEnterEvent(target, actions, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(target, actions, mime, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(week.viewport(), event)
    assert week.hint_text() == "→ Fri 26, 16:30"  # where it lands, not 09:00
    # On a time the clocks skip, it says so before the drop.
    gap = _slot(calendar, dt.date(2027, 3, 28), 2 * 60 + 15)
    QApplication.sendEvent(week.viewport(), QDragMoveEvent(
        gap, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    assert week.hint_text() == "The clocks skip this time"
    QApplication.sendEvent(week.viewport(), QDragLeaveEvent())
    assert week.hint_text() == ""
    assert world.service.get(post.id).due_at == berlin(2027, 3, 25, 9, 0)  # type: ignore[union-attr]


def test_an_unscheduled_post_is_dragged_back_onto_the_calendar(
        pane: SchedulePane, world: World, qtbot: QtBot) -> None:
    back = world.post(berlin(2027, 3, 25, 9, 0), caption="Back on the list")
    world.service.unschedule(back.id)
    unsure = world.post(None, caption="Never agreed", consent=False)
    _refresh(pane, world)
    pane.set_view("week")
    panel = pane.calendar.drafts
    assert panel.isVisible() and panel.list.count() == 2
    assert "Not scheduled</b> (2)" in panel.title.text()
    # A draft saved without the creator's consent cannot be dragged: the editor asks for it.
    panel.list.setCurrentRow(next(i for i in range(2)
                                  if panel.list.item(i).text() == "Never agreed"))
    with qtbot.waitSignal(pane.calendar.message) as said:
        panel.list.startDrag(Qt.DropAction.MoveAction)
    assert "consent" in said.args[0]
    # The other one goes back on the schedule at the hour it is dropped on.
    target = _slot(pane.calendar, dt.date(2027, 3, 26), 11 * 60)
    with qtbot.waitSignal(pane.changed):
        assert drop(pane.calendar.week.viewport(), target, post_mime(back.id, 0))
    moved = world.service.get(back.id)
    assert moved is not None and moved.state is PostState.SCHEDULED
    assert moved.due_at == berlin(2027, 3, 26, 11, 0)
    assert back.id in pane.calendar.week.block_rects()
    assert panel.list.count() == 1 and unsure.id not in pane.calendar.week.block_rects()


def test_the_week_opens_on_the_selected_post(pane: SchedulePane, world: World,
                                             qtbot: QtBot) -> None:
    """Seen using the app: with an evening post selected in the list, Week opened on the
    current week at 07:00 and the post was nowhere in sight."""
    post = world.post(berlin(2027, 3, 25, 20, 30), caption="Evening")
    _refresh(pane, world)
    pane.select_post(post.id)
    pane.set_view("week")
    calendar = pane.calendar
    assert dt.date(2027, 3, 25) in calendar.week.days()
    rect = calendar.week.block_rects()[post.id]
    assert calendar.week.viewport().rect().contains(rect.toRect())  # on screen, whole
    assert calendar.selected_id() == post.id
