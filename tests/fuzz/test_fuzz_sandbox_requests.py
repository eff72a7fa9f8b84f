"""Fuzzing the sandbox's request parsing over raw sockets.

Whatever arrives (odd methods, paths with any escapes, junk headers, lying Content-Length,
broken JSON or forms, any Content-Range on a real upload URL), the sandbox answers with one
well-formed HTTP response in TikTok's shape: the v2 envelope (``data`` + ``error`` with
``code``/``message``/``log_id``), the flat OAuth error (``error`` + ``error_description``),
or, on the few browser pages, HTML. Never a 500, never a hung or silently dropped connection.

One sandbox serves every example of a module (starting one per example would be most of the
run time); the properties hold in whatever state earlier examples left it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.support import (
    FUZZ,
    RawResponse,
    bad_lengths,
    build_request,
    exchange,
    extra_headers,
    header_value,
    methods,
    parse_response,
    target_text,
)
from tests.helpers.clock import FakeClock
from tests.sandbox.helpers import Tokens, connect, init_direct, ok_data
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

# Every route the sandbox serves to the app (the /__sandbox__/ control surface is the tests'
# own remote control and is left out).
API_PATHS = [
    "/v2/oauth/token/", "/v2/oauth/revoke/", "/v2/user/info/",
    "/v2/post/publish/creator_info/query/", "/v2/post/publish/video/init/",
    "/v2/post/publish/inbox/video/init/", "/v2/post/publish/status/fetch/",
    "/v2/post/publish/cancel/", "/v2/video/list/", "/v2/video/query/", "/upload/video/",
]
KEYS = ["post_info", "source_info", "publish_id", "filters", "video_ids", "max_count", "cursor",
        "title", "privacy_level", "video_size", "chunk_size", "total_chunk_count", "source",
        "brand_content_toggle", "disable_comment", "video_cover_timestamp_ms"]
JSON_POSTS = [p for p in API_PATHS if p.startswith(("/v2/post/", "/v2/video/"))]
PAGE_PATHS = ["/", "/@sandbox_creator", "/@nobody", "/v2/auth/authorize/"]
VIDEO_SIZE = 1000  # one chunk


@dataclass
class World:
    server: SandboxServer
    tokens: Tokens
    http: httpx.Client

    @property
    def port(self) -> int:
        return self.server.port

    def upload_url(self) -> str:
        """A fresh upload task (one 1000-byte chunk) so each example meets a live one."""
        return str(ok_data(init_direct(self.http, self.tokens, VIDEO_SIZE))["upload_url"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    # No rate limits or caps: the fuzzer should reach the parsers, not stop at a 429. No media
    # checks: the fuzzed uploads are random bytes and only their parsing is under test.
    options = SandboxOptions(rate_limits_enabled=False, daily_post_cap=1_000_000,
                             pending_inbox_cap=1_000_000, store_upload_bytes=False,
                             media_checks=False)
    state = tmp_path_factory.mktemp("fuzz-sandbox")
    with SandboxServer(state, options, clock=FakeClock()) as server, \
            httpx.Client(base_url=server.base_url, timeout=10.0, trust_env=False) as http:
        yield World(server, connect(server, http), http)


def server_path(target: str) -> str:
    """The path the sandbox routes on, as http.server and the sandbox derive it."""
    if target.startswith("//"):
        target = "/" + target.lstrip("/")  # http.server folds a leading "//"
    try:
        return unquote(urlsplit(target).path)
    except ValueError:
        return unquote(target.partition("?")[0])


def assert_tiktok_shaped(method: str, target: str, response: RawResponse) -> None:
    path = server_path(target)
    context = f"{method} {target[:120]!r} -> {response.status} {response.body[:300]!r}"
    assert response.status < 500, f"server error: {context}"
    if method == "HEAD":  # an answer to HEAD has no body to check; the routes serve no HEAD
        assert response.status in (404, 405) and response.body == b"", context
        return
    content_type = (response.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = json.loads(response.body)
        assert isinstance(body, dict), context
        if "data" in body:  # v2 envelope
            error = body.get("error")
            assert isinstance(body["data"], dict) and isinstance(error, dict), context
            assert isinstance(error.get("code"), str) and error["code"], context
            assert isinstance(error.get("message"), str), context
            assert isinstance(error.get("log_id"), str) and error["log_id"], context
            if error["code"] == "ok":
                assert response.status in (200, 201, 206), context
        else:  # flat OAuth answer: an error, or a token grant / revoke on /v2/oauth/
            assert path.startswith(("/v2/oauth/", "/v2/auth/")), context
            if response.status >= 400:
                assert isinstance(body.get("error"), str) and body["error"], context
                assert isinstance(body.get("error_description"), str), context
    elif content_type == "text/html":
        assert path in PAGE_PATHS or path.startswith("/@"), f"HTML outside the pages: {context}"
    else:
        # The authorize page's redirect back to the app (302, empty body) is the one other.
        assert response.status == 302 and path == "/v2/auth/authorize/", context
        assert response.header("Location"), context


def send(world: World, method: str, target: str, headers: list[tuple[str, str]],
         body: bytes = b"", content_length: str | None = None) -> RawResponse:
    raw = exchange(world.port, build_request(method, target, headers, body, content_length))
    response = parse_response(raw, head=method == "HEAD")
    assert_tiktok_shaped(method, target, response)
    return response


# --- strategies ---------------------------------------------------------------------------------
def queries() -> st.SearchStrategy[str]:
    pairs = st.lists(st.tuples(st.sampled_from(["fields", "upload_id", "upload_token",
                                                "client_key", "state", "x"]),
                               st.text(max_size=20)), max_size=4)
    return st.one_of(st.just(""), pairs.map(lambda p: "?" + urlencode(p)),
                     target_text.map(lambda t: "?" + t))


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
        st.text(max_size=20),
        st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2),  # lone surrogates
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=3),
                                      st.text(st.characters(categories=["Cs"]), min_size=1,
                                              max_size=1)),
                            inner, max_size=5),
        ),
        max_leaves=12,
    )


def json_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        json_values().map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=200),
        st.sampled_from([
            b"[" * 50_000 + b"]" * 50_000,  # nested deeper than any parser's recursion
            b"1" * 5000,  # an integer too long for Python's int() guard
            b'{"post_info": {"title": "\\ud83d"}}',
            b"\xff\xfe{}", b"", b"   ", b"{", b"null",
        ]),
    )


# --- properties ---------------------------------------------------------------------------------
@FUZZ
@given(method=methods, path=st.one_of(st.sampled_from(API_PATHS + PAGE_PATHS),
                                      target_text.map(lambda t: "/" + t),
                                      target_text.map(lambda t: "http://" + t)),
       query=queries(), headers=extra_headers, body=st.binary(max_size=300),
       authorized=st.booleans())
@example(method="GET", path="http://[::1", query="", headers=[], body=b"", authorized=False)
@example(method="HEAD", path="/v2/user/info/", query="", headers=[], body=b"", authorized=True)
@example(method="GET", path="//@sandbox_creator", query="", headers=[], body=b"",
         authorized=False)
@example(method="FOO", path="/v2/user/info/", query="", headers=[], body=b"", authorized=True)
def test_any_request_line_and_headers(world: World, method: str, path: str, query: str,
                                      headers: list[tuple[str, str]], body: bytes,
                                      authorized: bool) -> None:
    if authorized:
        headers = [*headers, ("Authorization", f"Bearer {world.tokens.access_token}")]
    send(world, method, path + query, headers, body)


@FUZZ
@given(path=st.sampled_from([*API_PATHS, "/v2/auth/authorize/"]), length=bad_lengths,
       body=st.binary(max_size=50), chunked=st.booleans())
@example(path="/v2/oauth/token/", length="\u00b2", body=b"ab", chunked=False)
def test_lying_or_unreadable_body_lengths(world: World, path: str, length: str, body: bytes,
                                          chunked: bool) -> None:
    headers = [("Authorization", f"Bearer {world.tokens.access_token}"),
               ("Content-Type", "application/json")]
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
    send(world, "POST" if path != "/upload/video/" else "PUT", path, headers, body, length)


@FUZZ
@given(path=st.sampled_from(JSON_POSTS), body=json_bodies(),
       content_type=st.one_of(st.sampled_from(["application/json",
                                               "application/json; charset=UTF-8",
                                               "APPLICATION/JSON", "text/plain"]),
                              header_value))
@example(path="/v2/post/publish/video/init/", body=b"[" * 50_000 + b"]" * 50_000,
         content_type="application/json")
@example(path="/v2/post/publish/status/fetch/", body=b"1" * 5000,
         content_type="application/json")
@example(path="/v2/post/publish/video/init/",
         body=b'{"post_info": {"privacy_level": "SELF_ONLY", "title": "\\ud83d", '
              b'"disable_comment": false, "disable_duet": false, "disable_stitch": false, '
              b'"brand_content_toggle": false}, "source_info": {"source": "FILE_UPLOAD", '
              b'"video_size": 1000, "chunk_size": 1000, "total_chunk_count": 1}}',
         content_type="application/json")
def test_json_bodies_with_a_valid_token(world: World, path: str, body: bytes,
                                        content_type: str) -> None:
    headers = [("Authorization", f"Bearer {world.tokens.access_token}"),
               ("Content-Type", content_type)]
    send(world, "POST", path, headers, body)


@FUZZ
@given(fields=st.lists(st.tuples(
           st.sampled_from(["client_key", "client_secret", "grant_type", "code",
                            "refresh_token", "redirect_uri", "code_verifier", "token", "x"]),
           st.one_of(st.text(max_size=30), st.sampled_from(
               ["authorization_code", "refresh_token", "client_credentials", "APP_KEY",
                "APP_SECRET"]))), max_size=7),
       raw=st.one_of(st.none(), st.binary(max_size=100)),
       path=st.sampled_from(["/v2/oauth/token/", "/v2/oauth/revoke/"]))
def test_oauth_forms(world: World, fields: list[tuple[str, str]], raw: bytes | None,
                     path: str) -> None:
    app = world.server.app
    named = {"APP_KEY": app.client_key, "APP_SECRET": app.client_secret}
    pairs = [(k, named.get(v, v)) for k, v in fields]
    body = raw if raw is not None else urlencode(pairs).encode()
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    send(world, "POST", path, headers, body)


@FUZZ
@given(content_range=st.one_of(
           st.tuples(st.integers(-2, 1002), st.integers(-2, 1002),
                     st.sampled_from([999, 1000, 1001, 0, -1, 10**30]))
           .map(lambda r: f"bytes {r[0]}-{r[1]}/{r[2]}"),
           st.sampled_from(["bytes 0-999/1000", "bytes */1000", "bytes 0-999/*",
                            "bytes=0-999/1000", "bytes 0-999/1000, 0-1/2", ""]),
           header_value),
       size=st.sampled_from([0, 1, 999, 1000, 1001]),
       content_type=st.sampled_from(["video/mp4", "video/webm; codecs=vp9", "text/plain",
                                     "video/MP4", ""]),
       token=st.sampled_from(["right", "wrong", "missing"]))
@example(content_range="bytes 0-999/1000", size=1000, content_type="video/mp4", token="right")
def test_upload_put_with_any_content_range(world: World, content_range: str, size: int,
                                           content_type: str, token: str) -> None:
    parts = urlsplit(world.upload_url())
    query = parts.query
    if token == "wrong":
        query = query.replace("upload_token=", "upload_token=x")
    elif token == "missing":
        query = "&".join(q for q in query.split("&") if not q.startswith("upload_token="))
    headers = [("Content-Range", content_range)] if content_range else []
    if content_type:
        headers.append(("Content-Type", content_type))
    response = send(world, "PUT", f"{parts.path}?{query}", headers, b"v" * size)
    if (token, content_range, size, content_type) == ("right", "bytes 0-999/1000", 1000,
                                                      "video/mp4"):
        assert response.status == 201  # the one right chunk is really taken


def test_every_answer_was_checked_against_a_live_server(world: World) -> None:
    """Guards the guards: a correct request gets the ok envelope through the same checks, and
    the checker refuses a 500."""
    ok = send(world, "GET", "/v2/user/info/?fields=open_id,display_name",
              [("Authorization", f"Bearer {world.tokens.access_token}")])
    assert ok.status == 200 and json.loads(ok.body)["data"]["user"]["open_id"]
    fake = RawResponse("HTTP/1.1", 500, "x", [("Content-Type", "application/json")],
                       b'{"data": {}, "error": {"code": "internal_error", "message": "",'
                       b' "log_id": "1"}}')
    with pytest.raises(AssertionError, match="server error"):
        assert_tiktok_shaped("GET", "/v2/user/info/", fake)


CONTROL_PATHS = ["/__sandbox__/info", "/__sandbox__/ping", "/__sandbox__/inject_fault",
                 "/__sandbox__/add_user", "/__sandbox__/configure", "/__sandbox__/revoke_tokens",
                 "/__sandbox__/calls", "/__sandbox__/page/draft", "/__sandbox__/nothing"]


@FUZZ
@given(method=methods, path=st.sampled_from(CONTROL_PATHS),
       host=st.one_of(st.just("right"), st.just("127.0.0.1"), header_value),
       token=st.one_of(st.none(), st.just("near"), header_value),
       content_type=st.one_of(st.none(), st.sampled_from(
           ["application/json", "text/plain", "application/x-www-form-urlencoded"])),
       body=json_bodies())
@example(method="POST", path="/__sandbox__/inject_fault", host="right", token=None,
         content_type="text/plain", body=b'{"path_prefix": "/", "kind": "status"}')
def test_control_api_refuses_whoever_lacks_the_token(
        world: World, method: str, path: str, host: str, token: str | None,
        content_type: str | None, body: bytes) -> None:
    """Whatever else a request gets right, without this run's control token (or with a forged
    Host) the control API answers 401/403 and nothing happens; the page form, 403/415."""
    server = world.server
    users, options = len(server.users), dict(vars(server.options))
    if token == "near":  # the real token, one character off
        token = server.control_token[:-1] + ("A" if server.control_token[-1] != "A" else "B")
    lines = [f"{method} {path} HTTP/1.1",
             f"Host: {f'127.0.0.1:{server.port}' if host == 'right' else host}",
             "Connection: close", f"Content-Length: {len(body)}"]
    if token is not None:
        lines.append(f"X-Sandbox-Token: {token}")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    raw = exchange(server.port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    response = parse_response(raw, head=method == "HEAD")
    if method not in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        assert response.status == 405  # http.server refuses it before any route is looked at
    elif path == "/__sandbox__/page/draft" and host == "right":
        assert response.status in (400, 403, 404, 405, 415), response.status
    else:
        assert response.status in (401, 403), (response.status, response.body[:200])
    assert server.faults.take("/v2/user/info/") is None
    assert len(server.users) == users and dict(vars(server.options)) == options
