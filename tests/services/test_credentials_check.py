"""Settings > Test: the credentials check against the real sandbox."""

from __future__ import annotations

import socket

import httpx
import pytest

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.credentials import check_credentials
from tiktok_desktop.tiktok import Endpoints


def test_sandbox_credentials_pass(graph: AppGraph) -> None:
    creds = graph.credentials_in_use
    result = check_credentials(graph.http, graph.endpoints, creds.client_key, creds.client_secret,
                               "", target="the sandbox")
    assert result.ok
    assert "The sandbox accepted" in result.message
    assert "http://127.0.0.1:*/callback/" in result.message  # the default is what to register


def test_wrong_secret_is_refused_with_the_fix(graph: AppGraph) -> None:
    result = check_credentials(graph.http, graph.endpoints, graph.credentials_in_use.client_key,
                               "wrong-secret-value", "http://127.0.0.1:*/callback/")
    assert not result.ok
    assert "did not accept this client key and secret" in result.message
    assert "wrong-secret-value" not in result.message


@pytest.mark.parametrize(("key", "secret", "uri", "expected"), [
    ("", "s", "", "Enter the client key"),
    ("k", " ", "", "Enter the client secret"),
    ("k", "s", "https://example.com/callback/", "must start with http://"),
    ("k", "s", "http://192.168.1.2:8080/callback/", "must point at this computer"),
    ("k", "s", "http://127.0.0.1:*/callback/?x=1", "query or fragment"),
])
def test_local_problems_are_reported_without_a_request(
        key: str, secret: str, uri: str, expected: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"no request expected, got {request.url}")

    with httpx.Client(transport=httpx.MockTransport(refuse)) as http:
        result = check_credentials(http, Endpoints.single("http://127.0.0.1:9"), key, secret,
                                   uri)
    assert not result.ok
    assert expected in result.message


def test_unreachable_server_says_what_to_do() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpx.Client() as http:
        result = check_credentials(http, Endpoints.single(f"http://127.0.0.1:{port}"), "k", "s",
                                   "")
    assert not result.ok
    assert result.message.startswith("Could not reach TikTok")
    assert "test again" in result.message


def test_settings_check_in_sandbox_mode_with_empty_fields_checks_the_sandbox_app(
        graph: AppGraph) -> None:
    result = graph.tester("", "", "")
    assert result.ok
    assert result.message.startswith("The fields are empty, so the app uses its built-in sandbox")
    assert "The sandbox accepted" in result.message


def test_settings_check_in_sandbox_mode_explains_why_a_real_key_fails(graph: AppGraph) -> None:
    result = graph.tester("awrealkey123", "realsecret", "")
    assert not result.ok
    assert "The sandbox did not accept" in result.message
    assert "restart the app to use and test your TikTok app" in result.message


def test_settings_check_uses_the_saved_secret_when_the_field_is_empty(graph: AppGraph) -> None:
    sandbox = graph.credentials_in_use
    graph.app_vault.set_client_secret(sandbox.client_secret)
    assert graph.tester(sandbox.client_key, "", "").ok
