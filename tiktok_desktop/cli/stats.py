"""``tiktok-desktop stats export``: the statistics TikTok gave for published posts (or the
accounts' daily counts) as CSV, to a file or to standard output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli.common import EXIT_FAILED, find_account, run_on_graph
from tiktok_desktop.services.stats import ExportError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = sub.add_parser("stats", help="statistics of published posts")
    stats.add_argument("--sandbox", action="store_true",
                       help="use the built-in TikTok sandbox even if credentials are set")
    actions = stats.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write the statistics as CSV",
        description="Write every reading of published posts' views, likes, comments and "
        "shares (about 1 h, 24 h, 7 days, then daily to 30 days after publishing) as CSV; "
        "with --followers, each account's daily followers and likes instead.")
    export.add_argument("--account", metavar="ACCOUNT",
                        help="only this account (id, open_id or @username; see 'accounts "
                        "list')")
    export.add_argument("--followers", action="store_true",
                        help="the accounts' daily followers, likes and videos instead of posts")
    export.add_argument("file", nargs="?", default="-", metavar="FILE",
                        help="where to write (default: standard output); an existing file is "
                        "replaced only by a complete export")


def run(args: argparse.Namespace, graph: AppGraph | None = None) -> int:
    return run_on_graph(args, _dispatch, graph)


def _dispatch(graph: AppGraph, args: argparse.Namespace) -> int:
    account_id = None
    if args.account is not None:
        account_id = find_account(graph.accounts, args.account).id
    stats = graph.stats
    if args.file == "-":
        if args.followers:
            stats.write_accounts_csv(sys.stdout, account_id)
        else:
            stats.write_posts_csv(sys.stdout, account_id)
        return 0
    path = Path(args.file).expanduser()
    try:
        rows = stats.export(path, accounts=args.followers, account_id=account_id)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    what = "account days" if args.followers else "post readings"
    print(f"Wrote {rows} {what} to {path}.", file=sys.stderr)
    return 0
