"""When the engine refreshes an account ahead of need (TokenSource.refresh_due_at): before a
due post the token would not outlive, and to renew a sign-in near its end, at most daily."""

from __future__ import annotations

from typing import Any

from tests.helpers.clock import FakeClock
from tiktok_desktop.credentials import REFRESH_MARGIN, SIGN_IN_RENEW, TokenSource
from tiktok_desktop.store import Account, AccountStatus

T = 1_800_000_000
DAY = 86400


def account(**changes: Any) -> Account:
    values: dict[str, Any] = dict(
        id=1, open_id="o", display_name="Mia", username="mia", avatar_url="",
        granted_scopes=frozenset(), access_expires_at=T + 7200,
        refresh_expires_at=T + 180 * DAY, status=AccountStatus.CONNECTED, creator_info=None,
        creator_info_at=None, created_at=T, updated_at=T)
    values.update(changes)
    return Account(**values)


def plan() -> TokenSource:
    # refresh_due_at reads nothing but the account it is given.
    return TokenSource(None, None, None, None, clock=FakeClock(T))  # type: ignore[arg-type]


def test_a_refresh_is_planned_before_a_post_the_token_would_not_outlive() -> None:
    tokens = plan()
    fresh = account()
    assert tokens.refresh_due_at(fresh, T + 3600, 120) == T + 180 * DAY - SIGN_IN_RENEW
    due = T + 7200 - REFRESH_MARGIN
    assert tokens.refresh_due_at(fresh, due, 120) == due - 120
    assert tokens.refresh_due_at(fresh, T + 3 * 3600, 120) == T + 3 * 3600 - 120
    assert tokens.refresh_due_at(account(status=AccountStatus.NEEDS_RECONNECT), T, 120) is None
    assert tokens.refresh_due_at(account(access_expires_at=None), T, 120) is None


def test_a_sign_in_near_its_end_is_renewed_at_most_once_a_day() -> None:
    tokens = plan()
    ending = account(refresh_expires_at=T + 3 * DAY)
    assert tokens.refresh_due_at(ending, None, 120) == T + 7200 + DAY
    # A TikTok that does not extend the sign-in on refresh: the next renewal waits a day.
    renewed = account(refresh_expires_at=T + 3 * DAY, access_expires_at=T + DAY + 7200)
    assert tokens.refresh_due_at(renewed, None, 120) == T + 2 * DAY + 7200
