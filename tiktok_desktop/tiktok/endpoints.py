"""Where TikTok lives: real TikTok by default, the local sandbox (one base URL) in tests."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["DEFAULT_TIMEOUT", "UPLOAD_TIMEOUT", "Endpoints"]

# Explicit on every request (httpx's implicit 5 s default is too short for TikTok's slower
# endpoints and would hide the choice).
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)
# A chunk is up to 128 MB: on a slow uplink writing it takes minutes, and TikTok may take a
# while to answer the final chunk. The write timeout is per socket write, not per chunk.
UPLOAD_TIMEOUT = httpx.Timeout(connect=15.0, read=180.0, write=180.0, pool=15.0)


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (no trailing slash) and the paths below them."""

    auth_base: str = "https://www.tiktok.com"
    api_base: str = "https://open.tiktokapis.com"

    def __post_init__(self) -> None:
        # Normalise so path joining is a plain concatenation.
        object.__setattr__(self, "auth_base", self.auth_base.rstrip("/"))
        object.__setattr__(self, "api_base", self.api_base.rstrip("/"))

    @classmethod
    def single(cls, base_url: str) -> Endpoints:
        """Both bases on one server (the sandbox serves both path families)."""
        return cls(auth_base=base_url, api_base=base_url)

    @property
    def authorize(self) -> str:
        return f"{self.auth_base}/v2/auth/authorize/"

    @property
    def token(self) -> str:
        return f"{self.api_base}/v2/oauth/token/"

    @property
    def revoke(self) -> str:
        return f"{self.api_base}/v2/oauth/revoke/"

    @property
    def user_info(self) -> str:
        return f"{self.api_base}/v2/user/info/"

    @property
    def creator_info(self) -> str:
        return f"{self.api_base}/v2/post/publish/creator_info/query/"

    @property
    def video_init(self) -> str:
        return f"{self.api_base}/v2/post/publish/video/init/"

    @property
    def inbox_init(self) -> str:
        return f"{self.api_base}/v2/post/publish/inbox/video/init/"

    @property
    def status_fetch(self) -> str:
        return f"{self.api_base}/v2/post/publish/status/fetch/"

    @property
    def cancel(self) -> str:
        return f"{self.api_base}/v2/post/publish/cancel/"

    @property
    def video_list(self) -> str:
        return f"{self.api_base}/v2/video/list/"

    @property
    def video_query(self) -> str:
        return f"{self.api_base}/v2/video/query/"
