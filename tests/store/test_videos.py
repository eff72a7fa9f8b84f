"""Videos of a shared schedule as PostgreSQL large objects (store/videos.py), on a real
server: in and out in chunks, once per content, refused when tampered with, released when
the last post that may still need one goes, and never whole in memory."""

from __future__ import annotations

import gc
import itertools
import stat
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.files import random_file, sha256_of
from tests.helpers.postgres import PgServer
from tiktok_desktop.domain.lifecycle import VIDEO_SPENT
from tiktok_desktop.store import AccountsRepo, Database, NewPost, PostsRepo, PostState
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.video_refs import (
    VideoUnavailable,
    is_video_ref,
    ref_sha256,
    video_ref,
)
from tiktok_desktop.store.videos import HOLD, PutCancelled, VideoStore

from .conftest import T0

CHUNK = 64 * 1024


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def pg(pg_server: PgServer, pg_template: str, clock: FakeClock) -> Iterator[PgDatabase]:
    name = pg_server.new_database(pg_template)
    db = PgDatabase.open(pg_server.url(name), clock=clock)
    yield db
    db.close()
    pg_server.drop_database(name)


@pytest.fixture
def store(pg: PgDatabase) -> VideoStore:
    return VideoStore(pg, chunk=CHUNK)


def large_objects(db: PgDatabase) -> int:
    return int(db.conn().execute("SELECT COUNT(*) FROM pg_largeobject_metadata").fetchone()[0])


def add_post(db: PgDatabase, ref: str, size: int, state: PostState = PostState.SCHEDULED,
             open_id: str = "open-1") -> int:
    accounts = AccountsRepo(db)
    account = accounts.by_open_id(open_id) or accounts.upsert_connected(
        open_id=open_id, display_name=open_id, username="", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None)
    posts = PostsRepo(db)
    post = posts.create(NewPost(account_id=account.id, video_path=ref, video_size=size,
                                video_sha256=ref_sha256(ref) or ""), PostState.DRAFT)
    if state is not PostState.DRAFT:
        posts.transition(post.id, state, "for the test")
    return post.id


# --- references ------------------------------------------------------------------------------

def test_a_reference_is_never_taken_for_a_path_and_back() -> None:
    sha = "ab" * 32
    ref = video_ref(sha)
    assert ref == f"shared-video:{sha}" and ref_sha256(ref) == sha and is_video_ref(ref)
    for path in ("/home/me/clip.mp4", "C:\\Videos\\clip.mp4", f"/tmp/shared-video:{sha}",
                 f"shared-video:{sha}.mp4", "shared-video:" + "AB" * 32, ""):
        assert not is_video_ref(path), path
    with pytest.raises(ValueError):
        video_ref("not-a-hash")


def test_only_a_shared_schedule_keeps_videos(tmp_path: Path) -> None:
    lite = Database.open(tmp_path / "t.sqlite3")
    try:
        with pytest.raises(TypeError, match="media folder"):
            VideoStore(lite)  # type: ignore[arg-type]
        # ... and the table is there, empty, for the same schema on both backends.
        assert lite.conn().execute("SELECT COUNT(*) FROM stored_videos").fetchone()[0] == 0
    finally:
        lite.close()


# --- in and out --------------------------------------------------------------------------------

def test_put_then_read_back_in_chunks_and_export(store: VideoStore, pg: PgDatabase,
                                                 tmp_path: Path, clock: FakeClock) -> None:
    src = random_file(tmp_path / "clip.mp4", 5 * CHUNK + 123)
    seen: list[tuple[int, int]] = []

    ref = store.put(src, progress=lambda done, total: seen.append((done, total)))

    assert ref == video_ref(sha256_of(src))
    size = src.stat().st_size
    assert seen[0] == (0, 2 * size) and seen[-1] == (2 * size, 2 * size)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    video = store.get(ref)
    assert video is not None
    assert (video.size, video.sha256, video.name, video.created_at) == \
        (size, sha256_of(src), "clip.mp4", int(clock.now))
    chunks = list(store.open_chunks(ref, 10_000))
    assert b"".join(chunks) == src.read_bytes()
    assert [len(c) for c in chunks[:-1]] == [10_000] * (len(chunks) - 1)

    dest = tmp_path / "cache" / "copy.mp4"
    dest.parent.mkdir()
    got = store.export(ref, dest)
    assert got == video
    assert dest.read_bytes() == src.read_bytes()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert [p.name for p in dest.parent.iterdir()] == ["copy.mp4"]  # no .part left


def test_the_same_video_is_stored_once(store: VideoStore, pg: PgDatabase,
                                       tmp_path: Path) -> None:
    a = random_file(tmp_path / "a.mp4", 3 * CHUNK)
    b = tmp_path / "renamed copy.mp4"
    b.write_bytes(a.read_bytes())
    other = random_file(tmp_path / "other.mp4", 3 * CHUNK)
    seen: list[tuple[int, int]] = []

    first = store.put(a)
    again = store.put(b, progress=lambda done, total: seen.append((done, total)))
    third = store.put(other)

    assert first == again != third
    assert seen[-1] == (2 * a.stat().st_size,) * 2  # done at once: nothing was sent
    assert sorted(v.ref for v in store.all()) == sorted([first, third])
    assert large_objects(pg) == 2


def test_a_cancelled_put_leaves_nothing(store: VideoStore, pg: PgDatabase,
                                        tmp_path: Path) -> None:
    src = random_file(tmp_path / "clip.mp4", 8 * CHUNK)
    calls = 0

    def cancel() -> bool:
        nonlocal calls
        calls += 1
        return calls > 12  # past the hashing, in the middle of sending

    with pytest.raises(PutCancelled):
        store.put(src, cancel=cancel)
    assert store.all() == [] and large_objects(pg) == 0


def test_a_tampered_video_is_refused_at_export(store: VideoStore, pg: PgDatabase,
                                               tmp_path: Path) -> None:
    src = random_file(tmp_path / "clip.mp4", 4 * CHUNK)
    ref = store.put(src)
    oid = pg.conn().execute("SELECT lo_oid FROM stored_videos").fetchone()[0]
    # Someone with access to the database changes a few bytes in the middle.
    pg.conn().execute("SELECT lo_put(?, ?, ?)", (oid, 2 * CHUNK + 5, b"\x00\x01\x02"))
    dest = tmp_path / "out" / "clip.mp4"
    dest.parent.mkdir()

    with pytest.raises(VideoUnavailable) as caught:
        store.export(ref, dest)

    assert caught.value.code == "video_damaged" and not caught.value.retry
    assert "choose the video file again" in str(caught.value)
    assert list(dest.parent.iterdir()) == []  # neither the file nor its .part


def test_a_video_not_stored_is_named_with_what_to_do(store: VideoStore,
                                                     tmp_path: Path) -> None:
    ref = video_ref("cd" * 32)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(VideoUnavailable) as caught:
        store.export(ref, out / "x.mp4")
    assert caught.value.code == "video_not_stored" and not caught.value.retry
    assert "choose the video file again" in str(caught.value)
    with pytest.raises(VideoUnavailable):
        list(store.open_chunks(ref))
    assert list(out.iterdir()) == []


# --- release -----------------------------------------------------------------------------------

def test_a_video_goes_when_its_last_post_that_needs_it_goes(
        store: VideoStore, pg: PgDatabase, tmp_path: Path, clock: FakeClock) -> None:
    src = random_file(tmp_path / "clip.mp4", 2 * CHUNK)
    ref = store.put(src)
    size = src.stat().st_size
    published = add_post(pg, ref, size, PostState.PUBLISHED)
    failed = add_post(pg, ref, size, PostState.FAILED, open_id="open-2")
    draft = add_post(pg, ref, size, PostState.DRAFT)

    clock.advance(HOLD + 1)
    assert store.release_unused(VIDEO_SPENT) == 0  # a failed post may be sent again; a draft too
    posts = PostsRepo(pg)
    posts.delete(failed, expect=[PostState.FAILED])
    assert store.release(ref, VIDEO_SPENT) is False  # the draft still needs it
    assert store.get(ref) is not None

    posts.delete(draft, expect=[PostState.DRAFT])
    assert store.release_unused() == 0  # by default any post that names it keeps it
    assert store.release_unused(VIDEO_SPENT) == 1  # the published post needs it no more
    assert store.get(ref) is None and large_objects(pg) == 0
    assert posts.get(published) is not None  # the post's record stays
    assert store.release_unused(VIDEO_SPENT) == 0


def test_a_video_just_put_waits_for_its_post(store: VideoStore, pg: PgDatabase,
                                             tmp_path: Path, clock: FakeClock) -> None:
    """Between put and storing its post (a batch stores all its posts at the end), a video
    with no post yet is not released; putting it again starts its wait anew."""
    src = random_file(tmp_path / "clip.mp4", CHUNK)
    ref = store.put(src)
    clock.advance(HOLD - 10)
    assert store.release_unused(VIDEO_SPENT) == 0
    store.put(src)  # another window adopts the same video: its wait starts again
    clock.advance(20)
    assert store.release_unused(VIDEO_SPENT) == 0
    clock.advance(HOLD)
    assert store.release_unused(VIDEO_SPENT) == 1
    assert store.get(ref) is None and large_objects(pg) == 0


def test_a_large_object_already_gone_is_released_all_the_same(
        store: VideoStore, pg: PgDatabase, tmp_path: Path, clock: FakeClock) -> None:
    ref = store.put(random_file(tmp_path / "clip.mp4", CHUNK))
    oid = pg.conn().execute("SELECT lo_oid FROM stored_videos").fetchone()[0]
    pg.conn().execute("SELECT lo_unlink(?)", (oid,))
    with pytest.raises(VideoUnavailable) as caught:
        store.export(ref, tmp_path / "x.mp4")
    assert caught.value.code == "video_not_stored"
    clock.advance(HOLD + 1)
    assert store.release_unused(VIDEO_SPENT) == 1 and store.get(ref) is None


# --- memory ------------------------------------------------------------------------------------

def peak_of(work: object) -> int:
    """The peak of Python's allocations while ``work()`` runs (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        work()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_whatever_the_size(store: VideoStore, tmp_path: Path) -> None:
    """Putting and exporting a video 8 and 64 times the chunk size: the peak of memory is
    a few chunks either way, and does not grow with the size."""
    peaks: dict[int, tuple[int, int]] = {}
    for n in (8, 64):
        src = random_file(tmp_path / f"clip{n}.mp4", n * CHUNK)
        refs: list[str] = []
        put_peak = peak_of(lambda src=src, refs=refs: refs.append(store.put(src)))
        dest = tmp_path / f"out{n}.mp4"
        export_peak = peak_of(lambda refs=refs, dest=dest: store.export(refs[0], dest))
        assert sha256_of(dest) == sha256_of(src)
        peaks[n] = (put_peak, export_peak)
    small, big = peaks[8], peaks[64]
    for i in (0, 1):
        assert big[i] < 8 * CHUNK, peaks  # an eighth of the 64-chunk file at most
        assert big[i] < small[i] + 2 * CHUNK, peaks  # 8x the file, not 8x the memory
