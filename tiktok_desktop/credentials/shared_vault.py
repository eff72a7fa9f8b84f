"""Secrets of a shared schedule, in its database, sealed with the team key (issue 20).

Each value is sealed with AES-256-GCM (cryptography's AESGCM: authenticated encryption, which
we do not write ourselves) under a fresh random 96-bit nonce. The associated data binds it to
this schedule's id and its entry name, so a row copied onto another entry, or from another
schedule, does not open. Opening checks the tag: a wrong key or a changed row raises VaultError
with a message that says what to do, and never returns garbage. The database holds nonces,
ciphertext and the key's fingerprint; without the team key it reveals no secret.

A local schedule keeps its secrets in the OS keyring (vault.Vault), unchanged.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
from tiktok_desktop.credentials.vault import _CLIENT_SECRET_ENTRY, Vault, VaultError
from tiktok_desktop.store.secrets import SealedSecret, SecretsRepo
from tiktok_desktop.store.shared_meta import SharedMeta

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

    from tiktok_desktop.store.backend import Backend

__all__ = ["SharedVault", "copy_secrets", "open_sealed", "seal", "verify_key"]

log = logging.getLogger(__name__)

_NONCE_BYTES = 12  # GCM's standard nonce; random, so a key seals up to ~2**32 values safely
_KEY_CHECK_TEXT = b"tiktok-desktop: this team key opens this shared schedule"


def _associated(schedule_id: str, kind: str, name: str) -> bytes:
    # Kind keeps the key check apart from every entry name; NUL cannot occur in the parts.
    return "\0".join(("tiktok-desktop/1", kind, schedule_id, name)).encode("utf-8")


def _describe(name: str) -> str:
    if name == _CLIENT_SECRET_ENTRY:
        return "the client secret"
    if name.startswith("account:"):
        return f"the sign-in of account {name.removeprefix('account:')}"
    if name.startswith("upload-url:"):  # upload_links.py: kept so any runner can resume
        return f"the upload link of post {name.removeprefix('upload-url:')}"
    return f"the secret {name!r}"


def seal(key: TeamKey, schedule_id: str, name: str, value: bytes,
         kind: str = "secret") -> SealedSecret:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415 - shared only

    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(key.raw).encrypt(nonce, value, _associated(schedule_id, kind, name))
    return SealedSecret(nonce, sealed, key.fingerprint())


def open_sealed(key: TeamKey, schedule_id: str, name: str, sealed: SealedSecret,
                kind: str = "secret") -> bytes:
    """The value, or VaultError: sealed with another key, or changed since it was sealed."""
    from cryptography.exceptions import InvalidTag  # noqa: PLC0415
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    what = _describe(name)
    if sealed.key_id != key.fingerprint():
        raise VaultError(
            f"{what[0].upper()}{what[1:]} in the shared schedule was sealed with the team key "
            f"{sealed.key_id}, but this computer has the team key {key.fingerprint()}. Join "
            "the shared schedule again with its current team key (Settings → Shared schedule, "
            "or 'tiktok-desktop shared join').")
    try:
        return AESGCM(key.raw).decrypt(sealed.nonce, sealed.sealed,
                                       _associated(schedule_id, kind, name))
    except (InvalidTag, ValueError):
        raise VaultError(
            f"{what[0].upper()}{what[1:]} in the shared schedule does not open with its team "
            "key: it was changed outside TikTok Desktop or damaged. Store it again "
            "(reconnect the account, or enter the client secret again in Settings).") from None


def verify_key(db: Backend, key: TeamKey) -> str:
    """Check that ``key`` opens this schedule (its key check); the schedule id. TeamKeyError
    says what to do when there is no team key yet or this one is not it."""
    meta = SharedMeta(db)
    schedule_id = meta.schedule_id()
    check = meta.key_check()
    if check is None:
        raise TeamKeyError(
            "This shared schedule has no team key yet. Create it first (Settings → Shared "
            "schedule → Create, or 'tiktok-desktop shared init'), then join with that key.")
    try:
        opened = open_sealed(key, schedule_id, "", check, kind="key-check")
    except VaultError:
        opened = b""
    if opened != _KEY_CHECK_TEXT:
        raise TeamKeyError(
            f"This team key (fingerprint {key.fingerprint()}) does not open this shared "
            f"schedule, whose team key has the fingerprint {check.key_id}. Ask whoever "
            "created the shared schedule for its team key and join again.")
    return schedule_id


def key_check(key: TeamKey, schedule_id: str) -> SealedSecret:
    """The sealed known value that proves ``key`` opens schedule ``schedule_id``."""
    return seal(key, schedule_id, "", _KEY_CHECK_TEXT, kind="key-check")


class SharedVault(Vault):
    """Vault's interface over the shared schedule's database: the same entries (account tokens,
    the client secret) sealed with the team key instead of kept in the OS keyring."""

    def __init__(self, db: Backend, key: TeamKey) -> None:
        super().__init__(service="tiktok-desktop-shared")  # never used: no keyring here
        self.db = db
        self.key = key
        self._secrets = SecretsRepo(db)
        self._schedule_id: str | None = None  # set once the key is known to open it
        key.register()

    @property
    def backend(self) -> KeyringBackend:
        raise VaultError("A shared schedule keeps its secrets in its database, not in the "
                         "system keyring.")

    def backend_name(self) -> str:
        return f"shared schedule database (AES-256-GCM, team key {self.key.fingerprint()})"

    def check(self) -> None:
        """Raise TeamKeyError unless the team key opens this schedule (checked once)."""
        if self._schedule_id is None:
            self._schedule_id = verify_key(self.db, self.key)

    def available(self) -> bool:
        try:
            self.check()
        except VaultError:
            return False
        return True

    @property
    def schedule_id(self) -> str:
        self.check()
        assert self._schedule_id is not None
        return self._schedule_id

    def get_entry(self, entry: str) -> str | None:
        schedule_id = self.schedule_id
        sealed = self._secrets.get(entry)
        if sealed is None:
            return None
        value = open_sealed(self.key, schedule_id, entry, sealed).decode("utf-8")
        if entry == _CLIENT_SECRET_ENTRY:
            from tiktok_desktop.logging_setup import REDACTOR  # noqa: PLC0415

            REDACTOR.add_secret(value)
        return value

    def set_entry(self, entry: str, value: str) -> None:
        self._secrets.put(entry, seal(self.key, self.schedule_id, entry, value.encode("utf-8")))

    def delete_entry(self, entry: str) -> None:
        """Remove ``entry``; one that is already gone is fine. Needs no key: removing an
        account removes its sealed sign-in even on a computer whose key is out of date."""
        self._secrets.delete(entry)


def copy_secrets(src: Vault, dst: Vault, open_ids: Iterable[str]) -> int:
    """Copy each account's tokens and the client secret from ``src`` to ``dst`` (moving a
    schedule to the shared database or back); how many values were copied. Missing ones are
    skipped; nothing is removed from ``src`` (the caller does that once the move holds)."""
    copied = 0
    for open_id in open_ids:
        tokens = src.tokens(open_id)
        if tokens is not None:
            dst.set_tokens(open_id, tokens)
            copied += 1
    secret = src.client_secret()
    if secret:
        dst.set_client_secret(secret)
        copied += 1
    log.info("copied %d secrets from %s to %s", copied, src.backend_name(), dst.backend_name())
    return copied
