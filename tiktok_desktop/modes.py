"""Which TikTok a run talks to, decided once at start-up from the settings, the environment,
a .env file and (only with a client key configured) the keyring: real TikTok, the built-in
sandbox, or a sandbox running elsewhere. bootstrap.py builds the graph on the Mode.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, replace
from pathlib import Path

from tiktok_desktop.config import Credentials, Settings, SettingsStore, resolve_credentials
from tiktok_desktop.credentials.vault import SERVICE, Vault, VaultError
from tiktok_desktop.paths import SANDBOX_PROFILE, AppPaths, PathsError
from tiktok_desktop.store.db import StoreError
from tiktok_desktop.store.pg_address import Address, AddressError, parse_address

__all__ = [
    "STARTUP_ERRORS",
    "Mode",
    "ModeKind",
    "StartupError",
    "app_credentials",
    "credentials_note",
    "decide_mode",
    "home_paths",
    "vault_service",
]


class StartupError(Exception):
    """The app cannot start as asked; the message says what to do."""


# Everything that stops a start with a message for the user (not a traceback): the entry
# points catch these around decide_mode(), setup_logging() and build().
STARTUP_ERRORS: tuple[type[Exception], ...] = (StartupError, StoreError, PathsError)


# -- which TikTok --------------------------------------------------------------------------------

class ModeKind(enum.Enum):
    TIKTOK = "TikTok"
    SANDBOX = "the built-in sandbox"  # started in-process
    EXTERNAL_SANDBOX = "a sandbox running elsewhere"  # ``sandbox serve``, by URL


@dataclass(frozen=True)
class Mode:
    """Which TikTok the app talks to, decided once at start-up (settings read once here)."""

    kind: ModeKind
    paths: AppPaths
    credentials: Credentials  # the real TikTok app's, as configured (for Settings)
    settings_store: SettingsStore  # shared by both profiles: credentials, window layout
    settings: Settings
    sandbox_url: str = ""  # EXTERNAL_SANDBOX only
    # A shared schedule's PostgreSQL address (issue 20): from --database or the settings'
    # shared_database; None for this computer's own SQLite file. Which TikTok a shared
    # schedule talks to is the schedule's to say (bootstrap.build follows it).
    database: Address | None = None

    @property
    def sandbox(self) -> bool:
        return self.kind is not ModeKind.TIKTOK

    @property
    def home(self) -> AppPaths:
        """The data folder's own paths, whichever profile is in use."""
        return home_paths(self.paths)

    def following(self, kind: ModeKind, credentials: Credentials,
                  sandbox_url: str = "") -> Mode:
        """This mode moved to another TikTok (the one a shared schedule talks to)."""
        home = self.home
        paths = home if kind is ModeKind.TIKTOK else home.for_profile(SANDBOX_PROFILE)
        return replace(self, kind=kind, paths=paths, credentials=credentials,
                       sandbox_url=sandbox_url.rstrip("/"))


def home_paths(paths: AppPaths) -> AppPaths:
    """The paths ``paths.for_profile`` was made from (``paths`` itself for the home one)."""
    if not paths.profile:
        return paths
    return AppPaths(paths.data_dir.parent, paths.config_dir.parent, paths.cache_dir.parent,
                    paths.log_dir, "", paths.namespace)


def vault_service(paths: AppPaths, *, sandbox: bool) -> str:
    """The keyring service holding this data folder's secrets: the sandbox's apart from real
    TikTok's, and a data folder of one's own (TIKTOK_DESKTOP_HOME) apart from every other, so
    one copy's disconnect never signs another out."""
    return SERVICE + ("-sandbox" if sandbox else "") + \
        (f"@{paths.namespace}" if paths.namespace else "")


def app_credentials(settings: Settings, app_vault: Vault,
                 unreadable: list[VaultError] | None = None) -> Credentials:
    """The real TikTok app's credentials; no usable keyring just means no stored secret
    (the error goes to ``unreadable`` for the caller that must tell the difference)."""
    def secret() -> str | None:
        try:
            return app_vault.client_secret()
        except VaultError as exc:
            if unreadable is not None:
                unreadable.append(exc)
            return None

    return resolve_credentials(settings, environ=os.environ, keyring_secret=secret)


def _secret_unreadable(exc: VaultError) -> StartupError:
    return StartupError(
        "TikTok Desktop is set up for your own TikTok app (a client key is configured), but "
        f"its client secret could not be read from the system keyring: {exc} Unlock the "
        "keyring (log in to the desktop session) and start again. The app does not switch to "
        "the sandbox by itself: your scheduled posts would not reach TikTok. (To use the "
        "sandbox on purpose, start with --sandbox.)")


def decide_mode(base: AppPaths, *, force_sandbox: bool = False, sandbox_url: str = "",
                vault: Vault | None = None, database: str = "") -> Mode:
    """Real TikTok when a client key and secret are configured, else the sandbox.

    ``database``: a shared schedule's address (else the settings' ``shared_database``, if
    any); which TikTok it talks to is then decided when it is opened (bootstrap.build)."""
    store = SettingsStore(base.settings_file)
    settings = store.load()
    address: Address | None = None
    if database or settings.shared_database:
        try:
            address = parse_address(database or settings.shared_database)
        except AddressError as exc:
            raise StartupError(str(exc)) from None
    # Without a client key (settings, environment, .env) the secret decides nothing: the
    # keyring is not read at all (loading keyring and asking it: tens of ms of every start).
    creds = resolve_credentials(settings, environ=os.environ)
    if creds.client_key and not creds.client_secret:
        unreadable: list[VaultError] = []
        creds = app_credentials(settings,
                                vault or Vault(vault_service(base, sandbox=False)),
                                unreadable)
        if not creds.client_secret and unreadable and not force_sandbox and not sandbox_url \
                and address is None:  # a shared schedule's TikTok is the schedule's to say
            # A locked keyring (a service started at boot, before anyone logged in) must not
            # turn real TikTok into the sandbox without a word: due posts would "publish"
            # nowhere.
            raise _secret_unreadable(unreadable[0])
    if sandbox_url:
        kind = ModeKind.EXTERNAL_SANDBOX
    elif force_sandbox or not creds.configured:
        kind = ModeKind.SANDBOX
    else:
        kind = ModeKind.TIKTOK
    paths = base if kind is ModeKind.TIKTOK else base.for_profile(SANDBOX_PROFILE)
    return Mode(kind, paths, creds, store, settings, sandbox_url.rstrip("/"), address)


def credentials_note(creds: Credentials) -> str:
    """Where the TikTok app's key and secret come from, when that is not the Settings dialog
    (a .env file in the folder the app started from switches apps silently otherwise)."""
    where = {"environment": "the environment (TIKTOK_CLIENT_KEY/TIKTOK_CLIENT_SECRET)",
             ".env": f"the .env file in {Path.cwd()}"}
    outside = sorted({where[v] for k, v in creds.sources.items()
                      if k in ("client_key", "client_secret") and v in where})
    if not outside:
        return ""
    return (f"Using the TikTok app set in {' and '.join(outside)}, not the one in Settings "
            f"(client key {creds.client_key}).")
