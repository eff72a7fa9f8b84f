"""EngineWorker: the engine in a QThread, reports as queued signals, wake() re-plans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.engine.conftest import (
    connect_account,
    make_accounts,
    runtime_for,
    sha256_of,
    write_video,
)
from tests.helpers.clock import FakeClock
from tiktok_desktop.bootstrap import engine_parts
from tiktok_desktop.engine import Engine, EngineListener, Notice, NoticeKind
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Account, Database, NewPost, Post, PostsRepo, PostState
from tiktok_desktop.tiktok import Endpoints
from tiktok_desktop.ui.worker import EngineWorker

pytestmark = pytest.mark.gui

T0 = 1_800_000_000.0


class Env:
    def __init__(self, tmp: Path) -> None:
        self.clock = FakeClock(T0)
        self.sandbox = SandboxServer(tmp / "sandbox", SandboxOptions(store_upload_bytes=False),
                                     clock=self.clock)
        self.sandbox.start()
        self.http = httpx.Client(trust_env=False)
        self.db = Database.open(tmp / "app.sqlite3", clock=self.clock)
        self.posts = PostsRepo(self.db)
        self.accounts: AccountsService = make_accounts(self.db, self.sandbox, self.http,
                                                       self.clock)
        self.video = write_video(tmp / "clip.mp4", 300_000)

    def engine(self, listener: EngineListener) -> Engine:
        parts = engine_parts(self.db, self.accounts.tokens.vault, self.accounts.oauth,
                             self.http, Endpoints.single(self.sandbox.base_url),
                             runtime_for(self.clock), grace=lambda: 7200.0,
                             share_base="https://www.tiktok.com")
        return Engine(parts, listener)

    def schedule(self, account: Account, due_in: float = -1) -> Post:
        return self.posts.create(NewPost(
            account_id=account.id, video_path=str(self.video),
            video_size=self.video.stat().st_size, video_sha256=sha256_of(self.video),
            caption="from the worker", privacy_level="SELF_ONLY",
            due_at=int(self.clock.now + due_in)), PostState.SCHEDULED)

    def close(self) -> None:
        self.http.close()
        self.db.close()
        self.sandbox.stop()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    environment = Env(tmp_path)
    yield environment
    environment.close()


@pytest.fixture
def worker(env: Env, qapp: QApplication) -> Iterator[EngineWorker]:
    w = EngineWorker(env.engine)
    yield w
    w.stop()


def published(notice: Notice) -> bool:
    return notice.kind is NoticeKind.PUBLISHED


def test_due_post_is_published_and_reported_on_the_gui_thread(
    env: Env, worker: EngineWorker, qtbot: QtBot, qapp: QApplication,
) -> None:
    account = connect_account(env.accounts, env.sandbox)
    post = env.schedule(account)
    threads: set[object] = set()
    states: list[PostState] = []
    progress: list[tuple[int, int, int]] = []

    def on_change(p: Post) -> None:
        threads.add(QThread.currentThread())
        states.append(p.state)

    worker.postChanged.connect(on_change)
    worker.uploadProgress.connect(lambda i, s, t: progress.append((i, s, t)))
    with qtbot.waitSignal(worker.notice, timeout=20_000, check_params_cb=published) as blocker:
        worker.start()
    notice = blocker.args[0]
    assert notice.post_id == post.id and "Posted" in notice.message
    qtbot.waitUntil(lambda: bool(states) and states[-1] is PostState.PUBLISHED, timeout=5000)
    assert threads == {qapp.thread()}  # queued to the GUI thread
    assert progress[-1] == (post.id, env.video.stat().st_size, env.video.stat().st_size)
    assert worker.engine.owner  # the engine stays reachable for the caller


def test_wake_replans_at_once_after_a_new_post_is_scheduled(
    env: Env, worker: EngineWorker, qtbot: QtBot,
) -> None:
    account = connect_account(env.accounts, env.sandbox)
    with qtbot.waitSignal(worker.nextWakeChanged, timeout=10_000):
        worker.start()  # nothing to do yet: the timer is armed for the watchdog (60 s)
    env.schedule(account)
    with qtbot.waitSignal(worker.notice, timeout=10_000, check_params_cb=published):
        worker.wake()  # without this the post would wait for the 60 s timer


def test_next_wake_is_the_next_due_time(env: Env, worker: EngineWorker, qtbot: QtBot) -> None:
    account = connect_account(env.accounts, env.sandbox)
    post = env.schedule(account, due_in=3600)
    with qtbot.waitSignal(worker.nextWakeChanged, timeout=10_000,
                          check_params_cb=lambda at: at == post.due_at):
        worker.start()


def test_stop_ends_the_thread_and_is_idempotent(
    env: Env, worker: EngineWorker, qtbot: QtBot,
) -> None:
    with qtbot.waitSignal(worker.nextWakeChanged, timeout=10_000):
        worker.start()
    assert worker.running
    with qtbot.waitSignal(worker.stopped, timeout=10_000):
        assert worker.stop()
    assert not worker.running
    assert worker.engine.stopping
    assert worker.stop()  # a second stop is harmless
    assert worker.engine.tick() is None
    with pytest.raises(RuntimeError):
        worker.start()  # an engine runs once; make a new worker to start again
