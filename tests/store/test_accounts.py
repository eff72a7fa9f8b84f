"""store.accounts: connect, reconnect in place, profile updates, listing order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.clock import FakeClock
from tiktok_desktop.store import (
    AccountsRepo,
    AccountStatus,
    Database,
    NewPost,
    PostsRepo,
)


@pytest.fixture
def repo(db: Database) -> AccountsRepo:
    return AccountsRepo(db)


INFO = {"creator_nickname": "Ann", "privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]}


def connect(repo: AccountsRepo, open_id: str = "open-ann", **over: Any) -> Any:
    args: dict[str, Any] = {
        "open_id": open_id,
        "display_name": "Ann",
        "username": "ann.k",
        "avatar_url": "https://example.invalid/ann.jpg",
        "granted_scopes": ["video.publish", "user.info.basic", "video.publish"],
        "access_expires_at": 1000,
        "refresh_expires_at": 2000,
    }
    args.update(over)
    return repo.upsert_connected(**args)


def test_upsert_inserts_a_new_account(repo: AccountsRepo, clock: FakeClock) -> None:
    a = connect(repo, creator_info=INFO)
    assert a.id > 0
    assert a.open_id == "open-ann"
    assert (a.display_name, a.username, a.avatar_url) == (
        "Ann", "ann.k", "https://example.invalid/ann.jpg"
    )
    assert a.granted_scopes == frozenset({"video.publish", "user.info.basic"})
    assert (a.access_expires_at, a.refresh_expires_at) == (1000, 2000)
    assert a.status is AccountStatus.CONNECTED
    assert a.creator_info == INFO
    assert a.creator_info_at == a.created_at == a.updated_at == int(clock.now)
    assert repo.get(a.id) == a
    assert repo.by_open_id("open-ann") == a
    assert repo.get(a.id + 100) is None
    assert repo.by_open_id("nobody") is None


def test_new_account_without_creator_info(repo: AccountsRepo) -> None:
    a = connect(repo, access_expires_at=None, refresh_expires_at=None, granted_scopes=[])
    assert a.creator_info is None
    assert a.creator_info_at is None
    assert a.granted_scopes == frozenset()
    assert a.access_expires_at is None


def test_reconnect_updates_in_place_and_keeps_posts(
    repo: AccountsRepo, db: Database, clock: FakeClock
) -> None:
    first = connect(repo, creator_info=INFO)
    post = PostsRepo(db).create(NewPost(account_id=first.id, video_path="/v.mp4", video_size=1))
    repo.set_status(first.id, AccountStatus.NEEDS_RECONNECT)

    clock.now += 3600
    again = connect(
        repo,
        display_name="Ann K.",
        username="ann.k2",
        avatar_url="https://example.invalid/new.jpg",
        granted_scopes=["user.info.basic"],  # a narrower grant is recorded as such
        access_expires_at=5000,
        refresh_expires_at=6000,
    )
    assert again.id == first.id
    assert len(repo.all()) == 1
    assert (again.display_name, again.username, again.avatar_url) == (
        "Ann K.", "ann.k2", "https://example.invalid/new.jpg"
    )
    assert again.granted_scopes == frozenset({"user.info.basic"})
    assert (again.access_expires_at, again.refresh_expires_at) == (5000, 6000)
    assert again.status is AccountStatus.CONNECTED
    assert again.created_at == first.created_at
    assert again.updated_at == first.updated_at + 3600
    # creator_info None on reconnect keeps the last known one and its time.
    assert again.creator_info == INFO
    assert again.creator_info_at == first.creator_info_at
    reloaded = PostsRepo(db).get(post.id)
    assert reloaded is not None
    assert reloaded.account_id == first.id


def test_reconnect_with_empty_profile_keeps_known_values(repo: AccountsRepo) -> None:
    first = connect(repo)
    again = connect(repo, display_name="", username="", avatar_url="")
    assert (again.display_name, again.username, again.avatar_url) == (
        first.display_name, first.username, first.avatar_url
    )


def test_reconnect_with_new_creator_info_replaces_it(repo: AccountsRepo, clock: FakeClock) -> None:
    connect(repo, creator_info=INFO)
    clock.now += 60
    newer = {"creator_nickname": "Ann", "privacy_level_options": ["SELF_ONLY"]}
    a = connect(repo, creator_info=newer)
    assert a.creator_info == newer
    assert a.creator_info_at == int(clock.now)


def test_status_changes(repo: AccountsRepo, clock: FakeClock) -> None:
    a = connect(repo)
    clock.now += 5
    repo.set_status(a.id, AccountStatus.NEEDS_RECONNECT)
    b = repo.get(a.id)
    assert b is not None
    assert b.status is AccountStatus.NEEDS_RECONNECT
    assert b.updated_at == a.updated_at + 5
    repo.set_status(a.id, AccountStatus.DISCONNECTED)
    assert [x.id for x in repo.all(include_disconnected=False)] == []
    assert [x.status for x in repo.all()] == [AccountStatus.DISCONNECTED]
    # Connecting again revives the same row.
    assert connect(repo).status is AccountStatus.CONNECTED
    assert [x.id for x in repo.all(include_disconnected=False)] == [a.id]


def test_status_values_are_checked_by_the_schema(repo: AccountsRepo, db: Database) -> None:
    a = connect(repo)
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)check"):
        db.conn().execute("UPDATE accounts SET status = 'banana' WHERE id = ?", (a.id,))


def test_open_id_is_unique(repo: AccountsRepo, db: Database) -> None:
    connect(repo)
    with pytest.raises(db.dialect.integrity_errors, match=r"(?i)unique|duplicate key"):
        db.conn().execute(
            "INSERT INTO accounts (open_id, created_at, updated_at) VALUES ('open-ann', 1, 1)"
        )


def test_all_is_ordered_by_name_case_insensitively_then_id(repo: AccountsRepo) -> None:
    ids = {
        name: connect(repo, open_id=f"o-{i}", display_name=name).id
        for i, name in enumerate(["bob", "Alice", "carol", "alice", "Bob"])
    }
    assert [a.display_name for a in repo.all()] == ["Alice", "alice", "bob", "Bob", "carol"]
    assert ids["Alice"] < ids["alice"] and ids["bob"] < ids["Bob"]
    repo.set_status(ids["bob"], AccountStatus.DISCONNECTED)
    assert [a.display_name for a in repo.all(include_disconnected=False)] == [
        "Alice", "alice", "Bob", "carol"
    ]


def test_set_token_expiry(repo: AccountsRepo, clock: FakeClock) -> None:
    a = connect(repo)
    clock.now += 10
    repo.set_token_expiry(a.id, 7777, None)
    b = repo.get(a.id)
    assert b is not None
    assert (b.access_expires_at, b.refresh_expires_at) == (7777, None)
    assert b.updated_at == a.updated_at + 10


def test_set_creator_info(repo: AccountsRepo, clock: FakeClock) -> None:
    a = connect(repo)
    clock.now += 20
    repo.set_creator_info(a.id, {"max_video_post_duration_sec": 600, "nested": {"k": [1]}})
    b = repo.get(a.id)
    assert b is not None
    assert b.creator_info == {"max_video_post_duration_sec": 600, "nested": {"k": [1]}}
    assert b.creator_info_at == b.updated_at == int(clock.now)


def test_update_profile_only_overwrites_given_values(repo: AccountsRepo) -> None:
    a = connect(repo)
    repo.update_profile(a.id, username="new.name")
    b = repo.get(a.id)
    assert b is not None
    assert (b.display_name, b.username, b.avatar_url) == ("Ann", "new.name", a.avatar_url)
    repo.update_profile(a.id, display_name="Annie", avatar_url="https://example.invalid/b.jpg")
    c = repo.get(a.id)
    assert c is not None
    assert (c.display_name, c.username, c.avatar_url) == (
        "Annie", "new.name", "https://example.invalid/b.jpg"
    )


def test_label(repo: AccountsRepo) -> None:
    assert connect(repo, "o1", display_name="Ann", username="ann").label == "Ann (@ann)"
    assert connect(repo, "o2", display_name="", username="bo").label == "@bo"
    assert connect(repo, "o3", display_name="Cy", username="").label == "Cy"
    assert connect(repo, "o4", display_name="", username="").label == "o4"
