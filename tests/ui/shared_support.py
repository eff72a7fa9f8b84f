"""Windows on one shared schedule (issue 20): members with data folders of their own over one
PostgreSQL database of the test server (tests/helpers/postgres.py) and one sandbox everyone
reaches, as a team's computers would have them; the schedule created and joined the way the
app does it (bootstrap.shared_schedule: init, join with the team key)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.helpers.postgres import PgServer
from tests.helpers.shared_schedule import with_token
from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, Mode, build, decide_mode, shared_schedule
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.store import Account, AccountsRepo, NewPost, Post, PostsRepo, PostState
from tiktok_desktop.ui.main_window import MainWindow

HOUR = 3600


@pytest.fixture(name="team_sandbox")
def team_sandbox_fixture(tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    """The TikTok every member reaches ('sandbox serve' on a computer of the team)."""
    options = SandboxOptions(processing_seconds=0.0, rate_limits_enabled=False)
    with SandboxServer(tmp_path / "team-sandbox", options) as server:
        with_token(monkeypatch, server)
        yield server


@pytest.fixture(name="shared_url")
def shared_url_fixture(pg_server: PgServer) -> Iterator[str]:
    """A new, empty database on the test server for the team's schedule."""
    name = pg_server.new_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)


@pytest.fixture(name="two_graphs")
def two_graphs_fixture(tmp_path: Path, shared_url: str,
                       team_sandbox: SandboxServer) -> Iterator[tuple[AppGraph, AppGraph]]:
    """Alice creates the shared schedule, Bob joins it with its team key: their graphs."""
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    key = create_team(alice, team_sandbox, shared_url)
    join_team(bob, team_sandbox, shared_url, key)
    here = member_graph(alice, team_sandbox)
    there = member_graph(bob, team_sandbox)
    yield here, there
    here.close()
    there.close()


def member_mode(home: Path, sandbox: SandboxServer, database: str = "") -> Mode:
    return decide_mode(paths.resolve({paths.HOME_ENV: str(home)}),
                       sandbox_url=sandbox.base_url, database=database)


def create_team(home: Path, sandbox: SandboxServer, url: str) -> str:
    """The member at ``home`` creates the shared schedule at ``url``: its team key's text."""
    joined = shared_schedule(member_mode(home, sandbox)).init(url)
    assert joined.key is not None
    return joined.key.text()


def join_team(home: Path, sandbox: SandboxServer, url: str, key: str) -> None:
    shared_schedule(member_mode(home, sandbox)).join(url, key)


def member_graph(home: Path, sandbox: SandboxServer) -> AppGraph:
    """The app of the member at ``home`` on the shared schedule its settings name, deferred
    as the window builds it."""
    return build(member_mode(home, sandbox), system=quiet_system(), defer=True)


def open_window(qtbot: QtBot, graph: AppGraph) -> MainWindow:
    window = main_window(graph)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def add_account(graph: AppGraph, name: str = "Mia Chen") -> Account:
    now = int(time.time())
    return AccountsRepo(graph.db).upsert_connected(
        open_id=f"open-{name}", display_name=name, username="", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=now + HOUR,
        refresh_expires_at=now + 300 * 86400)


def add_post(graph: AppGraph, account: Account, video: Path, due: int | None,
             caption: str = "A caption") -> Post:
    """A complete post (a real video, consent given): scheduled at ``due``, or a draft."""
    state = PostState.DRAFT if due is None else PostState.SCHEDULED
    return PostsRepo(graph.db).create(NewPost(
        account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
        caption=caption, privacy_level="SELF_ONLY", due_at=due,
        due_tz="Europe/Berlin" if due is not None else "", consent_at=int(time.time())),
        state)


def shown(window: MainWindow) -> dict[int, Post]:
    """The posts the window's list shows, by id."""
    proxy = window.schedule_pane.proxy
    return {p.id: p for p in (proxy.post_at(r) for r in range(proxy.rowCount()))}
