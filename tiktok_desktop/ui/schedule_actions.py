"""What can be done with the selected post, as QActions (toolbar, context menu, Delete key)
and the code that does it through PostsService.

A mixin of SchedulePane: it reads the pane's model, calendar and notice bar, and is kept
apart so the pane's file holds the layout and this one the behaviour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QTableView, QToolBar

from tiktok_desktop.services.posts import PostsService, ScheduleRefused, video_name
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.services.schedule_views import allowed_actions, history
from tiktok_desktop.store import Post, StoreError
from tiktok_desktop.ui.calendar_view import CalendarView
from tiktok_desktop.ui.schedule_dialogs import HistoryDialog, RescheduleDialog
from tiktok_desktop.ui.schedule_filters import FilterBar
from tiktok_desktop.ui.schedule_model import ScheduleModel

log = logging.getLogger(__name__)


class PostActions:
    """Edit, Reschedule, Post now, Unschedule, Delete, History, Open on TikTok."""

    posts: PostsService
    open_url: Callable[[str], bool]
    confirm: Callable[[str, str], bool]  # (title, text) -> go ahead? Tests replace it.
    dialog: QDialog | None  # the last dialog opened (non-modal to the event loop: open())
    menu: QMenu | None
    toolbar: QToolBar
    # The pane's parts and signals this code uses.
    model: ScheduleModel
    calendar: CalendarView
    view: QTableView
    filters: FilterBar
    zone_name: str
    _current: int | None
    edit_requested: Any
    changed: Any
    message: Any
    show_notice: Callable[..., None]
    hide_notice: Callable[[], None]
    current_post: Callable[[], Post | None]
    select_post: Callable[[int | None], None]
    _sync_selection: Callable[[], None]
    _update_page: Callable[[], None]

    def _build_actions(self) -> None:
        def make(text: str, slot: Callable[[], object], tip: str,
                 shortcut: QKeySequence | None = None) -> QAction:
            act = QAction(text, self)
            act.setToolTip(tip)
            act.triggered.connect(lambda _checked=False: slot())
            if shortcut is not None:
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)
            return act

        self.act_edit = make("Edit…", self.edit, "Open the post in the editor")
        self.act_reschedule = make("Reschedule…", self.reschedule, "Pick a new date and time")
        self.act_post_now = make("Post now", self.post_now, "Send it to TikTok right away")
        self.act_unschedule = make("Unschedule", self.unschedule,
                                   "Take it off the schedule; it stays as a draft")
        self.act_delete = make("Delete…", self.delete, "Remove the post from the app",
                               QKeySequence(QKeySequence.StandardKey.Delete))
        self.act_history = make("History…", self.show_history, "Everything that happened to it")
        self.act_open = make("Open on TikTok", self.open_on_tiktok,
                             "Open the published video in your browser")
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setIconSize(QSize(16, 16))
        for act in self.post_actions():
            self.toolbar.addAction(act)
            if act is self.act_delete:
                self.toolbar.addSeparator()

    def post_actions(self) -> list[QAction]:
        return [self.act_edit, self.act_reschedule, self.act_post_now, self.act_unschedule,
                self.act_delete, self.act_history, self.act_open]

    def _update_actions(self) -> None:
        post = self.current_post()
        if post is None:
            for act in self.post_actions():
                act.setEnabled(False)
            return
        allowed = allowed_actions(post)
        self.act_edit.setEnabled(allowed.edit)
        self.act_reschedule.setEnabled(allowed.reschedule)
        self.act_post_now.setEnabled(allowed.post_now)
        self.act_unschedule.setEnabled(allowed.unschedule)
        self.act_delete.setEnabled(allowed.delete)
        self.act_history.setEnabled(True)
        self.act_open.setEnabled(allowed.open_on_tiktok)
        why = allowed.why_not_reschedule
        for act, tip in ((self.act_reschedule, "Pick a new date and time"),
                         (self.act_post_now, "Send it to TikTok right away")):
            act.setToolTip(why or tip)

    def _context_menu(self, global_pos: QPoint) -> None:
        if self.current_post() is None:
            return
        if self.menu is None:  # one menu, reused: a new one per click would pile up
            self.menu = QMenu(self)
            for act in self.post_actions():
                self.menu.addAction(act)
        self.menu.popup(global_pos)

    # -- actions -----------------------------------------------------------------------------

    def _fresh(self, post_id: int | None = None) -> Post | None:
        """The post as the database has it now (the engine may have moved it meanwhile)."""
        wanted = self._current if post_id is None else post_id
        if wanted is None:
            return None
        post = self.posts.get(wanted)
        if post is None:
            self.show_notice("That post no longer exists.")
            self._removed(wanted)
        elif self.model.row_of(post.id) is not None:
            self.model.put(post)
            self.calendar.put_post(post)
            self._update_actions()
        return post

    def activate(self, post_id: int | None = None) -> None:
        """Double-click: edit a post that can still change, otherwise show its history."""
        if post_id is not None:
            self.select_post(post_id)
        post = self.current_post()
        if post is None:
            return
        if allowed_actions(post).edit:
            self.edit()
        else:
            self.show_history()

    def edit(self) -> None:
        post = self._fresh()
        if post is not None:
            self.edit_requested.emit(post.id)

    def reschedule(self) -> None:
        post = self._fresh()
        if post is None:
            return
        why = allowed_actions(post).why_not_reschedule
        if why:
            self.show_notice(why)
            return
        dialog = RescheduleDialog(
            post, self.zone_name, lambda epoch, zone: self.posts.reschedule(post.id, epoch, zone),
            clock=self.posts.clock, parent=self)
        dialog.accepted.connect(lambda: self._rescheduled(dialog))
        self._open_dialog(dialog)

    def _rescheduled(self, dialog: RescheduleDialog) -> None:
        post = dialog.result_post
        assert post is not None and post.due_at is not None
        self._applied(post, f"Rescheduled to {describe(post.due_at, self.zone_name)}.")
        if dialog.note:
            self.show_notice(dialog.note, error=False)

    def move_post(self, post_id: int, epoch: int) -> bool:
        """Reschedule a post to `epoch` (a calendar drag); a refusal is shown, nothing moves.

        The post keeps its own zone; one without a zone takes the zone the calendar shows,
        where the user just picked the time.
        """
        row = self.model.row_of(post_id)
        own_zone = self.model.post(row).due_tz if row is not None else ""
        zone = "" if own_zone else self.zone_name
        return self._run(lambda: self.posts.reschedule(post_id, epoch, zone),
                         lambda p: f"Moved to {describe(epoch, self.zone_name)}.")

    def post_now(self) -> None:
        post = self._fresh()
        if post is None:
            return
        why = allowed_actions(post).why_not_reschedule
        if why:
            self.show_notice(why)
            return
        account = self.model.account_label(post.account_id)
        if not self.confirm("Post now", f"Post {video_name(post)} to {account} now?"
                            "\n\nIt goes to TikTok within a minute."):
            return
        self._run(lambda: self.posts.reschedule(post.id, int(self.posts.clock())),
                  lambda p: f"{video_name(p)} goes out now.")

    def unschedule(self) -> None:
        post = self._fresh()
        if post is not None:
            self._run(lambda: self.posts.unschedule(post.id),
                      lambda p: f"{video_name(p)} is a draft again.")

    def delete(self) -> None:
        post = self._fresh()
        if post is None:
            return
        if not allowed_actions(post).delete:
            self.show_notice("TikTok Desktop is working on this post right now; wait until it "
                             "finishes or fails before removing it.")
            return
        if not self.confirm("Delete post", f"Delete {video_name(post)} and its "
                            "history from TikTok Desktop?\n\nThe video file stays on your disk"
                            + (", and the published video stays on TikTok." if post.share_url
                               else ".")):
            return
        try:
            self.posts.delete(post.id)
        except (ScheduleRefused, StoreError) as exc:
            self.show_notice(str(exc))
            return
        self._removed(post.id)
        self.hide_notice()
        self.message.emit(f"Deleted {video_name(post)}.")
        self.changed.emit()

    def show_history(self) -> None:
        post = self._fresh()
        if post is None:
            return
        self._open_dialog(HistoryDialog(post, history(self.posts, post.id), self.zone_name,
                                        self))

    def _open_dialog(self, dialog: QDialog) -> None:
        """Window-modal, without a nested event loop; the previous one is freed."""
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def open_on_tiktok(self) -> None:
        post = self._fresh()
        if post is None or not post.share_url:
            return
        if not self.open_url(post.share_url):
            self.show_notice(f"Could not open a browser. The video is at {post.share_url}")

    def _run(self, change: Callable[[], Post], done: Callable[[Post], str]) -> bool:
        try:
            post = change()
        except (ScheduleRefused, StoreError) as exc:
            self.show_notice(str(exc))
            return False
        self._applied(post, done(post))
        return True

    def put_post(self, post: Post) -> None:
        """A post changed elsewhere (the engine): show it without reloading every post."""
        self.model.put(post)
        self.calendar.put_post(post)
        self.filters.set_counts(self.model.posts())
        self._sync_selection()
        self._update_page()
        self._update_actions()

    def _applied(self, post: Post, text: str) -> None:
        self.model.put(post)
        header = self.view.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.calendar.put_post(post)
        self.filters.set_counts(self.model.posts())
        self._sync_selection()
        self._update_page()
        self._update_actions()
        self.hide_notice()
        self.message.emit(text)
        self.changed.emit()

    def _removed(self, post_id: int) -> None:
        self.model.remove(post_id)
        self.calendar.remove_post(post_id)
        if self._current == post_id:
            self._current = None
        self.filters.set_counts(self.model.posts())
        self._update_page()
        self._update_actions()

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes
