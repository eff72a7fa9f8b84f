"""What the sandbox keeps on disk (issue 14): a private folder, private files, and no received
bytes once no publish needs them; and `sandbox serve` refusing bad flags in plain words."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable
from contextlib import redirect_stderr
from pathlib import Path

import httpx
import pytest

from tests.helpers.videos import video_bytes
from tiktok_desktop.sandbox import SandboxServer, serve_forever_cli

from .helpers import (
    FakeClock,
    Tokens,
    connect,
    init_direct,
    ok_data,
    post_info,
    put_chunk,
    source_info,
    status,
)

SIZE, CHUNK = 10_500_000, 5_242_880


def _two_chunks(http: httpx.Client, tokens: Tokens) -> dict[str, str]:
    return ok_data(http.post("/v2/post/publish/video/init/", headers=tokens.headers, json={
        "post_info": post_info(), "source_info": source_info(SIZE, CHUNK)}))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_0700_and_files_0600(server: SandboxServer, http: httpx.Client,
                                    creator: Tokens, tmp_path: Path) -> None:
    state = tmp_path / "state"
    data = _two_chunks(http, creator)
    assert put_chunk(http, data["upload_url"], b"\0" * CHUNK, 0, SIZE).status_code == 206
    server.state.flush_progress()
    assert _mode(state) == 0o700 and _mode(state / "videos") == 0o700
    files = [p for p in state.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".json", ".bin", ".lock"}
    for path in files:
        assert _mode(path) == 0o600, path


def test_an_old_open_folder_is_tightened(tmp_path: Path) -> None:
    state = tmp_path / "old"
    SandboxServer(state).stop()
    os.chmod(state, 0o755)  # noqa: S103 (what older versions left behind)
    os.chmod(state / "state.json", 0o644)
    SandboxServer(state).stop()
    assert _mode(state) == 0o700 and _mode(state / "state.json") == 0o600


def test_received_bytes_go_when_processing_ends(server: SandboxServer, http: httpx.Client,
                                                creator: Tokens, clock: FakeClock) -> None:
    clip = video_bytes()
    data = ok_data(init_direct(http, creator, len(clip)))
    assert put_chunk(http, data["upload_url"], clip, 0, len(clip)).status_code == 201
    kept = server.control.received(data["publish_id"]).path
    assert kept is not None and kept.read_bytes() == clip  # processing still needs them
    clock.advance(3)
    assert status(http, creator, data["publish_id"])["status"] == "PUBLISH_COMPLETE"
    got = server.control.received(data["publish_id"])
    assert got.path is None and not kept.exists()
    assert got.size == len(clip) and got.complete  # what the profile page shows stays


def test_abandoned_upload_goes_when_its_link_expires(server: SandboxServer,
                                                     http: httpx.Client, creator: Tokens,
                                                     clock: FakeClock) -> None:
    data = _two_chunks(http, creator)
    assert put_chunk(http, data["upload_url"], b"\0" * CHUNK, 0, SIZE).status_code == 206
    partial = server.control.received(data["publish_id"]).path
    assert partial is not None and partial.stat().st_size == CHUNK
    clock.advance(3599)
    server.control.publishes()  # any look at the publishes sweeps
    assert partial.exists()  # the link still works: the rest may come
    clock.advance(1)
    server.control.publishes()
    assert not partial.exists()
    assert status(http, connect(server, http), data["publish_id"])["status"] == \
        "PROCESSING_UPLOAD"  # as on TikTok: an upload that never completed


def test_a_restart_sweeps_too(make_server: Callable[..., SandboxServer], tmp_path: Path,
                              clock: FakeClock) -> None:
    first = make_server()
    with httpx.Client(base_url=first.base_url) as http:
        data = _two_chunks(http, connect(first, http))
        assert put_chunk(http, data["upload_url"], b"\0" * CHUNK, 0, SIZE).status_code == 206
    first.stop()
    assert list((tmp_path / "state" / "videos").glob("*.bin"))
    clock.advance(3600)
    make_server()
    assert not list((tmp_path / "state" / "videos").glob("*.bin"))


# --- sandbox serve's plain refusals ---------------------------------------------------------


def _serve(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stderr(err):
        try:
            code = serve_forever_cli(args, out=io.StringIO())
        except SystemExit as exit_:  # argparse's own refusals
            code = int(exit_.code or 0)
    return code, err.getvalue()


@pytest.mark.parametrize(("args", "says"), [
    (["--port", "70000"], "70000 is not a port"),
    (["--port", "http"], "'http' is not a port number"),
    (["--moderation-seconds", "-5"], "-5 is not a number of seconds"),
    (["--moderation-seconds", "nan"], "nan is not a number of seconds"),
    (["--moderation-seconds", str(8 * 86400)], "moderation_seconds must be"),
    (["--access-token-lifetime", "0"], "0 is not a lifetime"),
    (["--no-store-bytes"], "store_upload_bytes must be on"),
    (["--lose-refresh-answers", "-1"], "-1 is not a count: use 0 or more"),
])
def test_bad_flags(tmp_path: Path, args: list[str], says: str) -> None:
    code, err = _serve([*args, "--state-dir", str(tmp_path / "s")])
    assert code == 2 and says in err and "Traceback" not in err


def test_unusable_state_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, err = _serve(["--state-dir", str(blocker / "state")])
    assert code == 2 and f"cannot use the state folder {blocker / 'state'}" in err
    assert "--state-dir" in err


def test_damaged_state_file(tmp_path: Path) -> None:
    state = tmp_path / "damaged"
    SandboxServer(state).stop()
    (state / "state.json").write_text('{"version": 99}')
    code, err = _serve(["--state-dir", str(state)])
    assert code == 2 and "cannot read the state" in err and "Move that folder away" in err


def test_busy_folder_and_taken_port(make_server: Callable[..., SandboxServer],
                                    tmp_path: Path) -> None:
    running = make_server()
    code, err = _serve(["--state-dir", str(tmp_path / "state")])
    assert code == 2 and f"in use by the sandbox at {running.base_url}" in err
    code, err = _serve(["--state-dir", str(tmp_path / "other"), "--port", str(running.port)])
    assert code == 2 and f"cannot listen on 127.0.0.1:{running.port}" in err
    SandboxServer(tmp_path / "other").stop()  # the refused run freed its folder
