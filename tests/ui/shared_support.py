"""Windows on one shared schedule (issue 20): graphs from different data folders over one
PostgreSQL database of the test server (tests/helpers/postgres.py), as two computers of a
team would have them."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, build, decide_mode
from tiktok_desktop.store import Account, AccountsRepo, NewPost, Post, PostsRepo, PostState
from tiktok_desktop.ui.main_window import MainWindow

HOUR = 3600


def shared_graph(home: Path, url: str) -> AppGraph:
    """The graph of an app whose data folder is ``home`` and whose schedule is at ``url``
    (deferred as the window builds it: no sandbox is started unless something needs it)."""
    mode = decide_mode(paths.resolve({paths.HOME_ENV: str(home)}))
    return build(mode, system=quiet_system(), defer=True, database=url)


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
