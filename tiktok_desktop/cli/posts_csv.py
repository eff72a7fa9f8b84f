"""``tiktok-desktop posts import FILE.csv`` and ``posts export``: the schedule as a CSV file.

Import checks every row with the single composer's rules (services/bulk.py) and schedules all
rows or none: a problem names its row and column, and nothing is scheduled until the file is
fixed. ``--dry-run`` shows what would be scheduled. Export writes the scheduled posts in the
same format (services/posts_csv.py), so importing the file again reproduces them. Running
the import is the user's consent to post (UX-12), as with ``posts add``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    Refused,
    app_zone,
    find_account,
)
from tiktok_desktop.domain.compose import MUSIC_URL, POLICY_URL, PROCESSING_NOTICE
from tiktok_desktop.paths import explain_os_error
from tiktok_desktop.services.bulk import BulkRefused, Column
from tiktok_desktop.services.library import AdoptCancelled
from tiktok_desktop.services.posts_csv import PRIVACY_WORDS, CsvError, CsvImport, export_posts
from tiktok_desktop.services.schedule import describe
from tiktok_desktop.store import PostMode, PostState

_PRIVACY_NAMES = {v: k for k, v in PRIVACY_WORDS.items()}


def add_parsers(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    importer = actions.add_parser(
        "import", help="schedule the posts of a CSV file (all of them or none)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Schedule one post per row of FILE, each checked like the app's composer. "
        "Every problem is named by row and column, and nothing is scheduled until the file "
        "has none.\nColumns: " + ", ".join(Column) + " (only file and account are required; "
        "an empty 'when' takes the account's next free queue slot).\nRunning it is your "
        f"consent to post: by posting, you agree to TikTok's Music Usage Confirmation\n"
        f"({MUSIC_URL}), and for branded content also to its Branded Content Policy\n"
        f"({POLICY_URL}).",
        epilog="Example: posts import week.csv --dry-run")
    importer.add_argument("file", metavar="FILE.csv", type=Path)
    importer.add_argument("--dry-run", action="store_true",
                          help="check every row and show what would be scheduled; schedule "
                          "nothing")
    importer.add_argument("--zone", help="IANA time zone for rows without one (default: the "
                          "app's)")
    importer.add_argument("--no-copy", action="store_true",
                          help="post the files where they are instead of keeping copies")
    exporter = actions.add_parser(
        "export", help="write the scheduled posts as CSV (the format 'posts import' reads)")
    exporter.add_argument("-o", "--output", metavar="FILE.csv", type=Path,
                          help="write to this file (default: print it, with control "
                          "characters shown escaped)")
    exporter.add_argument("--account", help="only this account (id, @username or open_id)")


def import_csv(graph: AppGraph, args: argparse.Namespace) -> int:
    zone_name = app_zone(graph.settings, args.zone.strip() if args.zone else None)
    try:
        found = CsvImport.load(args.file, graph.bulk, zone_name)
    except CsvError as exc:
        raise Refused(str(exc)) from None
    for video in found.videos.values():
        for text in video.warnings:
            print(f"warning: {Path(video.path).name}: {text}", file=sys.stderr)
    if found.problems:
        bad_rows = len({p.row for p in found.problems})
        raise Refused(*found.messages(),
                      f"Nothing was scheduled: fix {_count(len(found.problems), 'cell')} in "
                      f"{_count(bad_rows, 'row')} of {args.file.name} and import it again.")
    _preview(graph, found)
    if args.dry_run:
        print(f"Dry run: all {_count(len(found.rows), 'row')} can be scheduled; nothing was.")
        return EXIT_OK
    try:
        posts = found.schedule(graph.bulk, keep_copy=not args.no_copy)
    except BulkRefused as exc:
        raise Refused(*exc.problems, "Nothing was scheduled.") from None
    except AdoptCancelled as exc:
        raise Refused(str(exc), "Nothing was scheduled.") from None
    print(f"Scheduled {_count(len(posts), 'post')} from {args.file.name}.")
    branded = any(p.brand_content for p in posts)
    policy = f"Branded Content Policy ({POLICY_URL}) and " if branded else ""
    print(f"By posting, you agree to TikTok's {policy}Music Usage Confirmation ({MUSIC_URL}).")
    if any(p.mode is PostMode.DIRECT for p in posts):
        print(PROCESSING_NOTICE)
    print("TikTok Desktop must be running then to send them (the window, or "
          "'tiktok-desktop run').")
    return EXIT_OK


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _preview(graph: AppGraph, found: CsvImport) -> None:
    labels = {a.id: f"@{a.username}" if a.username else a.label
              for a in graph.accounts.list_accounts()}
    print(f"{'row':>4}  {'when':<30} {'account':<20} {'privacy':<9} file")
    for i, row in enumerate(found.bulk_rows):
        when = found.times.get(i)
        shown = describe(*when) if when else "-"
        if row.due_at is None:
            shown += " (queue)"
        privacy = "inbox" if row.mode is PostMode.INBOX else \
            _PRIVACY_NAMES.get(row.privacy_level or "", "-")
        account = labels.get(row.account_id or 0, "?")
        print(f"{found.rows[i].number:>4}  {shown:<30} {account:<20} {privacy:<9} "
              f"{Path(row.path).name}")


def export_csv(graph: AppGraph, args: argparse.Namespace) -> int:
    account_id = find_account(graph.accounts, args.account).id if args.account else None
    posts = graph.posts.list_posts(account_id=account_id, states=[PostState.SCHEDULED])
    accounts = {a.id: a for a in graph.accounts.list_accounts()}
    zone_name = app_zone(graph.settings)
    if args.output is None:
        export_posts(posts, accounts, sys.stdout, zone_name, lineterminator="\n")
        return EXIT_OK
    target: Path = args.output
    try:
        # utf-8-sig: the BOM tells Excel the file is UTF-8 (the import reads it either way).
        with target.open("w", encoding="utf-8-sig", newline="") as out:
            count = export_posts(posts, accounts, out, zone_name)
    except OSError as exc:
        raise Refused(explain_os_error(target, exc, "the CSV file"), code=EXIT_REFUSED) \
            from None
    print(f"Wrote {_count(count, 'scheduled post')} to {target}.")
    return EXIT_OK
