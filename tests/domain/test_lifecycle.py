"""What a post allows in each state, decided in one place for the GUI, the CLI and the
services (domain.lifecycle), and the exactly-once rule above all of it."""

from __future__ import annotations

from tests.helpers.posts import make_post
from tiktok_desktop.domain.lifecycle import (
    ACTIVE,
    ATTENTION,
    DELETABLE,
    DONE,
    EDITABLE,
    FINAL,
    FOLLOWED,
    POSTED,
    STATE_TEXT,
    UPCOMING,
    Action,
    allowed,
    awaits_review,
    may_be_on_tiktok,
    state_text,
    why_not,
)
from tiktok_desktop.store import PostMode, PostState, PostStep

CHANGES = (Action.EDIT, Action.RESCHEDULE, Action.POST_NOW, Action.UNSCHEDULE)


def test_allowed_actions_by_state() -> None:
    scheduled = allowed(make_post())
    assert {a for a in Action if a in scheduled} == {
        Action.EDIT, Action.RESCHEDULE, Action.POST_NOW, Action.UNSCHEDULE, Action.DELETE,
        Action.HISTORY, Action.DUPLICATE}
    draft = allowed(make_post(state=PostState.DRAFT, due_at=None, consent_at=None))
    assert Action.EDIT in draft and Action.RESCHEDULE not in draft
    assert Action.UNSCHEDULE not in draft
    assert "consent" in draft.why_not(Action.RESCHEDULE)
    # Unscheduled back to a draft, the consent is still there: it may go back on the list.
    assert Action.RESCHEDULE in allowed(make_post(state=PostState.DRAFT, due_at=None))
    review = allowed(make_post(state=PostState.NEEDS_REVIEW))
    assert Action.EDIT in review and Action.UNSCHEDULE in review
    assert "no longer match" in review.why_not(Action.RESCHEDULE)
    failed = allowed(make_post(state=PostState.FAILED))
    assert Action.RESCHEDULE in failed and Action.POST_NOW in failed
    busy = allowed(make_post(state=PostState.UPLOADING))
    assert {a for a in Action if a in busy} == {Action.HISTORY, Action.DUPLICATE}
    assert "uploading right now" in busy.why_not(Action.DELETE)
    done = allowed(make_post(state=PostState.PUBLISHED, share_url="https://t/1"))
    assert {a for a in Action if a in done} == {Action.DELETE, Action.HISTORY,
                                                 Action.OPEN_ON_TIKTOK, Action.DUPLICATE}


def test_an_unconfirmed_post_can_only_be_checked_again() -> None:
    post = make_post(state=PostState.UNCONFIRMED, publish_id="p_1", step=PostStep.POLL)
    can = allowed(post)
    assert Action.CHECK_AGAIN in can and Action.DELETE in can
    for action in CHANGES:
        assert action not in can
        assert "Check again" in can.why_not(action)
    assert why_not(make_post(), Action.CHECK_AGAIN) is not None  # only unconfirmed posts


def test_a_post_tiktok_may_have_is_never_changed_or_sent_again() -> None:
    """Exactly once: once the last chunk may have gone, a held post only waits for status."""
    held = make_post(state=PostState.NEEDS_RECONNECT, publish_id="p_1", step=PostStep.FINAL)
    assert may_be_on_tiktok(held)
    for action in CHANGES:
        assert "TikTok may already have this post" in (why_not(held, action) or "")
    before_final = make_post(state=PostState.NEEDS_RECONNECT, publish_id="p_1",
                             step=PostStep.UPLOAD)
    assert not may_be_on_tiktok(before_final)
    assert why_not(before_final, Action.POST_NOW) is None


def test_the_state_sets_agree() -> None:
    assert not EDITABLE & ACTIVE  # the user and the engine never own a post at once
    assert frozenset(PostState) - ACTIVE == DELETABLE
    assert UPCOMING >= ACTIVE and PostState.SCHEDULED in UPCOMING
    assert not ATTENTION & UPCOMING and not DONE & ATTENTION
    for state in PostState:  # every state is somewhere the user can find it
        assert state in UPCOMING | ATTENTION | DONE | {PostState.DRAFT}


def test_any_post_may_be_duplicated() -> None:
    """A duplicate is a new draft; whatever the original's state, copying it changes nothing."""
    for state in PostState:
        assert why_not(make_post(state=state), Action.DUPLICATE) is None


def test_a_post_of_an_account_that_is_not_connected_waits_for_the_reconnect() -> None:
    from tiktok_desktop.domain.lifecycle import waits_for_reconnect
    from tiktok_desktop.store import AccountStatus

    scheduled = make_post()
    for status in (AccountStatus.DISCONNECTED, AccountStatus.NEEDS_RECONNECT):
        assert waits_for_reconnect(scheduled, status)
        can = allowed(scheduled, status)
        # Nothing that would send it; what keeps it or moves it to another account stays.
        assert {a for a in Action if a in can} == {
            Action.EDIT, Action.UNSCHEDULE, Action.DELETE, Action.HISTORY, Action.DUPLICATE}
        for action in (Action.POST_NOW, Action.RESCHEDULE):
            assert "Reconnect" in can.why_not(action) and "waits" in can.why_not(action)
        assert why_not(scheduled, Action.POST_NOW, status) == can.why_not(Action.POST_NOW)
    assert "was disconnected" in allowed(scheduled, AccountStatus.DISCONNECTED).why_not(
        Action.POST_NOW)
    assert "needs to be reconnected" in allowed(scheduled, AccountStatus.NEEDS_RECONNECT
                                                ).why_not(Action.POST_NOW)
    # Connected (the default): as before.
    assert not waits_for_reconnect(scheduled)
    assert Action.POST_NOW in allowed(scheduled, AccountStatus.CONNECTED)
    # Only posts that would go out by themselves wait; a draft or a published post does not.
    for state in (PostState.DRAFT, PostState.PUBLISHED, PostState.FAILED):
        assert not waits_for_reconnect(make_post(state=state), AccountStatus.DISCONNECTED)
    assert waits_for_reconnect(make_post(state=PostState.RETRY_WAIT),
                               AccountStatus.DISCONNECTED)

def test_followed_posts_are_done_for_the_user_but_not_final_for_the_engine() -> None:
    assert FOLLOWED <= DONE and not FOLLOWED & FINAL and not FOLLOWED & EDITABLE
    assert {PostState.PUBLISHED, PostState.IN_REVIEW} == POSTED
    assert PostState.DRAFT_LAPSED in FINAL and PostState.DRAFT_LAPSED in ATTENTION
    assert set(STATE_TEXT) == set(PostState)  # every state has words


def test_a_post_in_review_or_in_the_inbox_can_only_be_deleted_or_looked_at() -> None:
    review = make_post(state=PostState.IN_REVIEW, publish_id="p_1", step=PostStep.POLL,
                       privacy_level="PUBLIC_TO_EVERYONE")
    can = allowed(review)
    assert {a for a in Action if a in can} == {Action.DELETE, Action.HISTORY,
                                               Action.DUPLICATE}
    assert "TikTok already has this post" in can.why_not(Action.EDIT)
    assert "once its review is done" in can.why_not(Action.OPEN_ON_TIKTOK)
    assert state_text(review) == "Published, waiting for TikTok's review"
    inbox = make_post(state=PostState.IN_INBOX, mode=PostMode.INBOX, publish_id="p_2",
                      step=PostStep.POLL, privacy_level=None)
    assert {a for a in Action if a in allowed(inbox)} == {Action.DELETE, Action.HISTORY,
                                                         Action.DUPLICATE}
    assert state_text(inbox) == "In TikTok inbox, waiting for the creator"


def test_a_lapsed_draft_is_never_sent_again_but_can_be_checked_again() -> None:
    lapsed = make_post(state=PostState.DRAFT_LAPSED, mode=PostMode.INBOX, publish_id="p_1",
                       step=PostStep.POLL, privacy_level=None)
    can = allowed(lapsed)
    assert {a for a in Action if a in can} == {Action.CHECK_AGAIN, Action.DELETE,
                                                Action.HISTORY, Action.DUPLICATE}
    for action in CHANGES:
        assert "may still be in the TikTok inbox" in can.why_not(action)
    assert state_text(lapsed) == "Not posted from the TikTok inbox"


def test_which_posts_wait_for_an_id_and_how_published_ones_read() -> None:
    public = make_post(state=PostState.PUBLISHED, privacy_level="PUBLIC_TO_EVERYONE",
                       post_ids=("7",), share_url="https://t/7")
    assert awaits_review(public) and state_text(public) == "Published"
    assert not awaits_review(make_post(privacy_level="SELF_ONLY"))
    assert not awaits_review(make_post(privacy_level="FOLLOWER_OF_CREATOR"))
    assert awaits_review(make_post(mode=PostMode.INBOX, privacy_level=None))
    no_id = make_post(state=PostState.PUBLISHED, privacy_level="PUBLIC_TO_EVERYONE")
    assert state_text(no_id) == "Published, not made public by TikTok"
    only_me = make_post(state=PostState.PUBLISHED, privacy_level="SELF_ONLY")
    assert state_text(only_me) == "Published"
    from_inbox = make_post(state=PostState.PUBLISHED, mode=PostMode.INBOX, privacy_level=None)
    assert state_text(from_inbox) == "Posted from the TikTok inbox"
