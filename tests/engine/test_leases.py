"""Leases: who may take a post over, and one token refresh at a time across processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable

from tests.engine.conftest import calls_to
from tests.helpers.clock import FakeClock
from tiktok_desktop.bootstrap import Runtime, token_source
from tiktok_desktop.credentials import REFRESH_MARGIN
from tiktok_desktop.sandbox import SandboxServer
from tiktok_desktop.services.accounts import AccountsService
from tiktok_desktop.store import Account, AccountsRepo, AccountStatus, Database, LeaseRepo
from tiktok_desktop.store.leases import new_owner, owner_is_dead, retire

TOKEN = "/v2/oauth/token/"


def test_only_a_provably_dead_owner_counts_as_dead() -> None:
    mine = new_owner()
    assert not owner_is_dead(mine)
    retire(mine)
    assert owner_is_dead(mine)  # a stopped engine of this process
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    gone_pid = int(finished.stdout)
    host = socket.gethostname()
    if os.name == "posix":
        assert owner_is_dead(f"{host}:{gone_pid}:abcd")
    assert not owner_is_dead(f"{host}:1:abcd")  # pid 1 runs (and is not ours to signal)
    assert not owner_is_dead(f"elsewhere.example:{gone_pid}:abcd")  # another machine: wait
    assert not owner_is_dead("garbage")


def test_named_lease_is_exclusive_until_released_or_expired(
    db: Database, clock: FakeClock,
) -> None:
    leases = LeaseRepo(db)
    until = int(clock.now) + 60
    assert leases.acquire("refresh:1", "a", until)
    assert leases.acquire("refresh:1", "a", until + 60)  # renew
    assert not leases.acquire("refresh:1", "b", until)
    leases.release("refresh:1", "b")  # not b's to release
    assert not leases.acquire("refresh:1", "b", until)
    clock.now = until + 61
    assert leases.acquire("refresh:1", "b", until + 200)  # a's lease ran out
    leases.release("refresh:1", "b")
    assert leases.acquire("refresh:1", "a", until + 200)


def test_a_refresh_running_elsewhere_is_awaited_and_its_token_used(
    connect: Callable[..., Account], accounts: AccountsService, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    """The GUI and ``tiktok-desktop run`` share an account: rotating refresh tokens allow one
    refresh, so the second copy must wait for the first and use its result."""
    account = connect()
    assert account.access_expires_at is not None
    clock.now = float(account.access_expires_at - REFRESH_MARGIN + 1)
    leases = LeaseRepo(db)
    assert leases.acquire(f"refresh:{account.id}", "other-copy", int(clock.now) + 120)
    sandbox.control.clear_calls()
    runtime = Runtime(clock=clock)
    other = token_source(db, accounts.tokens.vault, accounts.oauth, runtime,
                         owner="other-copy")

    def sleeper(seconds: float) -> None:
        # Meanwhile the other copy finishes its refresh (under its lease) and lets go.
        other.refresh(account.id)
        leases.release(f"refresh:{account.id}", "other-copy")
        clock.advance(seconds)

    mine = token_source(db, accounts.tokens.vault, accounts.oauth, runtime,
                        owner="this-copy", sleeper=sleeper)
    token = mine.token(account.id)
    stored = accounts.tokens.stored(account.open_id)
    assert stored is not None and token == stored.access_token
    assert len(calls_to(sandbox, TOKEN)) == 1  # only the other copy refreshed


def test_two_refreshes_in_one_process_rotate_once(
    connect: Callable[..., Account], accounts: AccountsService, db: Database,
    sandbox: SandboxServer, clock: FakeClock,
) -> None:
    """The window's token source and the engine's (two owners, one process) both find the
    token expiring: the second uses the first one's refresh instead of spending the rotated
    refresh token again (which TikTok would refuse with invalid_grant)."""
    account = connect()
    assert account.access_expires_at is not None
    clock.now = float(account.access_expires_at - REFRESH_MARGIN + 1)
    runtime = Runtime(clock=clock)
    engine_side = token_source(db, accounts.tokens.vault, accounts.oauth, runtime)
    sandbox.control.clear_calls()
    first = accounts.access_token(account.id)
    second = engine_side.token(account.id)
    assert first == second
    assert len(calls_to(sandbox, TOKEN)) == 1
    assert AccountsRepo(db).get(account.id).status is AccountStatus.CONNECTED  # type: ignore[union-attr]
