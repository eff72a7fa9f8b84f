"""The schedule as a CSV file: import, checked cell by cell before anything is scheduled, and
export in the same format, so that exporting and importing again reproduces the schedule.

The file: UTF-8 text (Excel's BOM is fine), comma-, semicolon- or tab-separated, a first row
naming the columns (any order, any case; only ``file`` and ``account`` are required):

  file          the video; a relative path starts from the CSV file's folder
  account       @username (or the account's id or open_id)
  caption       the caption, #hashtags and @mentions included (line breaks in double quotes)
  when          local date and time, YYYY-MM-DD HH:MM[:SS]; blank = the account's next free
                queue slot; an offset (+01:00) picks one of a time that happens twice
  zone          IANA time zone of "when" (blank = the app's)
  privacy       everyone, friends, followers or only-me (what the account offers)
  interactions  which to allow: comment, duet, stitch (blank = none)
  disclosure    your brand, branded content, or both (blank = nothing to disclose)
  ai_label      yes when the video is AI-generated
  inbox         yes to send it to the TikTok inbox instead of posting directly
  cover_ms      the cover frame, milliseconds from the start (blank = TikTok's default)

Rows are numbered as a spreadsheet shows them: the header is row 1. Qt-free.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tiktok_desktop.paths import explain_os_error
from tiktok_desktop.services.bulk import (
    AccountFacts,
    BulkRefused,
    BulkRow,
    BulkService,
    CellProblem,
    Column,
    ProbedVideo,
)
from tiktok_desktop.services.library import CancelFn, ProgressFn
from tiktok_desktop.services.schedule import ScheduleError, resolve_local, zone
from tiktok_desktop.store import Account, Post, PostMode

__all__ = ["CsvError", "CsvImport", "CsvRow", "export_posts", "read_csv"]

MAX_BYTES = 20 * 1024 * 1024  # ~100k rows of long captions: more is not a schedule
PRIVACY_WORDS = {"everyone": "PUBLIC_TO_EVERYONE", "friends": "MUTUAL_FOLLOW_FRIENDS",
                 "followers": "FOLLOWER_OF_CREATOR", "only-me": "SELF_ONLY"}
_PRIVACY_NAMES = {v: k for k, v in PRIVACY_WORDS.items()}
_ALIASES = {"date_time": Column.WHEN, "datetime": Column.WHEN, "date": Column.WHEN,
            "time_zone": Column.ZONE, "timezone": Column.ZONE, "ai": Column.AI_LABEL,
            "ai_generated": Column.AI_LABEL, "cover": Column.COVER, "video": Column.FILE,
            "who_can_view": Column.PRIVACY, "allow": Column.INTERACTIONS}
_YES = {"yes", "y", "true", "1", "x", "on"}
_NO = {"", "no", "n", "false", "0", "off"}
_INTERACTIONS = {"comment": "comment", "comments": "comment", "duet": "duet",
                 "duets": "duet", "stitch": "stitch", "stitches": "stitch"}
_DISCLOSURE = {"your brand": "organic", "brand organic": "organic",
               "promotional content": "organic", "branded content": "branded",
               "paid partnership": "branded"}
_WORD_SPLIT = re.compile(r"\s*(?:[,;+/|&]|\band\b)\s*")
_SPACE_SPLIT = re.compile(r"(?:\s|[,;+/|&]|\band\b)+")
_WHEN = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2}(?::\d{2})?)\s*"
                   r"(Z|[+-]\d{2}:?\d{2})?")
# Spreadsheets run a cell starting with these as a formula; an export guards it with a
# quote, which an import takes off again (a caption that starts with a quote gets two).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_NOT_FOR_INBOX = (Column.PRIVACY, Column.INTERACTIONS, Column.DISCLOSURE, Column.AI_LABEL)


class CsvError(Exception):
    """The file cannot be read as a schedule at all; the message says what to do."""


@dataclass
class CsvRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    row: BulkRow
    problems: dict[Column, str] = field(default_factory=dict)  # from reading the cells


def _not_csv(path: Path, why: str) -> CsvError:
    return CsvError(f"{path.name} is not a CSV file ({why}). Save the schedule as CSV: in a "
                    "spreadsheet, File → Save As → 'CSV UTF-8 (comma delimited)'.")


def _text(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except IsADirectoryError:
        raise CsvError(f"{path} is a folder: choose the CSV file in it.") from None
    except OSError as exc:
        raise CsvError(explain_os_error(path, exc, "the CSV file")) from None
    if len(data) > MAX_BYTES:
        raise CsvError(f"{path.name} is larger than {MAX_BYTES // 2**20} MB, far more than a "
                       "schedule: split it into several files.")
    if data.startswith(b"PK\x03\x04"):
        raise _not_csv(path, "it is a spreadsheet workbook such as .xlsx")
    if b"\x00" in data[:65536]:
        raise _not_csv(path, "it contains binary data")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_csv(path, f"it is not UTF-8 text: byte {exc.start + 1} cannot be read") \
            from None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _column(name: str) -> Column | None:
    key = re.sub(r"[\s/\-]+", "_", name.strip().lower())
    try:
        return Column(key)
    except ValueError:
        return _ALIASES.get(key)


def read_csv(path: Path, accounts: Iterable[Account], zone_name: str) -> list[CsvRow]:
    """Every row of the file with the problems its cells have on their own (CsvError when
    the file is not a schedule CSV at all)."""
    text = _text(path)
    if not text.strip():
        raise CsvError(f"{path.name} is empty: its first row must name the columns, e.g. "
                       f"{','.join(Column)}.")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise _not_csv(path, str(exc)) from None
    header = records[0]
    columns: list[Column | None] = [_column(h) for h in header]
    unknown = [h for h, c in zip(header, columns, strict=True) if c is None and h.strip()]
    if Column.FILE not in columns or Column.ACCOUNT not in columns:
        raise CsvError(f"{path.name} does not look like a schedule: its first row must name "
                       f"the columns, at least 'file' and 'account' (all: {', '.join(Column)}).")
    doubled = sorted({c.value for c in columns if c is not None and columns.count(c) > 1})
    if unknown or doubled:
        what = [f"'{h.strip()}' is not a column" for h in unknown]
        what += [f"'{c}' is named twice" for c in doubled]
        raise CsvError(f"Row 1 of {path.name}: {'; '.join(what)}. The columns are: "
                       f"{', '.join(Column)}.")
    by_key = _account_keys(accounts)
    rows = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        rows.append(_row(number, cells, columns, path.parent, by_key, zone_name))
    if not rows:
        raise CsvError(f"{path.name} has no rows below the column names: one row per video.")
    return rows


def _account_keys(accounts: Iterable[Account]) -> dict[str, Account]:
    keys: dict[str, Account] = {}
    for a in accounts:
        keys.update({str(a.id): a, a.open_id: a})
        if a.username:
            keys.update({f"@{a.username}".lower(): a, a.username.lower(): a})
    return keys


def _row(number: int, cells: list[str], columns: list[Column | None], folder: Path,
         accounts: Mapping[str, Account], zone_name: str) -> CsvRow:
    values: dict[Column, str] = {}
    problems: dict[Column, str] = {}
    for i, cell in enumerate(cells):
        column = columns[i] if i < len(columns) else None
        if column is not None:
            values[column] = cell
        elif cell.strip():
            problems[Column.CAPTION] = (
                "This row has more cells than the first row has column names: put a caption "
                "with commas (or semicolons) in double quotes.")

    def get(column: Column) -> str:
        return values.get(column, "").strip()

    path = _file(get(Column.FILE), folder, problems)
    account = _account(get(Column.ACCOUNT), accounts, problems)
    mode = PostMode.INBOX if _yes_no(get(Column.INBOX), Column.INBOX, problems) \
        else PostMode.DIRECT
    if mode is PostMode.INBOX:
        for column in _NOT_FOR_INBOX:
            if get(column).lower() not in (*_NO, "none"):
                problems[column] = ("Leave it empty for inbox posts: the creator chooses this "
                                    "in the TikTok app when posting from the inbox.")
    zone_text = get(Column.ZONE)
    zone_ok = _zone_ok(zone_text, problems)
    due_at = _when(get(Column.WHEN), zone_text or zone_name, problems) if zone_ok else None
    disclose, organic, branded = _disclosure(get(Column.DISCLOSURE), problems)
    allowed = _interactions(get(Column.INTERACTIONS), problems)
    row = BulkRow(
        path=path, account_id=account.id if account else None,
        caption=_unguard(values.get(Column.CAPTION, "")), due_at=due_at,
        due_tz=zone_text or zone_name, privacy_level=_privacy(get(Column.PRIVACY), problems),
        allow_comment="comment" in allowed, allow_duet="duet" in allowed,
        allow_stitch="stitch" in allowed, disclose=disclose, brand_organic=organic,
        brand_content=branded, is_aigc=_yes_no(get(Column.AI_LABEL), Column.AI_LABEL, problems),
        mode=mode, cover_time_ms=_cover(get(Column.COVER), problems))
    return CsvRow(number, row, problems)


def _file(text: str, folder: Path, problems: dict[Column, str]) -> str:
    if not text:
        problems[Column.FILE] = "Give the video file (its path, or its name beside the CSV)."
        return ""
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = folder / path
    if path.is_dir():
        problems[Column.FILE] = f"{path} is a folder: name the video file in it."
    elif not path.exists():
        problems[Column.FILE] = (f"There is no file {path}: check the name and folder (a "
                                 "relative path starts from the CSV file's folder).")
    return os.fspath(path.absolute())


def _account(text: str, accounts: Mapping[str, Account],
             problems: dict[Column, str]) -> Account | None:
    found = accounts.get(text) or accounts.get(text.lower())
    if found is None:
        names = sorted({f"@{a.username}" if a.username else a.open_id
                        for a in accounts.values()})
        known = f"one of {', '.join(names)}" if names else "connect an account first"
        problems[Column.ACCOUNT] = (f"No account matches '{text}': use {known}." if text else
                                    f"Give the account to post to: {known}.")
    return found


def _zone_ok(text: str, problems: dict[Column, str]) -> bool:
    if not text:
        return True
    try:
        zone(text)
    except ScheduleError:
        problems[Column.ZONE] = (f"Unknown time zone '{text}': use an IANA name such as "
                                 "Europe/Berlin or America/New_York, or leave it empty for "
                                 "the app's zone.")
        return False
    return True


def _when(text: str, zone_name: str, problems: dict[Column, str]) -> int | None:
    if not text:
        return None  # the next free queue slot
    m = _WHEN.fullmatch(text)
    local = None
    if m:
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                local = dt.datetime.strptime(f"{m.group(1)} {m.group(2)}", fmt)
                break
            except ValueError:
                continue
    if local is None or m is None:
        problems[Column.WHEN] = (f"Cannot read '{text}' as a date and time: write it as "
                                 "YYYY-MM-DD HH:MM, e.g. 2026-11-24 09:00 (in a spreadsheet, "
                                 "format the column as text), or leave it empty for the next "
                                 "free queue slot.")
        return None
    try:
        resolved = resolve_local(local, zone_name)
    except ScheduleError as exc:
        problems[Column.WHEN] = str(exc)
        return None
    if m.group(3) is None:
        return resolved.epoch
    return _with_offset(local, m.group(3), zone_name, resolved.epoch, problems)


def _with_offset(local: dt.datetime, offset_text: str, zone_name: str, first: int,
                 problems: dict[Column, str]) -> int | None:
    """The moment a wall time with its UTC offset names, if the zone has that time then."""
    sign = -1 if offset_text.startswith("-") else 1
    digits = offset_text.lstrip("+-").replace(":", "")
    offset = dt.timedelta(0) if offset_text == "Z" else \
        sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    epoch = int(local.replace(tzinfo=dt.timezone(offset)).timestamp())
    tz = zone(zone_name)
    if dt.datetime.fromtimestamp(epoch, tz).replace(tzinfo=None) != local:
        there = dt.datetime.fromtimestamp(first, tz).strftime("%z")
        problems[Column.WHEN] = (f"{local:%Y-%m-%d %H:%M} in {zone_name} is not at UTC "
                                 f"{offset_text} but at {there[:3]}:{there[3:]}: correct the "
                                 "offset or leave it out.")
        return None
    return epoch


def _privacy(text: str, problems: dict[Column, str]) -> str | None:
    if not text:
        return None  # no default (UX-05): the rules ask for one
    word = text.lower().replace(" ", "-").replace("_", "-")
    if word in PRIVACY_WORDS:
        return PRIVACY_WORDS[word]
    if text.upper() in _PRIVACY_NAMES:
        return text.upper()
    problems[Column.PRIVACY] = (f"'{text}' is not a privacy choice: write everyone, friends, "
                                "followers or only-me.")
    return None


def _words(text: str, *, spaces: bool = False) -> list[str]:
    """The words of a list cell; with ``spaces``, a space separates words too."""
    splitter = _SPACE_SPLIT if spaces else _WORD_SPLIT
    return [w for w in splitter.split(text.lower()) if w]


def _interactions(text: str, problems: dict[Column, str]) -> set[str]:
    if text.lower() in ("", "none", "no"):
        return set()
    words = _words(text, spaces=True)
    bad = [w for w in words if w not in _INTERACTIONS]
    if bad:
        problems[Column.INTERACTIONS] = (f"'{bad[0]}' is not an interaction: write comment, "
                                         "duet and/or stitch, or leave it empty for none.")
    return {_INTERACTIONS[w] for w in words if w in _INTERACTIONS}


def _disclosure(text: str, problems: dict[Column, str]) -> tuple[bool, bool, bool]:
    low = text.lower()
    if low in _NO or low == "none":
        return False, False, False
    if low in _YES:
        return True, False, False  # the rules say which of the two is missing (UX-08)
    words = ["your brand", "branded content"] if low == "both" else _words(low)
    bad = [w for w in words if w not in _DISCLOSURE]
    if bad:
        problems[Column.DISCLOSURE] = (f"'{bad[0]}' is not a disclosure: write your brand, "
                                       "branded content, or both, or leave it empty.")
    kinds = {_DISCLOSURE[w] for w in words if w in _DISCLOSURE}
    return True, "organic" in kinds, "branded" in kinds


def _yes_no(text: str, column: Column, problems: dict[Column, str]) -> bool:
    low = text.lower()
    if low in _YES:
        return True
    if low not in _NO:
        problems[column] = f"Write yes or no (or leave it empty for no), not '{text}'."
    return False


def _cover(text: str, problems: dict[Column, str]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > 2**31 - 1:
        problems[Column.COVER] = (f"'{text}' is not a time in the video: give whole "
                                  "milliseconds from the start, e.g. 1500, or leave it empty.")
        return None
    return int(text)


def _unguard(caption: str) -> str:
    if caption.startswith("'") and caption[1:2] in _FORMULA_START and caption[1:2]:
        return caption[1:]
    return caption


def _guard(caption: str) -> str:
    return "'" + caption if caption.startswith(_FORMULA_START) else caption


# --- checking and importing ---------------------------------------------------------------


@dataclass
class CsvImport:
    """A CSV file read, probed and checked: the preview. ``problems`` has one entry per bad
    cell; schedule() goes only when there is none."""

    rows: list[CsvRow]
    videos: dict[str, ProbedVideo]
    facts: dict[int, AccountFacts]
    zone_name: str
    problems: list[CellProblem] = dataclasses.field(default_factory=list)
    times: dict[int, tuple[int, str] | None] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, bulk: BulkService, zone_name: str) -> CsvImport:
        """Read and check every row (blocking: probes each video, asks TikTok once per
        account). Raises CsvError when the file is not a schedule CSV."""
        rows = read_csv(path, bulk.accounts.list_accounts(), zone_name)
        files = {r.row.path for r in rows if r.row.path and Column.FILE not in r.problems}
        videos = {p: bulk.probe(p) for p in sorted(files)}
        facts = bulk.facts_for(r.row for r in rows)
        found = cls(rows, videos, facts, zone_name)
        found.check(bulk)
        return found

    @property
    def bulk_rows(self) -> list[BulkRow]:
        return [r.row for r in self.rows]

    def name(self, index: int) -> str:
        return f"row {self.rows[index].number}"

    def check(self, bulk: BulkService) -> None:
        """One problem per bad cell: what reading the cell found, else what the rules say."""
        cells = {(i, c): CellProblem(i, c, text) for i, r in enumerate(self.rows)
                 for c, text in r.problems.items()}
        for p in bulk.check(self.bulk_rows, self.videos, self.facts, self.zone_name):
            if p.column is Column.WHEN and Column.ZONE in self.rows[p.row].problems:
                continue  # no time could be read: the zone's problem says why
            cells.setdefault((p.row, p.column), p)
        self.problems = sorted(cells.values(), key=lambda c: c.sort_key)
        self.times = bulk.resolve_times(self.bulk_rows, self.zone_name)

    def messages(self) -> list[str]:
        return [f"{self.name(p.row)}, column '{p.column}': {p.message}" for p in self.problems]

    def schedule(self, bulk: BulkService, *, keep_copy: bool = True,
                 progress: ProgressFn | None = None,
                 cancel: CancelFn | None = None) -> list[Post]:
        """All rows or none (BulkRefused names the rows as the file numbers them)."""
        self.check(bulk)
        if self.problems:
            raise BulkRefused(self.problems, self.name)
        try:
            return bulk.schedule(self.bulk_rows, self.videos, self.facts, self.zone_name,
                                 keep_copy=keep_copy, progress=progress, cancel=cancel)
        except BulkRefused as exc:
            raise BulkRefused(exc.cells, self.name) from None


# --- export ---------------------------------------------------------------------------------


def _file_of(post: Post) -> str:
    """The file the user chose when it still holds that video's size, else the kept copy."""
    original = post.video_meta.get("original_path")
    if isinstance(original, str) and original and original != post.video_path:
        try:
            if os.stat(original).st_size == post.video_size:
                return original
        except OSError:
            pass
    return post.video_path


def _when_text(post: Post, zone_name: str) -> str:
    assert post.due_at is not None
    local = dt.datetime.fromtimestamp(post.due_at, zone(zone_name))
    wall = local.replace(tzinfo=None)
    text = f"{wall:%Y-%m-%d %H:%M}" + (f":{wall:%S}" if wall.second else "")
    try:
        same = resolve_local(wall, zone_name).epoch == post.due_at
    except ScheduleError:
        same = False
    if not same:  # the second of a time that happens twice: say which
        offset = local.strftime("%z")
        text += f"{offset[:3]}:{offset[3:]}"
    return text


def export_posts(posts: Iterable[Post], accounts: Mapping[int, Account], out: TextIO,
                 zone_name: str, *, lineterminator: str = "\r\n") -> int:
    """Write the posts in the import's format; returns how many (posts without a time are
    left out: in this format an empty time means the next free queue slot). Lines end in
    CRLF as RFC 4180 and spreadsheets have it; a terminal gets "\\n"."""
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([c.value for c in Column])
    count = 0
    for post in posts:
        if post.due_at is None:
            continue
        account = accounts.get(post.account_id)
        key = (f"@{account.username}" if account.username else account.open_id) \
            if account else str(post.account_id)
        direct = post.mode is PostMode.DIRECT
        tz = post.due_tz or zone_name
        interactions = [n for n, on in (("comment", post.allow_comment),
                                        ("duet", post.allow_duet),
                                        ("stitch", post.allow_stitch)) if on]
        disclosure = "yes" if post.disclose_commercial else ""
        kinds = [n for n, on in (("your brand", post.brand_organic),
                                 ("branded content", post.brand_content)) if on]
        if post.disclose_commercial and kinds:
            disclosure = ", ".join(kinds)
        privacy = _PRIVACY_NAMES.get(post.privacy_level or "", post.privacy_level or "")
        writer.writerow([
            _file_of(post), key, _guard(post.caption), _when_text(post, tz), tz,
            privacy if direct else "", ", ".join(interactions) if direct else "",
            disclosure if direct else "", "yes" if post.is_aigc and direct else "",
            "yes" if not direct else "",
            "" if post.cover_time_ms is None else str(post.cover_time_ms)])
        count += 1
    return count
