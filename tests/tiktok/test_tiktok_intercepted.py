"""A captive portal or a proxy answering in TikTok's place (HTML with 200, or a redirect) is a
network condition to retry, not TikTok refusing the post. The sandbox cannot produce these, so
httpx.MockTransport plays the portal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tiktok_desktop.tiktok import (
    ChunkUploader,
    ClientCredentials,
    Endpoints,
    InterceptedError,
    NetworkError,
    OAuthClient,
    PostInfo,
    ProtocolError,
    TikTokApi,
    UploadInterrupted,
    plan_chunks,
)

BASE = "http://127.0.0.1:9"
NOW = 1_700_000_000.0
PORTAL_PAGE = ("<!doctype html><html><head><title>Hotel Wi-Fi</title></head><body>Accept the "
               "terms to continue</body></html>")
Handler = Callable[[httpx.Request], httpx.Response]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client(handler: Handler) -> httpx.Client:
    # As bootstrap.py builds it: redirects are not followed.
    return httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)


PORTALS = {
    "html-200": lambda _r: httpx.Response(200, text=PORTAL_PAGE,
                                          headers={"Content-Type": "text/html"}),
    "redirect-302": lambda _r: httpx.Response(
        302, headers={"Location": "http://portal.example/login?continue=https%3A%2F%2Fx"}),
    "redirect-307-no-location": lambda _r: httpx.Response(307),
    "plain-text-200": lambda _r: httpx.Response(200, text="Proxy authentication required"),
}


@pytest.mark.parametrize("portal", PORTALS.values(), ids=PORTALS.keys())
def test_creator_info_and_init_retry_a_portal_as_a_network_problem(portal: Handler) -> None:
    sleeps = Sleeps()
    api = TikTokApi(client(portal), Endpoints.single(BASE), clock=lambda: NOW, sleeper=sleeps)
    with pytest.raises(InterceptedError) as info:
        api.creator_info("act.token")
    # creator_info is a read: it was tried again through the sleeper before giving up.
    assert sleeps.waits == [5.0, 10.0]
    exc = info.value
    assert isinstance(exc, NetworkError) and exc.retryable and not exc.needs_reauth
    assert "Wi-Fi sign-in page" in str(exc) and "proxy" in str(exc)
    assert "try again later" not in str(exc)
    # Only the portal's host reaches the log detail, never what it quotes back.
    assert exc.detail is not None and "continue=" not in exc.detail
    post = PostInfo(privacy_level="SELF_ONLY", disable_comment=True, disable_duet=True,
                    disable_stitch=True)
    with pytest.raises(InterceptedError) as init:
        api.init_direct_post("act.token", post, plan_chunks(1000))
    assert init.value.retryable and init.value.code == "intercepted"


def test_the_redirect_names_only_the_portals_host() -> None:
    api = TikTokApi(client(PORTALS["redirect-302"]), Endpoints.single(BASE),
                    sleeper=Sleeps())
    with pytest.raises(InterceptedError) as info:
        api.user_info("act.token")
    assert info.value.detail == "HTTP 302 redirect to portal.example"
    assert info.value.http_status == 302


@pytest.mark.parametrize("portal", PORTALS.values(), ids=PORTALS.keys())
def test_a_token_refresh_through_a_portal_is_retryable(portal: Handler) -> None:
    oauth = OAuthClient(client(portal), ClientCredentials("ck", "cs-SECRET"),
                        Endpoints.single(BASE), clock=lambda: NOW)
    with pytest.raises(InterceptedError) as info:
        oauth.refresh("rft.token")
    assert info.value.retryable and not info.value.needs_reauth


def test_json_that_is_not_tiktoks_shape_is_still_a_protocol_error() -> None:
    """Only a body that is not JSON at all points at a portal; TikTok's own odd JSON does
    not."""
    api = TikTokApi(client(lambda _r: httpx.Response(200, json=[1, 2])),
                    Endpoints.single(BASE), sleeper=Sleeps())
    with pytest.raises(ProtocolError):
        api.user_info("act.token")


def _video(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "v.mp4"
    path.write_bytes(b"\0" * size)
    return path


@pytest.mark.parametrize("portal", PORTALS.values(), ids=PORTALS.keys())
def test_an_upload_through_a_portal_replays_the_chunk_then_resumes_later(
        tmp_path: Path, portal: Handler) -> None:
    ranges: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        ranges.append(request.headers["content-range"])
        return portal(request)

    sleeps = Sleeps()
    with pytest.raises(UploadInterrupted) as info:
        ChunkUploader(client(handler), sleeper=sleeps, max_attempts=3).upload(
            f"{BASE}/up", _video(tmp_path, 100))
    assert ranges == ["bytes 0-99/100"] * 3
    assert sleeps.waits == [1.0, 2.0]
    assert info.value.retryable and info.value.code == "upload_intercepted"
    assert info.value.offset == 0 and "Wi-Fi sign-in page" in str(info.value)


def test_an_upload_goes_on_once_the_portal_is_gone(tmp_path: Path) -> None:
    replies = iter([PORTALS["redirect-302"], PORTALS["html-200"],
                    lambda _r: httpx.Response(201)])

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        return next(replies)(request)

    sleeps = Sleeps()
    result = ChunkUploader(client(handler), sleeper=sleeps).upload(f"{BASE}/up",
                                                                  _video(tmp_path, 100))
    assert result.requests == 3 and result.retries == 2
