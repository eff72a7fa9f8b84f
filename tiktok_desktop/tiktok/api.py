"""The v2 API calls the app uses: user info, creator info, inits, status, video list/query.

Reads that are safe to repeat (creator_info, status/fetch) retry a few times on 429/5xx/network
errors, waiting through the injected sleeper. Inits never retry by themselves: a second init
could create a second post, so the engine decides (TIKTOK_API.md section 10). A 429 raises
RateLimited with ``retry_after`` so the engine can schedule the retry instead of blocking.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from ._http import NO_RETRY, Clock, RetryPolicy, Sleeper, call_with_retry, decode_v2, send
from .chunking import ChunkPlan
from .endpoints import DEFAULT_TIMEOUT, Endpoints
from .errors import ProtocolError
from .models import (
    DEFAULT_USER_FIELDS,
    DEFAULT_VIDEO_FIELDS,
    CreatorInfo,
    PostInfo,
    PublishStatus,
    PublishTicket,
    UserInfo,
    Video,
    VideoPage,
)

__all__ = ["READ_RETRY", "TikTokApi"]

# Postiz's measured practice: 3 tries, about 5 s apart.
READ_RETRY = RetryPolicy(attempts=3, delay=5.0, max_delay=30.0, max_rate_limit_wait=60.0)


def _fields(fields: Iterable[str]) -> str:
    joined = ",".join(dict.fromkeys(f.strip() for f in fields if f.strip()))
    if not joined:
        raise ValueError("at least one field is required")
    return joined


class TikTokApi:
    """Calls with a user access token. ``http``, ``clock`` and ``sleeper`` are injected."""

    def __init__(self, http: httpx.Client, endpoints: Endpoints | None = None,
                 clock: Clock = time.time, sleeper: Sleeper = time.sleep,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT,
                 read_retry: RetryPolicy = READ_RETRY) -> None:
        self._http = http
        self.endpoints = endpoints or Endpoints()
        self._clock = clock
        self._sleeper = sleeper
        self._timeout = timeout
        self.read_retry = read_retry

    def __repr__(self) -> str:
        return f"TikTokApi(api_base={self.endpoints.api_base!r})"

    # --- plumbing -------------------------------------------------------------------------

    def _call(self, method: str, url: str, access_token: str, *,
              params: dict[str, str] | None = None, body: Any = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        content: bytes | None = None
        if method == "POST":
            headers["Content-Type"] = "application/json; charset=UTF-8"
            content = json.dumps({} if body is None else body,
                                 ensure_ascii=False).encode("utf-8")
        request = self._http.build_request(method, url, params=params, content=content,
                                           headers=headers, timeout=self._timeout)
        return decode_v2(send(self._http, request), self._clock)

    def _read(self, what: str, method: str, url: str, access_token: str, *,
              params: dict[str, str] | None = None, body: Any = None,
              retry: RetryPolicy | None = None) -> dict[str, Any]:
        policy = self.read_retry if retry is None else retry
        return call_with_retry(
            lambda: self._call(method, url, access_token, params=params, body=body),
            policy, self._sleeper, what)

    # --- user and creator -----------------------------------------------------------------

    def user_info(self, access_token: str,
                  fields: Iterable[str] = DEFAULT_USER_FIELDS) -> UserInfo:
        """GET /v2/user/info/ (fields need user.info.basic / .profile / .stats)."""
        data = self._read("user/info", "GET", self.endpoints.user_info, access_token,
                          params={"fields": _fields(fields)}, retry=NO_RETRY)
        user = data.get("user")
        if not isinstance(user, dict):
            raise ProtocolError()
        return UserInfo.from_data(user)

    def creator_info(self, access_token: str, retry: RetryPolicy | None = None) -> CreatorInfo:
        """POST creator_info/query. The HTTP-200 "cannot post now" codes raise
        CreatorCannotPost. Retries 429/5xx per ``retry`` (default READ_RETRY)."""
        data = self._read("creator_info", "POST", self.endpoints.creator_info, access_token,
                          body={}, retry=retry)
        return CreatorInfo.from_data(data)

    # --- publishing -----------------------------------------------------------------------

    def init_direct_post(self, access_token: str, post_info: PostInfo,
                         plan: ChunkPlan) -> PublishTicket:
        """POST video/init (Direct Post, FILE_UPLOAD). Never retried here: persist the
        returned publish_id before uploading."""
        data = self._call("POST", self.endpoints.video_init, access_token,
                          body={"post_info": post_info.to_json(),
                                "source_info": plan.source_info()})
        return self._ticket(data)

    def init_inbox_upload(self, access_token: str, plan: ChunkPlan) -> PublishTicket:
        """POST inbox/video/init (upload to the user's TikTok inbox). Body: source_info only."""
        data = self._call("POST", self.endpoints.inbox_init, access_token,
                          body={"source_info": plan.source_info()})
        return self._ticket(data)

    @staticmethod
    def _ticket(data: dict[str, Any]) -> PublishTicket:
        publish_id = data.get("publish_id")
        upload_url = data.get("upload_url")
        if not isinstance(publish_id, str) or not publish_id \
                or not isinstance(upload_url, str) or not upload_url:
            raise ProtocolError()
        return PublishTicket(publish_id=publish_id, upload_url=upload_url)

    def fetch_status(self, access_token: str, publish_id: str,
                     retry: RetryPolicy | None = None) -> PublishStatus:
        """POST status/fetch. FAILED comes back as a status (see PublishStatus.error())."""
        data = self._read("status/fetch", "POST", self.endpoints.status_fetch, access_token,
                          body={"publish_id": publish_id}, retry=retry)
        return PublishStatus.from_data(data)

    def cancel_publish(self, access_token: str, publish_id: str) -> None:
        """POST publish/cancel. Documented for PULL_FROM_URL only; FILE_UPLOAD posts answer
        publish_not_cancellable (PublishIdError)."""
        self._call("POST", self.endpoints.cancel, access_token,
                   body={"publish_id": publish_id})

    # --- display API ----------------------------------------------------------------------

    def list_videos(self, access_token: str, cursor: int | None = None, max_count: int = 10,
                    fields: Iterable[str] = DEFAULT_VIDEO_FIELDS) -> VideoPage:
        """POST video/list (public videos, newest first). ``cursor`` from the previous page."""
        if not 1 <= max_count <= 20:
            raise ValueError("max_count must be 1..20")
        body: dict[str, Any] = {"max_count": max_count}
        if cursor is not None:
            body["cursor"] = cursor
        data = self._read("video/list", "POST", self.endpoints.video_list, access_token,
                          params={"fields": _fields(fields)}, body=body, retry=NO_RETRY)
        videos = data.get("videos") or []
        if not isinstance(videos, list):
            raise ProtocolError()
        next_cursor = data.get("cursor")
        return VideoPage(
            videos=tuple(Video.from_data(v) for v in videos if isinstance(v, dict)),
            cursor=next_cursor if isinstance(next_cursor, int)
            and not isinstance(next_cursor, bool) else None,
            has_more=bool(data.get("has_more")),
        )

    def query_videos(self, access_token: str, video_ids: Sequence[str],
                     fields: Iterable[str] = DEFAULT_VIDEO_FIELDS) -> list[Video]:
        """POST video/query for up to 20 post ids (e.g. from PublishStatus.post_ids)."""
        ids = [str(v) for v in video_ids]
        if not 1 <= len(ids) <= 20:
            raise ValueError("video_ids must hold 1..20 ids")
        data = self._read("video/query", "POST", self.endpoints.video_query, access_token,
                          params={"fields": _fields(fields)},
                          body={"filters": {"video_ids": ids}}, retry=NO_RETRY)
        videos = data.get("videos") or []
        if not isinstance(videos, list):
            raise ProtocolError()
        return [Video.from_data(v) for v in videos if isinstance(v, dict)]
