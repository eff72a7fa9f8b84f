"""Issue 19 in the schedule list: a published post's latest views and likes from TikTok, in
one compact column shown once some post has them and the window has room for it (the default
size), never cutting the State column off (also at 1024x700, where the counts are in the
State's tooltip only), in light and dark."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette
from tests.helpers.videos import VideoFactory
from tests.ui.scenes import Scene, populate
from tests.ui.test_screenshots import _fits, _text_fits
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store.stats import PostSnapshot, StatsStore
from tiktok_desktop.ui.main_window import DEFAULT_SIZE
from tiktok_desktop.ui.schedule_counts import compact_count
from tiktok_desktop.ui.schedule_model import ScheduleModel

SHOTS = Path(os.environ.get("TIKTOK_STATS_SHOTS", "/work/notes/shots/stats"))
SIZES = {"default": DEFAULT_SIZE, "1024x700": QSize(1024, 700)}


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_palette(request.param):
        yield request.param


@pytest.fixture
def world(qtbot: QtBot, graph: AppGraph, videos: VideoFactory, tmp_path: Path,
          palette: str) -> Scene:
    accounts, posts = populate(graph, videos, tmp_path / "videos")
    published = posts[0]
    StatsStore(graph.db).record_posts([
        PostSnapshot(published.id, "1", 0, 1_800_000_000, 812, 40, 3, 1),
        PostSnapshot(published.id, "1", 1, 1_800_086_400, 12_345, 1_104, 31, 9)])
    window = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return Scene(graph, window, accounts, posts)


def test_compact_counts() -> None:
    assert [compact_count(n) for n in (0, 999, 1000, 12_345, 999_949, 4_560_000,
                                       123_456_789, 2_000_000_000)] == \
        ["0", "999", "1K", "12.3K", "999K", "4.5M", "123M", "2B"]


@pytest.mark.parametrize("size", list(SIZES))
def test_views_and_likes_beside_a_whole_state(qtbot: QtBot, world: Scene, palette: str,
                                              size: str) -> None:
    window = world.window
    window.resize(SIZES[size])
    qtbot.waitUntil(lambda: window.size() == SIZES[size])
    pane = window.schedule_pane
    view = pane.view
    row = pane.proxy.row_of(world.posts[0].id)
    assert row is not None
    cell = pane.proxy.index(row, ScheduleModel.COUNTS)
    assert cell.data() == "12.3K · 1.1K"
    said = "12,345 views, 1,104 likes (TikTok's latest count)"
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == said
    state = pane.proxy.index(row, ScheduleModel.STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert state.splitlines()[-1] == said
    others = [pane.proxy.index(r, ScheduleModel.COUNTS).data()
              for r in range(pane.proxy.rowCount()) if r != row]
    assert others and set(others) == {""}  # not published: nothing to count
    assert _fits(view, ScheduleModel.STATE) and _text_fits(view, ScheduleModel.STATE) == []
    shown = not view.horizontalHeader().isSectionHidden(ScheduleModel.COUNTS)
    assert shown == (size == "default")  # 1024x700 has no room beside a whole State
    if shown:
        assert _fits(view, ScheduleModel.COUNTS)
        assert _text_fits(view, ScheduleModel.COUNTS) == []
    # Qt hides the scroll bar at its next layout pass after a column hides
    qtbot.waitUntil(lambda: not view.horizontalScrollBar().isVisible(), timeout=2000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / f"list-{palette}-{size}.png"))


def test_new_counts_reach_the_list_and_sort_it(qtbot: QtBot, world: Scene,
                                               palette: str) -> None:
    pane = world.window.schedule_pane
    world.window.resize(DEFAULT_SIZE)
    StatsStore(world.graph.db).record_posts([
        PostSnapshot(world.posts[0].id, "1", 2, 1_800_604_800, 2_500_000, 99_000, 0, 0)])
    world.window.catch_up()  # what the database watch calls on a commit by the engine
    row = pane.proxy.row_of(world.posts[0].id)
    assert row is not None
    assert pane.proxy.index(row, ScheduleModel.COUNTS).data() == "2.5M · 99K"


def test_a_click_on_views_keeps_the_order(qtbot: QtBot, world: Scene, palette: str) -> None:
    """The list is sorted in SQL by its own columns; views are not one of them, so a click
    on their header leaves the order and its arrow as they were, and the header says where
    posts rank by views."""
    pane = world.window.schedule_pane
    world.window.resize(DEFAULT_SIZE)
    header = pane.view.horizontalHeader()
    qtbot.waitUntil(lambda: not header.isSectionHidden(ScheduleModel.COUNTS))
    pane.view.sortByColumn(ScheduleModel.CAPTION, Qt.SortOrder.DescendingOrder)
    before = [pane.proxy.post_at(r).id for r in range(pane.proxy.rowCount())]
    x = header.sectionViewportPosition(ScheduleModel.COUNTS) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(x, header.height() // 2))
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == \
        (ScheduleModel.CAPTION, Qt.SortOrder.DescendingOrder)
    assert [pane.proxy.post_at(r).id for r in range(pane.proxy.rowCount())] == before
    tip = pane.proxy.headerData(ScheduleModel.COUNTS, Qt.Orientation.Horizontal,
                                Qt.ItemDataRole.ToolTipRole)
    assert "Statistics" in tip


def test_without_counts_the_column_stays_hidden(qtbot: QtBot, graph: AppGraph,
                                                videos: VideoFactory, tmp_path: Path) -> None:
    populate(graph, videos, tmp_path / "videos")
    window = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(window)
    assert window.schedule_pane.view.horizontalHeader().isSectionHidden(ScheduleModel.COUNTS)
