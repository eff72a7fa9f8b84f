"""The computer's own time zone, as an IANA name the app can store beside each post.

Posts keep the zone they were set in by name (ARCHITECTURE.md "Data"), so "the system's zone"
must be a name. Where that name comes from:

1. ``TZ``: a zone name (``Europe/Berlin``, ``:Europe/Berlin``), a zone file (``/path/zone``),
   or a POSIX rule (``EST5EDT,M3.2.0,M11.1.0``, ``CET-1CEST,M3.5.0,M10.5.0/3``) that names no
   zone at all;
2. else the system's configuration, read by tzlocal (``/etc/localtime`` links,
   ``/etc/timezone``, and the Windows registry mapped to IANA names);
3. a copied ``/etc/localtime`` (not a link, so it names nothing) is matched by its bytes to a
   zone file.

Whatever is found is checked against what the C library shows as local time (the clock the
user sees), over three years around now; a name that disagrees is not used. A POSIX rule is
matched the same way, to a zone that keeps the same clock. Only when nothing agrees does the
app fall back to UTC, and then ``LocalZone.problem`` says so in plain words.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import time
import warnings
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import tzlocal

__all__ = ["LocalZone", "local_zone", "resolve_zone"]

log = logging.getLogger(__name__)

OffsetFn = Callable[[float], int]  # epoch seconds -> UTC offset in seconds
LOCALTIME_FILES = (Path("/etc/localtime"), Path("/usr/local/etc/localtime"))
_MAX_ZONE_FILE = 1024 * 1024
_STEP = 12 * 3600  # the clocks are compared every 12 hours over the window
_BEFORE, _AFTER = 366 * 86400, 2 * 366 * 86400
_NOT_ZONES = {"localtime", "posixrules", "Factory"}
_POSIX_NAME = re.compile(r"[A-Za-z]{3,}")


@dataclass(frozen=True)
class LocalZone:
    """``name``: the zone to use. ``how``: where it came from (for the log). ``note``: said
    quietly when the name was inferred from the clock. ``problem``: said to the user when the
    zone could not be told and UTC is used instead."""

    name: str
    how: str
    note: str = ""
    problem: str | None = None


def _libc_offset(epoch: float) -> int:
    return time.localtime(epoch).tm_gmtoff


def _zone_offset(name: str) -> OffsetFn:
    tz = zoneinfo.ZoneInfo(name)

    def offset(epoch: float) -> int:
        delta = dt.datetime.fromtimestamp(epoch, tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    return offset


def _valid(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@functools.cache
def _zone_names() -> tuple[str, ...]:
    """Every zone, the ones tz lists as canonical (zone1970.tab) first."""
    canonical: set[str] = set()
    for base in zoneinfo.TZPATH:
        tab = Path(base) / "zone1970.tab"
        try:
            lines = tab.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.split("\t")
            if len(fields) >= 3 and not line.startswith("#"):
                canonical.add(fields[2])
        break
    names = zoneinfo.available_timezones() - _NOT_ZONES
    # A clock with no name matches many zones: prefer the canonical ones, and among those not
    # a research station (Antarctica/Macquarie keeps Sydney's clock too).
    return tuple(sorted(names, key=lambda n: (
        n not in canonical, n.startswith(("Antarctica/", "Arctic/")), "/" not in n, n)))


def _fixed_offset_names(clock: OffsetFn, now: float) -> list[str]:
    """UTC, or Etc/GMT-N, for a clock that keeps one whole-hour offset."""
    offset = clock(now)
    if offset == 0:
        return ["UTC"]
    if offset % 3600 == 0 and -14 <= offset // 3600 <= 12:
        return [f"Etc/GMT{-offset // 3600:+d}"]  # Etc/GMT-2 is UTC+2 (POSIX signs)
    return []


def _agrees(offset: OffsetFn, clock: OffsetFn, instants: list[float]) -> bool:
    return all(offset(t) == clock(t) for t in instants)


def _same_clock(candidates: Iterable[str], clock: OffsetFn, now: float) -> str | None:
    """The first zone that keeps ``clock``'s UTC offsets from a year ago to two years ahead."""
    probes = [now, now - 182 * 86400, now + 182 * 86400]
    window = [now - _BEFORE + i * _STEP for i in range((_BEFORE + _AFTER) // _STEP)]
    for name in candidates:
        try:
            offset = _zone_offset(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            continue
        if _agrees(offset, clock, probes) and _agrees(offset, clock, window):
            return name
    return None


def _zone_for_file(path: Path) -> str | None:
    """The zone name of a zone file: by where it links to, else by its bytes."""
    real = os.path.realpath(path)
    for base in zoneinfo.TZPATH:
        prefix = os.path.join(base, "")
        if real.startswith(prefix) and _valid(real[len(prefix):]):
            return real[len(prefix):]
    try:
        if path.stat().st_size > _MAX_ZONE_FILE:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    for base in zoneinfo.TZPATH:
        for name in _zone_names():
            candidate = Path(base) / name
            try:
                if candidate.stat().st_size == len(data) and candidate.read_bytes() == data:
                    return name
            except OSError:
                continue
    return None


def _configured_name() -> str | None:
    """tzlocal's reading of the system's configuration (None when it names no zone)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tzlocal warns about odd configs; we check anyway
            return tzlocal.get_localzone_name()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
        log.info("the system's time zone configuration is unclear: %s", exc)
        return None


def _from_tz(tz: str, clock: OffsetFn, now: float) -> LocalZone | None:
    name = tz[1:] if tz.startswith(":") else tz
    if _valid(name):
        return LocalZone(name, "TZ")
    if os.path.isabs(name) and os.path.exists(name):
        found = _zone_for_file(Path(name))
        if found is not None and _same_clock([found], clock, now):
            return LocalZone(found, f"TZ file {name}")
    if not any(ch.isdigit() for ch in name):
        return None  # not a rule (a rule always has an offset): an unknown zone name
    # The rule's own name when tz has it (EST5EDT, CET for CET-1CEST,...), else any zone.
    hint = [h for h in (name.split(",")[0], *_POSIX_NAME.findall(name)[:1]) if _valid(h)]
    matched = _same_clock([*hint, *_fixed_offset_names(clock, now), *_zone_names()], clock,
                          now)
    if matched is None:
        return None
    note = "" if hint and matched == hint[0] else (
        f"TZ={tz} is a clock rule, not a time zone name; the app uses {matched}, which keeps "
        "the same time. To see your own city's name, pick it in Settings \u2192 Time zone.")
    return LocalZone(matched, "TZ rule", note)


def resolve_zone(tz: str | None, *, clock: OffsetFn = _libc_offset,
                 configured: Callable[[], str | None] = _configured_name,
                 localtime_files: Iterable[Path] = LOCALTIME_FILES,
                 now: float | None = None) -> LocalZone:
    """The local zone from ``TZ`` (None: unset), the configuration and the zone files, checked
    against ``clock`` (the C library's local time by default). Never raises."""
    at = time.time() if now is None else now
    if tz:
        found = _from_tz(tz, clock, at)
        if found is not None:
            return found
    elif tz is None:
        name = configured()
        if name and _valid(name) and _same_clock([name], clock, at):
            return LocalZone(name, "system configuration")
        for path in localtime_files:
            if path.exists():
                copied = _zone_for_file(path)
                if copied is not None and _same_clock([copied], clock, at):
                    return LocalZone(copied, f"contents of {path}")
        matched = _same_clock(_zone_names(), clock, at)
        if matched is not None:
            return LocalZone(matched, "the clock's offsets", (
                f"This computer's time zone has no name the app can find; it uses {matched}, "
                "which keeps the same time. To see your own city's name, pick it in Settings "
                "\u2192 Time zone."))
    if tz and not any(ch.isdigit() for ch in tz) and not os.path.isabs(tz.lstrip(":")):
        return LocalZone("UTC", "fallback", problem=(
            f"TZ={tz} is not a time zone this computer knows, so the computer's clock and "
            "this app show UTC. Set TZ to a zone name like Europe/Berlin, or pick your time "
            "zone in Settings \u2192 Time zone."))
    if clock(at) == 0 and _same_clock(["UTC"], clock, at):
        return LocalZone("UTC", "TZ is empty" if tz == "" else "the clock is UTC")
    shown = f"TZ={tz}" if tz else "the system's settings"
    return LocalZone("UTC", "fallback", problem=(
        f"This computer's time zone could not be told from {shown}, so times are shown and "
        "entered in UTC, which is not what the computer's clock shows. Pick your time zone in "
        "Settings \u2192 Time zone (or set TZ to a name like Europe/Berlin)."))


def _fingerprint() -> tuple[str | None, tuple[float, ...], tuple[str, ...]]:
    stamps = []
    for path in LOCALTIME_FILES:
        try:
            st = path.lstat()
            stamps += [st.st_mtime, float(st.st_ino)]
        except OSError:
            stamps.append(-1.0)
    return os.environ.get("TZ"), tuple(stamps), tuple(time.tzname)


@functools.lru_cache(maxsize=4)
def _cached(key: tuple[str | None, tuple[float, ...], tuple[str, ...]]) -> LocalZone:
    found = resolve_zone(key[0])
    log.info("local time zone: %s (from %s)", found.name, found.how)
    return found


def local_zone() -> LocalZone:
    """The computer's zone now; cheap to call often (re-read when TZ or /etc/localtime
    changes)."""
    return _cached(_fingerprint())
