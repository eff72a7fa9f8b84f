"""The hidden --screenshot option packaging's CI uses on the installed app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage


def run_app(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TIKTOK_DESKTOP_HOME=str(tmp_path / "h"))
    return subprocess.run([sys.executable, "-m", "tiktok_desktop", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


@pytest.mark.gui
@pytest.mark.usefixtures("qapp")
def test_screenshot_saves_the_main_window_and_exits(tmp_path: Path) -> None:
    target = tmp_path / "shot.png"
    result = run_app(tmp_path, "--screenshot", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "screenshot saved" in result.stdout
    image = QImage(str(target))
    assert not image.isNull()
    # Offscreen has no screen to grab: the window renders itself, at its own size.
    assert image.width() >= 640
    assert image.height() >= 400
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 10  # text and widgets, not a blank fill


def test_screenshot_failure_is_an_error(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--screenshot", str(tmp_path / "missing-dir" / "shot.png"))
    assert result.returncode == 1
    assert "screenshot FAILED" in result.stdout


def test_screenshot_is_not_advertised(tmp_path: Path) -> None:
    result = run_app(tmp_path, "--help")
    assert result.returncode == 0
    assert "--screenshot" not in result.stdout
