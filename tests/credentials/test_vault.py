"""The vault: keyring only, never a silent fallback."""

from __future__ import annotations

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from tiktok_desktop.credentials.vault import (
    NoSecureBackend,
    SessionOnlyBackend,
    StoredTokens,
    Vault,
)


def test_keyring_discovery_never_picks_the_session_only_store() -> None:
    # Importing the vault defines SessionOnlyBackend; keyring must still not choose it.
    viable = {type(b) for b in keyring.backend.get_all_keyring()}
    assert SessionOnlyBackend not in viable


def test_session_only_store_is_refused_unless_passed_in_on_purpose() -> None:
    keyring.set_keyring(SessionOnlyBackend())
    with pytest.raises(NoSecureBackend, match="Secret Service"):
        Vault().check()
    explicit = Vault(backend=SessionOnlyBackend())
    explicit.check()
    explicit.set_client_secret("sandbox-secret")
    assert explicit.client_secret() == "sandbox-secret"


def test_no_backend_names_the_fix() -> None:
    vault = Vault(backend=keyring.backends.fail.Keyring())
    assert not vault.available()
    with pytest.raises(NoSecureBackend, match="gnome-keyring"):
        vault.tokens("someone")


def test_empty_refresh_token_never_replaces_a_good_one() -> None:
    vault = Vault()
    vault.set_tokens("u", StoredTokens("act.1", "rft.good", 10, 20, frozenset({"a"})))
    kept = vault.set_tokens("u", StoredTokens("act.2", "", 30, None, frozenset()))
    assert kept == StoredTokens("act.2", "rft.good", 30, 20, frozenset({"a"}))
    assert vault.tokens("u") == kept
    assert "rft.good" not in repr(kept)
