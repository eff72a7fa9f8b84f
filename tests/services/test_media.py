"""services.media against real files encoded on the fly (tests/helpers/videos.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import av.logging
import pytest

from tests.helpers.videos import (
    VideoFactory,
    VideoSpec,
    encode_audio,
    rgb_level,
    truncated_copy,
    write_png,
)
from tiktok_desktop.services import media, media_frames
from tiktok_desktop.services.media import (
    Frame,
    MediaError,
    MediaInfo,
    frame_at,
    probe,
    thumbnail,
    validate,
)
from tiktok_desktop.tiktok import content_type_for, content_type_for_container

# 3.2 s passes every check, including the unconfirmed 3-second minimum.
VALID = VideoSpec(seconds=3.2, audio=True)


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> VideoFactory:
    return VideoFactory(tmp_path_factory.mktemp("videos"))


def codes(problems: list[media.Problem]) -> list[str]:
    return [p.code for p in problems]


def pixel(frame: Frame, x: int, y: int) -> int:
    """Red channel at (x, y); the test pictures are grey, so R == G == B."""
    return frame.data[y * frame.bytes_per_line + x * 3]


def frame_index(frame: Frame, near: int) -> int:
    """Which encoded frame this is, from its grey level (bottom-right, away from the marker)."""
    value = pixel(frame, frame.width - 1, frame.height - 1)
    candidates = range(max(0, near - 12), near + 13)
    return min(candidates, key=lambda i: abs(rgb_level(i) - value))


# --- probe ------------------------------------------------------------------------------------
def test_probe_reads_the_facts_of_an_mp4(videos: VideoFactory) -> None:
    path = videos.get(VALID)
    info = probe(path)
    assert info.path == os.fspath(path)
    assert info.size_bytes == path.stat().st_size
    assert info.container == "mp4"
    assert "mp4" in info.format_name.split(",")
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert (info.width, info.height) == (360, 640)
    assert (info.display_width, info.display_height) == (360, 640)
    assert info.fps == 30.0
    assert abs(info.duration_ms - 3200) <= 50
    assert info.bitrate > 0
    assert info.rotation == 0
    assert info.pixel_format == "yuv420p"
    assert info.mime_type == "video/mp4"
    assert validate(info, 60) == []


@pytest.mark.parametrize(("spec", "container", "codec", "mime"), [
    (VideoSpec(codec="libx264", container="mp4"), "mp4", "h264", "video/mp4"),
    (VideoSpec(codec="libx265", container="mov"), "mov", "hevc", "video/quicktime"),
    (VideoSpec(codec="libvpx", container="webm"), "webm", "vp8", "video/webm"),
    (VideoSpec(codec="libvpx-vp9", container="webm", audio=True), "webm", "vp9", "video/webm"),
])
def test_every_accepted_container_and_codec_passes(
        videos: VideoFactory, spec: VideoSpec, container: str, codec: str, mime: str) -> None:
    info = probe(videos.get(spec, seconds=3.2))
    assert (info.container, info.video_codec, info.mime_type) == (container, codec, mime)
    assert validate(info, 60) == []


def test_meta_is_json_and_rebuilds_the_same_info(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))
    meta = info.to_meta()
    assert "path" not in meta  # the post keeps the path in its own column
    assert json.loads(json.dumps(meta)) == meta
    moved = MediaInfo.from_meta("/elsewhere/clip.mp4", meta)
    assert moved == dataclasses.replace(info, path="/elsewhere/clip.mp4")


def test_webm_without_a_duration_is_measured_from_its_packets(videos: VideoFactory) -> None:
    path = videos.get(codec="libvpx", container="webm", seconds=1.5, seekable=False)
    with av.open(str(path)) as container:
        assert container.duration is None  # the premise: the header has no duration
    info = probe(path)
    assert abs(info.duration_ms - 1500) <= 40
    assert info.fps == 30.0


@pytest.mark.parametrize("fps", [24, 60])
def test_packet_scan_measures_frame_rate_and_duration(videos: VideoFactory, fps: int) -> None:
    # The fallback for headers without an average frame rate or a duration.
    with av.open(str(videos.get(VALID, fps=fps))) as container:
        video = container.streams.video[0]
        assert video.time_base is not None
        duration_ms, measured = media._scan_packets(container, video, video.time_base,
                                                    need_all=True)
    assert measured is not None and abs(measured - fps) < 0.01
    assert duration_ms is not None and abs(duration_ms - 3200) <= 1000 / fps


def test_names_with_spaces_and_other_scripts_work(videos: VideoFactory, tmp_path: Path) -> None:
    path = videos.copy_to(tmp_path, "Été à Kyoto 京都 🎬.mp4", VALID)
    assert probe(path).video_codec == "h264"
    assert frame_at(path, 1000, 64).height == 64


def test_rotation_is_read_and_swaps_the_shown_size(videos: VideoFactory) -> None:
    info = probe(videos.get(rotation=90))
    assert info.rotation == 90
    assert (info.width, info.height) == (360, 640)
    assert (info.display_width, info.display_height) == (640, 360)


@pytest.mark.skipif(sys.platform != "linux", reason="needs a sparse file")
@pytest.mark.parametrize("spec", [VideoSpec(seconds=3.2), VideoSpec(seconds=3.2, faststart=True),
                                  VideoSpec(codec="libvpx", container="webm", seconds=3.2)])
def test_a_4_gb_file_is_probed_from_its_header(
        videos: VideoFactory, tmp_path: Path, spec: VideoSpec) -> None:
    # 4 GB of (sparse) zeros after the real video: probing that reads only headers and a few
    # packets reports the size at once; one that read the file would take many seconds.
    path = videos.copy_to(tmp_path, spec=spec)
    os.truncate(path, 4_000_000_001)
    info = probe(path)
    assert info.size_bytes == 4_000_000_001
    assert abs(info.duration_ms - 3200) <= 50
    assert codes(validate(info, 60)) == ["file_too_large"]


# --- validate: one limit at a time -------------------------------------------------------------
@pytest.mark.parametrize(("fps", "code"), [(15, "fps_low"), (120, "fps_high")])
def test_frame_rate_outside_23_to_60_is_refused(
        videos: VideoFactory, fps: int, code: str) -> None:
    info = probe(videos.get(VALID, fps=fps))
    assert info.fps == fps
    problems = validate(info, 60)
    assert codes(problems) == [code]
    assert f"{fps} fps" in problems[0].message
    assert "23 to 60" in problems[0].message or "at most 60" in problems[0].message


@pytest.mark.parametrize("fps", [24, 60])
def test_frame_rates_at_the_edges_pass(videos: VideoFactory, fps: int) -> None:
    assert validate(probe(videos.get(VALID, fps=fps)), 60) == []


def test_frame_rate_boundaries_allow_only_rounding_slack(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))
    assert validate(dataclasses.replace(info, fps=23.0), 60) == []
    assert validate(dataclasses.replace(info, fps=59.94), 60) == []
    assert validate(dataclasses.replace(info, fps=60.05), 60) == []
    assert codes(validate(dataclasses.replace(info, fps=22.5), 60)) == ["fps_low"]
    assert codes(validate(dataclasses.replace(info, fps=61.0), 60)) == ["fps_high"]


def test_a_side_under_360_pixels_is_refused(videos: VideoFactory) -> None:
    problems = validate(probe(videos.get(VALID, width=320, height=240)), 60)
    assert codes(problems) == ["resolution_low"]
    assert "320\u00d7240" in problems[0].message and "360" in problems[0].message


def test_a_side_over_4096_pixels_is_refused(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID, width=4100, height=360, audio=False))
    assert (info.width, info.height) == (4100, 360)
    problems = validate(info, 60)
    assert [(p.code, p.blocking) for p in problems] == [
        ("resolution_high", True), ("aspect_ratio", False)]
    assert "4100\u00d7360" in problems[0].message and "4096" in problems[0].message


def test_resolution_edges_pass(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))
    for width, height in [(360, 640), (2304, 4096), (360, 360)]:
        assert validate(dataclasses.replace(info, width=width, height=height), 60) == []


def test_file_size_limit_is_4_decimal_gb(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))
    assert validate(dataclasses.replace(info, size_bytes=4_000_000_000), 60) == []
    problems = validate(dataclasses.replace(info, size_bytes=4_000_000_001), 60)
    assert codes(problems) == ["file_too_large"]
    assert "4.00 GB" in problems[0].message


def test_longer_than_the_creators_limit_is_refused(videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))  # 3.2 s
    problems = validate(info, 3)
    assert codes(problems) == ["too_long"]
    assert "this account can post videos up to 0:03" in problems[0].message
    assert validate(info, 4) == []


def test_duration_limit_shows_the_overrun_and_falls_back_to_the_api_maximum(
        videos: VideoFactory) -> None:
    info = probe(videos.get(VALID))
    barely = validate(dataclasses.replace(info, duration_ms=180_020), 180)
    assert codes(barely) == ["too_long"]
    assert "3:00.02" in barely[0].message  # not "3:00 long; up to 3:00"
    assert validate(dataclasses.replace(info, duration_ms=600_000), None) == []
    unknown = validate(dataclasses.replace(info, duration_ms=601_000), None)
    assert codes(unknown) == ["too_long"]
    assert "TikTok accepts videos up to 10:00" in unknown[0].message


def test_unconfirmed_limits_warn_without_blocking(videos: VideoFactory) -> None:
    short = validate(probe(videos.get(seconds=1.0)), 60)
    assert [(p.code, p.blocking) for p in short] == [("too_short", False)]
    wide = validate(dataclasses.replace(probe(videos.get(VALID)), width=1920, height=360), 60)
    assert [(p.code, p.blocking) for p in wide] == [("aspect_ratio", False)]


@pytest.mark.parametrize(("spec", "expected"), [
    (VideoSpec(codec="libx264", container="matroska"), ["container"]),
    (VideoSpec(codec="mpeg4", container="mp4"), ["video_codec"]),
    (VideoSpec(codec="mpeg4", container="avi"), ["container", "video_codec"]),
])
def test_containers_and_codecs_tiktok_does_not_take_are_refused(
        videos: VideoFactory, spec: VideoSpec, expected: list[str]) -> None:
    problems = validate(probe(videos.get(spec, seconds=3.2)), 60)
    assert codes(problems) == expected
    assert all(p.blocking for p in problems)
    if "container" in expected:
        assert "MP4, MOV or WebM" in problems[0].message
    if "video_codec" in expected:
        assert "MPEG-4" in problems[-1].message and "H.264" in problems[-1].message


def test_an_mp4_named_webm_is_recognised_and_flagged(
        videos: VideoFactory, tmp_path: Path) -> None:
    path = videos.copy_to(tmp_path, "clip.webm", VALID)
    info = probe(path)
    assert info.container == "mp4"
    assert info.mime_type == "video/mp4"  # uploaded as what it is, whatever the name says
    problems = validate(info, 60)
    assert [(p.code, p.blocking) for p in problems] == [("extension_mismatch", False)]
    assert "\u201cclip.webm\u201d" in problems[0].message and "MP4" in problems[0].message


@pytest.mark.parametrize(("name", "spec", "container"), [
    ("clip.mp4", VideoSpec(codec="libvpx-vp9", container="webm"), "webm"),
    ("clip.txt", VALID, "mp4"),
    ("clip", VALID, "mp4"),
    ("clip.webm", VALID, "mp4"),
    ("clip.mp4", VideoSpec(container="mov"), "mov"),
    ("clip.webm", VideoSpec(codec="libvpx-vp9", container="matroska"), "matroska"),
], ids=["webm-named-mp4", "mp4-named-txt", "mp4-no-extension", "mp4-named-webm",
        "mov-named-mp4", "mkv-named-webm"])
def test_the_real_container_decides_not_the_name(
        videos: VideoFactory, tmp_path: Path, name: str, spec: VideoSpec,
        container: str) -> None:
    """The issue's case: format and Content-Type came from the name. The cheap check, the
    probe and the upload's Content-Type all go by the content."""
    path = videos.copy_to(tmp_path, name, spec)
    assert media.container_of(path) == container == probe(path).container
    assert media.accepted_container(path) is (container != "matroska")
    if container != "matroska":
        assert content_type_for(path) == content_type_for_container(container) == \
            probe(path).mime_type


@pytest.mark.parametrize("make", [
    lambda d: _text(d / "notes.mp4"), lambda d: write_png(d / "still.mp4"),
    lambda d: _random(d / "noise.mp4"), lambda d: d / "gone.mp4", lambda d: d,
], ids=["text", "png", "random", "missing", "folder"])
def test_files_named_like_videos_that_are_not_are_not_accepted(
        tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    assert media.container_of(path) is None and not media.accepted_container(path)


# --- files that are not usable videos --------------------------------------------------------
def _text(path: Path) -> Path:
    path.write_text("these are my notes, not a video\n", encoding="utf-8")
    return path


def _html(path: Path) -> Path:
    path.write_text("<!DOCTYPE html><html><body>Download</body></html>", encoding="utf-8")
    return path


def _random(path: Path) -> Path:
    path.write_bytes(bytes(range(1, 256)) * 40)
    return path


BadFile = Callable[[Path, VideoFactory], Path]


@pytest.mark.parametrize(("make", "code", "says"), [
    (lambda d, v: d / "gone.mp4", "missing", "not there any more"),
    (lambda d, v: d, "not_a_file", "folder"),
    (lambda d, v: (d / "empty.mp4").touch() or d / "empty.mp4", "empty", "empty (0 bytes)"),
    (lambda d, v: _text(d / "notes.mp4"), "not_video",
     "named like a video but it is really a text file"),
    (lambda d, v: _html(d / "video.mp4"), "not_video", "web page"),
    (lambda d, v: write_png(d / "still.png"), "not_video", "is a PNG image"),
    (lambda d, v: write_png(d / "still.mp4"), "not_video",
     "named like a video but it is really a PNG image"),
    (lambda d, v: encode_audio(d / "song.m4a"), "audio_only", "no picture (it is AAC audio)"),
    (lambda d, v: encode_audio(d / "song.mp3", "libmp3lame"), "audio_only", "MP3 audio"),
    (lambda d, v: encode_audio(d / "album.mp3", "libmp3lame", cover=True), "audio_only",
     "MP3 audio"),  # the cover picture is not a video
    (lambda d, v: encode_audio(d / "voice.mp4"), "audio_only", "no picture"),
    (lambda d, v: _random(d / "noise.mp4"), "unsupported", "not a video this app can read"),
    (lambda d, v: truncated_copy(v.get(VALID), d / "cut.mp4", 0.6), "truncated",
     "incomplete"),
    (lambda d, v: truncated_copy(v.get(VALID, faststart=True), d / "cut.mp4", 0.5),
     "truncated", "the video stops at"),
    (lambda d, v: truncated_copy(v.get(codec="libvpx", container="webm", seconds=3.2),
                                 d / "cut.webm", 0.5), "truncated", "the video stops at"),
])
def test_unusable_files_raise_a_plain_media_error(
        videos: VideoFactory, tmp_path: Path, make: BadFile, code: str, says: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = make(folder, videos)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.code == code
    assert says in str(caught.value)
    assert_plain(caught.value, path)
    # Frames need no probe first; they fail the same plain way (a cut file may still have
    # the early frame asked for, which is fine: only never a raw exception).
    for grab in (lambda: frame_at(path, 500, 100), lambda: thumbnail(path, 100)):
        try:
            grab()
        except MediaError as err:
            assert_plain(err, path)


def assert_plain(err: MediaError, path: Path) -> None:
    # Raised fresh or `from None`: nothing chained that a crash dialog could show.
    assert err.__cause__ is None
    assert err.__context__ is None or err.__suppress_context__
    for leak in ("Traceback", "Errno", "av.error", str(path.parent)):
        assert leak not in str(err)
    assert f"\u201c{path.name}\u201d" in str(err)


def test_unreadable_file_says_so(videos: VideoFactory, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = videos.copy_to(tmp_path, "private.mp4", VALID)
    if os.name == "posix" and os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads everything: make the open itself refuse, as the OS would
        real_open = Path.open

        def refuse(self: Path, *args: object, **kwargs: object) -> object:
            if self == path:
                raise PermissionError(13, "Permission denied")
            return real_open(self, *args, **kwargs)  # type: ignore[call-overload]
        monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.code == "unreadable"
    assert "not allowed to read \u201cprivate.mp4\u201d" in str(caught.value)


def test_libav_logging_stays_off() -> None:
    # FFmpeg's complaints about bad files would otherwise reach the log as WARNING/ERROR.
    assert av.logging.get_level() is None


# --- frames -------------------------------------------------------------------------------------
def test_frame_at_returns_the_frame_shown_at_that_time(videos: VideoFactory) -> None:
    path = videos.get(gop=10, seconds=2)
    for ms, index in [(0, 0), (500, 15), (1000, 30), (1510, 45)]:
        frame = frame_at(path, ms, 200)
        assert abs(frame.timestamp_ms - ms) <= 17  # within half a frame at 30 fps
        assert frame_index(frame, index) == index
        assert (frame.width, frame.height) == (112, 200)  # 360x640 scaled to fit 200
        assert len(frame.data) == frame.bytes_per_line * frame.height == 112 * 3 * 200


def test_frame_at_clamps_times_outside_the_video(videos: VideoFactory) -> None:
    path = videos.get(gop=10, seconds=2)
    first = frame_at(path, -500, 100)
    assert first.timestamp_ms == 0 and frame_index(first, 0) == 0
    last = frame_at(path, 60_000, 100)
    assert last.timestamp_ms == 1966 and frame_index(last, 59) == 59


def test_frame_at_never_enlarges(videos: VideoFactory) -> None:
    frame = frame_at(videos.get(VALID), 0, 10_000)
    assert (frame.width, frame.height) == (360, 640)


@pytest.mark.parametrize("spec", [VideoSpec(codec="libx265", container="mov", gop=10),
                                  VideoSpec(codec="libvpx-vp9", container="webm", gop=10)])
def test_frame_at_works_for_other_codecs(videos: VideoFactory, spec: VideoSpec) -> None:
    frame = frame_at(videos.get(spec, seconds=2), 1000, 160)
    assert abs(frame.timestamp_ms - 1000) <= 17
    assert frame_index(frame, 30) == 30
    assert (frame.width, frame.height) == (90, 160)


@pytest.mark.parametrize(("rotation", "marker_corner"), [
    (90, "bottom_left"), (-90, "top_right"), (180, "bottom_right")])
def test_frames_are_turned_upright(
        videos: VideoFactory, rotation: int, marker_corner: str) -> None:
    # The encoded picture has a white block in its top-left quarter; rotating the picture the
    # way the display matrix says moves it to a known corner.
    frame = frame_at(videos.get(rotation=rotation), 0, 200)
    quarter_turn = rotation in (90, -90)
    assert (frame.width, frame.height) == ((200, 112) if quarter_turn else (112, 200))
    right, bottom = frame.width - 2, frame.height - 2
    corners = {"top_left": (1, 1), "top_right": (right, 1), "bottom_left": (1, bottom),
               "bottom_right": (right, bottom)}
    bright = {name for name, (x, y) in corners.items() if pixel(frame, x, y) > 240}
    assert bright == {marker_corner}


def test_frame_decoding_starts_at_the_nearest_keyframe(
        videos: VideoFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    decoded = 0
    real_decode = media_frames.decode

    def counting(*args: object, **kwargs: object) -> Iterator[object]:
        nonlocal decoded
        for frame in real_decode(*args, **kwargs):  # type: ignore[arg-type]
            decoded += 1
            yield frame
    monkeypatch.setattr(media_frames, "decode", counting)
    frame = frame_at(videos.get(gop=10, seconds=2), 1700, 100)  # keyframes every 10 frames
    assert frame_index(frame, 51) == 51
    assert decoded <= 12  # from the keyframe at frame 50, not the 52 frames from the start


def test_frame_decoding_is_bounded_even_without_keyframes(
        videos: VideoFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_frames, "MAX_DECODE_FRAMES", 5)
    frame = frame_at(videos.get(gop=600, seconds=2), 1700, 100)  # one keyframe, at the start
    assert frame.timestamp_ms <= 5 * 34  # gave up after 5 frames with the closest one so far
    assert frame_index(frame, 5) == round(frame.timestamp_ms * 30 / 1000)


@pytest.mark.parametrize(("seconds", "expected_ms"), [(3.2, 1000), (20.0, 2000), (0.5, 250)])
def test_thumbnail_is_taken_past_the_start(
        videos: VideoFactory, seconds: float, expected_ms: int) -> None:
    frame = thumbnail(videos.get(seconds=seconds, fps=24, gop=24, width=360, height=360), 120)
    assert abs(frame.timestamp_ms - expected_ms) <= 21
    assert (frame.width, frame.height) == (120, 120)


def test_frame_rejects_a_nonsense_size(videos: VideoFactory) -> None:
    with pytest.raises(ValueError, match="max_side"):
        frame_at(videos.get(VALID), 0, 0)
