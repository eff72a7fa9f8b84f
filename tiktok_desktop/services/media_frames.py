"""Preview frames for the composer (cover picker, thumbnails). Qt-free: the UI turns a
:class:`Frame` into a QImage.

Cost is bounded per call: seek to the keyframe at or before the time, decode forward at most
``MAX_DECODE_FRAMES``, convert only the frame returned. Public names are re-exported by
``services.media``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av.error
import av.filter
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from tiktok_desktop.services.media_open import (
    AV_FAILURES,
    MediaError,
    damaged,
    decode,
    frame_ms,
    normal_rotation,
    open_video,
    rate,
    us_to_ms,
)
from tiktok_desktop.services.videofile import quoted

log = logging.getLogger(__name__)

# Past the keyframe we decode at most this many frames (15 s at 60 fps); keyframes in real
# videos come every 1-10 s, so this only bites on pathological files, and then we return the
# closest frame reached instead of decoding on.
MAX_DECODE_FRAMES = 900


@dataclass(frozen=True)
class Frame:
    """One picture as packed RGB24 rows (``bytes_per_line == width * 3``), already turned
    upright by the file's rotation. ``QImage(data, width, height, bytes_per_line,
    QImage.Format.Format_RGB888)`` shows it (keep ``data`` alive while the QImage uses it,
    or call ``.copy()`` on the QImage)."""

    data: bytes = field(repr=False)
    width: int
    height: int
    timestamp_ms: int  # when this frame is shown, from the start of the video

    @property
    def bytes_per_line(self) -> int:
        return self.width * 3


def frame_at(path: str | os.PathLike[str], ms: int, max_side: int) -> Frame:
    """The frame on screen at ``ms`` (the first one from there on, or the last frame when
    ``ms`` is past the end), scaled to fit ``max_side`` pixels. Raises MediaError."""
    if max_side < 1:
        raise ValueError("max_side must be at least 1")
    with open_video(path) as (container, video, _head):
        return _grab(container, video, max(0, int(ms)), max_side, Path(path).name)


def thumbnail(path: str | os.PathLike[str], max_side: int) -> Frame:
    """A representative frame: 10% into the video, at least 1 s in (past a fade from black)
    and at most halfway. Raises MediaError."""
    if max_side < 1:
        raise ValueError("max_side must be at least 1")
    with open_video(path) as (container, video, _head):
        total = us_to_ms(container.duration)
        at = 1000 if total is None else int(min(max(1000.0, total * 0.1), total / 2))
        return _grab(container, video, at, max_side, Path(path).name)


def _grab(container: InputContainer, video: VideoStream, ms: int, max_side: int,
          name: str) -> Frame:
    tb = video.time_base or Fraction(1, 1000)
    start = video.start_time or 0
    # A frame is on screen from its timestamp until the next one; accept the frame that
    # starts within half a frame after the time asked.
    half_frame_ms = 500.0 / (rate(video.average_rate) or rate(video.guessed_rate) or 30.0)
    total = us_to_ms(container.duration)
    if total is not None:
        # Past the end means the last frame: stop at it instead of reading on to the end of the
        # file (Matroska scans any trailing garbage byte by byte looking for more).
        ms = max(0, min(ms, int(total - 2 * half_frame_ms)))
    best: VideoFrame | None = None
    # Frame threads decode the run from the keyframe faster; the short output delay they add
    # does not matter for a single picture.
    video.codec_context.thread_type = "AUTO"
    try:
        if ms > 0:
            container.seek(start + int(ms / 1000 / tb), stream=video, backward=True)
        for count, frame in enumerate(decode(container, video)):
            shown = frame_ms(frame, start, tb)
            if best is not None and shown is not None and shown > ms + half_frame_ms:
                break  # passed the time: the previous frame is the one on screen
            best = frame
            if shown is None or shown >= ms - half_frame_ms or count >= MAX_DECODE_FRAMES:
                break
    except av.error.DecoderNotFoundError:
        raise MediaError("unsupported", f"This app cannot decode the video in {quoted(name)} "
                         f"({video.codec_context.name}), so it cannot show a preview.") from None
    except AV_FAILURES as exc:
        log.debug("frame grab from %s failed: %s", name, type(exc).__name__)
        raise damaged(name) from None
    if best is None:
        raise damaged(name)
    return _to_frame(best, video, max_side, frame_ms(best, start, tb) or 0)


def _to_frame(frame: VideoFrame, video: VideoStream, max_side: int, shown_ms: int) -> Frame:
    sar = video.sample_aspect_ratio
    # Non-square pixels (old DV/anamorphic files) are stretched to their shown width.
    shown_w = frame.width * float(sar) if sar and sar > 0 else float(frame.width)
    scale = min(1.0, max_side / max(shown_w, frame.height))
    width = max(1, round(shown_w * scale))
    height = max(1, round(frame.height * scale))
    rgb = frame.reformat(width=width, height=height, format="rgb24")
    rotation = normal_rotation(frame.rotation)
    if rotation:
        rgb = _rotate(rgb, rotation)
    return Frame(_packed_rows(rgb), rgb.width, rgb.height, shown_ms)


def _rotate(frame: VideoFrame, rotation: int) -> VideoFrame:
    """Turn the picture upright; ``rotation`` is counter-clockwise, as PyAV reports it."""
    chains: dict[int, list[tuple[str, str | None]]] = {
        90: [("transpose", "cclock")], 270: [("transpose", "clock")],
        180: [("hflip", None), ("vflip", None)]}
    graph = av.filter.Graph()
    node = graph.add_buffer(width=frame.width, height=frame.height, format=frame.format,
                            time_base=Fraction(1, 1000))
    for filter_name, args in chains[rotation % 360]:
        nxt = graph.add(filter_name, args)
        node.link_to(nxt)
        node = nxt
    sink = graph.add("buffersink")
    node.link_to(sink)
    graph.configure()
    frame.pts = 0
    graph.push(frame)
    out = graph.pull()
    assert isinstance(out, VideoFrame)
    return out


def _packed_rows(frame: VideoFrame) -> bytes:
    plane = frame.planes[0]
    row = frame.width * 3
    raw = memoryview(plane)
    stride = plane.line_size  # FFmpeg pads rows for SIMD; QImage wants them packed
    if stride == row:
        return bytes(raw[: row * frame.height])
    return b"".join(raw[y * stride: y * stride + row] for y in range(frame.height))
