"""TikTok's caps, visible before TikTok refuses (issue 15): the rolling 24-hour post count and
the pending inbox drafts per account, counted from what the engine really sent, match what
TikTok (the sandbox) counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.engine.conftest import follow_until
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import reread
from tiktok_desktop.engine import Engine
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.standing import DAY, Standing
from tiktok_desktop.store import (
    Account,
    AccountsRepo,
    ClientStatusRepo,
    Database,
    Post,
    PostMode,
    PostsRepo,
    PostState,
)


def tiktoks_counts(sandbox: SandboxServer, account: Account, now: float) -> tuple[int, int]:
    recent = [p for p in sandbox.control.publishes(account.open_id) if p.created_at > now - DAY]
    direct = sum(p.mode == "direct" for p in recent)
    pending = sum(p.mode == "inbox" and p.status not in ("FAILED", "PUBLISH_COMPLETE")
                  for p in recent)
    return direct, pending


def test_the_counts_follow_what_was_sent_and_match_tiktoks(
    make_engine: Callable[..., Engine], connect: Callable[..., Account],
    schedule: Callable[..., Post], video: Path, posts: PostsRepo, sandbox: SandboxServer,
    clock: FakeClock, db: Database,
) -> None:
    account = connect()
    standing = Standing(posts, AccountsRepo(db), ClientStatusRepo(db), sandbox.app.client_key,
                        clock=clock, zone_name="UTC")
    direct = [schedule(account, video, caption=f"d{i}") for i in range(3)]
    drafts = [schedule(account, video, caption=f"i{i}", mode=PostMode.INBOX, privacy=None)
              for i in range(2)]
    later = schedule(account, video, caption="later", due_in=6 * 3600)
    # Not sent yet, but due: they count already (the composer warns before TikTok refuses).
    before = standing.caps(account.id)
    assert (before.posts, before.drafts) == (3, 2)
    assert standing.caps(account.id, at=int(clock.now) + 7 * 3600).posts == 4
    engine = make_engine()
    engine.run_once()
    assert all(0 <= clock.now - (reread(posts, p).sent_at or 0) < 60 for p in direct + drafts)
    caps = standing.caps(account.id)
    assert (caps.posts, caps.drafts) == (3, 2) == tiktoks_counts(sandbox, account, clock.now)
    assert standing.caps_text(caps) == (
        "Last 24 hours: 3 of about 15 posts, 2 of 5 inbox drafts waiting")
    # The creator posts one draft in TikTok: it no longer waits.
    sandbox.control.finish_draft(reread(posts, drafts[0]).publish_id or "")
    follow_until(engine, clock, lambda: reread(posts, drafts[0]).state is not PostState.IN_INBOX)
    caps = standing.caps(account.id)
    assert caps.drafts == 1 == tiktoks_counts(sandbox, account, clock.now)[1]
    # A day later the window has moved past them; the later post went out meanwhile.
    clock.now = float(later.due_at or 0)
    engine.run_once()
    clock.advance(DAY - 3600)
    caps = standing.caps(account.id)
    assert (caps.posts, caps.drafts) == (1, 0) == tiktoks_counts(sandbox, account, clock.now)
    assert "This account has 1 other post in the 24 hours up to this one" in \
        standing.composer_text(account.id, PostMode.DIRECT, int(clock.now))
