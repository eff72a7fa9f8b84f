"""The composer against the sandbox with real small videos: TikTok's UX checklist in the GUI,
the media checks, scheduling into the library, and drag-and-drop of real files."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import open_window
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.domain.compose import BRANDED_PRIVATE_HINT, DISCLOSURE_HINT, POLICY_URL
from tiktok_desktop.services.bulk import Column
from tiktok_desktop.store import Account, PostState
from tiktok_desktop.ui.composer import Composer
from tiktok_desktop.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot: QtBot, graph: AppGraph, account: Account) -> Iterator[MainWindow]:
    with open_window(qtbot, graph, active=False) as win:
        yield win


def open_ready(qtbot: QtBot, window: MainWindow, path: Path) -> Composer:
    composer = window.compose(str(path))
    qtbot.waitUntil(lambda: composer.creator is not None or composer.creator_problem is not None)
    qtbot.waitUntil(lambda: composer.video is not None or composer.video_error is not None)
    return composer


def pick_privacy(composer: Composer, value: str) -> None:
    composer.privacy.setCurrentIndex(composer.privacy.findData(value))


def test_checklist_defaults(qtbot: QtBot, window: MainWindow, videos: VideoFactory,
                            graph: AppGraph) -> None:
    c = open_ready(qtbot, window, videos.get())
    assert graph.sandbox_server is not None
    creator = graph.sandbox_server.users[0]
    # UX-01: fresh creator_info names the account that will post.
    assert creator.nickname in c.creator_line.text()
    # UX-05: privacy only from the creator's options, nothing chosen.
    assert c.privacy.currentIndex() == -1
    assert [c.privacy.itemData(i) for i in range(c.privacy.count())] == list(
        graph.accounts.list_accounts()[0].creator_info["privacy_level_options"])  # type: ignore[index]
    assert not c.publish.isEnabled() and "Choose who can view" in c.publish.toolTip()
    # UX-06: interactions unchecked by default.
    assert not (c.allow_comment.isChecked() or c.allow_duet.isChecked()
                or c.allow_stitch.isChecked())
    # UX-07: disclosure off, its choices hidden.
    assert not c.disclose.isChecked() and not c.disclosure_box.isVisibleTo(c)
    # UX-10, UX-13: declaration and processing notice always there.
    assert "Music Usage Confirmation" in c.declaration.text() and c.declaration.isVisibleTo(c)
    assert "few minutes" in c.notice.text()
    # UX-11: a real frame of the video is shown.
    qtbot.waitUntil(lambda: not c.preview.picture.pixmap().isNull())
    pick_privacy(c, "PUBLIC_TO_EVERYONE")
    assert c.publish.isEnabled() and c.publish.text() == "Schedule"


def test_disclosure_rules_in_the_form(qtbot: QtBot, window: MainWindow,
                                      videos: VideoFactory) -> None:
    c = open_ready(qtbot, window, videos.get())
    pick_privacy(c, "PUBLIC_TO_EVERYONE")
    c.disclose.setChecked(True)
    assert c.disclosure_box.isVisibleTo(c)
    # UX-08: on with nothing chosen -> disabled with TikTok's text.
    assert not c.publish.isEnabled() and c.publish.toolTip() == DISCLOSURE_HINT
    c.brand_organic.setChecked(True)
    assert c.publish.isEnabled()
    assert c.label_line.text() == "Your video will be labeled as 'Promotional content'."
    c.brand_content.setChecked(True)
    assert c.label_line.text() == "Your video will be labeled as 'Paid partnership'."
    assert POLICY_URL in c.declaration.text()
    # UX-09: branded content chosen -> "Only me" is disabled with the hover text.
    only_me = c.privacy.findData("SELF_ONLY")
    item = c.privacy.model().item(only_me)  # type: ignore[attr-defined]
    assert not item.isEnabled() and item.toolTip() == BRANDED_PRIVATE_HINT
    c.brand_content.setChecked(False)
    pick_privacy(c, "SELF_ONLY")
    assert not c.brand_content.isEnabled() and c.brand_content.toolTip() == BRANDED_PRIVATE_HINT


def test_interactions_greyed_when_the_creator_disabled_them(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        account: Account) -> None:
    assert graph.sandbox_server is not None
    graph.sandbox_server.control.set_creator(account.open_id, comment_disabled=True,
                                           stitch_disabled=True)
    c = open_ready(qtbot, window, videos.get())
    assert not c.allow_comment.isEnabled() and not c.allow_stitch.isEnabled()
    assert c.allow_duet.isEnabled()
    assert "comments off" in c.allow_comment.toolTip()


def test_creator_who_cannot_post_blocks(qtbot: QtBot, window: MainWindow, videos: VideoFactory,
                                        graph: AppGraph, account: Account) -> None:
    assert graph.sandbox_server is not None
    graph.sandbox_server.control.set_creator(account.open_id, can_post="spam_risk_too_many_posts")
    c = open_ready(qtbot, window, videos.get())
    pick_privacy(c, "SELF_ONLY")
    assert not c.publish.isEnabled()
    assert c.publish.toolTip().startswith("TikTok says this account cannot post right now")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"fps": 15}, "frame rate is 15 fps"),
    ({"width": 240, "height": 320}, "at least"),
])
def test_video_problems_block_with_a_message(qtbot: QtBot, window: MainWindow,
                                             videos: VideoFactory, changes: dict[str, int],
                                             expected: str) -> None:
    c = open_ready(qtbot, window, videos.get(**changes))  # type: ignore[arg-type]
    pick_privacy(c, "SELF_ONLY")
    assert not c.publish.isEnabled()
    assert expected in c.problems.text()


def test_too_long_for_this_creator(qtbot: QtBot, window: MainWindow, videos: VideoFactory,
                                   graph: AppGraph, account: Account) -> None:
    assert graph.sandbox_server is not None
    graph.sandbox_server.control.set_creator(account.open_id, max_video_post_duration_sec=3)
    c = open_ready(qtbot, window, videos.get(seconds=4.0))
    pick_privacy(c, "SELF_ONLY")
    assert not c.publish.isEnabled() and "long" in c.problems.text()


def test_not_a_video_says_so(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    fake = tmp_path / "holiday.mp4"
    fake.write_text("this is not a video")
    c = open_ready(qtbot, window, fake)
    assert c.video_error and "holiday.mp4" in c.video_error
    assert not c.publish.isEnabled()
    assert c.preview.picture.text() == c.video_error


def test_schedule_keeps_a_copy_that_survives_the_original(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        tmp_path: Path) -> None:
    original = videos.copy_to(tmp_path / "mine", "clip.mp4")
    c = open_ready(qtbot, window, original)
    c.caption.setText("Dinner in 10 minutes #food @mia")
    pick_privacy(c, "PUBLIC_TO_EVERYONE")
    c.allow_comment.setChecked(True)
    due = int(time.time()) + 7200
    c.at_edit.set_epoch(due - due % 60)
    assert c.publish.isEnabled(), c.problems.text()
    with qtbot.waitSignal(c.posted, timeout=10000) as blocker:
        qtbot.mouseClick(c.publish, Qt.MouseButton.LeftButton)
    post = blocker.args[0]
    assert post.state is PostState.SCHEDULED and post.due_at == due - due % 60
    assert post.caption == "Dinner in 10 minutes #food @mia" and post.allow_comment
    assert post.privacy_level == "PUBLIC_TO_EVERYONE" and post.consent_at
    assert not post.allow_duet and not post.disclose_commercial
    library_copy = Path(post.video_path)
    assert library_copy.parent == graph.paths.media_dir and len(post.video_sha256) == 64
    original.unlink()
    assert library_copy.is_file()
    assert "Scheduled clip.mp4" in window.statusBar().currentMessage()
    assert window.schedule_pane.model.rowCount() == 1


def test_past_time_is_refused_before_saving(qtbot: QtBot, window: MainWindow,
                                            videos: VideoFactory, graph: AppGraph) -> None:
    c = open_ready(qtbot, window, videos.get())
    pick_privacy(c, "SELF_ONLY")
    c.at_edit.set_epoch(int(time.time()) - 7200)
    assert not c.publish.isEnabled() and "already passed" in c.publish.toolTip()
    c.when_now.setChecked(True)
    assert c.publish.isEnabled() and c.publish.text() == "Post now"
    assert graph.posts.list_posts() == []


def test_dropping_real_files_opens_one_bulk_window_for_the_videos(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, tmp_path: Path) -> None:
    a = videos.copy_to(tmp_path, "a.mp4")
    b = videos.copy_to(tmp_path, "b.webm", codec="libvpx-vp9", container="webm")
    note = tmp_path / "notes.txt"
    note.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in (a, b, note)])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    # Several videos: one bulk window with a row each, not a composer each (issue 18).
    assert window.composers == [] and len(window.bulk_windows) == 1
    bulk = window.bulk_windows[0]
    assert [r.path for r in bulk.batch.rows] == [str(a), str(b)]
    qtbot.waitUntil(bulk.settled, timeout=20000)
    for path in (a, b):
        video = bulk.batch.videos[str(path)]
        assert video.usable and not video.problems
    assert "Not added: notes.txt" in window.statusBar().currentMessage()


def test_a_video_is_known_by_its_content_not_its_name(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, tmp_path: Path) -> None:
    """Issue 14: an MP4 exported without an extension (or named .txt) is a video; a text file
    is not, whatever its name says, and the probe explains a fake .mp4."""
    bare = videos.copy_to(tmp_path, "export")
    odd = videos.copy_to(tmp_path, "clip.txt")
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video at all")
    (tmp_path / "notes.txt").write_text("hello")
    window.open_videos([str(bare), str(odd), str(fake), str(tmp_path / "notes.txt")])
    assert "Not added: notes.txt." in window.statusBar().currentMessage()
    bulk = window.bulk_windows[0]
    assert [r.path for r in bulk.batch.rows] == [str(bare), str(odd), str(fake)]
    qtbot.waitUntil(bulk.settled, timeout=20000)
    for path in (bare, odd):
        video = bulk.batch.videos[str(path)]
        assert video.usable and not video.problems
    assert bulk.batch.videos[str(fake)].error
    assert bulk.batch.problems(2)[Column.FILE] == bulk.batch.videos[str(fake)].error


def test_dropping_a_folder_takes_the_videos_in_it(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    for name in ("1.mp4", "2.mp4"):
        videos.copy_to(folder, name)
    (folder / "readme.txt").write_text("notes")
    (folder / "nested").mkdir()
    window.open_videos([str(folder)])
    assert window.composers == [] and len(window.bulk_windows) == 1
    assert [r.path for r in window.bulk_windows[0].batch.rows] == [
        str(folder / "1.mp4"), str(folder / "2.mp4")]
    assert "Not added: readme.txt" in window.statusBar().currentMessage()


def test_queue_times_from_the_accounts_pane_feed_add_to_queue(
        qtbot: QtBot, window: MainWindow, videos: VideoFactory, graph: AppGraph,
        account: Account) -> None:
    from PySide6.QtCore import QItemSelectionModel

    pane = window.accounts_pane
    assert not pane.queue_button.isEnabled()
    pane.view.selectionModel().select(
        pane.view.model().index(0, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    assert pane.queue_button.isEnabled()
    qtbot.mouseClick(pane.queue_button, Qt.MouseButton.LeftButton)
    assert pane.queue_dialog is not None and pane.queue_dialog.isVisible()
    pane.queue_dialog.close()
    from tiktok_desktop.store.queue import Slot

    graph.posts.set_queue_slots(account.id, [Slot(d, 10 * 60) for d in range(7)])
    c = open_ready(qtbot, window, videos.get())
    pick_privacy(c, "SELF_ONLY")
    c.when_queue.setChecked(True)
    assert c.publish.isEnabled() and c.publish.text() == "Add to queue"
    assert c.when_note.text().startswith("Next free queue time: ")
    with qtbot.waitSignal(c.posted, timeout=10000) as blocker:
        qtbot.mouseClick(c.publish, Qt.MouseButton.LeftButton)
    first = blocker.args[0]
    assert first.due_at == graph.posts.repo.get(first.id).due_at  # type: ignore[union-attr]
    assert graph.posts.next_queue_times(account.id)[0] > (first.due_at or 0)


def test_without_an_account_the_form_says_only_what_to_do_first(
        qtbot: QtBot, graph: AppGraph, videos: VideoFactory) -> None:
    win = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(win)
    c = win.compose(str(videos.get()))
    qtbot.waitUntil(lambda: c.video is not None)
    assert c.problems.text().startswith("• Connect a TikTok account first")
    assert "did not allow direct posting" not in c.problems.text()
    assert not c.publish.isEnabled()
    c.close()
