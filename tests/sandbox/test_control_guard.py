"""The control API plays the attacker's target (issue 14): it hands out client secrets, arms
faults and revokes tokens, so nobody but the holder of this run's token gets an answer.

Each attack is sent over real loopback HTTP, and each test checks that nothing happened."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.helpers.videos import video_bytes
from tiktok_desktop.sandbox import SandboxServer

from .helpers import FakeClock, Tokens, init_inbox, ok_data, put_chunk, raw_request, status

ATTACKS = [
    ("POST", "/__sandbox__/inject_fault", {"path_prefix": "/", "kind": "status"}),
    ("POST", "/__sandbox__/add_user", {"username": "intruder"}),
    ("POST", "/__sandbox__/configure", {"rate_limits_enabled": False}),
    ("GET", "/__sandbox__/info", None),
    ("GET", "/__sandbox__/ping", None),
    ("GET", "/__sandbox__/calls", None),
]


def _nothing_happened(server: SandboxServer) -> None:
    assert server.faults.take("/v2/user/info/") is None
    assert all(u.username != "intruder" for u in server.users)
    assert server.options.rate_limits_enabled


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 43])
def test_no_or_wrong_token(server: SandboxServer, http: httpx.Client,
                           token: str | None) -> None:
    headers = {} if token is None else {"X-Sandbox-Token": token}
    for method, path, body in ATTACKS:
        response = http.request(method, path, json=body, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"] == "unauthorized"
        assert server.app.client_secret not in response.text
    _nothing_happened(server)


def test_the_token_is_per_run(make_server: Callable[..., SandboxServer]) -> None:
    first = make_server()
    token = first.control_token
    first.stop()
    second = make_server()  # same state folder
    assert second.control_token != token and len(token) >= 40
    with httpx.Client(base_url=second.base_url) as http:
        assert http.get("/__sandbox__/info",
                        headers={"X-Sandbox-Token": token}).status_code == 401


@pytest.mark.parametrize("host", ["evil.example:80", "127.0.0.1", "127.0.0.1:1",
                                  "localhost.evil.example", ""])
def test_forged_host_is_refused_even_with_the_token(server: SandboxServer,
                                                    host: str) -> None:
    """DNS rebinding: a web page under its own name reaching 127.0.0.1."""
    for method, path, body in ATTACKS:
        payload = b"" if body is None else httpx.Request("POST", "/", json=body).content
        head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
                f"X-Sandbox-Token: {server.control_token}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
        answer = raw_request(server.port, head, payload)
        assert answer.startswith(b"HTTP/1.1 403"), (host, path, answer[:80])
        assert b"wrong_host" in answer
    _nothing_happened(server)


def test_both_loopback_names_work(server: SandboxServer, ctl: httpx.Client) -> None:
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}",
                 f"LOCALHOST:{server.port}"):
        response = ctl.get("/__sandbox__/ping", headers={"Host": host})
        assert response.status_code == 200 and response.json()["ok"] is True


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_posts_that_are_not_json_are_refused(server: SandboxServer, ctl: httpx.Client,
                                             content_type: str | None) -> None:
    """A browser sends these cross-site without a preflight (CSRF)."""
    body = b'{"path_prefix": "/", "kind": "status"}'
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = ctl.post("/__sandbox__/inject_fault", content=body, headers=headers)
    assert response.status_code == 415
    response = ctl.post("/__sandbox__/add_user", content=b'{"username": "intruder"}',
                        headers=headers)
    assert response.status_code == 415
    _nothing_happened(server)


def test_the_open_paths_stay_open(server: SandboxServer, http: httpx.Client) -> None:
    """Pictures the app shows and the benchmark sink need no token (they keep nothing)."""
    user = server.user("sandbox_creator")
    assert http.get(f"/__sandbox__/avatar/{user.open_id}.svg").status_code == 200
    assert http.get("/__sandbox__/cover/123.svg").status_code == 200
    assert http.put("/__sandbox__/sink", content=b"abc").status_code == 201


# --- the profile page's draft buttons -------------------------------------------------------


def _waiting_draft(http: httpx.Client, creator: Tokens, clock: FakeClock) -> str:
    clip = video_bytes()
    data = ok_data(init_inbox(http, creator, len(clip)))
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    clock.advance(3)
    return str(data["publish_id"])


def _page_token(http: httpx.Client) -> str:
    page = http.get("/@sandbox_creator").text
    match = re.search(r'name="page_token" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def test_profile_page_finishes_a_draft(server: SandboxServer, http: httpx.Client,
                                       creator: Tokens, clock: FakeClock) -> None:
    pid = _waiting_draft(http, creator, clock)
    page = http.get("/@sandbox_creator").text
    assert "Finish in TikTok app" in page and "Let it expire" in page
    assert server.control_token not in page  # the page has its own, weaker token
    response = http.post("/__sandbox__/page/draft", data={
        "page_token": _page_token(http), "publish_id": pid, "action": "finish"},
        headers={"Origin": server.base_url})
    assert response.status_code == 303 and response.headers["Location"] == "/@sandbox_creator"
    assert status(http, creator, pid)["status"] == "PUBLISH_COMPLETE"
    page = http.get("/@sandbox_creator").text
    assert "finished in the TikTok app" in page and "in moderation until" in page


def test_profile_page_lets_a_draft_expire(http: httpx.Client, creator: Tokens,
                                          clock: FakeClock) -> None:
    pid = _waiting_draft(http, creator, clock)
    response = http.post("/__sandbox__/page/draft", data={
        "page_token": _page_token(http), "publish_id": pid, "action": "expire"})
    assert response.status_code == 303
    assert status(http, creator, pid)["status"] == "SEND_TO_USER_INBOX"
    assert "draft expired unfinished" in http.get("/@sandbox_creator").text


def test_profile_page_buttons_refuse_forgeries(server: SandboxServer, http: httpx.Client,
                                              creator: Tokens, clock: FakeClock) -> None:
    pid = _waiting_draft(http, creator, clock)
    token = _page_token(http)
    form = {"page_token": token, "publish_id": pid, "action": "finish"}
    # another site's form (CSRF): Origin names it
    assert http.post("/__sandbox__/page/draft", data=form,
                     headers={"Origin": "https://evil.example"}).status_code == 403
    # without the page's token (a page that never saw ours)
    assert http.post("/__sandbox__/page/draft",
                     data={**form, "page_token": "guess"}).status_code == 403
    # not the form's encoding
    assert http.post("/__sandbox__/page/draft", json=form).status_code == 415
    # a forged Host (DNS rebinding)
    body = httpx.Request("POST", "/", data=form).content
    head = (f"POST /__sandbox__/page/draft HTTP/1.1\r\nHost: evil.example\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    assert raw_request(server.port, head, body).startswith(b"HTTP/1.1 403")
    # unknown actions and publishes: a plain error page
    assert http.post("/__sandbox__/page/draft",
                     data={**form, "action": "delete"}).status_code == 400
    assert http.post("/__sandbox__/page/draft",
                     data={**form, "publish_id": "nothing"}).status_code == 400
    assert status(http, creator, pid)["status"] == "SEND_TO_USER_INBOX"
