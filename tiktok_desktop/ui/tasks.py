"""Run blocking service calls off the GUI thread; results come back on the GUI thread.

A small pool of Python threads does the work; a QObject that lives on the GUI thread relays
each outcome through a queued signal, so callbacks may touch widgets safely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    _finished = Signal(object, object, object, object)  # (callback, value, error, owner)

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ui-task")
        self._finished.connect(self._deliver)

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None],
               owner: QObject | None = None) -> Future[Any]:
        """Run `fn` on the pool; its outcome goes to on_done/on_error on the GUI thread.

        With `owner`, the outcome is dropped if that widget was deleted meanwhile (a closed
        window must not be touched by a late answer).
        """
        def run() -> Any:
            try:
                value = fn()
            except Exception as exc:  # delivered to on_error on the GUI thread
                self._finished.emit(on_error, None, exc, owner)
                return None
            self._finished.emit(on_done, value, None, owner)
            return value

        return self._pool.submit(run)

    @Slot(object, object, object, object)
    def _deliver(self, callback: Callable[..., None], value: Any,
                 error: BaseException | None, owner: QObject | None) -> None:
        if owner is not None and not shiboken6.isValid(owner):
            log.debug("dropping a result for a closed window")
            return
        callback(error if error is not None else value)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
