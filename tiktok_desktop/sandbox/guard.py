"""Bearer authentication, scope checks and per-token rate limits for the v2 endpoints."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .models import App, Grant, User, secret_hash
from .state import State
from .wire import ApiError, Request

__all__ = ["RATE_LIMITS", "RateLimiter", "Session", "authenticate", "require_scope"]

# Requests per sliding 60 s window per access token (TIKTOK_API.md section 5). Each endpoint has
# its own window.
RATE_LIMITS: dict[str, int] = {
    "/v2/user/info/": 600,
    "/v2/post/publish/creator_info/query/": 20,
    "/v2/post/publish/video/init/": 6,
    "/v2/post/publish/inbox/video/init/": 6,
    "/v2/post/publish/status/fetch/": 30,
    "/v2/video/list/": 600,
    "/v2/video/query/": 600,
}
WINDOW = 60.0


class RateLimiter:
    """Sliding-window counter keyed by (token hash, endpoint); rejected requests do not count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def allow(self, key: tuple[str, str], limit: int, now: float) -> bool:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True


@dataclass(frozen=True)
class Session:
    """Who is calling: the grant behind a live access token, its app and user."""

    token_hash: str
    grant: Grant
    app: App
    user: User

    def has(self, scope: str) -> bool:
        return scope in self.grant.scopes


def authenticate(state: State, limiter: RateLimiter, request: Request) -> Session:
    """Check `Authorization: Bearer <token>` and the endpoint's rate limit.

    401 `access_token_invalid` for a missing, malformed, unknown, expired or revoked token;
    429 `rate_limit_exceeded` over the per-token window.
    """
    header = request.header("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "access_token_invalid", "The access token is missing or malformed.")
    token = token.strip()
    with state.lock:
        live = state.live_access(token)
        if live is None:
            raise ApiError(
                401, "access_token_invalid", "The access token is invalid or not found."
            )
        _record, grant = live
        app = state.apps[grant.client_key]
        user = state.users[grant.open_id]
    session = Session(token_hash=secret_hash(token), grant=grant, app=app, user=user)
    limit = RATE_LIMITS.get(request.path)
    if (
        limit is not None
        and state.options.rate_limits_enabled
        and not limiter.allow((session.token_hash, request.path), limit, request.now)
    ):
        raise ApiError(429, "rate_limit_exceeded", "Rate limit exceeded. Try again later.")
    return session


def require_scope(session: Session, *any_of: str) -> None:
    """401 `scope_not_authorized` unless the grant holds one of the scopes."""
    if not any(session.has(scope) for scope in any_of):
        wanted = " or ".join(any_of)
        raise ApiError(
            401, "scope_not_authorized", f"The user did not authorize the scope {wanted}."
        )
