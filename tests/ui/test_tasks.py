"""The UI's task boundary: errors written for the user are shown where the user acted; a bug
is logged with its traceback and reaches the crash handler instead of posing as advice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tiktok_desktop.credentials import AccountError
from tiktok_desktop.ui.crash import CrashHandler
from tiktok_desktop.ui.tasks import TaskRunner, UnexpectedError


@pytest.fixture
def handler(tmp_path: Path) -> Iterator[CrashHandler]:
    h = CrashHandler(tmp_path, show_dialogs=False)
    h.install()
    yield h
    h.uninstall()


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def _buggy() -> object:
    settings: dict[str, int] = {}
    return settings["late_grace_minutes"]  # a programming error, not the user's


def test_a_bug_in_a_task_is_logged_and_reaches_the_crash_handler(
    qtbot: QtBot, handler: CrashHandler, runner: TaskRunner, caplog: pytest.LogCaptureFixture,
) -> None:
    shown: list[BaseException] = []
    with qtbot.waitSignal(handler.crashed, timeout=10000) as crashed:
        runner.submit(_buggy, lambda _value: None, shown.append)
    report = crashed.args[0]
    assert "Traceback" in report and "KeyError: 'late_grace_minutes'" in report
    assert "_buggy" in report  # the frame where it happened, for the bug report
    # The log has it with its traceback (the crash handler's own record, and ours).
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(r.name == "tiktok_desktop.ui.tasks" and r.exc_info for r in logged)
    assert any(r.levelno == logging.CRITICAL for r in logged)
    # The window that waited is told in plain words and stops waiting; no raw KeyError.
    assert len(shown) == 1 and isinstance(shown[0], UnexpectedError)
    assert "late_grace_minutes" not in str(shown[0])
    caplog.clear()


def test_an_error_written_for_the_user_is_shown_not_crashed(
    qtbot: QtBot, handler: CrashHandler, runner: TaskRunner,
) -> None:
    shown: list[BaseException] = []

    def refuse() -> object:
        raise AccountError("Reconnect the account first.")

    with qtbot.assertNotEmitted(handler.crashed, wait=200):
        runner.submit(refuse, lambda _value: None, shown.append)
        qtbot.waitUntil(lambda: bool(shown))
    assert isinstance(shown[0], AccountError) and str(shown[0]) == "Reconnect the account first."


def test_an_answer_that_asks_for_more_while_the_window_closes_is_dropped_quietly(
    qtbot: QtBot, handler: CrashHandler,
) -> None:
    """A thumbnail's failure arrives after the window closed and asks for the next one: no
    crash report at quit (the pool is shut down), the task is simply not started."""
    tasks = TaskRunner()
    done: list[object] = []

    def then_more(_value: object) -> None:
        done.append(tasks.submit(lambda: 1, done.append, done.append))

    tasks.submit(lambda: 0, then_more, done.append)
    tasks.shutdown()  # the answer is queued on the GUI thread, not delivered yet
    with qtbot.assertNotEmitted(handler.crashed, wait=100):
        qtbot.waitUntil(lambda: bool(done))
    assert done[0].cancelled()  # type: ignore[attr-defined]
