"""The sandbox's persisted state and the clock.

Layout under ``state_dir``:
- ``state.json``: apps, users, codes, grants and tokens (secrets only as SHA-256 keys), written
  atomically (temp file + ``os.replace``) after each change. It stays small: expired codes and
  dead tokens are pruned on every write.
- ``videos/<upload_id>.json``: one small file per publish, rewritten when that publish changes
  (once per chunk at most), so an upload never rewrites ``state.json``.
- ``videos/<upload_id>.bin``: the received bytes (only with ``store_upload_bytes``).

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


def _random_alnum(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _atomic_write_json(path: Path, payload: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


PROGRESS_SAVE_INTERVAL = 1.0  # seconds


class State:
    """All mutable sandbox data; see the module docstring for the on-disk layout."""

    def __init__(
        self, state_dir: Path, options: SandboxOptions, clock: Callable[[], float] | None
    ) -> None:
        self.dir = Path(state_dir)
        self.videos_dir = self.dir / "videos"
        self.videos_dir.mkdir(parents=True, exist_ok=True)
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
        self.default_client_key = ""
        self.unaudited_client_key = ""
        if (self.dir / "state.json").exists():
            self._load()
        else:
            self._seed()
            self.save()

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
            if not publish.complete:
                self._restore_hasher(publish)

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
        """Move a processed publish to its final status once processing_seconds have passed."""
        if publish.status != "PROCESSING_UPLOAD" or publish.upload_completed_at is None:
            return
        done_at = publish.upload_completed_at + self.options.processing_seconds
        if self.now() >= done_at:
            self.finish(publish, fail_reason=publish.forced_fail_reason, at=done_at)

    def settle_all(self) -> None:
        for publish in self.publishes.values():
            self.settle(publish)

    def finish(self, publish: Publish, fail_reason: str | None, at: float | None = None) -> None:
        finished = self.now() if at is None else at
        # Keep finish times (video/list cursors, in ms) unique per creator so paging is exact.
        taken = {
            round(p.finished_at * 1000)
            for p in self.iter_publishes(publish.open_id)
            if p.finished_at is not None and p is not publish
        }
        while round(finished * 1000) in taken:
            finished += 0.001
        publish.finished_at = finished
        if fail_reason:
            publish.status = "FAILED"
            publish.fail_reason = fail_reason
            publish.post_ids = []
        elif publish.mode == "inbox":
            publish.status = "SEND_TO_USER_INBOX"
        else:
            publish.status = "PUBLISH_COMPLETE"
            # Post IDs only for public posts (section 4.5); 19 digits, within int64.
            if publish.post_info.get("privacy_level") == "PUBLIC_TO_EVERYONE":
                publish.post_ids = [7_000_000_000_000_000_000 + secrets.randbelow(10**18)]
        self.hashers.pop(publish.publish_id, None)
        self.save_publish(publish)  # with the final hash of what was received
        self.pipelines.pop(publish.publish_id, None)

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
        """Inbox shares of the last 24 h that have not failed (none is ever posted by the user)."""
        for publish in self.recent_publishes(open_id, "inbox"):
            self.settle(publish)
        return sum(1 for p in self.recent_publishes(open_id, "inbox") if p.status != "FAILED")

    def active_users(self, client_key: str) -> set[str]:
        since = self.now() - _DAY
        return {
            p.open_id
            for p in self.publishes.values()
            if p.client_key == client_key and p.created_at > since
        }
