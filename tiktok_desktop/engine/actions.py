"""What the user can do about a post the engine handed back (missed, failed, needs review...).

Call these from the GUI or CLI, then wake the engine (EngineWorker.wake() / Engine.wake()).
Each raises StateConflict with a message for the user when the post cannot be moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from tiktok_desktop.store import Post, PostsRepo, PostState, StateConflict

# States the user gets a post back in; none of them can be on TikTok already (see guard).
RESTARTABLE = (PostState.MISSED, PostState.FAILED, PostState.NEEDS_REVIEW,
               PostState.NEEDS_RECONNECT)
_RESET: dict[str, Any] = {"attempt_count": 0, "next_attempt_at": None, "retry_state": None,
          "last_error_code": None, "last_error_message": None}


def _restartable(posts: PostsRepo, post_id: int) -> Post:
    post = posts.get(post_id)
    if post is None:
        raise StateConflict(f"There is no post {post_id} (it may have been removed).")
    maybe_there = post.state is PostState.UNCONFIRMED or (
        post.state in RESTARTABLE and post.publish_id and post.step is not None
        and post.step.may_be_accepted)
    if maybe_there:
        # Never a second copy of a post TikTok may already have (exactly once).
        raise StateConflict("TikTok may already have this post: check the TikTok profile "
                            "first; use “Check again” to ask TikTok about it.")
    if post.state not in RESTARTABLE:
        raise StateConflict(
            f"This post is {post.state.value.replace('_', ' ')}; only missed, failed or held "
            "posts can be posted now or rescheduled.")
    return post


def post_now(posts: PostsRepo, post_id: int, clock: Callable[[], float] = time.time) -> Post:
    """Send a missed/failed/held post as soon as possible (it becomes due now)."""
    post = _restartable(posts, post_id)
    return posts.transition(post.id, PostState.SCHEDULED, "Posting now (asked by the user).",
                            expect=[post.state], due_at=int(clock()), **_RESET)


def reschedule(posts: PostsRepo, post_id: int, due_at: int, due_tz: str = "",
               clock: Callable[[], float] = time.time) -> Post:
    """Give a missed/failed/held post a new time (in the future)."""
    if due_at <= clock():
        raise StateConflict("Pick a time in the future, or use “Post now”.")
    post = _restartable(posts, post_id)
    return posts.transition(post.id, PostState.SCHEDULED, "Rescheduled by the user.",
                            expect=[post.state], due_at=due_at, due_tz=due_tz or post.due_tz,
                            **_RESET)


def check_again(posts: PostsRepo, post_id: int, clock: Callable[[], float] = time.time) -> Post:
    """Ask TikTok again about an unconfirmed post (status only; it is never sent twice)."""
    post = posts.get(post_id)
    if post is None or post.state is not PostState.UNCONFIRMED or not post.publish_id:
        raise StateConflict("Only an unconfirmed post can be checked again.")
    return posts.transition(post.id, PostState.RETRY_WAIT, "Checking with TikTok again.",
                            expect=[PostState.UNCONFIRMED], retry_state=PostState.PROCESSING,
                            next_attempt_at=int(clock()), attempt_count=0)
