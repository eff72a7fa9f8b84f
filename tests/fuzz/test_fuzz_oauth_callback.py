"""Fuzzing the OAuth redirect: parse_callback/CallbackParams and the loopback receiver.

Anything can arrive at 127.0.0.1:<port>: any web page the user visits can make the browser
request it, and any local program can connect. The receiver must answer every request with a
clean 4xx or one of its pages, never crash or hang, and never take a callback whose state is
not exactly the one this sign-in sent.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

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
from tiktok_desktop.services.loopback import (
    LoopbackReceiver,
)
from tiktok_desktop.tiktok import errors as tiktok_errors
from tiktok_desktop.tiktok import new_state, parse_callback, parse_callback_query
from tiktok_desktop.tiktok.errors import AuthorizationDenied, StateMismatch

WILDCARD = "http://127.0.0.1:*/callback/"
# Shaped like new_state() (32 URL-safe characters) but fixed, so every run is the same.
EXPECTED = "kR2v8Yq-0xTn_w3HcJ5mZ1pLd9sUe7Ab"
assert len(EXPECTED) == len(new_state())

# States that must all be refused, next to the right one: near misses and other encodings.
states = st.one_of(
    st.just(EXPECTED),
    st.sampled_from([EXPECTED + "x", EXPECTED[:-1], EXPECTED.upper(), f" {EXPECTED}", "",
                     "\u00e9" + EXPECTED[1:], EXPECTED + "\x00", "\ud83d"]),
    st.text(max_size=40),
)
values = st.one_of(st.text(max_size=30), st.sampled_from(["", "access_denied", "server_error",
                                                           "invalid_scope", "a" * 5000]))
names = st.sampled_from(["code", "state", "scopes", "error", "error_description", "x"])


def _quote(text: str) -> str:
    # surrogatepass: a lone surrogate in a state becomes bytes that are not UTF-8, as a
    # hostile page could send them.
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


def _encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{_quote(k)}={_quote(v)}" for k, v in pairs)


queries = st.one_of(
    st.lists(st.tuples(names, values), max_size=6).map(_encode),
    st.tuples(states, st.lists(st.tuples(names, values), max_size=4)).map(
        lambda t: _encode([("state", t[0]), *t[1]])),
    target_text,
)


def _state_sent(query: str) -> str | None:
    """What the browser's ``state`` was, read with nothing but the standard library."""
    found = urllib.parse.parse_qs(query, keep_blank_values=True).get("state")
    return found[0] if found else None


# --- the parser ---------------------------------------------------------------------------------
@FUZZ
@given(query=queries, expected=st.one_of(st.just(EXPECTED), st.text(min_size=1, max_size=40)))
@example(query=_encode([("state", "\u00e9t\u00e9"), ("code", "c")]), expected=EXPECTED)
@example(query=_encode([("state", "\u00e9t\u00e9"), ("code", "c")]), expected="\u00e9t\u00e9")
@example(query=f"state={EXPECTED}&error=access_denied&error_description=Why?", expected=EXPECTED)
@example(query=f"code=c&state={EXPECTED}&error_uri=https://x/", expected=EXPECTED)
@example(query=f"/x?state={EXPECTED}&code=c", expected=EXPECTED)
def test_parse_callback_takes_only_the_exact_state(query: str, expected: str) -> None:
    # What the receiver does with the query it got: parse it as a query, whatever it holds.
    params = parse_callback_query(query)
    try:
        code = params.authorization_code(expected)
    except (tiktok_errors.OAuthError, tiktok_errors.ProtocolError) as exc:
        if isinstance(exc, tiktok_errors.StateMismatch):
            assert params.state != expected
        else:
            assert params.state == expected
        return
    assert params.state == expected == _state_sent(query)
    assert code and params.error is None


@FUZZ
@given(url=st.one_of(st.text(max_size=80),
                     queries.map(lambda q: f"http://127.0.0.1:1/callback/?{q}")))
def test_parse_callback_accepts_any_text(url: str) -> None:
    for params in (parse_callback(url), parse_callback_query(url)):
        assert params.state is None or isinstance(params.state, str)
        assert all(isinstance(s, str) and s for s in params.scopes)


# --- the loopback receiver over raw sockets ------------------------------------------------------
class Receivers:
    """One live receiver at a time; a decisive callback ends one, the next example gets a new
    one (starting one per example would be most of the run time)."""

    def __init__(self) -> None:
        self._rx: LoopbackReceiver | None = None

    def current(self) -> LoopbackReceiver:
        if self._rx is None:
            self._rx = LoopbackReceiver(WILDCARD, EXPECTED, timeout=30)
        return self._rx

    def finished(self) -> LoopbackReceiver:
        rx, self._rx = self.current(), None
        return rx

    def close(self) -> None:
        if self._rx is not None:
            self._rx.close()


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    pool = Receivers()
    yield pool
    pool.close()


ALLOWED = {200, 400, 404, 405, 409, 413, 414, 431}


def check_answer(pool: Receivers, query_sent: str | None, response: RawResponse) -> None:
    """The answer is clean, and what it claims matches what the receiver decided."""
    assert response.status in ALLOWED, f"{response.status} {response.body[:200]!r}"
    title = response.body.split(b"<title>", 1)[-1].split(b"</title>", 1)[0]
    if title == b"Return to TikTok Desktop":  # the code was taken; the app says the rest
        assert query_sent is not None and _state_sent(query_sent) == EXPECTED
        result = pool.finished().wait()
        assert result.code == urllib.parse.parse_qs(query_sent)["code"][0]
    elif title == b"Sign-in refused":
        assert query_sent is None or _state_sent(query_sent) != EXPECTED
        with pytest.raises(StateMismatch):
            pool.finished().wait()
    elif title == b"Not connected":
        assert query_sent is not None and _state_sent(query_sent) == EXPECTED
        with pytest.raises(AuthorizationDenied):
            pool.finished().wait()


@FUZZ
@given(method=st.one_of(st.just("GET"), methods),
       path=st.one_of(st.just("/callback/"), st.just("/callback"),
                      target_text.map(lambda t: "/" + t), target_text.map(lambda t: "http://" + t),
                      st.just("http://[::1/callback/")),
       query=st.one_of(st.none(), queries),
       headers=extra_headers,
       length=st.one_of(st.none(), st.just("0"), st.just("5"), bad_lengths),
       big=st.sampled_from([0, 0, 0, 9000, 70_000]))
@example(method="GET", path="/callback/", query=_encode([("state", "\u00e9"), ("code", "c")]),
         headers=[], length=None, big=0)
@example(method="GET", path="/callback/", query=None, headers=[], length="abc", big=0)
@example(method="GET", path="http://[::1/callback/", query=None, headers=[], length=None, big=0)
@example(method="HEAD", path="/callback/", query=None, headers=[], length=None, big=0)
@example(method="GET", path="/callback/",
         query=_encode([("state", EXPECTED), ("code", "the-code")]), headers=[], length=None,
         big=0)
def test_any_request_gets_a_clean_answer(receivers: Receivers, method: str, path: str,
                                         query: str | None, headers: list[tuple[str, str]],
                                         length: str | None, big: int) -> None:
    rx = receivers.current()
    target = path if query is None else f"{path}?{query}"
    if big:  # one long header line: the receiver caps what it reads
        headers = [*headers, ("X-Big", "b" * big)]
    raw = exchange(rx.port, build_request(method, target, headers, b"",
                                          "" if length is None else length))
    response = parse_response(raw, head=method == "HEAD")
    callback = method == "GET" and path == "/callback/"
    check_answer(receivers, query if callback else None, response)


@FUZZ
@given(count=st.integers(0, 150), value=header_value)
def test_many_headers_are_refused_cleanly(receivers: Receivers, count: int, value: str) -> None:
    rx = receivers.current()
    headers = [(f"X-H{i}", value) for i in range(count)]
    response = parse_response(exchange(rx.port, build_request("GET", "/favicon.ico", headers)))
    assert response.status == (431 if count > 97 else 404)


def test_garbage_never_blocks_the_real_callback(receivers: Receivers) -> None:
    """Junk first (nothing HTTP about it, and a connection that sends nothing), then the
    browser's real callback still gets through."""
    rx = receivers.current()
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"\r\n\r\n", b"GET\r\n\r\n",
                 b"GET /callback/?state=" + EXPECTED.encode() + b"&code=x HTTP/9.9\r\n\r\n"):
        exchange(rx.port, junk)
    assert exchange(rx.port, b"") == b""  # connected, said nothing, hung up
    response = parse_response(exchange(
        rx.port, build_request("GET", f"/callback/?{_encode([('state', EXPECTED), ('code', 'c')])}",
                               [])))
    assert response.status == 200
    assert receivers.finished().wait().code == "c"
