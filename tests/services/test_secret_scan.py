"""After a full connect / refresh / disconnect cycle, no secret is in the database or logs."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MemoryKeyring
from tests.helpers.browser import play_consent
from tests.helpers.clock import FakeClock
from tiktok_desktop.logging_setup import REDACTOR, setup_logging
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService


@pytest.fixture
def file_logging(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    log_file = setup_logging(tmp_path / "logs", level=logging.DEBUG)
    assert log_file is not None
    yield log_file
    for h in list(root.handlers):
        if h not in before[0]:
            root.removeHandler(h)
            h.close()
    root.setLevel(before[1])


def test_no_secret_reaches_sqlite_or_logs(
    accounts: AccountsService, sandbox: SandboxServer, clock: FakeClock,
    memory_keyring: MemoryKeyring, file_logging: Path, tmp_path: Path,
) -> None:
    REDACTOR.add_secret(sandbox.app.client_secret)  # as the app does at start-up
    secrets: set[str] = {sandbox.app.client_secret}

    attempt = accounts.start_connect()
    secrets.add(attempt.code_verifier)
    redirect = play_consent(attempt.authorize_url, follow=False).headers["location"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0]
    secrets.add(code)
    assert httpx.get(redirect).status_code == 200
    account = accounts.finish_connect(attempt).account

    def remember_tokens() -> None:
        stored = accounts.tokens.vault.tokens(account.open_id)
        assert stored is not None
        secrets.update({stored.access_token, stored.refresh_token})

    remember_tokens()
    clock.advance(86400)  # expired: the next use refreshes (rotation)
    accounts.access_token(account.id)
    remember_tokens()
    accounts.refresh_info(account.id)
    # Errors are logged too: a refresh that TikTok refuses must not leak the token it used.
    logging.getLogger("test").info("stored tokens: %s", memory_keyring.entries)
    assert accounts.disconnect(account.id) is None

    assert len(secrets) >= 7
    db_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("app.sqlite3*"))
    log_text = "".join(p.read_text() for p in file_logging.parent.glob("*.log*"))
    assert "connected" in log_text and "refreshed" in log_text  # the log is real
    for secret in secrets:
        assert secret.encode() not in db_bytes, "a secret reached the database"
        assert secret not in log_text, "a secret reached the log"
