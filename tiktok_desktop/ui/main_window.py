"""The main window: accounts on the left, the schedule on the right, menus around them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, QSortFilterProxyModel, Qt, QTimer, QUrl, Signal
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
    QDialog,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.config import Settings
from tiktok_desktop.domain.lifecycle import ATTENTION, waits_for_reconnect
from tiktok_desktop.domain.words import plural
from tiktok_desktop.engine.listener import Notice
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.avatars import AvatarCache
from tiktok_desktop.services.bulk import BulkService
from tiktok_desktop.services.posts import PostsService, video_name
from tiktok_desktop.services.schedule import describe, system_zone_name
from tiktok_desktop.services.schedule_views import WAITING_FOR_RECONNECT
from tiktok_desktop.services.snippets import SnippetsService
from tiktok_desktop.services.standing import Standing
from tiktok_desktop.services.stats import StatsService
from tiktok_desktop.store import Account, Post, PostState
from tiktok_desktop.ui.accounts_pane import AccountsPane
from tiktok_desktop.ui.avatars import SIZE, AccountPictures
from tiktok_desktop.ui.db_watch import DatabaseWatch
from tiktok_desktop.ui.main_quit import QuitFlow
from tiktok_desktop.ui.models import SORT_ROLE, AccountsModel
from tiktok_desktop.ui.notices import NoticeGatherer
from tiktok_desktop.ui.read_only import ReadOnlyBanner, ReadOnlyMode
from tiktok_desktop.ui.schedule_pane import SchedulePane
from tiktok_desktop.ui.screen_fit import fit_on_screen
from tiktok_desktop.ui.service_box import ServiceWatch
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.thumbnails import local_thumbnailer
from tiktok_desktop.ui.titles import window_title
from tiktok_desktop.ui.tray import Tray
from tiktok_desktop.ui.window_deps import AppFacts, Preferences
from tiktok_desktop.ui.worker import EngineWorker

if TYPE_CHECKING:
    from tiktok_desktop.ui.bulk_window import BulkWindow
    from tiktok_desktop.ui.composer import Composer
    from tiktok_desktop.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mov", ".webm", ".m4v"}
DEFAULT_SIZE = QSize(1100, 640)
ACCOUNTS_WIDTH = 300  # the accounts pane's share of a new window

ACCOUNTS_EMPTY = (
    "<h3>No TikTok accounts yet</h3>"
    "<p>Start with <b>Add account</b> to connect the TikTok account you want to post to. "
    "You log in on TikTok's own page in your browser; this app never sees your password.</p>"
)
def _table(model: AccountsModel, stretch_column: int) -> QTableView:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)  # Tab moves to the next control, arrows between rows
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(60)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    return view


def _expand_folders(paths: list[str]) -> list[str]:
    """A dropped folder stands for the files in it (not its subfolders), sorted by name."""
    out: list[str] = []
    for p in paths:
        folder = Path(p)
        if folder.is_dir():
            try:
                out.extend(str(f) for f in sorted(folder.iterdir()) if f.is_file())
            except OSError as exc:
                log.info("could not list %s: %s", folder.name, exc)
        else:
            out.append(p)
    return out


def _is_video(path: str) -> bool:
    """Worth a composer: named like a video (its probe then says anything wrong with it), or,
    whatever its name, an MP4, MOV or WebM by its content (an export without an extension)."""
    if Path(path).suffix.lower() in VIDEO_SUFFIXES:
        return True
    # PyAV is imported when first needed, not at start-up.
    from tiktok_desktop.services.media import accepted_container  # noqa: PLC0415

    return accepted_container(path)


def _open_in_browser(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


class MainWindow(QuitFlow):
    videos_opened = Signal(list)  # absolute paths of videos dropped or handed over

    def __init__(self, *, accounts: AccountsService, posts: PostsService,
                 avatars: AvatarCache, prefs: Preferences, facts: AppFacts,
                 parent: QWidget | None = None,
                 open_url: Callable[[str], bool] | None = None,
                 engine: EngineWorker | None = None, standing: Standing | None = None,
                 bulk: BulkService | None = None,
                 snippets: SnippetsService | None = None,
                 stats: StatsService | None = None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.posts = posts
        self.bulk = bulk
        self.snippets = snippets
        self.stats = stats
        self.bulk_windows: list[BulkWindow] = []
        self.standing = standing
        self.prefs = prefs
        self.facts = facts
        self.engine = engine
        self.runner = TaskRunner(self)
        self._account_labels: dict[int, str] = {}
        self._accounts: list[Account] = []
        title = window_title("Sandbox" if facts.sandbox else "")
        self.setWindowTitle(title)
        self.setAcceptDrops(True)
        self.resize(DEFAULT_SIZE)

        self.pictures = AccountPictures(avatars, self.runner, self.devicePixelRatioF(), self)
        self.accounts_model = AccountsModel(self.pictures.picture, self)
        self.pictures.changed.connect(self.accounts_model.refresh_pictures)
        empty = QLabel(ACCOUNTS_EMPTY)
        empty.setObjectName("emptyState")
        empty.setWordWrap(True)
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setMargin(24)
        accounts_view = _table(self.accounts_model, 0)
        accounts_view.setIconSize(QSize(SIZE, SIZE))
        accounts_view.verticalHeader().setDefaultSectionSize(SIZE + 12)
        self.accounts_pane = AccountsPane(
            accounts, self.accounts_model, accounts_view, empty,
            self.runner, open_url or _open_in_browser, sandbox=facts.sandbox,
            notes=facts.notes, posts=posts, zone_name=prefs.settings.timezone,
            standing=standing)
        self.accounts_pane.changed.connect(self.refresh)
        self.accounts_pane.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.zone_name = prefs.settings.timezone or system_zone_name()
        self.schedule_pane = SchedulePane(posts, self.runner, zone_name=self.zone_name,
                                          open_url=open_url or _open_in_browser,
                                          thumbnailer=local_thumbnailer(facts.local_video))
        if stats is not None:
            self.schedule_pane.set_counts_reader(stats)
        self.schedule_pane.edit_requested.connect(self.edit_post)
        self.schedule_pane.files_dropped.connect(self._files_dropped)
        self.schedule_pane.changed.connect(self._schedule_changed)
        self.schedule_pane.message.connect(
            lambda text: self.statusBar().showMessage(text, 10000))
        self.accounts_pane.setObjectName("accountsPane")
        self.schedule_pane.setObjectName("schedulePane")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.accounts_pane)
        splitter.addWidget(self.schedule_pane)
        # The accounts keep their width; the schedule gets what the window gains or loses.
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setCollapsible(0, False)
        splitter.setCollapsible(1, False)
        splitter.setSizes([ACCOUNTS_WIDTH, DEFAULT_SIZE.width() - ACCOUNTS_WIDTH])
        self.splitter = splitter
        # Above the panes: what to know while a shared schedule cannot be reached.
        self.banner = ReadOnlyBanner()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.banner)
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)
        # The summary stays on the right; transient messages use the left of the status bar.
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.statusBar().addPermanentWidget(self.summary)
        # The background service, while installed: running? what it last did?
        self.service_watch: ServiceWatch | None = None
        if prefs.system is not None:
            service_line = QLabel()
            service_line.setObjectName("serviceLine")
            self.statusBar().addPermanentWidget(service_line)
            self.service_watch = ServiceWatch(prefs.system.service, self.runner, service_line,
                                              self)
        self.composers: list[Composer] = []
        self._quitting = False
        self.quit_question: QMessageBox | None = None  # the last one asked (tests look at it)
        self.tray = Tray(self.windowIcon(), title, self)
        self.tray.show_requested.connect(self.show_and_raise)
        self.tray.quit_requested.connect(self.quit_app)
        self.notices = NoticeGatherer(self.tray.notify, self)
        self.videos_opened.connect(self.compose_many)
        # Engine updates arrive in bursts (every step of every post): summary at most 4x/s.
        self._summary_soon = QTimer(self)
        self._summary_soon.setSingleShot(True)
        self._summary_soon.setInterval(250)
        self._summary_soon.timeout.connect(self._update_summary)
        if engine is not None:
            self._connect_engine(engine)
        self._build_menus()
        self._restore_geometry()
        # Changes made elsewhere (the CLI, a headless run, another window, the engine); on a
        # shared schedule also its server going away and coming back (ui/read_only.py).
        self.database_watch = DatabaseWatch(posts.watch(), self)
        self.read_only = ReadOnlyMode(
            self.banner, self.database_watch, self.schedule_pane, self.accounts_pane,
            [self.act_add_videos, self.act_import_csv, self.act_export_csv,
             self.act_snippets, *([self.act_stats] if self.stats is not None else [])],
            catch_up=self.catch_up,
            say=lambda text: self.statusBar().showMessage(text, 10000), parent=self)
        self.refresh()
        self.database_watch.start()
        if facts.notes:  # e.g. where the TikTok app's credentials come from
            self.statusBar().showMessage(" ".join(facts.notes), 30000)

    # -- menus -------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.act_add_videos = QAction("&Add videos…", self)
        self.act_add_videos.setShortcut(QKeySequence.StandardKey.Open)
        self.act_add_videos.triggered.connect(self.choose_videos)
        file_menu.addAction(self.act_add_videos)
        self.act_import_csv = QAction("&Import CSV…", self)
        self.act_import_csv.triggered.connect(self.choose_csv)
        self.act_export_csv = QAction("&Export schedule as CSV…", self)
        self.act_export_csv.triggered.connect(self.choose_export)
        self.act_snippets = QAction("Caption &templates and hashtag sets…", self)
        self.act_snippets.triggered.connect(self.edit_snippets)
        for act in (self.act_import_csv, self.act_export_csv, self.act_snippets):
            act.setEnabled(self.bulk is not None and self.snippets is not None)
            file_menu.addAction(act)
        file_menu.addSeparator()
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
        # The platform's own Quit keys; where it has none (Windows), Ctrl+Q all the same.
        act_quit.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
                              or [QKeySequence("Ctrl+Q")])
        self.act_quit = act_quit
        act_quit.setMenuRole(QAction.MenuRole.QuitRole)
        act_quit.triggered.connect(self.quit_app)
        file_menu.addAction(act_quit)

        accounts_menu = self.menuBar().addMenu("&Accounts")
        for action in self.accounts_pane.actions_for_menu():
            accounts_menu.addAction(action)
            if action is self.accounts_pane.act_add:
                accounts_menu.addSeparator()
        if self.stats is not None:
            accounts_menu.addSeparator()
            self.act_stats = QAction("S&tatistics…", self)
            self.act_stats.setToolTip("Views, likes and followers over time, the best times "
                                      "to post, and export as CSV")
            self.act_stats.triggered.connect(lambda _checked=False: self.open_stats())
            accounts_menu.addAction(self.act_stats)

        help_menu = self.menuBar().addMenu("&Help")
        self.act_about = QAction(f"&About {APP_DISPLAY_NAME}", self)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.act_about.triggered.connect(
            lambda _checked=False: self._about())
        help_menu.addAction(self.act_about)

    def _settings(self) -> Settings:
        return self.prefs.settings

    def _about(self) -> None:
        from tiktok_desktop.ui.dialogs import show_about  # noqa: PLC0415 - when first opened (issue 16)

        show_about(self, self.facts.data_dir, self.facts.sandbox)

    def open_stats(self, post_id: int | None = None) -> QDialog | None:
        """The statistics window, on the selected account (or the selected post's)."""
        if self.stats is None:
            return None
        post = self.schedule_pane.current_post()
        if post_id is None and post is not None and post.post_ids:
            post_id = post.id
        account = self.accounts_pane.selected()
        account_id = post.account_id if post_id is not None and post is not None else \
            account.id if account is not None else None
        # the charts load when first opened, not at every start (issue 16)
        from tiktok_desktop.ui.stats_window import StatsWindow  # noqa: PLC0415

        window = StatsWindow(self.stats, self.accounts.list_accounts(), self.runner,
                             zone_name=self.zone_name, account_id=account_id, parent=self)
        if post_id is not None:
            window.select_post(post_id)
        window.show()
        return window

    def open_settings(self) -> None:
        self.settings_dialog().exec()
        prefs = self.prefs
        self.zone_name = prefs.settings.timezone or system_zone_name()
        self.schedule_pane.set_zone(self.zone_name)
        self.accounts_pane.zone_name = self.zone_name  # queue times follow it too

    def settings_dialog(self) -> SettingsDialog:
        """Settings, not shown yet; what it does to the background service shows here too."""
        from tiktok_desktop.ui.settings_dialog import SettingsDialog  # noqa: PLC0415 - when first opened (issue 16)

        prefs = self.prefs
        dialog = SettingsDialog(
            prefs.store, prefs.settings, prefs.app_vault, prefs.credentials(), self,
            tester=prefs.tester, runner=self.runner, sandbox=self.facts.sandbox,
            audit_note=self.standing.settings_note() if self.standing else "",
            system=prefs.system, service_args=prefs.service_args,
            shared=prefs.shared() if prefs.shared is not None else None)
        if dialog.service_box is not None and self.service_watch is not None:
            dialog.service_box.changed.connect(self.service_watch.show)
        return dialog

    def open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.facts.data_dir)))

    def open_log(self) -> None:
        from tiktok_desktop.ui.dialogs import LogDialog  # noqa: PLC0415 - when first opened (issue 16)

        LogDialog(self.facts.log_file, self).exec()

    # -- data --------------------------------------------------------------------------------

    def _account_name(self, account_id: int) -> str:
        return self._account_labels.get(account_id, f"account {account_id}")

    def refresh(self) -> None:
        """Reload both panes from the services."""
        accounts = self.accounts.list_accounts()
        self._accounts = accounts
        # Looked up for every painted cell of the schedule: a dict, not a scan of the model.
        self._account_labels = {a.id: a.label for a in accounts}
        self.accounts_pane.set_accounts(accounts)
        self.pictures.update(accounts)
        # The schedule reads only the posts it shows (issue 16).
        self.schedule_pane.set_posts(None, self._account_labels,
                                     {a.id: a.status for a in accounts})
        self._update_counts()
        self._update_summary()

    def catch_up(self) -> None:
        """The database changed elsewhere: update what differs, keep what the user looks at
        (selection, scroll, sort, filters)."""
        accounts = self.accounts.list_accounts()
        labels = {a.id: a.label for a in accounts}
        if accounts != self._accounts:
            self._accounts = accounts
            self._account_labels = labels
            self.accounts_pane.set_accounts(accounts)
            self.pictures.update(accounts)
        self.schedule_pane.merge_posts(None, labels,
                                       {a.id: a.status for a in accounts})
        self._update_counts()
        self._update_summary()

    def _update_counts(self) -> None:
        """Published posts' latest views and likes, for the rows read so far."""
        if self.stats is not None:
            self.schedule_pane.refresh_counts()

    def _update_summary(self) -> None:
        """Status bar and tray, from indexed queries (cheap at 100k posts)."""
        if self.read_only.active:  # they would wait for a server that is away
            return
        self._update_status()
        self._update_tray()
        self.accounts_pane.update_details()  # the selected account's caps moved
    def _update_tray(self) -> None:
        soon = self.posts.next_scheduled()
        if soon is not None:
            waiting = waits_for_reconnect(soon, self.posts.account_status(soon.account_id))
            self.tray.set_next(f"Next: {describe(soon.due_at or 0, soon.due_tz)} · "
                               f"{video_name(soon)} to {self._account_name(soon.account_id)}"
                               + (f" ({WAITING_FOR_RECONNECT.lower()})" if waiting else ""))
        else:
            self.tray.set_next("Nothing scheduled")

    def _update_status(self) -> None:
        counts = self.posts.counts()
        waiting = self.posts.waiting_for_reconnect()
        scheduled = counts.get(PostState.SCHEDULED, 0) - waiting.get(PostState.SCHEDULED, 0)
        attention = sum(counts.get(s, 0) for s in ATTENTION)
        parts = [f"{scheduled} scheduled"]
        if waiting:
            parts.append(f"{sum(waiting.values())} {WAITING_FOR_RECONNECT.lower()}")
        if attention:
            parts.append(f"{attention} {plural(attention, 'needs', 'need')} your attention")
        if self.facts.sandbox:
            parts.append("Sandbox: nothing reaches TikTok")
        self.summary.setText(" · ".join(parts))

    # -- videos handed to us -----------------------------------------------------------------

    def open_videos(self, paths: list[str], due_at: int | None = None) -> None:
        """Bring the window forward and take the videos from a drop or a second launch: one
        video opens the composer; several, or a folder, open one bulk window."""
        self.show_and_raise()
        folder = any(Path(p).is_dir() for p in paths)
        if self.read_only.active:  # nowhere to keep a new post now
            self.statusBar().showMessage(self.read_only.reason, 15000)
            return
        paths = _expand_folders(paths)
        videos = [p for p in paths if _is_video(p)]
        skipped = [Path(p).name for p in paths if p not in videos]
        if videos:
            log.info("received %d video(s)", len(videos))
            if (len(videos) > 1 or folder) and self.bulk is not None \
                    and self.snippets is not None:
                self.open_bulk(videos, due_at)
            else:
                self.videos_opened.emit(videos)
        if skipped:
            names = ", ".join(skipped[:3]) + (f" and {len(skipped) - 3} more"
                                               if len(skipped) > 3 else "")
            self.statusBar().showMessage(
                f"Not added: {names}. TikTok takes videos in MP4, MOV or WebM files.", 12000)

    def choose_videos(self) -> None:
        """File > Add videos: the keyboard way to do what a drop does."""
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add videos", str(Path.home()),
            "Videos (*.mp4 *.mov *.webm *.MP4 *.MOV *.WEBM);;All files (*)")
        if paths:
            self.open_videos(paths)

    def compose_many(self, paths: list[str], due_at: int | None = None) -> None:
        for path in paths:
            self.compose(path, due_at=due_at)

    def compose(self, path: str, *, due_at: int | None = None,
                post: Post | None = None) -> Composer:
        """Open a composer window for one video (several may be open at once)."""
        from tiktok_desktop.ui.composer import Composer  # noqa: PLC0415 - when first opened (issue 16)
        from tiktok_desktop.ui.composer_deps import make_deps  # noqa: PLC0415 - when first opened (issue 16)

        deps = make_deps(self.accounts, self.posts, self.prefs.settings, self.pictures.picture,
                         self.zone_name, self.standing, self.snippets,
                         read_only=lambda: self.read_only.reason,
                         local_video=self.facts.local_video)
        composer = Composer(deps, self.runner, path, due_at=due_at, post=post, parent=self)
        composer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        composer.posted.connect(self._posted)
        composer.finished.connect(lambda _r, c=composer: self._forget_composer(c))
        self.composers.append(composer)
        composer.show()
        return composer

    def _connect_engine(self, engine: EngineWorker) -> None:
        self.posts.on_change.append(engine.wake)  # schedule edits wake it early
        self.accounts_pane.changed.connect(engine.wake)  # a reconnect frees waiting posts
        engine.postChanged.connect(self._post_changed)
        engine.notice.connect(self._engine_notice)
        engine.uploadProgress.connect(self._upload_progress)

    def _engine_notice(self, notice: Notice) -> None:
        # The tray shows one message at a time: notices within a second become one.
        self.notices.add(notice)
        self.statusBar().showMessage(notice.message, 15000)
        self._summary_soon.start()

    def _post_changed(self, post: Post) -> None:
        # One row changes, not a reload of every post: the engine reports each step.
        self.schedule_pane.put_post(post)
        self._summary_soon.start()

    def _upload_progress(self, post_id: int, sent: int, total: int) -> None:
        if total > 0:
            post = self.posts.get(post_id)
            name = video_name(post) if post else f"post {post_id}"
            self.statusBar().showMessage(f"Uploading {name}: {sent * 100 // total}%", 5000)

    def edit_post(self, post_id: int) -> None:
        post = self.posts.get(post_id)
        if post is not None:
            self.compose(post.video_path, post=post)

    def _files_dropped(self, paths: list[str], due_at: int | None) -> None:
        """Files or folders dropped on the schedule (on a calendar slot: with its time)."""
        self.open_videos(paths, due_at)  # a folder's videos keep the slot's time too

    def _schedule_changed(self) -> None:
        # The pane already shows the change; the summary and the tray follow.
        self._update_summary()

    def _forget_composer(self, composer: Composer) -> None:
        if composer in self.composers:
            self.composers.remove(composer)

    def _posted(self, post: Post) -> None:
        when = describe(post.due_at, post.due_tz) if post.due_at else ""
        self.statusBar().showMessage(f"Scheduled {video_name(post)} for {when}.",
                                     10000)
        self.refresh()

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
        s = self.prefs.settings
        if s.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(s.window_geometry.encode()))
        if s.window_state:
            self.restoreState(QByteArray.fromBase64(s.window_state.encode()))
        # The default size, or one saved on a bigger screen or at another scale, may not
        # fit this screen: the title bar must stay on it.
        fit_on_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        s = self.prefs.settings
        staying = self.tray.available and s.keep_running_in_tray
        if not self._quitting and not staying and event.spontaneous() \
                and self._ask_before_quitting():
            event.ignore()  # closing the window quits here: the question decides
            return
        if not self._quitting and staying:
            # Posts are published by this process: closing the window must not stop them.
            event.ignore()
            self.hide()
            if not s.tray_explained:
                s.tray_explained = True
                self._save_settings()
                self.tray.notify("TikTok Desktop is still running",
                                 "It stays in the tray so your posts go out on time. Use Quit "
                                 "in the tray menu to stop it; Settings turns this off.")
            return
        self.runner.shutdown()
        self.database_watch.stop()
        s.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        s.window_state = bytes(self.saveState().toBase64().data()).decode()
        self._save_settings()
        super().closeEvent(event)

    def _save_settings(self) -> None:
        self.prefs.save()
