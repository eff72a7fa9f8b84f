"""The engine's statistics readings (issue 19): published posts' counts on their plan
(domain/stats_plan.py) and each account's follower and like counts once a day.

- Batched: one video/query per 20 TikTok IDs of an account (TikTok's limit, section 8).
- Within the budget: each request takes a place in the account's ``Budget.VIDEO_QUERY`` or
  ``Budget.USER_INFO`` window (600 a minute, shared with every engine on the database) minus
  ``stats_reserve``, so statistics never crowd out the window's own reads. Without a place the
  account's readings wait for it; nothing blocks.
- Caught up: the plan is read from the database, so after the app was closed the first tick
  finds every post whose latest slot has come and takes it (one reading, at its real time).
- Never wakes the computer: the engine's wake alarm and keep-awake follow posts only
  (scheduler._alarm_time); these readings ride on ticks that happen while it is awake.
- Needs ``video.list`` (posts) and ``user.info.stats`` (the account): an account that did not
  grant one is left out of that part. The daily account reading starts with the account's
  first public post through the app (before it there is nothing of ours to measure, and an
  app that only schedules asks TikTok nothing).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from tiktok_desktop.credentials import AccountError, VaultError
from tiktok_desktop.domain import stats_plan
from tiktok_desktop.engine.parts import EngineParts
from tiktok_desktop.engine.ratelimit import Budget
from tiktok_desktop.store import Account, AccountStatus
from tiktok_desktop.store.stats import AccountSnapshot, LivePost, PostSnapshot, StatsStore
from tiktok_desktop.tiktok import AccessTokenInvalid, RateLimited, TikTokError

log = logging.getLogger(__name__)

__all__ = ["BATCH", "COUNT_FIELDS", "USER_STATS_FIELDS", "StatsReader"]

BATCH = 20  # video/query takes up to 20 IDs (TIKTOK_API.md 8)
COUNT_FIELDS = ("id", "view_count", "like_count", "comment_count", "share_count")
USER_STATS_FIELDS = ("follower_count", "following_count", "likes_count", "video_count")
# views, likes, comments, shares
_Counts = tuple[int | None, int | None, int | None, int | None]


@dataclass(frozen=True)
class _Due:
    post_id: int
    tiktok_id: str
    slot: int


class StatsReader:
    """Used by the Engine: what is due and when, and one account's readings (on the
    account's engine job, after its posts)."""

    def __init__(self, parts: EngineParts) -> None:
        self.parts = parts
        self.store = StatsStore(parts.posts.db)
        self._lock = threading.Lock()
        # Accounts whose readings wait (no budget place, TikTok said 429, a failed call, no
        # token): not before this time.
        self._not_before: dict[int, float] = {}

    # -- planning ----------------------------------------------------------------------------

    def _accounts(self) -> dict[int, Account]:
        return {a.id: a for a in self.parts.accounts.all()
                if a.status is AccountStatus.CONNECTED}

    def _live(self, now: float) -> list[LivePost]:
        return self.store.live_posts(int(now) - stats_plan.LAST_OFFSET - 1)

    @staticmethod
    def _due_posts(post: LivePost, now: float) -> tuple[list[_Due], float | None]:
        """(readings of this post due now, when its next one comes)."""
        due: list[_Due] = []
        later: list[float] = []
        latest = stats_plan.latest_slot(post.published_at, now)
        for tiktok_id in post.tiktok_ids:
            if tiktok_id in post.gone or not tiktok_id.isdigit():
                continue
            taken = post.taken.get(tiktok_id)
            if latest is not None and (taken is None or latest > taken):
                due.append(_Due(post.post_id, tiktok_id, latest))
                taken = latest
            nxt = stats_plan.next_slot_at(post.published_at, taken)
            if nxt is not None:
                later.append(nxt)
        return due, (min(later) if later else None)

    def _plan(self, now: float) -> tuple[dict[int, list[_Due]], set[int], float | None]:
        """(post readings due per account, accounts whose daily reading is due, the next time
        something comes)."""
        accounts = self._accounts()
        posts_due: dict[int, list[_Due]] = {}
        times: list[float] = []
        for post in self._live(now):
            account = accounts.get(post.account_id)
            if account is None or "video.list" not in account.granted_scopes:
                continue
            due, nxt = self._due_posts(post, now)
            if due:
                posts_due.setdefault(post.account_id, []).extend(due)
            if nxt is not None:
                times.append(nxt)
        day = stats_plan.account_day(now)
        done = self.store.account_days(day)
        posting = self.store.posting_accounts()
        readable = {a for a, acc in accounts.items()
                    if "user.info.stats" in acc.granted_scopes and a in posting}
        daily = readable - done
        if readable:
            times.append(float((day + 1) * stats_plan.ACCOUNT_PERIOD))
        with self._lock:
            waiting = dict(self._not_before)
        for account_id in set(posts_due) | daily:
            if waiting.get(account_id, 0.0) > now:
                times.append(waiting[account_id])
        return posts_due, daily, (min(times) if times else None)

    def due_accounts(self, now: float) -> set[int]:
        """Accounts with readings to take now (and a budget that is not known to be spent)."""
        posts_due, daily, _ = self._plan(now)
        with self._lock:
            return {a for a in set(posts_due) | daily if self._not_before.get(a, 0.0) <= now}

    def next_due(self, now: float) -> float | None:
        """When the next reading comes, or an account waiting for budget may go on; None
        when nothing is planned."""
        posts_due, daily, nxt = self._plan(now)
        with self._lock:
            later = [t for a, t in self._not_before.items()
                     if t > now and (a in posts_due or a in daily)]
        times = [t for t in [nxt, *later] if t is not None and t > now]
        return min(times) if times else None

    # -- one account's readings ----------------------------------------------------------------

    def _wait(self, account_id: int, until: float) -> None:
        with self._lock:
            self._not_before[account_id] = until

    def _budget(self, account_id: int, budget: Budget) -> bool:
        wait = self.parts.limits.try_take(account_id, budget,
                                          reserve=self.parts.config.stats_reserve)
        if wait > 0:
            self._wait(account_id, self.parts.clock() + wait)
            return False
        return True

    def run(self, account_id: int) -> int:
        """Take this account's due readings within its budgets; returns how many were stored.
        Failures are not errors of any post: the readings wait and are tried again."""
        now = self.parts.clock()
        with self._lock:
            if self._not_before.get(account_id, 0.0) > now:
                return 0
            self._not_before.pop(account_id, None)
        posts_due, daily, _ = self._plan(now)
        due = posts_due.get(account_id, [])
        if not due and account_id not in daily:
            return 0
        try:
            token = self.parts.tokens.token(account_id)
        except (AccountError, VaultError) as exc:  # NeedsReconnect is an AccountError
            log.info("account %d: statistics wait, no token: %s", account_id, exc)
            self._wait(account_id, now + self.parts.config.refresh_retry)
            return 0
        stored = 0
        try:
            for start in range(0, len(due), BATCH):
                if self.parts.stop.is_set():
                    return stored
                if not self._budget(account_id, Budget.VIDEO_QUERY):
                    return stored
                batch = due[start:start + BATCH]
                token, found = self._query(account_id, token, batch)
                snapshots = self._snapshots(batch, found)
                stored += self.store.record_posts(snapshots)
                if len(snapshots) < len(batch):
                    # TikTok answered some IDs without their counts: asking again at once
                    # would only get the same answer, so these wait like a failed call.
                    self._wait(account_id, self.parts.clock() + self.parts.config.retry_base)
            if account_id in daily and not self.parts.stop.is_set() \
                    and self._budget(account_id, Budget.USER_INFO):
                stored += self._account_reading(account_id, token)
        except RateLimited as exc:
            log.info("account %d: TikTok's request limit; statistics wait %.0f s", account_id,
                     exc.retry_after)
            self._wait(account_id, self.parts.clock() + exc.retry_after)
        except TikTokError as exc:
            # A refusal that asking again will not change (a scope taken back on TikTok, a
            # bad request) waits an hour instead of the retry delay of a passing failure.
            wait = self.parts.config.retry_base if exc.retryable \
                else self.parts.config.stats_refused_wait
            log.info("account %d: statistics not read this time (again in %.0f s): %s",
                     account_id, wait, exc)
            self._wait(account_id, self.parts.clock() + wait)
        except (AccountError, VaultError) as exc:
            log.info("account %d: statistics not read this time: %s", account_id, exc)
            self._wait(account_id, self.parts.clock() + self.parts.config.refresh_retry)
        return stored

    def _query(self, account_id: int, token: str,
               batch: list[_Due]) -> tuple[str, dict[str, _Counts]]:
        ids = list(dict.fromkeys(d.tiktok_id for d in batch))
        try:
            videos = self.parts.api.query_videos(token, ids, COUNT_FIELDS)
        except AccessTokenInvalid:
            token = self.parts.tokens.force_refresh(account_id, token)
            videos = self.parts.api.query_videos(token, ids, COUNT_FIELDS)
        found = {v.id: (v.view_count, v.like_count, v.comment_count, v.share_count)
                 for v in videos}
        return token, found

    def _snapshots(self, batch: list[_Due],
                   found: dict[str, _Counts]) -> list[PostSnapshot]:
        at = int(self.parts.clock())
        out = []
        for d in batch:
            # Not in TikTok's answer: deleted or no longer public. Stored without counts, which
            # ends the plan for that ID (asking again would only spend the budget).
            views, likes, comments, shares = found.get(d.tiktok_id, (None, None, None, None))
            if d.tiktok_id in found and views is None:
                continue  # an answer without the count: try again at the next slot
            out.append(PostSnapshot(d.post_id, d.tiktok_id, d.slot, at, views, likes, comments,
                                    shares))
        return out

    def _account_reading(self, account_id: int, token: str) -> int:
        try:
            info = self.parts.api.user_info(token, USER_STATS_FIELDS)
        except AccessTokenInvalid:
            token = self.parts.tokens.force_refresh(account_id, token)
            info = self.parts.api.user_info(token, USER_STATS_FIELDS)
        if info.follower_count is None or info.likes_count is None:
            return 0
        at = self.parts.clock()
        added = self.store.record_account(AccountSnapshot(
            account_id, stats_plan.account_day(at), int(at), info.follower_count,
            info.following_count, info.likes_count, info.video_count))
        return int(added)
