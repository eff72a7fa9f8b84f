"""SharedSchedule.move_here and move_back refuse what would lose or double posts, and a move
that fails part-way leaves the shared schedule as it was (a real server, the team's sandbox)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import sha256_of, write_video
from tests.helpers.browser import play_consent
from tests.helpers.postgres import PgServer
from tests.helpers.shared_schedule import SECRET, member, use_home, with_token
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services import shared as shared_module
from tiktok_desktop.services.shared import SharedError
from tiktok_desktop.services.shared_copy import counts_of
from tiktok_desktop.services.shared_target import SharedTarget, write_target
from tiktok_desktop.store import NewPost, PostsRepo, PostState
from tiktok_desktop.store.postgres import PgDatabase


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "team-sandbox") as server:
        with_token(monkeypatch, server)
        yield server


@pytest.fixture
def url(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.new_database()
    yield pg_server.url(name, password=SECRET)
    pg_server.drop_database(name)


def _with_a_post(graph: AppGraph, tmp_path: Path) -> int:
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    account = graph.accounts.finish_connect(attempt).account
    video = write_video(tmp_path / "clip.mp4", 150_000)
    return PostsRepo(graph.db).create(NewPost(
        account.id, str(video), video.stat().st_size, sha256_of(video), caption="x",
        privacy_level="SELF_ONLY", due_at=int(time.time()) + 3600, due_tz="UTC",
        consent_at=int(time.time())), PostState.SCHEDULED).id


def test_moves_refuse_what_would_lose_or_double_posts(
        sandbox: SandboxServer, url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    graph = member(sandbox)
    try:
        post_id = _with_a_post(graph, tmp_path)
        schedule = graph.shared
        with pytest.raises(SharedError, match="uses its own schedule already"):
            schedule.move_back()
        # Not created yet (so not joined): nothing to move into.
        with pytest.raises(SharedError, match="has not joined") as info:
            schedule.move_here(url)
        assert SECRET not in str(info.value)
        schedule.init(url)
        # An engine is publishing a post of this schedule right now.
        graph.db.conn().execute("UPDATE posts SET lease_owner = 'elsewhere:1:a', "
                                "lease_expires_at = ? WHERE id = ?",
                                (int(time.time()) + 600, post_id))
        with pytest.raises(SharedError, match="publishing 1 post"):
            schedule.move_here(url)
        graph.db.conn().execute("UPDATE posts SET lease_owner = NULL, lease_expires_at = "
                                "NULL WHERE id = ?", (post_id,))
        # A schedule that talks to another TikTok: these sign-ins mean nothing there.
        other = PgDatabase.open(url)
        try:
            write_target(other, SharedTarget(sandbox_url="http://127.0.0.1:9"))
            with pytest.raises(SharedError, match=r"talks to the sandbox at http://127\.0\.0\.1:9"):
                schedule.move_here(url)
            assert counts_of(other)["posts"] == 0
        finally:
            other.close()
    finally:
        graph.close()
    # Another member (without a local schedule of this TikTok) cannot move into it.
    use_home(monkeypatch, tmp_path / "bob")
    bob = member(sandbox, database="")
    try:
        with pytest.raises(SharedError, match="has not joined"):
            bob.shared.move_here(url)
    finally:
        bob.close()


def test_a_move_that_fails_part_way_leaves_the_shared_schedule_empty(
        sandbox: SandboxServer, url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    graph = member(sandbox)
    try:
        _with_a_post(graph, tmp_path)
        schedule = graph.shared
        schedule.init(url)
    finally:
        graph.close()

    def broken(*_args: object) -> int:  # the keyring fails after the rows were copied
        raise shared_module.VaultError("Reading from the system keyring failed: locked")

    monkeypatch.setattr("tiktok_desktop.credentials.shared_vault.copy_secrets", broken)
    with pytest.raises(shared_module.VaultError):
        schedule.move_here(url)
    shared = member(sandbox)  # init made this computer use it: still empty
    try:
        assert counts_of(shared.db) == dict.fromkeys(counts_of(shared.db), 0)
    finally:
        shared.close()
