"""Text from outside the app made safe to print, log and read.

TikTok names, the OAuth callback's error text, captions and the files a user names on the
command line are not ours: an escape sequence in them would run in the user's terminal (set
the window title, clear the screen, hide the rest of a line), a newline would forge a log line,
a carriage return would overwrite one. ``neutralise`` turns every such character into a
visible escape (``\\x1b``, ``\\n``); ``for_terminal`` keeps line breaks and tabs, which a
terminal only shows. ``read_text_file`` reads a small text file the user names, bounded, so
``/dev/zero`` or a huge file cannot exhaust memory.

Qt-free, no app imports: the CLI, logging and services all use it.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

__all__ = [
    "CAPTION_FILE_MAX_BYTES",
    "TextFileError",
    "for_terminal",
    "neutralise",
    "read_text_file",
]

# A caption is at most 2,200 UTF-16 units (8,800 bytes of UTF-8 at worst): a caption file
# well over that is not a caption, and the caption rules say by how much it is too long.
CAPTION_FILE_MAX_BYTES = 64 * 1024

# C0 controls, DEL and C1 controls (0x9b is a one-byte CSI in some terminals), and the bidi
# embeddings, overrides and isolates that reorder what follows them on screen.
_OTHERS = "\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"  # all but NUL..LF
_ALL = re.compile(f"[\x00-\x0a{_OTHERS}]")
_ALL_BUT_NEWLINE = re.compile(f"[\x00-\x09{_OTHERS}]")
_ALL_BUT_NEWLINE_AND_TAB = re.compile(f"[\x00-\x08{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def neutralise(text: str, *, keep_newlines: bool = False) -> str:
    """Every control character as a visible escape; with ``keep_newlines``, ``\\n`` stays."""
    return (_ALL_BUT_NEWLINE if keep_newlines else _ALL).sub(_escape, text)


def for_terminal(text: str) -> str:
    """What may be printed to a terminal: line breaks and tabs stay, every other control
    character (escape sequences, carriage returns, bidi overrides) is shown escaped."""
    return _ALL_BUT_NEWLINE_AND_TAB.sub(_escape, text)


class TextFileError(Exception):
    """A text file the user named cannot be used; ``str()`` says why and what to do."""


def read_text_file(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> str:
    """The UTF-8 text of a small file the user named (``what``, e.g. "caption file").

    Reads at most ``max_bytes + 1`` bytes, so a device (/dev/zero, /dev/urandom), a FIFO that
    never ends or a huge file is refused instead of read forever. A trailing newline an editor
    adds is not part of the text; Windows line ends become ``\\n``.
    """
    p = Path(path)
    try:
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise TextFileError(f"The {what} {p} is a folder: give the text file itself.")
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except TextFileError:
        raise
    except FileNotFoundError:
        raise TextFileError(f"The {what} {p} does not exist: check the path.") from None
    except PermissionError:
        raise TextFileError(f"This app may not read the {what} {p}: check its "
                            "permissions.") from None
    except OSError as exc:
        raise TextFileError(f"Cannot read the {what} {p}: {exc.strerror or exc}.") from None
    if len(data) > max_bytes:
        kind = "" if stat.S_ISREG(st.st_mode) else " (it is not a regular file)"
        raise TextFileError(f"The {what} {p} is too long{kind}: it may hold at most "
                            f"{max_bytes:,} bytes. Give a short UTF-8 text file.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TextFileError(f"The {what} {p} is not UTF-8 text: save it as UTF-8.") from None
    return text.replace("\r\n", "\n").rstrip("\n")
