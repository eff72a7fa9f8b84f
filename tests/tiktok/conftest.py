"""Fixtures for the client tests: a real sandbox over loopback HTTP, one fake clock shared by the
server and the client, and a sleeper that records waits (and moves the clock)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tiktok_support import ALL_SCOPES, REDIRECT_URI, START, Connect, FakeClock, RecordingSleeper

from tests.helpers.files import random_file
from tests.helpers.videos import padded_video, video_bytes
from tiktok_desktop.tiktok import (
    ChunkUploader,
    ClientCredentials,
    Endpoints,
    OAuthClient,
    TikTokApi,
    TokenSet,
    new_pkce,
    new_state,
    parse_callback,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sleeper(clock: FakeClock) -> RecordingSleeper:
    return RecordingSleeper(clock)


@pytest.fixture
def sandbox_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """SandboxOptions overrides: ``@pytest.mark.parametrize("sandbox_options", [{...}],
    indirect=True)``."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock, sandbox_options: dict[str, Any]) -> Iterator[Any]:
    from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

    server = SandboxServer(tmp_path / "sandbox-state", SandboxOptions(**sandbox_options),
                           clock=clock)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def endpoints(sandbox: Any) -> Endpoints:
    return Endpoints.single(sandbox.base_url)


@pytest.fixture
def oauth(http: httpx.Client, sandbox: Any, endpoints: Endpoints, clock: FakeClock) -> OAuthClient:
    app = sandbox.app
    return OAuthClient(http, ClientCredentials(app.client_key, app.client_secret), endpoints,
                       clock=clock)


@pytest.fixture
def api(http: httpx.Client, endpoints: Endpoints, clock: FakeClock,
        sleeper: RecordingSleeper) -> TikTokApi:
    return TikTokApi(http, endpoints, clock=clock, sleeper=sleeper)


@pytest.fixture
def uploader(http: httpx.Client, sleeper: RecordingSleeper) -> ChunkUploader:
    return ChunkUploader(http, sleeper=sleeper)


def user_named(sandbox: Any, username: str) -> Any:
    for user in sandbox.users:
        if user.username == username:
            return user
    raise LookupError(username)


@pytest.fixture
def user(sandbox: Any) -> Callable[[str], Any]:
    """user("sandbox_private") -> the sandbox's user record."""
    return lambda username: user_named(sandbox, username)


@pytest.fixture
def connect(sandbox: Any, oauth: OAuthClient) -> Connect:
    """The whole desktop flow: PKCE + authorize URL -> consent (control.approve) -> callback ->
    code exchange. Returns the TokenSet."""

    def run(username: str = "sandbox_creator", scopes: tuple[str, ...] = ALL_SCOPES,
            grant: tuple[str, ...] | None = None, client: OAuthClient | None = None) -> TokenSet:
        client = client or oauth
        pkce = new_pkce()
        state = new_state()
        url = client.authorize_url(scopes, REDIRECT_URI, state, pkce.challenge)
        redirect = sandbox.control.approve(url, open_id=user_named(sandbox, username).open_id,
                                           scopes=grant)
        code = parse_callback(redirect).authorization_code(state)
        return client.exchange_code(code, REDIRECT_URI, pkce.verifier)

    return run


@pytest.fixture
def video_file(tmp_path: Path) -> Callable[..., Path]:
    """video_file(size, name="clip.mp4"): a file of exactly `size` bytes: a real small video
    padded with random bytes (tests.helpers.videos.padded_video) when `size` leaves room for
    one, so it passes the sandbox's processing; else random bytes, for transport tests that
    never reach processing."""

    def make(size: int, name: str = "clip.mp4") -> Path:
        path = tmp_path / name
        if size >= len(video_bytes()) + 16:
            return padded_video(path, size)
        return random_file(path, size)

    return make


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A real small video (1 s, 360x640, 30 fps H.264 MP4) that TikTok's processing accepts."""
    path = tmp_path / "real-clip.mp4"
    path.write_bytes(video_bytes())
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@pytest.fixture
def file_sha256() -> Callable[[Path], str]:
    return sha256_of
