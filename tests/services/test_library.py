"""services.library: scheduled videos kept safe in the app's media folder."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers.other_user import NOBODY, as_other_user, needs_root, shared_dir
from tests.helpers.videos import VideoFactory, VideoSpec
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services import library
from tiktok_desktop.services.library import (
    AdoptCancelled,
    LibraryError,
    LibraryItem,
    MediaLibrary,
    verify,
)
from tiktok_desktop.services.media import probe

BLOCK = 16 * 1024  # small blocks so even a tiny test video takes several


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def lib() -> MediaLibrary:
    # The app's real media folder for this test's isolated home (conftest sets the home).
    return MediaLibrary(paths.resolve().media_dir, block_size=BLOCK)


@pytest.fixture
def original(videos: VideoFactory, tmp_path: Path) -> Path:
    path = videos.copy_to(tmp_path / "Videos", "My Clip.MP4", VideoSpec(seconds=3.2, audio=True))
    path.chmod(0o644)
    assert path.stat().st_size > 3 * BLOCK
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def library_files(lib: MediaLibrary) -> list[str]:
    return sorted(p.name for p in lib.media_dir.iterdir()) if lib.media_dir.exists() else []


# --- adopt --------------------------------------------------------------------------------------
def test_media_dir_lives_in_the_data_dir_per_profile() -> None:
    base = paths.resolve()
    assert base.media_dir == base.data_dir / "media"
    sandbox = base.for_profile(paths.SANDBOX_PROFILE)
    assert sandbox.media_dir == base.data_dir / paths.SANDBOX_PROFILE / "media"


def test_copy_survives_the_original_being_deleted(lib: MediaLibrary, original: Path) -> None:
    expected = sha256_of(original)
    item = lib.adopt(original, allow_link=False)
    assert item == LibraryItem(str(lib.media_dir / f"{expected}.mp4"), original.stat().st_size,
                               expected, str(original))
    original.unlink()
    kept = Path(item.path)
    assert sha256_of(kept) == expected
    assert probe(kept).video_codec == "h264"  # still a working video
    assert verify(kept, item.size, item.sha256) is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_copies_are_private(lib: MediaLibrary, original: Path) -> None:
    item = lib.adopt(original, allow_link=False)
    assert mode(Path(item.path)) == 0o600
    assert mode(lib.media_dir) == 0o700


def test_same_filesystem_uses_a_hard_link(lib: MediaLibrary, original: Path) -> None:
    calls: list[tuple[int, int]] = []
    item = lib.adopt(original, progress=lambda done, total: calls.append((done, total)))
    kept = Path(item.path)
    assert kept.stat().st_ino == original.stat().st_ino  # no second copy of the bytes
    assert item.sha256 == sha256_of(original)
    assert calls[-1] == (item.size, item.size)  # hashing still reports progress
    assert mode(original) == 0o644  # the user's file is left as it was
    original.unlink()
    assert sha256_of(kept) == item.sha256  # and the link outlives the original


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("file_mode", [0o664, 0o666, 0o646], ids=["group", "all", "others"])
def test_a_file_others_may_write_is_copied_not_linked(
        lib: MediaLibrary, original: Path, file_mode: int) -> None:
    """Through a hard link, whoever may write the original could change the scheduled video
    after it was checked; a copy is out of their reach."""
    original.chmod(file_mode)
    item = lib.adopt(original)
    kept = Path(item.path)
    assert kept.stat().st_ino != original.stat().st_ino
    assert mode(kept) == 0o600
    with original.open("r+b") as fh:  # `cp edited.mp4 clip.mp4` by someone in the group
        fh.seek(100)
        fh.write(b"edited")
    assert verify(kept, item.size, item.sha256) is None


@needs_root
def test_another_users_file_is_copied_and_their_edit_never_reaches_the_post() -> None:
    """The issue's case, played for real: the video belongs to another user (nobody), who
    edits it in place after it was scheduled. A hard link would have carried the edit into
    the library and onto TikTok."""
    with shared_dir() as folder:
        original = folder / "shared" / "clip.mp4"
        original.parent.mkdir()
        original.write_bytes(os.urandom(5 * BLOCK))
        os.chown(original, NOBODY, NOBODY)
        original.chmod(0o644)  # only its owner may write it
        lib = MediaLibrary(folder / "media", block_size=BLOCK)
        item = lib.adopt(original)
        kept = Path(item.path)
        assert kept.stat().st_ino != original.stat().st_ino

        def edit(path: str) -> None:
            with open(path, "r+b") as fh:
                fh.seek(BLOCK)
                fh.write(b"their edit")

        as_other_user(edit, str(original))
        assert sha256_of(original) != item.sha256  # the edit happened
        assert verify(kept, item.size, item.sha256) is None  # and never reached the copy


def test_forced_copy_streams_in_blocks_with_progress(lib: MediaLibrary, original: Path) -> None:
    calls: list[tuple[int, int]] = []
    item = lib.adopt(original, progress=lambda done, total: calls.append((done, total)),
                     allow_link=False)
    assert Path(item.path).stat().st_ino != original.stat().st_ino
    size = original.stat().st_size
    blocks = -(-size // BLOCK)
    assert calls == [(0, size)] + [(min((i + 1) * BLOCK, size), size) for i in range(blocks)]


def test_another_filesystem_falls_back_to_a_copy(
        lib: MediaLibrary, original: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # What os.link does across filesystems (or on FAT, or for another user's file).
    def exdev(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")
    monkeypatch.setattr(library.os, "link", exdev)
    item = lib.adopt(original)
    assert Path(item.path).stat().st_ino != original.stat().st_ino
    assert item.sha256 == sha256_of(original)


@pytest.fixture
def other_filesystem(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem to copy from")
    folder = Path(tempfile.mkdtemp(dir=shm, prefix="tiktok-desktop-test-"))
    yield folder
    shutil.rmtree(folder)


def test_a_real_second_filesystem_is_copied(
        lib: MediaLibrary, videos: VideoFactory, other_filesystem: Path) -> None:
    src = videos.copy_to(other_filesystem, "clip.mp4", VideoSpec(seconds=1.0))
    item = lib.adopt(src)
    assert Path(item.path).stat().st_dev != src.stat().st_dev
    assert item.sha256 == sha256_of(src)


def test_adopting_the_same_video_twice_reuses_one_file(
        lib: MediaLibrary, original: Path, tmp_path: Path) -> None:
    first = lib.adopt(original, allow_link=False)
    twin = tmp_path / "elsewhere" / "copy of clip.mp4"
    twin.parent.mkdir()
    shutil.copyfile(original, twin)
    second = lib.adopt(twin)
    third = lib.adopt(original, allow_link=False)
    assert first.path == second.path == third.path
    assert second.original_path == str(twin)
    assert library_files(lib) == [Path(first.path).name]


@pytest.mark.parametrize("allow_link", [False, True])
def test_cancel_leaves_nothing_behind(
        lib: MediaLibrary, original: Path, allow_link: bool) -> None:
    seen: list[int] = []

    def cancel() -> bool:
        return len(seen) >= 2  # after two blocks

    with pytest.raises(AdoptCancelled) as caught:
        lib.adopt(original, progress=lambda done, _total: seen.append(done), cancel=cancel,
                  allow_link=allow_link)
    assert caught.value.code == "cancelled"
    assert 0 < seen[-1] < original.stat().st_size  # it really stopped part way
    assert library_files(lib) == []
    assert original.exists()


def test_a_full_disk_during_the_copy_is_cleaned_up(
        lib: MediaLibrary, original: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = 0
    real_write_all = library.write_all

    def fill_up(fd: int, data: memoryview) -> None:
        nonlocal writes
        writes += 1
        if writes == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write_all(fd, data)
    monkeypatch.setattr(library, "write_all", fill_up)
    with pytest.raises(LibraryError) as caught:
        lib.adopt(original, allow_link=False)
    assert caught.value.code == "no_space"
    assert "not enough disk space" in str(caught.value)
    assert library_files(lib) == []


def test_too_little_free_space_is_refused_before_copying(
        lib: MediaLibrary, original: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library.shutil, "disk_usage", lambda _p: SimpleNamespace(free=1000))
    with pytest.raises(LibraryError) as caught:
        lib.adopt(original, allow_link=False)
    assert caught.value.code == "no_space"
    assert "\u201cMy Clip.MP4\u201d" in str(caught.value) and "1,000 bytes" in str(caught.value)
    assert library_files(lib) == []


def test_a_file_that_grows_while_copied_is_refused(lib: MediaLibrary, original: Path) -> None:
    def still_exporting(done: int, _total: int) -> None:
        if done == BLOCK:
            with original.open("ab") as fh:
                fh.write(b"\0" * 1000)
    with pytest.raises(LibraryError) as caught:
        lib.adopt(original, progress=still_exporting, allow_link=False)
    assert caught.value.code == "changed"
    assert "still downloading or exporting" in str(caught.value)
    assert library_files(lib) == []


@pytest.mark.parametrize(("make", "code"), [
    (lambda d: d / "gone.mp4", "missing"),
    (lambda d: d, "not_a_file"),
    (lambda d: (d / "empty.mp4").touch() or d / "empty.mp4", "empty"),
])
def test_sources_that_cannot_be_adopted(lib: MediaLibrary, tmp_path: Path, make: object,
                                        code: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(LibraryError) as caught:
        lib.adopt(path)
    assert caught.value.code == code
    assert f"\u201c{path.name}\u201d" in str(caught.value)


def test_leftovers_of_a_crash_are_discarded(lib: MediaLibrary, original: Path) -> None:
    item = lib.adopt(original)
    partial = lib.media_dir / f"{library.PARTIAL_PREFIX}dead{library.PARTIAL_SUFFIX}"
    partial.write_bytes(b"half a video")
    assert lib.discard_partials() == 1
    assert library_files(lib) == [Path(item.path).name]


# --- keep-a-copy off ------------------------------------------------------------------------------
def test_reference_fingerprints_the_original_in_place(lib: MediaLibrary, original: Path) -> None:
    item = lib.reference(original)
    assert item == LibraryItem(str(original), original.stat().st_size, sha256_of(original),
                               str(original))
    assert library_files(lib) == []
    assert lib.verify(item.path, item.size, item.sha256) is None
    original.unlink()
    message = lib.verify(item.path, item.size, item.sha256)
    assert message is not None and "is gone" in message and "My Clip.MP4" in message


# --- release --------------------------------------------------------------------------------------
def test_release_removes_only_unreferenced_library_files(
        lib: MediaLibrary, original: Path) -> None:
    item = lib.adopt(original, allow_link=False)
    asked: list[str] = []

    def referenced(path: str) -> bool:
        asked.append(path)
        return True
    assert lib.release(item.path, referenced) is False
    assert asked == [item.path]
    assert Path(item.path).exists()
    assert lib.release(item.path, lambda _p: False) is True
    assert not Path(item.path).exists()
    assert lib.release(item.path, lambda _p: False) is False  # already gone: no error


def test_release_never_touches_the_users_own_files(lib: MediaLibrary, original: Path) -> None:
    item = lib.reference(original)
    assert lib.release(item.path, lambda _p: False) is False
    assert original.exists()


# --- verify ---------------------------------------------------------------------------------------
def test_verify_detects_every_kind_of_change(lib: MediaLibrary, original: Path) -> None:
    item = lib.adopt(original, allow_link=False)
    kept = Path(item.path)
    assert verify(kept, item.size, item.sha256) is None

    data = bytearray(kept.read_bytes())
    data[len(data) // 2] ^= 0xFF
    kept.write_bytes(bytes(data))  # same size, one byte different
    changed = verify(kept, item.size, item.sha256)
    assert changed is not None and "content" in changed and "changed" in changed
    assert verify(kept, item.size, "") is None  # no recorded hash: size is all we check

    with kept.open("ab") as fh:
        fh.write(b"more")
    grown = verify(kept, item.size, item.sha256)
    assert grown is not None and "changed after the post was scheduled" in grown

    kept.unlink()
    gone = verify(kept, item.size, item.sha256)
    assert gone is not None and "is gone" in gone


def test_a_hard_linked_copy_sees_in_place_edits_and_verify_catches_them(
        lib: MediaLibrary, original: Path) -> None:
    item = lib.adopt(original)
    with original.open("r+b") as fh:  # an editor saving over the same file
        fh.seek(100)
        fh.write(b"edited")
    message = verify(item.path, item.size, item.sha256)
    assert message is not None and "content" in message


def test_an_edit_that_keeps_the_video_keeps_its_copy_and_its_name(
        graph: AppGraph, tmp_path: Path) -> None:
    """Editing hands the library copy back in: no second adoption, and the creator's file
    name stays (the list showed the copy's hash name after an edit)."""
    from tiktok_desktop.services.posts import video_name
    from tiktok_desktop.store import AccountsRepo, NewPost

    account = AccountsRepo(graph.db).upsert_connected(
        open_id="o-lib", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None)
    mine = tmp_path / "pasta night.mp4"
    mine.write_bytes(b"video bytes" * 1000)
    due = int(graph.posts.clock()) + 3600
    new = NewPost(account_id=account.id, video_path=str(mine), video_size=mine.stat().st_size,
                  privacy_level="SELF_ONLY", due_at=due, due_tz="UTC")
    first = graph.posts.schedule_video(new)
    assert video_name(first) == "pasta night.mp4" and first.video_path != str(mine)
    # What the composer hands in on Save: the post's own (library) path, probed meta only.
    again = dataclasses.replace(new, video_path=first.video_path, caption="edited",
                                video_meta={"duration_ms": 1000})
    edited = graph.posts.schedule_video(again, editing=first.id)
    assert edited.caption == "edited"
    assert (edited.video_path, edited.video_sha256) == (first.video_path, first.video_sha256)
    assert video_name(edited) == "pasta night.mp4"
    assert edited.video_meta["duration_ms"] == 1000
    assert sorted(p.name for p in graph.paths.media_dir.iterdir()) == [
        Path(first.video_path).name]
