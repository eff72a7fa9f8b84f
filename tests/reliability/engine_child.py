"""``tiktok-desktop run --sandbox-url URL`` on accelerated time with engine config overrides.

The campaign starts this as its engine process: ``python -m tests.reliability.engine_child
--sandbox-url URL``. It runs the real command (argument parsing, signals, logging, the graph
that bootstrap.py builds against an external sandbox, the HeadlessRunner) with the one thing
every entry point may be given: a Runtime, here on the campaign's scaled clock, with its own
EngineConfig (see timebase.py).

``--database URL`` (the three-runner campaign, fleet.py): the engine works on that PostgreSQL
schedule. ``tiktok-desktop run --database`` is not on this branch yet (issue 20, helper C), so
the runner is composed here as the command composes it: the graph bootstrap.py builds for the
external sandbox (TikTok's endpoints and clients, the vault of account tokens), and an engine
from bootstrap's ``engine_parts`` over a PgDatabase instead of the profile's SQLite file,
driven by the HeadlessRunner under the command's own signal handling and log lines.
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


def run_on_postgres(url: str, argv: list[str], runtime: Runtime) -> int:
    """The runner on a PostgreSQL schedule (see the module's note)."""
    import logging

    from tiktok_desktop import paths
    from tiktok_desktop.bootstrap import build, decide_mode, engine_parts
    from tiktok_desktop.engine import HeadlessListener
    from tiktok_desktop.engine.scheduler import Engine
    from tiktok_desktop.logging_setup import setup_logging
    from tiktok_desktop.services.shared_library import SharedLibrary
    from tiktok_desktop.store.postgres import PgDatabase
    from tiktok_desktop.store.videos import VideoStore

    args = build_command_parser().parse_args(["run", *argv])
    profile = paths.resolve().for_profile(paths.SANDBOX_PROFILE)
    setup_logging(profile.log_dir)
    cli_run._stdout_logging(args.debug)
    log = logging.getLogger("tiktok_desktop.run")
    graph = build(decide_mode(paths.resolve(), sandbox_url=args.sandbox_url), runtime=runtime)
    db = PgDatabase.open(url, clock=runtime.clock)
    # Videos come from the database (helper B's SharedLibrary), into a cache of this runner's
    # own, as on a computer of its own.
    videos = SharedLibrary(VideoStore(db), profile.cache_dir / f"runner-{os.getpid()}",
                           clock=runtime.clock)
    parts = engine_parts(db, graph.vault, graph.oauth, graph.http,  # type: ignore[arg-type]
                         graph.endpoints, runtime, grace=graph.grace_seconds,
                         share_base=graph.share_base, videos=videos)
    engine = Engine(parts, HeadlessListener())
    runner = graph.headless_runner(engine)

    def on_signal(_signum: int) -> None:
        engine.request_stop()
        runner.request_stop()

    signals = cli_run._SignalWatch(on_signal)
    log.info("engine running against %s on %s (owner %s)", graph.where, db.where, engine.owner)
    try:
        runner.run()
    finally:
        engine.stop(wait=True)
        db.close()
        graph.close()
        signals.close()
    log.info("engine stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    runtime = scaled_runtime(Timebase.from_env(), engine_config(os.environ.get(CONFIG_ENV, "")))
    rest = list(sys.argv[1:] if argv is None else argv)
    if "--database" in rest:
        at = rest.index("--database")
        url = rest[at + 1]
        return run_on_postgres(url, rest[:at] + rest[at + 2:], runtime)
    args = build_command_parser().parse_args(["run", *rest])
    return cli_run.run(args, runtime=runtime)


if __name__ == "__main__":
    sys.exit(main())
