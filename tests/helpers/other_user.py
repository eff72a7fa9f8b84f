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


class OtherUserChild:
    """``fn(ready, *args)`` run by ``uid`` in a forked child, alongside the test: the child
    calls ``ready()`` once the test may go on (a socket is listening, say); ``result()`` waits
    for its return value."""

    def __init__(self, fn: Callable[..., Any], *args: Any, uid: int = NOBODY) -> None:
        ready_r, ready_w = os.pipe()
        result_r, result_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            status = 0
            try:
                os.close(ready_r)
                os.close(result_r)
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                try:
                    data = pickle.dumps(("ok", fn(lambda: os.write(ready_w, b"R"), *args)))
                except BaseException as exc:
                    data = pickle.dumps(("err", (type(exc).__name__, str(exc))))
                os.write(ready_w, b"R")  # in case fn failed before it was ready
                with os.fdopen(result_w, "wb") as out:
                    out.write(data)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(ready_w)
        os.close(result_w)
        self._ready = ready_r
        self._result = result_r

    def wait_ready(self) -> None:
        assert os.read(self._ready, 1) == b"R", "the other user's child died"

    def result(self) -> Any:
        with os.fdopen(self._result, "rb") as pipe:
            data = pipe.read()
        os.close(self._ready)
        _, status = os.waitpid(self.pid, 0)
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
