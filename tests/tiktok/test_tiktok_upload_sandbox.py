"""Uploads through the client against the running sandbox: byte-identical arrival, faults,
reconcile, resume, cancel, expiry."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tiktok_support import Connect, FakeClock, RecordingSleeper

from tiktok_desktop.tiktok import (
    ChunkPlan,
    ChunkUploader,
    PostInfo,
    PublishTicket,
    TikTokApi,
    UploadCancelled,
    UploadInterrupted,
    UploadTaskNotFound,
    UploadUrlExpired,
    VideoSizeError,
    plan_chunks,
)

MB = 1_000_000
BOTH_PROGRESS_FORMS = pytest.mark.parametrize(
    "sandbox_options", [{"progress_end": "count"}, {"progress_end": "inclusive"}],
    indirect=True, ids=["count", "inclusive"])

Video = Callable[..., Path]
Sha = Callable[[Path], str]


def start(api: TikTokApi, connect: Connect, path: Path,
          plan: ChunkPlan | None = None) -> tuple[PublishTicket, ChunkPlan]:
    plan = plan or plan_chunks(path.stat().st_size)
    info = PostInfo(privacy_level="SELF_ONLY", disable_comment=True, disable_duet=True,
                    disable_stitch=True)
    return api.init_direct_post(connect().access_token, info, plan), plan


def put_statuses(sandbox: Any) -> list[int | None]:
    return [c.status for c in sandbox.control.calls() if c.method == "PUT"]


def assert_identical(sandbox: Any, ticket: PublishTicket, path: Path, sha: Sha) -> None:
    got = sandbox.control.received(ticket.publish_id)
    assert got.complete
    assert got.size == path.stat().st_size
    assert got.sha256 == sha(path)
    assert got.path is not None and sha(got.path) == sha(path)


def test_small_file_goes_in_one_chunk(sandbox: Any, api: TikTokApi, connect: Connect,
                                      uploader: ChunkUploader, video_file: Video,
                                      file_sha256: Sha) -> None:
    path = video_file(3 * MB + 17)
    ticket, plan = start(api, connect, path)
    assert plan.total_chunk_count == 1
    seen: list[tuple[int, int]] = []
    result = uploader.upload(ticket.upload_url, path, progress=lambda s, t: seen.append((s, t)))
    assert_identical(sandbox, ticket, path, file_sha256)
    assert put_statuses(sandbox) == [201]
    assert (result.requests, result.retries, result.bytes_sent) == (1, 0, path.stat().st_size)
    assert seen[-1] == (path.stat().st_size,) * 2
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


def test_200_mb_multi_chunk_arrives_byte_identical(sandbox: Any, api: TikTokApi,
                                                   connect: Connect, uploader: ChunkUploader,
                                                   video_file: Video, file_sha256: Sha) -> None:
    size = 200 * MB + 4321
    path = video_file(size)
    ticket, plan = start(api, connect, path)
    assert (plan.chunk_size, plan.total_chunk_count) == (10 * MB, 20)
    checkpoints: list[int] = []
    progress: list[int] = []
    result = uploader.upload(ticket.upload_url, path, plan=plan,
                             checkpoint=checkpoints.append,
                             progress=lambda sent, total: progress.append(sent))
    assert_identical(sandbox, ticket, path, file_sha256)
    assert put_statuses(sandbox) == [206] * 19 + [201]
    assert checkpoints == [i * 10 * MB for i in range(1, 20)] + [size]
    assert progress == sorted(progress) and progress[-1] == size
    assert len(progress) > 20            # per block, not just per chunk
    assert (result.requests, result.retries) == (20, 0)


def test_docs_worked_example_plan(sandbox: Any, api: TikTokApi, connect: Connect,
                                  uploader: ChunkUploader, video_file: Video,
                                  file_sha256: Sha) -> None:
    """50,000,123 bytes as 5 chunks of 10 MB (the last 10,000,123): 206 x 4, then 201."""
    path = video_file(50_000_123)
    plan = ChunkPlan(50_000_123, 10_000_000, 5)
    ticket, _ = start(api, connect, path, plan)
    uploader.upload(ticket.upload_url, path, plan=plan)
    assert put_statuses(sandbox) == [206, 206, 206, 206, 201]
    assert_identical(sandbox, ticket, path, file_sha256)


def _fault_at(sandbox: Any, ticket: PublishTicket, offset: int, kind: str,
              **params: Any) -> Callable[[int], None]:
    """A checkpoint callback that arms a fault on the upload URL once `offset` is confirmed,
    so it hits the next chunk."""
    path = urlsplit(ticket.upload_url).path

    def checkpoint(confirmed: int) -> None:
        if confirmed == offset:
            sandbox.control.inject_fault(path, kind, **params)

    return checkpoint


@BOTH_PROGRESS_FORMS
def test_server_error_on_a_chunk_replays_the_same_range(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        sleeper: RecordingSleeper, video_file: Video, file_sha256: Sha) -> None:
    path = video_file(70 * MB + 5)
    ticket, plan = start(api, connect, path)
    result = uploader.upload(ticket.upload_url, path, plan=plan,
                             checkpoint=_fault_at(sandbox, ticket, 20 * MB, "status",
                                                  status=503, count=2))
    assert plan.total_chunk_count == 7
    assert put_statuses(sandbox) == [206, 206, 503, 503, 206, 206, 206, 206, 201]
    assert sleeper.waits == [1.0, 2.0]
    assert result.retries == 2
    assert_identical(sandbox, ticket, path, file_sha256)


@BOTH_PROGRESS_FORMS
def test_connection_reset_mid_chunk_resumes(sandbox: Any, api: TikTokApi, connect: Connect,
                                            uploader: ChunkUploader, video_file: Video,
                                            file_sha256: Sha) -> None:
    path = video_file(70 * MB + 5)
    ticket, plan = start(api, connect, path)
    result = uploader.upload(ticket.upload_url, path, plan=plan,
                             checkpoint=_fault_at(sandbox, ticket, 30 * MB, "reset",
                                                  after_bytes=3 * MB))
    assert put_statuses(sandbox) == [206, 206, 206, None, 206, 206, 206, 201]
    assert result.retries == 1
    assert result.bytes_sent > path.stat().st_size       # part of chunk 4 went twice
    assert_identical(sandbox, ticket, path, file_sha256)


@BOTH_PROGRESS_FORMS
@pytest.mark.parametrize("lost_after", [20 * MB, 60 * MB], ids=["middle", "final"])
def test_lost_answer_is_reconciled_from_the_progress_header(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video, file_sha256: Sha, lost_after: int) -> None:
    """The chunk arrives but the reply is lost: the replay gets 416 with TikTok's progress,
    and the upload continues after it (or is done, for the final chunk)."""
    size = 70 * MB + 5
    path = video_file(size)
    ticket, plan = start(api, connect, path)
    uploader.upload(ticket.upload_url, path, plan=plan,
                    checkpoint=_fault_at(sandbox, ticket, lost_after, "reset",
                                         after_bytes=20 * MB))
    statuses = put_statuses(sandbox)
    if lost_after == 20 * MB:
        assert statuses == [206, 206, None, 416, 206, 206, 206, 201]
    else:
        assert statuses == [206] * 6 + [None, 416]
    assert_identical(sandbox, ticket, path, file_sha256)


def test_resume_after_restart_from_persisted_offset(
        sandbox: Any, api: TikTokApi, connect: Connect, sleeper: RecordingSleeper,
        video_file: Video, file_sha256: Sha) -> None:
    path = video_file(90 * MB)
    ticket, plan = start(api, connect, path)
    stop = threading.Event()
    saved: list[int] = []

    def checkpoint(offset: int) -> None:
        saved.append(offset)
        if offset == 50 * MB:
            stop.set()          # the app quits here

    with httpx.Client() as first_process, pytest.raises(UploadCancelled) as info:
        ChunkUploader(first_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, checkpoint=checkpoint, cancel=stop)
    assert info.value.offset == 50 * MB == saved[-1]
    with httpx.Client() as second_process:
        result = ChunkUploader(second_process, sleeper=sleeper).upload(
            ticket.upload_url, path, plan=plan, start_offset=saved[-1])
    assert result.resumed_from == 50 * MB and result.requests == 4
    assert put_statuses(sandbox) == [206] * 5 + [206] * 3 + [201]
    assert_identical(sandbox, ticket, path, file_sha256)


def test_stale_start_offset_is_reconciled_with_the_server(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video, file_sha256: Sha) -> None:
    """The app crashed before persisting progress: it restarts from 0; the 416 tells it
    where TikTok stands and the upload continues there."""
    path = video_file(70 * MB)
    ticket, plan = start(api, connect, path)
    stop = threading.Event()
    with pytest.raises(UploadCancelled):
        uploader.upload(ticket.upload_url, path, plan=plan, cancel=stop,
                        checkpoint=lambda o: stop.set() if o == 30 * MB else None)
    result = uploader.upload(ticket.upload_url, path, plan=plan, start_offset=0)
    assert put_statuses(sandbox) == [206, 206, 206, 416, 206, 206, 206, 201]
    assert result.resumed_from == 0 and result.requests == 5
    assert_identical(sandbox, ticket, path, file_sha256)


def test_cancel_mid_chunk_then_resume(sandbox: Any, api: TikTokApi, connect: Connect,
                                      uploader: ChunkUploader, video_file: Video,
                                      file_sha256: Sha) -> None:
    path = video_file(70 * MB)
    ticket, plan = start(api, connect, path)
    sent: list[int] = []

    def cancel() -> bool:
        return bool(sent) and sent[-1] >= 25 * MB    # in the middle of chunk 3

    with pytest.raises(UploadCancelled) as info:
        uploader.upload(ticket.upload_url, path, plan=plan, cancel=cancel,
                        progress=lambda s, _t: sent.append(s))
    assert info.value.offset == 20 * MB
    assert sandbox.control.received(ticket.publish_id).size == 20 * MB
    uploader.upload(ticket.upload_url, path, plan=plan, start_offset=info.value.offset)
    assert_identical(sandbox, ticket, path, file_sha256)


def test_retries_run_out(sandbox: Any, api: TikTokApi, connect: Connect,
                         uploader: ChunkUploader, sleeper: RecordingSleeper,
                         video_file: Video) -> None:
    path = video_file(70 * MB)
    ticket, plan = start(api, connect, path)
    with pytest.raises(UploadInterrupted) as info:
        uploader.upload(ticket.upload_url, path, plan=plan,
                        checkpoint=_fault_at(sandbox, ticket, 10 * MB, "status", count=5,
                                             status=500))
    assert info.value.offset == 10 * MB and info.value.retryable
    assert sleeper.waits == [1.0, 2.0, 4.0, 8.0]
    assert put_statuses(sandbox) == [206] + [500] * 5


def test_expired_upload_url_is_not_retried(sandbox: Any, api: TikTokApi, connect: Connect,
                                           uploader: ChunkUploader, sleeper: RecordingSleeper,
                                           video_file: Video) -> None:
    path = video_file(70 * MB)
    ticket, plan = start(api, connect, path)

    def expire(offset: int) -> None:
        if offset == 20 * MB:
            sandbox.control.expire_upload_url(ticket.publish_id)

    with pytest.raises(UploadUrlExpired) as info:
        uploader.upload(ticket.upload_url, path, plan=plan, checkpoint=expire)
    assert (info.value.http_status, info.value.retryable) == (403, False)
    assert "hour" in str(info.value)
    assert sleeper.waits == []
    assert put_statuses(sandbox) == [206, 206, 403]


def test_upload_url_lives_one_hour(sandbox: Any, api: TikTokApi, connect: Connect,
                                   uploader: ChunkUploader, clock: FakeClock,
                                   video_file: Video) -> None:
    path = video_file(1000)
    ticket, _ = start(api, connect, path)
    clock.advance(3600)
    with pytest.raises(UploadUrlExpired):
        uploader.upload(ticket.upload_url, path)


def test_unknown_upload_url(sandbox: Any, api: TikTokApi, connect: Connect,
                            uploader: ChunkUploader, video_file: Video) -> None:
    path = video_file(1000)
    ticket, _ = start(api, connect, path)
    bad = ticket.upload_url.replace("upload_token=", "upload_token=x")
    assert bad != ticket.upload_url
    with pytest.raises(UploadTaskNotFound) as info:
        uploader.upload(bad, path)
    assert info.value.http_status == 404 and not info.value.retryable


@pytest.mark.parametrize(("name", "ctype"), [("clip.mov", "video/quicktime"),
                                             ("clip.webm", "video/webm"),
                                             ("clip.MP4", "video/mp4")])
def test_content_type_follows_the_container(sandbox: Any, api: TikTokApi, connect: Connect,
                                            uploader: ChunkUploader, video_file: Video,
                                            name: str, ctype: str) -> None:
    path = video_file(1000, name=name)
    ticket, _ = start(api, connect, path)
    uploader.upload(ticket.upload_url, path)
    [info] = sandbox.control.publishes()
    assert info.content_type == ctype


def test_file_changed_since_init_is_refused_before_sending(
        sandbox: Any, api: TikTokApi, connect: Connect, uploader: ChunkUploader,
        video_file: Video) -> None:
    path = video_file(2000)
    ticket, plan = start(api, connect, path)
    with path.open("ab") as f:
        f.write(b"more")
    with pytest.raises(VideoSizeError):
        uploader.upload(ticket.upload_url, path, plan=plan)
    assert put_statuses(sandbox) == []
