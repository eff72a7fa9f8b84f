"""An httpx.Client made at its first use.

Making a client loads httpx, httpcore and h11 and reads the system's CA certificates (about
140 ms here): work the window's first paint does not need (issue 16). The graph hands this
out where an httpx.Client is expected; the first request, from whichever thread, makes the
real one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import httpx


class LazyClient:
    def __init__(self, **options: Any) -> None:
        self._options = options
        self._client: httpx.Client | None = None
        self._closed = False
        self._lock = threading.Lock()

    def client(self) -> httpx.Client:
        with self._lock:
            if self._closed:
                raise RuntimeError("the HTTP client was closed")
            if self._client is None:
                import httpx  # noqa: PLC0415 - httpx itself loads here too (about 60 ms)

                self._client = httpx.Client(**self._options)
            return self._client

    @property
    def made(self) -> bool:
        return self._client is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client(), name)

    def close(self) -> None:
        with self._lock:
            client, self._client, self._closed = self._client, None, True
        if client is not None:
            client.close()


def lazy_client(**options: Any) -> httpx.Client:
    """A LazyClient typed as what its users expect (it forwards every attribute)."""
    return cast("httpx.Client", LazyClient(**options))
