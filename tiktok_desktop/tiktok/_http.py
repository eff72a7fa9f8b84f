"""Plumbing shared by auth.py and api.py: sending, decoding replies, the read-retry helper.

TikTok's API answers JSON, and never with a redirect. A 2xx that is not JSON, or any 3xx, is
something else answering in TikTok's place (a captive portal's sign-in page, a proxy): that is
InterceptedError, a retryable network condition, not TikTok refusing the request.
"""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from .error_codes import error_for_code, error_for_status, oauth_error
from .errors import InterceptedError, NetworkError, ProtocolError, RateLimited, TikTokError

__all__ = [
    "Clock",
    "RetryPolicy",
    "Sleeper",
    "call_with_retry",
    "decode_oauth",
    "decode_v2",
    "parse_retry_after",
    "send",
]

log = logging.getLogger("tiktok_desktop.tiktok")

Clock = Callable[[], float]
Sleeper = Callable[[float], None]
T = TypeVar("T")

# TikTok's rate limits are 1-minute (sliding) windows; with no Retry-After, wait one window.
RATE_LIMIT_WINDOW = 60.0


def send(http: httpx.Client, request: httpx.Request) -> httpx.Response:
    """Send and read the whole (small JSON) reply; transport failures become NetworkError."""
    try:
        return http.send(request)
    except httpx.TransportError as exc:
        # The message names only the exception type: httpx texts can carry URLs.
        raise NetworkError(detail=type(exc).__name__) from exc


def parse_retry_after(response: httpx.Response, clock: Clock | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if clock is None:
        return None
    return max(0.0, when.timestamp() - clock())


_NOT_JSON = object()


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # includes a body that is not UTF-8
        return _NOT_JSON


def _intercepted(response: httpx.Response, body: Any) -> InterceptedError | None:
    """A redirect, or a 2xx page that is not JSON: not TikTok's answer (see the docstring)."""
    status = response.status_code
    if 300 <= status < 400:
        # Only the host: the full Location may quote our request back.
        target = response.headers.get("location", "")
        try:
            host = httpx.URL(target).host if target else ""
        except httpx.InvalidURL:
            host = ""
        detail = f"HTTP {status} redirect to {host or 'an unnamed place'}"
    elif response.is_success and body is _NOT_JSON:
        kind = response.headers.get("content-type", "").split(";")[0].strip()
        detail = f"HTTP {status} with a body that is not JSON ({kind or 'no Content-Type'})"
    else:
        return None
    return InterceptedError(code="intercepted", http_status=status, detail=detail)


def _log_id(response: httpx.Response, body: Mapping[str, Any] | None) -> str | None:
    if body is not None:
        err = body.get("error")
        if isinstance(err, Mapping) and isinstance(err.get("log_id"), str):
            return str(err["log_id"])
        if isinstance(body.get("log_id"), str):
            return str(body["log_id"])
    header: str | None = response.headers.get("x-tt-logid")
    return header


def _object_body(response: httpx.Response,
                 clock: Clock | None) -> tuple[dict[str, Any], float | None]:
    """The JSON object body and the 429 wait; a reply that is not a JSON object raises."""
    body = _json(response)
    intercepted = _intercepted(response, body)
    if intercepted is not None:
        log.info("answered by something other than TikTok: %s", intercepted.detail)
        raise intercepted
    retry_after = parse_retry_after(response, clock)
    if not isinstance(body, dict):
        if response.is_success:
            raise ProtocolError(http_status=response.status_code, log_id=_log_id(response, None))
        raise error_for_status(response.status_code, log_id=_log_id(response, None),
                               retry_after=retry_after)
    return body, retry_after


def decode_v2(response: httpx.Response, clock: Clock | None = None) -> dict[str, Any]:
    """``data`` of a v2 envelope; any ``error.code`` other than ``ok`` raises (even on HTTP 200)."""
    body, retry_after = _object_body(response, clock)
    log_id = _log_id(response, body)
    err = body.get("error")
    code = err.get("code") if isinstance(err, dict) else None
    detail = err.get("message") if isinstance(err, dict) else None
    detail = detail if isinstance(detail, str) and detail else None
    if isinstance(code, str) and code and code != "ok":
        raise error_for_code(code, http_status=response.status_code, log_id=log_id,
                             detail=detail, retry_after=retry_after)
    if not response.is_success:
        raise error_for_status(response.status_code, code=code if isinstance(code, str) else None,
                               log_id=log_id, detail=detail, retry_after=retry_after)
    if code != "ok":
        raise ProtocolError(http_status=response.status_code, log_id=log_id)
    data = body.get("data")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProtocolError(http_status=response.status_code, log_id=log_id)
    return data


def decode_oauth(response: httpx.Response, clock: Clock | None = None) -> dict[str, Any]:
    """The flat OAuth body; ``{"error": "<category>", ...}`` raises (any HTTP status)."""
    body, retry_after = _object_body(response, clock)
    err = body.get("error")
    if isinstance(err, dict):
        # Some OAuth replies use the v2 envelope; an "ok" one is success.
        if err.get("code") not in (None, "", "ok") or not response.is_success:
            decode_v2(response, clock)
        return body
    if isinstance(err, str) and err:
        if response.status_code == 429 or err == "rate_limit_exceeded":
            raise RateLimited(http_status=response.status_code, code=err,
                              log_id=_log_id(response, body),
                              retry_after=RATE_LIMIT_WINDOW if retry_after is None
                              else retry_after)
        desc = body.get("error_description")
        raise oauth_error(err, http_status=response.status_code, log_id=_log_id(response, body),
                          detail=desc if isinstance(desc, str) else None)
    if not response.is_success:
        raise error_for_status(response.status_code, log_id=_log_id(response, body),
                               retry_after=retry_after)
    return body


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for idempotent reads (creator_info, status): 429, 5xx, network.

    ``attempts`` counts the first try. ``delay`` is the wait before the 2nd try, doubled
    after that up to ``max_delay``. A 429 waits its ``retry_after`` instead, but only if
    that is at most ``max_rate_limit_wait``; otherwise it is raised at once so the caller
    can schedule the retry rather than block.
    """

    attempts: int = 3
    delay: float = 5.0
    max_delay: float = 30.0
    max_rate_limit_wait: float = 60.0

    def wait_before(self, attempt: int, exc: TikTokError) -> float | None:
        """Seconds to wait before try ``attempt + 1`` (1-based ``attempt`` failed), or None."""
        if attempt >= self.attempts or not exc.retryable or exc.needs_refresh:
            return None
        if isinstance(exc, RateLimited):
            return exc.retry_after if exc.retry_after <= self.max_rate_limit_wait else None
        return float(min(self.max_delay, self.delay * 2.0 ** (attempt - 1)))


NO_RETRY = RetryPolicy(attempts=1)  # one try: for reads the caller retries itself


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, sleeper: Sleeper,
                    what: str) -> T:
    """Run ``fn``; on a retryable TikTokError wait via ``sleeper`` and run it again."""
    attempt = 1
    while True:
        try:
            return fn()
        except TikTokError as exc:
            wait = policy.wait_before(attempt, exc)
            if wait is None:
                raise
            # INFO, not WARNING: a retry is routine, and the final failure is raised anyway.
            log.info("%s failed (%s, HTTP %s); retry %d/%d in %.1f s", what,
                     exc.code or type(exc).__name__, exc.http_status, attempt,
                     policy.attempts - 1, wait)
            sleeper(wait)
            attempt += 1
