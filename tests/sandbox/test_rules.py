"""Pure rules: chunk arithmetic under both MB readings, redirect URIs, PKCE, UTF-16 length."""

from __future__ import annotations

import hashlib

import pytest

from tiktok_desktop.sandbox.rules import (
    chunk_plan_error,
    pkce_matches,
    redirect_uri_matches,
    redirect_uri_registration_error,
    utf16_len,
)

MIB = 1_048_576


@pytest.mark.parametrize(
    ("size", "chunk", "total"),
    [
        (1, 1, 1),
        (4_999_999, 4_999_999, 1),
        (5_100_000, 5_100_000, 1),  # < 5 MiB, whole under both readings
        (64_000_000, 64_000_000, 1),  # the documented single-chunk maximum
        (50_000_123, 10_000_000, 5),  # the docs' worked example
        (64_000_001, 10_000_000, 6),
        (66_000_000, 10_000_000, 6),
        (4_000_000_000, 10_000_000, 400),
        (12 * MIB, 5 * MIB, 2),  # non-final chunk exactly 5 MiB
        (128_000_000, 64_000_000, 2),
        (200_000_000, 64_000_000, 3),  # final chunk 72,000,000 > chunk_size is fine
        (20_000_000, 6_000_000, 3),  # final chunk 8,000,000 absorbs the remainder
    ],
)
def test_valid_plans(size: int, chunk: int, total: int) -> None:
    assert chunk_plan_error(size, chunk, total) is None


@pytest.mark.parametrize(
    ("size", "chunk", "total", "why"),
    [
        (0, 0, 0, "video size"),
        (1000, 500, 2, "one chunk"),  # small files go whole
        (5_200_000, 5_000_000, 1, "one chunk"),  # < 5 MiB: binary reading says whole
        (10_485_760, 5_000_000, 2, "between 5 MB and 64 MB"),  # chunk < 5 MiB
        (66_000_000, 66_000_000, 1, "64 MB"),  # > 64,000,000 must be split (decimal reading)
        (130_000_000, 65_000_000, 2, "between 5 MB and 64 MB"),  # chunk > 64,000,000
        (50_000_123, 10_000_000, 6, "floor"),  # ceil instead of floor
        (50_000_123, 10_000_000, 4, "floor"),
        (4_000_000_001, 10_000_000, 400, "4 GB"),
    ],
)
def test_invalid_plans(size: int, chunk: int, total: int, why: str) -> None:
    error = chunk_plan_error(size, chunk, total)
    assert error is not None
    assert why in error


def test_final_chunk_may_not_exceed_128_mb() -> None:
    # With total == floor(size / chunk) the final chunk is < 2 * chunk <= 128,000,000, so only a
    # wrong total could make it bigger, and that is rejected as a wrong total.
    assert chunk_plan_error(191_999_999, 64_000_000, 2) is None  # final 127,999,999
    error = chunk_plan_error(192_000_001, 64_000_000, 2)
    assert error is not None and "floor" in error


def test_recommended_plan_is_always_valid() -> None:
    for size in (1, 4_000_000, 5_000_000, 5_242_880, 63_999_999, 64_000_000, 64_000_001,
                 99_999_999, 100_000_000, 1_234_567_890, 4_000_000_000):
        chunk = size if size <= 64_000_000 else 10_000_000
        assert chunk_plan_error(size, chunk, size // chunk) is None, size


@pytest.mark.parametrize(
    ("registered", "candidate", "ok"),
    [
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:53817/callback/", True),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:1/callback/", True),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:65535/callback/", True),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:65536/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:0/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:053817/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:*/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:53817/callback", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://localhost:53817/callback/", False),
        ("http://127.0.0.1:*/callback/", "https://127.0.0.1:53817/callback/", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:53817/callback/?x=1", False),
        ("http://127.0.0.1:*/callback/", "http://127.0.0.1:5:5/callback/", False),
        ("http://localhost:3455/callback/", "http://localhost:3455/callback/", True),
        ("http://localhost:3455/callback/", "http://localhost:3456/callback/", False),
        ("http://localhost:3455/callback/", "http://localhost:3455/callback", False),
    ],
)
def test_redirect_matching(registered: str, candidate: str, ok: bool) -> None:
    assert redirect_uri_matches(registered, candidate) is ok


@pytest.mark.parametrize(
    ("uris", "ok"),
    [
        (["http://127.0.0.1:*/callback/"], True),
        (["https://127.0.0.1:3455/callback/", "http://localhost:3455/callback/"], True),
        ([], False),
        ([f"http://127.0.0.1:{3000 + i}/cb/" for i in range(11)], False),
        ([f"http://127.0.0.1:{3000 + i}/cb/" for i in range(10)], True),
        (["http://127.0.0.1:3455/" + "a" * 500], False),
        (["http://127.0.0.1:3455/callback/?x=1"], False),
        (["http://127.0.0.1:3455/callback/#frag"], False),
        (["http://example.com:3455/callback/"], False),
        (["http://[::1]:3455/callback/"], False),
        (["http://127.0.0.1/callback/"], False),
        (["ftp://127.0.0.1:21/callback/"], False),
        (["127.0.0.1:3455/callback/"], False),
    ],
)
def test_redirect_registration(uris: list[str], ok: bool) -> None:
    assert (redirect_uri_registration_error(uris) is None) is ok


def test_pkce_hex_only() -> None:
    verifier = "a" * 43
    hex_challenge = hashlib.sha256(verifier.encode()).hexdigest()
    assert pkce_matches(verifier, hex_challenge)
    assert not pkce_matches(verifier, hex_challenge.upper())
    assert not pkce_matches("a" * 42, hashlib.sha256(b"a" * 42).hexdigest())  # too short
    assert not pkce_matches("a" * 129, hashlib.sha256(b"a" * 129).hexdigest())  # too long
    bad = "a" * 42 + "+"
    assert not pkce_matches(bad, hashlib.sha256(bad.encode()).hexdigest())  # bad alphabet
    assert pkce_matches("-._~" * 11, hashlib.sha256(b"-._~" * 11).hexdigest())


def test_utf16_length_counts_surrogates() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("é") == 1
    assert utf16_len("😀") == 2
