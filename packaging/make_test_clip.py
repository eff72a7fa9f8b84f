"""Write a short H.264 test video with PyAV (CI opens it in the installed app).

    .venv/bin/python packaging/make_test_clip.py OUT.mp4

Portrait 540x960, 4 s at 30 fps, a slowly changing colour: small (~50 kB) and valid for
TikTok's rules, so the composer shows a cover frame and no codec or length warnings.
"""

from __future__ import annotations

import sys

import av

WIDTH, HEIGHT, FPS, SECONDS = 540, 960, 30, 4


def write_clip(path: str) -> None:
    with av.open(path, "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for i in range(FPS * SECONDS):
            frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
            for n, plane in enumerate(frame.planes):  # Y ramps; U, V fixed: a pink-red
                value = 60 + i % 120 if n == 0 else (110 if n == 1 else 190)
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = i  # in 1/FPS units, the stream's default time base for rate=FPS
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    write_clip(sys.argv[1])
