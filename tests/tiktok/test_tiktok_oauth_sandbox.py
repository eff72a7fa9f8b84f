"""OAuth through the client against the running sandbox: connect, refresh, revoke, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tiktok_support import ALL_SCOPES, REDIRECT_URI, Connect, FakeClock

from tiktok_desktop.tiktok import (
    OAUTH_ERRORS,
    AccessTokenInvalid,
    AuthorizationDenied,
    ClientCredentials,
    Endpoints,
    OAuthClient,
    OAuthError,
    RateLimited,
    ServerError,
    TikTokApi,
    new_pkce,
    new_state,
    parse_callback,
)


def test_connect_gives_tokens_with_expiry_counted_from_the_response(
        connect: Connect, clock: FakeClock, user: Callable[[str], Any]) -> None:
    tokens = connect()
    assert tokens.open_id == user("sandbox_creator").open_id
    assert tokens.scopes == frozenset(ALL_SCOPES)
    assert tokens.token_type == "Bearer"
    assert tokens.access_expires_at == clock() + 7200  # TikTok today: 2 h and 180 days
    assert tokens.refresh_expires_at == clock() + 15552000
    assert tokens.access_token and tokens.refresh_token
    assert tokens.access_token not in repr(tokens)


@pytest.mark.parametrize("sandbox_options", [  # the older page's 24 h and 365 days
    {"access_token_lifetime": 86400, "refresh_token_lifetime": 31536000}], indirect=True)
def test_lifetimes_are_read_not_hard_coded(connect: Connect, clock: FakeClock) -> None:
    tokens = connect()
    assert tokens.access_expires_at == clock() + 86400
    assert tokens.refresh_expires_at == clock() + 31536000


def test_user_can_switch_scopes_off(connect: Connect) -> None:
    tokens = connect(grant=("user.info.basic", "video.upload"))
    assert tokens.scopes == frozenset({"user.info.basic", "video.upload"})


def test_consent_denied(sandbox: Any, oauth: OAuthClient) -> None:
    pkce, state = new_pkce(), new_state()
    redirect = sandbox.control.deny(oauth.authorize_url(ALL_SCOPES, REDIRECT_URI, state,
                                                        pkce.challenge))
    with pytest.raises(AuthorizationDenied) as info:
        parse_callback(redirect).authorization_code(state)
    assert info.value.needs_reauth and not info.value.retryable


def _code(sandbox: Any, oauth: OAuthClient, user: Callable[[str], Any]) -> tuple[str, str]:
    pkce, state = new_pkce(), new_state()
    url = oauth.authorize_url(ALL_SCOPES, REDIRECT_URI, state, pkce.challenge)
    redirect = sandbox.control.approve(url, open_id=user("sandbox_creator").open_id)
    return parse_callback(redirect).authorization_code(state), pkce.verifier


def test_code_is_single_use(sandbox: Any, oauth: OAuthClient,
                            user: Callable[[str], Any]) -> None:
    code, verifier = _code(sandbox, oauth, user)
    oauth.exchange_code(code, REDIRECT_URI, verifier)
    with pytest.raises(OAuthError) as info:
        oauth.exchange_code(code, REDIRECT_URI, verifier)
    assert (info.value.code, info.value.needs_reauth, info.value.retryable) == (
        "invalid_grant", True, False)
    assert code not in str(info.value) and verifier not in str(info.value)


def test_wrong_verifier_is_refused(sandbox: Any, oauth: OAuthClient,
                                   user: Callable[[str], Any]) -> None:
    code, _ = _code(sandbox, oauth, user)
    with pytest.raises(OAuthError) as info:
        oauth.exchange_code(code, REDIRECT_URI, new_pkce().verifier)
    assert info.value.code == "invalid_request"
    assert info.value.detail == "Code verifier or code challenge is invalid."
    assert "verifier" not in str(info.value)


def test_redirect_uri_must_be_identical(sandbox: Any, oauth: OAuthClient,
                                       user: Callable[[str], Any]) -> None:
    code, verifier = _code(sandbox, oauth, user)
    with pytest.raises(OAuthError) as info:
        oauth.exchange_code(code, REDIRECT_URI.rstrip("/"), verifier)
    assert info.value.code == "invalid_grant"


def test_wrong_client_secret(sandbox: Any, http: httpx.Client, endpoints: Endpoints,
                             user: Callable[[str], Any], oauth: OAuthClient) -> None:
    code, verifier = _code(sandbox, oauth, user)
    bad = OAuthClient(http, ClientCredentials(sandbox.app.client_key, "not-the-secret"),
                      endpoints)
    with pytest.raises(OAuthError) as info:
        bad.exchange_code(code, REDIRECT_URI, verifier)
    assert info.value.code == "invalid_client"
    assert info.value.http_status == 401
    assert not info.value.needs_reauth    # fix the credentials, not the account
    assert "not-the-secret" not in str(info.value) + repr(info.value) + repr(bad)


def test_refresh_rotates_and_counts_expiry_from_its_own_response(
        connect: Connect, oauth: OAuthClient, clock: FakeClock, api: TikTokApi) -> None:
    first = connect()
    clock.advance(3600)
    second = oauth.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.open_id == first.open_id and second.scopes == first.scopes
    assert second.access_expires_at == clock() + 7200
    assert second.refresh_expires_at == clock() + 15552000
    assert api.user_info(second.access_token).open_id == first.open_id
    with pytest.raises(OAuthError) as info:     # the old refresh token died with rotation
        oauth.refresh(first.refresh_token)
    assert info.value.code == "invalid_grant" and info.value.needs_reauth


def test_expired_access_token_needs_a_refresh(connect: Connect, oauth: OAuthClient,
                                              clock: FakeClock, api: TikTokApi) -> None:
    tokens = connect()
    clock.advance(86400)
    with pytest.raises(AccessTokenInvalid) as info:
        api.user_info(tokens.access_token)
    assert info.value.needs_refresh and not info.value.needs_reauth
    assert info.value.http_status == 401
    fresh = oauth.refresh(tokens.refresh_token)
    assert api.user_info(fresh.access_token).open_id == tokens.open_id


def test_control_expired_token(connect: Connect, sandbox: Any, api: TikTokApi) -> None:
    tokens = connect()
    sandbox.control.expire_access_token(tokens.access_token)
    with pytest.raises(AccessTokenInvalid):
        api.creator_info(tokens.access_token)


def test_refresh_token_expiry_means_reconnect(connect: Connect, oauth: OAuthClient,
                                              clock: FakeClock) -> None:
    tokens = connect()
    clock.advance(31536000)
    with pytest.raises(OAuthError) as info:
        oauth.refresh(tokens.refresh_token)
    assert info.value.code == "invalid_grant" and info.value.needs_reauth


def test_revoke_disconnects(connect: Connect, oauth: OAuthClient, api: TikTokApi) -> None:
    tokens = connect()
    oauth.revoke(tokens.access_token)
    with pytest.raises(AccessTokenInvalid):
        api.user_info(tokens.access_token)
    with pytest.raises(OAuthError) as info:
        oauth.refresh(tokens.refresh_token)
    assert info.value.code == "invalid_grant"


def test_revoked_by_user_in_tiktok(connect: Connect, sandbox: Any, oauth: OAuthClient,
                                   api: TikTokApi) -> None:
    tokens = connect()
    sandbox.control.revoke_tokens(tokens.open_id)
    with pytest.raises(AccessTokenInvalid):
        api.user_info(tokens.access_token)
    with pytest.raises(OAuthError) as info:
        oauth.refresh(tokens.refresh_token)
    assert info.value.needs_reauth


def test_unaudited_app_connects_too(sandbox: Any, http: httpx.Client, endpoints: Endpoints,
                                    connect: Connect, clock: FakeClock) -> None:
    app = sandbox.unaudited_app
    client = OAuthClient(http, ClientCredentials(app.client_key, app.client_secret), endpoints,
                         clock=clock)
    tokens = connect(username="sandbox_private", client=client)
    assert "video.publish" in tokens.scopes


def test_transient_token_failures_are_retryable_not_disconnects(
        connect: Connect, sandbox: Any, oauth: OAuthClient) -> None:
    """A refresh that fails with 5xx / 429 must not look like a revoked account."""
    tokens = connect()
    sandbox.control.inject_fault("/v2/oauth/token/", "status", status=503)
    with pytest.raises(ServerError) as server:
        oauth.refresh(tokens.refresh_token)
    assert server.value.retryable and not server.value.needs_reauth
    sandbox.control.inject_fault("/v2/oauth/token/", "rate_limit")
    with pytest.raises(RateLimited) as limited:
        oauth.refresh(tokens.refresh_token)
    assert limited.value.retry_after > 0 and not limited.value.needs_reauth
    # The refresh token is still good: neither failure consumed it.
    assert oauth.refresh(tokens.refresh_token).open_id == tokens.open_id


def test_invalid_scope_comes_back_on_the_redirect(sandbox: Any, oauth: OAuthClient) -> None:
    from tiktok_desktop.sandbox import SandboxAuthorizeError

    pkce, state = new_pkce(), new_state()
    url = oauth.authorize_url(["user.info.basic", "video.delete_everything"], REDIRECT_URI,
                              state, pkce.challenge)
    with pytest.raises(SandboxAuthorizeError) as refused:
        sandbox.control.approve(url)
    location = refused.value.redirect_location()
    assert location is not None and location.startswith(REDIRECT_URI)
    with pytest.raises(OAuthError) as info:
        parse_callback(location).authorization_code(state)
    assert info.value.code == "invalid_scope"
    assert "developer portal" in str(info.value)


@pytest.mark.parametrize("category", sorted(OAUTH_ERRORS))
def test_every_oauth_category_maps_through_the_client(connect: Connect, sandbox: Any,
                                                      oauth: OAuthClient,
                                                      category: str) -> None:
    tokens = connect()
    sandbox.control.inject_fault("/v2/oauth/token/", "status", status=400, code=category)
    with pytest.raises(OAuthError) as info:
        oauth.refresh(tokens.refresh_token)
    spec = OAUTH_ERRORS[category]
    assert type(info.value) is spec.cls
    assert (info.value.code, info.value.http_status) == (category, 400)
    assert (info.value.retryable, info.value.needs_reauth) == (spec.retryable,
                                                               spec.needs_reauth)
    assert info.value.log_id
    assert str(info.value) == spec.message
    assert tokens.refresh_token not in str(info.value) + repr(info.value)


def test_check_client_accepts_the_registered_app(oauth: OAuthClient, sandbox: Any) -> None:
    before = (len(sandbox.state.access_tokens), len(sandbox.state.grants))
    assert oauth.check_client() == 7200
    # The check leaves nothing behind that could act for a user.
    assert (len(sandbox.state.access_tokens), len(sandbox.state.grants)) == before


@pytest.mark.parametrize("field", ["client_key", "client_secret"])
def test_check_client_refuses_a_wrong_key_or_secret(http: httpx.Client, sandbox: Any,
                                                    endpoints: Endpoints, field: str) -> None:
    app = sandbox.app
    values = {"client_key": app.client_key, "client_secret": app.client_secret,
              field: "not-the-right-one"}
    bad = OAuthClient(http, ClientCredentials(**values), endpoints)
    with pytest.raises(OAuthError) as info:
        bad.check_client()
    assert info.value.code == "invalid_client"
    assert "not-the-right-one" not in str(info.value) + repr(info.value)


def test_client_token_opens_no_user_endpoint(http: httpx.Client, sandbox: Any) -> None:
    app = sandbox.app
    reply = http.post(sandbox.base_url + "/v2/oauth/token/", data={
        "client_key": app.client_key, "client_secret": app.client_secret,
        "grant_type": "client_credentials"})
    token = reply.json()["access_token"]
    info = http.get(sandbox.base_url + "/v2/user/info/", params={"fields": "open_id"},
                    headers={"Authorization": f"Bearer {token}"})
    assert info.status_code == 401
    assert info.json()["error"]["code"] == "access_token_invalid"
