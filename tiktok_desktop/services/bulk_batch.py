"""The bulk window's batch without Qt: its rows, what is known about each file and account,
and every cell's problem, kept current as the user edits.

Edits and arriving facts (a probed video, an account's creator_info) re-check only the rows
they touch, with the single composer's rules (bulk.row_problems), which is cheap enough for
the GUI thread. The schedule checks need the whole batch and the database, so the window runs
BulkService.time_problems in the background on a snapshot and hands the answer back with the
snapshot's generation; an answer for an older generation is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tiktok_desktop.services.bulk import (
    READING,
    AccountFacts,
    BulkRow,
    CellProblem,
    Column,
    ProbedVideo,
    row_problems,
)
from tiktok_desktop.store import PostMode

__all__ = ["BulkBatch", "Snapshot"]

CHECKING_TIMES = "Checking the time against the schedule…"
# Which cell an edited field belongs to (an import's problem with it goes with the edit).
FIELD_COLUMNS = {
    "path": (Column.FILE,), "account_id": (Column.ACCOUNT,), "caption": (Column.CAPTION,),
    "due_at": (Column.WHEN, Column.ZONE), "due_tz": (Column.WHEN, Column.ZONE),
    "privacy_level": (Column.PRIVACY,), "allow_comment": (Column.INTERACTIONS,),
    "allow_duet": (Column.INTERACTIONS,), "allow_stitch": (Column.INTERACTIONS,),
    "disclose": (Column.DISCLOSURE,), "brand_organic": (Column.DISCLOSURE,),
    "brand_content": (Column.DISCLOSURE,), "is_aigc": (Column.AI_LABEL,),
    "mode": (Column.INBOX, Column.PRIVACY, Column.INTERACTIONS, Column.DISCLOSURE,
             Column.AI_LABEL),
    "cover_time_ms": (Column.COVER,),
}


@dataclass(frozen=True)
class Snapshot:
    """What the background time check works on."""

    generation: int
    rows: tuple[BulkRow, ...]
    videos: Mapping[str, ProbedVideo]
    zone_name: str


class BulkBatch:
    def __init__(self, paths: Iterable[str], zone_name: str, *,
                 account_id: int | None = None, due_at: int | None = None,
                 check: bool = True) -> None:
        """``check=False``: the rows wait in ``unchecked`` (check_some runs them), so a window
        opening 500 videos does not check them all before it first paints."""
        self.zone_name = zone_name
        self.rows: list[BulkRow] = [BulkRow(p, account_id, due_at=due_at,
                                            due_tz=zone_name if due_at is not None else "")
                                    for p in paths]
        self.videos: dict[str, ProbedVideo] = {}
        self.facts: dict[int, AccountFacts] = {}
        self.row_cells: list[dict[Column, str]] = [{} for _ in self.rows]
        # What reading a CSV file found in a cell, until that cell is edited.
        self.import_cells: list[dict[Column, str]] = [{} for _ in self.rows]
        self.time_cells: dict[int, str] = {}
        self.times: dict[int, tuple[int, str] | None] = {}
        self.generation = 0
        self._checked_generation = -1
        self.unchecked: dict[int, None] = {}  # rows whose rules must run again (in order)
        for i in range(len(self.rows)):
            if check:
                self._check_row(i)
            else:
                self.unchecked[i] = None

    @classmethod
    def from_rows(cls, rows: Iterable[BulkRow], zone_name: str,
                  import_cells: Iterable[Mapping[Column, str]] | None = None) -> BulkBatch:
        """A batch of rows read elsewhere (a CSV file), with the problems reading found."""
        batch = cls([], zone_name)
        batch.rows = list(rows)
        batch.row_cells = [{} for _ in batch.rows]
        batch.import_cells = [dict(c) for c in import_cells] if import_cells is not None \
            else [{} for _ in batch.rows]
        for i in range(len(batch.rows)):
            batch._check_row(i)
        return batch

    def __len__(self) -> int:
        return len(self.rows)

    # -- reading -----------------------------------------------------------------------------

    def problems(self, index: int) -> dict[Column, str]:
        """The row's problems by column: the composer's rules, then the schedule's."""
        cells = {**self.row_cells[index], **self.import_cells[index]}
        if Column.WHEN not in cells and Column.ZONE not in cells:
            if self._checked_generation != self.generation:
                cells[Column.WHEN] = CHECKING_TIMES
            elif index in self.time_cells:
                cells[Column.WHEN] = self.time_cells[index]
        return cells

    def all_problems(self) -> list[CellProblem]:
        return [CellProblem(i, c, text) for i in range(len(self.rows))
                for c, text in self.problems(i).items()]

    def pending(self, index: int) -> bool:
        """Still being read or checked (not the user's to fix)."""
        cells = self.problems(index)
        return cells.get(Column.FILE) == READING or cells.get(Column.WHEN) == CHECKING_TIMES \
            or index in self.unchecked or (self.rows[index].account_id is not None
                and self.rows[index].account_id not in self.facts)

    def ready(self) -> bool:
        """Every row read and checked, and none has a problem: the batch may be scheduled."""
        return bool(self.rows) and self._checked_generation == self.generation and \
            not self.unchecked and not any(self.problems(i) for i in range(len(self.rows)))

    def counts(self) -> tuple[int, int, int]:
        """(rows ready, rows with problems to fix, rows still being read or checked)."""
        waiting = bad = 0
        for i in range(len(self.rows)):
            if self.pending(i):
                waiting += 1
            elif self.problems(i):
                bad += 1
        return len(self.rows) - waiting - bad, bad, waiting

    def time_of(self, index: int) -> tuple[int, str] | None:
        """The row's due time and zone: its own, or the queue slot the last check gave it."""
        row = self.rows[index]
        if row.due_at is not None:
            return row.due_at, row.due_tz or self.zone_name
        return self.times.get(index)

    # -- changes -----------------------------------------------------------------------------

    def edit(self, indexes: Iterable[int], **changes: Any) -> list[int]:
        """Set fields of these rows (a cell edit, or "apply to selected"); returns them."""
        touched = sorted(set(indexes))
        for i in touched:
            for name in changes:
                for column in FIELD_COLUMNS.get(name, ()):
                    self.import_cells[i].pop(column, None)
            row = dataclasses.replace(self.rows[i], **changes)
            if row.mode is PostMode.INBOX:
                row = dataclasses.replace(row, privacy_level=None, allow_comment=False,
                                          allow_duet=False, allow_stitch=False,
                                          disclose=False, brand_organic=False,
                                          brand_content=False, is_aigc=False)
            elif not row.disclose:
                row = dataclasses.replace(row, brand_organic=False, brand_content=False)
            self.rows[i] = row
            self._check_row(i)
        self._changed()
        return touched

    def replace_rows(self, rows: Mapping[int, BulkRow]) -> None:
        """Rows with new times ("spread over the queue", "every N hours")."""
        for i, row in rows.items():
            self.rows[i] = row
            self.import_cells[i].pop(Column.WHEN, None)
            self.import_cells[i].pop(Column.ZONE, None)
            self._check_row(i)
        self._changed()

    def add(self, paths: Iterable[str], account_id: int | None = None) -> list[int]:
        """More videos as new rows (File → Add videos in the window); returns their indexes."""
        start = len(self.rows)
        for path in paths:
            self.rows.append(BulkRow(path, account_id))
            self.row_cells.append({})
            self.import_cells.append({})
            self._check_row(len(self.rows) - 1)
        self._changed()
        return list(range(start, len(self.rows)))

    def remove(self, indexes: Iterable[int]) -> None:
        self.check_some(len(self.unchecked))  # their indexes are about to change
        gone = set(indexes)
        keep = [i for i in range(len(self.rows)) if i not in gone]
        self.rows = [self.rows[i] for i in keep]
        self.row_cells = [self.row_cells[i] for i in keep]
        self.import_cells = [self.import_cells[i] for i in keep]
        self.time_cells, self.times = {}, {}
        self._changed()

    def video_probed(self, video: ProbedVideo) -> list[int]:
        """A file's facts arrived; returns the rows that show it."""
        self.videos[video.path] = video
        touched = [i for i, r in enumerate(self.rows) if r.path == video.path]
        for i in touched:
            self._check_row(i)
        self._changed()
        return touched

    def account_loaded(self, facts: AccountFacts, *, now: bool = True) -> list[int]:
        """An account's settings arrived. ``now``: re-check its rows at once (returns them);
        else they wait in ``unchecked`` for check_some(), so a window re-checks 500 rows a
        few at a time instead of in one long pause."""
        self.facts[facts.account.id] = facts
        touched = [i for i, r in enumerate(self.rows) if r.account_id == facts.account.id]
        if not now:
            self.unchecked.update(dict.fromkeys(touched))
            return []
        for i in touched:
            self._check_row(i)
        return touched

    def check_some(self, limit: int) -> list[int]:
        """Re-check up to ``limit`` rows waiting in ``unchecked``; returns them."""
        done = list(self.unchecked)[:limit]
        for i in done:
            self._check_row(i)
        return done

    def snapshot(self) -> Snapshot:
        return Snapshot(self.generation, tuple(self.rows), dict(self.videos), self.zone_name)

    def times_checked(self, snapshot: Snapshot, times: Mapping[int, tuple[int, str] | None],
                      problems: Iterable[CellProblem]) -> bool:
        """The background check's answer; False (and dropped) when the rows changed since."""
        if snapshot.generation != self.generation:
            return False
        self.times = dict(times)
        self.time_cells = {}
        for p in problems:
            self.time_cells[p.row] = p.message
        self._checked_generation = snapshot.generation
        return True

    def _changed(self) -> None:
        self.generation += 1

    def _check_row(self, i: int) -> None:
        self.unchecked.pop(i, None)
        row = self.rows[i]
        facts = self.facts.get(row.account_id) if row.account_id is not None else None
        if row.account_id is not None and facts is None:
            # The account's settings are still being read: only the other cells are judged.
            cells = {p.column: p.message for p in row_problems(i, dataclasses.replace(
                row, account_id=None), None, self.videos.get(row.path))}
            cells.pop(Column.ACCOUNT, None)
        else:
            cells = {p.column: p.message for p in row_problems(i, row, facts,
                                                               self.videos.get(row.path))}
        self.row_cells[i] = cells
