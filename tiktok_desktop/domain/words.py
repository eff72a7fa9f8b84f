"""Small helpers for the sentences the app writes: "1 post" / "3 posts", and a message from
elsewhere (a library, the OS) set into a sentence of ours without doubled punctuation."""

from __future__ import annotations

__all__ = ["count", "plural", "quoted_sentence"]


def plural(n: int, one: str, many: str | None = None) -> str:
    """``one`` for 1, else ``many`` (default: ``one`` + "s")."""
    return one if n == 1 else (many if many is not None else one + "s")


def count(n: int, one: str, many: str | None = None) -> str:
    """ "1 post", "3 posts", "1 character", "0 characters"."""
    return f"{n} {plural(n, one, many)}"


def quoted_sentence(text: object) -> str:
    """Another program's message as a clause of ours, ending in one full stop:
    "Failed to unlock the collection!" -> "Failed to unlock the collection!", "no space" ->
    "no space.", "done." -> "done." (never "!." or "..")."""
    words = str(text).strip()
    if not words:
        return ""
    return words if words[-1] in ".!?…" else words + "."
