"""Secrets in the OS keyring, behind a small interface.

One keyring entry per TikTok account (its tokens as JSON) and one for the app's client secret.
There is deliberately no plaintext fallback: when no secure backend exists (Linux without a
Secret Service), the caller gets NoSecureBackend with a message that names the fix.

keyring itself (its backends, found through entry points: tens of ms) loads at the first read
or write, not with this module: the window's first paint needs no secret (issue 16).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tiktok_desktop.domain.words import quoted_sentence

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "tiktok-desktop"
_CLIENT_SECRET_ENTRY = "client-secret"  # noqa: S105 - an entry name, not a secret

_INSECURE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


class VaultError(Exception):
    """The keyring could not be used; the message tells the user what to do."""


class NoSecureBackend(VaultError):
    pass


@dataclass(frozen=True)
class StoredTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: int | None = None
    refresh_expires_at: int | None = None
    scopes: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps({
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "scopes": sorted(self.scopes),
        })

    @classmethod
    def from_json(cls, text: str) -> StoredTokens:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            access_token=str(raw.get("access_token") or ""),
            refresh_token=str(raw.get("refresh_token") or ""),
            access_expires_at=raw.get("access_expires_at"),
            refresh_expires_at=raw.get("refresh_expires_at"),
            scopes=frozenset(raw.get("scopes") or ()),
        )


def _no_backend_message() -> str:
    return (
        "No secure password store is available, so TikTok tokens cannot be saved safely. "
        "On Linux, install and unlock a Secret Service keyring (for example: "
        "sudo apt-get install gnome-keyring, then log in to a desktop session, or KWallet on "
        "KDE). On macOS and Windows the system keychain is used automatically."
    )


class Vault:
    """Keyring-backed secrets for one app profile (the sandbox profile uses its own service)."""

    def __init__(self, service: str = SERVICE, backend: KeyringBackend | None = None) -> None:
        self.service = service
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is not None:
            return self._backend
        import keyring  # noqa: PLC0415 - at the first use (see the module's docstring)

        return keyring.get_keyring()

    def backend_name(self) -> str:
        b = self.backend
        return f"{type(b).__module__}.{type(b).__name__}"

    def check(self) -> None:
        """Raise NoSecureBackend unless a real, secure keyring backend is in use."""
        from tiktok_desktop.credentials.session_backend import (  # noqa: PLC0415
            SessionOnlyBackend,
        )

        b = self.backend
        module = type(b).__module__
        if type(b) is SessionOnlyBackend and self._backend is None:
            raise NoSecureBackend(_no_backend_message())  # only ever as an explicit choice
        if module.startswith(_INSECURE_MODULES):
            raise NoSecureBackend(_no_backend_message())
        if module == "keyring.backends.chainer" and not getattr(b, "backends", None):
            raise NoSecureBackend(_no_backend_message())

    def available(self) -> bool:
        try:
            self.check()
        except NoSecureBackend:
            return False
        return True

    # -- named entries -----------------------------------------------------------------------

    def get_entry(self, entry: str) -> str | None:
        self.check()
        import keyring.errors  # noqa: PLC0415

        try:
            return self.backend.get_password(self.service, entry)
        except keyring.errors.KeyringError as exc:
            raise VaultError(f"Reading from the system keyring failed: {exc}") from None

    def set_entry(self, entry: str, value: str) -> None:
        self.check()
        import keyring.errors  # noqa: PLC0415

        try:
            self.backend.set_password(self.service, entry, value)
        except keyring.errors.KeyringError as exc:
            raise VaultError(
                f"Saving to the system keyring failed: {quoted_sentence(exc)} Unlock your "
                "keyring and try again."
            ) from None

    def delete_entry(self, entry: str) -> None:
        """Remove ``entry``; one that is already gone is fine."""
        self.check()
        import keyring.errors  # noqa: PLC0415

        try:
            self.backend.delete_password(self.service, entry)
        except keyring.errors.PasswordDeleteError:
            pass  # already gone is what we wanted
        except keyring.errors.KeyringError as exc:
            raise VaultError(f"Removing from the system keyring failed: {exc}") from None

    # -- the client secret -------------------------------------------------------------------

    def client_secret(self) -> str | None:
        return self.get_entry(_CLIENT_SECRET_ENTRY)

    def set_client_secret(self, secret: str) -> None:
        if secret:
            self.set_entry(_CLIENT_SECRET_ENTRY, secret)
        else:
            self.delete_entry(_CLIENT_SECRET_ENTRY)

    # -- account tokens ----------------------------------------------------------------------

    @staticmethod
    def _account_entry(open_id: str) -> str:
        return f"account:{open_id}"

    def tokens(self, open_id: str) -> StoredTokens | None:
        text = self.get_entry(self._account_entry(open_id))
        if not text:
            return None
        try:
            return StoredTokens.from_json(text)
        except (ValueError, TypeError):
            log.error("keyring entry for account %s is unreadable", open_id)
            return None

    def set_tokens(self, open_id: str, tokens: StoredTokens) -> StoredTokens:
        """Store tokens; an empty refresh token never replaces a stored good one."""
        if not tokens.refresh_token:
            old = self.tokens(open_id)
            if old and old.refresh_token:
                tokens = StoredTokens(
                    tokens.access_token, old.refresh_token, tokens.access_expires_at,
                    old.refresh_expires_at, tokens.scopes or old.scopes,
                )
        self.set_entry(self._account_entry(open_id), tokens.to_json())
        return tokens

    def delete_tokens(self, open_id: str) -> None:
        self.delete_entry(self._account_entry(open_id))


class SandboxVault(Vault):
    """The sandbox profile's vault: the system keyring, or where there is none a store that
    lasts until the app quits (sandbox sign-ins are worthless elsewhere; real TikTok tokens
    never use it). Decided at the first use, so that loading and asking keyring waits for
    after the window's first paint."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self._deciding = threading.Lock()
        self.session_only: bool | None = None  # None: not decided yet

    def decide(self) -> bool:
        """Whether sign-ins last only until the app quits (decided once)."""
        with self._deciding:
            if self.session_only is None:
                from tiktok_desktop.credentials.session_backend import (  # noqa: PLC0415
                    SessionOnlyBackend,
                )

                self.session_only = not Vault(self.service).available()
                if self.session_only:
                    self._backend = SessionOnlyBackend()
            return self.session_only

    @property
    def backend(self) -> KeyringBackend:
        self.decide()
        return super().backend


def __getattr__(name: str) -> object:
    # SessionOnlyBackend subclasses keyring's backend class, so it lives in its own module
    # (session_backend.py); it is still reachable here, where it always was.
    if name == "SessionOnlyBackend":
        from tiktok_desktop.credentials.session_backend import (  # noqa: PLC0415
            SessionOnlyBackend,
        )

        return SessionOnlyBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
