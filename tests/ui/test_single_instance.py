from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from tiktok_desktop import paths
from tiktok_desktop.bootstrap import decide_mode
from tiktok_desktop.ui.single_instance import InstanceServer, hand_off, server_name


def test_no_running_instance_means_no_handoff(qtbot: QtBot, tmp_path: Path) -> None:
    assert hand_off(server_name(tmp_path / "nobody"), ["/x.mp4"]) is False


def test_names_differ_per_data_folder(tmp_path: Path) -> None:
    assert server_name(tmp_path / "a") != server_name(tmp_path / "b")
    assert server_name(tmp_path / "a") == server_name(tmp_path / "a")


def test_handoff_in_process_resolves_paths(qtbot: QtBot, tmp_path: Path,
                                           monkeypatch: object) -> None:
    server = InstanceServer(server_name(tmp_path))
    assert server.listen()
    try:
        with qtbot.waitSignal(server.activated, timeout=5000) as blocker:
            assert hand_off(server.name, ["relative.mp4"])
        assert blocker.args == [[str(Path("relative.mp4").resolve())]]
    finally:
        server.close()


def test_stale_socket_is_replaced(qtbot: QtBot, tmp_path: Path) -> None:
    name = server_name(tmp_path)
    first = InstanceServer(name)
    assert first.listen()
    first.close()
    second = InstanceServer(name)
    assert second.listen()
    second.close()


def test_second_launch_hands_videos_to_the_first(qtbot: QtBot, tmp_path: Path) -> None:
    """A real second process: it must hand over its command-line videos and exit 0."""
    mode = decide_mode(paths.resolve())
    server = InstanceServer(server_name(mode.paths.data_dir))
    assert server.listen()
    video = tmp_path / "my clip.mp4"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        with qtbot.waitSignal(server.activated, timeout=30000) as blocker:
            proc = subprocess.Popen(
                [sys.executable, "-m", "tiktok_desktop", str(video)], env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        _out, err = proc.communicate(timeout=30)
    finally:
        server.close()
    assert proc.returncode == 0, err
    assert "already running" in err
    assert blocker.args == [[str(video)]]
    # It exited before opening any data of its own.
    assert not mode.paths.db_file.exists()
