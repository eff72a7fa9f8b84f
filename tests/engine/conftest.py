"""The engine against the real sandbox over loopback HTTP, a real SQLite file, and one fake
clock shared by the server, the app and the engine's sleeper (sleeping moves the clock)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.files import random_file, sha256_of
from tests.helpers.videos import padded_video, video_bytes
from tiktok_desktop.bootstrap import Runtime, accounts_service, engine_parts
from tiktok_desktop.credentials import Vault
from tiktok_desktop.engine import Engine, EngineConfig, Notice, NoticeKind
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.sandbox.models import App
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    Database,
    NewPost,
    Post,
    PostMode,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

T0 = 1_800_000_000.0


@dataclass
class Recorder:
    """An EngineListener that keeps everything it hears (thread-safe)."""

    changes: list[Post] = field(default_factory=list)
    progress: list[tuple[int, int, int]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post_changed(self, post: Post) -> None:
        with self.lock:
            self.changes.append(post)

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        with self.lock:
            self.progress.append((post_id, sent, total))

    def notice(self, notice: Notice) -> None:
        with self.lock:
            self.notices.append(notice)

    def kinds(self, post_id: int | None = None) -> list[NoticeKind]:
        return [n.kind for n in self.notices if post_id is None or n.post_id == post_id]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def sandbox_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    return dict(getattr(request, "param", {}))


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock,
            sandbox_options: dict[str, Any]) -> Iterator[SandboxServer]:
    options = SandboxOptions(**sandbox_options)
    with SandboxServer(tmp_path / "sandbox", options, clock=clock) as server:
        yield server


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "app.sqlite3"


@pytest.fixture
def db(db_path: Path, clock: FakeClock) -> Iterator[Database]:
    database = Database.open(db_path, clock=clock)
    yield database
    database.close()


class RequestCounter:
    """Counts requests the app's client started (to wait until the sandbox handled them)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> None:
        with self._lock:
            self.count += 1


@pytest.fixture
def requests_sent() -> RequestCounter:
    return RequestCounter()


@pytest.fixture
def http(requests_sent: RequestCounter) -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, event_hooks={"request": [requests_sent]}) as client:
        yield client


@pytest.fixture
def endpoints(sandbox: SandboxServer) -> Endpoints:
    return Endpoints.single(sandbox.base_url)


def runtime_for(clock: FakeClock) -> Runtime:
    """One fake clock for everything: sleeping moves it; backoff jitter is the midpoint."""
    return Runtime(clock=clock, monotonic=clock, rand=lambda: 0.5,
                   sleeper=lambda _stop: clock.advance)


def make_accounts(db: Database, sandbox: SandboxServer, http: httpx.Client,
                  clock: FakeClock, app: App | None = None) -> AccountsService:
    """Accounts through the sandbox's ``app`` (default: its audited one)."""
    app = app or sandbox.app
    endpoints = Endpoints.single(sandbox.base_url)
    oauth = OAuthClient(http, ClientCredentials(app.client_key, app.client_secret),
                        endpoints, clock=clock)
    api = TikTokApi(http, endpoints, clock=clock, sleeper=lambda _s: None)
    return accounts_service(db, Vault(), oauth, api, runtime_for(clock),
                            redirect_uri="http://127.0.0.1:*/callback/", connect_timeout=30)


@pytest.fixture
def accounts(db: Database, sandbox: SandboxServer, http: httpx.Client,
             clock: FakeClock) -> AccountsService:
    return make_accounts(db, sandbox, http, clock)


def connect_account(accounts: AccountsService, sandbox: SandboxServer,
                    username: str = "sandbox_creator") -> Account:
    """The real desktop flow: consent (played by control.approve) -> loopback -> tokens."""
    attempt = accounts.start_connect()
    redirect = sandbox.control.approve(attempt.authorize_url,
                                       open_id=sandbox.user(username).open_id)
    with httpx.Client(trust_env=False) as browser:
        assert browser.get(redirect).status_code == 200
    return accounts.finish_connect(attempt).account


@pytest.fixture
def connect(accounts: AccountsService, sandbox: SandboxServer) -> Callable[..., Account]:
    return lambda username="sandbox_creator": connect_account(accounts, sandbox, username)


def write_video(path: Path, size: int) -> Path:
    """A file of exactly `size` bytes: a real small video padded with random bytes (so it
    passes the sandbox's processing, and each file's hash differs) when there is room for one,
    else random bytes."""
    if size >= len(video_bytes()) + 16:
        return padded_video(path, size)
    return random_file(path, size)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.mp4", 300_000)


@pytest.fixture(scope="session")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Over 64 MB: seven 10 MB chunks, so faults can land between and inside chunks."""
    return write_video(tmp_path_factory.mktemp("big") / "big.mp4", 70_500_000)


@pytest.fixture
def posts(db: Database) -> PostsRepo:
    return PostsRepo(db)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> PostsService:
    """The posts use cases the GUI and the CLI call (post now, check again...)."""
    return PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=clock)


@pytest.fixture
def schedule(posts: PostsRepo, clock: FakeClock) -> Callable[..., Post]:
    def make(account: Account, path: Path, *, due_in: float = -1, caption: str = "Hello",
             privacy: str | None = "PUBLIC_TO_EVERYONE", mode: PostMode = PostMode.DIRECT,
             **extra: Any) -> Post:
        new = NewPost(account_id=account.id, video_path=str(path),
                      video_size=path.stat().st_size, video_sha256=sha256_of(path),
                      caption=caption, privacy_level=privacy, mode=mode,
                      due_at=int(clock.now + due_in), due_tz="UTC", consent_at=int(clock.now),
                      **extra)
        return posts.create(new, PostState.SCHEDULED)

    return make


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_engine(db: Database, accounts: AccountsService, http: httpx.Client,
                endpoints: Endpoints, clock: FakeClock,
                recorder: Recorder) -> Iterator[Callable[..., Engine]]:
    """An engine as bootstrap builds it, on the fake clock. Keyword arguments replace its
    parts (rand, monotonic...); ``grace`` is in seconds; ``listener`` and ``on_wake`` go to
    the Engine itself."""
    engines: list[Engine] = []

    def make(*, listener: Any = None, on_wake: Callable[[], None] | None = None,
             grace: float = 7200.0, database: Database | None = None, **parts: Any) -> Engine:
        """``database``: another connection to the data (as a second process has)."""
        built = engine_parts(database or db, accounts.tokens.vault, accounts.oauth, http,
                             endpoints, runtime_for(clock), grace=lambda: grace,
                             share_base="https://www.tiktok.com", config=EngineConfig())
        engine = Engine(dataclasses.replace(built, **parts),
                        recorder if listener is None else listener, on_wake=on_wake)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.stop()


def events(posts: PostsRepo, post_id: int) -> list[tuple[str, str]]:
    return [(e.state.value, e.detail) for e in posts.events(post_id)]


def calls_to(sandbox: SandboxServer, suffix: str) -> list[Any]:
    return [c for c in sandbox.control.calls() if c.path.endswith(suffix)]


def follow_until(engine: Engine, clock: FakeClock, done: Callable[[], bool],
                 limit: int = 500) -> int:
    """Let the engine run at each wake-up it plans (moving the fake clock there) until
    ``done()``; returns how many wake-ups that took."""
    for woken in range(limit):
        if done():
            return woken
        wake = engine.tick()
        engine.wait_idle()
        if done():
            return woken + 1
        assert wake is not None, "nothing planned, and not done"
        clock.now = max(clock.now, wake)
        engine.run_once()
    raise AssertionError(f"not done after {limit} wake-ups")
