"""The campaign's judge must be right itself: a checker that misses a duplicate or miscounts a
window would hide exactly the bugs the campaign is for."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.helpers.endpoints import INIT
from tests.reliability.verdict import classify, max_in_window, peak_rates
from tiktok_desktop.sandbox.models import Call, PublishInfo
from tiktok_desktop.store import PostState

pytestmark = pytest.mark.reliability



def test_window_matches_the_sandboxs_sliding_minute() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([0.0, 59.9]) == 2
    assert max_in_window([0.0, 60.0]) == 1  # 60 s apart: never in one window
    assert max_in_window([0.0, 10.0, 20.0, 65.0, 66.0, 69.0, 70.5, 80.5]) == 5


def test_peaks_are_per_token_and_per_engine_run() -> None:
    calls = [Call("POST", INIT, 200, None, at, token)
             for token, ats in (("a", [0, 1, 2, 3]), ("b", [0, 1, 2, 3, 4, 5, 6]))
             for at in ats]
    calls.append(Call("PUT", "/upload/video/", 201, None, 1.0, None))
    [init, creator_info, status] = peak_rates(calls, spans=[(0, 3.5), (3.6, 10)])
    assert (init.peak, init.tokens, init.calls, init.within) == (7, 2, 11, False)
    assert init.peak_one_run == 4  # b's seven calls were split over two runs
    assert (creator_info.calls, status.calls) == (0, 0)


def _publish(title: str, status: str, publish_id: str, sha: str, size: int = 3,
             post_ids: list[int] | None = None) -> PublishInfo:
    return PublishInfo(publish_id, "open", "ck", "direct", status, None, {"title": title}, size,
                       size, sha, "video/mp4", post_ids or [], 0.0, 0.0, 0.0)


def _post(n: int, state: PostState, video: Path, publish_id: str | None = None,
          code: str | None = None, post_ids: tuple[str, ...] = (),
          share_url: str | None = None) -> Any:
    return SimpleNamespace(id=n, caption=f"p{n}", state=state, publish_id=publish_id,
                           video_path=str(video), video_size=3, last_error_code=code,
                           post_ids=post_ids, share_url=share_url)


def test_classify_tells_every_outcome_apart(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"abc")
    sha = hashlib.sha256(b"abc").hexdigest()
    posts = [
        _post(1, PostState.PUBLISHED, video, "x1"),  # exactly once (plus an abandoned try)
        _post(2, PostState.PUBLISHED, video, "x2"),  # duplicated
        _post(3, PostState.PUBLISHED, video, "x3"),  # lost: TikTok never completed it
        _post(4, PostState.PUBLISHED, video, "x4"),  # lost: other bytes than the file's
        _post(5, PostState.UNCONFIRMED, video, "x5"),  # allowed: still processing
        _post(6, PostState.UNCONFIRMED, video, "x6"),  # untracked: TikTok has it
        _post(7, PostState.FAILED, video, None, "spam_risk_text"),
        _post(8, PostState.RETRY_WAIT, video),  # lost: never final
        _post(9, PostState.PUBLISHED, video, "x9", post_ids=("79",), share_url="u"),  # linked
        _post(10, PostState.PUBLISHED, video, "x10"),  # unlinked: TikTok gave an ID
        _post(11, PostState.IN_REVIEW, video, "x11"),  # lost: never final (review unfollowed)
    ]
    publishes = [
        _publish("p1", "PUBLISH_COMPLETE", "x1", sha), _publish("p1", "PROCESSING_UPLOAD", "y1",
                                                                "0"),
        _publish("p2", "PUBLISH_COMPLETE", "x2", sha), _publish("p2", "PUBLISH_COMPLETE", "y2",
                                                                sha),
        _publish("p3", "FAILED", "x3", sha),
        _publish("p4", "PUBLISH_COMPLETE", "x4", "f" * 64),
        _publish("p5", "PROCESSING_UPLOAD", "x5", sha),
        _publish("p6", "PUBLISH_COMPLETE", "x6", sha),
        _publish("p7", "FAILED", "x7", sha),
        _publish("p9", "PUBLISH_COMPLETE", "x9", sha, post_ids=[79]),
        _publish("p10", "PUBLISH_COMPLETE", "x10", sha, post_ids=[710]),
        _publish("p11", "PUBLISH_COMPLETE", "x11", sha, post_ids=[711]),
    ]
    out = classify(posts, publishes)
    assert (out.exactly_once, out.duplicated, out.lost, out.untracked, out.unconfirmed,
            out.unlinked) == (2, 1, 4, 1, 1, 1)
    assert dict(out.failed) == {"spam_risk_text": 1}
    assert [line.split()[0] for line in out.problems] == [
        "DUPLICATED", "LOST", "LOST", "UNTRACKED", "LOST", "UNLINKED", "LOST"]
