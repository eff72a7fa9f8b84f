"""SIGTERM and Ctrl-C end the window like Quit (issue 14): the engine stops, the layout and
everything committed are kept, the single-instance socket is removed, within seconds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.process_lines import lines_of
from tiktok_desktop import paths
from tiktok_desktop.ui.single_instance import server_name

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_quits_the_window_cleanly(isolated_home: Path, tmp_path: Path,
                                           sig: signal.Signals) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO),
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "tiktok_desktop", "--debug"], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    seen: list[str] = []
    lines = lines_of(proc, seen)
    try:
        while (line := lines.get(timeout=60)) is not None:
            if "TikTok Desktop is ready" in line:
                break
        socket_path = Path(server_name(
            paths.resolve().for_profile(paths.SANDBOX_PROFILE).data_dir))
        assert socket_path.exists(), seen
        started = time.monotonic()
        proc.send_signal(sig)
        code = proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    while lines.get(timeout=10) is not None:
        pass  # the transcript keeps every line
    text = "".join(seen)
    assert code == 0, text
    assert f"{sig.name} received: quitting" in text
    assert "TikTok Desktop stopped" in text
    assert took < 5.0, f"took {took:.1f} s to stop"  # the issue asks for 2 s; slack for CI
    assert not socket_path.exists()  # no stale socket for the next start
    settings = paths.resolve().settings_file.read_text()
    assert '"window_geometry": ""' not in settings  # the layout was saved on the way out
