"""Small HTTP helpers for driving the sandbox like a client would (no app code involved)."""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.helpers.clock import FakeClock
from tests.helpers.videos import VideoSpec, video_bytes
from tiktok_desktop.sandbox import App, SandboxServer

REDIRECT = "http://127.0.0.1:53817/callback/"
ALL = "user.info.basic,user.info.profile,user.info.stats,video.publish,video.upload,video.list"
MB = 1_000_000


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 chars of [A-Za-z0-9_-]
    return verifier, hashlib.sha256(verifier.encode("ascii")).hexdigest()


def authorize_params(app: App, challenge: str, scope: str | None = ALL,
                     redirect_uri: str | None = REDIRECT, state: str | None = "st4te",
                     **overrides: str | None) -> dict[str, str]:
    """Query of a valid authorize request; a None value leaves that parameter out."""
    params: dict[str, str | None] = {
        "client_key": app.client_key,
        "scope": scope,
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {k: v for k, v in params.items() if v is not None}


def authorize_url(server: SandboxServer, params: dict[str, str]) -> str:
    return f"{server.base_url}/v2/auth/authorize/?{urlencode(params)}"


def assert_self_contained(html: str) -> None:
    """The page needs nothing from anywhere: no scripts, images, styles or fonts to fetch."""
    lowered = html.lower()
    assert "<script" not in lowered and "src=" not in lowered and "@import" not in lowered
    assert "url(" not in lowered
    for link in re.findall(r"<link[^>]*>", lowered):
        assert 'href="data:' in link, link


def callback_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def token_form(app: App, **fields: str) -> dict[str, str]:
    return {"client_key": app.client_key, "client_secret": app.client_secret, **fields}


@dataclass
class Tokens:
    access_token: str
    refresh_token: str
    open_id: str
    scope: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def connect(server: SandboxServer, http: httpx.Client, username: str = "sandbox_creator",
            scope: str = ALL, app: App | None = None,
            grant: list[str] | None = None) -> Tokens:
    """Authorize (via control.approve) and exchange the code; returns the tokens."""
    app = app or server.app
    verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(app, challenge, scope))
    user = server.user(username)
    location = server.control.approve(url, open_id=user.open_id, scopes=grant)
    code = callback_params(location)["code"]
    response = http.post(
        "/v2/oauth/token/",
        data=token_form(app, code=code, grant_type="authorization_code", redirect_uri=REDIRECT,
                        code_verifier=verifier),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Tokens(body["access_token"], body["refresh_token"], body["open_id"], body["scope"])


def post_info(**overrides: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "privacy_level": "PUBLIC_TO_EVERYONE",
        "title": "Hello #sandbox",
        "disable_comment": False,
        "disable_duet": False,
        "disable_stitch": False,
        "brand_content_toggle": False,
        "brand_organic_toggle": False,
    }
    info.update(overrides)
    return {k: v for k, v in info.items() if v is not None}


def source_info(video_size: int, chunk_size: int | None = None,
                total: int | None = None) -> dict[str, Any]:
    chunk = chunk_size or (video_size if video_size <= 64 * MB else 10 * MB)
    return {
        "source": "FILE_UPLOAD",
        "video_size": video_size,
        "chunk_size": chunk,
        "total_chunk_count": total if total is not None else video_size // chunk,
    }


def init_direct(http: httpx.Client, tokens: Tokens, size: int = 1000,
                **info: Any) -> httpx.Response:
    return http.post(
        "/v2/post/publish/video/init/",
        headers=tokens.headers,
        json={"post_info": post_info(**info), "source_info": source_info(size)},
    )


def init_inbox(http: httpx.Client, tokens: Tokens, size: int = 1000) -> httpx.Response:
    return http.post(
        "/v2/post/publish/inbox/video/init/",
        headers=tokens.headers,
        json={"source_info": source_info(size)},
    )


def ok_data(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert response.status_code == 200 and body["error"]["code"] == "ok", response.text
    assert body["error"]["log_id"]
    data: dict[str, Any] = body["data"]
    return data


def error_of(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    return response.status_code, body["error"]["code"]


def put_chunk(http: httpx.Client, upload_url: str, data: bytes, first: int, total: int,
              content_type: str = "video/mp4") -> httpx.Response:
    last = first + len(data) - 1
    return http.put(
        upload_url,
        content=data,
        headers={"Content-Type": content_type, "Content-Range": f"bytes {first}-{last}/{total}"},
    )


def status(http: httpx.Client, tokens: Tokens, publish_id: str) -> dict[str, Any]:
    return ok_data(
        http.post("/v2/post/publish/status/fetch/", headers=tokens.headers,
                  json={"publish_id": publish_id})
    )


def raw_request(port: int, head: bytes, body: bytes = b"", close_early: bool = False) -> bytes:
    """Send raw bytes (for requests httpx refuses to make); returns what the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        if close_early:
            return b""
        chunks = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            chunks.append(data)
            if b"\r\n\r\n" in b"".join(chunks):
                head_part, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head_part.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")),
                    None,
                )
                if length is not None and len(rest) >= length:
                    break
        return b"".join(chunks)


def video(spec: VideoSpec | None = None) -> bytes:
    """A real small video (1 s, 360x640, 30 fps H.264 MP4 unless `spec` says otherwise)."""
    return video_bytes(spec)


def control_headers(server: SandboxServer) -> dict[str, str]:
    """What the control API wants besides a JSON body: this run's token."""
    return {"X-Sandbox-Token": server.control_token}


def publish_small(http: httpx.Client, tokens: Tokens, clock: FakeClock, processing: float = 3.0,
                  moderation: float = 180.0, body: bytes | None = None,
                  **info: Any) -> tuple[str, dict[str, Any]]:
    """Direct-post a real small video end to end, waiting out processing and (a public post's)
    moderation on the fake clock; returns (publish_id, final status data)."""
    content = video() if body is None else body
    size = len(content)
    data = ok_data(init_direct(http, tokens, size, **info))
    upload = put_chunk(http, data["upload_url"], content, 0, size)
    assert upload.status_code == 201, upload.text
    clock.advance(processing)
    first = status(http, tokens, data["publish_id"])
    if first["status"] != "PUBLISH_COMPLETE":
        return data["publish_id"], first
    assert first["publicaly_available_post_id"] == []  # IDs only after moderation
    clock.advance(moderation)
    return data["publish_id"], status(http, tokens, data["publish_id"])
