"""A shared schedule in PostgreSQL (issue 20): test an address, create one, join one, say how
this computer stands with it, and move this computer's own schedule there and back.

Used by ``tiktok-desktop shared ...`` (cli/shared.py) and the Settings page; no Qt. Every
message names the database by user@host:port/name and never holds its password, which lives
in the OS keyring (entry ``database:<user@host:port/name>``), or, on a runner without one, in
libpq's own ~/.pgpass or PGPASSWORD.

Which TikTok a shared schedule talks to is the schedule's, the same for every member and
runner (shared_target.py): whoever creates it decides, with the TikTok their app uses then.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tiktok_desktop.config import SettingsStore
from tiktok_desktop.credentials.vault import Vault, VaultError
from tiktok_desktop.logging_setup import REDACTOR
from tiktok_desktop.paths import AppPaths
from tiktok_desktop.services.shared_copy import copy_schedule, counts_of
from tiktok_desktop.services.shared_target import SharedTarget, read_target, write_target
from tiktok_desktop.store.db import Database, StoreError
from tiktok_desktop.store.pg_address import Address, AddressError, parse_address

if TYPE_CHECKING:
    from tiktok_desktop.credentials.team_key import TeamKey
    from tiktok_desktop.store.backend import Backend
    from tiktok_desktop.store.postgres import PgDatabase

__all__ = ["Joined", "Moved", "Probe", "SharedError", "SharedSchedule", "SharedStatus",
           "open_shared"]

log = logging.getLogger(__name__)


class SharedError(StoreError):
    """A shared-schedule step cannot be done as asked; the message says what to do."""


def password_for(address: Address, keyring: Vault) -> str:
    """The password to connect with: the one typed with the address, else the keyring's;
    "" leaves it to libpq (~/.pgpass, PGPASSWORD) or a server that asks none."""
    password = address.password
    if not password:
        with contextlib.suppress(VaultError):  # no keyring (a runner): libpq's own ways
            password = keyring.get_entry(address.keyring_entry) or ""
    if password:
        REDACTOR.add_secret(password)
    return password


def open_shared(address: Address, keyring: Vault, *, clock: Callable[[], float] = time.time,
                timeout: float = 10.0) -> PgDatabase:
    """The shared schedule at ``address``, opened and migrated (DatabaseUnreachable,
    DatabaseTooNew, StoreError: each says what to do)."""
    from tiktok_desktop.store.postgres import PgDatabase  # noqa: PLC0415 - psycopg on demand

    return PgDatabase.open(address.with_password(password_for(address, keyring)),
                           clock=clock, timeout=timeout)


# -- what the methods return ---------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """What ``test`` found at an address. ``ok``: it can hold (or holds) a shared schedule."""

    ok: bool
    message: str
    where: str = ""
    holds_schedule: bool = False  # already a TikTok Desktop schedule: join it
    schema: int = 0


@dataclass(frozen=True)
class Joined:
    """This computer now uses the shared schedule at ``where``."""

    where: str
    target: SharedTarget
    fingerprint: str  # the team key's, not secret: compare it aloud
    key: TeamKey | None = field(default=None, repr=False)  # init only: shown once


@dataclass(frozen=True)
class SharedStatus:
    where: str  # "" when this computer uses its own schedule
    reachable: bool = False
    problem: str = ""  # why it cannot be used now
    target: SharedTarget | None = None
    joined: bool = False  # this computer has a team key that opens it
    fingerprint: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    local_file: str = ""


@dataclass(frozen=True)
class Moved:
    where: str  # the shared schedule
    counts: dict[str, int]  # rows copied per table
    videos: int
    secrets: int
    local_file: str  # move_here: the local file copied from; move_back: the new one
    set_aside: str = ""  # move_back: where the earlier local file was put


# -- the service ----------------------------------------------------------------------------

class SharedSchedule:
    """Set-up of a shared schedule for one data folder.

    ``local_paths``: the profile whose SQLite file is this computer's own schedule (the
    sandbox's when in sandbox mode); ``keyring``: the data folder's keyring vault (the
    database password, the team key); ``local_vault``: where the local schedule's account
    tokens live; ``app_vault``: the TikTok app's client secret; ``target``: which TikTok
    this app talks to (None: the built-in sandbox, which nobody else can reach);
    ``settings_store``: where ``shared_database`` is kept.
    """

    def __init__(self, *, local_paths: AppPaths, settings_store: SettingsStore,
                 keyring: Vault, local_vault: Vault, app_vault: Vault,
                 target: SharedTarget | None, clock: Callable[[], float] = time.time,
                 environ: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.local_paths = local_paths
        self.settings_store = settings_store
        self.keyring = keyring
        self.local_vault = local_vault
        self.app_vault = app_vault
        self.target = target
        self.clock = clock
        self.environ = os.environ if environ is None else environ
        self.timeout = timeout

    # -- addresses --------------------------------------------------------------------------

    @property
    def configured(self) -> str:
        """The shared schedule's address in the settings ("" for the local schedule)."""
        return self.settings_store.load().shared_database

    @staticmethod
    def _address(url: str) -> Address:
        try:
            return parse_address(url)
        except AddressError as exc:
            raise SharedError(str(exc)) from None

    @contextlib.contextmanager
    def _open(self, address: Address) -> Iterator[PgDatabase]:
        db = open_shared(address, self.keyring, clock=self.clock, timeout=self.timeout)
        try:
            yield db
        finally:
            db.close()

    def _remember(self, address: Address) -> None:
        """This computer uses ``address`` from now on: the password into the keyring (only
        when one was typed; a runner's may live in ~/.pgpass), the rest into settings."""
        self._keep_password(address)
        self._save_setting(address.url)

    def _keep_password(self, address: Address) -> None:
        if address.password:
            try:
                self.keyring.set_entry(address.keyring_entry, address.password)
            except VaultError as exc:
                raise SharedError(
                    f"The password of {address.where} could not be kept in the system "
                    f"keyring: {exc} Unlock the keyring, or leave the password out of the "
                    "address and put it in ~/.pgpass (PostgreSQL's password file).") from None

    def _save_setting(self, url: str) -> None:
        settings = self.settings_store.load()
        settings.shared_database = url
        self.settings_store.save(settings)

    # -- test -------------------------------------------------------------------------------

    def test(self, url: str) -> Probe:
        """Can this computer use ``url`` for a shared schedule? Reaches the server, checks its
        version, encoding and this user's rights, and whether it holds a schedule already;
        changes nothing. Never raises for what it finds: ``message`` says it."""
        try:
            address = self._address(url)
        except SharedError as exc:
            return Probe(False, str(exc))
        from tiktok_desktop.services.shared_probe import probe  # noqa: PLC0415

        ok, message, holds, schema = probe(address.with_password(
            password_for(address, self.keyring)), address.where, self.timeout)
        return Probe(ok, message, address.where, holds, schema)

    # -- create and join --------------------------------------------------------------------

    def init(self, url: str) -> Joined:
        """Create a shared schedule at ``url`` (an empty database, or one whose schedule has
        no team key yet): its tables, its team key (returned once, in ``key``: give it to
        every member and runner) and which TikTok it talks to (this app's)."""
        from tiktok_desktop.credentials.shared_vault import SharedVault  # noqa: PLC0415
        from tiktok_desktop.credentials.team_keys import init_team  # noqa: PLC0415

        address = self._address(url)
        target = self._own_target()
        self._keep_password(address)  # first: a keyring that refuses stops it all
        with self._open(address) as db:
            existing = read_target(db)
            if existing is not None and existing != target:
                raise SharedError(
                    f"The shared schedule at {address.where} talks to {existing.words}, not "
                    f"to {target.words} as this app does. Join it instead "
                    "('tiktok-desktop shared join').")
            with db.transaction():
                key = init_team(db, self.keyring)
                write_target(db, target)
                if target.client_key:
                    secret = self.app_vault.client_secret()
                    if secret:
                        SharedVault(db, key).set_client_secret(secret)
        self._remember(address)
        log.info("created the shared schedule at %s (%s)", address.where, target.words)
        return Joined(address.where, target, key.fingerprint(), key)

    def join(self, url: str, key_text: str) -> Joined:
        """Use the shared schedule at ``url`` from this computer, with its team key (checked
        against the schedule before anything is kept)."""
        from tiktok_desktop.credentials.team_keys import join_team  # noqa: PLC0415

        address = self._address(url)
        self._keep_password(address)  # first: a keyring that refuses stops it all
        with self._open(address) as db:
            target = read_target(db)
            if target is None:
                raise SharedError(
                    f"The database {address.where} holds no shared schedule yet. Create one "
                    "there first ('tiktok-desktop shared init'), or check the address.")
            key = join_team(db, key_text, self.keyring)
        self._remember(address)
        return Joined(address.where, target, key.fingerprint())

    def leave(self) -> None:
        """Use this computer's own schedule again (the shared one is left as it is)."""
        self._save_setting("")

    # -- status -----------------------------------------------------------------------------

    def status(self) -> SharedStatus:
        """How this computer stands with its shared schedule (or that it has none)."""
        url = self.configured
        local = str(self.local_paths.db_file)
        if not url:
            return SharedStatus("", local_file=local)
        address = self._address(url)
        try:
            with self._open(address) as db:
                target = read_target(db)
                counts = counts_of(db)
                try:
                    key = self._team_key(db)
                except VaultError as exc:
                    return SharedStatus(address.where, True, str(exc), target, counts=counts,
                                        local_file=local)
                return SharedStatus(address.where, True, "", target, key is not None,
                                    key.fingerprint() if key else "", counts, local)
        except StoreError as exc:
            return SharedStatus(address.where, False, str(exc), local_file=local)

    def _team_key(self, db: Backend) -> TeamKey | None:
        from tiktok_desktop.credentials.team_keys import team_key  # noqa: PLC0415

        return team_key(db, self.keyring, self.environ)

    def _own_target(self) -> SharedTarget:
        if self.target is None:
            raise SharedError(
                "A shared schedule needs one TikTok that every member and runner reaches, and "
                "the built-in sandbox lives inside this app. Set up your TikTok app in "
                "Settings first, or (to try it out) run 'tiktok-desktop sandbox serve' on a "
                "computer everyone reaches and start the app with --sandbox-url.")
        return self.target

    # -- moving -----------------------------------------------------------------------------

    def move_here(self, url: str) -> Moved:
        """Copy this computer's own schedule into the (empty) shared schedule at ``url``:
        accounts, posts and their history, queues, snippets, statistics, videos and
        secrets, in one transaction (all or nothing). The local file is not changed; it
        stays until you remove it. This computer uses the shared schedule afterwards."""
        from tiktok_desktop.credentials.shared_vault import SharedVault, copy_secrets  # noqa: PLC0415
        from tiktok_desktop.services.shared_videos import put_videos, rename_videos  # noqa: PLC0415

        address = self._address(url)
        target = self._own_target()
        local_file = self.local_paths.db_file
        if not local_file.exists():
            raise SharedError(f"There is no schedule on this computer to move ({local_file} "
                              "does not exist).")
        local = Database.open(local_file, clock=self.clock)
        try:
            _refuse_busy(local, self.clock, "this computer's schedule")
            with self._open(address) as db:
                theirs = read_target(db)
                key = self._team_key(db)
                if theirs is None or key is None:
                    raise SharedError(
                        f"This computer has not joined the shared schedule at "
                        f"{address.where}: create it ('tiktok-desktop shared init') or join "
                        "it with its team key ('tiktok-desktop shared join') first.")
                if theirs != target:
                    raise SharedError(
                        f"The shared schedule at {address.where} talks to {theirs.words}; "
                        f"this computer's schedule was made with {target.words}, whose "
                        "sign-ins and posts mean nothing there. Nothing was moved.")
                there = {k: n for k, n in counts_of(db).items() if n}
                if there:
                    raise SharedError(
                        f"The shared schedule at {address.where} is not empty ("
                        + ", ".join(f"{n} {k}" for k, n in sorted(there.items()))
                        + "): a schedule can only be moved into an empty one. Nothing was "
                        "moved.")
                vault = SharedVault(db, key)
                refs = put_videos(local, db)  # before: each streams on its own connection
                videos = len(refs)
                with db.transaction():
                    counts = copy_schedule(local, db)
                    rename_videos(db, refs)
                    open_ids = [r[0] for r in db.conn().execute(
                        "SELECT open_id FROM accounts ORDER BY id")]
                    secrets = copy_secrets(self.local_vault, vault, open_ids)
        finally:
            local.close()
        self._remember(address)
        log.info("moved this computer's schedule %s into the shared schedule at %s",
                 local_file, address.where)
        return Moved(address.where, counts, videos, secrets, str(local_file))

    def move_back(self) -> Moved:
        """Copy the shared schedule this computer uses into a new local SQLite file, with its
        videos (into the media folder) and secrets (into the keyring), and use that file from
        now on. An earlier local file is set aside, renamed, never removed; the shared
        schedule stays as it is for the others."""
        from tiktok_desktop.credentials.shared_vault import SharedVault, copy_secrets  # noqa: PLC0415
        from tiktok_desktop.services.shared_videos import to_local  # noqa: PLC0415

        url = self.configured
        if not url:
            raise SharedError("This computer uses its own schedule already; there is nothing "
                              "to move back.")
        address = self._address(url)
        final = self.local_paths.db_file
        partial = final.with_name(f"{final.name}.from-shared-partial")
        _remove_database(partial)
        self.local_paths.ensure()
        try:
            with self._open(address) as db:
                _refuse_busy(db, self.clock, f"the shared schedule at {address.where}")
                key = self._team_key(db)
                if key is None:
                    raise SharedError(
                        f"This computer has no team key for the shared schedule at "
                        f"{address.where}, so its sign-ins cannot be read. Join it first "
                        "('tiktok-desktop shared join').")
                local = Database.open(partial, clock=self.clock)
                try:
                    with local.transaction():
                        counts = copy_schedule(db, local)
                        videos = to_local(db, local, self.local_paths)
                    open_ids = [r[0] for r in local.conn().execute(
                        "SELECT open_id FROM accounts ORDER BY id")]
                    secrets = copy_secrets(SharedVault(db, key), self.local_vault, open_ids)
                finally:
                    local.close()
        except BaseException:
            _remove_database(partial)
            raise
        aside = ""
        if final.exists():
            stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
            target = final.with_name(f"{final.name}.before-shared-{stamp}")
            for src, dst in zip(_companions(final), _companions(target), strict=True):
                if src.exists():
                    os.replace(src, dst)
            aside = str(target)
        os.replace(partial, final)
        self._save_setting("")
        log.info("moved the shared schedule at %s back to %s", address.where, final)
        return Moved(address.where, counts, videos, secrets, str(final), aside)


def _companions(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _remove_database(path: Path) -> None:
    for p in _companions(path):
        p.unlink(missing_ok=True)


def _refuse_busy(db: Backend, clock: Callable[[], float], what: str) -> None:
    """A post an engine works on right now would be published twice (here and there)."""
    row = db.conn().execute(
        "SELECT COUNT(*) FROM posts WHERE lease_owner IS NOT NULL AND lease_expires_at > ?",
        (int(clock()),)).fetchone()
    if row[0]:
        raise SharedError(
            f"An engine is publishing {row[0]} post(s) of {what} right now. Quit the app and "
            "stop the background service ('tiktok-desktop service status' says whether one "
            "runs), then move the schedule; nothing was moved.")


