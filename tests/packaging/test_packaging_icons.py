"""The .ico and .icns are generated from the PNGs and readable by an independent decoder."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import make_icons
import pytest
from PySide6.QtGui import QImageReader

from tests.packaging.packaging_support import RESOURCES

ICONS = RESOURCES / "icons"


def test_generated_icons_are_up_to_date() -> None:
    assert make_icons.main(["--check"]) == 0


def test_check_reports_a_stale_icon(tmp_path: Path) -> None:
    for png in ICONS.glob("*.png"):
        shutil.copy(png, tmp_path / png.name)
    files = make_icons.expected(tmp_path)
    (tmp_path / "tiktok-desktop.ico").write_bytes(files[tmp_path / "tiktok-desktop.ico"])
    (tmp_path / "tiktok-desktop.icns").write_bytes(b"icns\x00\x00\x00\x08")
    stale = [p for p, data in files.items() if p.read_bytes() != data]
    assert stale == [tmp_path / "tiktok-desktop.icns"]


def test_wrong_png_size_is_refused(tmp_path: Path) -> None:
    shutil.copy(ICONS / "tiktok-desktop-32.png", tmp_path / "tiktok-desktop-16.png")
    with pytest.raises(ValueError, match="expected 16x16"):
        make_icons.read_png(16, tmp_path)


@pytest.mark.gui
@pytest.mark.usefixtures("qapp")
@pytest.mark.parametrize(("name", "count", "largest"), [
    ("tiktok-desktop.ico", len(make_icons.ICO_SIZES), 256),
    ("tiktok-desktop.icns", len(make_icons.ICNS_ENTRIES), 512),
])
def test_qt_reads_every_image(name: str, count: int, largest: int) -> None:
    reader = QImageReader(str(ICONS / name))
    assert reader.imageCount() == count
    sizes = []
    for _ in range(count):
        image = reader.read()
        assert not image.isNull(), reader.errorString()
        sizes.append(image.width())
        reader.jumpToNextImage()
    assert max(sizes) == largest


def test_ico_directory_points_at_the_pngs() -> None:
    data = (ICONS / "tiktok-desktop.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    for i, size in enumerate(make_icons.ICO_SIZES):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack_from("<BBBBHHII", data,
                                                                       6 + 16 * i)
        assert width == (0 if size == 256 else size)
        png = data[offset:offset + length]
        assert make_icons.png_size(png) == (size, size)
