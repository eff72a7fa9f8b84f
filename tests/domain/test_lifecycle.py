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
    UPCOMING,
    Action,
    allowed,
    may_be_on_tiktok,
    why_not,
)
from tiktok_desktop.store import PostState, PostStep

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
