"""``tiktok-desktop accounts`` in a real process against its in-process sandbox."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.browser import play_consent


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tiktok_desktop", "accounts", *args]


def test_connect_no_browser_then_list_and_disconnect() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(_cli("connect", "--no-browser"), env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        url = ""
        for line in proc.stdout:  # the address comes first, then it waits
            if line.strip().startswith("http://127.0.0.1:"):
                url = line.strip()
                break
        assert "/v2/auth/authorize/" in url
        assert "close this tab" in play_consent(url).text
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Connected Sandbox Creator (@sandbox_creator)." in out
    assert "sandbox mode" in err

    listing = subprocess.run(_cli("list"), capture_output=True, text=True, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "Sandbox Creator (@sandbox_creator)" in listing.stdout
    assert "connected" in listing.stdout
    # When the sign-in truly ends: the refresh token's 180 days, not the access token's 2 h.
    [row] = [line for line in listing.stdout.splitlines() if "@sandbox_creator" in line]
    until = dt.datetime.strptime(row.split()[-2] + " " + row.split()[-3], "%H:%M %Y-%m-%d")
    assert 179 <= (until - dt.datetime.now()).days <= 180

    gone = subprocess.run(_cli("disconnect", "@sandbox_creator"), capture_output=True,
                          text=True, timeout=60)
    assert gone.returncode == 0, gone.stderr
    after = subprocess.run(_cli("list"), capture_output=True, text=True, timeout=60)
    assert "disconnected" in after.stdout


def test_unknown_account_is_a_clear_error() -> None:
    """Exit code 2, as for every command refused as asked (the posts commands do the same)."""
    result = subprocess.run(_cli("refresh", "@nobody"), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "No account matches '@nobody'" in result.stderr


def test_credentials_from_a_dotenv_file_are_named(tmp_path: Path) -> None:
    """'accounts list' in a folder with a .env says which TikTok app it uses and from where."""
    (tmp_path / ".env").write_text("TIKTOK_CLIENT_KEY=awdotenvkey\nTIKTOK_CLIENT_SECRET=s3c\n")
    result = subprocess.run(_cli("list"), capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"note: Using the TikTok app set in the .env file in {tmp_path}," in result.stderr
    assert "awdotenvkey" in result.stderr and "s3c\n" not in result.stderr
