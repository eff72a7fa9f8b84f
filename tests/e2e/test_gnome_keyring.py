"""The vault on a real OS keyring: gnome-keyring's Secret Service on a private D-Bus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
        reason="needs dbus-run-session and gnome-keyring-daemon "
               "(apt-get install dbus-daemon gnome-keyring)",
    ),
]

CHILD = textwrap.dedent("""
    import json
    from tiktok_desktop.credentials.vault import StoredTokens, Vault
    vault = Vault("tiktok-desktop-e2e")
    vault.check()  # must accept the Secret Service backend as secure
    tokens = StoredTokens("act.e2e-access", "rft.e2e-refresh", 100, 200,
                          frozenset({"video.publish"}))
    vault.set_tokens("open-e2e", tokens)
    back = vault.tokens("open-e2e")
    vault.set_client_secret("e2e-client-secret")
    secret = vault.client_secret()
    vault.delete_tokens("open-e2e")
    print(json.dumps({"backend": vault.backend_name(), "same": back == tokens,
                      "secret": secret, "after_delete": vault.tokens("open-e2e") is None}))
""")

SCRIPT = """
set -e
eval "$(printf %s e2e-keyring-password | gnome-keyring-daemon --unlock --components=secrets)"
exec "$PYTHON" "$CHILD"
"""


def test_tokens_round_trip_through_gnome_keyring(tmp_path: Path) -> None:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env = {**env, "PYTHON": sys.executable, "CHILD": str(child),
           "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "share"),
           "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    (tmp_path / "run").mkdir(mode=0o700)
    result = subprocess.run(["dbus-run-session", "--", "bash", "-c", SCRIPT], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"backend": "keyring.backends.SecretService.Keyring", "same": True,
                      "secret": "e2e-client-secret", "after_delete": True}
    # The keyring file gnome-keyring wrote is encrypted: no token in clear text on disk.
    for f in (tmp_path / "share").rglob("*"):
        if f.is_file():
            assert b"rft.e2e-refresh" not in f.read_bytes()
