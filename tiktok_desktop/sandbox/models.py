"""Plain data of the sandbox: options, apps, users, grants, publishes and what tests read back.

Everything here is a dataclass that round-trips through JSON (``to_json`` / ``from_json``) so the
state survives a restart. Secrets (tokens, codes, upload tokens) are never stored in clear: the
records are keyed by the SHA-256 of the secret, which is all a lookup needs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "ALL_SCOPES",
    "CANNOT_POST_CODES",
    "FAIL_REASONS",
    "MAX_MODERATION_SECONDS",
    "PRIVACY_LEVELS",
    "PRIVATE_OPTIONS",
    "PUBLIC_OPTIONS",
    "UPLOAD_REPLY_BODIES",
    "App",
    "Call",
    "CodeRecord",
    "Grant",
    "Publish",
    "PublishInfo",
    "Received",
    "SandboxOptions",
    "TokenRecord",
    "User",
    "options_problem",
    "secret_hash",
]

# Scopes the sandbox knows (TIKTOK_API.md sections 1-4, 8). Anything else is `invalid_scope`.
ALL_SCOPES: tuple[str, ...] = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.publish",
    "video.upload",
    "video.list",
)
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
PUBLIC_OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
PRIVATE_OPTIONS = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
# creator_info answers these with HTTP 200; the inits with 403 (section 4.1, 4.2).
CANNOT_POST_CODES = (
    "spam_risk_too_many_posts",
    "spam_risk_user_banned_from_posting",
    "reached_active_user_cap",
)
# Section 4.5 (plus the "also seen" one) so control.set_fail_reason catches typos.
FAIL_REASONS = frozenset(
    {
        "internal",
        "video_pull_failed",
        "photo_pull_failed",
        "file_format_check_failed",
        "duration_check_failed",
        "frame_rate_check_failed",
        "picture_size_check_failed",
        "auth_removed",
        "spam_risk_too_many_posts",
        "spam_risk_user_banned_from_posting",
        "spam_risk_text",
        "spam_risk",
        "publish_cancelled",
        "video_bitrate_check_failed",
    }
)


def secret_hash(secret: str) -> str:
    """Key under which a secret is stored: its SHA-256 (the clear value is never persisted)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


UPLOAD_REPLY_BODIES = ("envelope", "empty", "random")
# Longest moderation delay the control API accepts (TikTok: "sometimes hours").
MAX_MODERATION_SECONDS = 7 * 86400.0


@dataclass
class SandboxOptions:
    """Knobs of the emulator; defaults follow TIKTOK_API.md (lifetimes: the November 2026 pages)."""

    access_token_lifetime: int = 7200  # 2 h
    refresh_token_lifetime: int = 180 * 86400  # 180 days
    auth_code_lifetime: int = 300
    upload_url_lifetime: int = 3600
    # Seconds between the last chunk and the final status.
    processing_seconds: float = 3.0
    # Seconds from PUBLISH_COMPLETE until a public post's ID shows in status/fetch, video/list
    # and video/query (TikTok's moderation; section 4.5). SELF_ONLY and other non-public posts
    # never get one.
    moderation_seconds: float = 180.0
    # Decode what was received (PyAV: probe plus a few frames) and fail the publish with
    # TikTok's fail_reason when it is not a video TikTok takes (section 5). Needs the bytes.
    media_checks: bool = True
    rate_limits_enabled: bool = True
    # Direct posts per creator in any rolling 24 h (shared across apps, like TikTok's cap).
    daily_post_cap: int = 15
    # Inbox shares per creator in any rolling 24 h that are still pending.
    pending_inbox_cap: int = 5
    # Distinct creators an unaudited client may post for in any rolling 24 h.
    unaudited_user_cap: int = 5
    # True: keep received bytes under state_dir/videos (until the publish no longer needs
    # them); False: only count + sha256 (then media_checks must be off).
    store_upload_bytes: bool = True
    # How the upload reply header `Content-Range: bytes 0-{X}/{TOTAL}` reports progress
    # (TIKTOK_API.md open question 8): "count" -> X = bytes received so far; "inclusive" ->
    # X = index of the last byte received (and `bytes */TOTAL` while nothing is received).
    # See upload.py. Clients should cope with both; tests can flip this.
    progress_end: Literal["count", "inclusive"] = "count"
    # Body of the upload PUT's replies. TikTok documents only the status and Content-Range:
    # "envelope" sends an informational v2 envelope, "empty" nothing, "random" random bytes
    # (fault modes, so no client comes to depend on the body).
    upload_reply_body: Literal["envelope", "empty", "random"] = "envelope"
    # Fault mode: OAuth errors (token, revoke) answered with HTTP 200 and the error body, as
    # reported against real TikTok.
    oauth_errors_http_200: bool = False
    # Seed of the counts public posts gain over time (growth.py): same seed, same numbers.
    stats_seed: int = 0
    # Socket timeout for a stalled client (a chunk that stops arriving counts as dropped).
    socket_timeout: float = 60.0

    def __post_init__(self) -> None:
        problem = options_problem(dataclasses.asdict(self))
        if problem is not None:
            raise ValueError(problem)


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def options_problem(values: dict[str, Any]) -> str | None:
    """Why these SandboxOptions values are invalid (one plain sentence), or None."""
    for name in ("access_token_lifetime", "refresh_token_lifetime", "auth_code_lifetime",
                 "upload_url_lifetime"):
        if name in values and (not isinstance(values[name], int) or isinstance(values[name], bool)
                               or not 1 <= values[name] <= 10 * 365 * 86400):
            return f"{name} must be a whole number of seconds from 1 to 10 years."
    if "stats_seed" in values and (not isinstance(values["stats_seed"], int)
                                   or isinstance(values["stats_seed"], bool)):
        return "stats_seed must be a whole number."
    for name in ("daily_post_cap", "pending_inbox_cap", "unaudited_user_cap"):
        if name in values and (not isinstance(values[name], int) or isinstance(values[name], bool)
                               or values[name] < 0):
            return f"{name} must be a whole number, 0 or more."
    if "processing_seconds" in values and (not _number(values["processing_seconds"])
                                           or values["processing_seconds"] < 0):
        return "processing_seconds must be a number of seconds, 0 or more."
    if "moderation_seconds" in values and (
            not _number(values["moderation_seconds"])
            or not 0 <= values["moderation_seconds"] <= MAX_MODERATION_SECONDS):
        return "moderation_seconds must be a number of seconds from 0 to 7 days."
    if "socket_timeout" in values and (not _number(values["socket_timeout"])
                                       or values["socket_timeout"] <= 0):
        return "socket_timeout must be a positive number of seconds."
    for name in ("media_checks", "rate_limits_enabled", "store_upload_bytes",
                 "oauth_errors_http_200"):
        if name in values and not isinstance(values[name], bool):
            return f"{name} must be true or false."
    if "progress_end" in values and values["progress_end"] not in ("count", "inclusive"):
        return "progress_end must be count or inclusive."
    if "upload_reply_body" in values and values["upload_reply_body"] not in UPLOAD_REPLY_BODIES:
        return "upload_reply_body must be envelope, empty or random."
    if values.get("media_checks") and values.get("store_upload_bytes") is False:
        return ("media_checks decode the received file, so store_upload_bytes must be on "
                "(or turn media_checks off).")
    return None


@dataclass
class App:
    client_key: str
    client_secret: str = field(repr=False)
    name: str
    redirect_uris: list[str]
    audited: bool = True
    scopes: list[str] = field(default_factory=lambda: list(ALL_SCOPES))

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> App:
        return cls(**data)


@dataclass
class User:
    open_id: str
    union_id: str
    username: str
    nickname: str
    is_private: bool = False
    comment_disabled: bool = False
    duet_disabled: bool = False
    stitch_disabled: bool = False
    max_video_post_duration_sec: int = 600
    # None, or one of CANNOT_POST_CODES (creator_info answers it with HTTP 200).
    can_post: str | None = None
    # None: derived from is_private (PUBLIC_OPTIONS / PRIVATE_OPTIONS).
    privacy_level_options: list[str] | None = None
    bio_description: str = ""
    is_verified: bool = False
    follower_count: int = 0
    following_count: int = 0
    likes_count: int = 0
    # Filled in at server start (the port changes between runs); not persisted.
    avatar_url: str = ""

    def effective_privacy_options(self) -> list[str]:
        if self.privacy_level_options is not None:
            return list(self.privacy_level_options)
        return list(PRIVATE_OPTIONS if self.is_private else PUBLIC_OPTIONS)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("avatar_url")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> User:
        return cls(**data)


@dataclass
class CodeRecord:
    """An authorization code (keyed by its hash)."""

    client_key: str
    open_id: str
    scopes: list[str]
    redirect_uri: str
    code_challenge: str
    expires_at: float
    used: bool = False
    grant_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CodeRecord:
        return cls(**data)


@dataclass
class Grant:
    """One user's authorization of one app; tokens hang off it and die with it."""

    grant_id: str
    client_key: str
    open_id: str
    scopes: list[str]
    created_at: float
    revoked: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grant:
        return cls(**data)


@dataclass
class TokenRecord:
    """An access or refresh token (keyed by its hash)."""

    grant_id: str
    expires_at: float
    revoked: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenRecord:
        return cls(**data)


@dataclass
class Publish:
    """One init (direct post or inbox share) and its upload task."""

    publish_id: str
    upload_id: str
    upload_token_hash: str
    mode: Literal["direct", "inbox"]
    client_key: str
    open_id: str
    post_info: dict[str, Any]
    video_size: int
    chunk_size: int
    total_chunk_count: int
    created_at: float
    upload_expires_at: float
    uploaded: int = 0
    chunks_received: int = 0
    sha256: str = hashlib.sha256().hexdigest()
    content_type: str | None = None
    upload_completed_at: float | None = None
    status: str = "PROCESSING_UPLOAD"
    fail_reason: str | None = None
    # Set by control.set_fail_reason; applied when processing finishes.
    forced_fail_reason: str | None = None
    post_ids: list[int] = field(default_factory=list)
    finished_at: float | None = None
    # The creator's max_video_post_duration_sec at init (the media check's duration limit).
    max_duration_sec: int = 600
    # TikTok's processing: the media check's verdict and what it read from the file.
    media_checked: bool = False
    media_fail_reason: str | None = None
    duration: float = 0.0
    width: int = 0
    height: int = 0
    # Moderation: a public post's IDs (post_count of them) appear at this time.
    moderation_due_at: float | None = None
    post_count: int = 0
    # Inbox drafts: "pending" in the creator's inbox, "finished" (posted from the TikTok app)
    # or "expired" (never finished); "forgotten": status/fetch no longer knows the publish_id.
    draft: str | None = None
    forgotten: bool = False

    @property
    def complete(self) -> bool:
        return self.uploaded == self.video_size

    def chunk_range(self, index: int) -> tuple[int, int]:
        """(FIRST, LAST) of chunk `index` per section 4.4; the final chunk takes the remainder."""
        first = index * self.chunk_size
        if index == self.total_chunk_count - 1:
            return first, self.video_size - 1
        return first, first + self.chunk_size - 1

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Publish:
        return cls(**data)


@dataclass(frozen=True)
class Received:
    """What the sandbox received for one publish_id."""

    publish_id: str
    size: int
    sha256: str
    path: Path | None
    complete: bool


@dataclass(frozen=True)
class PublishInfo:
    """A snapshot of a publish for tests and the profile page."""

    publish_id: str
    open_id: str
    client_key: str
    mode: str
    status: str
    fail_reason: str | None
    post_info: dict[str, Any]
    video_size: int
    uploaded_bytes: int
    sha256: str
    content_type: str | None
    post_ids: list[int]
    created_at: float
    upload_completed_at: float | None
    finished_at: float | None
    moderation_due_at: float | None = None
    draft: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Call:
    """One request as the call log saw it (path without query string: no secrets)."""

    method: str
    path: str
    status: int | None  # None: the connection was dropped without an answer
    error_code: str | None
    at: float
    # Which access token called (the first 16 hex digits of its SHA-256, never the token), so
    # per-token rates can be read back; None when the request had no bearer token.
    token_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
