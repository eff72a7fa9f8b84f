"""How a post names a video kept in a shared schedule's database, and why such a video cannot
be had. Plain Python (no psycopg): the engine, the services and the SQLite app import this;
only store/videos.py talks to PostgreSQL.

A post's ``video_path`` is a file path of the computer that scheduled it, or, on a shared
schedule, a reference ``shared-video:<sha256>`` to the stored video with that content. A path
is always absolute (the library makes it so) and a scheme of several letters is no Windows
drive, so the two can never be taken for each other.
"""

from __future__ import annotations

import re

from tiktok_desktop.store.db import StoreError

__all__ = ["REF_PREFIX", "VideoUnavailable", "is_video_ref", "ref_sha256", "video_ref"]

REF_PREFIX = "shared-video:"
_REF = re.compile(re.escape(REF_PREFIX) + r"([0-9a-f]{64})")


def video_ref(sha256: str) -> str:
    """The reference a post keeps for the stored video with this content."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return REF_PREFIX + sha256


def ref_sha256(text: str) -> str | None:
    """The content hash ``text`` refers to, or None when it is not a reference (a path)."""
    match = _REF.fullmatch(text)
    return match.group(1) if match else None


def is_video_ref(text: str) -> bool:
    return ref_sha256(text) is not None


class VideoUnavailable(StoreError):
    """A post's video cannot be had as a local file now; ``str(err)`` says why and what to do.

    ``retry``: worth trying again later (the database or this computer's disk); else it will
    not come back by itself (the stored video is gone or damaged). ``code`` for the post's
    last_error_code.
    """

    def __init__(self, message: str, *, retry: bool, code: str) -> None:
        super().__init__(message)
        self.retry = retry
        self.code = code
