"""Shared set-up for the schedule pane and calendar tests: a PostsService on the test's real
SQLite file with a fake clock, two connected accounts, and helpers to make posts and to
drop things on a widget the way Qt delivers a drag and drop."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget

from tests.helpers.clock import FakeClock
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    NewPost,
    Post,
    PostMode,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.ui.calendar_view import GUTTER, HEADER_H, HOUR_H, CalendarView

BERLIN = "Europe/Berlin"
TZ = zoneinfo.ZoneInfo(BERLIN)
# Wed 24 Mar 2027, 13:00 in Berlin: the clocks go forward on Sunday 28 Mar at 02:00.
START = dt.datetime(2027, 3, 24, 13, 0, tzinfo=TZ).timestamp()


def berlin(*parts: int) -> int:
    """Epoch of a wall-clock time in Berlin (the first one when it happens twice)."""
    return int(dt.datetime(*parts, tzinfo=TZ).timestamp())


@dataclass
class World:
    graph: AppGraph
    clock: FakeClock
    service: PostsService
    repo: PostsRepo
    mia: Account
    studio: Account

    @property
    def labels(self) -> dict[int, str]:
        return {self.mia.id: self.mia.label, self.studio.id: self.studio.label}

    def post(self, due: int | None, *, account: Account | None = None,
             state: PostState = PostState.SCHEDULED, caption: str = "A caption",
             path: str = "/videos/clip.mp4", share_url: str | None = None,
             consent: bool = True, mode: PostMode = PostMode.DIRECT) -> Post:
        """A post in `state`, made through the store (the service would check the time)."""
        if due is None:
            state = PostState.DRAFT  # nothing else exists without a due time
        first = PostState.DRAFT if state is PostState.DRAFT else PostState.SCHEDULED
        post = self.repo.create(NewPost(
            account_id=(account or self.mia).id, video_path=path, video_size=1000,
            caption=caption, privacy_level="PUBLIC_TO_EVERYONE", mode=mode, due_at=due,
            due_tz=BERLIN, consent_at=int(self.clock()) if consent else None), first)
        if state is not first:
            post = self.repo.transition(post.id, state, f"test put it in {state.value}",
                                        share_url=share_url,
                                        last_error_message="TikTok said no"
                                        if state is PostState.FAILED else None)
        return post


def make_world(graph: AppGraph, start: float = START) -> World:
    clock = FakeClock(start)
    accounts = AccountsRepo(graph.db)
    now = int(start)
    mia = accounts.upsert_connected(
        open_id="open-mia", display_name="Mia Chen", username="miacooks", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=now + 3600,
        refresh_expires_at=now + 300 * 86400)
    studio = accounts.upsert_connected(
        open_id="open-studio", display_name="Studio North", username="", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=now + 3600,
        refresh_expires_at=now + 300 * 86400)
    repo = PostsRepo(graph.db)
    service = PostsService(repo, accounts, QueueRepo(graph.db), clock=clock)
    return World(graph, clock, service, repo, mia, studio)


def week_slot(calendar: CalendarView, day: dt.date, minute: int) -> QPoint:
    """A point inside the week's slot for `day` at `minute` (shown and scrolled into view)."""
    week = calendar.week
    if day not in week.days():
        calendar.go_to(day)
    week.scroll_to_minute(max(0, minute - 60))
    col_w = (week.viewport().width() - GUTTER) / 7
    x = GUTTER + week.days().index(day) * col_w + col_w / 2
    y = HEADER_H + minute / 60 * HOUR_H - week.verticalScrollBar().value() + 2
    return QPoint(int(x), int(y))


def url_mime(*paths: str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(p) for p in paths])
    return mime


def drop(widget: QWidget, pos: QPoint, mime: QMimeData) -> bool:
    """Deliver drag-enter, drag-move and drop at `pos` as Qt does; True if the drop was taken."""
    point = QPointF(pos)
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    buttons = Qt.MouseButton.LeftButton
    none = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, none)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(pos, actions, mime, buttons, none)
    QApplication.sendEvent(widget, move)
    event = QDropEvent(point, actions, mime, buttons, none)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()
