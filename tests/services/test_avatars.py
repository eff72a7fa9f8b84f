"""Account pictures: fetched from the (sandbox) CDN, capped, cached privately on disk."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import httpx

from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.services.avatars import MAX_AVATAR_BYTES, AvatarCache


def _sandbox_user_avatar(graph: AppGraph) -> tuple[str, str]:
    assert graph.sandbox_server is not None
    user = graph.sandbox_server.users[0]
    return user.open_id, graph.sandbox_server.avatar_url(user)


def test_fetch_stores_the_picture_privately(graph: AppGraph) -> None:
    open_id, url = _sandbox_user_avatar(graph)
    assert graph.avatars.cached(open_id) is None
    path = graph.avatars.fetch(open_id, url)
    assert path is not None and path == graph.avatars.cached(open_id)
    assert path.read_bytes().startswith(b"<svg")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert open_id not in path.name  # opaque ids never become file names
    assert graph.avatars.is_current(open_id, url)


def test_same_url_is_not_downloaded_again(graph: AppGraph, tmp_path: Path) -> None:
    open_id, url = _sandbox_user_avatar(graph)
    first = graph.avatars.fetch(open_id, url)
    assert first is not None
    os.utime(first, (1, 1))
    assert graph.avatars.fetch(open_id, url) == first
    assert first.stat().st_mtime == 1  # untouched: no second download


def test_not_an_image_keeps_the_old_picture(graph: AppGraph) -> None:
    open_id, url = _sandbox_user_avatar(graph)
    good = graph.avatars.fetch(open_id, url)
    assert good is not None
    json_url = graph.endpoints.api_base + "/v2/user/info/?fields=open_id"  # answers JSON (401)
    assert graph.avatars.fetch(open_id, json_url) == good
    assert good.read_bytes().startswith(b"<svg")
    assert graph.avatars.is_current(open_id, url)


def test_unreachable_host_and_bad_schemes_give_no_picture(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with httpx.Client() as http:
        cache = AvatarCache(tmp_path / "avatars", http)
        assert cache.fetch("u1", f"http://127.0.0.1:{port}/a.jpg") is None
        assert cache.fetch("u1", "file:///etc/passwd") is None
        assert cache.fetch("u1", "") is None
    assert not (tmp_path / "avatars").exists()


def test_oversized_picture_is_refused_even_without_a_length(tmp_path: Path) -> None:
    # Edge case the sandbox cannot produce: a streamed body larger than the cap.
    def huge(request: httpx.Request) -> httpx.Response:
        def body() -> object:
            for _ in range(MAX_AVATAR_BYTES // 65536 + 2):
                yield b"\0" * 65536
        return httpx.Response(200, headers={"Content-Type": "image/jpeg"},
                              content=body())  # type: ignore[arg-type]

    with httpx.Client(transport=httpx.MockTransport(huge)) as http:
        cache = AvatarCache(tmp_path / "avatars", http)
        assert cache.fetch("u1", "https://cdn.example/a.jpg") is None
    assert cache.cached("u1") is None


def test_forget_removes_the_picture(graph: AppGraph) -> None:
    open_id, url = _sandbox_user_avatar(graph)
    assert graph.avatars.fetch(open_id, url) is not None
    graph.avatars.forget(open_id)
    assert graph.avatars.cached(open_id) is None and not graph.avatars.is_current(open_id, url)


def test_connect_and_refresh_info_fetch_the_picture(graph: AppGraph) -> None:
    from tests.helpers.browser import play_consent

    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    account = graph.accounts.finish_connect(attempt).account
    picture = graph.avatars.cached(account.open_id)
    assert picture is not None and picture.read_bytes().startswith(b"<svg")
    graph.avatars.forget(account.open_id)
    graph.accounts.refresh_info(account.id)
    assert graph.avatars.is_current(account.open_id, account.avatar_url)
