"""The campaign's world: a sandbox in this process, the app's database and a file keyring it
shares with the engine, which runs as ``tiktok-desktop run --sandbox-url`` in a child process
(engine_child.py: the real command on accelerated time).

Set-up follows tests/engine/test_headless.py (its crash test), on a Timebase instead of the
real clock, with several accounts and the settings file giving a grace period no campaign
reaches (a post going out late is not what is being tested).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.engine.conftest import connect_account, sha256_of
from tests.engine.file_keyring import ENV as KEYRING_ENV
from tests.engine.file_keyring import FileKeyring
from tests.reliability.engine_child import CONFIG_ENV
from tests.reliability.timebase import Timebase
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import Runtime, accounts_service, vault_service
from tiktok_desktop.config import Settings, SettingsStore
from tiktok_desktop.credentials import Vault
from tiktok_desktop.sandbox import SandboxOptions, SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import (
    Account,
    AccountStatus,
    Database,
    NewPost,
    Post,
    PostsRepo,
    PostState,
)
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.tiktok import ClientCredentials, Endpoints, OAuthClient, TikTokApi

if TYPE_CHECKING:
    from tiktok_desktop.services.shared_library import SharedLibrary

REPO = Path(__file__).resolve().parents[2]


@dataclass
class EngineRun:
    """One engine child process and the lines it printed (pumped by a thread)."""

    proc: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    output: list[str] = field(default_factory=list)

    def pump(self, log_file: Path) -> None:
        def run() -> None:
            assert self.proc.stdout is not None
            try:
                with log_file.open("a", encoding="utf-8") as log:
                    log.write(f"--- engine pid {self.proc.pid}\n")
                    for line in self.proc.stdout:
                        log.write(line)
                        self.output.append(line)
                        self.lines.put(line)
            finally:
                self.proc.stdout.close()
                self.lines.put(None)  # after the log is closed: the driver may append to it

        threading.Thread(target=run, daemon=True).start()


@dataclass
class World:
    sandbox: SandboxServer
    timebase: Timebase
    db: Backend  # the profile's SQLite file, or the runners' PostgreSQL schedule
    posts: PostsRepo
    accounts: AccountsService
    env: dict[str, str]
    root: Path
    usernames: dict[int, str] = field(default_factory=dict)  # account id -> sandbox username
    library: SharedLibrary | None = None  # a shared schedule's videos (the window's side)

    @property
    def engine_log(self) -> Path:
        return self.root / "engine.log"

    def start_engine(self) -> EngineRun:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.engine_child", "--sandbox-url",
             self.sandbox.base_url],
            env={**self.env, "TIKTOK_SANDBOX_TOKEN": self.sandbox.control_token},
            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        run = EngineRun(proc)
        run.pump(self.engine_log)
        return run

    def start_runner(self, database: str) -> EngineRun:
        """``tiktok-desktop run --database URL``: a runner of the shared schedule (its team key
        from the file shared_team wrote; which TikTok: the schedule's)."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.engine_child", "--database", database],
            env={**self.env, "TIKTOK_SANDBOX_TOKEN": self.sandbox.control_token},
            cwd=self.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        run = EngineRun(proc)
        run.pump(self.engine_log)
        return run

    def connect(self, username: str) -> Account:
        account = connect_account(self.accounts, self.sandbox, username)
        self.usernames[account.id] = username
        return account

    def reconnect_where_needed(self) -> int:
        """Play the user reconnecting accounts the app asks to reconnect; how many."""
        count = 0
        for account in self.accounts.repo.all():
            if account.status is AccountStatus.NEEDS_RECONNECT:
                connect_account(self.accounts, self.sandbox, self.usernames[account.id])
                count += 1
        return count

    def schedule(self, account: Account, video: Path, caption: str, due_at: int) -> Post:
        path = str(video)
        if self.library is not None:  # a shared schedule: the video goes into the database
            path = self.library.adopt(video).path
        return self.posts.create(NewPost(
            account_id=account.id, video_path=path, video_size=video.stat().st_size,
            video_sha256=sha256_of(video), caption=caption, privacy_level="PUBLIC_TO_EVERYONE",
            due_at=due_at, due_tz="UTC", consent_at=int(self.timebase.wall())),
            PostState.SCHEDULED)


def sandbox_options(processing_seconds: float, upload_url_lifetime: int,
                    moderation_seconds: float = 90.0) -> SandboxOptions:
    # As TikTok is today (issue 15), on the campaign's clock: the videos are real (small clips
    # padded to size, tests/helpers/videos.py) and TikTok's processing decodes what arrived
    # (media checks on, so the bytes are kept until processing ends); a public post gets its ID
    # only after moderation, which the engine must follow to fill in the link. Rate limits on
    # (a request over TikTok's limit gets a real 429 and shows in the call log); the daily post
    # cap off (a campaign posts far more than 15 a day per account). The upload replies carry
    # random bodies: the engine must go by status and Content-Range only, as TikTok documents.
    return SandboxOptions(processing_seconds=processing_seconds, rate_limits_enabled=True,
                          daily_post_cap=1_000_000, store_upload_bytes=True,
                          media_checks=True, moderation_seconds=moderation_seconds,
                          upload_reply_body="random", upload_url_lifetime=upload_url_lifetime)


def shared_team(db: Backend, keyring_vault: Vault, sandbox_url: str, root: Path,
                env: dict[str, str]) -> Vault:
    """Make ``db`` a shared schedule as ``tiktok-desktop shared init`` does (its team key, the
    TikTok it posts to: this sandbox) and give the runners the key in a file only they may
    read; the accounts' tokens then live in the database, sealed (SharedVault)."""
    from tiktok_desktop.credentials.shared_vault import SharedVault
    from tiktok_desktop.credentials.team_keys import KEY_FILE_ENV, init_team
    from tiktok_desktop.services.shared_target import SharedTarget, write_target

    with db.transaction():
        key = init_team(db, keyring_vault)
        write_target(db, SharedTarget(sandbox_url=sandbox_url))
    key_file = root / "runner-secrets" / "team-key"
    key_file.parent.mkdir(mode=0o700)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(key.text() + "\n")
    env[KEY_FILE_ENV] = str(key_file)
    return SharedVault(db, key)


@contextmanager
def open_world(root: Path, timebase: Timebase, options: SandboxOptions,
               engine_config: dict[str, Any], database: str = "") -> Iterator[World]:
    """``database``: a PostgreSQL URL the campaign's side works on instead of the profile's
    SQLite file (the runners are given it too, fleet.py)."""
    home = root / "home"
    keyring_file = root / "keyring.json"
    env = {**os.environ, "TIKTOK_DESKTOP_HOME": str(home),
           "PYTHON_KEYRING_BACKEND": "tests.engine.file_keyring.FileKeyring",
           KEYRING_ENV: str(keyring_file), "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1",
           CONFIG_ENV: json.dumps(engine_config), **timebase.env()}
    base = paths.resolve({paths.HOME_ENV: str(home)})
    profile = base.for_profile(paths.SANDBOX_PROFILE)
    profile.ensure()
    SettingsStore(base.settings_file).save(Settings(late_grace_minutes=1440))
    clock = timebase.wall
    with ExitStack() as stack:
        sandbox = stack.enter_context(SandboxServer(root / "sandbox", options, clock=clock))
        http = stack.enter_context(httpx.Client(trust_env=False))
        db: Backend
        if database:
            from tiktok_desktop.store.postgres import PgDatabase

            # The runners' graphs open the profile's SQLite file too (unused): created here
            # once, so three starting at the same moment do not all create it.
            Database.open(profile.db_file, clock=clock).close()
            db = PgDatabase.open(database, clock=clock)
        else:
            db = Database.open(profile.db_file, clock=clock)
        stack.callback(db.close)
        endpoints = Endpoints.single(sandbox.base_url)
        oauth = OAuthClient(http, ClientCredentials(sandbox.app.client_key,
                                                    sandbox.app.client_secret), endpoints,
                            clock=clock)
        keyring_vault = Vault(vault_service(profile, sandbox=True),
                              backend=FileKeyring(keyring_file))
        vault: Vault = keyring_vault
        if database:
            vault = shared_team(db, keyring_vault, sandbox.base_url, root, env)
        accounts = accounts_service(
            db, vault,
            oauth,
            TikTokApi(http, endpoints, clock=clock), Runtime(clock=clock),
            redirect_uri="http://127.0.0.1:*/callback/")
        library = None
        if database:
            from tiktok_desktop.services.shared_library import SharedLibrary
            from tiktok_desktop.store.videos import VideoStore

            library = SharedLibrary(VideoStore(db), root / "window-cache",  # type: ignore[arg-type]
                                    clock=clock)
        yield World(sandbox, timebase, db, PostsRepo(db), accounts, env, root, library=library)
