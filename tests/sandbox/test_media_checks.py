"""TikTok's processing of what was received: real videos encoded by the test (PyAV), sent over
loopback HTTP, judged after processing with TikTok's fail_reason."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers.videos import VideoSpec, encode_audio, padded_video, video_bytes
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.sandbox.media import DECODE_FRAMES, MediaChecker, MediaVerdict, check_video

from .gates import GATE_TIMEOUT
from .helpers import FakeClock, Tokens, connect, init_direct, ok_data, put_chunk, status


def _publish(http: httpx.Client, tokens: Tokens, clock: FakeClock, body: bytes,
             content_type: str = "video/mp4") -> dict[str, object]:
    data = ok_data(init_direct(http, tokens, len(body)))
    assert put_chunk(http, data["upload_url"], body, 0, len(body),
                     content_type).status_code == 201
    clock.advance(3)
    return status(http, tokens, data["publish_id"])


@pytest.mark.parametrize(("spec", "reason"), [
    (VideoSpec(codec="mpeg4"), "file_format_check_failed"),  # MPEG-4 Part 2 in an MP4
    (VideoSpec(container="matroska"), "file_format_check_failed"),  # MKV is not WebM
    (VideoSpec(container="avi", codec="mpeg4"), "file_format_check_failed"),
    (VideoSpec(fps=20), "frame_rate_check_failed"),
    (VideoSpec(fps=61), "frame_rate_check_failed"),
    (VideoSpec(width=320, height=640), "picture_size_check_failed"),
    (VideoSpec(width=360, height=4112), "picture_size_check_failed"),
])
def test_videos_tiktok_refuses_fail_with_its_reason(http: httpx.Client, creator: Tokens,
                                                    clock: FakeClock, spec: VideoSpec,
                                                    reason: str) -> None:
    final = _publish(http, creator, clock, video_bytes(spec))
    assert (final["status"], final["fail_reason"]) == ("FAILED", reason)
    assert final["publicaly_available_post_id"] == []


@pytest.mark.parametrize(("spec", "content_type"), [
    (VideoSpec(), "video/mp4"),
    (VideoSpec(container="mov"), "video/quicktime"),
    (VideoSpec(codec="libx265"), "video/mp4"),
    (VideoSpec(codec="libvpx-vp9", container="webm"), "video/webm"),
    (VideoSpec(codec="libvpx", container="webm", seekable=False), "video/webm"),  # no duration
    (VideoSpec(fps=23), "video/mp4"),
    (VideoSpec(fps=60, audio=True), "video/mp4"),
])
def test_videos_tiktok_takes_complete(http: httpx.Client, creator: Tokens, clock: FakeClock,
                                      spec: VideoSpec, content_type: str) -> None:
    final = _publish(http, creator, clock, video_bytes(spec), content_type)
    assert final["status"] == "PUBLISH_COMPLETE" and "fail_reason" not in final


def test_bytes_that_are_not_a_video(http: httpx.Client, creator: Tokens, clock: FakeClock,
                                    tmp_path: Path) -> None:
    clip = video_bytes()
    audio = encode_audio(tmp_path / "a.m4a").read_bytes()
    for body in (b"\x00" * 6000, b"not a video at all " * 300, audio,
                 clip[: len(clip) // 3]):  # an upload of a cut-off file
        final = _publish(http, creator, clock, body)
        assert (final["status"], final["fail_reason"]) == ("FAILED", "file_format_check_failed")


def test_duration_over_the_creators_maximum(server: SandboxServer, http: httpx.Client,
                                            creator: Tokens, clock: FakeClock) -> None:
    five_seconds = video_bytes(VideoSpec(seconds=5.0))
    server.control.set_creator(creator.open_id, max_video_post_duration_sec=4)
    final = _publish(http, creator, clock, five_seconds)
    assert (final["status"], final["fail_reason"]) == ("FAILED", "duration_check_failed")
    # The creator's maximum at init counts, not a later one.
    data = ok_data(init_direct(http, creator, len(five_seconds)))
    server.control.set_creator(creator.open_id, max_video_post_duration_sec=600)
    assert put_chunk(http, data["upload_url"], five_seconds, 0,
                     len(five_seconds)).status_code == 201
    clock.advance(3)
    assert status(http, creator, data["publish_id"])["fail_reason"] == "duration_check_failed"
    assert _publish(http, creator, clock, five_seconds)["status"] == "PUBLISH_COMPLETE"


def test_the_real_picture_reaches_video_query(server: SandboxServer, http: httpx.Client,
                                              creator: Tokens, clock: FakeClock) -> None:
    server.control.configure(moderation_seconds=0)
    final = _publish(http, creator, clock, video_bytes(VideoSpec(width=480, height=854,
                                                                 seconds=2.0)))
    [post_id] = final["publicaly_available_post_id"]  # type: ignore[misc]
    found = ok_data(http.post("/v2/video/query/", params={"fields": "id,width,height,duration"},
                              headers=creator.headers,
                              json={"filters": {"video_ids": [str(post_id)]}}))
    assert found["videos"] == [{"id": str(post_id), "width": 480, "height": 854, "duration": 2}]


def test_decoding_is_bounded(tmp_path: Path) -> None:
    """A long video is judged from a few frames: the bound holds whatever the length."""
    long_clip = tmp_path / "long.mp4"
    long_clip.write_bytes(video_bytes(VideoSpec(seconds=20.0, gop=10)))
    verdict = check_video(long_clip, 600)
    assert verdict.fail_reason is None and verdict.duration == pytest.approx(20.0, abs=0.1)
    assert 1 <= verdict.frames_decoded <= DECODE_FRAMES
    padded = padded_video(tmp_path / "padded.mp4", 30_000_000)  # 30 MB, mostly padding
    assert check_video(padded, 600).fail_reason is None


def test_the_check_runs_off_the_request_thread(server: SandboxServer, http: httpx.Client,
                                               creator: Tokens, clock: FakeClock) -> None:
    entered, release = threading.Event(), threading.Event()
    threads: list[str] = []

    def held_check(path: Path, max_duration: int) -> MediaVerdict:
        threads.append(threading.current_thread().name)
        entered.set()
        assert release.wait(GATE_TIMEOUT), "the test never released the check"
        return check_video(path, max_duration)

    server.state.media = MediaChecker(held_check)
    clip = video_bytes()
    data = ok_data(init_direct(http, creator, len(clip)))
    # The 201 comes while the check is still held: the PUT does not wait for processing.
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    assert entered.wait(GATE_TIMEOUT)
    assert threads and threads[0].startswith("sandbox-media")
    release.set()
    clock.advance(3)
    assert status(http, creator, data["publish_id"])["status"] == "PUBLISH_COMPLETE"


def test_media_checks_can_be_turned_off(make_server: Callable[..., SandboxServer],
                                        clock: FakeClock) -> None:
    server = make_server(SandboxOptions(media_checks=False))
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        assert _publish(http, tokens, clock, b"random" * 200)["status"] == "PUBLISH_COMPLETE"
        server.control.configure(media_checks=True)
        final = _publish(http, tokens, clock, b"random" * 200)
        assert final["fail_reason"] == "file_format_check_failed"
        assert http.post("/__sandbox__/configure", json={"media_checks": False}, headers={
            "X-Sandbox-Token": server.control_token}).status_code == 200
        assert _publish(http, tokens, clock, b"random" * 200)["status"] == "PUBLISH_COMPLETE"


def test_media_checks_need_the_bytes() -> None:
    with pytest.raises(ValueError, match="store_upload_bytes"):
        SandboxOptions(store_upload_bytes=False)
    SandboxOptions(store_upload_bytes=False, media_checks=False)
