"""Read endpoints: user info (section 3), creator info (4.1), video list and query (section 8).

Decisions where TikTok's docs are silent (strict on purpose):
- ``fields`` must be given once, comma-separated, without empty items; an unknown field is
  ``invalid_params``. Field scopes follow the table in section 3, taking the unconfirmed rows as
  fact (username etc. need user.info.profile, counts need user.info.stats).
- creator_info answers a creator who cannot post (``User.can_post``, or the daily Direct Post cap
  reached) with HTTP 200, the error code and empty ``data``.
- video/list: ``max_count`` 1..20 (default 10), ``cursor`` a non-negative int (UTC ms, default
  now): videos created strictly before it, newest first. video/query: 1..20 string IDs.
  Only the caller's PUBLISH_COMPLETE posts with a post ID (public posts) are listed.
- duration/width/height are what processing read from the file (media.py); without media
  checks, fixed plausible values. A post shows here only once moderation gave it an ID.
- Counts (view/like/comment/share, and the creator's follower_count and likes_count) grow
  from the moment the post went public, deterministically per ``stats_seed`` (growth.py).
"""

from __future__ import annotations

from typing import Any

from .growth import PostCounts, post_counts
from .guard import RateLimiter, Session, authenticate, require_scope
from .models import Publish, User
from .state import State
from .wire import ApiError, Request, Response, parse_json_object, v2_ok

__all__ = ["USER_FIELDS", "VIDEO_FIELDS", "handle_creator_info", "handle_user_info",
           "handle_video_list", "handle_video_query", "video_object"]

# field -> scope needed (section 3)
USER_FIELDS: dict[str, str] = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "username": "user.info.profile",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "profile_web_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
VIDEO_FIELDS = (
    "id", "create_time", "cover_image_url", "share_url", "video_description", "duration",
    "height", "width", "title", "embed_html", "embed_link", "like_count", "comment_count",
    "share_count", "view_count", "is_aigc",
)


def _fields(request: Request, known: tuple[str, ...] | dict[str, str]) -> list[str]:
    values = request.query.get("fields")
    if not values or len(values) != 1 or not values[0]:
        raise ApiError(400, "invalid_params", "The fields query parameter is required.")
    fields = values[0].split(",")
    for name in fields:
        if name not in known:
            raise ApiError(400, "invalid_params", f"Unknown field: {name!r}.")
    return list(dict.fromkeys(fields))


# One public post: the publish it came from and which of its IDs (an inbox draft can give
# several posts).
Post = tuple[Publish, int]


def _public_posts(state: State, open_id: str) -> list[Post]:
    with state.lock:
        state.settle_all()
        posts = [
            (p, index)
            for p in state.iter_publishes(open_id)
            if p.status == "PUBLISH_COMPLETE"
            for index in range(len(p.post_ids))
        ]
    return sorted(posts, key=_ms, reverse=True)


def _public_since(publish: Publish) -> float:
    return publish.moderation_due_at or publish.finished_at or publish.created_at


def _counts(state: State, user: User, posts: list[Post], now: float) -> list[PostCounts]:
    """Counts of `posts` at `now`, in their order. A post's ordinal counts every public post
    of the creator, with or without its ID yet, oldest first, so it never changes once
    given."""
    with state.lock:
        everyone = sorted(
            ((p, index) for p in state.iter_publishes(user.open_id)
             if p.status == "PUBLISH_COMPLETE" for index in range(p.post_count)),
            key=_ms)
    ordinal = {(p.publish_id, index): n for n, (p, index) in enumerate(everyone)}
    seed = state.options.stats_seed
    return [
        post_counts(seed, user.username, ordinal.get((post[0].publish_id, post[1]), 0),
                    _public_since(post[0]), now)
        for post in posts
    ]


def _ms(post: Post) -> int:
    """A post's create time in UTC ms (the video/list cursor unit; unique per creator: the
    k-th post of a publish is k ms after it, and State.unique_time keeps those ms free)."""
    publish, index = post
    return round((publish.finished_at or publish.created_at) * 1000) + index


def handle_user_info(state: State, limiter: RateLimiter, request: Request,
                     base_url: str) -> Response:
    session = authenticate(state, limiter, request)
    fields = _fields(request, USER_FIELDS)
    for name in fields:
        require_scope(session, USER_FIELDS[name])
    user = session.user
    avatar = user.avatar_url
    posts = _public_posts(state, user.open_id)
    counted = (_counts(state, user, posts, request.now)
               if {"follower_count", "likes_count"} & set(fields) else [])
    profile_url = f"{base_url}/@{user.username}"
    values: dict[str, Any] = {
        "open_id": user.open_id,
        "union_id": user.union_id,
        "avatar_url": avatar,
        "avatar_url_100": avatar + "?size=100",
        "avatar_large_url": avatar + "?size=720",
        "display_name": user.nickname,
        "username": user.username,
        "bio_description": user.bio_description,
        "profile_deep_link": profile_url,
        "profile_web_link": profile_url,
        "is_verified": user.is_verified,
        "follower_count": user.follower_count + sum(c.followers_gained for c in counted),
        "following_count": user.following_count,
        "likes_count": user.likes_count + sum(c.like_count for c in counted),
        "video_count": len(posts),
    }
    return v2_ok({"user": {name: values[name] for name in fields}}, request.now)


def cannot_post_reason(state: State, user: User) -> str | None:
    """Why the creator cannot post now (one of the creator-cannot-post codes), or None."""
    if user.can_post is not None:
        return user.can_post
    if state.direct_posts_today(user.open_id) >= state.options.daily_post_cap:
        return "spam_risk_too_many_posts"
    return None


_CANNOT_POST_MESSAGES = {
    "spam_risk_too_many_posts": "The creator has reached the daily post cap. Try again later.",
    "spam_risk_user_banned_from_posting": "The creator is banned from posting.",
    "reached_active_user_cap": "The app has reached its active creator cap. Try again later.",
}


def cannot_post_error(status: int, code: str) -> ApiError:
    return ApiError(status, code, _CANNOT_POST_MESSAGES.get(code, "The creator cannot post now."))


def handle_creator_info(state: State, limiter: RateLimiter, request: Request) -> Response:
    session = authenticate(state, limiter, request)
    require_scope(session, "video.publish")
    parse_json_object(request, "invalid_params", allow_empty=True)
    with state.lock:
        user = session.user
        reason = cannot_post_reason(state, user)
        if reason is not None:
            raise cannot_post_error(200, reason)
        data = {
            "creator_avatar_url": user.avatar_url,
            "creator_username": user.username,
            "creator_nickname": user.nickname,
            "privacy_level_options": user.effective_privacy_options(),
            "comment_disabled": user.comment_disabled,
            "duet_disabled": user.duet_disabled or user.is_private,
            "stitch_disabled": user.stitch_disabled or user.is_private,
            "max_video_post_duration_sec": user.max_video_post_duration_sec,
        }
    return v2_ok(data, request.now)


def video_object(post: Post, user: User, base_url: str, counts: PostCounts) -> dict[str, Any]:
    publish, index = post
    post_id = str(publish.post_ids[index])
    title = str(publish.post_info.get("title", ""))
    link = f"{base_url}/@{user.username}/video/{post_id}"
    return {
        "id": post_id,
        "create_time": _ms(post) // 1000,
        "cover_image_url": f"{base_url}/__sandbox__/cover/{post_id}.svg",
        "share_url": link,
        "video_description": title[:150],
        "duration": round(publish.duration) if publish.media_checked else 15,
        "height": publish.height if publish.media_checked else 1920,
        "width": publish.width if publish.media_checked else 1080,
        "title": title[:150],
        "embed_html": f'<blockquote class="tiktok-embed" cite="{link}"></blockquote>',
        "embed_link": link,
        "like_count": counts.like_count,
        "comment_count": counts.comment_count,
        "share_count": counts.share_count,
        "view_count": counts.view_count,
        "is_aigc": bool(publish.post_info.get("is_aigc", False)),
    }


def _session_for_videos(state: State, limiter: RateLimiter,
                        request: Request) -> tuple[Session, list[str], dict[str, Any]]:
    session = authenticate(state, limiter, request)
    require_scope(session, "video.list")
    fields = _fields(request, VIDEO_FIELDS)
    body = parse_json_object(request, "invalid_params", allow_empty=True)
    return session, fields, body


def _int_param(body: dict[str, Any], name: str, default: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, "invalid_params", f"{name} must be an integer.")
    return value


def handle_video_list(state: State, limiter: RateLimiter, request: Request,
                      base_url: str) -> Response:
    session, fields, body = _session_for_videos(state, limiter, request)
    max_count = _int_param(body, "max_count", 10)
    if not 1 <= max_count <= 20:
        raise ApiError(400, "invalid_params", "max_count must be between 1 and 20.")
    cursor = _int_param(body, "cursor", int(request.now * 1000) + 1)
    if cursor < 0:
        raise ApiError(400, "invalid_params", "cursor must not be negative.")
    posts = [p for p in _public_posts(state, session.user.open_id) if _ms(p) < cursor]
    page = posts[:max_count]
    counts = _counts(state, session.user, page, request.now)
    videos = [
        {k: v for k, v in video_object(p, session.user, base_url, c).items() if k in fields}
        for p, c in zip(page, counts, strict=True)
    ]
    next_cursor = _ms(page[-1]) if page else cursor
    data = {"videos": videos, "cursor": next_cursor, "has_more": len(posts) > len(page)}
    return v2_ok(data, request.now)


def handle_video_query(state: State, limiter: RateLimiter, request: Request,
                       base_url: str) -> Response:
    session, fields, body = _session_for_videos(state, limiter, request)
    filters = body.get("filters")
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if (
        not isinstance(ids, list)
        or not 1 <= len(ids) <= 20
        or not all(isinstance(i, str) and i.isdigit() for i in ids)
    ):
        raise ApiError(
            400, "invalid_params", "filters.video_ids must be a list of 1 to 20 ID strings."
        )
    wanted = set(ids)
    found = [p for p in _public_posts(state, session.user.open_id)
             if str(p[0].post_ids[p[1]]) in wanted]
    counts = _counts(state, session.user, found, request.now)
    videos = [
        {k: v for k, v in video_object(p, session.user, base_url, c).items() if k in fields}
        for p, c in zip(found, counts, strict=True)
    ]
    return v2_ok({"videos": videos, "cursor": 0, "has_more": False}, request.now)
