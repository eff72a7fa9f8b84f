"""The schedule list at 100,000 posts (issue 16): it sorts, searches, filters and follows
changes exactly as the rules say, checked against the same rules written in Python over the
posts as written. The rows go in with one executemany (tests/helpers/many_posts.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.helpers import many_posts
from tests.ui.schedule_support import BERLIN, World, make_world
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule_views import StateGroup
from tiktok_desktop.store import Post, PostsRepo, PostState
from tiktok_desktop.store.post_keys import BIG_DUE, display_name, first_line
from tiktok_desktop.ui.schedule_model import ScheduleModel
from tiktok_desktop.ui.schedule_pane import SchedulePane
from tiktok_desktop.ui.tasks import TaskRunner

COUNT = 100_000


@pytest.fixture
def world(graph: AppGraph) -> World:
    return make_world(graph)


@pytest.fixture
def big(world: World) -> list[Post]:
    accounts = [world.mia.id, world.studio.id]
    many_posts.insert(world.graph.db,
                      many_posts.random_specs(COUNT, accounts, int(world.clock())),
                      int(world.clock()))
    return PostsRepo(world.graph.db).query()


@pytest.fixture
def pane(qtbot: QtBot, world: World, big: list[Post]) -> SchedulePane:
    runner = TaskRunner()
    pane = SchedulePane(world.service, runner, zone_name=BERLIN, thumbnailer=None)
    qtbot.addWidget(pane)
    pane.resize(1000, 600)
    pane.set_posts(None, world.labels)
    pane.show()
    return pane


def due(p: Post) -> int:
    return BIG_DUE if p.due_at is None else p.due_at


def ids(pane: SchedulePane, rows: range) -> list[int]:
    return [pane.proxy.post_at(r).id for r in rows]


@pytest.mark.slow  # 100,000 posts written and read back in Python for the expectations
def test_sorts_searches_and_filters_100k(pane: SchedulePane, big: list[Post]) -> None:
    assert pane.proxy.rowCount() == COUNT
    by_due = sorted(big, key=lambda p: (due(p), p.id))
    assert ids(pane, range(50)) == [p.id for p in by_due[:50]]
    pane.view.scrollToBottom()
    assert ids(pane, range(COUNT - 50, COUNT)) == [p.id for p in by_due[-50:]]

    pane.view.sortByColumn(ScheduleModel.VIDEO, Qt.SortOrder.DescendingOrder)
    by_name = sorted(big, key=lambda p: (display_name(p.video_path, p.video_meta), due(p),
                                         p.id), reverse=True)
    assert ids(pane, range(40)) == [p.id for p in by_name[:40]]
    assert ids(pane, range(60_000, 60_040)) == [p.id for p in by_name[60_000:60_040]]

    pane.view.sortByColumn(ScheduleModel.CAPTION, Qt.SortOrder.AscendingOrder)
    pane.filters.search.setText("Straße")
    pane.apply_filters()
    needle = "straße".casefold()
    found = sorted((p for p in big if needle in p.caption.casefold()
                    or needle in display_name(p.video_path, p.video_meta).casefold()),
                   key=lambda p: (first_line(p.caption), due(p), p.id))
    assert 2000 < len(found) < COUNT
    while pane.model.canFetchMore():  # a large result is read as the view scrolls down
        pane.model.fetchMore()
    assert pane.proxy.rowCount() == len(found)
    assert ids(pane, range(len(found))) == [p.id for p in found]

    pane.filters.search.setText("")
    box = pane.filters.group_box
    box.setCurrentIndex(box.findData(StateGroup.DRAFTS))
    pane.apply_filters()
    drafts = sorted((p for p in big if p.state is PostState.DRAFT),
                    key=lambda p: (first_line(p.caption), due(p), p.id))
    assert pane.proxy.rowCount() == len(drafts)
    assert ids(pane, range(len(drafts) - 30, len(drafts))) == [p.id for p in drafts[-30:]]
    assert box.itemText(box.currentIndex()) == f"Drafts ({len(drafts)})"


@pytest.mark.slow
def test_updates_touch_their_rows_at_100k(pane: SchedulePane, world: World,
                                          big: list[Post]) -> None:
    by_due = sorted(big, key=lambda p: (due(p), p.id))
    target = by_due[2]
    pane.select_post(target.id)
    moves: list[str] = []
    pane.model.layoutChanged.connect(lambda: moves.append("layout"))
    pane.model.modelReset.connect(lambda: moves.append("reset"))
    # The engine's step: same place in the list, one row repainted.
    changed = world.repo.transition(target.id, target.state, "engine step",
                                    caption=target.caption + " (checked)")
    pane.put_post(changed)
    assert moves == []
    row = pane.proxy.row_of(target.id)
    assert row == 2
    assert pane.proxy.index(row, ScheduleModel.CAPTION).data().endswith("(checked)")
    # A reschedule moves it to the end of the dated posts: the list is sorted again and the
    # selection follows it.
    last_dated = max(p.due_at for p in big if p.due_at is not None)
    moved = world.repo.transition(target.id, PostState.SCHEDULED, "moved",
                                  due_at=last_dated + 60)
    pane.put_post(moved)
    dated = sum(1 for p in big if p.due_at is not None)
    assert pane.proxy.row_of(target.id) == dated - 1
    assert pane.current_post() is not None and pane.current_post().id == target.id
    assert pane.view.selectionModel().isRowSelected(dated - 1)
    assert ids(pane, range(2)) == [p.id for p in by_due[:2]]
    assert pane.proxy.post_at(2).id == by_due[3].id
