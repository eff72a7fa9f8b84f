"""The graph's HTTP client is made at its first request, not at start (issue 16: loading
httpcore and the CA certificates waits for nothing the first paint shows)."""

from __future__ import annotations

import pytest

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.lazy_http import LazyClient


def test_made_at_the_first_request(graph: AppGraph) -> None:
    lazy = graph.http
    assert isinstance(lazy, LazyClient)
    assert not lazy.made
    assert graph.sandbox_server is not None
    answer = graph.http.get(f"{graph.sandbox_server.base_url}/__sandbox__/info")
    assert lazy.made
    assert answer.status_code in (200, 401, 403)  # the control API wants its token


def test_closed_before_use_stays_closed() -> None:
    lazy = LazyClient(follow_redirects=False)
    lazy.close()
    assert not lazy.made
    with pytest.raises(RuntimeError, match="closed"):
        lazy.get("http://127.0.0.1:9/")
