"""Request/response values and TikTok's two error shapes (v2 envelope and flat OAuth errors)."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ApiError",
    "OAuthError",
    "Request",
    "Response",
    "html_response",
    "json_response",
    "media_type",
    "new_log_id",
    "oauth_error_response",
    "parse_json_object",
    "split_target",
    "v2_error",
    "v2_ok",
]


def new_log_id(now: float) -> str:
    """Shaped like TikTok's: UTC timestamp followed by random hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(now)) + secrets.token_hex(10).upper()


@dataclass
class Request:
    method: str
    path: str  # without the query string
    raw_query: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""
    now: float = 0.0

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    def single(self, name: str) -> str | None:
        """The value of a query parameter given once; None if missing (repeats count as bad)."""
        values = self.query.get(name)
        if not values:
            return None
        return values[0] if len(values) == 1 else None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    # For the call log: the TikTok error code / OAuth error category, None when ok.
    error_code: str | None = None
    # Close the connection after answering (the request body was not fully read).
    close: bool = False


def json_response(status: int, payload: Any, error_code: str | None = None) -> Response:
    try:
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a client's JSON, echoed in a message
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return Response(status=status, body=body, error_code=error_code)


def html_response(status: int, html: str) -> Response:
    return Response(
        status=status, body=html.encode("utf-8"), content_type="text/html; charset=utf-8"
    )


def v2_ok(data: dict[str, Any], now: float) -> Response:
    return json_response(
        200, {"data": data, "error": {"code": "ok", "message": "", "log_id": new_log_id(now)}}
    )


def v2_error(status: int, code: str, message: str, now: float) -> Response:
    payload = {"data": {}, "error": {"code": code, "message": message, "log_id": new_log_id(now)}}
    return json_response(status, payload, error_code=code)


def oauth_error_response(status: int, error: str, description: str, now: float) -> Response:
    payload = {"error": error, "error_description": description, "log_id": new_log_id(now)}
    return json_response(status, payload, error_code=error)


class ApiError(Exception):
    """A v2-envelope error; raised by handlers, turned into a response by the server."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def response(self, now: float) -> Response:
        return v2_error(self.status, self.code, self.message, now)


class OAuthError(Exception):
    """A flat OAuth error ({"error", "error_description", "log_id"})."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self, now: float) -> Response:
        return oauth_error_response(self.status, self.error, self.description, now)


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of a request target. One urlsplit refuses (an absolute URL with a broken
    "[" host) is taken whole as the path: it then finds no route (404) instead of dropping
    the connection unanswered."""
    try:
        parts = urlsplit(target)
    except ValueError:
        path, _, query = target.partition("?")
        return path, query
    return parts.path, parts.query


def media_type(value: str | None) -> str | None:
    """`application/json; charset=UTF-8` -> `application/json` (lower-cased); None if absent."""
    if value is None:
        return None
    return value.split(";", 1)[0].strip().lower()


def parse_json_object(request: Request, code: str, *, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object, after checking the JSON content type; else ApiError(400, code)."""
    if media_type(request.header("Content-Type")) != "application/json":
        raise ApiError(400, code, "Content-Type must be application/json.")
    if allow_empty and not request.body.strip():
        return {}
    try:
        value = json.loads(request.body.decode("utf-8"))
    except (ValueError, RecursionError):
        # ValueError: bad UTF-8 or JSON, or an integer too long for int(); RecursionError:
        # arrays or objects nested deeper than the parser goes.
        raise ApiError(400, code, "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ApiError(400, code, "The request body must be a JSON object.")
    return value
