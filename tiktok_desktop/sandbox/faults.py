"""Injected faults and the call log (both in memory only; a restart clears them)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import Call

__all__ = ["CONDITIONAL_KINDS", "FAULT_KINDS", "CallLog", "Fault", "Faults"]

FAULT_KINDS = frozenset({"status", "rate_limit", "reset", "slow", "oauth_error_200",
                         "lose_refresh_answer"})
# Kinds that are used up only by a request they apply to (see Fault), not by any request.
CONDITIONAL_KINDS = frozenset({"oauth_error_200", "lose_refresh_answer"})
_PARAMS: dict[str, set[str]] = {
    "status": {"status", "body", "code", "after"},
    "rate_limit": {"after"},
    "reset": {"after_bytes"},
    "slow": {"delay"},
    "oauth_error_200": set(),
    "lose_refresh_answer": set(),
}


@dataclass
class Fault:
    """One armed fault: applies to the next `remaining` requests whose path starts with prefix.

    - status: answer `status` (default 503) with `body` (raw text/JSON) or an error in the
      endpoint's shape with `code` (default internal_error / rate_limit_exceeded for 429).
      ``after=True`` processes the request first and replaces only the answer (the effect
      happens, the client does not learn of it); by default the request is not processed.
    - rate_limit: 429 rate_limit_exceeded (``after`` as above).
    - reset: read `after_bytes` (default 0) of the body, then drop the connection with a TCP
      reset and no answer. For the upload PUT, a chunk cut short does not count; if
      `after_bytes` >= the chunk length the chunk counts and only the answer is lost.
    - slow: wait `delay` seconds (default 1.0) before handling the request normally (the request
      is processed even if the client gave up waiting).
    - oauth_error_200: the next `count` OAuth errors (token, revoke) come with HTTP 200 and the
      error body, as reported against real TikTok; used up only by OAuth errors.
    - lose_refresh_answer: the next `count` successful refreshes happen (the refresh token
      rotates, the old one dies) but the connection drops before the answer: the client never
      sees the new tokens. Used up only by successful refresh_token grants.
    """

    path_prefix: str
    kind: str
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._armed: list[Fault] = []

    def add(self, path_prefix: str, kind: str, count: int, params: dict[str, Any]) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        unknown = set(params) - _PARAMS[kind]
        if unknown:
            raise ValueError(f"unknown parameters for fault {kind!r}: {sorted(unknown)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if not path_prefix.startswith("/"):
            raise ValueError("path_prefix must start with /")
        with self._lock:
            self._armed.append(Fault(path_prefix, kind, count, dict(params)))

    def take(self, path: str, kind: str | None = None) -> Fault | None:
        """The first armed fault matching `path`, consuming one of its uses: of the given
        conditional `kind`, or (None) of any other kind."""
        with self._lock:
            for fault in self._armed:
                wanted = (fault.kind == kind if kind is not None
                          else fault.kind not in CONDITIONAL_KINDS)
                if wanted and path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._armed.remove(fault)
                        self._lock.notify_all()
                    return fault
        return None

    def wait_used(self, path_prefix: str, kind: str, timeout: float) -> None:
        """Block until no fault of ``kind`` is armed for ``path_prefix`` any more (a request
        met it: with "slow", the server is holding that request now). TimeoutError after
        ``timeout`` seconds."""
        def used() -> bool:
            return not any(f.kind == kind and f.path_prefix == path_prefix
                           for f in self._armed)

        with self._lock:
            if not self._lock.wait_for(used, timeout):
                raise TimeoutError(f"no request met the {kind!r} fault on {path_prefix}")

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()


class CallLog:
    """Every client request (not /__sandbox__/ ones), in completion order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls: list[Call] = []

    def add(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def snapshot(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def clear(self) -> None:
        with self._cond:
            self._calls.clear()

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float) -> list[Call]:
        """Block until predicate(calls) holds; raises TimeoutError after `timeout` seconds."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self._calls), timeout):
                raise TimeoutError("the expected requests did not arrive at the sandbox")
            return list(self._calls)
