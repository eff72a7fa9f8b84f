"""The Qt bridge to the engine: one QThread drives it, its reports arrive as Qt signals.

A small loop object lives in its own QThread ("engine"). There it calls Engine.tick() and arms
a single-shot QTimer for the next wake-up the engine asks for (a due post, a retry, a token
refresh; never longer than the engine's watchdog, so a suspend/resume is noticed). wake() (from
any thread: call it after a post is scheduled, edited or removed) and the engine itself (when
an account's job finishes) re-plan at once. Uploads run in the engine's own worker threads.

EngineWorker itself stays in the thread that created it (the GUI thread) and carries the
signals: they are emitted from engine threads and Qt queues them to the GUI thread, so any
slot or lambda connected to them may touch widgets.

Usage (composition root)::

    worker = EngineWorker(graph.engine)  # bootstrap.AppGraph: builds an Engine for a listener
    worker.postChanged.connect(model.refresh_post)
    worker.notice.connect(tray.show_notice)
    posts_service.on_change.append(worker.wake)
    worker.start()
    ...
    worker.stop()  # on quit: uploads stop at the next block and resume on the next start
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from tiktok_desktop.engine.listener import Notice
from tiktok_desktop.store import Post

if TYPE_CHECKING:
    from tiktok_desktop.engine import Engine, EngineListener

log = logging.getLogger(__name__)


class _SignalListener:
    """EngineListener that re-emits on the worker's signals (called from engine threads)."""

    def __init__(self, worker: EngineWorker) -> None:
        self._worker = worker

    def post_changed(self, post: Post) -> None:
        self._worker.postChanged.emit(post)

    def upload_progress(self, post_id: int, sent: int, total: int) -> None:
        self._worker.uploadProgress.emit(post_id, sent, total)

    def notice(self, notice: Notice) -> None:
        self._worker.notice.emit(notice)


class _Loop(QObject):
    """Lives in the engine thread: ticks the engine and keeps its single-shot timer."""

    wakeRequested = Signal()
    stopRequested = Signal()
    nextWake = Signal(float)

    def __init__(self, engine: Engine) -> None:
        super().__init__()  # no parent: it moves to the engine thread
        self.engine = engine
        self._timer: QTimer | None = None
        self._stopping = False
        # Queued: whoever emits (GUI thread, engine threads), the slot runs in our thread.
        self.wakeRequested.connect(self._tick, Qt.ConnectionType.QueuedConnection)
        self.stopRequested.connect(self._finish, Qt.ConnectionType.QueuedConnection)

    def request(self) -> None:
        """Thread-safe: re-plan soon."""
        if not self._stopping:
            self.wakeRequested.emit()

    @Slot()
    def begin(self) -> None:
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)  # a second early or late is fine
        self._timer.timeout.connect(self._tick)
        self.engine.set_wake_callback(self.request)
        self._tick()

    @Slot()
    def _tick(self) -> None:
        if self._stopping or self._timer is None:
            return
        try:
            next_wake = self.engine.tick()
        except Exception:  # never let the engine thread die: try again at the next wake
            log.exception("engine tick failed")
            next_wake = None
        self._timer.start(int(self.engine.sleep_seconds(next_wake) * 1000))
        self.nextWake.emit(next_wake or 0.0)

    @Slot()
    def _finish(self) -> None:
        self._stopping = True
        if self._timer is not None:
            self._timer.stop()
        self.engine.set_wake_callback(None)
        self.engine.stop(wait=True)
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())  # back home, so it is deleted there
        QThread.currentThread().quit()


class EngineWorker(QObject):
    """The engine's Qt face. Create, connect and use it from the GUI thread."""

    #: A post's row changed (store.Post, as committed).
    postChanged = Signal(object)
    #: Upload progress: post id, bytes sent, total bytes (Python ints: files pass 2 GiB;
    #: throttled by the engine).
    uploadProgress = Signal(int, object, object)
    #: Something to tell the user (engine.Notice: kind, message, post_id, account_id).
    notice = Signal(object)
    #: When the engine plans to wake next (epoch seconds; 0.0 when nothing is planned).
    nextWakeChanged = Signal(float)
    #: The engine and its thread have stopped (emitted by stop()).
    stopped = Signal()

    def __init__(self, engine_factory: Callable[[EngineListener], Engine],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = engine_factory
        self._engine: Engine | None = None
        self._thread: QThread | None = None
        self._loop: _Loop | None = None

    @property
    def engine(self) -> Engine:
        """The engine, made at its first use (start(): after the window's first paint)."""
        if self._engine is None:
            self._engine = self._factory(_SignalListener(self))
        return self._engine

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def start(self) -> None:
        if self._thread is not None or self.engine.stopping:
            raise RuntimeError("the engine worker can be started once")
        thread = QThread()
        thread.setObjectName("engine")
        loop = _Loop(self.engine)
        loop.moveToThread(thread)
        loop.nextWake.connect(self.nextWakeChanged)
        thread.started.connect(loop.begin)
        self._thread, self._loop = thread, loop
        thread.start()

    def wake(self) -> None:
        """Re-plan now (thread-safe): call after a post is scheduled, edited or removed."""
        if self._loop is not None:
            self._loop.request()

    def stop(self, timeout_ms: int = 60_000) -> bool:
        """Stop the engine and its thread (blocks up to ``timeout_ms``); True when stopped.

        Uploads stop at the next block and waits end at once; posts keep their step and are
        resumed on the next start (by this app or ``tiktok-desktop run``).
        """
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return True
        self.engine.request_stop()  # now, not only when the queued stop is reached
        loop.stopRequested.emit()
        if not thread.wait(timeout_ms):
            log.error("the engine thread did not stop within %d ms", timeout_ms)
            return False
        self._thread = self._loop = None
        loop.deleteLater()
        thread.deleteLater()
        self.stopped.emit()
        return True
