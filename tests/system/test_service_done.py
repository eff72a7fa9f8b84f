"""Done-test of issue 17 on Linux: the background service publishes a due post with no window.

The world is the one of tests/engine/test_headless.py: a sandbox in this process, the real
SQLite file and a file-backed keyring shared with the service's process.

- test_systemd_user_instance_installs_runs_publishes_and_removes: the whole life through a
  real systemd user instance (tests/system/user_manager.py explains how one runs here, as
  root in a private mount namespace and cgroup). It skips, saying why, where none can run
  (not root, no systemd).
- test_exec_start_publishes_when_run_as_systemd_would: runs everywhere. The generated unit is
  checked by systemd-analyze and its exact ExecStart= line, parsed back from the unit file,
  is started with the unit's Environment= lines, as systemd would: it publishes the due post
  and stops cleanly on SIGTERM (systemd's KillSignal).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import connect_account, sha256_of
from tests.engine.file_keyring import ENV as KEYRING_ENV
from tests.engine.file_keyring import FileKeyring
from tests.helpers.videos import padded_video
from tests.system.conftest import FakeRunner, ok
from tests.system.user_manager import UserManager, unavailable
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import SANDBOX_TOKEN_ENV, Runtime, accounts_service, vault_service
from tiktok_desktop.credentials import Vault
from tiktok_desktop.domain import lifecycle
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Database, NewPost, Post, PostsRepo, PostState
from tiktok_desktop.system.base import ServiceState
from tiktok_desktop.system.command import this_app
from tiktok_desktop.system.service_linux import UNIT_NAME, SystemdUserService
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

pytestmark = pytest.mark.skipif(os.name != "posix", reason="systemd units are Linux only")

REPO = Path(__file__).resolve().parents[2]


@dataclass
class World:
    sandbox: SandboxServer
    posts: PostsRepo
    accounts: AccountsService
    service_env: dict[str, str]  # what the installing app sees (HOME, XDG dirs, data home)
    session_env: dict[str, str]  # what the user's session gives its services (keyring...)
    tmp: Path

    def due_post(self, caption: str) -> Post:
        account = connect_account(self.accounts, self.sandbox)
        video = padded_video(self.tmp / "v.mp4", 200_000)  # a real clip: TikTok checks it
        return self.posts.create(NewPost(
            account_id=account.id, video_path=str(video), video_size=video.stat().st_size,
            video_sha256=sha256_of(video), caption=caption,
            privacy_level="PUBLIC_TO_EVERYONE", due_at=int(time.time()) - 1,
            consent_at=int(time.time())), PostState.SCHEDULED)

    def wait_published(self, post: Post, timeout: float = 90.0) -> Post:
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while time.monotonic() < deadline:
            now = self.posts.get(post.id)
            assert now is not None
            # Final, or published and waiting for TikTok's review (its link comes later).
            if now.state in lifecycle.FINAL | lifecycle.FOLLOWED:
                return now
            pause.wait(0.2)  # another process publishes: nothing here to wait on but the DB
        raise AssertionError(f"post {post.id} not published in {timeout} s")


@pytest.fixture
def world(tmp_path: Path, isolated_home: Path) -> Iterator[World]:
    options = SandboxOptions(processing_seconds=0.0, rate_limits_enabled=False,
                             daily_post_cap=100_000)
    keyring_file = tmp_path / "keyring.json"
    home = tmp_path / "user"
    (home / ".config").mkdir(parents=True)
    service_env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                   paths.HOME_ENV: str(isolated_home), "USER": "tiktok-test-user"}
    session_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                   **service_env, "PYTHON_KEYRING_BACKEND": "tests.engine.file_keyring.FileKeyring",
                   KEYRING_ENV: str(keyring_file), "PYTHONPATH": str(REPO),
                   "PYTHONUNBUFFERED": "1"}
    profile = paths.resolve({paths.HOME_ENV: str(isolated_home)}).for_profile(
        paths.SANDBOX_PROFILE)
    profile.ensure()
    with SandboxServer(tmp_path / "sandbox", options) as sandbox, \
            httpx.Client(trust_env=False) as http:
        # 'run --sandbox-url' needs the emulator's control token, from the environment (the
        # service's manager passes its environment on, as a desktop session does).
        session_env[SANDBOX_TOKEN_ENV] = sandbox.control_token
        db = Database.open(profile.db_file)
        endpoints = Endpoints.single(sandbox.base_url)
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret), endpoints)
        accounts = accounts_service(
            db, Vault(vault_service(profile, sandbox=True), backend=FileKeyring(keyring_file)),
            oauth,
            TikTokApi(http, endpoints), Runtime(), redirect_uri="http://127.0.0.1:*/callback/")
        try:
            yield World(sandbox, PostsRepo(db), accounts, service_env, session_env, tmp_path)
        finally:
            db.close()


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_systemd_user_instance_installs_runs_publishes_and_removes(world: World) -> None:
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"no systemd user instance here: {reason}")
    home = Path(world.service_env["HOME"])
    before = _files(home)
    manager = UserManager(world.tmp, world.session_env)
    manager.start()
    try:
        service = SystemdUserService(runner=manager.run, environ=world.service_env,
                                     command=this_app(environ=world.service_env, frozen=False))
        post = world.due_post("posted by the background service")
        status = service.install(["--sandbox-url", world.sandbox.base_url])
        assert status.installed, status
        done = world.wait_published(post)
        assert done.state in lifecycle.POSTED, (done, manager.log_text())
        [publish] = world.sandbox.control.publishes()
        assert publish.post_info["title"] == "posted by the background service"

        status = service.status()
        assert status.state is ServiceState.RUNNING, status
        assert status.detail.startswith("pid ")
        assert any(f"post {post.id}: in_review" in line for line in status.last_lines), status
        assert status.last_activity is not None
        is_active = manager.run(["systemctl", "--user", "is-active", UNIT_NAME])
        assert is_active.stdout.strip() == "active"

        assert service.uninstall() is True
        gone = manager.run(["systemctl", "--user", "is-active", UNIT_NAME])
        assert gone.stdout.strip() in ("inactive", "unknown")
        listed = manager.run(["systemctl", "--user", "list-unit-files", UNIT_NAME])
        assert UNIT_NAME not in listed.stdout
        assert service.status().state is ServiceState.NOT_INSTALLED
        assert _files(home) == before  # nothing left in the user's config
        assert not service.log_file.exists()
    finally:
        manager.stop()
    # The engine stopped cleanly when the service was stopped: the post's lease was let go.
    final = world.posts.get(post.id)
    assert final is not None and final.lease_owner is None


def _exec_start(unit: Path) -> tuple[list[str], dict[str, str]]:
    """ExecStart= and Environment= of a unit we wrote, read back as systemd reads them."""
    argv: list[str] = []
    env: dict[str, str] = {}
    for line in unit.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "ExecStart":
            argv = [a.replace("%%", "%").replace("$$", "$") for a in shlex.split(value)]
        elif key == "Environment":
            [assignment] = shlex.split(value)
            name, _, text = assignment.partition("=")
            env[name] = text.replace("%%", "%")
    return argv, env


def test_exec_start_publishes_when_run_as_systemd_would(world: World) -> None:
    runner = FakeRunner()
    runner.answer(["systemctl", "--user", "show"], ok("ActiveState=active\nMainPID=1\n"))
    service = SystemdUserService(runner=runner, environ=world.service_env,
                                 command=this_app(environ=world.service_env, frozen=False))
    service.install(["--sandbox-url", world.sandbox.base_url])
    unit = service.unit_path
    if shutil.which("systemd-analyze") is not None:
        runtime = world.tmp / "analyze-runtime"
        runtime.mkdir(mode=0o700)
        checked = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)],
                                 env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
                                 capture_output=True, text=True, timeout=60)
        assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr
    argv, unit_env = _exec_start(unit)
    assert argv[1:5] == ["-m", "tiktok_desktop", "run", "--log-file"]
    assert unit_env == {paths.HOME_ENV: world.service_env[paths.HOME_ENV]}
    post = world.due_post("posted by ExecStart")
    proc = subprocess.Popen(argv, env={**world.session_env, **unit_env}, cwd="/",
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        done = world.wait_published(post)
    finally:
        proc.send_signal(signal.SIGTERM)  # the unit's KillSignal
        _, errors = proc.communicate(timeout=60)
    assert done.state in lifecycle.POSTED, errors
    assert proc.returncode == 0, errors
    status = service.status()
    assert any(f"post {post.id}: in_review" in line for line in status.last_lines), status
    assert status.last_lines[-1].endswith("engine stopped (interrupted)")
    assert service.uninstall() is True
    assert not unit.exists() and not service.log_file.exists()
