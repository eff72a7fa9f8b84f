"""The Qt-free logic behind the schedule views: state groups and filters, what the user may
do with a post, its history in words, and the calendar's day arithmetic in a time zone.

The list and the calendar in ui/ paint what these functions decide, so the decisions are
tested (and type-checked strictly) without a QApplication.
"""

from __future__ import annotations

import bisect
import datetime as dt
import enum
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tiktok_desktop.domain.lifecycle import (
    ATTENTION,
    DONE,
    STATE_LABEL,
    STATE_TEXT,
    UPCOMING,
    waits_for_reconnect,
)
from tiktok_desktop.domain.lifecycle import state_label as lifecycle_state_label
from tiktok_desktop.domain.lifecycle import state_text as lifecycle_state_text
from tiktok_desktop.services.posts import PostsService, video_name
from tiktok_desktop.services.schedule import describe, zone
from tiktok_desktop.store import AccountStatus, Post, PostEvent, PostState

__all__ = [
    "GROUP_STATES",
    "POST_STATE_LABEL",
    "POST_STATE_TEXT",
    "STATE_LABELS",
    "WAITING_FOR_RECONNECT",
    "DueIndex",
    "PostFilter",
    "StateGroup",
    "day_bounds",
    "event_detail",
    "file_name",
    "group_of",
    "history",
    "local_date",
    "month_days",
    "state_label",
    "state_text",
    "wall_minutes",
    "week_start",
]


class StateGroup(enum.Enum):
    """The groups the schedule filter offers, in the order it offers them."""

    ALL = "All"
    UPCOMING = "Upcoming"
    ATTENTION = "Needs attention"
    PUBLISHED = "Published"
    DRAFTS = "Drafts"


GROUP_STATES: dict[StateGroup, frozenset[PostState]] = {
    StateGroup.UPCOMING: UPCOMING,
    StateGroup.ATTENTION: ATTENTION,  # the same set the status bar counts
    StateGroup.PUBLISHED: DONE,
    StateGroup.DRAFTS: frozenset({PostState.DRAFT}),
    StateGroup.ALL: frozenset(PostState),
}


# The words are domain.lifecycle's; a post's own words (state_text) may say more.
POST_STATE_TEXT = STATE_TEXT
POST_STATE_LABEL = STATE_LABEL  # a few words each, for the list's State column
# Every label the State column may show (it is sized to the widest).
STATE_LABELS = (*STATE_LABEL.values(), "Posted from inbox", "Published, not public",
                "Waiting for reconnect")
WAITING_FOR_RECONNECT = "Waiting for reconnect"


def state_label(post: Post, account: AccountStatus = AccountStatus.CONNECTED) -> str:
    """state_text in a few words, for the list's State column."""
    if waits_for_reconnect(post, account):
        return WAITING_FOR_RECONNECT
    return lifecycle_state_label(post)


def state_text(post: Post, account: AccountStatus = AccountStatus.CONNECTED) -> str:
    """The post's state as the schedule says it: a scheduled post of an account that is not
    connected is not "Scheduled" (it would not go out), it waits for the reconnect."""
    if waits_for_reconnect(post, account):
        return WAITING_FOR_RECONNECT
    return lifecycle_state_text(post)


def group_of(state: PostState) -> StateGroup:
    for group, states in GROUP_STATES.items():
        if group is not StateGroup.ALL and state in states:
            return group
    raise ValueError(f"state {state} is in no group")  # a new PostState needs a group


def file_name(path: str) -> str:
    """The file's name from a path written on any platform (cheaper than PurePath)."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class PostFilter:
    """What the schedule shows: one account (None = all), a state group, a search text."""

    account_id: int | None = None
    group: StateGroup = StateGroup.ALL
    text: str = ""

    # Computed once per filter: matches() runs for every one of 100k rows.
    @functools.cached_property
    def needle(self) -> str:
        return self.text.strip().casefold()

    @functools.cached_property
    def passes_all(self) -> bool:
        return self.account_id is None and self.group is StateGroup.ALL and not self.needle

    @functools.cached_property
    def _states(self) -> frozenset[PostState] | None:
        return None if self.group is StateGroup.ALL else GROUP_STATES[self.group]

    def matches(self, post: Post) -> bool:
        if self.account_id is not None and post.account_id != self.account_id:
            return False
        states = self._states
        if states is not None and post.state not in states:
            return False
        needle = self.needle
        if not needle:
            return True
        return needle in post.caption.casefold() or needle in video_name(post).casefold()


def history(posts: PostsService, post_id: int) -> list[PostEvent]:
    """Every state change of the post, oldest first."""
    return posts.repo.events(post_id)


_EPOCH_IN_DETAIL = re.compile(r"\b(rescheduled to )(\d{9,11})\b")


def event_detail(event: PostEvent, zone_name: str = "") -> str:
    """The event's detail for people: epoch seconds written by the service become dates."""
    return _EPOCH_IN_DETAIL.sub(
        lambda m: m.group(1) + describe(int(m.group(2)), zone_name), event.detail)


# -- calendar arithmetic ------------------------------------------------------------------------

def local_date(epoch: int, tz: dt.tzinfo) -> dt.date:
    return dt.datetime.fromtimestamp(epoch, tz).date()


def wall_minutes(epoch: int, tz: dt.tzinfo) -> tuple[dt.date, int]:
    """The day and the minute of that day the clocks in `tz` show at `epoch`."""
    when = dt.datetime.fromtimestamp(epoch, tz)
    return when.date(), when.hour * 60 + when.minute


def week_start(day: dt.date, first_weekday: int = 0) -> dt.date:
    """The first day of the week holding `day` (first_weekday: 0 = Monday ... 6 = Sunday)."""
    return day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)


def month_days(day: dt.date, first_weekday: int = 0) -> list[dt.date]:
    """The 42 days (6 weeks) a month grid shows for the month holding `day`."""
    start = week_start(day.replace(day=1), first_weekday)
    return [start + dt.timedelta(days=i) for i in range(42)]


def day_bounds(first: dt.date, last: dt.date, zone_name: str = "") -> tuple[int, int]:
    """Epochs [start, end) that cover the days first..last as the clocks in the zone show them.

    A midnight the clocks skip (some zones change at 00:00) counts from the first instant of
    that day, which is what Python's fold=0 arithmetic gives.
    """
    tz = zone(zone_name)
    start = dt.datetime.combine(first, dt.time(0), tz).timestamp()
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz).timestamp()
    return int(start), int(end)


class DueIndex:
    """Posts with a due time, sorted by it, for range look-ups in O(log n + visible)."""

    def __init__(self, posts: Iterable[Post] = ()) -> None:
        dated = sorted((p for p in posts if p.due_at is not None),
                       key=lambda p: (p.due_at, p.id))
        self._posts: list[Post] = dated
        self._epochs: list[int] = [p.due_at for p in dated if p.due_at is not None]
        self._by_id: dict[int, Post] = {p.id: p for p in dated}

    def __len__(self) -> int:
        return len(self._posts)

    def get(self, post_id: int) -> Post | None:
        return self._by_id.get(post_id)

    def between(self, start: int, end: int) -> Iterator[Post]:
        """Posts due in [start, end), soonest first."""
        lo = bisect.bisect_left(self._epochs, start)
        hi = bisect.bisect_left(self._epochs, end)
        return iter(self._posts[lo:hi])

    def remove(self, post_id: int) -> None:
        old = self._by_id.pop(post_id, None)
        if old is None or old.due_at is None:
            return
        i = bisect.bisect_left(self._epochs, old.due_at)
        while self._posts[i].id != post_id:
            i += 1
        del self._posts[i]
        del self._epochs[i]

    def put(self, post: Post) -> None:
        """Add or replace a post (a post without a due time leaves the index)."""
        self.remove(post.id)
        if post.due_at is None:
            return
        i = bisect.bisect_left(self._epochs, post.due_at)
        while i < len(self._posts) and self._posts[i].due_at == post.due_at \
                and self._posts[i].id < post.id:
            i += 1
        self._posts.insert(i, post)
        self._epochs.insert(i, post.due_at)
        self._by_id[post.id] = post
