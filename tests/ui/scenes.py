"""The window as a creator sees it after a week of use, for the screenshot and layout tests:
two sandbox accounts connected through the consent page, and posts made from real small
videos in the states a schedule has (scheduled, failed, published, a draft)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.helpers.videos import VideoFactory
from tests.ui.composer_support import connect
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account, NewPost, Post, PostState
from tiktok_desktop.ui.main_window import MainWindow

CAPTIONS = (
    ("pasta night.mp4", "Weeknight pasta in 10 minutes #food #quickmeals with @mia.cooks"),
    ("studio tour.mov", "Studio tour, part 2 #behindthescenes"),
    ("q and a.mp4", "Q&A: your questions answered #ama"),
    ("friday drop.mp4", "New drop on Friday! #fashion #ootd"),
    ("morning.mp4", "Morning routine #vlog"),
    ("light tips.mp4", "Three tips for better light at home #photography"),
)


@dataclass
class Scene:
    graph: AppGraph
    window: MainWindow
    accounts: list[Account]
    posts: list[Post]


def populate(graph: AppGraph, videos: VideoFactory, folder: Path) -> tuple[list[Account],
                                                                          list[Post]]:
    assert graph.sandbox_server is not None
    users = graph.sandbox_server.users
    accounts = [connect(graph), connect(graph, user=users[1].open_id)]
    now = int(time.time())
    posts: list[Post] = []
    for i, (name, caption) in enumerate(CAPTIONS):
        path = videos.copy_to(folder, name, seconds=1 + i / 10)  # each its own file
        account = accounts[i % 2]
        post = graph.posts.schedule_video(NewPost(
            account_id=account.id, video_path=str(path), video_size=path.stat().st_size,
            caption=caption, privacy_level="SELF_ONLY" if i % 3 else "PUBLIC_TO_EVERYONE",
            allow_comment=True, due_at=now + 3600 * (3 + 7 * i), due_tz=graph.settings.timezone
            or "UTC"))
        posts.append(post)
    repo = graph.posts.repo
    posts[0] = repo.transition(posts[0].id, PostState.PUBLISHED, "published", post_ids=("1",),
                               share_url="https://www.tiktok.com/@sandbox_creator/video/1")
    posts[3] = repo.transition(posts[3].id, PostState.FAILED, "failed",
                               last_error_message="TikTok could not process the video.")
    posts[5] = graph.posts.unschedule(posts[5].id)
    return accounts, posts


def scene(qtbot: QtBot, graph: AppGraph, videos: VideoFactory, folder: Path) -> Scene:
    accounts, posts = populate(graph, videos, folder)
    window = main_window(graph, open_url=lambda _u: False)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return Scene(graph, window, accounts, posts)
