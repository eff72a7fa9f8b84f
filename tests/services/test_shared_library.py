"""services/shared_library.py: PostsService unchanged over a shared schedule's videos, kept in
its PostgreSQL database (a real server), named by reference, released with their last post."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.postgres import PgServer
from tests.helpers.videos import padded_video
from tiktok_desktop.services import shared_library
from tiktok_desktop.services.library import AdoptCancelled, LibraryError
from tiktok_desktop.services.posts import PostsService, ScheduleRefused, video_name
from tiktok_desktop.services.shared_library import VIEW_PREFIX, SharedLibrary
from tiktok_desktop.store import AccountsRepo, NewPost, PostsRepo, PostState
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.store.video_refs import VideoUnavailable, is_video_ref, video_ref
from tiktok_desktop.store.videos import HOLD, VideoStore

CHUNK = 64 * 1024


@pytest.fixture
def db(pg_server: PgServer, pg_template: str, clock: FakeClock) -> Iterator[PgDatabase]:
    name = pg_server.new_database(pg_template)
    database = PgDatabase.open(pg_server.url(name), clock=clock)
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture
def library(db: PgDatabase, tmp_path: Path) -> SharedLibrary:
    return SharedLibrary(VideoStore(db, chunk=CHUNK), tmp_path / "cache")


@pytest.fixture
def service(db: PgDatabase, clock: FakeClock, library: SharedLibrary) -> PostsService:
    return PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=clock,
                        library=library)


@pytest.fixture
def account_id(db: PgDatabase) -> int:
    return AccountsRepo(db).upsert_connected(
        open_id="open-1", display_name="Ann", username="ann", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None).id


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return padded_video(tmp_path / "My holiday.mp4", 5 * CHUNK + 7)


def sha_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_post(account_id: int, path: Path | str, clock: FakeClock, **over: object) -> NewPost:
    fields: dict[str, object] = dict(
        account_id=account_id, video_path=str(path), caption="Hello",
        privacy_level="PUBLIC_TO_EVERYONE", due_at=int(clock.now) + 3600, due_tz="UTC")
    fields.update(over)
    if "video_size" not in fields:
        fields["video_size"] = Path(path).stat().st_size
    return NewPost(**fields)  # type: ignore[arg-type]


def test_a_scheduled_video_lives_in_the_database_named_by_reference(
        service: PostsService, library: SharedLibrary, account_id: int, clip: Path,
        clock: FakeClock) -> None:
    seen: list[tuple[int, int]] = []
    post = service.schedule_video(new_post(account_id, clip, clock),
                                  progress=lambda d, t: seen.append((d, t)))

    assert post.video_path == video_ref(sha_of(clip)) and is_video_ref(post.video_path)
    assert post.video_sha256 == sha_of(clip) and post.video_size == clip.stat().st_size
    assert video_name(post) == "My holiday.mp4"  # the name the user chose, not the reference
    size = clip.stat().st_size
    assert seen[-1] == (size, size) and all(t == size for _d, t in seen)
    assert library.contains(post.video_path) and not library.contains(str(clip))
    assert library.verify(post.video_path, post.video_size, post.video_sha256) is None

    os.unlink(clip)  # the original may go: the schedule holds the video
    out = Path(library.local(post))
    assert sha_of(out) == post.video_sha256 and out.parent == library.cache_dir
    library.done(post)
    assert list(library.cache_dir.iterdir()) == []


def test_keep_a_copy_off_stores_the_video_all_the_same(
        service: PostsService, library: SharedLibrary, account_id: int, clip: Path,
        clock: FakeClock) -> None:
    post = service.schedule_video(new_post(account_id, clip, clock), keep_copy=False)
    assert post.video_path == video_ref(sha_of(clip)) and library.contains(post.video_path)


def test_a_batch_of_one_video_for_two_accounts_stores_it_once(
        service: PostsService, db: PgDatabase, account_id: int, clip: Path,
        clock: FakeClock) -> None:
    other = AccountsRepo(db).upsert_connected(
        open_id="open-2", display_name="Bo", username="bo", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None).id
    posts = service.schedule_batch([new_post(account_id, clip, clock),
                                    new_post(other, clip, clock)])
    assert posts[0].video_path == posts[1].video_path
    assert len(VideoStore(db).all()) == 1


def test_the_video_goes_with_its_last_post(
        service: PostsService, db: PgDatabase, library: SharedLibrary, account_id: int,
        clip: Path, clock: FakeClock) -> None:
    first = service.schedule_video(new_post(account_id, clip, clock))
    second = service.schedule_video(new_post(account_id, clip, clock,
                                             due_at=int(clock.now) + 7200))
    assert first.video_path == second.video_path
    clock.advance(HOLD + 1)  # past the wait of a video just stored

    service.delete(first.id)
    assert library.contains(second.video_path)  # the other post still needs it
    service.delete(second.id)
    assert not library.contains(second.video_path)
    assert VideoStore(db).all() == []


def test_a_duplicate_of_a_post_whose_video_was_released_asks_for_the_video(
        service: PostsService, db: PgDatabase, library: SharedLibrary, account_id: int,
        clip: Path, clock: FakeClock) -> None:
    post = service.schedule_video(new_post(account_id, clip, clock))
    PostsRepo(db).transition(post.id, PostState.PUBLISHED, "published (for the test)")
    clock.advance(HOLD + 1)
    assert VideoStore(db).release_unused(library.spent) == 1

    copy = service.duplicate(post.id)  # allowed whatever became of the post
    with pytest.raises(ScheduleRefused) as refused:
        service.schedule_video(
            new_post(account_id, copy.video_path, clock,
                     video_size=copy.video_size, video_sha256=copy.video_sha256),
            editing=copy.id)
    assert "choose the video file again" in str(refused.value)
    assert library.verify(copy.video_path, copy.video_size, copy.video_sha256) is not None


def test_cancel_and_a_missing_file_store_nothing(
        library: SharedLibrary, db: PgDatabase, clip: Path, tmp_path: Path) -> None:
    with pytest.raises(AdoptCancelled):
        library.adopt(clip, cancel=lambda: True)
    with pytest.raises(LibraryError) as caught:
        library.adopt(tmp_path / "gone.mp4")
    assert caught.value.code == "missing"
    assert VideoStore(db).all() == []


def test_leftovers_of_a_crashed_fetch_are_discarded(library: SharedLibrary,
                                                    clock: FakeClock) -> None:
    library.cache_dir.mkdir()
    partial = library.cache_dir / ".7-abc.mp4.1234.part"
    partial.write_bytes(b"x")
    fresh = library.cache_dir / "8-abc.mp4"
    fresh.write_bytes(b"x")
    os.utime(fresh, (clock.now - 3600, clock.now - 3600))  # a run in progress elsewhere
    old = library.cache_dir / "9-abc.mp4"
    old.write_bytes(b"x")
    os.utime(old, (clock.now - 2 * 86400, clock.now - 2 * 86400))
    library.clock = clock
    assert library.discard_partials() == 2
    assert [p.name for p in library.cache_dir.iterdir()] == ["8-abc.mp4"]


def test_a_cache_folder_that_cannot_be_used_is_named_and_tried_again(
        service: PostsService, db: PgDatabase, account_id: int, clip: Path, clock: FakeClock,
        tmp_path: Path) -> None:
    post = service.schedule_video(new_post(account_id, clip, clock))
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    runner = SharedLibrary(VideoStore(db), blocked / "cache")
    with pytest.raises(VideoUnavailable) as caught:
        runner.local(post)
    assert caught.value.retry and caught.value.code == "cache_failed"
    assert str(blocked / "cache") in str(caught.value)


# -- the windows' copies (view_copy): the composer's probe, the list's thumbnails ------------

def test_a_window_gets_a_stored_video_as_one_copy_used_again_without_the_database(
        service: PostsService, library: SharedLibrary, account_id: int, clip: Path,
        clock: FakeClock) -> None:
    post = service.schedule_video(new_post(account_id, clip, clock))
    os.unlink(clip)
    copy = Path(library.view_copy(post.video_path))
    assert copy.parent == library.cache_dir and sha_of(copy) == post.video_sha256
    assert copy.name == f"{VIEW_PREFIX}{post.video_sha256}.mp4"
    # A copy named by its content is the content: found again with no database to ask.
    offline = SharedLibrary(None, library.cache_dir)  # type: ignore[arg-type]
    assert offline.view_copy(post.video_path) == str(copy)
    # The engine's run of the post neither uses nor removes the window's copy.
    library.done(post)
    assert copy.exists()


def test_the_least_recently_used_copies_go_beyond_the_budget(
        service: PostsService, library: SharedLibrary, account_id: int, tmp_path: Path,
        clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    size = 5 * CHUNK + 7
    refs = []
    for i in range(3):  # the same size, different content (padding is random)
        clip = padded_video(tmp_path / f"clip{i}.mp4", size)
        refs.append(service.schedule_video(new_post(account_id, clip, clock)).video_path)
    monkeypatch.setattr(shared_library, "VIEW_BUDGET", 2 * size)
    now = time.time()  # the copies' times are the file system's, not the fake clock's
    first, second = Path(library.view_copy(refs[0])), Path(library.view_copy(refs[1]))
    os.utime(first, (now - 200, now - 200))
    os.utime(second, (now - 100, now - 100))
    assert library.view_copy(refs[0]) == str(first)  # looked at again: now the newest
    third = Path(library.view_copy(refs[2]))
    assert sorted(library.cache_dir.iterdir()) == sorted([first, third])
    # One unused for a day goes with the crashes' leftovers.
    os.utime(first, (now - 2 * 86400, now - 2 * 86400))
    assert library.discard_partials() == 1
    assert list(library.cache_dir.iterdir()) == [third]


def test_a_window_is_told_when_the_video_is_no_longer_stored(library: SharedLibrary) -> None:
    with pytest.raises(VideoUnavailable) as caught:
        library.view_copy(video_ref("ab" * 32))
    assert caught.value.code == "video_not_stored" and not caught.value.retry
    assert "choose the video file again" in str(caught.value)
