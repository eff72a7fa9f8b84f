"""``tiktok-desktop run --sandbox-url URL`` on accelerated time with engine config overrides.

The campaign starts this as its engine process: ``python -m tests.reliability.engine_child
--sandbox-url URL``. It runs the real command (cli_run: argument handling, signals, logging,
the engine built against an external sandbox, HeadlessRunner) and only swaps in, by name in
cli_run's namespace, the same classes with the injected clock, monotonic time, sleeper and
EngineConfig that the engine's constructors take anyway (see timebase.py).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
from typing import Any

from tests.reliability.timebase import Timebase
from tiktok_desktop.cli import run as cli_run
from tiktok_desktop.engine import EngineConfig
from tiktok_desktop.engine.sleep import EngineStopping

CONFIG_ENV = "TIKTOK_RELIABILITY_ENGINE_CONFIG"  # JSON object of EngineConfig overrides


def engine_config(raw: str) -> EngineConfig:
    overrides: dict[str, Any] = json.loads(raw or "{}")
    return EngineConfig(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in overrides.items()})


class _ScaledSleeper:
    """The engine's stop-aware sleeper, on scaled time."""

    def __init__(self, timebase: Timebase) -> None:
        self.timebase = timebase
        self.stop = threading.Event()

    def __call__(self, seconds: float) -> None:
        if self.stop.wait(max(0.0, self.timebase.real(seconds))):
            raise EngineStopping()


def install(timebase: Timebase, config: EngineConfig) -> None:
    """Replace cli_run's constructors with time-injected ones (each name must exist)."""
    clock = timebase.wall
    base_engine, base_runner, base_db = cli_run.Engine, cli_run.HeadlessRunner, cli_run.Database

    class ScaledEngine(base_engine):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: Any) -> None:
            sleeper = _ScaledSleeper(timebase)
            super().__init__(**kwargs, clock=clock, monotonic=timebase.monotonic,
                             sleeper=sleeper, config=config)
            # Stopping the engine (SIGTERM) must cut its sleeps short, as its own sleeper does.
            sleeper.stop = self._stop

    class ScaledRunner(base_runner):  # type: ignore[misc, valid-type]
        def __init__(self, engine: Any) -> None:
            super().__init__(engine, wait=lambda event, seconds: event.wait(
                timebase.real(seconds)))

    class ScaledDatabase:
        @staticmethod
        def open(path: Any) -> Any:
            return base_db.open(path, clock=clock)

    replacements: dict[str, Any] = {
        "Engine": ScaledEngine,
        "HeadlessRunner": ScaledRunner,
        "Database": ScaledDatabase,
        "OAuthClient": functools.partial(cli_run.OAuthClient, clock=clock),
        "AccountsService": functools.partial(cli_run.AccountsService, clock=clock),
        "TikTokApi": functools.partial(cli_run.TikTokApi, clock=clock),
    }
    for name, value in replacements.items():
        if not hasattr(cli_run, name):
            raise RuntimeError(f"cli_run no longer has {name}: update the campaign's child")
        setattr(cli_run, name, value)


def main(argv: list[str] | None = None) -> int:
    install(Timebase.from_env(), engine_config(os.environ.get(CONFIG_ENV, "")))
    from tiktok_desktop.cli import main as cli_main

    return cli_main(["run", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
