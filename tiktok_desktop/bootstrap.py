"""Everything the app built at start-up, handed to the UI and the CLI as one typed object.

Built only by the composition roots (app.py for the GUI, cli.py for commands). Decides
between real TikTok and the built-in sandbox: without credentials (or when forced) the app
starts the sandbox in-process, uses its registered app, and keeps its data in a separate
profile so sandbox posts never mix with real ones.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tiktok_desktop.config import (
    DEFAULT_REDIRECT_URI,
    Credentials,
    Settings,
    SettingsStore,
    resolve_credentials,
)
from tiktok_desktop.credentials.vault import SERVICE, SessionOnlyBackend, Vault, VaultError
from tiktok_desktop.logging_setup import REDACTOR
from tiktok_desktop.paths import SANDBOX_PROFILE, AppPaths
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.avatars import AvatarCache
from tiktok_desktop.services.library import MediaLibrary
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.store import AccountsRepo, Database, PostsRepo
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

log = logging.getLogger(__name__)


def _credentials(settings: Settings, app_vault: Vault) -> Credentials:
    """The real TikTok app's credentials; no usable keyring just means no stored secret."""
    def secret() -> str | None:
        try:
            return app_vault.client_secret()
        except VaultError:
            return None

    return resolve_credentials(settings, environ=os.environ, keyring_secret=secret)


@dataclass(frozen=True)
class Mode:
    """Which TikTok the app talks to, decided once at start-up (settings read once here)."""

    paths: AppPaths
    sandbox: bool
    credentials: Credentials
    settings_store: SettingsStore  # shared by both profiles: credentials, window layout
    settings: Settings


def decide_mode(base: AppPaths, *, force_sandbox: bool = False,
                vault: Vault | None = None) -> Mode:
    """Real TikTok when a client key and secret are configured, else the sandbox."""
    store = SettingsStore(base.settings_file)
    settings = store.load()
    creds = _credentials(settings, vault or Vault(SERVICE))
    sandbox = force_sandbox or not creds.configured
    paths = base.for_profile(SANDBOX_PROFILE) if sandbox else base
    return Mode(paths, sandbox, creds, store, settings)


@dataclass
class AppContext:
    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    vault: Vault  # account tokens of this profile (sandbox tokens apart from real ones)
    app_vault: Vault  # the real TikTok app's client secret, whatever the profile
    db: Database
    http: httpx.Client
    endpoints: Endpoints
    accounts: AccountsService
    posts: PostsService
    avatars: AvatarCache
    credentials_in_use: Credentials
    log_file: Path | None = None
    sandbox_server: SandboxServer | None = None
    problems: list[str] = field(default_factory=list)  # told to the user once the UI is up
    notes: list[str] = field(default_factory=list)  # shown quietly (status bar, panes)

    @property
    def sandbox(self) -> bool:
        return self.sandbox_server is not None

    def credentials(self) -> Credentials:
        """The real-TikTok credentials as configured now (for the Settings dialog)."""
        return _credentials(self.settings, self.app_vault)

    def close(self) -> None:
        self.http.close()
        self.db.close()
        if self.sandbox_server is not None:
            self.sandbox_server.stop()


def build_context(mode: Mode, *, log_file: Path | None = None, vault: Vault | None = None,
                  app_vault: Vault | None = None, sandbox_port: int = 0) -> AppContext:
    """Open settings and the database, start the sandbox when in sandbox mode.

    Store errors (damaged or newer database) propagate for the caller to show.
    """
    paths = mode.paths
    paths.ensure()
    store, settings = mode.settings_store, mode.settings
    db = Database.open(paths.db_file)
    server: SandboxServer | None = None
    if mode.sandbox:
        server = SandboxServer(paths.sandbox_state_dir, port=sandbox_port)
        server.start()
        endpoints = Endpoints.single(server.base_url)
        creds = Credentials(server.app.client_key, server.app.client_secret,
                            DEFAULT_REDIRECT_URI, {"client_key": "sandbox"})
        log.info("sandbox mode: built-in TikTok emulator at %s", server.base_url)
    else:
        endpoints = Endpoints()
        creds = mode.credentials
    REDACTOR.add_secret(creds.client_secret)
    http = httpx.Client(follow_redirects=False, trust_env=not mode.sandbox)
    oauth = OAuthClient(http, ClientCredentials(creds.client_key, creds.client_secret),
                        endpoints)
    api = TikTokApi(http, endpoints)
    the_vault = vault or Vault(SERVICE + ("-sandbox" if mode.sandbox else ""))
    notes: list[str] = []
    if mode.sandbox and not the_vault.available():
        the_vault = Vault(the_vault.service, backend=SessionOnlyBackend())
        notes.append("No system keyring here: sandbox sign-ins last until the app quits.")
    avatars = AvatarCache(paths.avatar_cache_dir, http)
    return AppContext(
        paths=paths,
        settings_store=store,
        settings=settings,
        vault=the_vault,
        app_vault=app_vault or Vault(SERVICE),
        db=db,
        http=http,
        endpoints=endpoints,
        accounts=AccountsService(AccountsRepo(db), the_vault, oauth, api,
                                 redirect_uri=creds.redirect_uri, avatars=avatars),
        posts=PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db),
                           library=MediaLibrary(paths.media_dir)),
        avatars=avatars,
        credentials_in_use=creds,
        log_file=log_file,
        sandbox_server=server,
        problems=list(store.load_problems),
        notes=notes,
    )

