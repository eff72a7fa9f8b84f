"""The media library: scheduled videos kept safe in the app's own folder.

A post may go out days after it was composed; by then the user may have moved, renamed or
deleted the original. So by default the app adopts a copy into ``AppPaths.media_dir``:

- Content-addressed names (``<sha256><original extension>``): adopting the same video twice, for
  two posts, reuses one file. Because files are shared, ``release`` asks the caller whether any
  post still references a file before removing it.
- Same filesystem, and a file only the user can write: a hard link (instant, no extra space;
  survives deleting the original). A file another user owns, or that group or others may
  write (or any file where that cannot be told, e.g. on Windows), is copied: through a link
  someone else could change the scheduled video after it was checked. Else a streamed copy
  with progress and cancel. Both are hashed in blocks; memory stays flat.
- Atomic: work happens in a ``.adopt-*.part`` file renamed into place, removed on error or cancel.
- Copies are created 0600, inside the 0700 data dir. A hard link is the user's own file, so its
  mode is left alone (changing it would change the original); the 0700 folder keeps it private.

When the "keep a copy" setting is off, ``reference`` records the original's size and hash
instead, and ``verify`` re-checks that path at due time either way.

Qt-free; runs on a worker thread (progress is a plain callback).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from tiktok_desktop.paths import FILE_MODE, ensure_private_dir, fsync_dir, write_all
from tiktok_desktop.services.videofile import (
    VideoFileError,
    check_video_file,
    quoted,
    unreadable,
)

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)
CancelFn = Callable[[], bool]  # polled between blocks; True stops the work

BLOCK_SIZE = 1024 * 1024
PARTIAL_PREFIX = ".adopt-"
PARTIAL_SUFFIX = ".part"
_SAFE_EXT = re.compile(r"\.[a-z0-9]{1,10}")
# Left free after a copy, so adopting a video never fills the disk to the last byte.
SPACE_MARGIN = 50 * 1024 * 1024


class LibraryError(VideoFileError):
    """The video could not be adopted or hashed. ``str(err)`` is a plain message for the user.

    ``code``: missing, not_a_file, empty, unreadable, no_space, changed, failed, cancelled.
    """


class AdoptCancelled(LibraryError):
    def __init__(self) -> None:
        super().__init__("cancelled", "Copying the video was cancelled.")


@dataclass(frozen=True)
class LibraryItem:
    path: str  # where the post's video lives now (the library file, or the original)
    size: int
    sha256: str
    original_path: str


class Library(Protocol):
    """What PostsService needs of a library: this folder's (MediaLibrary) or a shared
    schedule's database (services/shared_library.py)."""

    def adopt(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
              cancel: CancelFn | None = None, *, allow_link: bool = True) -> LibraryItem: ...

    def reference(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> LibraryItem: ...

    def contains(self, path: str | os.PathLike[str]) -> bool: ...

    def release(self, path: str | os.PathLike[str],
                still_referenced: Callable[[str], bool]) -> bool: ...

    def discard_partials(self) -> int: ...

    def verify(self, path: str | os.PathLike[str], size: int, sha256: str) -> str | None: ...


class MediaLibrary:
    def __init__(self, media_dir: Path, *, block_size: int = BLOCK_SIZE) -> None:
        self.media_dir = Path(media_dir)
        self.block_size = block_size

    def adopt(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
              cancel: CancelFn | None = None, *, allow_link: bool = True) -> LibraryItem:
        """Keep a copy of ``path`` in the library and return where it lives.

        ``allow_link=False`` forces a real copy even on the same filesystem (a hard link shares
        the original's content, so an in-place edit of the original would reach it too; verify()
        catches that at due time). Raises LibraryError (AdoptCancelled when ``cancel`` said so).
        """
        src = Path(path).absolute()
        size = _check_source(src)
        ensure_private_dir(self.media_dir)
        tmp = self.media_dir / f"{PARTIAL_PREFIX}{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
        try:
            if allow_link and self._link(src, tmp):
                done, digest = _hash_file(tmp, self.block_size, progress, cancel)
            else:
                done, digest = self._copy(src, tmp, size, progress, cancel)
            if done != size:
                raise LibraryError("changed", f"{quoted(src.name)} changed while it was being "
                                   "copied (is it still downloading or exporting?). Wait until "
                                   "it is finished and choose it again.")
            final = self.media_dir / f"{digest}{_safe_ext(src)}"
            if _same_size(final, done):
                tmp.unlink()  # the same video was adopted before: share that file
            else:
                os.replace(tmp, final)
                fsync_dir(self.media_dir)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        log.info("adopted %s into the media library as %s", src.name, final.name)
        return LibraryItem(os.fspath(final), done, digest, os.fspath(src))

    def reference(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
                  cancel: CancelFn | None = None) -> LibraryItem:
        """"Keep a copy" off: use the original where it is, fingerprinted for verify()."""
        src = Path(path).absolute()
        _check_source(src)
        done, digest = _hash_file(src, self.block_size, progress, cancel)
        return LibraryItem(os.fspath(src), done, digest, os.fspath(src))

    def contains(self, path: str | os.PathLike[str]) -> bool:
        """Is ``path`` a file of this library (as opposed to a user's original)?"""
        p = Path(path).absolute()
        return p.parent == self.media_dir.absolute() and not p.name.startswith(".")

    def release(self, path: str | os.PathLike[str],
                still_referenced: Callable[[str], bool]) -> bool:
        """Remove a library file no post references any more. Paths outside the library (the
        user's originals, when "keep a copy" was off) are never touched. True if removed."""
        if not self.contains(path):
            return False
        target = os.fspath(Path(path).absolute())
        if still_referenced(target):
            return False
        try:
            os.unlink(target)
        except FileNotFoundError:
            return False
        log.info("released %s from the media library", Path(target).name)
        return True

    def discard_partials(self) -> int:
        """Remove copies left half-done by a crash. Call at start-up, before any adopt runs."""
        removed = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in self.media_dir.iterdir():
                if entry.name.startswith(PARTIAL_PREFIX) and entry.name.endswith(PARTIAL_SUFFIX):
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()
                        removed += 1
        return removed

    def verify(self, path: str | os.PathLike[str], size: int, sha256: str) -> str | None:
        return verify(path, size, sha256, block_size=self.block_size)

    def _link(self, src: Path, tmp: Path) -> bool:
        try:
            st = src.stat()
            if st.st_dev != self.media_dir.stat().st_dev:
                return False
            if not only_we_can_write(st):
                log.debug("%s may be written by others; copying instead of a hard link",
                          src.name)
                return False
            os.link(src, tmp)
        except OSError as exc:
            # EXDEV (other filesystem after all), EPERM (protected_hardlinks: someone else's
            # file), EMLINK, or a filesystem without links (FAT, some network shares): copy.
            log.debug("hard link not possible (%s); copying instead", errno.errorcode.get(
                exc.errno or 0, "?"))
            return False
        return True

    def _copy(self, src: Path, tmp: Path, size: int, progress: ProgressFn | None,
              cancel: CancelFn | None) -> tuple[int, str]:
        free = shutil.disk_usage(self.media_dir).free
        if free < size + SPACE_MARGIN:
            raise _no_space(src.name, size, free)
        digest = hashlib.sha256()
        done = 0
        try:
            src_fh = src.open("rb", buffering=0)
        except OSError as exc:
            raise _read_error(src.name, exc) from None
        with src_fh:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         FILE_MODE)
            with os.fdopen(fd, "wb", buffering=0) as dst:
                for chunk in _blocks(src_fh, src.name, size, self.block_size, progress, cancel):
                    digest.update(chunk)
                    try:
                        write_all(dst.fileno(), chunk)
                    except OSError as exc:
                        if exc.errno == errno.ENOSPC:
                            raise _no_space(src.name, size, 0) from None
                        raise LibraryError("failed", f"Could not save a copy of "
                                           f"{quoted(src.name)}: {exc.strerror}.") from None
                    done += len(chunk)
                os.fsync(dst.fileno())  # the rename must never expose a half-written file
        return done, digest.hexdigest()


def verify(path: str | os.PathLike[str], size: int, sha256: str, *,
           block_size: int = BLOCK_SIZE, progress: ProgressFn | None = None) -> str | None:
    """Due-time re-check: is the file still the video that was scheduled? None if so, else a
    plain message. An empty ``sha256`` (not recorded) skips the content check."""
    p = Path(path)
    name = quoted(p.name)
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        return (f"The video file {name} is gone: it was moved, renamed or deleted from "
                f"{p.parent}. Put it back or choose the video again.")
    except OSError as exc:
        return f"The video file {name} cannot be checked: {exc.strerror}."
    if not stat.S_ISREG(st.st_mode):
        return f"The video file {name} is no longer a regular file. Choose the video again."
    if st.st_size != size:
        return (f"The video file {name} changed after the post was scheduled (it was "
                f"{_fmt_size(size)}, now {_fmt_size(st.st_size)}). Check it is the video you "
                "want and choose it again.")
    if not sha256:
        return None
    try:
        _done, digest = _hash_file(p, block_size, progress, None)
    except LibraryError as exc:
        return f"The video file {name} cannot be checked: {exc.message}"
    if digest != sha256.lower():
        return (f"The content of the video file {name} changed after the post was scheduled "
                "(same size, different video). Check it is the video you want and choose it "
                "again.")
    return None


# --- helpers ----------------------------------------------------------------------------------
def only_we_can_write(st: os.stat_result) -> bool:
    """True when no one but this user (and root) can change the file: ours, and not writable
    by group or others. False where that cannot be told from the mode (not POSIX)."""
    if os.name != "posix":
        return False
    return st.st_uid == os.geteuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _check_source(src: Path) -> int:
    return check_video_file(src, LibraryError).st_size


def _hash_file(path: Path, block_size: int, progress: ProgressFn | None,
               cancel: CancelFn | None) -> tuple[int, str]:
    digest = hashlib.sha256()
    done = 0
    try:
        fh = path.open("rb", buffering=0)
        total = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        raise _read_error(path.name, exc) from None
    with fh:
        for chunk in _blocks(fh, path.name, total, block_size, progress, cancel):
            digest.update(chunk)
            done += len(chunk)
    return done, digest.hexdigest()


def _blocks(fh: BinaryIO, name: str, total: int, block_size: int,
            progress: ProgressFn | None, cancel: CancelFn | None) -> Iterator[memoryview]:
    """The file's blocks through one reused buffer, with progress and cancel between blocks.

    Each view is valid until the next one is asked for.
    """
    buf = bytearray(block_size)
    view = memoryview(buf)
    done = 0
    if progress:
        progress(0, total)
    while True:
        if cancel is not None and cancel():
            raise AdoptCancelled
        try:
            n = fh.readinto(buf)  # type: ignore[attr-defined]
        except OSError as exc:
            raise _read_error(name, exc) from None
        if not n:
            return
        yield view[:n]
        done += n
        if progress:
            progress(done, total)



def _same_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False



def _safe_ext(src: Path) -> str:
    ext = src.suffix.lower()
    return ext if _SAFE_EXT.fullmatch(ext) else ""


def _read_error(name: str, exc: OSError) -> LibraryError:
    return unreadable(name, LibraryError, exc)


def _no_space(name: str, size: int, free: int) -> LibraryError:
    have = f" (only {_fmt_size(free)} free)" if free else ""
    return LibraryError("no_space", f"There is not enough disk space to keep a copy of "
                        f"{quoted(name)}: it needs {_fmt_size(size)}{have}. Free some space, or "
                        "turn off \u201ckeep a copy\u201d to post the original file.")


def _fmt_size(n: int) -> str:
    if n >= 1e9:
        return f"{n / 1e9:.2f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    return f"{n:,} bytes"



