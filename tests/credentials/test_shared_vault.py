"""A shared schedule's secrets sealed in its database (issue 20), on a real SQLite file and a
real PostgreSQL database: what goes in comes out, and a wrong key, a changed row or a row
moved to another entry or schedule is refused with a message, never read as garbage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MemoryKeyring
from tests.helpers.postgres import PgServer
from tiktok_desktop.credentials.shared_vault import (
    SharedVault,
    copy_secrets,
    key_check,
    open_sealed,
    seal,
)
from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
from tiktok_desktop.credentials.team_keys import init_team
from tiktok_desktop.credentials.upload_links import UploadLinks
from tiktok_desktop.credentials.vault import StoredTokens, Vault, VaultError
from tiktok_desktop.store import Database
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.secrets import SealedSecret, SecretsRepo
from tiktok_desktop.store.shared_meta import SharedMeta

TOKENS = {
    "open-a": StoredTokens("act.alpha-access-0001", "rft.alpha-refresh-0001", 100, 200,
                           frozenset({"user.info.basic", "video.publish"})),
    "open-b": StoredTokens("act.bravo-access-0002", "rft.bravo-refresh-0002", 300, 400),
}
CLIENT_SECRET = "client-secret-value-0123456789"


@pytest.fixture(params=["sqlite", "postgresql"])
def schedule(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A schedule's database on each backend (the secrets live in PostgreSQL for real; the
    vault is written against the store's interface, so SQLite must work the same)."""
    if request.param == "sqlite":
        lite = Database.open(tmp_path / "schedule.sqlite3")
        yield lite
        lite.close()
        return
    from tiktok_desktop.store.postgres import PgDatabase

    server: PgServer = request.getfixturevalue("pg_server")
    name = server.new_database(request.getfixturevalue("pg_template"))
    pg = PgDatabase.open(server.url(name))
    yield pg
    pg.close()
    server.drop_database(name)


@pytest.fixture
def key(schedule: Backend) -> TeamKey:
    return init_team(schedule, Vault())


@pytest.fixture
def vault(schedule: Backend, key: TeamKey) -> SharedVault:
    shared = SharedVault(schedule, key)
    for open_id, tokens in TOKENS.items():
        shared.set_tokens(open_id, tokens)
    shared.set_client_secret(CLIENT_SECRET)
    return shared


def row(db: Backend, name: str) -> SealedSecret:
    sealed = SecretsRepo(db).get(name)
    assert sealed is not None
    return sealed


def test_what_is_stored_comes_back_and_only_sealed_bytes_are_in_the_database(
        vault: SharedVault, schedule: Backend, memory_keyring: MemoryKeyring) -> None:
    assert vault.available()
    assert vault.tokens("open-a") == TOKENS["open-a"]
    assert vault.tokens("open-b") == TOKENS["open-b"]
    assert vault.client_secret() == CLIENT_SECRET
    assert vault.tokens("nobody") is None
    assert "AES-256-GCM" in vault.backend_name() and vault.key.fingerprint() in \
        vault.backend_name()
    stored = b"".join(bytes(r[0]) + bytes(r[1]) for r in schedule.conn().execute(
        "SELECT nonce, sealed FROM shared_secrets"))
    assert len(SecretsRepo(schedule).names()) == 3
    for secret in (CLIENT_SECRET, *(v for t in TOKENS.values()
                                    for v in (t.access_token, t.refresh_token))):
        assert secret.encode() not in stored
    # Nothing but the team key went to the OS keyring: the secrets are the schedule's.
    assert [entry for (_, entry) in memory_keyring.entries] == [
        f"team-key:{vault.schedule_id}"]
    # An empty refresh token never replaces a stored one (Vault's rule holds here too).
    kept = vault.set_tokens("open-a", StoredTokens("act.new-access-9", "", 500))
    assert kept.refresh_token == TOKENS["open-a"].refresh_token
    assert vault.tokens("open-a") == kept
    vault.delete_tokens("open-a")
    vault.delete_tokens("open-a")  # already gone is fine
    assert vault.tokens("open-a") is None
    vault.set_client_secret("")
    assert vault.client_secret() is None


def test_each_seal_uses_a_new_nonce(vault: SharedVault, schedule: Backend) -> None:
    first = row(schedule, "client-secret")
    vault.set_client_secret(CLIENT_SECRET)
    again = row(schedule, "client-secret")
    assert first.nonce != again.nonce and first.sealed != again.sealed
    assert vault.client_secret() == CLIENT_SECRET


def test_a_wrong_key_is_refused_before_any_secret_is_read(
        vault: SharedVault, schedule: Backend) -> None:
    stranger = SharedVault(schedule, TeamKey.generate())
    assert not stranger.available()
    with pytest.raises(TeamKeyError, match="does not open this shared schedule") as info:
        stranger.client_secret()
    assert vault.key.fingerprint() in str(info.value)  # the key it needs, to compare aloud
    assert stranger.key.fingerprint() in str(info.value)
    with pytest.raises(TeamKeyError):
        stranger.set_client_secret("overwrite")
    assert vault.client_secret() == CLIENT_SECRET


def test_a_row_sealed_with_another_key_is_named_not_read(
        vault: SharedVault, schedule: Backend) -> None:
    other = TeamKey.generate()
    sealed = row(schedule, "account:open-a")
    with pytest.raises(VaultError, match="sealed with the team key") as info:
        open_sealed(other, vault.schedule_id, "account:open-a", sealed)
    assert "sign-in of account open-a" in str(info.value)
    # Even with the other key's fingerprint forged onto the row, the tag refuses it.
    forged = SealedSecret(sealed.nonce, sealed.sealed, other.fingerprint())
    with pytest.raises(VaultError, match="changed outside TikTok Desktop"):
        open_sealed(other, vault.schedule_id, "account:open-a", forged)


def _overwrite(db: Backend, name: str, sealed: SealedSecret) -> None:
    with db.transaction() as c:
        c.execute("UPDATE shared_secrets SET nonce = ?, sealed = ?, key_id = ? WHERE name = ?",
                  (sealed.nonce, sealed.sealed, sealed.key_id, name))


def _flip(data: bytes, i: int) -> bytes:
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def test_a_changed_nonce_or_ciphertext_is_refused_never_garbage(
        vault: SharedVault, schedule: Backend) -> None:
    good = row(schedule, "client-secret")
    changed = [
        *(SealedSecret(_flip(good.nonce, i), good.sealed, good.key_id)
          for i in range(len(good.nonce))),
        *(SealedSecret(good.nonce, _flip(good.sealed, i), good.key_id)
          for i in range(len(good.sealed))),
        SealedSecret(good.nonce, good.sealed[:-1], good.key_id),
        SealedSecret(good.nonce, b"", good.key_id),
        SealedSecret(good.nonce[:8], good.sealed, good.key_id),
    ]
    for bad in changed:
        _overwrite(schedule, "client-secret", bad)
        with pytest.raises(VaultError, match=r"client secret in the shared schedule does not "
                                             r"open.*enter the client secret again"):
            vault.client_secret()
    _overwrite(schedule, "client-secret", good)
    assert vault.client_secret() == CLIENT_SECRET


def test_a_row_copied_onto_another_entry_is_refused(
        vault: SharedVault, schedule: Backend) -> None:
    """The entry name is associated data: account a's tokens copied onto account b (or onto
    the client secret) do not open, so nobody with database access can swap sign-ins."""
    a = row(schedule, "account:open-a")
    _overwrite(schedule, "account:open-b", a)
    _overwrite(schedule, "client-secret", a)
    with pytest.raises(VaultError, match=r"sign-in of account open-b.*does not open.*"
                                         r"reconnect the account"):
        vault.tokens("open-b")
    with pytest.raises(VaultError, match="client secret"):
        vault.client_secret()
    assert vault.tokens("open-a") == TOKENS["open-a"]


def test_a_row_from_another_schedule_with_the_same_key_is_refused(
        vault: SharedVault, schedule: Backend, tmp_path: Path) -> None:
    """The schedule id is associated data too: a key used for two schedules (a copy, a
    mistake) cannot carry one schedule's secrets into the other."""
    elsewhere = Database.open(tmp_path / "elsewhere.sqlite3")
    try:
        meta = SharedMeta(elsewhere)
        assert meta.schedule_id() != vault.schedule_id
        meta.set_key_check(key_check(vault.key, meta.schedule_id()))
        there = SharedVault(elsewhere, vault.key)
        SecretsRepo(elsewhere).put("client-secret", row(schedule, "client-secret"))
        with pytest.raises(VaultError, match="does not open"):
            there.client_secret()
        there.set_client_secret("its own")
        assert there.client_secret() == "its own"
        # And this schedule's key check does not vouch for the key elsewhere.
        with elsewhere.transaction() as c:
            c.execute("UPDATE shared_meta SET value = ? WHERE name = 'key_check'",
                      (schedule.conn().execute("SELECT value FROM shared_meta WHERE "
                                               "name = 'key_check'").fetchone()[0],))
        with pytest.raises(TeamKeyError, match="does not open this shared schedule"):
            SharedVault(elsewhere, vault.key).check()
    finally:
        elsewhere.close()


def test_messages_never_hold_a_secret_or_the_key(vault: SharedVault, schedule: Backend) -> None:
    messages = []
    good = row(schedule, "account:open-a")
    _overwrite(schedule, "account:open-a", SealedSecret(good.nonce, _flip(good.sealed, 3),
                                                         good.key_id))
    with pytest.raises(VaultError) as info:
        vault.tokens("open-a")
    messages.append(str(info.value))
    with pytest.raises(VaultError) as info:
        SharedVault(schedule, TeamKey.generate()).tokens("open-b")
    messages.append(str(info.value))
    for message in messages:
        for secret in (vault.key.text(), vault.key.raw.hex(), CLIENT_SECRET,
                       *(t.refresh_token for t in TOKENS.values())):
            assert secret not in message


def test_a_shared_vault_never_touches_the_keyring(vault: SharedVault) -> None:
    with pytest.raises(VaultError, match="not in the system keyring"):
        _ = vault.backend


def test_secrets_move_to_the_shared_schedule_and_back(
        schedule: Backend, key: TeamKey, memory_keyring: MemoryKeyring) -> None:
    local = Vault()
    for open_id, tokens in TOKENS.items():
        local.set_tokens(open_id, tokens)
    local.set_client_secret(CLIENT_SECRET)
    shared = SharedVault(schedule, key)
    assert copy_secrets(local, shared, [*TOKENS, "never-signed-in"]) == 3
    assert {o: shared.tokens(o) for o in TOKENS} == TOKENS
    assert shared.client_secret() == CLIENT_SECRET
    assert local.tokens("open-a") == TOKENS["open-a"]  # copying removes nothing
    back = Vault("tiktok-desktop-back")
    assert copy_secrets(shared, back, TOKENS) == 3
    assert {o: back.tokens(o) for o in TOKENS} == TOKENS
    assert back.client_secret() == CLIENT_SECRET
    assert ("tiktok-desktop-back", "account:open-b") in memory_keyring.entries


def test_an_upload_link_is_kept_for_any_runner_and_named_when_damaged(
        vault: SharedVault, schedule: Backend) -> None:
    """UploadLinks keep a post's upload URL in the vault, so a runner that takes over a
    stopped upload can resume it; sealed like every other entry."""
    links = UploadLinks(vault)
    links.put(7, "pub-1", "https://upload.example/v/abc?sig=secret-signature")
    assert links.get(7, "pub-1") == "https://upload.example/v/abc?sig=secret-signature"
    good = row(schedule, "upload-url:7")
    _overwrite(schedule, "upload-url:7", SealedSecret(good.nonce, _flip(good.sealed, 0),
                                                       good.key_id))
    with pytest.raises(VaultError, match="upload link of post 7"):
        vault.get_entry("upload-url:7")
    links.delete(7)
    assert links.get(7, "pub-1") is None


def test_sealing_binds_the_entry_and_kind(key: TeamKey) -> None:
    sealed = seal(key, "s1", "account:x", b"value")
    assert open_sealed(key, "s1", "account:x", sealed) == b"value"
    for schedule_id, name, kind in (("s2", "account:x", "secret"), ("s1", "account:y", "secret"),
                                    ("s1", "account:x", "key-check")):
        with pytest.raises(VaultError):
            open_sealed(key, schedule_id, name, sealed, kind=kind)
