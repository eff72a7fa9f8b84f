"""``posts import FILE.csv`` and ``posts export``: the schedule as a CSV file, against the
sandbox-mode graph with real videos. Every bad cell gets one message naming its row and
column, nothing is scheduled until the file is fixed, and export then import reproduces the
schedule exactly."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from tests.helpers import csv_cases
from tests.helpers.cli import Run, command_runner
from tests.helpers.csv_cases import BERLIN, HEADER, day
from tests.helpers.videos import VideoFactory, VideoSpec
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli import posts as cli_posts
from tiktok_desktop.domain.compose import MUSIC_URL
from tiktok_desktop.services.posts_csv import read_csv
from tiktok_desktop.services.schedule import resolve_local
from tiktok_desktop.store import Account, NewPost, PostMode, PostState
from tiktok_desktop.store.queue import Slot


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def folder(videos: VideoFactory, tmp_path: Path) -> Path:
    """Three different videos beside the CSV files."""
    where = tmp_path / "week"
    for n in range(3):
        videos.copy_to(where, f"clip{n}.mp4", VideoSpec(seconds=3.0 + n, fps=24))
    return where


@pytest.fixture
def run(graph: AppGraph, capsys: pytest.CaptureFixture[str]) -> Run:
    return command_runner(graph, capsys, "posts", cli_posts.run)


def _epoch(text: str, zone: str = "Europe/Berlin") -> int:
    return resolve_local(dt.datetime.strptime(text, "%Y-%m-%d %H:%M"), zone).epoch


def _write(path: Path, *rows: str, header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _library(graph: AppGraph) -> list[Path]:
    folder = graph.paths.media_dir
    return sorted(folder.iterdir()) if folder.exists() else []



# --- good rows ------------------------------------------------------------------------------

def test_import_schedules_every_row_with_the_composer_rules(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    graph.posts.set_queue_slots(account.id, [Slot(d, 18 * 60) for d in range(7)],
                                "Europe/Berlin")
    when = day(2)
    sheet = _write(
        folder / "week.csv",
        f'clip0.mp4,@sandbox_creator,"Hello, #fyp\nsecond line",{when},Europe/Berlin,everyone,'
        '"comment, duet",your brand,yes,,1500',
        f"{folder / 'clip1.mp4'},@sandbox_creator,queued,,,friends,,,,,",
        "clip2.mp4,sandbox_creator,to the inbox,,Europe/Berlin,,,,,yes,")
    result = run("import", str(sheet))
    assert result.code == 0, result.err
    assert result.out.count("\n") >= 4  # the preview: a header and one line per row
    assert "Scheduled 3 posts from week.csv." in result.out
    assert f"Music Usage Confirmation ({MUSIC_URL})" in result.out
    posts = sorted(graph.posts.list_posts(), key=lambda p: p.id)
    assert [p.state for p in posts] == [PostState.SCHEDULED] * 3
    first, queued, inbox = posts
    assert first.caption == "Hello, #fyp\nsecond line"
    assert (first.due_at, first.due_tz) == (_epoch(when), "Europe/Berlin")
    assert first.privacy_level == "PUBLIC_TO_EVERYONE"
    assert (first.allow_comment, first.allow_duet, first.allow_stitch) == (True, True, False)
    assert first.disclose_commercial and first.brand_organic and not first.brand_content
    assert first.is_aigc and first.cover_time_ms == 1500
    assert first.video_meta["original_path"] == str(folder / "clip0.mp4")
    # Blank "when": the next two free queue slots, in row order (the inbox row took the 2nd).
    slots = graph.posts.next_queue_times(account.id, 2, "Europe/Berlin",
                                         also_taken=[])  # taken now, so ask before them:
    assert queued.due_at not in slots and inbox.due_at not in slots
    assert queued.due_at is not None and inbox.due_at is not None
    assert queued.due_at < inbox.due_at
    assert dt.datetime.fromtimestamp(queued.due_at, BERLIN).hour == 18
    assert inbox.mode is PostMode.INBOX and inbox.privacy_level is None
    assert all(p.consent_at is not None for p in posts)
    assert len(_library(graph)) == 3  # each video kept safe in the library


def test_dry_run_checks_and_shows_but_schedules_nothing(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    sheet = _write(folder / "a.csv", f"clip0.mp4,@sandbox_creator,hi,{day(3)},,only-me,,,,,")
    result = run("import", str(sheet), "--dry-run", "--zone", "Europe/Berlin")
    assert result.code == 0, result.err
    assert "Dry run: all 1 row can be scheduled; nothing was." in result.out
    assert "clip0.mp4" in result.out and "only-me" in result.out
    assert graph.posts.list_posts() == [] and _library(graph) == []


# --- bad rows ---------------------------------------------------------------------------------

def test_each_bad_cell_gets_one_message_and_nothing_is_scheduled_until_fixed(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    rows, messages = csv_cases.bad_rows(folder)
    # Two bad cells in one row: each gets its own message.
    rows.append(f"clip2.mp4,@sandbox_creator,x,{day(2, 14)},Mars/Olympus,public,,,,,")  # row 9
    sheet = _write(folder / "bad.csv", *rows)
    result = run("import", str(sheet))
    assert result.code == 2
    assert result.out == ""
    assert result.problems == [
        *messages,
        "row 9, column 'zone': Unknown time zone 'Mars/Olympus': use an IANA name such as "
        "Europe/Berlin or America/New_York, or leave it empty for the app's zone.",
        "row 9, column 'privacy': 'public' is not a privacy choice: write everyone, friends, "
        "followers or only-me.",
        "Nothing was scheduled: fix 8 cells in 7 rows of bad.csv and import it again.",
    ]
    assert graph.posts.list_posts() == [] and _library(graph) == []

    # Fixed: the same file with the bad rows corrected goes in whole.
    fixed = [csv_cases.GOOD_ROW] + [f"clip{n % 3}.mp4,@sandbox_creator,ok {n},{day(2, 10 + n)},"
                      "Europe/Berlin,friends,,,,," for n in range(7)]
    result = run("import", str(_write(folder / "bad.csv", *fixed)))
    assert result.code == 0, result.err
    assert len(graph.posts.list_posts(states=[PostState.SCHEDULED])) == 8


def test_rules_that_need_the_account_and_the_whole_batch(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    sheet = _write(
        folder / "rules.csv",
        f"clip0.mp4,@sandbox_creator,x,{day(2)},Europe/Berlin,only-me,,branded content,,,",
        f"clip0.mp4,@sandbox_creator,x,{day(2, 10)},Europe/Berlin,everyone,,yes,,,",
        "clip0.mp4,@sandbox_creator,x,,Europe/Berlin,everyone,,,,,",  # no queue times
        f"clip0.mp4,@sandbox_creator,x,{day(2, 11)},Europe/Berlin,,,,,yes,",  # inbox: ok
        f"clip0.mp4,@sandbox_creator,x,{day(2, 12)},Europe/Berlin,friends,,,,yes,",
        f"clip0.mp4,@sandbox_creator,x,{day(2, 13)},Europe/Berlin,everyone,,,,,99000")
    result = run("import", str(sheet))
    assert result.code == 2
    assert result.problems[:-1] == [
        "row 2, column 'privacy': Branded content visibility cannot be set to private.",
        "row 3, column 'disclosure': You need to indicate if your content promotes yourself, "
        "a third party, or both.",
        "row 4, column 'when': No time given, and this account has no queue times: give a "
        "date and time, or set queue times under Accounts → Queue times.",
        "row 6, column 'privacy': Leave it empty for inbox posts: the creator chooses this in "
        "the TikTok app when posting from the inbox.",
        "row 7, column 'cover_ms': The cover frame at 99000 ms is not in the video, which is "
        "3000 ms long: pick a time within it.",
    ]
    assert graph.posts.list_posts() == []


def test_the_batch_counts_towards_the_daily_cap(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    rows = [f"clip{n % 3}.mp4,@sandbox_creator,n{n},{day(3, 6 + n // 4, (n % 4) * 15)},"
            "Europe/Berlin,everyone,,,,," for n in range(16)]
    result = run("import", str(_write(folder / "cap.csv", *rows)))
    assert result.code == 2
    assert len(result.problems) == 2
    assert result.problems[0].startswith("row 17, column 'when': Sandbox Creator "
                                         "(@sandbox_creator) already has 15 posts on ")
    assert graph.posts.list_posts() == []


@pytest.mark.parametrize(("content", "expected"), [
    (b"PK\x03\x04rest of a workbook", "bad.csv is not a CSV file (it is a spreadsheet "
     "workbook such as .xlsx)."),
    (b"file,account\x00\x01\x02", "bad.csv is not a CSV file (it contains binary data)."),
    ("file,account\nclip0.mp4,@sandbox_créator\n".encode("cp1252"),
     "bad.csv is not a CSV file (it is not UTF-8 text: byte 35 cannot be read)."),
    (b"name,when\nclip,2026-01-01 09:00\n", "bad.csv does not look like a schedule: its first "
     "row must name the columns, at least 'file' and 'account' (all: file, account, caption, "
     "when, zone, privacy, interactions, disclosure, ai_label, inbox, cover_ms)."),
    (b"file,account,privcy,file\n", "Row 1 of bad.csv: 'privcy' is not a column; 'file' is "
     "named twice. The columns are: file, account, caption, when, zone, privacy, "
     "interactions, disclosure, ai_label, inbox, cover_ms."),
    (b"", "bad.csv is empty: its first row must name the columns, e.g. file,account,caption,"
     "when,zone,privacy,interactions,disclosure,ai_label,inbox,cover_ms."),
])
def test_a_file_that_is_not_a_schedule_csv_is_said_plainly(
        graph: AppGraph, run: Run, account: Account, folder: Path, content: bytes,
        expected: str) -> None:
    sheet = folder / "bad.csv"
    sheet.write_bytes(content)
    result = run("import", str(sheet))
    assert result.code == 2
    assert result.problems[0].startswith(expected)
    assert graph.posts.list_posts() == []


def test_excel_bom_and_semicolons_are_read(graph: AppGraph, account: Account,
                                          folder: Path) -> None:
    sheet = folder / "excel.csv"
    text = f"File;Account;Date/Time;Privacy\r\nclip0.mp4;@sandbox_creator;{day(2)};Only me\r\n"
    sheet.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (row,) = read_csv(sheet, graph.accounts.list_accounts(), "Europe/Berlin")
    assert row.problems == {}
    assert row.row.account_id == account.id and row.row.privacy_level == "SELF_ONLY"
    assert row.row.due_at == _epoch(day(2)) and row.number == 2


# --- export -------------------------------------------------------------------------------------

def test_export_then_import_reproduces_the_schedule_exactly(
        graph: AppGraph, run: Run, account: Account, folder: Path, tmp_path: Path) -> None:
    zone, wall, first, second = _next_overlap()
    offset = dt.datetime.fromtimestamp(second, zoneinfo.ZoneInfo(zone)).strftime("%z")
    sheet = _write(
        folder / "in.csv",
        f"clip0.mp4,@sandbox_creator,\"=SUM(A1), a \"\"quote\"\"\n#line2\",{day(2)},"
        "Europe/Berlin,everyone,comment duet stitch,\"your brand, branded content\",yes,,0",
        f"clip1.mp4,@sandbox_creator,@friend first,{day(4, 7, 45)},America/New_York,friends,"
        "stitch,,,,",
        f"clip2.mp4,@sandbox_creator,'quoted,{day(5)},,,,,,yes,2000",
        # The second of a wall time that happens twice (clocks going back): the offset says
        # which one.
        f"clip1.mp4,@sandbox_creator,twice,{wall:%Y-%m-%d %H:%M}{offset[:3]}:{offset[3:]},"
        f"{zone},only-me,,,,,")
    imported = run("import", str(sheet), "--zone", "Europe/Berlin")
    assert imported.code == 0, imported.err
    before = _comparable(graph)
    twice = next(p for p in graph.posts.list_posts() if p.caption == "twice")
    assert _epoch(f"{wall:%Y-%m-%d %H:%M}", zone) == first != second
    assert twice.due_at == second  # the second one, not the first

    out = tmp_path / "schedule.csv"
    exported = run("export", "-o", str(out))
    assert exported.code == 0, exported.err
    assert exported.out == f"Wrote 4 scheduled posts to {out}.\n"
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as f:
        cells = list(csv.reader(f))
    assert cells[0] == HEADER.split(",")
    captions = [r[2] for r in cells[1:]]
    assert "'=SUM(A1), a \"quote\"\n#line2" in captions  # no formula in a spreadsheet
    assert "'@friend first" in captions and "''quoted" in captions

    for post in graph.posts.list_posts():
        graph.posts.delete(post.id)
    assert _library(graph) == []
    again = run("import", str(out))
    assert again.code == 0, again.err
    assert _comparable(graph) == before
    out2 = tmp_path / "again.csv"
    assert run("export", "-o", str(out2)).code == 0
    assert out2.read_bytes() == out.read_bytes()


def _next_overlap() -> tuple[str, dt.datetime, int, int]:
    """The next wall time that happens twice within the sandbox sign-in's life, in Europe or
    Australia: (zone, wall time, first epoch, second epoch)."""
    start = int(dt.datetime.now(dt.UTC).timestamp()) // 3600 * 3600 + 86400
    for zone in ("Europe/Berlin", "Australia/Sydney"):
        tz = zoneinfo.ZoneInfo(zone)
        for t in range(start, start + 150 * 86400, 3600):
            before = dt.datetime.fromtimestamp(t - 1, tz).utcoffset()
            after = dt.datetime.fromtimestamp(t, tz).utcoffset()
            if before is not None and after is not None and after < before:
                second = t + 1800
                wall = dt.datetime.fromtimestamp(second, tz).replace(tzinfo=None)
                return zone, wall, second - int((before - after).total_seconds()), second
    raise AssertionError("no change of clocks within 150 days in either zone")


def _comparable(graph: AppGraph) -> list[tuple[object, ...]]:
    """Everything a post is scheduled with (its id, times of creation and consent aside)."""
    keep = [f.name for f in dataclasses.fields(NewPost) if f.name != "consent_at"]
    return sorted((*tuple(str(getattr(p, name)) for name in keep), p.state)
                  for p in graph.posts.list_posts())


def test_export_prints_to_the_terminal_and_filters_by_account(
        graph: AppGraph, run: Run, account: Account, folder: Path) -> None:
    sheet = _write(folder / "in.csv",
                   f"clip0.mp4,@sandbox_creator,hi,{day(2)},Europe/Berlin,everyone,,,,,")
    assert run("import", str(sheet)).code == 0
    shown = run("export", "--account", "@sandbox_creator")
    assert shown.code == 0
    assert shown.out.splitlines() == [
        HEADER, f"{folder / 'clip0.mp4'},@sandbox_creator,hi,{day(2)},Europe/Berlin,everyone,"
        ",,,,"]
    assert run("export", "--account", "@nobody").code == 2
