"""The chunk PUT: 206/201/400/403/404/416, progress header, dropped chunks, and the sink."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxOptions, SandboxServer

from .helpers import FakeClock, Tokens, connect, ok_data, post_info, put_chunk, raw_request, status

SIZE = 10_500_000
CHUNK = 5_242_880  # 2 chunks: 5,242,880 + 5,257,120


@pytest.fixture(scope="module")
def video() -> bytes:
    return secrets.token_bytes(SIZE)


def _init(http: httpx.Client, tokens: Tokens, size: int = SIZE,
          chunk: int = CHUNK) -> tuple[str, str]:
    data = ok_data(http.post(
        "/v2/post/publish/video/init/", headers=tokens.headers,
        json={"post_info": post_info(), "source_info": {
            "source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
            "total_chunk_count": size // chunk}}))
    return data["publish_id"], data["upload_url"]


def _raw_put(url: str, headers: dict[str, str], body: bytes = b"",
             close_early: bool = False) -> bytes:
    parts = urlsplit(url)
    lines = [f"PUT {parts.path}?{parts.query} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return raw_request(parts.port or 80, head, body, close_early)


def test_two_chunks_then_201(server: SandboxServer, http: httpx.Client, creator: Tokens,
                             video: bytes) -> None:
    pid, url = _init(http, creator)
    first = put_chunk(http, url, video[:CHUNK], 0, SIZE)
    assert first.status_code == 206
    assert first.headers["content-range"] == f"bytes 0-{CHUNK}/{SIZE}"
    assert status(http, creator, pid)["uploaded_bytes"] == CHUNK
    got = server.control.received(pid)
    assert got.size == CHUNK and not got.complete
    assert got.sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()
    second = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE, content_type="video/quicktime")
    assert second.status_code == 201
    assert second.headers["content-range"] == f"bytes 0-{SIZE}/{SIZE}"
    got = server.control.received(pid)
    assert got.complete and got.size == SIZE
    assert got.sha256 == hashlib.sha256(video).hexdigest()
    assert got.path is not None and got.path.read_bytes() == video
    # anything after completion is out of step
    again = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
    assert again.status_code == 416 and again.headers["content-range"] == f"bytes 0-{SIZE}/{SIZE}"


def test_out_of_order_and_replayed_chunks_are_416(server: SandboxServer, http: httpx.Client,
                                                  creator: Tokens, video: bytes) -> None:
    pid, url = _init(http, creator)
    skipped = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
    assert skipped.status_code == 416
    assert skipped.headers["content-range"] == f"bytes 0-0/{SIZE}"
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
    replay = put_chunk(http, url, video[:CHUNK], 0, SIZE)
    assert replay.status_code == 416
    assert replay.headers["content-range"] == f"bytes 0-{CHUNK}/{SIZE}"
    # the keep-alive connection survived the rejections (their bodies were drained)
    assert put_chunk(http, url, video[CHUNK:], CHUNK, SIZE).status_code == 201
    assert server.control.received(pid).sha256 == hashlib.sha256(video).hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Range": f"bytes 0-999/{1000}"},  # no Content-Type
        {"Content-Type": "application/octet-stream", "Content-Range": "bytes 0-999/1000"},
        {"Content-Type": "video/x-matroska", "Content-Range": "bytes 0-999/1000"},
        {"Content-Type": "video/mp4"},  # no Content-Range
        {"Content-Type": "video/mp4", "Content-Range": "bytes=0-999/1000"},
        {"Content-Type": "video/mp4", "Content-Range": "bytes 0-999/*"},
        {"Content-Type": "video/mp4", "Content-Range": "bytes 0-999/1001"},  # TOTAL != size
        {"Content-Type": "video/mp4", "Content-Range": "bytes 999-0/1000"},
    ],
)
def test_bad_headers_are_400(http: httpx.Client, creator: Tokens,
                             headers: dict[str, str]) -> None:
    _pid, url = _init(http, creator, 1000, 1000)
    response = http.put(url, content=b"v" * 1000, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-range"] == "bytes 0-0/1000"


def test_range_must_match_the_plan(server: SandboxServer, http: httpx.Client, creator: Tokens,
                                   video: bytes) -> None:
    pid, url = _init(http, creator)
    # starts at the right place but ends elsewhere than the planned chunk end
    response = put_chunk(http, url, video[:CHUNK - 1], 0, SIZE)
    assert response.status_code == 400
    response = put_chunk(http, url, video, 0, SIZE)  # the whole file in one go
    assert response.status_code == 400
    assert server.control.received(pid).size == 0


def test_content_length_must_match(server: SandboxServer, http: httpx.Client,
                                   creator: Tokens) -> None:
    pid, url = _init(http, creator, 100, 100)
    headers = {"Content-Type": "video/mp4", "Content-Range": "bytes 0-99/100",
               "Content-Length": "50"}
    answer = _raw_put(url, headers, b"v" * 50)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Content-Range: bytes 0-0/100" in answer
    # chunked transfer encoding is refused too (httpx streams a generator that way)
    def body() -> Iterator[bytes]:
        yield b"v" * 100

    response = http.put(url, content=body(),
                        headers={"Content-Type": "video/mp4", "Content-Range": "bytes 0-99/100"})
    assert response.status_code == 400
    assert server.control.received(pid).size == 0


def test_expired_upload_url_is_403(server: SandboxServer, http: httpx.Client, creator: Tokens,
                                   clock: FakeClock, video: bytes) -> None:
    _pid, url = _init(http, creator)
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
    clock.advance(3599)
    pid2, url2 = _init(http, creator)
    clock.advance(1)
    expired = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
    assert expired.status_code == 403
    assert expired.headers["content-range"] == f"bytes 0-{CHUNK}/{SIZE}"
    assert put_chunk(http, url2, video[:CHUNK], 0, SIZE).status_code == 206
    server.control.expire_upload_url(pid2)
    assert put_chunk(http, url2, video[CHUNK:], CHUNK, SIZE).status_code == 403
    assert status(http, connect(server, http), pid2)["status"] == "PROCESSING_UPLOAD"


def test_unknown_task_is_404(http: httpx.Client, creator: Tokens) -> None:
    _pid, url = _init(http, creator, 1000, 1000)
    wrong_token = url.rsplit("=", 1)[0] + "=nope"
    response = put_chunk(http, wrong_token, b"v" * 1000, 0, 1000)
    assert response.status_code == 404 and "content-range" not in response.headers
    no_task = url.split("?")[0] + "?upload_id=1&upload_token=x"
    assert put_chunk(http, no_task, b"v" * 1000, 0, 1000).status_code == 404
    assert put_chunk(http, url, b"v" * 1000, 0, 1000).status_code == 201


def test_reset_mid_chunk_does_not_count(server: SandboxServer, http: httpx.Client,
                                        creator: Tokens, video: bytes) -> None:
    pid, url = _init(http, creator)
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
    server.control.inject_fault("/upload/video/", "reset", after_bytes=1_000_000)
    server.control.clear_calls()
    with pytest.raises(httpx.TransportError):
        put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
    (call,) = server.control.wait_for_calls(1)  # the server has finished with the request
    assert call.status is None
    got = server.control.received(pid)
    assert got.size == CHUNK and got.sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()
    assert got.path is not None and got.path.stat().st_size == CHUNK
    assert put_chunk(http, url, video[CHUNK:], CHUNK, SIZE).status_code == 201
    assert server.control.received(pid).sha256 == hashlib.sha256(video).hexdigest()


def test_reset_after_the_whole_chunk_loses_only_the_answer(
    server: SandboxServer, http: httpx.Client, creator: Tokens, video: bytes
) -> None:
    pid, url = _init(http, creator)
    server.control.inject_fault("/upload/video/", "reset", after_bytes=CHUNK)
    with pytest.raises(httpx.TransportError):
        put_chunk(http, url, video[:CHUNK], 0, SIZE)
    assert server.control.received(pid).size == CHUNK
    replay = put_chunk(http, url, video[:CHUNK], 0, SIZE)
    assert replay.status_code == 416
    assert replay.headers["content-range"] == f"bytes 0-{CHUNK}/{SIZE}"


def test_client_dropping_mid_chunk_does_not_count(server: SandboxServer, http: httpx.Client,
                                                  creator: Tokens, video: bytes) -> None:
    pid, url = _init(http, creator)
    server.control.clear_calls()
    headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{CHUNK - 1}/{SIZE}",
               "Content-Length": str(CHUNK)}
    _raw_put(url, headers, video[:2_000_000], close_early=True)
    (call,) = server.control.wait_for_calls(1)
    assert call.status is None and call.path == "/upload/video/"
    got = server.control.received(pid)
    assert got.size == 0 and got.path is not None and got.path.stat().st_size == 0
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
    assert server.control.received(pid).sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()


def test_injected_5xx_on_a_chunk(server: SandboxServer, http: httpx.Client, creator: Tokens,
                                 video: bytes) -> None:
    pid, url = _init(http, creator)
    server.control.inject_fault("/upload/video/", "status", status=503)
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 503
    assert server.control.received(pid).size == 0
    server.control.inject_fault("/upload/video/", "status", status=502, after=True)
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 502
    assert server.control.received(pid).size == CHUNK  # processed; only the answer was lost


def test_inclusive_progress_option(make_server: Callable[..., SandboxServer],
                                   video: bytes) -> None:
    server = make_server(SandboxOptions(progress_end="inclusive"))
    with httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        _pid, url = _init(http, tokens)
        bad = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
        assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{SIZE}"
        first = put_chunk(http, url, video[:CHUNK], 0, SIZE)
        assert first.headers["content-range"] == f"bytes 0-{CHUNK - 1}/{SIZE}"
        done = put_chunk(http, url, video[CHUNK:], CHUNK, SIZE)
        assert done.status_code == 201
        assert done.headers["content-range"] == f"bytes 0-{SIZE - 1}/{SIZE}"


def test_without_stored_bytes(make_server: Callable[..., SandboxServer], video: bytes) -> None:
    # Without the bytes there is nothing to decode: the media check must be off too.
    server = make_server(SandboxOptions(store_upload_bytes=False, media_checks=False))
    with httpx.Client(base_url=server.base_url) as http:
        pid, url = _init(http, connect(server, http))
        assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
        assert put_chunk(http, url, video[CHUNK:], CHUNK, SIZE).status_code == 201
    got = server.control.received(pid)
    assert got.path is None and got.sha256 == hashlib.sha256(video).hexdigest()
    assert not list((server.state_dir / "videos").glob("*.bin"))


def test_sink(http: httpx.Client, video: bytes) -> None:
    response = http.put("/__sandbox__/sink", content=video,
                        headers={"X-Anything": "1", "Content-Type": "application/x-whatever"})
    assert response.status_code == 201
    assert response.json() == {"bytes": SIZE, "sha256": hashlib.sha256(video).hexdigest()}
    empty = http.put("/__sandbox__/sink", content=b"")
    assert empty.json() == {"bytes": 0, "sha256": hashlib.sha256(b"").hexdigest()}

    def chunks() -> Iterator[bytes]:  # httpx sends a generator chunked
        for start in range(0, SIZE, 3_000_000):
            yield video[start:start + 3_000_000]

    chunked = http.put("/__sandbox__/sink", content=chunks())
    assert chunked.status_code == 201
    assert chunked.json() == {"bytes": SIZE, "sha256": hashlib.sha256(video).hexdigest()}


def test_replay_right_after_a_drop_is_accepted(server: SandboxServer, http: httpx.Client,
                                               creator: Tokens, video: bytes) -> None:
    # No waiting between the drop and the replay: whichever request the server sees first, the
    # replay must not be refused because the dropped one was still being torn down.
    pid, url = _init(http, creator)
    headers = {"Content-Type": "video/mp4", "Content-Range": f"bytes 0-{CHUNK - 1}/{SIZE}",
               "Content-Length": str(CHUNK)}
    _raw_put(url, headers, video[:1_000_000], close_early=True)
    assert put_chunk(http, url, video[:CHUNK], 0, SIZE).status_code == 206
    assert server.control.received(pid).sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()
