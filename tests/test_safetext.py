"""safetext: text from outside made safe to print and log, and small files read bounded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tiktok_desktop.safetext import (
    CAPTION_FILE_MAX_BYTES,
    TextFileError,
    for_terminal,
    neutralise,
    read_text_file,
)

HOSTILE = "Mia\x1b]0;owned\x07\x1b[2J\r\x00\x7f\x9b31m\u202egnp.exe\tend\nnext"


def test_neutralise_leaves_no_control_character() -> None:
    text = neutralise(HOSTILE)
    assert text == ("Mia\\x1b]0;owned\\x07\\x1b[2J\\r\\x00\\x7f\\x9b31m\\u202egnp.exe\\tend"
                    "\\nnext")
    assert text.isprintable()
    assert neutralise(text) == text  # already safe: unchanged
    assert neutralise("caf\u00e9 \U0001f3ac #tag @me") == "caf\u00e9 \U0001f3ac #tag @me"


def test_neutralise_can_keep_line_breaks_for_tracebacks() -> None:
    assert neutralise("a\x1b\nb\r\n", keep_newlines=True) == "a\\x1b\nb\\r\n"


def test_terminal_output_keeps_lines_and_tabs_only() -> None:
    assert for_terminal(HOSTILE) == ("Mia\\x1b]0;owned\\x07\\x1b[2J\\r\\x00\\x7f\\x9b31m"
                                     "\\u202egnp.exe\tend\nnext")
    assert for_terminal("a literal \\t stays") == "a literal \\t stays"


def test_a_caption_file_is_read_as_utf8_without_the_editors_newline(tmp_path: Path) -> None:
    path = tmp_path / "caption.txt"
    path.write_bytes("Line one\r\nLine two #fyp \U0001f3ac\r\n".encode())
    assert read_text_file(path, max_bytes=CAPTION_FILE_MAX_BYTES, what="caption file") == \
        "Line one\nLine two #fyp \U0001f3ac"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_not_read_forever() -> None:
    with pytest.raises(TextFileError) as info:
        read_text_file("/dev/zero", max_bytes=CAPTION_FILE_MAX_BYTES, what="caption file")
    assert str(info.value) == ("The caption file /dev/zero is too long (it is not a regular "
                               "file): it may hold at most 65,536 bytes. Give a short UTF-8 "
                               "text file.")


def test_other_files_that_are_not_a_caption(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (CAPTION_FILE_MAX_BYTES + 1))
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\u00e9".encode("latin-1"))
    cases = {
        big: "is too long: it may hold at most 65,536 bytes",
        latin1: "is not UTF-8 text: save it as UTF-8.",
        tmp_path: "is a folder: give the text file itself.",
        tmp_path / "missing.txt": "does not exist: check the path.",
    }
    if os.name == "posix" and os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.txt"
        locked.write_text("x")
        locked.chmod(0)
        cases[locked] = "may not read"
    for path, words in cases.items():
        with pytest.raises(TextFileError, match=words.replace(".", r"\.")):
            read_text_file(path, max_bytes=CAPTION_FILE_MAX_BYTES, what="caption file")


def test_a_file_exactly_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.txt"
    path.write_bytes(b"a" * 100)
    assert read_text_file(path, max_bytes=100, what="caption file") == "a" * 100
