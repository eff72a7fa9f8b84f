"""What the schedule shows of a post, kept in the posts table so SQL can sort and search it.

The list sorts by the file name the user chose and the caption's first line, and searches
both case-insensitively. Those are Python's words (str.casefold, str.splitlines), so the
store computes them here on every write (PostsRepo) and keeps them beside the post (schema
V6): an index can then sort by them and the search index can hold them. Everything that shows
a post's name or first line calls these functions, so the list, the search and the rest of
the app agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["BIG_DUE", "KEY_FIELDS", "display_name", "first_line", "listing_keys"]

# due_key for a post without a due time: after every real time, so undated posts sort last
# (the same number the list used before, see migrations.V6_SCHEDULE_LIST).
BIG_DUE = 1 << 62
CAPTION_LINE_LIMIT = 80
# The post fields the stored keys are made of: a write that changes one recomputes them.
KEY_FIELDS = frozenset({"caption", "video_path", "video_meta"})


def display_name(video_path: str, video_meta: Mapping[str, Any]) -> str:
    """The file name the user chose (library copies are named by their hash). Plain string
    work, not PurePath: a path written on any platform."""
    original = video_meta.get("original_path")
    path = original if isinstance(original, str) and original else video_path
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def first_line(text: str, limit: int = CAPTION_LINE_LIMIT) -> str:
    """The caption as the list shows it: its first line, cut to ``limit`` characters."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def listing_keys(caption: str, video_path: str, video_meta: Mapping[str, Any]) -> dict[str, str]:
    """The stored columns derived from a post's caption and video (see the module's text)."""
    name = display_name(video_path, video_meta)
    return {"video_name": name, "name_fold": name.casefold(),
            "caption_line": first_line(caption), "caption_fold": caption.casefold()}
