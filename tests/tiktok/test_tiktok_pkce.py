"""PKCE, the authorize URL, the callback parser and secret-free reprs (no server needed)."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from tiktok_desktop.tiktok import (
    AuthorizationDenied,
    ClientCredentials,
    Endpoints,
    OAuthError,
    ProtocolError,
    StateMismatch,
    TokenSet,
    build_authorize_url,
    code_challenge,
    generate_code_verifier,
    new_pkce,
    new_state,
    parse_callback,
    parse_callback_query,
)
from tiktok_desktop.tiktok import auth as auth_module

UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]+$")


@pytest.mark.parametrize("length", [43, 64, 128])
def test_verifier_length_and_alphabet(length: int) -> None:
    verifier = generate_code_verifier(length)
    assert len(verifier) == length
    assert UNRESERVED.match(verifier)


@pytest.mark.parametrize("length", [0, 42, 129])
def test_verifier_length_outside_43_128_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="43-128"):
        generate_code_verifier(length)


def test_verifier_comes_from_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_choice(seq: str) -> str:
        calls.append(seq)
        return "~"

    monkeypatch.setattr(secrets, "choice", fake_choice)
    assert generate_code_verifier(43) == "~" * 43
    assert len(calls) == 43
    assert set(calls) == {auth_module.VERIFIER_ALPHABET}


def test_verifiers_are_fresh() -> None:
    assert len({generate_code_verifier() for _ in range(20)}) == 20


def test_challenge_is_lowercase_hex_sha256() -> None:
    # RFC 7636 appendix B's verifier; its base64url S256 challenge is
    # E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM, i.e. these bytes in hex (TikTok's form).
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == (
        "13d31e961a1ad8ec2f16b10c4c982e0876a878ad6df144566ee1894acb70f9c3")
    pair = new_pkce()
    assert re.fullmatch(r"[0-9a-f]{64}", pair.challenge)
    assert pair.challenge == code_challenge(pair.verifier)


def test_state_is_random_and_url_safe() -> None:
    states = {new_state() for _ in range(10)}
    assert len(states) == 10
    assert all(re.fullmatch(r"[A-Za-z0-9_\-]{20,}", s) for s in states)


def test_authorize_url_carries_exactly_the_documented_parameters() -> None:
    url = build_authorize_url(
        Endpoints(), "ck_123", ["user.info.basic", "video.publish", "video.upload",
                                "video.publish"],
        "http://127.0.0.1:53817/callback/", "st&ate=1", "c" * 64)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.tiktok.com",
                                                       "/v2/auth/authorize/")
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "client_key": ["ck_123"],
        "scope": ["user.info.basic,video.publish,video.upload"],
        "redirect_uri": ["http://127.0.0.1:53817/callback/"],
        "state": ["st&ate=1"],
        "response_type": ["code"],
        "code_challenge": ["c" * 64],
        "code_challenge_method": ["S256"],
    }


def test_authorize_url_uses_configured_base() -> None:
    url = build_authorize_url(Endpoints.single("http://127.0.0.1:9/"), "k", ["a"],
                              "http://127.0.0.1:1/callback/", "s", "c")
    assert url.startswith("http://127.0.0.1:9/v2/auth/authorize/?")
    with pytest.raises(ValueError):
        build_authorize_url(Endpoints(), "k", [], "r", "s", "c")


def test_callback_success_decodes_code_and_scopes() -> None:
    params = parse_callback(
        "http://127.0.0.1:5000/callback/?code=ab%2Acd%21&scopes=user.info.basic%2Cvideo.upload"
        "&state=xyz")
    assert params.code == "ab*cd!"
    assert params.scopes == frozenset({"user.info.basic", "video.upload"})
    assert params.authorization_code("xyz") == "ab*cd!"
    # A bare query string works too, and so does a path with its query.
    assert parse_callback("code=c1&state=s").code == "c1"
    assert parse_callback("/callback/?code=c2&state=s").code == "c2"


@pytest.mark.parametrize("query", [
    "state=s&error=access_denied&error_description=Why?",
    "error_description=Why%3F+not&error=access_denied&state=s",
    "state=s&error=server_error&error_uri=https://www.tiktok.com/help?x=1",
])
def test_callback_query_is_parsed_as_a_query(query: str) -> None:
    """`?` and `://` are legal inside a query; they must not make it look like a URL."""
    for params in (parse_callback_query(query), parse_callback(query),
                   parse_callback(f"?{query}"), parse_callback(f"/callback/?{query}"),
                   parse_callback(f"http://127.0.0.1:1/callback/?{query}")):
        assert params.state == "s"
        assert params.error in ("access_denied", "server_error")


def test_callback_state_is_checked_before_anything_else() -> None:
    with pytest.raises(StateMismatch) as info:
        parse_callback("?code=c&state=evil").authorization_code("good")
    assert info.value.needs_reauth
    with pytest.raises(StateMismatch):
        parse_callback("?error=access_denied").authorization_code("good")


def test_callback_error_maps_to_oauth_errors() -> None:
    denied = parse_callback("?error=access_denied&error_description=User+cancelled&state=s")
    assert denied.error == "access_denied"
    assert denied.error_description == "User cancelled"
    with pytest.raises(AuthorizationDenied) as info:
        denied.authorization_code("s")
    assert info.value.code == "access_denied"
    with pytest.raises(OAuthError) as other:
        parse_callback("?error=invalid_scope&state=s").authorization_code("s")
    assert other.value.code == "invalid_scope"
    with pytest.raises(ProtocolError):
        parse_callback("?state=s").authorization_code("s")


def test_reprs_hide_secrets() -> None:
    tokens = TokenSet(open_id="oid", scopes=frozenset({"video.upload"}),
                      access_token="act.SECRET1", refresh_token="rft.SECRET2",
                      access_expires_at=100.0, refresh_expires_at=200.0)
    creds = ClientCredentials("key", "SECRET3")
    pair = new_pkce()
    callback = parse_callback("?code=SECRET4&state=s")
    text = " ".join(repr(x) for x in (tokens, creds, pair, callback))
    for secret in ("SECRET1", "SECRET2", "SECRET3", "SECRET4", pair.verifier):
        assert secret not in text
    assert "oid" in repr(tokens)
    assert tokens.access_expired(100.0)
    assert not tokens.access_expired(99.0)
    assert tokens.access_expired(90.0, margin=10.0)
    assert tokens.refresh_expired(200.0)
    assert not tokens.refresh_expired(199.9)


def test_compare_digest_is_used_for_state(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    real = secrets.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(secrets, "compare_digest", spy)
    assert parse_callback("?code=c&state=s1").authorization_code("s1") == "c"
    assert seen == [(b"s1", b"s1")]  # as UTF-8 bytes: str compare_digest refuses non-ASCII
