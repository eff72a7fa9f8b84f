"""Schema 5 (issue 15): posts rebuilt with the states 'in_review' and 'draft_lapsed' without
losing a row of history, sent_at and follow_until, the reconnect reason, the TikTok app's
status; and the repository calls the engine's follow-ups use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tiktok_desktop.store import (
    AccountsRepo,
    AccountStatus,
    ClientStatusRepo,
    Database,
    NewPost,
    PostsRepo,
    PostState,
    StateConflict,
)
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.migrations import MIGRATIONS

from .conftest import Opener

T0 = 1_800_000_000
FOLLOW = (PostState.IN_REVIEW, PostState.IN_INBOX)


def clock() -> float:
    return float(T0)


@pytest.fixture
def db(open_db: Opener) -> Backend:
    return open_db("db", clock=clock)


def _v4_with_history(path: Path) -> None:
    old = Database.open(path, migrations=MIGRATIONS[:4], clock=clock)
    with old.transaction() as c:
        c.execute("INSERT INTO accounts (open_id, created_at, updated_at) VALUES ('o', 1, 1)")
        c.execute("INSERT INTO posts (account_id, video_path, video_size, state, publish_id, "
                  "post_ids, published_at, step, created_at, updated_at) VALUES "
                  "(1, '/a.mp4', 10, 'published', 'p_1', '[\"7\"]', 500, 'poll', 1, 2)")
        c.execute("INSERT INTO posts (account_id, video_path, video_size, state, due_at, "
                  "retry_state, next_attempt_at, created_at, updated_at) VALUES "
                  "(1, '/b.mp4', 20, 'retry_wait', 900, 'preparing', 950, 1, 2)")
        for post_id, state in ((1, "scheduled"), (1, "published"), (2, "retry_wait")):
            c.execute("INSERT INTO post_events (post_id, at, state, detail) "
                      "VALUES (?, 3, ?, 'x')", (post_id, state))
    old.close()


def test_v4_data_and_history_survive_the_rebuild(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    _v4_with_history(path)
    db = Database.open(path, migrations=MIGRATIONS[:5], clock=clock)
    try:
        assert db.schema_version == 5
        c = db.conn()
        rows = [tuple(r) for r in c.execute(
            "SELECT id, state, publish_id, retry_state, next_attempt_at, sent_at, follow_until "
            "FROM posts ORDER BY id")]
        assert rows == [(1, "published", "p_1", None, None, 500, None),
                        (2, "retry_wait", None, "preparing", 950, None, None)]
        events = [tuple(r) for r in c.execute("SELECT id, post_id, state FROM post_events")]
        assert events == [(1, 1, "scheduled"), (2, 1, "published"), (3, 2, "retry_wait")]
        assert [tuple(r) for r in c.execute("PRAGMA foreign_key_check")] == []
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"posts_state_due", "posts_next_attempt", "posts_account_due", "posts_lease",
                "post_events_post", "posts_account_sent"} <= indexes
        # The history is as protected as before, and goes with its post only.
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            c.execute("UPDATE post_events SET detail = 'y'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            c.execute("DELETE FROM post_events WHERE post_id = 1")
        with pytest.raises(sqlite3.IntegrityError):
            c.execute("INSERT INTO post_events (post_id, at, state) VALUES (99, 1, 'x')")
        c.execute("DELETE FROM posts WHERE id = 1")
        assert [r[0] for r in c.execute("SELECT post_id FROM post_events")] == [2]
        # The new states are allowed, nonsense still is not.
        c.execute("UPDATE posts SET state = 'in_review' WHERE id = 2")
        c.execute("UPDATE posts SET state = 'draft_lapsed' WHERE id = 2")
        with pytest.raises(sqlite3.IntegrityError):
            c.execute("UPDATE posts SET state = 'published_maybe' WHERE id = 2")
        account = AccountsRepo(db).get(1)
        assert account is not None and account.reconnect_reason == ""
        assert account.refresh_unanswered_at is None
    finally:
        db.close()


def _post(posts: PostsRepo, state: PostState, **fields: object) -> int:
    made = posts.create(NewPost(account_id=1, video_path="/v.mp4", video_size=1))
    return posts.transition(made.id, state, "set up", **fields).id


def _account(db: Database) -> None:
    AccountsRepo(db).upsert_connected(open_id="o", display_name="Ann", username="ann",
                                      avatar_url="", granted_scopes=[], access_expires_at=None,
                                      refresh_expires_at=None)


def test_followed_posts_are_due_after_scheduled_work_and_wake_the_engine(
    db: Database,
) -> None:
    _account(db)
    posts = PostsRepo(db)
    review = _post(posts, PostState.IN_REVIEW, next_attempt_at=T0 - 10)
    inbox = _post(posts, PostState.IN_INBOX, next_attempt_at=T0 + 50)
    scheduled = _post(posts, PostState.SCHEDULED, due_at=T0)
    _post(posts, PostState.PUBLISHED, next_attempt_at=T0 - 99)  # not followed: ignored
    assert [p.id for p in posts.due(T0, follow=FOLLOW)] == [scheduled, review]
    assert [p.id for p in posts.due(T0)] == [scheduled]  # without follow-ups, as before
    assert posts.next_wake(follow=FOLLOW) == T0 - 10
    assert posts.next_wake() == T0
    assert [p.id for p in posts.followed_due(T0 + 60, FOLLOW, account_id=1)] == [review, inbox]
    assert posts.next_work_by_account() == {1: T0}


def test_a_check_claims_without_history_and_blocks_a_delete_meanwhile(db: Database) -> None:
    _account(db)
    posts = PostsRepo(db)
    review = _post(posts, PostState.IN_REVIEW, next_attempt_at=T0 + 30)
    before = len(posts.events(review))
    assert posts.claim(review, "e", T0 + 120, expect=FOLLOW, detail=None, due_by=T0) is None
    claimed = posts.claim(review, "e", T0 + 120, expect=FOLLOW, detail=None, due_by=T0 + 30)
    assert claimed is not None and claimed.state is PostState.IN_REVIEW
    assert claimed.lease_owner == "e" and len(posts.events(review)) == before
    with pytest.raises(StateConflict, match="checking this post"):
        posts.delete(review, expect=[PostState.IN_REVIEW])
    posts.checkpoint(review, "e", lease_owner=None, lease_expires_at=None)
    posts.delete(review, expect=[PostState.IN_REVIEW])
    assert posts.get(review) is None


def test_the_reconnect_reason_and_an_unanswered_refresh(db: Database) -> None:
    _account(db)
    accounts = AccountsRepo(db)
    accounts.set_refresh_unanswered(1, T0)
    accounts.set_status(1, AccountStatus.NEEDS_RECONNECT, "why")
    account = accounts.get(1)
    assert account is not None and account.reconnect_reason == "why"
    assert account.refresh_unanswered_at == T0
    _account(db)  # reconnected: both go
    account = accounts.get(1)
    assert account is not None and account.status is AccountStatus.CONNECTED
    assert account.reconnect_reason == "" and account.refresh_unanswered_at is None
    accounts.set_status(1, AccountStatus.CONNECTED, "ignored")
    assert (accounts.get(1) or account).reconnect_reason == ""


def test_the_apps_unaudited_mark_keeps_its_first_date_until_cleared(db: Database) -> None:
    clients = ClientStatusRepo(db)
    assert clients.unaudited_since("key") is None
    assert clients.clear_unaudited("key") is False
    clients.set_unaudited("key", T0)
    clients.set_unaudited("key", T0 + 500)
    assert clients.unaudited_since("key") == T0
    assert clients.unaudited_since("other-key") is None
    assert clients.clear_unaudited("key") is True
    assert clients.unaudited_since("key") is None
    clients.set_unaudited("key", T0 + 900)
    assert clients.unaudited_since("key") == T0 + 900
