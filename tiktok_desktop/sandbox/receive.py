"""Receiving a request body: socket reads and SHA-256 run side by side, memory stays flat.

SHA-256 (about 2 GB/s here) is the slowest step of taking a body. Done inline, every block
waits for the hash of the previous one, and between the chunk PUTs of an upload the hash
idles while the reply and the next request cross the wire. Here the request thread only reads
(and stores) blocks; a hash worker thread per body or upload hashes them in order.

- Blocks come from a shared ``BlockPool``; a pipeline holds at most ``depth`` of them (being
  read, waiting for the hash, or being hashed), so the reader is throttled to the hash speed
  and memory does not grow with the body. An idle pipeline gives its blocks back.
- A chunk is hashed into a copy of the committed hash and replaces it only when the reader
  commits the chunk (its last byte arrived); an aborted chunk (dropped connection) leaves the
  committed hash as it was, however far the hash had got.
- ``wait()`` returns the digest once every chunk committed so far is hashed. Callers must wait
  before they report a digest (the final 201, the sink's reply, control.received).
- The worker thread exists only while there is work: it ends when the queue is empty and no
  chunk is open, and the next chunk starts a new one.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from typing import Any, BinaryIO, Protocol

__all__ = ["BLOCK_SIZE", "DEPTH", "BlockPool", "HashPipeline", "Hasher", "PipelineError",
           "new_hasher", "receive"]

log = logging.getLogger("tiktok_desktop.sandbox")

BLOCK_SIZE = 1 << 20
# Blocks in use per pipeline: enough hash work (8 MiB, about 4 ms) to cover a chunk's reply and
# the next request's arrival, small enough that memory stays flat.
DEPTH = 8


class Hasher(Protocol):
    def update(self, data: Any, /) -> None: ...

    def copy(self) -> Hasher: ...

    def hexdigest(self) -> str: ...


def new_hasher() -> Hasher:
    """A fresh SHA-256 (a seam: tests swap in a hasher they can hold back)."""
    return hashlib.sha256()


class BlockPool:
    """Recycled receive buffers of one size, so a steady transfer allocates nothing."""

    def __init__(self, block_size: int = BLOCK_SIZE, keep: int = 2 * DEPTH) -> None:
        self.block_size = block_size
        self.keep = keep
        self._free: list[bytearray] = []
        self._lock = threading.Lock()
        self.allocated = 0  # buffers ever created

    def get(self) -> bytearray:
        with self._lock:
            if self._free:
                return self._free.pop()
            self.allocated += 1
        return bytearray(self.block_size)

    def put(self, buffer: bytearray) -> None:
        with self._lock:
            if len(self._free) < self.keep:
                self._free.append(buffer)


_BEGIN, _BLOCK, _COMMIT, _ABORT = range(4)
_Item = tuple[int, bytearray | None, int]


class PipelineError(RuntimeError):
    """The hash worker failed; the body's digest is unknown."""


class HashPipeline:
    """The running SHA-256 of one body or upload, computed on a worker thread.

    The reader calls begin(), then take()/feed() per block, then commit() or abort(); one
    chunk at a time, chunks in order. Any thread may call wait().

    Per block the two threads meet only in two C-level SimpleQueues (work to the worker,
    free blocks back to the reader): no Python lock per block, so the hash thread loses as
    little time as possible between updates.
    """

    def __init__(self, pool: BlockPool, hasher: Hasher | None = None,
                 depth: int = DEPTH) -> None:
        if depth < 1:
            raise ValueError("depth must be positive")
        self.pool = pool
        self.depth = depth
        self._committed = hasher if hasher is not None else new_hasher()
        self._digest = self._committed.hexdigest()
        self._work: queue.SimpleQueue[_Item] = queue.SimpleQueue()
        self._free: queue.SimpleQueue[bytearray | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._hashed = threading.Condition(self._lock)  # a commit was hashed, or an error
        self.owned = 0              # blocks taken from the pool (at most depth)
        self._commits_queued = 0
        self._commits_done = 0
        self._running = False       # a worker thread exists
        self._error: BaseException | None = None

    # --- reader side --------------------------------------------------------------------------

    def begin(self) -> None:
        self._marker((_BEGIN, None, 0))

    def take(self) -> bytearray:
        """A free block; waits while `depth` blocks are in use (the hash is behind)."""
        try:
            block = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                self._check()
                grow = self.owned < self.depth
                if grow:
                    self.owned += 1
            block = self.pool.get() if grow else self._free.get()
        if block is None:  # the worker died
            self._free.put(None)
            self._check()
            raise PipelineError("the upload hash failed")
        return block

    def give_back(self, block: bytearray) -> None:
        """Return a taken block that was not fed."""
        self._free.put(block)

    def feed(self, block: bytearray, length: int) -> None:
        """Hash block[:length] (the block comes back through take() once hashed)."""
        self._work.put((_BLOCK, block, length))

    def commit(self) -> None:
        """The open chunk is complete: its bytes join the committed hash."""
        self._marker((_COMMIT, None, 0), commit=True)

    def abort(self) -> None:
        """The open chunk broke off: forget its bytes."""
        self._marker((_ABORT, None, 0))

    # --- any thread ---------------------------------------------------------------------------

    def wait(self) -> str:
        """The hex digest of every chunk committed so far (waits for their hashing)."""
        with self._lock:
            target = self._commits_queued
            while self._commits_done < target and self._error is None:
                self._hashed.wait()
            self._check()
            return self._digest

    def _check(self) -> None:
        if self._error is not None:
            raise PipelineError("the upload hash failed") from self._error

    # --- worker -------------------------------------------------------------------------------

    def _marker(self, item: _Item, commit: bool = False) -> None:
        with self._lock:
            self._check()
            self._commits_queued += commit
            self._work.put(item)
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._run, name="sandbox-hash", daemon=True).start()

    def _run(self) -> None:
        working: Hasher | None = None
        try:
            while True:
                kind, block, length = self._work.get()
                if kind == _BLOCK:
                    assert working is not None and block is not None
                    # hashlib releases the GIL here, so the reader keeps reading meanwhile.
                    working.update(memoryview(block)[:length])
                    self._free.put(block)
                    continue
                if kind == _BEGIN:
                    working = self._committed.copy()
                    continue
                # The chunk ends: a commit makes its hash the committed one, an abort drops it.
                finished, working = working, None
                digest = finished.hexdigest() if kind == _COMMIT and finished is not None else None
                with self._lock:
                    if kind == _COMMIT:
                        if finished is not None and digest is not None:
                            self._committed, self._digest = finished, digest
                        self._commits_done += 1
                    # No open chunk: end (blocks back to the pool) if nothing more is queued,
                    # before waking waiters, so an idle pipeline holds no blocks.
                    idle = self._work.empty()
                    if idle:
                        self._running = False
                        self._release_blocks()
                    self._hashed.notify_all()
                if idle:
                    return
        except BaseException as error:  # wake everyone: nothing waits forever on a dead worker
            log.exception("sandbox hash worker failed")
            with self._lock:
                self._error = error
                self._running = False
                self._hashed.notify_all()
            self._free.put(None)

    def _release_blocks(self) -> None:
        """Hand the (all free) blocks back to the shared pool while the pipeline is idle."""
        while True:
            try:
                block = self._free.get_nowait()
            except queue.Empty:
                break
            if block is not None:
                self.pool.put(block)
                self.owned -= 1


def receive(stream: BinaryIO, length: int, pipeline: HashPipeline, out: BinaryIO | None,
            stop_after: int | None = None) -> int:
    """Read up to `length` bytes into the open chunk of `pipeline` (and `out`); the count read.

    Fewer than `length` means the connection dropped (or `stop_after` was reached). The caller
    begins the chunk before and commits or aborts it after.
    """
    limit = length if stop_after is None else min(length, stop_after)
    done = 0
    while done < limit:
        block = pipeline.take()
        try:
            view = memoryview(block)[:min(len(block), limit - done)]
            try:
                n = stream.readinto(view)  # type: ignore[attr-defined]
            except OSError:  # includes socket timeouts and resets
                n = 0
            if n and out is not None:
                out.write(view[:n])
        except BaseException:
            pipeline.give_back(block)  # the block must not leak out of the pipeline's count
            raise
        if not n:
            pipeline.give_back(block)
            break
        pipeline.feed(block, n)
        done += n
    return done
