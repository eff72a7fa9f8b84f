"""``tiktok-desktop run --sandbox-url URL`` on accelerated time with engine config overrides.

The campaign starts this as its engine process: ``python -m tests.reliability.engine_child
--sandbox-url URL``. It runs the real command (argument parsing, signals, logging, the graph
that bootstrap.py builds against an external sandbox, the HeadlessRunner) with the one thing
every entry point may be given: a Runtime, here on the campaign's scaled clock, with its own
EngineConfig (see timebase.py).

``--database URL`` (the three-runner campaign, fleet.py): ``tiktok-desktop run --database``,
a runner of that shared schedule, its team key from the file TIKTOK_DESKTOP_TEAM_KEY_FILE
names, the TikTok it posts to (the campaign's sandbox) and the accounts' tokens from the
schedule itself.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import Any

from tests.reliability.timebase import Timebase
from tiktok_desktop.bootstrap import Runtime
from tiktok_desktop.cli import build_command_parser
from tiktok_desktop.cli import run as cli_run
from tiktok_desktop.engine import EngineConfig
from tiktok_desktop.engine.sleep import EngineStopping

CONFIG_ENV = "TIKTOK_RELIABILITY_ENGINE_CONFIG"  # JSON object of EngineConfig overrides


def engine_config(raw: str) -> EngineConfig:
    overrides: dict[str, Any] = json.loads(raw or "{}")
    return EngineConfig(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in overrides.items()})


def scaled_runtime(timebase: Timebase, config: EngineConfig) -> Runtime:
    def sleeper(stop: threading.Event) -> Any:
        def sleep(seconds: float) -> None:
            # Stopping the engine (SIGTERM) cuts its sleeps short, as its own sleeper does.
            if stop.wait(max(0.0, timebase.real(seconds))):
                raise EngineStopping()
        return sleep

    return Runtime(clock=timebase.wall, monotonic=timebase.monotonic, sleeper=sleeper,
                   wait=lambda event, seconds: event.wait(timebase.real(seconds)),
                   engine_config=config)


def main(argv: list[str] | None = None) -> int:
    runtime = scaled_runtime(Timebase.from_env(), engine_config(os.environ.get(CONFIG_ENV, "")))
    args = build_command_parser().parse_args(["run", *(sys.argv[1:] if argv is None else argv)])
    return cli_run.run(args, runtime=runtime)


if __name__ == "__main__":
    sys.exit(main())
