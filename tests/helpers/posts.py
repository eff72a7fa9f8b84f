"""A Post row built in memory, for the pure functions that judge posts (no database)."""

from __future__ import annotations

import dataclasses

from tiktok_desktop.store import Post, PostMode, PostState


def make_post(post_id: int = 1, **changes: object) -> Post:
    """A scheduled direct post with consent; ``changes`` replace any field."""
    base = Post(
        id=post_id, account_id=1, video_path="/videos/Clip One.MP4", video_size=1,
        video_sha256="", video_meta={}, caption="Sourdough, day 3", privacy_level="SELF_ONLY",
        allow_comment=False, allow_duet=False, allow_stitch=False, disclose_commercial=False,
        brand_organic=False, brand_content=False, is_aigc=False, cover_time_ms=None,
        mode=PostMode.DIRECT, due_at=1_800_000_000, due_tz="", state=PostState.SCHEDULED,
        retry_state=None, attempt_count=0, next_attempt_at=None, publish_id=None,
        bytes_uploaded=0, post_ids=(), share_url=None, last_error_code=None,
        last_error_message=None, consent_at=1, published_at=None, created_at=0, updated_at=0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]
