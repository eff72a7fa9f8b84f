"""What names a shared schedule (schema 9's shared_meta): the random id its migration made,
and the key check, a known value sealed with the team key that proves a key opens this
schedule before anyone stores a secret with it (credentials/team_keys.py)."""

from __future__ import annotations

import base64
import json

from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.db import StoreError
from tiktok_desktop.store.secrets import SealedSecret

__all__ = ["SharedMeta"]

_SCHEDULE_ID = "schedule_id"
_KEY_CHECK = "key_check"


class SharedMeta:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def _get(self, name: str) -> str | None:
        r = self.db.conn().execute(
            "SELECT value FROM shared_meta WHERE name = ?", (name,)).fetchone()
        return None if r is None else str(r[0])

    def schedule_id(self) -> str:
        value = self._get(_SCHEDULE_ID)
        if not value:  # the migration writes it; only a hand-edited database lacks it
            raise StoreError(
                "This schedule has no schedule id (shared_meta was changed by hand). Restore "
                "the database from a backup, or report this with the log file attached.")
        return value

    def key_check(self) -> SealedSecret | None:
        """The sealed key check; None: no team key was made for this schedule yet."""
        value = self._get(_KEY_CHECK)
        if value is None:
            return None
        try:
            raw = json.loads(value)
            return SealedSecret(base64.b64decode(raw["nonce"], validate=True),
                                base64.b64decode(raw["sealed"], validate=True),
                                str(raw["key_id"]))
        except (ValueError, KeyError, TypeError):
            raise StoreError(
                "This shared schedule's key check is damaged (shared_meta was changed by "
                "hand). Restore the database from a backup, or report this.") from None

    def set_key_check(self, check: SealedSecret, *, replace: bool = False) -> bool:
        """Write the key check. Unless ``replace``, only when there is none: of two people
        creating the team key at once, one wins and the other is told (False)."""
        value = json.dumps({"key_id": check.key_id,
                            "nonce": base64.b64encode(check.nonce).decode("ascii"),
                            "sealed": base64.b64encode(check.sealed).decode("ascii")})
        conflict = "DO UPDATE SET value = excluded.value" if replace else "DO NOTHING"
        with self.db.transaction() as c:
            return c.execute(
                "INSERT INTO shared_meta (name, value) VALUES (?, ?) "  # noqa: S608 - fixed
                f"ON CONFLICT(name) {conflict}", (_KEY_CHECK, value)).rowcount > 0
