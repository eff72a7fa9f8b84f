"""Opening a user's video safely: what the file really is, and plain errors when it is unusable.

Sniffing the first bytes runs before FFmpeg sees the file. It lets us say "this .mp4 is really
a PNG image" instead of "invalid data", and it keeps text files (playlists, concat lists) away
from FFmpeg demuxers that would follow the paths or URLs written inside them.

Internal to the media services; the public names are re-exported by ``services.media``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import av.logging
import av.stream
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from tiktok_desktop.services.videofile import (
    VideoFileError,
    check_video_file,
    missing,
    quoted,
    unreadable,
)

log = logging.getLogger(__name__)

# FFmpeg reports every oddity of a user's file (damaged NAL units, a missing moov atom,
# timestamp fixes) through its own log at WARNING/ERROR. We turn each real failure into a
# MediaError with a plain message, so those lines would only be noise in the app log (and would
# fail the strict test suite, which treats unexpected WARNING logs as errors). PyAV's default is
# already "drop everything"; we say so explicitly so nothing imported later turns it on for us.
av.logging.set_level(None)

# What FFmpeg/PyAV raise for a bad file; anything else is a bug in our code and should surface.
AV_FAILURES = (av.error.FFmpegError, OSError, ValueError, EOFError)

# Display names for normalised container names (see container_family).
CONTAINER_NAMES = {
    "mp4": "MP4", "mov": "MOV (QuickTime)", "webm": "WebM", "matroska": "Matroska (MKV)",
    "avi": "AVI", "flv": "Flash (FLV)", "mpegts": "MPEG transport stream", "mpeg": "MPEG",
    "asf": "Windows Media (WMV)", "ogg": "Ogg", "gif": "GIF", "h264": "raw H.264",
    "hevc": "raw H.265",
}
# File extensions people use for video, mapped to the format family their content should be.
EXTENSION_FAMILY = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mp4", ".qt": "mp4", ".3gp": "mp4",
    ".webm": "webm", ".mkv": "webm", ".avi": "avi", ".flv": "flv", ".ts": "mpegts",
    ".mts": "mpegts", ".m2ts": "mpegts", ".wmv": "asf", ".asf": "asf", ".mpg": "mpeg",
    ".mpeg": "mpeg", ".ogv": "ogg",
}
_ISO_TOP_BOXES = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}  # old QuickTime files
_IMAGE_BRANDS = {"heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis"}
HEAD_BYTES = 4096


class MediaError(VideoFileError):
    """A file the app cannot use as a video. ``str(err)`` is the message for the user.

    ``code`` is stable for tests and UI decisions: missing, not_a_file, unreadable, empty,
    not_video, audio_only, damaged, truncated, unsupported.
    """


@dataclass(frozen=True)
class Sniff:
    family: str | None = None  # "mp4" (ISO media: MP4/MOV/3GP) or "webm" (Matroska/WebM)
    brand: str | None = None  # ISO major brand, e.g. "isom", "qt  "
    doctype: str | None = None  # EBML DocType: "webm" or "matroska"
    other: str | None = None  # set when the file is certainly not a video: what it is instead


# --- opening ----------------------------------------------------------------------------------
@contextlib.contextmanager
def open_video(path: str | os.PathLike[str]
               ) -> Iterator[tuple[InputContainer, VideoStream, Sniff]]:
    """Open ``path`` for reading its first video stream, or raise a plain MediaError."""
    p = Path(path)
    name = p.name
    head = _read_head(p)
    try:
        # Only local files: a crafted file must not make FFmpeg open other URLs.
        container = av.open(os.fspath(p), "r", metadata_errors="replace",
                            container_options={"protocol_whitelist": "file"})
    except av.error.PermissionError:
        raise _unreadable(name) from None
    except FileNotFoundError:
        raise _missing(name) from None
    except AV_FAILURES as exc:
        log.debug("cannot open %s: %s", name, type(exc).__name__)
        raise _unopenable(name, head) from None
    with container:
        yield container, _pick_video(container, name), head


def _read_head(path: Path) -> Sniff:
    name = path.name
    check_video_file(path, MediaError)
    try:
        with path.open("rb") as fh:
            data = fh.read(HEAD_BYTES)
    except FileNotFoundError:
        raise _missing(name) from None
    except PermissionError:
        raise _unreadable(name) from None
    except OSError:
        raise MediaError("unreadable", f"{quoted(name)} could not be read from the disk. "
                         "Check that the drive is connected and try again.") from None
    head = sniff(data)
    if head.other is not None:
        named = ("is named like a video but it is really" if path.suffix.lower()
                 in EXTENSION_FAMILY else "is")
        raise MediaError("not_video", f"{quoted(name)} {named} {head.other}, not a video. "
                         "Choose the video file itself (MP4, MOV or WebM).")
    return head


def _pick_video(container: InputContainer, name: str) -> VideoStream:
    fmt = container.format.name
    if fmt == "image2" or fmt.endswith("_pipe"):
        raise MediaError("not_video", f"{quoted(name)} is a still image, not a video. "
                         "Choose a video file (MP4, MOV or WebM).")
    videos = [s for s in container.streams.video  # skip album cover art in audio files
              if not s.disposition & av.stream.Disposition.attached_pic]
    if videos:
        return videos[0]
    audio = next(iter(container.streams.audio), None)
    if audio is not None:
        codec = audio.codec_context.name.upper().replace("FLOAT", "")
        raise MediaError("audio_only", f"{quoted(name)} has sound but no picture (it is "
                         f"{codec} audio). TikTok needs a video; choose a video file.")
    raise MediaError("not_video", f"{quoted(name)} contains no video. Choose a video file "
                     "(MP4, MOV or WebM).")


def _unopenable(name: str, head: Sniff) -> MediaError:
    if head.family is not None:
        return MediaError("truncated", f"{quoted(name)} looks like a video but is incomplete "
                          "or damaged (its index is missing, which happens when a copy or "
                          "download is interrupted). Copy or export the video again.")
    return MediaError("unsupported", f"{quoted(name)} is not a video this app can read; it "
                      "may be damaged or a different kind of file. Choose an MP4, MOV or WebM "
                      "video.")


def _missing(name: str) -> MediaError:
    return missing(name, MediaError)


def _unreadable(name: str) -> MediaError:
    return unreadable(name, MediaError)


def damaged(name: str) -> MediaError:
    return MediaError("damaged", f"{quoted(name)} is damaged: its video cannot be decoded. "
                      "Export or copy the video again and choose the new file.")


def decode(container: InputContainer, video: VideoStream,
           max_packets: int | None = None) -> Iterator[VideoFrame]:
    """Frames of ``video`` from the current position; a damaged packet is skipped."""
    for count, packet in enumerate(container.demux(video)):
        if max_packets is not None and count >= max_packets:
            return
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            continue  # one bad packet: decoding recovers at the next keyframe
        yield from frames


# --- sniffing ---------------------------------------------------------------------------------
def sniff(head: bytes) -> Sniff:
    """Classify a file from its first few KB."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12].decode("latin-1")
        if brand.strip().lower() in _IMAGE_BRANDS:
            return Sniff(other="an HEIC/AVIF photo")
        return Sniff(family="mp4", brand=brand)
    if len(head) >= 8 and head[4:8] in _ISO_TOP_BOXES:
        return Sniff(family="mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniff(family="webm", doctype=_ebml_doctype(head))
    return Sniff(other=_other_kind(head))


def container_family(format_name: str, head: Sniff) -> str:
    """A short container name from FFmpeg's demuxer name, refined by the sniffed header:
    one FFmpeg demuxer reads both MP4 and MOV, another both Matroska and WebM."""
    names = format_name.split(",")
    if "mp4" in names or "mov" in names:
        return "mov" if head.brand in (None, "qt  ") else "mp4"
    if "matroska" in names or "webm" in names:
        return "webm" if head.doctype == "webm" else "matroska"
    return names[0]


def family_group(container: str) -> str:
    """MP4 and MOV share one format (ISO media); Matroska and WebM share another."""
    return {"mov": "mp4", "matroska": "webm"}.get(container, container)


def _ebml_doctype(head: bytes) -> str | None:
    at = head.find(b"\x42\x82", 4, 64)  # DocType element id inside the EBML header
    if at < 0 or at + 3 > len(head):
        return None
    size = head[at + 2]
    if not size & 0x80:
        return None
    return head[at + 3: at + 3 + (size & 0x7F)].decode("ascii", "replace")


def _other_kind(head: bytes) -> str | None:
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF animation"), (b"GIF89a", "a GIF animation"),
        (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    )
    for magic, kind in signatures:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if _is_text(head):
        if head.lstrip()[:64].lower().startswith((b"<!doctype html", b"<html")):
            return "a web page (HTML), probably saved instead of the video"
        return "a text file"
    return None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # only a character cut at the end of the sample is fine
            return False
        text = head[: exc.start].decode("utf-8")
    printable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return printable >= 0.95 * len(text)


# --- small shared helpers ---------------------------------------------------------------------
def rate(value: Fraction | None) -> float | None:
    return float(value) if value else None


def us_to_ms(value: int | None) -> int | None:
    """FFmpeg's container times (microseconds) to milliseconds; None when unknown."""
    return value * 1000 // av.time_base if value and value > 0 else None


def frame_ms(frame: VideoFrame, start: int, tb: Fraction) -> int | None:
    return None if frame.pts is None else int((frame.pts - start) * tb * 1000)


def normal_rotation(degrees: float) -> int:
    """Snap a display-matrix angle to a quarter turn: 0, 90, 180 or -90 (counter-clockwise)."""
    return {0: 0, 1: 90, 2: 180, 3: -90}[round(degrees / 90) % 4]


def fmt_duration(ms: float) -> str:
    """m:ss, with hundredths only when they are not zero (so 3:00.02 is not shown as 3:00)."""
    minutes, rest = divmod(round(ms / 10), 6000)
    seconds, hundredths = divmod(rest, 100)
    text = f"{minutes}:{seconds:02d}"
    return f"{text}.{hundredths:02d}" if hundredths else text
