"""The tables: every documented TikTok code -> exception class, retry/re-auth, user message.

Sources: TIKTOK_API.md sections 2 (OAuth categories), 6 (v2 codes) and 4.5 (fail_reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import (
    AccessTokenInvalid,
    ApiError,
    AuthorizationDenied,
    CreatorCannotPost,
    InvalidRequest,
    OAuthError,
    PendingShareLimit,
    PrivacyLevelMismatch,
    PublishFailed,
    PublishIdError,
    RateLimited,
    ScopeNotAuthorized,
    ServerError,
    TikTokError,
    UnauditedClientPrivateOnly,
    UrlOwnershipUnverified,
)

__all__ = ["FAIL_REASONS", "OAUTH_ERRORS", "V2_ERRORS", "ErrorSpec", "error_for_code",
           "error_for_status", "oauth_error", "publish_failed"]


# --- the tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorSpec:
    """What a code means for the app: which class, whether to retry or reconnect, what to say."""

    cls: type[TikTokError]
    retryable: bool
    needs_reauth: bool
    message: str


_BUG = "this is likely a bug in the app, please report it"

OAUTH_ERRORS: dict[str, ErrorSpec] = {
    "access_denied": ErrorSpec(
        AuthorizationDenied, False, True,
        "The TikTok authorization was cancelled or denied: connect the account again and "
        "press Authorize on TikTok's page."),
    "invalid_client": ErrorSpec(
        OAuthError, False, False,
        "TikTok did not accept the app's client key or client secret: check the TikTok app "
        "credentials in Settings."),
    "invalid_grant": ErrorSpec(
        OAuthError, False, True,
        "TikTok no longer accepts this account's authorization (it expired, was already used "
        "or was revoked): connect the account again."),
    "invalid_request": ErrorSpec(
        OAuthError, False, False,
        f"TikTok rejected the sign-in request as malformed: try connecting again; {_BUG}."),
    "invalid_scope": ErrorSpec(
        OAuthError, False, False,
        "The app asked TikTok for a permission the TikTok app is not approved for: enable the "
        "scopes (user.info.basic, video.publish, video.upload) in the TikTok developer portal."),
    "unauthorized_client": ErrorSpec(
        OAuthError, False, False,
        "This TikTok app may not sign in this way: check Login Kit for Desktop and the "
        "redirect URI (http://127.0.0.1:*/callback/) in the TikTok developer portal."),
    "unsupported_grant_type": ErrorSpec(
        OAuthError, False, False, f"TikTok rejected the token request type: {_BUG}."),
    "unsupported_response_type": ErrorSpec(
        OAuthError, False, False, f"TikTok rejected the sign-in response type: {_BUG}."),
}

_DAILY_CAP = ("This TikTok account has reached TikTok's daily posting limit: try again in "
              "24 hours.")
_BANNED = ("TikTok has blocked this account from posting right now: check the account in the "
           "TikTok app, then try again later.")

V2_ERRORS: dict[str, ErrorSpec] = {
    "access_token_invalid": ErrorSpec(
        AccessTokenInvalid, True, False,
        "The TikTok session expired: the app refreshes it automatically; if that keeps "
        "failing, connect the account again."),
    "scope_not_authorized": ErrorSpec(
        ScopeNotAuthorized, False, True,
        "The TikTok account did not grant a permission this action needs: connect the account "
        "again and leave all requested permissions switched on."),
    "scope_permission_missed": ErrorSpec(
        ScopeNotAuthorized, False, True,
        "The TikTok account did not grant a permission this information needs: connect the "
        "account again and leave all requested permissions switched on."),
    "rate_limit_exceeded": ErrorSpec(
        RateLimited, True, False,
        "TikTok is limiting how often the app may ask: it will try again in a minute."),
    "internal_error": ErrorSpec(
        ServerError, True, False,
        "TikTok had a temporary server problem: the app will try again shortly."),
    "invalid_file_upload": ErrorSpec(
        InvalidRequest, False, False,
        "TikTok rejected the file upload request: check that the video is MP4, MOV or WebM "
        "and at most 4 GB."),
    "invalid_params": ErrorSpec(
        InvalidRequest, False, False,
        f"TikTok rejected the request's parameters (video size, chunks or post settings): "
        f"{_BUG}."),
    "invalid_param": ErrorSpec(
        InvalidRequest, False, False,
        f"TikTok rejected the request's parameters (video size, chunks or post settings): "
        f"{_BUG}."),
    "spam_risk_too_many_posts": ErrorSpec(CreatorCannotPost, False, False, _DAILY_CAP),
    "spam_risk_user_banned_from_posting": ErrorSpec(CreatorCannotPost, False, False, _BANNED),
    "reached_active_user_cap": ErrorSpec(
        CreatorCannotPost, False, False,
        "This TikTok app has reached its limit of active creators for today: try again "
        "later, or raise the cap in the TikTok developer portal."),
    "spam_risk_too_many_pending_share": ErrorSpec(
        PendingShareLimit, False, False,
        "Too many videos are waiting in this account's TikTok inbox: open TikTok, post or "
        "delete the pending drafts, then try again."),
    "unaudited_client_can_only_post_to_private_accounts": ErrorSpec(
        UnauditedClientPrivateOnly, False, False,
        "TikTok only lets unaudited apps post to private accounts: set the TikTok account to "
        "private or get the app audited."),
    "url_ownership_unverified": ErrorSpec(
        UrlOwnershipUnverified, False, False,
        "TikTok only pulls videos from a verified domain: upload the file from this computer "
        "instead."),
    "privacy_level_option_mismatch": ErrorSpec(
        PrivacyLevelMismatch, False, False,
        "The chosen privacy setting is not offered for this TikTok account any more: open the "
        "post and pick one of the account's current privacy options."),
    "app_version_check_failed": ErrorSpec(
        InvalidRequest, False, False,
        "The TikTok app on the phone is too old for this kind of post: update TikTok and try "
        "again."),
    "invalid_publish_id": ErrorSpec(
        PublishIdError, False, False,
        "TikTok does not know this post (any more): check the TikTok profile to see whether "
        "it was posted."),
    "token_not_authorized_for_specified_publish_id": ErrorSpec(
        PublishIdError, False, False,
        "This post was started with a different TikTok authorization: check the TikTok "
        "profile to see whether it was posted."),
    "publish_not_cancellable": ErrorSpec(
        PublishIdError, False, False,
        "This upload can no longer be cancelled: TikTok has already taken it."),
}

_REEXPORT = "TikTok could not process the video file"
FAIL_REASONS: dict[str, ErrorSpec] = {
    "internal": ErrorSpec(
        PublishFailed, True, False,
        "TikTok had an internal problem while processing the video: post it again."),
    "video_pull_failed": ErrorSpec(
        PublishFailed, True, False,
        "TikTok could not fetch the video from its URL: post it again."),
    "photo_pull_failed": ErrorSpec(
        PublishFailed, True, False,
        "TikTok could not fetch the photos from their URLs: post them again."),
    "file_format_check_failed": ErrorSpec(
        PublishFailed, False, False,
        f"{_REEXPORT} (format check failed): export it as MP4 with H.264 video and try "
        f"again."),
    "duration_check_failed": ErrorSpec(
        PublishFailed, False, False,
        f"{_REEXPORT}: its length is outside what this account may post; trim it and try "
        f"again."),
    "frame_rate_check_failed": ErrorSpec(
        PublishFailed, False, False,
        f"{_REEXPORT}: its frame rate is outside 23-60 fps; export it again at e.g. 30 fps."),
    "picture_size_check_failed": ErrorSpec(
        PublishFailed, False, False,
        f"{_REEXPORT}: its resolution or shape is outside TikTok's limits (360-4096 px, "
        f"between 9:16 and 16:9); export it again."),
    "video_bitrate_check_failed": ErrorSpec(
        PublishFailed, False, False,
        f"{_REEXPORT}: its bitrate is outside TikTok's limits; export it again with a "
        f"standard bitrate."),
    "auth_removed": ErrorSpec(
        PublishFailed, False, True,
        "Access to the TikTok account was removed while the video was being posted: connect "
        "the account again, then post it again."),
    "spam_risk_too_many_posts": ErrorSpec(PublishFailed, False, False, _DAILY_CAP),
    "spam_risk_user_banned_from_posting": ErrorSpec(PublishFailed, False, False, _BANNED),
    "spam_risk_text": ErrorSpec(
        PublishFailed, False, False,
        "TikTok flagged the caption as spam: change the caption and post again."),
    "spam_risk": ErrorSpec(
        PublishFailed, False, False,
        "TikTok flagged this post as a spam risk and did not publish it: check the video and "
        "caption, and try again later."),
    "publish_cancelled": ErrorSpec(
        PublishFailed, False, False, "The post was cancelled on TikTok."),
}


def _from_spec(spec: ErrorSpec, code: str, *, http_status: int | None,
               log_id: str | None, detail: str | None) -> TikTokError:
    return spec.cls(spec.message, code=code, retryable=spec.retryable,
                    needs_reauth=spec.needs_reauth, http_status=http_status, log_id=log_id,
                    detail=detail)


def error_for_status(http_status: int, *, code: str | None = None, log_id: str | None = None,
                     detail: str | None = None, retry_after: float | None = None) -> TikTokError:
    """An error for an HTTP status when the body carries no code we know."""
    if http_status == 429:
        return RateLimited(code=code, http_status=429, log_id=log_id, detail=detail,
                           retry_after=60.0 if retry_after is None else retry_after)
    if http_status >= 500:
        return ServerError(code=code, http_status=http_status, log_id=log_id, detail=detail)
    if http_status == 401:
        return AccessTokenInvalid(V2_ERRORS["access_token_invalid"].message, code=code,
                                  http_status=401, log_id=log_id, detail=detail)
    return ApiError(
        f"TikTok refused the request (HTTP {http_status}): try again later; {_BUG} if it "
        f"persists.", code=code, http_status=http_status, log_id=log_id, detail=detail)


def error_for_code(code: str, *, http_status: int | None = None, log_id: str | None = None,
                   detail: str | None = None, retry_after: float | None = None) -> TikTokError:
    """The exception for a v2 ``error.code`` (falls back on the HTTP status for unknown codes)."""
    spec = V2_ERRORS.get(code)
    if spec is None:
        return error_for_status(http_status or 400, code=code, log_id=log_id, detail=detail,
                                retry_after=retry_after)
    if spec.cls is RateLimited:
        wait = 60.0 if retry_after is None else retry_after
        return RateLimited(spec.message, code=code, http_status=http_status, log_id=log_id,
                           detail=detail, retry_after=wait)
    return _from_spec(spec, code, http_status=http_status, log_id=log_id, detail=detail)


def oauth_error(category: str, *, http_status: int | None = None, log_id: str | None = None,
                detail: str | None = None) -> TikTokError:
    """The exception for an OAuth error category (``error`` of the flat OAuth shape)."""
    spec = OAUTH_ERRORS.get(category)
    if spec is None:
        if http_status is not None and (http_status >= 500 or http_status == 429):
            return error_for_status(http_status, code=category, log_id=log_id, detail=detail)
        return OAuthError(code=category, http_status=http_status, log_id=log_id, detail=detail)
    return _from_spec(spec, category, http_status=http_status, log_id=log_id, detail=detail)


def publish_failed(fail_reason: str, *, publish_id: str | None = None) -> PublishFailed:
    """The exception for status ``FAILED`` with this ``fail_reason``."""
    spec = FAIL_REASONS.get(fail_reason)
    if spec is None:
        exc = PublishFailed(
            "TikTok could not publish the video and gave a reason this app does not know: "
            "check the video and try again.", code=fail_reason)
    else:
        exc = PublishFailed(spec.message, code=fail_reason, retryable=spec.retryable,
                            needs_reauth=spec.needs_reauth)
    exc.publish_id = publish_id
    return exc
