"""Run a function as another user (nobody), for tests that play someone else on the machine.

The tests run as root here. A forked child drops to uid/gid 65534 for good and runs the
function; the result (or the exception's type name and text) comes back through a pipe. Only
the calling thread exists in the child, so the function must not need other threads, and
whatever it imports must be imported already (the interpreter's own files may be unreadable
for that user).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

NOBODY = 65534

needs_root = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0,
                                reason="playing another user needs root")


class OtherUserError(Exception):
    """The function raised in the child: ``kind`` is the exception's class name."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(f"{kind}: {text}")
        self.kind = kind
        self.text = text


def as_other_user(fn: Callable[..., Any], *args: Any, uid: int = NOBODY) -> Any:
    """``fn(*args)`` run by ``uid``; raises OtherUserError if it raised."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 0
        try:
            os.close(read_fd)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            try:
                outcome: tuple[str, Any] = ("ok", fn(*args))
                data = pickle.dumps(outcome)
            except BaseException as exc:
                data = pickle.dumps(("err", (type(exc).__name__, str(exc))))
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
        except BaseException:
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and data, "the other user's child failed"
    kind, value = pickle.loads(data)  # noqa: S301 - our own child's data
    if kind == "err":
        raise OtherUserError(*value)
    return value


@contextmanager
def shared_dir() -> Iterator[Path]:
    """A folder both users can reach (pytest's tmp_path is root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="tiktok-desktop-test-"))
    path.chmod(0o777)
    try:
        yield path
    finally:
        import shutil

        shutil.rmtree(path, ignore_errors=True)
