"""The bulk window (issue 18) driven through its real widgets: 60 real videos, every row
checked with the composer's rules, "apply to selected", "every N hours", the spread over the
account's queue times, and the all-or-nothing commit (no post and no library copy left)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from tests.ui.composer_support import open_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.bulk import Column
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.store import Account, PostMode, PostState
from tiktok_desktop.store.queue import Slot
from tiktok_desktop.ui.bulk_model import View
from tiktok_desktop.ui.bulk_window import CANCELLED, BulkWindow
from tiktok_desktop.ui.main_window import MainWindow

CHOOSE_PRIVACY = "Choose who can view this video."
NO_QUEUE = "No time given, and this account has no queue times"


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with open_window(qtbot, graph) as win:
        yield win


def _open(qtbot: QtBot, window: MainWindow, paths: list[str]) -> BulkWindow:
    window.open_videos(paths)
    assert window.composers == [] and len(window.bulk_windows) == 1
    bulk = window.bulk_windows[0]
    qtbot.waitUntil(bulk.settled, timeout=60000)
    return bulk


def _problems(bulk: BulkWindow) -> dict[int, dict[Column, str]]:
    return {i: bulk.batch.problems(i) for i in range(len(bulk.batch.rows))
            if bulk.batch.problems(i)}


def _pick(combo: object, text: str) -> None:
    index = combo.findText(text)  # type: ignore[attr-defined]
    assert index >= 0, text
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


def _settle(qtbot: QtBot, bulk: BulkWindow) -> None:
    qtbot.waitUntil(bulk.settled, timeout=30000)


def _every(qtbot: QtBot, bulk: BulkWindow, start: dt.datetime, hours: int) -> None:
    bulk.times_bar.hours.setValue(hours)
    bulk.times_bar.start.setDateTime(QDateTime(start.date(), start.time()))
    qtbot.mouseClick(bulk.times_bar.every_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, bulk)


def _tomorrow(bulk: BulkWindow, hour: int) -> dt.datetime:
    day = dt.datetime.now(zone(bulk.zone_name)).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour))


def test_sixty_videos_open_one_window_and_every_row_follows_the_composers_rules(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        sixty_videos: list[Path]) -> None:
    bulk = _open(qtbot, window, [str(sixty_videos[0].parent)])  # a folder: one window
    assert bulk.model.rowCount() == 60
    assert [Path(r.path).name for r in bulk.batch.rows] == [p.name for p in sixty_videos]
    # The only account is chosen; privacy has no default (TikTok's rule), and without queue
    # times or a time, no row may go: every row says both, in its cells and its tooltips.
    assert all(r.account_id == account.id for r in bulk.batch.rows)
    problems = _problems(bulk)
    assert sorted(problems) == list(range(60))
    for cells in problems.values():
        assert cells[Column.PRIVACY] == CHOOSE_PRIVACY
        assert cells[Column.WHEN].startswith(NO_QUEUE)
        assert set(cells) == {Column.PRIVACY, Column.WHEN}
    assert bulk.model.index(0, View.CHECKS).data() == "2 to fix"
    assert CHOOSE_PRIVACY in bulk.model.index(0, View.PRIVACY).data(Qt.ItemDataRole.ToolTipRole)
    assert bulk.model.index(0, View.PRIVACY).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert not bulk.schedule_button.isEnabled()
    assert "without problems" in bulk.schedule_button.toolTip()

    # Apply to selected: privacy for all; then every 6 hours from tomorrow 09:00 (15 a day
    # is TikTok's cap, 4 a day stays under it).
    bulk.view.selectAll()
    _pick(bulk.apply_bar.privacy, "Only me")
    qtbot.mouseClick(bulk.apply_bar.button, Qt.MouseButton.LeftButton)
    start = _tomorrow(bulk, 9)
    _every(qtbot, bulk, start, 6)
    assert _problems(bulk) == {}
    assert bulk.schedule_button.isEnabled()
    assert bulk.schedule_button.text() == "&Schedule 60 posts"
    firsts = [bulk.batch.rows[i].due_at for i in range(3)]
    assert firsts[1] - firsts[0] == 6 * 3600 and firsts[2] - firsts[1] == 6 * 3600  # type: ignore[operator]

    # One row per rule, edited in the table: each problem lands on its own cell.
    caption = bulk.model.index(3, View.CAPTION)
    bulk.view.edit(caption)
    editor = bulk.view.findChild(QPlainTextEdit)
    assert editor is not None
    editor.setPlainText("x" * 2201)
    bulk.delegate.commitData.emit(editor)
    bulk.delegate.closeEditor.emit(editor)
    now = int(graph.posts.clock())
    bulk.model.setData(bulk.model.index(7, View.DISCLOSURE), {"disclose": True})
    bulk.model.setData(bulk.model.index(12, View.WHEN), {"due_at": now - 3600,
                                                         "due_tz": bulk.zone_name})
    bulk.model.setData(bulk.model.index(20, View.PRIVACY),
                       {"privacy_level": "FOLLOWER_OF_CREATOR"})  # a public account: not offered
    bulk.model.setData(bulk.model.index(25, View.DISCLOSURE),
                       {"disclose": True, "brand_content": True})  # branded, but "Only me"
    _settle(qtbot, bulk)
    problems = _problems(bulk)
    assert {i: set(c) for i, c in problems.items()} == {
        3: {Column.CAPTION}, 7: {Column.DISCLOSURE}, 12: {Column.WHEN}, 20: {Column.PRIVACY},
        25: {Column.PRIVACY}}
    assert problems[3][Column.CAPTION] == \
        "The caption is 1 character too long (TikTok counts 2201 of 2200)."
    assert "indicate if your content promotes" in problems[7][Column.DISCLOSURE]
    assert "passed" in problems[12][Column.WHEN]
    assert "does not offer “Followers”" in problems[20][Column.PRIVACY]
    assert "Branded content visibility cannot be set to private" in problems[25][Column.PRIVACY]
    for i in problems:
        assert bulk.model.index(i, View.CHECKS).data() == "1 to fix"
    assert bulk.model.index(4, View.CHECKS).data() == "Ready"
    assert not bulk.schedule_button.isEnabled()
    assert bulk.summary.text() == "55 ready · 5 to fix"

    # Fixed, every row goes: 60 posts in one click, each with its own time and consent.
    bulk.model.setData(bulk.model.index(3, View.CAPTION), {"caption": "Day 4 #cooking"})
    bulk.model.setData(bulk.model.index(7, View.DISCLOSURE), {"disclose": False})
    bulk.model.setData(bulk.model.index(12, View.WHEN), {"due_at": None, "due_tz": ""})
    bulk.model.edit_rows([12], due_at=int(graph.posts.clock()) + 3 * 86400 + 1800,
                         due_tz=bulk.zone_name)
    bulk.model.setData(bulk.model.index(20, View.PRIVACY), {"privacy_level": "SELF_ONLY"})
    bulk.model.setData(bulk.model.index(25, View.DISCLOSURE), {"disclose": False})
    _settle(qtbot, bulk)
    assert _problems(bulk) == {}
    with qtbot.waitSignal(bulk.scheduled, timeout=60000) as done:
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    posts = done.args[0]
    assert len(posts) == 60
    stored = graph.posts.list_posts(states=[PostState.SCHEDULED])
    assert len(stored) == 60
    assert {p.caption for p in stored} >= {"Day 4 #cooking"}
    assert all(p.consent_at is not None and p.privacy_level == "SELF_ONLY" for p in stored)
    assert len({p.due_at for p in stored}) == 60
    qtbot.waitUntil(lambda: window.bulk_windows == [])
    assert "Scheduled 60 posts" in window.statusBar().currentMessage()


def test_rows_are_spread_over_the_accounts_queue_times(
        qtbot: QtBot, window: MainWindow, graph: AppGraph, account: Account,
        sixty_videos: list[Path]) -> None:
    zone_name = window.zone_name
    slots = [Slot(d, m) for d in range(7) for m in (9 * 60, 13 * 60, 18 * 60)]
    graph.posts.set_queue_slots(account.id, slots, zone_name)
    bulk = _open(qtbot, window, [str(p) for p in sixty_videos])
    # Without a time a row takes the next free queue time: shown, and checked as such.
    assert bulk.model.index(0, View.WHEN).data().endswith("(queue)")
    expected = graph.posts.next_queue_times(account.id, 60, zone_name)
    assert [bulk.batch.time_of(i)[0] for i in range(60)] == expected  # type: ignore[index]
    # Spread over the queue: the rows keep those times as their own, in row order.
    bulk.view.selectAll()
    qtbot.mouseClick(bulk.times_bar.spread_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, bulk)
    assert [r.due_at for r in bulk.batch.rows] == expected
    local = [dt.datetime.fromtimestamp(t, zone(zone_name)) for t in expected[:4]]
    assert {t.hour for t in local} <= {9, 13, 18}
    assert not bulk.model.index(0, View.WHEN).data().endswith("(queue)")
    # A row given a time of its own takes a queue time out of the spread of the others.
    bulk.view.clearSelection()
    bulk.model.edit_rows([0], due_at=None, due_tz="")
    bulk.view.selectRow(1)
    qtbot.mouseClick(bulk.times_bar.spread_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, bulk)
    assert bulk.batch.rows[1].due_at not in [r.due_at for i, r in enumerate(bulk.batch.rows)
                                             if i != 1]


def test_the_batch_is_all_or_nothing(qtbot: QtBot, window: MainWindow, graph: AppGraph,
                                     sixty_videos: list[Path], tmp_path: Path) -> None:
    mine = [Path(shutil.copy(p, tmp_path / p.name)) for p in sixty_videos[:6]]
    bulk = _open(qtbot, window, [str(p) for p in mine])
    bulk.view.selectAll()
    _pick(bulk.apply_bar.privacy, "Everyone")
    _pick(bulk.apply_bar.interactions, "Comments")
    qtbot.mouseClick(bulk.apply_bar.button, Qt.MouseButton.LeftButton)
    _every(qtbot, bulk, _tomorrow(bulk, 10), 24)
    assert bulk.schedule_button.isEnabled()
    mine[4].unlink()  # gone between the check and the copy into the library
    with qtbot.waitSignal(bulk.schedule_button.clicked):
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bulk.notice.isVisible() and not bulk._saving, timeout=30000)
    assert "Nothing was scheduled" in bulk.notice.text()
    assert graph.posts.list_posts() == []
    media = graph.paths.media_dir
    assert not media.exists() or list(media.iterdir()) == []
    assert set(bulk.batch.problems(4)) == {Column.FILE}
    assert mine[4].name in bulk.model.index(4, View.FILE).data(Qt.ItemDataRole.ToolTipRole)
    assert not bulk.schedule_button.isEnabled()
    assert window.bulk_windows == [bulk]  # still open: nothing the user set is lost
    # Removing the row is a fix: the other five go, together.
    bulk.view.selectRow(4)
    bulk.remove_selected()
    _settle(qtbot, bulk)
    with qtbot.waitSignal(bulk.scheduled, timeout=30000) as done:
        qtbot.mouseClick(bulk.schedule_button, Qt.MouseButton.LeftButton)
    assert len(done.args[0]) == 5
    assert all(p.allow_comment and p.mode is PostMode.DIRECT for p in done.args[0])


def test_reading_can_be_cancelled_and_read_again(
        qtbot: QtBot, window: MainWindow, sixty_videos: list[Path]) -> None:
    window.open_videos([str(p) for p in sixty_videos])
    bulk = window.bulk_windows[0]
    assert bulk.cancel_button.isEnabled()
    assert bulk.progress.format().startswith("Reading the videos:")
    qtbot.mouseClick(bulk.cancel_button, Qt.MouseButton.LeftButton)
    _settle(qtbot, bulk)
    cancelled = [i for i in range(60) if bulk.batch.problems(i).get(Column.FILE) == CANCELLED]
    assert cancelled, "every video was read before Cancel: nothing to show"
    assert not bulk.schedule_button.isEnabled()
    assert bulk.act_reread.isEnabled()
    bulk.act_reread.trigger()
    _settle(qtbot, bulk)
    assert all(Column.FILE not in bulk.batch.problems(i) for i in range(60))
    assert bulk.progress.format() == "All videos read"


def test_one_video_still_opens_the_composer(qtbot: QtBot, window: MainWindow,
                                            sixty_videos: list[Path]) -> None:
    window.open_videos([str(sixty_videos[0])])
    assert len(window.composers) == 1 and window.bulk_windows == []
    window.composers[0].close()
