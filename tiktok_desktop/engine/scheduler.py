"""The engine: what is due, when to wake next, and who works on which post.

``tick()`` never blocks on the network: it claims nothing itself, it hands each account with
due work to a bounded pool of worker threads (one job per account, so an account publishes
one post at a time while accounts run in parallel) and returns when it wants to be called
again (the next due post, retry, token refresh or foreign lease expiry). The driver sleeps
until then: a single-shot QTimer in the GUI (ui/worker.py), a plain wait in the headless
runner (engine/runner.py). ``wake()`` asks the driver for an early tick (schedule edits); the
engine calls the same hook when a job finishes.

Clock jumps: wall time minus monotonic time is compared between ticks; a jump (suspend and
resume, a clock change) re-runs the overdue sweep that also runs at start (late within the
grace window: goes out with a note; older: missed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tiktok_desktop.credentials import AccountError, NeedsReconnect, VaultError
from tiktok_desktop.domain.lifecycle import FOLLOWED
from tiktok_desktop.engine.ledger import human_duration as duration
from tiktok_desktop.engine.ledger import snippet
from tiktok_desktop.engine.listener import EngineListener, Notice, NoticeKind, Reporter
from tiktok_desktop.engine.parts import Awake, EngineParts, WakeAlarm
from tiktok_desktop.engine.publisher import Publisher
from tiktok_desktop.engine.sleep import EngineStopping
from tiktok_desktop.engine.stats import StatsReader
from tiktok_desktop.store import AccountStatus, Post, PostState, StateConflict
from tiktok_desktop.store.db import DatabaseUnreachable
from tiktok_desktop.store.leases import owner_is_dead, retire
from tiktok_desktop.system.clockjump import ClockJumpDetector

log = logging.getLogger(__name__)

_LATE_NOTE = "Posting "  # start of the event that says a post goes out late

ACTIVE_WORK = (PostState.PREPARING, PostState.UPLOADING, PostState.PROCESSING)


class Engine:
    """Due-time scheduling and publishing. Thread-safe: tick() from one driver thread,
    wake()/stop() from anywhere; listener calls come from the engine's worker threads."""

    def __init__(self, parts: EngineParts, listener: EngineListener | None = None,
                 on_wake: Callable[[], None] | None = None) -> None:
        self.parts = parts
        self.config = parts.config
        self.posts = parts.posts
        self.accounts = parts.accounts
        self.clock = parts.clock
        self.monotonic = parts.monotonic
        self.owner = parts.owner
        self.reporter = Reporter(listener)
        self._stop = parts.stop
        self._on_wake = on_wake
        self.publisher = Publisher(parts, self.reporter)
        self.stats = StatsReader(parts)
        self._pool = ThreadPoolExecutor(max_workers=self.config.max_parallel_accounts,
                                        thread_name_prefix="engine")
        self._cond = threading.Condition()
        self._busy: set[int] = set()
        self._posting: set[int] = set()  # accounts whose job works on a post right now
        self._tick_lock = threading.Lock()
        self._refresh_after: dict[int, float] = {}
        self._started = False
        self._resumed = False
        self._jumps = ClockJumpDetector(self.config.jump_tolerance)
        self.clock_jumps = 0
        self._awake: Awake | None = None
        self._alarm: WakeAlarm | None = None
        self._alarm_at: float | None = None

    # -- driver interface --------------------------------------------------------------------

    def set_wake_callback(self, callback: Callable[[], None] | None) -> None:
        """``callback`` (any thread) asks the driver to call tick() soon."""
        self._on_wake = callback

    def wake(self) -> None:
        """Something changed (a post was scheduled, edited, removed): re-plan now."""
        callback = self._on_wake
        if callback is not None:
            callback()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def tick(self) -> float | None:
        """Start due work; return the epoch time of the next wake-up (None: nothing planned).

        The driver should not sleep longer than ``config.watchdog_seconds`` in one go, so that
        a suspend/resume or clock change is noticed (see sleep_seconds()).
        """
        with self._tick_lock:
            if self._stop.is_set():
                return None
            now = self.clock()
            jumped = self._check_jump(now, self.monotonic())
            with self._cond:
                resumed, self._resumed = self._resumed, False
            if not self._started:
                self._started = True
                self._sweep_overdue(now, "the app was not running at its time")
            elif resumed:
                self._refresh_after.clear()  # tokens ran out while asleep: refresh them now
                self._sweep_overdue(now, "the computer was asleep")
            elif jumped:
                self._sweep_overdue(now, "the computer was asleep or its clock changed")
            self._requeue_reconnected(now)
            self._dispatch(now)
            return self._power(self._next_wake(now), self._alarm_time(now))

    def resumed(self) -> None:
        """The computer woke from sleep (the OS said so): re-plan at once. Thread-safe; the
        OS's sleep watcher calls it from its own thread."""
        with self._cond:
            self._resumed = True
        log.info("the computer woke from sleep: re-planning")
        self.wake()

    def set_power(self, awake: Awake | None = None, alarm: WakeAlarm | None = None) -> None:
        """Keep the computer awake around due posts and uploads (``awake``) and set the OS's
        wake timer for the next one (``alarm``); both are updated after every tick."""
        self._awake, self._alarm = awake, alarm

    def _power(self, next_wake: float | None, alarm_at: float | None) -> float | None:
        """After a tick: let the keep-awake policy and the wake timer follow the plan."""
        if self._alarm is not None and alarm_at != self._alarm_at:
            self._alarm_at = alarm_at
            try:
                self._alarm.set_next_wake(alarm_at)
            except OSError as exc:  # the OS refused: the service or an open window still posts
                log.info("could not set the wake timer: %s", exc)
        if self._awake is None:
            return next_wake
        again = self._awake.update()
        times = [t for t in (next_wake, again) if t is not None]
        return min(times) if times else None

    def sleep_seconds(self, next_wake: float | None) -> float:
        """How long the driver should wait for ``next_wake`` (capped by the watchdog)."""
        cap = self.config.watchdog_seconds
        if next_wake is None:
            return cap
        return max(0.0, min(cap, next_wake - self.clock()))

    def run_once(self, timeout: float | None = None) -> None:
        """Process everything due now and wait for it (``--once``, tests). Retries planned
        for later stay planned."""
        for _ in range(1000):  # a bound for safety; each round makes progress
            if self._stop.is_set():
                return
            self.tick()
            self.wait_idle(timeout)
            if not self._has_due_work(self.clock()):
                return

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no account job runs; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._busy, timeout)

    @property
    def busy(self) -> bool:
        with self._cond:
            return bool(self._busy)

    @property
    def publishing(self) -> bool:
        """Whether a post is being worked on now: what keeps the computer awake. A job that
        only reads statistics does not (they wait for a computer that is awake anyway)."""
        with self._cond:
            return bool(self._posting)

    def request_stop(self) -> None:
        """Ask running jobs to stop at their next block or wait (safe in a signal handler)."""
        self._stop.set()

    def stop(self, wait: bool = True) -> None:
        """Stop: uploads and waits end at the next block/instant, posts keep their step and
        are picked up again on the next start (by this app or another copy)."""
        self._stop.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        retire(self.owner)
        if self._awake is not None:
            self._awake.close()

    # -- planning ----------------------------------------------------------------------------

    def _check_jump(self, wall: float, mono: float) -> bool:
        if not self._jumps.jumped(wall, mono):
            return False
        self.clock_jumps += 1
        log.info("wall clock moved %+.0f s against monotonic time (suspend/resume or a clock "
                 "change): re-planning", self._jumps.drift)
        return True

    def _refresh_due_at(self) -> dict[int, float]:
        """Connected accounts -> when their token should be refreshed (after any backoff):
        just before their next due post or retry, if the access token would not last until
        then. After a sleep that time is past, so the refresh runs on waking."""
        needed = self.posts.next_work_by_account()
        out: dict[int, float] = {}
        for account in self.accounts.all():
            due = self.parts.tokens.refresh_due_at(account, needed.get(account.id),
                                                   self.config.refresh_lead)
            if due is not None:
                out[account.id] = max(due, self._refresh_after.get(account.id, 0.0))
        return out

    def _claimable(self, post: Post, now: float) -> tuple[bool, str | None]:
        """(may we take this active post, the dead owner to take it from)."""
        holder = post.lease_owner
        if holder is None:
            return True, None
        if holder == self.owner:
            return True, holder  # left over by one of our own jobs (it is not running now)
        if post.lease_expires_at is not None and post.lease_expires_at <= now:
            return True, None
        if owner_is_dead(holder):
            return True, holder
        return False, None

    def _work(self, now: float) -> tuple[set[int], set[int]]:
        """(accounts with posts to work on, accounts whose token needs refreshing)."""
        accounts = {p.account_id for p in self.posts.due(int(now), limit=1000, follow=FOLLOWED)}
        accounts |= {p.account_id for p in self.posts.query(states=ACTIVE_WORK)
                     if self._claimable(p, now)[0]}
        accounts |= self.stats.due_accounts(now)  # run after the account's posts (_job)
        refresh = {a for a, at in self._refresh_due_at().items() if at <= now}
        return accounts, refresh

    def _has_due_work(self, now: float) -> bool:
        accounts, refresh = self._work(now)
        return bool(accounts or refresh)

    def _dispatch(self, now: float) -> None:
        accounts, refresh = self._work(now)
        for account_id in sorted(accounts | refresh):
            with self._cond:
                if account_id in self._busy:
                    continue
                self._busy.add(account_id)
            try:
                self._pool.submit(self._job, account_id, account_id in refresh)
            except RuntimeError:  # the pool shut down (stop() raced us)
                with self._cond:
                    self._busy.discard(account_id)
                    self._cond.notify_all()

    def _next_wake(self, now: float) -> float | None:
        times: list[float] = []
        planned = self.posts.next_wake(follow=FOLLOWED)
        if planned is not None:
            times.append(float(planned))
        times.extend(self._refresh_due_at().values())
        for post in self.posts.query(states=ACTIVE_WORK):
            if post.lease_owner not in (None, self.owner) and post.lease_expires_at:
                times.append(float(post.lease_expires_at))
        readings = self.stats.next_due(now)  # never an alarm: see _alarm_time
        if readings is not None:
            times.append(readings)
        # Times already past belong to accounts whose job is running: it wakes us when done.
        future = [t for t in times if t > now]
        return min(future) if future else None

    def _alarm_time(self, now: float) -> float | None:
        """What is worth waking a sleeping computer for: due posts and retries, and the token
        refreshes just before them; not the checks of posts TikTok already has (in review, in
        the inbox) nor the statistics readings, which wait until the computer is awake
        anyway."""
        due = self.posts.next_wake()
        if due is None:
            return None
        times = [float(due), *(t for t in self._refresh_due_at().values() if t <= due)]
        future = [t for t in times if t > now]
        return min(future) if future else None

    # -- sweeps ------------------------------------------------------------------------------

    def _sweep_overdue(self, now: float, why: str) -> None:
        grace = self.parts.grace()
        for post in self.posts.query(states=[PostState.SCHEDULED], due_to=int(now)):
            assert post.due_at is not None
            late = now - post.due_at
            try:
                if late > grace:
                    self._miss(post, f"Not posted: {why}, and it is now {duration(late)} past "
                               f"its time (more than the {duration(grace)} allowed for late "
                               "posts). Post it now or give it a new time.")
                elif late > self.config.watchdog_seconds:
                    history = self.posts.events(post.id)
                    if history and history[-1].detail.startswith(_LATE_NOTE):
                        continue  # said once: not again at every restart while it waits
                    moved = self.posts.transition(
                        post.id, PostState.SCHEDULED,
                        f"{_LATE_NOTE}{duration(late)} late: {why}.",
                        expect=[PostState.SCHEDULED])
                    self.reporter.post_changed(moved)
                    self.reporter.notice(Notice(NoticeKind.LATE,
                                        f"“{snippet(post)}” is going out {duration(late)} late "
                                        f"({why}).", post.id, post.account_id))
            except StateConflict:
                continue  # another engine or an edit got there first

    def _miss(self, post: Post, message: str) -> None:
        moved = self.posts.transition(post.id, PostState.MISSED, message,
                                      expect=[post.state], last_error_code="missed",
                                      last_error_message=message)
        self.reporter.post_changed(moved)
        self.reporter.notice(Notice(NoticeKind.MISSED, f"“{snippet(post)}”: {message}", post.id,
                            post.account_id))

    def _requeue_reconnected(self, now: float) -> None:
        """Posts that waited for a reconnect go again once their account is connected."""
        waiting = self.posts.query(states=[PostState.NEEDS_RECONNECT])
        if not waiting:
            return
        connected = {a.id for a in self.accounts.all()
                     if a.status is AccountStatus.CONNECTED}
        grace = self.parts.grace()
        for post in waiting:
            if post.account_id not in connected:
                continue
            self.reporter.reconnected(post.account_id)
            try:
                if post.publish_id and post.step is not None and post.step.may_be_accepted:
                    moved = self.posts.transition(
                        post.id, PostState.RETRY_WAIT,
                        "The account is connected again: asking TikTok about the post.",
                        expect=[PostState.NEEDS_RECONNECT], retry_state=PostState.PROCESSING,
                        next_attempt_at=int(now))
                elif post.due_at is not None and now - post.due_at > grace:
                    self._miss(post, f"Not posted: it waited for the account to be reconnected "
                               f"and is now {duration(now - post.due_at)} past its time. Post "
                               "it now or give it a new time.")
                    continue
                else:
                    moved = self.posts.transition(
                        post.id, PostState.SCHEDULED, "The account is connected again.",
                        expect=[PostState.NEEDS_RECONNECT],
                        due_at=post.due_at if post.due_at is not None else int(now))
            except StateConflict:
                continue
            self.reporter.post_changed(moved)

    # -- account jobs ------------------------------------------------------------------------

    def _job(self, account_id: int, refresh: bool) -> None:
        try:
            if refresh:
                self._proactive_refresh(account_id)
            while not self._stop.is_set():
                post = self._claim_next(account_id)
                if post is None:
                    break
                if post.state not in FOLLOWED:  # a follow-up check changes nothing yet
                    self.reporter.post_changed(post)
                with self._cond:
                    self._posting.add(account_id)
                try:
                    self.publisher.run(post)
                finally:
                    with self._cond:
                        self._posting.discard(account_id)
            if not self._stop.is_set():
                self.stats.run(account_id)  # after the posts: readings never delay one
        except EngineStopping:
            pass
        except DatabaseUnreachable as exc:
            # A shared schedule's server went away: nothing was changed, the post keeps its
            # step and lease; whoever drives the engine says so once and waits (cli/run.py).
            log.info("engine job for account %d stopped: %s", account_id, exc)
        except Exception:
            log.exception("engine job for account %d failed", account_id)
        finally:
            with self._cond:
                self._busy.discard(account_id)
                self._cond.notify_all()
            if not self._stop.is_set():
                self.wake()

    def _proactive_refresh(self, account_id: int) -> None:
        now = self.clock()
        # At most one proactive refresh per interval, whatever the outcome: a token TikTok
        # issues shorter than the refresh margin must not make the engine spin.
        self._refresh_after[account_id] = now + self.config.refresh_retry
        try:
            self.parts.tokens.renew(account_id)
        except NeedsReconnect as exc:
            self.reporter.notice(Notice(NoticeKind.NEEDS_RECONNECT, str(exc), None, account_id))
        except (AccountError, VaultError) as exc:
            log.info("account %d: token refresh failed, trying again later: %s", account_id, exc)

    def _claim_next(self, account_id: int) -> Post | None:
        now = self.clock()
        due_by = int(now)
        until = int(now + self.config.lease_seconds)
        # Posts another engine (or a crashed run) left mid-way come first: they are oldest.
        for post in self.posts.query(account_id=account_id, states=ACTIVE_WORK):
            ok, take_from = self._claimable(post, now)
            if not ok:
                continue
            claimed = self.posts.claim(
                post.id, self.owner, until, expect=ACTIVE_WORK, take_from=take_from,
                detail="Picked up again after the app stopped before finishing it.")
            if claimed is not None:
                return claimed
        candidates = self.posts.query(account_id=account_id, states=[PostState.SCHEDULED],
                                      due_to=due_by + 1)
        candidates += [p for p in self.posts.query(account_id=account_id,
                                                   states=[PostState.RETRY_WAIT])
                       if (p.next_attempt_at or 0) <= due_by]
        candidates.sort(key=lambda p: (p.next_attempt_at if p.state is PostState.RETRY_WAIT
                                       else p.due_at) or 0)
        for post in candidates:
            if post.state is PostState.RETRY_WAIT:
                target = post.retry_state or PostState.PREPARING
                detail = f"Trying again (try {post.attempt_count + 1})."
            else:
                target, detail = PostState.PREPARING, "Due: starting."
            claimed = self.posts.claim(post.id, self.owner, until, expect=[post.state],
                                       state=target, detail=detail, due_by=due_by)
            if claimed is not None:
                return claimed
        # Last, the planned checks of posts TikTok already has: they never delay a due post.
        for post in self.posts.followed_due(due_by, FOLLOWED, account_id):
            ok, take_from = self._claimable(post, now)
            if not ok:
                continue
            claimed = self.posts.claim(post.id, self.owner, until, expect=[post.state],
                                       detail=None, take_from=take_from, due_by=due_by)
            if claimed is not None:
                return claimed
        return None
