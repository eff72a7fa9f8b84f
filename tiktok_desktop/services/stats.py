"""Statistics for the window and the commands (issue 19): the schedule list's views/likes, the
charts' data, and the CSV export (GUI and ``tiktok-desktop stats export``).

The export is plain CSV (UTF-8, a header row, ISO 8601 times with the UTC offset of this
computer's zone). Text cells that a spreadsheet would run as a formula (starting with = + - @,
a tab or a carriage return) get a leading apostrophe: captions and names are not ours.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tiktok_desktop.domain import stats_plan
from tiktok_desktop.services.schedule import zone
from tiktok_desktop.store import AccountsRepo
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, PublishedPost, StatsStore

__all__ = ["ACCOUNT_COLUMNS", "POST_COLUMNS", "BestTimes", "ExportError", "StatsService",
           "best_times", "slot_label"]

POST_COLUMNS = ("post", "account", "caption", "published", "tiktok_id", "reading", "taken",
                "hours_after_publishing", "views", "likes", "comments", "shares", "note")
ACCOUNT_COLUMNS = ("account", "day", "taken", "followers", "following", "likes", "videos")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    """The export could not be written; the message says what to do."""


def slot_label(slot: int) -> str:
    """A reading's name: "1 h", "24 h", "7 days", "day 8"..."""
    offset = stats_plan.POST_OFFSETS[slot]
    if offset < 86400:
        return f"{offset // 3600} h"
    if offset == 86400:
        return "24 h"
    if offset == 7 * 86400:
        return "7 days"
    return f"day {offset // 86400}"


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _when(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class BestTimes:
    """The best-time heatmap's data: per (weekday 0 = Monday, hour) of publishing in the
    shown zone, how many posts and the median of their views 24 h later."""

    posts: int
    cells: dict[tuple[int, int], tuple[int, float]]

    @property
    def busiest(self) -> int:
        return max((n for n, _ in self.cells.values()), default=0)


def best_times(day_views: Sequence[tuple[int, int]], zone_name: str = "") -> BestTimes:
    """Group (published_at, views at 24 h) by the weekday and hour the post went out, in the
    zone the app shows; the median resists the one post that went viral.

    The zone's UTC offset is looked up once per day (twice, to catch a day whose offset
    changes: such a day's posts are converted one by one), not once per post: 10,000 posts
    take a few milliseconds."""
    tz = zone(zone_name)
    offsets: dict[int, int | None] = {}
    groups: dict[tuple[int, int], list[int]] = {}
    for published_at, views in day_views:
        day = published_at // 86400
        if day not in offsets:
            first = dt.datetime.fromtimestamp(day * 86400, tz).utcoffset()
            last = dt.datetime.fromtimestamp(day * 86400 + 86399, tz).utcoffset()
            offsets[day] = int(first.total_seconds()) if first == last and first is not None \
                else None
        offset = offsets[day]
        if offset is None:
            when = dt.datetime.fromtimestamp(published_at, tz)
            key = (when.weekday(), when.hour)
        else:
            local = published_at + offset
            key = ((local // 86400 + 3) % 7, local % 86400 // 3600)  # 1970-01-01: Thursday
        groups.setdefault(key, []).append(views)
    return BestTimes(len(day_views), {k: (len(v), float(statistics.median(v)))
                                      for k, v in groups.items()})


class StatsService:
    def __init__(self, stats: StatsStore, accounts: AccountsRepo) -> None:
        self.stats = stats
        self.accounts = accounts

    # --- the window -------------------------------------------------------------------------

    def latest(self, post_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """(views, likes) of each post's latest reading (the schedule list's columns)."""
        return self.stats.latest(post_ids)

    def any_counts(self) -> bool:
        """Some published post has TikTok's counts (the list's column is worth its room)."""
        return self.stats.any_counts()

    def post_series(self, post_id: int) -> list[PostSnapshot]:
        return self.stats.post_series(post_id)

    def account_series(self, account_id: int) -> list[AccountSnapshot]:
        return self.stats.account_series(account_id)

    def last_posts(self, account_id: int, count: int = 30) -> list[PublishedPost]:
        """The account's last `count` published posts, oldest first (side by side)."""
        return list(reversed(self.stats.published_posts(account_id, limit=count)))

    def day_views(self, account_id: int) -> list[tuple[int, int]]:
        """(published_at, views 24 h later) of the account's posts (the best-time heatmap)."""
        return self.stats.views_at_slot(account_id, 1)

    # --- export -----------------------------------------------------------------------------

    def _names(self) -> dict[int, str]:
        return {a.id: a.label for a in self.accounts.all()}

    def write_posts_csv(self, out: TextIO, account_id: int | None = None) -> int:
        """Every post reading (or one account's) as CSV; returns the number of rows."""
        names = self._names()
        posts = {p.post_id: p for p in self.stats.published_posts(account_id)}
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(POST_COLUMNS)
        rows = 0
        for s in self.stats.all_post_snapshots(account_id):
            post = posts.get(s.post_id)
            if post is None:  # no longer published with an ID (edited back by TikTok)
                continue
            caption = post.caption.splitlines()[0] if post.caption else ""
            writer.writerow([
                s.post_id, _cell(names.get(post.account_id, str(post.account_id))),
                _cell(caption), _when(post.published_at), s.tiktok_id, slot_label(s.slot),
                _when(s.taken_at), round((s.taken_at - post.published_at) / 3600, 2),
                *("" if v is None else v for v in (s.view_count, s.like_count,
                                                   s.comment_count, s.share_count)),
                "TikTok no longer shows this post" if s.gone else "",
            ])
            rows += 1
        return rows

    def write_accounts_csv(self, out: TextIO, account_id: int | None = None) -> int:
        """Every account's daily reading (or one account's) as CSV; returns the rows."""
        names = self._names()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(ACCOUNT_COLUMNS)
        rows = 0
        for s in self.stats.all_account_snapshots(account_id):
            day = dt.date(1970, 1, 1) + dt.timedelta(days=s.day)
            writer.writerow([
                _cell(names.get(s.account_id, str(s.account_id))), day.isoformat(),
                _when(s.taken_at), s.follower_count,
                "" if s.following_count is None else s.following_count, s.likes_count,
                "" if s.video_count is None else s.video_count,
            ])
            rows += 1
        return rows

    def export(self, path: Path, *, accounts: bool = False,
               account_id: int | None = None) -> int:
        """Write the CSV to `path` whole or not at all (a temporary file beside it, then
        renamed): an existing file is replaced only by a complete export."""
        folder = path.parent
        if not folder.is_dir():
            raise ExportError(f"The folder {folder} does not exist: choose another place or "
                              "create the folder first.")
        if path.is_dir():
            raise ExportError(f"{path} is a folder: give a file name such as stats.csv.")
        try:
            fd, tmp = tempfile.mkstemp(prefix=".stats-", suffix=".csv", dir=folder)
        except OSError as exc:
            raise ExportError(f"Cannot write in {folder} ({exc.strerror}): choose a folder "
                              "you can write to.") from exc
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                if accounts:
                    rows = self.write_accounts_csv(out, account_id)
                else:
                    rows = self.write_posts_csv(out, account_id)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ExportError(f"Could not write {path} ({exc.strerror}); nothing was "
                              "changed there. Free some space or choose another place.") from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return rows
