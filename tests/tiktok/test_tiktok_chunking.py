"""The chunk plan (TIKTOK_API.md 4.4): the worked example, boundaries, remainder rules."""

from __future__ import annotations

import itertools
import random

import pytest

from tiktok_desktop.tiktok import (
    Chunk,
    ChunkPlan,
    UnsupportedContainer,
    VideoSizeError,
    content_type_for,
    plan_chunks,
)

MB = 1_000_000
MIB = 1024 * 1024
GIB = 1024**3


def check_rules(plan: ChunkPlan) -> None:
    """Every rule of 4.4 under BOTH readings of MB (decimal and binary)."""
    chunks = plan.chunks()
    assert len(chunks) == plan.total_chunk_count
    assert 1 <= plan.total_chunk_count <= 1000
    assert plan.total_chunk_count == plan.video_size // plan.chunk_size
    assert chunks[0].first == 0
    assert chunks[-1].last == plan.video_size - 1
    for a, b in itertools.pairwise(chunks):
        assert b.first == a.last + 1
    assert sum(c.length for c in chunks) == plan.video_size
    for c in chunks:
        assert c.first == c.index * plan.chunk_size
    if plan.total_chunk_count == 1:
        assert plan.chunk_size == plan.video_size
        assert plan.video_size <= 64 * MB  # one chunk only when no split is required
    else:
        for c in chunks[:-1]:
            assert c.length == plan.chunk_size
            assert 5 * MIB <= c.length <= 64 * MB
        assert plan.chunk_size <= chunks[-1].length <= 128 * MB
        assert chunks[-1].length < 2 * plan.chunk_size


def test_worked_example_from_the_docs() -> None:
    plan = plan_chunks(50_000_123)
    # The doc example splits 50,000,123 into 5 x 10 MB; our plan sends it whole because it is
    # <= 64,000,000, the plan that is valid under both MB readings. The example's own numbers
    # must still satisfy the arithmetic we implement:
    example = ChunkPlan(50_000_123, 10_000_000, 5)
    ranges = [(c.first, c.last, c.length) for c in example.chunks()]
    assert ranges == [
        (0, 9_999_999, 10_000_000),
        (10_000_000, 19_999_999, 10_000_000),
        (20_000_000, 29_999_999, 10_000_000),
        (30_000_000, 39_999_999, 10_000_000),
        (40_000_000, 50_000_122, 10_000_123),
    ]
    check_rules(example)
    assert (plan.chunk_size, plan.total_chunk_count) == (50_000_123, 1)
    assert plan.source_info() == {"source": "FILE_UPLOAD", "video_size": 50_000_123,
                                  "chunk_size": 50_000_123, "total_chunk_count": 1}


@pytest.mark.parametrize(("size", "chunk_size", "count", "last_len"), [
    (1, 1, 1, 1),
    (5 * MB - 1, 5 * MB - 1, 1, 5 * MB - 1),         # < 5 MB goes whole
    (5 * MB, 5 * MB, 1, 5 * MB),
    (5 * MIB, 5 * MIB, 1, 5 * MIB),
    (64 * MB, 64 * MB, 1, 64 * MB),                   # largest single chunk
    (64 * MB + 1, 10 * MB, 6, 14 * MB + 1),           # first split
    (64 * MIB, 10 * MB, 6, 64 * MIB - 50 * MB),       # 67,108,864
    (64 * MIB + 1, 10 * MB, 6, 64 * MIB - 50 * MB + 1),
    (70 * MB - 1, 10 * MB, 6, 20 * MB - 1),           # remainder just under a chunk
    (70 * MB, 10 * MB, 7, 10 * MB),                   # exact multiple: no remainder
    (200 * MB + 123, 10 * MB, 20, 10 * MB + 123),
    (4 * 10**9 - 1, 10 * MB, 399, 20 * MB - 1),
    (4 * 10**9, 10 * MB, 400, 10 * MB),               # largest file allowed: 4 GB decimal
])
def test_boundaries(size: int, chunk_size: int, count: int, last_len: int) -> None:
    plan = plan_chunks(size)
    assert (plan.video_size, plan.chunk_size, plan.total_chunk_count) == (size, chunk_size,
                                                                         count)
    assert plan.chunks()[-1].length == last_len
    check_rules(plan)


@pytest.mark.parametrize("size", [0, -1, 4 * 10**9 + 1, 4 * GIB, 5 * GIB])
def test_sizes_tiktok_cannot_take_are_refused_clearly(size: int) -> None:
    with pytest.raises(VideoSizeError) as info:
        plan_chunks(size)
    assert not info.value.retryable
    text = str(info.value)
    assert ("4 GB" in text) if size > 0 else ("empty" in text)


def test_many_sizes_obey_every_rule() -> None:
    rng = random.Random(4_4)
    sizes = [rng.randrange(1, 4 * 10**9 + 1) for _ in range(400)]
    sizes += [rng.randrange(60 * MB, 80 * MB) for _ in range(100)]
    for size in sizes:
        check_rules(plan_chunks(size))


def test_chunk_lookup() -> None:
    plan = plan_chunks(35 * MB + 7 + 40 * MB)
    assert plan.total_chunk_count == 7
    assert plan.chunk_containing(0) == Chunk(0, 0, 10 * MB - 1)
    assert plan.chunk_containing(10 * MB) == Chunk(1, 10 * MB, 20 * MB - 1)
    last = plan.chunk_containing(plan.video_size - 1)
    assert last == Chunk(6, 60 * MB, plan.video_size - 1)
    assert plan.chunk_containing(72 * MB).index == 6   # inside the enlarged final chunk
    assert plan.is_boundary(0) and plan.is_boundary(60 * MB)
    assert plan.is_boundary(plan.video_size)
    assert not plan.is_boundary(70 * MB)                # no chunk starts there
    assert not plan.is_boundary(1)
    with pytest.raises(IndexError):
        plan.chunk_containing(plan.video_size)
    with pytest.raises(IndexError):
        plan.chunk(7)


@pytest.mark.parametrize(("name", "ctype"), [
    ("a.mp4", "video/mp4"), ("B.MP4", "video/mp4"), ("c.mov", "video/quicktime"),
    ("d.webm", "video/webm"), ("e.m4v", "video/mp4"),
])
def test_content_type_from_container(name: str, ctype: str) -> None:
    assert content_type_for(name) == ctype


@pytest.mark.parametrize("name", ["a.avi", "b.mkv", "noext"])
def test_unsupported_container(name: str) -> None:
    with pytest.raises(UnsupportedContainer) as info:
        content_type_for(name)
    assert "MP4, MOV or WebM" in str(info.value)
