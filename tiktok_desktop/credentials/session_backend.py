"""Sandbox sign-ins kept in memory, for a machine without a keyring (see Vault).

Apart from vault.py because the class subclasses keyring's backend class: defining it loads
keyring, which the vault itself only needs once a secret is read or written.
"""

from __future__ import annotations

import keyring.backend
import keyring.errors
from jaraco.classes import properties


class SessionOnlyBackend(keyring.backend.KeyringBackend):
    """Keeps entries in memory until the app quits.

    Only for sandbox mode on a machine without a keyring: the sandbox's tokens are worthless
    outside this computer, and the UI says that sign-ins will not survive a restart. Real
    TikTok tokens never use it.
    """

    @properties.classproperty
    def priority(cls) -> float:
        # keyring picks its default from every imported subclass whose priority does not
        # raise: raising keeps this memory store out of that choice, so it is only ever used
        # where it is passed in on purpose.
        raise RuntimeError("the session-only store is never chosen automatically")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)
