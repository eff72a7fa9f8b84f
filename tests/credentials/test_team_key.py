"""The team key as people copy it: its text round-trips, a typo is caught and its group
named, and the key's characters never appear in a repr or a message."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
from tiktok_desktop.credentials.vault import VaultError
from tiktok_desktop.logging_setup import REDACTOR, RedactingFilter

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY = TeamKey(bytes(range(32)))


def test_text_is_13_groups_of_five_and_reads_back() -> None:
    text = KEY.text()
    groups = text.split("-")
    assert len(groups) == 13 and all(len(g) == 5 and set(g) <= set(ALPHABET) for g in groups)
    assert TeamKey.parse(text) == KEY


@given(st.binary(min_size=32, max_size=32))
def test_every_key_reads_back_however_it_is_pasted(raw: bytes) -> None:
    key = TeamKey(raw)
    text = key.text()
    for pasted in (text, text.lower(), text.replace("-", ""), f"  {text.replace('-', ' ')}\n",
                   text.replace("0", "O").replace("1", "l")):  # Crockford's look-alikes
        assert TeamKey.parse(pasted) == key


def test_every_single_typo_is_caught_and_its_group_named() -> None:
    text = KEY.text()
    for i, c in enumerate(text):
        if c == "-":
            continue
        group = text[:i].count("-") + 1
        for other in ALPHABET:
            if other == c:
                continue
            typo = text[:i] + other + text[i + 1:]
            with pytest.raises(TeamKeyError, match=f"typo in group {group} of 13"):
                TeamKey.parse(typo)


def test_swapped_neighbours_and_swapped_groups_are_caught() -> None:
    text = KEY.text()
    groups = text.split("-")
    caught = 0
    for g, group in enumerate(groups):
        for i in range(4):
            swapped = group[:i] + group[i + 1] + group[i] + group[i + 2:]
            if swapped == group:
                continue
            with pytest.raises(TeamKeyError, match="typo"):
                TeamKey.parse("-".join([*groups[:g], swapped, *groups[g + 1:]]))
            caught += 1
    assert caught > 40
    with pytest.raises(TeamKeyError, match="typo in group 1 of 13"):
        TeamKey.parse("-".join([groups[1], groups[0], *groups[2:]]))


def test_a_short_long_or_foreign_key_is_told_what_to_do() -> None:
    text = KEY.text()
    with pytest.raises(TeamKeyError, match=r"has 65 letters and digits.*this one has 60"):
        TeamKey.parse(text[:-6])
    with pytest.raises(TeamKeyError, match="this one has 70"):
        TeamKey.parse(text + "-ABCDE")
    with pytest.raises(TeamKeyError, match="Group 2 of the team key has a character no team"):
        TeamKey.parse(text[:7] + "U" + text[8:])
    with pytest.raises(TeamKeyError, match="No team key was given"):
        TeamKey.parse(" - ")
    with pytest.raises(TeamKeyError, match="32 bytes"):
        TeamKey(b"short")
    assert issubclass(TeamKeyError, VaultError)


def test_messages_reprs_and_logs_never_show_the_key() -> None:
    key = TeamKey.generate()
    text = key.text()
    assert text not in repr(key) and key.raw.hex() not in repr(key)
    assert repr(key) == f"TeamKey(fingerprint={key.fingerprint()!r})"
    for bad in (text[:20], text[:7] + "U" + text[8:], text[:-1] + ("0" if text[-1] != "0"
                                                                    else "1")):
        with pytest.raises(TeamKeyError) as info:
            TeamKey.parse(bad)
        message = str(info.value)
        assert all(g not in message for g in text.split("-")), message
    # Made or read, the key's text is masked in every log line, with or without dashes.
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key %s and %s",
                               (text, text.replace("-", "")), None)
    RedactingFilter(REDACTOR).filter(record)
    assert text not in record.getMessage() and text.replace("-", "") not in record.getMessage()
    assert text[:5] not in record.getMessage()


def test_the_fingerprint_names_a_key_without_revealing_it() -> None:
    other = TeamKey(bytes(range(1, 33)))
    assert KEY.fingerprint() == TeamKey(bytes(range(32))).fingerprint()
    assert KEY.fingerprint() != other.fingerprint()
    groups = KEY.fingerprint().split(" ")
    assert len(groups) == 4 and all(len(g) == 4 for g in groups)
    assert KEY.fingerprint().replace(" ", "") not in KEY.raw.hex()  # a hash, not the key
