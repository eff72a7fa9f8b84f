"""A keyring that exists but is locked (docs/bad-inputs.md): the Secret Service collection
or macOS keychain the user has not unlocked, or an unlock prompt they dismissed."""

from __future__ import annotations

import keyring
import pytest

from tests.helpers.lockable_keyring import LOCKED, LockableKeyring
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import decide_mode, vault_service
from tiktok_desktop.config import Settings, SettingsStore
from tiktok_desktop.credentials.vault import StoredTokens, Vault, VaultError


@pytest.fixture
def lockable() -> LockableKeyring:
    backend = LockableKeyring()
    keyring.set_keyring(backend)
    return backend


def test_a_locked_keyring_is_an_error_that_says_so(lockable: LockableKeyring) -> None:
    vault = Vault()
    vault.set_tokens("u", StoredTokens("act.1", "rft.1", 10, 20))
    lockable.locked = True
    assert vault.available()  # locked is not missing: no "install a keyring" advice
    with pytest.raises(VaultError) as reading:
        vault.tokens("u")
    assert str(reading.value) == f"Reading from the system keyring failed: {LOCKED}"
    with pytest.raises(VaultError) as saving:
        vault.set_tokens("u", StoredTokens("act.2", "rft.2", 30, 40))
    # The backend's own "!" ends its sentence: no "!." after it.
    assert str(saving.value) == (f"Saving to the system keyring failed: {LOCKED} Unlock your "
                                 "keyring and try again.")
    for secret in ("act.1", "rft.1", "act.2", "rft.2"):
        assert secret not in str(reading.value) + str(saving.value)
    lockable.locked = False
    assert vault.tokens("u") == StoredTokens("act.1", "rft.1", 10, 20)  # nothing was lost


def test_a_locked_keyring_at_start_falls_back_to_sandbox_mode(
        lockable: LockableKeyring) -> None:
    """With the client secret in a locked keyring, the app cannot tell it from "no secret"
    and starts in sandbox mode (its own profile: the real schedule is not run) until it is
    started again with the keyring unlocked."""
    base = paths.resolve()
    SettingsStore(base.settings_file).save(Settings(client_key="real-key"))
    Vault(vault_service(base, sandbox=False)).set_client_secret("real-secret-value")
    assert decide_mode(base).sandbox is False
    lockable.locked = True
    locked = decide_mode(base)
    assert locked.sandbox is True
    assert locked.paths.data_dir != base.data_dir
