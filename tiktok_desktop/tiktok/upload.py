"""Media transfer: PUT the file to ``upload_url`` chunk by chunk, streaming from disk.

- Each chunk is one PUT with explicit ``Content-Length`` and ``Content-Range``; the body is a
  generator reading the file in blocks (never a whole chunk in memory), so memory stays flat.
- 5xx / network errors replay the SAME range after a backoff (via the injected sleeper).
- TikTok's reply header ``Content-Range: bytes 0-{N}/{TOTAL}`` reports its progress; after a
  break (and on 416) the upload continues from what TikTok says it has. Whether N is the last
  byte index or a byte count is not documented (TIKTOK_API.md 11.8): the client learns it
  from the first 206 (N == last byte sent, or last + 1) and until then prefers the reading
  that lands on a chunk boundary.
- Resume across restarts: pass the persisted ``start_offset`` (from ``checkpoint``).
- What is sent is what was checked: given the SHA-256 the post was scheduled with, the bytes
  are hashed as they are read for sending (the file is not read twice), and the last block of
  the last chunk leaves only if the hash of everything matches; otherwise the PUT is broken off
  (TikTok never has the whole video) and VideoFileChanged is raised. A replayed range is hashed
  again from a snapshot taken where its PUT started; before a resume offset the bytes are read
  once locally, not sent, to bring the hash up to it.
- Cancellation via a threading.Event or a callable: between blocks, and while a PUT waits on
  the network (a slow reply, a stalled write) by shutting down that PUT's socket, within about
  CANCEL_POLL seconds.
- 403 (URL expired), 404 and 400 are final: they raise at once, never retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, BinaryIO

import httpx

from ._http import Sleeper, parse_retry_after
from .chunking import (
    Chunk,
    ChunkPlan,
    content_type_for,
    plan_chunks,
)
from .endpoints import UPLOAD_TIMEOUT
from .errors import (
    UploadCancelled,
    UploadError,
    UploadInterrupted,
    UploadRejected,
    UploadTaskNotFound,
    UploadUrlExpired,
    VideoFileChanged,
)

__all__ = [
    "CANCEL_POLL",
    "DEFAULT_BLOCK_SIZE",
    "CancelToken",
    "ChunkUploader",
    "ProgressCallback",
    "UploadResult",
    "parse_progress_header",
]

log = logging.getLogger("tiktok_desktop.tiktok.upload")

# Per read/yield. Measured with benchmarks/bench_upload.py (1 GiB over loopback): 1 MiB beat
# 256 KiB, 512 KiB, 2 MiB and 4 MiB. Each block fits the socket send buffer, so httpcore sends
# it in one call (a partial send would make it copy the rest of the block again).
DEFAULT_BLOCK_SIZE = 1024 * 1024

# How often the cancel token is looked at while a PUT waits on the network (seconds).
CANCEL_POLL = 0.2
# How far up the stack a trace hook looks for the connection that called it.
_FRAME_SEARCH = 6
# Blocks the hashing thread may lag behind the socket (memory: this many blocks at most).
_HASH_QUEUE = 8

_INTERCEPTED_UPLOAD = (
    "Something on the network answered instead of TikTok's upload server (a Wi-Fi sign-in "
    "page or a proxy): sign in to the network in a browser or check the proxy settings; the "
    "upload resumes from where it stopped.")

ProgressCallback = Callable[[int, int], None]
CancelToken = threading.Event | Callable[[], bool] | None

_RANGE_RE = re.compile(r"^\s*bytes\s+(?:(\d+)\s*-\s*(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.IGNORECASE)


def parse_progress_header(value: str | None) -> tuple[int | None, int | None] | None:
    """``"bytes 0-N/T"`` -> ``(N, T)``; ``"bytes */T"`` -> ``(None, T)``; junk -> None."""
    if not value:
        return None
    m = _RANGE_RE.match(value)
    if not m:
        return None
    end = int(m.group(2)) if m.group(2) is not None else None
    total = int(m.group(3)) if m.group(3) != "*" else None
    return end, total


@dataclass(frozen=True)
class UploadResult:
    video_size: int
    bytes_sent: int     # bytes put on the wire, retries included
    requests: int       # PUTs sent
    retries: int        # PUTs replayed after a 5xx / network error / 429
    resumed_from: int   # where this call started (after the first reconcile, if any)


class _Convention:
    """How TikTok's progress header counts: unknown until the first 206."""

    def __init__(self) -> None:
        self.inclusive: bool | None = None

    def learn(self, end: int, last_sent: int) -> None:
        if end == last_sent:
            self.inclusive = True
        elif end == last_sent + 1:
            self.inclusive = False

    def next_offset(self, end: int | None, plan: ChunkPlan) -> int:
        if end is None:
            return 0
        if self.inclusive is True:
            return end + 1
        if self.inclusive is False:
            return end
        if plan.is_boundary(end + 1):
            return end + 1
        if plan.is_boundary(end):
            return end
        return end + 1


def _is_cancelled(cancel: CancelToken) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def _shutdown(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: it wakes a send or recv blocked in another
    # thread (close() would not), and leaves the TLS object alone while that thread uses it.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _calling_connection_stream() -> Any:
    """The network stream of the httpcore connection whose trace hook is running, or None.

    httpcore hands a trace hook the new stream when it connects (the public way, used first),
    but nothing when it reuses a kept-alive connection; that connection object is a few frames
    up (httpcore 1.x: ``HTTP11Connection._network_stream``). Not found (another httpcore, a
    mock transport): None, and a cancel waits for the next block as before.
    """
    frame: FrameType | None = sys._getframe(1)
    for _ in range(_FRAME_SEARCH):
        if frame is None:
            return None
        stream = getattr(frame.f_locals.get("self"), "_network_stream", None)
        if stream is not None and callable(getattr(stream, "get_extra_info", None)):
            return stream
        frame = frame.f_back
    return None


class _Abort:
    """Breaks off the PUT in flight when the cancel token fires.

    httpx cannot cancel a synchronous request from another thread, and a PUT can wait minutes
    in send() or recv() (UPLOAD_TIMEOUT). Shutting down its socket is the one thing that wakes
    it, so a watcher thread polls the token and does that; the PUT then fails with a transport
    error that run() turns into UploadCancelled. The socket is learnt through httpcore's
    ``trace`` request extension as each PUT starts.
    """

    def __init__(self, cancel: CancelToken) -> None:
        self.cancel = cancel
        self.fired = False
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._done = threading.Event()
        if cancel is not None:
            threading.Thread(target=self._watch, name="upload-cancel", daemon=True).start()

    def _watch(self) -> None:
        while not self._done.wait(CANCEL_POLL):
            if _is_cancelled(self.cancel):
                with self._lock:
                    self.fired = True
                    if self._sock is not None:
                        _shutdown(self._sock)
                return

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace hook for one PUT (runs on the uploading thread)."""
        stream: Any = None
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
        elif event == "http11.send_request_headers.started" and self._sock is None:
            stream = _calling_connection_stream()
        if stream is None:
            return
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sock = sock
                if self.fired:
                    _shutdown(sock)

    def release(self) -> None:
        """The PUT is over: its connection may carry someone else's request next."""
        with self._lock:
            self._sock = None

    def close(self) -> None:
        self._done.set()


class _PipelinedHash:
    """SHA-256 of the blocks fed to it, in order, on a helper thread.

    Hashing inline made the sender idle the server for ~0.6 ms per MiB (1 GiB over loopback:
    900 -> 510 MB/s in benchmarks/bench_upload.py); hashlib releases the GIL, so on its own
    thread the hash overlaps the socket writes. Snapshots (marks) are taken by the thread as it
    reaches them, so a new PUT never waits for the hash to catch up; only the final compare
    and a replay do.
    """

    def __init__(self) -> None:
        self._hash: Any = hashlib.sha256()
        self.snapshots: dict[int, Any] = {}
        self._queue: queue.Queue[bytes | int | None] = queue.Queue(maxsize=_HASH_QUEUE)
        self._thread = threading.Thread(target=self._work, name="upload-hash", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if isinstance(item, int):
                    self.snapshots[item] = self._hash.copy()
                else:
                    self._hash.update(item)
            finally:
                self._queue.task_done()

    def update(self, block: bytes) -> None:
        self._queue.put(block)

    def mark(self, offset: int) -> None:
        """Keep the hash as it stands after everything fed so far, as of ``offset``."""
        self._queue.put(offset)

    def restore(self, offset: int) -> None:
        """Go back to the snapshot marked at ``offset``."""
        self._queue.join()
        self._hash = self.snapshots[offset].copy()

    def marked(self) -> list[int]:
        self._queue.join()
        return list(self.snapshots)

    def hexdigest(self) -> str:
        self._queue.join()
        return str(self._hash.hexdigest())

    def close(self) -> None:
        self._queue.put(None)


class ChunkUploader:
    """Uploads one file to one ``upload_url``. Thread-compatible (no shared mutable state)."""

    def __init__(self, http: httpx.Client, sleeper: Sleeper = time.sleep,
                 timeout: httpx.Timeout = UPLOAD_TIMEOUT,
                 block_size: int = DEFAULT_BLOCK_SIZE, max_attempts: int = 5,
                 backoff: float = 1.0, max_backoff: float = 30.0) -> None:
        if block_size <= 0 or max_attempts < 1:
            raise ValueError("block_size and max_attempts must be positive")
        self._http = http
        self._sleeper = sleeper
        self._timeout = timeout
        self.block_size = block_size
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff

    def __repr__(self) -> str:
        return f"ChunkUploader(block_size={self.block_size}, max_attempts={self.max_attempts})"

    def upload(self, upload_url: str, path: str | os.PathLike[str], *,
               plan: ChunkPlan | None = None, start_offset: int = 0,
               content_type: str | None = None, progress: ProgressCallback | None = None,
               checkpoint: Callable[[int], None] | None = None,
               cancel: CancelToken = None,
               expected_sha256: str | None = None) -> UploadResult:
        """Upload ``path`` (from ``start_offset``) and return once TikTok answered 201.

        ``plan`` must be the one sent to init (default: plan_chunks(file size)); its
        ``video_size`` is the size the post was scheduled with. ``expected_sha256`` is the
        SHA-256 it was scheduled with: the bytes actually sent must hash to it, or the last
        chunk is refused (VideoFileChanged). ``content_type`` is best given from the probed
        container (content_type_for_container); by default the file's first bytes decide.
        ``progress(sent, total)`` is called as blocks go out (it steps back when a chunk is
        replayed); ``checkpoint(offset)`` each time TikTok confirms progress (persist it for a
        resume after a restart). Both run on the uploading thread: keep them quick.

        Raises UploadUrlExpired (403), UploadTaskNotFound (404), UploadRejected (400),
        UploadInterrupted (retries ran out; retryable, carries the confirmed offset),
        UploadCancelled, VideoFileChanged (a size change before any request, a content change
        before the last chunk completes), VideoSizeError / UnsupportedContainer (before any
        request).
        """
        file_path = Path(path)
        size = file_path.stat().st_size
        plan = plan or plan_chunks(size)
        if plan.video_size != size:
            raise VideoFileChanged(name=file_path.name)
        if not 0 <= start_offset <= size:
            raise ValueError("start_offset outside the file")
        ctype = content_type or content_type_for(file_path)
        state = _Run(self, upload_url, plan, ctype, progress, checkpoint, cancel,
                     name=file_path.name, expected_sha256=expected_sha256)
        try:
            with open(file_path, "rb", buffering=0) as f:
                return state.run(f, start_offset)
        finally:
            state.abort.close()
            if state.hasher is not None:
                state.hasher.close()

    def _delay(self, failures: int) -> float:
        return float(min(self.max_backoff, self.backoff * (2 ** (failures - 1))))


class _Run:
    """One upload() call's state (kept off the uploader so it can be shared)."""

    def __init__(self, owner: ChunkUploader, url: str, plan: ChunkPlan, content_type: str,
                 progress: ProgressCallback | None, checkpoint: Callable[[int], None] | None,
                 cancel: CancelToken, *, name: str = "",
                 expected_sha256: str | None = None) -> None:
        self.owner = owner
        self.url = httpx.URL(url)   # parsed once, not once per chunk
        self.plan = plan
        self.content_type = content_type
        self.progress = progress
        self.checkpoint = checkpoint
        self.cancel = cancel
        self.convention = _Convention()
        self.bytes_sent = 0
        self.requests = 0
        self.retries = 0
        self.prefetched: tuple[int, bytes] | None = None
        self.file_position = -1     # where the next read() reads without a seek
        self.abort = _Abort(cancel)
        self.name = name
        # The hash of bytes 0..hashed_to as last read for sending, with snapshots where PUTs
        # started, so a replayed range is hashed again as it is read again.
        self.expected = expected_sha256.lower() if expected_sha256 else None
        self.hasher = _PipelinedHash() if self.expected else None
        if self.hasher is not None:
            self.hasher.mark(0)
        self.hashed_to = 0

    def _result(self, resumed_from: int) -> UploadResult:
        return UploadResult(self.plan.video_size, self.bytes_sent, self.requests, self.retries,
                            resumed_from)

    def _confirm(self, offset: int) -> None:
        if self.checkpoint is not None:
            self.checkpoint(offset)
        if self.progress is not None:
            self.progress(offset, self.plan.video_size)

    def run(self, f: BinaryIO, offset: int) -> UploadResult:
        size = self.plan.video_size
        resumed_from = offset
        failures = 0        # consecutive failed attempts without progress
        reconciles = 0      # 416s since the last accepted chunk (bounds a confused server)
        while True:
            if _is_cancelled(self.cancel):
                raise UploadCancelled(offset=offset)
            if offset >= size:
                # TikTok reported every byte received (a lost 201): done; status/fetch decides.
                return self._result(resumed_from)
            chunk = self.plan.chunk_containing(offset)
            target = Chunk(chunk.index, offset, chunk.last)
            wait: float | None = None
            intercepted = False
            self._hash_up_to(f, offset)
            try:
                response = self._put(f, target)
            except httpx.TransportError as exc:
                if self.abort.fired:
                    raise UploadCancelled(offset=offset) from None
                failures += 1
                reason = type(exc).__name__
                wait = self.owner._delay(failures)
            else:
                status = response.status_code
                header = parse_progress_header(response.headers.get("content-range"))
                if status == 201:
                    self._confirm(size)
                    return self._result(resumed_from)
                if status == 206:
                    new = target.last + 1
                    if header is not None and header[0] is not None:
                        self.convention.learn(header[0], target.last)
                        new = self.convention.next_offset(header[0], self.plan)
                    if new <= offset:
                        failures += 1   # TikTok kept nothing: replay, but bounded
                    else:
                        failures = reconciles = 0
                    offset = min(new, size)
                    self._confirm(offset)
                    if failures:
                        reason, wait = "206 without progress", self.owner._delay(failures)
                    else:
                        continue
                elif status == 416:
                    if header is None:
                        raise UploadRejected(http_status=416, code="range_mismatch")
                    new = self.convention.next_offset(header[0], self.plan)
                    reconciles += 1
                    failures = failures + 1 if new == offset else 0
                    if reconciles > self.owner.max_attempts:
                        raise UploadInterrupted(offset=min(new, size),
                                                code="upload_progress_unclear",
                                                http_status=416)
                    log.info("upload: TikTok has %d of %d bytes (we were at %d); resuming there",
                             new, size, offset)
                    offset = new
                    self._confirm(min(offset, size))
                    if failures == 0:
                        continue
                    reason, wait = "416 at the same offset", self.owner._delay(failures)
                elif status == 403:
                    raise UploadUrlExpired(http_status=403, code="upload_url_expired")
                elif status == 404:
                    raise UploadTaskNotFound(http_status=404, code="upload_task_not_found")
                elif status == 400:
                    raise UploadRejected(http_status=400, code="upload_bad_request")
                elif status == 429 or status >= 500 or 200 <= status < 400:
                    # 2xx other than 201/206, or a redirect: not TikTok's upload server (a
                    # captive portal or a proxy answered); like a 5xx, the range goes again.
                    failures += 1
                    reason = f"HTTP {status}"
                    intercepted = status < 400
                    retry_after = parse_retry_after(response) if status == 429 else None
                    wait = retry_after if retry_after is not None \
                        else self.owner._delay(failures)
                else:
                    raise UploadError(
                        f"TikTok answered the upload with an unexpected HTTP {status}: the "
                        f"post has to be started again.", http_status=status)
            if failures >= self.owner.max_attempts:
                if intercepted:
                    raise UploadInterrupted(_INTERCEPTED_UPLOAD, offset=offset,
                                            code="upload_intercepted")
                raise UploadInterrupted(offset=offset, code="upload_retries_exhausted")
            self.retries += 1
            # INFO: retries are routine; the caller logs the final outcome.
            log.info("upload: chunk %d (bytes %d-%d) failed (%s); retry %d/%d in %.1f s",
                     target.index, target.first, target.last, reason, failures,
                     self.owner.max_attempts - 1, wait)
            self.owner._sleeper(wait)

    def _put(self, f: BinaryIO, chunk: Chunk) -> httpx.Response:
        headers = {
            "Content-Type": self.content_type,
            # Explicit length: httpx then streams the generator without chunked encoding.
            "Content-Length": str(chunk.length),
            "Content-Range": f"bytes {chunk.first}-{chunk.last}/{self.plan.video_size}",
        }
        http = self.owner._http
        request = http.build_request("PUT", self.url, headers=headers,
                                     content=self._blocks(f, chunk),
                                     timeout=self.owner._timeout,
                                     extensions={"trace": self.abort.trace})
        self.requests += 1
        try:
            response = http.send(request)
            response.close()    # the body is empty or tiny; free the connection now
        finally:
            self.abort.release()
        return response

    def _hash_up_to(self, f: BinaryIO, offset: int) -> None:
        """Bring the hash to ``offset``, where the next PUT starts."""
        if self.hasher is None:
            return
        if offset < self.hashed_to:     # a replay: from the snapshot at or before it
            start = max(at for at in self.hasher.marked() if at <= offset)
            self.hasher.restore(start)
            self.hashed_to = start
        while self.hashed_to < offset:  # a resume: read what TikTok has, do not send it
            block = self._read_at(f, self.hashed_to,
                                  min(self.owner.block_size, offset - self.hashed_to))
            self.hasher.update(block)
            self.hashed_to += len(block)
        self.hasher.mark(offset)

    def _next_block(self, f: BinaryIO, position: int, size: int) -> bytes:
        prefetched = self.prefetched
        self.prefetched = None
        if prefetched is not None and prefetched[0] == position and len(prefetched[1]) == size:
            return prefetched[1]
        return self._read_at(f, position, size)

    def _read_at(self, f: BinaryIO, position: int, size: int) -> bytes:
        try:
            if position != self.file_position:
                f.seek(position)
            # Unbuffered file: one read() syscall straight into a fresh bytes object, which
            # h11 and the socket take without another copy.
            block = f.read(size)
        except OSError as exc:
            self.file_position = -1
            raise UploadError("The video file could not be read: check that it is still "
                              "there.", code="file_read_failed") from exc
        if not block:
            raise VideoFileChanged(name=self.name)  # it got shorter while uploading
        self.file_position = position + len(block)
        return block

    def _blocks(self, f: BinaryIO, chunk: Chunk) -> Iterator[bytes]:
        block_size = self.owner.block_size
        total = self.plan.video_size
        progress = self.progress
        cancel = self.cancel
        remaining = chunk.length
        position = chunk.first
        while remaining > 0:
            if cancel is not None and _is_cancelled(cancel):
                raise UploadCancelled(offset=chunk.first)
            block = self._next_block(f, position, min(block_size, remaining))
            if self.hasher is not None:
                self.hasher.update(block)
                self.hashed_to = position + len(block)
                # Before the very last block leaves: without it TikTok never has the video.
                if self.hashed_to == total and self.hasher.hexdigest() != self.expected:
                    raise VideoFileChanged(name=self.name)
            remaining -= len(block)
            position += len(block)
            self.bytes_sent += len(block)
            yield block
            if progress is not None:
                progress(position, total)
        # The body is out; while TikTok drains it and answers, read the next chunk's first
        # block so the next PUT starts without touching the disk (the server would idle).
        if position < total:
            chunk_next = self.plan.chunk_containing(position)
            self.prefetched = (position, self._read_at(f, position,
                                                       min(block_size, chunk_next.length)))
