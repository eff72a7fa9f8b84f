"""The entry points as a user (and packaging) runs them: real processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import tiktok_desktop


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tiktok_desktop", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_version_comes_from_the_package() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"tiktok-desktop {tiktok_desktop.__version__}"


def test_self_test_opens_the_database_and_exits_zero(isolated_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    result = subprocess.run([sys.executable, "-m", "tiktok_desktop", "--self-test"],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert "self-test ok" in result.stdout
    # No credentials: sandbox mode, in its own data folder.
    db = isolated_home / "data" / "sandbox" / "tiktok-desktop.sqlite3"
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] >= 1
    log = (isolated_home / "logs" / "tiktok-desktop.log").read_text()
    assert "starting" in log
    assert "sandbox mode: built-in TikTok emulator at http://127.0.0.1:" in log


def test_self_test_with_credentials_uses_the_real_profile(isolated_home: Path) -> None:
    result = _run("--self-test", env={"TIKTOK_CLIENT_KEY": "k", "TIKTOK_CLIENT_SECRET": "s3"})
    assert result.returncode == 0, result.stderr
    assert (isolated_home / "data" / "tiktok-desktop.sqlite3").exists()
    assert not (isolated_home / "data" / "sandbox").exists()


def test_self_test_reports_a_newer_database_clearly(isolated_home: Path) -> None:
    db = isolated_home / "data" / "sandbox" / "tiktok-desktop.sqlite3"
    db.parent.mkdir(parents=True)
    sqlite3.connect(db).execute("PRAGMA user_version = 99").connection.close()
    result = _run("--self-test")
    assert result.returncode == 2
    assert "newer version of TikTok Desktop" in result.stderr


def test_help_lists_options() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for option in ("--self-test", "--sandbox", "--version", "VIDEO", "sandbox serve"):
        assert option in result.stdout
