"""The composition root: which TikTok a run talks to, and one owner per sandbox state folder
(the window, 'sandbox serve' and every CLI command share the sandbox profile's state)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.browser import play_consent
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import (
    SANDBOX_TOKEN_ENV,
    ModeKind,
    StartupError,
    build,
    decide_mode,
)
from tiktok_desktop.sandbox import SandboxServer


def _profile_state() -> Path:
    return paths.resolve().for_profile(paths.SANDBOX_PROFILE).sandbox_state_dir


def test_without_credentials_the_app_starts_its_own_sandbox() -> None:
    mode = decide_mode(paths.resolve())
    assert mode.kind is ModeKind.SANDBOX and mode.sandbox
    graph = build(mode)
    try:
        assert graph.sandbox_server is not None
        assert graph.where.startswith("the built-in sandbox at http://127.0.0.1:")
        assert graph.share_base == graph.sandbox_server.base_url
    finally:
        graph.close()


def test_a_sandbox_already_running_on_the_profile_is_used_not_started_twice() -> None:
    """'sandbox serve' (or the window) owns the state: a command talks to it instead of
    loading the same state into a second server that would undo its token rotations."""
    state = _profile_state()
    state.parent.mkdir(parents=True, exist_ok=True)
    with SandboxServer(state) as running:
        graph = build(decide_mode(paths.resolve()))
        try:
            assert graph.sandbox_server is None
            assert graph.share_base == running.base_url
            assert graph.credentials_in_use.client_key == running.app.client_key
            # The whole sign-in works through the running one.
            attempt = graph.accounts.start_connect()
            play_consent(attempt.authorize_url)
            graph.accounts.finish_connect(attempt)
        finally:
            graph.close()
        token_calls = [c for c in running.control.calls() if c.path == "/v2/oauth/token/"]
        assert token_calls  # the sign-in reached the running server


def test_an_external_sandbox_needs_its_control_token(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    with SandboxServer(tmp_path / "elsewhere") as running:
        mode = decide_mode(paths.resolve(), sandbox_url=running.base_url)
        assert mode.kind is ModeKind.EXTERNAL_SANDBOX
        monkeypatch.delenv(SANDBOX_TOKEN_ENV, raising=False)
        with pytest.raises(StartupError, match=SANDBOX_TOKEN_ENV):
            build(mode)
        monkeypatch.setenv(SANDBOX_TOKEN_ENV, running.control_token)
        graph = build(mode)
        try:
            assert graph.credentials_in_use.client_key == running.app.client_key
            assert graph.where == f"the sandbox at {running.base_url}"
        finally:
            graph.close()


def test_a_busy_state_folder_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The owner holds the lock but does not answer (hung, or just starting): say so."""
    state = _profile_state()
    state.parent.mkdir(parents=True, exist_ok=True)
    with SandboxServer(state):
        monkeypatch.setattr("tiktok_desktop.bootstrap.find_owner", lambda _state: None)
        with pytest.raises(StartupError, match=r"is in use by the sandbox at http://127\.0\.0\.1"):
            build(decide_mode(paths.resolve()))
