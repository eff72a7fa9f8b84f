"""The main window: accounts on the left, the schedule on the right, menus around them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, QSortFilterProxyModel, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.services.context import AppContext
from tiktok_desktop.services.credentials import check_settings
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.accounts_pane import AccountsPane
from tiktok_desktop.ui.avatars import SIZE, AccountPictures
from tiktok_desktop.ui.dialogs import LogDialog, show_about
from tiktok_desktop.ui.models import SORT_ROLE, AccountsModel, PostsModel
from tiktok_desktop.ui.settings_dialog import SettingsDialog
from tiktok_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".m4v"}

ACCOUNTS_EMPTY = (
    "<h3>No TikTok accounts yet</h3>"
    "<p>Start with <b>Add account</b> to connect the TikTok account you want to post to. "
    "You log in on TikTok's own page in your browser; this app never sees your password.</p>"
)
SCHEDULE_EMPTY = (
    "<h3>Nothing scheduled</h3>"
    "<p>Connect an account, then drag videos onto this window to schedule them. "
    "Each video is posted at its due time while the app is running.</p>"
)


class Pane(QWidget):
    """A titled table that shows a helpful text instead while it has no rows."""

    def __init__(self, title: str, empty_html: str, view: QTableView,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        heading = QLabel(f"<b>{title}</b>")
        layout.addWidget(heading)
        self.stack = QStackedWidget()
        self.empty = QLabel(empty_html)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        self.view = view
        self.stack.addWidget(self.empty)
        self.stack.addWidget(view)
        layout.addWidget(self.stack)

    def set_empty(self, empty: bool) -> None:
        self.stack.setCurrentWidget(self.empty if empty else self.view)


def _table(model: AccountsModel | PostsModel, stretch_column: int) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(60)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    return view


def _open_in_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


class MainWindow(QMainWindow):
    videos_opened = Signal(list)  # absolute paths of videos dropped or handed over

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 open_url: Callable[[str], bool] | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = TaskRunner(self)
        self._account_labels: dict[int, str] = {}
        title = APP_DISPLAY_NAME + (" — Sandbox" if ctx.sandbox else "")
        self.setWindowTitle(title)
        self.setAcceptDrops(True)
        self.resize(1100, 640)

        self.pictures = AccountPictures(ctx.avatars, self.runner, self.devicePixelRatioF(), self)
        self.accounts_model = AccountsModel(self.pictures.picture, self)
        self.pictures.changed.connect(self.accounts_model.refresh_pictures)
        self.posts_model = PostsModel(self._account_name, self)
        empty = QLabel(ACCOUNTS_EMPTY)
        empty.setObjectName("emptyState")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setMargin(24)
        accounts_view = _table(self.accounts_model, 0)
        accounts_view.setIconSize(QSize(SIZE, SIZE))
        accounts_view.verticalHeader().setDefaultSectionSize(SIZE + 12)
        self.accounts_pane = AccountsPane(
            ctx.accounts, self.accounts_model, accounts_view, empty,
            self.runner, open_url or _open_in_browser, sandbox=ctx.sandbox, notes=ctx.notes)
        self.accounts_pane.changed.connect(self.refresh)
        self.accounts_pane.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.schedule_pane = Pane("Schedule", SCHEDULE_EMPTY, _table(self.posts_model, 3))
        self.accounts_pane.setObjectName("accountsPane")
        self.schedule_pane.setObjectName("schedulePane")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.accounts_pane)
        splitter.addWidget(self.schedule_pane)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 680])
        self.setCentralWidget(splitter)
        # The summary stays on the right; transient messages use the left of the status bar.
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.statusBar().addPermanentWidget(self.summary)
        self._build_menus()
        self._restore_geometry()
        self.refresh()

    # -- menus -------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.act_settings = QAction("&Settings…", self)
        self.act_settings.setShortcut(QKeySequence.StandardKey.Preferences)
        self.act_settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.act_settings.triggered.connect(self.open_settings)
        file_menu.addAction(self.act_settings)
        self.act_data = QAction("Open &data folder", self)
        self.act_data.triggered.connect(self.open_data_folder)
        file_menu.addAction(self.act_data)
        self.act_log = QAction("View &log", self)
        self.act_log.triggered.connect(self.open_log)
        file_menu.addAction(self.act_log)
        file_menu.addSeparator()
        act_quit = QAction("&Quit", self)
        act_quit.setShortcut(QKeySequence.StandardKey.Quit)
        act_quit.setMenuRole(QAction.MenuRole.QuitRole)
        act_quit.triggered.connect(self.close)
        file_menu.addAction(act_quit)

        help_menu = self.menuBar().addMenu("&Help")
        self.act_about = QAction(f"&About {APP_DISPLAY_NAME}", self)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.act_about.triggered.connect(
            lambda: show_about(self, self.ctx.paths.data_dir, self.ctx.sandbox)
        )
        help_menu.addAction(self.act_about)

    def open_settings(self) -> None:
        ctx = self.ctx
        SettingsDialog(ctx.settings_store, ctx.settings, ctx.app_vault, ctx.credentials(), self,
                       tester=lambda key, secret, uri: check_settings(ctx, key, secret, uri),
                       runner=self.runner, sandbox=ctx.sandbox).exec()

    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.ctx.paths.data_dir)))

    def open_log(self) -> None:
        LogDialog(self.ctx.log_file, self).exec()

    # -- data --------------------------------------------------------------------------------

    def _account_name(self, account_id: int) -> str:
        return self._account_labels.get(account_id, f"account {account_id}")

    def refresh(self) -> None:
        """Reload both panes from the services."""
        accounts = self.ctx.accounts.list_accounts()
        # Looked up for every painted cell of the schedule: a dict, not a scan of the model.
        self._account_labels = {a.id: a.label for a in accounts}
        self.accounts_pane.set_accounts(accounts)
        self.pictures.update(accounts)
        posts = self.ctx.posts.list_posts()
        self.posts_model.set_rows(posts)
        self.schedule_pane.set_empty(not posts)
        self._update_status()

    def _update_status(self) -> None:
        counts = self.ctx.posts.counts()
        waiting = counts.get(PostState.SCHEDULED, 0)
        attention = sum(counts.get(s, 0) for s in (
            PostState.NEEDS_REVIEW, PostState.NEEDS_RECONNECT, PostState.FAILED,
            PostState.UNCONFIRMED, PostState.MISSED))
        parts = [f"{waiting} scheduled"]
        if attention:
            parts.append(f"{attention} need your attention")
        if self.ctx.sandbox:
            parts.append("Sandbox: nothing reaches TikTok")
        self.summary.setText(" · ".join(parts))

    # -- videos handed to us -----------------------------------------------------------------

    def open_videos(self, paths: list[str]) -> None:
        """Bring the window forward and take the videos from a drop or a second launch."""
        self.show_and_raise()
        videos = [p for p in paths if Path(p).suffix.lower() in VIDEO_SUFFIXES]
        skipped = len(paths) - len(videos)
        if videos:
            log.info("received %d video(s)", len(videos))
            self.videos_opened.emit(videos)
        if skipped:
            self.statusBar().showMessage(
                f"Skipped {skipped} file(s) that are not videos (MP4, MOV or WebM).", 8000
            )

    def show_and_raise(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_videos(paths)

    # -- geometry ----------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        s = self.ctx.settings
        if s.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(s.window_geometry.encode()))
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode()))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.runner.shutdown()
        s = self.ctx.settings
        s.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        s.window_state = bytes(self.saveState().toBase64().data()).decode()
        try:
            self.ctx.settings_store.save(s)
        except OSError as exc:
            log.error("could not save the window layout: %s", exc)
        super().closeEvent(event)
