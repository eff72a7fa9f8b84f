"""Control interface (Python and HTTP), faults, call log, persistence, pages, logging, CLI."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.helpers.videos import padded_video
from tiktok_desktop.sandbox import SandboxServer, serve_forever_cli

from .helpers import (
    ALL,
    REDIRECT,
    FakeClock,
    Tokens,
    assert_self_contained,
    authorize_params,
    authorize_url,
    callback_params,
    connect,
    error_of,
    init_direct,
    ok_data,
    pkce,
    publish_small,
    put_chunk,
    raw_request,
    status,
    token_form,
    video,
)


def _user_info(http: httpx.Client, tokens: Tokens) -> httpx.Response:
    return http.get("/v2/user/info/", params={"fields": "open_id"}, headers=tokens.headers)


# --- control over HTTP --------------------------------------------------------------------------


def test_http_control_consent_and_info(server: SandboxServer, http: httpx.Client,
                                       ctl: httpx.Client) -> None:
    info = ctl.get("/__sandbox__/info").json()
    assert info["base_url"] == server.base_url
    assert info["default_client_key"] == server.app.client_key
    assert {u["username"] for u in info["users"]} >= {"sandbox_creator", "sandbox_private",
                                                      "sandbox_limited"}
    _verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge))
    private = server.user("sandbox_private").open_id
    approved = ctl.post("/__sandbox__/approve", json={"authorize_url": url, "open_id": private,
                                                       "scopes": ["video.upload"]}).json()
    got = callback_params(approved["redirect_url"])
    assert got["scopes"] == "user.info.basic,video.upload" and got["code"]
    denied = ctl.post("/__sandbox__/deny", json={"authorize_url": url}).json()
    assert callback_params(denied["redirect_url"])["error"] == "access_denied"
    bad = ctl.post("/__sandbox__/approve",
                    json={"authorize_url": url.replace("code_challenge_method=S256", "")})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"


def test_http_control_tokens_and_creators(server: SandboxServer, http: httpx.Client,
                                          ctl: httpx.Client) -> None:
    first = connect(server, http)
    second = connect(server, http)
    assert ctl.post("/__sandbox__/expire_access_token",
                     json={"access_token": first.access_token}).status_code == 200
    assert error_of(_user_info(http, first)) == (401, "access_token_invalid")
    ok_data(_user_info(http, second))
    ctl.post("/__sandbox__/expire_access_token", json={"open_id": second.open_id})
    assert error_of(_user_info(http, second)) == (401, "access_token_invalid")
    refreshed = http.post("/v2/oauth/token/", data=token_form(
        server.app, grant_type="refresh_token", refresh_token=second.refresh_token))
    assert refreshed.status_code == 200  # expiry leaves the refresh token alive
    ctl.post("/__sandbox__/revoke_tokens", json={"open_id": second.open_id})
    again = http.post("/v2/oauth/token/", data=token_form(
        server.app, grant_type="refresh_token", refresh_token=refreshed.json()["refresh_token"]))
    assert again.json()["error"] == "invalid_grant"
    assert ctl.post("/__sandbox__/set_creator", json={
        "open_id": second.open_id, "is_private": True}).status_code == 200
    assert server.user("sandbox_creator").is_private
    bad = ctl.post("/__sandbox__/set_creator", json={"open_id": second.open_id, "x": 1})
    assert bad.status_code == 400 and bad.json()["error"] == "ValueError"
    added = ctl.post("/__sandbox__/add_user", json={"username": "newbie", "is_private": True})
    assert added.json()["username"] == "newbie" and server.user("newbie").is_private


def test_http_control_publishes_received_calls(server: SandboxServer, http: httpx.Client,
                                               ctl: httpx.Client, creator: Tokens,
                                               clock: FakeClock) -> None:
    ctl.post("/__sandbox__/clear_calls", json={})
    pid, _final = publish_small(http, creator, clock, title="from http")
    publishes = ctl.get("/__sandbox__/publishes",
                         params={"open_id": creator.open_id}).json()["publishes"]
    assert [p["publish_id"] for p in publishes] == [pid]
    assert publishes[0]["status"] == "PUBLISH_COMPLETE"
    assert publishes[0]["post_info"]["title"] == "from http"
    received = ctl.get("/__sandbox__/received", params={"publish_id": pid}).json()
    clip = video()
    assert received["size"] == len(clip) and received["complete"]
    assert received["sha256"] == hashlib.sha256(clip).hexdigest()
    assert received["path"] is None  # processing is over: the bytes are not kept
    calls = ctl.get("/__sandbox__/calls").json()["calls"]
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/v2/post/publish/video/init/", 200),
        ("PUT", "/upload/video/", 201),
        ("POST", "/v2/post/publish/status/fetch/", 200),
        ("POST", "/v2/post/publish/status/fetch/", 200),  # again after moderation
    ]
    assert ctl.get("/__sandbox__/received", params={"publish_id": "x"}).status_code == 400
    ctl.post("/__sandbox__/set_fail_reason", json={"publish_id": pid, "reason": "spam_risk"})
    assert status(http, creator, pid)["fail_reason"] == "spam_risk"
    ctl.post("/__sandbox__/expire_upload_url", json={"publish_id": pid})
    assert put_chunk(http, ok_data(init_direct(http, creator))["upload_url"], b"v" * 1000, 0,
                     1000).status_code == 201


def test_advance_without_injected_clock(make_server: Callable[..., SandboxServer]) -> None:
    server = make_server(clock=None)
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        ok_data(_user_info(http, tokens))
        assert http.post("/__sandbox__/advance", json={"seconds": 7200},
                         headers={"X-Sandbox-Token": server.control_token}).status_code == 200
        assert error_of(_user_info(http, tokens)) == (401, "access_token_invalid")
    with pytest.raises(ValueError):
        server.control.advance(-1)


def test_advance_refused_with_injected_clock(server: SandboxServer) -> None:
    with pytest.raises(RuntimeError):
        server.control.advance(1)


def test_control_argument_errors(server: SandboxServer) -> None:
    control = server.control
    with pytest.raises(ValueError):
        control.inject_fault("/v2/", "explode")
    with pytest.raises(ValueError):
        control.inject_fault("/v2/", "status", sttaus=500)
    with pytest.raises(ValueError):
        control.inject_fault("v2", "status")
    with pytest.raises(ValueError):
        control.received("nope")
    with pytest.raises(ValueError):
        control.expire_access_token()
    with pytest.raises(ValueError):
        control.revoke_tokens("-000nobody")
    with pytest.raises(ValueError):
        control.register_app("Bad", ["http://example.com:80/cb/"])
    with pytest.raises(ValueError):
        control.add_user("sandbox_creator")


# --- faults ------------------------------------------------------------------------------------


def test_status_fault_counts_down(server: SandboxServer, http: httpx.Client,
                                  creator: Tokens) -> None:
    server.control.inject_fault("/v2/user/", "status", count=2, status=503)
    assert error_of(_user_info(http, creator)) == (503, "internal_error")
    assert error_of(_user_info(http, creator)) == (503, "internal_error")
    ok_data(_user_info(http, creator))
    server.control.inject_fault("/v2/user/", "status", status=500, body={"weird": True})
    response = _user_info(http, creator)
    assert response.status_code == 500 and response.json() == {"weird": True}


def test_rate_limit_fault_uses_the_endpoint_shape(server: SandboxServer,
                                                  http: httpx.Client) -> None:
    server.control.inject_fault("/v2/oauth/token/", "rate_limit")
    response = http.post("/v2/oauth/token/", data={"grant_type": "refresh_token"})
    assert response.status_code == 429 and response.json()["error"] == "rate_limit_exceeded"
    server.control.inject_fault("/v2/post/", "rate_limit")
    tokens = connect(server, http)
    assert error_of(init_direct(http, tokens)) == (429, "rate_limit_exceeded")
    assert server.control.publishes() == []


def test_status_fault_after_processing(server: SandboxServer, http: httpx.Client,
                                       creator: Tokens) -> None:
    server.control.inject_fault("/v2/post/publish/video/init/", "status", status=500, after=True)
    assert error_of(init_direct(http, creator)) == (500, "internal_error")
    (publish,) = server.control.publishes()  # the init happened; only the answer was lost
    assert publish.status == "PROCESSING_UPLOAD"


def test_reset_fault_on_an_api_call(server: SandboxServer, http: httpx.Client,
                                    creator: Tokens) -> None:
    server.control.inject_fault("/v2/post/publish/video/init/", "reset")
    server.control.clear_calls()
    with pytest.raises(httpx.TransportError):
        init_direct(http, creator)
    (call,) = server.control.wait_for_calls(1)
    assert call.status is None
    assert server.control.publishes() == []
    ok_data(init_direct(http, creator))


def test_slow_fault_still_processes(server: SandboxServer, creator: Tokens) -> None:
    server.control.inject_fault("/v2/post/publish/video/init/", "slow", delay=0.3)
    server.control.clear_calls()
    with (httpx.Client(base_url=server.base_url, timeout=httpx.Timeout(5.0, read=0.05)) as http,
          pytest.raises(httpx.ReadTimeout)):
        init_direct(http, creator)
    (call,) = server.control.wait_for_calls(1)
    assert call.status == 200
    assert len(server.control.publishes()) == 1  # the client gave up; TikTok did not


def test_faults_do_not_hit_control_paths(server: SandboxServer, http: httpx.Client,
                                         ctl: httpx.Client) -> None:
    server.control.inject_fault("/", "status", status=500)
    assert ctl.get("/__sandbox__/info").status_code == 200
    assert http.get("/v2/nothing/").status_code == 500
    server.control.inject_fault("/", "status", status=500)
    server.control.clear_faults()
    assert http.get("/v2/nothing/").status_code == 404


# --- call log and logging ------------------------------------------------------------------------


def test_call_log_and_secrets_never_logged(server: SandboxServer, http: httpx.Client,
                                           clock: FakeClock,
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="tiktok_desktop.sandbox")
    verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge))
    http.get(url)
    code = callback_params(server.control.approve(url))["code"]
    token = http.post("/v2/oauth/token/", data=token_form(
        server.app, code=code, grant_type="authorization_code", redirect_uri=REDIRECT,
        code_verifier=verifier)).json()
    tokens = Tokens(token["access_token"], token["refresh_token"], token["open_id"], ALL)
    data = ok_data(init_direct(http, tokens))
    put_chunk(http, data["upload_url"], b"v" * 1000, 0, 1000)
    http.post("/v2/oauth/token/", data=token_form(server.app, grant_type="refresh_token",
                                                  refresh_token=tokens.refresh_token))
    http.post("/v2/oauth/token/", data={"client_key": "x"})
    upload_token = data["upload_url"].rsplit("=", 1)[1]
    ours = [r for r in caplog.records if r.name.startswith("tiktok_desktop.sandbox")]
    text = "\n".join(r.getMessage() for r in ours)
    assert "/v2/oauth/token/" in text  # the requests were logged ...
    for secret in (tokens.access_token, tokens.refresh_token, server.app.client_secret, code,
                   verifier, upload_token):
        assert secret not in text  # ... without secrets
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    calls = server.control.calls()
    assert ("GET", "/v2/auth/authorize/", 200) in [(c.method, c.path, c.status) for c in calls]
    assert calls[-1].error_code == "invalid_request"
    assert all("?" not in c.path for c in calls)
    state_text = (server.state_dir / "state.json").read_text()
    for secret in (tokens.access_token, tokens.refresh_token, code, upload_token):
        assert secret not in state_text


# --- persistence ----------------------------------------------------------------------------------


def test_restart_keeps_tokens_and_uploads(make_server: Callable[..., SandboxServer],
                                          tmp_path: Path, clock: FakeClock) -> None:
    size, chunk = 10_500_000, 5_242_880
    video = padded_video(tmp_path / "clip.mp4", size).read_bytes()  # checked after the restart
    first = make_server(state_dir=tmp_path / "persist")
    with httpx.Client(base_url=first.base_url) as http:
        tokens = connect(first, http)
        data = ok_data(http.post("/v2/post/publish/video/init/", headers=tokens.headers, json={
            "post_info": {"privacy_level": "PUBLIC_TO_EVERYONE", "brand_content_toggle": False},
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
                            "total_chunk_count": 2}}))
        assert put_chunk(http, data["upload_url"], video[:chunk], 0, size).status_code == 206
    keys = (first.app.client_key, first.app.client_secret, [u.open_id for u in first.users])
    port = first.port
    first.stop()

    second = make_server(state_dir=tmp_path / "persist", port=port)
    assert (second.app.client_key, second.app.client_secret,
            [u.open_id for u in second.users]) == keys
    with httpx.Client(base_url=second.base_url) as http:
        ok_data(_user_info(http, tokens))
        assert status(http, tokens, data["publish_id"])["uploaded_bytes"] == chunk
        done = put_chunk(http, data["upload_url"], video[chunk:], chunk, size)
        assert done.status_code == 201
        clock.advance(3)
        assert status(http, tokens, data["publish_id"])["status"] == "PUBLISH_COMPLETE"
        refreshed = http.post("/v2/oauth/token/", data=token_form(
            second.app, grant_type="refresh_token", refresh_token=tokens.refresh_token))
        assert refreshed.status_code == 200
    assert second.control.received(data["publish_id"]).sha256 == hashlib.sha256(video).hexdigest()
    second.stop()
    third = make_server(state_dir=tmp_path / "persist")
    with httpx.Client(base_url=third.base_url) as http:
        # the rotated refresh token is dead after the restart too; the new one works
        old = http.post("/v2/oauth/token/", data=token_form(
            third.app, grant_type="refresh_token", refresh_token=tokens.refresh_token))
        assert old.json()["error"] == "invalid_grant"
        new = http.post("/v2/oauth/token/", data=token_form(
            third.app, grant_type="refresh_token",
            refresh_token=refreshed.json()["refresh_token"]))
        assert new.status_code == 200
    assert third.control.publishes()[0].status == "PUBLISH_COMPLETE"


# --- pages ----------------------------------------------------------------------------------------


def test_index_and_profile_pages(server: SandboxServer, http: httpx.Client, creator: Tokens,
                                 clock: FakeClock) -> None:
    index = http.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    for user in server.users:
        assert f'href="/@{user.username}"' in index.text
    pid, final = publish_small(http, creator, clock, title="<script>alert(1)</script> #fun",
                               disable_duet=True, brand_organic_toggle=True, is_aigc=True)
    page = http.get("/@sandbox_creator")
    assert page.status_code == 200
    html = page.text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; #fun" in html
    assert pid in html and "PUBLIC_TO_EVERYONE" in html and "PUBLISH_COMPLETE" in html
    assert "duet off" in html and "comments on" in html
    assert "Your brand" in html and "AI-generated" in html
    assert server.control.received(pid).sha256 in html
    assert str(final["publicaly_available_post_id"][0]) in html
    assert_self_contained(html)
    assert_self_contained(index.text)
    assert http.get("/@nobody").status_code == 404


def test_unknown_paths_are_json_404(http: httpx.Client, ctl: httpx.Client) -> None:
    for path in ("/nothing", "/v2/", "/__sandbox__/nothing"):
        response = ctl.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    # without the control token, nothing under /__sandbox__/ says what exists
    assert http.get("/__sandbox__/nothing").status_code == 401


# --- CLI ------------------------------------------------------------------------------------------


class _Banner(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.ready = threading.Event()

    def write(self, text: str) -> int:
        count = super().write(text)
        if "Press Ctrl-C" in self.getvalue():
            self.ready.set()
        return count


def test_serve_forever_cli(tmp_path: Path) -> None:
    out, stop = _Banner(), threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(serve_forever_cli(
        ["--state-dir", str(tmp_path / "cli"), "--processing-seconds", "1"], stop=stop, out=out)))
    thread.start()
    try:
        assert out.ready.wait(10)
        banner = out.getvalue()
        base_url = banner.split("running at ", 1)[1].split()[0]
        token = banner.split("Control token", 1)[1].split(": ", 1)[1].split()[0]
        info = httpx.get(f"{base_url}/__sandbox__/info",
                         headers={"X-Sandbox-Token": token}).json()
    finally:
        stop.set()
        thread.join(10)
    assert result == [0]
    for app in info["apps"]:
        assert app["client_key"] in banner and app["client_secret"] in banner
    for user in info["users"]:
        assert f"@{user['username']}" in banner
    assert "Sandbox stopped." in out.getvalue()
    assert json.loads((tmp_path / "cli" / "state.json").read_text())["version"] == 1


def test_python_dash_m_help() -> None:
    done = subprocess.run([sys.executable, "-m", "tiktok_desktop.sandbox", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--state-dir" in done.stdout and "--port" in done.stdout


def test_oversized_or_unframed_bodies_are_refused(server: SandboxServer) -> None:
    head = (f"POST /v2/oauth/token/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n")
    big = raw_request(server.port, (head + "Content-Length: 2000000\r\n\r\n").encode(),
                      b"a" * 2_000_000)
    assert big.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in big
    assert b"\"error\":\"invalid_request\"" in big
    bad = raw_request(server.port, (head + "Content-Length: 12x\r\n\r\n").encode(), b"a=1")
    assert bad.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in bad
