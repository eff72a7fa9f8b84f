"""TikTok endpoint paths as the sandbox's call log and fault injection name them, and a
re-read of a post, shared by the engine and reliability tests."""

from __future__ import annotations

from tiktok_desktop.store import Post, PostsRepo

INIT = "/v2/post/publish/video/init/"
TOKEN = "/v2/oauth/token/"
STATUS = "/v2/post/publish/status/fetch/"
CREATOR = "/v2/post/publish/creator_info/query/"
UPLOAD = "/upload/video/"


def reread(posts: PostsRepo, post: Post) -> Post:
    """The post as the database has it now."""
    current = posts.get(post.id)
    assert current is not None
    return current
