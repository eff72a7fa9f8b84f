"""The media transfer PUT on ``upload_url`` (TIKTOK_API.md 4.4) and the benchmark sink.

Request: ``PUT {upload_url}`` (the whole URL, query included; no Authorization needed) with
``Content-Type`` video/mp4, video/quicktime or video/webm (parameters after ``;`` ignored),
``Content-Length`` = bytes in the body = LAST-FIRST+1, and ``Content-Range: bytes
FIRST-LAST/TOTAL`` (LAST inclusive, TOTAL = the init's video_size). Chunks go in order; chunk i
is exactly ``FIRST = i*chunk_size``, ``LAST = FIRST+chunk_size-1`` except the final chunk,
``LAST = video_size-1``. No chunked transfer encoding.

Replies (TikTok documents only the status and Content-Range; the body is the v2 envelope,
informational only, or with ``SandboxOptions.upload_reply_body`` "empty" nothing and "random"
random bytes, so no client comes to depend on it):
- 206: chunk stored, more expected. 201: all bytes received, processing started.
- 400: bad or missing headers, wrong content type, TOTAL != video_size, LAST not the planned end
  of this chunk, or Content-Length != LAST-FIRST+1.
- 403: upload_url expired (``upload_url_lifetime`` after init, or control.expire_upload_url).
- 404: no upload task for this URL (unknown upload_id or wrong upload_token).
- 416: FIRST is not where the upload stands (a replayed or skipped chunk); also any PUT after
  the upload completed, and a PUT while another PUT of this task is still streaming (after
  waiting up to 2 s for that one to end).

Progress header. Every reply for a known task (206, 201, 400, 403, 416) carries
``Content-Range: bytes 0-{X}/{TOTAL}``. With the default ``SandboxOptions.progress_end =
"count"``, X is the NUMBER OF BYTES received so far, so ``bytes 0-0/T`` means nothing yet,
``bytes 0-10000000/50000123`` means the first 10,000,000 bytes (0..9999999) are stored, and
``bytes 0-T/T`` means complete. The next chunk starts at FIRST = X. With ``progress_end =
"inclusive"``, X is the index of the last byte received (count - 1) and the header is
``bytes */T`` while nothing is received (RFC 9110 form). TikTok does not say which it uses
(open question 8): a robust client accepts both, e.g. by taking the chunk boundary that equals
X or X+1.

Receiving. The body is read in 1 MiB blocks into the file, and a hash worker thread hashes
them behind the reads (receive.HashPipeline; a few MiB in flight at most, never a chunk in
memory). A 206 goes out as soon as the chunk's last byte is in, so its hashing overlaps the
next request's round trip; the 201 waits until the hash of the whole video is final, and
control.received() waits for pending hashing too. The sink uses the same machinery.

Drops. A chunk whose connection drops before its last byte (client gone, socket timeout, or
an injected "reset" fault) does not count: the partial bytes are truncated away, their hashing
(done on a copy of the hash so far) is thrown away, progress stays at the last complete chunk,
and the same range can be replayed.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from .models import Publish, secret_hash
from .receive import BLOCK_SIZE, BlockPool, HashPipeline, receive
from .state import State, open_private
from .wire import Request, Response, json_response, media_type, new_log_id

__all__ = ["BLOCK_SIZE", "Connection", "handle_sink", "handle_upload", "progress_header",
           "stream_body"]

VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/webm"})
# Bodies of rejected PUTs up to this size are read and discarded so the connection stays usable
# (and the client reads our answer instead of a broken pipe); larger ones close the connection.
DRAIN_LIMIT = 256 * 1024 * 1024
# A PUT that arrives while another PUT of the same task is still streaming waits this long for
# it to end (a client replaying right after a drop), then gets 416.
BUSY_WAIT = 2.0
_RANGE_RE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)")
_DIGITS_RE = re.compile(r"[0-9]+")


class Connection(Protocol):
    """What the upload handler needs from the HTTP connection."""

    @property
    def body_stream(self) -> BinaryIO: ...

    def drop(self) -> None:
        """Abort the connection without answering (TCP reset)."""


def stream_body(stream: BinaryIO, length: int, hasher: Any, out: BinaryIO | None,
                stop_after: int | None = None) -> int:
    """Read up to `length` bytes in blocks into `hasher` (and `out`) inline; the count read.

    For bodies that are only drained (rejected PUTs); received bodies go through receive().
    Fewer than `length` means the connection dropped (or `stop_after` was reached).
    """
    limit = length if stop_after is None else min(length, stop_after)
    buffer = memoryview(bytearray(min(BLOCK_SIZE, max(limit, 1))))
    done = 0
    while done < limit:
        want = min(len(buffer), limit - done)
        try:
            n = stream.readinto(buffer[:want])  # type: ignore[attr-defined]
        except OSError:  # includes socket timeouts and resets
            break
        if not n:
            break
        block = buffer[:n]
        hasher.update(block)
        if out is not None:
            out.write(block)
        done += n
    return done


class _Discard:
    def update(self, _data: object) -> None:
        pass


def progress_header(state: State, publish: Publish) -> tuple[str, str]:
    total = publish.video_size
    if state.options.progress_end == "count":
        return "Content-Range", f"bytes 0-{publish.uploaded}/{total}"
    if publish.uploaded == 0:
        return "Content-Range", f"bytes */{total}"
    return "Content-Range", f"bytes 0-{publish.uploaded - 1}/{total}"


def _content_length(request: Request) -> int | None:
    values = request.headers.get_all("Content-Length") or []
    if len(values) != 1 or not _DIGITS_RE.fullmatch(str(values[0]).strip()):
        return None
    return int(str(values[0]).strip())


def _reply(state: State, request: Request, status: int, code: str | None, message: str,
           publish: Publish | None) -> Response:
    payload = {
        "data": {} if publish is None else {"uploaded_bytes": publish.uploaded},
        "error": {"code": code or "ok", "message": message, "log_id": new_log_id(request.now)},
    }
    response = json_response(status, payload, error_code=code)
    mode = state.options.upload_reply_body
    if mode != "envelope":
        # Fault modes: the status and Content-Range are all a client may rely on.
        response.body = b"" if mode == "empty" else secrets.token_bytes(secrets.randbelow(64) + 1)
        response.content_type = "application/octet-stream"
    if publish is not None:
        response.headers.append(progress_header(state, publish))
    return response


def _drain(request: Request, conn: Connection, length: int | None, response: Response) -> Response:
    """Read and discard the body of a rejected PUT (outside the state lock)."""
    if length is not None and length <= DRAIN_LIMIT and request.header("Transfer-Encoding") is None:
        if stream_body(conn.body_stream, length, _Discard(), None) != length:
            response.close = True
    else:
        response.close = True
    return response


def _problem(state: State, request: Request, publish: Publish,
             length: int | None) -> tuple[int, str, str] | None:
    """Why this PUT cannot be taken for a known task: (status, code, message), or None."""
    if request.now >= publish.upload_expires_at:
        return 403, "upload_url_expired", "The upload_url has expired."
    if request.header("Transfer-Encoding") is not None or length is None:
        return 400, "invalid_headers", "Content-Length is required."
    if media_type(request.header("Content-Type")) not in VIDEO_TYPES:
        return (400, "invalid_headers",
                "Content-Type must be video/mp4, video/quicktime or video/webm.")
    match = _RANGE_RE.fullmatch((request.header("Content-Range") or "").strip())
    if match is None:
        return 400, "invalid_headers", "Content-Range must be bytes FIRST-LAST/TOTAL."
    first, last, total = (int(g) for g in match.groups())
    if total != publish.video_size or not first <= last < total:
        return 400, "invalid_headers", "Content-Range does not fit the video_size given at init."
    if publish.publish_id in state.busy or first != publish.uploaded or publish.complete:
        return 416, "range_not_satisfiable", "Content-Range does not match the upload progress."
    if (first, last) != publish.chunk_range(publish.chunks_received):
        return 400, "invalid_headers", "Content-Range does not match the chunk plan of the init."
    if length != last - first + 1:
        return 400, "invalid_headers", "Content-Length does not match the Content-Range."
    return None


def handle_upload(state: State, request: Request, conn: Connection,
                  reset_after: int | None = None) -> Response | None:
    """Handle one chunk PUT; None when the connection was dropped (nothing to answer).

    `reset_after` (the "reset" fault): read that many body bytes, then drop the connection
    without answering. Below the chunk length the chunk does not count; at or above it the
    chunk is fully received and counts, and only the answer is lost.
    """
    length = _content_length(request)
    upload_id = request.single("upload_id") or ""
    token = request.single("upload_token") or ""
    with state.lock:
        publish = state.publishes.get(state.by_upload_id.get(upload_id, ""))
        if publish is not None and publish.publish_id in state.busy:
            # The previous PUT of this task may still be noticing that its client went away.
            state.idle.wait_for(lambda: publish.publish_id not in state.busy, BUSY_WAIT)
        if publish is None or publish.upload_token_hash != secret_hash(token):
            rejected = _reply(state, request, 404, "upload_task_not_found",
                              "No upload task for this URL.", None)
        else:
            problem = _problem(state, request, publish, length)
            if problem is None:
                rejected = None
                state.busy.add(publish.publish_id)
                pipeline = state.upload_pipeline(publish)
                path = state.video_path(publish) if state.options.store_upload_bytes else None
            else:
                rejected = _reply(state, request, *problem, publish)
    if rejected is not None:
        return _drain(request, conn, length, rejected)
    assert publish is not None and length is not None
    try:
        complete = _take_chunk(state, request, conn, publish, pipeline, path, length,
                               reset_after)
        if complete is None:
            conn.drop()
            return None
        # The last chunk: answer only once the hash of all bytes is final.
        digest = pipeline.wait() if complete else None
        with state.lock:
            if digest is not None:
                publish.sha256 = digest
                publish.upload_completed_at = state.now()
                state.pipelines.pop(publish.publish_id, None)
                state.save_publish(publish)
                state.upload_completed(publish)
            else:
                state.save_progress(publish)
            reply = _reply(state, request, 201 if complete else 206, None, "", publish)
    finally:
        with state.lock:
            state.busy.discard(publish.publish_id)
            state.idle.notify_all()
    if reset_after is not None:
        conn.drop()
        return None
    return reply


def _take_chunk(state: State, request: Request, conn: Connection, publish: Publish,
                pipeline: HashPipeline, path: Path | None, length: int,
                reset_after: int | None) -> bool | None:
    """Receive one chunk; commit it if all its bytes came. None if it broke off, else whether
    the upload is now complete."""
    first = publish.uploaded
    received = 0
    pipeline.begin()
    try:
        if path is None:
            received = receive(conn.body_stream, length, pipeline, None, reset_after)
        else:
            with state.lock:
                state.kept_bytes.add(publish.publish_id)
            with os.fdopen(open_private(path, os.O_RDWR | os.O_CREAT), "r+b") as out:
                out.seek(first)
                received = receive(conn.body_stream, length, pipeline, out, reset_after)
                if received != length:
                    out.truncate(first)  # a dropped chunk does not count
    finally:
        with state.lock:
            if received == length:
                # Commit and progress move together under the lock, so whoever syncs the hash
                # under it sees a matching (size, sha256).
                pipeline.commit()
                publish.uploaded = first + length
                publish.chunks_received += 1
                publish.content_type = (publish.content_type
                                        or media_type(request.header("Content-Type")))
            else:
                pipeline.abort()
    return publish.complete if received == length else None


def _stream_chunked(stream: BinaryIO, pipeline: HashPipeline) -> int | None:
    """Read a chunked transfer-encoded body (RFC 9112 7.1) into pipeline; None if it broke
    off."""
    total = 0
    while True:
        try:
            size_line = stream.readline(1024)
        except OSError:
            return None
        size_text = size_line.split(b";", 1)[0].strip()
        if not size_line.endswith(b"\n") or not size_text:
            return None
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        if size == 0:
            break
        if receive(stream, size, pipeline, None) != size:
            return None
        total += size
        if stream.readline(3).strip():  # the CRLF after each chunk's data
            return None
    while True:  # trailer fields up to the empty line
        try:
            line = stream.readline(8192)
        except OSError:
            return None
        if not line.endswith(b"\n"):
            return None
        if not line.strip():
            return total


def handle_sink(request: Request, conn: Connection, pool: BlockPool) -> Response | None:
    """PUT /__sandbox__/sink: take any body through the same receive machinery as the upload
    PUT (blocks from `pool`, hashed by a worker behind the reads); 201 + bytes + sha256 once
    the hash is final.

    Unlike the upload PUT (where TikTok requires Content-Length) this also takes chunked bodies,
    so a benchmark can send a generator.
    """
    encoding = (request.header("Transfer-Encoding") or "").strip().lower()
    if encoding and encoding != "chunked":
        response = json_response(501, {"error": "Unsupported Transfer-Encoding."}, "unsupported")
        response.close = True
        return response
    pipeline = HashPipeline(pool)
    received: int | None = None
    pipeline.begin()
    try:
        if encoding == "chunked":
            received = _stream_chunked(conn.body_stream, pipeline)
        else:
            length = _content_length(request) or 0
            received = receive(conn.body_stream, length, pipeline, None)
            received = received if received == length else None
    finally:
        if received is None:
            pipeline.abort()
        else:
            pipeline.commit()
    if received is None:
        conn.drop()
        return None
    return json_response(201, {"bytes": received, "sha256": pipeline.wait()})
