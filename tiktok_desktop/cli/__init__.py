"""Command line: the GUI by default, or a subcommand."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tiktok_desktop import APP_DISPLAY_NAME, __version__

SUBCOMMANDS = ("sandbox", "accounts", "posts", "stats", "run", "service", "shared")


def build_parser() -> argparse.ArgumentParser:
    """The GUI's options. Subcommands have their own parser (see build_command_parser):
    argparse cannot mix optional video paths with subcommands in one parser."""
    parser = argparse.ArgumentParser(
        prog="tiktok-desktop",
        description=f"{APP_DISPLAY_NAME}: schedule TikTok video posts from your desktop.",
        epilog="Commands: 'tiktok-desktop accounts list|connect|disconnect|refresh' manages "
        "accounts from the terminal; 'tiktok-desktop posts add|list|cancel|delete|queue' "
        "schedules posts; 'tiktok-desktop stats export' writes published posts' statistics "
        "as CSV; 'tiktok-desktop service install|status|uninstall' posts while the "
        "app is closed; 'tiktok-desktop shared init|join|status|migrate' sets up a schedule "
        "shared by several computers (PostgreSQL); 'tiktok-desktop sandbox serve' runs the "
        "built-in TikTok "
        "emulator on its own. Each has --help.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="start offscreen, open the database, show the window, exit 0")
    parser.add_argument("--debug", action="store_true", help="log to the console as well")
    parser.add_argument("--sandbox", action="store_true",
                        help="use the built-in TikTok sandbox even if credentials are set")
    parser.add_argument("--hidden", action="store_true",
                        help="start in the system tray without showing the window "
                        "(used by start at login)")
    # Hidden: packaging's CI shows the installed app under Xvfb and saves the screen here.
    parser.add_argument("--screenshot", metavar="PNG", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("videos", nargs="*", metavar="VIDEO",
                        help="videos to open (handed to the running app if there is one)")
    return parser


def build_command_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tiktok-desktop")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sandbox = sub.add_parser("sandbox", help="the built-in TikTok emulator")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = sandbox_sub.add_parser("serve", help="run the emulator on its own (Ctrl-C stops it)")
    serve.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free)")
    serve.add_argument("--state-dir", help="folder for the emulator's state "
                       "(default: sandbox-server in the app's sandbox data folder)")
    from tiktok_desktop.cli import accounts as cli_accounts

    cli_accounts.add_parser(sub)
    from tiktok_desktop.cli import posts as cli_posts

    cli_posts.add_parser(sub)
    from tiktok_desktop.cli import stats as cli_stats

    cli_stats.add_parser(sub)
    from tiktok_desktop.cli import run as cli_run

    cli_run.add_parser(sub)
    from tiktok_desktop.cli import service as cli_service

    cli_service.add_parser(sub)
    from tiktok_desktop.cli import shared as cli_shared

    cli_shared.add_parser(sub)
    return parser


def _prepare_display(self_test: bool) -> None:
    """Pick a Qt platform that can work here before Qt is imported."""
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        return
    if (sys.platform.startswith("linux") and "QT_QPA_PLATFORM" not in os.environ
            and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
        print(
            "No display found (DISPLAY and WAYLAND_DISPLAY are unset): running without a "
            "window. Start it from a desktop session (or under xvfb-run) to see the window. "
            "Ctrl-C stops it.",
            file=sys.stderr,
        )
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["sandbox", "serve"]:
        return _serve_sandbox(argv[2:])
    if argv and argv[0] in SUBCOMMANDS:
        return run_command(build_command_parser().parse_args(argv))
    args = build_parser().parse_args(argv)
    _prepare_display(args.self_test)
    from tiktok_desktop.app import GuiOptions, run_gui

    return run_gui(GuiOptions(video_paths=list(args.videos), self_test=args.self_test,
                              debug=args.debug, sandbox=args.sandbox,
                              screenshot=args.screenshot, hidden=args.hidden))


def _serve_sandbox(rest: list[str]) -> int:
    """'sandbox serve': every flag of the sandbox's own parser (its --help lists them)."""
    from tiktok_desktop.bootstrap import serve_sandbox

    return serve_sandbox(rest)


def run_command(args: argparse.Namespace) -> int:
    if args.command == "accounts":
        from tiktok_desktop.cli import accounts as cli_accounts

        return cli_accounts.run(args)
    if args.command == "posts":
        from tiktok_desktop.cli import posts as cli_posts

        return cli_posts.run(args)
    if args.command == "stats":
        from tiktok_desktop.cli import stats as cli_stats

        return cli_stats.run(args)
    if args.command == "run":
        from tiktok_desktop.cli import run as cli_run

        return cli_run.run(args)
    if args.command == "service":
        from tiktok_desktop.cli import service as cli_service

        return cli_service.run(args)
    if args.command == "shared":
        from tiktok_desktop.cli import shared as cli_shared

        return cli_shared.run(args)
    raise AssertionError(f"unhandled command {args.command}")
