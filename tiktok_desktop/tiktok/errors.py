"""TikTok error codes -> one exception hierarchy.

Every exception carries: ``code`` (TikTok's error code, OAuth category or fail_reason),
``http_status``, ``log_id`` (TikTok's request id, for support), ``user_message`` (plain
language with the remedy), ``retryable`` (the same request may succeed later without the user
doing anything), ``needs_reauth`` (the user must connect the account again in the browser) and
``needs_refresh`` (refresh the access token, then retry).

``str(exc)`` is the user message only: never a token, an authorization code, a secret, or
TikTok's free-text ``message`` (kept in ``detail`` for logs). Which code maps to which class,
and what to tell the user, is in error_codes.py.
"""

from __future__ import annotations

from typing import TypedDict, Unpack

__all__ = [
    "AccessTokenInvalid",
    "ApiError",
    "AuthorizationDenied",
    "CreatorCannotPost",
    "ErrorFields",
    "InterceptedError",
    "InvalidRequest",
    "NetworkError",
    "OAuthError",
    "PendingShareLimit",
    "PrivacyLevelMismatch",
    "ProtocolError",
    "PublishFailed",
    "PublishIdError",
    "RateLimited",
    "ScopeNotAuthorized",
    "ServerError",
    "StateMismatch",
    "TikTokError",
    "UnauditedClientPrivateOnly",
    "UnsupportedContainer",
    "UploadCancelled",
    "UploadError",
    "UploadInterrupted",
    "UploadRejected",
    "UploadTaskNotFound",
    "UploadUrlExpired",
    "UrlOwnershipUnverified",
    "VideoFileChanged",
    "VideoSizeError",
]


class ErrorFields(TypedDict, total=False):
    """The keyword arguments every TikTokError accepts (for subclasses' ``**kwargs``)."""

    code: str | None
    http_status: int | None
    log_id: str | None
    detail: str | None
    retryable: bool | None
    needs_reauth: bool | None
    needs_refresh: bool | None


class TikTokError(Exception):
    """Base of everything the TikTok client raises."""

    default_message = "Something went wrong while talking to TikTok."
    default_retryable = False
    default_needs_reauth = False
    default_needs_refresh = False

    def __init__(
        self,
        user_message: str | None = None,
        *,
        code: str | None = None,
        http_status: int | None = None,
        log_id: str | None = None,
        detail: str | None = None,
        retryable: bool | None = None,
        needs_reauth: bool | None = None,
        needs_refresh: bool | None = None,
    ) -> None:
        self.user_message = user_message or self.default_message
        super().__init__(self.user_message)
        self.code = code
        self.http_status = http_status
        self.log_id = log_id
        # TikTok's own free text: useful in logs, never shown as str() (it is not ours).
        self.detail = detail
        self.retryable = self.default_retryable if retryable is None else retryable
        self.needs_reauth = self.default_needs_reauth if needs_reauth is None else needs_reauth
        self.needs_refresh = (
            self.default_needs_refresh if needs_refresh is None else needs_refresh
        )

    def __str__(self) -> str:
        return self.user_message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, http_status={self.http_status!r}, "
            f"log_id={self.log_id!r}, retryable={self.retryable}, "
            f"needs_reauth={self.needs_reauth})"
        )


# --- OAuth (flat {"error": ..., "error_description": ...}) -------------------------------


class OAuthError(TikTokError):
    """A token/refresh/revoke/authorize failure with an OAuth error category as ``code``."""

    default_message = "TikTok refused the sign-in: connect the account again."


class AuthorizationDenied(OAuthError):
    """The consent page sent the browser back without a code: the user pressed Cancel
    (``access_denied``), or TikTok refused the request (the callback's ``error``)."""


class StateMismatch(OAuthError):
    """The callback's ``state`` is not the one we sent: a stale or forged redirect."""

    default_message = (
        "The TikTok sign-in reply did not match this request (it may be from an older attempt): "
        "start connecting the account again."
    )
    default_needs_reauth = True


# --- v2 envelope errors -------------------------------------------------------------------


class ApiError(TikTokError):
    """A v2 ``error.code`` other than ``ok`` that has no more specific class."""


class AccessTokenInvalid(ApiError):
    default_retryable = True
    default_needs_refresh = True


class ScopeNotAuthorized(ApiError):
    default_needs_reauth = True


class RateLimited(ApiError):
    """HTTP 429 ``rate_limit_exceeded``: wait ``retry_after`` seconds (TikTok's windows are 1 min).

    Raised rather than slept on, so the engine can schedule the retry instead of blocking.
    """

    default_retryable = True

    def __init__(self, user_message: str | None = None, *, retry_after: float = 60.0,
                 **kwargs: Unpack[ErrorFields]) -> None:
        super().__init__(user_message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """TikTok 5xx / ``internal_error``: transient."""

    default_message = "TikTok had a temporary server problem: the app will try again shortly."
    default_retryable = True


class InvalidRequest(ApiError):
    """TikTok says the request itself is wrong: a bug or bad input, never fixed by repeating."""


class CreatorCannotPost(ApiError):
    """The creator cannot post now (creator_info answers these with HTTP 200)."""


class PendingShareLimit(ApiError):
    pass


class UnauditedClientPrivateOnly(ApiError):
    pass


class PrivacyLevelMismatch(ApiError):
    pass


class UrlOwnershipUnverified(ApiError):
    pass


class PublishIdError(ApiError):
    """The publish_id is unknown, belongs to another token, or cannot be cancelled."""


# --- transport and protocol ---------------------------------------------------------------


class NetworkError(TikTokError):
    """No (complete) HTTP answer: DNS, connect, reset, timeout."""

    default_message = (
        "Could not reach TikTok (network problem or timeout): the app will try again; "
        "check the internet connection if this persists."
    )
    default_retryable = True


class ProtocolError(TikTokError):
    """TikTok answered something this client does not understand (not JSON, missing fields)."""

    default_message = (
        "TikTok sent an answer this app does not understand: try again later, and report a "
        "bug if it keeps happening."
    )


class InterceptedError(NetworkError):
    """Something between the app and TikTok answered instead of TikTok: a web page (HTML or
    any non-JSON body) with a 2xx status, or a redirect, from an API endpoint, which TikTok's
    API never sends. A hotel or airport Wi-Fi sign-in page (captive portal) or a proxy does.

    A network condition, so retryable like NetworkError: the request did not reach TikTok.
    """

    default_message = (
        "Something on the network answered instead of TikTok (a Wi-Fi sign-in page or a "
        "proxy): sign in to the network in a browser or check the proxy settings; the app "
        "will try again."
    )


# --- upload -------------------------------------------------------------------------------


class UploadError(TikTokError):
    """Base of upload-specific failures."""

    default_message = "The video upload to TikTok failed."


class UploadUrlExpired(UploadError):
    """403 on the PUT: the upload URL (valid 1 h) expired. Not retryable with this URL."""

    default_message = (
        "TikTok's upload link expired before the video finished uploading (links last one "
        "hour): the post has to be started again."
    )


class UploadTaskNotFound(UploadError):
    """404 on the PUT: TikTok has no upload task for this URL."""

    default_message = (
        "TikTok no longer knows this upload (404): the post has to be started again."
    )


class UploadRejected(UploadError):
    """400 on the PUT: headers or Content-Length rejected. A client bug, not transient."""

    default_message = (
        "TikTok rejected the uploaded data as malformed: this is a bug in the app, please "
        "report it."
    )


class UploadInterrupted(UploadError):
    """Per-chunk retries ran out (5xx / network). ``offset`` is the server-confirmed progress."""

    default_message = (
        "The upload to TikTok kept failing (network or server problem): it will resume from "
        "where it stopped."
    )
    default_retryable = True

    def __init__(self, user_message: str | None = None, *, offset: int = 0,
                 **kwargs: Unpack[ErrorFields]) -> None:
        super().__init__(user_message, **kwargs)
        self.offset = offset


class UploadCancelled(UploadError):
    default_message = "The upload was cancelled."

    def __init__(self, user_message: str | None = None, *, offset: int = 0,
                 **kwargs: Unpack[ErrorFields]) -> None:
        super().__init__(user_message, **kwargs)
        self.offset = offset


class VideoSizeError(UploadError):
    """The file cannot be uploaded as-is (empty, > 4 GB, or would need > 1000 chunks)."""


class VideoFileChanged(VideoSizeError):
    """The bytes read while uploading are not the video checked when the post was scheduled
    (edited in place, replaced through a hard link, cut short): the upload stopped before
    TikTok could have the whole last chunk. ``code`` is ``video_file_changed``.

    A VideoSizeError, so callers that refuse a file TikTok cannot take refuse this one too.
    """

    default_message = (
        "The video file changed after the post was scheduled, so it was not sent to TikTok. "
        "Check it is the video you want and schedule it again."
    )

    def __init__(self, user_message: str | None = None, *, name: str | None = None,
                 **kwargs: Unpack[ErrorFields]) -> None:
        if user_message is None and name:
            user_message = (
                f"The video file \u201c{name}\u201d changed after the post was scheduled, so "
                "it was not sent to TikTok. Check it is the video you want and schedule it "
                "again.")
        kwargs.setdefault("code", "video_file_changed")
        super().__init__(user_message, **kwargs)


class UnsupportedContainer(UploadError):
    default_message = "TikTok accepts MP4, MOV or WebM files only: convert the video first."


# --- status/fetch FAILED ------------------------------------------------------------------


class PublishFailed(TikTokError):
    """status/fetch said FAILED; ``code`` is the fail_reason."""

    default_message = "TikTok could not publish the video."
    publish_id: str | None = None
