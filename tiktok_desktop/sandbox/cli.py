"""`tiktok-desktop sandbox serve` and `python -m tiktok_desktop.sandbox`: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .models import UPLOAD_REPLY_BODIES, SandboxOptions
from .owner import SandboxBusyError
from .server import SandboxServer

__all__ = ["build_parser", "serve_forever_cli"]


def _number(kind: type[int] | type[float], what: str, low: float, high: float,
            out_of_range: str) -> Callable[[str], Any]:
    """An argparse type: ``kind`` within [low, high], each refusal a plain sentence."""
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(out_of_range.format(value=text))
        return value
    return parse


_port = _number(int, "a port number", 0, 65535, "{value} is not a port: use 1 to 65535 (0: any "
                "free)")
# The upper bound excludes infinity and NaN ("inf" is a float to Python).
_seconds = _number(float, "a number of seconds", 0, 1e12, "{value} is not a number of "
                   "seconds, 0 or more")
_whole_seconds = _number(int, "a whole number of seconds", 1, 10**12, "{value} is not a "
                         "lifetime: use 1 second or more")
_count = _number(int, "a whole number", 0, 10**12, "{value} is not a count: use 0 or more")


def build_parser(prog: str = "tiktok-desktop sandbox serve") -> argparse.ArgumentParser:
    defaults = SandboxOptions()
    parser = argparse.ArgumentParser(
        prog=prog, description="Run the local TikTok emulator on 127.0.0.1 until Ctrl-C. "
        "Defaults behave as TikTok does today (TIKTOK_API.md)."
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port (default: any free port)")
    parser.add_argument(
        "--state-dir", type=Path, default=None,
        help="folder for apps, users, tokens and received videos (default: a new temp folder)",
    )
    parser.add_argument(
        "--processing-seconds", type=_seconds, default=defaults.processing_seconds,
        help="seconds from the last chunk to the final publish status",
    )
    parser.add_argument(
        "--moderation-seconds", type=_seconds, default=defaults.moderation_seconds,
        help="seconds from PUBLISH_COMPLETE until a public post's ID appears "
        f"(default {defaults.moderation_seconds:g}; up to 7 days)",
    )
    parser.add_argument(
        "--access-token-lifetime", type=_whole_seconds, default=defaults.access_token_lifetime,
        help=f"access token lifetime in seconds (default {defaults.access_token_lifetime}: 2 h)",
    )
    parser.add_argument(
        "--refresh-token-lifetime", type=_whole_seconds,
        default=defaults.refresh_token_lifetime,
        help=f"refresh token lifetime in seconds (default {defaults.refresh_token_lifetime}: "
        "180 days)",
    )
    parser.add_argument("--no-media-checks", action="store_true",
                        help="accept any bytes as a video (no decoding of what was received)")
    parser.add_argument("--no-rate-limits", action="store_true", help="disable the rate limits")
    parser.add_argument(
        "--no-store-bytes", action="store_true",
        help="keep only size and SHA-256 of uploads (needs --no-media-checks)"
    )
    parser.add_argument(
        "--progress-end", choices=("count", "inclusive"), default="count",
        help="meaning of X in the upload reply's 'Content-Range: bytes 0-X/TOTAL'",
    )
    parser.add_argument(
        "--upload-reply-body", choices=UPLOAD_REPLY_BODIES, default=defaults.upload_reply_body,
        help="body of the upload PUT's replies: an informational envelope (default), or, as a "
        "fault mode, empty or random bytes (TikTok documents only status and Content-Range)",
    )
    parser.add_argument(
        "--stats-seed", type=_number(int, "a whole number", -(2**63), 2**63 - 1,
                                     "{value} is not a seed: use a whole number"),
        default=defaults.stats_seed,
        help="seed of the view/like/comment/share counts public posts gain over time "
        "(same seed, same numbers)",
    )
    parser.add_argument("--oauth-errors-200", action="store_true",
                        help="fault mode: answer OAuth errors with HTTP 200 and the error body")
    parser.add_argument(
        "--lose-refresh-answers", type=_count, default=0, metavar="N",
        help="fault mode: the next N refreshes rotate the token but their answer is lost",
    )
    return parser


def describe(server: SandboxServer) -> str:
    """The banner: base URL, the apps' credentials and the test users."""
    lines = [f"TikTok sandbox running at {server.base_url}", f"State folder: {server.state_dir}",
             f"Control token (X-Sandbox-Token header for {server.base_url}/__sandbox__/): "
             f"{server.control_token}"]
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
    """Serve until Ctrl-C (or until `stop` is set, for tests); returns the exit code.

    Bad flags, a folder that cannot be used and a port that cannot be had end with a plain
    message on stderr and exit code 2, never a traceback.
    """
    args = build_parser(prog).parse_args(None if argv is None else list(argv))
    out = out or sys.stdout
    try:
        options = SandboxOptions(
            processing_seconds=args.processing_seconds,
            moderation_seconds=args.moderation_seconds,
            access_token_lifetime=args.access_token_lifetime,
            refresh_token_lifetime=args.refresh_token_lifetime,
            media_checks=not args.no_media_checks,
            rate_limits_enabled=not args.no_rate_limits,
            store_upload_bytes=not args.no_store_bytes,
            stats_seed=args.stats_seed,
            progress_end=args.progress_end,
            upload_reply_body=args.upload_reply_body,
            oauth_errors_http_200=args.oauth_errors_200,
        )
    except ValueError as error:
        return _fail(prog, str(error))
    try:
        state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="tiktok-sandbox-"))
        server = SandboxServer(state_dir, options, port=args.port)
    except SandboxBusyError as error:
        return _fail(prog, str(error))
    except OSError as error:
        where = args.state_dir or "a temporary folder"
        return _fail(prog, f"cannot use the state folder {where}: "
                     f"{error.strerror or error}. Choose a folder you can write with "
                     "--state-dir.")
    except ValueError as error:  # a damaged or newer state.json
        return _fail(prog, f"cannot read the state in {state_dir}: {error}. Move that folder "
                     "away (or choose another with --state-dir) to start afresh.")
    try:
        server.start()
    except OSError as error:
        server.stop()
        return _fail(prog, f"cannot listen on 127.0.0.1:{args.port}: "
                     f"{error.strerror or error}. Choose another --port (0: any free port).")
    if args.lose_refresh_answers:
        server.control.inject_fault("/v2/oauth/token/", "lose_refresh_answer",
                                    args.lose_refresh_answers)
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


def _fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2
