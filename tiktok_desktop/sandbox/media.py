"""TikTok's processing of a received video: the checks behind the media fail reasons.

TIKTOK_API.md section 5 (media transfer guide): containers MP4, WebM, MOV; codecs H.264,
H.265, VP8, VP9; 23-60 fps; 360-4096 px on both sides; the creator's
``max_video_post_duration_sec``. What fails maps to TikTok's ``fail_reason`` (section 4.5):

| problem | fail_reason |
|---|---|
| not a video, damaged, another container, another codec | ``file_format_check_failed`` |
| frame rate outside 23-60 (or not measurable) | ``frame_rate_check_failed`` |
| a side below 360 or above 4096 px | ``picture_size_check_failed`` |
| longer than the creator's maximum at init (and 600 s) | ``duration_check_failed`` |

Strict where TikTok is silent: the container is read from the file's own header (an MP4
``ftyp`` brand of 3GPP or iTunes audio is not MP4; a Matroska file is WebM only with DocType
``webm``), not from the Content-Type the PUT declared.

Bounded work, whatever the file: a probe, then at most ``DECODE_FRAMES`` decoded frames
(reading at most ``DECODE_PACKETS`` packets). Only a file without a stored duration or
frame rate is read further, packet by packet without decoding, and never past what a
``max_duration + 1`` second video at 60 fps holds. Memory stays flat: FFmpeg reads the file.
Checks run on one worker thread (``MediaChecker``), never on a request thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import av

__all__ = ["DECODE_FRAMES", "MediaChecker", "MediaVerdict", "check_video"]

log = logging.getLogger("tiktok_desktop.sandbox")


DECODE_FRAMES = 3
DECODE_PACKETS = 300
FPS_PACKETS = 120
MIN_FPS, MAX_FPS = 23.0, 60.0
MIN_SIDE, MAX_SIDE = 360, 4096
API_MAX_DURATION = 600
CODECS = frozenset({"h264", "hevc", "vp8", "vp9"})
_HEAD = 4096


def _av() -> tuple[ModuleType, tuple[type[BaseException], ...]]:
    """PyAV, imported at the first check (not when the sandbox starts: the window's first
    paint waits for it otherwise, issue 16), and the errors a bad file raises."""
    import av  # noqa: PLC0415
    import av.error  # noqa: PLC0415
    import av.logging  # noqa: PLC0415

    # FFmpeg reports every oddity of a file on its own log; a bad file is a fail_reason here,
    # so its lines would only be noise (and WARNINGs fail the test suite). PyAV's default
    # drops them too.
    av.logging.set_level(None)
    return av, (av.error.FFmpegError, OSError, ValueError, EOFError, IndexError)


@dataclass(frozen=True)
class MediaVerdict:
    """What processing found: a fail_reason (None: TikTok takes it) and the facts it read."""

    fail_reason: str | None
    detail: str
    duration: float = 0.0
    width: int = 0
    height: int = 0
    frames_decoded: int = 0  # the bound's proof: never more than DECODE_FRAMES


def _fail(reason: str, detail: str, **facts: float) -> MediaVerdict:
    return MediaVerdict(reason, detail, **facts)  # type: ignore[arg-type]


def _container(head: bytes) -> str | None:
    """"mp4", "mov" or "webm" from the file's first bytes; None for anything else."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3g") or brand in (b"M4A ", b"M4B ", b"M4P "):
            return None  # 3GPP / iTunes audio: ISO files, but not MP4 video
        return "mov" if brand == b"qt  " else "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"  # an old QuickTime file without ftyp
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        at = head.find(b"\x42\x82", 4, 64)  # EBML DocType
        if at < 0 or at + 3 > len(head) or not head[at + 2] & 0x80:
            return None
        size = head[at + 2] & 0x7F
        return "webm" if head[at + 3 : at + 3 + size] == b"webm" else None
    return None


def _rate(value: Fraction | None) -> float | None:
    return float(value) if value else None


def check_video(path: Path, max_duration_sec: int) -> MediaVerdict:
    """TikTok's processing checks on the file at `path` (see the module docstring)."""
    limit = min(max_duration_sec, API_MAX_DURATION)
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD)
    except OSError as error:
        return _fail("internal", f"the received file cannot be read ({error.strerror})")
    kind = _container(head)
    if kind is None:
        return _fail("file_format_check_failed", "not an MP4, MOV or WebM file")
    module, failures = _av()
    try:
        return _check_open(module, path, kind, limit)
    except failures as error:
        log.debug("sandbox media check of %s failed: %s", path.name, error)
        return _fail("file_format_check_failed", "the file does not decode as a video")


def _check_open(av: ModuleType, path: Path, kind: str, limit: int) -> MediaVerdict:
    with av.open(str(path)) as container:
        expected = "matroska" if kind == "webm" else "mov"
        if expected not in container.format.name.split(","):
            return _fail("file_format_check_failed", f"not a {kind} file inside")
        video = next((s for s in container.streams.video
                      if not s.disposition & av.stream.Disposition.attached_pic), None)
        if video is None:
            return _fail("file_format_check_failed", "no video stream")
        codec = video.codec_context.name
        if codec not in CODECS:
            return _fail("file_format_check_failed", f"video codec {codec}")
        width, height, frames = _decode_first_frames(container, video)
        facts: dict[str, float] = {"width": width, "height": height, "frames_decoded": frames}
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            return _fail("picture_size_check_failed", f"{width}x{height} px", **facts)
        tb = video.time_base or Fraction(1, 1000)
        fps = _rate(video.average_rate)
        duration = container.duration / 1_000_000 if container.duration else None
        if duration is None and video.duration:
            duration = float(video.duration * tb)
        if fps is None or duration is None:
            container.seek(0)
            scanned_fps, scanned_duration = _scan(container, video, tb, limit,
                                                  whole=duration is None)
            fps = fps or scanned_fps
            duration = duration if duration is not None else scanned_duration
        facts["duration"] = duration or 0.0
        if fps is None or not MIN_FPS <= fps <= MAX_FPS:
            shown = "unknown" if fps is None else f"{fps:.3f}"
            return _fail("frame_rate_check_failed", f"{shown} fps", **facts)
        if duration is None or duration > limit:
            return _fail("duration_check_failed",
                         f"{duration or 'over'} s against a maximum of {limit} s", **facts)
        return MediaVerdict(None, f"{kind} {codec} {width}x{height} {fps:.3f} fps "
                            f"{duration:.3f} s", duration, width, height, frames)


def _decode_first_frames(container: av.container.InputContainer,
                         video: av.video.stream.VideoStream) -> tuple[int, int, int]:
    """Decode up to DECODE_FRAMES frames (from at most DECODE_PACKETS packets): proves the
    video decodes; returns the picture size and the frames decoded. Raises ValueError when
    nothing decodes."""
    frames = 0
    width, height = video.codec_context.width, video.codec_context.height
    for packets, packet in enumerate(container.demux(video), start=1):
        for frame in packet.decode():
            frames += 1
            width, height = frame.width, frame.height
            if frames >= DECODE_FRAMES:
                break
        if frames >= DECODE_FRAMES or packets >= DECODE_PACKETS:
            break
    if frames == 0:
        raise ValueError("no frame decoded")
    return width, height, frames


def _scan(container: av.container.InputContainer, video: av.video.stream.VideoStream,
          tb: Fraction, limit: int, whole: bool) -> tuple[float | None, float | None]:
    """Frame rate from the first packets' timestamps and, when `whole`, the duration from the
    last one; demuxes without decoding, and stops where a video longer than the limit at
    60 fps would already be (then the duration is reported as over the limit)."""
    cap = int((limit + 1) * MAX_FPS) + 1
    stamps: list[int] = []
    end = None
    count = 0
    for packet in container.demux(video):
        if packet.pts is None:
            continue
        count += 1
        if len(stamps) < FPS_PACKETS:
            stamps.append(packet.pts)
        elif not whole:
            break
        end = max(end or 0, packet.pts + (packet.duration or 0))
        if count > cap:
            return _fps_of(stamps, tb), float("inf")
    start = min(stamps) if stamps else 0
    duration = float((end - start) * tb) if whole and end is not None else None
    return _fps_of(stamps, tb), duration


def _fps_of(stamps: list[int], tb: Fraction) -> float | None:
    if len(stamps) < 2:
        return None
    ordered = sorted(stamps)
    span = float((ordered[-1] - ordered[0]) * tb)
    return (len(ordered) - 1) / span if span > 0 else None


class MediaChecker:
    """One worker thread that runs check_video for completed uploads, in order."""

    def __init__(self, check: Callable[[Path, int], MediaVerdict] = check_video) -> None:
        self._check = check
        self._pool: ThreadPoolExecutor | None = None  # started by the first check
        self._futures: dict[str, Future[MediaVerdict]] = {}
        self._lock = threading.Lock()

    def submit(self, publish_id: str, path: Path, max_duration_sec: int) -> None:
        with self._lock:
            if publish_id not in self._futures:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix="sandbox-media")
                self._futures[publish_id] = self._pool.submit(self._run, path, max_duration_sec)

    def _run(self, path: Path, max_duration_sec: int) -> MediaVerdict:
        try:
            return self._check(path, max_duration_sec)
        except Exception:  # a bug here must not leave the publish processing forever
            log.exception("sandbox media check failed")
            return MediaVerdict("internal", "the media check failed")

    def pending(self, publish_id: str) -> bool:
        with self._lock:
            return publish_id in self._futures

    def result(self, publish_id: str, timeout: float | None = None) -> MediaVerdict | None:
        """The verdict (waiting for it), and forget the job; None if none was submitted."""
        with self._lock:
            future = self._futures.get(publish_id)
        if future is None:
            return None
        verdict = future.result(timeout)
        with self._lock:
            self._futures.pop(publish_id, None)
        return verdict

    def close(self) -> None:
        """Finish the running check, drop the queued ones (they run again after a restart:
        a publish without a verdict is checked when it settles) and end the thread."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._futures = {k: f for k, f in self._futures.items() if f.done()}
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
