"""The composition root: which TikTok a run talks to, and one owner per sandbox state folder
(the window, 'sandbox serve' and every CLI command share the sandbox profile's state)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.browser import play_consent
from tests.helpers.system import quiet_system
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import (
    SANDBOX_TOKEN_ENV,
    ModeKind,
    StartupError,
    build,
    decide_mode,
    vault_service,
)
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.localzone import LocalZone


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


def test_two_data_folders_keep_their_keyring_entries_apart(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A second copy (TIKTOK_DESKTOP_HOME, as the README offers) signs in and out on its own:
    its disconnect must not delete the first copy's tokens, nor its resume links."""
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "first"))
    first = build(decide_mode(paths.resolve()))
    graphs = [first]
    try:
        assert first.sandbox_server is not None  # both copies sign in to the same TikTok
        monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "second"))
        monkeypatch.setenv(SANDBOX_TOKEN_ENV, first.sandbox_server.control_token)
        second = build(decide_mode(paths.resolve(), sandbox_url=first.sandbox_server.base_url))
        graphs.append(second)
        assert first.vault.service != second.vault.service
        assert first.app_vault.service != second.app_vault.service
        assert first.vault.service.startswith("tiktok-desktop-sandbox@")
        for graph in graphs:
            attempt = graph.accounts.start_connect()
            play_consent(attempt.authorize_url)
            graph.accounts.finish_connect(attempt)
        account = first.accounts.list_accounts()[0]
        assert second.accounts.list_accounts()[0].open_id == account.open_id  # one user
        second.accounts.disconnect(second.accounts.list_accounts()[0].id)
        assert second.accounts.tokens.stored(account.open_id) is None
        assert first.accounts.tokens.stored(account.open_id) is not None  # still signed in
        first.accounts.refresh_info(account.id)  # and its sign-in still works at TikTok
    finally:
        for graph in graphs:
            graph.close()


def test_the_usual_data_folder_keeps_its_keyring_names(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """Without TIKTOK_DESKTOP_HOME the names stay as they always were: nobody signs in again
    after an update."""
    monkeypatch.delenv(paths.HOME_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    base = paths.resolve()
    assert base.namespace == ""
    assert vault_service(base, sandbox=True) == "tiktok-desktop-sandbox"
    assert vault_service(base, sandbox=False) == "tiktok-desktop"


def test_credentials_from_a_dotenv_file_are_said_and_logged(
        caplog: pytest.LogCaptureFixture) -> None:
    """A .env in the folder the app starts from switches to another TikTok app: the app says
    so (status bar, 'note:' on the command line) and logs it, instead of switching silently."""
    Path(".env").write_text("TIKTOK_CLIENT_KEY=awdotenvkey\nTIKTOK_CLIENT_SECRET=s3cr3t-value\n")
    mode = decide_mode(paths.resolve())
    assert mode.kind is ModeKind.TIKTOK
    graph = build(mode, system=quiet_system())
    try:
        note = next(n for n in graph.notes if n.startswith("Using the TikTok app"))
        assert f"the .env file in {Path.cwd()}" in note and "awdotenvkey" in note
        assert "s3cr3t-value" not in note
        assert any(note in r.getMessage() for r in caplog.records)
    finally:
        graph.close()


def test_a_time_zone_that_cannot_be_told_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = LocalZone("UTC", "fallback", problem="This computer's time zone could not be "
                        "told; times are shown in UTC. Pick your city in Settings.")
    monkeypatch.setattr("tiktok_desktop.bootstrap.local_zone", lambda: unknown)
    graph = build(decide_mode(paths.resolve()), system=quiet_system())
    try:
        assert unknown.problem in graph.problems  # a dialog at start, 'warning:' in the CLI
    finally:
        graph.close()
