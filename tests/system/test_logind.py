"""The sleep inhibitor and PrepareForSleep against python-dbusmock's logind on a private
system bus (tests/system/conftest.py): the real D-Bus protocol, file descriptor passing
included, without touching this machine's logind."""

from __future__ import annotations

import os
import threading

import pytest

from tests.helpers.logind import Logind
from tiktok_desktop import APP_DISPLAY_NAME
from tiktok_desktop.system.clockwatch import ClockSleepWatcher
from tiktok_desktop.system.keepawake import KeepAwake
from tiktok_desktop.system.logind import LogindInhibitor, LogindSleepWatcher


def test_the_inhibitor_is_taken_and_released(logind: Logind) -> None:
    inhibitor = LogindInhibitor(logind.address)
    assert logind.inhibitors() == []
    inhibitor.acquire("A TikTok post is due within 10 minutes")
    assert inhibitor.held
    [row] = logind.inhibitors()
    assert row[:4] == ("sleep", APP_DISPLAY_NAME, "A TikTok post is due within 10 minutes",
                       "block")
    inhibitor.acquire("again")  # idempotent: still one inhibitor
    assert len(logind.inhibitors()) == 1
    inhibitor.release()
    assert not inhibitor.held
    # logind drops the inhibitor when its descriptor closes; the mock notices from its loop.
    for _ in range(200):
        if not logind.inhibitors():
            break
        threading.Event().wait(0.01)
    assert logind.inhibitors() == []
    inhibitor.release()  # idempotent


def test_keep_awake_policy_drives_the_real_inhibitor(logind: Logind) -> None:
    now = 1_000_000.0
    due: list[float | None] = [now + 3600]
    uploading = [False]
    keep = KeepAwake(LogindInhibitor(logind.address), next_due=lambda: due[0],
                     uploading=lambda: uploading[0], clock=lambda: now)
    assert keep.update() == now + 3600 - 600
    assert logind.inhibitors() == []
    due[0] = now + 300
    keep.update()
    assert [r[2] for r in logind.inhibitors()] == ["A TikTok post is due within 10 minutes"]
    uploading[0] = True
    keep.update()
    assert [r[2] for r in logind.inhibitors()] == ["A TikTok post is uploading"]
    uploading[0], due[0] = False, None
    assert keep.update() is None
    for _ in range(200):
        if not logind.inhibitors():
            break
        threading.Event().wait(0.01)
    assert logind.inhibitors() == [] and not keep.held


def test_no_bus_means_no_inhibitor_and_one_note(caplog: pytest.LogCaptureFixture,
                                                tmp_path: os.PathLike[str]) -> None:
    inhibitor = LogindInhibitor(f"unix:path={tmp_path}/no-such-socket")
    inhibitor.acquire("why")
    inhibitor.acquire("why")
    assert not inhibitor.held
    notes = [r.getMessage() for r in caplog.records if "cannot keep the computer" in
             r.getMessage()]
    assert len(notes) == 1


def test_resume_signal_calls_back_and_sleep_signal_does_not(logind: Logind) -> None:
    resumed = threading.Event()
    slept = threading.Event()
    watcher = LogindSleepWatcher(logind.address, on_sleep=slept.set)
    watcher.start(resumed.set)
    try:
        assert watcher.listening.wait(10)
        logind.emit_prepare_for_sleep(True)
        assert slept.wait(10)
        assert not resumed.is_set()
        logind.emit_prepare_for_sleep(False)
        assert resumed.wait(10)
    finally:
        watcher.stop()
    assert watcher.how == "logind PrepareForSleep"


def test_the_watcher_stops_promptly(logind: Logind) -> None:
    watcher = LogindSleepWatcher(logind.address)
    watcher.start(lambda: None)
    assert watcher.listening.wait(10)
    thread = watcher._thread
    watcher.stop()
    assert thread is not None and not thread.is_alive()
    watcher.stop()  # idempotent


def test_without_a_system_bus_the_clock_watchdog_takes_over(tmp_path: os.PathLike[str]) -> None:
    fallback = ClockSleepWatcher(interval=3600)
    watcher = LogindSleepWatcher(f"unix:path={tmp_path}/none", fallback=fallback)
    watcher.start(lambda: None)
    try:
        assert watcher.how == "clock watchdog"
        assert fallback._thread is not None and fallback._thread.is_alive()
    finally:
        watcher.stop()
    assert fallback._thread is None
