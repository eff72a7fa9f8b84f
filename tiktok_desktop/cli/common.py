"""What the commands share: opening the app's graph, exit codes, refusals, account and zone
look-ups, and the words for TikTok's privacy values."""

from __future__ import annotations

import argparse
import contextlib
import sys
import zoneinfo
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from tiktok_desktop import paths
from tiktok_desktop.bootstrap import STARTUP_ERRORS, AppGraph, build, decide_mode
from tiktok_desktop.config import Settings
from tiktok_desktop.logging_setup import setup_logging
from tiktok_desktop.safetext import for_terminal
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


class _TerminalSafe:
    """A text stream that shows control characters escaped: names, captions and TikTok's
    words are not ours, and an escape sequence in them would run in the user's terminal."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        return self.inner.write(for_terminal(text))

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def __getattr__(self, name: str) -> Any:  # encoding, fileno...: the real stream's
        return getattr(self.inner, name)


@contextlib.contextmanager
def terminal_safe() -> Iterator[None]:
    """Everything printed meanwhile goes through for_terminal()."""
    saved = sys.stdout, sys.stderr
    sys.stdout = _TerminalSafe(saved[0])
    sys.stderr = _TerminalSafe(saved[1])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def run_on_graph(args: argparse.Namespace, dispatch: Dispatch,
                 graph: AppGraph | None = None) -> int:
    """Open the app's data (unless ``graph`` is given), run ``dispatch`` on it, close it.

    Refusals and store errors become their message and exit code; Ctrl-C says "cancelled";
    whatever is printed shows control characters escaped.
    """
    with terminal_safe():
        return _run_on_graph(args, dispatch, graph)


def _run_on_graph(args: argparse.Namespace, dispatch: Dispatch,
                  graph: AppGraph | None) -> int:
    own = graph is None
    if graph is None:
        try:
            mode = decide_mode(paths.resolve(), force_sandbox=args.sandbox)
            setup_logging(mode.paths.log_dir)
            graph = build(mode)
        except STARTUP_ERRORS as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_FAILED
    try:
        if graph.sandbox:
            print("(sandbox mode: the built-in TikTok emulator, not real TikTok)",
                  file=sys.stderr)
        for problem in graph.problems:
            print(f"warning: {problem}", file=sys.stderr)
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
