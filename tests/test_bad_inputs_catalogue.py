"""docs/bad-inputs.md stays true: every entry names tests that exist, and every bad input
issue 8 asks about has an entry.

Tests are found by parsing the named files with ast (no import, no collection run): the named
function must be defined at the top level of that file, or in a class in it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "docs" / "bad-inputs.md"

# Issue 8's list and issue 14's, one key per case (the catalogue may hold more).
REQUIRED = {
    "video-missing", "video-moved", "video-changed", "video-unreadable", "video-truncated",
    "video-not-a-video", "video-oversized", "video-too-long", "video-too-small",
    "video-wrong-fps",
    "caption-empty", "caption-too-long", "caption-lone-surrogates",
    "time-past", "time-far-future", "time-dst-gap", "time-dst-overlap", "time-zone-change",
    "db-locked", "db-corrupt", "db-newer", "db-full-disk",
    "keyring-missing", "keyring-locked",
    "oauth-denied", "oauth-state-mismatch", "oauth-timeout", "oauth-port-in-use",
    "oauth-malformed-callback",
    "second-instance", "clock-jump", "account-disconnected-posts-pending",
    # Issue 14's adversarial review.
    "second-instance-other-user", "video-changed-during-upload", "video-others-can-write",
    "sandbox-control-without-token", "sandbox-page-forged-action",
    "oauth-callback-query-marks", "text-escape-sequences", "caption-control-characters",
    "sandbox-state-readable-by-others", "credentials-from-dotenv", "settings-unreadable",
    "settings-bad-value", "data-folder-unusable", "db-unavailable", "sandbox-serve-bad-flags",
    "video-named-wrongly", "keyring-two-data-folders", "sandbox-state-folder-busy",
    "network-intercepted", "app-signal-quit", "upload-stopped-mid-chunk", "time-zone-unnamed",
    "time-skipped-day",
}
FIELDS = ("Case", "User sees", "Proof")
_HEADING = re.compile(r"^### `([a-z0-9-]+)` (\S.*)$")
_FIELD = re.compile(r"^- \*\*(Case|User sees|Proof):\*\*(.*)$")
_TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")


@dataclass
class Entry:
    key: str
    title: str
    line: int
    fields: dict[str, str]

    @property
    def proofs(self) -> list[tuple[str, str]]:
        return _TEST_ID.findall(self.fields.get("Proof", ""))


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    field: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#"):
            heading = _HEADING.match(line)
            if line.startswith("### "):
                assert heading, f"line {number}: an entry heading is ### `key` Title: {line!r}"
                entries.append(Entry(heading[1], heading[2], number, {}))
            field = None
            continue
        if not entries:
            continue
        found = _FIELD.match(line)
        if found:
            field = found[1]
            assert field not in entries[-1].fields, f"line {number}: {field} given twice"
            entries[-1].fields[field] = found[2].strip()
        elif field is not None and line.startswith("  ") and line.strip():
            entries[-1].fields[field] += " " + line.strip()  # a field's continuation line
        else:
            field = None
    return entries


def defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(n.name for n in node.body
                         if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))
    return {n for n in names if n.startswith("test")}


def incomplete(entries: list[Entry]) -> list[str]:
    problems = []
    keys = [e.key for e in entries]
    problems += [f"{k} is used twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
    for entry in entries:
        problems += [f"{entry.key} (line {entry.line}) has no {name}"
                     for name in FIELDS if not entry.fields.get(name)]
        if not entry.proofs:
            problems.append(f"{entry.key}: Proof names no tests/path.py::test_name")
        # Everything in Proof must be a test id: a typo must not hide as plain text.
        leftover = _TEST_ID.sub("", entry.fields.get("Proof", "")).replace(",", "").strip()
        if leftover:
            problems.append(f"{entry.key}: not a test id in Proof: {leftover!r}")
    return problems


def unknown_tests(entries: list[Entry]) -> list[str]:
    cache: dict[str, set[str]] = {}
    problems = []
    for entry in entries:
        for file, name in entry.proofs:
            path = ROOT / file
            if not path.is_file():
                problems.append(f"{entry.key}: no file {file}")
                continue
            if name not in cache.setdefault(file, defined_tests(path)):
                problems.append(f"{entry.key}: {file} has no test {name}")
    return problems


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse(CATALOGUE.read_text(encoding="utf-8"))


def test_every_entry_is_complete(entries: list[Entry]) -> None:
    assert incomplete(entries) == []


def test_every_required_case_has_an_entry(entries: list[Entry]) -> None:
    missing = REQUIRED - {e.key for e in entries}
    assert not missing, f"no catalogue entry for {sorted(missing)}"


def test_every_named_test_exists(entries: list[Entry]) -> None:
    assert unknown_tests(entries) == []


def test_the_checks_catch_a_broken_entry() -> None:
    """Guards the guards: a made-up test, a missing file, a missing field, a stray word."""
    bad = parse(
        "## A section\n"
        "### `video-missing` Gone\n- **Case:** x\n- **User sees:** y\n"
        "- **Proof:** `tests/test_bad_inputs_catalogue.py::test_nothing_like_this`,\n"
        "  `tests/no_such_file.py::test_x`\n"
        "### `db-locked` Locked\n- **Case:** x\n"
        "- **Proof:** `tests/store/test_db.py::test_reopen_keeps_data_and_version[wal]`, "
        "see the docs\n")
    assert [e.key for e in bad] == ["video-missing", "db-locked"]
    assert bad[1].proofs == [("tests/store/test_db.py", "test_reopen_keeps_data_and_version")]
    assert unknown_tests(bad) == [
        "video-missing: tests/test_bad_inputs_catalogue.py has no test test_nothing_like_this",
        "video-missing: no file tests/no_such_file.py"]
    assert incomplete(bad) == ["db-locked (line 7) has no User sees",
                               "db-locked: not a test id in Proof: 'see the docs'"]
    assert incomplete(bad[:1] * 2) == ["video-missing is used twice"]
