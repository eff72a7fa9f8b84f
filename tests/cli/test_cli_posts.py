"""``tiktok-desktop posts …`` in-process against the sandbox-mode context, with real videos.

The command line is parsed by the real parser and run on the `graph` fixture's services, so
each test sees exactly what a user in a terminal would: stdout, stderr and the exit code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path

import pytest

from tests.helpers.cli import Result, Run, command_runner
from tests.helpers.videos import VideoFactory, VideoSpec
from tiktok_desktop.bootstrap import AppGraph, Runtime
from tiktok_desktop.cli import posts as cli_posts
from tiktok_desktop.credentials import reconnect_message
from tiktok_desktop.domain.compose import BRANDED_PRIVATE_HINT, DISCLOSURE_HINT, MUSIC_URL
from tiktok_desktop.engine import Engine, EngineConfig
from tiktok_desktop.sandbox import SandboxControl
from tiktok_desktop.services.schedule import (
    DAILY_POST_CAP,
    PENDING_INBOX_CAP,
    describe,
    resolve_local,
)
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    NewPost,
    PostMode,
    PostsRepo,
    PostState,
)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
CLIP = VideoSpec(seconds=3.0, fps=24)  # 360x640 H.264 MP4, inside every limit of TikTok's


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def clip(videos: VideoFactory, tmp_path: Path) -> Path:
    return videos.copy_to(tmp_path / "originals", "clip.mp4", CLIP)


@pytest.fixture
def control(graph: AppGraph) -> SandboxControl:
    assert graph.sandbox_server is not None
    return graph.sandbox_server.control


@pytest.fixture
def run(graph: AppGraph, capsys: pytest.CaptureFixture[str]) -> Run:
    return command_runner(graph, capsys, "posts", cli_posts.run)


def _future_local(days: int = 2, hour: int = 9) -> dt.datetime:
    day = dt.datetime.now(BERLIN).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0))


def _add(run: Run, path: Path, *extra: str, at: dt.datetime | None = None) -> Result:
    when = ["--at", f"{at or _future_local():%Y-%m-%d %H:%M}", "--zone", "Europe/Berlin"]
    if "--now" in extra or "--queue" in extra:
        when = []
    return run("add", str(path), "--account", "@sandbox_creator", *when, *extra)


def _library_files(graph: AppGraph) -> list[Path]:
    folder = graph.paths.media_dir
    return sorted(folder.iterdir()) if folder.exists() else []


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- add: good paths --------------------------------------------------------------------------

def test_add_at_a_time_stores_the_post_with_consent_and_a_library_copy(
        graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    local = _future_local()
    result = _add(run, clip, "--privacy", "everyone", "--caption", "Hello #fyp @friend",
                  "--allow-comment", "--ai-generated", "--cover-ms", "1500", at=local)
    assert result.code == 0, result.err
    (post,) = graph.posts.list_posts()
    expected = resolve_local(local, "Europe/Berlin").epoch
    assert result.out.splitlines()[0] == (
        f"Post {post.id} scheduled for {describe(expected, 'Europe/Berlin')} (Europe/Berlin) "
        "as Sandbox Creator.")
    assert f"Music Usage Confirmation ({MUSIC_URL})" in result.out
    assert "may take a few minutes" in result.out
    assert "must be running then" in result.out
    assert post.state is PostState.SCHEDULED
    assert (post.due_at, post.due_tz) == (expected, "Europe/Berlin")
    assert post.privacy_level == "PUBLIC_TO_EVERYONE"
    assert post.caption == "Hello #fyp @friend"
    assert (post.allow_comment, post.allow_duet, post.allow_stitch) == (True, False, False)
    assert post.is_aigc and not post.disclose_commercial
    assert post.cover_time_ms == 1500
    assert post.mode is PostMode.DIRECT
    assert post.consent_at is not None and abs(post.consent_at - graph.posts.clock()) < 60
    # The video lives in the app's library now, named by its content.
    stored = Path(post.video_path)
    assert stored.parent == graph.paths.media_dir
    assert post.video_sha256 == _sha256(clip) == stored.stem
    assert post.video_size == clip.stat().st_size
    assert post.video_meta["video_codec"] == "h264"
    assert post.video_meta["duration_ms"] == pytest.approx(3000, abs=100)
    assert post.video_meta["original_path"] == str(clip.absolute())
    # UX-01: creator_info was read afresh and kept beside the account.
    assert graph.accounts.get(account.id).creator_info_at is not None


def test_add_now_with_the_original_file(graph: AppGraph, run: Run, account: Account,
                                        clip: Path) -> None:
    result = _add(run, clip, "--now", "--privacy", "only-me", "--no-copy")
    assert result.code == 0, result.err
    (post,) = graph.posts.list_posts()
    assert result.out.startswith(f"Post {post.id} is due now, ")
    assert "'tiktok-desktop run'" in result.out
    assert post.due_at is not None and abs(post.due_at - graph.posts.clock()) < 5
    assert post.privacy_level == "SELF_ONLY"
    assert post.video_path == str(clip) and post.video_sha256 == _sha256(clip)
    assert _library_files(graph) == []


def test_add_to_the_inbox(graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    result = _add(run, clip, "--inbox", "--caption", "draft")
    assert result.code == 0, result.err
    (post,) = graph.posts.list_posts()
    assert post.mode is PostMode.INBOX and post.privacy_level is None
    assert "TikTok inbox" in result.out
    refused = _add(run, clip, "--inbox", "--privacy", "everyone", "--allow-duet")
    assert refused.code == 2
    assert refused.problems == ["--privacy, --allow-duet cannot be used with --inbox: the "
                                "creator chooses these in the TikTok app when posting from "
                                "the inbox."]


def test_queue_set_show_and_add_to_the_next_free_slots(
        graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    empty = _add(run, clip, "--queue", "--privacy", "everyone")
    assert empty.code == 2
    assert "has no queue slots" in empty.problems[0]

    saved = run("queue", "set", "--account", "@sandbox_creator", "Mon 09:00", "thursday 18:30",
                "--zone", "Europe/Berlin")
    assert saved.code == 0, saved.err
    zone_name, slots = graph.posts.queue_slots(account.id)
    assert zone_name == "Europe/Berlin"
    assert [s.label for s in slots] == ["Mon 09:00", "Thu 18:30"]
    assert "  Mon 09:00\n  Thu 18:30\nNext free times:" in saved.out
    free = graph.posts.next_queue_times(account.id, 3)
    assert saved.out.count("\n  ") == 5  # two slots, three free times
    for epoch in free:
        assert describe(epoch, "Europe/Berlin") in saved.out

    first = _add(run, clip, "--queue", "--privacy", "everyone")
    second = _add(run, clip, "--queue", "--privacy", "friends")
    assert first.code == second.code == 0, first.err + second.err
    dues = sorted(p.due_at or 0 for p in graph.posts.list_posts())
    assert dues == free[:2]  # the second post took the next slot, not the same one
    assert len(_library_files(graph)) == 1  # one video, one library file for both posts

    shown = run("queue", "show", "--account", str(account.id))
    assert describe(free[2], "Europe/Berlin") in shown.out
    assert describe(free[0], "Europe/Berlin") not in shown.out  # taken now

    bad = run("queue", "set", "--account", "@sandbox_creator", "Mon 9", "Funday 10:00",
              "Tue 24:00", "--zone", "Mars/Olympus")
    assert bad.code == 2
    assert len(bad.problems) == 4
    assert bad.problems[0].startswith("Cannot read the slot 'Mon 9'")
    assert bad.problems[3].startswith("Unknown time zone 'Mars/Olympus'")
    assert [s.label for s in graph.posts.queue_slots(account.id)[1]] == ["Mon 09:00", "Thu 18:30"]

    cleared = run("queue", "clear", "--account", "@sandbox_creator")
    assert cleared.code == 0 and graph.posts.queue_slots(account.id) == ("", [])


# --- add: refusals ----------------------------------------------------------------------------

def _refused(graph: AppGraph, result: Result, code: int = 2) -> list[str]:
    assert result.code == code, (result.out, result.err)
    assert result.out == ""
    assert graph.posts.list_posts() == []
    assert _library_files(graph) == []
    return result.problems


def test_privacy_has_no_default(graph: AppGraph, run: Run, account: Account,
                                clip: Path) -> None:
    assert _refused(graph, _add(run, clip)) == [
        "Choose who can view this video. Add --privacy everyone, friends or only-me."]


def test_privacy_must_be_offered_by_the_creator(graph: AppGraph, run: Run,
                                                account: Account, clip: Path) -> None:
    # A public account offers no "followers" (TIKTOK_API.md 4.1).
    assert _refused(graph, _add(run, clip, "--privacy", "followers")) == [
        "Sandbox Creator (@sandbox_creator) does not offer --privacy followers: choose "
        "everyone, friends or only-me."]
    assert _refused(graph, _add(run, clip, "--privacy", "public")) == [
        "--privacy 'public' is not a privacy choice: use everyone, friends, followers or "
        "only-me."]


def test_privacy_options_are_read_fresh(graph: AppGraph, run: Run, account: Account,
                                        control: SandboxControl, clip: Path) -> None:
    # Stored creator_info still offers "everyone"; TikTok no longer does.
    control.set_creator(account.open_id, privacy_level_options=["SELF_ONLY"])
    assert _refused(graph, _add(run, clip, "--privacy", "everyone")) == [
        "Sandbox Creator (@sandbox_creator) does not offer --privacy everyone: choose only-me."]


def test_branded_content_cannot_be_private(graph: AppGraph, run: Run, account: Account,
                                           clip: Path) -> None:
    problems = _refused(graph, _add(run, clip, "--privacy", "only-me", "--branded-content"))
    assert problems == [f"{BRANDED_PRIVATE_HINT} Choose another --privacy or leave out "
                        "--branded-content."]


def test_disclosure_needs_a_choice(graph: AppGraph, run: Run, account: Account,
                                   clip: Path) -> None:
    problems = _refused(graph, _add(run, clip, "--privacy", "everyone", "--disclose"))
    assert problems == [f"{DISCLOSURE_HINT} Add --your-brand, --branded-content or both."]
    ok = _add(run, clip, "--privacy", "everyone", "--your-brand", "--branded-content")
    assert ok.code == 0, ok.err
    assert "labeled as 'Paid partnership'" in ok.out
    assert "Branded Content Policy" in ok.out
    (post,) = graph.posts.list_posts()
    assert post.disclose_commercial and post.brand_organic and post.brand_content


def test_caption_limit_counts_utf16_units(graph: AppGraph, run: Run, account: Account,
                                          clip: Path, tmp_path: Path) -> None:
    caption = tmp_path / "caption.txt"
    caption.write_text("😀" * 1101 + "\n", encoding="utf-8")  # 1101 chars, 2202 units
    problems = _refused(graph, _add(run, clip, "--privacy", "everyone", "--caption-file",
                                  str(caption)))
    assert problems == ["The caption is 2 characters too long (TikTok counts 2202 of 2200)."]
    caption.write_text("😀" * 1100 + "\n", encoding="utf-8")
    ok = _add(run, clip, "--privacy", "everyone", "--caption-file", str(caption))
    assert ok.code == 0, ok.err
    assert graph.posts.list_posts()[0].caption == "😀" * 1100  # the editor's newline dropped


def test_past_time_and_dst_gap(graph: AppGraph, run: Run, account: Account,
                               clip: Path) -> None:
    past = _refused(graph, _add(run, clip, "--privacy", "everyone",
                              at=dt.datetime(2020, 1, 6, 9, 0)))
    assert past == ["Mon 06 Jan 2020, 09:00 CET has already passed: pick a later time, or "
                    "use --now."]
    # The next spring-forward night in Berlin: 02:30 on the last Sunday of March.
    year = dt.datetime.now(BERLIN).year + 1
    sunday = max(dt.date(year, 3, d) for d in range(25, 32)
                 if dt.date(year, 3, d).weekday() == 6)
    gap = _refused(graph, _add(run, clip, "--privacy", "everyone",
                             at=dt.datetime.combine(sunday, dt.time(2, 30))))
    assert gap == [f"02:30 does not exist on {sunday:%a %d %b %Y} in Europe/Berlin: the "
                   "clocks go forward then. Pick 03:30 (the same moment after the change) or "
                   "another time."]
    unreadable = run("add", str(clip), "--account", "1", "--at", "24.11.2026 9 Uhr",
                     "--privacy", "everyone")
    assert _refused(graph, unreadable) == [
        "Cannot read --at '24.11.2026 9 Uhr': write the local date and time as "
        "'YYYY-MM-DD HH:MM', e.g. '2026-11-24 09:00'."]


def test_daily_cap(graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    local = _future_local(days=3)
    due = resolve_local(local, "Europe/Berlin").epoch
    repo = PostsRepo(graph.db)
    for i in range(DAILY_POST_CAP):
        repo.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1,
                            privacy_level="SELF_ONLY", due_at=due - 60 * i,
                            due_tz="Europe/Berlin"), PostState.SCHEDULED)
    result = _add(run, clip, "--privacy", "everyone", at=local)
    assert result.code == 2
    assert result.problems == [
        f"Sandbox Creator (@sandbox_creator) already has {DAILY_POST_CAP} posts on "
        f"{local:%a %d %b}. TikTok allows about {DAILY_POST_CAP} a day per account: pick "
        "another day."]
    assert len(graph.posts.list_posts()) == DAILY_POST_CAP


def test_pending_inbox_cap(graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    local = _future_local(days=3)
    due = resolve_local(local, "Europe/Berlin").epoch
    repo = PostsRepo(graph.db)
    for i in range(PENDING_INBOX_CAP):
        repo.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1,
                            mode=PostMode.INBOX, due_at=due + 3600 * i,
                            due_tz="Europe/Berlin"), PostState.SCHEDULED)
    result = _add(run, clip, "--inbox", at=local)
    assert result.code == 2
    assert result.problems == [
        f"Sandbox Creator (@sandbox_creator) would have more than {PENDING_INBOX_CAP} videos "
        "waiting in the TikTok inbox within 24 hours, which TikTok refuses. Post the waiting "
        "ones from the TikTok app first, or pick a time a day later."]
    later = _add(run, clip, "--inbox", at=local + dt.timedelta(days=2))
    assert later.code == 0, later.err


def test_bad_files(graph: AppGraph, run: Run, account: Account, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("just some text\n" * 50)
    (problem,) = _refused(graph, _add(run, text, "--privacy", "everyone"))
    assert "notes.mp4" in problem and "not a video" in problem
    (missing,) = _refused(graph, _add(run, tmp_path / "gone.mp4", "--privacy", "everyone"))
    assert "gone.mp4" in missing


def test_too_long_for_this_creator(graph: AppGraph, run: Run, account: Account,
                                   control: SandboxControl, clip: Path) -> None:
    control.set_creator(account.open_id, max_video_post_duration_sec=2)
    (problem,) = _refused(graph, _add(run, clip, "--privacy", "everyone"))
    assert problem == ("The video is 0:03 long; this account can post videos up to 0:02. "
                       "Trim it and choose the shorter file.")


def test_interaction_turned_off_by_the_creator(graph: AppGraph, run: Run, account: Account,
                                               control: SandboxControl, clip: Path) -> None:
    control.set_creator(account.open_id, duet_disabled=True)
    (problem,) = _refused(graph, _add(run, clip, "--privacy", "everyone", "--allow-duet"))
    assert problem == ("The creator turned duets off for this account in TikTok's privacy "
                       "settings. Leave out --allow-duet.")


def test_creator_who_cannot_post_now(graph: AppGraph, run: Run, account: Account,
                                     control: SandboxControl, clip: Path) -> None:
    control.set_creator(account.open_id, can_post="spam_risk_too_many_posts")
    (problem,) = _refused(graph, _add(run, clip, "--privacy", "everyone"), code=1)
    # TikTok's reason (UX-02), as the client words it.
    assert problem == ("This TikTok account has reached TikTok's daily posting limit: try "
                       "again in 24 hours.")


def test_account_that_needs_reconnecting(graph: AppGraph, run: Run, account: Account,
                                         control: SandboxControl, clip: Path) -> None:
    control.revoke_tokens(account.open_id)  # the user removed the app on TikTok
    (problem,) = _refused(graph, _add(run, clip, "--privacy", "everyone"), code=1)
    # The one sentence every window and command uses for a lost sign-in.
    assert problem == reconnect_message(graph.accounts.get(account.id))
    assert "'tiktok-desktop accounts connect'" in problem
    assert graph.accounts.get(account.id).status is AccountStatus.NEEDS_RECONNECT
    # Known from now on, without asking TikTok again; bad input still counts as bad input.
    both = _add(run, clip, at=dt.datetime(2020, 1, 6, 9, 0))
    assert both.code == 2
    assert both.problems[0] == problem
    assert both.problems[1:] == [
        "Choose who can view this video. Add --privacy everyone, friends, followers or "
        "only-me.",
        "Mon 06 Jan 2020, 09:00 CET has already passed: pick a later time, or use --now."]


def test_every_problem_is_one_line(graph: AppGraph, run: Run, account: Account,
                                   clip: Path) -> None:
    result = _add(run, clip, "--disclose", "--cover-ms", "9000", "--caption", "x" * 2300,
                  at=dt.datetime(2020, 1, 6, 9, 0))
    problems = _refused(graph, result)
    assert problems == [
        "The caption is 100 characters too long (TikTok counts 2300 of 2200).",
        f"{DISCLOSURE_HINT} Add --your-brand, --branded-content or both.",
        "Choose who can view this video. Add --privacy everyone, friends or only-me.",
        "--cover-ms 9000 is past the end of the video, which is 3000 ms long.",
        "Mon 06 Jan 2020, 09:00 CET has already passed: pick a later time, or use --now.",
    ]


def test_unknown_account_and_zone(graph: AppGraph, run: Run, account: Account,
                                  clip: Path) -> None:
    nobody = run("add", str(clip), "--account", "@nobody", "--now", "--privacy", "everyone")
    assert _refused(graph, nobody) == [
        "No account matches '@nobody'; 'tiktok-desktop accounts list' shows them."]
    zone = _refused(graph, run("add", str(clip), "--account", "@sandbox_creator", "--at",
                             "2030-01-01 09:00", "--zone", "Berlin", "--privacy", "everyone"))
    assert zone == ["Unknown time zone 'Berlin': use an IANA name such as Europe/Berlin or "
                    "America/New_York."]


def test_time_is_required_by_the_parser(run: Run, clip: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run("add", str(clip), "--account", "1", "--privacy", "everyone")
    assert exit_info.value.code == 2
    assert "one of the arguments --at --now --queue is required" in capsys.readouterr().err


# --- list, cancel, delete ---------------------------------------------------------------------

def test_list_cancel_and_delete(graph: AppGraph, run: Run, account: Account,
                                clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "No posts yet" in run("list").out
    local = _future_local(days=4, hour=18)
    assert _add(run, clip, "--privacy", "friends", "--caption", "Line one\nline two",
                at=local).code == 0
    post = graph.posts.list_posts()[0]
    table = run("list").out.splitlines()
    assert table[0].split() == ["id", "due", "state", "account", "mode", "privacy", "caption"]
    row = table[1]
    assert row.split()[0] == str(post.id)
    assert f"{local:%Y-%m-%d %H:%M} CET" in row
    assert "scheduled" in row and "friends" in row and "Line one line two" in row
    assert "@sandbox_creator" in row

    data = json.loads(run("list", "--json", "--account", "@sandbox_creator").out)
    assert data[0]["id"] == post.id and data[0]["state"] == "scheduled"
    assert data[0]["due_local"] == local.replace(tzinfo=BERLIN).isoformat()
    assert data[0]["privacy_level"] == "MUTUAL_FOLLOW_FRIENDS"
    assert "No posts match." in run("list", "--state", "draft").out

    cancelled = run("cancel", str(post.id))
    assert cancelled.code == 0, cancelled.err
    assert f"Post {post.id} is off the schedule" in cancelled.out
    draft = graph.posts.get(post.id)
    assert draft is not None and draft.state is PostState.DRAFT and draft.due_at is None
    assert (draft.caption, draft.video_path, draft.privacy_level) == (
        post.caption, post.video_path, post.privacy_level)
    assert Path(post.video_path).exists()
    assert "is a draft already" in run("cancel", str(post.id)).out
    assert json.loads(run("list", "--json", "--state", "draft").out)[0]["id"] == post.id

    # Without a terminal to ask in, deleting needs --yes.
    asked = run("delete", str(post.id))
    assert asked.code == 2 and "Add --yes" in asked.err
    assert graph.posts.get(post.id) is not None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert run("delete", str(post.id)).out.endswith("Nothing deleted.\n")
    assert graph.posts.get(post.id) is not None
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    deleted = run("delete", str(post.id))
    assert deleted.code == 0 and f"Deleted post {post.id}" in deleted.out
    assert graph.posts.get(post.id) is None
    assert _library_files(graph) == []  # no post uses the copy any more
    assert clip.exists()  # the user's original is never touched

    missing = run("delete", str(post.id), "--yes")
    assert missing.code == 2 and f"There is no post {post.id}" in missing.err
    assert run("cancel", "999").code == 2


def test_delete_keeps_a_library_file_another_post_uses(
        graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    assert _add(run, clip, "--privacy", "everyone").code == 0
    assert _add(run, clip, "--privacy", "only-me", at=_future_local(days=5)).code == 0
    first, second = graph.posts.list_posts()
    assert first.video_path == second.video_path
    assert run("delete", str(first.id), "--yes").code == 0
    assert Path(second.video_path).exists()
    assert run("delete", str(second.id), "--yes").code == 0
    assert _library_files(graph) == []


def test_posting_post_cannot_be_cancelled(graph: AppGraph, run: Run, account: Account,
                                          clip: Path) -> None:
    assert _add(run, clip, "--privacy", "everyone").code == 0
    (post,) = graph.posts.list_posts()
    PostsRepo(graph.db).transition(post.id, PostState.UPLOADING, "engine started")
    result = run("cancel", str(post.id))
    assert result.code == 1
    assert result.problems == ["This post is uploading and can no longer be changed: TikTok "
                               "Desktop is working on it, or it is done."]


def test_check_again_asks_tiktok_about_an_unconfirmed_post(graph: AppGraph, run: Run,
                                                           account: Account,
                                                           control: SandboxControl,
                                                           clip: Path) -> None:
    """TikTok did not confirm in time: 'posts check' asks it once more, never sends it again."""
    assert _add(run, clip, "--privacy", "only-me", "--now").code == 0
    (post,) = graph.posts.list_posts()
    def engine_with(config: EngineConfig) -> Engine:
        return dataclasses.replace(graph, runtime=Runtime(engine_config=config)).engine()

    # Two unanswered checks and the engine gives up asking: TikTok did not confirm.
    engine = engine_with(EngineConfig(poll_delays=(0.0,), poll_max_checks=2))
    try:
        control.inject_fault("/v2/post/publish/status/fetch/", "status", count=2, status=503)
        engine.run_once()
    finally:
        engine.stop()
    # This one asks long enough for the sandbox to finish processing (3 s).
    engine = engine_with(EngineConfig(poll_delays=(0.0, 1.0), poll_max_checks=20))
    try:
        assert graph.posts.get(post.id).state is PostState.UNCONFIRMED  # type: ignore[union-attr]
        assert run("cancel", str(post.id)).code == 1  # TikTok may have it: it stays put
        checked = run("check", str(post.id))
        assert checked.code == 0, checked.err
        assert "never sent twice" in checked.out
        again = run("check", str(post.id))  # already being checked
        assert again.code == 1
        assert again.problems == ["Only a post TikTok has not confirmed, or an inbox draft that "
                                  "was not posted, can be checked again."]
        engine.run_once()
    finally:
        engine.stop()
    done = graph.posts.get(post.id)
    assert done is not None and done.state is PostState.PUBLISHED
    assert len(control.publishes()) == 1  # asked again, never sent again
    assert run("check", "999").code == 2


# --- the real entry point ---------------------------------------------------------------------

def test_registered_in_the_command_line(isolated_home: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "tiktok_desktop", "posts", "list"],
                            capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert "No posts yet" in result.stdout
    assert "sandbox mode" in result.stderr


def test_samoas_skipped_day(graph: AppGraph, run: Run, account: Account, clip: Path) -> None:
    """Pacific/Apia skipped Friday 30 December 2011: a time that day names no moment, and the
    day is long past, so the command says both instead of suggesting another missing time."""
    result = run("add", str(clip), "--account", "@sandbox_creator", "--at", "2011-12-30 10:00",
                 "--zone", "Pacific/Apia", "--privacy", "everyone")
    assert result.code == 2
    (problem,) = _refused(graph, result)
    assert "does not exist on Fri 30 Dec 2011 in Pacific/Apia" in problem
    assert "passed" in problem
    assert "Pick 10:00" not in problem


def test_escape_sequences_never_reach_the_terminal(graph: AppGraph, run: Run,
                                                  account: Account) -> None:
    """A TikTok name or an older caption holding escape sequences (set the title, clear the
    screen, a carriage return that hides the line) is printed escaped."""
    AccountsRepo(graph.db).update_profile(account.id, display_name="Mia\x1b]0;pwned\x07",
                                          username="sandbox_creator", avatar_url="")
    PostsRepo(graph.db).create(NewPost(
        account_id=account.id, video_path="/v.mp4", video_size=1, privacy_level="SELF_ONLY",
        caption="fine\r\x1b[2Jgone", due_at=int(time.time()) + 3600, due_tz="UTC"),
        PostState.SCHEDULED)
    listed = run("list")
    assert listed.code == 0
    assert "\x1b" not in listed.out + listed.err and "\r" not in listed.out
    assert "fine \\x1b[2Jgone" in listed.out  # the line break folded, the escape shown
    as_json = run("list", "--json")
    assert "\x1b" not in as_json.out
    assert json.loads(as_json.out)[0]["caption"] == "fine\r\x1b[2Jgone"  # the data is intact


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_caption_file_that_never_ends(graph: AppGraph, run: Run, account: Account,
                                        clip: Path) -> None:
    result = _add(run, clip, "--privacy", "everyone", "--caption-file", "/dev/zero")
    assert result.code == 2
    assert any("caption file /dev/zero" in p for p in _refused(graph, result))
    assert graph.posts.list_posts() == []
