"""Login Kit for Desktop: the authorize/consent page, token grants and revoke (TIKTOK_API.md 1-2).

Decisions where TikTok's docs are silent (strict on purpose):
- An authorize request with an unknown client_key or an untrusted redirect_uri gets an HTML error
  page (no redirect). Other invalid parameters redirect to the (trusted) redirect_uri with
  ``error`` / ``error_description`` / ``state``, as OAuth prescribes.
- A repeated query or form parameter is ``invalid_request``.
- An authorization code is spent by the first token request that names it with valid client
  credentials, even if that request then fails (wrong verifier, wrong redirect_uri): codes are
  single-use. Presenting a spent code is ``invalid_grant`` and also revokes every token issued
  from it (OAuth 2.0 security BCP: a replayed code means it may have leaked).
- Refresh rotates: the old refresh token dies, the access tokens issued before stay valid until
  they expire. The new refresh token gets a full ``refresh_token_lifetime``.
- Revoke takes an access token and kills the whole grant (all its access and refresh tokens);
  in-flight publishes of that grant end FAILED with ``auth_removed``. An unknown token answers
  ``{}`` (RFC 7009); a refresh token or a token of another app is ``invalid_request``.
- HTTP statuses: ``invalid_client`` 401, every other OAuth error 400.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from . import pages
from .models import ALL_SCOPES, App, CodeRecord, Grant, User, secret_hash
from .rules import pkce_matches, redirect_uri_matches, valid_challenge
from .state import State
from .wire import OAuthError, Request, Response, html_response, json_response, media_type

__all__ = [
    "AUTHORIZE_PATH",
    "AuthorizeRequest",
    "SandboxAuthorizeError",
    "approve_url",
    "deny_url",
    "handle_authorize_get",
    "handle_authorize_post",
    "handle_revoke",
    "handle_token",
    "parse_authorize",
]

AUTHORIZE_PATH = "/v2/auth/authorize/"
PKCE_ERROR = "Code verifier or code challenge is invalid."
CLIENT_TOKEN_LIFETIME = 7200  # 2 h (TIKTOK_API.md 2, client access token)


class SandboxAuthorizeError(Exception):
    """An invalid authorize request (what the consent page would refuse)."""

    def __init__(self, error: str, description: str, redirect_uri: str | None = None,
                 state: str | None = None) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        # Set when the redirect_uri is trusted, so the error can be sent back to it.
        self.redirect_uri = redirect_uri
        self.state = state

    def redirect_location(self) -> str | None:
        if self.redirect_uri is None:
            return None
        return _with_query(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description},
            self.state,
        )


@dataclass(frozen=True)
class AuthorizeRequest:
    app: App
    scopes: list[str]
    redirect_uri: str
    state: str | None
    code_challenge: str


def _with_query(redirect_uri: str, params: dict[str, str], state: str | None) -> str:
    if state is not None:
        params = {**params, "state": state}
    return f"{redirect_uri}?{urlencode(params)}"


def parse_authorize(state: State, query: dict[str, list[str]]) -> AuthorizeRequest:
    """Validate an authorize query exactly as GET /v2/auth/authorize/ does."""

    trusted: dict[str, str | None] = {}

    def one(name: str) -> str | None:
        values = query.get(name)
        if values is not None and len(values) > 1:
            raise SandboxAuthorizeError(
                "invalid_request", f"The parameter {name} is repeated.",
                trusted.get("redirect_uri"), trusted.get("state"),
            )
        return values[0] if values else None

    client_key = one("client_key")
    app = state.apps.get(client_key or "")
    if app is None:
        raise SandboxAuthorizeError("invalid_client", "The client_key is missing or unknown.")
    redirect_uri = one("redirect_uri")
    if not redirect_uri or not any(
        redirect_uri_matches(registered, redirect_uri) for registered in app.redirect_uris
    ):
        raise SandboxAuthorizeError(
            "invalid_request", "The redirect_uri does not match any URI registered for this app."
        )
    # From here on the redirect_uri is trusted: errors go back to it.
    trusted["redirect_uri"] = redirect_uri
    state_param = one("state")
    trusted["state"] = state_param

    def fail(error: str, description: str) -> SandboxAuthorizeError:
        return SandboxAuthorizeError(error, description, redirect_uri, state_param)

    if one("response_type") != "code":
        raise fail("unsupported_response_type", "response_type must be code.")
    scope = one("scope")
    if not scope:
        raise fail("invalid_scope", "The scope parameter is required.")
    scopes: list[str] = []
    for item in scope.split(","):
        if item not in ALL_SCOPES:
            raise fail("invalid_scope", f"Unknown scope: {item!r}.")
        if item not in app.scopes:
            raise fail("invalid_scope", f"The app is not approved for the scope {item}.")
        if item not in scopes:
            scopes.append(item)
    challenge = one("code_challenge")
    if challenge is None:
        raise fail("invalid_request", "code_challenge is required.")
    if not valid_challenge(challenge):
        raise fail("invalid_request", PKCE_ERROR)
    if one("code_challenge_method") != "S256":
        raise fail("invalid_request", "code_challenge_method must be S256.")
    return AuthorizeRequest(app, scopes, redirect_uri, state_param, challenge)


def _issue_code(state: State, request: AuthorizeRequest, user: User, granted: list[str]) -> str:
    # Shaped like TikTok's codes, with characters that must be percent-encoded in the callback.
    code = f"{secrets.token_urlsafe(48)}*0!{secrets.randbelow(10000)}.va"
    with state.lock:
        state.codes[secret_hash(code)] = CodeRecord(
            client_key=request.app.client_key,
            open_id=user.open_id,
            scopes=granted,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            expires_at=state.now() + state.options.auth_code_lifetime,
        )
        state.save()
    return _with_query(
        request.redirect_uri, {"code": code, "scopes": ",".join(granted)}, request.state
    )


def _grant_scopes(request: AuthorizeRequest, chosen: set[str]) -> list[str]:
    return [s for s in request.scopes if s in pages.FIXED_SCOPES or s in chosen]


def _denied(request: AuthorizeRequest) -> str:
    return _with_query(
        request.redirect_uri,
        {"error": "access_denied", "error_description": "The user denied the authorization."},
        request.state,
    )


def _query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def approve_url(state: State, authorize_url: str, open_id: str | None,
                scopes: list[str] | None) -> str:
    """control.approve: play the user pressing Authorize; returns the redirect URL."""
    request = parse_authorize(state, _query_of(authorize_url))
    user = state.users[open_id] if open_id else next(iter(state.users.values()))
    chosen = set(request.scopes if scopes is None else scopes)
    unknown = chosen - set(request.scopes)
    if unknown:
        raise ValueError(f"scopes not requested by the app: {sorted(unknown)}")
    return _issue_code(state, request, user, _grant_scopes(request, chosen))


def deny_url(state: State, authorize_url: str) -> str:
    """control.deny: play the user pressing Cancel."""
    return _denied(parse_authorize(state, _query_of(authorize_url)))


def _redirect(location: str) -> Response:
    return Response(status=302, headers=[("Location", location)], content_type="text/plain")


def _authorize_problem(problem: SandboxAuthorizeError) -> Response:
    location = problem.redirect_location()
    if location is not None:
        response = _redirect(location)
    else:
        response = html_response(400, pages.render_error(problem.error, problem.description))
    response.error_code = problem.error
    return response


def handle_authorize_get(state: State, request: Request) -> Response:
    try:
        parsed = parse_authorize(state, request.query)
    except SandboxAuthorizeError as problem:
        return _authorize_problem(problem)
    html = pages.render_consent(
        parsed.app,
        list(state.users.values()),
        parsed.scopes,
        action=f"{AUTHORIZE_PATH}?{request.raw_query}",
        redirect_uri=parsed.redirect_uri,
    )
    return html_response(200, html)


def handle_authorize_post(state: State, request: Request) -> Response:
    """The consent form: fields open_id, scope (repeated), action=authorize|cancel."""
    try:
        parsed = parse_authorize(state, request.query)
    except SandboxAuthorizeError as problem:
        return _authorize_problem(problem)
    form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    action = form.get("action", [""])[0]
    if action == "cancel":
        return _redirect(_denied(parsed))
    user = state.users.get(form.get("open_id", [""])[0])
    if action != "authorize" or user is None:
        response = html_response(
            400, pages.render_error("invalid_request", "Choose an account and press Authorize.")
        )
        response.error_code = "invalid_request"
        return response
    granted = _grant_scopes(parsed, set(form.get("scope", [])))
    return _redirect(_issue_code(state, parsed, user, granted))


# --- token endpoint ------------------------------------------------------------------------------


def _form(request: Request) -> dict[str, str]:
    if media_type(request.header("Content-Type")) != "application/x-www-form-urlencoded":
        raise OAuthError(
            400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded."
        )
    try:
        parsed = parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The body is not valid UTF-8.") from None
    form: dict[str, str] = {}
    for key, values in parsed.items():
        if len(values) > 1:
            raise OAuthError(400, "invalid_request", f"The parameter {key} is repeated.")
        form[key] = values[0]
    return form


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError(400, "invalid_request", f"The parameter {name} is required.")
    return value


def _client(state: State, form: dict[str, str]) -> App:
    client_key = _required(form, "client_key")
    client_secret = _required(form, "client_secret")
    app = state.apps.get(client_key)
    if app is None or not secrets.compare_digest(app.client_secret, client_secret):
        raise OAuthError(401, "invalid_client", "Client key or secret is invalid.")
    return app


def _token_payload(state: State, grant: Grant, access: str, refresh: str) -> dict[str, object]:
    record = state.refresh_tokens[secret_hash(refresh)]
    return {
        "open_id": grant.open_id,
        "scope": ",".join(grant.scopes),
        "access_token": access,
        "expires_in": int(state.options.access_token_lifetime),
        "refresh_token": refresh,
        "refresh_expires_in": max(0, int(record.expires_at - state.now())),
        "token_type": "Bearer",
    }


def _client_token(state: State) -> dict[str, object]:
    """A client access token (TIKTOK_API.md 2): only proves the app's credentials here.

    It opens no user endpoint, so it is not recorded: user endpoints reject it as unknown.
    """
    return {
        "access_token": "clt." + secrets.token_urlsafe(32),
        "expires_in": CLIENT_TOKEN_LIFETIME,
        "token_type": "Bearer",
    }


def _exchange_code(state: State, app: App, form: dict[str, str]) -> dict[str, object]:
    code = _required(form, "code")
    redirect_uri = _required(form, "redirect_uri")
    verifier = _required(form, "code_verifier")
    record = state.codes.get(secret_hash(code))
    if record is None or record.client_key != app.client_key or record.expires_at <= state.now():
        raise OAuthError(400, "invalid_grant", "Authorization code is expired or invalid.")
    if record.used:
        grant = state.grants.get(record.grant_id or "")
        if grant is not None and not grant.revoked:
            state.revoke_grant(grant)
            state.save()
        raise OAuthError(400, "invalid_grant", "Authorization code has already been used.")
    record.used = True
    state.save()
    if redirect_uri != record.redirect_uri:
        raise OAuthError(
            400, "invalid_grant", "The redirect_uri does not match the authorize request."
        )
    if not pkce_matches(verifier, record.code_challenge):
        raise OAuthError(400, "invalid_request", PKCE_ERROR)
    grant = Grant(
        grant_id=secrets.token_hex(12),
        client_key=app.client_key,
        open_id=record.open_id,
        scopes=list(record.scopes),
        created_at=state.now(),
    )
    state.grants[grant.grant_id] = grant
    record.grant_id = grant.grant_id
    access, refresh = state.issue_tokens(grant)
    state.save()
    return _token_payload(state, grant, access, refresh)


def _refresh(state: State, app: App, form: dict[str, str]) -> dict[str, object]:
    token = _required(form, "refresh_token")
    record = state.refresh_tokens.get(secret_hash(token))
    grant = state.grants.get(record.grant_id) if record is not None else None
    if (
        record is None
        or grant is None
        or record.revoked
        or grant.revoked
        or record.expires_at <= state.now()
        or grant.client_key != app.client_key
    ):
        raise OAuthError(400, "invalid_grant", "Refresh token is invalid or expired.")
    record.revoked = True  # rotation: the old refresh token dies
    access, refresh = state.issue_tokens(grant)
    state.save()
    return _token_payload(state, grant, access, refresh)


def handle_token(state: State, request: Request) -> Response:
    form = _form(request)
    grant_type = _required(form, "grant_type")
    if grant_type not in ("authorization_code", "refresh_token", "client_credentials"):
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")
    with state.lock:
        app = _client(state, form)
        if grant_type == "client_credentials":
            payload = _client_token(state)
        elif grant_type == "authorization_code":
            payload = _exchange_code(state, app, form)
        else:
            payload = _refresh(state, app, form)
    return json_response(200, payload)


def handle_revoke(state: State, request: Request) -> Response:
    form = _form(request)
    with state.lock:
        app = _client(state, form)
        token = _required(form, "token")
        key = secret_hash(token)
        if key in state.refresh_tokens:
            raise OAuthError(400, "invalid_request", "token must be an access token.")
        record = state.access_tokens.get(key)
        if record is not None:
            grant = state.grants.get(record.grant_id)
            if grant is not None:
                if grant.client_key != app.client_key:
                    raise OAuthError(
                        400, "invalid_request", "The token was not issued to this client."
                    )
                state.revoke_grant(grant)
                state.save()
    return json_response(200, {})
