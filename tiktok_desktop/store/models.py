"""Rows the store hands out: plain frozen dataclasses, no SQLite types leak out."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any


class AccountStatus(enum.StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class PostMode(enum.StrEnum):
    DIRECT = "direct"  # posted straight to the profile (video.publish)
    INBOX = "inbox"  # sent to the creator's TikTok inbox to finish there (video.upload)


class PostState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PREPARING = "preparing"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    PUBLISHED = "published"
    # TikTok published it (PUBLISH_COMPLETE) but gives its ID and link only after moderation:
    # the engine asks again on a backoff (schema V5).
    IN_REVIEW = "in_review"
    IN_INBOX = "in_inbox"  # waiting in the creator's TikTok inbox; followed until finished
    DRAFT_LAPSED = "draft_lapsed"  # the inbox draft was not finished in time (or TikTok forgot it)
    UNCONFIRMED = "unconfirmed"  # status polling ran out: check TikTok, never repost blindly
    NEEDS_REVIEW = "needs_review"  # creator settings changed since the user consented
    NEEDS_RECONNECT = "needs_reconnect"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    MISSED = "missed"  # overdue beyond the grace period when the app came back


class PostStep(enum.StrEnum):
    """How far a publish got at TikTok (the engine's resume point; see migrations.V2_ENGINE)."""

    INIT = "init"  # an init may be in flight; no publish_id yet
    UPLOAD = "upload"  # publish_id stored; only non-final chunks may have been sent
    FINAL = "final"  # the last chunk may have been sent: TikTok may have the post; never re-init
    POLL = "poll"  # TikTok has every byte; only status/fetch remains

    @property
    def may_be_accepted(self) -> bool:
        return self in (PostStep.FINAL, PostStep.POLL)


@dataclass(frozen=True)
class Account:
    id: int
    open_id: str
    display_name: str
    username: str
    avatar_url: str
    granted_scopes: frozenset[str]
    access_expires_at: int | None
    refresh_expires_at: int | None
    status: AccountStatus
    creator_info: dict[str, Any] | None
    creator_info_at: int | None
    created_at: int
    updated_at: int
    # Why TikTok Desktop asks for a reconnect (schema V5), in words; "" when connected.
    reconnect_reason: str = ""
    # When a token refresh went out and no answer came back (TikTok may have rotated the
    # refresh token meanwhile); cleared by the next answer.
    refresh_unanswered_at: int | None = None

    @property
    def is_private(self) -> bool | None:
        """Whether the TikTok account is private, from its last creator_info (None: unknown).
        Private accounts are offered "Followers" instead of "Everyone" (TIKTOK_API.md 4.1)."""
        options = (self.creator_info or {}).get("privacy_level_options")
        if not isinstance(options, list) or not options:
            return None
        return "PUBLIC_TO_EVERYONE" not in options

    @property
    def label(self) -> str:
        """How the UI names the account: nickname and @username when both are known."""
        if self.display_name and self.username:
            return f"{self.display_name} (@{self.username})"
        return self.display_name or (f"@{self.username}" if self.username else self.open_id)


@dataclass(frozen=True)
class NewPost:
    """What the composer hands the store; ids, state and times are the store's business."""

    account_id: int
    video_path: str
    video_size: int
    video_sha256: str = ""
    video_meta: dict[str, Any] = field(default_factory=dict)
    caption: str = ""
    privacy_level: str | None = None
    allow_comment: bool = False
    allow_duet: bool = False
    allow_stitch: bool = False
    disclose_commercial: bool = False
    brand_organic: bool = False
    brand_content: bool = False
    is_aigc: bool = False
    cover_time_ms: int | None = None
    mode: PostMode = PostMode.DIRECT
    due_at: int | None = None
    due_tz: str = ""
    consent_at: int | None = None


@dataclass(frozen=True)
class Post:
    id: int
    account_id: int
    video_path: str
    video_size: int
    video_sha256: str
    video_meta: dict[str, Any]
    caption: str
    privacy_level: str | None
    allow_comment: bool
    allow_duet: bool
    allow_stitch: bool
    disclose_commercial: bool
    brand_organic: bool
    brand_content: bool
    is_aigc: bool
    cover_time_ms: int | None
    mode: PostMode
    due_at: int | None
    due_tz: str
    state: PostState
    retry_state: PostState | None
    attempt_count: int
    next_attempt_at: int | None
    publish_id: str | None
    bytes_uploaded: int
    post_ids: tuple[str, ...]
    share_url: str | None
    last_error_code: str | None
    last_error_message: str | None
    consent_at: int | None
    published_at: int | None
    created_at: int
    updated_at: int
    # Engine bookkeeping (schema V2); defaults keep older constructors working.
    step: PostStep | None = None
    upload_expires_at: int | None = None
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    # Schema V5: when TikTok accepted the init (TikTok's caps count inits per 24 h), and when
    # the engine stops following a post in review or in the inbox.
    sent_at: int | None = None
    follow_until: int | None = None


@dataclass(frozen=True)
class PostEvent:
    id: int
    post_id: int
    at: int
    state: PostState
    detail: str


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
