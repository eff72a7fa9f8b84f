"""TikTok's rules that are pure functions: redirect URIs, PKCE, chunk arithmetic, title length."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

__all__ = [
    "MAX_TITLE_UTF16",
    "chunk_plan_error",
    "pkce_matches",
    "redirect_uri_matches",
    "redirect_uri_registration_error",
    "utf16_len",
    "valid_challenge",
    "valid_redirect_candidate",
]

MAX_TITLE_UTF16 = 2200
_VERIFIER_RE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE_RE = re.compile(r"[0-9a-f]{64}")
_PORT_RE = re.compile(r"[1-9][0-9]{0,4}")


# --- redirect URIs (section 1) ----------------------------------------------------------------


def redirect_uri_registration_error(uris: list[str]) -> str | None:
    """Why this list of redirect URIs cannot be registered, or None when it can."""
    if not uris:
        return "At least one redirect URI is required."
    if len(uris) > 10:
        return "At most 10 redirect URIs may be registered."
    for uri in uris:
        if len(uri) >= 512:
            return "A redirect URI must be under 512 characters."
        if "?" in uri or "#" in uri:
            return "A redirect URI must not have a query string or fragment."
        scheme, sep, rest = uri.partition("://")
        if not sep or scheme not in ("http", "https"):
            return "A redirect URI must be absolute with scheme http or https."
        hostport, slash, _path = rest.partition("/")
        host, colon, port = hostport.rpartition(":")
        if not colon:
            return "A redirect URI needs a port (or the wildcard port *)."
        if host not in ("localhost", "127.0.0.1"):
            return "A desktop redirect URI's host must be localhost or 127.0.0.1."
        if port != "*" and not (_PORT_RE.fullmatch(port) and int(port) <= 65535):
            return "A redirect URI's port must be a number or *."
        if not slash:
            return "A redirect URI needs a path."
    return None


def redirect_uri_matches(registered: str, candidate: str) -> bool:
    """Exact string match, except that a registered `:*` port matches any concrete port.

    Everything else (scheme, host, path, trailing slash) must be byte-identical: TikTok's
    trailing-slash tolerance is unconfirmed, so the sandbox takes the strict reading.
    """
    if ":*/" not in registered:
        return registered == candidate
    prefix, _, suffix = registered.partition(":*/")
    prefix += ":"
    suffix = "/" + suffix
    if not (candidate.startswith(prefix) and candidate.endswith(suffix)):
        return False
    port = candidate[len(prefix) : len(candidate) - len(suffix)]
    return bool(_PORT_RE.fullmatch(port)) and int(port) <= 65535


def valid_redirect_candidate(candidate: str) -> bool:
    """A redirect_uri sent by a client must itself be static (no query, no fragment)."""
    parts = urlsplit(candidate)
    return not parts.query and not parts.fragment and "?" not in candidate and "#" not in candidate


# --- PKCE (section 1: hex S256) -----------------------------------------------------------------


def valid_challenge(challenge: str) -> bool:
    return bool(_CHALLENGE_RE.fullmatch(challenge))


def pkce_matches(verifier: str, challenge: str) -> bool:
    """TikTok's desktop quirk: challenge = lowercase hex SHA-256 of the verifier."""
    if not _VERIFIER_RE.fullmatch(verifier):
        return False
    return hashlib.sha256(verifier.encode("ascii")).hexdigest() == challenge


# --- chunk arithmetic (section 4.4) -------------------------------------------------------------

# TikTok does not say whether 5/64/128 MB (and 4 GB) are decimal or binary. The sandbox accepts a
# plan only when it is valid under BOTH readings, so a client that passes here passes TikTok
# whichever reading TikTok uses. In effect: non-final chunks >= 5 MiB (5,242,880) and
# <= 64,000,000 bytes; final chunk <= 128,000,000; file <= 4,000,000,000; a file below
# 5 MiB must go whole (a file below 5,000,000 goes whole under both readings anyway); a file
# above 64,000,000 must be split. The plan in TIKTOK_API.md (one chunk up to 64,000,000 bytes,
# else 10,000,000-byte chunks) is valid under both.
_MB_READINGS = (1_000_000, 1_048_576)
MAX_CHUNKS = 1000


def _plan_error_for(video_size: int, chunk_size: int, total: int, mb: int) -> str | None:
    min_chunk, max_chunk, max_final, max_file = 5 * mb, 64 * mb, 128 * mb, 4000 * mb
    if video_size > max_file:
        return "The video size is invalid: the maximum is 4 GB."
    if video_size < min_chunk:
        if chunk_size != video_size or total != 1:
            return "The chunk size is invalid: a video under 5 MB must be sent as one chunk."
        return None
    if not min_chunk <= chunk_size <= max_chunk:
        return "The chunk size is invalid: chunks must be between 5 MB and 64 MB."
    if total != video_size // chunk_size:
        return "The total chunk count is invalid: it must be floor(video_size / chunk_size)."
    if not 1 <= total <= MAX_CHUNKS:
        return "The total chunk count is invalid: it must be between 1 and 1000."
    if video_size > max_chunk and total < 2:
        return "The chunk size is invalid: a video over 64 MB must be split into chunks."
    final = video_size - (total - 1) * chunk_size
    if final > max_final:
        return "The chunk size is invalid: the final chunk may be at most 128 MB."
    return None


def chunk_plan_error(video_size: int, chunk_size: int, total_chunk_count: int) -> str | None:
    """Why an init's source_info plan is invalid (message for `invalid_param`), or None."""
    if video_size <= 0:
        return "The video size is invalid."
    if chunk_size <= 0:
        return "The chunk size is invalid."
    if total_chunk_count <= 0:
        return "The total chunk count is invalid."
    for mb in _MB_READINGS:
        error = _plan_error_for(video_size, chunk_size, total_chunk_count, mb)
        if error is not None:
            return error
    return None


# --- text ---------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of TikTok's title limit."""
    return len(text.encode("utf-16-le")) // 2
