"""Run blocking service calls off the GUI thread; results come back on the GUI thread.

A small pool of Python threads does the work; a QObject that lives on the GUI thread relays
each outcome through a queued signal, so callbacks may touch widgets safely.

The boundary tells the user's errors from bugs: an error whose message is written for the
user (services.errors.USER_ERRORS) goes to ``on_error`` to be shown inline; anything else is
logged with its traceback and raised to the crash handler (sys.excepthook, installed by
ui/crash.py), and ``on_error`` gets an UnexpectedError so the window does not wait forever.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

from tiktok_desktop.services.errors import USER_ERRORS

log = logging.getLogger(__name__)


class UnexpectedError(Exception):
    """A bug interrupted a task; its details went to the log and the crash report."""

    def __init__(self) -> None:
        super().__init__("Something unexpected went wrong; nothing was changed. The details "
                         "are in the log (File → View log).")


class TaskRunner(QObject):
    _finished = Signal(object, object, object, object)  # (callback, value, error, owner)
    _crashed = Signal(object, object, object)  # (error, on_error, owner)

    def __init__(self, parent: QObject | None = None, workers: int = 4) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ui-task")
        self._closed = False
        self._finished.connect(self._deliver)
        self._crashed.connect(self._crash)

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None],
               owner: QObject | None = None) -> Future[Any]:
        """Run `fn` on the pool; its outcome goes to on_done/on_error on the GUI thread.

        With `owner`, the outcome is dropped if that widget was deleted meanwhile (a closed
        window must not be touched by a late answer); a bug is reported all the same.
        """
        if self._closed:
            # The window is closing: an answer arriving now may ask for more (a thumbnail
            # loader pumps its queue); there is nobody left to show it to.
            log.debug("not starting a task: the window is closing")
            cancelled: Future[Any] = Future()
            cancelled.cancel()
            return cancelled

        def run() -> Any:
            try:
                value = fn()
            except USER_ERRORS as exc:  # written for the user: shown inline
                self._finished.emit(on_error, None, exc, owner)
                return None
            except Exception as exc:  # a bug: logged, and to the crash handler
                log.error("unexpected error in a background task", exc_info=exc)
                self._crashed.emit(exc, on_error, owner)
                return None
            self._finished.emit(on_done, value, None, owner)
            return value

        return self._pool.submit(run)

    @staticmethod
    def _gone(owner: QObject | None) -> bool:
        return owner is not None and not shiboken6.isValid(owner)

    @Slot(object, object, object, object)
    def _deliver(self, callback: Callable[..., None], value: Any,
                 error: BaseException | None, owner: QObject | None) -> None:
        if self._gone(owner):
            log.debug("dropping a result for a closed window")
            return
        callback(error if error is not None else value)

    @Slot(object, object, object)
    def _crash(self, error: BaseException, on_error: Callable[[BaseException], None],
               owner: QObject | None) -> None:
        if not self._gone(owner):
            on_error(UnexpectedError())
        sys.excepthook(type(error), error, error.__traceback__)

    def shutdown(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)
