"""What the campaign proves, read from the sandbox (what "TikTok" received and answered).

Per post (matched to the sandbox's publishes by its unique caption):
- published exactly once: the app says published, and exactly one publish of it reached
  PUBLISH_COMPLETE: the app's publish_id, every byte, the file's SHA-256; and the post ID
  TikTok gave after moderation is the app's, with a link.
- unlinked: published exactly once, but the app lacks the ID (or link) TikTok gave it.
- duplicated: two or more publishes of it reached PUBLISH_COMPLETE (whatever the app says).
- lost: the app says published but TikTok has no complete publish (or another one than the
  app's), or the post never reached a final state.
- untracked: TikTok completed it but the app says failed / missed / unconfirmed (the user would
  post it again: a duplicate in waiting). Counted as lost.
- unconfirmed: the app gave up asking and TikTok really never completed it (allowed).
- failed (by reason): the app says failed with a reason and TikTok never completed it.

Rates: TikTok counts requests per endpoint per access token in a sliding one-minute window
(TIKTOK_API.md 5). The peak is the most calls of one token to one endpoint within any 60 s of
the sandbox's clock, counting every call the client sent (also those answered with an error,
a fault or a 429).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.engine.conftest import sha256_of
from tiktok_desktop.sandbox.models import Call, PublishInfo
from tiktok_desktop.store import Post, PostState
from tiktok_desktop.store.video_refs import ref_sha256

WINDOW = 60.0
LIMITS: dict[str, int] = {
    "/v2/post/publish/video/init/": 6,
    "/v2/post/publish/creator_info/query/": 20,
    "/v2/post/publish/status/fetch/": 30,
}
SHORT_NAMES = {
    "/v2/post/publish/video/init/": "video/init",
    "/v2/post/publish/creator_info/query/": "creator_info",
    "/v2/post/publish/status/fetch/": "status/fetch",
}


@dataclass
class Outcome:
    exactly_once: int = 0
    unlinked: int = 0
    duplicated: int = 0
    lost: int = 0
    untracked: int = 0
    unconfirmed: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # one line per duplicated/lost post

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())


def classify(posts: Sequence[Post], publishes: Iterable[PublishInfo]) -> Outcome:
    by_title: dict[str, list[PublishInfo]] = defaultdict(list)
    for publish in publishes:
        by_title[str(publish.post_info.get("title", ""))].append(publish)
    hashes: dict[str, str] = {}
    out = Outcome()
    for post in posts:
        complete = [p for p in by_title.get(post.caption, []) if p.status == "PUBLISH_COMPLETE"]
        where = f"post {post.id} ({post.caption!r}, app: {post.state.value})"
        if len(complete) > 1:
            out.duplicated += 1
            out.problems.append(f"DUPLICATED {where}: {[p.publish_id for p in complete]}")
            continue
        if post.state is PostState.PUBLISHED:
            if post.video_path not in hashes:
                # A shared schedule's post names its stored video by the content's hash.
                hashes[post.video_path] = ref_sha256(post.video_path) or sha256_of(
                    Path(post.video_path))
            ok = (len(complete) == 1 and complete[0].publish_id == post.publish_id
                  and complete[0].uploaded_bytes == complete[0].video_size == post.video_size
                  and complete[0].sha256 == hashes[post.video_path])
            tiktok_ids = tuple(str(i) for i in complete[0].post_ids) if complete else ()
            if ok and tiktok_ids and (tuple(post.post_ids) != tiktok_ids or not post.share_url):
                out.unlinked += 1
                out.problems.append(f"UNLINKED {where}: TikTok gave {tiktok_ids}, app has "
                                    f"{tuple(post.post_ids)}")
            elif ok:
                out.exactly_once += 1
            else:
                out.lost += 1
                out.problems.append(f"LOST {where}: TikTok completed "
                                    f"{[(p.publish_id, p.sha256[:8]) for p in complete]}, app "
                                    f"has {post.publish_id}")
        elif post.state is PostState.IN_REVIEW:
            out.lost += 1  # published, but the link TikTok gives after its review never came
            out.problems.append(f"LOST {where}: still in review, not final")
        elif complete:
            out.untracked += 1
            out.problems.append(f"UNTRACKED {where}: TikTok completed {complete[0].publish_id}")
        elif post.state is PostState.UNCONFIRMED:
            out.unconfirmed += 1
        elif post.state is PostState.FAILED:
            out.failed[post.last_error_code or "?"] += 1
        else:
            out.lost += 1
            out.problems.append(f"LOST {where}: ended {post.state.value}, not on TikTok")
    return out


@dataclass(frozen=True)
class Peak:
    path: str
    limit: int
    peak: int  # most calls of one token within any WINDOW
    tokens: int  # tokens that called the endpoint
    calls: int
    peak_one_run: int = 0  # the same, counting only calls within one engine process's life

    @property
    def within(self) -> bool:
        return self.peak <= self.limit


def peak_rates(calls: Iterable[Call], spans: Sequence[tuple[float, float]] = (),
               limits: dict[str, int] = LIMITS) -> list[Peak]:
    """Peaks per endpoint over all tokens; ``spans`` (start, end) of each engine process, to
    tell a rate one process reached from one reached by several in turn."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for call in calls:
        if call.path in limits and call.token_id is not None:
            times[(call.path, call.token_id)].append(call.at)
    out = []
    for path, limit in limits.items():
        peak = one_run = total = tokens = 0
        for (p, _token), ats in times.items():
            if p != path:
                continue
            ats.sort()
            tokens += 1
            total += len(ats)
            peak = max(peak, max_in_window(ats))
            for start, end in spans:
                inside = [t for t in ats if start <= t <= end]
                if inside:
                    one_run = max(one_run, max_in_window(inside))
        out.append(Peak(path, limit, peak, tokens, total, one_run))
    return out


def max_in_window(sorted_times: Sequence[float], window: float = WINDOW) -> int:
    """Most times within (t - window, t] for any t (the sandbox's sliding window)."""
    best = start = 0
    for end, t in enumerate(sorted_times):
        while sorted_times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best
