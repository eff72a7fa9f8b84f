"""``tiktok-desktop run``: the publishing engine without a window.

Publishes scheduled posts at their time, logging to stdout. Ctrl-C or SIGTERM stop it cleanly
(uploads stop at the next block and resume on the next start); ``--once`` publishes what is
due now and exits. It can share its data with a running GUI: claims in the database make sure
a post is only ever worked on by one of them.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from tiktok_desktop import APP_DISPLAY_NAME, __version__, paths
from tiktok_desktop.bootstrap import AppGraph, Runtime, build, decide_mode
from tiktok_desktop.engine import HeadlessListener
from tiktok_desktop.logging_setup import (
    PrivateRotatingFileHandler,
    RedactingFilter,
    setup_logging,
)
from tiktok_desktop.paths import ensure_private_dir, touch_private
from tiktok_desktop.store import StoreError

log = logging.getLogger("tiktok_desktop.run")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="publish scheduled posts without a window (Ctrl-C stops)")
    run.add_argument("--once", action="store_true",
                     help="publish what is due now, wait for it to finish, then exit")
    run.add_argument("--sandbox", action="store_true",
                     help="use the built-in TikTok sandbox even if credentials are set")
    run.add_argument("--sandbox-url", metavar="URL",
                     help="use a sandbox already running at URL (from 'tiktok-desktop sandbox "
                     "serve') instead of starting one; uses the sandbox profile's data")
    run.add_argument("--debug", action="store_true", help="log more detail")
    run.add_argument("--log-file", metavar="PATH", type=Path,
                     help="also write the log lines to PATH (rotated, private to you); the "
                     "background service uses it, so its status can say what it last did")


def _stdout_logging(debug: bool, log_file: Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if log_file is not None:
        ensure_private_dir(log_file.parent)
        handlers.append(PrivateRotatingFileHandler(touch_private(log_file), maxBytes=1_000_000,
                                                   backupCount=1, encoding="utf-8"))
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
        handler.setLevel(logging.DEBUG if debug else logging.INFO)
        handler.addFilter(RedactingFilter())
        handler._tiktok_desktop = True  # type: ignore[attr-defined]  # replaced on re-setup
        root.addHandler(handler)
    if debug:
        root.setLevel(logging.DEBUG)


def _open(args: argparse.Namespace, runtime: Runtime | None) -> AppGraph:
    mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox,
                       sandbox_url=args.sandbox_url or "")
    return build(mode, runtime=runtime)


def run(args: argparse.Namespace, runtime: Runtime | None = None) -> int:
    """``runtime``: time, randomness and engine settings (the fault campaign injects its own)."""
    base = paths.resolve()
    profile = base.for_profile(paths.SANDBOX_PROFILE) if (args.sandbox or args.sandbox_url) \
        else base
    setup_logging(profile.log_dir)
    _stdout_logging(args.debug, args.log_file)
    try:
        graph = _open(args, runtime)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, ValueError, KeyError, StopIteration) as exc:
        print(f"error: no sandbox answered at {args.sandbox_url} ({exc})", file=sys.stderr)
        return 2
    engine = graph.engine(HeadlessListener())
    runner = graph.headless_runner(engine)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        engine.request_stop()
        runner.request_stop()

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, on_signal)
    log.info("%s %s engine running against %s (owner %s)%s", APP_DISPLAY_NAME, __version__,
             graph.where, engine.owner, "; publishing what is due, then exiting" if args.once
             else "; Ctrl-C stops it")
    try:
        if args.once:
            engine.run_once()
        else:
            runner.run()
    finally:
        engine.stop(wait=True)
        graph.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("engine stopped%s", " (interrupted)" if stopping.is_set() else "")
    return 0
