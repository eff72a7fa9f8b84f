"""Content Posting: direct and inbox init, status/fetch and cancel (TIKTOK_API.md 4.2-4.6).

Decisions where TikTok's docs are silent (strict on purpose):
- Direct init accepts only the top-level keys ``post_info`` and ``source_info``; inbox init only
  ``source_info`` (whether TikTok takes ``post_info`` there is unconfirmed). Unknown keys inside
  ``post_info`` / ``source_info`` are ``invalid_param`` too, so a misspelt flag
  (``disable_comments``) fails here instead of being silently ignored by TikTok.
- Order of checks: auth (401) -> rate limit (429) -> scope (401) -> body (400) -> source
  PULL_FROM_URL (403) -> creator cannot post / daily cap (403) -> unaudited client rules (403)
  -> privacy option (403) -> pending inbox shares (403).
- The daily Direct Post cap counts accepted direct inits of the creator in the last 24 h across
  all apps. Pending inbox shares: inbox inits of the last 24 h that have not FAILED. The
  unaudited 5-creator cap (``reached_active_user_cap``) counts distinct creators with any init
  through that app in the last 24 h, and applies to both inits.
- ``max_video_post_duration_sec`` is enforced by processing (media.py): the creator's value at
  init is the limit, and a longer video ends FAILED with ``duration_check_failed``.
- status/fetch: ``fail_reason`` appears only when FAILED; ``publicaly_available_post_id`` is
  always a list: PUBLISH_COMPLETE first arrives with ``[]`` and a public post's ID appears
  ``moderation_seconds`` later (never for other privacy levels). An upload that never completes
  stays PROCESSING_UPLOAD (as stuck uploads do on TikTok): clients must bound their polling.
- Inbox drafts stay SEND_TO_USER_INBOX until the creator finishes them in the TikTok app
  (control.finish_draft: PUBLISH_COMPLETE, then IDs as above). A draft that expires
  unfinished keeps reporting SEND_TO_USER_INBOX: TikTok documents no status for it, so a
  client learns nothing and must bound its wait; ``forget`` plays TikTok no longer knowing
  the publish_id (``invalid_publish_id``; how long TikTok keeps one is unknown).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Literal

from .api import cannot_post_error, cannot_post_reason
from .guard import RateLimiter, Session, authenticate, require_scope
from .models import PRIVACY_LEVELS, Publish, secret_hash
from .rules import MAX_TITLE_UTF16, chunk_plan_error, utf16_len
from .state import State
from .wire import ApiError, Request, Response, parse_json_object, v2_ok

__all__ = ["UPLOAD_PATH", "handle_cancel", "handle_init", "handle_status"]

UPLOAD_PATH = "/upload/video/"
_BOOL_FIELDS = ("disable_comment", "disable_duet", "disable_stitch", "brand_content_toggle",
                "brand_organic_toggle", "is_aigc")
_POST_INFO_KEYS = frozenset({"privacy_level", "title", "video_cover_timestamp_ms", *_BOOL_FIELDS})
_INT32 = (-(2**31), 2**31 - 1)
_INT64_MAX = 2**63 - 1


def _bad(message: str) -> ApiError:
    return ApiError(400, "invalid_param", message)


def _validate_post_info(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad("post_info is required and must be an object.")
    unknown = sorted(set(value) - _POST_INFO_KEYS)
    if unknown:
        raise _bad(f"Unknown post_info field(s): {', '.join(unknown)}.")
    privacy = value.get("privacy_level")
    if privacy not in PRIVACY_LEVELS:
        raise _bad("post_info.privacy_level is required and must be a valid privacy level.")
    title = value.get("title", "")
    if not isinstance(title, str):
        raise _bad("post_info.title must be a string.")
    try:
        units = utf16_len(title)
    except UnicodeEncodeError:  # a lone surrogate ("\\ud83d" in the JSON): half a character
        raise _bad("post_info.title is not valid Unicode text.") from None
    if units > MAX_TITLE_UTF16:
        raise _bad("post_info.title is longer than 2200 UTF-16 code units.")
    for name in _BOOL_FIELDS:
        if name in value and not isinstance(value[name], bool):
            raise _bad(f"post_info.{name} must be a boolean.")
    if "brand_content_toggle" not in value:
        raise _bad("post_info.brand_content_toggle is required.")
    cover = value.get("video_cover_timestamp_ms", 0)
    if isinstance(cover, bool) or not isinstance(cover, int) or not _INT32[0] <= cover <= _INT32[1]:
        raise _bad("post_info.video_cover_timestamp_ms must be an int32.")
    if value["brand_content_toggle"] and privacy == "SELF_ONLY":
        raise _bad("Branded content visibility cannot be set to private (SELF_ONLY).")
    return dict(value)


def _int64(source: dict[str, Any], name: str) -> int:
    value = source.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _INT64_MAX:
        raise _bad(f"source_info.{name} is required and must be a positive integer.")
    return value


def _validate_source(value: object) -> tuple[int, int, int]:
    if not isinstance(value, dict):
        raise _bad("source_info is required and must be an object.")
    source = value.get("source")
    if source == "PULL_FROM_URL":
        unknown = sorted(set(value) - {"source", "video_url"})
        if unknown or not isinstance(value.get("video_url"), str) or not value["video_url"]:
            raise _bad("PULL_FROM_URL needs source_info.video_url and nothing else.")
        raise ApiError(
            403, "url_ownership_unverified", "The video_url is not under a verified domain."
        )
    if source != "FILE_UPLOAD":
        raise _bad("source_info.source must be FILE_UPLOAD or PULL_FROM_URL.")
    unknown = sorted(set(value) - {"source", "video_size", "chunk_size", "total_chunk_count"})
    if unknown:
        raise _bad(f"Unknown source_info field(s): {', '.join(unknown)}.")
    sizes = (
        _int64(value, "video_size"),
        _int64(value, "chunk_size"),
        _int64(value, "total_chunk_count"),
    )
    error = chunk_plan_error(*sizes)
    if error is not None:
        raise _bad(error)
    return sizes


def _check_creator(state: State, session: Session, mode: str, post_info: dict[str, Any]) -> None:
    """403 checks against the creator and the app, under the state lock."""
    user = session.user
    reason = cannot_post_reason(state, user) if mode == "direct" else user.can_post
    if reason is not None:
        raise cannot_post_error(403, reason)
    app = session.app
    if not app.audited:
        if mode == "direct" and (not user.is_private or post_info["privacy_level"] != "SELF_ONLY"):
            raise ApiError(
                403,
                "unaudited_client_can_only_post_to_private_accounts",
                "Unaudited clients can only post SELF_ONLY content to private accounts.",
            )
        active = state.active_users(app.client_key)
        if user.open_id not in active and len(active) >= state.options.unaudited_user_cap:
            raise cannot_post_error(403, "reached_active_user_cap")
    if mode == "direct" and post_info["privacy_level"] not in user.effective_privacy_options():
        raise ApiError(
            403,
            "privacy_level_option_mismatch",
            "privacy_level is not one of the creator's privacy_level_options.",
        )
    pending_cap = state.options.pending_inbox_cap
    if mode == "inbox" and state.pending_inbox_shares(user.open_id) >= pending_cap:
        raise ApiError(
            403,
            "spam_risk_too_many_pending_share",
            "The creator has too many pending inbox shares. Try again later.",
        )


def _digits(n: int) -> str:
    return str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))


def handle_init(state: State, limiter: RateLimiter, request: Request, base_url: str,
                mode: Literal["direct", "inbox"]) -> Response:
    session = authenticate(state, limiter, request)
    require_scope(session, "video.publish" if mode == "direct" else "video.upload")
    body = parse_json_object(request, "invalid_param")
    allowed = {"post_info", "source_info"} if mode == "direct" else {"source_info"}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise _bad(f"Unknown field(s): {', '.join(unknown)}.")
    post_info = _validate_post_info(body.get("post_info")) if mode == "direct" else {}
    video_size, chunk_size, total = _validate_source(body.get("source_info"))
    upload_token = secrets.token_urlsafe(32)
    with state.lock:
        session = Session(session.token_hash, session.grant, session.app,
                          state.users[session.user.open_id])
        _check_creator(state, session, mode, post_info)
        prefix = "v_pub_file~v2-1." if mode == "direct" else "v_inbox_file~v2."
        now = state.now()
        publish = Publish(
            publish_id=prefix + _digits(19),
            upload_id=_digits(19),
            upload_token_hash=secret_hash(upload_token),
            mode=mode,
            client_key=session.app.client_key,
            open_id=session.user.open_id,
            post_info=post_info,
            video_size=video_size,
            chunk_size=chunk_size,
            total_chunk_count=total,
            created_at=now,
            upload_expires_at=now + state.options.upload_url_lifetime,
            forced_fail_reason=state.next_fail_reason,
            max_duration_sec=session.user.max_video_post_duration_sec,
        )
        if state.next_fail_reason is not None:
            state.next_fail_reason = None
            state.save()
        state.publishes[publish.publish_id] = publish
        state.by_upload_id[publish.upload_id] = publish.publish_id
        state.hashers[publish.publish_id] = hashlib.sha256()
        state.save_publish(publish)
    state.sweep()
    upload_url = (
        f"{base_url}{UPLOAD_PATH}?upload_id={publish.upload_id}&upload_token={upload_token}"
    )
    return v2_ok({"publish_id": publish.publish_id, "upload_url": upload_url}, request.now)


def _owned_publish(state: State, session: Session, body: dict[str, Any]) -> Publish:
    publish_id = body.get("publish_id")
    if not isinstance(publish_id, str) or not publish_id:
        raise ApiError(400, "invalid_params", "publish_id is required.")
    publish = state.publishes.get(publish_id)
    if publish is None or publish.forgotten:
        raise ApiError(400, "invalid_publish_id", "The publish_id does not exist.")
    if publish.client_key != session.app.client_key or publish.open_id != session.user.open_id:
        raise ApiError(
            400,
            "token_not_authorized_for_specified_publish_id",
            "The access token is not authorized for this publish_id.",
        )
    return publish


def handle_status(state: State, limiter: RateLimiter, request: Request) -> Response:
    session = authenticate(state, limiter, request)
    require_scope(session, "video.upload", "video.publish")
    body = parse_json_object(request, "invalid_params")
    with state.lock:
        publish = _owned_publish(state, session, body)
        state.settle(publish)
        data: dict[str, Any] = {
            "status": publish.status,
            "publicaly_available_post_id": list(publish.post_ids),
            "uploaded_bytes": publish.uploaded,
        }
        if publish.status == "FAILED":
            data["fail_reason"] = publish.fail_reason
    return v2_ok(data, request.now)


def handle_cancel(state: State, limiter: RateLimiter, request: Request) -> Response:
    session = authenticate(state, limiter, request)
    require_scope(session, "video.upload", "video.publish")
    body = parse_json_object(request, "invalid_params")
    with state.lock:
        _owned_publish(state, session, body)
    # Only PULL_FROM_URL downloads can be cancelled; the sandbox has FILE_UPLOAD only.
    raise ApiError(400, "publish_not_cancellable", "FILE_UPLOAD publishes cannot be cancelled.")
