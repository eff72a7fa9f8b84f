"""The window's eye on its database: ``changed`` tells the window to catch up with commits made
elsewhere (store/watch.py), ``lost`` and ``back`` that a shared schedule's server went out of
reach and returned.

A SQLite file is asked by a cheap timer on the GUI thread (one read of shared memory). A
PostgreSQL server (store.postgres.PgWatch) is waited on by a thread of its own: its
notifications arrive as they are sent, and connecting to a server that is away (seconds
each try) never holds up the window.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

from tiktok_desktop.store.backend import ServerWatch, Watch

log = logging.getLogger(__name__)

POLL_MS = 500  # a change made elsewhere in the SQLite file shows within half a second
WAIT_S = 0.5  # the listening thread's longest wait, so stopping it takes no longer
RETRY_S = 1.0  # between two tries to reach a server that is away


class DatabaseWatch(QObject):
    changed = Signal()
    lost = Signal(str)  # the server cannot be reached: why, in the driver's words (scrubbed)
    back = Signal()  # reached again: what is shown may be stale, the window catches up

    def __init__(self, version: Watch, parent: QObject | None = None,
                 interval_ms: int = POLL_MS) -> None:
        super().__init__(parent)
        self.version = version
        self.server: ServerWatch | None = version if isinstance(version, ServerWatch) else None
        self.problem: str | None = None  # as last signalled on the GUI thread
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost.connect(self._note_lost)
        self.back.connect(self._note_back)

    @property
    def where(self) -> str:
        """How the shared schedule is named (user@host:port/name); empty for a file."""
        return self.server.where if self.server is not None else ""

    def start(self) -> None:
        if self.server is not None:
            self._thread = threading.Thread(target=self._listen, args=(self.server,),
                                            name="database-watch", daemon=True)
            self._thread.start()
            return
        self.version.changed()  # the starting point: what is shown now
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=WAIT_S + 6)  # a connect under way gives up in 5 s
            self._thread = None
            return  # the thread closed its watch (only it may touch its connection)
        self.version.close()

    def poll(self) -> None:
        if self.version.changed():
            self.changed.emit()

    def _listen(self, watch: ServerWatch) -> None:
        """The listening thread: signals cross to the GUI thread queued (this QObject lives
        there), so the window's slots run where widgets may be touched."""
        try:
            watch.changed()  # the starting point: what is shown now
            away = watch.problem
            if away is not None:
                self.lost.emit(away)
            while not self._stop.is_set():
                got = watch.changed(timeout=WAIT_S)
                problem = watch.problem
                if problem is not None:
                    if away is None:
                        self.lost.emit(problem)
                    away = problem
                    self._stop.wait(RETRY_S)
                elif away is not None:
                    away = None
                    self.back.emit()  # the window catches up: whatever happened meanwhile
                elif got:
                    self.changed.emit()
        except Exception:  # a bug here must not end the watch silently
            log.exception("the database watch stopped")
        finally:
            watch.close()

    def _note_lost(self, problem: str) -> None:
        self.problem = problem

    def _note_back(self) -> None:
        self.problem = None
