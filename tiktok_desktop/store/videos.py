"""The videos of a shared schedule, kept in its PostgreSQL database (issue 20), so a runner
needs nothing but the database's address to post them.

Each distinct video (by SHA-256) is one large object and one ``stored_videos`` row; posts
name it by reference (video_refs.py). psycopg 3 has no large-object API of its own, so this
uses the server's functions (lo_create, lo_open, lowrite, loread, lo_unlink) on a pooled
connection of its own (PgDatabase.connection), never the thread's transaction: reading is a
generator, and whatever the caller does between chunks must not land in its transaction.

- put: the file is hashed first, so a video stored before (another post, another member) is
  not sent again; then streamed in ``chunk``-sized pieces into a new large object, hashed
  again as it goes (a file that changed meanwhile is refused), and its row written in the
  same transaction: a failure or cancel leaves nothing behind.
- open_chunks / export: read back in chunks inside one transaction (a consistent snapshot
  even while another member releases the video); export writes a ``.part`` file, fsyncs it,
  checks size and hash against the row, and only then renames it into place.
- release: a video goes when no post that may still need it names it. Which states no longer
  need their video is the caller's to say (domain/lifecycle.VIDEO_SPENT); the default, none,
  keeps a video while any post names it. A video put in the last ``hold`` seconds is kept
  even without a post: the post that will name it is being written (a window between put and
  storing its post, a batch storing all its posts at the end).

Memory stays flat: one chunk in flight each way, whatever the size of the video.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Collection, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import psycopg.errors

from tiktok_desktop.paths import fsync_dir, write_all
from tiktok_desktop.store.db import StoreError
from tiktok_desktop.store.models import PostState
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.video_refs import VideoUnavailable, ref_sha256, video_ref

log = logging.getLogger(__name__)

__all__ = ["CHUNK", "HOLD", "PutCancelled", "StoredVideo", "VideoStore"]

CHUNK = 1024 * 1024  # a round trip per MiB: fast on a LAN, small in memory
HOLD = 24 * 3600  # how long a video put without a post yet is kept (see the module's text)
_INV_WRITE = 0x20000  # libpq-fs.h
_INV_READ = 0x40000

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total)
CancelFn = Callable[[], bool]


class PutCancelled(StoreError):
    def __init__(self) -> None:
        super().__init__("Storing the video was cancelled.")


@dataclass(frozen=True)
class StoredVideo:
    ref: str  # what a post's video_path holds
    sha256: str
    size: int
    name: str  # the file name it was put from (for the cache's extension and messages)
    created_at: int


class _Exists(Exception):
    """Another writer stored the same video first: this transaction's copy is rolled back."""


class VideoStore:
    """Videos as large objects in a shared schedule (PgDatabase only)."""

    def __init__(self, db: PgDatabase, *, chunk: int = CHUNK, hold: float = HOLD) -> None:
        if not isinstance(db, PgDatabase):
            raise TypeError("videos are kept in the database only on a shared schedule "
                            "(PostgreSQL); a local schedule keeps them in its media folder")
        if chunk <= 0:
            raise ValueError("chunk must be positive")
        self.db = db
        self.chunk = chunk
        self.hold = hold

    # -- reading the rows ----------------------------------------------------------------------

    def get(self, ref: str) -> StoredVideo | None:
        """The stored video ``ref`` names, or None (not a reference, or not stored)."""
        sha = ref_sha256(ref)
        if sha is None:
            return None
        row = self.db.conn().execute(
            "SELECT sha256, size, name, created_at FROM stored_videos WHERE sha256 = ?",
            (sha,)).fetchone()
        return None if row is None else _video(row)

    def all(self) -> list[StoredVideo]:
        return [_video(r) for r in self.db.conn().execute(
            "SELECT sha256, size, name, created_at FROM stored_videos ORDER BY created_at, "
            "sha256")]

    # -- put -----------------------------------------------------------------------------------

    def put(self, path: str | os.PathLike[str], progress: ProgressFn | None = None,
            cancel: CancelFn | None = None) -> str:
        """Store the file at ``path`` (once per content) and return its reference.

        ``progress`` gets (done, total) over hashing and sending (total: twice the size; all
        at once when the video was stored before). Raises OSError when the file cannot be
        read, PutCancelled, VideoUnavailable(code "changed") when the file changed while it
        was stored, or the database's StoreError.
        """
        src = Path(path)
        size = os.stat(src).st_size
        total = 2 * size
        sha = _hash(src, self.chunk, progress, cancel, total)
        ref = video_ref(sha)
        if self._touch(sha, size):
            log.info("%s is stored already (shared with other posts)", src.name)
            if progress:
                progress(total, total)
            return ref
        try:
            self._store(src, sha, size, progress, cancel, total)
        except _Exists:
            self._touch(sha, size)
            log.info("%s was stored meanwhile by someone else; sharing that copy", src.name)
            if progress:
                progress(total, total)
            return ref
        log.info("stored %s in the shared schedule (%d bytes)", src.name, size)
        return ref

    def _touch(self, sha: str, size: int) -> bool:
        """Mark a stored video as just put (kept ``hold`` seconds); False if not stored."""
        row = self.db.conn().execute(
            "UPDATE stored_videos SET touched_at = ? WHERE sha256 = ? AND size = ? "
            "RETURNING sha256", (int(self.db.clock()), sha, size)).fetchone()
        return row is not None

    def _store(self, src: Path, sha: str, size: int, progress: ProgressFn | None,
               cancel: CancelFn | None, total: int) -> None:
        digest = hashlib.sha256()
        done = 0
        with self.db.connection() as raw, raw.transaction():
            oid = _one(raw, "SELECT lo_create(0)")
            fd = _one(raw, "SELECT lo_open(%s, %s)", (oid, _INV_WRITE))
            with src.open("rb", buffering=0) as fh:
                buf = bytearray(self.chunk)
                view = memoryview(buf)
                while True:
                    if cancel is not None and cancel():
                        raise PutCancelled
                    n = fh.readinto(buf)
                    if not n:
                        break
                    piece = view[:n]
                    digest.update(piece)
                    raw.execute("SELECT lowrite(%s, %b)", (fd, piece))
                    done += n
                    if progress:
                        progress(size + min(done, size), total)
            raw.execute("SELECT lo_close(%s)", (fd,))
            if done != size or digest.hexdigest() != sha:
                raise VideoUnavailable(
                    f"{src.name} changed while it was being stored (is it still downloading "
                    "or exporting?). Wait until it is finished and choose it again.",
                    retry=False, code="changed")
            now = int(self.db.clock())
            stored = raw.execute(
                "INSERT INTO stored_videos (sha256, size, lo_oid, name, created_at, touched_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sha256) DO NOTHING "
                "RETURNING sha256", (sha, size, oid, src.name, now, now)).fetchone()
            if stored is None:
                raise _Exists  # rolls back, large object and all

    # -- reading the bytes ---------------------------------------------------------------------

    def open_chunks(self, ref: str, chunk: int | None = None) -> Generator[bytes, None, None]:
        """The stored video's bytes, ``chunk`` at a time (default: the store's), read in one
        transaction. Raises VideoUnavailable (code "video_not_stored") when it is not stored.
        Close the iterator (or read it to the end) to give its connection back."""
        size = chunk or self.chunk
        with self.db.connection() as raw, raw.transaction():
            row = self._row(raw, ref)
            try:
                fd = _one(raw, "SELECT lo_open(%s, %s)", (row["lo_oid"], _INV_READ))
            except psycopg.errors.UndefinedObject:
                raise _not_stored(ref, row["name"]) from None
            cur = raw.cursor(binary=True)
            while True:
                got = cur.execute("SELECT loread(%s, %s)", (fd, size)).fetchone()
                data: bytes = got[0] if got is not None else b""
                if not data:
                    return
                yield data

    def export(self, ref: str, dest: str | os.PathLike[str],
               progress: ProgressFn | None = None,
               cancel: CancelFn | None = None) -> StoredVideo:
        """Write the stored video to ``dest``: a ``.part`` file beside it, fsynced, checked
        against the stored size and SHA-256, then renamed into place (0600). Raises
        VideoUnavailable: code "video_not_stored", "video_damaged" (its bytes no longer match
        its hash: changed in the database), "no_space" (retry) or "cache_failed" (retry)."""
        target = Path(dest)
        video = self.get(ref)
        if video is None:
            raise _not_stored(ref, "")
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        digest = hashlib.sha256()
        done = 0
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o600)
            with os.fdopen(fd, "wb", buffering=0) as out:
                chunks = self.open_chunks(ref)
                with contextlib.closing(chunks):
                    for data in chunks:
                        if cancel is not None and cancel():
                            raise PutCancelled
                        digest.update(data)
                        write_all(out.fileno(), data)
                        done += len(data)
                        if progress:
                            progress(done, video.size)
                os.fsync(out.fileno())  # the rename must never expose a half-written file
            if done != video.size or digest.hexdigest() != video.sha256:
                raise VideoUnavailable(
                    f"The stored video {video.name or ref} no longer matches the fingerprint "
                    f"it was stored with ({done} bytes read, {video.size} stored): it was "
                    "changed or damaged in the database. Open its posts and choose the video "
                    "file again.", retry=False, code="video_damaged")
            os.replace(tmp, target)
            fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise VideoUnavailable(
                    f"There is not enough disk space in {target.parent} for the video "
                    f"{video.name or ref} ({video.size:,} bytes). Free some space; it is "
                    "tried again.", retry=True, code="no_space") from None
            raise VideoUnavailable(
                f"The video {video.name or ref} could not be saved in {target.parent}: "
                f"{exc.strerror or exc}. It is tried again.", retry=True,
                code="cache_failed") from None
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return video

    # -- release -------------------------------------------------------------------------------

    def release(self, ref: str, spent: Collection[PostState] = ()) -> bool:
        """Release one stored video if no post that may still need it names it (see
        release_unused). True if it was released."""
        sha = ref_sha256(ref)
        return sha is not None and self._release(sha, spent) > 0

    def release_unused(self, spent: Collection[PostState] = ()) -> int:
        """Release every stored video no post that may still need it names: a post in one
        of the ``spent`` states (default: none) no longer needs its video. A video put in the
        last ``hold`` seconds stays. Returns how many were released."""
        return self._release(None, spent)

    def _release(self, sha: str | None, spent: Collection[PostState]) -> int:
        cutoff = int(self.db.clock() - self.hold)
        states = [s.value for s in spent]
        released = 0
        with self.db.connection() as raw, raw.transaction():
            # Locked and skipped when locked: a put touching the same video (or another
            # member releasing it) goes first, and the check below is made again for it.
            found = raw.execute(
                "SELECT v.sha256, v.lo_oid, v.name FROM stored_videos v "
                "WHERE (%s::text IS NULL OR v.sha256 = %s) AND v.touched_at <= %s "
                "AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.video_path = %s || v.sha256 "
                "AND p.state <> ALL(%s::text[])) "
                "FOR UPDATE OF v SKIP LOCKED",
                (sha, sha, cutoff, _PREFIX, states)).fetchall()
            for row in found:
                try:
                    with raw.transaction():  # a savepoint: one refusal keeps the others
                        with contextlib.suppress(psycopg.errors.UndefinedObject), \
                                raw.transaction():
                            raw.execute("SELECT lo_unlink(%s)", (row[1],))
                        raw.execute("DELETE FROM stored_videos WHERE sha256 = %s", (row[0],))
                except psycopg.errors.InsufficientPrivilege:
                    # Large objects belong to the database user that stored them.
                    log.info("stored video %s kept: it belongs to another database user, "
                             "who releases it", row[2] or row[0][:12])
                    continue
                released += 1
                log.info("released the stored video %s (no post needs it any more)",
                         row[2] or row[0][:12])
        return released

    def _row(self, raw: psycopg.Connection[Any], ref: str) -> Any:
        sha = ref_sha256(ref)
        row = None if sha is None else raw.execute(
            "SELECT lo_oid, name FROM stored_videos WHERE sha256 = %s", (sha,)).fetchone()
        if row is None:
            raise _not_stored(ref, "")
        return row


_PREFIX = video_ref("0" * 64)[:-64]


def _video(row: Any) -> StoredVideo:
    return StoredVideo(video_ref(row["sha256"]), row["sha256"], int(row["size"]), row["name"],
                       int(row["created_at"]))


def _not_stored(ref: str, name: str) -> VideoUnavailable:
    what = f"The video {name}" if name else "The video of this post"
    return VideoUnavailable(
        f"{what} is no longer kept in the shared schedule ({ref}): it was released after "
        "its last post went, or removed from the database. Open the post and choose the video "
        "file again.", retry=False, code="video_not_stored")


def _one(raw: psycopg.Connection[Any], sql: str, params: Any = ()) -> Any:
    row = raw.execute(sql, params).fetchone()
    assert row is not None  # the lo_* functions return one value or raise
    return row[0]


def _hash(path: Path, chunk: int, progress: ProgressFn | None, cancel: CancelFn | None,
          total: int) -> str:
    digest = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    done = 0
    if progress:
        progress(0, total)
    with path.open("rb", buffering=0) as fh:
        while True:
            if cancel is not None and cancel():
                raise PutCancelled
            n = fh.readinto(buf)
            if not n:
                return digest.hexdigest()
            digest.update(view[:n])
            done += n
            if progress:
                progress(min(done, total), total)


