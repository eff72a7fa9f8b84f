"""Shared test set-up: headless Qt, an isolated home per test, an in-memory keyring,
loopback-only networking, and failure on unexpected WARNING logs."""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Must be set before any Qt import: tests never need a display. The offscreen screen is a
# common laptop's 1920x1080 (Qt's default, 800x800, is smaller than the window's default
# size, which the window then shrinks to fit).
# (The file is written below; Qt reads it when the QApplication starts.)
os.environ["QT_QPA_PLATFORM"] = "offscreen:configfile=" + os.path.join(
    tempfile.gettempdir(), f"tiktok-desktop-test-screen-{os.getuid()}.json")
# Qt's xdg portal and accessibility bridges try D-Bus; nothing to talk to in tests.
os.environ.setdefault("QT_LINUX_ACCESSIBILITY_ALWAYS_ON", "0")
os.environ.pop("TIKTOK_CLIENT_KEY", None)
os.environ.pop("TIKTOK_CLIENT_SECRET", None)
os.environ.pop("TIKTOK_REDIRECT_URI", None)
# Child processes the tests start (the CLI, a second app instance) must never write to the
# developer's real keyring: they get keyring's "no backend", as on a headless box.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

import keyring
import pytest

from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import AppGraph, build, decide_mode
from tiktok_desktop.credentials.vault import SessionOnlyBackend

# For tests in any folder: the logind fixture (python-dbusmock on a private system bus) and
# a real PostgreSQL server (pg_server, pg_template).
pytest_plugins = ["tests.helpers.logind", "tests.helpers.pg_fixtures"]

Path(os.environ["QT_QPA_PLATFORM"].split("configfile=", 1)[1]).write_text(json.dumps(
    {"screens": [{"name": "test", "x": 0, "y": 0, "width": 1920, "height": 1080,
                  "logicalDpi": 96, "dpr": 1}]}))

# --- loopback only ---------------------------------------------------------------------------
# A test that talks to anything but this machine is a bug (and could hit real TikTok): refuse
# it at the socket, whatever library tried.
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise RuntimeError(f"test tried to connect to a host name {host!r}") from None
    if not ip.is_loopback:
        raise RuntimeError(f"test tried to reach {host}: only 127.0.0.1 is allowed in tests")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


# --- keyring -----------------------------------------------------------------------------------
class MemoryKeyring(SessionOnlyBackend):
    """The OS keyring stand-in: real code paths, no prompts, nothing written to disk."""

    priority = 1

    @property
    def entries(self) -> dict[tuple[str, str], str]:
        return self._entries


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend


# --- isolation ---------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data/config/log folders and a working dir without a .env."""
    home = tmp_path / "home"
    monkeypatch.setenv("TIKTOK_DESKTOP_HOME", str(home))
    # The OS's per-user config too: a systemd user unit or a start-at-login entry written by
    # a test must land in its folder, never in the developer's ~/.config.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return home


# --- unexpected warnings fail the test -------------------------------------------------------
@pytest.fixture(autouse=True)
def fail_on_warning_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A WARNING or worse that a test did not expect is a failure.

    A test that expects one asserts on ``caplog.records`` and then calls ``caplog.clear()``.
    """
    caplog.set_level(logging.INFO)
    yield
    bad = [
        r for when in ("setup", "call") for r in caplog.get_records(when)
        if r.levelno >= logging.WARNING
    ]
    if bad:
        lines = "\n".join(f"{r.levelname} {r.name}: {r.getMessage()}" for r in bad)
        pytest.fail(f"unexpected WARNING logs:\n{lines}", pytrace=False)


# --- the app's services on a real SQLite file and the in-process sandbox ----------------------
@pytest.fixture
def graph() -> Iterator[AppGraph]:
    """Without credentials the app is in sandbox mode: nothing can reach a real TikTok."""
    context = build(decide_mode(paths.resolve()), system=quiet_system())
    yield context
    context.close()
