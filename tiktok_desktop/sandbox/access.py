"""Who may use /__sandbox__/ (issue 14): the control API's guard and the profile page's form.

The control API hands out client secrets, arms faults and revokes tokens. Every request needs:
- a Host header naming this server (``127.0.0.1:PORT`` or ``localhost:PORT``): anything else is
  DNS rebinding, a web page reaching 127.0.0.1 under its own name (403 ``wrong_host``);
- this run's control token in ``X-Sandbox-Token`` (401 ``unauthorized``); the token is made per
  run, printed by ``sandbox serve``, on ``SandboxServer.control_token`` and in the state
  folder's 0600 owner file (owner.py);
- for anything but GET, a JSON body (415): a browser sends text/plain, form and multipart
  bodies cross-site without a preflight (CSRF), never JSON.

The profile page's draft buttons are a plain HTML form (the pages have no script), so they
cannot send the control token: they carry the page token instead (per run, only in the page),
must be form-encoded, same-origin when the browser says where they come from, and can only
finish or expire an inbox draft.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from . import pages
from .owner import TOKEN_HEADER
from .wire import Request, Response, html_response, json_response, media_type

if TYPE_CHECKING:
    from .server import SandboxServer

__all__ = ["page_action", "refusal"]


def _refuse(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description}, error)


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def refusal(request: Request, port: int, control_token: str, page: bool) -> Response | None:
    """Why a /__sandbox__/ request is refused (the answer), or None to serve it."""
    hosts = (f"127.0.0.1:{port}", f"localhost:{port}")
    if (request.header("Host") or "").strip().lower() not in hosts:
        return _refuse(403, "wrong_host", "The Host header must be 127.0.0.1:PORT or "
                       "localhost:PORT of this sandbox.")
    if page:
        origin = request.header("Origin")
        if origin is not None and origin.strip().lower() not in (f"http://{h}" for h in hosts):
            return _refuse(403, "cross_origin",
                           "Page actions only come from this sandbox's own pages.")
        if media_type(request.header("Content-Type")) != "application/x-www-form-urlencoded":
            return _refuse(415, "unsupported_media_type", "Send the page's form.")
        return None
    if not _same(request.header(TOKEN_HEADER) or "", control_token):
        return _refuse(401, "unauthorized", f"The control API needs this run's control token "
                       f"in the {TOKEN_HEADER} header.")
    if request.method != "GET" and media_type(request.header("Content-Type")) != "application/json":
        return _refuse(415, "unsupported_media_type", "Control requests carry a JSON body "
                       "(Content-Type: application/json).")
    return None


def page_action(server: SandboxServer, request: Request) -> Response:
    """The profile page's draft buttons: finish or expire an inbox draft, then back to the
    profile (303)."""
    form = parse_qs(request.body.decode("utf-8", "replace"))
    if not _same(form.get("page_token", [""])[0], server.page_token):
        return html_response(403, pages.render_error(
            "forbidden", "This page is out of date: reload it and press the button again."))
    publish_id = form.get("publish_id", [""])[0]
    action = form.get("action", [""])[0]
    try:
        if action == "finish":
            server.control.finish_draft(publish_id)
        elif action == "expire":
            server.control.expire_draft(publish_id)
        else:
            raise ValueError("unknown action")
        publish = server.state.publishes[publish_id]
    except (ValueError, KeyError) as error:
        return html_response(400, pages.render_error("invalid_request", str(error)))
    username = server.state.users[publish.open_id].username
    return Response(status=303, headers=[("Location", f"/@{username}")],
                    content_type="text/plain")
