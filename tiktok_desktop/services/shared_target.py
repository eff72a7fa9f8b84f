"""Which TikTok a shared schedule talks to: the same for every member and runner, kept in the
schedule itself (shared_meta's ``tiktok`` row), decided by whoever creates it.

Real TikTok: the TikTok app's client key, here in the clear (it is public: it shows in every
sign-in link), and its client secret sealed with the team key (SharedVault). A sandbox: its
URL (``tiktok-desktop sandbox serve`` on a computer everyone reaches); the built-in sandbox
lives inside one app, so no shared schedule can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.db import StoreError

__all__ = ["SharedTarget", "read_target", "write_target"]

_ROW = "tiktok"


@dataclass(frozen=True)
class SharedTarget:
    client_key: str = ""  # real TikTok: the app's client key
    sandbox_url: str = ""  # a sandbox everyone reaches

    @property
    def words(self) -> str:
        if self.sandbox_url:
            return f"the sandbox at {self.sandbox_url}"
        return f"TikTok (the app with client key {self.client_key})"

    def to_json(self) -> str:
        if self.sandbox_url:
            return json.dumps({"sandbox_url": self.sandbox_url})
        return json.dumps({"client_key": self.client_key})


def read_target(db: Backend) -> SharedTarget | None:
    """None: the schedule was not created (``shared init``) yet."""
    row = db.conn().execute("SELECT value FROM shared_meta WHERE name = ?", (_ROW,)).fetchone()
    if row is None:
        return None
    try:
        raw = json.loads(row[0])
        target = SharedTarget(str(raw.get("client_key") or ""),
                              str(raw.get("sandbox_url") or ""))
    except (ValueError, AttributeError):
        target = SharedTarget()
    if not (target.client_key or target.sandbox_url):
        raise StoreError(
            "This shared schedule does not say which TikTok it talks to (shared_meta was "
            "changed by hand). Restore the database from a backup, or report this.")
    return target


def write_target(db: Backend, target: SharedTarget) -> None:
    with db.transaction() as c:
        c.execute("INSERT INTO shared_meta (name, value) VALUES (?, ?) "
                  "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                  (_ROW, target.to_json()))
