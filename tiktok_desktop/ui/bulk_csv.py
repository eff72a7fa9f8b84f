"""The bulk window's CSV side: File → Import CSV opens a file in the table as a preview (each
bad cell named by row and column and fixable there), Export writes the schedule in the same
format as 'posts export'. Split from bulk_window.py, which it extends."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStringListModel, QTimer
from PySide6.QtWidgets import QFileDialog, QListView, QMainWindow, QTableView

from tiktok_desktop.domain.words import count
from tiktok_desktop.paths import explain_os_error
from tiktok_desktop.services.bulk import BulkService
from tiktok_desktop.services.bulk_batch import BulkBatch
from tiktok_desktop.services.posts_csv import CsvImport, export_posts
from tiktok_desktop.store import PostState
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.titles import window_title

if TYPE_CHECKING:
    from tiktok_desktop.ui.bulk_model import BulkModel

__all__ = ["CsvPreview", "export_schedule"]


def export_schedule(bulk: BulkService, path: Path, zone_name: str) -> int:
    """Write the scheduled posts to ``path`` as 'posts export' does; returns how many.
    Raises OSError (the caller says it in the user's words)."""
    posts = bulk.posts.list_posts(states=[PostState.SCHEDULED])
    accounts = {a.id: a for a in bulk.accounts.list_accounts()}
    # utf-8-sig: the BOM tells Excel the file is UTF-8 (the import reads it either way).
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        return export_posts(posts, accounts, out, zone_name)


class CsvPreview(QMainWindow):
    """Needs, from BulkWindow: bulk, runner, zone_name, batch, model, view, csv_list,
    row_names, _reading, _recheck and the methods named below."""

    bulk: BulkService
    runner: TaskRunner
    zone_name: str
    batch: BulkBatch
    model: BulkModel
    view: QTableView
    csv_list: QListView
    csv_problems: QStringListModel
    row_names: list[str] | None
    _reading: set[str]
    _recheck: QTimer
    _busy: Callable[[str], None]
    _update_now: Callable[[], None]
    _changed: Callable[[], None]
    _ask_accounts: Callable[[], None]
    read_videos: Callable[..., None]
    show_notice: Callable[..., None]

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import CSV", str(Path.home()),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(Path(path))

    def import_csv(self, path: Path) -> None:
        """Read, probe and check every row in the background, then show it in the table."""
        self._busy(f"Reading {path.name}…")
        self.runner.submit(lambda: CsvImport.load(path, self.bulk, self.zone_name),
                           lambda found: self._csv_loaded(path, found), self._csv_failed,
                           owner=self)

    def _csv_loaded(self, path: Path, found: CsvImport) -> None:
        batch = BulkBatch.from_rows(found.bulk_rows, self.zone_name,
                                    [r.problems for r in found.rows])
        for video in found.videos.values():
            batch.video_probed(video)
        for facts in found.facts.values():
            batch.account_loaded(facts, now=False)
        self.batch = batch
        self.row_names = [f"row {r.number}" for r in found.rows]
        self._reading.clear()
        self.model.set_batch(batch)
        self._recheck.start()
        self.setWindowTitle(window_title(path.name, "Import"))
        self.csv_list.show()
        self._ask_accounts()
        self.read_videos(sorted({r.path for r in batch.rows
                                 if r.path and r.path not in batch.videos}))
        self._changed()

    def _csv_failed(self, exc: BaseException) -> None:
        self._update_now()  # at once: what the click did
        self.show_notice(str(exc))

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export schedule", str(Path.home()
                                              / "schedule.csv"), "CSV files (*.csv)")
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> int | None:
        """The scheduled posts in the import's format (what 'posts export' writes)."""
        try:
            written = export_schedule(self.bulk, path, self.zone_name)
        except OSError as exc:
            self.show_notice(explain_os_error(path, exc, "the CSV file"))
            return None
        self.show_notice(f"Wrote {count(written, 'scheduled post')} to {path}.", error=False)
        return written

    def _go_to_problem(self, index: object) -> None:
        problems = self.batch.all_problems()
        row = getattr(index, "row", lambda: -1)()
        if 0 <= row < len(problems):
            self.view.selectRow(problems[row].row)

