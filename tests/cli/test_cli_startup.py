"""Start-up failures from a terminal (issue 14): one plain line that says what to do, a
non-zero exit, never a traceback; the GUI the same, in a dialog (offscreen here: stderr)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tiktok_desktop import paths


def _run(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, paths.HOME_ENV: str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "tiktok_desktop", *argv], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [("posts", "list"), ("accounts", "list"), ("run", "--once"),
                                  ("--self-test",)])
def test_a_data_folder_that_is_a_file(tmp_path: Path, argv: tuple[str, ...]) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("oops")
    result = _run(*argv, home=home)
    assert result.returncode in (1, 2), result.stderr
    assert "Traceback" not in result.stderr
    assert f"{paths.HOME_ENV} is set to {home}, which is a file, not a folder" in result.stderr


def test_a_database_path_that_is_a_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    db = paths.resolve({paths.HOME_ENV: str(home)}).for_profile(paths.SANDBOX_PROFILE).db_file
    db.mkdir(parents=True)
    result = _run("posts", "list", home=home)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "is a folder" in result.stderr
