"""Exactly once: claims are compare-and-set, a crashed engine's post is resumed from its
stored step, and init is never repeated once TikTok may have the post."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import MemoryKeyring
from tests.engine.conftest import (
    Recorder,
    RequestCounter,
    calls_to,
    sha256_of,
)
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, UPLOAD
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.store import (
    Account,
    Database,
    Post,
    PostsRepo,
    PostState,
    PostStep,
)
from tiktok_desktop.store.leases import retire


class Crash(BaseException):
    """Stands in for the process dying: nothing in the engine catches a BaseException."""


class CrashingRecorder(Recorder):
    def __init__(self, on_change: Callable[[Post], bool] = lambda p: False,
                 on_progress: Callable[[int, int], bool] = lambda s, t: False) -> None:
        super().__init__()
        self.on_change = on_change
        self.on_progress = on_progress
        self.crashed = threading.Event()

    def post_changed(self, post: Post) -> None:
        super().post_changed(post)
        if not self.crashed.is_set() and self.on_change(post):
            self.crashed.set()
            raise Crash()

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        if not self.crashed.is_set() and self.on_progress(sent, total):
            self.crashed.set()
            raise Crash()


def complete_publishes(sandbox: SandboxServer, account: Account) -> list[object]:
    return [p for p in sandbox.control.publishes(account.open_id)
            if p.uploaded_bytes == p.video_size]


def test_two_engines_on_one_database_never_publish_a_post_twice(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    db_path: Path, clock: FakeClock, http: httpx.Client,
) -> None:
    a = connect("sandbox_creator")
    b = connect("sandbox_quiet")
    batch = [schedule(a if i % 2 else b, video, caption=f"post {i}") for i in range(8)]
    other_db = Database.open(db_path, clock=clock)
    try:
        engines = [make_engine(), make_engine(database=other_db)]
        start = threading.Barrier(2)

        def run(engine: Engine) -> None:
            start.wait()
            engine.run_once()

        threads = [threading.Thread(target=run, args=(e,)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other_db.close()
    for post in batch:
        done = posts.get(post.id)
        assert done is not None and done.state in POSTED
        claims = [e for e in posts.events(post.id) if e.detail == "Due: starting."]
        assert len(claims) == 1
    titles = sorted(p.post_info["title"] for p in sandbox.control.publishes())
    assert titles == sorted(f"post {i}" for i in range(8))
    assert len(calls_to(sandbox, INIT)) == 8


def _no_pause() -> None:
    pass


def crash_then_resume(make_engine: Callable[..., Engine], crasher: CrashingRecorder,
                      posts: PostsRepo, post: Post, sandbox: SandboxServer,
                      sent: RequestCounter, clock: FakeClock,
                      between: Callable[[], None] = _no_pause) -> Engine:
    first = make_engine(listener=crasher)
    first.tick()  # one pass only: after the crash this engine does nothing more
    first.wait_idle()
    assert crasher.crashed.is_set()
    left = posts.get(post.id)
    assert left is not None and left.state in lifecycle.ACTIVE and left.lease_owner == first.owner
    retire(first.owner)  # the process is gone: its lease may be taken over at once
    between()
    if between is not _no_pause:
        # Time passes in the fake clock: let bytes the dead engine had sent land first.
        sandbox.control.wait_for_calls(sent.count)
    second = make_engine()
    second.run_once()
    for _ in range(5):  # waits the engine planned (e.g. for a dead link to settle)
        waiting = posts.get(post.id)
        if waiting is None or waiting.state is not PostState.RETRY_WAIT:
            break
        clock.now = float(waiting.next_attempt_at or 0)
        second.run_once()
    return second



@pytest.mark.parametrize("sandbox_options", [{"store_upload_bytes": True}], indirect=True)
@pytest.mark.parametrize(
    ("where", "crasher"),
    [
        ("mid-chunk", lambda: CrashingRecorder(on_progress=lambda s, t: s >= 15_000_000)),
        ("last-chunk-marked", lambda: CrashingRecorder(
            on_change=lambda p: p.step is PostStep.FINAL and p.state is PostState.UPLOADING)),
        ("last-byte-out", lambda: CrashingRecorder(on_progress=lambda s, t: s == t)),
        ("polling", lambda: CrashingRecorder(on_change=lambda p: p.state is PostState.PROCESSING)),
    ],
    ids=["mid-chunk", "last-chunk-marked", "last-byte-out", "polling"],
)
def test_a_crashed_engine_is_resumed_from_the_stored_step_with_one_init(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], big_video: Path, posts: PostsRepo, sandbox: SandboxServer,
    memory_keyring: MemoryKeyring, db_path: Path, where: str,
    crasher: Callable[[], CrashingRecorder], requests_sent: RequestCounter, clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, big_video)
    crash_then_resume(make_engine, crasher(), posts, post, sandbox, requests_sent, clock)
    done = posts.get(post.id)
    assert done is not None and done.state in POSTED, done
    assert len(calls_to(sandbox, INIT)) == 1
    [publish] = sandbox.control.publishes(account.open_id)
    received = sandbox.control.received(publish.publish_id)
    # The bytes are gone once processing ended (the sandbox keeps none it no longer needs);
    # their SHA-256, taken over what arrived in order, stands for them.
    assert received.complete and received.sha256 == sha256_of(big_video)
    assert any("Picked up again" in e.detail for e in posts.events(post.id))
    if where == "mid-chunk":
        # The upload continued where TikTok was, not from byte 0.
        assert sum(1 for c in calls_to(sandbox, UPLOAD) if c.status == 206) == 6
    # The upload link (a credential) lived in the keyring only, and is gone now.
    assert not [k for k in memory_keyring.entries if k[1].startswith("upload-url:")]
    assert b"upload_token" not in db_path.read_bytes()


@pytest.mark.parametrize(
    "crasher",
    [lambda: CrashingRecorder(on_progress=lambda s, t: s >= 15_000_000),
     lambda: CrashingRecorder(on_change=lambda p: p.step is PostStep.FINAL and
                              p.state is PostState.UPLOADING),
     lambda: CrashingRecorder(on_progress=lambda s, t: s == t)],
    ids=["mid-chunk", "last-chunk-marked", "last-byte-out"],
)
def test_after_the_upload_link_expired_a_new_init_happens_only_if_tiktok_lacks_the_video(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], big_video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, crasher: Callable[[], CrashingRecorder],
    requests_sent: RequestCounter,
) -> None:
    account = connect()
    post = schedule(account, big_video)
    crash_then_resume(make_engine, crasher(), posts, post, sandbox, requests_sent, clock,
                      between=lambda: clock.advance(3700))
    done = posts.get(post.id)
    assert done is not None and done.state in POSTED
    publishes = sandbox.control.publishes(account.open_id)
    complete = complete_publishes(sandbox, account)
    assert len(complete) == 1
    [accepted] = complete
    assert accepted.publish_id == done.publish_id  # type: ignore[attr-defined]
    assert accepted.sha256 == sha256_of(big_video)  # type: ignore[attr-defined]
    # A second init only when the first publish never got the whole video.
    assert len(calls_to(sandbox, INIT)) == len(publishes)


def test_a_live_lease_of_another_engine_is_respected_until_it_expires(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock,
) -> None:
    account = connect()
    post = schedule(account, video)
    first = make_engine(listener=CrashingRecorder(
        on_change=lambda p: p.state is PostState.PREPARING))
    first.tick()  # crashed right after claiming; its owner still "runs"
    first.wait_idle()
    held = posts.get(post.id)
    assert held is not None and held.lease_owner == first.owner
    second = make_engine()
    assert second.tick() == held.lease_expires_at  # wakes when the lease runs out
    second.wait_idle()
    assert posts.get(post.id) == held  # untouched meanwhile
    clock.now = float(held.lease_expires_at or 0)
    second.run_once()
    done = posts.get(post.id)
    assert done is not None and done.state in POSTED
    assert len(calls_to(sandbox, INIT)) == 1
