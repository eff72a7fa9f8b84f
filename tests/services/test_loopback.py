from __future__ import annotations

import socket
import threading

import httpx
import pytest

from tiktok_desktop.services.loopback import (
    LoopbackCancelled,
    LoopbackError,
    LoopbackReceiver,
    LoopbackTimeout,
    PortInUse,
    RedirectTemplate,
)
from tiktok_desktop.tiktok.errors import AuthorizationDenied, StateMismatch

WILDCARD = "http://127.0.0.1:*/callback/"


def _get(url: str, **params: str) -> httpx.Response:
    return httpx.get(url, params=params, timeout=5)


def test_valid_callback_returns_code_and_scopes(caplog: pytest.LogCaptureFixture) -> None:
    with LoopbackReceiver(WILDCARD, "st-123") as rx:
        assert rx.redirect_uri == f"http://127.0.0.1:{rx.port}/callback/"
        r = _get(rx.redirect_uri, code="the-secret-code", scopes="user.info.basic,video.publish",
                 state="st-123")
        assert r.status_code == 200
        assert "close this tab" in r.text
        result = rx.wait()
    assert result.code == "the-secret-code"
    assert result.scopes == {"user.info.basic", "video.publish"}
    assert "the-secret-code" not in repr(result)
    ours = [rec for rec in caplog.records if rec.name.startswith("tiktok_desktop")]
    assert ours and all("the-secret-code" not in rec.getMessage() for rec in ours)


def test_state_mismatch_is_refused() -> None:
    with LoopbackReceiver(WILDCARD, "expected") as rx:
        r = _get(rx.redirect_uri, code="c", state="forged")
        assert r.status_code == 400
        with pytest.raises(StateMismatch, match="different sign-in attempt"):
            rx.wait()


def test_missing_state_is_refused() -> None:
    with LoopbackReceiver(WILDCARD, "expected") as rx:
        _get(rx.redirect_uri, code="c")
        with pytest.raises(StateMismatch):
            rx.wait()


def test_denied_consent() -> None:
    with LoopbackReceiver(WILDCARD, "s") as rx:
        r = _get(rx.redirect_uri, error="access_denied", error_description="User cancelled",
                 state="s")
        assert "cancelled" in r.text
        with pytest.raises(AuthorizationDenied, match="You cancelled") as info:
            rx.wait()
    assert info.value.code == "access_denied"


def test_other_oauth_error_is_explained() -> None:
    with LoopbackReceiver(WILDCARD, "s") as rx:
        _get(rx.redirect_uri, error="invalid_scope", error_description="bad scope", state="s")
        with pytest.raises(AuthorizationDenied, match=r"invalid_scope.*bad scope"):
            rx.wait()


def test_escape_sequences_in_tiktoks_error_text_are_shown_escaped() -> None:
    """The callback is whatever a local page sent: its text must not drive a terminal."""
    with LoopbackReceiver(WILDCARD, "s") as rx:
        _get(rx.redirect_uri, error="server_error\x1b[2J",
             error_description="\x1b]0;pwned\x07Try again\r\nFAKE " + "x" * 1000, state="s")
        with pytest.raises(AuthorizationDenied) as info:
            rx.wait()
    text = str(info.value)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text and "\n" not in text
    assert text.startswith("TikTok could not authorize the app (server_error\\x1b[2J): "
                           "\\x1b]0;pwned\\x07Try again\\r\\nFAKE xxx")
    assert text.endswith("x\u2026.") and len(text) < 450


def _raw_get(port: int, target: str) -> bytes:
    """GET ``target`` exactly as written (an HTTP library would escape the ``?`` in a value)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize("query, outcome", [
    ("state=st-9&error=access_denied&error_description=Why?", "denied"),
    ("error=access_denied&error_description=Why?+Because&state=st-9", "denied"),
    ("code=c0de&scopes=video.upload&state=st-9&error_uri=https://www.tiktok.com/help",
     "connected"),
    ("error_uri=https://x/?a=b&code=c0de&state=st-9", "connected"),
], ids=["question-mark-last", "question-mark-first", "url-value-last", "url-value-first"])
def test_question_marks_and_urls_inside_the_query_keep_the_state(query: str,
                                                                 outcome: str) -> None:
    """Both are legal in a query. They were taken for the start of a URL, the query re-split,
    and the state lost: a denial or a good code became 'a different sign-in attempt'."""
    with LoopbackReceiver(WILDCARD, "st-9") as rx:
        reply = _raw_get(rx.port, f"/callback/?{query}")
        assert reply.startswith(b"HTTP/1.1 200 ")
        if outcome == "denied":
            with pytest.raises(AuthorizationDenied) as info:
                rx.wait()
            assert (info.value.detail or "").startswith("Why?")
        else:
            assert rx.wait().code == "c0de"


def test_timeout_has_a_clear_message() -> None:
    rx = LoopbackReceiver(WILDCARD, "s", timeout=0.2)
    with pytest.raises(LoopbackTimeout, match="start Connect again"):
        rx.wait()
    # The port is released afterwards.
    with socket.socket() as s:
        s.bind(("127.0.0.1", rx.port))


def test_cancel_aborts_the_wait() -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(LoopbackCancelled):
        LoopbackReceiver(WILDCARD, "s").wait(cancel)


def test_fixed_port_in_use_is_explained() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortInUse, match=rf"Port {port} .* in use.*\*"):
            LoopbackReceiver(f"http://127.0.0.1:{port}/callback/", "s")


def test_fixed_port_from_redirect_uri() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with LoopbackReceiver(f"http://localhost:{port}/callback/", "s") as rx:
        assert rx.port == port
        assert rx.redirect_uri == f"http://localhost:{port}/callback/"


def test_only_one_callback_is_answered() -> None:
    with LoopbackReceiver(WILDCARD, "s") as rx:
        first = _get(rx.redirect_uri, code="one", state="s")
        assert first.status_code == 200
        assert rx.wait().code == "one"
        # The receiver has shut down: a replay cannot reach it.
        with pytest.raises(httpx.ConnectError):
            _get(rx.redirect_uri, code="two", state="s")


def test_other_requests_are_ignored() -> None:
    with LoopbackReceiver(WILDCARD, "s") as rx:
        base = f"http://127.0.0.1:{rx.port}"
        assert httpx.get(f"{base}/favicon.ico").status_code == 404
        assert httpx.get(f"{base}/callback").status_code == 404  # exact path only
        assert httpx.post(rx.redirect_uri, content=b"x").status_code == 405
        assert httpx.get(rx.redirect_uri, params={"code": "x" * 10000}).status_code == 414
        # A callback without a code does not end the wait.
        assert _get(rx.redirect_uri, state="s").status_code == 400
        assert _get(rx.redirect_uri, code="real", state="s").status_code == 200
        assert rx.wait().code == "real"


@pytest.mark.parametrize("uri, message", [
    ("https://127.0.0.1:*/callback/", "http://"),
    ("http://example.com:80/callback/", "this computer"),
    ("http://127.0.0.1/callback/", "this computer"),
    ("http://127.0.0.1:*/callback/?x=1", "query"),
    ("http://127.0.0.1:99999/callback/", "invalid port"),
])
def test_bad_redirect_uris(uri: str, message: str) -> None:
    with pytest.raises(LoopbackError, match=message):
        RedirectTemplate.parse(uri)


def test_the_page_waits_for_the_outcome_when_the_app_waits() -> None:
    """'Connected' only once the app says so (a locked keyring fails after the callback)."""
    rx = LoopbackReceiver(WILDCARD, "s", outcome_wait=10)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(rx.wait()))
    waiter.start()
    while not rx.waiting():
        threading.Event().wait(0.01)
    pages: list[httpx.Response] = []
    browser = threading.Thread(target=lambda: pages.append(
        _get(rx.redirect_uri, code="c", state="s")))
    browser.start()
    waiter.join(5)
    assert got and not pages  # the app has the code; the page waits for how it ends
    rx.finish(False, "Not connected", "The keyring is locked. Return to the app.")
    browser.join(5)
    assert "Not connected" in pages[0].text and "keyring is locked" in pages[0].text
    assert "Connected" not in pages[0].text.replace("Not connected", "")


def test_without_a_waiting_app_the_page_is_neutral() -> None:
    with LoopbackReceiver(WILDCARD, "s", outcome_wait=10) as rx:
        r = _get(rx.redirect_uri, code="c", state="s")  # nobody in wait() yet
        assert "Return to TikTok Desktop" in r.text and "close this tab" in r.text
        assert "<h1>Connected" not in r.text
        assert rx.wait().code == "c"


def test_a_page_whose_outcome_never_comes_is_neutral() -> None:
    rx = LoopbackReceiver(WILDCARD, "s", outcome_wait=10)
    waiter = threading.Thread(target=rx.wait)
    waiter.start()
    while not rx.waiting():
        threading.Event().wait(0.01)
    pages: list[httpx.Response] = []
    browser = threading.Thread(target=lambda: pages.append(
        _get(rx.redirect_uri, code="c", state="s")))
    browser.start()
    waiter.join(5)
    rx.close()  # e.g. a bug while connecting: closed without an outcome
    browser.join(5)
    assert "Return to TikTok Desktop" in pages[0].text
