"""What the CLI tests share: a sandbox account connected through the consent page."""

from __future__ import annotations

import pytest

from tests.helpers.browser import play_consent
from tiktok_desktop.bootstrap import AppGraph
from tiktok_desktop.store import Account


@pytest.fixture
def account(graph: AppGraph) -> Account:
    """sandbox_creator (public account) connected through the consent page."""
    attempt = graph.accounts.start_connect()
    play_consent(attempt.authorize_url)
    return graph.accounts.finish_connect(attempt).account
