"""Does a post still fit the creator's current TikTok settings? (TIKTOK_API.md 10, last item.)

At the due time the engine reads creator_info afresh. If the privacy level the user chose is
no longer offered, or an interaction the post allows has been switched off, the post is held
for the user (needs_review) with the reason: never substituted silently.
"""

from __future__ import annotations

from tiktok_desktop.store import Post
from tiktok_desktop.tiktok import CreatorInfo

PRIVACY_NAMES = {
    "PUBLIC_TO_EVERYONE": "Everyone",
    "MUTUAL_FOLLOW_FRIENDS": "Friends",
    "FOLLOWER_OF_CREATOR": "Followers",
    "SELF_ONLY": "Only me",
}


def _names(options: tuple[str, ...]) -> str:
    return ", ".join(PRIVACY_NAMES.get(o, o) for o in options) or "none"


def review_problems(post: Post, info: CreatorInfo) -> list[str]:
    """Plain reasons the post cannot go out as the user approved it (empty: it can)."""
    problems: list[str] = []
    if not post.privacy_level:
        problems.append("No privacy setting was chosen for this post. Open it and pick one.")
    elif post.privacy_level not in info.privacy_level_options:
        problems.append(
            f"TikTok no longer offers “{PRIVACY_NAMES.get(post.privacy_level, post.privacy_level)}”"
            f" for this account (it now offers: {_names(info.privacy_level_options)}). Open the "
            "post and choose who can see it.")
    for allowed, disabled, what in (
        (post.allow_comment, info.comment_disabled, "Comments"),
        (post.allow_duet, info.duet_disabled, "Duets"),
        (post.allow_stitch, info.stitch_disabled, "Stitches"),
    ):
        if allowed and disabled:
            problems.append(
                f"{what} are now turned off for this account on TikTok, but this post allows "
                f"them. Open the post and confirm the interaction settings.")
    # MediaInfo.to_meta() records the length in milliseconds.
    duration_ms = post.video_meta.get("duration_ms")
    duration = duration_ms / 1000 if isinstance(duration_ms, int | float) else None
    limit = info.max_video_post_duration_sec
    if duration is not None and limit and duration > limit:
        problems.append(
            f"The video is {duration:.0f} s long, but this account may now post at most "
            f"{limit} s. Trim the video or choose another one.")
    return problems
