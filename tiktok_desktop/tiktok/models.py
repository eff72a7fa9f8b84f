"""Plain dataclasses for what the v2 API takes and returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .error_codes import publish_failed
from .errors import PublishFailed

__all__ = [
    "DEFAULT_USER_FIELDS",
    "DEFAULT_VIDEO_FIELDS",
    "PRIVACY_LEVELS",
    "TITLE_MAX_UTF16",
    "CreatorInfo",
    "PostInfo",
    "PublishStatus",
    "PublishTicket",
    "UserInfo",
    "Video",
    "VideoPage",
    "utf16_length",
]

PRIVACY_LEVELS = frozenset(
    {"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"})
TITLE_MAX_UTF16 = 2200
DEFAULT_USER_FIELDS = ("open_id", "union_id", "avatar_url", "display_name")
DEFAULT_VIDEO_FIELDS = ("id", "title", "video_description", "create_time", "cover_image_url",
                        "share_url", "duration", "width", "height")


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of TikTok's title limit."""
    return len(text.encode("utf-16-le")) // 2


def _str(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class UserInfo:
    """user/info; fields not requested (or not granted) are None."""

    open_id: str | None = None
    union_id: str | None = None
    avatar_url: str | None = None
    avatar_url_100: str | None = None
    avatar_large_url: str | None = None
    display_name: str | None = None
    username: str | None = None
    bio_description: str | None = None
    profile_deep_link: str | None = None
    profile_web_link: str | None = None
    is_verified: bool | None = None
    follower_count: int | None = None
    following_count: int | None = None
    likes_count: int | None = None
    video_count: int | None = None

    @classmethod
    def from_data(cls, user: Mapping[str, Any]) -> UserInfo:
        return cls(
            open_id=_str(user, "open_id"), union_id=_str(user, "union_id"),
            avatar_url=_str(user, "avatar_url"), avatar_url_100=_str(user, "avatar_url_100"),
            avatar_large_url=_str(user, "avatar_large_url"),
            display_name=_str(user, "display_name"), username=_str(user, "username"),
            bio_description=_str(user, "bio_description"),
            profile_deep_link=_str(user, "profile_deep_link"),
            profile_web_link=_str(user, "profile_web_link"),
            is_verified=_bool(user, "is_verified"),
            follower_count=_int(user, "follower_count"),
            following_count=_int(user, "following_count"),
            likes_count=_int(user, "likes_count"), video_count=_int(user, "video_count"),
        )


@dataclass(frozen=True)
class CreatorInfo:
    """creator_info/query: who will post, and what the composer may offer."""

    nickname: str
    username: str
    avatar_url: str
    privacy_level_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_video_post_duration_sec: int

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CreatorInfo:
        options = data.get("privacy_level_options")
        max_duration = _int(data, "max_video_post_duration_sec")
        return cls(
            nickname=_str(data, "creator_nickname") or "",
            username=_str(data, "creator_username") or "",
            avatar_url=_str(data, "creator_avatar_url") or "",
            privacy_level_options=tuple(str(o) for o in options)
            if isinstance(options, list) else (),
            comment_disabled=bool(data.get("comment_disabled")),
            duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
            max_video_post_duration_sec=max_duration if max_duration is not None else 0,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (for storing the last creator_info beside the account)."""
        out = asdict(self)
        out["privacy_level_options"] = list(self.privacy_level_options)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreatorInfo:
        """Inverse of to_dict()."""
        return cls(
            nickname=str(data["nickname"]), username=str(data["username"]),
            avatar_url=str(data["avatar_url"]),
            privacy_level_options=tuple(str(o) for o in data["privacy_level_options"]),
            comment_disabled=bool(data["comment_disabled"]),
            duet_disabled=bool(data["duet_disabled"]),
            stitch_disabled=bool(data["stitch_disabled"]),
            max_video_post_duration_sec=int(data["max_video_post_duration_sec"]),
        )


@dataclass(frozen=True, kw_only=True)
class PostInfo:
    """Direct Post ``post_info``. Privacy and the interaction flags have no defaults on purpose
    (TikTok's UX rules forbid preselecting them); disclosure toggles are off by default."""

    privacy_level: str
    disable_comment: bool
    disable_duet: bool
    disable_stitch: bool
    title: str = ""
    video_cover_timestamp_ms: int | None = None
    brand_content_toggle: bool = False
    brand_organic_toggle: bool = False
    is_aigc: bool = False

    def __post_init__(self) -> None:
        if self.privacy_level not in PRIVACY_LEVELS:
            raise ValueError(f"unknown privacy_level {self.privacy_level!r}")
        if utf16_length(self.title) > TITLE_MAX_UTF16:
            raise ValueError(f"title is longer than {TITLE_MAX_UTF16} UTF-16 code units")
        ts = self.video_cover_timestamp_ms
        if ts is not None and not 0 <= ts <= 2**31 - 1:
            raise ValueError("video_cover_timestamp_ms must be a non-negative int32")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "privacy_level": self.privacy_level,
            "title": self.title,
            "disable_comment": self.disable_comment,
            "disable_duet": self.disable_duet,
            "disable_stitch": self.disable_stitch,
            "brand_content_toggle": self.brand_content_toggle,
            "brand_organic_toggle": self.brand_organic_toggle,
            "is_aigc": self.is_aigc,
        }
        if self.video_cover_timestamp_ms is not None:
            out["video_cover_timestamp_ms"] = self.video_cover_timestamp_ms
        return out


@dataclass(frozen=True)
class PublishTicket:
    """What an init returns. Persist ``publish_id`` before uploading (never re-init)."""

    publish_id: str
    # A signed URL: treat as a credential (kept out of repr and logs).
    upload_url: str = field(repr=False)


# Status values (4.5).
PROCESSING_UPLOAD = "PROCESSING_UPLOAD"
PROCESSING_DOWNLOAD = "PROCESSING_DOWNLOAD"
SEND_TO_USER_INBOX = "SEND_TO_USER_INBOX"
PUBLISH_COMPLETE = "PUBLISH_COMPLETE"
FAILED = "FAILED"


@dataclass(frozen=True)
class PublishStatus:
    """status/fetch. Post ids are strings (19-digit ints must never pass through float)."""

    status: str
    fail_reason: str | None = None
    post_ids: tuple[str, ...] = ()
    uploaded_bytes: int | None = None
    downloaded_bytes: int | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PublishStatus:
        # TikTok spells it "publicaly"; accept the correct spelling too in case they fix it.
        raw_ids = data.get("publicaly_available_post_id")
        if raw_ids is None:
            raw_ids = data.get("publicly_available_post_id")
        ids: tuple[str, ...] = ()
        if isinstance(raw_ids, list):
            ids = tuple(str(i) for i in raw_ids
                        if isinstance(i, int | str) and not isinstance(i, bool) and str(i))
        reason = data.get("fail_reason")
        return cls(
            status=str(data.get("status") or ""),
            fail_reason=reason if isinstance(reason, str) and reason else None,
            post_ids=ids,
            uploaded_bytes=_int(data, "uploaded_bytes"),
            downloaded_bytes=_int(data, "downloaded_bytes"),
        )

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED

    @property
    def is_complete(self) -> bool:
        return self.status == PUBLISH_COMPLETE

    @property
    def in_inbox(self) -> bool:
        return self.status == SEND_TO_USER_INBOX

    @property
    def is_processing(self) -> bool:
        return self.status in (PROCESSING_UPLOAD, PROCESSING_DOWNLOAD)

    def error(self, publish_id: str | None = None) -> PublishFailed | None:
        """The PublishFailed for a FAILED status (retryable / message from fail_reason)."""
        if not self.is_failed:
            return None
        return publish_failed(self.fail_reason or "", publish_id=publish_id)


@dataclass(frozen=True)
class Video:
    """A Display API video object; fields not requested are None. ``id`` is a string."""

    id: str
    title: str | None = None
    video_description: str | None = None
    create_time: int | None = None
    cover_image_url: str | None = None
    share_url: str | None = None
    embed_html: str | None = None
    embed_link: str | None = None
    duration: int | None = None
    width: int | None = None
    height: int | None = None
    like_count: int | None = None
    comment_count: int | None = None
    share_count: int | None = None
    view_count: int | None = None
    is_aigc: bool | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Video:
        return cls(
            id=_str(data, "id") or "",
            title=_str(data, "title"), video_description=_str(data, "video_description"),
            create_time=_int(data, "create_time"),
            cover_image_url=_str(data, "cover_image_url"), share_url=_str(data, "share_url"),
            embed_html=_str(data, "embed_html"), embed_link=_str(data, "embed_link"),
            duration=_int(data, "duration"), width=_int(data, "width"),
            height=_int(data, "height"), like_count=_int(data, "like_count"),
            comment_count=_int(data, "comment_count"), share_count=_int(data, "share_count"),
            view_count=_int(data, "view_count"), is_aigc=_bool(data, "is_aigc"),
        )


@dataclass(frozen=True)
class VideoPage:
    videos: tuple[Video, ...]
    cursor: int | None
    has_more: bool
