"""How a public post's counts grow over time, and with them the creator's (issue 19).

TikTok gives no model, so this one only has to look like TikTok and be reproducible: a post's
counts are a pure function of (``stats_seed``, the creator's username, the post's ordinal among
the creator's public posts, oldest first, the time it became public, now). Two sandboxes with
the same seed that see the same posts at the same times answer the same numbers, whatever
random post IDs they gave out.

- Reach: log-normal (median ~2,000 views, a few posts 10x that), better for posts that went
  public in the evening (UTC) and on weekends, so a best-time chart has something to find.
- Curve: 85 % of the reach arrives with a time constant of 6-30 h, the rest over 5-20 days:
  most views in the first day, a slow tail for a month. Monotone: counts never go down.
- Likes 4-12 % of views, comments 0.2-0.8 %, shares 0.1-0.6 %; each post gains followers from
  0.5-2 % of its views. ``like_count``, ``comment_count`` and ``share_count`` are int32 on
  TikTok (section 8), ``view_count`` int64: clamped.
- The creator: ``follower_count`` and ``likes_count`` are the seeded base plus what the posts
  brought; ``following_count`` stays as seeded.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

__all__ = ["PostCounts", "post_counts"]

_INT32 = 2**31 - 1
_INT64 = 2**63 - 1
_HOUR = 3600.0
_DAY = 86400.0


@dataclass(frozen=True)
class PostCounts:
    view_count: int
    like_count: int
    comment_count: int
    share_count: int
    followers_gained: int


@dataclass(frozen=True)
class _Traits:
    reach: float
    fast_share: float
    fast_tau: float
    slow_tau: float
    like_rate: float
    comment_rate: float
    share_rate: float
    follow_rate: float


def _traits(seed: int, username: str, ordinal: int, public_at: float) -> _Traits:
    digest = hashlib.sha256(f"{seed}:{username}:{ordinal}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    hour = (public_at % _DAY) / _HOUR
    weekday = int(public_at // _DAY + 3) % 7  # 1970-01-01 was a Thursday; 5, 6 = Sat, Sun
    evening = math.exp(-(min(abs(hour - 20.0), 24.0 - abs(hour - 20.0)) ** 2) / 18.0)
    timing = (0.5 + 1.0 * evening) * (1.2 if weekday >= 5 else 1.0)
    return _Traits(
        reach=math.exp(rng.gauss(7.6, 1.1)) * timing,
        fast_share=0.85,
        fast_tau=rng.uniform(6 * _HOUR, 30 * _HOUR),
        slow_tau=rng.uniform(5 * _DAY, 20 * _DAY),
        like_rate=rng.uniform(0.04, 0.12),
        comment_rate=rng.uniform(0.002, 0.008),
        share_rate=rng.uniform(0.001, 0.006),
        follow_rate=rng.uniform(0.005, 0.02),
    )


def post_counts(seed: int, username: str, ordinal: int, public_at: float,
                now: float) -> PostCounts:
    """The counts of the creator's `ordinal`-th public post (0: the oldest), public since
    `public_at`, at `now` (all times epoch seconds)."""
    t = _traits(seed, username, ordinal, public_at)
    age = max(0.0, now - public_at)
    arrived = (t.fast_share * (1.0 - math.exp(-age / t.fast_tau))
               + (1.0 - t.fast_share) * (1.0 - math.exp(-age / t.slow_tau)))
    views = t.reach * arrived
    return PostCounts(
        view_count=min(_INT64, int(views)),
        like_count=min(_INT32, int(views * t.like_rate)),
        comment_count=min(_INT32, int(views * t.comment_rate)),
        share_count=min(_INT32, int(views * t.share_rate)),
        followers_gained=int(views * t.follow_rate),
    )
