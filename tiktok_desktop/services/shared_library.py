"""The media library of a shared schedule (issue 20): videos kept in its PostgreSQL database
(store/videos.py), so any member's window schedules them and any runner posts them with
nothing but the database's address.

SharedLibrary has MediaLibrary's interface (services/library.py), so PostsService and
BulkService work unchanged on a shared schedule:

- adopt stores the video in the database (streamed, once per content) and returns a
  LibraryItem whose ``path`` is the reference ``shared-video:<sha256>`` (store/video_refs.py):
  what the post's video_path holds, the same on every member's computer, never a path of the
  computer that scheduled it. The file name the user chose stays in the post's
  ``original_path``, as with the local library.
- reference does the same: with "keep a copy" off a local schedule posts the original where
  it is, but a runner on another computer cannot reach it, so the video goes into the
  database either way.
- contains: a reference to a video the database still holds. A duplicate of a published post
  whose video was released names one that is gone: contains says no, and adopt then asks
  the user to choose the video again.
- release: the database decides, in the transaction that unlinks the video, whether a post
  that may still need it names it (``spent`` states excepted: lifecycle.VIDEO_SPENT).

It is also the engine's VideoFiles (engine/parts.py) on a shared schedule: ``local`` fetches
a post's video into this computer's cache folder (streamed, checked against its SHA-256,
renamed into place), ``done`` removes that copy once the run ends and releases the videos
no post needs any more once a post is published.

``view_copy`` is the windows': a post's video as a local file to look at (the composer's
probe and preview, the list's thumbnail), fetched the same way into ``view-<sha256>`` copies
named by their content, so a copy that is there is used without asking the database. They
are kept least recently used first within VIEW_BUDGET bytes, and go after STALE_COPY unused
(discard_partials).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from tiktok_desktop.domain.lifecycle import VIDEO_SPENT
from tiktok_desktop.paths import ensure_private_dir
from tiktok_desktop.services.library import (
    SPACE_MARGIN,
    AdoptCancelled,
    CancelFn,
    Library,
    LibraryError,
    LibraryItem,
    ProgressFn,
    verify,
)
from tiktok_desktop.services.videofile import check_video_file, quoted, unreadable
from tiktok_desktop.store import Post, PostState, StoreError
from tiktok_desktop.store.video_refs import VideoUnavailable, is_video_ref, ref_sha256
from tiktok_desktop.store.videos import PutCancelled, StoredVideo, VideoStore

log = logging.getLogger(__name__)

__all__ = ["SharedLibrary"]

_SAFE_EXT = re.compile(r"\.[a-z0-9]{1,10}")
PARTIAL_SUFFIX = ".part"
# A cached copy lives for one run of its post; one older than this was left by a crash.
STALE_COPY = 24 * 3600
VIEW_PREFIX = "view-"
# The windows' copies of stored videos to look at: the least recently used go beyond this.
VIEW_BUDGET = 1 << 30


class SharedLibrary:
    def __init__(self, store: VideoStore, cache_dir: Path, *,
                 spent: Collection[PostState] = VIDEO_SPENT,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.cache_dir = Path(cache_dir)
        self.spent = frozenset(spent)
        self.clock = clock

    # -- MediaLibrary's interface ------------------------------------------------------------

    def adopt(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
              cancel: CancelFn | None = None, *, allow_link: bool = True) -> LibraryItem:
        """Store ``path`` in the shared schedule (once per content) and return its reference.
        ``allow_link`` is moot: the database always holds a copy of its own. Raises
        LibraryError (AdoptCancelled when ``cancel`` said so)."""
        if is_video_ref(os.fspath(path)):  # a duplicate's video: only if still stored
            stored = self._stored(os.fspath(path))
            return LibraryItem(stored.ref, stored.size, stored.sha256, stored.name)
        src = Path(path).absolute()
        size = check_video_file(src, LibraryError).st_size
        # The store counts hashing and sending (twice the size); callers count the file's bytes.
        step = None if progress is None else (
            lambda done, _total: progress(min(done // 2, size), size))
        try:
            ref = self.store.put(src, step, cancel)
        except PutCancelled:
            raise AdoptCancelled from None
        except VideoUnavailable as exc:  # it changed while it was stored
            raise LibraryError(exc.code, str(exc)) from None
        except OSError as exc:
            raise unreadable(src.name, LibraryError, exc) from None
        except StoreError as exc:
            raise LibraryError("failed", f"{quoted(src.name)} could not be stored in the "
                               f"shared schedule: {exc}") from None
        stored = self._stored(ref)
        return LibraryItem(ref, stored.size, stored.sha256, os.fspath(src))

    def reference(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> LibraryItem:
        """"Keep a copy" off: a runner on another computer cannot reach this computer's file,
        so on a shared schedule the video is stored all the same."""
        return self.adopt(path, progress, cancel)

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """Does ``path`` name a video this shared schedule holds?"""
        text = os.fspath(path)
        return is_video_ref(text) and self._get(text) is not None

    def release(self, path: str | os.PathLike[str],
                still_referenced: Callable[[str], bool]) -> bool:
        """Release a stored video no post that may still need it names. The database answers
        that in the same transaction that unlinks it, for every member at once, so
        ``still_referenced`` (one computer's question, asked before) is not used. A video
        stored in the last hours may be waiting for its post and stays until a later
        release. True if released."""
        text = os.fspath(path)
        if not is_video_ref(text):
            return False
        try:
            return self.store.release(text, self.spent)
        except StoreError as exc:  # the post's change is committed; the video goes later
            log.info("could not release a stored video now: %s", exc)
            return False

    def discard_partials(self) -> int:
        """Remove fetches left half-done, and copies left by a run that crashed."""
        removed = 0
        now = self.clock()
        with contextlib.suppress(FileNotFoundError):
            for entry in self.cache_dir.iterdir():
                partial = entry.name.startswith(".") and entry.name.endswith(PARTIAL_SUFFIX)
                with contextlib.suppress(FileNotFoundError):
                    if partial or now - entry.stat().st_mtime > STALE_COPY:
                        entry.unlink()
                        removed += 1
        return removed

    def verify(self, path: str | os.PathLike[str], size: int, sha256: str) -> str | None:
        """A reference: is the video still stored, with this size and content? (Its bytes are
        checked against the hash when fetched.) A path: the local library's check."""
        text = os.fspath(path)
        if not is_video_ref(text):
            return verify(text, size, sha256)
        try:
            stored = self._stored(text)
        except LibraryError as exc:
            return exc.message
        if stored.size != size or (sha256 and stored.sha256 != sha256.lower()):
            return ("The stored video of this post is not the one it was scheduled with. "
                    "Open the post and choose the video file again.")
        return None

    # -- the engine's VideoFiles -------------------------------------------------------------

    def local(self, post: Post) -> str:
        """The post's video as a file in this computer's cache, fetched from the database."""
        if not is_video_ref(post.video_path):
            return post.video_path  # a path (scheduled before the schedule was shared)
        try:
            stored = self.store.get(post.video_path)
        except StoreError as exc:
            raise _unreachable(exc) from None
        if stored is None:
            raise self._gone(post.video_path)
        dest = self._copy_path(post, stored)
        self._fetch(post.video_path, stored, dest)
        log.info("post %d: fetched its video %s from the shared schedule", post.id,
                 stored.name)
        return os.fspath(dest)

    def done(self, post: Post) -> None:
        """The run of ``post`` ended: its fetched copy goes; a published post's video is
        released when no other post needs it."""
        with contextlib.suppress(FileNotFoundError):
            for entry in self.cache_dir.glob(f"{post.id}-*"):
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
        if post.state in self.spent and is_video_ref(post.video_path):
            try:
                self.store.release_unused(self.spent)
            except StoreError as exc:
                log.info("stored videos not released now (next time): %s", exc)

    # -- the windows' copies ---------------------------------------------------------------

    def view_copy(self, path: str) -> str:
        """A post's video as a local file to look at (blocking: a worker thread's). A path
        is returned as it is; a reference gives its copy in the cache folder, fetched from
        the database (streamed, checked against its SHA-256) unless already there. Raises
        VideoUnavailable with what to do (the database away, the video gone, no space)."""
        sha256 = ref_sha256(path)
        if sha256 is None:
            return path
        with contextlib.suppress(OSError):
            for entry in self.cache_dir.glob(f"{VIEW_PREFIX}{sha256}*"):
                os.utime(entry)  # used now: the last to go
                return os.fspath(entry)
        try:
            stored = self.store.get(path)
        except StoreError as exc:
            raise VideoUnavailable(
                f"The video cannot be shown now: the shared schedule cannot be reached "
                f"({exc}). Try again once it is back.", retry=True,
                code="database_unreachable") from None
        if stored is None:
            raise self._gone(path)
        dest = self.cache_dir / f"{VIEW_PREFIX}{stored.sha256}{_safe_ext(stored.name)}"
        self._fetch(path, stored, dest)
        self._trim_views(keep=dest)
        return os.fspath(dest)

    def _trim_views(self, keep: Path) -> None:
        """The least recently used view copies go until the rest fit VIEW_BUDGET."""
        copies: list[tuple[float, int, Path]] = []
        with contextlib.suppress(OSError):
            for entry in self.cache_dir.glob(f"{VIEW_PREFIX}*"):
                with contextlib.suppress(OSError):
                    st = entry.stat()
                    copies.append((st.st_mtime, st.st_size, entry))
        total = sum(size for _m, size, _e in copies)
        for _mtime, size, entry in sorted(copies):
            if total <= VIEW_BUDGET:
                break
            if entry != keep:
                with contextlib.suppress(FileNotFoundError):
                    entry.unlink()
                total -= size

    # -- helpers -----------------------------------------------------------------------------

    def _fetch(self, ref: str, stored: StoredVideo, dest: Path) -> None:
        """Write the stored video to ``dest`` (the store's export: a .part file renamed into
        place), after checking the cache folder and its free space."""
        try:
            ensure_private_dir(self.cache_dir)
            free = shutil.disk_usage(self.cache_dir).free
        except OSError as exc:
            raise VideoUnavailable(
                f"The folder {self.cache_dir}, where videos are fetched to before they are "
                f"posted, cannot be used: {exc.strerror or exc}. Check that it can be written; "
                "it is tried again.", retry=True, code="cache_failed") from None
        if free < stored.size + SPACE_MARGIN:
            raise VideoUnavailable(
                f"There is not enough disk space in {self.cache_dir} to fetch the video "
                f"{quoted(stored.name)} ({stored.size:,} bytes, {free:,} free). Free some "
                "space; it is tried again.", retry=True, code="no_space")
        try:
            self.store.export(ref, dest)
        except VideoUnavailable:
            raise
        except StoreError as exc:
            raise _unreachable(exc) from None

    def _copy_path(self, post: Post, stored: StoredVideo) -> Path:
        return self.cache_dir / f"{post.id}-{stored.sha256[:16]}{_safe_ext(stored.name)}"

    def _get(self, ref: str) -> StoredVideo | None:
        try:
            return self.store.get(ref)
        except StoreError as exc:
            raise LibraryError("failed", f"The shared schedule could not be asked about the "
                               f"video: {exc}") from None

    def _stored(self, ref: str) -> StoredVideo:
        stored = self._get(ref)
        if stored is None:
            raise LibraryError("missing", str(self._gone(ref)))
        return stored

    @staticmethod
    def _gone(ref: str) -> VideoUnavailable:
        return VideoUnavailable(
            "The video of this post is no longer kept in the shared schedule: it was released "
            "after its last post was published or removed. Open the post and choose the video "
            "file again.", retry=False, code="video_not_stored")


if TYPE_CHECKING:  # mypy: both libraries serve PostsService
    _SHAPE: type[Library] = SharedLibrary


def _safe_ext(name: str) -> str:
    ext = Path(name).suffix.lower()
    return ext if _SAFE_EXT.fullmatch(ext) else ""


def _unreachable(exc: StoreError) -> VideoUnavailable:
    return VideoUnavailable(f"The video could not be fetched from the shared schedule: {exc} "
                            "It is tried again.", retry=True, code="database_unreachable")
