"""Issue 15, "As TikTok is today": token lifetimes, moderation, inbox drafts, the OAuth fault
modes and the upload reply body, each from Python control, HTTP control and the defaults."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.helpers.videos import video_bytes
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

from .helpers import (
    FakeClock,
    Tokens,
    connect,
    error_of,
    init_direct,
    init_inbox,
    ok_data,
    publish_small,
    put_chunk,
    status,
    token_form,
)


def _refresh(http: httpx.Client, server: SandboxServer, token: str) -> httpx.Response:
    return http.post("/v2/oauth/token/", data=token_form(
        server.app, grant_type="refresh_token", refresh_token=token))


def _list_ids(http: httpx.Client, tokens: Tokens) -> list[str]:
    page = ok_data(http.post("/v2/video/list/", params={"fields": "id"}, headers=tokens.headers,
                             json={"max_count": 20}))
    return [v["id"] for v in page["videos"]]


def _query_ids(http: httpx.Client, tokens: Tokens, ids: list[str]) -> list[str]:
    found = ok_data(http.post("/v2/video/query/", params={"fields": "id"},
                              headers=tokens.headers, json={"filters": {"video_ids": ids}}))
    return [v["id"] for v in found["videos"]]


def _upload(http: httpx.Client, tokens: Tokens, inbox: bool = False,
            **info: Any) -> str:
    clip = video_bytes()
    data = ok_data(init_inbox(http, tokens, len(clip)) if inbox
                   else init_direct(http, tokens, len(clip), **info))
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    return str(data["publish_id"])


# --- token lifetimes ------------------------------------------------------------------------


def test_lifetimes_configurable_from_python_and_http(server: SandboxServer, http: httpx.Client,
                                                     ctl: httpx.Client, clock: FakeClock) -> None:
    server.control.configure(access_token_lifetime=600)
    first = connect(server, http)
    body = _refresh(http, server, first.refresh_token).json()
    assert body["expires_in"] == 600 and body["refresh_expires_in"] == 180 * 86400
    assert ctl.post("/__sandbox__/configure", json={
        "access_token_lifetime": 86400, "refresh_token_lifetime": 31536000}).status_code == 200
    assert ctl.get("/__sandbox__/options").json()["refresh_token_lifetime"] == 31536000
    again = _refresh(http, server, body["refresh_token"]).json()
    assert (again["expires_in"], again["refresh_expires_in"]) == (86400, 31536000)
    for bad in ({"access_token_lifetime": 0}, {"refresh_token_lifetime": "long"},
                {"moderation_seconds": -1}, {"moderation_seconds": 8 * 86400},
                {"store_upload_bytes": False}, {"no_such_option": 1}):
        refused = ctl.post("/__sandbox__/configure", json=bad)
        assert refused.status_code == 400 and refused.json()["error"] == "ValueError", bad
    assert server.options.access_token_lifetime == 86400  # nothing of a refused call applied


# --- moderation -----------------------------------------------------------------------------


def test_post_id_after_moderation_and_only_then_listed(server: SandboxServer,
                                                       http: httpx.Client, creator: Tokens,
                                                       clock: FakeClock) -> None:
    pid = _upload(http, creator)
    clock.advance(3)
    complete = status(http, creator, pid)
    assert complete["status"] == "PUBLISH_COMPLETE"
    assert complete["publicaly_available_post_id"] == []  # TikTok's spelling, empty first
    assert _list_ids(http, creator) == []
    [info] = server.control.publishes(creator.open_id)
    assert info.moderation_due_at == pytest.approx(info.finished_at + 180)
    clock.advance(179)
    assert status(http, creator, pid)["publicaly_available_post_id"] == []
    clock.advance(1)
    [post_id] = status(http, creator, pid)["publicaly_available_post_id"]
    assert _list_ids(http, creator) == [str(post_id)]
    assert _query_ids(http, creator, [str(post_id)]) == [str(post_id)]


def test_moderation_delay_configurable_up_to_hours(server: SandboxServer, http: httpx.Client,
                                                   ctl: httpx.Client, creator: Tokens,
                                                   clock: FakeClock) -> None:
    assert ctl.post("/__sandbox__/configure",
                    json={"moderation_seconds": 5 * 3600}).status_code == 200
    pid = _upload(http, creator)
    clock.advance(3 + 5 * 3600 - 1)
    again = connect(server, http)  # the 2 h access token died meanwhile
    assert status(http, again, pid)["publicaly_available_post_id"] == []
    # finish_moderation ends it now (over HTTP too)
    assert ctl.post("/__sandbox__/finish_moderation", json={"publish_id": pid}).status_code == 200
    assert len(status(http, again, pid)["publicaly_available_post_id"]) == 1
    # zero: the ID comes with PUBLISH_COMPLETE
    server.control.configure(moderation_seconds=0)
    pid = _upload(http, again)
    clock.advance(3)
    assert len(status(http, again, pid)["publicaly_available_post_id"]) == 1


def test_self_only_posts_never_get_an_id(server: SandboxServer, http: httpx.Client,
                                         creator: Tokens, clock: FakeClock) -> None:
    pid, final = publish_small(http, creator, clock, privacy_level="SELF_ONLY")
    assert final["status"] == "PUBLISH_COMPLETE"
    clock.advance(3600)
    assert status(http, creator, pid)["publicaly_available_post_id"] == []
    assert _list_ids(http, creator) == []
    with pytest.raises(ValueError, match="not a public post"):
        server.control.finish_moderation(pid)


# --- inbox drafts ---------------------------------------------------------------------------


def test_creator_finishes_the_draft(server: SandboxServer, http: httpx.Client, ctl: httpx.Client,
                                    creator: Tokens, clock: FakeClock) -> None:
    pid = _upload(http, creator, inbox=True)
    clock.advance(3)
    assert status(http, creator, pid)["status"] == "SEND_TO_USER_INBOX"
    assert ctl.post("/__sandbox__/finish_draft",
                    json={"publish_id": pid, "posts": 2}).status_code == 200
    done = status(http, creator, pid)
    assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == []
    clock.advance(180)  # moderation, as for a Direct Post
    ids = status(http, creator, pid)["publicaly_available_post_id"]
    assert len(ids) == 2 and len(set(ids)) == 2  # a list: several posts from one draft
    assert sorted(_list_ids(http, creator)) == sorted(str(i) for i in ids)
    # a finished draft cannot be finished again, nor expire
    again = ctl.post("/__sandbox__/finish_draft", json={"publish_id": pid})
    assert again.status_code == 400 and "not waiting in the inbox" in again.text
    with pytest.raises(ValueError):
        server.control.expire_draft(pid)


def test_creator_finishes_the_draft_privately(server: SandboxServer, http: httpx.Client,
                                              creator: Tokens, clock: FakeClock) -> None:
    pid = _upload(http, creator, inbox=True)
    clock.advance(3)
    with pytest.raises(ValueError, match="privacy_level"):
        server.control.finish_draft(pid, privacy_level="FOLLOWER_OF_CREATOR")  # public account
    server.control.finish_draft(pid, privacy_level="SELF_ONLY")
    clock.advance(3600)
    final = status(http, creator, pid)
    assert final["status"] == "PUBLISH_COMPLETE" and final["publicaly_available_post_id"] == []


def test_draft_expires_unfinished(server: SandboxServer, http: httpx.Client, ctl: httpx.Client,
                                  creator: Tokens, clock: FakeClock) -> None:
    kept = _upload(http, creator, inbox=True)
    forgotten = _upload(http, creator, inbox=True)
    clock.advance(3)
    server.control.expire_draft(kept)
    # TikTok documents no status for an expired draft: the app learns nothing new
    assert status(http, creator, kept) == {"status": "SEND_TO_USER_INBOX",
                                           "publicaly_available_post_id": [],
                                           "uploaded_bytes": len(video_bytes())}
    assert ctl.post("/__sandbox__/expire_draft",
                    json={"publish_id": forgotten, "forget": True}).status_code == 200
    response = http.post("/v2/post/publish/status/fetch/", headers=creator.headers,
                         json={"publish_id": forgotten})
    assert error_of(response) == (400, "invalid_publish_id")
    with pytest.raises(ValueError, match="not waiting in the inbox"):
        server.control.finish_draft(kept)


def test_draft_controls_refuse_what_is_not_a_waiting_draft(
        server: SandboxServer, http: httpx.Client, creator: Tokens, clock: FakeClock) -> None:
    direct = _upload(http, creator)
    uploading = ok_data(init_inbox(http, creator))["publish_id"]
    clock.advance(3)
    for pid in (direct, uploading, "v_inbox_file~v2.nothing"):
        with pytest.raises(ValueError):
            server.control.finish_draft(pid)
        with pytest.raises(ValueError):
            server.control.expire_draft(pid)
    inbox = _upload(http, creator, inbox=True)
    clock.advance(3)
    for posts in (0, 21, True):
        with pytest.raises(ValueError, match="posts"):
            server.control.finish_draft(inbox, posts=posts)


# --- OAuth fault modes ------------------------------------------------------------------------


def test_oauth_errors_with_http_200(server: SandboxServer, http: httpx.Client, ctl: httpx.Client,
                                    creator: Tokens) -> None:
    bad = _refresh(http, server, "rft.nothing")
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")
    server.control.inject_fault("/v2/oauth/", "oauth_error_200", count=1)
    assert _refresh(http, server, creator.refresh_token).status_code == 200  # not used up...
    bad = _refresh(http, server, "rft.nothing")  # ...by a success, only by an error
    assert bad.status_code == 200 and bad.json()["error"] == "invalid_grant"
    assert bad.json()["error_description"] and "access_token" not in bad.json()
    assert _refresh(http, server, "rft.nothing").status_code == 400  # count was 1
    # the whole-run mode (sandbox serve --oauth-errors-200)
    assert ctl.post("/__sandbox__/configure",
                    json={"oauth_errors_http_200": True}).status_code == 200
    revoke = http.post("/v2/oauth/revoke/", data=token_form(server.app))  # no token
    assert revoke.status_code == 200 and revoke.json()["error"] == "invalid_request"
    calls = server.control.calls()
    assert (calls[-1].status, calls[-1].error_code) == (200, "invalid_request")


def test_refresh_answer_lost_after_rotating(server: SandboxServer, http: httpx.Client,
                                            ctl: httpx.Client, creator: Tokens) -> None:
    assert ctl.post("/__sandbox__/inject_fault", json={
        "path_prefix": "/v2/oauth/token/", "kind": "lose_refresh_answer"}).status_code == 200
    connect(server, http)  # a code exchange does not use it up
    before = len(server.control.calls())
    with pytest.raises(httpx.TransportError):
        _refresh(http, server, creator.refresh_token)
    # The server logs the call once its handler is done, which may be after the client saw
    # the connection drop: wait for it.
    calls = server.control.wait_for_calls(before + 1)
    assert calls[-1].status is None  # dropped without an answer
    # rotated server-side: the old refresh token is dead, the app never saw the new one
    lost = _refresh(http, server, creator.refresh_token)
    assert (lost.status_code, lost.json()["error"]) == (400, "invalid_grant")
    # access tokens issued before still work until they expire
    ok_data(http.get("/v2/user/info/", params={"fields": "open_id"}, headers=creator.headers))


def test_conditional_faults_take_no_parameters(server: SandboxServer) -> None:
    with pytest.raises(ValueError, match="unknown parameters"):
        server.control.inject_fault("/v2/oauth/", "lose_refresh_answer", after=True)


# --- the upload PUT's reply body ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["empty", "random"])
def test_upload_reply_body_modes(make_server: Callable[..., SandboxServer], mode: str) -> None:
    server = make_server(SandboxOptions(upload_reply_body=mode))  # type: ignore[arg-type]
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        size, chunk = 10_500_000, 5_242_880
        data = ok_data(http.post("/v2/post/publish/video/init/", headers=tokens.headers, json={
            "post_info": {"privacy_level": "PUBLIC_TO_EVERYONE", "brand_content_toggle": False},
            "source_info": {"source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
                            "total_chunk_count": 2}}))
        body = b"\x00" * size
        first = put_chunk(http, data["upload_url"], body[:chunk], 0, size)
        replay = put_chunk(http, data["upload_url"], body[:chunk], 0, size)
        last = put_chunk(http, data["upload_url"], body[chunk:], chunk, size)
    for response, code in ((first, 206), (replay, 416), (last, 201)):
        assert response.status_code == code
        assert re.fullmatch(r"bytes 0-\d+/10500000", response.headers["Content-Range"])
        if mode == "empty":
            assert response.content == b""
        else:
            assert response.content and not response.content.startswith(b'{"data"')
    assert last.headers["Content-Range"] == "bytes 0-10500000/10500000"


def test_upload_reply_body_from_http_control(server: SandboxServer, ctl: httpx.Client,
                                             http: httpx.Client, creator: Tokens) -> None:
    assert ctl.post("/__sandbox__/configure",
                    json={"upload_reply_body": "empty"}).status_code == 200
    clip = video_bytes()
    data = ok_data(init_direct(http, creator, len(clip)))
    done = put_chunk(http, data["upload_url"], clip, 0, len(clip))
    assert done.status_code == 201 and done.content == b""
    assert ctl.post("/__sandbox__/configure",
                    json={"upload_reply_body": "json"}).status_code == 400


def test_lost_refresh_answer_reaches_a_raw_client(server: SandboxServer,
                                                  creator: Tokens) -> None:
    """At the socket: the connection ends with no byte of an answer."""
    server.control.inject_fault("/v2/oauth/token/", "lose_refresh_answer")
    form = (f"client_key={server.app.client_key}&client_secret={server.app.client_secret}"
            f"&grant_type=refresh_token&refresh_token={creator.refresh_token}").encode()
    head = (f"POST /v2/oauth/token/ HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(form)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + form)
        try:
            answer = sock.recv(65536)
        except ConnectionResetError:
            answer = b""
    assert answer == b""
