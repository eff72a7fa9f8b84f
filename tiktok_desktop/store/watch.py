"""Noticing commits to the database made elsewhere: another process (``tiktok-desktop posts
add``, a headless ``run``, a second window) or another thread of this one (the engine).

SQLite's ``PRAGMA data_version`` changes when a connection other than the one asking commits
to the file; asking costs one read of shared memory, cheap enough for a timer. The watch
asks on a connection of its own, used for nothing else, so every commit by anyone else
counts, the app's own included (whoever reacts to a change makes a repeat harmless).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = ["DataVersion"]


class DataVersion:
    """``changed()``: has anyone committed to the file since the last call?"""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._last: int | None = None

    def _version(self) -> int:
        if self._conn is None:
            # Autocommit (no transaction held open between polls: that would pin a snapshot).
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=0.5)
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True when a commit happened since the last call (the first call only starts)."""
        try:
            version = self._version()
        except sqlite3.Error as exc:
            # The file briefly unavailable (locked, being replaced): ask again next time.
            log.info("could not ask the database for changes: %s", exc)
            self.close()
            return False
        before, self._last = self._last, version
        return before is not None and before != version

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
