"""The one composition root: builds the object graph that the GUI (app.py), the CLI commands
and the headless runner (``tiktok-desktop run``) use, from a Mode.

Nothing else constructs services, the engine or their parts; windows and commands receive the
services they use. This is also the only module that knows the sandbox: without credentials
(or when forced) the app starts the built-in TikTok emulator in-process, uses its registered
app, and keeps its data in a separate profile so sandbox posts never mix with real ones; with
``--sandbox-url`` it talks to an emulator running elsewhere (``tiktok-desktop sandbox serve``).

Time, randomness and sleeping come from a Runtime, so tests and the fault campaign can run
everything on their own clock.

The window builds the graph with ``defer=True`` (issue 16: its first paint waits for nothing it
does not show): the database and the services the window reads are made at once; TikTok is
reached (the built-in sandbox started, a running one asked for its app), the sandbox's keyring
decided and this OS's parts made at their first use, or by ``AppGraph.reach()`` right after
the paint. The clients handed to the services stand for the ones made then.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tiktok_desktop.config import DEFAULT_REDIRECT_URI, Credentials, Settings, SettingsStore
from tiktok_desktop.credentials.vault import SandboxVault, Vault
from tiktok_desktop.engine.config import EngineConfig
from tiktok_desktop.engine.runner import Waiter, event_wait
from tiktok_desktop.engine.sleep import Sleeper, StopAwareSleeper
from tiktok_desktop.lazy_http import lazy_client
from tiktok_desktop.logging_setup import REDACTOR
from tiktok_desktop.modes import (
    STARTUP_ERRORS,
    Mode,
    ModeKind,
    StartupError,
    app_credentials,
    credentials_note,
    decide_mode,
    vault_service,
)
from tiktok_desktop.paths import SANDBOX_PROFILE, AppPaths
from tiktok_desktop.paths import resolve as resolve_paths
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.avatars import AvatarCache
from tiktok_desktop.services.bulk import BulkService
from tiktok_desktop.services.library import Library, MediaLibrary
from tiktok_desktop.services.localzone import local_zone
from tiktok_desktop.services.posts import PostsService
from tiktok_desktop.services.snippets import SnippetsService
from tiktok_desktop.services.standing import Standing
from tiktok_desktop.services.stats import StatsService
from tiktok_desktop.store import (
    AccountsRepo,
    ClientStatusRepo,
    Database,
    LeaseRepo,
    PostsRepo,
)
from tiktok_desktop.store.backend import Backend
from tiktok_desktop.store.leases import new_owner
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.store.ratelog import RateLog
from tiktok_desktop.store.snippets import SnippetsRepo
from tiktok_desktop.store.stats import StatsStore
from tiktok_desktop.system import SystemParts

if TYPE_CHECKING:
    # What the first paint does not need (issue 16) is imported where it is made.
    import httpx

    from tiktok_desktop.credentials.tokens import TokenSource
    from tiktok_desktop.engine.listener import EngineListener
    from tiktok_desktop.engine.parts import EngineParts, VideoFiles
    from tiktok_desktop.engine.runner import HeadlessRunner
    from tiktok_desktop.engine.scheduler import Engine
    from tiktok_desktop.sandbox.owner import SandboxOwner
    from tiktok_desktop.sandbox.server import SandboxServer
    from tiktok_desktop.services.credentials import CredentialsTester
    from tiktok_desktop.services.shared import SharedSchedule
    from tiktok_desktop.store.postgres import PgDatabase
    from tiktok_desktop.tiktok.api import TikTokApi
    from tiktok_desktop.tiktok.auth import OAuthClient
    from tiktok_desktop.tiktok.endpoints import Endpoints

__all__ = [  # the modes' names too: the entry points and tests take them from here
    "SANDBOX_TOKEN_ENV",
    "STARTUP_ERRORS",
    "AppGraph",
    "Mode",
    "ModeKind",
    "Runtime",
    "StartupError",
    "TikTokLink",
    "accounts_service",
    "build",
    "credentials_note",
    "decide_mode",
    "engine_parts",
    "serve_sandbox",
    "shared_schedule",
    "token_source",
    "vault_service",
]

log = logging.getLogger(__name__)

TIKTOK_WEB = "https://www.tiktok.com"
# The control token of a sandbox run elsewhere ('sandbox serve' prints it): from the
# environment, never the command line, where other users could read it.
SANDBOX_TOKEN_ENV = "TIKTOK_SANDBOX_TOKEN"  # noqa: S105 - a variable name, not a secret


# -- time, randomness, sleeping ------------------------------------------------------------------

@dataclass(frozen=True)
class Runtime:
    """What the graph takes from the outside world instead of calling it directly."""

    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random
    # The engine's sleeper, given its stop event (a stop must cut every sleep short).
    sleeper: Callable[[threading.Event], Sleeper] = StopAwareSleeper
    wait: Waiter = event_wait  # the headless runner's wait between ticks
    engine_config: EngineConfig = field(default_factory=EngineConfig)


# -- builders (the graph below uses them; tests build parts of it the same way) -------------------

def token_source(db: Backend, vault: Vault, oauth: OAuthClient, runtime: Runtime, *,
                 owner: str | None = None, sleeper: Sleeper | None = None) -> TokenSource:
    from tiktok_desktop.credentials.tokens import TokenSource  # noqa: PLC0415

    return TokenSource(AccountsRepo(db), vault, oauth, LeaseRepo(db), owner=owner,
                       clock=runtime.clock, sleeper=sleeper or time.sleep)


def accounts_service(db: Backend, vault: Vault, oauth: OAuthClient, api: TikTokApi,
                     runtime: Runtime, *, redirect_uri: str,
                     avatars: AvatarCache | None = None,
                     connect_timeout: float | None = None) -> AccountsService:
    extra = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
    return AccountsService(AccountsRepo(db), token_source(db, vault, oauth, runtime), oauth,
                           api, redirect_uri=redirect_uri, clock=runtime.clock,
                           avatars=avatars, ratelog=RateLog(db), **extra)


def engine_parts(db: Backend, vault: Vault, oauth: OAuthClient, http: httpx.Client,
                 endpoints: Endpoints, runtime: Runtime, *, grace: Callable[[], float],
                 share_base: str, config: EngineConfig | None = None,
                 videos: VideoFiles | None = None) -> EngineParts:
    """Everything an engine works with; its sleeps, waits and uploads end when stop is set.
    ``videos``: where it gets each post's video as a local file (default: the post's own
    path; a shared schedule: its SharedLibrary, fetching from the database)."""
    from tiktok_desktop.credentials.upload_links import UploadLinks  # noqa: PLC0415
    from tiktok_desktop.engine.parts import EngineParts, OwnFiles  # noqa: PLC0415
    from tiktok_desktop.engine.ratelimit import WINDOW, RateLimits  # noqa: PLC0415
    from tiktok_desktop.services import library  # noqa: PLC0415
    from tiktok_desktop.tiktok import NO_RETRY, ChunkUploader, TikTokApi  # noqa: PLC0415

    stop = threading.Event()
    sleeper = runtime.sleeper(stop)
    owner = new_owner()
    config = config or runtime.engine_config
    return EngineParts(
        posts=PostsRepo(db),
        accounts=AccountsRepo(db),
        tokens=token_source(db, vault, oauth, runtime, owner=owner, sleeper=sleeper),
        # The engine decides about retries itself (with backoff, within the grace period).
        api=TikTokApi(http, endpoints, clock=runtime.clock, sleeper=sleeper,
                      read_retry=NO_RETRY),
        uploader=ChunkUploader(http, sleeper=sleeper),
        links=UploadLinks(vault),
        # Budgets live in the database: a restart must not grant a fresh minute.
        limits=RateLimits(runtime.clock, window=WINDOW + config.rate_margin, log=RateLog(db)),
        check_video=library.verify,
        owner=owner, stop=stop, sleeper=sleeper,
        clock=runtime.clock, monotonic=runtime.monotonic, rand=runtime.rand,
        grace=grace, config=config, share_base=share_base,
        clients=ClientStatusRepo(db), client_key=oauth.client_key,
        videos=videos or OwnFiles(),
    )


# -- which TikTok, reached at the first need --------------------------------------------------

@dataclass(frozen=True)
class Reached:
    """The TikTok a graph talks to, once reached."""

    endpoints: Endpoints
    credentials: Credentials  # the TikTok app in use (the sandbox's own in sandbox mode)
    share_base: str  # where a published post's page is
    server: SandboxServer | None  # the built-in sandbox, when this graph started it
    oauth: OAuthClient
    api: TikTokApi


def find_owner(state_dir: Path) -> SandboxOwner | None:
    """The process that runs the sandbox on ``state_dir``, if one does."""
    from tiktok_desktop.sandbox.owner import find_owner as find  # noqa: PLC0415

    return find(state_dir)


class TikTokLink:
    """Reaches the mode's TikTok once, at the first need (thread-safe): starts the built-in
    sandbox, or asks the one running on this profile or at --sandbox-url for its app, or takes
    TikTok's own endpoints. A failure (StartupError; httpx errors, ValueError or KeyError from
    a sandbox elsewhere that does not answer) is raised again to every later caller."""

    def __init__(self, mode: Mode, http: httpx.Client, runtime: Runtime,
                 sandbox_port: int = 0) -> None:
        self.mode = mode
        self._http = http
        self._runtime = runtime
        self._port = sandbox_port
        self._lock = threading.Lock()
        self._reached: Reached | None = None
        self._failed: BaseException | None = None
        self._closed = False

    @property
    def reached(self) -> bool:
        return self._reached is not None

    def get(self) -> Reached:
        with self._lock:
            if self._reached is None:
                if self._failed is not None:
                    raise self._failed
                if self._closed:
                    raise RuntimeError("the app is closing: TikTok is not reached any more")
                try:
                    self._reached = self._reach()
                except BaseException as exc:
                    self._failed = exc
                    raise
            return self._reached

    def close(self) -> None:
        with self._lock:
            reached = None if self._closed else self._reached
            self._closed = True
        if reached is not None and reached.server is not None:
            reached.server.stop()

    def _reach(self) -> Reached:
        from tiktok_desktop.tiktok import ClientCredentials, Endpoints  # noqa: PLC0415
        from tiktok_desktop.tiktok.api import TikTokApi  # noqa: PLC0415
        from tiktok_desktop.tiktok.auth import OAuthClient  # noqa: PLC0415

        mode, runtime = self.mode, self._runtime
        server: SandboxServer | None = None
        try:
            owner = find_owner(mode.paths.sandbox_state_dir) \
                if mode.kind is ModeKind.SANDBOX else None
            if owner is not None:
                # Another process (the window, 'sandbox serve') runs this profile's sandbox:
                # one owner per state, or rotated tokens would be undone by whoever writes
                # last.
                base = owner.base_url
                key, secret = _external_app(self._http, base, owner.control_token)
                log.info("sandbox mode: using the sandbox at %s (process %d)", base, owner.pid)
            elif mode.kind is ModeKind.SANDBOX:
                server = _start_sandbox(mode.paths.sandbox_state_dir, self._port, runtime)
                base = server.base_url
                key, secret = server.app.client_key, server.app.client_secret
                log.info("sandbox mode: built-in TikTok emulator at %s", base)
            elif mode.kind is ModeKind.EXTERNAL_SANDBOX:
                base = mode.sandbox_url
                key, secret = _external_app(self._http, base,
                                            os.environ.get(SANDBOX_TOKEN_ENV, ""))
            if mode.sandbox:
                REDACTOR.add_secret(secret)
                endpoints = Endpoints.single(base)
                creds = Credentials(key, secret, DEFAULT_REDIRECT_URI,
                                    {"client_key": "sandbox"})
                share_base = base
            else:
                endpoints = Endpoints()
                creds = mode.credentials
                share_base = TIKTOK_WEB
            REDACTOR.add_secret(creds.client_secret)
            oauth = OAuthClient(self._http,
                                ClientCredentials(creds.client_key, creds.client_secret),
                                endpoints, clock=runtime.clock)
            api = TikTokApi(self._http, endpoints, clock=runtime.clock)
        except BaseException:
            if server is not None:
                server.stop()
            raise
        return Reached(endpoints, creds, share_base, server, oauth, api)


def _start_sandbox(state_dir: Path, port: int, runtime: Runtime) -> SandboxServer:
    from tiktok_desktop.sandbox.owner import SandboxBusyError  # noqa: PLC0415
    from tiktok_desktop.sandbox.server import SandboxServer  # noqa: PLC0415

    try:
        server = SandboxServer(state_dir, port=port, clock=runtime.clock)
        server.start()
    except SandboxBusyError as exc:  # its owner holds the lock but did not answer
        raise StartupError(str(exc)) from None
    return server


class _Standin:
    """Stands for an object made at its first use: every attribute is the made one's."""

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        return getattr(self._make(), name)


NO_KEYRING_NOTE = "No system keyring here: sandbox sign-ins last until the app quits."


# -- the graph -----------------------------------------------------------------------------------

@dataclass
class AppGraph:
    """What one run of the app is made of. Entry points take what they need from it and hand
    windows and commands only the services they use; ``close()`` ends it all.

    What needs TikTok reached (endpoints, clients, the built-in sandbox) or this OS's parts
    is made at the first use of these properties, or by ``reach()``."""

    mode: Mode
    runtime: Runtime
    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    db: Database | PgDatabase  # PostgreSQL: a shared schedule (mode.database)
    http: httpx.Client
    link: TikTokLink
    vault: Vault  # account tokens of this profile (sandbox tokens apart from real ones)
    app_vault: Vault  # the real TikTok app's client secret, whatever the profile
    accounts: AccountsService
    posts: PostsService
    standing: Standing  # caps, sign-in end, unaudited app: what the panes and composer show
    stats: StatsService  # published posts' readings: list columns, charts, CSV export
    avatars: AvatarCache
    bulk: BulkService  # many posts at once: the bulk window, CSV import
    snippets: SnippetsService  # caption templates and hashtag sets
    log_file: Path | None = None
    # How the engine gets each post's video as a file (None: the post's own path); a shared
    # schedule's SharedLibrary fetches it from the database.
    videos: VideoFiles | None = None
    # How a window gets a post's video as a local file to look at (None: its own path); a
    # shared schedule's SharedLibrary.view_copy fetches a reference into the cache folder.
    view_video: Callable[[str], str] | None = None
    problems: list[str] = field(default_factory=list)  # told to the user once the UI is up
    notes: list[str] = field(default_factory=list)  # shown quietly (status bar, panes)
    _system: SystemParts | None = None
    _tester: CredentialsTester | None = None
    _making: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sandbox(self) -> bool:
        return self.mode.sandbox

    # -- made at the first use ---------------------------------------------------------------

    @property
    def endpoints(self) -> Endpoints:
        return self.link.get().endpoints

    @property
    def oauth(self) -> OAuthClient:
        return self.link.get().oauth

    @property
    def credentials_in_use(self) -> Credentials:
        return self.link.get().credentials

    @property
    def share_base(self) -> str:
        return self.link.get().share_base

    @property
    def sandbox_server(self) -> SandboxServer | None:
        return self.link.get().server

    @property
    def tester(self) -> CredentialsTester:
        """The Settings dialog's Test."""
        if self._tester is None:
            from tiktok_desktop.services.credentials import CredentialsTester  # noqa: PLC0415

            self._tester = CredentialsTester(self.http, self.endpoints, self.app_vault,
                                             self.credentials_in_use, sandbox=self.sandbox)
        return self._tester

    @property
    def system(self) -> SystemParts:
        """This OS's service, start at login, keep-awake, sleep watch, wake timer."""
        with self._making:
            if self._system is None:
                from tiktok_desktop.system import for_this_os  # noqa: PLC0415

                self._system = for_this_os()
            return self._system

    @system.setter
    def system(self, parts: SystemParts) -> None:
        self._system = parts

    def system_later(self) -> SystemParts:
        """Stand-ins for ``system``'s parts, for the window: this OS's parts (on Linux the
        D-Bus client for logind) are made when one is first used, not before its first
        paint."""
        def part(name: str) -> Any:
            return _Standin(lambda: getattr(self.system, name))

        return SystemParts(*(part(f.name) for f in dataclasses.fields(SystemParts)))

    def reach(self) -> list[str]:
        """Everything left for later, now (the window calls it right after its first paint,
        off the GUI thread): the database's integrity check started (on its own thread; see
        ``db.integrity``), TikTok reached, the built-in sandbox started, where sandbox
        sign-ins are kept decided. Returns the notes that adds (also in ``notes``); raises as
        ``build`` would have (StartupError...)."""
        self.db.start_check()
        self.link.get()
        added: list[str] = []
        if isinstance(self.vault, SandboxVault) and self.vault.decide() \
                and NO_KEYRING_NOTE not in self.notes:
            added.append(NO_KEYRING_NOTE)
        self.notes.extend(added)
        return added

    @property
    def where(self) -> str:
        """Which TikTok, in words for logs and terminals."""
        if self.sandbox_server is not None:
            return f"the built-in sandbox at {self.sandbox_server.base_url}"
        if self.mode.kind is ModeKind.EXTERNAL_SANDBOX:
            return f"the sandbox at {self.mode.sandbox_url}"
        return "TikTok"

    def service_args(self) -> list[str]:
        """``tiktok-desktop run`` arguments for a background service that posts to the same
        TikTok as this app: none when it would decide the same by itself (credentials set:
        TikTok; none: the sandbox), so a service installed for the sandbox moves to TikTok
        with the app once credentials are added."""
        if self.mode.database is not None:
            return []  # the settings name the shared schedule, and it names its TikTok
        if self.mode.kind is ModeKind.EXTERNAL_SANDBOX:
            return ["--sandbox-url", self.mode.sandbox_url]
        if self.mode.kind is ModeKind.SANDBOX and self.mode.credentials.configured:
            return ["--sandbox"]  # chosen although TikTok is configured
        return []

    @property
    def shared(self) -> SharedSchedule:
        """Setting up a shared schedule, and moving this computer's schedule there and back
        (the Settings page, ``tiktok-desktop shared``)."""
        return shared_schedule(self.mode, self.runtime)

    def credentials(self) -> Credentials:
        """The real-TikTok credentials as configured now (for the Settings dialog)."""
        return app_credentials(self.settings, self.app_vault)

    def grace_seconds(self) -> float:
        """How late an overdue post may still go out, as Settings say now."""
        return self.settings.late_grace_minutes * 60.0

    def engine(self, listener: EngineListener | None = None) -> Engine:
        """A publishing engine on this data (the GUI's worker thread or ``run`` drive it),
        keeping the computer awake around due posts and uploads and setting the OS's wake
        timer where a user may.

        Never on a database whose integrity check has not passed: this waits for a check
        still running and raises its DatabaseCorrupt."""
        from tiktok_desktop.engine.scheduler import Engine  # noqa: PLC0415
        from tiktok_desktop.system import KeepAwake  # noqa: PLC0415

        self.db.start_check()
        self.db.integrity.result()
        parts = engine_parts(self.db, self.vault, self.oauth, self.http, self.endpoints,
                             self.runtime, grace=self.grace_seconds,
                             share_base=self.share_base, videos=self.videos)
        engine = Engine(parts, listener)
        awake = KeepAwake(self.system.inhibitor, next_due=parts.posts.next_wake,
                          uploading=lambda: engine.publishing, clock=self.runtime.clock)
        engine.set_power(awake, self.system.wake_timer)
        return engine

    def headless_runner(self, engine: Engine) -> HeadlessRunner:
        from tiktok_desktop.engine.runner import HeadlessRunner  # noqa: PLC0415

        return HeadlessRunner(engine, wait=self.runtime.wait)

    def close(self) -> None:
        self.http.close()
        self.db.close()
        self.link.close()


def serve_sandbox(argv: list[str]) -> int:
    """``tiktok-desktop sandbox serve``: the emulator on its own, by default on the sandbox
    profile's state (the same one the app's built-in sandbox uses, which then talks to it)."""
    if not any(a == "--state-dir" or a.startswith("--state-dir=") for a in argv):
        state = resolve_paths().for_profile(SANDBOX_PROFILE).sandbox_state_dir
        argv = [*argv, "--state-dir", str(state)]
    from tiktok_desktop.sandbox.cli import serve_forever_cli  # noqa: PLC0415 - only here

    return serve_forever_cli(argv)


def _external_app(http: httpx.Client, base: str, token: str) -> tuple[str, str]:
    """The default app's client key and secret of a sandbox running at ``base``."""
    from tiktok_desktop.sandbox.owner import TOKEN_HEADER  # noqa: PLC0415

    answer = http.get(f"{base}/__sandbox__/info", timeout=10, headers={TOKEN_HEADER: token})
    if answer.status_code == 401:
        raise StartupError(
            f"The sandbox at {base} wants its control token: set {SANDBOX_TOKEN_ENV} to the "
            "token 'tiktok-desktop sandbox serve' printed, then start again.")
    info = answer.json()
    app = next(a for a in info["apps"] if a["client_key"] == info["default_client_key"])
    return str(app["client_key"]), str(app["client_secret"])


def build(mode: Mode, *, log_file: Path | None = None, vault: Vault | None = None,
          app_vault: Vault | None = None, sandbox_port: int = 0,
          runtime: Runtime | None = None, system: SystemParts | None = None,
          defer: bool = False) -> AppGraph:
    """Open settings and the database, start the sandbox when in sandbox mode.

    Store errors (damaged or newer database) and StartupError propagate for the caller to
    show; so do httpx errors, ValueError and KeyError when an external sandbox does not answer.

    ``defer`` (the window): the database's integrity check (on a thread of its own, see
    ``db.integrity``), TikTok, the sandbox's keyring and this OS's parts wait for their first
    use or ``AppGraph.reach()``, whose errors are then the ones above.
    """
    runtime = runtime or Runtime()
    mode.paths.ensure()
    home_vault = app_vault or Vault(vault_service(mode.home, sandbox=False))
    db: Database | PgDatabase
    if mode.database is not None:
        # A shared schedule: it says which TikTok (the mode follows it), its secrets are
        # sealed in it with the team key.
        db, mode, shared_vault = _open_shared(mode, home_vault, runtime)
        vault = vault or shared_vault
        app_vault = app_vault or shared_vault
        mode.paths.ensure()
    else:
        db = Database.open(mode.paths.db_file, clock=runtime.clock, check_later=defer)
    paths = mode.paths
    # made at its first request (after the first paint unless an owner must be asked)
    http = lazy_client(follow_redirects=False, trust_env=mode.kind is ModeKind.TIKTOK)
    link = TikTokLink(mode, http, runtime, sandbox_port)
    # The services' clients: the ones made when TikTok is reached.
    oauth = cast("OAuthClient", _Standin(lambda: link.get().oauth))
    api = cast("TikTokApi", _Standin(lambda: link.get().api))
    service = vault_service(paths, sandbox=mode.sandbox)
    the_vault = vault or (SandboxVault(service) if mode.sandbox else Vault(service))
    the_app_vault = app_vault or home_vault
    notes: list[str] = []
    problems = list(mode.settings_store.load_problems)
    source_note = credentials_note(mode.credentials)
    if source_note:
        log.info("%s", source_note)
        if not mode.sandbox:
            notes.append(source_note)
    zone = local_zone()
    log.info("this computer's time zone: %s (%s)", zone.name, zone.how)
    if zone.problem:
        problems.append(zone.problem)
    elif zone.note:
        notes.append(zone.note)
    avatars = AvatarCache(paths.avatar_cache_dir, http)
    accounts = accounts_service(db, the_vault, oauth, api, runtime,
                                redirect_uri=_redirect_uri(mode), avatars=avatars)
    library: Library = MediaLibrary(paths.media_dir)
    videos: VideoFiles | None = None
    view_video: Callable[[str], str] | None = None
    if mode.database is not None:
        # A shared schedule keeps its videos in the database: every member and runner
        # reaches them with its address alone.
        from tiktok_desktop.services.shared_library import SharedLibrary  # noqa: PLC0415
        from tiktok_desktop.store.videos import VideoStore  # noqa: PLC0415

        assert not isinstance(db, Database)
        shared_library = SharedLibrary(VideoStore(db), paths.cache_dir / "shared-videos",
                                       clock=runtime.clock)
        library = videos = shared_library
        view_video = shared_library.view_copy
    posts = PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=runtime.clock,
                         library=library)
    graph = AppGraph(
        mode=mode,
        runtime=runtime,
        paths=paths,
        settings_store=mode.settings_store,
        settings=mode.settings,
        db=db,
        http=http,
        link=link,
        vault=the_vault,
        app_vault=the_app_vault,
        accounts=accounts,
        posts=posts,
        standing=Standing(PostsRepo(db), AccountsRepo(db), ClientStatusRepo(db),
                          lambda: link.get().credentials.client_key, clock=runtime.clock,
                          zone_name=mode.settings.timezone),
        stats=StatsService(StatsStore(db), AccountsRepo(db)),
        avatars=avatars,
        bulk=BulkService(posts, accounts),
        snippets=SnippetsService(SnippetsRepo(db), AccountsRepo(db)),
        log_file=log_file,
        videos=videos,
        view_video=view_video,
        problems=problems,
        notes=notes,
        _system=system,
    )
    if not defer:
        try:
            graph.reach()
            graph.system  # noqa: B018 - made now, as the callers expect it
        except BaseException:
            graph.close()
            raise
    return graph


def shared_schedule(mode: Mode, runtime: Runtime | None = None) -> SharedSchedule:
    """The shared-schedule set-up for this data folder (services/shared.py), whichever
    schedule the mode uses now: the local one is the mode's profile's SQLite file."""
    from tiktok_desktop import bootstrap_shared  # noqa: PLC0415

    return bootstrap_shared.shared_schedule(mode, (runtime or Runtime()).clock)


def _open_shared(mode: Mode, keyring: Vault,
                 runtime: Runtime) -> tuple[PgDatabase, Mode, Vault]:
    from tiktok_desktop import bootstrap_shared  # noqa: PLC0415

    return bootstrap_shared.open_shared_schedule(mode, keyring, runtime.clock)


def _redirect_uri(mode: Mode) -> str:
    """The OAuth redirect URI: the sandbox registers the default one for its app."""
    return DEFAULT_REDIRECT_URI if mode.sandbox else mode.credentials.redirect_uri
