"""``tiktok-desktop shared init|join|status|migrate`` against a real PostgreSQL server and one
sandbox every member reaches (in this process, over loopback), members as data folders of
their own. Everything printed is scanned for the database's password."""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import sha256_of, write_video
from tests.helpers.browser import play_consent
from tests.helpers.cli import Result, command_runner
from tests.helpers.postgres import HOST, PgServer
from tests.helpers.shared_schedule import (
    SECRET,
    member,
    private_file,
    rows,
    use_home,
    with_token,
)
from tiktok_desktop.bootstrap import AppGraph, StartupError
from tiktok_desktop.cli import shared as cli_shared
from tiktok_desktop.engine import HeadlessListener
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.store import NewPost, PostsRepo, PostState
from tiktok_desktop.store.pg_address import parse_address
from tiktok_desktop.store.queue import QueueRepo, Slot
from tiktok_desktop.store.snippets import SnippetKind, SnippetsRepo
from tiktok_desktop.store.stats import AccountSnapshot, StatsStore

KEY = re.compile(r"^ {4}([0-9A-Z]{5}(?:-[0-9A-Z]{5}){12})$", re.MULTILINE)


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    options = SandboxOptions(processing_seconds=0.0, rate_limits_enabled=False)
    with SandboxServer(tmp_path / "team-sandbox", options) as server:
        with_token(monkeypatch, server)
        yield server


@pytest.fixture
def url(pg_server: PgServer) -> Iterator[str]:
    """An empty database; its address carries a password (never to be printed)."""
    name = pg_server.new_database()
    yield pg_server.url(name, password=SECRET)
    pg_server.drop_database(name)


class Outputs:
    """Everything the commands printed, to scan for the password at the end."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def run(self, graph: AppGraph, capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
        result = command_runner(graph, capsys, "shared", cli_shared.run)(*argv)
        self.seen += [result.out, result.err]
        return result

    def check(self, caplog: pytest.LogCaptureFixture) -> None:
        text = "\n".join(self.seen + [r.getMessage() for r in caplog.records])
        assert SECRET not in text


def connect(graph: AppGraph) -> None:
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    graph.accounts.finish_connect(attempt)


def test_init_then_join_from_a_second_data_folder_then_status(
        sandbox: SandboxServer, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    out = Outputs()
    where = parse_address(url).where
    assert where.startswith(f"tester@{HOST}:")
    alice = member(sandbox)
    try:
        made = out.run(alice, capsys, "init", url)
        assert made.code == 0, made.err
        [key] = KEY.findall(made.out)
        assert f"Created the shared schedule at {where}" in made.out
        assert f"talks to the sandbox at {sandbox.base_url}" in made.out
        again = out.run(alice, capsys, "init", url)
        assert again.code == 2 and "already has a team key" in again.err
    finally:
        alice.close()
    # Alice's app now opens the shared schedule: her sign-in is sealed in it.
    alice = member(sandbox)
    try:
        assert alice.mode.database is not None and alice.mode.database.where == where
        connect(alice)
        status = out.run(alice, capsys, "status")
        assert status.code == 0, status.err
        assert f"Shared schedule: {where}" in status.out
        assert re.search(r"^ +1 accounts$", status.out, re.MULTILINE)
        fingerprint = status.out.rsplit("Team key fingerprint: ", 1)[1].strip()
    finally:
        alice.close()

    # Bob, another data folder: he has no key yet, then joins with it from a file.
    use_home(monkeypatch, tmp_path / "bob")
    with pytest.raises(StartupError, match="has not joined the shared schedule"):
        member(sandbox, database=url)
    bob = member(sandbox)
    try:
        wrong = out.run(bob, capsys, "join", url, "--key-file",
                        str(private_file(tmp_path / "typo", key[:-1] + "Z")))
        assert wrong.code == 2 and "typo" in wrong.err
        joined = out.run(bob, capsys, "join", url, "--key-file",
                         str(private_file(tmp_path / "key", key + "\n")))
        assert joined.code == 0, joined.err
        assert f"Joined the shared schedule at {where}" in joined.out
        assert fingerprint in joined.out
    finally:
        bob.close()
    bob = member(sandbox)
    try:
        [account] = bob.accounts.list_accounts()
        assert bob.vault.tokens(account.open_id) is not None  # Alice's sign-in, unsealed
        status = out.run(bob, capsys, "status")
        assert status.code == 0 and fingerprint in status.out
    finally:
        bob.close()
    out.check(caplog)


def _local_schedule(graph: AppGraph, tmp_path: Path) -> None:
    """A schedule with a published post and its history, one waiting with its video, a
    draft, a queue, a snippet and a day of account statistics."""
    connect(graph)
    [account] = graph.accounts.list_accounts()
    posts = PostsRepo(graph.db)
    now = int(time.time())
    for n, due in enumerate((now - 1, now + 86_400)):
        video = write_video(tmp_path / f"clip{n}.mp4", 200_000 + n)
        posts.create(NewPost(account.id, str(video), video.stat().st_size, sha256_of(video),
                             caption=f"post {n} #shared", privacy_level="SELF_ONLY",
                             due_at=due, due_tz="UTC", consent_at=now), PostState.SCHEDULED)
    draft = write_video(tmp_path / "draft.mp4", 150_000)
    posts.create(NewPost(account.id, str(draft), draft.stat().st_size, sha256_of(draft)))
    QueueRepo(graph.db).set_slots(account.id, [Slot(0, 540), Slot(3, 1080)], "Europe/Berlin")
    SnippetsRepo(graph.db).save(account.id, SnippetKind.HASHTAGS, "usual", "#a #b")
    StatsStore(graph.db).record_account(AccountSnapshot(account.id, 20000, now, 10, 1, 5, 2))
    engine = graph.engine(HeadlessListener())
    try:
        engine.run_once()
    finally:
        engine.stop()


def test_a_local_schedule_moves_to_the_shared_one_and_back_whole(
        sandbox: SandboxServer, url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    out = Outputs()
    local = member(sandbox)
    try:
        _local_schedule(local, tmp_path)
        before = rows(local.db, skip=("video_path",))
        paths_before = {p.id: p.video_path for p in PostsRepo(local.db).query()}
        [account] = local.accounts.list_accounts()
        tokens = local.vault.tokens(account.open_id)
        assert tokens is not None
        local_file = local.paths.db_file
        assert out.run(local, capsys, "init", url).code == 0
    finally:
        local.close()
    states = [p["state"] for p in before["posts"]]
    assert states[1:] == ["scheduled", "draft"] and states[0] != "scheduled"
    assert len(before["post_events"]) > 3 and before["queue_slots"]
    assert before["caption_snippets"] and before["account_stats"]
    file_before = local_file.read_bytes()

    shared = member(sandbox)  # the app opens the (empty) shared schedule now
    try:
        moved = out.run(shared, capsys, "migrate", "--to-shared", url)
        assert moved.code == 0, moved.err
        assert re.search(r"^ +3 posts$", moved.out, re.MULTILINE), moved.out
        assert f"The local file {local_file} was not changed" in moved.out
    finally:
        shared.close()
    assert local_file.read_bytes() == file_before
    shared = member(sandbox)
    try:
        assert rows(shared.db, skip=("video_path",)) == before
        for post in PostsRepo(shared.db).query():
            if post.state is PostState.PUBLISHED:
                assert post.video_path == paths_before[post.id]
            else:  # in the database now: a runner needs nothing else
                assert post.video_path == f"shared-video:{post.video_sha256}"
        assert shared.vault.tokens(account.open_id) == tokens
        assert shared.db.conn().execute(
            "SELECT COUNT(*) FROM shared_secrets").fetchone()[0] >= 1
        refused = out.run(shared, capsys, "migrate", "--to-shared", url)
        assert refused.code == 2 and "is not empty" in refused.err
        back = out.run(shared, capsys, "migrate", "--to-local")
        assert back.code == 0, back.err
        assert "The earlier local file was kept as" in back.out
    finally:
        shared.close()

    local = member(sandbox)  # its own schedule again: the new local file
    try:
        assert local.mode.database is None
        assert rows(local.db, skip=("video_path",)) == before
        for post in PostsRepo(local.db).query():
            if post.video_path != paths_before[post.id]:
                assert Path(post.video_path).parent == local.paths.media_dir
            assert sha256_of(Path(post.video_path)) == post.video_sha256
        assert local.vault.tokens(account.open_id) == tokens
    finally:
        local.close()
    out.check(caplog)


def test_test_and_status_say_where_things_stand(
        sandbox: SandboxServer, url: str, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    out = Outputs()
    app = member(sandbox)
    try:
        alone = out.run(app, capsys, "status")
        assert alone.code == 0 and "uses its own schedule" in alone.out
        ready = out.run(app, capsys, "test", url)
        assert ready.code == 0 and "is empty and ready" in ready.out
        assert out.run(app, capsys, "init", url).code == 0
        there = out.run(app, capsys, "test", url)
        assert there.code == 0 and "holds a shared schedule" in there.out
        # The settings name a server that has gone: status says so, exit 1.
        parts = urllib.parse.urlsplit(url)
        closed = urllib.parse.urlunsplit(parts._replace(netloc=f"tester:{SECRET}@{HOST}:9"))
        settings = app.settings_store.load()
        settings.shared_database = parse_address(closed).url
        app.settings_store.save(settings)
        gone = out.run(app, capsys, "status")
        assert gone.code == 1 and "cannot be reached" in gone.err, gone.err
        unknown = out.run(app, capsys, "test", closed)
        assert unknown.code == 1 and "cannot be reached" in unknown.out
    finally:
        app.close()
    out.check(caplog)
