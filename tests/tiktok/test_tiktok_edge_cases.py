"""Edge cases the sandbox cannot produce, via httpx.MockTransport (everything else runs against
the real sandbox in the *_sandbox tests)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tiktok_desktop.tiktok import (
    DEFAULT_TIMEOUT,
    UPLOAD_TIMEOUT,
    ChunkPlan,
    ChunkUploader,
    ClientCredentials,
    Endpoints,
    InvalidRequest,
    NetworkError,
    OAuthClient,
    PostInfo,
    ProtocolError,
    RateLimited,
    RetryPolicy,
    ServerError,
    TikTokApi,
    UploadError,
    UploadInterrupted,
    plan_chunks,
)

BASE = "http://127.0.0.1:9"
NOW = 1_700_000_000.0
Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(handler: Handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def oauth_for(handler: Handler) -> OAuthClient:
    return OAuthClient(client(handler), ClientCredentials("ck", "cs-SECRET"),
                       Endpoints.single(BASE), clock=lambda: NOW)


def api_for(handler: Handler, sleeps: Sleeps | None = None) -> TikTokApi:
    return TikTokApi(client(handler), Endpoints.single(BASE), clock=lambda: NOW,
                     sleeper=sleeps or Sleeps())


def v2(data: object, code: str = "ok", status: int = 200,
       headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"data": data, "error": {"code": code, "message": "",
                                                                "log_id": "LOG"}},
                          headers=headers)


# --- OAuth -------------------------------------------------------------------------------


def test_refresh_without_refresh_token_keeps_the_stored_one() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"open_id": "o", "scope": "video.upload",
                                         "access_token": "act.new", "expires_in": 7200,
                                         "token_type": "Bearer"})

    tokens = oauth_for(handler).refresh("rft.old", refresh_expires_at=NOW + 99)
    assert tokens.refresh_token == "rft.old"
    assert tokens.refresh_expires_at == NOW + 99
    assert tokens.access_expires_at == NOW + 7200
    with pytest.raises(ProtocolError):   # and no expiry known at all: refuse to guess
        oauth_for(handler).refresh("rft.old")


def test_token_reply_with_empty_refresh_token_on_code_exchange_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"open_id": "o", "access_token": "a", "expires_in": 1,
                                         "refresh_token": "", "refresh_expires_in": 5})

    with pytest.raises(ProtocolError):
        oauth_for(handler).exchange_code("c", "http://127.0.0.1:1/callback/", "v" * 43)


@pytest.mark.parametrize(("response", "cls", "retry_after"), [
    (httpx.Response(502, text="<html>bad gateway</html>"), ServerError, None),
    (httpx.Response(429, text="slow down", headers={"Retry-After": "7"}), RateLimited, 7.0),
    (httpx.Response(429, json={"error": "rate_limit_exceeded"}), RateLimited, 60.0),
    (httpx.Response(401, json={"data": {}, "error": {"code": "invalid_params", "message": "x",
                                                     "log_id": "L"}}), InvalidRequest, None),
])
def test_oauth_replies_outside_the_flat_shape(response: httpx.Response, cls: type[Exception],
                                              retry_after: float | None) -> None:
    with pytest.raises(cls) as info:
        oauth_for(lambda _r: response).refresh("r")
    if retry_after is not None:
        assert isinstance(info.value, RateLimited)
        assert info.value.retry_after == retry_after


def test_network_failure_is_retryable_and_secret_free() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connect failed for token=cs-SECRET", request=request)

    with pytest.raises(NetworkError) as info:
        oauth_for(handler).revoke("act.SECRET")
    assert info.value.retryable
    assert "SECRET" not in str(info.value) and "SECRET" not in repr(info.value)


def test_every_request_sets_explicit_timeouts(tmp_path: Path) -> None:
    seen: dict[str, dict[str, float | None]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.path] = request.extensions["timeout"]
        if request.method == "PUT":
            return httpx.Response(201)
        if request.url.path == "/v2/oauth/token/":
            return httpx.Response(200, json={"open_id": "o", "access_token": "a",
                                             "expires_in": 1, "refresh_token": "r",
                                             "refresh_expires_in": 2})
        if request.url.path == "/v2/oauth/revoke/":
            return httpx.Response(200, json={})
        return v2({"user": {}, "videos": [], "publish_id": "p", "upload_url": f"{BASE}/up",
                   "status": "PROCESSING_UPLOAD"})

    oauth = oauth_for(handler)
    oauth.refresh("r")
    oauth.revoke("a")
    api = api_for(handler)
    api.user_info("a")
    api.creator_info("a")
    api.fetch_status("a", "p")
    api.list_videos("a")
    api.query_videos("a", ["1"])
    post = PostInfo(privacy_level="SELF_ONLY", disable_comment=False, disable_duet=False,
                    disable_stitch=False)
    api.init_direct_post("a", post, plan_chunks(10))
    api.init_inbox_upload("a", plan_chunks(10))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"x" * 10)
    ChunkUploader(client(handler)).upload(f"{BASE}/up", video)
    expected = {"connect": DEFAULT_TIMEOUT.connect, "read": DEFAULT_TIMEOUT.read,
                "write": DEFAULT_TIMEOUT.write, "pool": DEFAULT_TIMEOUT.pool}
    upload = seen.pop("/up")
    assert upload["write"] == UPLOAD_TIMEOUT.write and upload["read"] == UPLOAD_TIMEOUT.read
    assert UPLOAD_TIMEOUT.write is not None and DEFAULT_TIMEOUT.write is not None
    assert UPLOAD_TIMEOUT.write > DEFAULT_TIMEOUT.write
    assert len(seen) == 9
    assert all(t == expected for t in seen.values())


# --- v2 envelope -------------------------------------------------------------------------


def test_read_retry_waits_through_the_sleeper(caplog: pytest.LogCaptureFixture) -> None:
    replies = iter([httpx.Response(503, text="busy"), v2({}, "internal_error", 500),
                    v2({"creator_nickname": "N", "privacy_level_options": ["SELF_ONLY"],
                        "max_video_post_duration_sec": 600})])
    sleeps = Sleeps()
    with caplog.at_level(logging.INFO, logger="tiktok_desktop.tiktok"):
        info = api_for(lambda _r: next(replies), sleeps).creator_info("a")
    assert info.nickname == "N"
    assert sleeps.waits == [5.0, 10.0]
    ours = [r for r in caplog.records if r.name.startswith("tiktok_desktop")]
    assert [r.levelno for r in ours] == [logging.INFO, logging.INFO]
    assert "retry 1/2 in 5.0 s" in ours[0].getMessage()


def test_read_retry_gives_up_after_the_policy() -> None:
    sleeps = Sleeps()
    api = api_for(lambda _r: httpx.Response(500, text="x"), sleeps)
    with pytest.raises(ServerError):
        api.fetch_status("a", "p", retry=RetryPolicy(attempts=4, delay=1.0, max_delay=3.0))
    assert sleeps.waits == [1.0, 2.0, 3.0]


def test_long_rate_limit_window_is_raised_not_slept() -> None:
    sleeps = Sleeps()
    api = api_for(lambda _r: v2({}, "rate_limit_exceeded", 429,
                                headers={"Retry-After": "Tue, 14 Nov 2023 22:15:20 GMT"}),
                  sleeps)
    with pytest.raises(RateLimited) as info:
        api.creator_info("a")
    assert info.value.retry_after == 1_700_000_120.0 - NOW   # HTTP-date minus the clock
    assert sleeps.waits == []


def test_short_rate_limit_is_waited_then_retried() -> None:
    replies = iter([v2({}, "rate_limit_exceeded", 429, headers={"Retry-After": "3"}),
                    v2({"status": "PROCESSING_UPLOAD"})])
    sleeps = Sleeps()
    status = api_for(lambda _r: next(replies), sleeps).fetch_status("a", "p")
    assert status.is_processing
    assert sleeps.waits == [3.0]


@pytest.mark.parametrize("response", [
    httpx.Response(200, json={"data": {}}),                       # no error object at all
    httpx.Response(200, json=[1, 2]),
    httpx.Response(200, json={"data": [], "error": {"code": "ok"}}),
])
def test_unreadable_success_is_a_protocol_error(response: httpx.Response) -> None:
    with pytest.raises(ProtocolError):
        api_for(lambda _r: response).user_info("a")


def test_ok_code_on_an_error_status_is_still_an_error() -> None:
    with pytest.raises(ServerError):
        api_for(lambda _r: v2({}, "ok", 503)).user_info("a", fields=["open_id"])


def test_post_ids_keep_all_19_digits() -> None:
    body = ('{"data":{"status":"PUBLISH_COMPLETE","publicaly_available_post_id":'
            '[7311234567890123456, "7311234567890123457"]},"error":{"code":"ok"}}')
    status = api_for(lambda _r: httpx.Response(200, text=body)).fetch_status("a", "p")
    assert status.post_ids == ("7311234567890123456", "7311234567890123457")
    fixed = v2({"status": "PUBLISH_COMPLETE", "publicly_available_post_id": [1]})
    assert api_for(lambda _r: fixed).fetch_status("a", "p").post_ids == ("1",)


# --- upload ------------------------------------------------------------------------------


def _video(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "v.mp4"
    with path.open("wb") as f:
        f.truncate(size)
    return path


def test_lost_final_reply_is_reconciled_as_done(tmp_path: Path) -> None:
    """The 201 got lost (connection died after the last byte): the replay's 416 shows
    everything arrived, so the upload is done without sending more."""
    size = 70_000_000
    plan = plan_chunks(size)
    ranges: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        ranges.append(request.headers["content-range"])
        first = int(request.headers["content-range"].split()[1].split("-")[0])
        if len(ranges) == 7:
            raise httpx.ReadError("gone", request=request)
        if len(ranges) == 8:
            return httpx.Response(416, headers={"Content-Range": f"bytes 0-{size}/{size}"})
        end = first + int(request.headers["content-length"])
        return httpx.Response(206, headers={"Content-Range": f"bytes 0-{end}/{size}"})

    sleeps = Sleeps()
    result = ChunkUploader(client(handler), sleeper=sleeps).upload(
        f"{BASE}/up", _video(tmp_path, size), plan=plan)
    assert ranges[-2] == ranges[-1] == f"bytes 60000000-69999999/{size}"
    assert result.requests == 8 and result.retries == 1
    assert sleeps.waits == [1.0]


def test_partial_chunk_kept_by_server_is_continued_not_resent(tmp_path: Path) -> None:
    """If TikTok kept part of a chunk (inclusive header, mid-chunk), send only the rest."""
    size = 30_000_000
    ranges: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        ranges.append(request.headers["content-range"])
        if len(ranges) == 1:
            return httpx.Response(416, headers={"Content-Range": f"bytes 0-12344999/{size}"})
        first, last = map(int, request.headers["content-range"].split()[1].split("/")[0]
                          .split("-"))
        assert int(request.headers["content-length"]) == last - first + 1
        return httpx.Response(201 if last == size - 1 else 206,
                              headers={"Content-Range": f"bytes 0-{last}/{size}"})

    ChunkUploader(client(handler)).upload(f"{BASE}/up", _video(tmp_path, size),
                                          plan=ChunkPlan(size, 10_000_000, 3),
                                          start_offset=10_000_000)
    assert ranges == [f"bytes 10000000-19999999/{size}", f"bytes 12345000-19999999/{size}",
                      f"bytes 20000000-29999999/{size}"]


def test_206_without_progress_header_assumes_the_chunk_arrived(tmp_path: Path) -> None:
    size = 20_000_000
    ranges: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        ranges.append(request.headers["content-range"])
        return httpx.Response(206 if len(ranges) == 1 else 201)

    ChunkUploader(client(handler)).upload(f"{BASE}/up", _video(tmp_path, size),
                                          plan=ChunkPlan(size, 10_000_000, 2))
    assert ranges == [f"bytes 0-9999999/{size}", f"bytes 10000000-19999999/{size}"]


def test_rate_limited_put_waits_retry_after(tmp_path: Path) -> None:
    replies = iter([httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(201)])

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return next(replies)

    sleeps = Sleeps()
    ChunkUploader(client(handler), sleeper=sleeps).upload(f"{BASE}/up", _video(tmp_path, 100))
    assert sleeps.waits == [4.0]


def test_retries_exhausted_reports_the_confirmed_offset(tmp_path: Path) -> None:
    size = 30_000_000

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        if request.headers["content-range"].startswith("bytes 0-"):
            return httpx.Response(206, headers={"Content-Range": f"bytes 0-9999999/{size}"})
        return httpx.Response(500)

    sleeps = Sleeps()
    checkpoints: list[int] = []
    with pytest.raises(UploadInterrupted) as info:
        ChunkUploader(client(handler), sleeper=sleeps, max_attempts=4, backoff=2.0,
                      max_backoff=5.0).upload(f"{BASE}/up", _video(tmp_path, size),
                                              plan=ChunkPlan(size, 10_000_000, 3),
                                              checkpoint=checkpoints.append)
    assert info.value.offset == 10_000_000 and info.value.retryable
    assert checkpoints == [10_000_000]
    assert sleeps.waits == [2.0, 4.0, 5.0]


def test_unexpected_status_is_an_upload_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return httpx.Response(409)

    with pytest.raises(UploadError) as info:
        ChunkUploader(client(handler)).upload(f"{BASE}/up", _video(tmp_path, 100))
    assert info.value.http_status == 409 and not info.value.retryable


def test_json_bodies_are_utf8(tmp_path: Path) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        assert request.headers["content-type"] == "application/json; charset=UTF-8"
        return v2({"publish_id": "p", "upload_url": f"{BASE}/u"})

    post = PostInfo(privacy_level="SELF_ONLY", title="café 🎬 #tag",
                    disable_comment=True, disable_duet=False, disable_stitch=False)
    ticket = api_for(handler).init_direct_post("a", post, plan_chunks(10))
    assert ticket.publish_id == "p"
    assert json.loads(seen[0].decode("utf-8"))["post_info"]["title"] == "café 🎬 #tag"
    assert "u" not in repr(ticket).replace("upload", "").replace("publish", "").split("(")[1]


def test_a_server_that_keeps_moving_the_goalposts_is_given_up_on(tmp_path: Path) -> None:
    size = 30_000_000
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        calls.append(request.headers["content-range"])
        end = 10_000_000 if len(calls) % 2 else 20_000_000
        return httpx.Response(416, headers={"Content-Range": f"bytes 0-{end}/{size}"})

    with pytest.raises(UploadInterrupted) as info:
        ChunkUploader(client(handler), max_attempts=3).upload(
            f"{BASE}/up", _video(tmp_path, size), plan=ChunkPlan(size, 10_000_000, 3))
    assert len(calls) == 4
    assert info.value.code == "upload_progress_unclear"
