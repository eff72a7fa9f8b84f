"""A keyring with a lock, for the bad-input tests (docs/bad-inputs.md)."""

from __future__ import annotations

import keyring.errors

from tiktok_desktop.credentials.vault import SessionOnlyBackend

LOCKED = "Failed to unlock the collection!"  # what the Secret Service backend says


class LockableKeyring(SessionOnlyBackend):
    """The OS keyring with its lock: while locked, every access fails as a locked Secret
    Service collection does when the user dismisses the unlock prompt."""

    priority = 1  # chosen on purpose by the test, like the suite's memory keyring

    def __init__(self) -> None:
        super().__init__()
        self.locked = False

    def _check(self) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked(LOCKED)

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        super().delete_password(service, username)
