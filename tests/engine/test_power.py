"""The engine and the OS's power management (issue 17): it keeps the computer awake while a
post is due within ten minutes or uploading and lets go right after, and it re-plans at once
when logind says the computer woke up. Against python-dbusmock's logind on a private system
bus, with the real engine publishing to the sandbox."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from tests.engine.conftest import Recorder
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import reread
from tests.helpers.logind import Logind
from tiktok_desktop.domain.lifecycle import POSTED
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.store import Account, Post, PostsRepo, PostState
from tiktok_desktop.system.keepawake import KeepAwake
from tiktok_desktop.system.logind import LogindInhibitor, LogindSleepWatcher


def _ours(logind: Logind) -> list[tuple[str, ...]]:
    return [row for row in logind.inhibitors() if row[0] == "sleep"]


def test_the_engine_keeps_the_computer_awake_only_around_a_due_post(
    logind: Logind, make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
) -> None:
    account = connect()
    later = schedule(account, video, caption="in two hours", due_in=2 * 3600)
    engine = make_engine()
    awake = KeepAwake(LogindInhibitor(logind.address), next_due=posts.next_wake,
                      uploading=lambda: engine.busy, clock=clock)
    engine.set_power(awake)
    next_wake = engine.tick()
    assert _ours(logind) == []  # nothing due soon: the computer may sleep
    # The engine wakes by the time the post comes within ten minutes (or earlier, for the
    # token refresh that a 2-hour access token needs).
    assert later.due_at is not None
    assert awake.update() == later.due_at - 600
    assert next_wake is not None and next_wake <= later.due_at - 600
    soon = schedule(account, video, caption="in five minutes", due_in=300)
    engine.tick()
    held = _ours(logind)
    assert len(held) == 1 and "due within 10 minutes" in held[0][2]
    clock.advance(301)
    engine.run_once()  # publishes it; the job's end ticks again
    assert reread(posts, soon).state in POSTED  # published (its link after TikTok's review)
    engine.tick()
    assert _ours(logind) == []  # let go right after: the next post is hours away
    engine.stop()
    assert reread(posts, later).state is PostState.SCHEDULED


def test_a_resume_from_sleep_re_plans_at_once(
    logind: Logind, make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, clock: FakeClock,
    recorder: Recorder,
) -> None:
    """As on Windows, the engine's own clock check cannot see this sleep (its monotonic clock
    kept counting): logind's PrepareForSleep(false) is what tells it."""
    account = connect()
    missed = schedule(account, video, caption="slept through", due_in=3600)
    late = schedule(account, video, caption="late but fine", due_in=4 * 3600)
    engine = make_engine(grace=3600.0)
    woken = threading.Event()
    engine.set_wake_callback(woken.set)
    engine.tick()
    watcher = LogindSleepWatcher(logind.address)
    watcher.start(engine.resumed)
    try:
        assert watcher.listening.wait(10)
        logind.emit_prepare_for_sleep(True)
        clock.advance(4.5 * 3600)  # the lid was closed all afternoon
        assert not woken.is_set()
        logind.emit_prepare_for_sleep(False)
        assert woken.wait(10)  # the driver is asked to tick now, not at its next timer
    finally:
        watcher.stop()
    engine.run_once()
    gone = reread(posts, missed)
    assert gone.state is PostState.MISSED
    assert gone.last_error_message is not None
    assert gone.last_error_message.startswith("Not posted: the computer was asleep")
    assert reread(posts, late).state in POSTED  # within the grace period
    assert any(e.detail.startswith("Posting 30 min late: the computer was asleep")
               for e in posts.events(late.id))
    assert NoticeKind.MISSED in recorder.kinds(missed.id)
    engine.stop()
