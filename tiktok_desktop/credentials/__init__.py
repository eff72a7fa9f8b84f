"""Secrets and sign-ins, below services and engine: the keyring vault (and a shared schedule's
sealed one, shared_vault.py, with its team key), the one token source
(refresh with a cross-process lease), and TikTok's upload links. No Qt, no widgets.

Names load with their module when first used (lazy_exports.py): the errors are light, the
token source needs the TikTok client, and keyring loads only when a secret is read or written.
"""

from typing import TYPE_CHECKING

from tiktok_desktop.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from tiktok_desktop.credentials.errors import (
        AccountError,
        NeedsReconnect,
        TransientAccountError,
        reconnect_message,
    )
    from tiktok_desktop.credentials.session_backend import SessionOnlyBackend
    from tiktok_desktop.credentials.shared_vault import SharedVault, copy_secrets
    from tiktok_desktop.credentials.team_key import TeamKey, TeamKeyError
    from tiktok_desktop.credentials.tokens import REFRESH_MARGIN, SIGN_IN_RENEW, TokenSource
    from tiktok_desktop.credentials.upload_links import UploadLinks
    from tiktok_desktop.credentials.vault import (
        SERVICE,
        NoSecureBackend,
        StoredTokens,
        Vault,
        VaultError,
    )
else:
    __getattr__, __dir__ = lazy_exports(__name__, {
        "errors": ("AccountError", "NeedsReconnect", "TransientAccountError",
                   "reconnect_message"),
        "session_backend": ("SessionOnlyBackend",),
        "shared_vault": ("SharedVault", "copy_secrets"),
        "team_key": ("TeamKey", "TeamKeyError"),
        "tokens": ("REFRESH_MARGIN", "SIGN_IN_RENEW", "TokenSource"),
        "upload_links": ("UploadLinks",),
        "vault": ("SERVICE", "NoSecureBackend", "StoredTokens", "Vault", "VaultError"),
    })

__all__ = [
    "REFRESH_MARGIN",
    "SERVICE",
    "SIGN_IN_RENEW",
    "AccountError",
    "NeedsReconnect",
    "NoSecureBackend",
    "SessionOnlyBackend",
    "SharedVault",
    "StoredTokens",
    "TeamKey",
    "TeamKeyError",
    "TokenSource",
    "TransientAccountError",
    "UploadLinks",
    "Vault",
    "VaultError",
    "copy_secrets",
    "reconnect_message",
]
