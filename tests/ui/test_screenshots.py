"""The window as a creator sees it, in a light and a dark palette, at the default size and at
1024x700 (issue 13, items 12 and 16): nothing that matters is cut off, and the pictures are
saved for a person to look at.

Set TIKTOK_SCREENSHOTS to a folder to keep the PNGs (the README's pictures come from here:
``TIKTOK_SCREENSHOTS=build/screenshots pytest tests/ui/test_screenshots.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.palettes import app_palette
from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import pick_privacy, ready
from tests.ui.scenes import Scene, scene
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.schedule_views import STATE_LABELS
from tiktok_desktop.ui.main_window import DEFAULT_SIZE
from tiktok_desktop.ui.schedule_model import ScheduleModel

SIZES = {"default": DEFAULT_SIZE, "1024x700": QSize(1024, 700)}
# Resolved when the tests are collected: each test then runs in a folder of its own.
KEEP = Path(os.environ["TIKTOK_SCREENSHOTS"]).resolve() \
    if os.environ.get("TIKTOK_SCREENSHOTS") else None


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = KEEP or tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save(widget: QWidget, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    return path


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest) -> Iterator[str]:
    with app_palette(request.param):
        yield request.param


@pytest.fixture
def world(qtbot: QtBot, graph: AppGraph, videos: VideoFactory, tmp_path: Path,
          palette: str) -> Iterator[Scene]:
    made = scene(qtbot, graph, videos, tmp_path / "videos")
    yield made
    for composer in list(made.window.composers):
        composer.close()


def _fits(view: QAbstractItemView, column: int) -> bool:
    """The column is wholly inside the view's visible width."""
    header = view.horizontalHeader()  # type: ignore[attr-defined]
    right = header.sectionViewportPosition(column) + header.sectionSize(column)
    return header.sectionViewportPosition(column) >= 0 and right <= view.viewport().width()


def _text_fits(view: QAbstractItemView, column: int) -> list[str]:
    """Texts of the column wider than its cells (they would be cut or elided)."""
    header = view.horizontalHeader()  # type: ignore[attr-defined]
    model = view.model()
    fm = view.fontMetrics()
    too_wide = []
    for row in range(model.rowCount()):
        index = model.index(row, column)
        icon = view.iconSize().width() + 8 if index.data(1) is not None else 0
        for line in str(index.data()).splitlines():
            if fm.horizontalAdvance(line) + icon + 12 > header.sectionSize(column):
                too_wide.append(line)
    return too_wide


@pytest.mark.parametrize("size", list(SIZES))
def test_the_main_window_keeps_names_and_states_whole(
        qtbot: QtBot, world: Scene, palette: str, size: str, shots: Path) -> None:
    window = world.window
    window.resize(SIZES[size])
    qtbot.waitUntil(lambda: window.size() == SIZES[size])
    pane = window.schedule_pane
    pane.select_post(world.posts[1].id)  # a post selected: what it allows is in the toolbar
    qtbot.waitUntil(lambda: all(pane.thumbnails.is_loaded(p.video_path) for p in world.posts))
    _save(window, shots, f"main-window-{palette}-{size}")  # first: a failure is seen too
    schedule = window.schedule_pane.view
    assert _fits(schedule, ScheduleModel.STATE), "the State column is cut off"
    assert _text_fits(schedule, ScheduleModel.STATE) == []
    # Every state the column may show fits, not only those in this scene.
    state_width = schedule.horizontalHeader().sectionSize(ScheduleModel.STATE)
    model = schedule.model()
    dot = model.index(0, ScheduleModel.STATE).data(Qt.ItemDataRole.DecorationRole)
    dot = round(dot.width() / dot.devicePixelRatio()) + 8  # the state's coloured dot
    assert [t for t in STATE_LABELS
            if schedule.fontMetrics().horizontalAdvance(t) + dot + 12 > state_width] == []
    assert not schedule.horizontalScrollBar().isVisible()
    accounts = window.accounts_pane.view
    assert _fits(accounts, 0) and _text_fits(accounts, 0) == [], "account names are cut off"


def test_the_post_form(qtbot: QtBot, world: Scene, palette: str, shots: Path,
                       videos: VideoFactory, tmp_path: Path) -> None:
    path = videos.copy_to(tmp_path / "new", "sunday brunch.mp4")
    composer = ready(qtbot, world.window.compose(str(path)))
    composer.caption.setText("Sunday brunch for four in 20 minutes #brunch #food with "
                             "@mia.cooks")
    pick_privacy(composer, "PUBLIC_TO_EVERYONE")
    composer.allow_comment.setChecked(True)
    qtbot.waitUntil(lambda: not composer.preview.picture.pixmap().isNull())
    first = composer.preview.picture.pixmap().cacheKey()
    composer.preview.slider.setValue(500)  # a cover from the middle of the video
    qtbot.waitUntil(lambda: composer.preview.picture.pixmap().cacheKey() != first)
    assert composer.publish.isEnabled(), composer.problems.items()
    _save(composer, shots, f"composer-{palette}")


def test_the_week(qtbot: QtBot, world: Scene, palette: str, shots: Path) -> None:
    window = world.window
    window.schedule_pane.set_view("week")
    scheduled = [p for p in world.posts if p.due_at is not None]
    window.schedule_pane.calendar.show_post(scheduled[1])
    _save(window, shots, f"week-{palette}")


def test_the_quit_question(qtbot: QtBot, world: Scene, palette: str, shots: Path) -> None:
    window = world.window
    window.tray.available = True
    window.quit_app()
    box = window.quit_question
    assert box is not None
    qtbot.waitExposed(box)
    _save(box, shots, f"quit-question-{palette}")
    box.reject()
    assert not window._quitting


def test_settings_with_the_background_service(qtbot: QtBot, world: Scene, palette: str,
                                              shots: Path) -> None:
    """Issue 17: the service's toggle, its state, Show log and the wake-timer sentence, whole."""
    dialog = world.window.settings_dialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    box = dialog.service_box
    assert box is not None
    qtbot.waitUntil(box.toggle.isEnabled)  # the service manager answered
    _save(dialog, shots, f"settings-{palette}")
    for label in (box.state_line, box.wake_line):
        assert label.height() >= label.heightForWidth(label.width()), label.text()
    assert dialog.geometry().height() <= dialog.screen().availableGeometry().height()
