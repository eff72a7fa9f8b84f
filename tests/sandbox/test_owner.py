"""One owner per state folder (issue 14): an OS lock held by the running server, a clear
refusal for a second one, and find_owner for the app to talk to the running one. With real
processes where it matters."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.sandbox.owner import OWNER_NAME, SandboxBusyError, find_owner

from .helpers import connect, token_form

REPO = Path(__file__).resolve().parents[2]


def test_a_second_server_on_the_folder_is_refused(make_server: Callable[..., SandboxServer],
                                                  tmp_path: Path) -> None:
    first = make_server()
    with pytest.raises(SandboxBusyError) as busy:
        SandboxServer(tmp_path / "state")
    message = str(busy.value)
    assert first.base_url in message and f"process {os.getpid()}" in message
    assert str(tmp_path / "state") in message
    assert first.control_token not in message  # named, not handed out
    first.stop()
    second = make_server()  # the folder is free once the first stopped
    assert second.app.client_key == first.app.client_key


def test_find_owner(make_server: Callable[..., SandboxServer], tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert find_owner(state) is None  # nothing there yet
    server = make_server()
    owner = find_owner(state)
    assert owner is not None
    assert (owner.base_url, owner.control_token, owner.pid) == (
        server.base_url, server.control_token, os.getpid())
    with httpx.Client(base_url=owner.base_url) as http:
        info = http.get("/__sandbox__/info", headers={"X-Sandbox-Token": owner.control_token})
        assert info.json()["default_client_key"] == server.app.client_key
    assert (state / OWNER_NAME).stat().st_mode & 0o777 == 0o600
    server.stop()
    assert find_owner(state) is None and not (state / OWNER_NAME).exists()


def test_find_owner_refuses_stale_and_planted_files(make_server: Callable[..., SandboxServer],
                                                    tmp_path: Path) -> None:
    server = make_server()
    other = make_server(state_dir=tmp_path / "other")
    state = tmp_path / "state"
    owner_file = state / OWNER_NAME
    real = json.loads(owner_file.read_text())
    # a file naming another live sandbox (its token does not match this folder)
    owner_file.write_text(json.dumps({**real, "base_url": other.base_url}))
    assert find_owner(state) is None
    # readable by others: not trusted
    owner_file.write_text(json.dumps(real))
    owner_file.chmod(0o644)
    assert find_owner(state) is None
    owner_file.chmod(0o600)
    assert find_owner(state) is not None
    for bad in ("not json", "[]", json.dumps({**real, "pid": "1"}),
                json.dumps({**real, "base_url": "http://example.com:80"})):
        owner_file.write_text(bad)
        assert find_owner(state) is None, bad
    server.stop()


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[str],
                                                                  queue.Queue[str | None]]]]:
    started: list[subprocess.Popen[str]] = []
    pumps: list[threading.Thread] = []

    def start(state: Path, *flags: str) -> tuple[subprocess.Popen[str], queue.Queue[str | None]]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tiktok_desktop.sandbox", "--state-dir", str(state), *flags],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        started.append(proc)
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stdout is not None
            with proc.stdout:
                for line in proc.stdout:
                    lines.put(line)
            lines.put(None)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        pumps.append(thread)
        return proc, lines

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
    for thread in pumps:
        thread.join(30)


def _until(lines: queue.Queue[str | None], prefix: str) -> str:
    while True:
        line = lines.get(timeout=60)
        assert line is not None, f"the process ended before printing {prefix!r}"
        if line.startswith(prefix):
            return line


def test_two_real_processes_on_one_folder(serve_process: Callable[..., tuple[
        subprocess.Popen[str], queue.Queue[str | None]]], tmp_path: Path) -> None:
    state = tmp_path / "shared"
    first, lines = serve_process(state)
    base_url = _until(lines, "TikTok sandbox running at ").split()[-1]
    token = _until(lines, "Control token").split()[-1]

    # This process finds the running owner instead of starting its own ...
    owner = find_owner(state)
    assert owner is not None and (owner.base_url, owner.control_token, owner.pid) == (
        base_url, token, first.pid)
    # ... and cannot start one: the refusal names the running one.
    with pytest.raises(SandboxBusyError, match=f"process {first.pid}"):
        SandboxServer(state)
    # A second `sandbox serve` on the folder says so plainly and exits non-zero.
    second, second_lines = serve_process(state)
    assert second.wait(60) == 2
    output = "".join(iter(lambda: second_lines.get(timeout=10) or "", ""))
    assert f"in use by the sandbox at {base_url} (process {first.pid})" in output
    assert "Traceback" not in output

    # The owner's state is the one truth: a refresh through it rotates for everyone.
    with httpx.Client(base_url=base_url) as http:
        info = http.get("/__sandbox__/info", headers={"X-Sandbox-Token": token}).json()
        assert info["base_url"] == base_url

    # Killed without a chance to clean up: the OS releases the lock, the stale file is ignored.
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert (state / OWNER_NAME).exists()
    assert find_owner(state) is None
    with SandboxServer(state) as server, httpx.Client(base_url=server.base_url) as http:
        tokens = connect(server, http)
        refreshed = http.post("/v2/oauth/token/", data=token_form(
            server.app, grant_type="refresh_token", refresh_token=tokens.refresh_token))
        assert refreshed.status_code == 200
        owner = find_owner(state)
        assert owner is not None and owner.pid == os.getpid()


def test_serve_stops_cleanly_and_frees_the_folder(serve_process: Callable[..., tuple[
        subprocess.Popen[str], queue.Queue[str | None]]], tmp_path: Path) -> None:
    state = tmp_path / "clean"
    proc, lines = serve_process(state)
    _until(lines, "Control token")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    assert find_owner(state) is None and not (state / OWNER_NAME).exists()
    SandboxServer(state).stop()  # free: takes and gives back the lock without serving


def test_run_against_a_sandbox_without_its_token(make_server: Callable[..., SandboxServer],
                                                 tmp_path: Path) -> None:
    """`tiktok-desktop run --sandbox-url` needs TIKTOK_SANDBOX_TOKEN, and says so."""
    server = make_server()
    env = {k: v for k, v in os.environ.items() if k != "TIKTOK_SANDBOX_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "tiktok_desktop", "run", "--once", "--sandbox-url",
         server.base_url], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "set TIKTOK_SANDBOX_TOKEN to the token 'tiktok-desktop sandbox serve' printed" in \
        done.stderr
    assert "Traceback" not in done.stderr
