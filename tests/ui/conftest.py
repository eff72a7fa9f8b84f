"""Fixtures for the UI tests: a real AppGraph on a real SQLite file in the test's home, a
sandbox account connected through the real consent page, and small real videos (encoded once
per test module)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.videos import VideoFactory, VideoSpec, encode_video
from tests.ui.composer_support import connect
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account, AccountsRepo, NewPost, PostsRepo, PostState


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


@pytest.fixture
def account(graph: AppGraph) -> Account:
    """A sandbox user connected the way the browser does it."""
    return connect(graph)


@pytest.fixture
def seeded(graph: AppGraph) -> AppGraph:
    """Two accounts and posts in several states."""
    accounts = AccountsRepo(graph.db)
    posts = PostsRepo(graph.db)
    now = int(time.time())
    a = accounts.upsert_connected(
        open_id="open-a", display_name="Mia Chen", username="miacooks", avatar_url="",
        granted_scopes=["user.info.basic", "video.publish"], access_expires_at=now + 3600,
        refresh_expires_at=now + 86400,
    )
    b = accounts.upsert_connected(
        open_id="open-b", display_name="Studio North", username="", avatar_url="",
        granted_scopes=["user.info.basic"], access_expires_at=None, refresh_expires_at=None,
    )
    posts.create(NewPost(account_id=a.id, video_path="/videos/late.mp4", video_size=10,
                         caption="Later post\nsecond line", privacy_level="SELF_ONLY",
                         due_at=now + 7200), PostState.SCHEDULED)
    posts.create(NewPost(account_id=b.id, video_path="/videos/soon.mp4", video_size=10,
                         caption="Soon", privacy_level="PUBLIC_TO_EVERYONE", due_at=now + 60),
                 PostState.SCHEDULED)
    posts.create(NewPost(account_id=a.id, video_path="/videos/draft.mov", video_size=10))
    failed = posts.create(NewPost(account_id=b.id, video_path="/videos/f.mp4", video_size=10,
                                  due_at=now - 60), PostState.SCHEDULED)
    posts.transition(failed.id, PostState.FAILED, "boom", last_error_message="TikTok said no")
    return graph


@pytest.fixture(scope="session")
def sixty_videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """60 real, tiny, different videos (24 to 83 frames at 24 fps), encoded once per session
    into one folder (tests that change files copy them first)."""
    folder = tmp_path_factory.mktemp("sixty")
    return [encode_video(folder / f"clip{n:02d}.mp4", VideoSpec(fps=24, seconds=1 + n / 24))
            for n in range(60)]
