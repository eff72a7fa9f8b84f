"""Bulk scheduling: many posts in one form (the bulk window) or from one CSV file.

Each row is one post, and every rule of the single composer applies to it: the same form
rules (domain.compose.evaluate) with the account's fresh creator_info (read once per account
for the whole batch, UX-01), the video against TikTok's limits and the creator's longest
duration (UX-03), and the schedule checks (PostsService.batch_problems, where the batch's own
posts count towards each account's daily caps). Every problem names its column, so the table
marks the cell and the CSV import says "row 7, column 'privacy': …".

A row without a time takes its account's next free queue slot; "spread over the queue" and
"every N hours from …" fill times for many rows at once. Scheduling is all or nothing
(PostsService.schedule_batch). Qt-free: the bulk window and the CLI both stand on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tiktok_desktop.credentials import AccountError, NeedsReconnect, reconnect_message
from tiktok_desktop.domain.compose import (
    PRIVACY_LABELS,
    WAITING_FOR_CREATOR,
    PostForm,
    evaluate,
)
from tiktok_desktop.services.library import CancelFn, ProgressFn
from tiktok_desktop.services.posts import BatchRefused, PostsService, ScheduleRefused
from tiktok_desktop.services.schedule import ScheduleError, resolve_local
from tiktok_desktop.store import Account, AccountStatus, NewPost, Post, PostMode
from tiktok_desktop.tiktok import CreatorCannotPost, CreatorInfo, TikTokError

if TYPE_CHECKING:
    # Only a type here: services.accounts imports services.errors, which imports the CSV
    # module built on this one.
    from tiktok_desktop.services.accounts import AccountsService

log = logging.getLogger(__name__)

__all__ = [
    "AccountFacts", "BulkRefused", "BulkRow", "BulkService", "CellProblem", "Column",
    "ProbedVideo", "every_n_hours", "new_post", "probe_video", "row_problems",
]


class Column(enum.StrEnum):
    """The columns of a bulk batch, in the CSV's order (their values are its header)."""

    FILE = "file"
    ACCOUNT = "account"
    CAPTION = "caption"
    WHEN = "when"
    ZONE = "zone"
    PRIVACY = "privacy"
    INTERACTIONS = "interactions"
    DISCLOSURE = "disclosure"
    AI_LABEL = "ai_label"
    INBOX = "inbox"
    COVER = "cover_ms"


_ORDER = {c: i for i, c in enumerate(Column)}
# domain.compose's problem fields -> the column that shows them.
_FIELD_COLUMNS = {"account": Column.ACCOUNT, "video": Column.FILE, "caption": Column.CAPTION,
                  "privacy": Column.PRIVACY, "disclosure": Column.DISCLOSURE}
READING = "Reading the video…"


@dataclass(frozen=True, order=True)
class CellProblem:
    """What is wrong with one cell; ``row`` is the index in the batch."""

    row: int
    column: Column = field(compare=False)
    message: str = field(compare=False)

    @property
    def sort_key(self) -> tuple[int, int]:
        return self.row, _ORDER[self.column]


class BulkRefused(ScheduleRefused):
    """The batch cannot be scheduled as it is; nothing was. One problem per bad cell."""

    def __init__(self, cells: list[CellProblem],
                 name: Callable[[int], str] = lambda i: f"Row {i + 1}") -> None:
        cells = sorted(cells, key=lambda c: c.sort_key)
        super().__init__([f"{name(c.row)}, column '{c.column}': {c.message}" for c in cells])
        self.cells = cells


@dataclass(frozen=True)
class BulkRow:
    """One post of a batch as the user set it (the form's values; None = not chosen)."""

    path: str
    account_id: int | None = None
    caption: str = ""
    due_at: int | None = None  # None: the account's next free queue slot
    due_tz: str = ""  # "" = the app's zone
    privacy_level: str | None = None
    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    disclose: bool = False
    brand_organic: bool = False
    brand_content: bool = False
    is_aigc: bool = False
    mode: PostMode = PostMode.DIRECT
    cover_time_ms: int | None = None

    def form(self) -> PostForm:
        return PostForm(caption=self.caption, privacy_level=self.privacy_level,
                        allow_comment=self.allow_comment, allow_duet=self.allow_duet,
                        allow_stitch=self.allow_stitch, disclose=self.disclose,
                        brand_organic=self.brand_organic, brand_content=self.brand_content,
                        is_aigc=self.is_aigc, mode=self.mode)


@dataclass(frozen=True)
class ProbedVideo:
    """What the checks need to know about a file (services.media), or why it is unusable."""

    path: str
    size: int = 0
    duration_ms: int = 0
    meta: Mapping[str, object] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # against TikTok's fixed limits (not the creator's)
    warnings: tuple[str, ...] = ()  # limits TikTok has not confirmed: said, not enforced
    error: str = ""  # the file cannot be used at all

    @property
    def usable(self) -> bool:
        return not self.error


_DURATION = "too_long"


def probe_video(path: str) -> ProbedVideo:
    """Probe one file (blocking: run it off the GUI thread); never raises for a bad file."""
    # PyAV loads when the first video is probed, not when a window or command starts.
    from tiktok_desktop.services import media  # noqa: PLC0415

    try:
        info = media.probe(path)
    except media.MediaError as exc:
        return ProbedVideo(path, error=str(exc))
    found = media.validate(info, None)
    return ProbedVideo(
        path=info.path, size=info.size_bytes, duration_ms=info.duration_ms,
        meta=info.to_meta(),
        problems=tuple(p.message for p in found if p.blocking and p.code != _DURATION),
        warnings=tuple(p.message for p in found if not p.blocking))


def duration_problems(video: ProbedVideo, limit: int | None) -> tuple[str, ...]:
    """The video against the creator's longest allowed duration (UX-03)."""
    from tiktok_desktop.services import media  # noqa: PLC0415 - as in probe_video

    info = media.MediaInfo.from_meta(video.path, dict(video.meta))
    return tuple(p.message for p in media.validate(info, limit)
                 if p.code == _DURATION and p.blocking)


@dataclass(frozen=True)
class AccountFacts:
    """An account with its fresh creator_info, or TikTok's reason it cannot post now."""

    account: Account
    creator: CreatorInfo | None = None
    problem: str | None = None


def _not_connected(account: Account) -> str | None:
    if account.status is AccountStatus.CONNECTED:
        return None
    if account.status is AccountStatus.DISCONNECTED:
        return (f"{account.label} was disconnected: reconnect it (Accounts → Reconnect) or "
                "choose another account.")
    return reconnect_message(account)


def row_problems(index: int, row: BulkRow, facts: AccountFacts | None,
                 video: ProbedVideo | None) -> list[CellProblem]:
    """Every rule of the single composer for one row, each problem on its cell (the
    schedule checks, which need the whole batch, are BulkService.check's)."""
    found: dict[Column, list[str]] = {}

    def add(column: Column, text: str) -> None:
        texts = found.setdefault(column, [])
        if text not in texts:
            texts.append(text)

    creator = facts.creator if facts else None
    media: tuple[str, ...] = ()
    if video is None:
        add(Column.FILE, READING)
    elif video.error:
        add(Column.FILE, video.error)
    else:
        limit = creator.max_video_post_duration_sec if creator else None
        media = video.problems + duration_problems(video, limit)
    direct = row.mode is PostMode.DIRECT
    if facts is None:
        add(Column.ACCOUNT, "Choose the account to post to.")
        for text in media:
            add(Column.FILE, text)
    else:
        account = facts.account
        if (why := _not_connected(account)) is not None:
            add(Column.ACCOUNT, why)
        direct_allowed = "video.publish" in account.granted_scopes
        state = evaluate(row.form(), creator, creator_problem=facts.problem,
                         media_problems=media, direct_allowed=direct_allowed)
        offered = creator.privacy_level_options if creator else ()
        for name, text in zip(state.problem_fields, state.problems, strict=True):
            if text == WAITING_FOR_CREATOR and (not direct_allowed or why is not None):
                continue  # said above: no direct posting, or not connected
            if name == "privacy" and creator and row.privacy_level \
                    and row.privacy_level not in offered:
                add(Column.PRIVACY, _not_offered(account, row.privacy_level, offered))
            else:
                add(_FIELD_COLUMNS[name], text)
        if direct:
            for name, ticked in (("comment", row.allow_comment), ("duet", row.allow_duet),
                                 ("stitch", row.allow_stitch)):
                tip = state.interaction_tooltips.get(name)
                if ticked and tip:
                    add(Column.INTERACTIONS, f"{tip} Leave {name}s off for this post.")
        elif "video.upload" not in account.granted_scopes:
            add(Column.INBOX, f"{account.label} did not allow sending videos to the TikTok "
                "inbox: reconnect it and keep 'video.upload' ticked, or post directly.")
    cover = row.cover_time_ms
    if cover is not None and video is not None and video.usable and (
            cover < 0 or (video.duration_ms and cover >= video.duration_ms)):
        add(Column.COVER, f"The cover frame at {cover} ms is not in the video, which is "
            f"{video.duration_ms} ms long: pick a time within it.")
    return [CellProblem(index, column, " ".join(texts)) for column, texts in found.items()]


def _label(privacy: str) -> str:
    return PRIVACY_LABELS.get(privacy, privacy.replace("_", " ").capitalize())


def _not_offered(account: Account, privacy: str, offered: Sequence[str]) -> str:
    """The privacy TikTok does not offer this account, and the ones it does (UX-05)."""
    words = [_label(o) for o in offered]
    choose = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return (f"{account.label} does not offer “{_label(privacy)}”: choose {choose}." if words
            else f"{account.label} offers no privacy choice right now: try again later.")


def new_post(row: BulkRow, video: ProbedVideo, due_at: int, due_tz: str,
             consent_at: int | None = None) -> NewPost:
    """The row as the store takes it: what the single composer would hand over."""
    assert row.account_id is not None
    direct = row.mode is PostMode.DIRECT
    return NewPost(
        account_id=row.account_id, video_path=video.path, video_size=video.size,
        video_meta=dict(video.meta), caption=row.caption,
        privacy_level=row.privacy_level if direct else None,
        allow_comment=row.allow_comment and direct, allow_duet=row.allow_duet and direct,
        allow_stitch=row.allow_stitch and direct, disclose_commercial=row.disclose and direct,
        brand_organic=row.disclose and row.brand_organic and direct,
        brand_content=row.disclose and row.brand_content and direct,
        is_aigc=row.is_aigc and direct, cover_time_ms=row.cover_time_ms, mode=row.mode,
        due_at=due_at, due_tz=due_tz, consent_at=consent_at)


def every_n_hours(start: dt.datetime, zone_name: str, hours: int, count: int) -> list[int]:
    """``count`` times from the wall time ``start`` in the zone, ``hours`` apart.

    Whole days (24, 48 … hours) keep the wall time (09:00 every day, also across a DST
    change; a day whose 09:00 the clocks skip gets the same moment after the change); other
    steps are elapsed time, so no two posts land on the same moment around a change.
    """
    if hours <= 0:
        raise ValueError("hours must be positive")
    first = _resolve_or_after(start, zone_name)
    if hours % 24:
        return [first + i * hours * 3600 for i in range(count)]
    return [_resolve_or_after(start + dt.timedelta(days=i * hours // 24), zone_name)
            for i in range(count)]


def _resolve_or_after(wall: dt.datetime, zone_name: str) -> int:
    try:
        return resolve_local(wall, zone_name).epoch
    except ScheduleError as exc:
        if exc.instead is None:
            raise
        return exc.instead.epoch


class BulkService:
    """The checks and the commit of a batch, on the posts and accounts services."""

    def __init__(self, posts: PostsService, accounts: AccountsService, *,
                 probe: Callable[[str], ProbedVideo] = probe_video) -> None:
        self.posts = posts
        self.accounts = accounts
        self.probe = probe

    # -- facts (blocking: network and disk) -----------------------------------------------

    def account_facts(self, account: Account) -> AccountFacts:
        """Fresh creator_info for the account (UX-01), or why there is none."""
        if account.status is not AccountStatus.CONNECTED \
                or "video.publish" not in account.granted_scopes:
            return AccountFacts(account)  # row_problems says what that means
        try:
            return AccountFacts(account, self.accounts.fresh_creator_info(account.id))
        except CreatorCannotPost as exc:
            return AccountFacts(account, None, "TikTok says this account cannot post right "
                                f"now: {exc}")
        except NeedsReconnect:
            return AccountFacts(account, None, reconnect_message(account))
        except (AccountError, TikTokError) as exc:
            return AccountFacts(account, None, f"Could not read {account.label}'s current "
                                f"settings from TikTok: {exc}")

    def facts_for(self, rows: Iterable[BulkRow]) -> dict[int, AccountFacts]:
        """Each account the rows use, asked once."""
        wanted = {r.account_id for r in rows if r.account_id is not None}
        return {a.id: self.account_facts(a) for a in self.accounts.list_accounts()
                if a.id in wanted}

    # -- times -------------------------------------------------------------------------------

    def queue_times(self, rows: Sequence[BulkRow], indexes: Iterable[int],
                    zone_name: str) -> dict[int, tuple[int, str] | None]:
        """The next free queue slot for each of ``indexes``, in row order per account: a slot
        taken by a stored post, by a row with a time, or by an earlier row is skipped.
        None for a row whose account has no free slot (or no account)."""
        wanted = list(indexes)
        chosen = set(wanted)
        out: dict[int, tuple[int, str] | None] = {}
        by_account: dict[int, list[int]] = {}
        for i in wanted:
            account_id = rows[i].account_id
            if account_id is None:
                out[i] = None
            else:
                by_account.setdefault(account_id, []).append(i)
        for account_id, members in by_account.items():
            slot_zone, _slots = self.posts.queue_slots(account_id)
            taken = [r.due_at for j, r in enumerate(rows) if j not in chosen
                     and r.account_id == account_id and r.due_at is not None]
            times = self.posts.next_queue_times(account_id, len(members), zone_name, taken)
            for n, i in enumerate(members):
                out[i] = (times[n], slot_zone or zone_name) if n < len(times) else None
        return out

    def spread_over_queue(self, rows: Sequence[BulkRow], indexes: Iterable[int],
                          zone_name: str) -> tuple[list[BulkRow], list[int]]:
        """Rows with the chosen ones set to their account's next free queue slots, and the
        indexes that got none (no slots, no account)."""
        out = list(rows)
        missing: list[int] = []
        for i, slot in self.queue_times(rows, indexes, zone_name).items():
            if slot is None:
                missing.append(i)
            else:
                out[i] = dataclasses.replace(out[i], due_at=slot[0], due_tz=slot[1])
        return out, sorted(missing)

    def resolve_times(self, rows: Sequence[BulkRow], zone_name: str,
                      ) -> dict[int, tuple[int, str] | None]:
        """Each row's due time and zone: its own, or the next free queue slot."""
        blank = [i for i, r in enumerate(rows) if r.due_at is None]
        times: dict[int, tuple[int, str] | None] = {
            i: (r.due_at, r.due_tz or zone_name) for i, r in enumerate(rows)
            if r.due_at is not None}
        times.update(self.queue_times(rows, blank, zone_name))
        return times

    # -- checks and commit -----------------------------------------------------------------

    def check(self, rows: Sequence[BulkRow], videos: Mapping[str, ProbedVideo],
              facts: Mapping[int, AccountFacts], zone_name: str) -> list[CellProblem]:
        """Every problem of every row, sorted by row and column (empty: it can go)."""
        found = [p for i, row in enumerate(rows) for p in row_problems(
            i, row, facts.get(row.account_id) if row.account_id is not None else None,
            videos.get(row.path))]
        found += self.time_problems(rows, videos, zone_name)[1]
        return sorted(found, key=lambda c: c.sort_key)

    def time_problems(self, rows: Sequence[BulkRow], videos: Mapping[str, ProbedVideo],
                      zone_name: str,
                      ) -> tuple[dict[int, tuple[int, str] | None], list[CellProblem]]:
        """Each row's time (its own or a queue slot) and the schedule checks of the whole
        batch (past, a year ahead, the sign-in's end, the daily caps with the batch's own
        posts counted). Reads the database: the bulk window runs it off the GUI thread."""
        times = self.resolve_times(rows, zone_name)
        found: list[CellProblem] = []
        news: list[NewPost] = []
        index: list[int] = []
        for i, row in enumerate(rows):
            video = videos.get(row.path)
            when = times.get(i)
            if when is None:
                if row.account_id is not None:
                    found.append(CellProblem(i, Column.WHEN, self._no_slot(row.account_id)))
                continue
            if row.account_id is None or video is None or not video.usable:
                continue
            news.append(new_post(row, video, when[0], when[1]))
            index.append(i)
        for n, texts in self.posts.batch_problems(news, account_checked=True).items():
            found.append(CellProblem(index[n], Column.WHEN, " ".join(texts)))
        return times, found

    def _no_slot(self, account_id: int) -> str:
        _zone, slots = self.posts.queue_slots(account_id)
        if not slots:
            return ("No time given, and this account has no queue times: give a date and time, "
                    "or set queue times under Accounts → Queue times.")
        return ("No time given, and every queue time of this account is taken for the next "
                "year: give a date and time.")

    def schedule(self, rows: Sequence[BulkRow], videos: Mapping[str, ProbedVideo],
                 facts: Mapping[int, AccountFacts], zone_name: str, *, keep_copy: bool = True,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                 ) -> list[Post]:
        """Check every row again (time passes) and schedule all of them or none.

        Raises BulkRefused (one problem per bad cell) or AdoptCancelled; either way nothing
        is scheduled and no library copy made for the batch is left."""
        problems = self.check(rows, videos, facts, zone_name)
        if problems:
            raise BulkRefused(problems)
        times = self.resolve_times(rows, zone_name)
        consent = int(self.posts.clock())  # the user's click (or command) is the consent
        news = []
        for i, row in enumerate(rows):
            when = times[i]
            assert when is not None  # check() said so otherwise
            news.append(new_post(row, videos[row.path], when[0], when[1], consent))
        try:
            return self.posts.schedule_batch(news, keep_copy=keep_copy, progress=progress,
                                             cancel=cancel, account_checked=True)
        except BatchRefused as exc:
            column = Column.FILE if exc.about == "video" else Column.WHEN
            raise BulkRefused([CellProblem(i, column, " ".join(texts))
                               for i, texts in exc.rows.items()]) from None
