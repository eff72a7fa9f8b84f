"""TikTok counts requests per access token, whichever process sends them. An engine that is
killed and started again keeps the same token (it is in the keyring), so the restarted engine
must not spend again the part of the minute's budget the previous process already used.

The campaign's focused reproducer: one account, nine posts due now, no faults; the engine is
SIGKILLed after its third init and started again; then no more than six inits of that token
may reach TikTok within any minute.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from tests.engine.conftest import write_video
from tests.helpers.endpoints import INIT
from tests.reliability.timebase import Timebase
from tests.reliability.verdict import LIMITS, max_in_window
from tests.reliability.world import open_world, sandbox_options

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals (SIGKILL)"),
]



def test_a_restarted_engine_keeps_within_the_init_limit_of_its_token(tmp_path: Path) -> None:
    timebase = Timebase.starting_now(5.0)  # one scaled minute = 12 s
    with open_world(tmp_path, timebase, sandbox_options(0.0, 3600), {}) as world:
        account = world.connect("sandbox_creator")
        video = write_video(tmp_path / "v.mp4", 300_000)
        now = int(timebase.wall())
        for i in range(9):
            world.schedule(account, video, f"restart post {i}", now - 1)
        control = world.sandbox.control

        def inits() -> list[float]:
            return [c.at for c in control.calls() if c.path == INIT]

        first = world.start_engine()
        world.sandbox.calls.wait_for(
            lambda calls: sum(c.path == INIT for c in calls) >= 3, timeout=60)
        first.proc.kill()
        first.proc.wait(timeout=30)
        second = world.start_engine()
        try:
            # A correct engine sends three more, then waits for the minute to pass; give it
            # that minute (scaled) and a little more before judging.
            judge_at = inits()[0] + 66
            with contextlib.suppress(TimeoutError):
                world.sandbox.calls.wait_for(
                    lambda calls: sum(c.path == INIT for c in calls) >= 9,
                    timeout=timebase.real(judge_at - timebase.wall()))
        finally:
            second.proc.kill()
            second.proc.wait(timeout=30)
        sent = sorted(inits())
        assert len(sent) >= 6  # the engine did work after the restart
        peak = max_in_window(sent)
        assert peak <= LIMITS[INIT], (
            f"{peak} inits of one token within 60 s (TikTok allows {LIMITS[INIT]}); "
            f"seconds after the first: {[round(t - sent[0], 1) for t in sent]}")
