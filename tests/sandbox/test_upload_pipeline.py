"""The upload PUT and the sink with their hash running behind the reads (receive.py)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.sandbox import receive as receive_module
from tiktok_desktop.sandbox.receive import DEPTH, HashPipeline

from .gates import GATE_TIMEOUT, Gate, GatedHasher
from .helpers import Tokens, ok_data, post_info, put_chunk, raw_request

CHUNK = 5_242_880


def _init(http: httpx.Client, tokens: Tokens, size: int, chunk: int = CHUNK) -> tuple[str, str]:
    data = ok_data(http.post(
        "/v2/post/publish/video/init/", headers=tokens.headers,
        json={"post_info": post_info(), "source_info": {
            "source": "FILE_UPLOAD", "video_size": size, "chunk_size": chunk,
            "total_chunk_count": size // chunk}}))
    return data["publish_id"], data["upload_url"]


def _drop_mid_chunk(url: str, first: int, last: int, total: int, body: bytes) -> None:
    """Send a chunk's headers and the start of its body, then hang up."""
    parts = urlsplit(url)
    head = (f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Type: video/mp4\r\nContent-Range: bytes {first}-{last}/{total}\r\n"
            f"Content-Length: {last - first + 1}\r\n\r\n").encode()
    raw_request(parts.port or 80, head, body, close_early=True)


@pytest.fixture
def spy_wait(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when anything starts waiting for a pipeline's hash."""
    waiting = threading.Event()
    real_wait = HashPipeline.wait

    def wait(self: HashPipeline) -> str:
        waiting.set()
        return real_wait(self)

    monkeypatch.setattr(HashPipeline, "wait", wait)
    return waiting


def test_dropped_chunk_stays_out_of_a_lagging_hash(server: SandboxServer, http: httpx.Client,
                                                   creator: Tokens) -> None:
    size = 2 * CHUNK + 1000
    video = secrets.token_bytes(size)
    pid, url = _init(http, creator, size)
    gate = Gate()
    with server.state.lock:  # before the first chunk: the upload's hash starts held back
        server.state.hashers[pid] = GatedHasher(gate)
    try:
        first = put_chunk(http, url, video[:CHUNK], 0, size)
        # Answered while none of the chunk is hashed yet: the 206 does not wait for the hash.
        assert first.status_code == 206 and gate.hashed == 0
        server.control.clear_calls()
        _drop_mid_chunk(url, CHUNK, size - 1, size, video[CHUNK:CHUNK + 1_000_000])
        (call,) = server.control.wait_for_calls(1)
        assert call.status is None and gate.hashed == 0
    finally:
        gate.open()
    got = server.control.received(pid)
    assert got.size == CHUNK and got.sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()
    assert got.path is not None and got.path.read_bytes() == video[:CHUNK]
    done = put_chunk(http, url, video[CHUNK:], CHUNK, size)
    assert done.status_code == 201
    got = server.control.received(pid)
    assert got.complete and got.sha256 == hashlib.sha256(video).hexdigest()
    assert got.path is not None and got.path.read_bytes() == video


def test_received_waits_for_pending_hashing(server: SandboxServer, http: httpx.Client,
                                            creator: Tokens, spy_wait: threading.Event) -> None:
    size = 2 * CHUNK
    video = secrets.token_bytes(size)
    pid, url = _init(http, creator, size)
    gate = Gate()
    with server.state.lock:
        server.state.hashers[pid] = GatedHasher(gate)
    opener = threading.Thread(target=lambda: spy_wait.wait(GATE_TIMEOUT) and gate.open())
    try:
        assert put_chunk(http, url, video[:CHUNK], 0, size).status_code == 206
        assert gate.hashed == 0 and not spy_wait.is_set()
        opener.start()  # opens the gate once received() waits for the hash
        got = server.control.received(pid)
    finally:
        gate.open()
        opener.join(GATE_TIMEOUT)
    assert got.size == CHUNK and got.sha256 == hashlib.sha256(video[:CHUNK]).hexdigest()
    assert [p.sha256 for p in server.control.publishes() if p.publish_id == pid] == [got.sha256]


def test_sha256_after_many_chunks(server: SandboxServer, http: httpx.Client,
                                  creator: Tokens) -> None:
    size = 8 * CHUNK + 777
    video = secrets.token_bytes(size)
    pid, url = _init(http, creator, size)
    running = hashlib.sha256()
    for i in range(8):
        first, last = i * CHUNK, size - 1 if i == 7 else (i + 1) * CHUNK - 1
        response = put_chunk(http, url, video[first:last + 1], first, size)
        assert response.status_code == (201 if i == 7 else 206)
        running.update(video[first:last + 1])
        got = server.control.received(pid)  # right after the answer: the hash caught up
        assert (got.size, got.sha256) == (last + 1, running.hexdigest())
    assert running.hexdigest() == hashlib.sha256(video).hexdigest()
    assert server.state.blocks.allocated <= DEPTH
    assert pid not in server.state.pipelines  # done: nothing left behind


def test_sink_hashes_a_body_larger_than_its_blocks(server: SandboxServer,
                                                   http: httpx.Client) -> None:
    body = secrets.token_bytes(3 * DEPTH * receive_module.BLOCK_SIZE + 12345)
    response = http.put("/__sandbox__/sink", content=body)
    assert response.status_code == 201
    assert response.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}

    def pieces() -> Iterator[bytes]:  # chunked transfer coding takes the same path
        for start in range(0, len(body), 3_000_001):
            yield body[start:start + 3_000_001]

    chunked = http.put("/__sandbox__/sink", content=pieces())
    assert chunked.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
    assert server.state.blocks.allocated <= DEPTH


def test_sink_answers_only_with_the_final_hash(server: SandboxServer, http: httpx.Client,
                                               monkeypatch: pytest.MonkeyPatch,
                                               spy_wait: threading.Event) -> None:
    gate = Gate()
    monkeypatch.setattr(receive_module, "new_hasher", lambda: GatedHasher(gate))
    body = secrets.token_bytes(3 * receive_module.BLOCK_SIZE + 5)  # fits the blocks: all read
    opener = threading.Thread(target=lambda: spy_wait.wait(GATE_TIMEOUT) and gate.open())
    opener.start()  # the hash is held back until the sink waits for it
    try:
        response = http.put("/__sandbox__/sink", content=body)
    finally:
        gate.open()
        opener.join(GATE_TIMEOUT)
    assert response.json() == {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def test_sink_drop_mid_body(server: SandboxServer, http: httpx.Client) -> None:
    parts = urlsplit(server.base_url)
    server.control.clear_calls()
    head = (f"PUT /__sandbox__/sink HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Length: 5000000\r\n\r\n").encode()
    raw_request(parts.port or 80, head, b"x" * 2_000_000, close_early=True)
    (call,) = server.control.wait_for_calls(1)
    assert call.status is None
    after = http.put("/__sandbox__/sink", content=b"abc")  # the server is fine afterwards
    assert after.json() == {"bytes": 3, "sha256": hashlib.sha256(b"abc").hexdigest()}
