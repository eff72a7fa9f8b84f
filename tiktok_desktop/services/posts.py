"""Post use cases shared by the GUI and the CLI: schedule, reschedule, unschedule, queue."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tiktok_desktop.domain.lifecycle import (
    DELETABLE,
    EDITABLE,
    WAITS_FOR_ACCOUNT,
    Action,
    why_not,
)
from tiktok_desktop.services.library import (
    AdoptCancelled,
    CancelFn,
    Library,
    LibraryError,
    ProgressFn,
)
from tiktok_desktop.services.schedule import Timed, check_schedule, next_free_slots
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    NewPost,
    Post,
    PostMode,
    PostsRepo,
    PostState,
    StoreError,
    listing,
)
from tiktok_desktop.store.backend import Watch
from tiktok_desktop.store.listing import Cell, Order, PostList, Where
from tiktok_desktop.store.queue import QueueRepo, Slot

log = logging.getLogger(__name__)

__all__ = ["BatchRefused", "PostsService", "ScheduleRefused", "video_name"]


# A post the user gives a new start (edit, reschedule, post now) starts with fresh tries.
_FRESH_START: dict[str, Any] = {"attempt_count": 0, "next_attempt_at": None,
                                "retry_state": None, "last_error_code": None,
                                "last_error_message": None}


class ScheduleRefused(Exception):
    """The post cannot be scheduled as asked; `problems` says why, one message each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class BatchRefused(ScheduleRefused):
    """Some posts of a batch cannot be scheduled, so none was. ``rows`` maps each refused
    post's index in the batch to its problems (callers name rows their own way); ``about``
    says what they concern: "time" (the schedule checks) or "video" (keeping it safe)."""

    def __init__(self, rows: dict[int, list[str]], about: str = "time") -> None:
        super().__init__([f"Post {i + 1} of the batch: {text}"
                          for i, texts in sorted(rows.items()) for text in texts])
        self.rows = rows
        self.about = about


@dataclasses.dataclass(frozen=True)
class _Pending:
    """A post of a batch not stored yet, as the daily caps see it (services.schedule.Timed)."""

    mode: PostMode
    due_at: int | None
    state: PostState = PostState.SCHEDULED


def video_name(post: Post) -> str:
    """The file name the user chose (library copies are named by their hash). Plain string
    work, not PurePath: the schedule calls it for 100k rows per keystroke of a search."""
    original = post.video_meta.get("original_path")
    path = original if isinstance(original, str) and original else post.video_path
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class PostsService:
    def __init__(self, posts: PostsRepo, accounts: AccountsRepo | None = None,
                 queue: QueueRepo | None = None,
                 clock: Callable[[], float] = time.time,
                 library: Library | None = None) -> None:
        self.repo = posts
        self.accounts = accounts
        self.queue = queue
        self.library = library
        self.clock = clock
        # Called after every change so the engine can re-plan its next wake-up.
        self.on_change: list[Callable[[], None]] = []

    # -- reads -------------------------------------------------------------------------------

    def list_posts(self, *, account_id: int | None = None,
                   states: Iterable[PostState] | None = None) -> list[Post]:
        """Posts soonest first (undated last), optionally of one account and some states."""
        return self.repo.query(account_id=account_id, states=states)

    def get(self, post_id: int) -> Post | None:
        return self.repo.get(post_id)

    def next_scheduled(self) -> Post | None:
        """The scheduled post due first (through the state/due index)."""
        return self.repo.next_scheduled()

    def counts(self) -> dict[PostState, int]:
        return self.repo.count_by_state()

    # The schedule's views read only what they show (issue 16): store/listing.py.

    def listing(self, where: Where = Where(), order: Order = Order(), *,  # noqa: B008
                cells: dict[Cell, int] | None = None) -> PostList:
        """The posts ``where`` selects in ``order``, read a stretch at a time."""
        return PostList(self.repo.db, where, order, cells=cells)

    def cells(self) -> dict[Cell, int]:
        """Posts per (account, state, privacy): every count the views show, in a few rows."""
        return listing.cell_counts(self.repo.db)

    def due_between(self, start: int, end: int, where: Where = Where(),  # noqa: B008
                    limit: int | None = None) -> list[Post]:
        """Posts due in [start, end) that ``where`` selects, soonest first."""
        return listing.in_range(self.repo.db, start, end, where, limit)

    def undated(self, where: Where = Where(), limit: int = 500) -> list[Post]:  # noqa: B008
        """Posts without a due time that ``where`` selects, by id (at most ``limit``)."""
        return listing.undated(self.repo.db, where, limit)

    def count_between(self, start: int, end: int, where: Where = Where()) -> int:  # noqa: B008
        """How many posts due in [start, end) ``where`` selects (an index walk)."""
        return listing.count_in_range(self.repo.db, start, end, where)

    def count_undated(self, where: Where = Where()) -> int:  # noqa: B008
        return listing.count_undated(self.repo.db, where)

    def watch(self) -> Watch:
        """Something to ask whether anyone (another process, the engine) committed to the
        database since the last time (store/watch.py)."""
        return self.repo.db.watch()

    def problems(self, new: NewPost, *, zone_name: str = "", editing: int | None = None,
                 account_checked: bool = False) -> list[str]:
        """What stops `new` from being scheduled at new.due_at (empty when it can be).

        ``account_checked``: the caller already told the user, in its own words, that the
        account is not connected (the CLI does); only the time and the caps are checked.
        """
        if self.accounts is None:
            raise RuntimeError("PostsService needs the accounts repository to schedule")
        account = self.accounts.get(new.account_id)
        if account is None:
            return ["That account no longer exists: pick another one."]
        if new.due_at is None:
            return ["Pick a date and time, or choose Post now."]
        if account_checked:
            account = dataclasses.replace(account, status=AccountStatus.CONNECTED)
        others = [p for p in self.repo.query(account_id=account.id) if p.id != editing]
        return check_schedule(account, new.due_at, new.mode, self.clock(), others,
                              zone_name or new.due_tz)

    # -- writes ------------------------------------------------------------------------------

    def schedule(self, new: NewPost) -> Post:
        """Check and store a post that goes out at new.due_at (ScheduleRefused otherwise)."""
        problems = self.problems(new)
        if problems:
            raise ScheduleRefused(problems)
        consented = dataclasses.replace(new, consent_at=new.consent_at or int(self.clock()))
        post = self.repo.create(consented, PostState.SCHEDULED, "scheduled")
        log.info("post %d scheduled for %s", post.id, post.due_at)
        self._changed()
        return post

    def schedule_video(self, new: NewPost, *, keep_copy: bool = True,
                       editing: int | None = None, progress: ProgressFn | None = None,
                       cancel: CancelFn | None = None) -> Post:
        """Check, keep the video safe in the library (or fingerprint the original), store.

        The checks run before any copying, so a refused post never costs a gigabyte copy.
        """
        problems = self.problems(new, editing=editing)
        if problems:
            raise ScheduleRefused(problems)
        if editing is not None:
            new = self._same_video(editing, new)
        adopted: str | None = None
        if self.library is not None and not (
                self.library.contains(new.video_path) and new.video_sha256):
            try:
                item = (self.library.adopt(new.video_path, progress, cancel) if keep_copy
                        else self.library.reference(new.video_path, progress, cancel))
            except LibraryError as exc:
                raise ScheduleRefused([exc.message]) from None
            adopted = item.path if keep_copy else None
            # The library file is named by its hash: keep the name the user knows.
            meta = {**new.video_meta, "original_path": item.original_path}
            new = dataclasses.replace(new, video_path=item.path, video_size=item.size,
                                      video_sha256=item.sha256, video_meta=meta)
        try:
            return self.schedule(new) if editing is None else self.edit(editing, new)
        except ScheduleRefused:
            if adopted is not None:
                self._release(adopted)
            raise

    def _same_video(self, post_id: int, new: NewPost) -> NewPost:
        """An edit that keeps the post's video keeps what is known about it: the library
        copy's fingerprint (no second copy) and the name of the file the user chose."""
        old = self.repo.get(post_id)
        if old is None or old.video_path != new.video_path:
            return new
        meta = dict(new.video_meta)
        original = old.video_meta.get("original_path")
        if isinstance(original, str) and original:
            meta["original_path"] = original
        return dataclasses.replace(new, video_sha256=new.video_sha256 or old.video_sha256,
                                   video_meta=meta)

    def edit(self, post_id: int, new: NewPost) -> Post:
        """Replace an editable post's content and time; it is scheduled again."""
        old = self._may(post_id, Action.EDIT)
        problems = self.problems(new, editing=post_id)
        if problems:
            raise ScheduleRefused(problems)
        fields = {f.name: getattr(new, f.name) for f in dataclasses.fields(NewPost)}
        fields["consent_at"] = new.consent_at or int(self.clock())
        updated = self.repo.transition(post_id, PostState.SCHEDULED, "edited",
                                       expect=EDITABLE, **_FRESH_START, **fields)
        if old.video_path != updated.video_path:
            self._release(old.video_path)
        self._changed()
        return updated

    def _release(self, path: str) -> None:
        """The library copy goes with its last post (the user's originals are never touched)."""
        if self.library is not None:
            self.library.release(path, self.repo.video_in_use)

    def save_draft(self, new: NewPost) -> Post:
        post = self.repo.create(dataclasses.replace(new, consent_at=None), PostState.DRAFT,
                                "saved as draft")
        self._changed()
        return post

    def reschedule(self, post_id: int, due_at: int, zone_name: str = "", *,
                   action: Action = Action.RESCHEDULE) -> Post:
        """Move a post to a new time (a missed or failed one is scheduled again)."""
        post = self._may(post_id, action)
        moved = NewPost(**{f.name: getattr(post, f.name) for f in dataclasses.fields(NewPost)
                           if f.name not in ("due_at", "due_tz")},
                        due_at=due_at, due_tz=zone_name or post.due_tz)
        problems = self.problems(moved, editing=post_id)
        if problems:
            raise ScheduleRefused(problems)
        detail = "Posting now (asked by the user)." if action is Action.POST_NOW \
            else f"rescheduled to {due_at}"
        updated = self.repo.transition(post_id, PostState.SCHEDULED, detail, expect=EDITABLE,
                                       due_at=due_at, due_tz=moved.due_tz, **_FRESH_START)
        self._changed()
        return updated

    def post_now(self, post_id: int) -> Post:
        """Send it as soon as the engine can: it becomes due now."""
        return self.reschedule(post_id, int(self.clock()), action=Action.POST_NOW)

    def unschedule(self, post_id: int) -> Post:
        """Take a post off the schedule; it stays as a draft with everything the user typed."""
        self._may(post_id, Action.UNSCHEDULE)
        updated = self.repo.transition(post_id, PostState.DRAFT, "unscheduled",
                                       expect=EDITABLE, due_at=None)
        self._changed()
        return updated

    def check_again(self, post_id: int) -> Post:
        """Ask TikTok once more about a post it did not confirm, or an inbox draft that was not
        posted in time (status only: a post TikTok may have is never sent again). The engine
        picks it up at once."""
        self._may(post_id, Action.CHECK_AGAIN)
        updated = self.repo.transition(post_id, PostState.RETRY_WAIT,
                                       "Checking with TikTok again (asked by the user).",
                                       expect=[PostState.UNCONFIRMED, PostState.DRAFT_LAPSED],
                                       retry_state=PostState.PROCESSING,
                                       next_attempt_at=int(self.clock()), attempt_count=0)
        self._changed()
        return updated

    def delete(self, post_id: int) -> Post:
        """Remove a post and its history (not while the engine is working on it); the
        library copy of its video goes with its last post. Returns the removed post."""
        self._may(post_id, Action.DELETE)
        try:
            post = self.repo.delete(post_id, expect=DELETABLE)
        except StoreError as exc:  # the engine claimed it (or it went) meanwhile
            raise ScheduleRefused([str(exc)]) from None
        self._release(post.video_path)
        self._changed()
        return post

    def _may(self, post_id: int, action: Action) -> Post:
        """The post, if ``action`` may be done with it now (ScheduleRefused otherwise)."""
        post = self.repo.get(post_id)
        if post is None:
            raise ScheduleRefused([f"There is no post {post_id} (it may have been removed)."])
        why = why_not(post, action, self.account_status(post.account_id))
        if why is not None:
            raise ScheduleRefused([why])
        return post

    def account_status(self, account_id: int) -> AccountStatus:
        """The status of a post's account (one that is gone counts as disconnected)."""
        if self.accounts is None:
            return AccountStatus.CONNECTED
        account = self.accounts.get(account_id)
        return account.status if account is not None else AccountStatus.DISCONNECTED

    def waiting_for_reconnect(self) -> dict[PostState, int]:
        """How many posts, by state, would go out but wait for their account's reconnect."""
        if self.accounts is None:
            return {}
        counts: dict[PostState, int] = {}
        for account in self.accounts.all():
            if account.status is AccountStatus.CONNECTED:
                continue
            for post in self.repo.query(account_id=account.id, states=WAITS_FOR_ACCOUNT):
                counts[post.state] = counts.get(post.state, 0) + 1
        return counts

    def _changed(self) -> None:
        for callback in self.on_change:
            callback()

    # -- queue -------------------------------------------------------------------------------

    def queue_slots(self, account_id: int) -> tuple[str, list[Slot]]:
        if self.queue is None:
            return "", []
        return self.queue.slots(account_id)

    def set_queue_slots(self, account_id: int, slots: list[Slot], zone_name: str = "") -> None:
        if self.queue is None:
            raise RuntimeError("PostsService needs the queue repository")
        self.queue.set_slots(account_id, slots, zone_name)

    def next_queue_times(self, account_id: int, count: int = 1,
                         zone_name: str = "", also_taken: Iterable[int] = ()) -> list[int]:
        """The account's next free queue slot times (empty when it has no slots).

        ``also_taken``: times of posts not stored yet (a batch being filled) that occupy
        slots too."""
        slot_zone, slots = self.queue_slots(account_id)
        taken = [p.due_at for p in self.repo.query(account_id=account_id)
                 if p.due_at is not None and p.state is not PostState.DRAFT]
        return next_free_slots(slots, slot_zone or zone_name, self.clock(),
                               [*taken, *also_taken], count)

    # -- batches (bulk window, CSV import) ----------------------------------------------------

    def batch_problems(self, news: Sequence[NewPost], *, account_checked: bool = False,
                       ) -> dict[int, list[str]]:
        """What stops each post of a batch at its due time (index -> problems; empty = none).

        The batch's own posts count towards each account's daily caps, in batch order, as
        if the earlier ones were already scheduled.
        """
        if self.accounts is None:
            raise RuntimeError("PostsService needs the accounts repository to schedule")
        found: dict[int, list[str]] = {}
        accounts: dict[int, Account | None] = {}
        others: dict[int, list[Timed]] = {}
        now = self.clock()
        for i, new in enumerate(news):
            if new.account_id not in accounts:
                accounts[new.account_id] = self.accounts.get(new.account_id)
            account = accounts[new.account_id]
            if account is None:
                found[i] = ["That account no longer exists: pick another one."]
                continue
            if new.due_at is None:
                found[i] = ["Pick a date and time, or choose Post now."]
                continue
            if account_checked:
                account = dataclasses.replace(account, status=AccountStatus.CONNECTED)
            if account.id not in others:
                others[account.id] = list(self.repo.query(account_id=account.id))
            problems = check_schedule(account, new.due_at, new.mode, now, others[account.id],
                                      new.due_tz)
            if problems:
                found[i] = problems
            others[account.id].append(_Pending(new.mode, new.due_at))
        return found

    def schedule_batch(self, news: Sequence[NewPost], *, keep_copy: bool = True,
                       progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                       account_checked: bool = False) -> list[Post]:
        """Schedule every post of the batch, or none: checked first, then each video kept
        safe in the library, then all stored in one transaction. On any failure the library
        copies made for the batch are released again and BatchRefused (or the error) raised.
        ``progress`` counts bytes over the whole batch."""
        problems = self.batch_problems(news, account_checked=account_checked)
        if problems:
            raise BatchRefused(problems)
        adopted: list[str] = []
        ready: list[NewPost] = []
        total = sum(n.video_size for n in news)
        done = 0
        consent = int(self.clock())
        try:
            for i, given in enumerate(news):
                new = given
                if self.library is not None and not (
                        self.library.contains(new.video_path) and new.video_sha256):
                    step = None if progress is None else \
                        (lambda d, _t, base=done: progress(min(base + d, total), total))
                    try:
                        item = (self.library.adopt(new.video_path, step, cancel) if keep_copy
                                else self.library.reference(new.video_path, step, cancel))
                    except AdoptCancelled:
                        raise
                    except LibraryError as exc:
                        raise BatchRefused({i: [exc.message]}, "video") from None
                    if keep_copy:
                        adopted.append(item.path)
                    meta = {**new.video_meta, "original_path": item.original_path}
                    new = dataclasses.replace(new, video_path=item.path, video_size=item.size,
                                              video_sha256=item.sha256, video_meta=meta)
                done += new.video_size
                ready.append(dataclasses.replace(new, consent_at=new.consent_at or consent))
            posts = self.repo.create_many(ready, PostState.SCHEDULED, "scheduled (bulk)")
        except BaseException:
            # All or nothing: no copy made for this batch outlives it (a file shared with a
            # post stored before stays, release() asks).
            for path in adopted:
                self._release(path)
            raise
        log.info("%d posts scheduled in one batch", len(posts))
        self._changed()
        return posts

    def duplicate(self, post_id: int) -> Post:
        """A new draft with the post's video and settings, without a time or consent (the
        composer asks for both). The library copy of the video is shared, not copied."""
        post = self._may(post_id, Action.DUPLICATE)
        fields = {f.name: getattr(post, f.name) for f in dataclasses.fields(NewPost)}
        fields.update(due_at=None, consent_at=None)
        copy = self.repo.create(NewPost(**fields), PostState.DRAFT,
                                f"duplicated from post {post_id}")
        self._changed()
        return copy
