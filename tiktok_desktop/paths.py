"""Where the app keeps its files.

One module resolves every directory, so tests and portable installs can move all of them at
once with TIKTOK_DESKTOP_HOME. Everything we create is private to the user (dirs 0700,
files 0600): the database holds schedule details, and logs may hold account names.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

if sys.platform != "win32":
    import pwd

from tiktok_desktop import APP_NAME

HOME_ENV = "TIKTOK_DESKTOP_HOME"
SANDBOX_PROFILE = "sandbox"

DIR_MODE = 0o700
FILE_MODE = 0o600


class PathsError(Exception):
    """A folder or file the app needs cannot be used. ``str()`` says why and what to do; the
    caller shows it (a dialog in the GUI, a line on stderr for the CLI) instead of a traceback.
    """

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _owner_name(uid: int) -> str:
    if sys.platform == "win32":
        return f"user {uid}"
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user {uid}"


def _nearest_existing(path: Path) -> tuple[Path, os.stat_result] | None:
    for candidate in (path, *path.parents):
        with contextlib.suppress(OSError):
            return candidate, candidate.lstat()
    return None


def explain_os_error(path: Path, exc: OSError, what: str = "the folder") -> str:
    """A plain message for ``exc`` raised while making or opening ``path`` (``what`` names it
    for the user, e.g. "the database file"), with what to do about it.

    The usual causes: the app was run once with sudo and root now owns its folders; a file
    stands where a folder should be (TIKTOK_DESKTOP_HOME pointing at a file); a read-only or
    full drive.
    """
    home = os.environ.get(HOME_ENV, "").strip()
    if isinstance(exc, NotADirectoryError | FileExistsError) or exc.errno in (
            errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in (path, *path.parents) if p.is_file()), None)
        if blocker is not None and home and blocker == Path(home).expanduser().resolve():
            return (f"{HOME_ENV} is set to {blocker}, which is a file, not a folder. Point it "
                    "at a folder (it is created if missing), or unset it to use the usual "
                    "place.")
        if blocker is not None:
            return (f"TikTok Desktop needs {what} {path}, but {blocker} is a file where a "
                    "folder should be. Move that file away and start again.")
    if isinstance(exc, IsADirectoryError):
        return (f"{what.capitalize()} {path} is a folder, not a file. Move that folder away "
                "and start again.")
    if exc.errno == errno.EROFS:
        return (f"The drive holding {path} is read-only, so TikTok Desktop cannot save there. "
                f"Make it writable, or set {HOME_ENV} to a folder on another drive.")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return (f"The drive holding {path} is full (or a file size limit is set, see ulimit "
                "-f). Free some space, then start again.")
    if isinstance(exc, PermissionError):
        found = _nearest_existing(path)
        mine = os.geteuid() if hasattr(os, "geteuid") else None
        if found is not None and mine is not None and found[1].st_uid != mine:
            owner = _owner_name(found[1].st_uid)
            return (f"TikTok Desktop may not use {what} {path}: {found[0]} belongs to "
                    f"{owner}, not to you (was the app run once with sudo?). Give it back "
                    f"with: sudo chown -R {_owner_name(mine)} {found[0]}")
        return (f"TikTok Desktop may not use {what} {path}: check that it and the folders "
                "above it are yours and writable.")
    return f"TikTok Desktop cannot use {what} {path}: {exc.strerror or exc}."


@dataclass(frozen=True)
class AppPaths:
    """The app's directories for one profile (normal or sandbox)."""

    data_dir: Path
    config_dir: Path
    cache_dir: Path
    log_dir: Path
    profile: str = ""
    # "" for the platform's usual folders; for a data folder of one's own (TIKTOK_DESKTOP_HOME)
    # a short fingerprint of it, so things kept outside the folder (keyring entries) stay
    # apart per copy of the app.
    namespace: str = ""

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
            namespace=self.namespace,
        )

    def ensure(self) -> AppPaths:
        """Create the folders (0700). Raises PathsError when one cannot be made or written."""
        for d in (self.data_dir, self.config_dir, self.cache_dir, self.log_dir):
            try:
                ensure_private_dir(d)
            except OSError as exc:
                raise PathsError(explain_os_error(d, exc), d) from None
            if not d.is_dir():
                problem: OSError = NotADirectoryError(errno.ENOTDIR, "Not a directory", str(d))
                raise PathsError(explain_os_error(d, problem), d)
            if not os.access(d, os.W_OK | os.X_OK):
                problem = PermissionError(errno.EACCES, "Permission denied", str(d))
                raise PathsError(explain_os_error(d, problem), d)
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
            namespace=hashlib.sha256(str(base).encode("utf-8", "surrogatepass")).hexdigest()[:12],
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



def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write until every byte is written (a write may take fewer than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def fsync_dir(directory: Path) -> None:
    """Make a rename into ``directory`` durable (POSIX; Windows cannot open directories so)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
