"""Services against the real sandbox over loopback HTTP, with a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.clock import FakeClock
from tiktok_desktop.bootstrap import Runtime, accounts_service
from tiktok_desktop.credentials import Vault
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Database
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: FakeClock) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "sandbox", clock=clock) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path, clock: FakeClock) -> Iterator[Database]:
    database = Database.open(tmp_path / "app.sqlite3", clock=clock)
    yield database
    database.close()


@pytest.fixture
def accounts(sandbox: SandboxServer, db: Database, clock: FakeClock) -> Iterator[AccountsService]:
    endpoints = Endpoints.single(sandbox.base_url)
    with httpx.Client(trust_env=False) as http:
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret),
                            endpoints, clock=clock)
        api = TikTokApi(http, endpoints, clock=clock, sleeper=lambda _s: None)
        yield accounts_service(db, Vault(), oauth, api, Runtime(clock=clock),
                               redirect_uri="http://127.0.0.1:*/callback/", connect_timeout=30)
