"""A keyring that exists but is locked (docs/bad-inputs.md): the Secret Service collection
or macOS keychain the user has not unlocked, or an unlock prompt they dismissed."""

from __future__ import annotations

import keyring
import pytest

from tests.helpers.lockable_keyring import LOCKED, LockableKeyring
from tiktok_desktop import paths
from tiktok_desktop.bootstrap import StartupError, decide_mode, vault_service
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


def test_a_locked_keyring_at_start_stops_instead_of_using_the_sandbox(
        lockable: LockableKeyring) -> None:
    """With the client secret in a locked keyring (a service started at boot), the start
    stops and says why; before, it quietly became the sandbox and due posts went nowhere."""
    base = paths.resolve()
    SettingsStore(base.settings_file).save(Settings(client_key="real-key"))
    Vault(vault_service(base, sandbox=False)).set_client_secret("real-secret-value")
    assert decide_mode(base).sandbox is False
    lockable.locked = True
    with pytest.raises(StartupError) as info:
        decide_mode(base)
    message = str(info.value)
    assert message.startswith("TikTok Desktop is set up for your own TikTok app (a client key "
                              "is configured), but its client secret could not be read from "
                              f"the system keyring: Reading from the system keyring failed: "
                              f"{LOCKED} Unlock the keyring")
    assert "real-secret-value" not in message and "real-key" not in message
    assert decide_mode(base, force_sandbox=True).sandbox is True  # on purpose, still fine
    lockable.locked = False
    assert decide_mode(base).sandbox is False  # unlocked: real TikTok again


def test_run_says_so_and_exits_2_with_the_keyring_locked(
        lockable: LockableKeyring, capsys: pytest.CaptureFixture[str]) -> None:
    from tiktok_desktop.cli import main

    base = paths.resolve()
    SettingsStore(base.settings_file).save(Settings(client_key="real-key"))
    Vault(vault_service(base, sandbox=False)).set_client_secret("real-secret-value")
    lockable.locked = True
    assert main(["run", "--once"]) == 2
    err = capsys.readouterr().err
    assert "its client secret could not be read from the system keyring" in err
