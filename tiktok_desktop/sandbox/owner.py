"""One owner per state folder: an OS lock held by the running server, and how to find it.

Several processes on one state folder (the GUI's in-process sandbox, ``sandbox serve``, a CLI
command) would each hold the state in memory and write all of it back, undoing each other's
changes (a rotated refresh token comes back to life, the new one is lost). So a server takes
an exclusive OS lock on ``<state>/sandbox.lock`` before it reads the state and keeps it until
it stops; the OS releases it when the process dies, however it dies. While serving it keeps
``<state>/owner.json`` (0600: base URL, control token, pid). Another process on the same folder
calls ``find_owner`` to talk to the running server instead of starting its own.

Qt-free and app-free: only the standard library.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

__all__ = ["LOCK_NAME", "OWNER_NAME", "OwnerLock", "SandboxBusyError", "SandboxOwner",
           "find_owner", "read_owner"]

LOCK_NAME = "sandbox.lock"
OWNER_NAME = "owner.json"
TOKEN_HEADER = "X-Sandbox-Token"  # noqa: S105 (a header name, not a secret)


class SandboxBusyError(RuntimeError):
    """Another live process owns this state folder."""


@dataclass(frozen=True)
class SandboxOwner:
    """The server that owns a state folder, as its owner file and a live ping show it."""

    base_url: str
    control_token: str
    pid: int
    state_dir: Path


def _lock_fd(fd: int) -> bool:
    """Try to take the exclusive lock on `fd` without waiting; False if someone holds it."""
    if sys.platform == "win32":
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        # flock, not lockf: a flock belongs to this open file, so a second SandboxServer in the
        # same process is refused too (POSIX record locks would let it through).
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock_fd(fd: int) -> None:
    if sys.platform == "win32":
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def _private_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        if hasattr(os, "fchmod"):
            os.fchmod(f.fileno(), 0o600)
        f.write(data)
    os.replace(tmp, path)


class OwnerLock:
    """The exclusive lock on one state folder (see the module docstring)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock; SandboxBusyError names the running owner when there is one.

        The folder is created (0700) if missing; OSError when it cannot be.
        """
        if self._fd is not None:
            return
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.state_dir, 0o700)
        fd = os.open(self.state_dir / LOCK_NAME,
                     os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
        if not _lock_fd(fd):
            os.close(fd)
            raise SandboxBusyError(busy_message(self.state_dir))
        self._fd = fd

    def publish(self, base_url: str, control_token: str) -> None:
        """Write the owner file: how other processes reach this server (only while held)."""
        if self._fd is None:
            raise RuntimeError("the state folder is not locked")
        payload = {"base_url": base_url, "control_token": control_token, "pid": os.getpid()}
        _private_write(self.state_dir / OWNER_NAME, json.dumps(payload).encode("utf-8"))

    def unpublish(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(FileNotFoundError):
                (self.state_dir / OWNER_NAME).unlink()

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / OWNER_NAME).unlink()
        _unlock_fd(fd)
        os.close(fd)


def busy_message(state_dir: Path) -> str:
    owner = read_owner(state_dir)
    who = (f"the sandbox at {owner['base_url']} (process {owner['pid']})"
           if owner is not None else "another process")
    return (f"The sandbox state folder {state_dir} is in use by {who}. Stop that sandbox first, "
            "or use it instead of starting another (its address and control token are in "
            f"{state_dir / OWNER_NAME}).")


def read_owner(state_dir: Path) -> dict[str, Any] | None:
    """The owner file's contents, if it is there, well formed and private to this user."""
    path = Path(state_dir) / OWNER_NAME
    try:
        with path.open("rb") as f:
            if sys.platform != "win32":
                info = os.fstat(f.fileno())
                # Only a file this user wrote and nobody else can read: a planted file could
                # point the app at another server.
                if info.st_uid != os.getuid() or info.st_mode & 0o077:
                    return None
            data = json.loads(f.read(65536).decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("base_url"), str)
            and isinstance(data.get("control_token"), str)
            and isinstance(data.get("pid"), int)):
        return None
    return data


def find_owner(state_dir: Path, timeout: float = 2.0) -> SandboxOwner | None:
    """The running server that owns `state_dir`, or None when no live one does.

    Reads the owner file and checks it live: the server at its address must answer a ping
    with its control token and name this folder. A stale file (a killed server) gives None.
    """
    state_dir = Path(state_dir)
    owner = read_owner(state_dir)
    if owner is None:
        return None
    parts = urlsplit(owner["base_url"])
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.port is None:
        return None
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request("GET", "/__sandbox__/ping", headers={
            "Host": f"127.0.0.1:{parts.port}", TOKEN_HEADER: owner["control_token"]})
        response = connection.getresponse()
        body = json.loads(response.read(65536).decode("utf-8"))
        if response.status != 200 or not isinstance(body, dict):
            return None
        if not os.path.samefile(str(body.get("state_dir", "")), state_dir):
            return None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    return SandboxOwner(owner["base_url"], owner["control_token"], owner["pid"], state_dir)
