"""The test/control interface: SandboxControl in Python and the same operations over HTTP.

HTTP (JSON in, JSON out; never used by the client; errors are 400 ``{"error": ...}``). Every
request needs the run's control token in ``X-Sandbox-Token`` (``SandboxServer.control_token``,
printed by ``sandbox serve``, in the state folder's owner file), a Host header naming this
server (127.0.0.1:PORT or localhost:PORT), and a POST body of type application/json; else 403
(Host), 401 (token) or 415 (type) and nothing happens. Only the avatar and cover pictures and
the benchmark sink (``PUT /__sandbox__/sink``, which keeps nothing) are open.
    GET  /__sandbox__/ping               -> {"ok": true, "pid", "state_dir", "base_url"}
    GET  /__sandbox__/options            -> the SandboxOptions in force
    POST /__sandbox__/configure          {option: value, ...} (see SandboxControl.configure)
    POST /__sandbox__/finish_moderation  {"publish_id"}
    POST /__sandbox__/finish_draft       {"publish_id", "privacy_level"?, "posts"?}
    POST /__sandbox__/expire_draft       {"publish_id", "forget"?}
    POST /__sandbox__/approve            {"authorize_url", "open_id"?, "scopes"?}
                                         -> {"redirect_url"}
    POST /__sandbox__/deny               {"authorize_url"} -> {"redirect_url"}
    POST /__sandbox__/inject_fault       {"path_prefix", "kind", "count"?, ...params}
    POST /__sandbox__/clear_faults       {}
    POST /__sandbox__/expire_upload_url  {"publish_id"}
    POST /__sandbox__/set_fail_reason    {"publish_id": str | null, "reason"}
    POST /__sandbox__/expire_access_token {"access_token"?, "open_id"?}
    POST /__sandbox__/revoke_tokens      {"open_id"}
    POST /__sandbox__/set_creator        {"open_id", ...fields}
    POST /__sandbox__/add_user           {"username", "nickname"?, ...fields} -> user
    POST /__sandbox__/register_app       {"name", "redirect_uris", "audited"?, "scopes"?}
    POST /__sandbox__/advance            {"seconds"}
    POST /__sandbox__/clear_calls        {}
    GET  /__sandbox__/received?publish_id=...   -> Received as JSON
    GET  /__sandbox__/publishes[?open_id=...]   -> {"publishes": [...]}
    GET  /__sandbox__/calls                     -> {"calls": [...]}
    GET  /__sandbox__/info               -> base_url, apps (with secrets: it is a sandbox), users
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from . import oauth
from .models import (
    ALL_SCOPES,
    CANNOT_POST_CODES,
    FAIL_REASONS,
    PRIVACY_LEVELS,
    App,
    Call,
    Publish,
    PublishInfo,
    Received,
    User,
    options_problem,
    secret_hash,
)
from .rules import redirect_uri_registration_error
from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .server import SandboxServer

__all__ = ["SandboxControl", "control_routes"]

_BOOL_FIELDS = frozenset({"is_private", "comment_disabled", "duet_disabled", "stitch_disabled",
                          "is_verified"})
_INT_FIELDS = frozenset({"max_video_post_duration_sec", "follower_count", "following_count",
                         "likes_count"})
_STR_FIELDS = frozenset({"nickname", "username", "bio_description"})
# SandboxOptions that may change while the server runs (the others shape its start).
RUNTIME_OPTIONS = frozenset({
    "access_token_lifetime", "refresh_token_lifetime", "auth_code_lifetime",
    "upload_url_lifetime", "processing_seconds", "moderation_seconds", "media_checks",
    "rate_limits_enabled", "daily_post_cap", "pending_inbox_cap", "unaudited_user_cap",
    "progress_end", "upload_reply_body", "oauth_errors_http_200",
})
MAX_POSTS_PER_DRAFT = 20


def _info(publish: Publish) -> PublishInfo:
    return PublishInfo(
        publish_id=publish.publish_id,
        open_id=publish.open_id,
        client_key=publish.client_key,
        mode=publish.mode,
        status=publish.status,
        fail_reason=publish.fail_reason,
        post_info=dict(publish.post_info),
        video_size=publish.video_size,
        uploaded_bytes=publish.uploaded,
        sha256=publish.sha256,
        content_type=publish.content_type,
        post_ids=list(publish.post_ids),
        created_at=publish.created_at,
        upload_completed_at=publish.upload_completed_at,
        finished_at=publish.finished_at,
        moderation_due_at=publish.moderation_due_at,
        draft=publish.draft,
    )


class SandboxControl:
    """Drive and inspect the sandbox from tests (see SANDBOX_API.md)."""

    def __init__(self, server: SandboxServer) -> None:
        self._server = server
        self._state = server.state

    # --- consent ---------------------------------------------------------------------------

    def approve(self, authorize_url: str, open_id: str | None = None,
                scopes: Iterable[str] | None = None) -> str:
        """Play the user pressing Authorize; returns the redirect URL (code, scopes, state).

        Raises SandboxAuthorizeError for an invalid authorize request, ValueError for an
        unknown open_id or scopes the app did not request.
        """
        if open_id is not None and open_id not in self._state.users:
            raise ValueError(f"unknown open_id {open_id!r}")
        return oauth.approve_url(
            self._state, authorize_url, open_id, None if scopes is None else list(scopes)
        )

    def deny(self, authorize_url: str) -> str:
        """Play the user pressing Cancel; returns the redirect URL with error=access_denied."""
        return oauth.deny_url(self._state, authorize_url)

    # --- faults ------------------------------------------------------------------------------

    def inject_fault(self, path_prefix: str, kind: str, count: int = 1, **params: Any) -> None:
        """Arm a fault for the next `count` requests under path_prefix (see faults.Fault)."""
        self._server.faults.add(path_prefix, kind, count, params)

    def wait_fault_used(self, path_prefix: str, kind: str, timeout: float = 30.0) -> None:
        """Until a request has met the armed fault (see faults.Faults.wait_used)."""
        self._server.faults.wait_used(path_prefix, kind, timeout)

    def clear_faults(self) -> None:
        self._server.faults.clear()

    def expire_upload_url(self, publish_id: str) -> None:
        with self._state.lock:
            publish = self._publish(publish_id)
            publish.upload_expires_at = min(publish.upload_expires_at, self._state.now())
            self._state.save_publish(publish)

    def set_fail_reason(self, publish_id: str | None, reason: str) -> None:
        """Make a publish (None: the next init) end FAILED with `reason` after processing.

        A publish already in its final status switches to FAILED at once.
        """
        if reason not in FAIL_REASONS:
            raise ValueError(f"unknown fail_reason {reason!r}")
        with self._state.lock:
            if publish_id is None:
                self._state.next_fail_reason = reason
                self._state.save()
                return
            publish = self._publish(publish_id)
            self._state.settle(publish)
            publish.forced_fail_reason = reason
            if publish.status != "PROCESSING_UPLOAD":
                self._state.finish(publish, fail_reason=reason)
            self._state.save_publish(publish)

    # --- options, moderation, inbox drafts -----------------------------------------------------

    def configure(self, **options: Any) -> None:
        """Change SandboxOptions while running (RUNTIME_OPTIONS; all or none are applied).

        New token lifetimes apply to tokens issued from now on; a new moderation delay to posts
        completed from now on (finish_moderation ends a running one).
        """
        unknown = sorted(set(options) - RUNTIME_OPTIONS)
        if unknown:
            raise ValueError(f"unknown or fixed option(s): {', '.join(unknown)}; "
                             f"changeable: {', '.join(sorted(RUNTIME_OPTIONS))}")
        with self._state.lock:
            current = self._state.options
            merged = dict(vars(current), **options)
            problem = options_problem(merged)
            if problem is not None:
                raise ValueError(problem)
            for name, value in options.items():
                setattr(current, name, value)

    def options(self) -> dict[str, Any]:
        with self._state.lock:
            return dict(vars(self._state.options))

    def finish_moderation(self, publish_id: str) -> None:
        """End moderation of a completed public post now: its IDs appear."""
        with self._state.lock:
            publish = self._publish(publish_id)
            self._state.settle(publish)
            if publish.moderation_due_at is None:
                raise ValueError("the publish is not a public post waiting for moderation")
            publish.moderation_due_at = min(publish.moderation_due_at, self._state.now())
            self._state.settle(publish)

    def finish_draft(self, publish_id: str, privacy_level: str = "PUBLIC_TO_EVERYONE",
                     posts: int = 1) -> None:
        """Play the creator finishing an inbox draft in the TikTok app (`posts` posts from it):
        status/fetch then says PUBLISH_COMPLETE, and a public post gets its IDs after
        moderation, as a Direct Post does."""
        if isinstance(posts, bool) or not isinstance(posts, int) \
                or not 1 <= posts <= MAX_POSTS_PER_DRAFT:
            raise ValueError(f"posts must be 1 to {MAX_POSTS_PER_DRAFT}")
        with self._state.lock:
            publish = self._draft(publish_id)
            user = self._state.users[publish.open_id]
            if privacy_level not in user.effective_privacy_options():
                raise ValueError(f"privacy_level must be one of the creator's options: "
                                 f"{', '.join(user.effective_privacy_options())}")
            publish.draft = "finished"
            publish.post_info = {"privacy_level": privacy_level}
            publish.finished_at = self._state.unique_time(publish, self._state.now(), posts)
            self._state.complete_post(publish, privacy_level, posts, publish.finished_at)
            self._state.save_publish(publish)

    def expire_draft(self, publish_id: str, forget: bool = False) -> None:
        """Play an inbox draft expiring unfinished. TikTok documents no status for this, so
        status/fetch keeps saying SEND_TO_USER_INBOX; with `forget`, TikTok no longer knows
        the publish_id (status/fetch: invalid_publish_id)."""
        if not isinstance(forget, bool):
            raise ValueError("forget must be true or false")
        with self._state.lock:
            publish = self._draft(publish_id)
            publish.draft = "expired"
            publish.forgotten = forget
            self._state.save_publish(publish)

    def _draft(self, publish_id: str) -> Publish:
        publish = self._publish(publish_id)
        self._state.settle(publish)
        if publish.mode != "inbox":
            raise ValueError("not an inbox share")
        if publish.status != "SEND_TO_USER_INBOX" or publish.draft != "pending":
            raise ValueError(f"the draft is not waiting in the inbox (status {publish.status}"
                             f"{', draft ' + publish.draft if publish.draft else ''})")
        return publish

    # --- tokens and creators -------------------------------------------------------------------

    def expire_access_token(self, access_token: str | None = None,
                            open_id: str | None = None) -> None:
        """Expire one access token, or all of a user's; refresh tokens keep working."""
        if access_token is None and open_id is None:
            raise ValueError("give access_token or open_id")
        state = self._state
        with state.lock:
            now = state.now()
            if access_token is not None:
                record = state.access_tokens.get(secret_hash(access_token))
                if record is None:
                    raise ValueError("unknown access token")
                record.expires_at = min(record.expires_at, now)
            if open_id is not None:
                grants = {g.grant_id for g in state.grants.values() if g.open_id == open_id}
                for record in state.access_tokens.values():
                    if record.grant_id in grants:
                        record.expires_at = min(record.expires_at, now)
            state.save()

    def revoke_tokens(self, open_id: str) -> None:
        """All tokens of the user die (like the user removing the app: auth_removed)."""
        state = self._state
        with state.lock:
            if open_id not in state.users:
                raise ValueError(f"unknown open_id {open_id!r}")
            for grant in state.grants.values():
                if grant.open_id == open_id and not grant.revoked:
                    state.revoke_grant(grant)
            state.save()

    def set_creator(self, open_id: str, **fields: Any) -> None:
        """Change a creator's settings (privacy, interaction flags, max duration, can_post...)."""
        state = self._state
        with state.lock:
            user = state.users.get(open_id)
            if user is None:
                raise ValueError(f"unknown open_id {open_id!r}")
            for name, value in fields.items():
                self._check_creator_field(name, value)
            for name, value in fields.items():
                setattr(user, name, list(value) if isinstance(value, list) else value)
            state.save()

    @staticmethod
    def _check_creator_field(name: str, value: Any) -> None:
        if name in _BOOL_FIELDS:
            ok = isinstance(value, bool)
        elif name in _INT_FIELDS:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        elif name in _STR_FIELDS:
            ok = isinstance(value, str) and bool(value)
        elif name == "can_post":
            ok = value is None or value in CANNOT_POST_CODES
        elif name == "privacy_level_options":
            ok = value is None or (
                isinstance(value, list) and all(v in PRIVACY_LEVELS for v in value)
            )
        else:
            raise ValueError(f"unknown creator field {name!r}")
        if not ok:
            raise ValueError(f"invalid value for creator field {name!r}: {value!r}")

    def add_user(self, username: str, nickname: str | None = None, **fields: Any) -> User:
        """Create another sandbox user (fields as for set_creator)."""
        state = self._state
        for name, value in fields.items():
            self._check_creator_field(name, value)
        with state.lock:
            if state.user_by_username(username) is not None:
                raise ValueError(f"username {username!r} is taken")
            user = User(open_id=state.new_open_id(), union_id=state.new_open_id(),
                        username=username, nickname=nickname or username, **fields)
            user.avatar_url = self._server.avatar_url(user)
            state.users[user.open_id] = user
            state.save()
        return user

    def register_app(self, name: str, redirect_uris: list[str], audited: bool = True,
                     scopes: list[str] | None = None) -> App:
        """Register another app (redirect URI rules of section 1 are enforced)."""
        error = redirect_uri_registration_error(redirect_uris)
        if error is not None:
            raise ValueError(error)
        if scopes is not None and not set(scopes) <= set(ALL_SCOPES):
            raise ValueError("unknown scope")
        with self._state.lock:
            app = self._state.new_app(name, list(redirect_uris), audited, scopes)
            self._state.save()
        return app

    # --- reading back ------------------------------------------------------------------------

    def received(self, publish_id: str) -> Received:
        state = self._state
        with state.lock:
            publish = self._publish(publish_id)
            state.sync_hash(publish)  # the hash may lag the bytes by a few MiB
            path = state.video_path(publish)
            return Received(
                publish_id=publish_id,
                size=publish.uploaded,
                sha256=publish.sha256,
                path=path if state.options.store_upload_bytes and path.exists() else None,
                complete=publish.complete,
            )

    def publishes(self, open_id: str | None = None) -> list[PublishInfo]:
        with self._state.lock:
            self._state.settle_all()
            self._state.sync_hashes()
            infos = [_info(p) for p in self._state.iter_publishes(open_id)]
        return sorted(infos, key=lambda p: (p.created_at, p.publish_id))

    def calls(self) -> list[Call]:
        return self._server.calls.snapshot()

    def clear_calls(self) -> None:
        self._server.calls.clear()

    def wait_for_calls(self, count: int, timeout: float = 10.0) -> list[Call]:
        """Block until the call log holds at least `count` calls (handled, incl. dropped ones)."""
        return self._server.calls.wait_for(lambda calls: len(calls) >= count, timeout)

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (only when no clock was injected)."""
        if self._state.clock_injected:
            raise RuntimeError("the server was given a clock: advance that clock instead")
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._state.lock:
            self._state.clock_offset += seconds

    def _publish(self, publish_id: str) -> Publish:
        publish = self._state.publishes.get(publish_id)
        if publish is None:
            raise ValueError(f"unknown publish_id {publish_id!r}")
        return publish


# --- HTTP ---------------------------------------------------------------------------------

Route = Callable[[Request], Response]


def _body(request: Request) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    value = json.loads(request.body.decode("utf-8"))
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _ok(payload: Any = None) -> Response:
    return json_response(200, {} if payload is None else payload)


def control_routes(control: SandboxControl, info: Callable[[], dict[str, Any]],
                   ping: Callable[[], dict[str, Any]]) -> dict[tuple[str, str], Route]:
    def post(fn: Callable[[dict[str, Any]], Any]) -> Route:
        def route(request: Request) -> Response:
            return _ok(fn(_body(request)))

        return route

    def approve(b: dict[str, Any]) -> Any:
        return {"redirect_url": control.approve(b["authorize_url"], b.get("open_id"),
                                                b.get("scopes"))}

    def inject(b: dict[str, Any]) -> None:
        params = {k: v for k, v in b.items() if k not in ("path_prefix", "kind", "count")}
        control.inject_fault(b["path_prefix"], b["kind"], int(b.get("count", 1)), **params)

    def creator(b: dict[str, Any]) -> None:
        fields = dict(b)
        control.set_creator(fields.pop("open_id"), **fields)

    def add_user(b: dict[str, Any]) -> Any:
        fields = dict(b)
        user = control.add_user(fields.pop("username"), fields.pop("nickname", None), **fields)
        return dict(user.to_json(), avatar_url=user.avatar_url)

    def register(b: dict[str, Any]) -> Any:
        app = control.register_app(b["name"], list(b["redirect_uris"]),
                                   bool(b.get("audited", True)), b.get("scopes"))
        return app.to_json()

    def draft_done(b: dict[str, Any]) -> None:
        control.finish_draft(b["publish_id"], b.get("privacy_level", "PUBLIC_TO_EVERYONE"),
                             b.get("posts", 1))

    def received(request: Request) -> Response:
        got = control.received(request.single("publish_id") or "")
        return _ok({"publish_id": got.publish_id, "size": got.size, "sha256": got.sha256,
                    "path": None if got.path is None else str(got.path),
                    "complete": got.complete})

    def publishes(request: Request) -> Response:
        infos = control.publishes(request.single("open_id"))
        return _ok({"publishes": [p.to_json() for p in infos]})

    return {
        ("POST", "/__sandbox__/approve"): post(approve),
        ("POST", "/__sandbox__/deny"): post(
            lambda b: {"redirect_url": control.deny(b["authorize_url"])}),
        ("POST", "/__sandbox__/inject_fault"): post(inject),
        ("POST", "/__sandbox__/clear_faults"): post(lambda b: control.clear_faults()),
        ("POST", "/__sandbox__/expire_upload_url"): post(
            lambda b: control.expire_upload_url(b["publish_id"])),
        ("POST", "/__sandbox__/set_fail_reason"): post(
            lambda b: control.set_fail_reason(b.get("publish_id"), b["reason"])),
        ("POST", "/__sandbox__/expire_access_token"): post(
            lambda b: control.expire_access_token(b.get("access_token"), b.get("open_id"))),
        ("POST", "/__sandbox__/revoke_tokens"): post(
            lambda b: control.revoke_tokens(b["open_id"])),
        ("POST", "/__sandbox__/set_creator"): post(creator),
        ("POST", "/__sandbox__/register_app"): post(register),
        ("POST", "/__sandbox__/add_user"): post(add_user),
        ("POST", "/__sandbox__/advance"): post(lambda b: control.advance(float(b["seconds"]))),
        ("POST", "/__sandbox__/clear_calls"): post(lambda b: control.clear_calls()),
        ("GET", "/__sandbox__/received"): received,
        ("GET", "/__sandbox__/publishes"): publishes,
        ("GET", "/__sandbox__/calls"): lambda r: _ok(
            {"calls": [c.to_json() for c in control.calls()]}),
        ("GET", "/__sandbox__/info"): lambda r: _ok(info()),
        ("GET", "/__sandbox__/ping"): lambda r: _ok(ping()),
        ("GET", "/__sandbox__/options"): lambda r: _ok(control.options()),
        ("POST", "/__sandbox__/configure"): post(lambda b: control.configure(**b)),
        ("POST", "/__sandbox__/finish_moderation"): post(
            lambda b: control.finish_moderation(b["publish_id"])),
        ("POST", "/__sandbox__/finish_draft"): post(draft_done),
        ("POST", "/__sandbox__/expire_draft"): post(
            lambda b: control.expire_draft(b["publish_id"], b.get("forget", False))),
    }
