"""Start at login on each OS: the XDG entry, the Windows Run entry (through a fake registry)
and the macOS LaunchAgent."""

from __future__ import annotations

import configparser
import plistlib
import shlex
from pathlib import Path

import pytest

from tiktok_desktop.system import autostart
from tiktok_desktop.system.autostart import (
    AUTOSTART_LABEL,
    RUN_VALUE,
    MacLoginAgent,
    WindowsRunEntry,
    XdgAutostart,
)
from tiktok_desktop.system.command import AppCommand


class FakeRunKey:
    def __init__(self) -> None:
        self.values: dict[str, str] = {"OneDrive": r'"C:\OneDrive.exe" /background'}

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, value: str) -> None:
        self.values[name] = value

    def delete(self, name: str) -> None:
        self.values.pop(name, None)


def test_xdg_entry_starts_hidden_with_the_data_folder(tmp_path: Path) -> None:
    command = AppCommand(("/opt/tiktok desktop/tiktok-desktop",),
                         {"TIKTOK_DESKTOP_HOME": "/home/mia/100% data"}, frozen=True)
    entry = XdgAutostart({"XDG_CONFIG_HOME": str(tmp_path)}, command)
    entry.set_enabled(True)
    assert entry.is_enabled() and entry.path == tmp_path / "autostart/tiktok-desktop.desktop"
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(entry.path)
    exec_line = parser["Desktop Entry"]["Exec"]
    # The spec's two layers: string escapes (\\ -> \), then %% -> % and quoting.
    argv = shlex.split(exec_line.replace("\\\\", "\\").replace("%%", "%"))
    assert argv == ["env", "TIKTOK_DESKTOP_HOME=/home/mia/100% data",
                    "/opt/tiktok desktop/tiktok-desktop", "--hidden"]
    entry.set_enabled(False)
    assert not entry.path.exists() and not entry.is_enabled()


def test_windows_run_entry(tmp_path: Path) -> None:
    registry = FakeRunKey()
    command = AppCommand((r"C:\Program Files\TikTok Desktop\TikTokDesktop.exe",), frozen=True)
    entry = WindowsRunEntry(registry, command)
    assert not entry.is_enabled()
    entry.set_enabled(True)
    assert registry.values[RUN_VALUE] == (
        r'"C:\Program Files\TikTok Desktop\TikTokDesktop.exe" --hidden')
    assert entry.is_enabled()
    entry.set_enabled(False)
    entry.set_enabled(False)  # idempotent
    assert registry.values == {"OneDrive": r'"C:\OneDrive.exe" /background'}  # others stay


def test_windows_run_entry_refuses_what_it_cannot_carry() -> None:
    command = AppCommand(("C:\\td\\TikTokDesktop.exe",), {"TIKTOK_DESKTOP_HOME": "D:\\td"},
                         frozen=True)
    with pytest.raises(OSError, match="TIKTOK_DESKTOP_HOME"):
        WindowsRunEntry(FakeRunKey(), command).set_enabled(True)


def test_mac_login_agent(tmp_path: Path) -> None:
    command = AppCommand(("/Applications/TikTok Desktop.app/Contents/MacOS/tiktok-desktop",),
                         frozen=True)
    agent = MacLoginAgent({"HOME": str(tmp_path)}, command)
    agent.set_enabled(True)
    assert agent.path == tmp_path / "Library/LaunchAgents" / f"{AUTOSTART_LABEL}.plist"
    job = plistlib.loads(agent.path.read_bytes())
    assert job["Label"] == AUTOSTART_LABEL
    assert job["ProgramArguments"] == [command.executable, "--hidden"]
    assert job["RunAtLoad"] is True and "KeepAlive" not in job  # quitting it stays quit
    agent.set_enabled(False)
    assert not agent.is_enabled() and not agent.path.exists()


def test_module_functions_pick_this_os(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)}
    assert autostart.supported()
    assert isinstance(autostart.for_platform("linux", env), XdgAutostart)
    assert isinstance(autostart.for_platform("darwin", env), MacLoginAgent)
    assert isinstance(autostart.for_platform("win32", env), WindowsRunEntry)
