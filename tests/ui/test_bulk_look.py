"""The bulk window as a creator sees it, in a light and a dark palette at its default size: a
batch of real videos with times and privacy applied, one caption too long (its cell marked,
the row says "1 to fix"). The picture is saved under TIKTOK_SHOTS (default
/work/notes/shots) for a person to look at; the test checks that the words fit their cells."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette
from tests.ui.composer_support import connect, show_active
from tests.ui.test_screenshots import _fits, _text_fits
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.ui.bulk_model import View

SHOTS = Path(os.environ.get("TIKTOK_SHOTS", "/work/notes/shots"))


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_palette(request.param):
        yield request.param


def test_a_batch_reads_in_the_palette(qtbot: QtBot, graph: AppGraph, palette: str,
                                      sixty_videos: list[Path]) -> None:
    connect(graph)
    window = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(window)
    show_active(qtbot, window)
    window.open_videos([str(p) for p in sixty_videos[:12]])
    bulk = window.bulk_windows[0]
    qtbot.waitUntil(bulk.settled, timeout=60000)
    try:
        bulk.view.selectAll()
        privacy = bulk.apply_bar.privacy
        privacy.setCurrentIndex(privacy.findText("Everyone"))
        qtbot.mouseClick(bulk.apply_bar.button, Qt.MouseButton.LeftButton)
        day = dt.datetime.now(zone(bulk.zone_name)).date() + dt.timedelta(days=1)
        bulk.times_bar.hours.setValue(3)
        bulk.times_bar.start.setDateTime(QDateTime(day, dt.time(9)))
        qtbot.mouseClick(bulk.times_bar.every_button, Qt.MouseButton.LeftButton)
        for row in range(12):
            bulk.model.setData(bulk.model.index(row, View.CAPTION),
                               {"caption": f"Sourdough day {row + 1} #baking #bread"})
        bulk.model.setData(bulk.model.index(4, View.CAPTION), {"caption": "x" * 2201})
        qtbot.waitUntil(bulk.settled, timeout=30000)
        bulk.view.clearSelection()
        assert bulk.model.index(4, View.CHECKS).data() == "1 to fix"
        assert bulk.summary.text() == "11 ready · 1 to fix"
        for column in (View.FILE, View.WHEN, View.PRIVACY, View.CHECKS):
            assert _fits(bulk.view, column), column
        assert _text_fits(bulk.view, View.CHECKS) == []
        assert _text_fits(bulk.view, View.WHEN) == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert bulk.grab().save(str(SHOTS / f"bulk-{palette}.png"))
    finally:
        bulk._close_confirmed = True
        bulk.close()
