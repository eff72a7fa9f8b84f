"""The command line that starts this same app again: for the service, start at login, wakes.

Three ways the app runs, each started differently:
- the PyInstaller bundle (``sys.frozen``): the bundle's executable. On Linux the .deb puts it
  in /opt/tiktok-desktop/tiktok-desktop; on Windows the windowed twin (TikTokDesktop.exe) is
  used for anything started in the background, so no console window opens;
- an installed or editable package in a virtual environment: that interpreter with
  ``-m tiktok_desktop`` (the venv's own ``bin/python`` path, not the interpreter it links to,
  or the package would not be found);
- a source checkout found through PYTHONPATH: as above, with that PYTHONPATH carried along.

The data folder override (TIKTOK_DESKTOP_HOME) is carried along too, so the service works on
the same data as the app that installed it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tiktok_desktop
from tiktok_desktop.paths import HOME_ENV

__all__ = ["WINDOWS_GUI_EXE", "AppCommand", "this_app"]

# packaging/pyinstaller/app_metadata.py names the windowed Windows executable the same way.
WINDOWS_GUI_EXE = "TikTokDesktop.exe"


@dataclass(frozen=True)
class AppCommand:
    """``argv`` starts the app (append a subcommand); ``environment`` must be set for it."""

    argv: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)
    frozen: bool = False

    def with_args(self, *args: str) -> tuple[str, ...]:
        return (*self.argv, *args)

    @property
    def executable(self) -> str:
        return self.argv[0]


def _package_root() -> Path:
    """The folder that holds the ``tiktok_desktop`` package."""
    return Path(tiktok_desktop.__file__).resolve().parent.parent


def this_app(*, frozen: bool | None = None, executable: str | None = None,
             environ: Mapping[str, str] | None = None,
             platform: str | None = None) -> AppCommand:
    """The command line of the running app (arguments are for tests)."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    exe = executable or sys.executable
    carried: dict[str, str] = {}
    if env.get(HOME_ENV, "").strip():
        carried[HOME_ENV] = str(Path(env[HOME_ENV]).expanduser().resolve())
    if frozen:
        path = Path(exe).resolve()
        if platform == "win32":
            windowed = path.with_name(WINDOWS_GUI_EXE)
            if windowed.is_file():
                path = windowed
        return AppCommand((str(path),), carried, frozen=True)
    # Not resolved: a venv's bin/python is a link whose target does not see the venv.
    interpreter = str(Path(exe).absolute())
    if platform == "win32":
        pythonw = Path(interpreter).with_name("pythonw.exe")
        if pythonw.is_file():
            interpreter = str(pythonw)  # no console window for background starts
    root = str(_package_root())
    search = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if any(_same_dir(p, root) for p in search):
        carried["PYTHONPATH"] = root
    return AppCommand((interpreter, "-m", "tiktok_desktop"), carried)


def _same_dir(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def quote_windows(args: Sequence[str]) -> str:
    """A Windows command line for ``args`` (CreateProcess rules, as subprocess.list2cmdline)."""
    import subprocess  # noqa: PLC0415 - only the Windows parts need it

    return subprocess.list2cmdline(list(args))
