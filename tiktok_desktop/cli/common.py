"""What the commands share: opening the app's graph, exit codes, refusals, account and zone
look-ups, and the words for TikTok's privacy values."""

from __future__ import annotations

import argparse
import sys
import zoneinfo
from collections.abc import Callable

from tiktok_desktop import paths
from tiktok_desktop.bootstrap import AppGraph, build, decide_mode
from tiktok_desktop.config import Settings
from tiktok_desktop.logging_setup import setup_logging
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.schedule import system_zone_name
from tiktok_desktop.store import Account, StoreError

# 0 done; 2 refused as asked (bad input: fix the command); 1 anything else.
EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
EXIT_INTERRUPTED = 130

# The words people use, and TikTok's values (both accepted on the command line).
PRIVACY_ARGS = {
    "everyone": "PUBLIC_TO_EVERYONE",
    "friends": "MUTUAL_FOLLOW_FRIENDS",
    "followers": "FOLLOWER_OF_CREATOR",
    "only-me": "SELF_ONLY",
}
PRIVACY_WORDS = {v: k for k, v in PRIVACY_ARGS.items()}

Dispatch = Callable[[AppGraph, argparse.Namespace], int]


class Refused(Exception):
    """The command cannot be done as asked; each line of `problems` is said to the user."""

    def __init__(self, *problems: str, code: int = EXIT_REFUSED) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)
        self.code = code


def run_on_graph(args: argparse.Namespace, dispatch: Dispatch,
                 graph: AppGraph | None = None) -> int:
    """Open the app's data (unless ``graph`` is given), run ``dispatch`` on it, close it.

    Refusals and store errors become their message and exit code; Ctrl-C says "cancelled".
    """
    own = graph is None
    if graph is None:
        mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox)
        setup_logging(mode.paths.log_dir)
        try:
            graph = build(mode)
        except StoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    try:
        if graph.sandbox:
            print("(sandbox mode: the built-in TikTok emulator, not real TikTok)",
                  file=sys.stderr)
        for note in graph.notes:
            print(f"note: {note}", file=sys.stderr)
        return dispatch(graph, args)
    except Refused as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        return exc.code
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if own:
            graph.close()


def find_account(accounts: AccountsService, key: str) -> Account:
    for account in accounts.list_accounts():
        if key in (str(account.id), account.open_id, f"@{account.username}", account.username):
            return account
    raise Refused(f"No account matches {key!r}; 'tiktok-desktop accounts list' shows them.")


def app_zone(settings: Settings, override: str | None = None) -> str:
    """The zone a command works in: --zone, else the app's setting, else the system's."""
    name = override if override is not None else settings.timezone
    return name or system_zone_name()


def check_zone(name: str) -> str | None:
    """A plain problem when `name` is not an IANA zone ("" = the app's zone is fine)."""
    if not name:
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return (f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin or "
                "America/New_York.")
    return None
