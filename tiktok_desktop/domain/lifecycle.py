"""A post's life: the states it moves through, what the user may do with it in each, and the
one rule above all (exactly once: a post TikTok may already have is never sent again).

The GUI, the CLI, the services and the engine all ask here; none of them keeps its own list
of states. The store only does compare-and-set with the sets it is handed.

    draft -> scheduled -> (due) -> preparing -> uploading -> processing -> published
                                     |             |            |-> in_review -> published
                                     |             |            |-> in_inbox -> in_review
                                     |             |            |     |-> published
                                     |             |            |     '-> draft_lapsed
                                     |             |            '-> unconfirmed (checks ran out)
                                     '-> needs_review / needs_reconnect
      any step -> retry_wait (transient) -> back to the step;  -> failed (with TikTok's reason)
      scheduled and overdue when the app starts -> published late (within grace) or missed

A post's account matters too: while it is disconnected (or needs a reconnect) a scheduled
post cannot go out; it waits for the reconnect, and the actions that would send it are
refused until then.

TikTok publishes a public post first and gives its ID (and so its link) only after moderation,
minutes or hours later (TIKTOK_API.md 4.5); an inbox draft is posted whenever the creator
finishes it in the TikTok app, or never. Posts in review or in the inbox are FOLLOWED: the
engine asks TikTok about them again at planned times (their next_attempt_at) until the answer
comes or their follow_until passes, never holding a worker for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tiktok_desktop.store import AccountStatus, Post, PostMode, PostState

# The engine owns the post right now: the user waits until it rests.
ACTIVE = frozenset({PostState.PREPARING, PostState.UPLOADING, PostState.PROCESSING,
                    PostState.RETRY_WAIT})
# The user owns the post: the engine has not started on it, or handed it back.
EDITABLE = frozenset({PostState.DRAFT, PostState.SCHEDULED, PostState.NEEDS_REVIEW,
                      PostState.FAILED, PostState.MISSED, PostState.NEEDS_RECONNECT})
# Stopped until the user does something (the status bar counts these).
ATTENTION = frozenset({PostState.NEEDS_REVIEW, PostState.NEEDS_RECONNECT, PostState.FAILED,
                       PostState.UNCONFIRMED, PostState.MISSED, PostState.DRAFT_LAPSED})
# Waiting for its time or being worked on: it goes out without the user.
UPCOMING = frozenset({PostState.SCHEDULED}) | ACTIVE
# TikTok has it and the engine asks about it again at planned times (next_attempt_at): in
# review until its ID comes, in the inbox until the creator finishes the draft.
FOLLOWED = frozenset({PostState.IN_REVIEW, PostState.IN_INBOX})
# TikTok completed the post (PUBLISH_COMPLETE); in review its ID and link are still to come.
POSTED = frozenset({PostState.PUBLISHED, PostState.IN_REVIEW})
DONE = POSTED | frozenset({PostState.IN_INBOX})
# The engine will not touch it again by itself (the user may: post again, check again...).
FINAL = (DONE - FOLLOWED) | frozenset({PostState.FAILED, PostState.MISSED,
                                       PostState.UNCONFIRMED, PostState.DRAFT_LAPSED})
# Posts that will never upload their video again, so a shared schedule may release its stored
# copy (store/videos.py). Only published: a post in review or in the inbox, unconfirmed or
# lapsed can still end failed by TikTok's word (retried, or rescheduled by the user), and
# every other state may still go out. (A duplicate of a published post whose video was
# released is asked to choose the video again: services/shared_library.py.)
VIDEO_SPENT = frozenset({PostState.PUBLISHED})
# Deletable: everything the engine is not working on. A published post's record goes; the
# video on TikTok stays (the confirmation says so).
DELETABLE = frozenset(PostState) - ACTIVE
# Would go out by themselves, but not while their account is not connected.
WAITS_FOR_ACCOUNT = frozenset({PostState.SCHEDULED, PostState.RETRY_WAIT})
CONNECTED = AccountStatus.CONNECTED


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


PUBLIC = "PUBLIC_TO_EVERYONE"

# What the schedule, the calendar and the history call each state.
STATE_TEXT: dict[PostState, str] = {
    PostState.DRAFT: "Draft",
    PostState.SCHEDULED: "Scheduled",
    PostState.PREPARING: "Preparing",
    PostState.UPLOADING: "Uploading",
    PostState.PROCESSING: "Processing on TikTok",
    PostState.PUBLISHED: "Published",
    PostState.IN_REVIEW: "Published, waiting for TikTok's review",
    PostState.IN_INBOX: "In TikTok inbox, waiting for the creator",
    PostState.DRAFT_LAPSED: "Not posted from the TikTok inbox",
    PostState.UNCONFIRMED: "Unconfirmed: check TikTok",
    PostState.NEEDS_REVIEW: "Needs your review",
    PostState.NEEDS_RECONNECT: "Account needs reconnect",
    PostState.RETRY_WAIT: "Waiting to retry",
    PostState.FAILED: "Failed",
    PostState.MISSED: "Missed",
}


# The same in a few words, for the schedule's State column (state_text goes in its tooltip).
STATE_LABEL: dict[PostState, str] = {
    **STATE_TEXT,
    PostState.IN_REVIEW: "In TikTok's review",
    PostState.IN_INBOX: "In TikTok inbox",
    PostState.DRAFT_LAPSED: "Not posted",
    PostState.UNCONFIRMED: "Not confirmed",
    PostState.NEEDS_RECONNECT: "Needs reconnect",
}


def state_label(post: Post) -> str:
    """state_text in a few words."""
    if post.state is PostState.PUBLISHED and post.mode is PostMode.INBOX:
        return "Posted from inbox"
    if post.state is PostState.PUBLISHED and not post.post_ids and awaits_review(post):
        return "Published, not public"
    return STATE_LABEL[post.state]


def state_text(post: Post) -> str:
    """The state of this post as the schedule shows it."""
    if post.state is PostState.PUBLISHED and post.mode is PostMode.INBOX:
        return "Posted from the TikTok inbox"
    if post.state is PostState.PUBLISHED and not post.post_ids and awaits_review(post):
        return "Published, not made public by TikTok"  # its review ended without an ID
    return STATE_TEXT[post.state]


def state_words(state: PostState) -> str:
    return state.value.replace("_", " ")


def awaits_review(post: Post) -> bool:
    """Will TikTok give this post an ID after moderation, so it is worth waiting for? Only
    public posts get one; a draft's privacy is the creator's choice in TikTok, so unknown."""
    return post.mode is PostMode.INBOX or post.privacy_level == PUBLIC


def waits_for_reconnect(post: Post, account: AccountStatus = CONNECTED) -> bool:
    """The post would go out by itself, but its account is not connected."""
    return account is not CONNECTED and post.state in WAITS_FOR_ACCOUNT


def reconnect_first(account: AccountStatus) -> str:
    """Why a post of this account cannot be sent now, and what to do."""
    what = "was disconnected" if account is AccountStatus.DISCONNECTED \
        else "needs to be reconnected"
    return (f"Its account {what}: it waits until you reconnect the account (select it, then "
            "Accounts → Reconnect). To post it elsewhere, open it with Edit and pick another "
            "account.")


def why_not(post: Post, action: Action, account: AccountStatus = CONNECTED) -> str | None:
    """None when ``action`` may be done with ``post`` now, else why not, in plain words.

    ``account`` is the status of the post's account: sending (Post now) or putting it back
    on the schedule (Reschedule) needs a connected account."""
    if action in (Action.HISTORY, Action.DUPLICATE):
        # A duplicate is a new draft with the same video and settings, whatever became of
        # this one (or its account); it needs its own time and consent before it goes anywhere.
        return None
    if action is Action.OPEN_ON_TIKTOK:
        if post.share_url:
            return None
        if post.state is PostState.IN_REVIEW:
            return "TikTok gives the post's link once its review is done."
        return "TikTok has not given this post a link (yet)."
    if action is Action.CHECK_AGAIN:
        if post.state in (PostState.UNCONFIRMED, PostState.DRAFT_LAPSED) and post.publish_id:
            return None
        return ("Only a post TikTok has not confirmed, or an inbox draft that was not posted, "
                "can be checked again.")
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
        if post.state is PostState.DRAFT_LAPSED:
            return ("The draft may still be in the TikTok inbox: finish it in the TikTok app "
                    "(“Check again” then finds it), or add the video as a new post.")
        if post.state in FOLLOWED:
            return ("TikTok already has this post: TikTok Desktop follows it until TikTok "
                    "says how it ended, and it can no longer be changed.")
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
    if account is not CONNECTED:
        return reconnect_first(account)
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


def allowed(post: Post, account: AccountStatus = CONNECTED) -> Allowed:
    refused = {a: why for a in Action if (why := why_not(post, a, account)) is not None}
    return Allowed(refused)
