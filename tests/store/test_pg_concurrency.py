"""Several writers on one PostgreSQL schedule at the same moment, as several runners and
windows will be: real connections (each writer its own PgDatabase, so its own pool and
server sessions), started together at a barrier. What SQLite got from its single writer
must hold here through row locks: a post claimed once, a rate budget spent once, counts
exact, and no deadlock."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tiktok_desktop.engine.ratelimit import Budget, RateLimits
from tiktok_desktop.store import NewPost, PostsRepo, PostState, StoreError, listing
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.queue import QueueRepo, Slot
from tiktok_desktop.store.ratelog import RateLog

from .conftest import T0, Opener
from .test_posts import add_account, new

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

SCHEDULED = PostState.SCHEDULED


def together(workers: list[Callable[[], Any]]) -> list[Any]:
    """Run each worker in a thread of its own, all released at once; their results, or the
    first exception any raised."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = workers[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    if errors:
        raise errors[0]
    return results


def due_posts(db: Backend, count: int) -> list[int]:
    acct = add_account(db)
    news = [new(acct, due_at=T0 - count + i) for i in range(count)]
    return [p.id for p in PostsRepo(db).create_many(news, SCHEDULED)]


def test_a_claim_passes_over_posts_another_claim_is_taking(open_db: Opener) -> None:
    """While one claimer's transaction holds its posts (not yet committed), a second claims
    the next ones at once: it neither waits for the first nor takes its posts. The blocking
    compare-and-set claim, by contrast, waits for the held row (and gives up after its lock
    timeout)."""
    first, second = open_db(), open_db(lock_timeout=0.2)
    ids = due_posts(first, 10)
    posts_a, posts_b = PostsRepo(first), PostsRepo(second)
    with first.transaction():
        held = [p.id for p in posts_a.claim_due("runner-a", T0 + 60, limit=3)]
        assert held == ids[:3]
        # The same moment, another runner: the next three, not the held ones.
        assert [p.id for p in posts_b.claim_due("runner-b", T0 + 60, limit=3)] == ids[3:6]
        with pytest.raises(StoreError, match="busy"):
            posts_b.claim(ids[0], "runner-b", T0 + 60, expect=[SCHEDULED], detail=None)
    # Committed: each post has the owner that claimed it.
    owners = {i: (posts_b.get(i) or pytest.fail("gone")).lease_owner for i in ids}
    assert owners == {**dict.fromkeys(ids[:3], "runner-a"), **dict.fromkeys(ids[3:6], "runner-b"),
                      **dict.fromkeys(ids[6:], None)}
    assert [p.id for p in posts_b.claim_due("runner-b", T0 + 60, limit=9)] == [*ids[3:6],
                                                                              *ids[6:]]
    assert posts_a.claim_due("runner-c", T0 + 60, limit=9) == []


@pytest.mark.parametrize("runners", [2, 4])
def test_runners_claiming_at_once_take_every_post_exactly_once(open_db: Opener,
                                                               runners: int) -> None:
    ids = due_posts(open_db(), 240)
    databases = [open_db() for _ in range(runners)]

    def runner(n: int) -> list[int]:
        """Claim a few, start them (as their owner), again, until nothing is due."""
        posts, rng, mine, me = PostsRepo(databases[n]), random.Random(n), [], f"runner-{n}"
        while True:
            got = posts.claim_due(me, T0 + 600, limit=rng.randint(1, 5))
            if not got:
                return mine
            for p in got:
                started = posts.claim(p.id, me, T0 + 600, expect=[SCHEDULED],
                                      state=PostState.PREPARING, detail="Due: starting.")
                assert started is not None, "a post it had claimed was taken from it"
            mine += [p.id for p in got]

    claimed = together([lambda n=n: runner(n) for n in range(runners)])
    every = [i for mine in claimed for i in mine]
    assert sorted(every) == ids  # all of them, none twice
    assert all(claimed), "every runner got some (they really ran side by side)"
    check = PostsRepo(databases[0])
    for n, mine in enumerate(claimed):
        assert {(check.get(i) or pytest.fail("gone")).lease_owner for i in mine} == {
            f"runner-{n}"}


def test_one_post_started_by_two_engines_at_once_has_one_winner(open_db: Opener) -> None:
    ids = due_posts(open_db(), 30)
    engines = [PostsRepo(open_db()) for _ in range(3)]

    def start_all(n: int) -> list[int]:
        won = []
        for i in ids:
            got = engines[n].claim(i, f"engine-{n}", T0 + 60, expect=[SCHEDULED],
                                   state=PostState.PREPARING, detail="Due: starting.",
                                   due_by=T0)
            if got is not None:
                won.append(i)
        return won

    wins = together([lambda n=n: start_all(n) for n in range(3)])
    assert sorted(i for won in wins for i in won) == ids
    check = engines[0]
    for i in ids:
        started = [e for e in check.events(i) if e.state is PostState.PREPARING]
        assert len(started) == 1  # one engine's event: it was started once


def test_a_rate_budget_is_spent_once_by_engines_side_by_side(open_db: Opener) -> None:
    """TikTok allows 6 inits per minute per token: three engines asking together get six."""
    databases = [open_db() for _ in range(3)]
    clock = lambda: float(T0)  # noqa: E731 - one fixed moment for everyone

    def spend(n: int) -> int:
        limits = RateLimits(clock, log=RateLog(databases[n]))
        return sum(1 for _ in range(6) if limits.try_take(1, Budget.INIT) == 0.0)

    assert sum(together([lambda n=n: spend(n) for n in range(3)])) == 6
    spent = databases[0].conn().execute(
        "SELECT COUNT(*) FROM rate_spend WHERE account_id = 1").fetchone()[0]
    assert spent == 6


def test_queue_slots_replaced_at_once_are_one_writers_whole_set(open_db: Opener) -> None:
    databases = [open_db() for _ in range(4)]
    acct = add_account(databases[0])
    sets = [[Slot(day, 600 + n) for day in range(7)] for n in range(4)]
    together([lambda n=n: QueueRepo(databases[n]).set_slots(acct, sets[n], "UTC")
              for n in range(4)])
    zone, slots = QueueRepo(databases[0]).slots(acct)
    assert zone == "UTC" and slots in sets  # one writer's set, whole: never a mix


def test_a_move_locks_the_lower_count_cell_first(open_db: Opener) -> None:
    """Each move updates two post_counts rows; two writers moving posts in opposite
    directions would deadlock if each locked its old cell first. The trigger locks the lower
    cell (by account, state, privacy) first: a move from 'scheduled' to 'failed' ('failed'
    is lower) holds the 'failed' row while it waits for the 'scheduled' row."""
    import psycopg

    db = open_db()
    acct = add_account(db)
    post = PostsRepo(db).create(NewPost(acct, "/v/a.mp4", 1, due_at=T0), SCHEDULED)
    PostsRepo(db).transition(PostsRepo(db).create(NewPost(acct, "/v/b.mp4", 1)).id,
                             PostState.FAILED, "so the 'failed' cell has a row to lock")
    url = db._url  # type: ignore[attr-defined]
    cell = "SELECT n FROM post_counts WHERE account_id = %s AND state = %s FOR UPDATE"
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as mover, \
            psycopg.connect(url, autocommit=True) as watcher:
        holder.execute(cell, (acct, "scheduled"))  # the higher cell, held
        moving = threading.Thread(target=lambda: mover.execute(
            "UPDATE posts SET state = 'failed' WHERE id = %s", (post.id,)))
        moving.start()
        try:
            deadline = time.monotonic() + 30
            while watcher.execute("SELECT wait_event_type FROM pg_stat_activity "
                                  "WHERE pid = %s", (mover.info.backend_pid,)
                                  ).fetchone()[0] != "Lock":
                assert time.monotonic() < deadline, "the move never waited for the held cell"
            with pytest.raises(psycopg.errors.LockNotAvailable):  # the lower: the mover's
                watcher.execute(cell + " NOWAIT", (acct, "failed"))
        finally:
            holder.rollback()  # the mover goes on
            moving.join(timeout=30)
    assert listing.cell_counts(db) == {(acct, "failed", ""): 2}


def test_writers_moving_posts_between_the_same_cells_both_ways(open_db: Opener) -> None:
    """Two writers flipping posts between two cells in opposite directions: no error, and
    the counts stay those of the posts."""
    db = open_db()
    acct = add_account(db)
    repo = PostsRepo(db)
    made = repo.create_many([NewPost(acct, f"/v/{i}.mp4", 1, due_at=T0 + i,
                                     privacy_level="SELF_ONLY") for i in range(40)])
    half = len(made) // 2
    movers = [PostsRepo(open_db(lock_timeout=30)) for _ in range(2)]
    other = {SCHEDULED: PostState.FAILED, PostState.FAILED: SCHEDULED}
    for p in made[half:]:
        repo.transition(p.id, PostState.FAILED, "set up")

    def flip(n: int) -> int:
        mine = made[:half] if n == 0 else made[half:]
        moves = 0
        for _round in range(6):
            for p in mine:
                now = movers[n].get(p.id) or pytest.fail("gone")
                movers[n].transition(p.id, other[now.state], "flip")
                moves += 1
        return moves

    assert sum(together([lambda n=n: flip(n) for n in range(2)])) == 6 * len(made)
    actual = Counter((p.account_id, p.state.value, p.privacy_level or "")
                     for p in repo.query())
    assert listing.cell_counts(db) == dict(actual)
