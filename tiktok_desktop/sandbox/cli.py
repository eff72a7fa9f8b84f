"""`tiktok-desktop sandbox serve` and `python -m tiktok_desktop.sandbox`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .models import SandboxOptions
from .server import SandboxServer

__all__ = ["build_parser", "serve_forever_cli"]


def build_parser(prog: str = "tiktok-desktop sandbox serve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the local TikTok emulator on 127.0.0.1 until Ctrl-C."
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free port)")
    parser.add_argument(
        "--state-dir", type=Path, default=None,
        help="folder for apps, users, tokens and received videos (default: a new temp folder)",
    )
    parser.add_argument(
        "--processing-seconds", type=float, default=SandboxOptions.processing_seconds,
        help="seconds from the last chunk to the final publish status",
    )
    parser.add_argument("--no-rate-limits", action="store_true", help="disable the rate limits")
    parser.add_argument(
        "--no-store-bytes", action="store_true", help="keep only size and SHA-256 of uploads"
    )
    parser.add_argument(
        "--progress-end", choices=("count", "inclusive"), default="count",
        help="meaning of X in the upload reply's 'Content-Range: bytes 0-X/TOTAL'",
    )
    return parser


def describe(server: SandboxServer) -> str:
    """The banner: base URL, the apps' credentials and the test users."""
    lines = [f"TikTok sandbox running at {server.base_url}", f"State folder: {server.state_dir}"]
    for app in server.apps.values():
        lines += [
            f'App "{app.name}" ({"audited" if app.audited else "unaudited"})',
            f"  client key:    {app.client_key}",
            f"  client secret: {app.client_secret}",
            f"  redirect URIs: {', '.join(app.redirect_uris)}",
        ]
    lines.append("Users:")
    for user in server.users:
        flags = ["private" if user.is_private else "public"]
        if user.can_post:
            flags.append(f"cannot post: {user.can_post}")
        lines.append(
            f"  @{user.username:<16} {user.nickname:<16} open_id={user.open_id}  {', '.join(flags)}"
        )
    lines += [
        f"Profiles: {server.base_url}/   Control: {server.base_url}/__sandbox__/info",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _stop_on_sigterm(stop: threading.Event) -> None:
    """SIGTERM stops the server cleanly (state saved), like Ctrl-C; only from the main thread."""
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())


def serve_forever_cli(argv: Sequence[str] | None = None, *, stop: threading.Event | None = None,
                      out: TextIO | None = None, prog: str = "tiktok-desktop sandbox serve") -> int:
    """Serve until Ctrl-C (or until `stop` is set, for tests); returns the exit code."""
    args = build_parser(prog).parse_args(None if argv is None else list(argv))
    out = out or sys.stdout
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="tiktok-sandbox-"))
    options = SandboxOptions(
        processing_seconds=args.processing_seconds,
        rate_limits_enabled=not args.no_rate_limits,
        store_upload_bytes=not args.no_store_bytes,
        progress_end=args.progress_end,
    )
    server = SandboxServer(state_dir, options, port=args.port)
    try:
        server.start()
    except OSError as error:
        print(f"cannot listen on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    _stop_on_sigterm(stop)
    try:
        print(describe(server), file=out, flush=True)
        # Short waits so Ctrl-C is noticed on every platform (Windows lock waits ignore it).
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("Sandbox stopped.", file=out, flush=True)
    return 0
