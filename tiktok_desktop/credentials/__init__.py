"""Secrets and sign-ins, below services and engine: the keyring vault, the one token source
(refresh with a cross-process lease), and TikTok's upload links. No Qt, no widgets."""

from tiktok_desktop.credentials.errors import (
    AccountError,
    NeedsReconnect,
    TransientAccountError,
    reconnect_message,
)
from tiktok_desktop.credentials.tokens import REFRESH_MARGIN, SIGN_IN_RENEW, TokenSource
from tiktok_desktop.credentials.upload_links import UploadLinks
from tiktok_desktop.credentials.vault import (
    SERVICE,
    NoSecureBackend,
    SessionOnlyBackend,
    StoredTokens,
    Vault,
    VaultError,
)

__all__ = [
    "REFRESH_MARGIN",
    "SERVICE",
    "SIGN_IN_RENEW",
    "AccountError",
    "NeedsReconnect",
    "NoSecureBackend",
    "SessionOnlyBackend",
    "StoredTokens",
    "TokenSource",
    "TransientAccountError",
    "UploadLinks",
    "Vault",
    "VaultError",
    "reconnect_message",
]
