"""The window's graph (bootstrap.build(defer=True), issue 16): the window is built and painted
on it before TikTok is reached, the keyring asked or this OS's parts made; reach() then does
what build() without defer does, and the engine is never made on an unchecked or damaged
database."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from tests.conftest import MemoryKeyring
from tests.helpers.system import quiet_system
from tests.ui.composer_support import show_active
from tiktok_desktop import paths
from tiktok_desktop.app import main_window
from tiktok_desktop.bootstrap import AppGraph, build, decide_mode
from tiktok_desktop.config import Settings, SettingsStore
from tiktok_desktop.credentials.vault import SandboxVault
from tiktok_desktop.store import AccountsRepo, Database, DatabaseCorrupt, NewPost, PostsRepo

NO_KEYRING = "No system keyring here: sandbox sign-ins last until the app quits."


class CountingKeyring(MemoryKeyring):
    """The suite's memory keyring, counting every read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.reads += 1
        return super().get_password(service, username)


@pytest.fixture
def deferred() -> Iterator[AppGraph]:
    graph = build(decide_mode(paths.resolve()), system=quiet_system(), defer=True)
    yield graph
    graph.close()


def test_the_window_paints_before_tiktok_is_reached(qtbot: QtBot,
                                                    deferred: AppGraph) -> None:
    window = main_window(deferred)
    qtbot.addWidget(window)
    show_active(qtbot, window)
    qtbot.waitUntil(lambda: window.service_watch is None or
                    window.service_watch.status is not None)  # asked once it painted
    assert not deferred.link.reached  # no sandbox started, no client made
    assert isinstance(deferred.vault, SandboxVault)
    assert deferred.vault.session_only is None  # keyring not asked
    assert deferred.reach() == []  # the suite's keyring is a secure one: nothing to say
    assert deferred.link.reached
    assert deferred.sandbox_server is not None
    assert deferred.vault.session_only is False
    # The services' clients are the ones made now: a sign-in starts at the sandbox.
    attempt = deferred.accounts.start_connect()
    try:
        assert attempt.authorize_url.startswith(deferred.endpoints.auth_base)
    finally:
        attempt.receiver.close()


def test_without_a_keyring_the_sandbox_keeps_sign_ins_for_the_session() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    graph = build(decide_mode(paths.resolve()), system=quiet_system(), defer=True)
    try:
        assert NO_KEYRING not in graph.notes
        assert graph.reach() == [NO_KEYRING]
        assert graph.reach() == []  # said once
        assert graph.notes.count(NO_KEYRING) == 1
        assert graph.vault.available()
        graph.vault.set_client_secret("kept in memory")
        assert graph.vault.client_secret() == "kept in memory"
    finally:
        graph.close()
    eager = build(decide_mode(paths.resolve()), system=quiet_system())  # the CLI's way
    try:
        assert NO_KEYRING in eager.notes
    finally:
        eager.close()


@pytest.mark.parametrize("force_sandbox", [False, True])
def test_without_a_client_key_the_start_does_not_read_the_keyring(force_sandbox: bool) -> None:
    counting = CountingKeyring()
    keyring.set_keyring(counting)
    mode = decide_mode(paths.resolve(), force_sandbox=force_sandbox)
    assert mode.sandbox
    assert counting.reads == 0
    # With a client key its secret is read, as before (a locked keyring then stops the
    # start: tests/credentials/test_vault_locked.py).
    SettingsStore(paths.resolve().settings_file).save(Settings(client_key="real-key"))
    decide_mode(paths.resolve(), force_sandbox=force_sandbox)
    assert counting.reads == 1


def test_no_engine_on_a_database_that_failed_its_check_later(
        caplog: pytest.LogCaptureFixture) -> None:
    mode = decide_mode(paths.resolve())
    mode.paths.ensure()
    db = Database.open(mode.paths.db_file)
    account = AccountsRepo(db).upsert_connected(
        open_id="open-1", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=frozenset(), access_expires_at=None, refresh_expires_at=None)
    for i in range(300):
        PostsRepo(db).create(NewPost(account_id=account.id, video_path=f"/v/{i}.mp4",
                                     video_size=1, caption="x" * 500))
    db.close()
    with contextlib.closing(sqlite3.connect(mode.paths.db_file)) as c:
        page = c.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(mode.paths.db_file.read_bytes())
    data[-3 * page:] = b"\xde\xad\xbe\xef" * (3 * page // 4)
    Path(mode.paths.db_file).write_bytes(bytes(data))
    graph = build(mode, system=quiet_system(), defer=True)
    try:
        with pytest.raises(DatabaseCorrupt):
            graph.engine()  # waits for the check, then refuses
    finally:
        graph.close()
    assert any("integrity" in r.getMessage() for r in caplog.records)
    caplog.clear()
