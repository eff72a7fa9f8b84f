"""SandboxServer: the HTTP server, routing, fault application and the call log.

One ``ThreadingHTTPServer`` on 127.0.0.1 serves both TikTok hosts' paths (www.tiktok.com's
/v2/auth/authorize/ and open.tiktokapis.com's /v2/...), the upload URLs it hands out
(``/upload/video/?upload_id=...&upload_token=...``), the HTML pages (``/``, ``/@username``) and
the control interface under ``/__sandbox__/`` (guarded: control token, Host, JSON; see
control.py). HTTP/1.1 keep-alive; every answer has a Content-Length. Nothing is logged above
DEBUG for client errors, and never a secret (paths are logged without their query string).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import struct
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qs, unquote

from . import access, api, oauth, pages, posting
from .control import SandboxControl, control_routes
from .faults import CallLog, Fault, Faults
from .guard import RateLimiter
from .models import App, Call, SandboxOptions, User, secret_hash
from .oauth import SandboxAuthorizeError
from .owner import OwnerLock
from .state import State
from .upload import DRAIN_LIMIT, handle_sink, handle_upload, stream_body
from .wire import (
    ApiError,
    OAuthError,
    Request,
    Response,
    html_response,
    json_response,
    oauth_error_response,
    split_target,
    v2_error,
)

__all__ = ["SandboxServer"]

log = logging.getLogger("tiktok_desktop.sandbox")

MAX_BODY = 1 << 20  # JSON and form bodies; uploads stream instead
CONTROL_PREFIX = "/__sandbox__/"
# Under CONTROL_PREFIX but open to anyone: pictures the pages and the app show, and the
# benchmark sink (it keeps nothing).
OPEN_CONTROL_PATHS = (CONTROL_PREFIX + "avatar/", CONTROL_PREFIX + "cover/",
                      CONTROL_PREFIX + "sink")
PAGE_ACTION_PATH = CONTROL_PREFIX + "page/draft"
Route = Callable[[Request], Response]
StreamRoute = Callable[[Request, "_Handler", int | None], Response | None]


def _is_oauth(path: str) -> bool:
    return path.startswith("/v2/oauth/")


def _token_id(authorization: str | None) -> str | None:
    """The call log's name for a bearer token: a short hash, so the log holds no secret."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return secret_hash(token.strip())[:16]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: SandboxServer

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer
    server_version = "TikTokSandbox/1"

    def setup(self) -> None:
        super().setup()
        # A stalled client must not pin a thread forever (a stalled chunk counts as dropped).
        self.connection.settimeout(self.server.sandbox.options.socket_timeout)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        # The request line carries query strings (upload tokens): log only the path.
        if args and isinstance(args[0], str) and " " in args[0]:
            method, _, rest = args[0].partition(" ")
            args = (f"{method} {rest.split('?', 1)[0].split(' ', 1)[0]}", *args[1:])
        log.debug("%s " + format, self.address_string(), *args)

    # Connection protocol for upload.py
    @property
    def body_stream(self) -> BinaryIO:
        return cast(BinaryIO, self.rfile)

    def drop(self) -> None:
        """Abort with a TCP reset and no answer."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """http.server's own refusals (unknown method, bad request line, oversized headers)
        in TikTok's error shape, not its HTML page; an unknown method is 405, as elsewhere."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code, message = HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed."
        try:
            path = unquote(split_target(self.path)[0])
        except AttributeError:  # refused before a request line was parsed
            path = ""
        now = self.server.sandbox.state.now()
        text = message or "Bad request."
        response = (oauth_error_response(code, "invalid_request", text, now) if _is_oauth(path)
                    else v2_error(code, "invalid_params", text, now))
        response.close = True
        if self.command == "HEAD":
            response.body = b""  # an answer to HEAD has no body
        self._write(response)

    # --- dispatch ----------------------------------------------------------------------------

    def _handle(self) -> None:
        sandbox = self.server.sandbox
        raw_path, raw_query = split_target(self.path)
        path = unquote(raw_path)
        request = Request(
            method=self.command,
            path=path,
            raw_query=raw_query,
            query=parse_qs(raw_query, keep_blank_values=True),
            headers=self.headers,
            now=sandbox.state.now(),
        )
        is_control = path.startswith(CONTROL_PREFIX) and path != CONTROL_PREFIX + "sink"
        if is_control and not path.startswith(OPEN_CONTROL_PATHS):
            refusal = sandbox.control_refusal(request, page=path == PAGE_ACTION_PATH)
            if refusal is not None:
                refusal.close = True  # the body (if any) is not read
                self._write(refusal)
                return
        fault = None if is_control else sandbox.faults.take(path)
        response: Response | None = None
        try:
            response = self._respond(request, fault)
            if response is not None and _is_oauth(path):
                response = self._oauth_fault_modes(request, response)
        except Exception:
            log.exception("sandbox handler failed for %s %s", request.method, path)
            response = self._error(request, 500, "internal_error", "Internal error.")
            response.close = True
        finally:
            if not is_control:
                sandbox.calls.add(
                    Call(
                        method=request.method,
                        path=path,
                        status=None if response is None else response.status,
                        error_code=None if response is None else response.error_code,
                        at=request.now,
                        token_id=_token_id(request.header("Authorization")),
                    )
                )
        if response is not None:
            self._write(response)

    def _respond(self, request: Request, fault: Fault | None) -> Response | None:
        sandbox = self.server.sandbox
        if fault is not None and fault.kind == "slow":
            sandbox.stopping.wait(float(fault.params.get("delay", 1.0)))
        reset_after = None
        if fault is not None and fault.kind == "reset":
            reset_after = int(fault.params.get("after_bytes", 0))
        answer_fault = fault is not None and fault.kind in ("status", "rate_limit")
        before = answer_fault and fault is not None and not fault.params.get("after")
        stream_route = sandbox.stream_routes.get((request.method, request.path))
        if stream_route is not None:
            if before and fault is not None:
                self._read_body(request, drain_only=True)
                return sandbox.fault_response(request, fault)
            response = stream_route(request, self, reset_after)
        else:
            if not self._read_body(request):
                response = self._error(request, 413, "invalid_params",
                                       "The request body is too large or has no valid length.")
                response.close = True
                return response
            if reset_after is not None:
                self.drop()
                return None
            if before and fault is not None:
                return sandbox.fault_response(request, fault)
            response = self._route(request)
        if response is not None and answer_fault and fault is not None:
            response = sandbox.fault_response(request, fault)
        return response

    def _oauth_fault_modes(self, request: Request, response: Response) -> Response | None:
        """The OAuth fault modes (faults.Fault): errors with HTTP 200; a refresh's lost answer."""
        sandbox = self.server.sandbox
        if response.status >= 400 and response.error_code is not None and (
                sandbox.options.oauth_errors_http_200
                or sandbox.faults.take(request.path, "oauth_error_200") is not None):
            response.status = 200
        elif (response.status == 200 and response.error_code is None
              and request.path == "/v2/oauth/token/"
              and parse_qs(request.body.decode("utf-8", "replace")).get("grant_type")
              == ["refresh_token"]
              and sandbox.faults.take(request.path, "lose_refresh_answer") is not None):
            self.drop()  # rotated server-side; the client never reads the new tokens
            return None
        return response

    def _read_body(self, request: Request, drain_only: bool = False) -> bool:
        """Read the (small) body into request.body; False (and close) if it cannot be taken.

        A too-large body is read and discarded first (up to DRAIN_LIMIT) so the client gets to
        read the answer instead of a reset. `drain_only`: discard any size, keep the connection.
        """
        length_header = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") is not None or (
            # isascii: "²" is a digit to str.isdigit() but not to int()
            length_header is not None
            and not (length_header.strip().isascii() and length_header.strip().isdigit())
        ):
            self.close_connection = True  # cannot tell where this body ends
            return False
        length = int(length_header) if length_header else 0
        if length > MAX_BODY or drain_only:
            drained = length <= DRAIN_LIMIT and (
                stream_body(self.body_stream, length, _Null(), None) == length
            )
            if drain_only and drained:
                return True
            self.close_connection = True
            return False
        request.body = self.rfile.read(length) if length else b""
        return True

    def _route(self, request: Request) -> Response:
        sandbox = self.server.sandbox
        route = sandbox.routes.get((request.method, request.path))
        try:
            if route is None:
                route = sandbox.dynamic_route(request)
            if route is None:
                if any(path == request.path for _method, path in sandbox.routes):
                    return self._error(request, 405, "invalid_params", "Method not allowed.")
                return self._error(request, 404, "not_found", "No such endpoint.")
            return route(request)
        except ApiError as error:
            return error.response(request.now)
        except OAuthError as error:
            return error.response(request.now)
        except SandboxAuthorizeError as error:
            return json_response(
                400, {"error": error.error, "error_description": error.description}
            )
        except (ValueError, KeyError, TypeError, RuntimeError) as error:
            if request.path.startswith(CONTROL_PREFIX):
                return json_response(
                    400, {"error": type(error).__name__, "error_description": str(error)}
                )
            log.exception("sandbox handler failed for %s %s", request.method, request.path)
            return self._error(request, 500, "internal_error", "Internal error.")
        except Exception:
            log.exception("sandbox handler failed for %s %s", request.method, request.path)
            return self._error(request, 500, "internal_error", "Internal error.")

    @staticmethod
    def _error(request: Request, status: int, code: str, message: str) -> Response:
        if _is_oauth(request.path):
            # OAuth endpoints speak OAuth error categories, not v2 codes.
            category = "invalid_request" if code == "invalid_params" else code
            return oauth_error_response(status, category, message, request.now)
        return v2_error(status, code, message, request.now)

    def _write(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            self.send_header("Cache-Control", "no-store")
            for name, value in response.headers:
                self.send_header(name, value)
            if response.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(response.body)
        except OSError:
            log.debug("client went away before the answer was written")
            self.close_connection = True


class _Null:
    def update(self, _data: object) -> None:
        pass


class SandboxServer:
    """The local TikTok emulator (see /work/notes/SANDBOX_API.md and TIKTOK_API.md)."""

    def __init__(self, state_dir: Path, options: SandboxOptions | None = None,
                 host: str = "127.0.0.1", port: int = 0,
                 clock: Callable[[], float] | None = None) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError("the sandbox only listens on the loopback interface")
        self.options = options or SandboxOptions()
        self.state_dir = Path(state_dir)
        # One owner per state folder, taken before the state is read (owner.py):
        # SandboxBusyError names the running one.
        self.owner_lock = OwnerLock(self.state_dir)
        self.owner_lock.acquire()
        try:
            self.state = State(self.state_dir, self.options, clock)
        except BaseException:
            self.owner_lock.release()
            raise
        # Per run: the control API's token (control.py) and the profile pages' form token.
        self.control_token = secrets.token_urlsafe(32)
        self.page_token = secrets.token_urlsafe(24)
        self.faults = Faults()
        self.calls = CallLog()
        self.limiter = RateLimiter()
        self.stopping = threading.Event()
        self.control = SandboxControl(self)
        self._address = ("127.0.0.1", port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.routes: dict[tuple[str, str], Route] = {}
        self.stream_routes: dict[tuple[str, str], StreamRoute] = {}

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._httpd is not None:
            raise RuntimeError("already started")
        self.owner_lock.acquire()  # again after a stop
        self.stopping.clear()
        try:
            self._httpd = _HTTPServer(self._address, self)
        except BaseException:
            self.owner_lock.release()
            raise
        self._address = ("127.0.0.1", self._httpd.server_address[1])
        with self.state.lock:
            for user in self.state.users.values():
                user.avatar_url = self.avatar_url(user)
        self._build_routes()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="tiktok-sandbox", daemon=True,
        )
        self._thread.start()
        self.owner_lock.publish(self.base_url, self.control_token)
        log.debug("sandbox listening on %s", self.base_url)

    def stop(self) -> None:
        """Stop serving, save the state and give up the state folder (also when never
        started)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            self.owner_lock.release()
            return
        self.owner_lock.unpublish()
        self.stopping.set()
        httpd.shutdown()
        with httpd.connections_lock:
            for conn in list(httpd.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()
        try:
            self.state.media.close()
            self.state.sweep()
            self.state.save()
        finally:
            self.owner_lock.release()
        log.debug("sandbox stopped")

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- public surface ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None and self._address[1] == 0:
            raise RuntimeError("the sandbox is not started")
        return self._address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> App:
        return self.state.apps[self.state.default_client_key]

    @property
    def unaudited_app(self) -> App:
        return self.state.apps[self.state.unaudited_client_key]

    @property
    def apps(self) -> dict[str, App]:
        return dict(self.state.apps)

    @property
    def users(self) -> list[User]:
        return list(self.state.users.values())

    def avatar_url(self, user: User) -> str:
        return f"{self.base_url}/__sandbox__/avatar/{user.open_id}.svg"

    def user(self, username: str) -> User:
        """The user with that username (KeyError if none)."""
        user = self.state.user_by_username(username)
        if user is None:
            raise KeyError(username)
        return user

    # --- routing -----------------------------------------------------------------------------

    def _build_routes(self) -> None:
        s, lim, base = self.state, self.limiter, self.base_url
        self.routes = {
            ("GET", oauth.AUTHORIZE_PATH): lambda r: oauth.handle_authorize_get(s, r),
            ("POST", oauth.AUTHORIZE_PATH): lambda r: oauth.handle_authorize_post(s, r),
            ("POST", "/v2/oauth/token/"): lambda r: oauth.handle_token(s, r),
            ("POST", "/v2/oauth/revoke/"): lambda r: oauth.handle_revoke(s, r),
            ("GET", "/v2/user/info/"): lambda r: api.handle_user_info(s, lim, r, base),
            ("POST", "/v2/post/publish/creator_info/query/"): lambda r: api.handle_creator_info(
                s, lim, r),
            ("POST", "/v2/post/publish/video/init/"): lambda r: posting.handle_init(
                s, lim, r, base, "direct"),
            ("POST", "/v2/post/publish/inbox/video/init/"): lambda r: posting.handle_init(
                s, lim, r, base, "inbox"),
            ("POST", "/v2/post/publish/status/fetch/"): lambda r: posting.handle_status(s, lim, r),
            ("POST", "/v2/post/publish/cancel/"): lambda r: posting.handle_cancel(s, lim, r),
            ("POST", "/v2/video/list/"): lambda r: api.handle_video_list(s, lim, r, base),
            ("POST", "/v2/video/query/"): lambda r: api.handle_video_query(s, lim, r, base),
            ("GET", "/"): lambda r: html_response(
                200, pages.render_index(self.users, list(self.state.apps.values()))),
            ("POST", PAGE_ACTION_PATH): self._page_action,
            **control_routes(self.control, self._info, self._ping),
        }
        self.stream_routes = {
            ("PUT", posting.UPLOAD_PATH): lambda r, c, reset: handle_upload(s, r, c, reset),
            ("PUT", CONTROL_PREFIX + "sink"): lambda r, c, reset: handle_sink(r, c, s.blocks),
        }

    def dynamic_route(self, request: Request) -> Route | None:
        if request.method != "GET":
            return None
        path = request.path
        if path.startswith("/@"):
            username = path[2:].split("/", 1)[0]
            return lambda r: self._profile(username)
        for prefix in (CONTROL_PREFIX + "avatar/", CONTROL_PREFIX + "cover/"):
            if path.startswith(prefix) and path.endswith(".svg"):
                return lambda r: self._svg(path)
        return None

    def _profile(self, username: str) -> Response:
        user = self.state.user_by_username(username)
        if user is None:
            response = html_response(404, pages.render_error("not_found", f"No user @{username}."))
            response.error_code = "not_found"
            return response
        publishes = [p for p in self.control.publishes(user.open_id)]
        publishes.reverse()  # newest first
        return html_response(200, pages.render_profile(user, publishes, self.base_url,
                                                        self.page_token, PAGE_ACTION_PATH))

    def _svg(self, path: str) -> Response:
        key = path.rsplit("/", 1)[1].removesuffix(".svg")
        user = self.state.users.get(key)
        if user is not None:
            svg = pages.avatar_svg(user, 168)
        else:
            svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="90" height="160">'
                   '<rect width="90" height="160" fill="#161823"/></svg>')
        return Response(status=200, body=svg.encode("utf-8"), content_type="image/svg+xml")

    # --- the control API's guard (access.py) ----------------------------------------------

    def control_refusal(self, request: Request, page: bool = False) -> Response | None:
        return access.refusal(request, self.port, self.control_token, page)

    def _page_action(self, request: Request) -> Response:
        return access.page_action(self, request)

    def _ping(self) -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid(), "state_dir": str(self.state_dir.resolve()),
                "base_url": self.base_url}

    def _info(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "default_client_key": self.state.default_client_key,
            "unaudited_client_key": self.state.unaudited_client_key,
            "apps": [a.to_json() for a in self.state.apps.values()],
            "users": [dict(u.to_json(), avatar_url=u.avatar_url) for u in self.users],
        }

    def fault_response(self, request: Request, fault: Fault) -> Response:
        if fault.kind == "rate_limit":
            status, code = 429, "rate_limit_exceeded"
        else:
            status = int(fault.params.get("status", 503))
            default = "rate_limit_exceeded" if status == 429 else "internal_error"
            code = str(fault.params.get("code", default))
        body = fault.params.get("body")
        if body is not None:
            raw = body if isinstance(body, str) else json.dumps(body)
            return Response(status=status, body=raw.encode("utf-8"), error_code=code)
        if _is_oauth(request.path):
            return oauth_error_response(status, code, "Injected fault.", request.now)
        return v2_error(status, code, "Injected fault.", request.now)
