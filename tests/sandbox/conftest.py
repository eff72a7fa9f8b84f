"""Fixtures: a fresh sandbox per test on a temp folder with an injected clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

from .helpers import FakeClock, Tokens, connect


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_server(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., SandboxServer]]:
    started: list[SandboxServer] = []

    def make(options: SandboxOptions | None = None, port: int = 0,
             state_dir: Path | None = None, **kwargs: Any) -> SandboxServer:
        server = SandboxServer(state_dir or tmp_path / "state", options, port=port,
                               clock=kwargs.get("clock", clock))
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., SandboxServer]) -> SandboxServer:
    return make_server()


@pytest.fixture
def http(server: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10.0) as client:
        yield client


@pytest.fixture
def ctl(server: SandboxServer) -> Iterator[httpx.Client]:
    """A client of the control API: this run's token on every request."""
    with httpx.Client(base_url=server.base_url, timeout=10.0,
                      headers={"X-Sandbox-Token": server.control_token}) as client:
        yield client


@pytest.fixture
def creator(server: SandboxServer, http: httpx.Client) -> Tokens:
    """Tokens of the public sandbox_creator with every scope, via the audited app."""
    return connect(server, http)
