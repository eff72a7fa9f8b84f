"""Everything the app built at start-up, handed to the UI and the CLI as one typed object.

Built only by the composition root (app.py / cli.py); nobody else constructs services.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tiktok_desktop.config import Credentials, Settings, SettingsStore, resolve_credentials
from tiktok_desktop.paths import AppPaths
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.vault import Vault, VaultError
from tiktok_desktop.store import AccountsRepo, Database, PostsRepo


@dataclass
class AppContext:
    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    vault: Vault
    db: Database
    accounts: AccountsService
    posts: PostsService
    log_file: Path | None = None
    sandbox: bool = False
    problems: list[str] = field(default_factory=list)  # told to the user once the UI is up

    def credentials(self) -> Credentials:
        def secret() -> str | None:
            try:
                return self.vault.client_secret()
            except VaultError:
                return None

        return resolve_credentials(self.settings, environ=os.environ, keyring_secret=secret)

    def close(self) -> None:
        self.db.close()


def build_context(paths: AppPaths, *, log_file: Path | None = None, sandbox: bool = False,
                  vault: Vault | None = None) -> AppContext:
    """Open settings and the database (raises store errors for the caller to show)."""
    paths.ensure()
    store = SettingsStore(paths.settings_file)
    settings = store.load()
    db = Database.open(paths.db_file)
    return AppContext(
        paths=paths,
        settings_store=store,
        settings=settings,
        vault=vault or Vault(),
        db=db,
        accounts=AccountsService(AccountsRepo(db)),
        posts=PostsService(PostsRepo(db)),
        log_file=log_file,
        sandbox=sandbox,
        problems=list(store.load_problems),
    )
