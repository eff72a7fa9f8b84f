"""``tiktok-desktop shared test|init|join|status|migrate``: a shared schedule in PostgreSQL
(services/shared.py), set up from the terminal.

Addresses are printed as user@host:port/name, never with their password; a password typed
with the address goes to the system keyring. The team key is read from a file or standard
input (a prompt on a terminal), never from the command line, where other users could see it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from tiktok_desktop import paths
from tiktok_desktop.bootstrap import STARTUP_ERRORS, AppGraph, decide_mode, shared_schedule
from tiktok_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    terminal_safe,
)
from tiktok_desktop.credentials.vault import VaultError
from tiktok_desktop.logging_setup import setup_logging
from tiktok_desktop.services.shared import Moved, SharedError, SharedSchedule
from tiktok_desktop.store.db import DatabaseUnreachable, StoreError

_COUNTED = (("accounts", "accounts"), ("posts", "posts"), ("post_events", "history entries"),
            ("queue_slots", "queue times"), ("caption_snippets", "snippets"),
            ("post_stats", "post readings"), ("account_stats", "account days"))


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    shared = sub.add_parser(
        "shared", help="a schedule shared by several computers (PostgreSQL)",
        description="A shared schedule lives in a PostgreSQL database that every member's "
        "app and every runner ('tiktok-desktop run --database URL') reaches. Addresses look "
        "like postgresql://user:password@host:5432/database; the password is kept in the "
        "system keyring, never in the settings file.")
    shared.add_argument("--sandbox", action="store_true",
                        help="use the built-in TikTok sandbox even if credentials are set")
    shared.add_argument("--sandbox-url", metavar="URL",
                        help="the sandbox everyone reaches ('tiktok-desktop sandbox serve'): "
                        "a new shared schedule talks to it")
    actions = shared.add_subparsers(dest="action", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="check that an address can hold a shared schedule")
    test.add_argument("url", metavar="URL")
    init = actions.add_parser(
        "init", help="create a shared schedule and its team key",
        description="Create a shared schedule in an empty database and print its team key "
        "once: every member joins with it, every runner reads it from a file. It talks to "
        "the TikTok this app uses now (your TikTok app, or the sandbox at --sandbox-url).")
    init.add_argument("url", metavar="URL")
    join = actions.add_parser("join", help="use a shared schedule with its team key")
    join.add_argument("url", metavar="URL")
    join.add_argument("--key-file", metavar="FILE", type=Path,
                      help="read the team key from FILE (default: standard input, or a prompt)")
    actions.add_parser("status", help="which schedule this computer uses, and how it is")
    migrate = actions.add_parser(
        "migrate", help="move this computer's schedule to a shared one, or back",
        description="--to-shared URL copies this computer's schedule (accounts, posts and "
        "their history, queues, snippets, statistics, videos and sign-ins) into an empty "
        "shared schedule you created or joined, all or nothing; the local file is left as it "
        "is. --to-local copies the shared schedule into a new local file and uses that. "
        "Quit the app and stop the background service first.")
    where = migrate.add_mutually_exclusive_group(required=True)
    where.add_argument("--to-shared", metavar="URL",
                       help="into the (empty) shared schedule at URL")
    where.add_argument("--to-local", action="store_true",
                       help="the shared schedule this computer uses, into a new local file")


def run(args: argparse.Namespace, graph: AppGraph | None = None) -> int:
    with terminal_safe():
        try:
            if graph is not None:
                schedule = graph.shared
            else:
                mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox,
                                   sandbox_url=args.sandbox_url or "")
                setup_logging(mode.paths.log_dir)
                schedule = shared_schedule(mode)
            return _dispatch(schedule, args)
        except SharedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except DatabaseUnreachable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except VaultError as exc:  # a team key typed wrong, a keyring that refused
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        except STARTUP_ERRORS as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except KeyboardInterrupt:
            print("cancelled", file=sys.stderr)
            return EXIT_INTERRUPTED


def _dispatch(schedule: SharedSchedule, args: argparse.Namespace) -> int:
    if args.action == "test":
        probe = schedule.test(args.url)
        print(probe.message)
        return EXIT_OK if probe.ok else EXIT_FAILED
    if args.action == "init":
        joined = schedule.init(args.url)
        assert joined.key is not None
        print(f"Created the shared schedule at {joined.where}; it talks to "
              f"{joined.target.words}.")
        print("\nIts team key (shown only now: give it to every member and runner, and keep "
              "it as secret as a password):\n")
        print(f"    {joined.key.text()}\n")
        print(f"Key fingerprint (not secret, to compare aloud): {joined.fingerprint}")
        print("This computer uses the shared schedule from now on. Move your own schedule "
              "there with 'tiktok-desktop shared migrate --to-shared URL'.")
        return EXIT_OK
    if args.action == "join":
        joined = schedule.join(args.url, _key_text(args.key_file))
        print(f"Joined the shared schedule at {joined.where}; it talks to "
              f"{joined.target.words}. Team key fingerprint: {joined.fingerprint}.")
        return EXIT_OK
    if args.action == "status":
        return _status(schedule)
    if args.to_local:
        moved = schedule.move_back()
        _moved(moved, f"Moved the shared schedule at {moved.where} to {moved.local_file}")
        if moved.set_aside:
            print(f"The earlier local file was kept as {moved.set_aside}.")
        print("This computer uses its own schedule from now on; the shared one is unchanged "
              "for the others.")
        return EXIT_OK
    moved = schedule.move_here(args.to_shared)
    _moved(moved, f"Moved this computer's schedule into the shared schedule at {moved.where}")
    print(f"The local file {moved.local_file} was not changed; remove it once you no longer "
          "need it. This computer uses the shared schedule from now on.")
    return EXIT_OK


def _moved(moved: Moved, headline: str) -> None:
    print(f"{headline}:")
    for table, words in _COUNTED:
        print(f"  {moved.counts.get(table, 0):>7} {words}")
    print(f"  {moved.videos:>7} videos")
    print(f"  {moved.secrets:>7} sign-ins and secrets")


def _status(schedule: SharedSchedule) -> int:
    status = schedule.status()
    if not status.where:
        print(f"This computer uses its own schedule ({status.local_file}); no shared schedule "
              "is set up.")
        return EXIT_OK
    print(f"Shared schedule: {status.where}")
    if not status.reachable:
        print(f"error: {status.problem}", file=sys.stderr)
        return EXIT_FAILED
    if status.target is not None:
        print(f"Talks to: {status.target.words}")
    for table, words in _COUNTED:
        print(f"  {status.counts.get(table, 0):>7} {words}")
    if status.problem:
        print(f"error: {status.problem}", file=sys.stderr)
        return EXIT_FAILED
    if not status.joined:
        print("error: this computer has no team key for it: join it with 'tiktok-desktop "
              "shared join URL'.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Team key fingerprint: {status.fingerprint}")
    return EXIT_OK


def _key_text(key_file: Path | None) -> str:
    if key_file is not None:
        try:
            return key_file.expanduser().read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise SharedError(f"The team key file {key_file} cannot be read "
                              f"({exc.strerror or exc}).") from None
    if sys.stdin.isatty():
        return getpass.getpass("Team key: ")
    return sys.stdin.readline()
