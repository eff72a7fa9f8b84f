"""Login Kit for Desktop: authorize validation, the consent page, token grants, refresh, revoke."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlencode

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxAuthorizeError, SandboxServer

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
    pkce,
    token_form,
)


def _oauth_error(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error", "error_description", "log_id"}, body
    return response.status_code, body["error"], body["error_description"]


def _code(server: SandboxServer, challenge: str, **kwargs: str) -> str:
    url = authorize_url(server, authorize_params(server.app, challenge, **kwargs))
    return callback_params(server.control.approve(url))["code"]


def _exchange(http: httpx.Client, server: SandboxServer, code: str, verifier: str,
              redirect_uri: str = REDIRECT) -> httpx.Response:
    return http.post(
        "/v2/oauth/token/",
        data=token_form(server.app, code=code, grant_type="authorization_code",
                        redirect_uri=redirect_uri, code_verifier=verifier),
    )


def _user_info(http: httpx.Client, access_token: str) -> httpx.Response:
    return http.get("/v2/user/info/", params={"fields": "open_id"},
                    headers={"Authorization": f"Bearer {access_token}"})


# --- authorize: validation --------------------------------------------------------------------


def test_consent_page_is_self_contained_and_has_stable_controls(
    server: SandboxServer, http: httpx.Client
) -> None:
    _verifier, challenge = pkce()
    response = http.get(authorize_url(server, authorize_params(server.app, challenge)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert server.app.name in html
    for element in ('id="authorize"', 'id="cancel"', 'id="user"', 'name="open_id"'):
        assert element in html
    for scope in ALL.split(","):
        assert f'value="{scope}"' in html
    # user.info.basic is not toggleable: disabled box plus a hidden input carrying it
    assert re.search(r'id="scope-user-info-basic" checked disabled', html)
    assert '<input type="hidden" name="scope" value="user.info.basic">' in html
    for user in server.users:
        assert user.open_id in html
    assert_self_contained(html)
    assert "https://" not in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_key": "nope"},
        {"client_key": None},
        {"redirect_uri": "http://127.0.0.1:53817/callback"},  # trailing slash differs
        {"redirect_uri": "http://127.0.0.1:53817/other/"},
        {"redirect_uri": "http://[::1]:53817/callback/"},
        {"redirect_uri": "http://127.0.0.1:53817/callback/?x=1"},
        {"redirect_uri": None},
    ],
)
def test_untrusted_redirect_shows_error_page(server: SandboxServer, http: httpx.Client,
                                             overrides: dict[str, str | None]) -> None:
    _verifier, challenge = pkce()
    params = authorize_params(server.app, challenge, **overrides)
    response = http.get(authorize_url(server, params))
    assert response.status_code == 400
    assert "location" not in response.headers
    assert 'id="error-code"' in response.text
    with pytest.raises(SandboxAuthorizeError) as caught:
        server.control.approve(authorize_url(server, params))
    assert caught.value.redirect_uri is None


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": ""}, "invalid_scope"),
        ({"scope": None}, "invalid_scope"),
        ({"scope": "user.info.basic,video.delete"}, "invalid_scope"),
        ({"scope": "user.info.basic,"}, "invalid_scope"),
        ({"scope": "user.info.basic video.publish"}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "invalid_request"),
        ({"code_challenge": "A" * 64}, "invalid_request"),  # upper-case hex
        ({"code_challenge": "a" * 63}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
    ],
)
def test_invalid_parameters_redirect_with_error(server: SandboxServer, http: httpx.Client,
                                                overrides: dict[str, str | None],
                                                error: str) -> None:
    _verifier, challenge = pkce()
    params = authorize_params(server.app, challenge, **overrides)
    response = http.get(authorize_url(server, params))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    got = callback_params(location)
    assert got["error"] == error and got["state"] == "st4te" and "code" not in got
    with pytest.raises(SandboxAuthorizeError) as caught:
        server.control.approve(authorize_url(server, params))
    assert caught.value.error == error


def test_repeated_parameter_is_invalid(server: SandboxServer, http: httpx.Client) -> None:
    _verifier, challenge = pkce()
    query = urlencode(authorize_params(server.app, challenge)) + "&scope=video.list"
    response = http.get(f"/v2/auth/authorize/?{query}")
    assert response.status_code == 302
    assert callback_params(response.headers["location"])["error"] == "invalid_request"


def test_scope_the_app_is_not_approved_for(server: SandboxServer, http: httpx.Client) -> None:
    app = server.control.register_app("Narrow", [REDIRECT], scopes=["user.info.basic"])
    _verifier, challenge = pkce()
    response = http.get(authorize_url(server, authorize_params(app, challenge)))
    assert callback_params(response.headers["location"])["error"] == "invalid_scope"


def test_wildcard_port_accepts_any_concrete_port(server: SandboxServer) -> None:
    _verifier, challenge = pkce()
    for uri in ("http://127.0.0.1:1/callback/", "http://localhost:65535/callback/"):
        url = authorize_url(server, authorize_params(server.app, challenge, redirect_uri=uri))
        assert server.control.approve(url).startswith(uri + "?code=")


# --- consent page flows ------------------------------------------------------------------------


def test_form_authorize_redirects_with_code_and_granted_scopes(
    server: SandboxServer, http: httpx.Client
) -> None:
    verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge))
    private = server.user("sandbox_private")
    # user.info.basic is not in the form (as a browser would send it without the hidden input)
    response = http.post(url, data={"open_id": private.open_id, "action": "authorize",
                                    "scope": ["video.upload", "video.list"]})
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?code=")
    assert "%2A" in location  # the code needs URL-decoding
    got = callback_params(location)
    assert got["scopes"] == "user.info.basic,video.upload,video.list"
    assert got["state"] == "st4te"
    token = _exchange(http, server, got["code"], verifier)
    assert token.status_code == 200
    assert token.json()["open_id"] == private.open_id
    assert token.json()["scope"] == "user.info.basic,video.upload,video.list"


def test_form_cancel_redirects_with_access_denied(server: SandboxServer,
                                                  http: httpx.Client) -> None:
    _verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge, state="a b&c"))
    response = http.post(url, data={"open_id": server.users[0].open_id, "action": "cancel"})
    assert response.status_code == 302
    got = callback_params(response.headers["location"])
    assert got["error"] == "access_denied" and got["error_description"]
    assert got["state"] == "a b&c" and "code" not in got
    assert callback_params(server.control.deny(url))["error"] == "access_denied"


def test_form_with_unknown_user_is_refused(server: SandboxServer, http: httpx.Client) -> None:
    _verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge))
    response = http.post(url, data={"open_id": "-000nobody", "action": "authorize"})
    assert response.status_code == 400
    assert "location" not in response.headers


def test_approve_scopes_must_have_been_requested(server: SandboxServer) -> None:
    _verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.app, challenge, scope="user.info.basic"))
    with pytest.raises(ValueError, match="not requested"):
        server.control.approve(url, scopes=["video.publish"])


def test_state_is_optional(server: SandboxServer) -> None:
    _verifier, challenge = pkce()
    params = authorize_params(server.app, challenge)
    del params["state"]
    assert "state" not in callback_params(server.control.approve(authorize_url(server, params)))


# --- token: authorization_code -------------------------------------------------------------------


def test_code_exchange_response(server: SandboxServer, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    response = _exchange(http, server, _code(server, challenge), verifier)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"open_id", "scope", "access_token", "expires_in", "refresh_token",
                         "refresh_expires_in", "token_type"}
    assert body["token_type"] == "Bearer"
    # TikTok's current lifetimes (TIKTOK_API.md 2, the November 2026 pages): 2 h and 180 days
    assert body["expires_in"] == 7200 and body["refresh_expires_in"] == 180 * 86400
    assert body["access_token"].startswith("act.") and len(body["access_token"]) > 40
    assert body["refresh_token"].startswith("rft.") and len(body["refresh_token"]) > 40
    assert body["scope"] == ALL
    assert body["open_id"] == server.user("sandbox_creator").open_id


def test_token_endpoint_requires_form_encoding(server: SandboxServer,
                                               http: httpx.Client) -> None:
    verifier, challenge = pkce()
    form = token_form(server.app, code=_code(server, challenge), grant_type="authorization_code",
                      redirect_uri=REDIRECT, code_verifier=verifier)
    status, error, _ = _oauth_error(http.post("/v2/oauth/token/", json=form))
    assert (status, error) == (400, "invalid_request")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_secret": "wrong"}, (401, "invalid_client")),
        ({"client_key": "unknown"}, (401, "invalid_client")),
        ({"client_secret": ""}, (400, "invalid_request")),
        ({"grant_type": ""}, (400, "invalid_request")),
        ({"grant_type": "password"}, (400, "unsupported_grant_type")),
        ({"grant_type": "implicit"}, (400, "unsupported_grant_type")),
        ({"code": "made-up"}, (400, "invalid_grant")),
        ({"code": ""}, (400, "invalid_request")),
        ({"redirect_uri": "http://127.0.0.1:53817/callback"}, (400, "invalid_grant")),
        ({"redirect_uri": "http://127.0.0.1:53818/callback/"}, (400, "invalid_grant")),
        ({"redirect_uri": ""}, (400, "invalid_request")),
        ({"code_verifier": ""}, (400, "invalid_request")),
    ],
)
def test_code_exchange_errors(server: SandboxServer, http: httpx.Client,
                              change: dict[str, str], expected: tuple[int, str]) -> None:
    verifier, challenge = pkce()
    form = token_form(server.app, code=_code(server, challenge), grant_type="authorization_code",
                      redirect_uri=REDIRECT, code_verifier=verifier)
    form.update(change)
    form = {k: v for k, v in form.items() if v != "" or k in change}
    status, error, _ = _oauth_error(http.post("/v2/oauth/token/", data=form))
    assert (status, error) == expected


@pytest.mark.parametrize("kind", ["wrong", "short", "alphabet", "base64url-challenge"])
def test_pkce_failures(server: SandboxServer, http: httpx.Client, kind: str) -> None:
    verifier, challenge = pkce()
    if kind == "wrong":
        sent = pkce()[0]
    elif kind == "short":
        verifier = sent = "a" * 42
        challenge = hashlib.sha256(sent.encode()).hexdigest()
    elif kind == "alphabet":
        verifier = sent = "a" * 50 + "+/="
        challenge = hashlib.sha256(sent.encode()).hexdigest()
    else:
        sent = verifier
    if kind == "base64url-challenge":
        # RFC 7636 form is refused already at authorize
        with pytest.raises(SandboxAuthorizeError):
            _code(server, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        return
    status, error, description = _oauth_error(_exchange(http, server,
                                                        _code(server, challenge), sent))
    assert (status, error) == (400, "invalid_request")
    assert description == "Code verifier or code challenge is invalid."


def test_code_is_single_use_and_replay_revokes(server: SandboxServer,
                                               http: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = _code(server, challenge)
    first = _exchange(http, server, code, verifier)
    assert first.status_code == 200
    assert _user_info(http, first.json()["access_token"]).status_code == 200
    status, error, _ = _oauth_error(_exchange(http, server, code, verifier))
    assert (status, error) == (400, "invalid_grant")
    # the replay revoked what the code had produced
    assert _user_info(http, first.json()["access_token"]).status_code == 401
    refresh = http.post("/v2/oauth/token/", data=token_form(
        server.app, grant_type="refresh_token", refresh_token=first.json()["refresh_token"]))
    assert _oauth_error(refresh)[1] == "invalid_grant"


def test_failed_exchange_spends_the_code(server: SandboxServer, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = _code(server, challenge)
    assert _exchange(http, server, code, pkce()[0]).status_code == 400
    assert _oauth_error(_exchange(http, server, code, verifier))[1] == "invalid_grant"


def test_code_expires(server: SandboxServer, http: httpx.Client, clock: FakeClock) -> None:
    verifier, challenge = pkce()
    code = _code(server, challenge)
    clock.advance(300)
    assert _oauth_error(_exchange(http, server, code, verifier))[:2] == (400, "invalid_grant")


def test_code_of_another_app(server: SandboxServer, http: httpx.Client) -> None:
    verifier, challenge = pkce()
    url = authorize_url(server, authorize_params(server.unaudited_app, challenge))
    code = callback_params(server.control.approve(url))["code"]
    assert _oauth_error(_exchange(http, server, code, verifier))[1] == "invalid_grant"


# --- refresh -------------------------------------------------------------------------------------


def _refresh(http: httpx.Client, server: SandboxServer, token: str) -> httpx.Response:
    return http.post("/v2/oauth/token/", data=token_form(
        server.app, grant_type="refresh_token", refresh_token=token))


def test_refresh_rotates(server: SandboxServer, http: httpx.Client, creator: Tokens,
                         clock: FakeClock) -> None:
    clock.advance(1000)
    response = _refresh(http, server, creator.refresh_token)
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != creator.refresh_token
    assert body["access_token"] != creator.access_token
    assert body["scope"] == ALL and body["open_id"] == creator.open_id
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert _user_info(http, body["access_token"]).status_code == 200
    # the old refresh token died
    assert _oauth_error(_refresh(http, server, creator.refresh_token))[:2] == (400, "invalid_grant")
    # the new one works (and rotates again)
    again = _refresh(http, server, body["refresh_token"])
    assert again.status_code == 200 and again.json()["refresh_token"] != body["refresh_token"]


def test_expired_access_token_then_refresh(server: SandboxServer, http: httpx.Client,
                                           creator: Tokens, clock: FakeClock) -> None:
    clock.advance(7199)
    assert _user_info(http, creator.access_token).status_code == 200
    clock.advance(1)  # 2 h
    response = _user_info(http, creator.access_token)
    assert (response.status_code, response.json()["error"]["code"]) == (
        401, "access_token_invalid")
    assert _refresh(http, server, creator.refresh_token).status_code == 200


def test_expired_refresh_token(server: SandboxServer, http: httpx.Client, creator: Tokens,
                               clock: FakeClock) -> None:
    clock.advance(180 * 86400)
    assert _oauth_error(_refresh(http, server, creator.refresh_token))[:2] == (400, "invalid_grant")


def test_refresh_token_lives_180_days(server: SandboxServer, http: httpx.Client,
                                      creator: Tokens, clock: FakeClock) -> None:
    clock.advance(180 * 86400 - 1)
    assert _refresh(http, server, creator.refresh_token).status_code == 200


def test_refresh_needs_the_same_app(server: SandboxServer, http: httpx.Client,
                                    creator: Tokens) -> None:
    response = http.post("/v2/oauth/token/", data=token_form(
        server.unaudited_app, grant_type="refresh_token", refresh_token=creator.refresh_token))
    assert _oauth_error(response)[1] == "invalid_grant"
    wrong_secret = token_form(server.app, grant_type="refresh_token",
                              refresh_token=creator.refresh_token)
    wrong_secret["client_secret"] = "x"
    assert _oauth_error(http.post("/v2/oauth/token/", data=wrong_secret))[:2] == (
        401, "invalid_client")


# --- revoke --------------------------------------------------------------------------------------


def test_revoke_kills_the_grant(server: SandboxServer, http: httpx.Client) -> None:
    tokens = connect(server, http)
    other = connect(server, http, username="sandbox_private")
    response = http.post("/v2/oauth/revoke/", data=token_form(server.app,
                                                               token=tokens.access_token))
    assert response.status_code == 200 and response.json() == {}
    assert _user_info(http, tokens.access_token).status_code == 401
    assert _oauth_error(_refresh(http, server, tokens.refresh_token))[1] == "invalid_grant"
    assert _user_info(http, other.access_token).status_code == 200


def test_revoke_errors(server: SandboxServer, http: httpx.Client, creator: Tokens) -> None:
    wrong = token_form(server.app, token=creator.access_token)
    wrong["client_secret"] = "nope"
    assert _oauth_error(http.post("/v2/oauth/revoke/", data=wrong))[:2] == (401, "invalid_client")
    refresh = token_form(server.app, token=creator.refresh_token)
    assert _oauth_error(http.post("/v2/oauth/revoke/", data=refresh))[:2] == (
        400, "invalid_request")
    other_app = token_form(server.unaudited_app, token=creator.access_token)
    assert _oauth_error(http.post("/v2/oauth/revoke/", data=other_app))[1] == "invalid_request"
    missing = token_form(server.app)
    assert _oauth_error(http.post("/v2/oauth/revoke/", data=missing))[1] == "invalid_request"
    as_json = http.post("/v2/oauth/revoke/", json=token_form(server.app,
                                                             token=creator.access_token))
    assert _oauth_error(as_json)[1] == "invalid_request"
    # unknown tokens are fine (RFC 7009) and nothing of ours was revoked by any of the above
    unknown = http.post("/v2/oauth/revoke/", data=token_form(server.app, token="act.nothing"))
    assert unknown.status_code == 200 and unknown.json() == {}
    assert _user_info(http, creator.access_token).status_code == 200
