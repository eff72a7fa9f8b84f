"""receive.HashPipeline: the hash worker behind the reads (order, commits, aborts, bounds)."""

from __future__ import annotations

import hashlib
import io
import logging
import random
import threading

import pytest

from tiktok_desktop.sandbox.receive import BlockPool, HashPipeline, PipelineError, receive

from .gates import GATE_TIMEOUT, Gate, GatedHasher


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _chunk(pipeline: HashPipeline, data: bytes, length: int | None = None,
           out: io.BytesIO | None = None) -> int:
    """One chunk through the pipeline; committed if all `length` bytes came, else aborted."""
    length = len(data) if length is None else length
    pipeline.begin()
    got = receive(io.BytesIO(data), length, pipeline, out)
    if got == length:
        pipeline.commit()
    else:
        pipeline.abort()
    return got


def test_many_chunks_hash_like_one_sha256() -> None:
    rng = random.Random(7)
    data = rng.randbytes(600_000)
    pool = BlockPool(block_size=4096, keep=4)
    pipeline = HashPipeline(pool, depth=3)
    out = io.BytesIO()
    end = 0
    for i in range(60):
        size = 0 if i == 5 else rng.randrange(1, 20_000)  # an empty chunk changes nothing
        _chunk(pipeline, data[end:end + size], out=out)
        end += size
        if i % 7 == 0:
            assert pipeline.wait() == _sha(data[:end])
    assert pipeline.wait() == _sha(data[:end])
    assert out.getvalue() == data[:end]
    assert pool.allocated <= 3
    assert pipeline.owned == 0  # idle: its blocks went back to the pool


def test_an_aborted_chunk_stays_out_of_the_hash_while_hashing_lags() -> None:
    gate = Gate()
    pipeline = HashPipeline(BlockPool(block_size=1024), GatedHasher(gate), depth=64)
    a, b, c = (random.Random(n).randbytes(size) for n, size in ((1, 5000), (2, 3000),
                                                                 (3, 7000)))
    assert _chunk(pipeline, a) == 5000
    assert _chunk(pipeline, b[:1500], length=3000) == 1500  # the connection "dropped"
    assert _chunk(pipeline, c) == 7000
    # Everything was read and queued with the hash held back: it lags all three chunks.
    assert gate.hashed == 0
    gate.open()
    assert pipeline.wait() == _sha(a + c)
    assert gate.hashed == 5000 + 1500 + 7000  # the aborted bytes were hashed, then dropped


class _Stream:
    """Serves `data`; records how far reading ever got ahead of hashing."""

    def __init__(self, data: bytes, gate: Gate, full_at: int) -> None:
        self.data = data
        self.gate = gate
        self.pos = 0
        self.max_ahead = 0
        self.full_at = full_at
        self.full = threading.Event()

    def readinto(self, view: memoryview) -> int:
        self.max_ahead = max(self.max_ahead, self.pos - self.gate.hashed)
        n = min(len(view), len(self.data) - self.pos)
        view[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        if self.pos >= self.full_at:
            self.full.set()
        return n


def test_reading_stops_at_depth_blocks_ahead_of_a_slow_hash() -> None:
    block, depth = 1024, 4
    gate = Gate()
    pool = BlockPool(block_size=block, keep=depth)
    pipeline = HashPipeline(pool, GatedHasher(gate), depth=depth)
    data = random.Random(5).randbytes(50 * block + 123)
    stream = _Stream(data, gate, full_at=depth * block)
    got: list[int] = []

    def read() -> None:
        pipeline.begin()
        got.append(receive(stream, len(data), pipeline, None))  # type: ignore[arg-type]
        pipeline.commit()

    reader = threading.Thread(target=read)
    reader.start()
    assert stream.full.wait(GATE_TIMEOUT)  # the reader filled every block it may hold...
    gate.open()                            # ...and can only go on as the hash frees them
    reader.join(GATE_TIMEOUT)
    assert got == [len(data)]
    assert pipeline.wait() == _sha(data)
    # Never more than `depth` blocks between the socket and the hash (the one being read
    # included), and never more buffers than that.
    assert stream.max_ahead <= (depth - 1) * block
    assert pool.allocated == depth
    assert pipeline.owned == 0


def test_blocks_are_reused_across_bodies() -> None:
    pool = BlockPool(block_size=4096)
    for n in range(3):
        data = random.Random(n).randbytes(100_000)
        pipeline = HashPipeline(pool, depth=4)
        _chunk(pipeline, data)
        assert pipeline.wait() == _sha(data)
    assert pool.allocated <= 4


def test_wait_returns_the_committed_hash_without_an_open_chunk() -> None:
    start = hashlib.sha256(b"earlier bytes")
    pipeline = HashPipeline(BlockPool(), start)
    assert pipeline.wait() == _sha(b"earlier bytes")
    assert _chunk(pipeline, b"more") == 4
    assert pipeline.wait() == _sha(b"earlier bytesmore")


class _Broken:
    def update(self, _data: object, /) -> None:
        raise ValueError("boom")

    def copy(self) -> _Broken:
        return self

    def hexdigest(self) -> str:
        return "0" * 64


def test_a_failing_hash_fails_the_body_instead_of_hanging(
        caplog: pytest.LogCaptureFixture) -> None:
    pipeline = HashPipeline(BlockPool(block_size=1024), _Broken(), depth=2)
    pipeline.begin()
    # More than `depth` blocks: the reader must be woken up, not left waiting for a block.
    with pytest.raises(PipelineError):
        receive(io.BytesIO(b"x" * 10_000), 10_000, pipeline, None)
    with pytest.raises(PipelineError):
        pipeline.wait()
    with pytest.raises(PipelineError):
        pipeline.begin()
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    caplog.clear()
