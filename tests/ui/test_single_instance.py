from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDir
from pytestqt.qtbot import QtBot

from tests.helpers.other_user import (
    OtherUserChild,
    OtherUserError,
    as_other_user,
    needs_root,
    shared_dir,
)
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


# --- only this user: the runtime folder and the peer check ----------------------------------------
def _socket_path(name: str) -> Path:
    """Where Qt puts the socket for ``name`` (a bare name goes to the shared temp folder)."""
    return Path(name) if os.path.isabs(name) else Path(QDir.tempPath()) / name


def test_the_socket_lives_in_a_folder_only_this_user_can_enter(tmp_path: Path) -> None:
    path = _socket_path(server_name(tmp_path / "data"))
    folder = path.parent
    assert folder != Path(tempfile.gettempdir())  # not loose in shared /tmp
    st = folder.lstat()
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid()
    assert stat.S_IMODE(st.st_mode) == 0o700


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A 0700 folder with a short path, like /run/user/1000 (socket paths are short)."""
    path = Path(tempfile.mkdtemp(prefix="xdg-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_xdg_runtime_dir_is_used_when_it_is_the_users_own(
        tmp_path: Path, short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_dir))
    assert Path(server_name(tmp_path / "data")).parent == short_dir / "tiktok-desktop"
    short_dir.chmod(0o777)  # not private: not trusted, and not tightened (not ours)
    assert not server_name(tmp_path / "data").startswith(str(short_dir))
    assert stat.S_IMODE(short_dir.stat().st_mode) == 0o777


def _bind(path: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(path)
    return "bound"


@needs_root
def test_another_user_cannot_take_the_name_first(tmp_path: Path) -> None:
    """Before: the name was in shared /tmp; another user who listened there first kept the
    app from starting ("already running") and got the paths of every video opened."""
    name = server_name(tmp_path / "data")
    with pytest.raises(OtherUserError) as info:
        as_other_user(_bind, os.fspath(_socket_path(name)))
    assert info.value.kind == "PermissionError"


def _listen_and_record(ready: Callable[[], None], path: str) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        os.chmod(path, 0o777)  # noqa: S103 - anyone may connect, as in a shared /tmp
        server.listen(1)
        server.settimeout(20)
        ready()
        conn, _ = server.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(TimeoutError, OSError):
                while chunk := conn.recv(65536):
                    data += chunk
    return data


@needs_root
def test_a_listener_of_another_user_is_handed_nothing(
        qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    """Even where another user's listener is reachable, the peer check keeps the paths."""
    with shared_dir() as folder:
        path = str(folder / "theirs.sock")
        child = OtherUserChild(_listen_and_record, path)
        child.wait_ready()
        assert hand_off(path, ["/home/me/Videos/private clip.mp4"]) is False
        assert child.result() == b""
    assert "another user's program listens" in caplog.text
    caplog.clear()


def _send_paths(path: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(json.dumps({"paths": ["/tmp/their-file.mp4"]}).encode() + b"\n")
    return "sent"


@needs_root
def test_the_running_app_takes_nothing_from_another_user(qtbot: QtBot) -> None:
    with shared_dir() as folder:
        name = str(folder / "ours.sock")
        server = InstanceServer(name)
        assert server.listen()
        os.chmod(name, 0o777)  # noqa: S103 - reachable, as a socket in shared /tmp would be
        got: list[list[str]] = []
        server.activated.connect(got.append)
        try:
            assert as_other_user(_send_paths, name) == "sent"
            with qtbot.waitSignal(server.activated, timeout=5000):
                assert hand_off(name, ["mine.mp4"])
        finally:
            server.close()
    assert got == [[str(Path("mine.mp4").resolve())]]


def test_a_socket_file_left_by_a_crash_does_not_block_the_start(qtbot: QtBot,
                                                                  tmp_path: Path) -> None:
    name = server_name(tmp_path / "data")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as crashed:
        crashed.bind(name)  # the file stays; nothing listens on it
    assert Path(name).exists()
    assert hand_off(name, ["x.mp4"]) is False
    server = InstanceServer(name)
    assert server.listen()
    try:
        with qtbot.waitSignal(server.activated, timeout=5000) as blocker:
            assert hand_off(name, ["x.mp4"])
        assert blocker.args == [[str(Path("x.mp4").resolve())]]
    finally:
        server.close()
