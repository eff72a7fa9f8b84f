"""When a post goes out: local times in IANA zones (DST gaps and overlaps), the checks made
at scheduling time, and the next free queue slots.

Times are stored as UTC epoch seconds with the zone the user picked them in (ARCHITECTURE.md
"Data"), so a post set for 09:00 Europe/Berlin stays 09:00 there even if the computer later
moves to another zone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from tiktok_desktop.services.localzone import local_zone
from tiktok_desktop.store import Account, AccountStatus, PostMode, PostState
from tiktok_desktop.store.queue import Slot

__all__ = [
    "DAILY_POST_CAP",
    "PENDING_INBOX_CAP",
    "Resolved",
    "ScheduleError",
    "Timed",
    "check_schedule",
    "describe",
    "next_free_slots",
    "resolve_local",
    "system_zone_name",
    "zone",
]

DAILY_POST_CAP = 15  # "typically around 15" direct posts per creator per day (TIKTOK_API.md 5)
PENDING_INBOX_CAP = 5  # pending inbox shares per 24 h
MAX_AHEAD = dt.timedelta(days=366)
# A due time this far in the past still counts as "now" (the user took a moment to click).
PAST_TOLERANCE = 60
# Posts that count towards TikTok's daily cap / the pending inbox shares.
_LIVE = frozenset({PostState.SCHEDULED, PostState.PREPARING, PostState.UPLOADING,
                   PostState.PROCESSING, PostState.RETRY_WAIT, PostState.PUBLISHED,
                   PostState.IN_REVIEW, PostState.UNCONFIRMED, PostState.NEEDS_REVIEW,
                   PostState.NEEDS_RECONNECT})
# A draft the creator posted no longer waits; one that lapsed still counts for TikTok's 24 h.
_PENDING_INBOX = (_LIVE - {PostState.PUBLISHED, PostState.IN_REVIEW}) | {
    PostState.IN_INBOX, PostState.DRAFT_LAPSED}


class Timed(Protocol):
    """What the daily caps look at: a stored Post, or a row of a batch not stored yet."""

    @property
    def mode(self) -> PostMode: ...
    @property
    def state(self) -> PostState: ...
    @property
    def due_at(self) -> int | None: ...


class ScheduleError(Exception):
    """A time that cannot be used; the message says what to pick instead.

    ``instead``: for a wall time the clocks skip, the same moment after the change (a time
    that exists), so a caller can still check it (has it passed?) and offer it.
    """

    def __init__(self, message: str, instead: Resolved | None = None) -> None:
        super().__init__(message)
        self.instead = instead


def system_zone_name() -> str:
    """The computer's IANA zone name (services/localzone.py): from TZ (a name, a zone file or
    a POSIX rule), the system's configuration or a copied /etc/localtime, checked against the
    clock the user sees. "UTC" only when none of that works; local_zone().problem then says
    so, for the caller to show."""
    return local_zone().name


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name` ("" = the system's)."""
    try:
        return zoneinfo.ZoneInfo(name or system_zone_name())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Unknown time zone {name!r}: pick one from the list in "
                            "Settings.") from None


@dataclass(frozen=True)
class Resolved:
    epoch: int
    zone: str
    note: str = ""  # said to the user when the wall time was ambiguous


def _hm(t: dt.datetime) -> str:
    return t.strftime("%H:%M")


def resolve_local(local: dt.datetime, zone_name: str = "",
                  now: float | None = None) -> Resolved:
    """UTC epoch for a wall-clock time in a zone; refuses times the clocks skip.

    In the autumn overlap (a wall time that happens twice) the first one is used and the
    note says so. With ``now``, a skipped time whose day is already over says that too (the
    past check would otherwise never run for it).
    """
    if local.tzinfo is not None:
        raise ValueError("pass the wall-clock time without a zone")
    name = zone_name or system_zone_name()
    tz = zone(name)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    back = first.astimezone(dt.UTC).astimezone(tz)
    if back.replace(tzinfo=None) != local:
        # Spring forward: this wall time never happens; `back` is the same instant after it
        # (on another day when a whole day is skipped, as in Samoa on 30 Dec 2011).
        raise _skipped(local, name, back, now)
    note = ""
    if first.utcoffset() != second.utcoffset():
        note = (f"{_hm(first)} happens twice on {local:%a %d %b %Y} in {name} (the clocks go "
                f"back); the post goes out at the first {_hm(first)} ({first.tzname()}).")
    return Resolved(int(first.timestamp()), name, note)


def _skipped(local: dt.datetime, name: str, back: dt.datetime,
             now: float | None) -> ScheduleError:
    instead = Resolved(int(back.timestamp()), name)
    whole_day = back.date() != local.date()
    why = "the clocks skip that whole day" if whole_day else "the clocks go forward then"
    when = f"{local:%H:%M} does not exist on {local:%a %d %b %Y} in {name}"
    if now is not None and instead.epoch < now - PAST_TOLERANCE:
        return ScheduleError(f"{when} ({why}), and that time has already passed: pick a later "
                             "time, or choose Post now.", instead)
    pick = f"{_hm(back)} on {back:%a %d %b %Y}" if whole_day else _hm(back)
    return ScheduleError(f"{when}: {why}. Pick {pick} (the same moment after the change) or "
                         "another time.", instead)


def describe(epoch: int, zone_name: str = "") -> str:
    """'Mon 23 Nov 2026, 09:00 CET' in the zone the post was scheduled in."""
    when = dt.datetime.fromtimestamp(epoch, zone(zone_name))
    return f"{when:%a %d %b %Y, %H:%M} {when.tzname()}"


def check_schedule(account: Account, due_at: int, mode: PostMode, now: float,
                   others: Iterable[Timed], zone_name: str = "") -> list[str]:
    """Why this post cannot be scheduled then, one plain message per problem.

    `others` are the account's other posts (the one being edited left out).
    """
    problems: list[str] = []
    if account.status is not AccountStatus.CONNECTED:
        what = "was disconnected" if account.status is AccountStatus.DISCONNECTED \
            else "needs to be reconnected"
        problems.append(f"{account.label} {what}: select it under Accounts and click "
                        "Reconnect first.")
    if due_at < now - PAST_TOLERANCE:
        problems.append(f"{describe(due_at, zone_name)} has already passed: pick a later time, "
                        "or choose Post now.")
    elif due_at > now + MAX_AHEAD.total_seconds():
        problems.append("That is more than a year ahead, longer than TikTok keeps a sign-in: "
                        "pick a date within the next 12 months.")
    elif account.refresh_expires_at and due_at > account.refresh_expires_at:
        problems.append(f"{account.label}'s sign-in ends on "
                        f"{describe(account.refresh_expires_at, zone_name)}, before this post "
                        "is due: reconnect the account, then schedule it.")
    others = list(others)
    tz = zone(zone_name)
    if mode is PostMode.DIRECT:
        day = dt.datetime.fromtimestamp(due_at, tz).date()
        same_day = [p for p in others if p.mode is PostMode.DIRECT and p.state in _LIVE
                    and p.due_at is not None
                    and dt.datetime.fromtimestamp(p.due_at, tz).date() == day]
        if len(same_day) >= DAILY_POST_CAP:
            problems.append(
                f"{account.label} already has {len(same_day)} posts on {day:%a %d %b}. TikTok "
                f"allows about {DAILY_POST_CAP} a day per account: pick another day.")
    else:
        window = [p for p in others if p.mode is PostMode.INBOX and p.state in _PENDING_INBOX
                  and p.due_at is not None and abs(p.due_at - due_at) < 86400]
        if len(window) >= PENDING_INBOX_CAP:
            problems.append(
                f"{account.label} would have more than {PENDING_INBOX_CAP} videos waiting in "
                "the TikTok inbox within 24 hours, which TikTok refuses. Post the waiting ones "
                "from the TikTok app first, or pick a time a day later.")
    return problems


def next_free_slots(slots: Iterable[Slot], zone_name: str, after: float,
                    taken: Iterable[int], count: int = 1) -> list[int]:
    """The next `count` slot times (epoch) after `after` that no post occupies."""
    ordered = sorted(set(slots))
    if not ordered or count <= 0:
        return []
    tz = zone(zone_name)
    busy = set(taken)
    found: list[int] = []
    start = dt.datetime.fromtimestamp(after, tz).date()
    for offset in range(0, 7 * 60):  # up to 60 weeks ahead
        day = start + dt.timedelta(days=offset)
        for slot in ordered:
            if slot.weekday != day.weekday():
                continue
            wall = dt.datetime.combine(day, dt.time(slot.minute // 60, slot.minute % 60))
            try:
                epoch = resolve_local(wall, zone_name).epoch
            except ScheduleError:
                continue  # the slot falls in a DST gap this week: skip it
            if epoch > after and epoch not in busy:
                found.append(epoch)
                busy.add(epoch)
                if len(found) == count:
                    return found
    return found
