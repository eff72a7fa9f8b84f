"""``tiktok-desktop stats export`` in-process on the sandbox-mode graph: what the engine
stored (tests/engine/test_stats.py takes it from TikTok) written as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from tests.helpers.cli import Run, command_runner
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli import stats as cli_stats
from tiktok_desktop.services.stats import ACCOUNT_COLUMNS, POST_COLUMNS
from tiktok_desktop.store import Account, NewPost, PostsRepo, PostState
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, StatsStore

T = 1_800_000_000
DAY = 86400


@pytest.fixture
def run(graph: AppGraph, capsys: pytest.CaptureFixture[str]) -> Run:
    return command_runner(graph, capsys, "stats", cli_stats.run)


def _published(graph: AppGraph, account: Account, caption: str, at: int,
               ids: tuple[str, ...]) -> int:
    posts = PostsRepo(graph.db)
    post = posts.create(NewPost(account_id=account.id, video_path="/videos/a.mp4",
                                video_size=1000, caption=caption,
                                privacy_level="PUBLIC_TO_EVERYONE"))
    return posts.transition(post.id, PostState.PUBLISHED, "test", published_at=at,
                            post_ids=ids).id


@pytest.fixture
def readings(graph: AppGraph, account: Account) -> tuple[int, int]:
    first = _published(graph, account, "=HYPERLINK(\"x\")\nsecond line", T, ("71",))
    second = _published(graph, account, "Pancakes", T + DAY, ("72",))
    store = StatsStore(graph.db)
    store.record_posts([
        PostSnapshot(first, "71", 0, T + 3600, 120, 9, 1, 0),
        PostSnapshot(first, "71", 1, T + DAY, 2000, 150, 8, 3),
        PostSnapshot(first, "71", 2, T + 7 * DAY + 30, None, None, None, None),
        PostSnapshot(second, "72", 0, T + DAY + 3600, 50, 4, 0, 0),
    ])
    store.record_account(AccountSnapshot(account.id, T // DAY, T, 1234, 56, 7890, 1))
    store.record_account(AccountSnapshot(account.id, T // DAY + 1, T + DAY, 1300, 56, 8040, 2))
    return first, second


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_to_standard_output(run: Run, readings: tuple[int, int],
                                   account: Account) -> None:
    first, second = readings
    result = run("export")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == ",".join(POST_COLUMNS)
    rows = _rows(result.out)
    assert [(r["post"], r["reading"], r["views"], r["likes"]) for r in rows] == [
        (str(first), "1 h", "120", "9"), (str(first), "24 h", "2000", "150"),
        (str(first), "7 days", "", ""), (str(second), "1 h", "50", "4")]
    # a caption a spreadsheet would run as a formula is kept as text; its first line only
    assert rows[0]["caption"] == "'=HYPERLINK(\"x\")"
    assert rows[2]["note"] == "TikTok no longer shows this post"
    assert rows[1]["hours_after_publishing"] == "24.0"
    assert rows[0]["account"] == account.label
    taken = dt.datetime.fromisoformat(rows[0]["taken"])
    assert taken.tzinfo is not None and taken.timestamp() == T + 3600


def test_export_followers_of_one_account_to_a_file(run: Run, readings: tuple[int, int],
                                                   tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "followers.csv"
    result = run("export", "--followers", "--account", "@sandbox_creator", str(target))
    assert result.code == 0, result.err
    assert "Wrote 2 account days" in result.err
    text = target.read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(ACCOUNT_COLUMNS)
    assert [(r["followers"], r["likes"], r["videos"]) for r in _rows(text)] == [
        ("1234", "7890", "1"), ("1300", "8040", "2")]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["followers.csv"]  # no temporary left


def test_a_place_that_cannot_be_written_says_so_and_changes_nothing(
        run: Run, readings: tuple[int, int], tmp_path: Path) -> None:
    result = run("export", str(tmp_path / "missing" / "stats.csv"))
    assert result.code == 1
    assert "does not exist: choose another place or create the folder first" in result.err
    result = run("export", str(tmp_path))
    assert result.code == 1 and "is a folder: give a file name" in result.err
    unknown = run("export", "--account", "@nobody")
    assert unknown.code == 2 and "No account matches '@nobody'" in unknown.err


def test_export_without_readings_is_just_the_header(run: Run, account: Account) -> None:
    result = run("export")
    assert result.code == 0 and result.out == ",".join(POST_COLUMNS) + "\n"
