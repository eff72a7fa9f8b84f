"""The schedule CSV's bad rows and the message each must get, shared by the two front ends
that check a file (``posts import`` in tests/cli and the bulk window's preview in tests/ui):
one contract, written once."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HEADER = "file,account,caption,when,zone,privacy,interactions,disclosure,ai_label,inbox,cover_ms"


def day(days: int, hour: int = 9, minute: int = 0) -> str:
    """``days`` from today in Berlin at hour:minute, as the CSV writes it."""
    when = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days)
    return f"{when:%Y-%m-%d} {hour:02d}:{minute:02d}"


def next_spring_forward() -> dt.date:
    """The next last Sunday of March (Europe's clocks skip 02:00-03:00)."""
    today = dt.datetime.now(BERLIN).date()
    for year in (today.year, today.year + 1):
        sunday = dt.date(year, 3, 31)
        sunday -= dt.timedelta(days=(sunday.weekday() + 1) % 7)
        if sunday > today:
            return sunday
    raise AssertionError("unreachable")


GOOD_ROW = f"clip0.mp4,@sandbox_creator,fine,{day(2)},Europe/Berlin,everyone,,,,,"


def bad_rows(folder: Path) -> tuple[list[str], list[str]]:
    """A good row (row 2) and one row per kind of bad cell (rows 3 to 8) for a folder holding
    clip0.mp4 to clip2.mp4, and the message each bad cell gets, in order."""
    gap = next_spring_forward()
    rows = [
        GOOD_ROW,                                                                   # row 2
        f"clip1.mp4,@nobody,x,{day(2, 10)},Europe/Berlin,everyone,,,,,",            # row 3
        "clip1.mp4,@sandbox_creator,x,24/11/2026 09:00,Europe/Berlin,everyone,,,,,",  # row 4
        f"clip1.mp4,@sandbox_creator,x,{gap:%Y-%m-%d} 02:30,Europe/Berlin,everyone,,,,,",
        f"missing.mp4,@sandbox_creator,x,{day(2, 11)},Europe/Berlin,everyone,,,,,",  # row 6
        f"clip2.mp4,@sandbox_creator,{'a' * 2201},{day(2, 12)},Europe/Berlin,everyone,,,,,",
        f"clip2.mp4,@sandbox_creator,x,{day(2, 13)},Europe/Berlin,followers,,,,,",   # row 8
    ]
    messages = [
        "row 3, column 'account': No account matches '@nobody': use one of @sandbox_creator.",
        "row 4, column 'when': Cannot read '24/11/2026 09:00' as a date and time: write it as "
        "YYYY-MM-DD HH:MM, e.g. 2026-11-24 09:00 (in a spreadsheet, format the column as "
        "text), or leave it empty for the next free queue slot.",
        f"row 5, column 'when': 02:30 does not exist on {gap:%a %d %b %Y} in Europe/Berlin: "
        "the clocks go forward then. Pick 03:30 (the same moment after the change) or another "
        "time.",
        f"row 6, column 'file': There is no file {folder / 'missing.mp4'}: check the name and "
        "folder (a relative path starts from the CSV file's folder).",
        "row 7, column 'caption': The caption is 1 character too long (TikTok counts 2201 of "
        "2200).",
        "row 8, column 'privacy': Sandbox Creator (@sandbox_creator) does not offer "
        "“Followers”: choose Everyone, Friends or Only me.",
    ]
    return rows, messages
