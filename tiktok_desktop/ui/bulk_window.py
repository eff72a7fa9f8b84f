"""The bulk window: many videos in one table, each row a post checked like the composer's.

The rows live in a BulkBatch (services/bulk_batch.py, Qt-free); the table is a BulkModel over
it. The videos are probed in the background (a TaskRunner of the window's own, so Cancel and
closing stop what has not started), the accounts' settings are asked from TikTok once per
account, and the schedule checks run in the background on a snapshot after edits settle.
Schedule is BulkService.schedule: all rows or none, library copies rolled back on failure.
The File menu imports a CSV file into the table (its problems shown by row and column, the
rows editable until fixed) and exports the schedule in the same format.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
    QWidget,
)

from tiktok_desktop.domain.compose import MUSIC_URL, POLICY_URL
from tiktok_desktop.domain.words import count
from tiktok_desktop.services.bulk import (
    AccountFacts,
    BulkRefused,
    BulkRow,
    BulkService,
    CellProblem,
    ProbedVideo,
    every_n_hours,
)
from tiktok_desktop.services.bulk_batch import BulkBatch, Snapshot
from tiktok_desktop.services.library import AdoptCancelled
from tiktok_desktop.services.schedule import ScheduleError
from tiktok_desktop.services.snippets import SnippetsService, insert_snippet
from tiktok_desktop.store import Account, Post
from tiktok_desktop.store.snippets import Snippet
from tiktok_desktop.ui.bulk_csv import CsvPreview, export_schedule
from tiktok_desktop.ui.bulk_layout import build_body, build_menus, build_table
from tiktok_desktop.ui.bulk_model import BulkModel
from tiktok_desktop.ui.bulk_tools import ApplyBar, TimesBar
from tiktok_desktop.ui.screen_fit import fit_on_screen
from tiktok_desktop.ui.snippets_ui import SnippetButton, SnippetsDialog
from tiktok_desktop.ui.tasks import TaskRunner
from tiktok_desktop.ui.thumbnails import ThumbnailLoader, media_thumbnail
from tiktok_desktop.ui.titles import window_title
from tiktok_desktop.ui.tones import Tone, set_tone

log = logging.getLogger(__name__)

__all__ = ["BulkWindow", "export_schedule"]

DEFAULT_SIZE = QSize(1180, 680)
CHECK_DELAY_MS = 250  # edits and arriving probes settle before the schedule is checked
UPDATE_DELAY_MS = 100
RECHECK_SLICE = 25  # rows re-checked per event-loop turn (well under the 50 ms budget)
CANCELLED = ("Not read: reading the videos was cancelled. Use File → Read videos again, or "
             "remove the row.")


class BulkWindow(CsvPreview):
    scheduled = Signal(list)  # the posts stored (all of the batch)
    # From the worker thread during Schedule: (bytes copied, bytes in all).
    _copy_progress = Signal(int, int)

    def __init__(self, bulk: BulkService, snippets: SnippetsService, paths: Sequence[str], *,
                 zone_name: str, keep_copy: bool = True, due_at: int | None = None,
                 thumbnailer: Callable[[str, int], QImage] | None = media_thumbnail,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bulk = bulk
        self.snippets = snippets
        self.zone_name = zone_name
        self.keep_copy = keep_copy
        self.runner = TaskRunner(self, workers=1)
        self.setWindowTitle(window_title(f"{count(len(paths), 'video')}", "Schedule many"))
        self.accounts: list[Account] = bulk.accounts.list_accounts()
        connected = [a for a in self.accounts if a.status.value == "connected"]
        default = connected[0].id if len(connected) == 1 else None
        self.batch = BulkBatch(paths, zone_name, account_id=default, due_at=due_at,
                               check=False)
        self.row_names: list[str] | None = None  # a CSV's row numbers, when imported
        self._reading: set[str] = set()
        self._read_total = 0
        self._read_cancelled = False
        self._asking: set[int] = set()  # accounts whose settings are being read
        self._checking = False
        self._saving = False
        self._cancel_save = False
        self._close_confirmed = False
        self.dialog: QWidget | None = None  # the last dialog opened (tests look at it)

        self.thumbnails = ThumbnailLoader(self.runner, thumbnailer,
                                          ratio=self.devicePixelRatioF(), parent=self)
        self.model = BulkModel(self.batch, self.thumbnails, self._account_label, self)
        self.model.edited.connect(self._edited)
        self.view = build_table(self)
        self.apply_bar = ApplyBar()
        self.apply_bar.set_accounts(self._account_choices())
        self.apply_bar.apply.connect(self.apply_to_selected)
        self.insert_button = SnippetButton(snippets.for_account, self._selected_account,
                                           self.insert_snippet, self.edit_snippets)
        self.apply_bar.insert_slot.addWidget(self.insert_button)
        self.times_bar = TimesBar()
        self.times_bar.spread.connect(self.spread_over_queue)
        self.times_bar.every.connect(self.every_n_hours)
        self._check_soon = QTimer(self)
        self._check_soon.setSingleShot(True)
        self._check_soon.setInterval(CHECK_DELAY_MS)
        self._check_soon.timeout.connect(self._check_times)
        self._copy_progress.connect(self._copied)
        # What the bars and buttons say is redrawn at most ~10 times a second: 500 probes
        # answering must not mean 500 recounts and relayouts.
        self._update_soon = QTimer(self)
        self._update_soon.setSingleShot(True)
        self._update_soon.setInterval(UPDATE_DELAY_MS)
        self._update_soon.timeout.connect(self._update_now)
        # An account's settings re-check its rows a slice per event-loop turn.
        self._recheck = QTimer(self)
        self._recheck.setInterval(0)
        self._recheck.timeout.connect(self._recheck_some)
        build_body(self)
        build_menus(self)
        self.resize(DEFAULT_SIZE)
        fit_on_screen(self)
        self._started = False
        self._shown: dict[str, object] = {}  # what _update_now last handed to Qt
        self._update_now()
        # The rest after the first paint: opening 500 videos must not freeze the window.
        QTimer.singleShot(0, self._start)

    def _start(self) -> None:
        self._started = True
        self._recheck.start()
        self.read_videos(sorted({r.path for r in self.batch.rows}), again=False)
        self._ask_accounts()

    # -- accounts ------------------------------------------------------------------------------

    def _account_label(self, account_id: int) -> str:
        for a in self.accounts:
            if a.id == account_id:
                return a.label
        return f"account {account_id}"

    def _account_choices(self) -> list[tuple[int, str]]:
        return [(a.id, a.label) for a in self.accounts]

    def _offered(self, row: BulkRow) -> list[str] | None:
        return self._offered_for(row.account_id)

    def _offered_for(self, account_id: int | None) -> list[str] | None:
        facts = self.batch.facts.get(account_id) if account_id is not None else None
        return list(facts.creator.privacy_level_options) if facts and facts.creator else None

    def _ask_accounts(self) -> None:
        """Read the settings of every account the rows use and nobody has asked yet."""
        wanted = {r.account_id for r in self.batch.rows if r.account_id is not None}
        for account in self.accounts:
            if account.id in wanted and account.id not in self.batch.facts \
                    and account.id not in self._asking:
                self._asking.add(account.id)
                self.runner.submit(lambda a=account: self.bulk.account_facts(a),
                                   self._account_loaded,
                                   lambda exc, a=account: self._account_failed(a, exc),
                                   owner=self)

    def _account_loaded(self, facts: AccountFacts) -> None:
        self._asking.discard(facts.account.id)
        self.batch.account_loaded(facts, now=False)
        self._recheck.start()
        self._selection_changed()

    def _recheck_some(self) -> None:
        self.model.rows_changed(self.batch.check_some(RECHECK_SLICE))
        if not self.batch.unchecked:
            self._recheck.stop()
            self._changed()

    def _account_failed(self, account: Account, exc: BaseException) -> None:
        self._account_loaded(AccountFacts(account, None, str(exc)))

    # -- reading the videos --------------------------------------------------------------------

    def read_videos(self, paths: Sequence[str], *, again: bool = True) -> None:
        """Probe these files in the background; each answer re-checks its rows. ``again``
        (Read again, added videos, an import): a Cancel before no longer holds."""
        fresh = [p for p in paths if p not in self._reading]
        if not fresh:
            return
        if not self._reading:
            self._read_total = 0
            if again:
                self._read_cancelled = False
        self._read_total += len(fresh)
        self._reading.update(fresh)
        for path in fresh:
            self.runner.submit(lambda p=path: self._probe(p), self._probed,
                               lambda exc, p=path: self._probed(ProbedVideo(p, error=str(exc))),
                               owner=self)
        self._update()

    def _probe(self, path: str) -> ProbedVideo | None:
        # Runs on a worker: after Cancel the files still queued are not opened at all.
        if self._read_cancelled:
            return ProbedVideo(path, error=CANCELLED)
        return self.bulk.probe(path)

    def _probed(self, video: ProbedVideo) -> None:
        self._reading.discard(video.path)
        self.model.rows_changed(self.batch.video_probed(video))
        if not self._reading:
            self._check_soon.stop()  # all in: check now, not after the last of the delays
        self._changed()

    def read_again(self) -> None:
        """Probe again the files that could not be read (cancelled, moved back, fixed)."""
        again = sorted({r.path for r in self.batch.rows
                        if (v := self.batch.videos.get(r.path)) is not None and v.error})
        for path in again:
            self.batch.videos.pop(path, None)
        self.model.all_changed()
        self.read_videos(again)

    def cancel(self) -> None:
        if self._saving:
            self._cancel_save = True
            return
        self._read_cancelled = True

    def settled(self) -> bool:
        """Every video read, every account's settings in, the last edit checked."""
        return self._started and not self._reading and not self._asking \
            and not self._checking and not self._recheck.isActive() \
            and not self._check_soon.isActive() and not self._update_soon.isActive() \
            and not self.batch.unchecked and self.batch.counts()[2] == 0

    # -- edits ---------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.view.selectionModel().selectedRows()})

    def _selected_account(self) -> int | None:
        rows = self.selected_rows() or list(range(len(self.batch.rows)))
        ids = {self.batch.rows[i].account_id for i in rows}
        return next(iter(ids)) if len(ids) == 1 else None

    def _selection_changed(self) -> None:
        self.apply_bar.set_privacy_options(self._offered_for(self._selected_account()))
        self._update()

    def apply_to_selected(self, fields: dict[str, object]) -> None:
        rows = self.selected_rows()
        if not rows:
            self.show_notice("Select the rows to change first (click, Shift+click or Ctrl+A).")
            return
        self.model.edit_rows(rows, **fields)

    def insert_snippet(self, snippet: Snippet) -> None:
        rows = self.selected_rows()
        if not rows:
            self.show_notice("Select the rows whose caption gets it first.")
            return
        for i in rows:
            caption = self.batch.rows[i].caption
            self.model.edit_rows([i], caption=insert_snippet(caption, len(caption), snippet)[0])

    def edit_snippets(self) -> None:
        dialog = SnippetsDialog(self.snippets, self.accounts, self._selected_account(), self)
        self.dialog = dialog
        dialog.open()

    def spread_over_queue(self) -> None:
        rows = self.selected_rows() or list(range(len(self.batch.rows)))
        spread, missing = self.bulk.spread_over_queue(self.batch.rows, rows, self.zone_name)
        self.model.replace_rows({i: spread[i] for i in rows if i not in missing})
        if missing:
            self.show_notice(f"{count(len(missing), 'row')} got no queue time: choose their "
                             "account, or set queue times under Accounts → Queue times.")

    def every_n_hours(self, start: dt.datetime, hours: int) -> None:
        rows = self.selected_rows() or list(range(len(self.batch.rows)))
        try:
            times = every_n_hours(start, self.zone_name, hours, len(rows))
        except ScheduleError as exc:
            self.show_notice(str(exc))
            return
        self.model.replace_rows({i: dataclasses.replace(self.batch.rows[i], due_at=t,
                                                        due_tz=self.zone_name)
                                 for i, t in zip(rows, times, strict=True)})

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.model.remove_rows(rows)
            if self.row_names is not None:
                self.row_names = [n for i, n in enumerate(self.row_names) if i not in rows]

    def _edited(self, _rows: list[int]) -> None:
        self.notice.hide()
        self._ask_accounts()
        self._changed()

    # -- the schedule checks -------------------------------------------------------------------

    def _changed(self) -> None:
        # Not restarted while running: a stream of answers must not put the check off forever.
        if not self._check_soon.isActive():
            self._check_soon.start()
        self._update()

    def _check_times(self) -> None:
        if self._reading and not self._read_cancelled:
            return  # rows not read yet are not checked: one check once all are in
        if self._checking:
            self._check_soon.start()  # one at a time; the newest rows are checked next
            return
        if not self.batch.rows:
            return
        snapshot = self.batch.snapshot()
        self._checking = True
        self.runner.submit(lambda: self.bulk.time_problems(snapshot.rows, snapshot.videos,
                                                           snapshot.zone_name),
                           lambda answer, s=snapshot: self._times_checked(s, answer),
                           self._check_failed, owner=self)

    def _times_checked(self, snapshot: Snapshot,
                       answer: tuple[dict[int, tuple[int, str] | None], list[CellProblem]],
                       ) -> None:
        self._checking = False
        if self.batch.times_checked(snapshot, *answer):
            self.model.all_changed()
        self._update()

    def _check_failed(self, exc: BaseException) -> None:
        self._checking = False
        self.show_notice(str(exc))

    # -- schedule ------------------------------------------------------------------------------

    def schedule(self) -> None:
        if not self.batch.ready() or self._saving:
            return
        self._saving = True
        self._cancel_save = False
        rows, videos = list(self.batch.rows), dict(self.batch.videos)
        facts = dict(self.batch.facts)
        self._busy("Scheduling…")
        self._update_now()  # at once: what the click did
        self.runner.submit(
            lambda: self.bulk.schedule(rows, videos, facts, self.zone_name,
                                       keep_copy=self.keep_copy,
                                       progress=self._copy_progress.emit,
                                       cancel=lambda: self._cancel_save),
            self._stored, self._refused, owner=self)

    def _busy(self, text: str) -> None:
        """The progress bar busy with something else than reading the videos."""
        self._shown.pop("progress", None)  # _update_now sets it again afterwards
        self.progress.setRange(0, 0)
        self.progress.setFormat(text)

    def _copied(self, done: int, total: int) -> None:
        self._shown.pop("progress", None)
        self.progress.setRange(0, 1000)
        self.progress.setValue(done * 1000 // max(total, 1))
        self.progress.setFormat(f"Copying the videos: {done * 100 // max(total, 1)}%")

    def _stored(self, posts: list[Post]) -> None:
        self._saving = False
        self._close_confirmed = True
        self.scheduled.emit(posts)
        log.info("scheduled a batch of %d posts", len(posts))
        self.close()

    def _refused(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, BulkRefused):
            for cell in exc.cells:  # the cells keep the message until they are edited
                self.batch.import_cells[cell.row][cell.column] = cell.message
            self.model.all_changed()
            self.show_notice(f"Nothing was scheduled: {count(len(exc.cells), 'cell')} to fix "
                             "(marked in the table).")
        elif isinstance(exc, AdoptCancelled):
            self.show_notice("Scheduling was cancelled: nothing was scheduled.")
        else:
            self.show_notice(f"Nothing was scheduled: {exc}")
        self._update_now()  # at once: what the click did

    # -- what the window says ------------------------------------------------------------------

    def choose_videos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Add videos", str(Path.home()),
            "Videos (*.mp4 *.mov *.webm *.MP4 *.MOV *.WEBM);;All files (*)")
        if paths:
            self.add_videos(paths)

    def add_videos(self, paths: Sequence[str]) -> None:
        account_id = self.batch.rows[-1].account_id if self.batch.rows else None
        added = self.batch.add(paths, account_id)
        self.model.set_batch(self.batch)
        if self.row_names is not None:
            self.row_names += [f"added {n + 1}" for n in range(len(added))]
        self._ask_accounts()
        self.read_videos(sorted({self.batch.rows[i].path for i in added}))
        self._changed()

    def show_notice(self, text: str, *, error: bool = True) -> None:
        self.notice.setText(text)
        set_tone(self.notice, Tone.ERROR if error else Tone.OK)
        self.notice.show()

    def _name(self, row: int) -> str:
        if self.row_names is not None and row < len(self.row_names):
            return self.row_names[row]
        return f"row {row + 1}"

    def _update(self) -> None:
        if not self._update_soon.isActive():
            self._update_soon.start()

    def _update_now(self) -> None:
        """The bars, buttons and lines from the batch. Everything is worked out in Python
        first and only what changed is handed to Qt: each call into Qt gives other threads
        (probing videos) the interpreter, so fewer calls keep the window responsive."""
        ready, bad, waiting = self.batch.counts()
        total = len(self.batch.rows)
        # Before _start the whole batch is still to be read.
        reading = len(self._reading) if self._started else len({r.path for r in self.batch.rows})
        read_total = self._read_total if self._started else reading
        parts = [f"{ready} ready"]
        if bad:
            parts.append(f"{bad} to fix")
        if waiting:
            parts.append(f"{waiting} being checked")
        can = self.batch.ready() and not self._saving
        branded = any(r.disclose and r.brand_content for r in self.batch.rows)
        music = f'<a href="{MUSIC_URL}">Music Usage Confirmation</a>'
        policy = f'<a href="{POLICY_URL}">Branded Content Policy</a> and ' if branded else ""
        shown: dict[str, object] = {
            "cancel": bool(reading) or self._saving,
            "summary": " · ".join(parts),
            "schedule": f"&Schedule {count(total, 'post')}",
            "can": can,
            "tip": "Schedule every row (Ctrl+Enter)" if can else
                   "Every row must be read, checked and without problems first: the rows "
                   "marked in red say what to fix (hover over them).",
            "declaration": f"By scheduling these posts, you agree to TikTok's {policy}{music} "
                           "for each of them.",
            "reread": any(v.error for v in self.batch.videos.values()),
        }
        if not self._saving:
            shown["progress"] = (max(read_total, 1),
                                 read_total - reading if read_total else 1,
                                 f"Reading the videos: {read_total - reading} of "
                                 f"{read_total}" if reading else "All videos read")
        if self.row_names is not None:
            shown["csv"] = [f"{self._name(p.row)}, column '{p.column}': {p.message}"
                            for p in self.batch.all_problems()]
        last = self._shown
        self._shown = shown

        def changed(key: str) -> bool:
            return key in shown and last.get(key) != shown[key]

        if changed("progress"):
            top, value, text = shown["progress"]  # type: ignore[misc]
            self.progress.setRange(0, top)
            self.progress.setValue(value)
            self.progress.setFormat(text)
        if changed("cancel"):
            self.cancel_button.setEnabled(bool(shown["cancel"]))
        if changed("summary"):
            self.summary.setText(str(shown["summary"]))
        if changed("schedule"):
            self.schedule_button.setText(str(shown["schedule"]))
        if changed("can"):
            self.schedule_button.setEnabled(bool(shown["can"]))
        if changed("tip"):
            self.schedule_button.setToolTip(str(shown["tip"]))
        if changed("declaration"):
            self.declaration.setText(str(shown["declaration"]))
        if changed("csv"):
            self.csv_problems.setStringList(list(shown["csv"]))  # type: ignore[call-overload]
        if changed("reread"):
            self.act_reread.setEnabled(bool(shown["reread"]))

    def request_close(self) -> None:
        """Close, asking first while there are rows not scheduled (they would be lost)."""
        if self._saving:
            return
        if not self.batch.rows or self._close_confirmed:
            self._close_confirmed = True
            self.close()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Close without scheduling?",
                          f"The {count(len(self.batch.rows), 'video')} in this window are not "
                          "scheduled yet. Close the window anyway?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.finished.connect(lambda r: self._close_answered(
            r == QMessageBox.StandardButton.Yes))
        self.dialog = box
        box.open()

    def _close_answered(self, yes: bool) -> None:
        if yes:
            self._close_confirmed = True
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._saving:
            event.ignore()  # the batch is being stored: all of it or none, then it closes
            return
        if not self._close_confirmed and self.batch.rows and event.spontaneous():
            event.ignore()
            self.request_close()
            return
        self._read_cancelled = True
        self.runner.shutdown()
        super().closeEvent(event)
