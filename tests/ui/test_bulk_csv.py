"""CSV import and export in the window (issue 18): File → Import CSV opens the file in a bulk
window as a preview where every bad cell is named by row and column, nothing is scheduled
until each is fixed (in the table), and the export writes what 'posts export' writes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers import csv_cases
from tests.helpers.csv_cases import HEADER, day
from tests.helpers.videos import VideoFactory, VideoSpec
from tests.ui.composer_support import open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.bulk import Column
from tiktok_desktop.services.posts_csv import export_posts
from tiktok_desktop.store import Account, PostState
from tiktok_desktop.ui.bulk_model import View
from tiktok_desktop.ui.bulk_window import BulkWindow
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def folder(videos: VideoFactory, tmp_path: Path) -> Path:
    where = tmp_path / "week"
    for n in range(3):
        videos.copy_to(where, f"clip{n}.mp4", VideoSpec(seconds=3.0 + n, fps=24))
    return where


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        yield win



def _import(qtbot: QtBot, window: MainWindow, sheet: Path) -> BulkWindow:
    bulk = window.import_csv(sheet)
    qtbot.waitUntil(lambda: bulk.csv_list.isVisible() and bulk.settled(), timeout=30000)
    return bulk


def test_the_import_preview_names_every_bad_cell_and_schedules_nothing_until_fixed(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        folder: Path) -> None:
    rows, messages = csv_cases.bad_rows(folder)
    sheet = folder / "bad.csv"
    sheet.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    bulk = _import(qtbot, window, sheet)
    assert bulk.model.rowCount() == 7
    assert bulk.csv_problems.stringList() == messages
    # The same problems mark the table's cells, and nothing can go yet.
    assert "No account matches" in bulk.model.index(1, View.ACCOUNT).data(
        Qt.ItemDataRole.ToolTipRole)
    assert bulk.model.index(0, View.CHECKS).data() == "Ready"
    assert not bulk.schedule_button.isEnabled()
    assert graph.posts.list_posts() == []

    # Fixed in the table, one cell at a time: each message goes with its fix.
    bulk.model.setData(bulk.model.index(1, View.ACCOUNT), {"account_id": account.id})
    qtbot.waitUntil(bulk.settled)
    assert not any(line.startswith("row 3,") for line in bulk.csv_problems.stringList())
    tomorrow = int(graph.posts.clock()) + 86400
    for i, hours in ((2, 1), (3, 2)):
        bulk.model.edit_rows([i], due_at=tomorrow + hours * 3600, due_tz="Europe/Berlin")
    bulk.view.selectRow(4)
    bulk.remove_selected()  # the missing file's row
    bulk.model.setData(bulk.model.index(4, View.CAPTION), {"caption": "short now"})
    bulk.model.setData(bulk.model.index(5, View.PRIVACY), {"privacy_level": "SELF_ONLY"})
    qtbot.waitUntil(bulk.settled)
    assert bulk.csv_problems.stringList() == []
    assert bulk.schedule_button.isEnabled()
    with qtbot.waitSignal(bulk.scheduled, timeout=30000) as done:
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    assert len(done.args[0]) == 6
    assert len(graph.posts.list_posts(states=[PostState.SCHEDULED])) == 6


def test_a_file_that_is_not_a_schedule_is_said_in_the_window(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    sheet = tmp_path / "notes.csv"
    sheet.write_text("hello,world\n1,2\n", encoding="utf-8")
    bulk = window.import_csv(sheet)
    qtbot.waitUntil(bulk.notice.isVisible)
    assert "does not look like a schedule" in bulk.notice.text()
    assert bulk.model.rowCount() == 0


def test_export_from_the_window_writes_what_posts_export_writes(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        folder: Path, tmp_path: Path) -> None:
    rows = [f"clip{n}.mp4,@sandbox_creator,post {n},{day(3, 9 + n)},Europe/Berlin,friends,"
            "comment,,,," for n in range(3)]
    sheet = folder / "good.csv"
    sheet.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    bulk = _import(qtbot, window, sheet)
    assert bulk.csv_problems.stringList() == []
    with qtbot.waitSignal(bulk.scheduled, timeout=30000):
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    out = tmp_path / "export.csv"
    window.export_csv(out)
    assert "Wrote 3 scheduled posts" in window.statusBar().currentMessage()
    expected = io.StringIO(newline="")
    export_posts(graph.posts.list_posts(states=[PostState.SCHEDULED]),
                 {a.id: a for a in graph.accounts.list_accounts()}, expected, window.zone_name)
    assert out.read_bytes().decode("utf-8-sig") == expected.getvalue()
    # ... and importing it again previews the same three posts, ready to go.
    again = _import(qtbot, window, out)
    assert [(r.caption, r.due_at, r.privacy_level, r.allow_comment)
            for r in again.batch.rows] == [
        (p.caption, p.due_at, p.privacy_level, p.allow_comment)
        for p in sorted(graph.posts.list_posts(), key=lambda p: p.due_at or 0)]
    assert Column.FILE not in again.batch.problems(0)
