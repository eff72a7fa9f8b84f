"""Bulk scheduling's services on the sandbox-mode graph: the times ("every N hours", the
queue spread), the all-or-nothing batch with its library copies rolled back, Duplicate, and
caption templates and hashtag sets."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zoneinfo
from pathlib import Path

import pytest

from tests.helpers.browser import play_consent
from tests.helpers.videos import VideoFactory, VideoSpec
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.domain.lifecycle import Action, allowed
from tiktok_desktop.services.bulk import (
    BulkRefused,
    BulkRow,
    Column,
    every_n_hours,
    new_post,
    row_problems,
)
from tiktok_desktop.services.posts import BatchRefused
from tiktok_desktop.services.snippets import (
    SnippetError,
    add_hashtags,
    insert_template,
    normalise_hashtags,
)
from tiktok_desktop.store import Account, PostState
from tiktok_desktop.store.queue import Slot
from tiktok_desktop.store.snippets import SnippetKind

BERLIN = "Europe/Berlin"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def clips(videos: VideoFactory, tmp_path: Path) -> list[Path]:
    return [videos.copy_to(tmp_path / "in", f"c{n}.mp4", VideoSpec(seconds=3.0 + n / 10))
            for n in range(4)]


@pytest.fixture
def account(graph: AppGraph) -> Account:
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    return graph.accounts.finish_connect(attempt).account


def _library(graph: AppGraph) -> list[Path]:
    folder = graph.paths.media_dir
    return sorted(folder.iterdir()) if folder.exists() else []


def _tomorrow(hour: int) -> dt.datetime:
    day = dt.datetime.now(zoneinfo.ZoneInfo(BERLIN)).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour))


# --- times ----------------------------------------------------------------------------------

def test_every_n_hours_keeps_the_wall_time_for_whole_days_across_dst() -> None:
    # Europe's clocks went forward on Sun 29 Mar 2026.
    days = every_n_hours(dt.datetime(2026, 3, 27, 9, 0), BERLIN, 24, 4)
    tz = zoneinfo.ZoneInfo(BERLIN)
    assert [dt.datetime.fromtimestamp(t, tz).strftime("%a %H:%M") for t in days] == [
        "Fri 09:00", "Sat 09:00", "Sun 09:00", "Mon 09:00"]
    assert days[3] - days[2] == 24 * 3600 and days[2] - days[1] == 23 * 3600
    # Hours apart are elapsed time: no two posts on one moment around the change.
    hours = every_n_hours(dt.datetime(2026, 3, 29, 1, 0), BERLIN, 1, 3)
    assert [dt.datetime.fromtimestamp(t, tz).strftime("%H:%M") for t in hours] == [
        "01:00", "03:00", "04:00"]
    # A start the clocks skip is the same moment after the change.
    (gap,) = every_n_hours(dt.datetime(2026, 3, 29, 2, 30), BERLIN, 24, 1)
    assert dt.datetime.fromtimestamp(gap, tz).strftime("%H:%M") == "03:30"
    with pytest.raises(ValueError, match="positive"):
        every_n_hours(dt.datetime(2026, 3, 29, 2, 30), BERLIN, 0, 1)


def test_spread_over_the_queue_skips_taken_slots(graph: AppGraph, account: Account,
                                                 clips: list[Path]) -> None:
    graph.posts.set_queue_slots(account.id, [Slot(d, 9 * 60) for d in range(7)], BERLIN)
    free = graph.posts.next_queue_times(account.id, 6, BERLIN)
    # A stored post takes the first slot; a row with its own time the third.
    video = graph.bulk.probe(str(clips[0]))
    stored = BulkRow(str(clips[0]), account.id, privacy_level="SELF_ONLY")
    graph.posts.schedule(new_post(stored, video, free[0], BERLIN))
    rows = [BulkRow(str(c), account.id) for c in clips[:3]]
    rows.append(BulkRow(str(clips[3]), account.id, due_at=free[2], due_tz=BERLIN))
    spread, missing = graph.bulk.spread_over_queue(rows, [0, 1, 2], BERLIN)
    assert missing == []
    assert [r.due_at for r in spread] == [free[1], free[3], free[4], free[2]]
    assert {r.due_tz for r in spread} == {BERLIN}
    # Without an account, or without slots, a row gets no time (and says which).
    other, missing = graph.bulk.spread_over_queue([BulkRow("x.mp4")], [0], BERLIN)
    assert missing == [0] and other[0].due_at is None


# --- the batch: all or nothing -----------------------------------------------------------------

def _rows(account: Account, clips: list[Path], start: dt.datetime) -> list[BulkRow]:
    return [BulkRow(str(c), account.id, caption=f"post {n}", privacy_level="SELF_ONLY",
                    due_at=int(start.timestamp()) + n * 3600, due_tz=BERLIN)
            for n, c in enumerate(clips)]


def test_a_batch_goes_in_whole(graph: AppGraph, account: Account, clips: list[Path]) -> None:
    rows = _rows(account, clips, _tomorrow(9).replace(tzinfo=zoneinfo.ZoneInfo(BERLIN)))
    videos = {r.path: graph.bulk.probe(r.path) for r in rows}
    facts = graph.bulk.facts_for(rows)
    assert graph.bulk.check(rows, videos, facts, BERLIN) == []
    seen: list[tuple[int, int]] = []
    posts = graph.bulk.schedule(rows, videos, facts, BERLIN,
                                progress=lambda d, t: seen.append((d, t)))
    assert [p.caption for p in posts] == [f"post {n}" for n in range(4)]
    assert {p.state for p in posts} == {PostState.SCHEDULED}
    assert len(_library(graph)) == 4
    total = sum(v.size for v in videos.values())
    assert seen[-1] == (total, total) and all(d <= t == total for d, t in seen)


def test_a_row_failing_at_commit_leaves_nothing_scheduled_and_no_copy(
        graph: AppGraph, account: Account, clips: list[Path]) -> None:
    rows = _rows(account, clips, _tomorrow(9).replace(tzinfo=zoneinfo.ZoneInfo(BERLIN)))
    videos = {r.path: graph.bulk.probe(r.path) for r in rows}
    facts = graph.bulk.facts_for(rows)
    # The database refuses the third post as it is written (after every video was copied).
    with sqlite3.connect(graph.paths.db_file) as c:
        c.execute("CREATE TRIGGER refuse BEFORE INSERT ON posts WHEN NEW.caption = 'post 2' "
                  "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    with pytest.raises(sqlite3.IntegrityError, match="refused by the test"):
        graph.bulk.schedule(rows, videos, facts, BERLIN)
    assert graph.posts.list_posts() == [] and _library(graph) == []

    # A file that goes away after the check: its row is named, nothing is kept either.
    with sqlite3.connect(graph.paths.db_file) as c:
        c.execute("DROP TRIGGER refuse")
    clips[3].unlink()
    with pytest.raises(BulkRefused) as refused:
        graph.bulk.schedule(rows, videos, facts, BERLIN)
    (cell,) = refused.value.cells
    assert (cell.row, cell.column) == (3, Column.FILE) and "c3.mp4" in cell.message
    assert graph.posts.list_posts() == [] and _library(graph) == []


def test_a_copy_shared_with_an_earlier_post_stays_when_a_batch_fails(
        graph: AppGraph, account: Account, clips: list[Path]) -> None:
    rows = _rows(account, clips[:2], _tomorrow(9).replace(tzinfo=zoneinfo.ZoneInfo(BERLIN)))
    videos = {r.path: graph.bulk.probe(r.path) for r in rows}
    facts = graph.bulk.facts_for(rows)
    (kept,) = graph.bulk.schedule(rows[:1], videos, facts, BERLIN)
    too_late = [rows[0], BulkRow(rows[1].path, account.id, privacy_level="SELF_ONLY",
                                 due_at=int(graph.posts.clock()) - 3600, due_tz=BERLIN)]
    with pytest.raises(BulkRefused) as refused:
        graph.bulk.schedule(too_late, videos, facts, BERLIN)
    assert [(c.row, c.column) for c in refused.value.cells] == [(1, Column.WHEN)]
    assert [p.id for p in graph.posts.list_posts()] == [kept.id]
    assert _library(graph) == [Path(kept.video_path)]


def test_batch_problems_count_the_batch_itself(graph: AppGraph, account: Account,
                                               clips: list[Path]) -> None:
    start = _tomorrow(6).replace(tzinfo=zoneinfo.ZoneInfo(BERLIN))
    video = graph.bulk.probe(str(clips[0]))
    news = [new_post(BulkRow(str(clips[0]), account.id, privacy_level="SELF_ONLY"), video,
                     int(start.timestamp()) + n * 600, BERLIN) for n in range(16)]
    problems = graph.posts.batch_problems(news)
    assert list(problems) == [15]
    with pytest.raises(BatchRefused) as refused:
        graph.posts.schedule_batch(news)
    assert refused.value.rows == problems and refused.value.about == "time"


def test_row_rules_are_the_composers(graph: AppGraph, account: Account,
                                     clips: list[Path]) -> None:
    facts = graph.bulk.facts_for([BulkRow("", account.id)])[account.id]
    video = graph.bulk.probe(str(clips[0]))
    row = BulkRow(str(clips[0]), account.id, caption="x" * 2201, allow_duet=True,
                  disclose=True)
    problems = {p.column: p.message for p in row_problems(0, row, facts, video)}
    assert problems == {
        Column.CAPTION: "The caption is 1 character too long (TikTok counts 2201 of 2200).",
        Column.DISCLOSURE: "You need to indicate if your content promotes yourself, a third "
                           "party, or both.",
        Column.PRIVACY: "Choose who can view this video.",
    }
    unreadable = graph.bulk.probe(str(clips[0].with_name("none.mp4")))
    assert not unreadable.usable
    problems = {p.column: p.message for p in row_problems(0, BulkRow("x"), None, unreadable)}
    assert problems[Column.ACCOUNT] == "Choose the account to post to."
    assert problems[Column.FILE] == unreadable.error


# --- duplicate -------------------------------------------------------------------------------

def test_duplicate_makes_a_draft_sharing_the_video(graph: AppGraph, account: Account,
                                                   clips: list[Path]) -> None:
    rows = _rows(account, clips[:1], _tomorrow(9).replace(tzinfo=zoneinfo.ZoneInfo(BERLIN)))
    videos = {r.path: graph.bulk.probe(r.path) for r in rows}
    (post,) = graph.bulk.schedule(rows, videos, graph.bulk.facts_for(rows), BERLIN)
    assert Action.DUPLICATE in allowed(post)
    copy = graph.posts.duplicate(post.id)
    assert copy.state is PostState.DRAFT and copy.due_at is None and copy.consent_at is None
    assert (copy.video_path, copy.caption, copy.privacy_level) == (
        post.video_path, post.caption, post.privacy_level)
    assert "duplicated from post" in graph.posts.repo.events(copy.id)[0].detail
    # Scheduling it needs the composer (consent): the lifecycle says so.
    assert "consent" in allowed(copy).why_not(Action.RESCHEDULE)
    graph.posts.delete(post.id)
    assert _library(graph) == [Path(copy.video_path)]  # still used by the copy
    graph.posts.delete(copy.id)
    assert _library(graph) == []


# --- templates and hashtag sets -------------------------------------------------------------

def test_templates_and_hashtag_sets_per_account(graph: AppGraph, account: Account) -> None:
    snippets = graph.snippets
    saved = snippets.save(account.id, SnippetKind.HASHTAGS, " travel ", "fyp, #Travel travel")
    assert (saved.name, saved.text) == ("travel", "#fyp #Travel")
    snippets.save(account.id, SnippetKind.TEMPLATE, "Weekly", "New video every Monday!")
    again = snippets.save(account.id, SnippetKind.HASHTAGS, "travel", "#trip")
    assert again.id == saved.id and again.text == "#trip"
    assert [(s.kind, s.name) for s in snippets.for_account(account.id)] == [
        (SnippetKind.HASHTAGS, "travel"), (SnippetKind.TEMPLATE, "Weekly")]
    for name, text, message in (("", "x", "Give it a name"), ("n", "  ", "It is empty"),
                                ("n", "a\x1bb", "invisible control character"),
                                ("n", "x" * 2201, "longer than a caption")):
        with pytest.raises(SnippetError, match=message):
            snippets.save(account.id, SnippetKind.TEMPLATE, name, text)
    with pytest.raises(SnippetError, match="no longer exists"):
        snippets.save(account.id + 99, SnippetKind.TEMPLATE, "n", "x")
    assert snippets.delete(saved.id) and not snippets.delete(saved.id)


def test_inserting_into_a_caption() -> None:
    assert insert_template("Hello", 5, "world") == ("Hello world", 11)
    assert insert_template("ab", 1, "X") == ("a X b", 4)
    assert insert_template("", 0, "Start") == ("Start", 5)
    assert add_hashtags("Trip #Travel", "#travel #fyp") == "Trip #Travel #fyp"
    assert add_hashtags("", "fyp") == "#fyp"
    assert add_hashtags("done #fyp", "#FYP") == "done #fyp"
    assert normalise_hashtags("a, #b;c  #a") == "#a #b #c"
