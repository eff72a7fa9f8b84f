"""``tiktok-desktop posts …``: schedule, list, cancel and delete posts, and edit queue slots.

The same services and rules as the GUI's composer: fresh creator_info, the Direct Post UX
rules (services/compose.py), the media checks (services/media.py) and the schedule checks
(services/schedule.py). ``posts add`` lives in posts_add.py.

Exit codes: 0 done; 2 the command was refused as asked (bad input: fix the command);
1 anything else (the account or TikTok stopped it, or something failed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import zoneinfo
from typing import Any

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli import posts_add as cli_posts_add
from tiktok_desktop.cli import posts_csv as cli_posts_csv
from tiktok_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    PRIVACY_WORDS,
    Refused,
    app_zone,
    check_zone,
    find_account,
    run_on_graph,
)
from tiktok_desktop.domain.lifecycle import ATTENTION
from tiktok_desktop.services.posts import ScheduleRefused
from tiktok_desktop.services.schedule import describe, system_zone_name
from tiktok_desktop.store import Account, Post, PostState
from tiktok_desktop.store.queue import Slot

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS = {
    **{d.lower(): i for i, d in enumerate(_DAY_NAMES)},
    **{d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                   "saturday", "sunday"))},
    "tues": 1, "weds": 2, "thur": 3, "thurs": 3,
}
_SLOT_RE = re.compile(r"\s*([A-Za-z]+)\.?\s+(\d{1,2}):(\d{2})\s*")
QUEUE_PREVIEW = 3


# --- parser -----------------------------------------------------------------------------------

def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    posts = sub.add_parser("posts", help="schedule, list, cancel, check and delete posts",
                           description="Schedule TikTok posts from a terminal, with the same "
                           "checks as the app's composer.")
    posts.add_argument("--sandbox", action="store_true",
                       help="use the built-in TikTok sandbox even if credentials are set")
    actions = posts.add_subparsers(dest="action", metavar="ACTION", required=True)
    cli_posts_add.add_parser(actions)
    cli_posts_csv.add_parsers(actions)

    listing = actions.add_parser("list", help="show posts, soonest first")
    listing.add_argument("--account", help="only this account (id, @username or open_id)")
    listing.add_argument("--state", action="append", choices=[s.value for s in PostState],
                         metavar="STATE", help="only posts in this state (repeatable): "
                         + ", ".join(s.value for s in PostState))
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    cancel = actions.add_parser("cancel", help="take a post off the schedule; it is kept as "
                                "a draft with everything it had")
    cancel.add_argument("post_id", type=int, metavar="ID")
    delete = actions.add_parser("delete", help="delete a post and its history")
    delete.add_argument("post_id", type=int, metavar="ID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    check = actions.add_parser("check", help="ask TikTok again about a post it has not "
                               "confirmed (it is never sent twice)")
    check.add_argument("post_id", type=int, metavar="ID")

    queue = actions.add_parser("queue", help="an account's weekly posting times "
                               "(used by 'posts add --queue')")
    queue_actions = queue.add_subparsers(dest="queue_action", metavar="ACTION", required=True)
    show = queue_actions.add_parser("show", help="the slots and the next free times")
    show.add_argument("--account", required=True, help="id, @username or open_id")
    set_ = queue_actions.add_parser(
        "set", help="replace the slots",
        epilog='Example: posts queue set --account @me "Mon 09:00" "Wed 18:30" '
               "--zone Europe/Berlin")
    set_.add_argument("--account", required=True, help="id, @username or open_id")
    set_.add_argument("slots", nargs="+", metavar="SLOT",
                      help='weekday and 24-hour time, e.g. "Mon 09:00"')
    set_.add_argument("--zone", help="IANA time zone of the slots (default: keep the current "
                      "one; \"\" = the app's zone)")
    clear = queue_actions.add_parser("clear", help="remove all slots")
    clear.add_argument("--account", required=True, help="id, @username or open_id")


# --- entry ------------------------------------------------------------------------------------

def run(args: argparse.Namespace, graph: AppGraph | None = None) -> int:
    """Run a ``posts`` command; opens (and closes) the app's data unless a graph is given."""
    return run_on_graph(args, _dispatch, graph)


def _dispatch(graph: AppGraph, args: argparse.Namespace) -> int:
    if args.action == "add":
        return cli_posts_add.add(graph, args)
    if args.action == "import":
        return cli_posts_csv.import_csv(graph, args)
    if args.action == "export":
        return cli_posts_csv.export_csv(graph, args)
    if args.action == "list":
        return _list(graph, args)
    if args.action == "cancel":
        return _cancel(graph, args.post_id)
    if args.action == "delete":
        return _delete(graph, args.post_id, args.yes)
    if args.action == "check":
        return _check(graph, args.post_id)
    if args.action == "queue":
        return _queue(graph, args)
    raise AssertionError(args.action)


# --- shared helpers ---------------------------------------------------------------------------

def parse_slot(text: str) -> Slot:
    """'Mon 09:00' (also 'monday 9:00') -> Slot; ValueError with a plain message otherwise."""
    m = _SLOT_RE.fullmatch(text)
    day = _DAYS.get(m.group(1).lower()) if m else None
    if m is None or day is None or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise ValueError(f"Cannot read the slot {text!r}: write a weekday and a 24-hour time, "
                         'e.g. "Mon 09:00" or "Sat 18:30".')
    return Slot(day, int(m.group(2)) * 60 + int(m.group(3)))


def _short_when(epoch: int | None, zone_name: str) -> str:
    if epoch is None:
        return "-"
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(zone_name or system_zone_name())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    when = dt.datetime.fromtimestamp(epoch, tz)
    return f"{when:%Y-%m-%d %H:%M} {when.tzname()}"


def _iso(epoch: int | None, zone_name: str) -> str | None:
    if epoch is None:
        return None
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(zone_name or system_zone_name())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return dt.datetime.fromtimestamp(epoch, tz).isoformat()


# --- list -------------------------------------------------------------------------------------

def _post_json(post: Post, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "id": post.id, "account_id": post.account_id,
        "account": labels.get(post.account_id, str(post.account_id)),
        "state": post.state.value, "mode": post.mode.value,
        "due_at": post.due_at, "due_tz": post.due_tz, "due_local": _iso(post.due_at, post.due_tz),
        "privacy_level": post.privacy_level, "caption": post.caption,
        "video_path": post.video_path, "video_size": post.video_size,
        "video_sha256": post.video_sha256,
        "allow_comment": post.allow_comment, "allow_duet": post.allow_duet,
        "allow_stitch": post.allow_stitch, "disclose_commercial": post.disclose_commercial,
        "brand_organic": post.brand_organic, "brand_content": post.brand_content,
        "is_aigc": post.is_aigc, "cover_time_ms": post.cover_time_ms,
        "publish_id": post.publish_id, "post_ids": list(post.post_ids),
        "share_url": post.share_url, "last_error": post.last_error_message,
        "consent_at": post.consent_at, "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"


def _list(graph: AppGraph, args: argparse.Namespace) -> int:
    account_id = find_account(graph.accounts, args.account).id if args.account else None
    states = [PostState(s) for s in args.state] if args.state else None
    posts = graph.posts.list_posts(account_id=account_id, states=states)
    labels = {a.id: a.label for a in graph.accounts.list_accounts()}
    short = {a.id: f"@{a.username}" if a.username else a.label
             for a in graph.accounts.list_accounts()}
    if args.json:
        # ASCII: captions and names are not ours; escaped, no control character reaches a
        # terminal, and the JSON stays valid whatever prints it.
        print(json.dumps([_post_json(p, labels) for p in posts], indent=2, ensure_ascii=True))
        return EXIT_OK
    if not posts:
        print("No posts match." if (account_id or states) else
              "No posts yet: 'tiktok-desktop posts add FILE …' schedules one.")
        return EXIT_OK
    print(f"{'id':>4}  {'due':<22} {'state':<15} {'account':<24} {'mode':<6} "
          f"{'privacy':<9} caption")
    for p in posts:
        privacy = PRIVACY_WORDS.get(p.privacy_level or "", p.privacy_level or "-")
        if p.mode.value == "inbox":
            privacy = "-"
        line = (f"{p.id:>4}  {_short_when(p.due_at, p.due_tz):<22} {p.state.value:<15} "
                f"{_one_line(short.get(p.account_id, '?'), 24):<24} {p.mode.value:<6} "
                f"{privacy:<9} {_one_line(p.caption, 40) or '-'}")
        print(line.rstrip())
        if p.last_error_message and p.state in ATTENTION:
            print(f"{'':>6}{p.last_error_message}")
    return EXIT_OK


# --- cancel / delete --------------------------------------------------------------------------

def _existing(graph: AppGraph, post_id: int) -> Post:
    post = graph.posts.get(post_id)
    if post is None:
        raise Refused(f"There is no post {post_id}; 'tiktok-desktop posts list' shows them.")
    return post


def _cancel(graph: AppGraph, post_id: int) -> int:
    post = _existing(graph, post_id)
    if post.state is PostState.DRAFT:
        print(f"Post {post_id} is a draft already: it is not scheduled.")
        return EXIT_OK
    try:
        graph.posts.unschedule(post_id)
    except ScheduleRefused as exc:
        raise Refused(*exc.problems, code=EXIT_FAILED) from None
    when = f" (was due {describe(post.due_at, post.due_tz)})" if post.due_at else ""
    print(f"Post {post_id} is off the schedule{when}. It is kept as a draft with its video "
          "and settings.")
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise Refused(f"{question} Add --yes to delete without being asked.")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _delete(graph: AppGraph, post_id: int, yes: bool) -> int:
    post = _existing(graph, post_id)
    what = f"post {post_id}" + (f" ({_one_line(post.caption, 30)})" if post.caption else "")
    if not yes and not _confirm(f"Delete {what} and its history?"):
        print("Nothing deleted.")
        return EXIT_OK
    try:
        graph.posts.delete(post_id)  # the library copy goes with its last post
    except ScheduleRefused as exc:
        raise Refused(*exc.problems, code=EXIT_FAILED) from None
    print(f"Deleted {what}.")
    return EXIT_OK


def _check(graph: AppGraph, post_id: int) -> int:
    _existing(graph, post_id)
    try:
        graph.posts.check_again(post_id)
    except ScheduleRefused as exc:
        raise Refused(*exc.problems, code=EXIT_FAILED) from None
    print(f"Post {post_id} will be checked with TikTok again as soon as TikTok Desktop is "
          "running (the window, or 'tiktok-desktop run'); it is never sent twice.")
    return EXIT_OK


# --- queue ------------------------------------------------------------------------------------

def _queue(graph: AppGraph, args: argparse.Namespace) -> int:
    account = find_account(graph.accounts, args.account)
    if args.queue_action == "set":
        problems: list[str] = []
        slots: list[Slot] = []
        for text in args.slots:
            try:
                slots.append(parse_slot(text))
            except ValueError as exc:
                problems.append(str(exc))
        current_zone, _ = graph.posts.queue_slots(account.id)
        zone_name = current_zone if args.zone is None else args.zone.strip()
        if (bad := check_zone(zone_name)) is not None:
            problems.append(bad)
        if problems:
            raise Refused(*problems)
        graph.posts.set_queue_slots(account.id, slots, zone_name)
        print(f"Saved {len(set(slots))} queue slot(s) for {account.label}.")
    elif args.queue_action == "clear":
        graph.posts.set_queue_slots(account.id, [], "")
        print(f"Removed the queue slots of {account.label}.")
        return EXIT_OK
    return _show_queue(graph, account)


def _show_queue(graph: AppGraph, account: Account) -> int:
    zone_name, slots = graph.posts.queue_slots(account.id)
    if not slots:
        print(f"{account.label} has no queue slots. Add some with: tiktok-desktop posts queue "
              f'set --account {account.id} "Mon 09:00" "Wed 18:30"')
        return EXIT_OK
    shown_zone = zone_name or f"{app_zone(graph.settings)}, the app's zone"
    print(f"Queue of {account.label} (times in {shown_zone}):")
    for slot in slots:
        print(f"  {slot.label}")
    upcoming = graph.posts.next_queue_times(account.id, QUEUE_PREVIEW,
                                            app_zone(graph.settings))
    if upcoming:
        print("Next free times:")
        for epoch in upcoming:
            print(f"  {describe(epoch, zone_name or app_zone(graph.settings))}")
    return EXIT_OK
