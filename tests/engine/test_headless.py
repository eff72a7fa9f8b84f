"""``tiktok-desktop run`` in its own process against a sandbox in this test's process.

The sandbox lives here (its log of what it received must outlive the engine); the engine runs
as the real command line in a child process, on a real clock, sharing the database and a
file-backed keyring with the test.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import connect_account, sha256_of, write_video
from tests.engine.file_keyring import ENV as KEYRING_ENV
from tests.engine.file_keyring import FileKeyring
from tests.helpers.process_lines import lines_of as read_lines
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import Runtime, accounts_service, vault_service
from tiktok_desktop.credentials import Vault
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.sandbox import UPLOAD_PATH, SandboxOptions, SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import (
    Account,
    Database,
    NewPost,
    Post,
    PostsRepo,
    PostState,
)
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals (SIGTERM, SIGKILL)")

REPO = Path(__file__).resolve().parents[2]
POST_LINE = re.compile(r"INFO +post (\d+): (\w+)")


@dataclass
class World:
    sandbox: SandboxServer
    db: Database
    posts: PostsRepo
    accounts: AccountsService
    env: dict[str, str]
    tmp: Path

    def engine(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "tiktok_desktop", "run", "--sandbox-url",
             self.sandbox.base_url, *args],
            env={**self.env, "TIKTOK_SANDBOX_TOKEN": self.sandbox.control_token}, cwd=self.tmp,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def schedule(self, account: Account, video: Path, caption: str) -> Post:
        return self.posts.create(NewPost(
            account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
            video_sha256=sha256_of(video), caption=caption, privacy_level="PUBLIC_TO_EVERYONE",
            due_at=int(time.time()) - 1, consent_at=int(time.time())), PostState.SCHEDULED)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    options = SandboxOptions(processing_seconds=0.0, rate_limits_enabled=False,
                             daily_post_cap=100_000)
    home = tmp_path / "home"
    keyring_file = tmp_path / "keyring.json"
    env = {**os.environ, "TIKTOK_DESKTOP_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "tests.engine.file_keyring.FileKeyring",
           KEYRING_ENV: str(keyring_file), "PYTHONPATH": str(REPO),
           "PYTHONUNBUFFERED": "1"}
    profile = paths.resolve({paths.HOME_ENV: str(home)}).for_profile(paths.SANDBOX_PROFILE)
    profile.ensure()
    with SandboxServer(tmp_path / "sandbox", options) as sandbox, \
            httpx.Client(trust_env=False) as http:
        db = Database.open(profile.db_file)
        endpoints = Endpoints.single(sandbox.base_url)
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret), endpoints)
        accounts = accounts_service(
            db, Vault(vault_service(profile, sandbox=True), backend=FileKeyring(keyring_file)),
            oauth,
            TikTokApi(http, endpoints), Runtime(), redirect_uri="http://127.0.0.1:*/callback/")
        try:
            yield World(sandbox, db, PostsRepo(db), accounts, env, tmp_path)
        finally:
            db.close()


ALL_OUTPUT: list[str] = []


def lines_of(proc: subprocess.Popen[str]) -> queue.Queue[str | None]:
    return read_lines(proc, ALL_OUTPUT)


def test_run_once_publishes_what_is_due_and_exits(world: World, tmp_path: Path) -> None:
    account = connect_account(world.accounts, world.sandbox)
    video = write_video(tmp_path / "v.mp4", 200_000)
    post = world.schedule(account, video, "headless once")
    proc = world.engine("--once")
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    done = world.posts.get(post.id)
    assert done is not None and done.state in lifecycle.POSTED, output
    # Published; its link comes after TikTok's review, which the next runs follow.
    assert f"post {post.id}: in_review" in output
    assert "engine stopped" in output.splitlines()[-1]
    [publish] = world.sandbox.control.publishes(account.open_id)
    assert publish.post_info["title"] == "headless once"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_engine_cleanly_and_the_post_resumes_later(
    world: World, tmp_path: Path, sig: signal.Signals,
) -> None:
    world.sandbox.options.processing_seconds = 3600.0  # keep it busy polling
    account = connect_account(world.accounts, world.sandbox)
    video = write_video(tmp_path / "v.mp4", 200_000)
    post = world.schedule(account, video, "interrupted")
    proc = world.engine()
    lines = lines_of(proc)
    while (line := lines.get(timeout=60)) is not None:
        if f"post {post.id}: processing" in line:
            break
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    rest = []
    while (line := lines.get(timeout=30)) is not None:
        rest.append(line)
    assert "engine stopped (interrupted)" in rest[-1]
    left = world.posts.get(post.id)
    assert left is not None and left.state is PostState.PROCESSING
    assert left.lease_owner is None  # released: the next start takes it up at once
    world.sandbox.options.processing_seconds = 0.0
    again = world.engine("--once")
    output, _ = again.communicate(timeout=60)
    done = world.posts.get(post.id)
    assert done is not None and done.state in lifecycle.POSTED, output
    assert len([c for c in world.sandbox.control.calls()
                if c.path == "/v2/post/publish/video/init/"]) == 1


def test_sigterm_mid_chunk_stops_within_seconds_and_the_upload_resumes(
    world: World, tmp_path: Path,
) -> None:
    """A chunk in flight to a server that stalls: SIGTERM must not wait for the 180 s read
    timeout (issue 14). The engine stops at once; the next start continues the upload."""
    account = connect_account(world.accounts, world.sandbox)
    video = write_video(tmp_path / "v.mp4", 200_000)
    post = world.schedule(account, video, "cut mid-chunk")
    world.sandbox.control.inject_fault(UPLOAD_PATH, "slow", count=1, delay=300.0)
    proc = world.engine()
    transcript: list[str] = []
    read_lines(proc, transcript)
    world.sandbox.control.wait_fault_used(UPLOAD_PATH, "slow")  # the PUT is held now
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, "".join(transcript)
    took = time.monotonic() - started
    assert took < 5.0, f"took {took:.1f} s"  # the issue asks for 2 s; slack for CI
    left = world.posts.get(post.id)
    assert left is not None and left.state is PostState.UPLOADING and left.lease_owner is None
    world.sandbox.control.clear_faults()
    again = world.engine("--once")
    output, _ = again.communicate(timeout=60)
    done = world.posts.get(post.id)
    assert done is not None and done.state in lifecycle.POSTED, output
    assert len([c for c in world.sandbox.control.calls()
                if c.path == "/v2/post/publish/video/init/"]) == 1


def test_engine_killed_at_random_points_still_publishes_every_post_exactly_once(
    world: World, tmp_path: Path,
) -> None:
    """SIGKILL the headless engine at >= 50 random points over a batch of posts, restart it,
    and prove from what the sandbox received that each post was accepted exactly once."""
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    usernames = ["sandbox_creator", "sandbox_quiet"]
    for n in range(2):
        world.sandbox.control.add_user(f"crash_user_{n}")
        usernames.append(f"crash_user_{n}")
    accounts = [connect_account(world.accounts, world.sandbox, u) for u in usernames]
    small = write_video(tmp_path / "small.mp4", 1_500_000)
    big = write_video(tmp_path / "big.mp4", 65_000_000)  # seven chunks: kills land mid-upload
    batch: list[Post] = []

    def add_wave() -> None:
        for _ in range(8):
            i = len(batch)
            video = big if i % 4 == 0 else small
            batch.append(world.schedule(accounts[i % len(accounts)], video, f"crash post {i}"))

    def all_final() -> bool:
        # Final, or published and only waiting for TikTok's review (followed later on).
        rest = lifecycle.FINAL | lifecycle.FOLLOWED
        return all((world.posts.get(p.id) or p).state in rest for p in batch)

    add_wave()
    kills = restarts = 0
    landed: dict[str, int] = {}  # the last state the engine reported before each kill
    started = time.monotonic()
    while kills < 50:
        assert time.monotonic() - started < 150, f"too slow (seed {seed})"
        if all_final():
            add_wave()
        proc = world.engine()
        restarts += 1
        lines = lines_of(proc)
        want = rng.randint(1, 5)
        seen = 0
        last = "start"
        while seen < want:
            try:
                line = lines.get(timeout=10)
            except queue.Empty:
                break
            if line is None or " idle; " in line:
                break
            if match := POST_LINE.search(line):
                seen += 1
                last = match.group(2)
        pause = rng.choice([0.0, 0.0, 0.001, 0.005, 0.02])
        if pause:
            threading.Event().wait(pause)  # where exactly the kill lands: a random point
        if proc.poll() is None:
            proc.kill()
            kills += 1
            landed[last] = landed.get(last, 0) + 1
        proc.wait(timeout=30)
        while lines.get(timeout=30) is not None:  # the pipe is drained and closed
            pass
    # A last, undisturbed run finishes what the kills interrupted. It may have to wait out
    # TikTok's per-minute limits: the restarts spent them, and budgets survive restarts.
    if not all_final():
        final = world.engine()
        lines = lines_of(final)
        deadline = time.monotonic() + 150
        while not all_final() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                lines.get(timeout=1)  # wakes on the engine's output, or once a second
        final.terminate()  # SIGTERM: a clean stop
        assert final.wait(timeout=60) == 0
        while lines.get(timeout=30) is not None:
            pass
    states = {p.id: (world.posts.get(p.id) or p).state for p in batch}
    stuck = {i: [(e.state.value, e.detail) for e in world.posts.events(i)]
             for i, state in states.items() if state not in lifecycle.POSTED}
    errors = [line for line in ALL_OUTPUT if "ERROR" in line or "Error" in line
              or "Traceback" in line or line.startswith(("  ", "Traceback"))]
    if stuck:
        print("".join(errors[:80]))
    assert not stuck, (seed, stuck)

    # The proof, from what TikTok (the sandbox) received: each post accepted exactly once.
    publishes = world.sandbox.control.publishes()
    accepted: dict[str, list[object]] = {}
    for publish in publishes:
        if publish.uploaded_bytes == publish.video_size:
            accepted.setdefault(publish.post_info["title"], []).append(publish)
    for post in batch:
        done = world.posts.get(post.id)
        assert done is not None
        got = accepted.get(post.caption, [])
        assert len(got) == 1, (seed, post.caption, got)
        [publish] = got
        assert publish.publish_id == done.publish_id  # type: ignore[attr-defined]
        assert publish.status == "PUBLISH_COMPLETE"  # type: ignore[attr-defined]
        assert publish.sha256 == sha256_of(Path(post.video_path))  # type: ignore[attr-defined]
    assert len(accepted) == len(batch)
    inits = [c for c in world.sandbox.control.calls()
             if c.path == "/v2/post/publish/video/init/"]
    # The kills hit every phase of a publish, not just start-up.
    # Kills landed inside the pipeline, not only between posts. Which steps they hit depends
    # on timing (rate-limit waits after restarts make uploads rarer), so two of three suffice.
    assert len({"preparing", "uploading", "processing"} & set(landed)) >= 2, (seed, landed)
    print(f"crash test (seed {seed}): {kills} kills over {restarts} runs, {len(batch)} posts, "
          f"{len(inits)} inits, {len(publishes) - len(batch)} abandoned uploads, "
          f"{time.monotonic() - started:.1f} s; kills after: {landed}")
