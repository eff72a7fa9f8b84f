"""Error mapping: every documented code -> class, retryable, needs_reauth, a message."""

from __future__ import annotations

import pytest

from tiktok_desktop.tiktok import (
    FAIL_REASONS,
    OAUTH_ERRORS,
    V2_ERRORS,
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
    PublishStatus,
    RateLimited,
    ScopeNotAuthorized,
    ServerError,
    TikTokError,
    UnauditedClientPrivateOnly,
    UrlOwnershipUnverified,
    error_for_code,
    error_for_status,
    oauth_error,
    publish_failed,
)

# Section 6 and 4.x, verbatim: every code the docs list.
DOCUMENTED_V2 = {
    "access_token_invalid": (AccessTokenInvalid, True, False),
    "scope_not_authorized": (ScopeNotAuthorized, False, True),
    "scope_permission_missed": (ScopeNotAuthorized, False, True),
    "rate_limit_exceeded": (RateLimited, True, False),
    "internal_error": (ServerError, True, False),
    "invalid_file_upload": (InvalidRequest, False, False),
    "invalid_params": (InvalidRequest, False, False),
    "invalid_param": (InvalidRequest, False, False),
    "spam_risk_too_many_posts": (CreatorCannotPost, False, False),
    "spam_risk_user_banned_from_posting": (CreatorCannotPost, False, False),
    "reached_active_user_cap": (CreatorCannotPost, False, False),
    "spam_risk_too_many_pending_share": (PendingShareLimit, False, False),
    "unaudited_client_can_only_post_to_private_accounts":
        (UnauditedClientPrivateOnly, False, False),
    "url_ownership_unverified": (UrlOwnershipUnverified, False, False),
    "privacy_level_option_mismatch": (PrivacyLevelMismatch, False, False),
    "app_version_check_failed": (InvalidRequest, False, False),
    "invalid_publish_id": (PublishIdError, False, False),
    "token_not_authorized_for_specified_publish_id": (PublishIdError, False, False),
    "publish_not_cancellable": (PublishIdError, False, False),
}
DOCUMENTED_OAUTH = {
    "access_denied": (AuthorizationDenied, True),
    "invalid_client": (OAuthError, False),
    "invalid_grant": (OAuthError, True),
    "invalid_request": (OAuthError, False),
    "invalid_scope": (OAuthError, False),
    "unauthorized_client": (OAuthError, False),
    "unsupported_grant_type": (OAuthError, False),
    "unsupported_response_type": (OAuthError, False),
}
DOCUMENTED_FAIL = {
    "internal": True, "video_pull_failed": True, "photo_pull_failed": True,
    "file_format_check_failed": False, "duration_check_failed": False,
    "frame_rate_check_failed": False, "picture_size_check_failed": False,
    "video_bitrate_check_failed": False, "auth_removed": False,
    "spam_risk_too_many_posts": False, "spam_risk_user_banned_from_posting": False,
    "spam_risk_text": False, "spam_risk": False, "publish_cancelled": False,
}


def test_tables_cover_exactly_the_documented_codes() -> None:
    assert set(V2_ERRORS) == set(DOCUMENTED_V2)
    assert set(OAUTH_ERRORS) == set(DOCUMENTED_OAUTH)
    assert set(FAIL_REASONS) == set(DOCUMENTED_FAIL)


def _plain(exc: TikTokError, code: str) -> None:
    text = str(exc)
    assert text == exc.user_message
    assert len(text) > 30 and text[0].isupper() and text.endswith(".")
    # Plain language: no snake_case codes in what the user reads.
    assert "_" not in text
    if "_" in code:
        assert code not in text


@pytest.mark.parametrize("code", sorted(DOCUMENTED_V2))
def test_every_v2_code(code: str) -> None:
    cls, retryable, reauth = DOCUMENTED_V2[code]
    exc = error_for_code(code, http_status=403, log_id="L1", detail="TikTok text")
    assert type(exc) is cls
    assert (exc.code, exc.http_status, exc.log_id) == (code, 403, "L1")
    assert (exc.retryable, exc.needs_reauth) == (retryable, reauth)
    assert exc.detail == "TikTok text"
    assert "TikTok text" not in str(exc)
    _plain(exc, code)


@pytest.mark.parametrize("category", sorted(DOCUMENTED_OAUTH))
def test_every_oauth_category(category: str) -> None:
    cls, reauth = DOCUMENTED_OAUTH[category]
    exc = oauth_error(category, http_status=400, log_id="L2",
                      detail="Code verifier or code challenge is invalid.")
    assert type(exc) is cls
    assert isinstance(exc, OAuthError)
    assert exc.needs_reauth is reauth
    assert not exc.retryable
    assert "verifier" not in str(exc)
    _plain(exc, category)


@pytest.mark.parametrize("reason", sorted(DOCUMENTED_FAIL))
def test_every_fail_reason(reason: str) -> None:
    exc = publish_failed(reason, publish_id="v_pub_file~1")
    assert type(exc) is PublishFailed
    assert exc.retryable is DOCUMENTED_FAIL[reason]
    assert exc.needs_reauth is (reason == "auth_removed")
    assert exc.publish_id == "v_pub_file~1"
    _plain(exc, reason)
    status = PublishStatus(status="FAILED", fail_reason=reason)
    via_status = status.error("p")
    assert via_status is not None
    assert (via_status.code, via_status.retryable) == (reason, exc.retryable)


def test_unaudited_message_says_what_to_do() -> None:
    exc = error_for_code("unaudited_client_can_only_post_to_private_accounts", http_status=403)
    assert str(exc) == (
        "TikTok only lets unaudited apps post to private accounts: set the TikTok account to "
        "private or get the app audited.")


def test_access_token_invalid_asks_for_a_refresh_not_a_reconnect() -> None:
    exc = error_for_code("access_token_invalid", http_status=401)
    assert exc.needs_refresh and not exc.needs_reauth and exc.retryable


def test_rate_limited_carries_retry_after() -> None:
    exc = error_for_code("rate_limit_exceeded", http_status=429, retry_after=12.5)
    assert isinstance(exc, RateLimited)
    assert exc.retry_after == 12.5
    default = error_for_code("rate_limit_exceeded", http_status=429)
    assert isinstance(default, RateLimited)
    assert default.retry_after == 60.0  # one TikTok rate window


@pytest.mark.parametrize(("status", "cls", "retryable"), [
    (500, ServerError, True), (503, ServerError, True), (429, RateLimited, True),
    (401, AccessTokenInvalid, True), (400, ApiError, False), (404, ApiError, False),
])
def test_unknown_codes_fall_back_on_http_status(status: int, cls: type[TikTokError],
                                                retryable: bool) -> None:
    exc = error_for_code("brand_new_code", http_status=status)
    assert type(exc) is cls
    assert exc.retryable is retryable
    assert exc.code == "brand_new_code"
    assert "brand_new_code" not in str(exc)
    assert type(error_for_status(status)) is cls


def test_unknown_fail_reason_and_oauth_category() -> None:
    exc = publish_failed("something_new")
    assert exc.code == "something_new" and not exc.retryable
    assert "something" not in str(exc)
    assert type(oauth_error("new_category")) is OAuthError
    assert type(oauth_error("temporarily_unavailable", http_status=503)) is ServerError


def test_repr_is_for_logs_and_str_for_people() -> None:
    exc = error_for_code("privacy_level_option_mismatch", http_status=403, log_id="2024ABC",
                         detail="act.token-in-message")
    assert "privacy_level_option_mismatch" in repr(exc)
    assert "2024ABC" in repr(exc)
    assert "act.token-in-message" not in repr(exc)
    assert "act.token-in-message" not in str(exc)
