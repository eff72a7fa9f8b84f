"""The clock watchdog, Windows' execution state and power notifications (through fakes of
the Win32 calls), and macOS' caffeinate (through a stand-in program)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tiktok_desktop.system.caffeinate import CaffeinateInhibitor
from tiktok_desktop.system.clockwatch import ClockJumpDetector, ClockSleepWatcher
from tiktok_desktop.system.windows_power import (
    ES_CONTINUOUS,
    ES_SYSTEM_REQUIRED,
    PBT_APMRESUMEAUTOMATIC,
    PBT_APMSUSPEND,
    ExecutionStateInhibitor,
    PowerSleepWatcher,
)


def test_clock_jump_detector() -> None:
    detector = ClockJumpDetector(tolerance=30)
    assert not detector.jumped(1000.0, 50.0)
    assert not detector.jumped(1060.0, 110.0)  # both moved a minute
    assert detector.jumped(4660.0, 170.0)  # an hour of sleep: wall moved, monotonic did not
    assert not detector.jumped(4720.0, 230.0)
    assert detector.jumped(4700.0, 290.0)  # the clock was set back


def test_clock_watchdog_calls_back_on_a_jump_only() -> None:
    wall, mono = [1000.0], [50.0]
    resumed: list[int] = []
    watcher = ClockSleepWatcher(interval=3600, wall=lambda: wall[0], mono=lambda: mono[0])
    watcher.start(lambda: resumed.append(1))
    try:
        wall[0], mono[0] = 1060.0, 110.0
        assert watcher.check(lambda: resumed.append(1)) is False
        wall[0], mono[0] = 9000.0, 170.0
        assert watcher.check(lambda: resumed.append(1)) is True
    finally:
        watcher.stop()
    assert resumed == [1]
    assert watcher.how == "clock watchdog"


def test_clock_watchdog_thread_stops_at_once() -> None:
    watcher = ClockSleepWatcher(interval=3600)
    watcher.start(lambda: None)
    thread = watcher._thread
    watcher.stop()
    assert thread is not None and not thread.is_alive()


class FakeExecutionState:
    def __init__(self, result: int = 1) -> None:
        self.result = result
        self.calls: list[tuple[int, int]] = []  # (flags, thread id)
        self.changed = threading.Event()

    def __call__(self, flags: int) -> int:
        self.calls.append((flags, threading.get_ident()))
        self.changed.set()
        return self.result


def test_execution_state_is_set_and_cleared_by_one_thread_of_its_own() -> None:
    api = FakeExecutionState()
    inhibitor = ExecutionStateInhibitor(api)
    inhibitor.acquire("due")
    assert inhibitor.held
    inhibitor.acquire("again")  # idempotent
    inhibitor.release()
    assert not inhibitor.held
    [(on, holder), (off, releaser)] = api.calls
    assert on == ES_CONTINUOUS | ES_SYSTEM_REQUIRED and off == ES_CONTINUOUS
    # The state belongs to the thread that set it: cleared by the same (not the caller's).
    assert holder == releaser != threading.get_ident()
    inhibitor.release()  # idempotent


def test_execution_state_refused() -> None:
    inhibitor = ExecutionStateInhibitor(FakeExecutionState(result=0))
    inhibitor.acquire("due")
    assert not inhibitor.held
    inhibitor.release()


class FakePower:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.callback: Callable[[int], None] | None = None
        self.unregistered: list[object] = []

    def register(self, callback: Callable[[int], None]) -> object:
        if self.fails:
            raise OSError(5, "Access is denied")
        self.callback = callback
        return "registration"

    def unregister(self, registration: object) -> None:
        self.unregistered.append(registration)


def test_power_notifications_call_back_after_resume_only() -> None:
    api = FakePower()
    resumed: list[int] = []
    watcher = PowerSleepWatcher(api)
    watcher.start(lambda: resumed.append(1))
    assert api.callback is not None
    api.callback(PBT_APMSUSPEND)
    assert resumed == []
    api.callback(PBT_APMRESUMEAUTOMATIC)
    assert resumed == [1]
    api.callback(0x000A)  # PBT_POWERSETTINGCHANGE: not ours
    watcher.stop()
    assert api.unregistered == ["registration"]
    watcher.stop()
    assert api.unregistered == ["registration"]


def test_power_notifications_unavailable_fall_back_to_the_clock() -> None:
    fallback = ClockSleepWatcher(interval=3600)
    watcher = PowerSleepWatcher(FakePower(fails=True), fallback=fallback)
    watcher.start(lambda: None)
    try:
        assert watcher.how == "clock watchdog"
        assert fallback._thread is not None
    finally:
        watcher.stop()
    assert fallback._thread is None


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for caffeinate")
def test_caffeinate_runs_while_held_and_is_tied_to_our_pid(tmp_path: Path) -> None:
    program = tmp_path / "caffeinate"
    program.write_text("#!/bin/sh\nexec sleep 600\n")
    program.chmod(0o755)
    inhibitor = CaffeinateInhibitor(str(program))
    inhibitor.acquire("due")
    try:
        assert inhibitor.held
        proc = inhibitor._proc
        assert proc is not None
        inhibitor.acquire("again")
        assert inhibitor._proc is proc  # one caffeinate, not two
    finally:
        inhibitor.release()
    assert proc.poll() is not None and not inhibitor.held
    assert proc.args == [str(program), "-i", "-w", str(os.getpid())]


def test_caffeinate_missing_is_said_once(caplog: pytest.LogCaptureFixture,
                                         tmp_path: Path) -> None:
    inhibitor = CaffeinateInhibitor(str(tmp_path / "no-caffeinate"))
    inhibitor.acquire("due")
    inhibitor.acquire("due")
    assert not inhibitor.held
    assert len([r for r in caplog.records if "cannot keep" in r.getMessage()]) == 1
