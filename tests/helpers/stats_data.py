"""Published posts with TikTok's readings in a real database, many at once (one executemany),
for the charts' tests and benchmarks/bench_dashboard.py. The counts are the sandbox's own
growth model (sandbox/growth.py), read at the engine's slots, so the pictures look like what
the app would have gathered."""

from __future__ import annotations

import json
import random

from tiktok_desktop.domain import stats_plan
from tiktok_desktop.sandbox.growth import post_counts
from tiktok_desktop.store import Database
from tiktok_desktop.store.post_keys import listing_keys

DAY = 86400
_POST_COLUMNS = ("account_id", "video_path", "video_size", "video_meta", "caption",
                 "privacy_level", "due_at", "due_tz", "state", "consent_at", "created_at",
                 "updated_at", "video_name", "name_fold", "caption_line", "caption_fold",
                 "post_ids", "share_url", "published_at")
CAPTIONS = ("Pancakes in 60 seconds", "Studio tour", "Q&A: your questions", "Friday drop",
            "Morning routine", "Three knife skills", "Behind the scenes", "Sourdough day")


def fill(db: Database, account_id: int, posts: int, now: int, *, seed: int = 19,
         span_days: int | None = None, username: str = "sandbox_creator",
         follower_base: int = 1234) -> list[int]:
    """`posts` public posts published over the last `span_days` (default: about two a day)
    before `now`, each read at every slot of its plan that has come, and the account read
    daily over the same span. Returns the post ids, oldest first."""
    rng = random.Random(seed)
    span = span_days if span_days is not None else max(31, posts // 2)
    start = now - span * DAY
    times = sorted(start + rng.randrange(span * DAY - 3600) for _ in range(posts))
    rows = []
    for i, at in enumerate(times):
        caption = f"{CAPTIONS[i % len(CAPTIONS)]} #{i}"
        name = f"clip_{i:05d}.mp4"
        keys = listing_keys(caption, f"/videos/{name}", {})
        rows.append((account_id, f"/videos/{name}", 1000, "{}", caption, "PUBLIC_TO_EVERYONE",
                     at, "UTC", "published", at, at, at, keys["video_name"], keys["name_fold"],
                     keys["caption_line"], keys["caption_fold"],
                     json.dumps([str(7_100_000_000_000_000_000 + i)]),
                     f"https://www.tiktok.com/@{username}/video/{7_100_000_000_000_000_000 + i}",
                     at))
    marks = ", ".join("?" * len(_POST_COLUMNS))
    with db.transaction() as c:
        first = c.execute("SELECT COALESCE(MAX(id), 0) FROM posts").fetchone()[0] + 1
        c.executemany(f"INSERT INTO posts ({', '.join(_POST_COLUMNS)}) "  # noqa: S608
                      f"VALUES ({marks})", rows)
        ids = list(range(first, first + posts))
        readings = []
        gained = [0] * (span + 2)
        for ordinal, (post_id, at) in enumerate(zip(ids, times, strict=True)):
            tiktok_id = str(7_100_000_000_000_000_000 + ordinal)
            for slot, offset in enumerate(stats_plan.POST_OFFSETS):
                taken = at + offset
                if taken > now:
                    break
                n = post_counts(seed, username, ordinal, at, taken)
                readings.append((post_id, tiktok_id, slot, taken, n.view_count, n.like_count,
                                 n.comment_count, n.share_count))
            final = post_counts(seed, username, ordinal, at, now)
            gained[min(span + 1, (at - start) // DAY + 1)] += final.followers_gained
        c.executemany("INSERT INTO post_stats (post_id, tiktok_id, slot, taken_at, view_count, "
                      "like_count, comment_count, share_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      readings)
        followers = follower_base
        days = []
        for d in range(span + 1):
            followers += gained[d]
            taken = start + d * DAY
            days.append((account_id, stats_plan.account_day(taken), taken, followers, 56,
                         7890 + followers * 6, None))
        c.executemany("INSERT OR IGNORE INTO account_stats (account_id, day, taken_at, "
                      "follower_count, following_count, likes_count, video_count) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)", days)
    return ids
