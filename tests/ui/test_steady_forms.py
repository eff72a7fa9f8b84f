"""Forms that do not jump or clip (issue 13, items 15 and 17): the post form's controls stay
where they are while problems and notes come and go; Settings' test result and Reschedule's
error get the room they need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QRect
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import click, connect, open_window, pick_privacy, ready
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.credentials import CredentialCheck
from tiktok_desktop.store import NewPost
from tiktok_desktop.ui.composer import Composer
from tiktok_desktop.ui.main_window import MainWindow
from tiktok_desktop.ui.schedule_dialogs import RescheduleDialog
from tiktok_desktop.ui.settings_dialog import SettingsDialog


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph) -> Iterator[MainWindow]:
    graph.settings.timezone = "Europe/Berlin"
    connect(graph)
    with open_window(qtbot, graph, active=False) as win:
        win.show()
        yield win


def _places(composer: Composer, widgets: list[QWidget]) -> list[QRect]:
    """Where the widgets are once the layout has caught up (what the user then sees)."""
    for _ in range(3):  # a layout pass may ask for another (the window grows, then its form)
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return [QRect(w.mapTo(composer, w.rect().topLeft()), w.size()) for w in widgets]


def test_the_post_form_does_not_jump_as_problems_come_and_go(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory) -> None:
    c = window.compose(str(videos.get()))
    qtbot.waitExposed(c)
    controls = [c.account, c.caption, c.privacy, c.allow_comment, c.disclose, c.aigc, c.direct,
                c.when_now, c.when_at, c.at_edit, c.when_queue, c.cancel, c.publish]
    first = _places(c, controls)
    # Loading: the account's settings and the video are still on their way.
    assert len(c.problems.items()) >= 2
    ready(qtbot, c)
    assert _places(c, controls) == first
    assert c.problems.items() == ["Choose who can view this video."]
    pick_privacy(c, "SELF_ONLY")
    assert c.problems.items() == [] and _places(c, controls) == first
    c.at_edit.set_wall(dt.datetime(2020, 1, 6, 9, 0))  # the past
    assert "already passed" in c.problems.text() and _places(c, controls) == first
    c.at_edit.set_wall(dt.datetime(2027, 10, 31, 2, 30))  # happens twice in Berlin
    assert "happens twice" in c.when_note.text() and _places(c, controls) == first
    click(qtbot, c.when_queue)  # no queue times: a problem with what to do
    assert "Queue times" in c.problems.text() and _places(c, controls) == first
    # Several problems at once fit the same room; the rest is one hover away.
    c.caption.setText("x" * 2300)
    assert _places(c, controls) == first
    click(qtbot, c.disclose)
    assert len(c.problems.items()) >= 3
    assert "more" in c.problems.text() and c.problems.toolTip().count("•") == len(
        c.problems.items())
    # The disclosure choices open below their box: what is above it stays (what is below
    # moves down, as the box the user just opened grows).
    above = [c.account, c.caption, c.privacy, c.allow_comment, c.disclose]
    assert _places(c, above) == [first[controls.index(w)] for w in above]


def _clipped(top: QWidget) -> list[str]:
    """Visible widgets smaller than their text needs (or than their minimum)."""
    cut = []
    for w in top.findChildren(QWidget):
        if not w.isVisible() or w.isWindow() or w.objectName().startswith("qt_"):
            continue  # (qt_: parts Qt lays out itself, e.g. a spin box's line edit)
        if isinstance(w, QLabel) and w.wordWrap() and w.text():
            needed = w.heightForWidth(w.width())
        else:
            needed = w.minimumSizeHint().height()
        if w.height() < needed:
            cut.append(f"{type(w).__name__}({w.objectName() or getattr(w, 'text', str)()}) "
                       f"{w.height()} < {needed}")
    return cut


LONG = ("TikTok did not accept this client key: it is not the key of an app, or the app was "
        "removed. Copy the client key again from developers.tiktok.com → Manage apps → your "
        "app → App details, paste it here and test again.")


def test_settings_test_result_gets_its_room(qtbot: QtBot, window: MainWindow) -> None:
    prefs = window.prefs
    dialog = SettingsDialog(prefs.store, prefs.settings, prefs.app_vault, prefs.credentials(),
                            window, tester=lambda *_a: CredentialCheck(False, LONG),
                            runner=window.runner)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    key_field = QRect(dialog.client_key.mapTo(dialog, dialog.client_key.rect().topLeft()),
                      dialog.client_key.size())
    with qtbot.waitSignal(dialog.tested, timeout=5000):
        click(qtbot, dialog.test_button)
    assert LONG in dialog.test_result.text()
    qtbot.wait(20)  # the layout settles
    assert _clipped(dialog) == []
    assert QRect(dialog.client_key.mapTo(dialog, dialog.client_key.rect().topLeft()),
                 dialog.client_key.size()) == key_field


def test_reschedules_error_gets_its_room(qtbot: QtBot, window: MainWindow, graph: AppGraph,
                                         videos: VideoFactory) -> None:
    account = graph.accounts.list_accounts()[0]
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(videos.get()), video_size=1,
        privacy_level="SELF_ONLY", due_at=int(graph.posts.clock()) + 7200,
        due_tz="Europe/Berlin"))
    dialog = RescheduleDialog(post, "Europe/Berlin",
                              lambda epoch, zone: graph.posts.reschedule(post.id, epoch, zone),
                              clock=graph.posts.clock, parent=window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    fields = [dialog.when.date, dialog.when.time, dialog.buttons]
    before = [QRect(w.mapTo(dialog, w.rect().topLeft()), w.size()) for w in fields]
    dialog.set_wall_time(dt.datetime(2027, 3, 28, 2, 30))  # the clocks skip it
    dialog.accept()
    assert "does not exist" in dialog.error.text() and dialog.isVisible()
    qtbot.wait(20)
    assert _clipped(dialog) == []
    assert [QRect(w.mapTo(dialog, w.rect().topLeft()), w.size()) for w in fields[:2]] == \
        before[:2]
    dialog.reject()


def test_the_problems_room_always_shows_the_first_problem(qtbot: QtBot) -> None:
    from tiktok_desktop.ui.widgets.reserved import ReservedLabel

    label = ReservedLabel(2, bullet="• ")
    qtbot.addWidget(label)
    label.resize(300, label.height())
    label.show()
    height = label.height()
    label.set_items(["Short one.", "Another."])
    assert label.text() == "• Short one.\n• Another."
    long = "Sandbox Creator (@sandbox_creator) was disconnected: reconnect it (select it, " \
        "then Accounts → Reconnect), or choose another account. " * 3
    label.set_items([long, "Choose who can view this video.", "The caption is too long."])
    assert label.text().startswith("• Sandbox Creator (@sandbox_creator) was disconnected")
    assert label.text().endswith("… (and 2 more)")
    assert label.height() == height  # the same room, whatever it says
    assert label.toolTip().count("• ") == 3 and long.strip() in label.toolTip()
    label.set_items([])
    assert label.text() == "" and label.toolTip() == "" and label.height() == height
