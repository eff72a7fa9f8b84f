"""The composition root's part for a shared schedule (issue 20), made only when one is used
(bootstrap.py calls it): the PostgreSQL database opened, the TikTok it talks to followed
(the same for every member and runner, whatever each one's own settings say), its secrets
through SharedVault with this computer's team key, and the set-up service for the Settings
page and ``tiktok-desktop shared``.

Which TikTok: the schedule's shared_meta names it (services/shared_target.py), as whoever
created it used it: a TikTok app's client key, whose client secret is sealed in the schedule
with the team key, or one sandbox everyone reaches by URL. The built-in sandbox lives inside
one app and cannot be shared.
"""

from __future__ import annotations

from collections.abc import Callable

from tiktok_desktop.config import Credentials
from tiktok_desktop.credentials.shared_vault import SharedVault
from tiktok_desktop.credentials.team_keys import KEY_FILE_ENV, team_key
from tiktok_desktop.credentials.vault import SandboxVault, Vault, VaultError
from tiktok_desktop.modes import Mode, ModeKind, StartupError, vault_service
from tiktok_desktop.services.shared import SharedSchedule, open_shared
from tiktok_desktop.services.shared_target import SharedTarget, read_target
from tiktok_desktop.store.postgres import PgDatabase

__all__ = ["open_shared_schedule", "shared_schedule"]


def shared_schedule(mode: Mode, clock: Callable[[], float]) -> SharedSchedule:
    """The shared-schedule set-up for this data folder, whichever schedule the mode uses
    now: the local one is the mode's profile's SQLite file."""
    if mode.kind is ModeKind.EXTERNAL_SANDBOX:
        target: SharedTarget | None = SharedTarget(sandbox_url=mode.sandbox_url)
    elif mode.kind is ModeKind.TIKTOK:
        target = SharedTarget(client_key=mode.credentials.client_key)
    else:
        target = None  # the built-in sandbox: nobody else reaches it
    service = vault_service(mode.paths, sandbox=mode.sandbox)
    home_vault = Vault(vault_service(mode.home, sandbox=False))
    return SharedSchedule(
        local_paths=mode.paths, settings_store=mode.settings_store,
        keyring=home_vault, local_vault=SandboxVault(service) if mode.sandbox else Vault(service),
        app_vault=home_vault, target=target, clock=clock)


def open_shared_schedule(mode: Mode, keyring: Vault,
                         clock: Callable[[], float]) -> tuple[PgDatabase, Mode, Vault]:
    """The shared schedule at ``mode.database`` opened, the mode following the TikTok it
    talks to, and its vault (its secrets sealed with this computer's team key)."""
    assert mode.database is not None
    where = mode.database.where
    db = open_shared(mode.database, keyring, clock=clock)
    try:
        target = read_target(db)
        if target is None:
            raise StartupError(
                f"The database {where} holds no shared schedule yet. Create it with "
                f"'tiktok-desktop shared init {mode.database.url}' (or Settings → Shared "
                "schedule), or check the address.")
        try:
            key = team_key(db, keyring)
        except VaultError as exc:
            raise StartupError(str(exc)) from None
        if key is None:
            raise StartupError(
                f"This computer has not joined the shared schedule at {where}. Join it with "
                f"its team key: 'tiktok-desktop shared join {mode.database.url}' (a runner "
                f"without a keyring: put the key in a file only its user reads and name it "
                f"with {KEY_FILE_ENV} or --team-key-file).")
        vault = SharedVault(db, key)
        return db, _follow(mode, target, vault), vault
    except BaseException:
        db.close()
        raise


def _follow(mode: Mode, target: SharedTarget, vault: Vault) -> Mode:
    """The mode moved to the TikTok the shared schedule talks to (the same for everyone)."""

    if target.sandbox_url:
        if mode.kind is ModeKind.EXTERNAL_SANDBOX and mode.sandbox_url != target.sandbox_url:
            raise StartupError(
                f"This shared schedule talks to the sandbox at {target.sandbox_url}, not to "
                f"the one at {mode.sandbox_url}. Start with --sandbox-url "
                f"{target.sandbox_url} (or without --sandbox-url).")
        return mode.following(ModeKind.EXTERNAL_SANDBOX, mode.credentials, target.sandbox_url)
    if mode.kind is ModeKind.EXTERNAL_SANDBOX:
        raise StartupError(
            f"This shared schedule posts to {target.words}, not to a sandbox: start without "
            "--sandbox-url.")
    try:
        secret = vault.client_secret() or ""
    except VaultError as exc:
        raise StartupError(str(exc)) from None
    if not secret:
        raise StartupError(
            f"This shared schedule posts to {target.words}, but its client secret is not in "
            "it. Whoever runs the TikTok app enters it once in Settings → TikTok app while "
            "using the shared schedule.")
    creds = Credentials(target.client_key, secret, mode.credentials.redirect_uri,
                        {"client_key": "shared schedule", "client_secret": "shared schedule",
                         "redirect_uri": mode.credentials.sources.get("redirect_uri",
                                                                      "default")})
    return mode.following(ModeKind.TIKTOK, creds)
