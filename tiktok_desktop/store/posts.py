"""Posts repository: every state change is committed together with its post_events row."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any

from tiktok_desktop.store.backend import Backend, Conn, Row
from tiktok_desktop.store.db import StoreError
from tiktok_desktop.store.models import (
    NewPost,
    Post,
    PostEvent,
    PostMode,
    PostState,
    PostStep,
    dumps,
)
from tiktok_desktop.store.post_keys import KEY_FIELDS, listing_keys

_BOOL_FIELDS = {
    "allow_comment", "allow_duet", "allow_stitch", "disclose_commercial", "brand_organic",
    "brand_content", "is_aigc",
}
# Columns callers may set; id, state and the timestamps are managed here.
_SETTABLE = {f.name for f in dataclasses.fields(Post)} - {
    "id", "state", "created_at", "updated_at",
}

def _waiting_states(follow: Iterable[PostState]) -> str:
    """SQL list of the states whose next_attempt_at means "wake the engine then"."""
    states = [PostState.RETRY_WAIT, *follow]
    return ", ".join(f"'{s.value}'" for s in dict.fromkeys(states))


class StateConflict(StoreError):
    """The post was not in the expected state (someone else moved it first)."""


class LeaseLost(StateConflict):
    """The engine no longer holds the post's lease (another engine took it over)."""


def _encode(name: str, value: Any) -> Any:
    if name == "video_meta":
        return dumps(value)
    if name == "post_ids":
        return dumps([str(v) for v in value])
    if name in _BOOL_FIELDS:
        return int(bool(value))
    if isinstance(value, PostState | PostMode | PostStep):
        return value.value
    return value


def _row_to_post(r: Row) -> Post:
    return Post(
        id=r["id"],
        account_id=r["account_id"],
        video_path=r["video_path"],
        video_size=r["video_size"],
        video_sha256=r["video_sha256"],
        video_meta=json.loads(r["video_meta"]),
        caption=r["caption"],
        privacy_level=r["privacy_level"],
        allow_comment=bool(r["allow_comment"]),
        allow_duet=bool(r["allow_duet"]),
        allow_stitch=bool(r["allow_stitch"]),
        disclose_commercial=bool(r["disclose_commercial"]),
        brand_organic=bool(r["brand_organic"]),
        brand_content=bool(r["brand_content"]),
        is_aigc=bool(r["is_aigc"]),
        cover_time_ms=r["cover_time_ms"],
        mode=PostMode(r["mode"]),
        due_at=r["due_at"],
        due_tz=r["due_tz"],
        state=PostState(r["state"]),
        retry_state=PostState(r["retry_state"]) if r["retry_state"] else None,
        attempt_count=r["attempt_count"],
        next_attempt_at=r["next_attempt_at"],
        publish_id=r["publish_id"],
        bytes_uploaded=r["bytes_uploaded"],
        post_ids=tuple(json.loads(r["post_ids"])),
        share_url=r["share_url"],
        last_error_code=r["last_error_code"],
        last_error_message=r["last_error_message"],
        consent_at=r["consent_at"],
        published_at=r["published_at"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
        step=PostStep(r["step"]) if r["step"] else None,
        upload_expires_at=r["upload_expires_at"],
        lease_owner=r["lease_owner"],
        lease_expires_at=r["lease_expires_at"],
        sent_at=r["sent_at"],
        follow_until=r["follow_until"],
    )


class PostsRepo:
    def __init__(self, db: Backend) -> None:
        self.db = db

    def _now(self) -> int:
        return int(self.db.clock())

    # -- reads -------------------------------------------------------------------------------

    def get(self, post_id: int) -> Post | None:
        r = self.db.conn().execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
        return _row_to_post(r) if r else None

    def query(
        self,
        *,
        account_id: int | None = None,
        states: Iterable[PostState] | None = None,
        due_from: int | None = None,
        due_to: int | None = None,
    ) -> list[Post]:
        """Posts filtered by account, state and due range, soonest first, undated last."""
        where: list[str] = []
        args: list[Any] = []
        if account_id is not None:
            where.append("account_id = ?")
            args.append(account_id)
        if states is not None:
            wanted = [s.value for s in states]
            where.append(self.db.dialect.one_of("state", len(wanted)))
            args.extend(wanted)
        if due_from is not None:
            where.append("due_at >= ?")
            args.append(due_from)
        if due_to is not None:
            where.append("due_at < ?")
            args.append(due_to)
        sql = "SELECT * FROM posts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY due_at IS NULL, due_at, id"
        return [_row_to_post(r) for r in self.db.conn().execute(sql, args)]

    def due(self, now: int, limit: int = 50, follow: Iterable[PostState] = ()) -> list[Post]:
        """Scheduled posts whose time has come and retries whose wait is over, oldest first;
        then posts in one of ``follow`` whose next check is due."""
        waiting = _waiting_states(follow)
        rows = self.db.conn().execute(
            f"""
            SELECT * FROM (
                SELECT *, 0 AS kind, due_at AS wake FROM posts
                    WHERE state = 'scheduled' AND due_at <= ?
                UNION ALL
                SELECT *, CASE WHEN state = 'retry_wait' THEN 0 ELSE 1 END, next_attempt_at
                    FROM posts WHERE next_attempt_at <= ? AND state IN ({waiting})
            ) AS due ORDER BY kind, wake, id LIMIT ?
            """,  # noqa: S608 - state names are the enum's
            (now, now, limit),
        )
        return [_row_to_post(r) for r in rows]

    def followed_due(self, now: int, follow: Iterable[PostState],
                     account_id: int | None = None) -> list[Post]:
        """Posts in one of ``follow`` whose next check is due (oldest first)."""
        states = [s.value for s in follow]
        if not states:
            return []
        marks = ",".join("?" * len(states))
        sql = f"SELECT * FROM posts WHERE next_attempt_at <= ? AND state IN ({marks})"  # noqa: S608
        args: list[Any] = [now, *states]
        if account_id is not None:
            sql += " AND account_id = ?"
            args.append(account_id)
        sql += " ORDER BY next_attempt_at, id"
        return [_row_to_post(r) for r in self.db.conn().execute(sql, args)]

    def window(self, account_id: int, start: int, end: int) -> list[Post]:
        """The account's posts sent to TikTok, or due, within [start, end) (for its caps)."""
        rows = self.db.conn().execute(
            "SELECT * FROM posts WHERE account_id = ? AND ((sent_at >= ? AND sent_at < ?) "
            "OR (due_at >= ? AND due_at < ?)) ORDER BY id",
            (account_id, start, end, start, end))
        return [_row_to_post(r) for r in rows]

    def next_scheduled(self) -> Post | None:
        """The scheduled post due first (walks the state/due index, no sort)."""
        r = self.db.conn().execute(
            "SELECT * FROM posts WHERE state = 'scheduled' ORDER BY due_at, id LIMIT 1"
        ).fetchone()
        return _row_to_post(r) if r else None

    def next_wake(self, follow: Iterable[PostState] = ()) -> int | None:
        """The earliest time a post needs the engine: a due time, a retry time, or the next
        check of a post in one of ``follow``."""
        r = self.db.conn().execute(
            f"""
            SELECT MIN(t) FROM (
                SELECT MIN(due_at) AS t FROM posts WHERE state = 'scheduled'
                UNION ALL
                SELECT MIN(next_attempt_at) FROM posts
                    WHERE state IN ({_waiting_states(follow)})
            ) AS wakes
            """  # noqa: S608 - state names are the enum's
        ).fetchone()
        return int(r[0]) if r and r[0] is not None else None

    def next_work_by_account(self) -> dict[int, int]:
        """Per account, when the engine next needs its token for a post: the first due time
        of a scheduled post or retry (planned checks of followed posts refresh as they go)."""
        rows = self.db.conn().execute(
            """
            SELECT account_id, MIN(t) FROM (
                SELECT account_id, due_at AS t FROM posts WHERE state = 'scheduled'
                UNION ALL
                SELECT account_id, next_attempt_at FROM posts
                    WHERE state = 'retry_wait' AND next_attempt_at IS NOT NULL
            ) AS work GROUP BY account_id
            """)
        return {int(a): int(t) for a, t in rows if t is not None}

    def video_in_use(self, path: str) -> bool:
        """Does any post still use this video file (the library keeps it until none does)?"""
        r = self.db.conn().execute("SELECT 1 FROM posts WHERE video_path = ? LIMIT 1",
                                   (path,)).fetchone()
        return r is not None

    def events(self, post_id: int) -> list[PostEvent]:
        rows = self.db.conn().execute(
            "SELECT * FROM post_events WHERE post_id = ? ORDER BY id", (post_id,)
        )
        return [
            PostEvent(r["id"], r["post_id"], r["at"], PostState(r["state"]), r["detail"])
            for r in rows
        ]

    def count_by_state(self) -> dict[PostState, int]:
        """Posts per state (from the counts the triggers keep: no scan of the posts)."""
        rows = self.db.conn().execute(
            "SELECT state, SUM(n) FROM post_counts GROUP BY state HAVING SUM(n) > 0")
        return {PostState(s): int(n) for s, n in rows}

    # -- writes ------------------------------------------------------------------------------

    def create(self, new: NewPost, state: PostState = PostState.DRAFT, detail: str = "") -> Post:
        if state not in (PostState.DRAFT, PostState.SCHEDULED):
            raise ValueError(f"a new post starts as draft or scheduled, not {state}")
        if state is PostState.SCHEDULED and new.due_at is None:
            raise ValueError("a scheduled post needs a due time")
        now = self._now()
        values = {f.name: _encode(f.name, getattr(new, f.name)) for f in dataclasses.fields(new)}
        values.update(state=state.value, created_at=now, updated_at=now,
                      **listing_keys(new.caption, new.video_path, new.video_meta))
        cols = ", ".join(values)
        marks = ", ".join("?" * len(values))
        with self.db.transaction() as c:
            post_id = self.db.dialect.insert_id(
                c, f"INSERT INTO posts ({cols}) VALUES ({marks})",  # noqa: S608
                list(values.values()))
            self._event(c, post_id, state, detail or "created", now)
        post = self.get(post_id)
        assert post is not None
        return post

    def create_many(self, news: Iterable[NewPost], state: PostState = PostState.SCHEDULED,
                    detail: str = "") -> list[Post]:
        """Store several new posts in ONE transaction: all of them, or none (a bulk batch)."""
        if state not in (PostState.DRAFT, PostState.SCHEDULED):
            raise ValueError(f"a new post starts as draft or scheduled, not {state}")
        now = self._now()
        ids: list[int] = []
        with self.db.transaction() as c:
            for new in news:
                if state is PostState.SCHEDULED and new.due_at is None:
                    raise ValueError("a scheduled post needs a due time")
                values = {f.name: _encode(f.name, getattr(new, f.name))
                          for f in dataclasses.fields(new)}
                values.update(state=state.value, created_at=now, updated_at=now)
                ids.append(self.db.dialect.insert_id(
                    c, f"INSERT INTO posts ({', '.join(values)}) "  # noqa: S608 - field names
                    f"VALUES ({', '.join('?' * len(values))})", list(values.values())))
                self._event(c, ids[-1], state, detail or "created", now)
        posts = [self.get(i) for i in ids]
        return [p for p in posts if p is not None]

    def transition(
        self,
        post_id: int,
        state: PostState,
        detail: str = "",
        *,
        expect: Iterable[PostState] | None = None,
        owner: str | None = None,
        **fields: Any,
    ) -> Post:
        """Move a post to ``state`` (plus any field updates) and log it, in one transaction.

        With ``expect``, the move only happens from one of those states; otherwise
        StateConflict is raised and nothing changes (compare-and-set for the engine).
        With ``owner``, it only happens while that engine holds the post's lease (LeaseLost).
        """
        now = self._now()
        wanted = None if expect is None else frozenset(expect)
        with self.db.transaction() as c:
            current = self._state(c, post_id)
            if owner is not None:
                self._check_owner(c, post_id, owner)
            if wanted is not None and current not in wanted:
                raise StateConflict(
                    f"post {post_id} is {current.value}, expected one of "
                    f"{sorted(s.value for s in wanted)}"
                )
            self._set(c, post_id, {**fields, "state": state}, now=now)
            self._event(c, post_id, state, detail, now)
        post = self.get(post_id)
        assert post is not None
        return post

    # -- engine: claims and leases ------------------------------------------------------------

    def claim(
        self,
        post_id: int,
        owner: str,
        lease_until: int,
        *,
        expect: Iterable[PostState],
        state: PostState | None = None,
        detail: str | None,
        take_from: str | None = None,
        due_by: int | None = None,
    ) -> Post | None:
        """Atomically take a post for engine ``owner`` (compare-and-set); None if not won.

        Wins only when the post is in one of ``expect`` and its lease is free, expired, or
        held by ``take_from`` (an owner the caller found dead); with ``due_by``, a scheduled
        post must be due (and a retry's wait over) by then, so an edit that just moved the
        due time wins. ``state`` (default: unchanged) is set and, unless ``detail`` is None (a
        routine check that changes nothing yet), an event logged in the same transaction.
        """
        now = self._now()
        wanted = frozenset(expect)
        with self.db.transaction() as c:
            lock = self.db.dialect.for_update
            r = c.execute(
                "SELECT state, lease_owner, lease_expires_at, due_at, next_attempt_at "  # noqa: S608
                f"FROM posts WHERE id = ?{lock}", (post_id,)
            ).fetchone()
            if r is None or PostState(r["state"]) not in wanted:
                return None
            if due_by is not None:
                if r["state"] == PostState.SCHEDULED and (r["due_at"] is None
                                                          or r["due_at"] > due_by):
                    return None
                if r["state"] == PostState.RETRY_WAIT and (r["next_attempt_at"] or 0) > due_by:
                    return None
                if r["state"] not in (PostState.SCHEDULED, PostState.RETRY_WAIT) and (
                        r["next_attempt_at"] is None or r["next_attempt_at"] > due_by):
                    return None  # a followed post: only when its next check is due
            holder, until = r["lease_owner"], r["lease_expires_at"]
            free = holder is None or holder == owner or (until is not None and until <= now)
            if not free and (take_from is None or holder != take_from):
                return None
            new_state = PostState(r["state"]) if state is None else state
            self._set(c, post_id, {"state": new_state, "lease_owner": owner,
                                   "lease_expires_at": lease_until}, now=now)
            if detail is not None:
                self._event(c, post_id, new_state, detail, now)
        return self.get(post_id)

    def claim_due(self, owner: str, lease_until: int, *, limit: int = 1,
                  account_id: int | None = None) -> list[Post]:
        """Take the leases of up to ``limit`` due posts that no one else holds: scheduled
        posts whose time has come and retries whose wait is over, oldest first. Their state
        stays as it is: the engine moves each as their owner (claim, transition).

        Several engines on one database share its queue: posts another claimer is taking
        at this moment are passed over, not waited for (PostgreSQL: FOR UPDATE SKIP LOCKED;
        SQLite lets one writer in at a time anyway), and a post is never taken twice.
        """
        now = self._now()
        free = "(lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ?)"
        mine = "" if account_id is None else " AND account_id = ?"
        args = [owner, now, *([] if account_id is None else [account_id]), limit]
        found: list[tuple[int, int]] = []
        with self.db.transaction() as c:
            # One walk per kind, each down its own index (state/due time, next attempt), so a
            # claim reads about ``limit`` rows however many are due; merged by time here.
            for state, column in (("scheduled", "due_at"), ("retry_wait", "next_attempt_at")):
                found += [(int(r[1]), int(r[0])) for r in c.execute(
                    f"SELECT id, {column} FROM posts WHERE state = '{state}' "  # noqa: S608
                    f"AND {column} <= ? AND {free}{mine} ORDER BY {column}, id "
                    f"LIMIT ?{self.db.dialect.skip_locked}", [now, *args]).fetchall()]
            ids = [post_id for _at, post_id in sorted(found)[:limit]]
            if ids:
                c.execute("UPDATE posts SET lease_owner = ?, lease_expires_at = ?, "  # noqa: S608
                          f"updated_at = ? WHERE id IN ({', '.join('?' * len(ids))})",
                          [owner, lease_until, now, *ids])
        posts = [self.get(i) for i in ids]
        return [p for p in posts if p is not None]

    def checkpoint(self, post_id: int, owner: str, **fields: Any) -> Post:
        """Update engine fields (progress, lease) without a state change or event.

        Raises LeaseLost unless ``owner`` still holds the post.
        """
        if "state" in fields:
            raise ValueError("use transition() to change a post's state (it logs an event)")
        with self.db.transaction() as c:
            self._state(c, post_id)
            self._check_owner(c, post_id, owner)
            self._set(c, post_id, fields)
        post = self.get(post_id)
        assert post is not None
        return post

    @staticmethod
    def _check_owner(c: Conn, post_id: int, owner: str) -> None:
        r = c.execute("SELECT lease_owner FROM posts WHERE id = ?", (post_id,)).fetchone()
        if r is None or r[0] != owner:
            raise LeaseLost(f"post {post_id} is no longer held by this engine")

    def delete(self, post_id: int, *, expect: Iterable[PostState]) -> Post:
        """Remove the post and its history if it is in one of ``expect`` (compare-and-set:
        the engine may have claimed it meanwhile); returns the row as it was."""
        wanted = frozenset(expect)
        with self.db.transaction() as c:
            r = c.execute(f"SELECT * FROM posts WHERE id = ?{self.db.dialect.for_update}",  # noqa: S608
                          (post_id,)).fetchone()
            if r is None:
                raise StoreError(f"There is no post {post_id} (it may have been removed).")
            post = _row_to_post(r)
            if post.state not in wanted:
                raise StateConflict(
                    f"This post is {post.state.value.replace('_', ' ')} right now; wait until "
                    "it finishes or fails before removing it.")
            if post.lease_owner is not None and (post.lease_expires_at or 0) > self._now():
                # An engine is asking TikTok about it this very moment (a followed post).
                raise StateConflict("TikTok Desktop is checking this post with TikTok right "
                                    "now: try again in a moment.")
            c.execute("DELETE FROM posts WHERE id = ?", (post_id,))
        return post

    # -- helpers -----------------------------------------------------------------------------

    def _state(self, c: Conn, post_id: int) -> PostState:
        """The post's state, its row locked until the transaction ends (PostgreSQL; SQLite's
        transaction holds the whole file)."""
        lock = self.db.dialect.for_update
        r = c.execute(f"SELECT state FROM posts WHERE id = ?{lock}",  # noqa: S608
                      (post_id,)).fetchone()
        if r is None:
            raise StoreError(f"There is no post {post_id} (it may have been removed).")
        return PostState(r[0])

    def _set(self, c: Conn, post_id: int, fields: dict[str, Any],
             now: int | None = None) -> None:
        unknown = set(fields) - _SETTABLE - {"state"}
        if unknown:
            raise ValueError(f"not a post field: {sorted(unknown)}")
        fields = {**fields, "updated_at": self._now() if now is None else now}
        if KEY_FIELDS & fields.keys():
            # The listing columns follow the caption and the video (post_keys.py).
            r = c.execute("SELECT caption, video_path, video_meta FROM posts WHERE id = ?",
                          (post_id,)).fetchone()
            if r is not None:
                caption = fields.get("caption", r["caption"])
                path = fields.get("video_path", r["video_path"])
                meta = fields["video_meta"] if "video_meta" in fields \
                    else json.loads(r["video_meta"])
                fields.update(listing_keys(caption, path, meta))
        assignments = ", ".join(f"{k} = ?" for k in fields)
        c.execute(
            f"UPDATE posts SET {assignments} WHERE id = ?",  # noqa: S608 - names whitelisted
            [*(_encode(k, v) for k, v in fields.items()), post_id],
        )

    @staticmethod
    def _event(c: Conn, post_id: int, state: PostState, detail: str,
               at: int) -> None:
        c.execute(
            "INSERT INTO post_events (post_id, at, state, detail) VALUES (?, ?, ?, ?)",
            (post_id, at, state.value, detail),
        )
