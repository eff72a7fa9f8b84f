"""The computer's time zone by name: TZ names, files and POSIX rules, the configuration, a
copied /etc/localtime, each checked against the clock; UTC only with a message."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tiktok_desktop.services.localzone import LocalZone, local_zone, resolve_zone
from tiktok_desktop.services.schedule import describe, resolve_local, system_zone_name

JAN, JUL = dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC), dt.datetime(2027, 7, 15, 12, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.UTC).timestamp()
needs_tzdata = pytest.mark.skipif(not Path("/usr/share/zoneinfo/Europe/Berlin").exists(),
                                  reason="needs the system's zone files")


@pytest.fixture
def system_tz() -> Iterator[Callable[[str], None]]:
    """Set the process's TZ as a user's shell would, and put it back after."""
    before = os.environ.get("TZ")

    def set_tz(value: str) -> None:
        os.environ["TZ"] = value
        time.tzset()

    yield set_tz
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def offsets(name: str) -> tuple[dt.timedelta | None, dt.timedelta | None]:
    tz = zoneinfo.ZoneInfo(name)
    return JAN.astimezone(tz).utcoffset(), JUL.astimezone(tz).utcoffset()


def clock_of(name: str) -> Callable[[float], int]:
    tz = zoneinfo.ZoneInfo(name)
    return lambda epoch: int(dt.datetime.fromtimestamp(epoch, tz).utcoffset()
                             .total_seconds())  # type: ignore[union-attr]


@pytest.mark.parametrize("rule, name", [
    ("EST5EDT,M3.2.0,M11.1.0", "EST5EDT"),
    ("CET-1CEST,M3.5.0,M10.5.0/3", "CET"),
])
def test_a_posix_tz_rule_is_named_by_the_zone_it_spells(
        system_tz: Callable[[str], None], rule: str, name: str) -> None:
    """Before: anything in TZ that was not a zone name became UTC, while the clock (and the
    rest of the desktop) showed New York or Berlin time."""
    system_tz(rule)
    found = local_zone()
    assert (found.name, found.problem, found.note) == (name, None, "")
    assert system_zone_name() == name
    # And the app's times are the clock's.
    epoch = resolve_local(dt.datetime(2027, 7, 15, 9, 0)).epoch
    assert time.localtime(epoch)[:5] == (2027, 7, 15, 9, 0)


def test_a_posix_rule_without_a_zone_name_gets_a_zone_with_the_same_clock(
        system_tz: Callable[[str], None]) -> None:
    system_tz("AEST-10AEDT,M10.1.0,M4.1.0/3")
    found = local_zone()
    assert offsets(found.name) == offsets("Australia/Sydney")
    assert found.name.startswith("Australia/") and found.problem is None
    assert found.note.startswith("TZ=AEST-10AEDT,M10.1.0,M4.1.0/3 is a clock rule, not a time "
                                 f"zone name; the app uses {found.name}")


@needs_tzdata
def test_tz_pointing_at_a_copied_zone_file(system_tz: Callable[[str], None],
                                           tmp_path: Path) -> None:
    copy = tmp_path / "my-zone"
    shutil.copyfile("/usr/share/zoneinfo/Europe/Berlin", copy)
    system_tz(str(copy))
    assert local_zone().name == "Europe/Berlin"
    assert describe(int(JUL.timestamp())) == "Thu 15 Jul 2027, 14:00 CEST"


@needs_tzdata
def test_a_copied_etc_localtime_is_named_by_its_contents(tmp_path: Path) -> None:
    """Copied (not linked) into /etc, it names no zone: before, the app said UTC."""
    copy = tmp_path / "localtime"
    shutil.copyfile("/usr/share/zoneinfo/Asia/Tokyo", copy)
    found = resolve_zone(None, clock=clock_of("Asia/Tokyo"), configured=lambda: None,
                         localtime_files=[copy], now=NOW)
    assert found == LocalZone("Asia/Tokyo", f"contents of {copy}")


def test_a_configured_name_the_clock_disagrees_with_is_not_used() -> None:
    """/etc/timezone says Berlin, the clock keeps Tokyo time: the clock wins, and says so."""
    found = resolve_zone(None, clock=clock_of("Asia/Tokyo"), configured=lambda: "Europe/Berlin",
                         localtime_files=[], now=NOW)
    assert offsets(found.name) == offsets("Asia/Tokyo")
    assert "has no name the app can find" in found.note and found.problem is None


def test_the_configuration_is_used_when_it_agrees() -> None:
    found = resolve_zone(None, clock=clock_of("America/Sao_Paulo"),
                         configured=lambda: "America/Sao_Paulo", localtime_files=[], now=NOW)
    assert found == LocalZone("America/Sao_Paulo", "system configuration")


def test_when_nothing_keeps_the_clock_utc_is_used_and_said() -> None:
    odd = resolve_zone(None, clock=lambda _t: 17 * 60, configured=lambda: None,
                       localtime_files=[], now=NOW)
    assert odd.name == "UTC"
    assert odd.problem == (
        "This computer's time zone could not be told from the system's settings, so times are "
        "shown and entered in UTC, which is not what the computer's clock shows. Pick your "
        "time zone in Settings \u2192 Time zone (or set TZ to a name like Europe/Berlin).")


def test_an_unknown_zone_name_in_tz_is_said(system_tz: Callable[[str], None]) -> None:
    system_tz("Europe/Atlantis")
    found = local_zone()
    assert found.name == "UTC"
    assert found.problem is not None and found.problem.startswith(
        "TZ=Europe/Atlantis is not a time zone this computer knows")


def test_zone_names_and_utc_are_taken_as_they_are(system_tz: Callable[[str], None]) -> None:
    system_tz(":America/New_York")
    assert local_zone() == LocalZone("America/New_York", "TZ")
    system_tz("UTC")
    assert local_zone() == LocalZone("UTC", "TZ")
    system_tz("")  # set but empty: the C library uses UTC
    assert local_zone().name == "UTC" and local_zone().problem is None
