"""Where the app keeps its files.

One module resolves every directory, so tests and portable installs can move all of them at
once with TIKTOK_DESKTOP_HOME. Everything we create is private to the user (dirs 0700,
files 0600): the database holds schedule details, and logs may hold account names.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from tiktok_desktop import APP_NAME

HOME_ENV = "TIKTOK_DESKTOP_HOME"
SANDBOX_PROFILE = "sandbox"

DIR_MODE = 0o700
FILE_MODE = 0o600


@dataclass(frozen=True)
class AppPaths:
    """The app's directories for one profile (normal or sandbox)."""

    data_dir: Path
    config_dir: Path
    cache_dir: Path
    log_dir: Path
    profile: str = ""

    @property
    def db_file(self) -> Path:
        return self.data_dir / "tiktok-desktop.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "tiktok-desktop.log"

    @property
    def crash_file(self) -> Path:
        """faulthandler writes native crashes (segfaults in Qt) here."""
        return self.log_dir / "crash.log"

    @property
    def sandbox_state_dir(self) -> Path:
        """State of the built-in TikTok emulator (its users, tokens, received videos)."""
        return self.data_dir / "sandbox-server"

    @property
    def media_dir(self) -> Path:
        """Copies of scheduled videos (services/library.py), safe from moves and deletes."""
        return self.data_dir / "media"

    @property
    def avatar_cache_dir(self) -> Path:
        return self.cache_dir / "avatars"

    def for_profile(self, profile: str) -> AppPaths:
        """Paths for a separate profile, e.g. sandbox mode, so its data never mixes with real."""
        if not profile:
            return self
        return AppPaths(
            data_dir=self.data_dir / profile,
            config_dir=self.config_dir / profile,
            cache_dir=self.cache_dir / profile,
            log_dir=self.log_dir,
            profile=profile,
        )

    def ensure(self) -> AppPaths:
        for d in (self.data_dir, self.config_dir, self.cache_dir, self.log_dir):
            ensure_private_dir(d)
        return self


def resolve(environ: dict[str, str] | None = None) -> AppPaths:
    """Resolve the base paths: TIKTOK_DESKTOP_HOME if set, else the platform's folders."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        base = Path(home).expanduser().resolve()
        return AppPaths(
            data_dir=base / "data",
            config_dir=base / "config",
            cache_dir=base / "cache",
            log_dir=base / "logs",
        )
    dirs = platformdirs.PlatformDirs(appname=APP_NAME, appauthor=False)
    return AppPaths(
        data_dir=Path(dirs.user_data_dir),
        config_dir=Path(dirs.user_config_dir),
        cache_dir=Path(dirs.user_cache_dir),
        log_dir=Path(dirs.user_log_dir),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as 0700; tighten an existing ``path``."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=DIR_MODE, exist_ok=True)
    if os.name == "posix":
        with contextlib.suppress(PermissionError):
            path.chmod(DIR_MODE)
    return path


def private_opener(path: str, flags: int) -> int:
    """``open(..., opener=private_opener)`` creates the file 0600 from the first byte."""
    return os.open(path, flags, FILE_MODE)


def touch_private(path: Path) -> Path:
    """Make sure ``path`` exists with mode 0600 (for files other libraries open, like SQLite)."""
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(fd)
    if os.name == "posix":
        path.chmod(FILE_MODE)
    return path


def write_private_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` (or bytes) to ``path`` atomically (temp file + rename), mode 0600.

    A crash mid-write leaves the old file intact, never a half-written settings file.
    """
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8") if isinstance(text, str) else text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise

