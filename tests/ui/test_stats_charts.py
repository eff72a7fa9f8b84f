"""Issue 19's charts on real readings in a real database: the account dashboard (followers,
the last 30 posts, the best-time heatmap) and a post's curves, in a light and a dark palette,
following a palette switched while open; the window's CSV export. The pictures are saved under
TIKTOK_STATS_SHOTS (default /work/notes/shots/stats) for a person to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette, contrast, dark_palette
from tests.helpers.stats_data import fill
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.stats import best_times
from tiktok_desktop.store import Account, AccountsRepo
from tiktok_desktop.ui.stats_charts import FEW_POSTS, WEEKDAYS, chart_colours
from tiktok_desktop.ui.stats_window import StatsWindow
from tiktok_desktop.ui.tasks import TaskRunner

SHOTS = Path(os.environ.get("TIKTOK_STATS_SHOTS", "/work/notes/shots/stats"))
NOW = 1_800_000_000


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_palette(request.param):
        yield request.param


@pytest.fixture
def account(graph: AppGraph) -> Account:
    return AccountsRepo(graph.db).upsert_connected(
        open_id="open-mia", display_name="Mia Chen", username="miacooks", avatar_url="",
        granted_scopes=["video.list", "user.info.stats"], access_expires_at=None,
        refresh_expires_at=None)


def _window(qtbot: QtBot, graph: AppGraph, account: Account) -> StatsWindow:
    runner = TaskRunner()
    window = StatsWindow(graph.stats, [account], runner, zone_name="UTC",
                         account_id=account.id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: not window.reading, timeout=10000)  # read off the GUI thread
    return window


def _pixels(widget: QWidget) -> QImage:
    return widget.grab().toImage()


def _near(a: QColor, b: QColor, tolerance: int = 40) -> bool:
    return (abs(a.red() - b.red()) + abs(a.green() - b.green())
            + abs(a.blue() - b.blue())) <= tolerance


def _dominant(image: QImage) -> QColor:
    """The colour most sampled pixels have (a chart's background)."""
    seen: dict[int, int] = {}
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            rgb = image.pixel(x, y)
            seen[rgb] = seen.get(rgb, 0) + 1
    return QColor.fromRgb(max(seen, key=lambda k: seen[k]))


def _share_of(image: QImage, colour: QColor) -> float:
    """Share of sampled pixels close to `colour`."""
    hits = total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            total += 1
            hits += _near(image.pixelColor(x, y), colour)
    return hits / total


def test_dashboard_in_the_palette(qtbot: QtBot, graph: AppGraph, account: Account,
                                  palette: str) -> None:
    fill(graph.db, account.id, 60, NOW)
    window = _window(qtbot, graph, account)
    window.resize(1100, 760)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / f"dashboard-{palette}.png"))
    pal = window.palette()
    colours = chart_colours(pal)
    base = pal.color(QPalette.ColorRole.Base)
    assert (palette == "dark") == (base.lightness() < 128)
    for chart in (window.followers, window.last_posts, window.heatmap, window.post_chart):
        background = _dominant(_pixels(chart.plot))
        assert _near(background, base, 6), f"{type(chart).__name__} is not on the base"
    # each chart draws its series in its colour, readable on the base
    followers = colours.series["followers"]
    assert _share_of(_pixels(window.followers.plot), followers) > 0.002
    assert _share_of(_pixels(window.last_posts.plot), colours.series["views"]) > 0.02
    assert _share_of(_pixels(window.post_chart.plot), colours.series["views"]) > 0.001
    for colour in colours.series.values():
        assert contrast(colour, base) >= 3.0
    assert contrast(colours.text, base) >= 7.0
    # the heatmap's numbers read on their cells: on the strongest cell too
    cells = window.heatmap._data.cells
    top = max(m for _n, m in cells.values())
    strongest = next(k for k, (_n, m) in cells.items() if m == top)
    [colour] = [c for x, y, _t, c in window.heatmap.cell_labels.cells
                if (x, y) == (strongest[1] + 0.5, strongest[0] + 0.5)]
    assert contrast(colour, colours.heat_high) >= 4.5
    # what the charts say
    assert window.last_posts.note.text().startswith("30 posts, 30 counted by TikTok")
    assert "followers" in window.followers.note.text()
    assert window.post_chart.note.text().split(";")[0].endswith("readings")


def test_heatmap_says_how_many_posts_it_rests_on(qtbot: QtBot, graph: AppGraph,
                                                 account: Account) -> None:
    fill(graph.db, account.id, 60, NOW)
    window = _window(qtbot, graph, account)
    heat = window.heatmap
    views = graph.stats.day_views(account.id)
    expected = best_times(views, "UTC")
    # every post older than a day has its 24-hour reading, and each counts once
    assert expected.posts == len(views) == sum(n for n, _ in expected.cells.values())
    assert heat.title.text() == f"Best times to post ({expected.posts} posts)"
    assert f"from the 24-hour views of {expected.posts} posts" in heat.note.text()
    assert "Times in UTC" in heat.note.text()
    for (day, hour), (n, _median) in expected.cells.items():
        assert heat.cell_text(day, hour) == str(n)
    empty = next((d, h) for d in range(7) for h in range(24) if (d, h) not in expected.cells)
    assert heat.cell_text(*empty) is None
    assert len(heat.cell_labels.cells) == len(expected.cells)
    (day, hour), (n, _median) = next(iter(expected.cells.items()))
    tip = heat.cell_tip(day, hour)
    assert tip.startswith(f"{WEEKDAYS[day]} {hour:02d}:00: {n} post")
    assert tip.endswith("views after 24 h") and "median" in tip
    assert heat.cell_tip(*empty).endswith("no post went out then")


def test_few_posts_are_called_too_few(qtbot: QtBot, graph: AppGraph,
                                      account: Account) -> None:
    fill(graph.db, account.id, 4, NOW, span_days=31)
    window = _window(qtbot, graph, account)
    assert 0 < len(graph.stats.day_views(account.id)) < FEW_POSTS
    assert "too few to tell good times from luck" in window.heatmap.note.text()


def test_an_account_without_readings(qtbot: QtBot, graph: AppGraph, account: Account,
                                     palette: str) -> None:
    window = _window(qtbot, graph, account)
    assert window.heatmap.title.text() == "Best times to post (0 posts)"
    assert "fills in a day after each public post" in window.heatmap.note.text()
    assert window.last_posts.note.text() == "No public post yet."
    assert window.post_box.count() == 0
    assert window.grab().save(str(SHOTS / f"dashboard-empty-{palette}.png"))


def test_charts_follow_a_palette_switched_while_open(qtbot: QtBot, graph: AppGraph,
                                                     account: Account) -> None:
    fill(graph.db, account.id, 40, NOW)
    with app_palette("light"):
        window = _window(qtbot, graph, account)
        light = _dominant(_pixels(window.followers.plot))
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: window.followers.colours.background.lightness() < 128)
        dark = _dominant(_pixels(window.followers.plot))
        assert light.lightness() > 200 and dark.lightness() < 60
        assert _share_of(_pixels(window.followers.plot),
                         chart_colours(dark_palette()).series["followers"]) > 0.002


def test_a_post_can_be_chosen_and_the_export_written(qtbot: QtBot, graph: AppGraph,
                                                     account: Account, tmp_path: Path) -> None:
    ids = fill(graph.db, account.id, 40, NOW)
    window = _window(qtbot, graph, account)
    assert window.select_post(ids[-12])
    series = graph.stats.post_series(ids[-12])
    assert window.post_chart.note.text().startswith(f"{len(series)} readings")
    assert not window.select_post(ids[0])  # not among the last 30
    target = tmp_path / "out.csv"
    window.export_to(target)
    qtbot.waitUntil(window.export_button.isEnabled)
    rows = target.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 1 + len(graph.stats.stats.all_post_snapshots(account.id))
    assert window.status.text() == f"Wrote {len(rows) - 1} readings to {target}."
    window.export_to(tmp_path / "nowhere" / "out.csv")
    qtbot.waitUntil(window.export_button.isEnabled)
    assert "does not exist: choose another place" in window.status.text()


def test_the_window_opens_statistics_on_the_selected_post(qtbot: QtBot, graph: AppGraph,
                                                          account: Account) -> None:
    from tiktok_desktop.app import main_window

    ids = fill(graph.db, account.id, 40, NOW)
    window = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(window)
    window.show()
    window.schedule_pane.select_post(ids[-3])
    stats = window.open_stats()
    assert isinstance(stats, StatsWindow)
    qtbot.addWidget(stats)
    assert stats.reading  # read off the GUI thread; the post is chosen when it comes
    with qtbot.waitSignal(stats.loaded, timeout=10000):
        pass
    assert stats.account_id() == account.id
    assert stats.post_box.currentData() == ids[-3]
    assert window.act_stats.text() == "S&tatistics…"


def test_a_reading_for_an_account_left_meanwhile_is_dropped(qtbot: QtBot, graph: AppGraph,
                                                            account: Account) -> None:
    """Choosing another account while the first one is read: the charts show the second.
    One worker runs the readings in order, and their answers reach the GUI thread in order,
    so the first one's answer has come (and been dropped) when the second one's is shown."""
    fill(graph.db, account.id, 40, NOW)
    other = AccountsRepo(graph.db).upsert_connected(
        open_id="open-leo", display_name="Leo", username="leo", avatar_url="",
        granted_scopes=["video.list"], access_expires_at=None, refresh_expires_at=None)
    runner = TaskRunner(workers=1)
    window = StatsWindow(graph.stats, [account, other], runner, zone_name="UTC",
                         account_id=account.id)
    qtbot.addWidget(window)
    assert window.reading
    with qtbot.waitSignal(window.loaded, timeout=10000):
        window.account_box.setCurrentIndex(window.account_box.findData(other.id))
    assert window.account_id() == other.id and not window.reading
    assert window.last_posts.note.text() == "No public post yet."
    assert window.heatmap.title.text() == "Best times to post (0 posts)"
    assert window.post_box.count() == 0
    runner.shutdown()


def test_the_window_with_the_keyboard_only(qtbot: QtBot, graph: AppGraph, account: Account,
                                           tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Alt+P reaches the post, arrows change it and its curves follow; Alt+E exports;
    Escape closes."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QFileDialog

    from tests.ui.composer_support import focused, key, show_active

    ids = fill(graph.db, account.id, 40, NOW)
    window = _window(qtbot, graph, account)
    show_active(qtbot, window)
    key(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    assert focused() is window.post_box
    before = window.post_box.currentData()
    key(qtbot, Qt.Key.Key_Down)
    after = window.post_box.currentData()
    assert after != before and after in ids
    series = graph.stats.post_series(after)
    assert window.post_chart.note.text().startswith(f"{len(series)} readings")
    key(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert focused() is window.account_box
    target = tmp_path / "keys.csv"
    # The system's save dialog answers with this file (a native dialog takes no keys here).
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    with qtbot.waitSignal(window.export_button.clicked):
        key(qtbot, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: target.exists() and window.export_button.isEnabled())
    key(qtbot, Qt.Key.Key_Escape)
    assert not window.isVisible()
