"""Seeded faults for the in-process sandbox, decided request by request.

``Chaos.install(sandbox)`` takes the place of the sandbox's fault list (the server asks
``faults.take(path)`` once per client request) and wraps the routes of the endpoints the
engine uses. Of the requests to those endpoints, a share ``rate`` (drawn from a per-path RNG
seeded with the campaign seed) gets one fault. Which kind: of the kinds that make sense for
that endpoint, the one furthest behind its weight (ties broken by the seeded RNG), so every
kind shows up even in a short run and the mix follows ``WEIGHTS`` in a long one.

Kinds (each counted only when it took effect):
- ``5xx``: 500/502/503 instead of handling the request.
- ``5xx_lost_answer``: the request IS handled (an init creates a publish, a chunk is stored),
  then the answer is replaced by a 500: the client cannot know what happened.
- ``429``: rate_limit_exceeded instead of handling the request.
- ``reset``: the connection drops with a TCP reset. A chunk PUT is cut at a random point of its
  body (past its end in about one case of five: stored, only the answer is lost); other
  requests are dropped unhandled.
- ``slow``: the answer comes after a real delay of 0.2-1.5 s.
- ``expired_upload_url``: the PUT's upload link expires just before the PUT is handled.
- ``expired_token``: the caller's access token expires just before the request is handled
  (the engine must refresh it; refresh tokens rotate).
- ``fail_reason``: the publish this init creates ends FAILED after processing (``internal``,
  which may be retried, or a final reason).
- ``stall``: the publish this init creates never finishes processing (status stays
  PROCESSING_UPLOAD for good): the engine's poll budget must end it as unconfirmed.

Not injected on purpose: a refresh whose answer is lost. TikTok rotates refresh tokens, so the
account would need the user to reconnect; that is TikTok's protocol, not the engine's doing.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.sandbox.faults import Fault, Faults
from tiktok_desktop.sandbox.models import Publish
from tiktok_desktop.sandbox.posting import UPLOAD_PATH
from tiktok_desktop.sandbox.wire import Request, Response

CREATOR_INFO = "/v2/post/publish/creator_info/query/"
INIT = "/v2/post/publish/video/init/"
STATUS = "/v2/post/publish/status/fetch/"
TOKEN = "/v2/oauth/token/"

WEIGHTS: dict[str, float] = {
    "5xx": 3.0, "5xx_lost_answer": 2.0, "429": 2.0, "reset": 3.0, "slow": 2.0,
    "expired_upload_url": 1.0, "expired_token": 1.0, "fail_reason": 1.0, "stall": 0.5,
}
KINDS = tuple(WEIGHTS)
_ANSWER = ("5xx", "5xx_lost_answer", "429", "reset", "slow")
APPLICABLE: dict[str, tuple[str, ...]] = {
    CREATOR_INFO: (*_ANSWER, "expired_token"),
    INIT: (*_ANSWER, "expired_token", "fail_reason", "stall"),
    STATUS: (*_ANSWER, "expired_token"),
    UPLOAD_PATH: ("5xx", "5xx_lost_answer", "reset", "slow", "expired_upload_url"),
    TOKEN: ("5xx", "429", "reset", "slow"),
}
FAIL_REASONS = ("internal", "internal", "spam_risk_text", "file_format_check_failed")


class Chaos:
    """The sandbox's fault source for one campaign (thread-safe: handler threads call it)."""

    def __init__(self, seed: int, rate: float, weights: dict[str, float] | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate is a share of requests, 0..1")
        self.seed = seed
        self.rate = rate
        self.weights = dict(WEIGHTS if weights is None else weights)
        self.injected: Counter[str] = Counter()
        self.by_path: Counter[tuple[str, str]] = Counter()
        self.eligible: Counter[str] = Counter()  # requests seen per path while enabled
        self.fail_reasons: dict[str, str] = {}  # publish_id -> the reason it will end with
        self.stalled: set[str] = set()  # publish ids that never finish processing
        self.enabled = True
        self._explicit = Faults()  # control.inject_fault still works beside the chaos
        self._lock = threading.Lock()
        self._draws: dict[str, random.Random] = {}
        self._pick = random.Random(f"{seed}:kind")
        self._params = random.Random(f"{seed}:params")
        self._pending = threading.local()
        self._sandbox: SandboxServer | None = None

    # -- wiring ------------------------------------------------------------------------------

    def install(self, sandbox: SandboxServer) -> None:
        """After sandbox.start() (the routes exist then)."""
        self._sandbox = sandbox
        sandbox.faults = self  # type: ignore[assignment]  # duck-typed: take/add/clear
        for path in (CREATOR_INFO, STATUS):
            sandbox.routes[("POST", path)] = self._wrap(sandbox.routes[("POST", path)])
        sandbox.routes[("POST", INIT)] = self._wrap_init(sandbox.routes[("POST", INIT)])
        upload = sandbox.stream_routes[("PUT", UPLOAD_PATH)]
        sandbox.stream_routes[("PUT", UPLOAD_PATH)] = self._wrap_upload(upload)
        settle = sandbox.state.settle

        def settle_unless_stalled(publish: Publish) -> None:
            if publish.publish_id not in self.stalled:
                settle(publish)

        sandbox.state.settle = settle_unless_stalled  # type: ignore[method-assign]

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No chaos meanwhile (the campaign playing the user, e.g. reconnecting)."""
        self.enabled = False
        try:
            yield
        finally:
            self.enabled = True

    # -- the server's fault interface ----------------------------------------------------------

    def add(self, path_prefix: str, kind: str, count: int, params: dict[str, Any]) -> None:
        self._explicit.add(path_prefix, kind, count, params)

    def clear(self) -> None:
        self._explicit.clear()

    def take(self, path: str, kind: str | None = None) -> Fault | None:
        if kind is not None:  # the sandbox's conditional kinds: only the explicit ones
            return self._explicit.take(path, kind)
        self._pending.kind = None  # handler threads serve many requests (keep-alive)
        explicit = self._explicit.take(path)
        if explicit is not None or not self.enabled:
            return explicit
        applicable = APPLICABLE.get(path)
        if applicable is None:
            return None
        with self._lock:
            self.eligible[path] += 1
            draw = self._draws.setdefault(path, random.Random(f"{self.seed}:{path}"))
            if draw.random() >= self.rate:
                return None
            kind = min(applicable, key=lambda k: (self.injected[k] / self.weights[k],
                                                  self._pick.random()))
            if kind not in ("5xx", "5xx_lost_answer", "429", "reset", "slow"):
                self._pending.kind = kind  # takes effect in the route wrapper
                return None
            self._count(kind, path)
            return self._fault(kind, path)

    def _fault(self, kind: str, path: str) -> Fault:
        p = self._params
        if kind == "5xx":
            return Fault(path, "status", 1, {"status": p.choice((500, 502, 503))})
        if kind == "5xx_lost_answer":
            return Fault(path, "status", 1, {"status": 500, "after": True})
        if kind == "429":
            return Fault(path, "rate_limit", 1, {})
        if kind == "slow":
            return Fault(path, "slow", 1, {"delay": round(p.uniform(0.2, 1.5), 3)})
        # reset: where in the body is decided by the upload wrapper (it knows the length).
        self._pending.cut = p.uniform(0.0, 1.25)
        return Fault(path, "reset", 1, {"after_bytes": 0})

    def _count(self, kind: str, path: str) -> None:
        self.injected[kind] += 1
        self.by_path[(kind, path)] += 1

    def _take_pending(self) -> str | None:
        kind: str | None = getattr(self._pending, "kind", None)
        self._pending.kind = None
        return kind

    # -- route wrappers ------------------------------------------------------------------------

    def _expire_token(self, request: Request) -> bool:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        assert self._sandbox is not None
        try:
            self._sandbox.control.expire_access_token(access_token=token.strip())
        except ValueError:
            return False  # not a token the sandbox knows: nothing to expire
        return True

    def _wrap(self, route: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def wrapped(request: Request) -> Response:
            if self._take_pending() == "expired_token" and self._expire_token(request):
                with self._lock:
                    self._count("expired_token", request.path)
            return route(request)

        return wrapped

    def _wrap_init(self, route: Callable[[Request], Response | None]
                   ) -> Callable[[Request], Response | None]:
        def wrapped(request: Request) -> Response | None:
            kind = self._take_pending()
            if kind == "expired_token" and self._expire_token(request):
                with self._lock:
                    self._count(kind, request.path)
            response = route(request)
            # None: no answer went out (the three-runner campaign killed its sender).
            if kind in ("fail_reason", "stall") and response is not None \
                    and response.status == 200:
                publish_id = json.loads(response.body)["data"]["publish_id"]
                assert self._sandbox is not None
                with self._lock:
                    self._count(kind, request.path)
                    if kind == "stall":
                        self.stalled.add(publish_id)
                    else:
                        reason = self._params.choice(FAIL_REASONS)
                        self.fail_reasons[publish_id] = reason
                if kind == "fail_reason":
                    self._sandbox.control.set_fail_reason(publish_id, reason)
            return response

        return wrapped

    def _wrap_upload(self, route: Callable[..., Response | None]) -> Callable[..., Response | None]:
        def wrapped(request: Request, conn: Any, reset_after: int | None) -> Response | None:
            if reset_after is not None:
                length = int(request.header("Content-Length") or 0)
                reset_after = int(length * getattr(self._pending, "cut", 0.0))
            if self._take_pending() == "expired_upload_url":
                assert self._sandbox is not None
                publish_id = self._sandbox.state.by_upload_id.get(
                    request.single("upload_id") or "")
                if publish_id is not None:
                    self._sandbox.control.expire_upload_url(publish_id)
                    with self._lock:
                        self._count("expired_upload_url", request.path)
            return route(request, conn, reset_after)

        return wrapped
