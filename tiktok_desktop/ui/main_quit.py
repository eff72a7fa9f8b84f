"""Quitting the main window: with posts still to go out, a question first (keep running in
the tray, install the background service, or quit anyway); without, at once. Split from
main_window.py, which it extends."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QApplication, QMessageBox

from tiktok_desktop.domain.lifecycle import UPCOMING
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.system import ServiceError, ServiceStatus
from tiktok_desktop.ui.main_bulk import BulkMenus
from tiktok_desktop.ui.notices import NoticeGatherer
from tiktok_desktop.ui.quit_prompt import QuitChoice, quit_box
from tiktok_desktop.ui.service_box import ServiceWatch
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.tray import Tray
from tiktok_desktop.ui.window_deps import Preferences

log = logging.getLogger("tiktok_desktop.ui.main_window")

__all__ = ["QuitFlow"]


class QuitFlow(BulkMenus):
    """Needs, from MainWindow: posts, prefs, runner, tray, notices, service_watch."""

    posts: PostsService
    prefs: Preferences
    runner: TaskRunner
    tray: Tray
    notices: NoticeGatherer
    service_watch: ServiceWatch | None
    quit_question: QMessageBox | None
    _quitting: bool

    def quit_app(self) -> None:
        """Quit for real (File > Quit, the tray's Quit), not just hide the window; with
        posts still to go out, ask first."""
        if not self._ask_before_quitting():
            self.shutdown()

    def shutdown(self) -> None:
        """Quit without asking anything (SIGTERM, logout): save the layout, end the loop."""
        self._quitting = True
        self.notices.flush()
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    def posts_to_come(self) -> int:
        """Posts that would go out while the app runs (not those waiting for a reconnect)."""
        counts = self.posts.counts()
        waiting = self.posts.waiting_for_reconnect()
        return sum(counts.get(s, 0) - waiting.get(s, 0) for s in UPCOMING)

    def _ask_before_quitting(self) -> bool:
        """Show the quit question if quitting would leave posts unsent; True if shown."""
        due = self.posts_to_come()
        watch = self.service_watch
        if not due or (watch is not None and watch.running):
            return False  # nothing to send, or the background service sends it
        soon = self.posts.next_scheduled()
        next_due = describe(soon.due_at, soon.due_tz) if soon and soon.due_at else "soon"
        offer = watch is not None and watch.status is not None and not watch.status.installed
        box, choices = quit_box(self, due, next_due, tray=self.tray.available, service=offer)
        box.finished.connect(lambda _r: self._quit_answered(choices.get(box.clickedButton(),
                                                                        QuitChoice.CANCEL)))
        self.quit_question = box
        box.open()
        return True

    def _quit_answered(self, choice: QuitChoice) -> None:
        log.info("quit with posts to come: %s", choice.value)
        if choice is QuitChoice.QUIT:
            self.shutdown()
        elif choice is QuitChoice.KEEP_IN_TRAY:
            self.hide()  # the app keeps running (and posting) in the tray
        elif choice is QuitChoice.INSTALL_SERVICE and self.prefs.system is not None:
            self.statusBar().showMessage("Installing the background service…")
            service, args = self.prefs.system.service, list(self.prefs.service_args)
            self.runner.submit(lambda: service.install(args), self._service_installed,
                               self._service_refused)

    def _service_installed(self, status: ServiceStatus) -> None:
        if self.service_watch is not None:
            self.service_watch.show(status)
        if status.running:
            log.info("background service installed and running: quitting")
            self.shutdown()
        else:
            self._service_refused(ServiceError(status.summary()))

    def _service_refused(self, exc: BaseException) -> None:
        """Installing failed: stay open (the posts still need this app) and say why."""
        self.statusBar().clearMessage()
        QMessageBox.warning(self, "Background service not installed",
                            f"{exc}\n\nTikTok Desktop stays open so your posts still go out.")

