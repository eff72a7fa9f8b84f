"""Issue 20's "done means" for secrets: a dump of a shared schedule's database holds none of
them. Tokens of several accounts and the client secret go in through SharedVault, PostgreSQL's
own pg_dump dumps the database, and the dump's text is searched for every stored value and
every value in the keyring (the team key) in each form a dump could show it: as text, as
bytea's hex, as base64. A control stores the same values in the clear and the same search
must find every one of them, so the search is known to be able to fail."""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import MemoryKeyring
from tests.helpers.postgres import PgServer
from tiktok_desktop.credentials.shared_vault import SharedVault
from tiktok_desktop.credentials.team_key import TeamKey
from tiktok_desktop.credentials.team_keys import init_team
from tiktok_desktop.credentials.vault import StoredTokens, Vault
from tiktok_desktop.store import AccountsRepo
from tiktok_desktop.store.postgres import PgDatabase
from tiktok_desktop.store.secrets import SealedSecret, SecretsRepo

ACCOUNTS = {
    f"open-{n}": StoredTokens(f"act.access-token-of-account-{n}-x9Qz",
                              f"rft.refresh-token-of-account-{n}-k7Wp", 1000 + n, 2000 + n,
                              frozenset({"video.publish"}))
    for n in range(1, 4)
}
CLIENT_SECRET = "s3cr3t-client-value-Hn4Lq8"


@pytest.fixture
def shared(pg_server: PgServer, pg_template: str) -> Iterator[tuple[PgDatabase, str]]:
    name = pg_server.new_database(pg_template)
    db = PgDatabase.open(pg_server.url(name))
    yield db, name
    db.close()
    pg_server.drop_database(name)


def pg_dump(server: PgServer, name: str) -> str:
    """The database as PostgreSQL's own pg_dump writes it (plain SQL, COPY data)."""
    # Beside the server's own pg_ctl (it may be a link on PATH into Debian's versioned
    # folder), so the dump tool is the server's version.
    tool = (server.bindir / "pg_ctl").resolve().parent / "pg_dump"
    assert tool.exists(), f"{tool} is missing: apt-get install postgresql"
    # Over TCP to 127.0.0.1 with the test server's trust rule: no user switch is needed.
    result = subprocess.run([str(tool), "--format=plain", "--no-owner", "--dbname",
                             server.url(name)], capture_output=True, text=True, timeout=120,
                            check=True)
    assert "COPY public.shared_secrets" in result.stdout
    return result.stdout


def forms(value: str | bytes) -> set[str]:
    """The ways a dump could show ``value``: itself (text), bytea's hex (as pg_dump writes
    it, lowercase), base64 in both alphabets."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    shown = {raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    if isinstance(value, str):
        shown.add(value)
    return shown


def secrets_of(keyring_entries: dict[tuple[str, str], str], key: TeamKey) -> dict[str, set[str]]:
    """What must not appear, by a name that may (a failure names what leaked, not its value)."""
    wanted: dict[str, set[str]] = {"client secret": forms(CLIENT_SECRET)}
    for open_id, tokens in ACCOUNTS.items():
        wanted[f"{open_id} access token"] = forms(tokens.access_token)
        wanted[f"{open_id} refresh token"] = forms(tokens.refresh_token)
        wanted[f"{open_id} tokens as stored"] = forms(tokens.to_json())
    for (service, entry), value in keyring_entries.items():
        wanted[f"keyring {service}/{entry}"] = forms(value)
    wanted["team key text"] = forms(key.text()) | forms(key.text().replace("-", ""))
    wanted["team key bytes"] = forms(key.raw)
    return wanted


def leaked(dump: str, wanted: dict[str, set[str]]) -> list[str]:
    return sorted(name for name, shown in wanted.items() if any(f in dump for f in shown))


def test_a_dump_of_the_shared_schedule_holds_no_secret(
        shared: tuple[PgDatabase, str], pg_server: PgServer,
        memory_keyring: MemoryKeyring) -> None:
    db, name = shared
    key = init_team(db, Vault())
    vault = SharedVault(db, key)
    accounts = AccountsRepo(db)
    for open_id, tokens in ACCOUNTS.items():
        accounts.upsert_connected(
            open_id=open_id, display_name=f"Creator {open_id}", username=open_id,
            avatar_url="", granted_scopes=sorted(tokens.scopes),
            access_expires_at=tokens.access_expires_at,
            refresh_expires_at=tokens.refresh_expires_at)
        vault.set_tokens(open_id, tokens)
    vault.set_client_secret(CLIENT_SECRET)
    assert {o: vault.tokens(o) for o in ACCOUNTS} == ACCOUNTS  # really stored, readable

    dump = pg_dump(pg_server, name)
    wanted = secrets_of(memory_keyring.entries, key)
    assert any(name.startswith("keyring ") for name in wanted)  # the team key's entry
    assert leaked(dump, wanted) == []
    # What the dump does hold: the accounts, and sealed rows named by their key's fingerprint.
    assert "Creator open-1" in dump and key.fingerprint() in dump
    assert sum(line.startswith(("account:", "client-secret\t"))
               for line in dump.splitlines()) == len(ACCOUNTS) + 1


def test_the_search_finds_secrets_stored_in_the_clear(
        shared: tuple[PgDatabase, str], pg_server: PgServer,
        memory_keyring: MemoryKeyring) -> None:
    """The control: the same values written unsealed, as bytea in shared_secrets and as text
    in shared_meta, are each found by the same search."""
    db, name = shared
    key = TeamKey.generate()
    Vault().set_entry("team-key:control", key.text())
    repo = SecretsRepo(db)
    clear = {f"account:{o}": t.to_json() for o, t in ACCOUNTS.items()}
    clear["client-secret"] = CLIENT_SECRET
    for entry, value in clear.items():
        repo.put(entry, SealedSecret(b"\x00" * 12, value.encode(), "clear"))
    with db.transaction() as c:
        c.execute("INSERT INTO shared_meta (name, value) VALUES (?, ?), (?, ?)",
                  ("team key", key.text(), "team key raw", base64.b64encode(key.raw).decode()))
    dump = pg_dump(pg_server, name)
    wanted = secrets_of(memory_keyring.entries, key)
    assert leaked(dump, wanted) == sorted(wanted)
