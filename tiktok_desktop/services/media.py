"""Video files: probe them, check them against TikTok's limits, grab preview frames.

The public API lives here (``probe``, ``validate``, ``frame_at``, ``thumbnail``, ``MediaInfo``,
``Problem``, ``Frame``, ``MediaError``); media_open.py opens files safely and media_frames.py
decodes pictures. Qt-free: the composer turns a :class:`Frame` into a QImage.

Bounded by design. Probing reads the headers FFmpeg needs, decodes the first frame (only a
decoded frame carries the rotation, and it proves the video decodes) and demuxes a few seconds
at the promised end (catches cut-off copies). Only a file without a duration or frame rate in
its header is demuxed (never decoded) to the end. A preview frame decodes from the keyframe
before it, never the whole video. Memory never grows with the file size.

Every failure caused by the file itself becomes a :class:`MediaError` whose text is a plain
message for the user (what is wrong, what to do), never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.container import InputContainer
from av.video.stream import VideoStream

from tiktok_desktop.services.media_frames import Frame, frame_at, thumbnail
from tiktok_desktop.services.media_open import (
    AV_FAILURES,
    CONTAINER_NAMES,
    EXTENSION_FAMILY,
    HEAD_BYTES,
    MediaError,
    Sniff,
    container_family,
    damaged,
    decode,
    family_group,
    fmt_duration,
    normal_rotation,
    open_video,
    rate,
    sniff,
    us_to_ms,
)
from tiktok_desktop.services.videofile import quoted

__all__ = [
    "Frame", "MediaError", "MediaInfo", "Problem", "accepted_container", "container_of",
    "frame_at", "probe", "thumbnail", "validate",
]

log = logging.getLogger(__name__)

# TikTok's video limits (TIKTOK_API.md section 5, from the media transfer guide).
MIN_FPS = 23.0
MAX_FPS = 60.0
# Averaged frame rates of phone videos land a hair off the nominal value (59.94 is standard,
# 60.02 happens with variable frame rate); this slack keeps a real 60 fps video from failing.
FPS_SLACK = 0.1
MIN_SIDE = 360
MAX_SIDE = 4096
# "max 4 GB" does not say decimal or binary (the same open question as the chunk sizes,
# TIKTOK_API.md 11.7). We take the smaller, decimal reading: a file we accept then passes under
# either reading, at the cost of refusing files between 4.00e9 and 4.29e9 bytes.
MAX_FILE_BYTES = 4_000_000_000
API_MAX_DURATION_SEC = 600  # used when the creator's max_video_post_duration_sec is unknown
# Unconfirmed limits (TIKTOK_API.md 5 and 11.14): reported, but they do not block scheduling.
MIN_DURATION_MS = 3000
MIN_ASPECT = 9 / 16
MAX_ASPECT = 16 / 9

ACCEPTED_CONTAINERS = frozenset({"mp4", "mov", "webm"})
ACCEPTED_CODECS = frozenset({"h264", "hevc", "vp8", "vp9"})
CODEC_NAMES = {"h264": "H.264", "hevc": "H.265 (HEVC)", "vp8": "VP8", "vp9": "VP9", "av1": "AV1",
               "mpeg4": "MPEG-4 Part 2", "prores": "ProRes", "mjpeg": "Motion JPEG"}
MIME_TYPES = {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm"}

# Bounds on work per call, whatever the file looks like.
_FIRST_FRAME_PACKETS = 200  # decoders may hold a few packets back before the first picture
_TAIL_WINDOW_S = 3.0
_TAIL_PACKETS = 5000
_FPS_SCAN_PACKETS = 240
_META_VERSION = 1


@dataclass(frozen=True)
class Problem:
    """One reason the video may not post. ``blocking`` is False for unconfirmed limits."""

    code: str
    message: str
    blocking: bool = True


@dataclass(frozen=True)
class MediaInfo:
    path: str
    size_bytes: int
    container: str  # normalised: mp4, mov, webm, matroska, avi, ... (media_open)
    format_name: str  # FFmpeg's demuxer name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    video_codec: str  # FFmpeg codec name: h264, hevc, vp8, vp9, av1, ...
    audio_codec: str | None
    duration_ms: int
    width: int  # as stored; see display_width/height for the rotated picture
    height: int
    fps: float
    bitrate: int  # bits per second over the whole file, 0 when unknown
    rotation: int | None = None  # degrees counter-clockwise (display matrix); None = unknown
    pixel_format: str | None = None

    @property
    def display_width(self) -> int:
        return self.height if self._quarter_turn else self.width

    @property
    def display_height(self) -> int:
        return self.width if self._quarter_turn else self.height

    @property
    def _quarter_turn(self) -> bool:
        return self.rotation is not None and abs(self.rotation) % 180 == 90

    @property
    def mime_type(self) -> str:
        """Content-Type for the upload, from the content (not the file name)."""
        return MIME_TYPES.get(self.container, "application/octet-stream")

    def to_meta(self) -> dict[str, Any]:
        """JSON-able facts for posts.video_meta (the path lives in its own column)."""
        meta = asdict(self)
        del meta["path"]
        meta["v"] = _META_VERSION
        return meta

    @classmethod
    def from_meta(cls, path: str | os.PathLike[str], meta: dict[str, Any]) -> MediaInfo:
        """Rebuild from :meth:`to_meta`, e.g. to re-validate at due time without re-probing."""
        fields = {k: v for k, v in meta.items() if k in cls.__dataclass_fields__}
        return cls(path=os.fspath(path), **fields)


# --- probe ------------------------------------------------------------------------------------
def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read a video's facts from its headers. Raises :class:`MediaError` for unusable files."""
    with open_video(path) as (container, video, head):
        name = Path(path).name
        try:
            return _probe_open(Path(path), container, video, head)
        except MediaError:
            raise
        except AV_FAILURES as exc:
            log.debug("probe of %s failed: %s", name, type(exc).__name__)
            raise damaged(name) from None


def _probe_open(path: Path, container: InputContainer, video: VideoStream,
                head: Sniff) -> MediaInfo:
    name = path.name
    size = path.stat().st_size
    tb = video.time_base or Fraction(1, 1000)
    audio = next((s for s in container.streams.audio), None)
    rotation, pix_fmt = _first_frame_facts(container, video, name)

    duration_ms = us_to_ms(container.duration)
    # Not guessed_rate: with no average it falls back to the time base, e.g. "1000 fps" for
    # browser-recorded WebM. Measuring the first packets is cheap and right.
    fps = rate(video.average_rate)
    if duration_ms is None or fps is None:
        # Some files (e.g. WebM recorded by a browser) carry no duration: count it from the
        # packet timestamps, which reads the file but decodes nothing and holds nothing.
        with contextlib.suppress(av.error.FFmpegError):
            container.seek(0)  # the first-frame decode may have consumed the first packets
        scanned_ms, scanned_fps = _scan_packets(container, video, tb, need_all=duration_ms is None)
        duration_ms = duration_ms if duration_ms is not None else scanned_ms
        fps = fps or scanned_fps or rate(video.guessed_rate)
    else:
        _check_tail(container, video, tb, name)

    bitrate = int(container.bit_rate or 0)
    if not bitrate and duration_ms:
        bitrate = size * 8 * 1000 // duration_ms
    return MediaInfo(
        path=os.fspath(path), size_bytes=size,
        container=container_family(container.format.name, head),
        format_name=container.format.name,
        video_codec=video.codec_context.name,
        audio_codec=audio.codec_context.name if audio is not None else None,
        duration_ms=duration_ms or 0,
        width=video.codec_context.width, height=video.codec_context.height,
        fps=round(fps or 0.0, 3), bitrate=bitrate, rotation=rotation, pixel_format=pix_fmt,
    )


def _first_frame_facts(container: InputContainer, video: VideoStream,
                       name: str) -> tuple[int | None, str | None]:
    """Decode the first picture: proves the video decodes, and only a decoded frame carries the
    rotation (FFmpeg moved it from stream metadata into frame side data). FFmpeg's own stream
    probing already decoded a few frames, so this costs about as much again."""
    try:
        frame = next(decode(container, video, max_packets=_FIRST_FRAME_PACKETS), None)
    except av.error.DecoderNotFoundError:
        return None, video.codec_context.pix_fmt  # validate() reports the codec
    if frame is None:
        raise damaged(name)
    return normal_rotation(frame.rotation), frame.format.name


def _check_tail(container: InputContainer, video: VideoStream, tb: Fraction, name: str) -> None:
    """A copy or download cut short keeps its header, which still promises the full length.
    Seek near the promised end and see whether packets are really there."""
    expected = _stream_seconds(video, tb)
    # The video's own length is exact to a frame; the container's also spans the audio, which
    # may run a little past the picture in a perfectly good file.
    slack = 0.25
    if expected is None:
        expected, slack = (container.duration or 0) / av.time_base, 1.0
    if expected <= 0:
        return
    start = video.start_time or 0
    target = max(0.0, expected - _TAIL_WINDOW_S)
    try:
        if target > 0:
            container.seek(start + int(target / tb), stream=video, backward=True)
    except av.error.FFmpegError:
        return  # not seekable here: nothing we can tell without reading everything
    reached = 0.0
    enough = expected - max(slack, 0.02 * expected)
    for count, packet in enumerate(container.demux(video)):
        if packet.pts is not None:
            end = packet.pts + (packet.duration or 0) - start
            reached = max(reached, float(end * tb))
        if reached >= enough or count >= _TAIL_PACKETS:
            return  # stop here: reading on to the end of the file proves nothing more
    if reached < enough:
        raise MediaError(
            "truncated",
            f"{quoted(name)} is incomplete: the video stops at {fmt_duration(reached * 1000)}"
            f" although the file says it is {fmt_duration(expected * 1000)} long. The copy or "
            "download was probably interrupted. Copy or export the video again.")


def _scan_packets(container: InputContainer, video: VideoStream, tb: Fraction,
                  need_all: bool) -> tuple[int | None, float | None]:
    first: int | None = None
    end = 0
    stamps: list[int] = []
    for packet in container.demux(video):
        if packet.pts is None:
            continue
        first = packet.pts if first is None else min(first, packet.pts)
        end = max(end, packet.pts + (packet.duration or 0))
        if len(stamps) < _FPS_SCAN_PACKETS:
            stamps.append(packet.pts)
        elif not need_all:
            break
    duration_ms = None
    if first is not None:
        start = video.start_time if video.start_time is not None else first
        duration_ms = int((end - min(first, start)) * tb * 1000)
    fps = None
    if len(stamps) > 2:
        stamps.sort()
        span = float((stamps[-1] - stamps[0]) * tb)
        fps = (len(stamps) - 1) / span if span > 0 else None
    return duration_ms, fps


# --- the real container, cheaply ------------------------------------------------------------
def container_of(path: str | os.PathLike[str]) -> str | None:
    """The container the file's first bytes show: mp4, mov, webm or matroska; None when they
    show none of these (another kind of file, or it cannot be read).

    Reads a few KB and decodes nothing, so a file list or a drop can ask it for every file.
    The name plays no part: an MP4 named .txt or without an extension is mp4, a text file
    named .mp4 is None. Same reading as probe()'s MediaInfo.container.
    """
    try:
        with open(path, "rb") as fh:
            head = sniff(fh.read(HEAD_BYTES))
    except OSError:
        return None
    if head.family == "mp4":
        return "mov" if head.brand in (None, "qt  ") else "mp4"
    if head.family == "webm":
        return "webm" if head.doctype == "webm" else "matroska"
    return None


def accepted_container(path: str | os.PathLike[str]) -> bool:
    """Is the file, by its content, in a container TikTok takes (MP4, MOV, WebM)? For the
    composer's drop and open filters and the command line, instead of the file name."""
    return container_of(path) in ACCEPTED_CONTAINERS


# --- validate ---------------------------------------------------------------------------------
def validate(info: MediaInfo, max_duration_sec: int | None) -> list[Problem]:
    """Every reason TikTok would refuse this video, one plain message each (empty: fine).

    ``max_duration_sec`` is the creator's max_video_post_duration_sec from creator_info; None
    when not known yet, then the API's 10-minute ceiling applies.
    """
    problems: list[Problem] = []
    add = problems.append
    accepted = "MP4, MOV or WebM"
    if info.container not in ACCEPTED_CONTAINERS:
        kind = CONTAINER_NAMES.get(info.container, info.container.upper())
        add(Problem("container", f"The file is a {kind} file; TikTok accepts only {accepted}. "
                    "Export or convert it to MP4 (H.264) and choose that file."))
    family = EXTENSION_FAMILY.get(Path(info.path).suffix.lower())
    if family is not None and family != family_group(info.container):
        kind = CONTAINER_NAMES.get(info.container, info.container.upper())
        add(Problem("extension_mismatch",
                    f"{quoted(Path(info.path).name)} is named like another kind of file but it "
                    f"is really a {kind} video. It will be uploaded as {kind}; rename it to "
                    "match if other apps have trouble with it.", blocking=False))
    if info.video_codec not in ACCEPTED_CODECS:
        codec = CODEC_NAMES.get(info.video_codec, info.video_codec)
        add(Problem("video_codec", f"The video is encoded as {codec}; TikTok accepts H.264, "
                    "H.265 (HEVC), VP8 or VP9. Export it again as H.264."))
    if info.fps < MIN_FPS - FPS_SLACK:
        add(Problem("fps_low", f"The frame rate is {_fmt_fps(info.fps)} fps; TikTok needs 23 to "
                    "60 fps. Export it again at 24, 25, 30 or 60 fps."))
    elif info.fps > MAX_FPS + FPS_SLACK:
        add(Problem("fps_high", f"The frame rate is {_fmt_fps(info.fps)} fps; TikTok accepts at "
                    "most 60 fps. Export it again at 60 or 30 fps."))
    size_text = f"{info.display_width}\u00d7{info.display_height} pixels"
    if min(info.width, info.height) < MIN_SIDE:
        add(Problem("resolution_low", f"The picture is {size_text}; TikTok needs at least "
                    f"{MIN_SIDE} pixels on each side. Export it at a higher resolution "
                    "(1080\u00d71920 is typical)."))
    if max(info.width, info.height) > MAX_SIDE:
        add(Problem("resolution_high", f"The picture is {size_text}; TikTok accepts at most "
                    f"{MAX_SIDE} pixels on each side. Export it smaller, e.g. 1080\u00d71920 "
                    "or 2160\u00d73840."))
    if info.size_bytes > MAX_FILE_BYTES:
        add(Problem("file_too_large", f"The file is {_fmt_bytes(info.size_bytes)}; TikTok "
                    "accepts up to 4 GB. Export it at a lower bitrate or shorten it."))
    limit_s = max_duration_sec if max_duration_sec is not None else API_MAX_DURATION_SEC
    if info.duration_ms > limit_s * 1000:
        who = ("this account can post videos up to" if max_duration_sec is not None
               else "TikTok accepts videos up to")
        add(Problem("too_long", f"The video is {fmt_duration(info.duration_ms)} long; {who} "
                    f"{fmt_duration(limit_s * 1000)}. Trim it and choose the shorter file."))
    if 0 < info.duration_ms < MIN_DURATION_MS:
        add(Problem("too_short", f"The video is {fmt_duration(info.duration_ms)} long; TikTok "
                    "may refuse videos shorter than 3 seconds.", blocking=False))
    if info.display_width and info.display_height:
        aspect = info.display_width / info.display_height
        if not MIN_ASPECT - 0.01 <= aspect <= MAX_ASPECT + 0.01:
            add(Problem("aspect_ratio", f"The picture ({size_text}) is wider or taller than "
                        "TikTok's usual 9:16 to 16:9 range; TikTok may refuse it. Crop it to "
                        "9:16 (portrait) to be safe.", blocking=False))
    return problems




# --- small helpers ----------------------------------------------------------------------------
def _stream_seconds(video: VideoStream, tb: Fraction) -> float | None:
    return float(video.duration * tb) if video.duration and video.duration > 0 else None


def _fmt_fps(fps: float) -> str:
    return f"{fps:.2f}".rstrip("0").rstrip(".")


def _fmt_bytes(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"
