"""Real drops on the window (issue 13, item 6): a folder dropped on a calendar day or hour
keeps that time for every video in it, as files do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect, open_window
from tests.ui.schedule_support import drop, url_mime, week_slot
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    connect(graph)
    with open_window(qtbot, graph) as win:
        yield win


def _tomorrow(window: MainWindow) -> dt.date:
    return (dt.datetime.now(zone(window.zone_name)) + dt.timedelta(days=1)).date()


@pytest.fixture
def folder(videos: VideoFactory, tmp_path: Path) -> Path:
    batch = tmp_path / "batch"
    for name in ("1.mp4", "2.mp4"):
        videos.copy_to(batch, name)
    (batch / "notes.txt").write_text("not a video")
    return batch


def test_a_folder_dropped_on_an_hour_keeps_its_time(qtbot: QtBot, window: MainWindow,
                                                    folder: Path) -> None:
    pane = window.schedule_pane
    pane.set_view("week")
    day = _tomorrow(window)
    point = week_slot(pane.calendar, day, 16 * 60 + 40)
    assert drop(pane.calendar.week.viewport(), point, url_mime(str(folder)))
    # A folder opens one bulk window (issue 18); its rows keep the hour's time.
    assert window.composers == [] and len(window.bulk_windows) == 1
    rows = window.bulk_windows[0].batch.rows
    assert [Path(r.path).name for r in rows] == ["1.mp4", "2.mp4"]
    expected = dt.datetime.combine(day, dt.time(16, 30), zone(window.zone_name))
    assert {r.due_at for r in rows} == {int(expected.timestamp())}
    assert "Not added: notes.txt" in window.statusBar().currentMessage()


def test_a_folder_dropped_on_a_day_of_the_month_keeps_the_day(
        qtbot: QtBot, window: MainWindow, folder: Path) -> None:
    pane = window.schedule_pane
    pane.set_view("month")
    day = _tomorrow(window)
    pane.calendar.go_to(day)
    cell = pane.calendar.month.day_rect(day)
    assert cell is not None
    assert drop(pane.calendar.month.viewport(), cell.center().toPoint(), url_mime(str(folder)))
    assert window.composers == [] and len(window.bulk_windows) == 1
    rows = window.bulk_windows[0].batch.rows
    expected = dt.datetime.combine(day, dt.time(9, 0), zone(window.zone_name))
    assert len(rows) == 2 and {r.due_at for r in rows} == {int(expected.timestamp())}
