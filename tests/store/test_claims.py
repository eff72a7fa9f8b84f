"""PostsRepo.claim_due: the due posts an engine takes, on both backends (several claimers at
once on PostgreSQL: test_pg_concurrency.py)."""

from __future__ import annotations

from tests.helpers.clock import FakeClock
from tiktok_desktop.store import PostsRepo, PostState
from tiktok_desktop.store.backend import Backend

from .conftest import T0
from .test_posts import add_account, in_state, new

SCHEDULED, RETRY_WAIT = PostState.SCHEDULED, PostState.RETRY_WAIT


def test_due_posts_are_leased_oldest_first_and_keep_their_state(db: Backend,
                                                                 clock: FakeClock) -> None:
    acct = add_account(db)
    posts = PostsRepo(db)
    late = posts.create(new(acct, due_at=T0 - 10), SCHEDULED)
    early = posts.create(new(acct, due_at=T0 - 100), SCHEDULED)
    retry = in_state(posts, acct, RETRY_WAIT, due_at=T0 + 999, next_attempt_at=T0 - 50)
    # Not due, or not the engine's to start:
    posts.create(new(acct, due_at=T0 + 1), SCHEDULED)
    in_state(posts, acct, RETRY_WAIT, due_at=T0 - 999, next_attempt_at=T0 + 1)
    posts.create(new(acct, due_at=T0 - 500))  # a draft
    for state in (PostState.UPLOADING, PostState.IN_REVIEW, PostState.FAILED):
        in_state(posts, acct, state, due_at=T0 - 500, next_attempt_at=T0 - 500)
    history = {p: len(posts.events(p)) for p in (late.id, early.id, retry.id)}

    got = posts.claim_due("e1", T0 + 60, limit=10)
    assert [p.id for p in got] == [early.id, retry.id, late.id]
    assert [p.state for p in got] == [SCHEDULED, RETRY_WAIT, SCHEDULED]
    assert {(p.lease_owner, p.lease_expires_at, p.updated_at) for p in got} == {
        ("e1", T0 + 60, T0)}
    assert {p: len(posts.events(p)) for p in history} == history  # a lease is no event
    assert all(posts.get(p.id) == p for p in got)
    assert posts.claim_due("e2", T0 + 60, limit=10) == []  # e1 holds them
    again = posts.claim_due("e1", T0 + 90, limit=10)  # its own lease counts as free
    assert [p.id for p in again] == [early.id, retry.id, late.id]
    clock.now = T0 + 90  # e1's leases run out
    taken = posts.claim_due("e2", T0 + 200, limit=2)
    assert [(p.id, p.lease_owner) for p in taken] == [(early.id, "e2"), (retry.id, "e2")]


def test_a_claimed_post_is_started_by_its_owner_only(db: Backend) -> None:
    acct = add_account(db)
    posts = PostsRepo(db)
    post = posts.create(new(acct, due_at=T0 - 5), SCHEDULED)
    [leased] = posts.claim_due("e1", T0 + 60)
    assert leased.id == post.id
    assert posts.claim(post.id, "e2", T0 + 60, expect=[SCHEDULED], state=PostState.PREPARING,
                       detail="Due: starting.", due_by=T0) is None
    started = posts.claim(post.id, "e1", T0 + 60, expect=[SCHEDULED],
                          state=PostState.PREPARING, detail="Due: starting.", due_by=T0)
    assert started is not None and started.state is PostState.PREPARING
    assert [(e.state, e.detail) for e in posts.events(post.id)][-1] == (
        PostState.PREPARING, "Due: starting.")
    assert posts.claim_due("e1", T0 + 60) == []  # preparing: no longer due


def test_one_accounts_due_posts(db: Backend) -> None:
    a, b = add_account(db, "open-a"), add_account(db, "open-b")
    posts = PostsRepo(db)
    first_b = posts.create(new(b, due_at=T0 - 100), SCHEDULED)
    first_a = posts.create(new(a, due_at=T0 - 50), SCHEDULED)
    second_a = posts.create(new(a, due_at=T0 - 40), SCHEDULED)
    assert [p.id for p in posts.claim_due("e", T0 + 9, account_id=a)] == [first_a.id]
    assert [p.id for p in posts.claim_due("f", T0 + 9, limit=5, account_id=a)] == [second_a.id]
    # Any account: b's, and f's own again; e's is held.
    assert [p.id for p in posts.claim_due("f", T0 + 9, limit=5)] == [first_b.id, second_a.id]
