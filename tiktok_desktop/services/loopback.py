"""The one-shot OAuth redirect receiver on 127.0.0.1.

TikTok sends the browser back to ``http://127.0.0.1:<port>/callback/?code=…&state=…``. We
listen on loopback only, answer exactly one valid callback with a small page, then stop.
The page never claims more than is known: when the app is waiting for the callback, the page
waits (a little) for the app to report how connecting ended (``finish``: the code exchanged,
the tokens stored in the keyring) and says that; otherwise it asks the user to return to the
app, which says it. Anything else (other paths, other methods, oversized requests) gets a
plain 404/405/413 and is otherwise ignored. The authorization code is never logged.
"""

from __future__ import annotations

import html
import http.server
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass

from tiktok_desktop.safetext import neutralise
from tiktok_desktop.services.loopback_errors import (
    LoopbackCancelled,
    LoopbackError,
    LoopbackTimeout,
    PortInUse,
)
from tiktok_desktop.tiktok import CallbackParams, parse_callback_query
from tiktok_desktop.tiktok import errors as tiktok_errors

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
MAX_REQUEST_LINE = 8192
# TikTok's error text is shown as is, but only this much of it and never its control
# characters: the callback is whatever any local page or program sent.
MAX_DESCRIPTION = 300
# How long the browser's page waits for the app to finish connecting (code exchange,
# profile, keyring) before it says "return to the app" instead.
OUTCOME_WAIT = 60.0
# (title, text, ok) of the page: the final outcome, or neutral (ok None) while unknown.
Outcome = tuple[str, str, bool | None]
NEUTRAL: Outcome = ("Return to TikTok Desktop",
                    "TikTok sent you back to the app. You can close this tab and return to "
                    "TikTok Desktop, which says whether the account was connected.", None)


def denied_message(error: str, description: str) -> str:
    """What the user is told when the consent page sent the browser back without a code."""
    if error == "access_denied":
        return "You cancelled the TikTok authorization, so no account was connected."
    shown = neutralise(description[:MAX_DESCRIPTION]) or "no details"
    if len(description) > MAX_DESCRIPTION:
        shown += "…"
    return f"TikTok could not authorize the app ({neutralise(error[:64])}): {shown}."


@dataclass(frozen=True)
class CallbackResult:
    code: str
    scopes: frozenset[str]
    state: str

    def __repr__(self) -> str:  # the code is a credential
        return f"CallbackResult(code=***, scopes={sorted(self.scopes)})"


@dataclass(frozen=True)
class RedirectTemplate:
    """The configured redirect URI, e.g. ``http://127.0.0.1:*/callback/``."""

    scheme: str
    host: str
    port: int | None  # None = wildcard: any free port
    path: str

    @classmethod
    def parse(cls, uri: str) -> RedirectTemplate:
        parts = urllib.parse.urlsplit(uri)
        netloc = parts.netloc
        host, sep, port_text = netloc.rpartition(":")
        if parts.scheme != "http":
            raise LoopbackError(
                f"The redirect URI {uri} must start with http:// (the app receives the "
                "browser on this computer without TLS)."
            )
        if not sep or host not in ("127.0.0.1", "localhost"):
            raise LoopbackError(
                f"The redirect URI {uri} must point at this computer with a port, for example "
                "http://127.0.0.1:*/callback/."
            )
        if parts.query or parts.fragment:
            raise LoopbackError(f"The redirect URI {uri} must not have a query or fragment.")
        if port_text == "*":
            port = None
        elif port_text.isdigit() and 0 < int(port_text) < 65536:
            port = int(port_text)
        else:
            raise LoopbackError(f"The redirect URI {uri} has an invalid port {port_text!r}.")
        return cls(parts.scheme, host, port, parts.path or "/")

    def concrete(self, port: int) -> str:
        return f"{self.scheme}://{self.host}:{port}{self.path}"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; background: #f4f4f6; color: #161823;
       display: flex; min-height: 90vh; align-items: center; justify-content: center; }}
main {{ background: #fff; padding: 2em 2.5em; border-radius: 14px; max-width: 30em;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3em; margin-top: 0; color: {color}; }}
</style></head>
<body><main><h1>{title}</h1><p>{body}</p></main></body></html>
"""


def _page(title: str, body: str, ok: bool | None) -> bytes:
    colour = {True: "#0a7d32", False: "#c0213b", None: "#161823"}[ok]
    return _PAGE.format(title=html.escape(title), body=html.escape(body),
                        color=colour).encode()


class _Server(http.server.HTTPServer):
    receiver: LoopbackReceiver


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # One request at a time: a connection that sends nothing must not block the real callback.
    timeout = 5

    def log_message(self, format: str, *args: object) -> None:
        pass  # the request line carries the code: never let it reach a log

    def _send(self, status: int, body: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _not_found(self) -> None:
        self._send(404, b"Not found\n", "text/plain")

    def do_GET(self) -> None:
        if len(self.requestline) > MAX_REQUEST_LINE:
            self._send(414, b"Request too long\n", "text/plain")
            return
        length = (self.headers.get("Content-Length") or "0").strip()
        if not (length.isascii() and length.isdigit()):
            self._send(400, b"Bad Content-Length\n", "text/plain")
            return
        if int(length) > 0:
            self._send(413, b"No body expected\n", "text/plain")
            return
        try:
            parts = urllib.parse.urlsplit(self.path)
        except ValueError:  # e.g. an absolute URL with a broken "[" host: not our callback
            self._not_found()
            return
        receiver = self.server.receiver
        if parts.path != receiver.template.path:
            self._not_found()
            return
        # The query as a query: `?` and `://` inside it are data (error_description=Why?).
        status, page = receiver._accept(parse_callback_query(parts.query))
        self._send(status, page)

    def do_POST(self) -> None:
        self._send(405, b"Method not allowed\n", "text/plain")

    do_PUT = do_DELETE = do_PATCH = do_POST

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        # http.server answers a method without a do_ handler (HEAD, OPTIONS, made-up ones)
        # with 501; here it is simply not allowed, like POST.
        if code == http.HTTPStatus.NOT_IMPLEMENTED:
            code, message = http.HTTPStatus.METHOD_NOT_ALLOWED, None
        super().send_error(code, message, explain)


class LoopbackReceiver:
    """Listens for one OAuth callback. Use as a context manager or call close()."""

    def __init__(self, redirect_uri: str, expected_state: str,
                 timeout: float = DEFAULT_TIMEOUT, outcome_wait: float = 0.0) -> None:
        """``outcome_wait``: how long the page may wait for ``finish`` (0: never waits)."""
        self.template = RedirectTemplate.parse(redirect_uri)
        self.expected_state = expected_state
        self.timeout = timeout
        self.outcome_wait = outcome_wait
        self._waiting = threading.Event()  # someone is in wait(): the outcome will follow
        self._holding = False  # the page is held for the outcome: finish() sends it
        self._outcome: Outcome | None = None
        self._outcome_ready = threading.Event()
        self._done = threading.Event()
        self._result: CallbackResult | None = None
        self._error: Exception | None = None  # the sign-in's outcome, raised by wait()
        self._lock = threading.Lock()
        try:
            self._server = _Server(("127.0.0.1", self.template.port or 0), _Handler,
                                   bind_and_activate=False)
            self._server.allow_reuse_address = False
            self._server.server_bind()
            self._server.server_activate()
        except OSError as exc:
            self._server.server_close()
            raise PortInUse(
                f"Port {self.template.port} on 127.0.0.1 is in use by another program, so the "
                "app cannot receive TikTok's answer there. Close that program, or register the "
                "redirect URI http://127.0.0.1:*/callback/ (any port) in your TikTok app and "
                f"use it in Settings. ({exc.strerror})"
            ) from None
        self._server.receiver = self
        self.port: int = self._server.server_address[1]
        self.redirect_uri = self.template.concrete(self.port)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="oauth-loopback", daemon=True)
        self._thread.start()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, params: CallbackParams) -> tuple[int, bytes]:
        """Judge one callback; the first decisive one ends the wait.

        The client's CallbackParams does the checks (state first, in constant time, then
        TikTok's error, then the code); here they become the pages and messages of a sign-in.
        """
        with self._lock:
            if self._done.is_set():
                return 409, _page("Already done",
                                  "This sign-in was already completed. You can close this tab.",
                                  ok=False)
            try:
                code = params.authorization_code(self.expected_state)
            except tiktok_errors.StateMismatch:
                self._error = tiktok_errors.StateMismatch(
                    "The browser came back from a different sign-in attempt (the security "
                    "check did not match), so it was refused. Start Connect again.",
                    code="state_mismatch")
                status, page = 400, _page("Sign-in refused", str(self._error), ok=False)
            except tiktok_errors.OAuthError:
                self._error = tiktok_errors.AuthorizationDenied(
                    denied_message(params.error or "", params.error_description or ""),
                    code=params.error or "access_denied", detail=params.error_description)
                status, page = 200, _page("Not connected", str(self._error), ok=False)
            except tiktok_errors.ProtocolError:
                return 400, _page("Sign-in incomplete",
                                  "TikTok's answer had no authorization code. Start Connect "
                                  "again from the app.", ok=False)
            else:
                self._result = CallbackResult(code, params.scopes, self.expected_state)
                # Not "Connected" yet: the code still has to be exchanged and the tokens
                # stored (a locked keyring fails only then).
                self._holding = self.outcome_wait > 0 and self._waiting.is_set()
                status, page = 200, _page(*NEUTRAL)
            self._done.set()
        log.info("OAuth callback received on port %d", self.port)
        # Stop listening from another thread: shutdown() waits for serve_forever to return.
        threading.Thread(target=self._server.shutdown, daemon=True).start()
        if self._holding:
            self._outcome_ready.wait(self.outcome_wait)
            page = _page(*(self._outcome or NEUTRAL))
        return status, page

    def waiting(self) -> bool:
        """Someone is in wait(): a callback now gets its page once ``finish`` says how
        connecting ended."""
        return self._waiting.is_set()

    def finish(self, ok: bool, title: str, text: str) -> None:
        """How connecting ended, for the browser's page (if it still waits), then close."""
        self._outcome = (title, text, ok)
        self.close()

    def wait(self, cancel: threading.Event | None = None) -> CallbackResult:
        """Block until the callback, the timeout, or ``cancel`` is set."""
        deadline = time.monotonic() + self.timeout
        self._waiting.set()
        try:
            while not self._done.wait(0.05):
                if cancel is not None and cancel.is_set():
                    raise LoopbackCancelled("Connecting was cancelled.")
                if time.monotonic() >= deadline:
                    raise LoopbackTimeout(
                        f"No answer from TikTok within {round(self.timeout / 60, 1):g} minutes. "
                        "If the browser did not open or you closed it, start Connect again."
                    )
            if self._error is not None:
                raise self._error
            assert self._result is not None
            return self._result
        finally:
            self._waiting.clear()
            if not (self._holding and self._error is None and self._result is not None):
                self.close()  # else finish() closes, once the page has its outcome

    def close(self) -> None:
        self._outcome_ready.set()  # a page still waiting goes out now (neutral if unknown)
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

