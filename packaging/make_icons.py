"""Build the Windows .ico and macOS .icns from the PNG icons in resources/icons.

Pure Python on purpose: both formats are containers of PNG images (Windows Vista and later
read PNG entries in .ico files; macOS 10.7 and later read PNG entries in .icns files), so no
image library is needed and the output is byte-for-byte reproducible.

    python packaging/make_icons.py          # (re)write resources/icons/tiktok-desktop.{ico,icns}
    python packaging/make_icons.py --check  # exit 1 if they differ from what the PNGs give
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
NAME = "tiktok-desktop"

# Windows shows 16-48 in lists and the taskbar, 256 in large views; 256 is the format's limit.
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)

# (OSType, pixel size of the PNG) for each .icns entry. The @2x types carry the doubled
# size: ic11 is 16pt@2x (32 px) and so on. Apple's iconutil writes the same set.
ICNS_ENTRIES = (
    (b"icp4", 16), (b"ic11", 32),
    (b"icp5", 32), (b"ic12", 64),
    (b"icp6", 64),
    (b"ic07", 128), (b"ic13", 256),
    (b"ic08", 256), (b"ic14", 512),
    (b"ic09", 512),
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def read_png(size: int, icons: Path = ICONS) -> bytes:
    path = icons / f"{NAME}-{size}.png"
    data = path.read_bytes()
    if png_size(data) != (size, size):
        raise ValueError(f"{path.name} is {png_size(data)}, expected {size}x{size}")
    return data


def build_ico(images: dict[int, bytes]) -> bytes:
    """An ICONDIR with one PNG entry per size (a width/height byte of 0 means 256)."""
    sizes = sorted(images)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    blobs = b""
    for size in sizes:
        data = images[size]
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        blobs += data
    return header + entries + blobs


def build_icns(images: dict[int, bytes]) -> bytes:
    """'icns' + total length, then (type, length incl. 8-byte header, PNG) per entry."""
    body = b""
    for ostype, size in ICNS_ENTRIES:
        data = images[size]
        body += ostype + struct.pack(">I", len(data) + 8) + data
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def expected(icons: Path = ICONS) -> dict[Path, bytes]:
    sizes = set(ICO_SIZES) | {size for _, size in ICNS_ENTRIES}
    images = {size: read_png(size, icons) for size in sorted(sizes)}
    return {
        icons / f"{NAME}.ico": build_ico({s: images[s] for s in ICO_SIZES}),
        icons / f"{NAME}.icns": build_icns(images),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare instead of writing; exit 1 when out of date")
    args = parser.parse_args(argv)
    stale = []
    for path, data in expected().items():
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(path)
            continue
        path.write_bytes(data)
        print(f"wrote {path} ({len(data)} bytes)")
    for path in stale:
        print(f"out of date: {path} (run python packaging/make_icons.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
