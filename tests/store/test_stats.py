"""Issue 19's store: post and account snapshots (schema 8), against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiktok_desktop.domain import stats_plan
from tiktok_desktop.store import Database, PostsRepo, PostState
from tiktok_desktop.store.migrations import MIGRATIONS, V8_STATS
from tiktok_desktop.store.stats import AccountSnapshot, PostSnapshot, StatsStore

from .conftest import T0
from .test_posts import add_account, in_state

DAY = 86400


@pytest.fixture
def stats(db: Database) -> StatsStore:
    return StatsStore(db)


def _published(posts: PostsRepo, account: int, at: int, ids: tuple[str, ...] = ("71",),
               caption: str = "") -> int:
    p = in_state(posts, account, PostState.PUBLISHED, published_at=at, post_ids=ids,
                 privacy_level="PUBLIC_TO_EVERYONE")
    if caption:
        posts.db.conn().execute("UPDATE posts SET caption = ? WHERE id = ?", (caption, p.id))
    return p.id


def _snap(post: int, slot: int, at: int, views: int | None, tiktok_id: str = "71"
          ) -> PostSnapshot:
    likes = None if views is None else views // 10
    return PostSnapshot(post, tiktok_id, slot, at, views, likes,
                        None if views is None else 1, None if views is None else 2)


def test_the_plan_is_1h_24h_7d_then_daily_to_30d() -> None:
    assert stats_plan.POST_OFFSETS[:3] == (3600, DAY, 7 * DAY)
    assert stats_plan.POST_OFFSETS[3:] == tuple(d * DAY for d in range(8, 31))
    assert stats_plan.latest_slot(T0, T0 + 3599) is None
    assert stats_plan.latest_slot(T0, T0 + 3600) == 0
    assert stats_plan.latest_slot(T0, T0 + 3 * DAY) == 1  # the 7-day one has not come
    assert stats_plan.latest_slot(T0, T0 + 400 * DAY) == len(stats_plan.POST_OFFSETS) - 1
    assert stats_plan.next_slot_at(T0, None) == T0 + 3600
    assert stats_plan.next_slot_at(T0, 1) == T0 + 7 * DAY
    assert stats_plan.next_slot_at(T0, len(stats_plan.POST_OFFSETS) - 1) is None


def test_migration_8_keeps_older_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Database.open(path, migrations=MIGRATIONS[:7])
    account = add_account(old)
    post = _published(PostsRepo(old), account, T0)
    old.close()
    db = Database.open(path)
    try:
        assert MIGRATIONS[7] is V8_STATS and db.schema_version == len(MIGRATIONS)
        store = StatsStore(db)
        [live] = store.live_posts(T0 - DAY)
        assert (live.post_id, live.tiktok_ids, live.taken) == (post, ("71",), {})
    finally:
        db.close()


def test_live_posts_and_what_was_taken(db: Database, stats: StatsStore) -> None:
    posts = PostsRepo(db)
    a = add_account(db)
    old = _published(posts, a, T0 - 40 * DAY)
    two = _published(posts, a, T0, ids=("81", "82"))
    in_state(posts, a, PostState.PUBLISHED, published_at=T0)  # not public: no ID
    in_state(posts, a, PostState.SCHEDULED, due_at=T0 + DAY)
    assert stats.record_posts([_snap(two, 0, T0 + 3600, 10, "81"),
                               _snap(two, 1, T0 + DAY, 90, "81"),
                               _snap(two, 1, T0 + DAY, None, "82")]) == 3
    live = stats.live_posts(T0 - 31 * DAY)
    assert [p.post_id for p in live] == [two] and old not in [p.post_id for p in live]
    assert live[0].taken == {"81": 1, "82": 1} and live[0].gone == frozenset({"82"})


def test_a_slot_keeps_its_first_reading(db: Database, stats: StatsStore) -> None:
    post = _published(PostsRepo(db), add_account(db), T0)
    assert stats.record_posts([_snap(post, 0, T0 + 3600, 10)]) == 1
    assert stats.record_posts([_snap(post, 0, T0 + 3700, 99)]) == 0
    assert [s.view_count for s in stats.post_series(post)] == [10]


def test_readers(db: Database, stats: StatsStore) -> None:
    posts = PostsRepo(db)
    a, b = add_account(db, "open-a"), add_account(db, "open-b")
    first = _published(posts, a, T0, caption="first")
    second = _published(posts, a, T0 + 3 * DAY, ids=("91", "92"), caption="second")
    other = _published(posts, b, T0 + DAY)
    silent = _published(posts, a, T0 + 4 * DAY, caption="not read yet")
    stats.record_posts([
        _snap(first, 0, T0 + 3600, 5), _snap(first, 1, T0 + DAY, 50),
        _snap(second, 1, T0 + 4 * DAY, 200, "91"), _snap(second, 1, T0 + 4 * DAY, 100, "92"),
        _snap(other, 1, T0 + 2 * DAY, 7),
    ])
    assert stats.latest([first, second, other, silent]) == {
        first: (50, 5), second: (300, 30), other: (7, 0)}
    newest = stats.published_posts(a, limit=2)
    assert [(p.caption, p.views) for p in newest] == [("not read yet", None), ("second", 300)]
    assert [p.post_id for p in stats.published_posts()] == [silent, second, other, first]
    assert sorted(stats.views_at_slot(a, 1)) == [(T0, 50), (T0 + 3 * DAY, 300)]
    assert [s.post_id for s in stats.all_post_snapshots(b)] == [other]
    assert len(stats.all_post_snapshots()) == 5
    assert [s.view_count for s in stats.post_series(first)] == [5, 50]


def test_account_snapshots_one_per_day(db: Database, stats: StatsStore) -> None:
    a = add_account(db)
    day = stats_plan.account_day(T0 + 5)
    snap = AccountSnapshot(a, day, T0 + 5, 100, 3, 1000, 2)
    assert stats.record_account(snap) is True
    assert stats.record_account(AccountSnapshot(a, day, T0 + 50, 101, 3, 1001, 2)) is False
    assert stats.account_days(day) == {a} and stats.account_days(day + 1) == set()
    stats.record_account(AccountSnapshot(a, day + 1, T0 + DAY, 120, 3, 1100, 2))
    assert [s.follower_count for s in stats.account_series(a)] == [100, 120]
    assert stats.last_account_snapshot_at(a) == T0 + DAY
    assert stats.all_account_snapshots() == stats.account_series(a)


def test_snapshots_go_with_their_post_and_account(db: Database, stats: StatsStore) -> None:
    a = add_account(db)
    post = _published(PostsRepo(db), a, T0)
    stats.record_posts([_snap(post, 0, T0 + 3600, 5)])
    stats.record_account(AccountSnapshot(a, 1, T0, 1, None, 1, None))
    with db.transaction() as c:
        c.execute("DELETE FROM posts WHERE id = ?", (post,))
    assert stats.post_series(post) == []
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)check"), \
            db.transaction() as c:
        c.execute("INSERT INTO post_stats (post_id, tiktok_id, slot, taken_at) "
                  "VALUES (?, '1', -1, 0)", (post,))
