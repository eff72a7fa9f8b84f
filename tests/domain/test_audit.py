"""domain.audit: what new posts start from while TikTok treats the TikTok app as unaudited,
and the one sentence that says why, with the remedy."""

from __future__ import annotations

import datetime as dt

from tiktok_desktop.domain import audit
from tiktok_desktop.store import PostMode

PRIVATE = ("FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
PUBLIC = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY")
BOTH = frozenset({"video.publish", "video.upload"})


def one_sentence(text: str) -> bool:
    return text.endswith(".") and text.count(". ") == 0


def test_a_private_account_starts_as_only_me_posted_directly() -> None:
    advice = audit.advice(PRIVATE, BOTH)
    assert (advice.mode, advice.privacy) == (PostMode.DIRECT, "SELF_ONLY")
    assert one_sentence(advice.sentence)
    assert "not audited" in advice.sentence and "developers.tiktok.com" in advice.sentence


def test_a_public_account_starts_in_the_inbox() -> None:
    advice = audit.advice(PUBLIC, BOTH)
    assert (advice.mode, advice.privacy) == (PostMode.INBOX, None)
    assert one_sentence(advice.sentence)
    assert "make the account private" in advice.sentence


def test_without_the_inbox_permission_a_public_account_is_told_to_go_private() -> None:
    advice = audit.advice(PUBLIC, frozenset({"video.publish"}))
    assert advice.mode is PostMode.DIRECT and advice.privacy is None
    assert "make this account private" in advice.sentence
    assert audit.is_private(PUBLIC) is False and audit.is_private(PRIVATE) is True
    assert audit.is_private(None) is None and audit.is_private(()) is None
    # Not knowing yet (creator info still loading): assume what can work, "Only me".
    assert audit.advice(None, BOTH).privacy == "SELF_ONLY"


def test_the_refusal_and_the_notes_say_what_to_do() -> None:
    assert "make the account private" in audit.refusal(False)
    assert "make the account private" not in audit.refusal(True)
    assert "“Only me”" in audit.account_note(True)
    assert "TikTok inbox" in audit.account_note(False)
    notice = audit.settings_notice(1_800_000_000, dt.UTC)
    assert notice.startswith("TikTok said on 15 Jan 2027 that this TikTok app is not audited")
    assert "clears this note" in notice
