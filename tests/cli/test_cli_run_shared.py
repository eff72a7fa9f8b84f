"""``tiktok-desktop run --database URL``: a runner of a shared schedule, as its own process
with a data folder of its own, no keyring (the team key from a file) and nothing but the
database's address; the team's sandbox lives in this test's process, over loopback."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.conftest import sha256_of, write_video
from tests.helpers.browser import play_consent
from tests.helpers.postgres import PgServer, start_server, stop_server
from tests.helpers.process_lines import lines_of
from tests.helpers.shared_schedule import (
    SECRET,
    member,
    pause,
    private_file,
    resume,
    with_token,
)
from tiktok_desktop.bootstrap import SANDBOX_TOKEN_ENV
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.store import NewPost, Post, PostsRepo, PostState
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.videos import VideoStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

REPO = Path(__file__).resolve().parents[2]
WAITING = "The runner waits and tries again"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    options = SandboxOptions(processing_seconds=0.0, rate_limits_enabled=False)
    with SandboxServer(tmp_path / "team-sandbox", options) as server:
        with_token(monkeypatch, server)
        yield server


def _team(sandbox: SandboxServer, url: str, tmp_path: Path) -> tuple[Path, str]:
    """A shared schedule with a connected account; (the team key's file, its open_id)."""
    alice = member(sandbox)
    try:
        joined = alice.shared.init(url)
        assert joined.key is not None
        key_file = private_file(tmp_path / "runner-secrets" / "team-key", joined.key.text())
    finally:
        alice.close()
    alice = member(sandbox)
    try:
        attempt = alice.accounts.start_connect()
        play_consent(attempt.authorize_url)
        account = alice.accounts.finish_connect(attempt).account
    finally:
        alice.close()
    return key_file, account.open_id


def _due_post(sandbox: SandboxServer, tmp_path: Path, caption: str, in_: int = -1) -> Post:
    """A post of Alice's, its video kept in the shared schedule's database (the original
    then deleted: the runner has nothing but the database's address)."""
    alice = member(sandbox)
    try:
        [account] = alice.accounts.list_accounts()
        video = write_video(tmp_path / f"{caption}.mp4", 200_000)
        assert isinstance(alice.db, PgDatabase)
        ref = VideoStore(alice.db).put(video)
        size, sha = video.stat().st_size, sha256_of(video)
        video.unlink()
        now = int(time.time())
        return PostsRepo(alice.db).create(NewPost(
            account.id, ref, size, sha, caption=caption, privacy_level="PUBLIC_TO_EVERYONE",
            due_at=now + in_, due_tz="UTC", consent_at=now), PostState.SCHEDULED)
    finally:
        alice.close()


def _runner(sandbox: SandboxServer, url: str, key_file: Path, tmp_path: Path,
            *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TIKTOK_DESKTOP_HOME": str(tmp_path / "runner-home"),
           SANDBOX_TOKEN_ENV: sandbox.control_token, "PYTHONPATH": str(REPO),
           "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tiktok_desktop", "run", "--database", url,
         "--team-key-file", str(key_file), *args],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _state(sandbox: SandboxServer, post: Post) -> PostState:
    alice = member(sandbox)
    try:
        found = PostsRepo(alice.db).get(post.id)
        assert found is not None
        return found.state
    finally:
        alice.close()


def test_a_runner_publishes_a_due_post_of_the_shared_schedule(
        sandbox: SandboxServer, pg_server: PgServer, tmp_path: Path) -> None:
    name = pg_server.new_database()
    url = pg_server.url(name, password=SECRET)
    try:
        key_file, open_id = _team(sandbox, url, tmp_path)
        post = _due_post(sandbox, tmp_path, "from the runner")
        proc = _runner(sandbox, url, key_file, tmp_path, "--once")
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
        assert f"on the shared schedule at tester@127.0.0.1:{pg_server.port}/{name}" in output
        assert f"the sandbox at {sandbox.base_url}" in output
        assert _state(sandbox, post) in lifecycle.POSTED, output
        [publish] = sandbox.control.publishes(open_id)
        assert publish.post_info["title"] == "from the runner"
        assert SECRET not in output
    finally:
        pg_server.drop_database(name)


def test_a_runner_started_while_the_server_is_down_waits_then_publishes_and_rides_out_more(
        sandbox: SandboxServer, tmp_path: Path) -> None:
    """Started with the server down, the runner waits (one line), publishes once it is back;
    the server going away again while it runs is waited out the same way."""
    server = start_server()  # its own: this test stops it
    proc: subprocess.Popen[str] | None = None
    seen: list[str] = []
    try:
        name = server.new_database()
        url = server.url(name, password=SECRET)
        key_file, open_id = _team(sandbox, url, tmp_path)
        post = _due_post(sandbox, tmp_path, "after the outage")
        later = _due_post(sandbox, tmp_path, "after another outage", in_=10)
        pause(server)
        proc = _runner(sandbox, url, key_file, tmp_path)
        lines = lines_of(proc, seen)

        def until(words: str, timeout: float = 90) -> str:
            end = time.monotonic() + timeout
            while True:
                try:
                    line = lines.get(timeout=max(0.1, end - time.monotonic()))
                except queue.Empty:
                    raise AssertionError(f"no {words!r} in:\n{''.join(seen)}") from None
                if line is None:
                    raise AssertionError(f"the runner ended:\n{''.join(seen)}")
                if words in line:
                    return line

        waiting = until(WAITING)
        assert f"tester@127.0.0.1:{server.port}/{name}" in waiting and "cannot be reached" \
            in waiting
        resume(server)
        until("reachable again")
        until(f"post {post.id}: in_review")
        pause(server)  # before the second post is due: the runner finds it gone
        until(WAITING)
        resume(server)
        until("reachable again")
        until(f"post {later.id}: in_review")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.returncode == 0, "".join(seen)
        assert sum(WAITING in line for line in seen) == 2  # one line per outage
        assert _state(sandbox, post) in lifecycle.POSTED
        assert _state(sandbox, later) in lifecycle.POSTED
        assert len(sandbox.control.publishes(open_id)) == 2
        assert SECRET not in "".join(seen)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        stop_server(server)
