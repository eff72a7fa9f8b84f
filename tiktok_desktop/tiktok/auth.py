"""Login Kit for Desktop: PKCE (hex S256), authorize URL, callback, token exchange/refresh/revoke.

Secrets (client_secret, tokens, authorization codes, code_verifier) are excluded from every
repr() here and are never logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ._http import Clock, decode_oauth, send
from .endpoints import DEFAULT_TIMEOUT, Endpoints
from .error_codes import oauth_error
from .errors import AuthorizationDenied, ProtocolError, StateMismatch

__all__ = [
    "VERIFIER_ALPHABET",
    "CallbackParams",
    "ClientCredentials",
    "OAuthClient",
    "PkcePair",
    "TokenSet",
    "build_authorize_url",
    "code_challenge",
    "generate_code_verifier",
    "new_pkce",
    "new_state",
    "parse_callback",
    "parse_callback_query",
    "parse_scopes",
]

log = logging.getLogger("tiktok_desktop.tiktok.auth")

# RFC 7636 "unreserved": A-Z a-z 0-9 - . _ ~
VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"


def generate_code_verifier(length: int = 64) -> str:
    """A fresh PKCE code_verifier: ``length`` (43-128) unreserved characters from ``secrets``."""
    if not 43 <= length <= 128:
        raise ValueError("code_verifier length must be 43-128")
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(length))


def code_challenge(verifier: str) -> str:
    """TikTok's desktop quirk: lowercase hex SHA-256 of the verifier (not base64url)."""
    return hashlib.sha256(verifier.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class PkcePair:
    verifier: str = field(repr=False)
    challenge: str


def new_pkce(length: int = 64) -> PkcePair:
    verifier = generate_code_verifier(length)
    return PkcePair(verifier=verifier, challenge=code_challenge(verifier))


def new_state() -> str:
    """A random anti-CSRF ``state`` value (URL-safe)."""
    return secrets.token_urlsafe(24)


def parse_scopes(value: str | Iterable[str] | None) -> frozenset[str]:
    """``"a,b, c"`` (or an iterable) -> frozenset; empty parts dropped."""
    if value is None:
        return frozenset()
    parts = value.split(",") if isinstance(value, str) else value
    return frozenset(p.strip() for p in parts if p and p.strip())


def build_authorize_url(endpoints: Endpoints, client_key: str, scopes: Iterable[str],
                        redirect_uri: str, state: str, code_challenge: str) -> str:
    """The consent page URL to open in the system browser."""
    scope_list = list(dict.fromkeys(scopes))  # keep order, drop duplicates
    if not scope_list:
        raise ValueError("at least one scope is required")
    query = urlencode({
        "client_key": client_key,
        "scope": ",".join(scope_list),
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    })
    return f"{endpoints.authorize}?{query}"


@dataclass(frozen=True)
class CallbackParams:
    """What TikTok put on the redirect: ``code``/``scopes``/``state`` or ``error``."""

    code: str | None = field(repr=False)
    scopes: frozenset[str]
    state: str | None
    error: str | None = None
    error_description: str | None = None

    def authorization_code(self, expected_state: str) -> str:
        """Check ``state`` first, then errors; return the code or raise an OAuthError."""
        # As bytes: compare_digest refuses str with non-ASCII characters (TypeError), and a
        # callback's state is whatever the browser sent.
        if not self.state or not secrets.compare_digest(
                self.state.encode("utf-8", "surrogatepass"),
                expected_state.encode("utf-8", "surrogatepass")):
            raise StateMismatch(code="state_mismatch")
        if self.error:
            if self.error == "access_denied":
                exc = oauth_error("access_denied", detail=self.error_description)
                assert isinstance(exc, AuthorizationDenied)
                raise exc
            raise oauth_error(self.error, detail=self.error_description)
        if not self.code:
            raise ProtocolError(
                "TikTok's sign-in reply had no authorization code: start connecting again.")
        return self.code


_URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def parse_callback_query(query: str) -> CallbackParams:
    """Parse the query string of a redirect the loopback listener received, as a query only.

    ``?`` and ``://`` are legal inside a query (``error_description=Why?``,
    ``error_uri=https://…``): nothing in it is ever read as the start of a URL.
    """
    values = parse_qs(query, keep_blank_values=True)

    def one(name: str) -> str | None:
        got = values.get(name)
        return got[0] if got else None

    return CallbackParams(
        code=one("code") or None,
        scopes=parse_scopes(one("scopes")),
        state=one("state"),
        error=one("error") or None,
        error_description=one("error_description") or None,
    )


def parse_callback(url: str) -> CallbackParams:
    """Parse a whole redirect URL (``http://…/callback/?code=…``), a path with its query
    (``/callback/?code=…``), or a query that starts with ``?``. A bare query (no scheme, no
    leading ``/`` or ``?``) is taken as a query: see parse_callback_query."""
    if _URL_START.match(url):
        return parse_callback_query(urlsplit(url).query)
    if url.startswith("/"):
        return parse_callback_query(url.partition("?")[2])
    return parse_callback_query(url.removeprefix("?"))


@dataclass(frozen=True)
class ClientCredentials:
    """The TikTok app's key and secret (users bring their own app)."""

    client_key: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class TokenSet:
    """One token grant. Expiry times are epoch seconds: time of response + the lifetimes."""

    open_id: str
    scopes: frozenset[str]
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: float
    refresh_expires_at: float
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret

    def access_expired(self, now: float, margin: float = 0.0) -> bool:
        """True if the access token is expired (or will be within ``margin`` seconds)."""
        return now + margin >= self.access_expires_at

    def refresh_expired(self, now: float, margin: float = 0.0) -> bool:
        return now + margin >= self.refresh_expires_at


def _str_field(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def _seconds_field(body: Mapping[str, Any], name: str) -> float | None:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class OAuthClient:
    """Token endpoint calls. ``http`` is injected (real TikTok, or the sandbox in tests)."""

    def __init__(self, http: httpx.Client, credentials: ClientCredentials,
                 endpoints: Endpoints | None = None, clock: Clock = time.time,
                 timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> None:
        self._http = http
        self._credentials = credentials
        self.endpoints = endpoints or Endpoints()
        self._clock = clock
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"OAuthClient(client_key={self._credentials.client_key!r}, " \
               f"api_base={self.endpoints.api_base!r})"

    @property
    def client_key(self) -> str:
        return self._credentials.client_key

    def authorize_url(self, scopes: Iterable[str], redirect_uri: str, state: str,
                      code_challenge: str) -> str:
        return build_authorize_url(self.endpoints, self._credentials.client_key, scopes,
                                   redirect_uri, state, code_challenge)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        """Trade the callback's (already URL-decoded) code for tokens."""
        body = self._post(self.endpoints.token, {
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        })
        return self._token_set(body, previous_refresh=None, previous_refresh_expiry=None)

    def refresh(self, refresh_token: str,
                refresh_expires_at: float | None = None) -> TokenSet:
        """New tokens from a refresh token. Persist the returned refresh token (rotation).

        If TikTok answers without a refresh token, the one passed in is kept (never replace
        a stored refresh token with an empty one), with ``refresh_expires_at`` as its expiry.
        """
        body = self._post(self.endpoints.token, {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        })
        return self._token_set(body, previous_refresh=refresh_token,
                               previous_refresh_expiry=refresh_expires_at)

    def check_client(self) -> float:
        """Prove the client key and secret are valid; returns the client token's lifetime (s).

        Uses the client_credentials grant, the one call that needs nothing but the app's own
        credentials. The client token itself is dropped: posting never uses it.
        """
        body = self._post(self.endpoints.token, {"grant_type": "client_credentials"})
        lifetime = _seconds_field(body, "expires_in")
        if not _str_field(body, "access_token") or lifetime is None:
            raise ProtocolError("TikTok's reply to the credentials check was incomplete: "
                                "try again later.")
        return lifetime

    def revoke(self, access_token: str) -> None:
        """Disconnect the app from the user's account (TikTok answers ``{}``)."""
        self._post(self.endpoints.revoke, {"token": access_token})

    def _post(self, url: str, fields: dict[str, str]) -> dict[str, Any]:
        form = {
            "client_key": self._credentials.client_key,
            "client_secret": self._credentials.client_secret,
            **fields,
        }
        request = self._http.build_request(
            "POST", url, data=form, timeout=self._timeout,
            headers={"Accept": "application/json", "Cache-Control": "no-cache"})
        response = send(self._http, request)
        return decode_oauth(response, self._clock)

    def _token_set(self, body: dict[str, Any], previous_refresh: str | None,
                   previous_refresh_expiry: float | None) -> TokenSet:
        # Expiry counts from when the response arrived, per TikTok's docs.
        now = self._clock()
        open_id = _str_field(body, "open_id")
        access = _str_field(body, "access_token")
        expires_in = _seconds_field(body, "expires_in")
        refresh = _str_field(body, "refresh_token")
        refresh_in = _seconds_field(body, "refresh_expires_in")
        if not open_id or not access or expires_in is None:
            raise ProtocolError("TikTok's token reply was incomplete: try connecting again.")
        if refresh is not None:
            if refresh_in is None:
                raise ProtocolError("TikTok's token reply was incomplete: try again.")
            refresh_expiry = now + refresh_in
        elif previous_refresh is not None:
            log.info("token refresh reply carried no refresh_token; keeping the current one")
            refresh = previous_refresh
            if refresh_in is not None:
                refresh_expiry = now + refresh_in
            elif previous_refresh_expiry is not None:
                refresh_expiry = previous_refresh_expiry
            else:
                raise ProtocolError("TikTok's token reply was incomplete: try again.")
        else:
            raise ProtocolError("TikTok's token reply had no refresh token: connect again.")
        return TokenSet(
            open_id=open_id,
            scopes=parse_scopes(_str_field(body, "scope")),
            access_token=access,
            refresh_token=refresh,
            access_expires_at=now + expires_in,
            refresh_expires_at=refresh_expiry,
            token_type=_str_field(body, "token_type") or "Bearer",
        )
