"""Issue 19: public posts' counts grow over time (video/query, video/list) and the creator's
follower and like counts follow (user/info with user.info.stats), deterministic per seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.sandbox.growth import post_counts

from .helpers import FakeClock, Tokens, connect, error_of, ok_data, publish_small

COUNTS = "id,view_count,like_count,comment_count,share_count"
HOUR = 3600.0
DAY = 86400.0


def _query(http: httpx.Client, tokens: Tokens, ids: list[str],
           fields: str = COUNTS) -> list[dict[str, Any]]:
    data = ok_data(http.post("/v2/video/query/", params={"fields": fields},
                             headers=tokens.headers, json={"filters": {"video_ids": ids}}))
    return list(data["videos"])


def _stats(http: httpx.Client, tokens: Tokens) -> dict[str, int]:
    fields = "follower_count,following_count,likes_count,video_count"
    return dict(ok_data(http.get("/v2/user/info/", params={"fields": fields},
                                 headers=tokens.headers))["user"])


def _publish(http: httpx.Client, tokens: Tokens, clock: FakeClock, **info: Any) -> str:
    _pid, final = publish_small(http, tokens, clock, **info)
    return str(final["publicaly_available_post_id"][0])


def test_counts_grow_from_zero_and_never_fall(server: SandboxServer, http: httpx.Client,
                                              creator: Tokens, clock: FakeClock) -> None:
    post_id = _publish(http, creator, clock)
    seen = [_query(http, creator, [post_id])[0]]
    assert seen[0]["view_count"] == 0  # public this instant
    for step in (HOUR, 23 * HOUR, 6 * DAY, 23 * DAY):
        clock.advance(step)
        seen.append(_query(http, connect(server, http), [post_id])[0])  # access lives 2 h
    views = [v["view_count"] for v in seen]
    assert views == sorted(views) and views[1] > 0 and views[2] > views[1] > 0
    assert views[3] > views[2]  # the slow tail still adds after a day
    for name in ("like_count", "comment_count", "share_count"):
        values = [v[name] for v in seen]
        assert values == sorted(values)
        assert all(v[name] <= v["view_count"] for v in seen)
    assert 0 < seen[-1]["like_count"] < seen[-1]["view_count"]
    # most of a post's views come in its first days
    assert views[2] > 0.5 * views[4]


def test_same_seed_same_numbers_other_seed_others(
        make_server: Callable[..., SandboxServer], tmp_path: Path) -> None:
    def run(seed: int, folder: str) -> list[list[int]]:
        clock = FakeClock()
        server = make_server(SandboxOptions(stats_seed=seed), state_dir=tmp_path / folder,
                             clock=clock)
        with httpx.Client(base_url=server.base_url, timeout=10.0) as http:
            ids = []
            for _ in range(3):
                ids.append(_publish(http, connect(server, http), clock))
                clock.advance(5 * HOUR)
            clock.advance(2 * DAY)
            videos = _query(http, connect(server, http), ids)
            by_id = {v["id"]: v for v in videos}
            return [[by_id[i][k] for k in COUNTS.split(",")[1:]] for i in ids]

    first, again, other = run(7, "a"), run(7, "b"), run(8, "c")
    assert first == again
    assert first != other
    assert len({tuple(counts) for counts in first}) == 3  # posts differ from each other


def test_creator_counts_follow_the_posts(server: SandboxServer, http: httpx.Client,
                                         creator: Tokens, clock: FakeClock) -> None:
    before = _stats(http, creator)
    assert before == {"follower_count": 1234, "following_count": 56, "likes_count": 7890,
                      "video_count": 0}
    ids = [_publish(http, creator, clock), _publish(http, creator, clock)]
    clock.advance(3 * DAY)
    creator = connect(server, http)
    after = _stats(http, creator)
    likes = sum(v["like_count"] for v in _query(http, creator, ids))
    assert after["likes_count"] == 7890 + likes and likes > 0
    assert after["follower_count"] > 1234 and after["following_count"] == 56
    assert after["video_count"] == 2
    clock.advance(HOUR)
    assert _stats(http, creator)["follower_count"] >= after["follower_count"]


def test_only_the_callers_public_posts_have_counts(server: SandboxServer, http: httpx.Client,
                                                   creator: Tokens, clock: FakeClock) -> None:
    mine = _publish(http, creator, clock)
    _pid, hidden = publish_small(http, creator, clock, privacy_level="SELF_ONLY")
    assert hidden["publicaly_available_post_id"] == []
    quiet = connect(server, http, username="sandbox_quiet")
    theirs = _publish(http, quiet, clock)
    clock.advance(HOUR)
    assert [v["id"] for v in _query(http, creator, [mine, theirs])] == [mine]
    # the counts need video.list like every other video field
    basic = connect(server, http, grant=["user.info.basic"])
    response = http.post("/v2/video/query/", params={"fields": COUNTS}, headers=basic.headers,
                         json={"filters": {"video_ids": [mine]}})
    assert error_of(response) == (401, "scope_not_authorized")
    response = http.get("/v2/user/info/", params={"fields": "follower_count"},
                        headers=basic.headers)
    assert error_of(response) == (401, "scope_not_authorized")


def test_video_list_carries_the_same_counts(http: httpx.Client, creator: Tokens,
                                            clock: FakeClock) -> None:
    post_id = _publish(http, creator, clock)
    clock.advance(HOUR)
    listed = ok_data(http.post("/v2/video/list/", params={"fields": COUNTS},
                               headers=creator.headers, json={}))["videos"]
    assert listed == _query(http, creator, [post_id])


def test_counts_stay_in_tiktoks_integer_types() -> None:
    # int32 for like/comment/share (section 8): a reach far beyond that is clamped
    big = max((post_counts(seed, "x", 0, 0.0, 10**9) for seed in range(2000)),
              key=lambda c: c.view_count)
    assert big.like_count <= 2**31 - 1 and big.view_count < 2**63
    assert post_counts(1, "x", 0, 100.0, 50.0).view_count == 0  # before it went public
