"""A TikTok app TikTok has not audited (issue 15): TikTok refuses its public posts; the app
remembers that for the client key, and forgets it once TikTok accepts a post only an audited
app may make."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.engine.conftest import Recorder, calls_to, make_accounts
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import INIT, reread
from tiktok_desktop.domain import audit
from tiktok_desktop.engine import Engine, NoticeKind
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import (
    Account,
    ClientStatusRepo,
    Database,
    Post,
    PostsRepo,
    PostState,
)


@pytest.fixture
def accounts(db: Database, sandbox: SandboxServer, http: httpx.Client,
             clock: FakeClock) -> AccountsService:
    """The engine and the accounts use the sandbox's unaudited app."""
    return make_accounts(db, sandbox, http, clock, app=sandbox.unaudited_app)


def test_a_refusal_as_unaudited_is_remembered_and_explained(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, db: Database, recorder: Recorder,
) -> None:
    account = connect("sandbox_creator")  # a public account
    post = schedule(account, video, privacy="PUBLIC_TO_EVERYONE")
    clients = ClientStatusRepo(db)
    assert clients.unaudited_since(sandbox.unaudited_app.client_key) is None
    make_engine().run_once()
    failed = reread(posts, post)
    assert failed.state is PostState.FAILED
    assert failed.last_error_code == "unaudited_client_can_only_post_to_private_accounts"
    assert failed.last_error_message == audit.refusal(False)
    assert "make the account private and choose “Only me”" in failed.last_error_message
    assert clients.unaudited_since(sandbox.unaudited_app.client_key) == int(clock.now)
    assert recorder.kinds(post.id) == [NoticeKind.FAILED]
    assert len(calls_to(sandbox, INIT)) == 1


def test_what_an_unaudited_app_can_post_goes_out(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    db: Database, clock: FakeClock,
) -> None:
    """The defaults the app picks for an unaudited app (private account + Only me, or the
    inbox for a public account) are what TikTok takes."""
    ClientStatusRepo(db).set_unaudited(sandbox.unaudited_app.client_key, int(clock.now))
    private = connect("sandbox_private")
    public = connect("sandbox_creator")
    assert private.is_private is True and public.is_private is False
    advice_private = audit.advice((private.creator_info or {})["privacy_level_options"],
                                  private.granted_scopes)
    advice_public = audit.advice((public.creator_info or {})["privacy_level_options"],
                                 public.granted_scopes)
    only_me = schedule(private, video, privacy=advice_private.privacy, mode=advice_private.mode)
    inbox = schedule(public, video, privacy=advice_public.privacy, mode=advice_public.mode)
    make_engine().run_once()
    assert reread(posts, only_me).state is PostState.PUBLISHED  # "Only me": no ID to wait for
    assert reread(posts, inbox).state is PostState.IN_INBOX
    # Still unaudited: nothing it posted proves otherwise.
    assert ClientStatusRepo(db).unaudited_since(sandbox.unaudited_app.client_key) is not None
