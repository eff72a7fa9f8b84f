"""Where a computer keeps a shared schedule's team key, and how it gets one.

A window's computer keeps it in the OS keyring, entry ``team-key:<schedule id>``: made once by
whoever creates the shared schedule (init_team), entered once by everyone who joins
(join_team). A runner (a Raspberry Pi, a VPS) has no keyring: it reads a file only its user
can read, named by TIKTOK_DESKTOP_TEAM_KEY_FILE, or given by systemd's LoadCredential= as
``$CREDENTIALS_DIRECTORY/tiktok-desktop-team-key``.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tiktok_desktop.credentials.shared_vault import key_check, verify_key
from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
from tiktok_desktop.credentials.vault import NoSecureBackend, Vault
from tiktok_desktop.store.shared_meta import SharedMeta

if TYPE_CHECKING:
    from tiktok_desktop.store.backend import Backend

__all__ = ["CREDENTIAL_NAME", "KEY_FILE_ENV", "init_team", "join_team", "keyring_entry",
           "read_key_file", "team_key"]

log = logging.getLogger(__name__)

KEY_FILE_ENV = "TIKTOK_DESKTOP_TEAM_KEY_FILE"
CREDENTIAL_NAME = "tiktok-desktop-team-key"  # LoadCredential=tiktok-desktop-team-key:/path
_MAX_FILE = 4096  # a key is 77 characters; anything much larger is the wrong file


def keyring_entry(schedule_id: str) -> str:
    return f"team-key:{schedule_id}"


def init_team(db: Backend, keyring_vault: Vault) -> TeamKey:
    """Make the team key of a shared schedule that has none: its key check goes into the
    database and the key into this computer's keyring, together or not at all."""
    keyring_vault.check()  # before anything is written: a key nobody keeps would lock it
    meta = SharedMeta(db)
    schedule_id = meta.schedule_id()
    key = TeamKey.generate()
    with db.transaction():
        if not meta.set_key_check(key_check(key, schedule_id)):
            existing = meta.key_check()
            fingerprint = existing.key_id if existing is not None else "unknown"
            raise TeamKeyError(
                f"This shared schedule already has a team key (fingerprint {fingerprint}). "
                "Join it with that key instead (Settings → Shared schedule → Join, or "
                "'tiktok-desktop shared join'); ask whoever created it for the key.")
        # Inside the transaction: if the keyring refuses, the key check is rolled back.
        keyring_vault.set_entry(keyring_entry(schedule_id), key.text())
    log.info("made the team key %s for shared schedule %s", key.fingerprint(), schedule_id)
    return key


def join_team(db: Backend, text: str, keyring_vault: Vault) -> TeamKey:
    """Check that the key a person entered opens this shared schedule, then keep it in the
    keyring. TeamKeyError (typo, wrong key, no key yet) says what to do; nothing is kept."""
    key = TeamKey.parse(text)
    schedule_id = verify_key(db, key)
    keyring_vault.set_entry(keyring_entry(schedule_id), key.text())
    log.info("joined shared schedule %s with the team key %s", schedule_id, key.fingerprint())
    return key


def team_key(db: Backend, keyring_vault: Vault,
             environ: Mapping[str, str] = os.environ) -> TeamKey | None:
    """This computer's team key for the schedule in ``db``, checked against it; None when
    this computer has not joined (no keyring entry). A key file, when one is named or given by
    systemd, comes first. TeamKeyError when a key is found but cannot be used."""
    path = key_file(environ)
    if path is not None:
        key = read_key_file(path)
        verify_key(db, key)
        return key
    schedule_id = SharedMeta(db).schedule_id()
    try:
        text = keyring_vault.get_entry(keyring_entry(schedule_id))
    except NoSecureBackend:
        raise TeamKeyError(
            "This computer has no system keyring to keep the shared schedule's team key in. "
            f"On a runner, put the key in a file only its user can read (chmod 600) and name "
            f"it with {KEY_FILE_ENV}=/path/to/file, or give it to the systemd unit with "
            f"LoadCredential={CREDENTIAL_NAME}:/path/to/file.") from None
    if text is None:
        return None
    try:
        key = TeamKey.parse(text)
    except TeamKeyError:
        raise TeamKeyError(
            "The team key kept in this computer's keyring is damaged. Join the shared "
            "schedule again with its team key (Settings → Shared schedule → Join, or "
            "'tiktok-desktop shared join').") from None
    verify_key(db, key)
    return key


def key_file(environ: Mapping[str, str]) -> Path | None:
    """The key file named by TIKTOK_DESKTOP_TEAM_KEY_FILE, else systemd's credential if the
    unit was given one; None: use the keyring."""
    named = environ.get(KEY_FILE_ENV, "").strip()
    if named:
        return Path(named)
    credentials = environ.get("CREDENTIALS_DIRECTORY", "").strip()
    if credentials and (Path(credentials) / CREDENTIAL_NAME).exists():
        return Path(credentials) / CREDENTIAL_NAME
    return None


def read_key_file(path: Path) -> TeamKey:
    """The key in ``path``, refused when users other than its owner may read or change it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise TeamKeyError(
            f"The team key file {path} does not exist. Create it with the team key as its "
            f"only line (and chmod 600 it), or unset {KEY_FILE_ENV}.") from None
    except OSError as exc:
        raise TeamKeyError(f"The team key file {path} cannot be read ({exc.strerror}). Make "
                           "it readable by the user that runs TikTok Desktop, and by no one "
                           "else (chmod 600).") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise TeamKeyError(f"The team key file {path} is not a regular file. Name the "
                               "file that holds the team key.")
        if os.name != "nt" and mode & 0o077:  # Windows has no such bits: its ACLs decide
            raise TeamKeyError(
                f"The team key file {path} can be read or changed by other users of this "
                f"computer (mode {stat.S_IMODE(mode):o}), so it is not used. Make it yours "
                f"alone: chmod 600 {path}")
        data = os.read(fd, _MAX_FILE + 1)
    finally:
        os.close(fd)
    if len(data) > _MAX_FILE:
        raise TeamKeyError(f"The team key file {path} is far larger than a team key. Name the "
                           "file that holds only the team key.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TeamKeyError(f"The team key file {path} is not text. Put the team key in it as "
                           "its only line.") from None
    try:
        return TeamKey.parse(text)
    except TeamKeyError as exc:
        raise TeamKeyError(f"The team key file {path} does not hold a usable team key: "
                           f"{exc}") from None
