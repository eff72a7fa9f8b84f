"""What can be done with the selected post: QActions for the toolbar, the context menu and the
keyboard, and the code that does each through PostsService.

Which action a post allows, and why not, is domain.lifecycle's decision; this class only shows
it. It knows nothing of the pane's views: it reads the selected post id through a callable
and reports what happened through signals (the pane updates its model and calendar).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMenu, QMessageBox, QToolBar, QWidget

from tiktok_desktop.domain.lifecycle import CONNECTED, Action, Allowed, allowed
from tiktok_desktop.services.posts import PostsService, ScheduleRefused, video_name
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.services.schedule_views import history
from tiktok_desktop.store import AccountStatus, Post, StoreError

if TYPE_CHECKING:  # the dialogs load when first opened, not before the first paint
    from tiktok_desktop.ui.schedule_dialogs import RescheduleDialog

log = logging.getLogger(__name__)

_TIPS = {
    Action.EDIT: "Open the post in the editor",
    Action.RESCHEDULE: "Pick a new date and time",
    Action.POST_NOW: "Send it to TikTok right away",
    Action.UNSCHEDULE: "Take it off the schedule; it stays as a draft",
    Action.DELETE: "Remove the post from the app",
    Action.CHECK_AGAIN: "Ask TikTok again whether the post went out (it is never sent twice)",
    Action.HISTORY: "Everything that happened to it",
    Action.OPEN_ON_TIKTOK: "Open the published video in your browser",
    Action.DUPLICATE: "A new draft with the same video and settings, opened in the editor "
                      "to give it a time",
}

# What needs the database (to change a post, or to read its history): out of use while a
# shared schedule cannot be reached. Opening a published video needs only its address.
NEEDS_DATABASE = frozenset(Action) - {Action.OPEN_ON_TIKTOK}


def ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


class PostActions(QObject):
    """Edit, Reschedule, Post now, Unschedule, Delete, Check again, History, Open on TikTok."""

    edit_requested = Signal(int)  # post id: open it in the composer
    refreshed = Signal(object)  # the post as the database has it now (re-read, unchanged)
    gone = Signal(int)  # post id: it was removed elsewhere meanwhile
    applied = Signal(object, str)  # changed here: the post as stored now, a status line
    removed = Signal(int, str)  # deleted here: post id, a status line
    refused = Signal(str)  # why nothing changed, in the service's words
    note = Signal(str)  # something to know that is not a refusal

    def __init__(self, posts: PostsService, widget: QWidget, *,
                 selected: Callable[[], int | None], zone_name: Callable[[], str],
                 account_label: Callable[[int], str], open_url: Callable[[str], bool],
                 account_status: Callable[[int], AccountStatus] = lambda _id: CONNECTED,
                 ) -> None:
        super().__init__(widget)
        self.posts = posts
        self.widget = widget
        self._selected = selected
        self._zone_name = zone_name
        self._account_label = account_label
        self._account_status = account_status
        self.open_url = open_url
        # (title, text) -> go ahead? Tests replace it.
        self.confirm: Callable[[str, str], bool] = lambda title, text: ask(widget, title, text)
        self.dialog: QDialog | None = None  # the last dialog opened (for the window and tests)
        self.menu: QMenu | None = None
        self.by_action: dict[Action, QAction] = {}
        # Why the schedule cannot be changed now (its shared database out of reach; see
        # ui/read_only.py, which also keeps these actions disabled): "" while it can.
        self.read_only = ""
        self._build()

    def _build(self) -> None:
        def make(action: Action, text: str, slot: Callable[[], object],
                 shortcut: QKeySequence | None = None) -> QAction:
            act = QAction(text, self.widget)
            act.setToolTip(_TIPS[action])
            act.triggered.connect(lambda _checked=False: slot())
            if shortcut is not None:
                act.setShortcut(shortcut)
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.widget.addAction(act)
            self.by_action[action] = act
            return act

        self.act_edit = make(Action.EDIT, "Edit…", self.edit)
        self.act_reschedule = make(Action.RESCHEDULE, "Reschedule…", self.reschedule)
        self.act_post_now = make(Action.POST_NOW, "Post now", self.post_now)
        self.act_unschedule = make(Action.UNSCHEDULE, "Unschedule", self.unschedule)
        self.act_check = make(Action.CHECK_AGAIN, "Check again", self.check_again)
        self.act_delete = make(Action.DELETE, "Delete…", self.delete,
                               QKeySequence(QKeySequence.StandardKey.Delete))
        self.act_history = make(Action.HISTORY, "History…", self.show_history)
        self.act_open = make(Action.OPEN_ON_TIKTOK, "Open on TikTok", self.open_on_tiktok)
        self.act_duplicate = make(Action.DUPLICATE, "Duplicate", self.duplicate)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setIconSize(QSize(16, 16))
        for act in self.all():
            self.toolbar.addAction(act)
            if act is self.act_delete:
                self.toolbar.addSeparator()

    def all(self) -> list[QAction]:
        return list(self.by_action.values())

    def update(self, post: Post | None) -> None:
        """Enable what ``post`` allows; a disabled action's tooltip says why not."""
        if post is None:
            for act in self.all():
                act.setEnabled(False)
            return
        can = self._can(post)
        for action, act in self.by_action.items():
            act.setEnabled(action in can)
            act.setToolTip(can.why_not(action) or _TIPS[action])
            if self.read_only and action in NEEDS_DATABASE:
                act.setToolTip(self.read_only)

    def writing_actions(self) -> list[QAction]:
        """The actions that need the database (all but opening a published video)."""
        return [act for action, act in self.by_action.items() if action in NEEDS_DATABASE]

    def _can(self, post: Post) -> Allowed:
        return allowed(post, self._account_status(post.account_id))

    def context_menu(self, global_pos: QPoint) -> None:
        if self._selected() is None:
            return
        if self.menu is None:  # one menu, reused: a new one per click would pile up
            self.menu = QMenu(self.widget)
            for act in self.all():
                self.menu.addAction(act)
        self.menu.popup(global_pos)

    # -- the actions -------------------------------------------------------------------------

    def _fresh(self) -> Post | None:
        """The selected post as the database has it now (the engine may have moved it)."""
        wanted = self._selected()
        if wanted is None:
            return None
        post = self.posts.get(wanted)
        if post is None:
            self.gone.emit(wanted)
            self.refused.emit("That post no longer exists.")
        else:
            self.refreshed.emit(post)
        return post

    def _allowed(self, action: Action) -> Post | None:
        """The fresh post if ``action`` may be done with it; else say why not."""
        post = self._fresh()
        if post is None:
            return None
        why = self._can(post).why_not(action)
        if why:
            self.refused.emit(why)
            return None
        return post

    def activate(self) -> None:
        """Double-click or Enter: edit a post that can still change, else show its history."""
        if self.read_only:
            self.refused.emit(self.read_only)
            return
        post = self._fresh()
        if post is None:
            return
        if Action.EDIT in self._can(post):
            self.edit_requested.emit(post.id)
        else:
            self.show_history()

    def edit(self) -> None:
        post = self._allowed(Action.EDIT)
        if post is not None:
            self.edit_requested.emit(post.id)

    def reschedule(self) -> None:
        post = self._allowed(Action.RESCHEDULE)
        if post is None:
            return
        zone = self._zone_name()
        from tiktok_desktop.ui.schedule_dialogs import RescheduleDialog  # noqa: PLC0415

        dialog = RescheduleDialog(
            post, zone, lambda epoch, z: self.posts.reschedule(post.id, epoch, z),
            clock=self.posts.clock, parent=self.widget)
        dialog.accepted.connect(lambda: self._rescheduled(dialog))
        self._open_dialog(dialog)

    def _rescheduled(self, dialog: RescheduleDialog) -> None:
        post = dialog.result_post
        assert post is not None and post.due_at is not None
        self.applied.emit(post, f"Rescheduled to {describe(post.due_at, self._zone_name())}.")
        if dialog.note:
            self.note.emit(dialog.note)

    def move(self, post: Post, epoch: int) -> bool:
        """Reschedule ``post`` to ``epoch`` (a calendar drag); a refusal is said, nothing moves.

        The post keeps its own zone; one without a zone takes the zone the calendar shows,
        where the user just picked the time.
        """
        if self.read_only:  # a calendar drag while the schedule cannot be changed
            self.refused.emit(self.read_only)
            return False
        zone = "" if post.due_tz else self._zone_name()
        return self._run(lambda: self.posts.reschedule(post.id, epoch, zone),
                         lambda p: f"Moved to {describe(epoch, self._zone_name())}.")

    def post_now(self) -> None:
        post = self._allowed(Action.POST_NOW)
        if post is None:
            return
        account = self._account_label(post.account_id)
        if not self.confirm("Post now", f"Post {video_name(post)} to {account} now?"
                            "\n\nIt goes to TikTok within a minute."):
            return
        self._run(lambda: self.posts.post_now(post.id),
                  lambda p: f"{video_name(p)} goes out now.")

    def unschedule(self) -> None:
        post = self._allowed(Action.UNSCHEDULE)
        if post is not None:
            self._run(lambda: self.posts.unschedule(post.id),
                      lambda p: f"{video_name(p)} is a draft again.")

    def check_again(self) -> None:
        post = self._allowed(Action.CHECK_AGAIN)
        if post is not None:
            self._run(lambda: self.posts.check_again(post.id),
                      lambda p: f"Asking TikTok again about {video_name(p)}.")

    def delete(self) -> None:
        post = self._allowed(Action.DELETE)
        if post is None:
            return
        if not self.confirm("Delete post", f"Delete {video_name(post)} and its "
                            "history from TikTok Desktop?\n\nThe video file stays on your disk"
                            + (", and the published video stays on TikTok." if post.share_url
                               else ".")):
            return
        try:
            self.posts.delete(post.id)
        except (ScheduleRefused, StoreError) as exc:
            self.refused.emit(str(exc))
            return
        self.removed.emit(post.id, f"Deleted {video_name(post)}.")

    def duplicate(self) -> None:
        """A copy as a new draft, opened in the editor: it needs its own time and consent."""
        post = self._allowed(Action.DUPLICATE)
        if post is None:
            return
        copies: list[Post] = []
        if self._run(lambda: self.posts.duplicate(post.id),
                     lambda p: (copies.append(p), f"Duplicated {video_name(post)}: the copy "
                                "is a draft; give it a time in the editor.")[1]):
            self.edit_requested.emit(copies[0].id)

    def show_history(self) -> None:
        post = self._fresh()
        if post is None:
            return
        from tiktok_desktop.ui.schedule_dialogs import HistoryDialog  # noqa: PLC0415

        self._open_dialog(HistoryDialog(post, history(self.posts, post.id), self._zone_name(),
                                        self.widget))

    def _open_dialog(self, dialog: QDialog) -> None:
        """Window-modal, without a nested event loop; the previous one is freed."""
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.open()

    def open_on_tiktok(self) -> None:
        post = self._allowed(Action.OPEN_ON_TIKTOK)
        if post is None or not post.share_url:
            return
        if not self.open_url(post.share_url):
            self.refused.emit(f"Could not open a browser. The video is at {post.share_url}")

    def _run(self, change: Callable[[], Post], done: Callable[[Post], str]) -> bool:
        try:
            post = change()
        except (ScheduleRefused, StoreError) as exc:
            self.refused.emit(str(exc))
            return False
        self.applied.emit(post, done(post))
        return True
