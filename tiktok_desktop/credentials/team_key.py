"""The team key of a shared schedule: 32 random bytes that seal its tokens and client secret
(credentials/shared_vault.py). People copy it once when they join, so its text is made for
that: Crockford base32 (no I, L, O or U; case and dashes do not matter) in 13 groups of five,
each group four key characters and a check character (Luhn mod 32 over the group and its
number), so a typo is caught and its group named, a swapped pair of groups too. The spare bits
of the last group hold 4 bits of the key's SHA-256, a check on the whole key.

The key never appears in a repr, a message or an exception; its text is registered with the
log redactor (logging_setup.REDACTOR) whenever a key is made or read.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from tiktok_desktop.credentials.vault import VaultError
from tiktok_desktop.logging_setup import REDACTOR

__all__ = ["KEY_BYTES", "TeamKey", "TeamKeyError"]

KEY_BYTES = 32
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
# What a person may type for a character the alphabet leaves out (Crockford's rule).
_VALUE.update({"O": 0, "I": 1, "L": 1})
_GROUPS = 13
_DATA = 4  # key characters per group; 13 * 4 * 5 bits = 260 = 256 key bits + 4 check bits
_SPARE = _GROUPS * _DATA * 5 - KEY_BYTES * 8


class TeamKeyError(VaultError):
    """A team key could not be made, read or used; the message says what to do."""


def _luhn32(values: list[int]) -> int:
    """The Luhn mod 32 check character for ``values`` (catches any one wrong character and
    most swapped neighbours)."""
    total, factor = 0, 2
    for v in reversed(values):
        addend = factor * v
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return (32 - total % 32) % 32


def _whole_check(raw: bytes) -> int:
    return hashlib.sha256(b"tiktok-desktop team key check\0" + raw).digest()[0] >> (8 - _SPARE)


@dataclass(frozen=True)
class TeamKey:
    raw: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_BYTES:
            raise TeamKeyError(f"A team key is {KEY_BYTES} bytes; this one is {len(self.raw)}.")

    def __repr__(self) -> str:
        return f"TeamKey(fingerprint={self.fingerprint()!r})"

    @classmethod
    def generate(cls) -> TeamKey:
        key = cls(secrets.token_bytes(KEY_BYTES))
        key.register()
        return key

    def register(self) -> None:
        """Mask this key's text in every log line from now on (both ways people write it)."""
        text = self.text()
        REDACTOR.add_secret(text)
        REDACTOR.add_secret(text.replace("-", ""))

    def text(self) -> str:
        """What a person copies: 13 dash-separated groups of five characters."""
        bits = int.from_bytes(self.raw, "big") << _SPARE | _whole_check(self.raw)
        count = _GROUPS * _DATA
        chars = [(bits >> (5 * (count - 1 - i))) & 31 for i in range(count)]
        groups = []
        for g in range(_GROUPS):
            data = chars[g * _DATA:(g + 1) * _DATA]
            groups.append("".join(_ALPHABET[v] for v in [*data, _luhn32([g, *data])]))
        return "-".join(groups)

    def fingerprint(self) -> str:
        """Not secret: a hash of the key, short enough to compare aloud ("1a2b 3c4d ...")."""
        digest = hashlib.sha256(b"tiktok-desktop team key fingerprint\0" + self.raw).hexdigest()
        return " ".join(digest[i:i + 4] for i in range(0, 16, 4))

    @classmethod
    def parse(cls, text: str) -> TeamKey:
        """The key from what a person typed or pasted. A typo is named by its group's number;
        the key's characters never appear in the message."""
        compact = "".join(c for c in text.upper() if c not in " -\t\r\n")
        if not compact:
            raise TeamKeyError("No team key was given. Paste the team key you were sent (13 "
                               "groups of five characters).")
        size = _GROUPS * (_DATA + 1)
        if len(compact) != size:
            raise TeamKeyError(
                f"A team key has {size} letters and digits (13 groups of five); this one has "
                f"{len(compact)}. Copy the whole key again, from the first group to the last.")
        chars: list[int] = []
        for g in range(_GROUPS):
            group = compact[g * (_DATA + 1):(g + 1) * (_DATA + 1)]
            if any(c not in _VALUE for c in group):
                raise TeamKeyError(
                    f"Group {g + 1} of the team key has a character no team key uses (team "
                    "keys use digits and the letters A to Z without U). Check that group "
                    "against the key you were sent.")
            values = [_VALUE[c] for c in group]
            if _luhn32([g, *values[:_DATA]]) != values[_DATA]:
                raise TeamKeyError(
                    f"The team key has a typo in group {g + 1} of {_GROUPS} (its check "
                    "character does not match). Check that group against the key you were "
                    "sent.")
            chars.extend(values[:_DATA])
        bits = 0
        for v in chars:
            bits = bits << 5 | v
        raw = (bits >> _SPARE).to_bytes(KEY_BYTES, "big")
        if bits & ((1 << _SPARE) - 1) != _whole_check(raw):
            raise TeamKeyError(
                "The team key has typos: every group looks right, but the key as a whole "
                "does not (groups in the wrong order, or two typos in one group). Copy the "
                "whole key again.")
        key = cls(raw)
        key.register()
        return key
