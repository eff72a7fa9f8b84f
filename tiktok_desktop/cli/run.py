"""``tiktok-desktop run``: the publishing engine without a window.

Publishes scheduled posts at their time, logging to stdout. Ctrl-C or SIGTERM stop it cleanly
(uploads stop at the next block and resume on the next start); ``--once`` publishes what is
due now and exits. It can share its data with a running GUI: claims in the database make sure
a post is only ever worked on by one of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import httpx

from tiktok_desktop import APP_DISPLAY_NAME, __version__, paths
from tiktok_desktop.bootstrap import build_context, decide_mode
from tiktok_desktop.config import DEFAULT_REDIRECT_URI, SettingsStore
from tiktok_desktop.credentials.vault import SERVICE, SessionOnlyBackend, Vault
from tiktok_desktop.engine import Engine, HeadlessRunner, LoggingListener
from tiktok_desktop.logging_setup import REDACTOR, RedactingFilter, setup_logging
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import AccountsRepo, Database, PostsRepo, StoreError
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

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


def _stdout_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    handler.setLevel(logging.DEBUG if debug else logging.INFO)
    handler.addFilter(RedactingFilter())
    handler._tiktok_desktop = True  # type: ignore[attr-defined]  # replaced on re-setup
    root = logging.getLogger()
    root.addHandler(handler)
    if debug:
        root.setLevel(logging.DEBUG)


class _External:
    """The engine's pieces for a sandbox running elsewhere (no AppContext: no window)."""

    def __init__(self, url: str) -> None:
        base = url.rstrip("/")
        self.http = httpx.Client(trust_env=False, follow_redirects=False)
        # The sandbox's control API wants the run's control token ('sandbox serve' prints it);
        # from the environment, not the command line, where other users could read it.
        token = os.environ.get("TIKTOK_SANDBOX_TOKEN", "")
        answer = self.http.get(f"{base}/__sandbox__/info", timeout=10,
                               headers={"X-Sandbox-Token": token})
        if answer.status_code == 401:
            raise ValueError("it wants its control token: set TIKTOK_SANDBOX_TOKEN to the "
                             "token 'tiktok-desktop sandbox serve' printed")
        info = answer.json()
        app = next(a for a in info["apps"] if a["client_key"] == info["default_client_key"])
        REDACTOR.add_secret(app["client_secret"])
        self.paths = paths.resolve().for_profile(paths.SANDBOX_PROFILE).ensure()
        self.settings = SettingsStore(paths.resolve().settings_file).load()
        self.db = Database.open(self.paths.db_file)
        self.vault = Vault(SERVICE + "-sandbox")
        if not self.vault.available():
            log.info("no system keyring: sandbox sign-ins last until this process exits")
            self.vault = Vault(self.vault.service, backend=SessionOnlyBackend())
        endpoints = Endpoints.single(base)
        oauth = OAuthClient(self.http, ClientCredentials(app["client_key"],
                                                         app["client_secret"]), endpoints)
        self.accounts = AccountsService(AccountsRepo(self.db), self.vault, oauth,
                                        TikTokApi(self.http, endpoints),
                                        redirect_uri=DEFAULT_REDIRECT_URI)
        self.engine = Engine(posts=PostsRepo(self.db), accounts=self.accounts, vault=self.vault,
                             http=self.http, endpoints=endpoints, listener=LoggingListener(),
                             grace=lambda: self.settings.late_grace_minutes * 60.0,
                             share_base=base)

    def close(self) -> None:
        self.http.close()
        self.db.close()


def _build(args: argparse.Namespace) -> tuple[Engine, Callable[[], None], str]:
    if args.sandbox_url:
        external = _External(args.sandbox_url)
        return external.engine, external.close, f"the sandbox at {args.sandbox_url}"
    mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox)
    ctx = build_context(mode)
    where = f"the built-in sandbox at {ctx.sandbox_server.base_url}" \
        if ctx.sandbox_server is not None else "TikTok"
    return Engine.from_context(ctx, LoggingListener()), ctx.close, where


def run(args: argparse.Namespace) -> int:
    base = paths.resolve()
    profile = base.for_profile(paths.SANDBOX_PROFILE) if (args.sandbox or args.sandbox_url) \
        else base
    setup_logging(profile.log_dir)
    _stdout_logging(args.debug)
    try:
        engine, close, where = _build(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, ValueError, KeyError, StopIteration) as exc:
        print(f"error: no sandbox answered at {args.sandbox_url} ({exc})", file=sys.stderr)
        return 2
    runner = HeadlessRunner(engine)
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        engine.request_stop()
        runner.request_stop()

    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, on_signal)
    log.info("%s %s engine running against %s (owner %s)%s", APP_DISPLAY_NAME, __version__,
             where, engine.owner, "; publishing what is due, then exiting" if args.once
             else "; Ctrl-C stops it")
    try:
        if args.once:
            engine.run_once()
        else:
            runner.run()
    finally:
        engine.stop(wait=True)
        close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("engine stopped%s", " (interrupted)" if stopping.is_set() else "")
    return 0
