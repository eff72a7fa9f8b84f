"""The composition root on a shared schedule: PostgreSQL instead of the SQLite file, secrets
sealed in it, and the TikTok it talks to the same for every member, whatever each one's own
settings say."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.postgres import PgServer
from tests.helpers.shared_schedule import SECRET, use_home
from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import ModeKind, StartupError, build, decide_mode, shared_schedule
from tiktok_desktop.config import SettingsStore
from tiktok_desktop.credentials.shared_vault import SharedVault
from tiktok_desktop.credentials.vault import Vault
from tiktok_desktop.modes import vault_service
from tiktok_desktop.services.shared import SharedError
from tiktok_desktop.store.postgres import PgDatabase

APP_SECRET = "the-tiktok-app-secret-value"


@pytest.fixture
def url(pg_server: PgServer) -> Iterator[str]:
    name = pg_server.new_database()
    yield pg_server.url(name, password=SECRET)
    pg_server.drop_database(name)


def _tiktok_app(key: str) -> None:
    """This data folder set up for a TikTok app of its own (Settings → TikTok app)."""
    base = paths.resolve()
    store = SettingsStore(base.settings_file)
    settings = store.load()
    settings.client_key = key
    base.ensure()
    store.save(settings)
    Vault(vault_service(base, sandbox=False)).set_client_secret(APP_SECRET)


def test_a_schedule_made_with_a_tiktok_app_makes_every_member_use_that_app(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tiktok_app("awteamapp")
    joined = shared_schedule(decide_mode(paths.resolve())).init(url)
    assert joined.key is not None and joined.target.client_key == "awteamapp"
    base = paths.resolve()
    saved = SettingsStore(base.settings_file).load().shared_database
    assert saved and SECRET not in saved
    assert SECRET not in base.settings_file.read_text()
    assert Vault(vault_service(base, sandbox=False)).get_entry(
        f"database:{joined.where}") == SECRET  # the password went to the keyring

    # Bob has no TikTok app configured (his app alone would start the built-in sandbox),
    # and another one in his .env: the shared schedule decides.
    use_home(monkeypatch, tmp_path / "bob")
    Path(".env").write_text("TIKTOK_CLIENT_KEY=awbobsown\nTIKTOK_CLIENT_SECRET=bobs\n")
    shared_schedule(decide_mode(paths.resolve())).join(url, joined.key.text())
    graph = build(decide_mode(paths.resolve()), system=quiet_system())
    try:
        assert isinstance(graph.db, PgDatabase) and isinstance(graph.vault, SharedVault)
        assert graph.mode.kind is ModeKind.TIKTOK and not graph.sandbox
        assert graph.credentials_in_use.client_key == "awteamapp"
        assert graph.credentials_in_use.client_secret == APP_SECRET
        assert graph.where == "TikTok"
        assert graph.service_args() == []  # the settings name the schedule, it the TikTok
        # The app's secret is in the database only sealed.
        sealed = graph.db.conn().execute("SELECT sealed FROM shared_secrets").fetchall()
        assert sealed and all(APP_SECRET.encode() not in bytes(r[0]) for r in sealed)
    finally:
        graph.close()
    # A runner cannot be pointed at a sandbox instead.
    with pytest.raises(StartupError, match="not to a sandbox"):
        build(decide_mode(paths.resolve(), sandbox_url="http://127.0.0.1:9"),
              system=quiet_system())


def test_the_built_in_sandbox_cannot_be_shared_and_an_empty_database_is_no_schedule(
        url: str) -> None:
    schedule = shared_schedule(decide_mode(paths.resolve()))
    with pytest.raises(SharedError, match="sandbox serve") as info:
        schedule.init(url)
    assert SECRET not in str(info.value)
    with pytest.raises(StartupError, match="holds no shared schedule yet") as start:
        build(decide_mode(paths.resolve(), database=url), system=quiet_system())
    assert SECRET not in str(start.value)
    with pytest.raises(SharedError, match="holds no shared schedule yet"):
        schedule.join(url, "anything")
    with pytest.raises(StartupError, match="PostgreSQL URL"):
        decide_mode(paths.resolve(), database="db.example.com/schedule")
