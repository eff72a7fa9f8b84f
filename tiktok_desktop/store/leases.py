"""Cross-process leases: who holds what, until when, and telling a dead holder from a live one.

Two kinds share this module. Post claims live on the post's own row (store/posts.py); named
leases (a token refresh, for example) live in the ``leases`` table and are taken here.

An owner id is ``host:pid:random``. A lease normally ends when it expires; one held by a
process that is provably gone (same host, that pid no longer runs) may be taken over at once,
so a restart after a crash resumes without waiting out the lease. Anything uncertain (another
host, Windows, a pid that runs again) counts as alive: waiting is safe, guessing is not.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading

from tiktok_desktop.store.backend import Backend

_live: set[str] = set()  # owners of engines running in this process
_live_lock = threading.Lock()


class LeaseRepo:
    """Named leases in the database, shared by every process on the same data."""

    def __init__(self, db: Backend) -> None:
        self.db = db

    def acquire(self, name: str, owner: str, until: int) -> bool:
        """Take (or extend) the lease ``name``; False while someone else holds it."""
        now = int(self.db.clock())
        with self.db.transaction() as c:
            cur = c.execute(
                """INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,
                       expires_at = excluded.expires_at
                   WHERE leases.owner = excluded.owner OR leases.expires_at <= ?""",
                (name, owner, until, now),
            )
            return cur.rowcount == 1

    def release(self, name: str, owner: str) -> None:
        with self.db.transaction() as c:
            c.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))


def new_owner() -> str:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    with _live_lock:
        _live.add(owner)
    return owner


def retire(owner: str) -> None:
    """This process's engine ``owner`` stopped: its leases may be taken over."""
    with _live_lock:
        _live.discard(owner)


def owner_is_dead(owner: str) -> bool:
    """True only when the owner's process has certainly ended (or its engine was retired)."""
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        with _live_lock:
            return owner not in _live  # an earlier process that had our pid, or a stopped engine
    if os.name != "posix":
        return False  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it runs, as another user
    return False
