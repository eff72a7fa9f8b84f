"""Shared pieces of the fuzz tests: deterministic Hypothesis settings, raw-socket HTTP and
strategies for the parts of a request.

Raw sockets on purpose: httpx refuses to send most of what a fuzzer wants to try (odd methods,
broken header values, lying Content-Length), and a server must cope with all of it.
"""

from __future__ import annotations

import errno
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps caches in ./.hypothesis of wherever pytest started: not in the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "tiktok-desktop-hypothesis")

# Deterministic and fast: the same examples on every run (no example database, no random
# seed), no per-example deadline (a loaded CI machine must not turn slowness into failures).
# The suite's autouse fixtures (home, keyring, warning-log check) are function-scoped on
# purpose: they span all examples of a test, and the warning-log check then covers them all.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=100,
    print_blob=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)

ANSWER_TIMEOUT = 10.0  # seconds; a server that says nothing for this long has hung


@dataclass(frozen=True)
class RawResponse:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


def exchange(port: int, request: bytes, timeout: float = ANSWER_TIMEOUT) -> bytes:
    """Send ``request``, half-close, and return every byte the server sends until it closes.

    Fails (as a hung connection) when the server neither answers nor closes in ``timeout``.
    A reset after the answer is fine: a server may close with part of a body it refused
    still unread, and Linux keeps what already arrived.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered (or gave up) before taking everything: read what it said
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:  # already closed by the server: the same
                raise
        chunks: list[bytes] = []
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                raise AssertionError(
                    f"hung connection: no answer and no close within {timeout} s "
                    f"(got {b''.join(chunks)[:200]!r})") from None
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def parse_response(raw: bytes, head: bool = False) -> RawResponse:
    """One complete HTTP/1.x response with a Content-Length that matches its body, and
    nothing after it; AssertionError otherwise. ``head``: the answer to a HEAD request,
    whose Content-Length describes a body that is not sent."""
    assert raw, "the server closed the connection without answering"
    top, sep, rest = raw.partition(b"\r\n\r\n")
    assert sep, f"no end of headers in {raw[:300]!r}"
    lines = top.decode("latin-1").split("\r\n")
    version, _, tail = lines[0].partition(" ")
    code, _, reason = tail.partition(" ")
    assert version in ("HTTP/1.0", "HTTP/1.1"), f"bad status line {lines[0]!r}"
    assert code.isdigit() and len(code) == 3, f"bad status line {lines[0]!r}"
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        assert colon and name and name == name.strip(), f"bad header line {line!r}"
        headers.append((name, value.strip()))
    response = RawResponse(version, int(code), reason, headers, rest)
    length = response.header("Content-Length")
    assert length is not None and length.isdigit(), f"no Content-Length in {top!r}"
    if head:
        assert rest == b"", f"a body in the answer to HEAD: {rest[:100]!r}"
        return response
    assert len(rest) == int(length), (
        f"Content-Length {length} but {len(rest)} body bytes (a second answer, or a cut one)")
    return response


def build_request(method: str, target: str, headers: list[tuple[str, str]],
                  body: bytes = b"", content_length: str | None = None) -> bytes:
    """A request with Host and Connection: close; Content-Length is the body's unless given
    (``""`` leaves it out)."""
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    length = str(len(body)) if content_length is None else content_length
    if length:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --- strategies ---------------------------------------------------------------------------------
TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# What can appear raw in a request target: printable ASCII without space and '#'; plus '%'
# escapes of anything (decoded by the server into arbitrary bytes, invalid UTF-8 included).
_TARGET_CHARS = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "#")

methods = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]),
    st.text(TOKEN_CHARS, min_size=1, max_size=12),
)
percent_escape = st.integers(0, 255).map(lambda b: f"%{b:02X}")
target_text = st.lists(
    st.one_of(st.text(_TARGET_CHARS, min_size=1, max_size=8), percent_escape),
    max_size=12,
).map("".join)
# Header values: any Latin-1 text without line breaks (what http.server can receive).
header_value = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=64,
).map(str.strip)
extra_headers = st.lists(
    st.tuples(st.text(TOKEN_CHARS, min_size=1, max_size=16).map(lambda n: f"X-{n}"),
              header_value),
    max_size=6,
)
# Content-Length values a client might send by mistake or malice.
bad_lengths = st.one_of(
    st.sampled_from(["abc", "-1", "1.5", "0x10", "\u00b2", "\u00b9\u00b3", "1e3", "5, 5",
                     " ", "99999999999999999999999999"]),
    header_value.filter(lambda v: v != "" and not v.isascii()),
)
