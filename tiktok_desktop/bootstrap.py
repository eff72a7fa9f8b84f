"""The one composition root: builds the object graph that the GUI (app.py), the CLI commands
and the headless runner (``tiktok-desktop run``) use, from a Mode.

Nothing else constructs services, the engine or their parts; windows and commands receive the
services they use. This is also the only module that knows the sandbox: without credentials
(or when forced) the app starts the built-in TikTok emulator in-process, uses its registered
app, and keeps its data in a separate profile so sandbox posts never mix with real ones; with
``--sandbox-url`` it talks to an emulator running elsewhere (``tiktok-desktop sandbox serve``).

Time, randomness and sleeping come from a Runtime, so tests and the fault campaign can run
everything on their own clock.
"""

from __future__ import annotations

import enum
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tiktok_desktop.config import (
    DEFAULT_REDIRECT_URI,
    Credentials,
    Settings,
    SettingsStore,
    resolve_credentials,
)
from tiktok_desktop.credentials import (
    SERVICE,
    SessionOnlyBackend,
    TokenSource,
    UploadLinks,
    Vault,
    VaultError,
)
from tiktok_desktop.engine import (
    Engine,
    EngineConfig,
    EngineListener,
    EngineParts,
    HeadlessRunner,
)
from tiktok_desktop.engine.ratelimit import WINDOW, RateLimits
from tiktok_desktop.engine.runner import Waiter, event_wait
from tiktok_desktop.engine.sleep import Sleeper, StopAwareSleeper
from tiktok_desktop.lazy_http import lazy_client
from tiktok_desktop.logging_setup import REDACTOR
from tiktok_desktop.paths import SANDBOX_PROFILE, AppPaths, PathsError
from tiktok_desktop.paths import resolve as resolve_paths
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.sandbox.owner import TOKEN_HEADER, SandboxBusyError, find_owner
from tiktok_desktop.services import library
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.services.avatars import AvatarCache
from tiktok_desktop.services.bulk import BulkService
from tiktok_desktop.services.credentials import CredentialsTester
from tiktok_desktop.services.library import MediaLibrary
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
    StoreError,
)
from tiktok_desktop.store.leases import new_owner
from tiktok_desktop.store.queue import QueueRepo
from tiktok_desktop.store.ratelog import RateLog
from tiktok_desktop.store.snippets import SnippetsRepo
from tiktok_desktop.store.stats import StatsStore
from tiktok_desktop.system import KeepAwake, SystemParts, for_this_os
from tiktok_desktop.tiktok import (
    NO_RETRY,
    ChunkUploader,
    ClientCredentials,
    Endpoints,
    OAuthClient,
    TikTokApi,
)

log = logging.getLogger(__name__)

TIKTOK_WEB = "https://www.tiktok.com"
# The control token of a sandbox run elsewhere ('sandbox serve' prints it): from the
# environment, never the command line, where other users could read it.
SANDBOX_TOKEN_ENV = "TIKTOK_SANDBOX_TOKEN"  # noqa: S105 - a variable name, not a secret


class StartupError(Exception):
    """The app cannot start as asked; the message says what to do."""


# Everything that stops a start with a message for the user (not a traceback): the entry
# points catch these around decide_mode(), setup_logging() and build().
STARTUP_ERRORS: tuple[type[Exception], ...] = (StartupError, StoreError, PathsError)


# -- which TikTok --------------------------------------------------------------------------------

class ModeKind(enum.Enum):
    TIKTOK = "TikTok"
    SANDBOX = "the built-in sandbox"  # started in-process
    EXTERNAL_SANDBOX = "a sandbox running elsewhere"  # ``sandbox serve``, by URL


@dataclass(frozen=True)
class Mode:
    """Which TikTok the app talks to, decided once at start-up (settings read once here)."""

    kind: ModeKind
    paths: AppPaths
    credentials: Credentials  # the real TikTok app's, as configured (for Settings)
    settings_store: SettingsStore  # shared by both profiles: credentials, window layout
    settings: Settings
    sandbox_url: str = ""  # EXTERNAL_SANDBOX only

    @property
    def sandbox(self) -> bool:
        return self.kind is not ModeKind.TIKTOK


def vault_service(paths: AppPaths, *, sandbox: bool) -> str:
    """The keyring service holding this data folder's secrets: the sandbox's apart from real
    TikTok's, and a data folder of one's own (TIKTOK_DESKTOP_HOME) apart from every other, so
    one copy's disconnect never signs another out."""
    return SERVICE + ("-sandbox" if sandbox else "") + \
        (f"@{paths.namespace}" if paths.namespace else "")


def _credentials(settings: Settings, app_vault: Vault,
                 unreadable: list[VaultError] | None = None) -> Credentials:
    """The real TikTok app's credentials; no usable keyring just means no stored secret
    (the error goes to ``unreadable`` for the caller that must tell the difference)."""
    def secret() -> str | None:
        try:
            return app_vault.client_secret()
        except VaultError as exc:
            if unreadable is not None:
                unreadable.append(exc)
            return None

    return resolve_credentials(settings, environ=os.environ, keyring_secret=secret)


def _secret_unreadable(exc: VaultError) -> StartupError:
    return StartupError(
        "TikTok Desktop is set up for your own TikTok app (a client key is configured), but "
        f"its client secret could not be read from the system keyring: {exc} Unlock the "
        "keyring (log in to the desktop session) and start again. The app does not switch to "
        "the sandbox by itself: your scheduled posts would not reach TikTok. (To use the "
        "sandbox on purpose, start with --sandbox.)")


def decide_mode(base: AppPaths, *, force_sandbox: bool = False, sandbox_url: str = "",
                vault: Vault | None = None) -> Mode:
    """Real TikTok when a client key and secret are configured, else the sandbox."""
    store = SettingsStore(base.settings_file)
    settings = store.load()
    unreadable: list[VaultError] = []
    creds = _credentials(settings, vault or Vault(vault_service(base, sandbox=False)),
                         unreadable)
    if creds.client_key and not creds.client_secret and unreadable and not force_sandbox \
            and not sandbox_url:
        # A locked keyring (a service started at boot, before anyone logged in) must not turn
        # real TikTok into the sandbox without a word: due posts would "publish" nowhere.
        raise _secret_unreadable(unreadable[0])
    if sandbox_url:
        kind = ModeKind.EXTERNAL_SANDBOX
    elif force_sandbox or not creds.configured:
        kind = ModeKind.SANDBOX
    else:
        kind = ModeKind.TIKTOK
    paths = base if kind is ModeKind.TIKTOK else base.for_profile(SANDBOX_PROFILE)
    return Mode(kind, paths, creds, store, settings, sandbox_url.rstrip("/"))


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

def token_source(db: Database, vault: Vault, oauth: OAuthClient, runtime: Runtime, *,
                 owner: str | None = None, sleeper: Sleeper | None = None) -> TokenSource:
    return TokenSource(AccountsRepo(db), vault, oauth, LeaseRepo(db), owner=owner,
                       clock=runtime.clock, sleeper=sleeper or time.sleep)


def accounts_service(db: Database, vault: Vault, oauth: OAuthClient, api: TikTokApi,
                     runtime: Runtime, *, redirect_uri: str,
                     avatars: AvatarCache | None = None,
                     connect_timeout: float | None = None) -> AccountsService:
    extra = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
    return AccountsService(AccountsRepo(db), token_source(db, vault, oauth, runtime), oauth,
                           api, redirect_uri=redirect_uri, clock=runtime.clock,
                           avatars=avatars, ratelog=RateLog(db), **extra)


def engine_parts(db: Database, vault: Vault, oauth: OAuthClient, http: httpx.Client,
                 endpoints: Endpoints, runtime: Runtime, *, grace: Callable[[], float],
                 share_base: str, config: EngineConfig | None = None) -> EngineParts:
    """Everything an engine works with; its sleeps, waits and uploads end when stop is set."""
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
    )


# -- the graph -----------------------------------------------------------------------------------

@dataclass
class AppGraph:
    """What one run of the app is made of. Entry points take what they need from it and hand
    windows and commands only the services they use; ``close()`` ends it all."""

    mode: Mode
    runtime: Runtime
    paths: AppPaths
    settings_store: SettingsStore
    settings: Settings
    db: Database
    http: httpx.Client
    endpoints: Endpoints
    vault: Vault  # account tokens of this profile (sandbox tokens apart from real ones)
    app_vault: Vault  # the real TikTok app's client secret, whatever the profile
    oauth: OAuthClient
    accounts: AccountsService
    posts: PostsService
    standing: Standing  # caps, sign-in end, unaudited app: what the panes and composer show
    stats: StatsService  # published posts' readings: list columns, charts, CSV export
    avatars: AvatarCache
    tester: CredentialsTester  # the Settings dialog's Test
    credentials_in_use: Credentials
    share_base: str
    system: SystemParts  # this OS's service, start at login, keep-awake, sleep watch, wake
    bulk: BulkService  # many posts at once: the bulk window, CSV import
    snippets: SnippetsService  # caption templates and hashtag sets
    sandbox_server: SandboxServer | None = None
    log_file: Path | None = None
    problems: list[str] = field(default_factory=list)  # told to the user once the UI is up
    notes: list[str] = field(default_factory=list)  # shown quietly (status bar, panes)

    @property
    def sandbox(self) -> bool:
        return self.mode.sandbox

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
        if self.mode.kind is ModeKind.EXTERNAL_SANDBOX:
            return ["--sandbox-url", self.mode.sandbox_url]
        if self.mode.kind is ModeKind.SANDBOX and self.mode.credentials.configured:
            return ["--sandbox"]  # chosen although TikTok is configured
        return []

    def credentials(self) -> Credentials:
        """The real-TikTok credentials as configured now (for the Settings dialog)."""
        return _credentials(self.settings, self.app_vault)

    def grace_seconds(self) -> float:
        """How late an overdue post may still go out, as Settings say now."""
        return self.settings.late_grace_minutes * 60.0

    def engine(self, listener: EngineListener | None = None) -> Engine:
        """A publishing engine on this data (the GUI's worker thread or ``run`` drive it),
        keeping the computer awake around due posts and uploads and setting the OS's wake
        timer where a user may."""
        parts = engine_parts(self.db, self.vault, self.oauth, self.http, self.endpoints,
                             self.runtime, grace=self.grace_seconds,
                             share_base=self.share_base)
        engine = Engine(parts, listener)
        awake = KeepAwake(self.system.inhibitor, next_due=parts.posts.next_wake,
                          uploading=lambda: engine.publishing, clock=self.runtime.clock)
        engine.set_power(awake, self.system.wake_timer)
        return engine

    def headless_runner(self, engine: Engine) -> HeadlessRunner:
        return HeadlessRunner(engine, wait=self.runtime.wait)

    def close(self) -> None:
        self.http.close()
        self.db.close()
        if self.sandbox_server is not None:
            self.sandbox_server.stop()


def serve_sandbox(argv: list[str]) -> int:
    """``tiktok-desktop sandbox serve``: the emulator on its own, by default on the sandbox
    profile's state (the same one the app's built-in sandbox uses, which then talks to it)."""
    if not any(a == "--state-dir" or a.startswith("--state-dir=") for a in argv):
        state = resolve_paths().for_profile(SANDBOX_PROFILE).sandbox_state_dir
        argv = [*argv, "--state-dir", str(state)]
    from tiktok_desktop.sandbox.cli import serve_forever_cli  # noqa: PLC0415 - only here

    return serve_forever_cli(argv)


def credentials_note(creds: Credentials) -> str:
    """Where the TikTok app's key and secret come from, when that is not the Settings dialog
    (a .env file in the folder the app started from switches apps silently otherwise)."""
    where = {"environment": "the environment (TIKTOK_CLIENT_KEY/TIKTOK_CLIENT_SECRET)",
             ".env": f"the .env file in {Path.cwd()}"}
    outside = sorted({where[v] for k, v in creds.sources.items()
                      if k in ("client_key", "client_secret") and v in where})
    if not outside:
        return ""
    return (f"Using the TikTok app set in {' and '.join(outside)}, not the one in Settings "
            f"(client key {creds.client_key}).")


def _external_app(http: httpx.Client, base: str, token: str) -> tuple[str, str]:
    """The default app's client key and secret of a sandbox running at ``base``."""
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
          runtime: Runtime | None = None, system: SystemParts | None = None) -> AppGraph:
    """Open settings and the database, start the sandbox when in sandbox mode.

    Store errors (damaged or newer database) and StartupError propagate for the caller to
    show; so do httpx errors, ValueError and KeyError when an external sandbox does not answer.
    """
    runtime = runtime or Runtime()
    paths = mode.paths
    paths.ensure()
    db = Database.open(paths.db_file, clock=runtime.clock)
    server: SandboxServer | None = None
    # made at its first request (after the first paint unless an owner must be asked)
    http = lazy_client(follow_redirects=False, trust_env=mode.kind is ModeKind.TIKTOK)
    try:
        owner = find_owner(paths.sandbox_state_dir) if mode.kind is ModeKind.SANDBOX \
            else None
        if owner is not None:
            # Another process (the window, 'sandbox serve') runs this profile's sandbox: one
            # owner per state, or rotated tokens would be undone by whoever writes last.
            base = owner.base_url
            key, secret = _external_app(http, base, owner.control_token)
            log.info("sandbox mode: using the sandbox at %s (process %d)", base, owner.pid)
        elif mode.kind is ModeKind.SANDBOX:
            try:
                server = SandboxServer(paths.sandbox_state_dir, port=sandbox_port,
                                       clock=runtime.clock)
                server.start()
            except SandboxBusyError as exc:  # its owner holds the lock but did not answer
                server = None
                raise StartupError(str(exc)) from None
            base = server.base_url
            key, secret = server.app.client_key, server.app.client_secret
            log.info("sandbox mode: built-in TikTok emulator at %s", base)
        elif mode.kind is ModeKind.EXTERNAL_SANDBOX:
            base = mode.sandbox_url
            key, secret = _external_app(http, base, os.environ.get(SANDBOX_TOKEN_ENV, ""))
        if mode.sandbox:
            REDACTOR.add_secret(secret)
            endpoints = Endpoints.single(base)
            creds = Credentials(key, secret, DEFAULT_REDIRECT_URI, {"client_key": "sandbox"})
            share_base = base
        else:
            endpoints = Endpoints()
            creds = mode.credentials
            share_base = TIKTOK_WEB
    except BaseException:
        http.close()
        db.close()
        if server is not None:
            server.stop()
        raise
    REDACTOR.add_secret(creds.client_secret)
    oauth = OAuthClient(http, ClientCredentials(creds.client_key, creds.client_secret),
                        endpoints, clock=runtime.clock)
    api = TikTokApi(http, endpoints, clock=runtime.clock)
    the_vault = vault or Vault(vault_service(paths, sandbox=mode.sandbox))
    notes: list[str] = []
    if mode.sandbox and not the_vault.available():
        the_vault = Vault(the_vault.service, backend=SessionOnlyBackend())
        notes.append("No system keyring here: sandbox sign-ins last until the app quits.")
    the_app_vault = app_vault or Vault(vault_service(paths, sandbox=False))
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
                                redirect_uri=creds.redirect_uri, avatars=avatars)
    posts = PostsService(PostsRepo(db), AccountsRepo(db), QueueRepo(db), clock=runtime.clock,
                         library=MediaLibrary(paths.media_dir))
    return AppGraph(
        mode=mode,
        runtime=runtime,
        paths=paths,
        settings_store=mode.settings_store,
        settings=mode.settings,
        db=db,
        http=http,
        endpoints=endpoints,
        vault=the_vault,
        app_vault=the_app_vault,
        oauth=oauth,
        accounts=accounts,
        posts=posts,
        standing=Standing(PostsRepo(db), AccountsRepo(db), ClientStatusRepo(db),
                          creds.client_key, clock=runtime.clock,
                          zone_name=mode.settings.timezone),
        stats=StatsService(StatsStore(db), AccountsRepo(db)),
        avatars=avatars,
        tester=CredentialsTester(http, endpoints, the_app_vault, creds, sandbox=mode.sandbox),
        credentials_in_use=creds,
        share_base=share_base,
        system=system or for_this_os(),
        bulk=BulkService(posts, accounts),
        snippets=SnippetsService(SnippetsRepo(db), AccountsRepo(db)),
        sandbox_server=server,
        log_file=log_file,
        problems=problems,
        notes=notes,
    )
