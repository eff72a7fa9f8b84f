"""``tiktok-desktop posts add``: one post scheduled from a terminal, checked like the composer.

The command line is the composer without a window: fresh creator_info (UX-01/02), the form
rules of domain/compose.py (no default privacy, options only from the creator's list,
disclosure, caption length), the media checks against TikTok's limits and the creator's
maximum duration (UX-03), and the schedule checks. Running the command is the user's express
consent (UX-12), so the consent text (UX-10) is printed with the result and in --help.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import re
import sys
from pathlib import Path

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    PRIVACY_ARGS,
    PRIVACY_WORDS,
    Refused,
    app_zone,
    check_zone,
    find_account,
)
from tiktok_desktop.credentials import AccountError, NeedsReconnect, reconnect_message
from tiktok_desktop.domain.compose import (
    BRANDED_PRIVATE_HINT,
    DISCLOSURE_HINT,
    MUSIC_URL,
    POLICY_URL,
    PostForm,
    evaluate,
)
from tiktok_desktop.safetext import CAPTION_FILE_MAX_BYTES, TextFileError, read_text_file
from tiktok_desktop.services import media
from tiktok_desktop.services.media import MediaError, MediaInfo
from tiktok_desktop.services.posts import ScheduleRefused
from tiktok_desktop.services.schedule import ScheduleError, describe, resolve_local
from tiktok_desktop.store import Account, AccountStatus, NewPost, PostMode
from tiktok_desktop.tiktok import CreatorCannotPost, CreatorInfo, TikTokError

MAX_COVER_MS = 2**31 - 1  # video_cover_timestamp_ms is an int32
_AT_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
_LINK = re.compile(r'<a href="([^"]+)">([^<]+)</a>')


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add = actions.add_parser(
        "add", help="schedule a video", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Schedule FILE for a connected account, with the same checks as the app's "
        "composer.\nRunning it is your consent to post: by posting, you agree to TikTok's "
        f"Music Usage Confirmation\n({MUSIC_URL}), and with\n--branded-content also to its "
        f"Branded Content Policy ({POLICY_URL}).",
        epilog='Example: posts add clip.mp4 --account @me --at "2026-11-24 09:00" '
               "--zone Europe/Berlin --privacy everyone --caption 'Hello #fyp'")
    add.add_argument("file", metavar="FILE", help="the video (MP4, MOV or WebM)")
    add.add_argument("--account", required=True, help="id, @username or open_id")
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", metavar="'YYYY-MM-DD HH:MM'", help="local date and time")
    when.add_argument("--now", action="store_true", help="as soon as the app is running")
    when.add_argument("--queue", action="store_true",
                      help="the account's next free queue slot (see 'posts queue')")
    add.add_argument("--zone", help="IANA time zone for --at (default: the app's)")
    add.add_argument("--privacy", metavar="WHO",
                     help="who can view it; required for direct posts: everyone, friends, "
                     "followers, only-me (or TikTok's value); only what the account offers")
    caption = add.add_mutually_exclusive_group()
    caption.add_argument("--caption", metavar="TEXT", help="caption with #hashtags, @mentions")
    caption.add_argument("--caption-file", metavar="F", type=Path,
                         help="read the caption from a UTF-8 text file")
    for name, text in (("comment", "comments"), ("duet", "duets"), ("stitch", "stitches")):
        add.add_argument(f"--allow-{name}", action="store_true", help=f"allow {text}")
    add.add_argument("--disclose", action="store_true",
                     help="the video promotes a brand, product or service (then say which "
                     "with --your-brand and/or --branded-content)")
    add.add_argument("--your-brand", action="store_true",
                     help="promotes your own business: labeled 'Promotional content'")
    add.add_argument("--branded-content", action="store_true",
                     help="paid partnership for a third party: labeled 'Paid partnership'")
    add.add_argument("--ai-generated", action="store_true",
                     help="label it 'Creator labeled as AI-generated'")
    add.add_argument("--cover-ms", type=int, metavar="N", help="cover frame, ms from the start")
    add.add_argument("--inbox", action="store_true",
                     help="send it to the TikTok inbox to finish in the TikTok app instead")
    add.add_argument("--no-copy", action="store_true",
                     help="post the file where it is instead of keeping a copy in the app")


@dataclasses.dataclass
class _Problems:
    """What stops the post, in the order found; `failed` ones are not the command's fault."""

    lines: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    def refuse(self, text: str) -> None:
        self.lines.append((text, EXIT_REFUSED))

    def fail(self, text: str) -> None:
        self.lines.append((text, EXIT_FAILED))

    def raise_if_any(self) -> None:
        if self.lines:
            code = EXIT_REFUSED if any(c == EXIT_REFUSED for _, c in self.lines) else EXIT_FAILED
            raise Refused(*(t for t, _ in self.lines), code=code)


def add(graph: AppGraph, args: argparse.Namespace) -> int:
    account = find_account(graph.accounts, args.account)
    mode = PostMode.INBOX if args.inbox else PostMode.DIRECT
    found = _Problems()
    caption = _caption(args, found)
    privacy = _privacy(args, found)
    info = _probe(args.file, found)
    creator, creator_problem = _creator(graph, account, found)
    disclose = args.disclose or args.your_brand or args.branded_content
    form = PostForm(caption=caption, privacy_level=privacy, allow_comment=args.allow_comment,
                    allow_duet=args.allow_duet, allow_stitch=args.allow_stitch,
                    disclose=disclose, brand_organic=args.your_brand,
                    brand_content=args.branded_content, is_aigc=args.ai_generated, mode=mode)
    warnings: list[str] = []
    media_problems: list[str] = []
    if info is not None:
        limit = creator.max_video_post_duration_sec if creator else None
        for p in media.validate(info, limit):
            (media_problems if p.blocking else warnings).append(p.message)
    direct_allowed = "video.publish" in account.granted_scopes
    state = evaluate(form, creator, creator_problem=creator_problem,
                     media_problems=tuple(media_problems), direct_allowed=direct_allowed)
    options = creator.privacy_level_options if creator else ()
    for text in state.problems:
        if text == creator_problem:
            found.fail(text)
        elif text.startswith("Waiting for the account's current settings"):
            continue  # the CLI does not wait: _creator already said why there are none
        elif text.startswith("Choose who can view"):
            if args.privacy is not None:
                continue  # given but unreadable: _privacy said so
            found.refuse(f"{text} Add --privacy {_choices(options)}.")
        elif text.startswith("That privacy choice is no longer offered"):
            found.refuse(f"{account.label} does not offer --privacy "
                         f"{PRIVACY_WORDS.get(privacy or '', privacy)}: choose "
                         f"{_choices(options)}.")
        elif text == DISCLOSURE_HINT:
            found.refuse(f"{text} Add --your-brand, --branded-content or both.")
        elif text == BRANDED_PRIVATE_HINT:
            found.refuse(f"{text} Choose another --privacy or leave out --branded-content.")
        elif text.startswith("This account did not allow direct posting"):
            found.fail(f"{account.label} did not allow direct posting: reconnect it with "
                       "'tiktok-desktop accounts connect' and keep 'video.publish' ticked, or "
                       "add --inbox.")
        else:
            found.refuse(text)
    if mode is PostMode.DIRECT:
        for name in ("comment", "duet", "stitch"):
            tip = state.interaction_tooltips.get(name)
            if getattr(args, f"allow_{name}") and tip:
                found.refuse(f"{tip} Leave out --allow-{name}.")
    elif "video.upload" not in account.granted_scopes:
        found.fail(f"{account.label} did not allow sending videos to the TikTok inbox: "
                   "reconnect it and keep 'video.upload' ticked.")
    if args.cover_ms is not None and mode is PostMode.DIRECT:
        _check_cover(args.cover_ms, info, found)
    due_at, due_tz = _when(graph, args, account, found, warnings)
    new: NewPost | None = None
    if info is not None and due_at is not None:
        new = _new_post(graph, args, account, info, form, due_at, due_tz)
        # The account's status was judged above, in words for the terminal.
        for text in graph.posts.problems(new, account_checked=True):
            found.refuse(text.replace("choose Post now", "use --now"))
    for text in warnings:
        print(f"warning: {text}", file=sys.stderr)
    found.raise_if_any()
    assert new is not None and due_at is not None  # a problem was reported otherwise
    post_id = _store(graph, new, keep_copy=not args.no_copy)
    who = creator.nickname if creator and creator.nickname else account.label
    when = f"{describe(due_at, due_tz)} ({due_tz})"
    print(f"Post {post_id} is due now, {when}, as {who}." if args.now
          else f"Post {post_id} scheduled for {when} as {who}.")
    if state.label_text:
        print(state.label_text)
    print(_LINK.sub(r"\2 (\1)", state.declaration_html))
    print(state.notice)
    # The app posts at the due time only while it runs: nothing is uploaded in advance.
    if args.now:
        print("It is sent as soon as TikTok Desktop is running (the window, or "
              "'tiktok-desktop run').")
    else:
        print("TikTok Desktop must be running then to send it (the window, or "
              "'tiktok-desktop run').")
    return EXIT_OK


def _choices(options: tuple[str, ...]) -> str:
    words = [PRIVACY_WORDS.get(o, o) for o in options] or list(PRIVACY_ARGS)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _caption(args: argparse.Namespace, found: _Problems) -> str:
    if args.caption is not None:
        return str(args.caption)
    if args.caption_file is None:
        return ""
    try:  # bounded: --caption-file /dev/zero must not read forever
        return read_text_file(args.caption_file, max_bytes=CAPTION_FILE_MAX_BYTES,
                              what="caption file")
    except TextFileError as exc:
        found.refuse(str(exc))
    return ""


def _privacy(args: argparse.Namespace, found: _Problems) -> str | None:
    if args.inbox:
        unused = [flag for flag, given in (
            ("--privacy", args.privacy is not None), ("--allow-comment", args.allow_comment),
            ("--allow-duet", args.allow_duet), ("--allow-stitch", args.allow_stitch),
            ("--disclose", args.disclose), ("--your-brand", args.your_brand),
            ("--branded-content", args.branded_content), ("--ai-generated", args.ai_generated),
            ("--cover-ms", args.cover_ms is not None)) if given]
        if unused:
            found.refuse(f"{', '.join(unused)} cannot be used with --inbox: the creator "
                         "chooses these in the TikTok app when posting from the inbox.")
        return None
    if args.privacy is None:
        return None  # no default (UX-05): evaluate() asks for one
    value = str(args.privacy).strip()
    if value.lower() in PRIVACY_ARGS:
        return PRIVACY_ARGS[value.lower()]
    if value.upper() in PRIVACY_WORDS:
        return value.upper()
    found.refuse(f"--privacy {value!r} is not a privacy choice: use everyone, friends, "
                 "followers or only-me.")
    return None


def _probe(path: str, found: _Problems) -> MediaInfo | None:
    try:
        return media.probe(path)
    except MediaError as exc:
        found.refuse(str(exc))
        return None


def _creator(graph: AppGraph, account: Account,
             found: _Problems) -> tuple[CreatorInfo | None, str | None]:
    """Fresh creator_info (UX-01), or TikTok's reason the creator cannot post (UX-02)."""
    if account.status is not AccountStatus.CONNECTED:
        found.fail(reconnect_message(account))
        return None, None
    if "video.publish" not in account.granted_scopes:
        return None, None  # no creator_info without it; evaluate() says what that means
    try:
        return graph.accounts.fresh_creator_info(account.id), None
    except CreatorCannotPost as exc:
        return None, str(exc)
    except NeedsReconnect as exc:  # its message says why, when known (a lost refresh...)
        found.fail(str(exc))
    except (AccountError, TikTokError) as exc:
        found.fail(f"Could not read {account.label}'s current settings from TikTok: {exc}")
    return None, None


def _check_cover(cover_ms: int, info: MediaInfo | None, found: _Problems) -> None:
    if cover_ms < 0 or cover_ms > MAX_COVER_MS:
        found.refuse(f"--cover-ms {cover_ms} is not a time in the video: give milliseconds "
                     "from the start, e.g. --cover-ms 1500.")
    elif info is not None and info.duration_ms and cover_ms >= info.duration_ms:
        found.refuse(f"--cover-ms {cover_ms} is past the end of the video, which is "
                     f"{info.duration_ms} ms long.")


def _parse_at(text: str) -> dt.datetime | None:
    for fmt in _AT_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def _when(graph: AppGraph, args: argparse.Namespace, account: Account, found: _Problems,
          warnings: list[str]) -> tuple[int | None, str]:
    """(due epoch, zone name); None with a problem reported when no time can be used."""
    if args.zone is not None and (bad := check_zone(args.zone.strip())) is not None:
        found.refuse(bad)
        return None, ""
    zone_name = app_zone(graph.settings, args.zone.strip() if args.zone is not None else None)
    if args.now:
        return int(graph.posts.clock()), zone_name
    if args.queue:
        slot_zone, slots = graph.posts.queue_slots(account.id)
        if not slots:
            found.refuse(f"{account.label} has no queue slots: add some with 'tiktok-desktop "
                         f"posts queue set --account {account.id} \"Mon 09:00\" …', or use "
                         "--at or --now.")
            return None, ""
        times = graph.posts.next_queue_times(account.id, 1, zone_name)
        if not times:
            found.refuse(f"Every queue slot of {account.label} is taken for the next year: "
                         "use --at instead.")
            return None, ""
        return times[0], slot_zone or zone_name
    local = _parse_at(args.at)
    if local is None:
        found.refuse(f"Cannot read --at {args.at!r}: write the local date and time as "
                     "'YYYY-MM-DD HH:MM', e.g. '2026-11-24 09:00'.")
        return None, ""
    try:
        resolved = resolve_local(local, zone_name, now=graph.posts.clock())
    except ScheduleError as exc:
        found.refuse(str(exc))
        return None, ""
    if resolved.note:
        warnings.append(resolved.note)
    return resolved.epoch, resolved.zone


def _new_post(graph: AppGraph, args: argparse.Namespace, account: Account, info: MediaInfo,
              form: PostForm, due_at: int, due_tz: str) -> NewPost:
    direct = form.mode is PostMode.DIRECT
    return NewPost(
        account_id=account.id, video_path=args.file, video_size=info.size_bytes,
        video_meta=info.to_meta(), caption=form.caption,
        privacy_level=form.privacy_level if direct else None,
        allow_comment=form.allow_comment, allow_duet=form.allow_duet,
        allow_stitch=form.allow_stitch, disclose_commercial=form.disclose,
        brand_organic=form.disclose and form.brand_organic,
        brand_content=form.disclose and form.brand_content, is_aigc=form.is_aigc,
        cover_time_ms=args.cover_ms, mode=form.mode, due_at=due_at, due_tz=due_tz,
        consent_at=int(graph.posts.clock()),
    )


def _store(graph: AppGraph, new: NewPost, *, keep_copy: bool) -> int:
    try:  # the same check, copy and store as the composer (services.posts)
        return graph.posts.schedule_video(new, keep_copy=keep_copy).id
    except ScheduleRefused as exc:
        raise Refused(*exc.problems) from None
