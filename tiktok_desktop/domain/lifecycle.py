"""A post's life: the states it moves through, what the user may do with it in each, and the
one rule above all (exactly once: a post TikTok may already have is never sent again).

The GUI, the CLI, the services and the engine all ask here; none of them keeps its own list
of states. The store only does compare-and-set with the sets it is handed.

    draft -> scheduled -> (due) -> preparing -> uploading -> processing -> published
                                     |             |            |-> in_inbox (inbox mode)
                                     |             |            '-> unconfirmed (checks ran out)
                                     '-> needs_review / needs_reconnect
      any step -> retry_wait (transient) -> back to the step;  -> failed (with TikTok's reason)
      scheduled and overdue when the app starts -> published late (within grace) or missed
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tiktok_desktop.store import Post, PostState

# The engine owns the post right now: the user waits until it rests.
ACTIVE = frozenset({PostState.PREPARING, PostState.UPLOADING, PostState.PROCESSING,
                    PostState.RETRY_WAIT})
# The user owns the post: the engine has not started on it, or handed it back.
EDITABLE = frozenset({PostState.DRAFT, PostState.SCHEDULED, PostState.NEEDS_REVIEW,
                      PostState.FAILED, PostState.MISSED, PostState.NEEDS_RECONNECT})
# Stopped until the user does something (the status bar counts these).
ATTENTION = frozenset({PostState.NEEDS_REVIEW, PostState.NEEDS_RECONNECT, PostState.FAILED,
                       PostState.UNCONFIRMED, PostState.MISSED})
# Waiting for its time or being worked on: it goes out without the user.
UPCOMING = frozenset({PostState.SCHEDULED}) | ACTIVE
DONE = frozenset({PostState.PUBLISHED, PostState.IN_INBOX})
# The engine will not touch it again by itself (the user may: post again, check again...).
FINAL = DONE | frozenset({PostState.FAILED, PostState.MISSED, PostState.UNCONFIRMED})
# Deletable: everything the engine is not working on. A published post's record goes; the
# video on TikTok stays (the confirmation says so).
DELETABLE = frozenset(PostState) - ACTIVE


class Action(enum.Enum):
    EDIT = "edit"
    RESCHEDULE = "reschedule"
    POST_NOW = "post now"
    UNSCHEDULE = "unschedule"
    DELETE = "delete"
    CHECK_AGAIN = "check again"
    OPEN_ON_TIKTOK = "open on TikTok"
    HISTORY = "history"
    DUPLICATE = "duplicate"


def may_be_on_tiktok(post: Post) -> bool:
    """TikTok may have accepted this post: the last chunk may have gone out. It is never
    sent again; only its status is asked."""
    return bool(post.publish_id) and post.step is not None and post.step.may_be_accepted


def state_words(state: PostState) -> str:
    return state.value.replace("_", " ")


def why_not(post: Post, action: Action) -> str | None:
    """None when ``action`` may be done with ``post`` now, else why not, in plain words."""
    if action in (Action.HISTORY, Action.DUPLICATE):
        # A duplicate is a new draft with the same video and settings, whatever became of
        # this one; it needs its own time and consent before it goes anywhere.
        return None
    if action is Action.OPEN_ON_TIKTOK:
        return None if post.share_url else "TikTok has not given this post a link (yet)."
    if action is Action.CHECK_AGAIN:
        if post.state is PostState.UNCONFIRMED and post.publish_id:
            return None
        return "Only a post TikTok has not confirmed can be checked again."
    if action is Action.DELETE:
        if post.state in DELETABLE:
            return None
        return (f"This post is {state_words(post.state)} right now; wait until it finishes or "
                "fails before removing it.")
    # The rest change the post: only while the user owns it and TikTok cannot have it.
    if post.state not in EDITABLE:
        if post.state is PostState.UNCONFIRMED:
            return ("TikTok may already have this post: check the TikTok profile first; use "
                    "“Check again” to ask TikTok about it.")
        return (f"This post is {state_words(post.state)} and can no longer be changed: TikTok "
                "Desktop is working on it, or it is done.")
    if may_be_on_tiktok(post):
        return ("TikTok may already have this post, so it cannot be changed or sent again. "
                "Its status is checked once the account works again.")
    if action is Action.EDIT:
        return None
    if action is Action.UNSCHEDULE:
        return None if post.state is not PostState.DRAFT else "This post is not scheduled."
    # RESCHEDULE and POST_NOW keep everything but the time, so the post must be complete.
    if post.consent_at is None:
        # A draft saved without the user's consent to TikTok's terms: the composer asks first.
        return "Open it with Edit to schedule it: TikTok needs your consent for each post."
    if post.state is PostState.NEEDS_REVIEW:
        return "Open it with Edit: its settings no longer match the account's TikTok settings."
    return None


@dataclass(frozen=True)
class Allowed:
    """Which actions make sense for a post now, with why not for the others."""

    reasons: dict[Action, str]  # the refused actions only

    def __contains__(self, action: object) -> bool:
        return isinstance(action, Action) and action not in self.reasons

    def why_not(self, action: Action) -> str:
        return self.reasons.get(action, "")


def allowed(post: Post) -> Allowed:
    refused = {a: why for a in Action if (why := why_not(post, a)) is not None}
    return Allowed(refused)
