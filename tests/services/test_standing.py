"""services.standing: the counts behind TikTok's caps and the words the accounts pane, the
composer and Settings show (the engine-driven counts are in tests/engine/test_caps.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.clock import FakeClock
from tests.helpers.posts import make_post
from tiktok_desktop.services.standing import DAY, Standing, caps_at
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    AccountStatus,
    ClientStatusRepo,
    Database,
    PostMode,
    PostsRepo,
    PostState,
)

T = 1_800_000_000


def test_what_counts_towards_the_caps_in_the_24_hours_up_to_a_moment() -> None:
    sent = [make_post(i, state=s, sent_at=T - 100 * i) for i, s in enumerate(
        (PostState.PUBLISHED, PostState.IN_REVIEW, PostState.FAILED, PostState.UNCONFIRMED),
        start=1)]
    old = make_post(5, state=PostState.PUBLISHED, sent_at=T - DAY)  # just out of the window
    due = make_post(6, state=PostState.SCHEDULED, due_at=T - 5)
    draft = make_post(7, state=PostState.DRAFT, due_at=T - 5)  # not going anywhere
    missed = make_post(8, state=PostState.MISSED, due_at=T - 5)
    future = make_post(9, state=PostState.SCHEDULED, due_at=T + 5)
    inbox = [make_post(10 + i, mode=PostMode.INBOX, state=s, sent_at=T - 50) for i, s in
             enumerate((PostState.IN_INBOX, PostState.DRAFT_LAPSED, PostState.IN_REVIEW,
                        PostState.PUBLISHED, PostState.FAILED, PostState.PROCESSING))]
    every = [*sent, old, due, draft, missed, future, *inbox]
    caps = caps_at(every, T)
    # TikTok counts every accepted Direct Post init (failed too); pending drafts are those
    # neither posted nor failed (a lapsed one still counts).
    assert (caps.posts, caps.drafts) == (5, 3)
    assert caps_at(every, T, leave_out=6).posts == 4
    assert caps_at(every, T + 5).posts == 6
    assert not caps.posts_full and not caps.drafts_full
    assert caps_at([make_post(i, sent_at=T) for i in range(15)], T).posts_full


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    d = Database.open(tmp_path / "db.sqlite3", clock=lambda: float(T))
    yield d
    d.close()


@pytest.fixture
def account(db: Database) -> Account:
    return AccountsRepo(db).upsert_connected(
        open_id="o", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=["video.publish", "video.upload"], access_expires_at=T + 7200,
        refresh_expires_at=T + 180 * DAY,
        creator_info={"privacy_level_options": ["PUBLIC_TO_EVERYONE", "SELF_ONLY"]})


def test_the_accounts_line_says_when_the_sign_in_ends_and_what_the_caps_are(
        db: Database, account: Account) -> None:
    standing = Standing(PostsRepo(db), AccountsRepo(db), ClientStatusRepo(db), "key",
                        clock=FakeClock(T), zone_name="UTC")
    assert standing.account_summary(account) == (
        "Signed in until 14 Jul 2027 (renewed while the app runs; reconnect if it lapses).\n"
        "Last 24 hours: 0 of about 15 posts, 0 of 5 inbox drafts waiting.")
    assert standing.settings_note() == ""
    ClientStatusRepo(db).set_unaudited("key", T)
    AccountsRepo(db).set_status(account.id, AccountStatus.NEEDS_RECONNECT, "it was revoked")
    lost = AccountsRepo(db).get(account.id)
    assert lost is not None
    assert standing.account_summary(lost).splitlines() == [
        "Needs reconnecting: it was revoked.",
        "Last 24 hours: 0 of about 15 posts, 0 of 5 inbox drafts waiting.",
        "Unaudited TikTok app: this public account gets its posts in the TikTok inbox; make "
        "it private to post “Only me” directly."]
    assert standing.settings_note().startswith(
        "TikTok said on 15 Jan 2027 that this TikTok app is not audited")


def test_the_composer_line_warns_when_the_cap_is_reached(db: Database, account: Account) -> None:
    standing = Standing(PostsRepo(db), AccountsRepo(db), ClientStatusRepo(db), "key",
                        clock=FakeClock(T), zone_name="UTC")
    posts = PostsRepo(db)
    from tiktok_desktop.store import NewPost
    for i in range(15):
        posts.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1,
                             due_at=T + 60 * i, mode=PostMode.DIRECT), PostState.SCHEDULED)
    for i in range(5):
        posts.create(NewPost(account_id=account.id, video_path="/v.mp4", video_size=1,
                             due_at=T + 60 * i, mode=PostMode.INBOX), PostState.SCHEDULED)
    soon = standing.composer_text(account.id, PostMode.DIRECT, T + 120)
    assert soon == ("This account has 3 other posts in the 24 hours up to this one; TikTok "
                    "allows about 15.")
    full = standing.composer_text(account.id, PostMode.DIRECT, T + 3600)
    assert full.endswith("TikTok will likely refuse this one: pick a later time.")
    assert "14 other posts" in standing.composer_text(account.id, PostMode.DIRECT, T + 3600,
                                                      editing=1)
    assert standing.composer_text(account.id, PostMode.INBOX, T + 3600).startswith(
        "5 other drafts will be waiting in this account's TikTok inbox; TikTok allows 5 in 24 "
        "hours. Post the waiting ones")
    assert "of about 15" in standing.caps_text(standing.caps(account.id, T + DAY))


def test_an_empty_window_reads_as_none(db: Database, account: Account) -> None:
    standing = Standing(PostsRepo(db), AccountsRepo(db), ClientStatusRepo(db), "key",
                        clock=FakeClock(T), zone_name="UTC")
    assert standing.composer_text(account.id, PostMode.INBOX, T).startswith(
        "No other drafts will be waiting")
    assert standing.composer_text(account.id, PostMode.DIRECT, T).startswith(
        "This account has no other posts")
