"""The schedule pane: every post as a list, a week or a month, filtered by account, state and
text, with the actions a post allows (edit, reschedule, post now, unschedule, delete,
check again, history, open on TikTok).

The pane changes posts only through PostsService; a refusal is shown in the pane's notice
bar in the service's own words and nothing moves. After a change the affected row is updated
in place and ``changed`` is emitted so the window can refresh what else depends on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QImage,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.schedule_views import (
    PostFilter,
)
from tiktok_desktop.store import AccountStatus, Post
from tiktok_desktop.ui.calendar_view import CalendarView
from tiktok_desktop.ui.schedule_actions import PostActions
from tiktok_desktop.ui.schedule_counts import CountsReader
from tiktok_desktop.ui.schedule_filters import FilterBar, build_table
from tiktok_desktop.ui.schedule_model import ScheduleModel, ScheduleProxy, short_name
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.thumbnails import ThumbnailLoader, media_thumbnail
from tiktok_desktop.ui.tones import Tone, tone_colour

log = logging.getLogger(__name__)

ViewMode = Literal["list", "week", "month"]

EMPTY_HTML = (
    "<h3>Nothing scheduled</h3>"
    "<p>Drag videos onto this window, or choose <b>File → Add videos…</b>, to schedule them. "
    "Each video is posted at its due time while the app is running.</p>"
    "<p>Drop videos on a day or an hour in the <b>Week</b> or <b>Month</b> view to schedule "
    "them for then.</p>"
)
# Before any account is connected, that comes first.
NO_ACCOUNT_HTML = (
    "<h3>Nothing scheduled</h3>"
    "<p>Connect the TikTok account to post to with <b>Accounts → Add account…</b>, then drag "
    "videos onto this window to schedule them.</p>"
    "<p>Drop videos on a day or an hour in the <b>Week</b> or <b>Month</b> view to schedule "
    "them for then.</p>"
)
NO_MATCH_HTML = "<h3>No posts match</h3><p>Nothing fits the account, state and search above.</p>"


def _bold(widget: QWidget, bold: bool) -> None:
    font = widget.font()
    font.setBold(bold)
    widget.setFont(font)


def _open_url(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


class SchedulePane(QWidget):
    edit_requested = Signal(int)  # post id: open it in the composer
    files_dropped = Signal(list, object)  # local paths, due epoch of the slot (None: no slot)
    changed = Signal()  # a post was changed through the service (already shown here)
    message = Signal(str)  # a short line for the status bar

    def __init__(self, posts: PostsService, runner: TaskRunner, *, zone_name: str = "",
                 open_url: Callable[[str], bool] | None = None,
                 thumbnailer: Callable[[str, int], QImage] | None = media_thumbnail,
                 first_weekday: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.posts = posts
        self.runner = runner
        self.zone_name = zone_name
        self._current: int | None = None
        self._labels: dict[int, str] = {}
        self._connected = False  # some account can post: the empty list says what is next
        self.setAcceptDrops(True)

        self.thumbnails = ThumbnailLoader(runner, thumbnailer, ratio=self.devicePixelRatioF(),
                                          parent=self)
        self.model = ScheduleModel(posts, self.thumbnails, self, clock=posts.clock)
        self.model.set_zone(zone_name)
        self.proxy = ScheduleProxy(self.model, self)
        self.view = build_table(self.proxy)
        self.filters = FilterBar()
        self.filters.changed.connect(self.apply_filters)
        self.calendar = CalendarView(zone_name, posts.clock, first_weekday)
        self.actions = PostActions(posts, self, selected=lambda: self._current,
                                   zone_name=lambda: self.zone_name,
                                   account_label=self.model.account_label,
                                   account_status=self.model.account_status,
                                   open_url=open_url or _open_url)
        self.actions.edit_requested.connect(self.edit_requested)
        self.actions.refreshed.connect(self._refreshed)
        self.actions.gone.connect(self._removed)
        self.actions.applied.connect(self._applied)
        self.actions.removed.connect(self._deleted)
        self.actions.refused.connect(self.show_notice)
        self.actions.note.connect(lambda text: self.show_notice(text, error=False))
        self.toolbar = self.actions.toolbar

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(self._build_top_row())
        layout.addWidget(self.toolbar)
        layout.addWidget(self._build_notice())
        self.empty = QLabel(NO_ACCOUNT_HTML)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        self.show_all_button = QPushButton("Show all posts")
        self.show_all_button.clicked.connect(self.clear_filters)
        empty_page = QWidget()
        empty_layout = QVBoxLayout(empty_page)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty)
        empty_layout.addWidget(self.show_all_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.empty_page = empty_page
        self.stack = QStackedWidget()
        for page in (self.view, empty_page, self.calendar):
            self.stack.addWidget(page)
        layout.addWidget(self.stack, 1)

        self.view.selectionModel().currentRowChanged.connect(self._list_current)
        self.view.doubleClicked.connect(lambda _index: self.activate())
        self.view.open_requested.connect(self.activate)
        self.view.customContextMenuRequested.connect(
            lambda pos: self.actions.context_menu(self.view.viewport().mapToGlobal(pos)))
        self.calendar.current_changed.connect(self._calendar_current)
        self.calendar.post_activated.connect(self.activate)
        self.calendar.context_requested.connect(
            lambda post_id, pos: self.actions.context_menu(pos))
        self.calendar.move_requested.connect(self.move_post)
        self.calendar.files_dropped.connect(self.files_dropped)
        self.calendar.message.connect(self.show_notice)
        self.set_view("list")

    # -- building ----------------------------------------------------------------------------

    def _build_top_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Schedule</b>"))
        row.addSpacing(8)
        self.view_buttons = QButtonGroup(self)
        self.view_buttons.setExclusive(True)
        self.mode_buttons: dict[ViewMode, QToolButton] = {}
        modes: tuple[tuple[ViewMode, str], ...] = (
            ("list", "List"), ("week", "Week"), ("month", "Month"))
        for mode, text in modes:
            button = QToolButton(text=text, checkable=True)
            button.setObjectName(f"{mode}Mode")
            button.clicked.connect(lambda _checked=False, m=mode: self.set_view(m))
            # The view shown is also in bold: some styles' checked buttons barely differ
            # from the others in a dark palette.
            button.toggled.connect(lambda on, b=button: _bold(b, on))
            self.view_buttons.addButton(button)
            self.mode_buttons[mode] = button
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.filters, 2)  # spare room goes to the search box first
        return row

    def _build_notice(self) -> QFrame:
        self.notice_bar = QFrame()
        self.notice_bar.setObjectName("noticeBar")
        self.notice = QLabel()
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(text="×", toolTip="Dismiss")
        close.clicked.connect(self.hide_notice)
        row = QHBoxLayout(self.notice_bar)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.notice, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.notice_bar.hide()
        return self.notice_bar

    # -- data from the window ----------------------------------------------------------------

    def set_posts(self, posts: Sequence[Post] | None, account_labels: dict[int, str],
                  statuses: dict[int, AccountStatus] | None = None) -> None:
        """Show the posts as the database has them (the window's refresh()); filters, sort
        and the selection are kept. The list and the calendar read only what they show, so
        ``posts`` (what a caller may have read) is not needed. ``statuses``: each account's
        status (a post of an account that is not connected waits for its reconnect)."""
        del posts
        self._labels = dict(account_labels)
        self._connected = any(status is AccountStatus.CONNECTED for status in statuses.values()) \
            if statuses is not None else bool(account_labels)
        header = self.view.horizontalHeader()
        self.model.set_posts(None, account_labels,
                             sort_by=(header.sortIndicatorSection(), header.sortIndicatorOrder()),
                             statuses=statuses)
        self.calendar.set_source(self.posts, account_labels, statuses)
        self._fit_and_count()
        if self._current is not None and self.model.row_of(self._current) is None \
                and self.posts.get(self._current) is None:
            self._current = None
        self._sync_selection()
        self._update_page()
        self.actions.update(self.current_post())

    def _fit_and_count(self) -> None:
        self.view.fit_due(self.model.years_shown())
        self.view.fit_accounts(short_name(label) for label in self._labels.values())
        self.filters.set_accounts({i: self.model.account_label(i)
                                   for i in set(self._labels) | self.model.account_ids()})
        self.filters.set_state_counts(self.model.state_counts())

    def merge_posts(self, posts: Sequence[Post] | None, account_labels: dict[int, str],
                    statuses: dict[int, AccountStatus] | None = None) -> None:
        """The database changed elsewhere (another process, the engine): the list is read
        again and changes only where what it shows differs; it keeps its scroll position,
        selection and sort; the calendar and the counts follow."""
        self._labels = dict(account_labels)
        self._connected = any(status is AccountStatus.CONNECTED for status in statuses.values()) \
            if statuses is not None else bool(account_labels)
        if self._current is not None and self.posts.get(self._current) is None:
            # Deleted elsewhere. Qt would make the next row current as the row goes: the
            # user did not choose that post, so nothing is selected to act on.
            self.view.selectionModel().clearCurrentIndex()
            self.select_post(None)
        header = self.view.horizontalHeader()
        if not self.model.merge(None, account_labels,
                                (header.sortIndicatorSection(), header.sortIndicatorOrder()),
                                statuses):
            return
        self.calendar.set_source(self.posts, account_labels, statuses)
        self._fit_and_count()
        self._update_page()
        self.actions.update(self.current_post())

    def set_counts_reader(self, reader: CountsReader | None) -> None:
        """Where published posts' latest views and likes from TikTok come from (the list's
        last column, shown once there are some and the list has room; always in the State's
        tooltip)."""
        self.model.set_counts_reader(reader)
        self.view.fit_columns()

    def refresh_counts(self) -> None:
        """New readings may have come: the rows read so far show them."""
        self.model.refresh_counts()
        self.view.fit_columns()

    def set_zone(self, zone_name: str) -> None:
        """Show and enter times in this zone ("" = the system's), e.g. after Settings."""
        self.zone_name = zone_name
        self.model.set_zone(zone_name)
        self.calendar.set_zone(zone_name)

    # -- views and filters -------------------------------------------------------------------

    def view_mode(self) -> ViewMode:
        if self.stack.currentWidget() is self.calendar:
            return self.calendar.mode()
        return "list"

    def set_view(self, mode: ViewMode) -> None:
        self.mode_buttons[mode].setChecked(True)
        if mode == "list":
            self._update_page(force_list=True)
            self._sync_selection()
        else:
            self.calendar.set_mode(mode)
            self.stack.setCurrentWidget(self.calendar)
            post = self.current_post()
            if post is not None and post.due_at is not None:
                # The selected post's week (or month) and, in the week, its hour: the view
                # must not open on 07:00 with the post the user was looking at out of sight.
                self.calendar.show_post(post)
            else:
                self.calendar.select(self._current)
        self.actions.update(self.current_post())

    def current_filter(self) -> PostFilter:
        return self.filters.current()

    def apply_filters(self) -> None:
        self.filters.search_timer.stop()
        wanted = self.filters.current()
        self.proxy.set_filter(wanted)
        self.calendar.set_filter(wanted)
        current = self.current_post()
        if current is not None and not wanted.matches(current):
            self.select_post(None)  # no acting on a post the user cannot see
        self._sync_selection()
        self._update_page()
        self.actions.update(self.current_post())

    def clear_filters(self) -> None:
        self.filters.clear()

    def _update_page(self, force_list: bool = False) -> None:
        has_posts = self.model.total() > 0
        self.filters.setVisible(has_posts)  # nothing to filter or act on yet
        self.toolbar.setVisible(has_posts)
        if not force_list and self.stack.currentWidget() is self.calendar:
            return
        if self.proxy.rowCount() > 0 or self.model.canFetchMore():
            self.stack.setCurrentWidget(self.view)
            return
        self.empty.setText(NO_MATCH_HTML if has_posts
                           else EMPTY_HTML if self._connected else NO_ACCOUNT_HTML)
        self.show_all_button.setVisible(has_posts)
        self.stack.setCurrentWidget(self.empty_page)

    # -- the current post ----------------------------------------------------------------

    def current_post(self) -> Post | None:
        if self._current is None:
            return None
        if self.actions.read_only:  # the database is out of reach: the post as last read
            return self.model.cached_post(self._current)
        return self.posts.get(self._current)

    def select_post(self, post_id: int | None) -> None:
        self._current = post_id
        self._sync_selection()
        self.calendar.select(post_id)
        self.actions.update(self.current_post())

    def _list_current(self) -> None:
        index = self.view.selectionModel().currentIndex()
        if index.isValid():
            self._current = self.proxy.post_at(index.row()).id
            self.calendar.select(self._current)
        self.actions.update(self.current_post())

    def _calendar_current(self, post_id: int | None) -> None:
        self._current = post_id
        self.actions.update(self.current_post())

    def _sync_selection(self) -> None:
        selection = self.view.selectionModel()
        row = self.proxy.row_of(self._current) if self._current is not None else None
        if row is None:
            selection.clearSelection()
            return
        index = self.proxy.index(row, ScheduleModel.DUE)
        selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                  | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)

    # -- what the actions did ----------------------------------------------------------------

    def activate(self, post_id: int | None = None) -> None:
        """Double-click or Enter on a post (in the list or the calendar)."""
        if post_id is not None:
            self.select_post(post_id)
        self.actions.activate()

    def move_post(self, post_id: int, epoch: int) -> bool:
        """A calendar drag: reschedule the post to ``epoch`` (a refusal is shown)."""
        post = self.posts.get(post_id)
        return post is not None and self.actions.move(post, epoch)

    def put_post(self, post: Post) -> None:
        """A post changed elsewhere (the engine): show it without reloading every post."""
        self.model.put(post)
        self._fit_due(post)
        self.calendar.put_post(post)
        self.filters.set_state_counts(self.model.state_counts())
        self._sync_selection()
        self._update_page()
        self.actions.update(self.current_post())

    def _refreshed(self, post: Post) -> None:
        if self.model.row_of(post.id) is not None:
            self.model.put(post)
            self.calendar.put_post(post)
            self.actions.update(self.current_post())

    def _fit_due(self, post: Post) -> None:
        if self.model.shows_year(post):
            self.view.fit_due(True)  # a due time in another year: room for the year

    def _applied(self, post: Post, text: str) -> None:
        self.model.put(post)
        self._fit_due(post)
        header = self.view.horizontalHeader()
        self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.calendar.put_post(post)
        self.filters.set_state_counts(self.model.state_counts())
        self._sync_selection()
        self._update_page()
        self.actions.update(self.current_post())
        self.hide_notice()
        self.message.emit(text)
        self.changed.emit()

    def _deleted(self, post_id: int, text: str) -> None:
        self._removed(post_id)
        self.hide_notice()
        self.message.emit(text)
        self.changed.emit()

    def _removed(self, post_id: int) -> None:
        self.model.remove(post_id)
        self.calendar.remove_post(post_id)
        if self._current == post_id:
            self._current = None
        self.filters.set_state_counts(self.model.state_counts())
        self._update_page()
        self.actions.update(self.current_post())

    # -- messages and drops ------------------------------------------------------------------

    def show_notice(self, text: str, error: bool = True) -> None:
        self.notice.setText(text)
        colour = tone_colour(self.palette(), Tone.ERROR if error else Tone.NORMAL).name()
        self.notice_bar.setStyleSheet(
            f"#noticeBar {{ border: 1px solid {colour}; border-radius: 4px; }}"
            f"#notice {{ color: {colour}; }}")
        self.notice_bar.show()
        log.info("schedule: %s", text.replace("\n", " "))

    def hide_notice(self) -> None:
        self.notice_bar.hide()

    def notice_text(self) -> str:
        return self.notice.text() if self.notice_bar.isVisibleTo(self) else ""

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths, None)
