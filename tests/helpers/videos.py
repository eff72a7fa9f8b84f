"""Real, tiny media files encoded with PyAV on the fly, so no media file lives in the repo.

Every video frame has a known picture: a white block in the top-left quarter (to check
orientation) on a grey level that rises with the frame number (to check which frame we got).
A :class:`VideoFactory` caches each spec once per test session; tests that change or delete a
file take a private copy with ``copy_to``.
"""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import av

WHITE = 235  # video-range white
BLACK = 16


@dataclass(frozen=True)
class VideoSpec:
    codec: str = "libx264"  # libx264, libx265, libvpx (VP8), libvpx-vp9, mpeg4, ...
    container: str = "mp4"  # FFmpeg muxer: mp4, mov, webm, matroska, avi
    fps: int = 30
    width: int = 360
    height: int = 640
    seconds: float = 1.0
    audio: bool = False
    rotation: int | None = None  # display matrix, degrees counter-clockwise
    gop: int | None = None  # keyframe interval in frames; None: the encoder's default
    faststart: bool = False  # MP4 index (moov) at the front instead of the end
    seekable: bool = True  # False: written as a stream, like a browser recording (no duration)
    ext: str | None = None  # file name extension; default from the container

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))

    @property
    def suffix(self) -> str:
        return self.ext if self.ext is not None else _EXT.get(self.container, self.container)

    def name(self) -> str:
        parts = [self.codec, self.container, f"{self.width}x{self.height}", f"{self.fps}fps",
                 f"{self.seconds}s", "a" if self.audio else "na", f"r{self.rotation}",
                 f"g{self.gop}", "fs" if self.faststart else "ms", "s" if self.seekable else "ns"]
        return "_".join(str(p) for p in parts).replace("/", "") + f".{self.suffix}"


_EXT = {"matroska": "mkv", "mpegts": "ts"}


def level(index: int) -> int:
    """Grey level of frame ``index`` (video range): neighbours differ by 7, repeating every 25
    frames, always darker than the white marker."""
    return BLACK + 20 + (index * 7) % 175


def rgb_level(index: int) -> float:
    """The level of frame ``index`` as RGB24 (video range 16-235 stretched to 0-255)."""
    return (level(index) - BLACK) * 255 / (WHITE - BLACK)


def encode_video(path: Path, spec: VideoSpec) -> Path:
    if not spec.seekable:
        with path.open("wb") as raw:
            _encode_to(_Unseekable(raw), spec)
        return path
    _encode_to(str(path), spec)
    return path


class _Unseekable(io.RawIOBase):
    """A write-only stream the muxer cannot go back in, so it never fills in the duration."""

    def __init__(self, raw: io.BufferedWriter) -> None:
        self._raw = raw

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:  # type: ignore[override]
        return self._raw.write(data)


def _encode_to(target: str | io.RawIOBase, spec: VideoSpec) -> None:
    options: dict[str, str] = {}
    if spec.faststart:
        options["movflags"] = "+faststart"
    with av.open(target, "w", format=spec.container, options=options) as out:
        stream = out.add_stream(spec.codec, rate=Fraction(spec.fps))
        stream.width = spec.width
        stream.height = spec.height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = 300_000
        stream.options = _codec_options(spec)
        if spec.gop is not None:
            stream.codec_context.gop_size = spec.gop
        if spec.rotation is not None:
            stream.set_display_rotation(spec.rotation)
        audio = None
        if spec.audio:
            audio_codec = "libopus" if spec.container == "webm" else "aac"
            audio = out.add_stream(audio_codec, rate=48000)
            audio.bit_rate = 64_000
        for index in range(spec.frames):
            frame = _picture(spec.width, spec.height, level(index))
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
        if audio is not None:
            _encode_silence(out, audio, spec.seconds)


def encode_audio(path: Path, codec: str = "aac", container: str | None = None,
                 seconds: float = 1.0, cover: bool = False) -> Path:
    """An audio-only file; ``cover`` adds album art, which FFmpeg lists as a video stream."""
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=48000)
        if cover:
            art = out.add_stream("mjpeg")
            art.width = art.height = 64
            art.pix_fmt = "yuvj420p"
            art.disposition = av.stream.Disposition.attached_pic
            picture = av.VideoFrame(64, 64, "yuvj420p")
            picture.pts = 0
            out.mux(art.encode(picture) + art.encode(None))
        _encode_silence(out, stream, seconds)
    return path


def write_png(path: Path, width: int = 360, height: int = 640) -> Path:
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        stream.width = width
        stream.height = height
        stream.pix_fmt = "rgb24"
        frame = av.VideoFrame(width, height, "rgb24")
        frame.pts = 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def truncated_copy(src: Path, dst: Path, fraction: float) -> Path:
    """The first ``fraction`` of ``src``, as an interrupted copy or download leaves it."""
    keep = int(src.stat().st_size * fraction)
    with src.open("rb") as fin, dst.open("wb") as fout:
        fout.write(fin.read(keep))
    return dst


class VideoFactory:
    """Encodes each spec once into ``root`` and hands out the cached path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[VideoSpec, Path] = {}

    def get(self, spec: VideoSpec | None = None, **changes: object) -> Path:
        spec = replace(spec or VideoSpec(), **changes)  # type: ignore[arg-type]
        path = self._cache.get(spec)
        if path is None:
            path = encode_video(self.root / spec.name(), spec)
            self._cache[spec] = path
        return path

    def copy_to(self, directory: Path, name: str | None = None,
                spec: VideoSpec | None = None, **changes: object) -> Path:
        src = self.get(spec, **changes)
        directory.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(src, directory / (name or src.name)))


def _picture(width: int, height: int, grey: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, "yuv420p")
    luma = frame.planes[0]
    pad = bytes(luma.line_size - width)
    marked = bytes([WHITE]) * (width // 4) + bytes([grey]) * (width - width // 4) + pad
    plain = bytes([grey]) * width + pad
    luma.update(marked * (height // 4) + plain * (height - height // 4))
    for chroma in frame.planes[1:]:
        chroma.update(bytes([128]) * chroma.buffer_size)  # no colour: grey stays grey
    return frame


def _codec_options(spec: VideoSpec) -> dict[str, str]:
    if spec.codec == "libx264":
        opts = {"preset": "ultrafast"}
        if spec.gop is not None:
            opts["x264-params"] = f"keyint={spec.gop}:min-keyint={spec.gop}:scenecut=0"
        return opts
    if spec.codec == "libx265":
        params = "log-level=none"  # x265 prints to stderr itself, outside FFmpeg's log
        if spec.gop is not None:
            params += f":keyint={spec.gop}:min-keyint={spec.gop}:scenecut=0"
        return {"preset": "ultrafast", "x265-params": params}
    if spec.codec in ("libvpx", "libvpx-vp9"):
        return {"deadline": "realtime", "cpu-used": "8"}
    return {}


def _encode_silence(out: av.container.OutputContainer, stream: av.audio.stream.AudioStream,
                    seconds: float) -> None:
    graph = stream.codec_context
    samples = graph.frame_size or 1024
    total = int(graph.sample_rate * seconds)
    layout = "stereo"
    fmt = graph.format.name if graph.format is not None else "fltp"
    for pts in range(0, total, samples):
        frame = av.AudioFrame(format=fmt, layout=layout, samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.sample_rate = graph.sample_rate
        frame.pts = pts
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
