"""Everything the engine works with, handed over ready-made by the composition root
(tiktok_desktop/bootstrap.py), so the engine builds nothing itself and tests can swap any part.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tiktok_desktop.credentials import TokenSource, UploadLinks
from tiktok_desktop.engine.config import EngineConfig
from tiktok_desktop.engine.ratelimit import RateLimits
from tiktok_desktop.engine.sleep import Sleeper
from tiktok_desktop.store import AccountsRepo, ClientStatusRepo, Post, PostsRepo
from tiktok_desktop.tiktok import ChunkUploader, TikTokApi

# (path, size, sha256) -> None when the file is still what was scheduled, else why not.
VideoCheck = Callable[[str, int, str], str | None]


class VideoFiles(Protocol):
    """Where the engine gets a post's video as a local file: its check and its upload read it.

    On the computer that scheduled it the post's own path (OwnFiles); on a shared schedule a
    copy fetched from the database into this runner's cache (services/shared_library.py).
    """

    def local(self, post: Post) -> str:
        """A local file holding ``post``'s video. Raises store.video_refs.VideoUnavailable
        (its ``retry`` says whether later may work) when it cannot be had now."""

    def done(self, post: Post) -> None:
        """The engine's run of ``post`` ended (``post`` as it is now): a fetched copy can go,
        and a video no post needs any more can be released."""


class OwnFiles:
    """The post's own path (a local schedule: the media library's file or the original)."""

    def local(self, post: Post) -> str:
        return post.video_path

    def done(self, post: Post) -> None:
        return None


class Awake(Protocol):
    """Keeps the computer from sleeping while a post is due soon or uploading (system/)."""

    def update(self) -> float | None:
        """Hold or let go now; return when to be asked again (None: only on an event)."""

    def close(self) -> None:
        """Let go for good."""


class WakeAlarm(Protocol):
    """The OS's wake timer, where a user may set one (system/waketimer.py)."""

    def set_next_wake(self, epoch: float | None) -> None:
        """Wake the computer at ``epoch`` (None: no timer)."""


@dataclass(frozen=True)
class EngineParts:
    posts: PostsRepo
    accounts: AccountsRepo
    tokens: TokenSource  # its sleeper is ``sleeper`` below, so a stop cuts a lease wait short
    api: TikTokApi  # built with ``sleeper`` and no read retries: the engine retries itself
    uploader: ChunkUploader
    links: UploadLinks
    limits: RateLimits  # per-account request budgets, kept in the database
    check_video: VideoCheck
    owner: str  # this engine's lease identity (store.leases.new_owner)
    stop: threading.Event  # set to stop: sleeps, waits and uploads end at the next instant
    sleeper: Sleeper  # interruptible by ``stop`` (engine.sleep.StopAwareSleeper)
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    rand: Callable[[], float]  # backoff jitter
    grace: Callable[[], float]  # how late a post may still go out (seconds; from Settings)
    config: EngineConfig
    share_base: str  # where published videos are linked (TikTok's web, or the sandbox)
    clients: ClientStatusRepo  # what TikTok said about the TikTok app (unaudited...)
    client_key: str  # the TikTok app the engine posts through
    videos: VideoFiles = OwnFiles()  # noqa: RUF009 - stateless, shared safely
