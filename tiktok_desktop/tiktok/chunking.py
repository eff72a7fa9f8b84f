"""The chunk plan for FILE_UPLOAD (TIKTOK_API.md 4.4), valid under both MB readings.

TikTok's limits (chunks >= 5 MB and <= 64 MB, the last one <= 128 MB, 1..1000 chunks) do not
say whether MB is 10**6 or 2**20. The plan below satisfies both readings:

- ``video_size <= 64,000,000``: one chunk, ``chunk_size = video_size``;
- otherwise ``chunk_size = 10,000,000`` and ``total_chunk_count = floor(size / chunk_size)``;
  the last chunk absorbs the remainder (so it is 10,000,000..19,999,999 bytes);
- files over 4,000,000,000 bytes are refused (4 GB under the decimal reading).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UnsupportedContainer, VideoSizeError

__all__ = [
    "CONTAINER_CONTENT_TYPES",
    "CONTENT_TYPES",
    "MAX_CHUNKS",
    "MAX_LAST_CHUNK",
    "MAX_VIDEO_SIZE",
    "MULTI_CHUNK_SIZE",
    "SINGLE_CHUNK_MAX",
    "Chunk",
    "ChunkPlan",
    "content_type_for",
    "content_type_for_container",
    "plan_chunks",
    "sniff_content_type",
]

SINGLE_CHUNK_MAX = 64_000_000          # 64 MB, the smaller reading
MULTI_CHUNK_SIZE = 10_000_000          # >= 5 MiB and <= 64 MB under both readings
MAX_LAST_CHUNK = 128_000_000           # 128 MB, the smaller reading
MAX_CHUNKS = 1000
# "Max 4 GB", read like the chunk limits: valid under both readings means 4 * 10**9 (a 4 GiB
# file, 4,294,967,296 bytes, would break the decimal reading).
MAX_VIDEO_SIZE = 4_000_000_000

# By file name: only for a file whose first bytes say nothing (see content_type_for).
CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".qt": "video/quicktime",
    ".webm": "video/webm",
}
# By the container a probe found in the file (services/media.py MediaInfo.container).
CONTAINER_CONTENT_TYPES = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}
_SNIFF_BYTES = 64
# Top-level atoms an old QuickTime file may start with instead of ftyp.
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


@dataclass(frozen=True)
class Chunk:
    """One PUT: bytes ``first``..``last`` inclusive."""

    index: int
    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def chunk(self, index: int) -> Chunk:
        if not 0 <= index < self.total_chunk_count:
            raise IndexError(index)
        first = index * self.chunk_size
        last = self.video_size - 1 if index == self.total_chunk_count - 1 \
            else first + self.chunk_size - 1
        return Chunk(index, first, last)

    def chunks(self) -> list[Chunk]:
        return [self.chunk(i) for i in range(self.total_chunk_count)]

    def chunk_containing(self, offset: int) -> Chunk:
        """The chunk holding byte ``offset`` (0 <= offset < video_size)."""
        if not 0 <= offset < self.video_size:
            raise IndexError(offset)
        return self.chunk(min(offset // self.chunk_size, self.total_chunk_count - 1))

    def is_boundary(self, offset: int) -> bool:
        """True if ``offset`` is where a chunk starts (or the end of the file)."""
        if offset == self.video_size:
            return True
        return 0 <= offset < self.video_size and self.chunk_containing(offset).first == offset

    def source_info(self) -> dict[str, Any]:
        """The init request's ``source_info``."""
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def plan_chunks(video_size: int) -> ChunkPlan:
    """The plan for a file of ``video_size`` bytes; VideoSizeError if TikTok cannot take it."""
    if video_size <= 0:
        raise VideoSizeError("The video file is empty: choose another file.", code="empty_file")
    if video_size > MAX_VIDEO_SIZE:
        raise VideoSizeError(
            "The video is larger than TikTok's 4 GB limit: export it smaller (e.g. a lower "
            "bitrate) and try again.", code="file_too_large")
    if video_size <= SINGLE_CHUNK_MAX:
        plan = ChunkPlan(video_size, video_size, 1)
    else:
        plan = ChunkPlan(video_size, MULTI_CHUNK_SIZE, video_size // MULTI_CHUNK_SIZE)
    # With 10 MB chunks, 4 GB needs 400 chunks and the last chunk is < 20 MB, so both checks
    # hold by construction; they stay as guards against a change to the constants.
    last = plan.chunk(plan.total_chunk_count - 1)
    if not 1 <= plan.total_chunk_count <= MAX_CHUNKS or last.length > MAX_LAST_CHUNK:
        raise VideoSizeError(
            "The video cannot be split into chunks TikTok accepts: export it smaller.",
            code="bad_chunk_plan")
    return plan


def content_type_for_container(container: str) -> str:
    """The PUT's Content-Type for a probed container name (mp4, mov, webm)."""
    try:
        return CONTAINER_CONTENT_TYPES[container]
    except KeyError:
        raise UnsupportedContainer(code="unsupported_container") from None


def sniff_content_type(head: bytes) -> str | None:
    """The Content-Type the file's first bytes prove; None when they prove nothing.

    The same reading as services/media_open.sniff (tiktok/ may not import services/): ISO
    media with brand "qt  " (or an old QuickTime file without ftyp) is MOV, other ISO media
    MP4; an EBML header is WebM only if its DocType says so (Matroska is refused).
    """
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "video/quicktime"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        at = head.find(b"\x42\x82", 4)  # the EBML header's DocType element
        if at >= 0 and at + 3 <= len(head) and head[at + 2] & 0x80:
            doctype = head[at + 3: at + 3 + (head[at + 2] & 0x7F)]
            if doctype == b"webm":
                return "video/webm"
        raise UnsupportedContainer(code="unsupported_container")
    return None


def content_type_for(path: str | Path) -> str:
    """The PUT's Content-Type from what the file is, not what it is called.

    A WebM named .mp4 goes as video/webm, an MP4 named .txt or without an extension as
    video/mp4. Only when the first bytes prove nothing does the extension decide (the probe
    at scheduling time already refused files that are not video). Raises UnsupportedContainer
    when neither says MP4, MOV or WebM.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    except OSError:
        head = b""
    found = sniff_content_type(head)
    if found is not None:
        return found
    suffix = Path(path).suffix.lower()
    try:
        return CONTENT_TYPES[suffix]
    except KeyError:
        raise UnsupportedContainer(code="unsupported_container") from None
