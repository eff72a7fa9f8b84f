"""What is uploaded is what was checked (the SHA-256 the post was scheduled with), the
Content-Type comes from what the file is, and a cancel breaks off a PUT that waits on the
network. All against the real sandbox over loopback."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tiktok_support import Connect, RecordingSleeper

from tests.helpers.videos import VideoFactory
from tiktok_desktop.tiktok import (
    ChunkPlan,
    ChunkUploader,
    PostInfo,
    PublishTicket,
    TikTokApi,
    UnsupportedContainer,
    UploadCancelled,
    VideoFileChanged,
    content_type_for,
    content_type_for_container,
    plan_chunks,
)

MB = 1_000_000
Video = Callable[..., Path]
Sha = Callable[[Path], str]


def start(api: TikTokApi, connect: Connect, path: Path) -> tuple[PublishTicket, ChunkPlan]:
    plan = plan_chunks(path.stat().st_size)
    info = PostInfo(privacy_level="SELF_ONLY", disable_comment=True, disable_duet=True,
                    disable_stitch=True)
    return api.init_direct_post(connect().access_token, info, plan), plan


def put_statuses(sandbox: Any) -> list[int | None]:
    return [c.status for c in sandbox.control.calls() if c.method == "PUT"]


def overwrite_in_place(target: Path, source: Path) -> None:
    """``cp source target``: the same inode gets new bytes, as through a hard-linked copy."""
    inode = target.stat().st_ino
    shutil.copyfile(source, target)
    assert target.stat().st_ino == inode


# --- hashed while uploading ----------------------------------------------------------------------
def test_a_file_replaced_in_place_between_chunks_never_completes(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video, file_sha256: Sha, tmp_path: Path) -> None:
    """The issue's case: `cp edited.mp4 clip.mp4` after two of seven chunks went. The rest is
    read from the edited file, so TikTok would get a mix of the two: the last chunk is
    refused and TikTok never has the whole video."""
    size = 70 * MB + 5
    path = video_file(size)
    expected = file_sha256(path)
    edited = video_file(size, name="edited.mp4")
    ticket, plan = start(api, connect, path)

    def edit(offset: int) -> None:
        if offset == 20 * MB:
            overwrite_in_place(path, edited)

    with pytest.raises(VideoFileChanged) as info:
        uploader.upload(ticket.upload_url, path, plan=plan, checkpoint=edit,
                        expected_sha256=expected)
    assert info.value.code == "video_file_changed"
    assert str(info.value) == (
        "The video file \u201cclip.mp4\u201d changed after the post was scheduled, so it was "
        "not sent to TikTok. Check it is the video you want and schedule it again.")
    # Six chunks went; the seventh was broken off before its last block (the sandbox logs
    # that PUT once it notices, so only the first six are certain here).
    assert put_statuses(sandbox)[:6] == [206] * 6
    got = sandbox.control.received(ticket.publish_id)
    assert not got.complete and got.size == 60 * MB


def test_an_edit_while_the_only_chunk_is_sent_is_refused(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video, file_sha256: Sha) -> None:
    path = video_file(5 * MB)
    expected = file_sha256(path)
    ticket, plan = start(api, connect, path)
    assert plan.total_chunk_count == 1
    edited = False

    def progress(sent: int, _total: int) -> None:
        nonlocal edited
        if sent >= 2 * MB and not edited:
            edited = True
            with path.open("r+b") as f:  # an editor saving over one frame, in place
                f.seek(4 * MB)
                f.write(b"\x00" * 4096)

    with pytest.raises(VideoFileChanged):
        uploader.upload(ticket.upload_url, path, plan=plan, progress=progress,
                        expected_sha256=expected)
    assert edited
    got = sandbox.control.received(ticket.publish_id)
    assert not got.complete and got.size == 0


def test_an_unchanged_file_goes_out_with_replays_and_reconciles_on_the_way(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video, file_sha256: Sha) -> None:
    """Replayed chunks are hashed again from a snapshot: a 503 replays a chunk, a reset mid
    chunk resends part of one, a lost answer jumps ahead on a 416."""
    path = video_file(70 * MB + 5)
    expected = file_sha256(path)
    ticket, plan = start(api, connect, path)
    upload_path = urlsplit(ticket.upload_url).path
    faults = {10 * MB: ("status", {"status": 503}), 30 * MB: ("reset", {"after_bytes": 3 * MB}),
              50 * MB: ("reset", {"after_bytes": 20 * MB})}

    def checkpoint(offset: int) -> None:
        if offset in faults:
            kind, params = faults.pop(offset)
            sandbox.control.inject_fault(upload_path, kind, **params)

    uploader.upload(ticket.upload_url, path, plan=plan, checkpoint=checkpoint,
                    expected_sha256=expected.upper())  # any case of hex digits
    assert put_statuses(sandbox) == [206, 503, 206, 206, None, 206, 206, None, 416, 201]
    got = sandbox.control.received(ticket.publish_id)
    assert got.complete and got.sha256 == expected


def test_a_wrong_expected_hash_refuses_the_last_chunk(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video) -> None:
    path = video_file(1000)
    ticket, plan = start(api, connect, path)
    with pytest.raises(VideoFileChanged):
        uploader.upload(ticket.upload_url, path, plan=plan, expected_sha256="0" * 64)
    assert not sandbox.control.received(ticket.publish_id).complete


def _stop_at(offset: int, saved: list[int], stop: threading.Event) -> Callable[[int], None]:
    def checkpoint(confirmed: int) -> None:
        saved.append(confirmed)
        if confirmed == offset:
            stop.set()  # the app quits here
    return checkpoint


def test_a_resume_hashes_what_tiktok_has_without_sending_it_again(
        sandbox: Any, api: TikTokApi, connect: Connect, sleeper: RecordingSleeper,
        video_file: Video, file_sha256: Sha) -> None:
    path = video_file(90 * MB)
    expected = file_sha256(path)
    ticket, plan = start(api, connect, path)
    stop = threading.Event()
    saved: list[int] = []
    with httpx.Client() as first_process, pytest.raises(UploadCancelled):
        ChunkUploader(first_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, checkpoint=_stop_at(50 * MB, saved, stop),
            cancel=stop, expected_sha256=expected)
    with httpx.Client() as second_process:
        result = ChunkUploader(second_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, start_offset=saved[-1],
            expected_sha256=expected)
    assert result.bytes_sent == 40 * MB  # the first 50 MB were read, not sent
    got = sandbox.control.received(ticket.publish_id)
    assert got.complete and got.sha256 == expected


def test_a_change_before_the_resume_offset_is_caught_too(
        sandbox: Any, api: TikTokApi, connect: Connect, sleeper: RecordingSleeper,
        video_file: Video, file_sha256: Sha) -> None:
    """The app was closed mid-upload and the file edited meanwhile, in the part TikTok
    already has: the resumed upload would finish a video that mixes both."""
    path = video_file(90 * MB)
    expected = file_sha256(path)
    ticket, plan = start(api, connect, path)
    stop = threading.Event()
    saved: list[int] = []
    with httpx.Client() as first_process, pytest.raises(UploadCancelled):
        ChunkUploader(first_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, checkpoint=_stop_at(50 * MB, saved, stop),
            cancel=stop, expected_sha256=expected)
    with path.open("r+b") as f:
        f.seek(MB)
        f.write(b"edited")
    with httpx.Client() as second_process, pytest.raises(VideoFileChanged):
        ChunkUploader(second_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, start_offset=saved[-1],
            expected_sha256=expected)
    assert not sandbox.control.received(ticket.publish_id).complete


def test_a_size_change_before_the_upload_says_the_file_changed(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video) -> None:
    path = video_file(2000)
    ticket, plan = start(api, connect, path)
    with path.open("ab") as f:
        f.write(b"more")
    with pytest.raises(VideoFileChanged) as info:
        uploader.upload(ticket.upload_url, path, plan=plan)
    assert info.value.code == "video_file_changed" and "schedule it again" in str(info.value)
    assert put_statuses(sandbox) == []


# --- Content-Type from the content ---------------------------------------------------------------
@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.mark.parametrize(("container", "codec", "name", "ctype"), [
    ("webm", "libvpx-vp9", "clip.mp4", "video/webm"),
    ("mp4", "libx264", "clip.webm", "video/mp4"),
    ("mp4", "libx264", "clip.txt", "video/mp4"),
    ("mp4", "libx264", "clip", "video/mp4"),
    ("mov", "libx264", "clip.mp4", "video/quicktime"),
], ids=["webm-named-mp4", "mp4-named-webm", "mp4-named-txt", "no-extension", "mov-named-mp4"])
def test_content_type_comes_from_the_content_not_the_name(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        videos: VideoFactory, tmp_path: Path, container: str, codec: str, name: str,
        ctype: str) -> None:
    path = videos.copy_to(tmp_path, name, container=container, codec=codec)
    assert content_type_for(path) == ctype
    ticket, plan = start(api, connect, path)
    uploader.upload(ticket.upload_url, path, plan=plan)
    [published] = sandbox.control.publishes()
    assert published.content_type == ctype


def test_content_type_for_the_probed_container() -> None:
    assert [content_type_for_container(c) for c in ("mp4", "mov", "webm")] == [
        "video/mp4", "video/quicktime", "video/webm"]
    for refused in ("matroska", "avi", ""):
        with pytest.raises(UnsupportedContainer):
            content_type_for_container(refused)


def test_matroska_named_webm_is_refused(videos: VideoFactory, tmp_path: Path) -> None:
    path = videos.copy_to(tmp_path, "clip.webm", container="matroska", codec="libvpx-vp9")
    with pytest.raises(UnsupportedContainer):
        content_type_for(path)


# --- cancel while a PUT waits on the network -----------------------------------------------------
SLOW_REPLY = 120.0  # the sandbox holds the PUT this long before reading it


@pytest.mark.parametrize("size", [1000, 60 * MB], ids=["waiting-for-the-reply", "stalled-write"])
@pytest.mark.parametrize("connection", ["kept-alive", "new"])
def test_cancel_breaks_off_a_put_the_server_holds(
        sandbox: Any, api: TikTokApi, connect: Connect, http: httpx.Client,
        sleeper: RecordingSleeper, video_file: Video, size: int, connection: str) -> None:
    """Before: the cancel was looked at between blocks only, so a PUT whose reply (or whose
    reading, for a big chunk) the server held waited out UPLOAD_TIMEOUT (180 s). Now the
    socket is shut down and UploadCancelled comes at once, with the confirmed offset."""
    path = video_file(size)
    ticket, plan = start(api, connect, path)
    sandbox.control.inject_fault(urlsplit(ticket.upload_url).path, "slow", delay=SLOW_REPLY)
    # "kept-alive" reuses the connection init went over; "new" opens one for the PUT.
    client = http if connection == "kept-alive" else httpx.Client()
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    began = time.monotonic()
    timer.start()
    try:
        with pytest.raises(UploadCancelled) as info:
            ChunkUploader(client, sleeper=sleeper).upload(ticket.upload_url, path, plan=plan,
                                                         cancel=stop)
    finally:
        timer.cancel()
        if client is not http:
            client.close()
    waited = time.monotonic() - began
    assert info.value.offset == 0
    assert waited < SLOW_REPLY / 4, f"the cancel took {waited:.1f} s"
    assert not sandbox.control.received(ticket.publish_id).complete
