"""The first look at a video file the user chose: is it there, readable, a plain file, not
empty? Shared by the media probe (media_open.py) and the library (library.py), which each
raise their own error class with the same words. No PyAV here: the window imports it early.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TypeVar


class VideoFileError(Exception):
    """A video file the app cannot use. ``str(err)`` is the message for the user; ``code`` is
    stable for tests and UI decisions."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


E = TypeVar("E", bound=VideoFileError)


def quoted(name: str) -> str:
    return f"\u201c{name}\u201d"


def missing(name: str, error: type[E]) -> E:
    return error("missing", f"{quoted(name)} is not there any more; it was moved, renamed or "
                 "deleted. Choose the video again.")


def unreadable(name: str, error: type[E], exc: OSError | None = None) -> E:
    if exc is None or isinstance(exc, PermissionError):
        return error("unreadable", f"This app is not allowed to read {quoted(name)}. Check "
                     "the file's permissions (or copy it somewhere you can read) and choose "
                     "it again.")
    return error("unreadable", f"{quoted(name)} could not be read: {exc.strerror}. Check that "
                 "the drive is connected and choose it again.")


def check_video_file(path: Path, error: type[E]) -> os.stat_result:
    """The file's stat when it can be a video; else ``error`` with what to do."""
    name = path.name
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise missing(name, error) from None
    except OSError as exc:
        raise unreadable(name, error, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise error("not_a_file", f"{quoted(name)} is a folder, not a video file. Choose the "
                    "video file inside it.")
    if not stat.S_ISREG(st.st_mode):
        # A pipe or a device would block or never end; only plain files can be scheduled.
        raise error("not_a_file", f"{quoted(name)} is not a regular file. Choose a video file "
                    "saved on disk.")
    if st.st_size == 0:
        raise error("empty", f"{quoted(name)} is empty (0 bytes). The export or download "
                    "probably failed; create the video again and choose it.")
    return st
