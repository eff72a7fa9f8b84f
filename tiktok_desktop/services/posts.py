"""Post use cases shared by the GUI and the CLI."""

from __future__ import annotations

from tiktok_desktop.store import Post, PostsRepo, PostState


class PostsService:
    def __init__(self, posts: PostsRepo) -> None:
        self.repo = posts

    def list_posts(self) -> list[Post]:
        return self.repo.query()

    def counts(self) -> dict[PostState, int]:
        return self.repo.count_by_state()

    def delete(self, post_id: int) -> None:
        self.repo.delete(post_id)
