"""A post of a shared schedule (issue 20) seen from another member's window: its video_path is
a reference ``shared-video:<sha256>``, not a file, yet the composer probes it and the list
shows its thumbnail, from a copy fetched out of the database into that member's cache folder
(SharedLibrary.view_copy, on worker threads). Saving an edit keeps the reference."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect, ready
from tests.ui.shared_support import (
    HOUR,
    open_window,
    shared_url_fixture,  # noqa: F401 - the fixture shared_url
    shown,
    team_sandbox_fixture,  # noqa: F401 - the fixture team_sandbox
    two_graphs_fixture,  # noqa: F401 - the fixture two_graphs
)
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.shared_library import VIEW_PREFIX, SharedLibrary
from tiktok_desktop.store import DatabaseUnreachable, NewPost, Post
from tiktok_desktop.store.video_refs import is_video_ref, video_ref
from tiktok_desktop.ui.composer_deps import VIDEO_UNKNOWN, post_video_probe

SECOND_MS = 1000  # another window's edit shows within a second (test_shared_live)
FETCH_MS = 15_000  # a fetch from the database and a decode on a shared 2-core machine


def schedule_shared(graph: AppGraph, tmp_path: Path, videos: VideoFactory) -> Post:
    """A post scheduled by a member whose file is then gone: only the database holds it."""
    account = connect(graph)
    original = tmp_path / "alice-videos" / "holiday.mp4"
    original.parent.mkdir()
    shutil.copyfile(videos.get(seconds=2.0), original)
    now = int(time.time())
    post = graph.posts.schedule_video(NewPost(
        account_id=account.id, video_path=str(original), video_size=original.stat().st_size,
        privacy_level="SELF_ONLY", caption="before", due_at=now + 3 * HOUR,
        due_tz="Europe/Berlin", consent_at=now), keep_copy=True)
    assert is_video_ref(post.video_path)
    original.unlink()
    return post


def test_another_members_window_edits_a_shared_post_and_shows_its_thumbnail(
        qtbot: QtBot, tmp_path: Path, two_graphs: tuple[AppGraph, AppGraph],
        videos: VideoFactory) -> None:
    here, there = two_graphs
    post = schedule_shared(here, tmp_path, videos)
    ref = post.video_path
    original = tmp_path / "alice-videos" / "holiday.mp4"

    alice = open_window(qtbot, here)
    bob = open_window(qtbot, there)
    library = there.posts.library
    assert isinstance(library, SharedLibrary)
    assert not library.cache_dir.exists() or not any(library.cache_dir.iterdir())

    # Bob's list: a real frame of the video, not the placeholder.
    loader = bob.schedule_pane.thumbnails
    loader.pixmap(ref)  # as the list's paint asks for it
    qtbot.waitUntil(lambda: loader.is_loaded(ref) or ref in loader._failed, timeout=FETCH_MS)
    assert loader.is_loaded(ref)
    assert loader.pixmap(ref).toImage() != loader.placeholder.toImage()

    # Bob's composer on the post (Edit / double-click): the video's facts, no error.
    bob.edit_post(post.id)
    composer = ready(qtbot, bob.composers[-1])
    assert composer.video_error is None
    assert composer.video is not None
    assert composer.video.path == ref  # what the post keeps
    assert composer.video.duration_ms == pytest.approx(2000, abs=100)
    local = Path(composer.video.file)
    assert local.parent == library.cache_dir and local.name.startswith(VIEW_PREFIX)
    assert [p.name for p in library.cache_dir.iterdir()] == [local.name]  # fetched once
    qtbot.waitUntil(lambda: not composer.preview.picture.pixmap().isNull(), timeout=FETCH_MS)

    composer.caption.setText("after, from Bob")
    qtbot.waitUntil(composer.publish.isEnabled)
    with qtbot.waitSignal(composer.posted, timeout=FETCH_MS):
        composer.submit()

    qtbot.waitUntil(lambda: shown(alice)[post.id].caption == "after, from Bob",
                    timeout=SECOND_MS)
    saved = here.posts.get(post.id)
    assert saved is not None
    assert saved.video_path == ref  # the same stored video, not a new copy of it
    assert saved.video_sha256 == post.video_sha256
    assert saved.video_meta.get("original_path") == str(original)
    assert len(library.store.all()) == 1


def test_a_path_stays_itself(tmp_path: Path) -> None:
    """What is not a reference (a local schedule's post, one scheduled before the schedule
    was shared) is used where it is: nothing is fetched, nothing asked."""
    library = SharedLibrary(store=None, cache_dir=tmp_path / "cache")  # type: ignore[arg-type]
    path = str(tmp_path / "clip.mp4")
    assert library.view_copy(path) == path
    assert not (tmp_path / "cache").exists()



def test_while_the_shared_schedule_is_away_the_probe_says_so_at_once() -> None:
    """The window is read-only then (ui/read_only.py): a composer's probe of a reference does
    not wait for the connection's timeout, and says plainly why the video is not shown."""
    asked: list[str] = []

    def local_video(path: str) -> str:
        asked.append(path)
        return path

    probe = post_video_probe(local_video, read_only=lambda: "The server does not answer.")
    with pytest.raises(DatabaseUnreachable) as caught:
        probe(video_ref("ab" * 32))
    assert str(caught.value) == VIDEO_UNKNOWN and asked == []
