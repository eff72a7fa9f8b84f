"""The videos of a schedule moved between this computer and a shared schedule: into the
database's video store (store/videos.py) and out into the local media folder.

Into the database before the rows move (a stored video no post names is released after its
hold, so a move that fails leaves nothing that lasts); out of it after the rows landed in the
new local file, as the media library's own copies (``<sha256><ext>``, what MediaLibrary.adopt
makes), so the local schedule finds them where it always does.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePath

from tiktok_desktop.paths import AppPaths, ensure_private_dir
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.video_refs import ref_sha256

__all__ = ["put_videos", "to_local"]

log = logging.getLogger(__name__)

# A published post never uploads again: its video stays where it was (its path is history).
_SPENT = ("published",)


def put_videos(local: Backend, shared: Backend) -> dict[str, str]:
    """Store the video of every local post that may still upload it; {local path: ref}. A
    file that is gone stays named by its path (the post says so at due time, as here)."""
    from tiktok_desktop.store.postgres import PgDatabase  # noqa: PLC0415
    from tiktok_desktop.store.videos import VideoStore  # noqa: PLC0415

    assert isinstance(shared, PgDatabase)
    store = VideoStore(shared)
    paths = [r[0] for r in local.conn().execute(
        f"SELECT DISTINCT video_path FROM posts WHERE state NOT IN "  # noqa: S608 - fixed
        f"({', '.join('?' * len(_SPENT))}) ORDER BY 1", _SPENT)]
    refs: dict[str, str] = {}
    for path in paths:
        if ref_sha256(path) is None and Path(path).is_file():
            refs[path] = store.put(path)
    log.info("stored %d videos in the shared schedule", len(refs))
    return refs


def rename_videos(db: Backend, names: dict[str, str]) -> None:
    """Point the posts at their videos' new names (in the caller's transaction)."""
    c = db.conn()
    for old, new in names.items():
        c.execute("UPDATE posts SET video_path = ? WHERE video_path = ?", (new, old))


def to_local(shared: Backend, local: Backend, local_paths: AppPaths) -> int:
    """Export every stored video the new local file's posts name into the media folder and
    point them at it (in the caller's transaction on ``local``); how many."""
    from tiktok_desktop.store.postgres import PgDatabase  # noqa: PLC0415
    from tiktok_desktop.store.videos import VideoStore  # noqa: PLC0415

    assert isinstance(shared, PgDatabase)
    store = VideoStore(shared)
    media = ensure_private_dir(local_paths.media_dir)
    names: dict[str, str] = {}
    for (ref,) in local.conn().execute("SELECT DISTINCT video_path FROM posts ORDER BY 1"):
        sha = ref_sha256(ref)
        video = store.get(ref) if sha else None
        if video is None:
            continue  # a path already, or released: the post says so at due time
        dest = media / f"{sha}{PurePath(video.name).suffix.lower()}"
        if not (dest.is_file() and dest.stat().st_size == video.size):
            store.export(ref, dest)
        names[ref] = str(dest)
    rename_videos(local, names)
    log.info("exported %d videos into %s", len(names), media)
    return len(names)
