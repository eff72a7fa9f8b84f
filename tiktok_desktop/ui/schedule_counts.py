"""The schedule list's views and likes (issue 19 on issue 16's list): read a page at a time
with the rows the list has read, never for every post."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from tiktok_desktop.store import Post

__all__ = ["CountsReader", "PageCounts", "compact_count"]


def compact_count(n: int) -> str:
    """12 -> "12", 12345 -> "12.3K", 4560000 -> "4.5M": the list's views and likes, cut
    (never rounded up past what was counted; the exact number is in the tooltip)."""
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            if n < 100 * size:
                tenths = n * 10 // size
                return f"{tenths // 10}.{tenths % 10}".removesuffix(".0") + unit
            return f"{n // size}{unit}"
    return str(n)


class CountsReader(Protocol):
    """Published posts' latest views and likes from TikTok (services/stats.py)."""

    def latest(self, post_ids: Sequence[int]) -> dict[int, tuple[int, int]]: ...

    def any_counts(self) -> bool: ...


class PageCounts:
    """Latest (views, likes) of the published posts read so far, by post id. ``read_posts``
    gives the posts the list holds in memory (its pages)."""

    def __init__(self, read_posts: Callable[[], list[Post]]) -> None:
        self._read_posts = read_posts
        self.reader: CountsReader | None = None
        self._counts: dict[int, tuple[int, int] | None] = {}
        self.any = False  # some post has counts: the column is worth its room

    def get(self, p: Post) -> tuple[int, int] | None:
        """The post's latest (views, likes), None before TikTok counted it. A post not read
        yet is read with the other published posts of the rows read so far (one query)."""
        if not p.post_ids or self.reader is None or not self.any:
            return None
        if p.id not in self._counts:
            wanted = {p.id} | {post.id for post in self._read_posts()
                               if post.post_ids and post.id not in self._counts}
            found = self.reader.latest(sorted(wanted))
            self._counts.update({i: found.get(i) for i in wanted})
        return self._counts[p.id]

    def text(self, p: Post) -> str:
        found = self.get(p)
        return "" if found is None else f"{compact_count(found[0])} · {compact_count(found[1])}"

    def tooltip(self, p: Post) -> str:
        found = self.get(p)
        if found is None:
            return ("Views and likes show here once TikTok has counted a public post "
                    "(about an hour after it goes public).") if p.post_ids else ""
        return f"{found[0]:,} views, {found[1]:,} likes (TikTok's latest count)"

    def refresh(self) -> set[int]:
        """New readings may have come (the engine's): read the counts of the rows read so
        far again; the ids of the posts whose numbers moved."""
        reader = self.reader
        self.any = reader is not None and reader.any_counts()
        old, self._counts = self._counts, {}
        if not self.any or reader is None:
            return {i for i, v in old.items() if v is not None}
        ids = sorted(post.id for post in self._read_posts() if post.post_ids)
        found = reader.latest(ids)
        self._counts = {i: found.get(i) for i in ids}
        return {i for i in set(old) | set(self._counts) if old.get(i) != self._counts.get(i)}
