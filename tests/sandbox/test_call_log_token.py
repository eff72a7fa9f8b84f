"""The call log names the access token behind each call (a short hash, never the token), so
per-token request rates can be read back from it (tests/reliability)."""

from __future__ import annotations

import hashlib
import json

import httpx

from tiktok_desktop.sandbox import SandboxServer

from .helpers import connect, init_direct, token_form


def _short_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def test_calls_carry_a_token_id_per_access_token(server: SandboxServer,
                                                 http: httpx.Client) -> None:
    first = connect(server, http)
    second = connect(server, http, "sandbox_private")
    server.control.clear_calls()
    init_direct(http, first)
    init_direct(http, second, privacy_level="SELF_ONLY")
    server.control.inject_fault("/v2/post/publish/video/init/", "status", status=503)
    init_direct(http, first)  # answered by an injected fault: still that token's request
    http.post("/v2/post/publish/status/fetch/", json={"publish_id": "x"},
              headers={"Authorization": "Basic abc"})  # no bearer token
    http.post("/v2/oauth/token/", data=token_form(server.app, grant_type="refresh_token",
                                                  refresh_token=first.refresh_token))
    calls = server.control.calls()
    assert [(c.path, c.status, c.token_id) for c in calls] == [
        ("/v2/post/publish/video/init/", 200, _short_hash(first.access_token)),
        ("/v2/post/publish/video/init/", 200, _short_hash(second.access_token)),
        ("/v2/post/publish/video/init/", 503, _short_hash(first.access_token)),
        ("/v2/post/publish/status/fetch/", 401, None),
        ("/v2/oauth/token/", 200, None),
    ]
    logged = json.dumps(http.get("/__sandbox__/calls",
                                headers={"X-Sandbox-Token": server.control_token}).json())
    assert _short_hash(first.access_token) in logged
    for secret in (first.access_token, second.access_token, first.refresh_token):
        assert secret not in logged
