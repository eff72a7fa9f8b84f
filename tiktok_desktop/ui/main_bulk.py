"""The main window's part in bulk scheduling (issue 18): bulk windows for many videos, the
CSV import and export, and the editor of caption templates and hashtag sets (File menu).

A mixin of MainWindow, kept apart so the window's own file stays about the window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMainWindow

from tiktok_desktop.config import Settings
from tiktok_desktop.domain.words import count
from tiktok_desktop.paths import explain_os_error
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.bulk import BulkService
from tiktok_desktop.services.snippets import SnippetsService
from tiktok_desktop.store import Post

if TYPE_CHECKING:
    from tiktok_desktop.ui.bulk_window import BulkWindow

__all__ = ["BulkMenus"]


class BulkMenus(QMainWindow):
    """Needs, from MainWindow: accounts, bulk, snippets, zone_name, settings, refresh()."""

    accounts: AccountsService
    bulk: BulkService | None
    snippets: SnippetsService | None
    zone_name: str
    bulk_windows: list[BulkWindow]

    # MainWindow's own methods (its preferences' settings; reload the panes).
    _settings: Callable[[], Settings]
    refresh: Callable[[], None]

    def open_bulk(self, paths: list[str], due_at: int | None = None) -> BulkWindow:
        """One window for many videos (not a composer each: 60 of them would be 60 windows)."""
        assert self.bulk is not None and self.snippets is not None
        from tiktok_desktop.ui.bulk_window import BulkWindow  # noqa: PLC0415 - loaded when first opened (issue 16: not before the first paint)

        window = BulkWindow(self.bulk, self.snippets, paths, zone_name=self.zone_name,
                            keep_copy=self._settings().keep_video_copy, due_at=due_at,
                            parent=self)
        window.setWindowFlag(Qt.WindowType.Window)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.scheduled.connect(self._batch_scheduled)
        window.destroyed.connect(lambda _o=None, w=window: self._forget_bulk(w))
        self.bulk_windows.append(window)
        window.show()
        return window

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", str(Path.home()),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(Path(path))

    def import_csv(self, path: Path) -> BulkWindow:
        """A CSV schedule opens in a bulk window: every row checked, nothing scheduled yet."""
        window = self.open_bulk([])
        window.import_csv(path)
        return window

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export schedule",
                                              str(Path.home() / "schedule.csv"),
                                              "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> None:
        assert self.bulk is not None
        try:
            from tiktok_desktop.ui.bulk_csv import export_schedule  # noqa: PLC0415 - loaded when first opened (issue 16: not before the first paint)

            written = export_schedule(self.bulk, path, self.zone_name)
        except OSError as exc:
            self.statusBar().showMessage(explain_os_error(path, exc, "the CSV file"), 15000)
            return
        self.statusBar().showMessage(f"Wrote {count(written, 'scheduled post')} to {path}.",
                                     10000)

    def edit_snippets(self) -> None:
        assert self.snippets is not None
        from tiktok_desktop.ui.snippets_ui import SnippetsDialog  # noqa: PLC0415 - loaded when first opened (issue 16: not before the first paint)

        dialog = SnippetsDialog(self.snippets, self.accounts.list_accounts(), None, self)
        dialog.open()
        self.snippets_dialog = dialog

    def _forget_bulk(self, window: BulkWindow) -> None:
        if window in self.bulk_windows:
            self.bulk_windows.remove(window)

    def _batch_scheduled(self, posts: list[Post]) -> None:
        self.statusBar().showMessage(f"Scheduled {len(posts)} posts.", 10000)
        self.refresh()
