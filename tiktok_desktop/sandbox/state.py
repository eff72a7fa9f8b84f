"""The sandbox's persisted state and the clock.

Layout under ``state_dir``:
- ``state.json``: apps, users, codes, grants and tokens (secrets only as SHA-256 keys), written
  atomically (temp file + ``os.replace``) after each change. It stays small: expired codes and
  dead tokens are pruned on every write.
- ``videos/<upload_id>.json``: one small file per publish, rewritten when that publish changes
  (once per chunk at most), so an upload never rewrites ``state.json``.
- ``videos/<upload_id>.bin``: the received bytes (only with ``store_upload_bytes``), kept only
  while a publish may still need them (see ``sweep``): until processing ends, or for an upload
  that never completed, until its upload_url expires.

The folder is 0700 and every file in it 0600 (client secrets, videos): older folders are
tightened when loaded.

Every access goes through ``State.lock`` (an RLock); the upload handler holds it only around its
bookkeeping, never while streaming a body.

Upload hashes run on a worker thread (receive.HashPipeline), so right after a 206
``publish.sha256`` may still lag ``publish.uploaded``: ``sync_hash`` waits for the pending
hashing and brings it up to date. Everything that reports the hash, and ``save_publish``, calls
it first. Periodic progress writes do not wait (a chunk handler must not stall on the hash):
the sha256 they write for an unfinished upload may lag, and is recomputed on load.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .media import MediaChecker
from .models import (
    ALL_SCOPES,
    App,
    CodeRecord,
    Grant,
    Publish,
    SandboxOptions,
    TokenRecord,
    User,
    secret_hash,
)
from .receive import BlockPool, HashPipeline

__all__ = ["State"]

log = logging.getLogger("tiktok_desktop.sandbox")

STATE_VERSION = 1
DEFAULT_REDIRECT_URIS = ["http://127.0.0.1:*/callback/", "http://localhost:*/callback/"]
_ALNUM = string.ascii_lowercase + string.digits
_DAY = 86400.0
_HASH_BLOCK = 1 << 20
# How long a status read waits for a running media check before it answers PROCESSING_UPLOAD.
MEDIA_WAIT = 10.0


def _random_alnum(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def private_dir(path: Path) -> None:
    """Create `path` (and parents) and make it 0700: the state holds client secrets."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """os.open a file that only this user may read (0600, also when it already existed)."""
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), 0o600)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, mode 0600."""
    tmp = path.with_name(path.name + ".tmp")
    with os.fdopen(open_private(tmp), "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _atomic_write_json(path: Path, payload: Any) -> None:
    write_private(path, json.dumps(payload, indent=1, sort_keys=True).encode("utf-8"))


PROGRESS_SAVE_INTERVAL = 1.0  # seconds


class State:
    """All mutable sandbox data; see the module docstring for the on-disk layout."""

    def __init__(
        self, state_dir: Path, options: SandboxOptions, clock: Callable[[], float] | None
    ) -> None:
        self.dir = Path(state_dir)
        self.videos_dir = self.dir / "videos"
        private_dir(self.dir)
        private_dir(self.videos_dir)
        self._tighten_files()
        self.options = options
        self.lock = threading.RLock()
        self._clock = clock or time.time
        self.clock_injected = clock is not None
        self.clock_offset = 0.0
        self.apps: dict[str, App] = {}
        self.users: dict[str, User] = {}
        self.codes: dict[str, CodeRecord] = {}
        self.grants: dict[str, Grant] = {}
        self.access_tokens: dict[str, TokenRecord] = {}
        self.refresh_tokens: dict[str, TokenRecord] = {}
        self.publishes: dict[str, Publish] = {}
        self.by_upload_id: dict[str, str] = {}
        # Running SHA-256 of incomplete uploads that have no pipeline yet (not persistable:
        # rebuilt from disk on load); the first chunk moves it into `pipelines`.
        self.hashers: dict[str, Any] = {}
        self.pipelines: dict[str, HashPipeline] = {}
        # Receive buffers shared by the upload PUTs and the sink.
        self.blocks = BlockPool()
        # Upload progress between chunks is written at most every PROGRESS_SAVE_INTERVAL
        # seconds (a file rewrite per 10 MB chunk costs more than the chunk's own I/O);
        # completion and stop always write. After a crash, the bytes beyond the last saved
        # progress are truncated on load and the client resumes from the saved point.
        self.progress_saved_at: dict[str, float] = {}
        self.dirty_publishes: set[str] = set()
        # publish_ids with a PUT in flight (uploads are sequential).
        self.busy: set[str] = set()
        self.idle = threading.Condition(self.lock)  # notified when a PUT leaves `busy`
        # control.set_fail_reason(None, ...): consumed by the next init.
        self.next_fail_reason: str | None = None
        # Received files that may still be on disk (publish_ids), for sweep().
        self.kept_bytes: set[str] = set()
        self.media = MediaChecker()
        self.default_client_key = ""
        self.unaudited_client_key = ""
        if (self.dir / "state.json").exists():
            self._load()
        else:
            self._seed()
            self.save()

    def _tighten_files(self) -> None:
        """Folders written by older versions had 0644 files: make every file 0600."""
        for folder in (self.dir, self.videos_dir):
            for path in folder.iterdir():
                if path.is_file() and path.stat().st_mode & 0o077:
                    os.chmod(path, 0o600)

    # --- clock -----------------------------------------------------------------------------

    def now(self) -> float:
        return self._clock() + self.clock_offset

    # --- seeding and loading -----------------------------------------------------------------

    def _seed(self) -> None:
        audited = self.new_app("TikTok Desktop Sandbox", list(DEFAULT_REDIRECT_URIS), True)
        unaudited = self.new_app(
            "TikTok Desktop Sandbox (unaudited)", list(DEFAULT_REDIRECT_URIS), False
        )
        self.default_client_key = audited.client_key
        self.unaudited_client_key = unaudited.client_key
        seeds: list[dict[str, Any]] = [
            {"username": "sandbox_creator", "nickname": "Sandbox Creator",
             "follower_count": 1234, "following_count": 56, "likes_count": 7890,
             "bio_description": "Public sandbox account", "is_verified": True},
            {"username": "sandbox_private", "nickname": "Sandbox Private", "is_private": True,
             "max_video_post_duration_sec": 180, "bio_description": "Private sandbox account"},
            {"username": "sandbox_limited", "nickname": "Sandbox Limited",
             "can_post": "spam_risk_too_many_posts", "max_video_post_duration_sec": 180,
             "bio_description": "Cannot post right now"},
            {"username": "sandbox_quiet", "nickname": "Sandbox Quiet", "comment_disabled": True,
             "duet_disabled": True, "stitch_disabled": True, "max_video_post_duration_sec": 300,
             "bio_description": "Public, interactions set to No one"},
        ]
        for seed in seeds:
            user = User(open_id=self.new_open_id(), union_id=self.new_open_id(), **seed)
            self.users[user.open_id] = user

    @staticmethod
    def new_open_id() -> str:
        return "-000" + _random_alnum(32, string.ascii_letters + string.digits + "-_")

    def new_app(self, name: str, redirect_uris: list[str], audited: bool,
                scopes: list[str] | None = None) -> App:
        app = App(
            client_key="sbx" + _random_alnum(15),
            client_secret=_random_alnum(32, string.ascii_letters + string.digits),
            name=name,
            redirect_uris=redirect_uris,
            audited=audited,
            scopes=list(scopes if scopes is not None else ALL_SCOPES),
        )
        self.apps[app.client_key] = app
        return app

    def _load(self) -> None:
        data = json.loads((self.dir / "state.json").read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported sandbox state version {data.get('version')!r}")
        self.apps = {a["client_key"]: App.from_json(a) for a in data["apps"]}
        self.users = {u["open_id"]: User.from_json(u) for u in data["users"]}
        self.codes = {k: CodeRecord.from_json(v) for k, v in data["codes"].items()}
        self.grants = {k: Grant.from_json(v) for k, v in data["grants"].items()}
        self.access_tokens = {k: TokenRecord.from_json(v) for k, v in data["access"].items()}
        self.refresh_tokens = {k: TokenRecord.from_json(v) for k, v in data["refresh"].items()}
        self.default_client_key = data["default_client_key"]
        self.unaudited_client_key = data["unaudited_client_key"]
        self.next_fail_reason = data.get("next_fail_reason")
        for meta in sorted(self.videos_dir.glob("*.json")):
            publish = Publish.from_json(json.loads(meta.read_text(encoding="utf-8")))
            self.publishes[publish.publish_id] = publish
            self.by_upload_id[publish.upload_id] = publish.publish_id
            if self.video_path(publish).exists():
                self.kept_bytes.add(publish.publish_id)
            if not publish.complete and self.now() < publish.upload_expires_at:
                self._restore_hasher(publish)
        self.sweep()

    def _restore_hasher(self, publish: Publish) -> None:
        """Rebuild the running hash of an unfinished upload from the bytes on disk."""
        hasher = hashlib.sha256()
        path = self.video_path(publish)
        if publish.uploaded and path.exists() and path.stat().st_size >= publish.uploaded:
            with path.open("r+b") as f:
                f.truncate(publish.uploaded)
                while block := f.read(_HASH_BLOCK):
                    hasher.update(block)
            publish.sha256 = hasher.hexdigest()  # a progress write may have saved a lagging one
        elif publish.uploaded:
            # Bytes were not kept (store_upload_bytes=False): the upload restarts from 0.
            publish.uploaded = 0
            publish.chunks_received = 0
            publish.sha256 = hasher.hexdigest()
            self.save_publish(publish)
        self.hashers[publish.publish_id] = hasher

    # --- persistence -------------------------------------------------------------------------

    def save(self) -> None:
        with self.lock:
            self.flush_progress()
            self._prune()
            payload = {
                "version": STATE_VERSION,
                "apps": [a.to_json() for a in self.apps.values()],
                "users": [u.to_json() for u in self.users.values()],
                "codes": {k: v.to_json() for k, v in self.codes.items()},
                "grants": {k: v.to_json() for k, v in self.grants.items()},
                "access": {k: v.to_json() for k, v in self.access_tokens.items()},
                "refresh": {k: v.to_json() for k, v in self.refresh_tokens.items()},
                "default_client_key": self.default_client_key,
                "unaudited_client_key": self.unaudited_client_key,
                "next_fail_reason": self.next_fail_reason,
            }
            _atomic_write_json(self.dir / "state.json", payload)

    def _prune(self) -> None:
        now = self.now()
        self.codes = {k: v for k, v in self.codes.items() if v.expires_at > now}
        for tokens in (self.access_tokens, self.refresh_tokens):
            dead = [k for k, v in tokens.items() if v.revoked or v.expires_at <= now]
            for key in dead:
                del tokens[key]

    def upload_pipeline(self, publish: Publish) -> HashPipeline:
        """The hash pipeline of an unfinished upload (created at its first chunk)."""
        with self.lock:
            pipeline = self.pipelines.get(publish.publish_id)
            if pipeline is None:
                pipeline = HashPipeline(self.blocks, self.hashers.pop(publish.publish_id, None))
                self.pipelines[publish.publish_id] = pipeline
            return pipeline

    def sync_hash(self, publish: Publish) -> None:
        """Set publish.sha256 to the hash of every committed chunk (waits for the hashing).

        The hash worker never takes the state lock, so waiting under it cannot deadlock; it
        waits at most for the blocks already received (a few MiB).
        """
        with self.lock:
            pipeline = self.pipelines.get(publish.publish_id)
            if pipeline is not None:
                publish.sha256 = pipeline.wait()

    def sync_hashes(self) -> None:
        with self.lock:
            for publish_id in list(self.pipelines):
                publish = self.publishes.get(publish_id)
                if publish is not None:
                    self.sync_hash(publish)

    def save_publish(self, publish: Publish) -> None:
        with self.lock:
            self.sync_hash(publish)
            self._write_publish(publish)

    def _write_publish(self, publish: Publish) -> None:
        _atomic_write_json(self.videos_dir / f"{publish.upload_id}.json", publish.to_json())
        self.dirty_publishes.discard(publish.publish_id)
        self.progress_saved_at[publish.publish_id] = time.monotonic()

    def save_progress(self, publish: Publish) -> None:
        """Upload progress of an unfinished upload: written now or a little later."""
        with self.lock:
            last = self.progress_saved_at.get(publish.publish_id, 0.0)
            if time.monotonic() - last >= PROGRESS_SAVE_INTERVAL:
                self._write_publish(publish)
            else:
                self.dirty_publishes.add(publish.publish_id)

    def flush_progress(self) -> None:
        with self.lock:
            for publish_id in list(self.dirty_publishes):
                publish = self.publishes.get(publish_id)
                if publish is not None:
                    self._write_publish(publish)
            self.dirty_publishes.clear()

    def video_path(self, publish: Publish) -> Path:
        return self.videos_dir / f"{publish.upload_id}.bin"

    # --- users, apps -------------------------------------------------------------------------

    def user_by_username(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username == username), None)

    # --- tokens ------------------------------------------------------------------------------

    def issue_tokens(self, grant: Grant) -> tuple[str, str]:
        """New access + refresh token for the grant; returns the clear values (never stored)."""
        now = self.now()
        access = "act." + secrets.token_urlsafe(48)
        refresh = "rft." + secrets.token_urlsafe(48)
        self.access_tokens[secret_hash(access)] = TokenRecord(
            grant.grant_id, now + self.options.access_token_lifetime
        )
        self.refresh_tokens[secret_hash(refresh)] = TokenRecord(
            grant.grant_id, now + self.options.refresh_token_lifetime
        )
        return access, refresh

    def live_access(self, token: str) -> tuple[TokenRecord, Grant] | None:
        record = self.access_tokens.get(secret_hash(token))
        if record is None or record.revoked or record.expires_at <= self.now():
            return None
        grant = self.grants.get(record.grant_id)
        if grant is None or grant.revoked:
            return None
        return record, grant

    def revoke_grant(self, grant: Grant) -> None:
        """Kill the grant and every token of it; in-flight publishes fail with auth_removed."""
        grant.revoked = True
        for tokens in (self.access_tokens, self.refresh_tokens):
            for record in tokens.values():
                if record.grant_id == grant.grant_id:
                    record.revoked = True
        for publish in self.publishes.values():
            if (
                publish.client_key == grant.client_key
                and publish.open_id == grant.open_id
                and publish.status == "PROCESSING_UPLOAD"
            ):
                self.finish(publish, fail_reason="auth_removed")

    # --- publishes ---------------------------------------------------------------------------

    def iter_publishes(self, open_id: str | None = None) -> Iterator[Publish]:
        for publish in self.publishes.values():
            if open_id is None or publish.open_id == open_id:
                yield publish

    def settle(self, publish: Publish) -> None:
        """Bring a publish up to date with the clock: processing ends processing_seconds after
        the last chunk (with the media check's verdict), and a public post gets its ID once
        moderation is over."""
        if publish.status == "PROCESSING_UPLOAD" and publish.upload_completed_at is not None:
            done_at = publish.upload_completed_at + self.options.processing_seconds
            if self.now() >= done_at and self._media_settled(publish):
                reason = publish.forced_fail_reason or publish.media_fail_reason
                self.finish(publish, fail_reason=reason, at=done_at)
        if (publish.moderation_due_at is not None and not publish.post_ids
                and publish.status == "PUBLISH_COMPLETE"
                and self.now() >= publish.moderation_due_at):
            publish.post_ids = [self.new_post_id() for _ in range(publish.post_count)]
            self.save_publish(publish)

    def _media_settled(self, publish: Publish) -> bool:
        """Whether TikTok's processing checks are done (running them if they were never
        started, e.g. after a restart); waits for a running check up to MEDIA_WAIT."""
        if not self.options.media_checks or publish.media_checked:
            return True
        path = self.video_path(publish)
        if not self.media.pending(publish.publish_id):
            if not path.exists():
                # The bytes are gone (kept without store_upload_bytes in an earlier run).
                publish.media_checked, publish.media_fail_reason = True, "internal"
                return True
            self.media.submit(publish.publish_id, path, publish.max_duration_sec)
        try:
            verdict = self.media.result(publish.publish_id, MEDIA_WAIT)
        except TimeoutError:
            return False  # a big file: still processing, as on TikTok
        assert verdict is not None
        publish.media_checked = True
        publish.media_fail_reason = verdict.fail_reason
        publish.duration = verdict.duration
        publish.width, publish.height = verdict.width, verdict.height
        return True

    def upload_completed(self, publish: Publish) -> None:
        """The last chunk is in: TikTok's processing (the media check) starts."""
        if self.options.media_checks and self.options.store_upload_bytes:
            self.media.submit(publish.publish_id, self.video_path(publish),
                              publish.max_duration_sec)

    @staticmethod
    def new_post_id() -> int:
        return 7_000_000_000_000_000_000 + secrets.randbelow(10**18)  # 19 digits, in int64

    def settle_all(self) -> None:
        for publish in self.publishes.values():
            self.settle(publish)
        self.sweep()

    def finish(self, publish: Publish, fail_reason: str | None, at: float | None = None) -> None:
        finished = self.now() if at is None else at
        publish.finished_at = self.unique_time(publish, finished)
        if fail_reason:
            publish.status = "FAILED"
            publish.fail_reason = fail_reason
            publish.post_ids = []
            publish.moderation_due_at = None
        elif publish.mode == "inbox":
            publish.status = "SEND_TO_USER_INBOX"
            publish.draft = "pending"
        else:
            self.complete_post(publish, str(publish.post_info.get("privacy_level")), 1,
                               publish.finished_at)
        self.hashers.pop(publish.publish_id, None)
        self.save_publish(publish)  # with the final hash of what was received
        self.pipelines.pop(publish.publish_id, None)
        self.drop_bytes(publish)  # processing is over: nothing needs the bytes any more

    def unique_time(self, publish: Publish, at: float, posts: int = 1) -> float:
        """`at`, nudged so post times (video/list cursors, in ms) stay unique per creator: a
        publish with n posts takes n consecutive ms (api._ms)."""
        taken = {
            round(p.finished_at * 1000) + k
            for p in self.iter_publishes(publish.open_id)
            if p.finished_at is not None and p is not publish
            for k in range(max(1, p.post_count))
        }
        while any(round(at * 1000) + k in taken for k in range(posts)):
            at += 0.001
        return at

    def complete_post(self, publish: Publish, privacy_level: str, posts: int,
                      at: float) -> None:
        """PUBLISH_COMPLETE at `at`; a public post's IDs come after moderation (none for
        others)."""
        publish.status = "PUBLISH_COMPLETE"
        publish.post_ids = []
        if privacy_level == "PUBLIC_TO_EVERYONE":
            publish.post_count = posts
            publish.moderation_due_at = at + self.options.moderation_seconds
            self.settle(publish)  # a zero delay gives the IDs at once

    # --- what is kept on disk ------------------------------------------------------------------

    def drop_bytes(self, publish: Publish) -> None:
        """Delete the received file of a publish that no longer needs it."""
        if publish.publish_id in self.kept_bytes:
            self.kept_bytes.discard(publish.publish_id)
            try:
                self.video_path(publish).unlink(missing_ok=True)
            except OSError as error:  # e.g. still open elsewhere on Windows: next sweep
                log.debug("cannot delete %s yet: %s", self.video_path(publish).name, error)
                self.kept_bytes.add(publish.publish_id)

    def sweep(self) -> None:
        """Delete received files that no publish needs: uploads that can no longer complete
        (upload_url expired) and publishes whose processing is over."""
        with self.lock:
            now = self.now()
            for publish_id in list(self.kept_bytes):
                publish = self.publishes.get(publish_id)
                if publish is None:
                    self.kept_bytes.discard(publish_id)
                elif publish_id not in self.busy and (
                        publish.status != "PROCESSING_UPLOAD"
                        or (not publish.complete and now >= publish.upload_expires_at)):
                    self.drop_bytes(publish)

    def recent_publishes(self, open_id: str, mode: str, window: float = _DAY) -> list[Publish]:
        since = self.now() - window
        return [
            p
            for p in self.publishes.values()
            if p.open_id == open_id and p.mode == mode and p.created_at > since
        ]

    def direct_posts_today(self, open_id: str) -> int:
        """Direct posts of the creator in the last 24 h, across all apps (the cap is shared)."""
        return len(self.recent_publishes(open_id, "direct"))

    def pending_inbox_shares(self, open_id: str) -> int:
        """Inbox shares of the last 24 h not yet posted: neither failed nor finished by the
        creator (an expired draft was never posted, so it still counts)."""
        for publish in self.recent_publishes(open_id, "inbox"):
            self.settle(publish)
        return sum(1 for p in self.recent_publishes(open_id, "inbox")
                   if p.status not in ("FAILED", "PUBLISH_COMPLETE"))

    def active_users(self, client_key: str) -> set[str]:
        since = self.now() - _DAY
        return {
            p.open_id
            for p in self.publishes.values()
            if p.client_key == client_key and p.created_at > since
        }
