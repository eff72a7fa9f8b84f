"""At QT_SCALE_FACTOR=2 a 1920x1080 screen is 960x540 (issue 13, item 10): the window opens
inside it with its title bar on it, whether at its default size or at a size saved on a
bigger screen, and the post form's buttons are on the screen too.

Qt reads the scale factor when the application starts, so this runs in a second process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = r"""
import json, sys
from PySide6.QtCore import QByteArray, QRect
from PySide6.QtWidgets import QApplication
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import build, decide_mode

app = QApplication(sys.argv)
graph = build(decide_mode(paths.resolve()))
saved = sys.argv[1]
if saved:
    graph.settings.window_geometry = saved
window = main_window(graph)
window.show()
app.processEvents()
composer = window.compose(sys.argv[2])
composer.show()
app.processEvents()

def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]

button = composer.publish
out = {
    "scale": window.devicePixelRatioF(),
    "screen": rect(window.screen().availableGeometry()),
    "window": rect(window.frameGeometry()),
    "size": [window.width(), window.height()],
    "composer": rect(composer.frameGeometry()),
    "publish": rect(QRect(button.mapToGlobal(button.rect().topLeft()), button.size())),
    "geometry": bytes(window.saveGeometry().toBase64().data()).decode(),
}
print(json.dumps(out))
composer.close()
window.close()
graph.close()
"""


def _run(tmp_path: Path, saved: str, video: Path, scale: str) -> dict[str, object]:
    screen = tmp_path / "screen.json"
    screen.write_text(json.dumps({"windowFrameMargins": True, "screens": [
        {"name": "laptop", "x": 0, "y": 0, "width": 1920, "height": 1080, "logicalDpi": 96,
         "dpr": 1}]}))
    env = dict(os.environ, QT_SCALE_FACTOR=scale,
               QT_QPA_PLATFORM=f"offscreen:configfile={screen}")
    done = subprocess.run([sys.executable, "-c", PROBE, saved, str(video)], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _inside(rect: object, area: object) -> bool:
    x, y, w, h = rect  # type: ignore[misc]
    ax, ay, aw, ah = area  # type: ignore[misc]
    return ax <= x and ay <= y and x + w <= ax + aw and y + h <= ay + ah


@pytest.fixture
def video(tmp_path: Path) -> Path:
    from tests.helpers.videos import VideoFactory

    folder = tmp_path / "videos"
    folder.mkdir()
    return VideoFactory(folder).get()


def test_the_window_and_the_form_fit_a_screen_at_twice_the_scale(tmp_path: Path,
                                                                 video: Path) -> None:
    big = _run(tmp_path, "", video, "1")  # the window saved on the screen at scale 1
    assert big["size"] == [1100, 640]  # the default size, where it fits
    for saved in ("", str(big["geometry"])):
        shown = _run(tmp_path, saved, video, "2")
        assert shown["scale"] == 2.0 and shown["screen"] == [0, 0, 960, 540]
        assert _inside(shown["window"], shown["screen"]), shown
        assert _inside(shown["composer"], shown["screen"]), shown
        assert _inside(shown["publish"], shown["screen"]), shown
