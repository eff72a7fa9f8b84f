"""store.listing: the schedule list in SQL, checked row by row against the list's rules
written out plainly in Python (filter, search as casefolded substrings, sort with ties by due
time then id, segments), on thousands of posts with ties on purpose, read in every order a
view reads them (from the top, from the end, jumps, neighbours)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import many_posts
from tests.helpers.clock import FakeClock
from tiktok_desktop.store import (
    AccountsRepo,
    Database,
    NewPost,
    Post,
    PostsRepo,
    PostState,
    listing,
    search_index,
)
from tiktok_desktop.store.listing import Order, PostList, SortKey, Where
from tiktok_desktop.store.migrations import MIGRATIONS
from tiktok_desktop.store.post_keys import BIG_DUE, display_name, first_line

T0 = 1_767_225_600
LABELS = {1: "Zoë", 2: "anna", 3: "Bert", 4: "anna"}  # two accounts share a name
PRIVACY_WORDS = {"PUBLIC_TO_EVERYONE": "Everyone", "FOLLOWER_OF_CREATOR": "Followers",
                 "MUTUAL_FOLLOW_FRIENDS": "Friends", "SELF_ONLY": "Only me", "": ""}


def make_accounts(db: Database) -> list[int]:
    repo = AccountsRepo(db)
    return [repo.upsert_connected(open_id=f"o{i}", display_name=LABELS[i], username="",
                                  avatar_url="", granted_scopes=[], access_expires_at=None,
                                  refresh_expires_at=None).id for i in sorted(LABELS)]


@pytest.fixture
def world(db: Database) -> tuple[Database, list[Post]]:
    accounts = make_accounts(db)
    many_posts.insert(db, many_posts.random_specs(3000, accounts, T0), T0)
    return db, PostsRepo(db).query()


# -- the rules, plainly ------------------------------------------------------------------------

def text_of(post: Post, key: SortKey) -> str:
    if key is SortKey.VIDEO:
        return display_name(post.video_path, post.video_meta)
    if key is SortKey.NAME:
        return display_name(post.video_path, post.video_meta).casefold()
    return first_line(post.caption)


def due_key(post: Post) -> int:
    return BIG_DUE if post.due_at is None else post.due_at


def state_word(post: Post) -> str:
    """As the UI will say it: account 2's posts that would go out wait for it."""
    if post.account_id == 2 and post.state in (PostState.SCHEDULED, PostState.RETRY_WAIT):
        return "Waiting"
    return post.state.value


SEGMENT_WORDS: dict[str, Callable[[Post], str]] = {
    "account": lambda p: LABELS[p.account_id],
    "state": state_word,
    "privacy": lambda p: PRIVACY_WORDS[p.privacy_level or ""],
}


def segments(kind: str) -> tuple[tuple[Where, ...], ...]:
    """The segments a view would pass for these words, in the words' order."""
    if kind == "account":
        names = sorted(set(LABELS.values()))
        return tuple((Where(accounts=frozenset(i for i, n in LABELS.items() if n == name)),)
                     for name in names)
    if kind == "privacy":
        words = sorted(set(PRIVACY_WORDS.values()))
        return tuple((Where(privacies=frozenset(k for k, w in PRIVACY_WORDS.items()
                                                if w == word)),) for word in words)
    out: dict[str, tuple[Where, ...]] = {"Waiting": (Where(
        states=frozenset({"scheduled", "retry_wait"}), accounts=frozenset({2})),)}
    for s in PostState:
        if s.value in ("scheduled", "retry_wait"):
            out[s.value] = (Where(states=frozenset({s.value}), not_accounts=frozenset({2})),)
        else:
            out[s.value] = (Where(states=frozenset({s.value})),)
    return tuple(out[w] for w in sorted(out))


def wanted(posts: list[Post], *, accounts: set[int] | None = None,
           states: set[PostState] | None = None, text: str = "", key: SortKey = SortKey.DUE,
           desc: bool = False, kind: str = "") -> list[int]:
    needle = text.strip().casefold()
    rows = [p for p in posts
            if (accounts is None or p.account_id in accounts)
            and (states is None or p.state in states)
            and (not needle or needle in p.caption.casefold()
                 or needle in display_name(p.video_path, p.video_meta).casefold())]
    if key is SortKey.SEGMENTS:
        word = SEGMENT_WORDS[kind]
        order = sorted({word(p) for p in posts})
        rank = {w: (len(order) - 1 - i if desc else i) for i, w in enumerate(order)}
        return [p.id for p in sorted(rows, key=lambda p: (rank[word(p)], due_key(p), p.id))]
    if key is SortKey.DUE:
        ordered = sorted(rows, key=lambda p: (due_key(p), p.id))
    else:
        ordered = sorted(rows, key=lambda p: (text_of(p, key), due_key(p), p.id))
    return [p.id for p in (ordered[::-1] if desc else ordered)]


def where_of(accounts: set[int] | None = None, states: set[PostState] | None = None,
             text: str = "") -> Where:
    return Where(accounts=None if accounts is None else frozenset(accounts),
                 states=None if states is None else frozenset(s.value for s in states),
                 text=text.strip().casefold())


def read_all(rows: PostList, seed: int = 1) -> list[int]:
    """Every row, read in a shuffled order of pages (jumps, ends, neighbours)."""
    while rows.more:
        rows.fetch_more()
    got: dict[int, int] = {}
    starts = list(range(0, len(rows), 50))
    random.Random(seed).shuffle(starts)
    for start in starts:
        for r in range(start, min(start + 50, len(rows))):
            got[r] = rows.post(r).id
    return [got[r] for r in range(len(rows))]


# -- sorting and filtering ---------------------------------------------------------------------

ORDERS = [(SortKey.DUE, ""), (SortKey.VIDEO, ""), (SortKey.NAME, ""), (SortKey.CAPTION, ""),
          (SortKey.SEGMENTS, "account"), (SortKey.SEGMENTS, "state"),
          (SortKey.SEGMENTS, "privacy")]


@pytest.mark.parametrize(("key", "kind"), ORDERS)
@pytest.mark.parametrize("desc", [False, True])
def test_every_sort_gives_the_lists_order(world: tuple[Database, list[Post]], key: SortKey,
                                         kind: str, desc: bool) -> None:
    db, posts = world
    order = Order(key, desc, segments(kind) if kind else ())
    rows = PostList(db, Where(), order)
    expected = wanted(posts, key=key, desc=desc, kind=kind)
    assert len(rows) == len(expected) == 3000
    assert read_all(rows) == expected
    assert [rows.post(r).id for r in range(len(rows))] == expected  # straight down, too
    sample = random.Random(2).sample(posts, 60)
    fresh = PostList(db, Where(), order)  # nothing read yet: counted through the index
    for p in sample:
        assert fresh.row_of(p) == expected.index(p.id)


FILTERS: list[dict[str, Any]] = [
    {"accounts": {2}},
    {"accounts": {1, 3}},
    {"states": {PostState.FAILED}},
    {"states": {PostState.SCHEDULED, PostState.RETRY_WAIT, PostState.PREPARING}},
    {"accounts": {4}, "states": {PostState.MISSED, PostState.DRAFT}},
    {"accounts": set()},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize(("key", "kind"), [(SortKey.DUE, ""), (SortKey.CAPTION, ""),
                                           (SortKey.SEGMENTS, "state")])
def test_filters_with_sorts(world: tuple[Database, list[Post]], filters: dict[str, Any],
                            key: SortKey, kind: str) -> None:
    db, posts = world
    for desc in (False, True):
        rows = PostList(db, where_of(**filters), Order(key, desc, segments(kind) if kind else ()))
        expected = wanted(posts, key=key, desc=desc, kind=kind, **filters)
        assert len(rows) == len(expected)
        assert read_all(rows) == expected
        outside = next((p for p in posts if p.id not in set(expected)), None)
        if outside is not None:
            assert rows.row_of(outside) is None


SEARCHES = ["sourdough", "SOURDOUGH ", "strasse", "straße", "éclair", "ab", "clip_0001",
            "_00", "second line", "nothing like this", "e"]


@pytest.mark.parametrize("text", SEARCHES)
@pytest.mark.parametrize("how", ["index", "scan", "open-ended", "open-ended scan"])
def test_search_is_a_casefolded_substring_of_caption_or_name(
        world: tuple[Database, list[Post]], monkeypatch: pytest.MonkeyPatch, text: str,
        how: str) -> None:
    db, posts = world
    if "scan" in how:
        monkeypatch.setattr(type(db.dialect), "search_in_step", lambda self, c: False)
    if "open-ended" in how:
        monkeypatch.setattr(listing, "MATERIALIZE", 7)  # any larger result stays open
    else:
        monkeypatch.setattr(listing, "MATERIALIZE", 5000)  # every result read whole
    for key, kind, desc in [(SortKey.DUE, "", False), (SortKey.VIDEO, "", True),
                            (SortKey.SEGMENTS, "account", True)]:
        order = Order(key, desc, segments(kind) if kind else ())
        rows = PostList(db, where_of(text=text), order)
        expected = wanted(posts, text=text, key=key, desc=desc, kind=kind)
        if "open-ended" in how and len(expected) > listing.PAGE:
            assert rows.count is None and rows.more  # unknown until read to the end
            target = posts[0] if posts[0].id in expected else None
            if target is not None:
                assert rows.row_of(target) == expected.index(target.id)  # reads up to it
        else:
            assert rows.count == len(expected)  # read whole, or to its end at once
        assert read_all(rows) == expected, (text, key)
        assert rows.count == len(expected)


def test_search_with_filters_and_the_index(world: tuple[Database, list[Post]]) -> None:
    db, posts = world
    assert db.search_ready and db.dialect.search_in_step(db.conn())
    rows = PostList(db, where_of({2, 3}, {PostState.SCHEDULED, PostState.FAILED}, "tour"),
                    Order(SortKey.CAPTION))
    expected = wanted(posts, accounts={2, 3}, states={PostState.SCHEDULED, PostState.FAILED},
                      text="tour", key=SortKey.CAPTION)
    assert 0 < len(expected) < listing.MATERIALIZE and rows.count == len(expected)
    assert read_all(rows) == expected


def test_segments_must_hold_every_post_once(world: tuple[Database, list[Post]]) -> None:
    db, _posts = world
    with pytest.raises(ValueError, match="segments"):
        PostList(db, Where(), Order(SortKey.SEGMENTS, False, segments("account")[:-1]))


# -- changes ------------------------------------------------------------------------------------

def test_counts_and_search_follow_every_write(db: Database, clock: FakeClock) -> None:
    a, b, *_ = make_accounts(db)
    repo = PostsRepo(db)
    first = repo.create(NewPost(a, "/v/x.mp4", 1, caption="Morning Tour", due_at=T0 + 60,
                                privacy_level="SELF_ONLY"), PostState.SCHEDULED)
    second = repo.create(NewPost(b, "/lib/abc.mp4", 1, video_meta={"original_path": "/h/Étude.mov"},
                                 caption=""))
    assert listing.cell_counts(db) == {(a, "scheduled", "SELF_ONLY"): 1, (b, "draft", ""): 1}
    assert repo.count_by_state() == {PostState.SCHEDULED: 1, PostState.DRAFT: 1}

    def found(text: str) -> list[int]:
        rows = PostList(db, Where(text=text.casefold()))
        return [rows.post(r).id for r in range(len(rows))]

    assert found("étude") == [second.id] and found("tour") == [first.id]
    repo.transition(first.id, PostState.FAILED, "test", caption="Evening walk")
    repo.transition(second.id, PostState.DRAFT, "test", video_path="/lib/def.mp4",
                    video_meta={"original_path": "/h/Other.mov"})
    assert found("tour") == [] and found("evening") == [first.id]
    assert found("étude") == [] and found("other") == [second.id]
    assert listing.cell_counts(db) == {(a, "failed", "SELF_ONLY"): 1, (b, "draft", ""): 1}
    repo.delete(first.id, expect=[PostState.FAILED])
    assert found("evening") == []
    assert listing.cell_counts(db) == {(b, "draft", ""): 1}
    rows = PostList(db, Where(), Order(SortKey.VIDEO))
    assert [rows.post(0).id] == [second.id] and len(rows) == 1


def test_a_list_is_a_snapshot_and_key_of_tells_where_a_post_belongs(
        world: tuple[Database, list[Post]]) -> None:
    db, posts = world
    rows = PostList(db, where_of(states={PostState.SCHEDULED}), Order(SortKey.DUE))
    post = next(p for p in posts if p.state is PostState.SCHEDULED)
    assert rows.key_of(post) == (0, (due_key(post), post.id))
    moved = PostsRepo(db).transition(post.id, PostState.FAILED, "test")
    assert rows.key_of(moved) is None  # no longer in this filter
    assert len(rows) == len(PostList(db, where_of(states={PostState.SCHEDULED}))) + 1


def test_calendar_ranges(world: tuple[Database, list[Post]]) -> None:
    db, posts = world
    start, end = T0 + 10 * 86400, T0 + 17 * 86400
    where = where_of({1, 2}, {PostState.SCHEDULED, PostState.PUBLISHED}, "a")
    expected = [p.id for p in sorted(posts, key=lambda p: (due_key(p), p.id))
                if p.due_at is not None and start <= p.due_at < end and where.matches(p)]
    assert [p.id for p in listing.in_range(db, start, end, where)] == expected
    assert listing.count_in_range(db, start, end, where) == len(expected)
    assert [p.id for p in listing.in_range(db, start, end, where, limit=3)] == expected[:3]
    everything = [p.id for p in sorted(posts, key=lambda p: (due_key(p), p.id))
                  if p.due_at is not None and start <= p.due_at < end]
    assert [p.id for p in listing.in_range(db, start, end)] == everything


# -- the search index itself -------------------------------------------------------------------

def test_without_fts5_the_search_scans_and_says_so(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "t.sqlite3"
    db = Database.open(path, clock=FakeClock(T0))
    a = make_accounts(db)[0]
    repo = PostsRepo(db)
    repo.create(NewPost(a, "/v/one.mp4", 1, caption="Sourdough"))
    db.close()
    monkeypatch.setattr(search_index, "fts5_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        db = Database.open(path, clock=FakeClock(T0))
    assert any("no FTS5" in r.getMessage() for r in caplog.records)
    caplog.clear()
    assert not db.search_ready and not search_index.in_step(db.conn())
    later = PostsRepo(db).create(NewPost(a, "/v/two.mp4", 1, caption="More sourdough"))
    rows = PostList(db, Where(text="sourdough"))
    assert {rows.post(r).id for r in range(len(rows))} == {1, later.id}
    db.close()
    monkeypatch.undo()
    db = Database.open(path, clock=FakeClock(T0))  # FTS5 again: rebuilt, the later post too
    assert db.search_ready
    hits = db.conn().execute("SELECT rowid FROM posts_search WHERE posts_search MATCH ?",
                             (search_index.match_query("sourdough"),)).fetchall()
    assert sorted(r[0] for r in hits) == [1, later.id]
    db.close()


def test_migration_fills_the_listing_columns_counts_and_index(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    old = Database.open(path, migrations=MIGRATIONS[:5], clock=FakeClock(T0))
    acct = AccountsRepo(old).upsert_connected(
        open_id="o", display_name="A", username="", avatar_url="", granted_scopes=[],
        access_expires_at=None, refresh_expires_at=None).id
    old.conn().execute(
        "INSERT INTO posts (account_id, video_path, video_size, video_meta, caption, state, "
        "privacy_level, due_at, created_at, updated_at) VALUES (?, '/lib/h.mp4', 1, "
        "'{\"original_path\": \"C:\\\\Users\\\\me\\\\Straße.MP4\"}', '  First line\nmore', "
        "'scheduled', NULL, ?, 0, 0)", (acct, T0))
    old.close()
    db = Database.open(path, clock=FakeClock(T0))
    row = db.conn().execute("SELECT video_name, name_fold, caption_line, caption_fold, due_key "
                            "FROM posts").fetchone()
    assert tuple(row) == ("Straße.MP4", "strasse.mp4", "First line", "  first line\nmore", T0)
    assert listing.cell_counts(db) == {(acct, "scheduled", ""): 1}
    rows = PostList(db, Where(text="strasse"))
    assert rows.count == 1
    db.close()
