"""Where a computer gets a shared schedule's team key: made by whoever creates it, entered
once by everyone who joins (the OS keyring keeps it), or, on a runner with no keyring, read
from a file only its user can read (TIKTOK_DESKTOP_TEAM_KEY_FILE or systemd's
LoadCredential=)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from tests.helpers.lockable_keyring import LockableKeyring
from tests.helpers.postgres import PgServer
from tiktok_desktop.credentials.shared_vault import SharedVault, key_check
from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
from tiktok_desktop.credentials.team_keys import (
    CREDENTIAL_NAME,
    KEY_FILE_ENV,
    init_team,
    join_team,
    keyring_entry,
    team_key,
)
from tiktok_desktop.credentials.vault import NoSecureBackend, Vault, VaultError
from tiktok_desktop.logging_setup import REDACTOR
from tiktok_desktop.store import Database
from tiktok_desktop.store.shared_meta import SharedMeta


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    # A real SQLite file: these rules do not depend on the backend (the vault's tests run
    # on PostgreSQL too, tests/credentials/test_shared_vault.py).
    lite = Database.open(tmp_path / "schedule.sqlite3")
    yield lite
    lite.close()


def key_file(folder: Path, text: str, mode: int = 0o600, name: str = "team.key") -> Path:
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_init_makes_a_key_keeps_it_in_the_keyring_and_refuses_a_second(db: Database) -> None:
    vault = Vault()
    key = init_team(db, vault)
    schedule_id = SharedMeta(db).schedule_id()
    assert vault.get_entry(f"team-key:{schedule_id}") == key.text()
    assert team_key(db, vault, environ={}) == key
    with pytest.raises(TeamKeyError, match="already has a team key") as info:
        init_team(db, Vault("another-computer"))
    assert key.fingerprint() in str(info.value) and "join" in str(info.value)
    assert team_key(db, vault, environ={}) == key  # the first key still opens it


def test_init_without_a_keyring_writes_nothing(db: Database) -> None:
    with pytest.raises(NoSecureBackend):
        init_team(db, Vault(backend=keyring.backends.fail.Keyring()))
    assert SharedMeta(db).key_check() is None


def test_init_that_the_keyring_refuses_is_undone(db: Database) -> None:
    """A key check with no key kept anywhere would lock everyone out for good."""
    locked = LockableKeyring()
    keyring.set_keyring(locked)
    locked.locked = True
    with pytest.raises(VaultError, match="Unlock your keyring"):
        init_team(db, Vault())
    assert SharedMeta(db).key_check() is None
    locked.locked = False
    assert init_team(db, Vault()) == team_key(db, Vault(), environ={})


def test_joining_checks_the_key_opens_this_schedule_then_keeps_it(db: Database) -> None:
    key = init_team(db, Vault())
    member = Vault("member")  # another computer's keyring
    assert team_key(db, member, environ={}) is None  # not joined yet
    with pytest.raises(TeamKeyError, match="does not open this shared schedule") as info:
        join_team(db, TeamKey.generate().text(), member)
    assert key.fingerprint() in str(info.value)
    text = key.text()
    with pytest.raises(TeamKeyError, match="typo in group 3"):
        join_team(db, text[:12] + ("0" if text[12] != "0" else "1") + text[13:], member)
    assert team_key(db, member, environ={}) is None  # nothing kept from a failed join
    assert join_team(db, text.lower().replace("-", " "), member) == key
    assert team_key(db, member, environ={}) == key
    assert SharedVault(db, team_key(db, member, environ={}) or key).available()


def test_joining_a_schedule_without_a_key_says_to_create_it(db: Database) -> None:
    with pytest.raises(TeamKeyError, match=r"no team key yet. Create it first"):
        join_team(db, TeamKey.generate().text(), Vault())


def test_a_damaged_keyring_entry_says_join_again(db: Database) -> None:
    init_team(db, Vault())
    Vault().set_entry(keyring_entry(SharedMeta(db).schedule_id()), "not a key")
    with pytest.raises(TeamKeyError, match=r"keyring is damaged. Join the shared schedule"):
        team_key(db, Vault(), environ={})


def test_a_runner_reads_the_key_from_its_own_file(db: Database, tmp_path: Path) -> None:
    key = init_team(db, Vault())
    no_keyring = Vault(backend=keyring.backends.fail.Keyring())
    path = key_file(tmp_path, key.text())
    assert team_key(db, no_keyring, environ={KEY_FILE_ENV: str(path)}) == key
    # systemd's LoadCredential=tiktok-desktop-team-key:... puts it in $CREDENTIALS_DIRECTORY.
    creds = tmp_path / "creds"
    creds.mkdir()
    key_file(creds, key.text(), mode=0o400, name=CREDENTIAL_NAME)
    assert team_key(db, no_keyring, environ={"CREDENTIALS_DIRECTORY": str(creds)}) == key
    # The named file comes first; a credentials folder without our key is not used.
    other = key_file(tmp_path, TeamKey.generate().text(), name="other.key")
    with pytest.raises(TeamKeyError, match="does not open this shared schedule"):
        team_key(db, no_keyring, environ={KEY_FILE_ENV: str(other),
                                          "CREDENTIALS_DIRECTORY": str(creds)})
    empty = tmp_path / "empty-creds"
    empty.mkdir()
    with pytest.raises(TeamKeyError, match=f"no system keyring.*{KEY_FILE_ENV}.*"
                                           f"LoadCredential={CREDENTIAL_NAME}"):
        team_key(db, no_keyring, environ={"CREDENTIALS_DIRECTORY": str(empty)})


@pytest.mark.skipif(os.name == "nt", reason="Windows files have ACLs, not mode bits")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644, 0o660])
def test_a_key_file_others_can_read_or_change_is_refused(
        db: Database, tmp_path: Path, mode: int) -> None:
    key = init_team(db, Vault())
    path = key_file(tmp_path, key.text(), mode=mode)
    with pytest.raises(TeamKeyError, match=f"other users.*mode {mode:o}.*chmod 600 {path}"):
        team_key(db, Vault(), environ={KEY_FILE_ENV: str(path)})


def test_a_missing_or_wrong_key_file_says_what_to_do(db: Database, tmp_path: Path) -> None:
    key = init_team(db, Vault())
    env = {KEY_FILE_ENV: str(tmp_path / "nowhere.key")}
    with pytest.raises(TeamKeyError, match=r"does not exist.*chmod 600"):
        team_key(db, Vault(), environ=env)
    typo = key.text()[:-1] + ("0" if key.text()[-1] != "0" else "1")
    path = key_file(tmp_path, typo)
    with pytest.raises(TeamKeyError, match=f"{path} does not hold a usable team key: The team "
                                           "key has a typo in group 13") as info:
        team_key(db, Vault(), environ={KEY_FILE_ENV: str(path)})
    assert key.text()[:5] not in str(info.value)
    with pytest.raises(TeamKeyError, match="not a regular file"):
        team_key(db, Vault(), environ={KEY_FILE_ENV: str(tmp_path)})
    big = key_file(tmp_path, "A" * 5000, name="big.key")
    with pytest.raises(TeamKeyError, match="far larger than a team key"):
        team_key(db, Vault(), environ={KEY_FILE_ENV: str(big)})


def test_a_loaded_key_is_masked_in_the_logs(db: Database, tmp_path: Path) -> None:
    """Read from a key file in a fresh process, the key is registered with the redactor."""
    key = TeamKey(os.urandom(32))  # made here without generate(): not registered yet
    text = key.text()
    assert REDACTOR.redact(f"key {text}") == f"key {text}"
    SharedMeta(db).set_key_check(key_check(key, SharedMeta(db).schedule_id()))
    path = key_file(tmp_path, text)
    assert team_key(db, Vault(), environ={KEY_FILE_ENV: str(path)}) == key
    assert REDACTOR.redact(f"key {text}") == "key ***"
    assert text.replace("-", "") not in REDACTOR.redact(f"pasted {text.replace('-', '')}")


def test_two_people_creating_the_team_key_at_once_get_one_key(
        pg_server: PgServer, pg_template: str) -> None:
    """On the shared server: one creation wins, the other is told to join with that key."""
    from tiktok_desktop.store.postgres import PgDatabase

    name = pg_server.new_database(pg_template)
    dbs = [PgDatabase.open(pg_server.url(name)) for _ in range(2)]
    barrier = threading.Barrier(2)
    made: list[TeamKey] = []
    refused: list[str] = []

    def create(db: PgDatabase, who: str) -> None:
        barrier.wait(timeout=30)
        try:
            made.append(init_team(db, Vault(who)))
        except TeamKeyError as exc:
            refused.append(str(exc))

    try:
        threads = [threading.Thread(target=create, args=(db, f"person-{i}"))
                   for i, db in enumerate(dbs)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert len(made) == 1 and len(refused) == 1
        assert "already has a team key" in refused[0] and made[0].fingerprint() in refused[0]
        # The winner's keyring keeps the key; the other's keeps nothing.
        kept = [team_key(dbs[0], Vault(f"person-{i}"), environ={}) for i in range(2)]
        assert sorted(kept, key=lambda k: k is None) == [made[0], None]
        assert SharedVault(dbs[0], made[0]).available()
    finally:
        for db in dbs:
            db.close()
        pg_server.drop_database(name)
