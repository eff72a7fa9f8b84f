"""When a published post's and an account's counts are read from TikTok (issue 19).

A post: about 1 h after it went public, at 24 h, at 7 days, then daily up to 30 days; a slot is
its index in ``POST_OFFSETS``. TikTok only ever tells the counts of now, so a slot missed while
the app was closed cannot be filled afterwards: the catch-up takes the latest slot that has
come (with its real time), and the earlier missed ones stay empty.

An account: once per UTC day.
"""

from __future__ import annotations

__all__ = ["ACCOUNT_PERIOD", "LAST_OFFSET", "POST_OFFSETS", "account_day", "latest_slot",
           "next_slot_at", "slot_at"]

_HOUR = 3600
_DAY = 86400
POST_OFFSETS: tuple[int, ...] = (_HOUR, _DAY, *(d * _DAY for d in range(7, 31)))
LAST_OFFSET = POST_OFFSETS[-1]
ACCOUNT_PERIOD = _DAY


def slot_at(public_at: float, slot: int) -> float:
    return public_at + POST_OFFSETS[slot]


def latest_slot(public_at: float, now: float) -> int | None:
    """The latest slot whose time has come, or None before the first."""
    found = None
    for slot, offset in enumerate(POST_OFFSETS):
        if public_at + offset <= now:
            found = slot
    return found


def next_slot_at(public_at: float, taken: int | None) -> float | None:
    """When the slot after `taken` (None: nothing taken yet) comes; None when the plan is
    over."""
    following = 0 if taken is None else taken + 1
    if following >= len(POST_OFFSETS):
        return None
    return slot_at(public_at, following)


def account_day(at: float) -> int:
    """The UTC day number (days since 1970-01-01) an account snapshot counts for."""
    return int(at // ACCOUNT_PERIOD)
