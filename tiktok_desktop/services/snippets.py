"""Caption templates and hashtag sets per account, and how they go into a caption.

A template is a caption to start from (inserted where the cursor is); a hashtag set is a group
of #tags added to a caption (those it has already are not added twice). Both are plain text
the user edits afterwards (UX-04: preset text stays editable). Qt-free: the composer and the
bulk table use the same insert functions.
"""

from __future__ import annotations

import re

from tiktok_desktop.domain.compose import MAX_CAPTION_UNITS, caption_control_problem, caption_units
from tiktok_desktop.domain.words import count
from tiktok_desktop.store import AccountsRepo, StoreError
from tiktok_desktop.store.snippets import Snippet, SnippetKind, SnippetsRepo

__all__ = ["SnippetError", "SnippetsService", "add_hashtags", "insert_snippet", "insert_template",
           "normalise_hashtags"]

MAX_NAME = 80
_TAG = re.compile(r"#[\w.]+", re.UNICODE)


class SnippetError(StoreError):
    """A template or hashtag set that cannot be saved as given; the message says why."""


def normalise_hashtags(text: str) -> str:
    """'fyp, #travel  tips' -> '#fyp #travel #tips' (each word a tag, once, in order)."""
    words = [w.strip("#,;") for w in re.split(r"[\s,;]+", text) if w.strip("#,;")]
    seen: dict[str, str] = {}
    for w in words:
        seen.setdefault(w.lower(), f"#{w}")
    return " ".join(seen.values())


def insert_template(caption: str, cursor: int, template: str) -> tuple[str, int]:
    """The template put in at the cursor (separated by a space from words around it);
    returns the caption and the cursor after the inserted text."""
    cursor = max(0, min(cursor, len(caption)))
    before, after = caption[:cursor], caption[cursor:]
    if before and not before[-1].isspace():
        template = " " + template
    if after and not after[0].isspace() and template and not template[-1].isspace():
        template += " "
    return before + template + after, len(before) + len(template)


def add_hashtags(caption: str, tags: str) -> str:
    """The caption with the set's tags it does not have yet added at the end."""
    have = {t.lower() for t in _TAG.findall(caption)}
    new = [t for t in normalise_hashtags(tags).split() if t.lower() not in have]
    if not new:
        return caption
    sep = "" if not caption or caption[-1].isspace() else " "
    return caption + sep + " ".join(new)


def insert_snippet(caption: str, cursor: int, snippet: Snippet) -> tuple[str, int]:
    """A template at the cursor, or a hashtag set at the end; (caption, cursor after)."""
    if snippet.kind is SnippetKind.TEMPLATE:
        return insert_template(caption, cursor, snippet.text)
    result = add_hashtags(caption, snippet.text)
    return result, len(result)


class SnippetsService:
    def __init__(self, repo: SnippetsRepo, accounts: AccountsRepo) -> None:
        self.repo = repo
        self.accounts = accounts

    def for_account(self, account_id: int, kind: SnippetKind | None = None) -> list[Snippet]:
        return self.repo.for_account(account_id, kind)

    def save(self, account_id: int, kind: SnippetKind, name: str, text: str) -> Snippet:
        """Check and keep a template or hashtag set (one of that name is replaced)."""
        name = " ".join(name.split())
        if not name:
            raise SnippetError("Give it a name, so you can pick it from the list.")
        if len(name) > MAX_NAME:
            raise SnippetError(f"The name is {count(len(name) - MAX_NAME, 'character')} too long: "
                               f"keep it under {MAX_NAME}.")
        if kind is SnippetKind.HASHTAGS:
            text = normalise_hashtags(text)
        if not text.strip():
            raise SnippetError("It is empty: type the caption text or the hashtags to keep.")
        control = caption_control_problem(text)
        if control is not None:
            raise SnippetError(control.replace("The caption", "The text"))
        units = caption_units(text)
        if units is None or units > MAX_CAPTION_UNITS:
            raise SnippetError(f"It is longer than a caption may be ({MAX_CAPTION_UNITS} "
                               "characters as TikTok counts them): shorten it.")
        if self.accounts.get(account_id) is None:
            raise SnippetError("That account no longer exists: pick another one.")
        return self.repo.save(account_id, kind, name, text)

    def delete(self, snippet_id: int) -> bool:
        return self.repo.delete(snippet_id)
