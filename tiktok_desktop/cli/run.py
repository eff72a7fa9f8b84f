"""``tiktok-desktop run``: the publishing engine without a window.

Publishes scheduled posts at their time, logging to stdout. Ctrl-C or SIGTERM stop it cleanly
(uploads stop at the next block and resume on the next start); ``--once`` publishes what is
due now and exits. It can share its data with a running GUI: claims in the database make sure
a post is only ever worked on by one of them.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import httpx

from tiktok_desktop import APP_DISPLAY_NAME, __version__, paths
from tiktok_desktop.bootstrap import STARTUP_ERRORS, AppGraph, Runtime, build, decide_mode
from tiktok_desktop.config import SettingsStore
from tiktok_desktop.engine import HeadlessListener
from tiktok_desktop.engine.runner import Waiter
from tiktok_desktop.logging_setup import (
    PrivateRotatingFileHandler,
    RedactingFilter,
    setup_logging,
)
from tiktok_desktop.paths import ensure_private_dir, touch_private
from tiktok_desktop.store.db import DatabaseUnreachable

# Said here, not imported: the SQLite runner loads nothing of the shared schedule's.
KEY_FILE_ENV = "TIKTOK_DESKTOP_TEAM_KEY_FILE"
CREDENTIAL_NAME = "tiktok-desktop-team-key"
# How long a runner waits between two tries to reach its shared schedule: from RETRY_FIRST,
# doubling, up to RETRY_MOST.
RETRY_FIRST, RETRY_MOST = 1.0, 15.0

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
    run.add_argument("--database", metavar="URL",
                     help="publish a shared schedule's posts: its PostgreSQL address "
                     "(postgresql://user@host:5432/name; the password from the keyring, "
                     "~/.pgpass or PGPASSWORD rather than the command line). While it cannot "
                     "be reached, the runner waits and tries again")
    run.add_argument("--team-key-file", metavar="PATH", type=Path,
                     help="the shared schedule's team key, in a file only you may read "
                     f"(chmod 600; default: ${KEY_FILE_ENV}, systemd's LoadCredential="
                     f"{CREDENTIAL_NAME}, or the keyring)")
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


class _SignalWatch:
    """SIGINT and SIGTERM stop the engine at once, whichever thread the OS gives them to.

    A Python signal handler only runs when the main thread next runs Python code; a signal
    delivered to an upload thread would wait for the main thread's wait to time out (up to the
    engine's one-minute watchdog). So the handler's wake-up byte (signal.set_wakeup_fd) lands
    on a socket a small thread reads, and that thread stops the engine.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, on_signal: Callable[[int], None]) -> None:
        self._on_signal = on_signal
        self._read, self._write = socket.socketpair()
        self._write.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        # The Python-level handler must exist (the default would end the process at once).
        self._previous = {sig: signal.signal(sig, self._noted) for sig in self.SIGNALS}
        self._thread = threading.Thread(target=self._watch, name="signals", daemon=True)
        self._thread.start()

    @staticmethod
    def _noted(signum: int, _frame: FrameType | None) -> None:
        log.debug("signal %d noted", signum)

    def _watch(self) -> None:
        while True:
            try:
                data = self._read.recv(64)
            except OSError:
                return
            if not data:
                return  # closed
            for signum in data:
                if signum in self.SIGNALS:
                    log.info("%s received: stopping", signal.Signals(signum).name)
                    self._on_signal(signum)

    def close(self) -> None:
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            self._read.shutdown(socket.SHUT_RDWR)  # wakes the reader thread
        self._thread.join(timeout=5)
        self._read.close()
        self._write.close()


def _open(args: argparse.Namespace, runtime: Runtime | None) -> AppGraph:
    mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox,
                       sandbox_url=args.sandbox_url or "", database=args.database or "")
    return build(mode, runtime=runtime)


class _Waiting:
    """A runner's shared schedule out of reach: one log line when that starts, one when it
    ends, tries in between with a growing pause (cut short by a stop)."""

    def __init__(self, stopping: threading.Event, wait: Waiter) -> None:
        self._stopping = stopping
        self._wait = wait  # the Runtime's: a campaign on its own clock scales the pauses
        # The pool's own reconnect attempts would log a warning each, every second: the
        # runner's one line below says the same once (errors still show).
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        self._since: float | None = None
        self._pause = RETRY_FIRST

    def failed(self, exc: DatabaseUnreachable) -> bool:
        """Wait before the next try; False when a stop came meanwhile."""
        if self._since is None:
            self._since = time.monotonic()
            log.warning("%s The runner waits and tries again (every %.0f s at most) until "
                        "it is back.", exc, RETRY_MOST)
        self._wait(self._stopping, self._pause)
        stopped = self._stopping.is_set()
        self._pause = min(self._pause * 2, RETRY_MOST)
        return not stopped

    def reached(self, where: str) -> None:
        if self._since is not None:
            log.info("the shared schedule at %s is reachable again after %.0f s: resuming",
                     where, time.monotonic() - self._since)
        self._since = None
        self._pause = RETRY_FIRST


def _open_waiting(args: argparse.Namespace, runtime: Runtime | None,
                  waiting: _Waiting) -> AppGraph | None:
    """The graph; on a shared schedule out of reach, waits until it is back (None: stopped
    meanwhile)."""
    while True:
        try:
            graph = _open(args, runtime)
        except DatabaseUnreachable as exc:
            if not args.database and not args.shared_in_settings:
                raise
            if not waiting.failed(exc):
                return None
            continue
        waiting.reached(graph.mode.database.where if graph.mode.database else "")
        return graph


def run(args: argparse.Namespace, runtime: Runtime | None = None) -> int:
    """``runtime``: time, randomness and engine settings (the fault campaign injects its own)."""
    stopping = threading.Event()
    current: list[Callable[[], None]] = []  # what a stop must reach now

    def on_signal(signum: int) -> None:
        stopping.set()
        for stop in current:
            stop()

    if getattr(args, "team_key_file", None) is not None:
        # Read where the team key is looked for (credentials/team_keys.py).
        os.environ[KEY_FILE_ENV] = str(args.team_key_file.expanduser().absolute())
    signals = _SignalWatch(on_signal)
    try:
        return _run(args, runtime, stopping, current)
    finally:
        signals.close()


def _drive(graph: AppGraph, args: argparse.Namespace, stopping: threading.Event,
           current: list[Callable[[], None]]) -> DatabaseUnreachable | None:
    """Run an engine on ``graph`` until it stops (closing the graph); the error when its
    shared schedule went out of reach meanwhile."""
    try:
        engine = graph.engine(HeadlessListener())
    except DatabaseUnreachable as exc:
        graph.close()
        if graph.mode.database is None:
            raise
        return exc
    runner = graph.headless_runner(engine)
    current[:] = [engine.request_stop, runner.request_stop]
    if stopping.is_set():  # a stop while the graph was being made
        engine.request_stop()
        runner.request_stop()
    log.info("%s %s engine running against %s (owner %s)%s%s", APP_DISPLAY_NAME,
             __version__, graph.where, engine.owner,
             f" on the shared schedule at {graph.mode.database.where}"
             if graph.mode.database else "",
             "; publishing what is due, then exiting" if args.once else "; Ctrl-C stops it")
    try:
        if args.once:
            engine.run_once()
        else:
            graph.system.sleep_watcher.start(engine.resumed)
            runner.run()
    except DatabaseUnreachable as exc:
        if graph.mode.database is None:
            raise
        return exc
    finally:
        current[:] = []
        graph.system.sleep_watcher.stop()
        engine.stop(wait=True)
        graph.close()
    return None


def _run(args: argparse.Namespace, runtime: Runtime | None, stopping: threading.Event,
         current: list[Callable[[], None]]) -> int:
    args.database = getattr(args, "database", None)
    waiting = _Waiting(stopping, (runtime or Runtime()).wait)
    try:
        base = paths.resolve()
        profile = base.for_profile(paths.SANDBOX_PROFILE) \
            if (args.sandbox or args.sandbox_url) else base
        setup_logging(profile.log_dir)
        _stdout_logging(args.debug, args.log_file)
        args.shared_in_settings = bool(SettingsStore(base.settings_file).load().shared_database)
        graph = _open_waiting(args, runtime, waiting)
    except STARTUP_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, ValueError, KeyError, StopIteration) as exc:
        print(f"error: no sandbox answered at {args.sandbox_url} ({exc})", file=sys.stderr)
        return 2
    if graph is None:
        log.info("stopped while waiting for the shared schedule")
        return 0
    while True:
        lost = _drive(graph, args, stopping, current)
        if lost is None:
            break
        if args.once:
            print(f"error: {lost}", file=sys.stderr)
            return 1
        # The shared schedule went away mid-run: its claims and leases there let any runner
        # (this one, once it is back) resume each post without a duplicate.
        if not waiting.failed(lost):
            break
        next_graph = _open_waiting(args, runtime, waiting)
        if next_graph is None:
            break
        graph = next_graph
    log.info("engine stopped%s", " (interrupted)" if stopping.is_set() else "")
    return 0
