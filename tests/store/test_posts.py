"""store.posts: creation, transitions with their history, guards, due/query reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.clock import FakeClock
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.store import (
    AccountsRepo,
    Database,
    NewPost,
    Post,
    PostMode,
    PostsRepo,
    PostState,
    StateConflict,
    StoreError,
)

T0 = 1_767_225_600
ACTIVE = sorted(lifecycle.ACTIVE)


@pytest.fixture
def posts(db: Database) -> PostsRepo:
    return PostsRepo(db)


def add_account(db: Database, open_id: str = "open-1") -> int:
    return AccountsRepo(db).upsert_connected(
        open_id=open_id, display_name=open_id, username="", avatar_url="",
        granted_scopes=["video.publish"], access_expires_at=None, refresh_expires_at=None,
    ).id


@pytest.fixture
def acct(db: Database) -> int:
    return add_account(db)


def new(account_id: int, **over: Any) -> NewPost:
    return NewPost(account_id=account_id, video_path="/videos/a.mp4", video_size=1234, **over)


def in_state(posts: PostsRepo, account_id: int, state: PostState, **fields: Any) -> Post:
    """A post moved into ``state`` (from draft, no checks) with optional field values."""
    p = posts.create(new(account_id, due_at=fields.pop("due_at", None)))
    return posts.transition(p.id, state, "test setup", **fields)


def count(db: Database, table: str) -> int:
    sql = {"posts": "SELECT COUNT(*) FROM posts", "events": "SELECT COUNT(*) FROM post_events"}
    return int(db.conn().execute(sql[table]).fetchone()[0])


# --- create ------------------------------------------------------------------------------------


def test_create_draft(posts: PostsRepo, acct: int) -> None:
    p = posts.create(new(acct, caption="hi #fyp"))
    assert p.state is PostState.DRAFT
    assert p.caption == "hi #fyp"
    assert p.due_at is None
    assert p.created_at == p.updated_at == T0
    assert (p.attempt_count, p.bytes_uploaded, p.post_ids, p.publish_id) == (0, 0, (), None)
    assert p.retry_state is None
    assert [(e.state, e.detail, e.at) for e in posts.events(p.id)] == [
        (PostState.DRAFT, "created", T0)
    ]
    assert posts.get(p.id) == p


def test_create_scheduled(posts: PostsRepo, acct: int) -> None:
    p = posts.create(new(acct, due_at=T0 + 600, due_tz="Europe/Berlin"),
                     PostState.SCHEDULED, "scheduled by user")
    assert p.state is PostState.SCHEDULED
    assert (p.due_at, p.due_tz) == (T0 + 600, "Europe/Berlin")
    assert [(e.state, e.detail) for e in posts.events(p.id)] == [
        (PostState.SCHEDULED, "scheduled by user")
    ]


def test_scheduled_without_due_time_is_refused(posts: PostsRepo, db: Database, acct: int) -> None:
    with pytest.raises(ValueError, match="due time"):
        posts.create(new(acct), PostState.SCHEDULED)
    assert count(db, "posts") == count(db, "events") == 0


@pytest.mark.parametrize(
    "state", [s for s in PostState if s not in (PostState.DRAFT, PostState.SCHEDULED)]
)
def test_create_in_other_states_is_refused(
    posts: PostsRepo, db: Database, acct: int, state: PostState
) -> None:
    with pytest.raises(ValueError, match="draft or scheduled"):
        posts.create(new(acct, due_at=T0), state)
    assert count(db, "posts") == 0


def test_post_for_missing_account_fails(posts: PostsRepo, db: Database, acct: int) -> None:
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)foreign key"):
        posts.create(new(acct + 41))
    assert count(db, "posts") == count(db, "events") == 0


def test_account_with_posts_cannot_be_deleted(posts: PostsRepo, db: Database, acct: int) -> None:
    other = add_account(db, "open-2")
    posts.create(new(acct))
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)foreign key"):
        db.conn().execute("DELETE FROM accounts WHERE id = ?", (acct,))
    assert AccountsRepo(db).get(acct) is not None
    db.conn().execute("DELETE FROM accounts WHERE id = ?", (other,))  # no posts: allowed
    assert AccountsRepo(db).get(other) is None


def test_fields_round_trip(posts: PostsRepo, acct: int) -> None:
    meta = {"duration": 12.5, "codec": "h264", "size": [1080, 1920], "tags": {"a": None}}
    p = posts.create(new(
        acct, video_sha256="ab" * 32, video_meta=meta, caption="ü 🎬", privacy_level="SELF_ONLY",
        allow_comment=True, allow_duet=False, allow_stitch=True, disclose_commercial=True,
        brand_organic=False, brand_content=True, is_aigc=True, cover_time_ms=1500,
        mode=PostMode.INBOX, due_at=T0 + 1, due_tz="Asia/Tokyo", consent_at=T0 - 5,
    ))
    got = posts.get(p.id)
    assert got is not None
    assert got == p
    assert got.video_meta == meta
    assert (got.allow_comment, got.allow_duet, got.allow_stitch) == (True, False, True)
    assert (got.disclose_commercial, got.brand_organic, got.brand_content, got.is_aigc) == (
        True, False, True, True
    )
    assert all(type(getattr(got, f)) is bool for f in ("allow_comment", "allow_duet", "is_aigc"))
    assert got.mode is PostMode.INBOX
    assert (got.caption, got.privacy_level, got.cover_time_ms) == ("ü 🎬", "SELF_ONLY", 1500)
    assert (got.consent_at, got.video_sha256) == (T0 - 5, "ab" * 32)

    q = posts.transition(
        p.id, PostState.PUBLISHED, post_ids=[7351234567890123456, "42"],
        share_url="https://www.tiktok.com/@x/video/1", published_at=T0 + 9,
        retry_state=PostState.UPLOADING, allow_duet=1,
    )
    assert q.post_ids == ("7351234567890123456", "42")
    assert q.retry_state is PostState.UPLOADING
    assert q.allow_duet is True
    assert (q.share_url, q.published_at) == ("https://www.tiktok.com/@x/video/1", T0 + 9)
    assert posts.get(p.id) == q


# --- transitions -------------------------------------------------------------------------------


def test_transition_updates_fields_and_logs_event(
    posts: PostsRepo, acct: int, clock: FakeClock
) -> None:
    p = posts.create(new(acct, due_at=T0 + 60), PostState.SCHEDULED)
    clock.now += 60
    q = posts.transition(p.id, PostState.PREPARING, "engine picked it up",
                         expect=[PostState.SCHEDULED], attempt_count=1)
    assert q.state is PostState.PREPARING
    assert q.attempt_count == 1
    assert q.updated_at == T0 + 60
    assert q.created_at == T0
    clock.now += 5
    posts.transition(p.id, PostState.UPLOADING, publish_id="v_pub_1", expect={PostState.PREPARING})
    events = posts.events(p.id)
    assert [(e.state, e.detail, e.at) for e in events] == [
        (PostState.SCHEDULED, "created", T0),
        (PostState.PREPARING, "engine picked it up", T0 + 60),
        (PostState.UPLOADING, "", T0 + 65),
    ]
    assert all(e.post_id == p.id for e in events)
    assert events == sorted(events, key=lambda e: e.id)


def test_state_change_and_event_are_one_transaction(
    posts: PostsRepo, db: Database, acct: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = posts.create(new(acct, due_at=T0), PostState.SCHEDULED)

    def failing_event(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(PostsRepo, "_event", staticmethod(failing_event))
    with pytest.raises(sqlite3.OperationalError):
        posts.transition(p.id, PostState.PREPARING, attempt_count=3)
    with pytest.raises(sqlite3.OperationalError):
        posts.create(new(acct))
    monkeypatch.undo()
    assert posts.get(p.id) == p
    assert count(db, "posts") == 1
    assert len(posts.events(p.id)) == 1


def test_expect_mismatch_raises_and_changes_nothing(
    posts: PostsRepo, acct: int, clock: FakeClock
) -> None:
    p = posts.create(new(acct))
    clock.now += 30
    with pytest.raises(StateConflict) as info:
        posts.transition(p.id, PostState.PREPARING, "engine",
                         expect=[PostState.SCHEDULED, PostState.RETRY_WAIT], attempt_count=1)
    assert isinstance(info.value, StoreError)
    assert "draft" in str(info.value)
    assert "scheduled" in str(info.value)
    assert posts.get(p.id) == p
    assert len(posts.events(p.id)) == 1


def test_expect_accepts_a_one_shot_iterable(posts: PostsRepo, acct: int) -> None:
    p = posts.create(new(acct))
    with pytest.raises(StateConflict) as info:
        posts.transition(p.id, PostState.PREPARING, expect=iter([PostState.SCHEDULED]))
    # The message must still say what was expected.
    assert "'scheduled'" in str(info.value)
    assert posts.transition(p.id, PostState.SCHEDULED, due_at=T0,
                            expect=(s for s in [PostState.DRAFT])).state is PostState.SCHEDULED


def test_transition_of_missing_post(posts: PostsRepo) -> None:
    with pytest.raises(StoreError, match="no post 99"):
        posts.transition(99, PostState.FAILED)


def test_unknown_field_names_are_rejected(posts: PostsRepo, db: Database, acct: int) -> None:
    p = posts.create(new(acct))
    for bad in ({"bogus": 1}, {"id": 5}, {"created_at": 0}, {"updated_at": 0},
                {"caption = 'x', state": "failed"}):
        with pytest.raises(ValueError, match="not a post field"):
            posts.transition(p.id, PostState.FAILED, **bad)
    assert posts.get(p.id) == p
    assert len(posts.events(p.id)) == 1


# --- update / delete guards --------------------------------------------------------------------


@pytest.mark.parametrize("state", list(PostState))
def test_edits_only_in_the_states_the_caller_expects(
    posts: PostsRepo, acct: int, clock: FakeClock, state: PostState
) -> None:
    """The store does compare-and-set with the states it is handed (the services hand it
    domain.lifecycle.EDITABLE), so an engine claim in between makes the edit fail cleanly."""
    p = in_state(posts, acct, state, due_at=T0 + 100)
    clock.now += 7
    if state in lifecycle.EDITABLE:
        q = posts.transition(p.id, PostState.SCHEDULED, "edited", expect=lifecycle.EDITABLE,
                             caption="edited", allow_comment=True)
        assert (q.caption, q.allow_comment, q.state) == ("edited", True, PostState.SCHEDULED)
        assert q.updated_at == T0 + 7
    else:
        with pytest.raises(StateConflict, match="expected one of"):
            posts.transition(p.id, PostState.SCHEDULED, "edited", expect=lifecycle.EDITABLE,
                             caption="edited")
        assert posts.get(p.id) == p


def test_checkpoint_cannot_change_state(posts: PostsRepo, acct: int) -> None:
    # State changes go through transition() so each one is logged in post_events.
    p = posts.create(new(acct))
    with pytest.raises(ValueError, match="state"):
        posts.checkpoint(p.id, "engine", state=PostState.PUBLISHED)
    assert posts.get(p.id) == p


def test_checkpoint_of_missing_post(posts: PostsRepo) -> None:
    with pytest.raises(StoreError, match="no post 5"):
        posts.checkpoint(5, "engine", bytes_uploaded=1)


@pytest.mark.parametrize("state", ACTIVE)
def test_delete_refused_while_active(
    posts: PostsRepo, db: Database, acct: int, state: PostState
) -> None:
    p = in_state(posts, acct, state)
    with pytest.raises(StateConflict, match="right now"):
        posts.delete(p.id, expect=lifecycle.DELETABLE)
    assert posts.get(p.id) == p
    assert len(posts.events(p.id)) == 2


@pytest.mark.parametrize("state", sorted(lifecycle.DELETABLE))
def test_delete_allowed_otherwise_and_removes_history(
    posts: PostsRepo, db: Database, acct: int, state: PostState
) -> None:
    keep = posts.create(new(acct))
    p = in_state(posts, acct, state)
    assert posts.delete(p.id, expect=lifecycle.DELETABLE) == p
    assert posts.get(p.id) is None
    assert posts.events(p.id) == []
    assert posts.get(keep.id) == keep
    assert count(db, "events") == 1


# --- reads -------------------------------------------------------------------------------------


def test_due_returns_scheduled_and_ready_retries_in_time_order(
    posts: PostsRepo, acct: int
) -> None:
    now = T0 + 1000
    sched_late = posts.create(new(acct, due_at=now), PostState.SCHEDULED)
    sched_early = posts.create(new(acct, due_at=now - 500), PostState.SCHEDULED)
    retry = in_state(posts, acct, PostState.RETRY_WAIT, due_at=now + 9999,
                     next_attempt_at=now - 200, retry_state=PostState.UPLOADING)
    sched_tie = posts.create(new(acct, due_at=now - 200), PostState.SCHEDULED)
    # Not due:
    posts.create(new(acct, due_at=now + 1), PostState.SCHEDULED)
    in_state(posts, acct, PostState.RETRY_WAIT, due_at=now - 900, next_attempt_at=now + 1)
    posts.create(new(acct, due_at=now - 900))  # draft
    for st in (PostState.PREPARING, PostState.UPLOADING, PostState.PUBLISHED, PostState.FAILED,
               PostState.MISSED, PostState.NEEDS_REVIEW, PostState.NEEDS_RECONNECT):
        in_state(posts, acct, st, due_at=now - 900, next_attempt_at=now - 900)

    due = posts.due(now)
    assert [p.id for p in due] == [sched_early.id, retry.id, sched_tie.id, sched_late.id]
    assert [p.id for p in posts.due(now, limit=2)] == [sched_early.id, retry.id]
    assert posts.due(now - 501) == []


def test_next_wake(posts: PostsRepo, acct: int) -> None:
    assert posts.next_wake() is None
    posts.create(new(acct, due_at=T0 + 50))  # a draft never wakes the engine
    in_state(posts, acct, PostState.PUBLISHED, due_at=T0 + 1, next_attempt_at=T0 + 1)
    assert posts.next_wake() is None
    posts.create(new(acct, due_at=T0 + 300), PostState.SCHEDULED)
    assert posts.next_wake() == T0 + 300
    r = in_state(posts, acct, PostState.RETRY_WAIT, due_at=T0 + 900, next_attempt_at=T0 + 120)
    assert posts.next_wake() == T0 + 120
    posts.transition(r.id, PostState.UPLOADING)
    assert posts.next_wake() == T0 + 300


def test_query_filters_and_order(posts: PostsRepo, db: Database, acct: int) -> None:
    other = add_account(db, "open-2")
    draft = posts.create(new(acct))
    late = posts.create(new(acct, due_at=T0 + 300), PostState.SCHEDULED)
    early = posts.create(new(acct, due_at=T0 + 100), PostState.SCHEDULED)
    done = in_state(posts, acct, PostState.PUBLISHED, due_at=T0 + 200)
    theirs = posts.create(new(other, due_at=T0 + 150), PostState.SCHEDULED)
    draft2 = posts.create(new(other))

    def ids(**kw: Any) -> list[int]:
        return [p.id for p in posts.query(**kw)]

    # Soonest first, undated (drafts) last in id order.
    assert ids() == [early.id, theirs.id, done.id, late.id, draft.id, draft2.id]
    assert ids(account_id=acct) == [early.id, done.id, late.id, draft.id]
    assert ids(account_id=other) == [theirs.id, draft2.id]
    assert ids(states=[PostState.SCHEDULED]) == [early.id, theirs.id, late.id]
    assert ids(states={PostState.DRAFT, PostState.PUBLISHED}) == [done.id, draft.id, draft2.id]
    assert ids(states=[]) == []
    # due_from inclusive, due_to exclusive; undated posts fall outside any range.
    assert ids(due_from=T0 + 150) == [theirs.id, done.id, late.id]
    assert ids(due_to=T0 + 200) == [early.id, theirs.id]
    assert ids(due_from=T0 + 100, due_to=T0 + 300) == [early.id, theirs.id, done.id]
    assert ids(account_id=acct, states=[PostState.SCHEDULED], due_from=T0 + 101) == [late.id]
    assert ids(account_id=other + 50) == []


def test_count_by_state(posts: PostsRepo, acct: int) -> None:
    assert posts.count_by_state() == {}
    posts.create(new(acct))
    posts.create(new(acct))
    posts.create(new(acct, due_at=T0), PostState.SCHEDULED)
    assert posts.count_by_state() == {PostState.DRAFT: 2, PostState.SCHEDULED: 1}


def test_schema_rejects_unknown_state(posts: PostsRepo, db: Database, acct: int) -> None:
    p = posts.create(new(acct))
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)check"):
        db.conn().execute("UPDATE posts SET state = 'exploded' WHERE id = ?", (p.id,))


def test_next_scheduled_is_the_earliest_scheduled_one(db: Database) -> None:
    account = AccountsRepo(db).upsert_connected(
        open_id="o", display_name="M", username="m", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None)
    repo = PostsRepo(db)
    assert repo.next_scheduled() is None
    late = repo.create(NewPost(account.id, "/v/late.mp4", 1, due_at=2000), PostState.SCHEDULED)
    soon = repo.create(NewPost(account.id, "/v/soon.mp4", 1, due_at=1000), PostState.SCHEDULED)
    repo.create(NewPost(account.id, "/v/draft.mp4", 1, due_at=500))  # drafts do not count
    first = repo.next_scheduled()
    assert first is not None and first.id == soon.id
    repo.transition(soon.id, PostState.FAILED, "boom")
    second = repo.next_scheduled()
    assert second is not None and second.id == late.id


def test_next_scheduled_walks_the_state_due_index(tmp_path: Path) -> None:
    """SQLite's plan (PostgreSQL's planner chooses by the table's size)."""
    db = Database.open(tmp_path / "next.sqlite3")
    plan = db.conn().execute("EXPLAIN QUERY PLAN SELECT * FROM posts WHERE state = 'scheduled' "
                             "ORDER BY due_at, id LIMIT 1").fetchall()
    assert any("posts_state_due" in str(row[-1]) for row in plan)
    db.close()
