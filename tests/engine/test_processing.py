"""TikTok's processing as it is today (issue 15), end to end with the engine: the upload PUT's
reply body is not something to rely on, and what was received is decoded and refused with
TikTok's fail_reason when it is not a video TikTok takes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.engine.conftest import Recorder, calls_to, sha256_of
from tests.helpers.endpoints import INIT, reread
from tests.helpers.videos import VideoSpec, padded_video
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store import Account, Post, PostsRepo, PostState


@pytest.mark.parametrize("sandbox_options", [{"upload_reply_body": "empty"},
                                             {"upload_reply_body": "random"}], indirect=True)
def test_upload_replies_without_a_body_or_with_noise_change_nothing(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], big_video: Path, posts: PostsRepo, sandbox: SandboxServer,
) -> None:
    """TikTok documents only the PUT's status and Content-Range: seven chunks go through on
    those alone, whatever the body says."""
    account = connect()
    post = schedule(account, big_video)
    make_engine().run_once()
    assert reread(posts, post).state in POSTED
    [publish] = sandbox.control.publishes(account.open_id)
    assert publish.sha256 == sha256_of(big_video)
    assert len(calls_to(sandbox, INIT)) == 1
    assert len(calls_to(sandbox, "/upload/video/")) == 7


@pytest.mark.parametrize(("spec", "reason", "words"), [
    (VideoSpec(fps=12), "frame_rate_check_failed", "frame rate is outside 23-60 fps"),
    (VideoSpec(width=320, height=240), "picture_size_check_failed", "360-4096 px"),
])
def test_a_video_tiktok_cannot_process_fails_with_its_reason_once(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], posts: PostsRepo, sandbox: SandboxServer, tmp_path: Path,
    recorder: Recorder, spec: VideoSpec, reason: str, words: str,
) -> None:
    """Decided by the sandbox decoding what it received, not by an injected reason."""
    account = connect()
    video = padded_video(tmp_path / "odd.mp4", 200_000, spec)
    post = schedule(account, video)
    make_engine().run_once()
    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_code == reason and words in (failed.last_error_message or "")
    assert failed.attempt_count == 0  # not with the same video: no retries
    [publish] = sandbox.control.publishes(account.open_id)
    assert publish.status == "FAILED" and publish.fail_reason == reason
    assert len(calls_to(sandbox, INIT)) == 1
    assert recorder.kinds(post.id) == [NoticeKind.FAILED]
